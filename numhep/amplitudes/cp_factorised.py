r"""``|M|^2`` factorised in the CP phase of the top Yukawa: components once, any alpha after.

The model ``sm_cpv`` couples the top to the Higgs as (Heimel, PhD thesis, Heidelberg 2024,
Eq. 6.2)

.. math::

    \mathcal{L}_{t\bar tH} = -\frac{y_t}{\sqrt2}\left[a\cos\alpha\,\bar tt
                              + i b\sin\alpha\,\bar t\gamma_5 t\right]H ,

so a tree amplitude with one ttH vertex (t H j, t t~ H, with or without the top's decay
chain) is linear in :math:`e = a\cos\alpha` and :math:`o = b\sin\alpha`,
:math:`M = M_0 + e M_e + o M_o`, and its square is a quadratic form

.. math::

    |M|^2 = c_0 + c_1 e + c_2 o + c_3 e^2 + c_4 o^2 + c_5 e o .

numhep's ``|M|^2`` at six couplings (e, o) gives the six components ``c`` per point (one
linear solve, exact to rounding); after that ``|M|^2`` at any (alpha, a, b) is a dot product.
For fixed a and b this is the thesis's Eq. 6.33,
:math:`g_1 + \sin\alpha\, g_2 + \cos\alpha\, g_3 + \sin\alpha\cos\alpha\, g_4 + \sin^2\alpha\, g_5`
(:func:`thesis_components`), which the single-pass MEM integration (Eqs. 6.34-6.35) uses.
Anything linear in ``|M|^2`` (an integrand's weight, a sum over subprocesses) factorises the
same way: :func:`cp_components` takes any function of the couplings.
"""

from __future__ import annotations

import math

import numpy as np

from numhep.amplitudes.lookup import resolve
from numhep.amplitudes.matrix_element import me

__all__ = ["COUPLING_POINTS", "CP_INPUTS", "components_from_values", "cp_components", "cp_monomials",
           "me_components",
           "me_from_components", "thesis_basis", "thesis_components"]

#: the model inputs the factorisation sets itself (an override of them is refused)
CP_INPUTS = ("alpha_cp", "kappa_a", "kappa_b")

#: (alpha_cp, kappa_a, kappa_b) at which ``|M|^2`` is evaluated: (e, o) = (0, 0), (+-1, 0), (0, +-1), (1, 1)
#: up to rounding; cos(pi/2) is not 0 in floating point, so a = 0 there makes e exactly 0
COUPLING_POINTS = (
    (0.0, 0.0, 1.0),
    (0.0, 1.0, 1.0),
    (0.0, -1.0, 1.0),
    (math.pi / 2, 0.0, 1.0),
    (math.pi / 2, 0.0, -1.0),
    (math.pi / 4, math.sqrt(2.0), math.sqrt(2.0)),
)


def cp_monomials(alpha, kappa_a=1.0, kappa_b=2.0 / 3.0):
    r"""The monomials :math:`(1, e, o, e^2, o^2, eo)` with :math:`e = a\cos\alpha`, :math:`o = b\sin\alpha`.

    ``|M|^2`` at (alpha, a, b) is ``components @ cp_monomials(alpha, a, b)`` (Heimel, PhD
    thesis, Heidelberg 2024, Eq. 6.2 squared).

    Parameters
    ----------
    alpha : float or array_like
        The CP phase in radians (the model input ``alpha_cp``).
    kappa_a, kappa_b : float or array_like, optional
        The CP-even and CP-odd strengths a and b (defaults 1 and 2/3, the thesis's choice).

    Returns
    -------
    ndarray, shape ``(..., 6)``
        The monomials, broadcast over the inputs.

    Examples
    --------
    >>> from numhep.amplitudes.cp_factorised import cp_monomials
    >>> cp_monomials(0.0, 1.0, 2.0).tolist()
    [1.0, 1.0, 0.0, 1.0, 0.0, 0.0]
    >>> cp_monomials([0.0, 1.0]).shape
    (2, 6)
    """
    alpha, kappa_a, kappa_b = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (alpha, kappa_a, kappa_b)))
    # the model multiplies kappa by math.cos/math.sin; numpy's agree with them to the last bit
    e = kappa_a * np.cos(alpha)
    o = kappa_b * np.sin(alpha)
    return np.stack([np.ones_like(e), e, o, e * e, o * o, e * o], axis=-1)


def _solve_matrix() -> np.ndarray:
    a, ka, kb = (np.array(v) for v in zip(*COUPLING_POINTS))
    return np.linalg.inv(cp_monomials(a, ka, kb))


