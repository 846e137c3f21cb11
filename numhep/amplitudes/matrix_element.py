"""``numhep.me``: squared matrix elements and their gradients on the caller's arrays.

    me = numhep.me(p, process="ee_mumu_analytic")                    # (n,)
    me, dp = numhep.me(p, process=..., grad=True)                    # dp: (n, legs, 4)
    me, g = numhep.me(p, process=..., params={"MZ": 91.2}, grad=("p", "MZ"))   # g: dict

|M|^2 is summed over final and averaged over initial helicities and colours, exactly as
MadGraph standalone output returns it.

What d|M|^2/dp means: the kernels evaluate |M|^2 as a function of all 4(legs)
components, on or off the mass shell, and ``dp`` is that function's gradient (with
upper-index components: dp[..., mu] = d|M|^2 / dp^mu).  Physical variations keep
momentum conservation and the mass shells; to differentiate along phase space, go
through phase-space coordinates: with p = rambo_on_diet(u), d|M|^2/du is
``numhep.rambo_on_diet.vjp(u, sqrt_s, masses, dp[:, 2:], 0)``.

Precision: float64 momenta are computed in float64.  float32 momenta (numpy, CuPy or
torch) run the single-precision build of the same kernels (:mod:`numhep.kernels._target`):
float32 arithmetic throughout, float32 results and gradients, for throughput where the
physics allows it.  Its accuracy against float64, measured by
``benchmarks/single_precision.py``, is stated in the README: medians of 1e-7 to 1e-5
relative, worse near soft and collinear limits (where the rounding of the momenta alone
costs up to 1e-2) and behind electroweak gauge cancellations.  Use float64 for physics
results; float32 where a sampler or a network tolerates 1e-5.

Near a soft or collinear limit nothing is silent.  With ``check=True`` events whose smallest
pair invariant |2 p_i.p_j| over the total s lies below :data:`DEGENERATE` of their precision
(1e-4 in float32, 1e-12 in float64, where the momenta's rounding alone moves |M|^2 by more
than about 1e-3) are counted in a ``RuntimeWarning``.  And a float32 event whose |M|^2 comes
out NaN or inf from finite momenta (its invariants fell below float32's range) is evaluated
again in float64, its result returned in float32, with a warning saying how many.

Torch tensors (momenta, or parameter values given as 0-d tensors) give a tensor that autograd
differentiates with the same adjoint sweep (:mod:`numhep.autograd`).
"""

from __future__ import annotations

import os

import numpy as np

from numhep import arrays as ab
from numhep.amplitudes.lookup import resolve
from numhep.kernels.momentum_checks import CONSERVATION, ENERGY, NEAR_LIMIT, SHELL, momentum_flags

#: relative tolerance of the energy-momentum conservation check
CONSERVATION_TOLERANCE = 1e-8
#: smallest pair invariant over s below which |M|^2 loses digits to the momenta's rounding, per precision
DEGENERATE = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-12}
#: relative tolerance of the mass-shell check, |p^2 - m^2| against E^2 + m^2: loose enough for
#: finite differences in a mass parameter at fixed momenta, tight enough for momenta of another mass
SHELL_TOLERANCE = 1e-4


def check_shape(p, proc):
    """(n, legs, 4) with the process's number of legs: checked on every call, ``check=False``
    or not, since the kernels index the momenta by leg."""
    if p.ndim != 3 or p.shape[2] != 4:
        raise ValueError(f"p: expected momenta of shape (n, legs, 4), got {tuple(p.shape)}")
    if p.shape[1] != proc.n_legs:
        raise ValueError(f"p: process {proc.name!r} has {proc.n_legs} legs, the momenta have {p.shape[1]}")


def check_momenta(p, proc, xp=np, params: dict | None = None):
    """Shape, finiteness, positive incoming energies, energy-momentum conservation and the
    legs' mass shells (masses under ``params``), with errors naming the problem and the event;
    events near a soft or collinear limit counted in a warning.  One kernel pass
    (:func:`numhep.kernels.momentum_checks.momentum_flags`) flags every event."""
    check_shape(p, proc)
    n, k = p.shape[0], proc.n_incoming
    if n == 0:
        return
    masses = xp.asarray(proc.leg_masses(params), dtype=p.dtype)
    eps = float(xp.finfo(p.dtype).eps)
    # float32 momenta conserve only to their own rounding; a mass shell holds to the rounding
    # of E^2 (momenta rescaled by 1e-150 leave it far behind)
    settings = xp.asarray([k, max(CONSERVATION_TOLERANCE, 100 * eps), max(SHELL_TOLERANCE, 1000 * eps),
                           DEGENERATE.get(np.dtype(p.dtype), 0.0)], dtype=p.dtype)
    flags = xp.empty(n, dtype=np.int64)
    leg = xp.empty(n, dtype=np.int64)
    momentum_flags(p, masses, settings, flags, leg)
    energy, conservation, shell, near = ((flags & bit) != 0 for bit in (ENERGY, CONSERVATION, SHELL, NEAR_LIMIT))
    if bool(energy.any()):
        first = int(xp.argmax(energy))
        raise ValueError(f"p: incoming energies must be positive (event {first}: "
                         f"{ab.to_host(p[first, :k, 0]).tolist()} GeV)")
    if bool(conservation.any()):
        first = int(xp.argmax(conservation))
        balance = p[first, :k].sum(axis=0) - p[first, k:].sum(axis=0)
        raise ValueError(f"p: momenta do not conserve energy-momentum (event {first}: "
                         f"incoming - outgoing = {ab.to_host(balance).tolist()})")
    if bool(shell.any()):
        event = int(xp.argmax(shell))
        bad = int(leg[event])
        e, m = float(p[event, bad, 0]), float(masses[bad])
        p2 = e * e - float((p[event, bad, 1:] ** 2).sum())
        raise ValueError(f"p: leg {bad} of event {event} is off its mass shell (p^2 = {p2:.6g} GeV^2, m^2 = "
                         f"{m ** 2:.6g} GeV^2); momenta made with other masses need those masses as params "
                         "(params={'MT': 172.5}, say)")
    if bool(near.any()):
        import warnings

        warnings.warn(f"numhep.me: {int(near.sum())} of {n} events lie within {DEGENERATE[np.dtype(p.dtype)]:g} of a soft or "
                      f"collinear limit (a pair invariant over s), where {np.dtype(p.dtype).name} momenta lose digits "
                      "of |M|^2" + ("; use float64" if p.dtype == np.float32 else ""), RuntimeWarning, stacklevel=3)