def cp_components(evaluate, params=None) -> np.ndarray:
    """The six components of anything quadratic in the top Yukawa's couplings, from six calls.

    ``evaluate(overrides)`` is called at the couplings of :data:`COUPLING_POINTS` (the
    overrides ``params`` merged with ``alpha_cp``, ``kappa_a``, ``kappa_b``) and must return
    a quantity linear in ``|M|^2`` (``|M|^2`` itself, an integrand's weights, a sum over
    subprocesses); the components ``c`` solve ``value(e, o) = c . (1, e, o, e^2, o^2, eo)``
    (Heimel, PhD thesis, Heidelberg 2024, Eqs. 6.2 and 6.33).

    Parameters
    ----------
    evaluate : callable
        ``evaluate(overrides: dict) -> array`` of any shape S.
    params : dict, optional
        Further model inputs passed in every call (not ``alpha_cp``, ``kappa_a``, ``kappa_b``).

    Returns
    -------
    ndarray, shape ``S + (6,)``
        The components.

    Raises
    ------
    ValueError
        If ``params`` sets one of the CP inputs, or the six calls return different shapes.

    Examples
    --------
    >>> from numhep.amplitudes.cp_factorised import cp_components, cp_monomials
    >>> c = cp_components(lambda v: np.array(3.0 + v["kappa_a"] * np.cos(v["alpha_cp"])) ** 2)
    >>> np.round(c, 12).tolist()
    [9.0, 6.0, 0.0, 1.0, 0.0, 0.0]
    """
    params = dict(params or {})
    clash = sorted(set(params) & set(CP_INPUTS))
    if clash:
        raise ValueError(f"params: {clash} are set by the factorisation itself; combine the components at the "
                         "couplings you want with me_from_components")
    values = []
    for alpha, kappa_a, kappa_b in COUPLING_POINTS:
        values.append(np.asarray(evaluate({**params, "alpha_cp": alpha, "kappa_a": kappa_a, "kappa_b": kappa_b}),
                                 dtype=np.float64))
    if len({v.shape for v in values}) != 1:
        raise ValueError(f"evaluate returned different shapes at the six couplings: {[v.shape for v in values]}")
    return components_from_values(np.stack(values))


def components_from_values(values) -> np.ndarray:
    """The six components from values at the six couplings of :data:`COUPLING_POINTS`, in that order.

    Parameters
    ----------
    values : array_like, shape ``(6, ...)``
        A quantity quadratic in (e, o) evaluated at the six coupling points.

    Returns
    -------
    ndarray, shape ``(..., 6)``
        The components c of ``value = c . (1, e, o, e^2, o^2, eo)`` (Heimel, PhD thesis,
        Heidelberg 2024, Eq. 6.33).

    Examples
    --------
    >>> from numhep.amplitudes.cp_factorised import COUPLING_POINTS, components_from_values, cp_monomials
    >>> c = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    >>> values = np.array([cp_monomials(*point) @ c for point in COUPLING_POINTS])
    >>> bool(np.allclose(components_from_values(values), c))
    True
    """
    values = np.asarray(values, dtype=np.float64)
    if values.shape[:1] != (6,):
        raise ValueError(f"values: expected the six coupling points first, shape (6, ...), got {values.shape}")
    return np.einsum("jk,k...->...j", _solve_matrix(), values)


def me_components(p, process, *, model="sm_cpv", params=None, check=True) -> np.ndarray:
    """The components of ``|M|^2`` in the top Yukawa's CP couplings, from numhep's ``|M|^2`` at six couplings.

    Parameters
    ----------
    p : array_like, shape ``(n, legs, 4)``
        Momenta in GeV, energy first, in the process's leg order.
    process : str or Process
        A process of a model with the inputs ``alpha_cp``, ``kappa_a``, ``kappa_b`` (``sm_cpv``),
        e.g. ``"u b > t h d"``; one ttH vertex per diagram at most.
    model : str or Model, optional
        The model a process string is compiled in (default ``"sm_cpv"``).
    params : dict, optional
        Other model inputs to override.
    check : bool, optional
        Check the momenta as :func:`numhep.me` does (default True).

    Returns
    -------
    ndarray, shape ``(n, 6)``
        ``c`` with ``|M|^2`` = c . (1, e, o, e^2, o^2, eo), e = a cos(alpha), o = b sin(alpha)
        (Heimel, PhD thesis, Heidelberg 2024, Eqs. 6.2, 6.33).

    Raises
    ------
    ValueError
        If the process's model has no CP-violating top Yukawa, or ``params`` sets a CP input.

    Examples
    --------
    >>> from numhep.amplitudes.cp_factorised import me_components, me_from_components
    >>> proc = numhep.process("u b > t h d", model="sm_cpv")
    >>> p, _ = numhep.rambo(2, 1000.0, proc.masses, seed=1)
    >>> c = me_components(p, proc)
    >>> direct = numhep.me(p, proc, params={"alpha_cp": 0.3})
    >>> bool(np.allclose(me_from_components(c, 0.3), direct, rtol=1e-12, atol=0))
    True
    """
    proc = resolve(process, model=model)
    missing = [name for name in CP_INPUTS if proc.model is None or name not in proc.model.inputs]
    if missing:
        name = getattr(proc.model, "name", None)
        raise ValueError(f"process {proc.name!r}: its model {name!r} has no inputs {missing}; the CP-violating top "
                         "Yukawa is the model 'sm_cpv'")
    p = np.asarray(p, dtype=np.float64)
    return cp_components(lambda v: me(p, proc, params=v, check=check), params)


def me_from_components(components, alpha, kappa_a=1.0, kappa_b=2.0 / 3.0) -> np.ndarray:
    """``|M|^2`` (or whatever was factorised) at the CP phase(s) ``alpha``: ``components . monomials(alpha)``.

    Parameters
    ----------
    components : array_like, shape ``(..., 6)``
        From :func:`me_components` or :func:`cp_components`.
    alpha : float or array_like, shape ``(k,)``
        The CP phase(s) in radians.
    kappa_a, kappa_b : float, optional
        The CP-even and CP-odd strengths (defaults 1 and 2/3).

    Returns
    -------
    ndarray
        Shape ``(...)`` for a scalar alpha, ``(..., k)`` for k phases.

    Examples
    --------
    >>> from numhep.amplitudes.cp_factorised import me_from_components
    >>> me_from_components(np.array([[1.0, 2.0, 0.0, 0.0, 0.0, 0.0]]), [0.0, np.pi]).round(12).tolist()
    [[3.0, -1.0]]
    """
    components = np.asarray(components, dtype=np.float64)
    if components.shape[-1:] != (6,):
        raise ValueError(f"components: expected shape (..., 6), got {components.shape}")
    basis = cp_monomials(alpha, kappa_a, kappa_b)
    return components @ basis.T if basis.ndim == 2 else components @ basis


def thesis_components(components, kappa_a=1.0, kappa_b=2.0 / 3.0) -> np.ndarray:
    r"""The five functions g_1..g_5 of Eq. 6.33 (Heimel, PhD thesis, Heidelberg 2024) at fixed a, b.

    With :math:`\cos^2\alpha = 1 - \sin^2\alpha`: g1 = c0 + a^2 c3, g2 = b c2, g3 = a c1,
    g4 = a b c5, g5 = b^2 c4 - a^2 c3, so that the quantity is ``g . thesis_basis(alpha)``.

    Parameters
    ----------
    components : array_like, shape ``(..., 6)``
        From :func:`me_components` or :func:`cp_components`.
    kappa_a, kappa_b : float, optional
        The CP-even and CP-odd strengths (defaults 1 and 2/3).

    Returns
    -------
    ndarray, shape ``(..., 5)``
        g_1 .. g_5.

    Examples
    --------
    >>> from numhep.amplitudes.cp_factorised import thesis_components
    >>> thesis_components(np.array([1.0, 0, 0, 1.0, 0, 0]), 1.0, 1.0).tolist()
    [2.0, 0.0, 0.0, 0.0, -1.0]
    """
    c = np.asarray(components, dtype=np.float64)
    a, b = float(kappa_a), float(kappa_b)
    return np.stack([c[..., 0] + a * a * c[..., 3], b * c[..., 2], a * c[..., 1], a * b * c[..., 5],
                     b * b * c[..., 4] - a * a * c[..., 3]], axis=-1)


def thesis_basis(alpha) -> np.ndarray:
    """The functions f_i(alpha) of Eq. 6.33: (1, sin, cos, sin cos, sin^2) (Heimel, PhD thesis, Heidelberg 2024).

    Parameters
    ----------
    alpha : float or array_like
        The CP phase(s) in radians.

    Returns
    -------
    ndarray, shape ``(..., 5)``
        f_1 .. f_5.

    Examples
    --------
    >>> from numhep.amplitudes.cp_factorised import thesis_basis
    >>> thesis_basis(0.0).tolist()
    [1.0, 0.0, 1.0, 0.0, 0.0]
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    s, c = np.sin(alpha), np.cos(alpha)
    return np.stack([np.ones_like(s), s, c, s * c, s * s], axis=-1)