def me(p, process, *, params: dict | None = None, grad=False, check: bool = True):
    """Squared matrix element ``|M|^2`` of ``process`` at momenta ``p``, and its gradients.

    ``|M|^2`` is summed over final and averaged over initial helicities and colours, exactly
    as MadGraph standalone output returns it.  Registered processes, process strings in
    MadGraph syntax (compiled once per interpreter, :func:`numhep.amplitudes.compile_process`)
    and :class:`numhep.Process` objects are evaluated alike, on numpy, CuPy (CUDA kernels)
    or torch arrays.

    The gradient ``d|M|^2/dp`` is that of ``|M|^2`` as a function of all 4 x legs momentum
    components, on or off the mass shell, with upper-index components:
    ``dp[..., mu] = d|M|^2 / dp^mu``.  Physical variations keep momentum conservation and
    the mass shells; to differentiate along phase space, go through phase-space coordinates:
    with ``p = rambo_on_diet(u)``, ``d|M|^2/du`` is
    ``numhep.rambo_on_diet.vjp(u, sqrt_s, masses, dp[:, 2:], 0)``.  Gradients in model inputs
    (``grad=("p", "MZ")``) run through the model's derived parameters (MW moves with MZ).

    Precision: float64 momenta are computed in float64; float32 momenta run the
    single-precision build of the same kernels (float32 arithmetic, results and gradients),
    with medians of 1e-7 to 1e-5 relative error against float64, worse near soft and
    collinear limits and behind electroweak gauge cancellations: use float64 for physics
    results.  A float32 event whose ``|M|^2`` comes out NaN or inf from finite momenta is
    evaluated again in float64 (result returned in float32) with a ``RuntimeWarning``.

    Parameters
    ----------
    p : array_like, shape ``(n, legs, 4)``
        Momenta in GeV, energy first (E, px, py, pz), legs in the process's order (the two
        incoming first).  float64 or float32; a numpy array, a CuPy array (evaluated by the
        CUDA kernels) or a torch tensor (the result is a tensor that autograd differentiates
        in ``p`` through the same adjoint sweep).  Integer momenta are converted to float.
    process : str or Process
        A registered name (``"gg_tt"``), a process string (``"e+ e- > mu+ mu-"``) or a
        Process, as :func:`numhep.process` takes it.
    params : dict, str or os.PathLike, optional
        Model input parameters overriding the model's values, ``{"MZ": 91.2}``, or the path
        of a param card (SLHA); a width given as ``"auto"`` (``DECAY 6 auto`` in a card) is
        computed from the model's vertices (:meth:`numhep.Model.width`).  With torch
        momenta, values given as 0-d tensors receive gradients from autograd.  Momenta made
        with other masses than the model's need those masses here.
    grad : bool, str or tuple of str, optional
        False (default): the values only.  True: also ``d|M|^2/dp``.  A name or tuple of
        names (``"p"`` and model inputs, ``("p", "MZ")``): a dict of the gradients in each.
        Not allowed with torch tensors (use ``.backward()``).
    check : bool, optional
        Check the momenta (default True): finiteness, positive incoming energies,
        energy-momentum conservation (relative 1e-8, or 100 ulp for float32), the legs' mass
        shells (relative 1e-4), and count in a ``RuntimeWarning`` the events whose smallest
        pair invariant ``|2 p_i.p_j|`` over s lies below :data:`DEGENERATE` of their precision
        (1e-4 in float32, 1e-12 in float64).  The shape is checked either way.

    Returns
    -------
    me : ndarray, shape ``(n,)``
        ``|M|^2`` per event (dimensionless for 2 -> 2; GeV^(8 - 2 legs) in general), in the
        momenta's dtype and array library.
    dp : ndarray, shape ``(n, legs, 4)``
        With ``grad=True``: ``d|M|^2/dp^mu``.
    gradients : dict of str to ndarray
        With ``grad`` a name or tuple of names: ``{"p": (n, legs, 4), "MZ": (n,), ...}``.

    Raises
    ------
    ValueError
        If ``p`` is not of shape (n, legs, 4) with the process's number of legs, or (with
        ``check=True``) if the momenta are not finite, an incoming energy is not positive,
        energy-momentum is not conserved or a leg is off its mass shell (the message names
        the event); or if ``grad`` is given with torch tensors, or a parameter tensor holds
        more than one value.
    KeyError
        If a name in ``grad`` is not an input parameter of the process's model.

    See Also
    --------
    numhep.process : how ``process`` is resolved.
    numhep.rambo : momenta to evaluate at.

    Examples
    --------
    >>> p, _ = numhep.rambo(3, 91.188, [0.0, 0.0, 0.0, 0.0], seed=1)
    >>> m2 = numhep.me(p, "e+ e- > mu+ mu-")
    >>> m2.shape, bool(np.all(m2 > 0))
    ((3,), True)
    >>> bool(np.allclose(m2, numhep.me(p, "ee_mumu_analytic")))
    True
    >>> m2, dp = numhep.me(p, "e+ e- > mu+ mu-", grad=True)
    >>> dp.shape
    (3, 4, 4)
    >>> m2, g = numhep.me(p, "e+ e- > mu+ mu-", grad=("p", "MZ"))
    >>> sorted(g), g["MZ"].shape
    (['MZ', 'p'], (3,))
    """
    proc = resolve(process)
    if isinstance(params, (str, os.PathLike)):  # a param card
        if proc.model is None:
            raise ValueError(f"params={str(params)!r}: process {proc.name!r} has no model to read a param card for")
        params = proc.model.as_overrides(params)
    kind = ab.kind(p, *(v for v in (params or {}).values() if not isinstance(v, str)))
    if kind == "torch":
        if grad is not False:
            raise ValueError("grad: torch tensors get their gradients from autograd (call .backward())")
        from numhep import autograd  # torch is an optional dependency: loaded with the first tensor

        return _me_on_tensors(autograd, p, proc, params)
    return _me_on_arrays(ab.module(kind), p, proc, params, grad, check)


def _me_on_arrays(xp, p, proc, params, grad, check):
    integer = getattr(getattr(p, "dtype", None), "kind", "f") in "iu"
    p = ab.momenta(p, xp=xp, single=True)
    if check:
        try:
            check_momenta(p, proc, xp, params)
        except ValueError as exc:
            if integer and "conserve" in str(exc):  # the likely cause, rather than the physics
                raise ValueError(f"{exc}; the momenta are integers: rounding them broke the balance, pass "
                                 "floating-point momenta") from None
            raise
    else:  # check=False skips the conservation test, never the shape: no input indexes out of bounds
        check_shape(p, proc)
    if not grad:
        out = proc.evaluate(p, xp, params, False)
        redo = _single_precision_failures(p, out, xp)
        if redo is not None:
            out[redo] = proc.evaluate(p[redo].astype(xp.float64), xp, params, False).astype(p.dtype)
            _warn_single_precision(p, out, redo, xp)
        return out
    wanted = ("p",) if grad is True else tuple([grad] if isinstance(grad, str) else grad)
    out, gp, gpar = proc.evaluate(p, xp, params, tuple(w for w in wanted if w != "p") or True)
    redo = _single_precision_failures(p, out, xp)
    if redo is not None:
        out64, gp64, gpar64 = proc.evaluate(p[redo].astype(xp.float64), xp, params,
                                             tuple(w for w in wanted if w != "p") or True)
        out[redo], gp[redo] = out64.astype(p.dtype), gp64.astype(p.dtype)
        if gpar is not None and gpar64 is not None:
            gpar[redo] = gpar64.astype(gpar.dtype)
        _warn_single_precision(p, out, redo, xp)
    if grad is True:
        return out, gp
    return out, _input_gradients(proc, params, wanted, gp, gpar, xp, p)


def _single_precision_failures(p, out, xp):
    """Indices of float32 events with finite momenta whose |M|^2 is NaN or inf (their invariants
    fell below float32's range), to evaluate again in float64 (with a warning), or None."""
    if p.dtype != xp.float32 or p.shape[0] == 0:
        return None
    bad = ~xp.isfinite(out) & xp.isfinite(p).reshape(p.shape[0], -1).all(axis=1)
    return xp.nonzero(bad)[0] if bool(bad.any()) else None


def _warn_single_precision(p, out, redo, xp):
    import warnings

    still = int((~xp.isfinite(out[redo])).sum())
    tail = (f"; {still} stayed non-finite (their rounded float32 momenta are degenerate): pass float64 momenta"
            if still else "")
    warnings.warn(f"numhep.me: {int(redo.size)} of {p.shape[0]} float32 events gave a non-finite |M|^2 (near a soft "
                  f"or collinear limit) and were evaluated again in float64{tail}", RuntimeWarning, stacklevel=4)


def _input_gradients(proc, params, wanted, gp, gpar, xp, p):
    """{name: d|M|^2/d name} for the wanted inputs, from the gradient in the process's
    parameter vector through the model's Jacobian d parameter / d input."""
    result = {}
    inputs_wanted = [name for name in wanted if name != "p"]
    jac = proc.model.jacobian(params) if proc.model is not None and inputs_wanted else {}
    index = {name: k for k, name in enumerate(proc.parameters)}
    for name in wanted:
        if name == "p":
            result["p"] = gp
            continue
        if proc.model is None or name not in proc.model.inputs:
            known = ", ".join(proc.model.inputs) if proc.model is not None else "none"
            raise KeyError(f"grad: {name!r} is not an input parameter of {proc.name!r} (inputs: {known})")
        # d|M|^2/d input = sum_k d|M|^2/d param_k * d param_k / d input
        total = xp.zeros(p.shape[0], dtype=p.dtype)
        for k, pname in enumerate(proc.parameters):
            if pname == name:
                total = total + gpar[:, k]
            elif pname in jac:
                total = total + gpar[:, index[pname]] * jac[pname].get(name, 0.0)
        result[name] = total
    return result


def _me_on_tensors(autograd, p, proc, params):
    """|M|^2 as a tensor that autograd differentiates in the momenta and in the parameters
    given as 0-d tensors (plain numbers are fixed).  When autograd will need it, one call
    runs the forward and the adjoint sweep, and backward only scales the stored derivatives
    by the incoming cotangent."""
    params = dict(params or {})
    names = [k for k, v in params.items() if ab.kind(v) == "torch"]
    for k in names:
        if params[k].numel() != 1:
            raise ValueError(f"params[{k!r}]: expected one value (a 0-d tensor), got shape {tuple(params[k].shape)}")
    fixed = {k: float(v) for k, v in params.items() if k not in names}
    tensors = (p, *(params[k].reshape(()) for k in names))
    want = autograd.needs_grad(*tensors)

    def linearize(arrays_in):
        xp = ab.namespace(arrays_in[0])
        values = {**fixed, **{k: float(v) for k, v in zip(names, arrays_in[1:])}} or None
        if not want:
            return (_me_on_arrays(xp, arrays_in[0], proc, values, False, True),), None
        out, grads = _me_on_arrays(xp, arrays_in[0], proc, values, ("p", *names), True)

        def pullback(cot):
            g = cot[0]
            return (g[:, None, None] * grads["p"], *(g * grads[k] for k in names))

        return (out,), pullback

    return autograd.apply(linearize, *tensors)[0]
