"""Flat phase space: RAMBO and RAMBO on diet on the caller's arrays.

Weights follow dPhi_n = (2 pi)^4 delta^4(P - sum p) prod_j d^3p_j / ((2 pi)^3 2 E_j),
so a partonic cross section is sigma = 1/(2 s) * mean(|M|^2 * weight) (massless
initial state).  :func:`rambo_map`, :func:`rambo_on_diet` and :func:`rambo_on_diet_inverse`
are differentiable operations (:mod:`numhep.ops`): ``f.vjp(args..., output cotangents...)``
gives reverse-mode derivatives, and torch tensors give tensors autograd differentiates.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from numhep import arrays as ab
from numhep import ops
from numhep.adjoint import rambo as _kse_adjoint  # noqa: F401  (attaches .vjp)
from numhep.adjoint import rambo_on_diet as _diet_adjoint  # noqa: F401
from numhep.kernels import rambo as _kse
from numhep.kernels import rambo_on_diet as _diet

__all__ = [
    "PhaseSpacePoints",
    "rambo",
    "resonance_momenta",
    "beams",
    "rambo_map",
    "rambo_on_diet",
    "rambo_on_diet_inverse",
    "rambo_on_diet_inverse_vjp",
    "rambo_on_diet_vjp",
]


class PhaseSpacePoints(NamedTuple):
    """Phase-space points: momenta and their weights, as the RAMBO functions return them.

    A NamedTuple, so ``p, w = rambo(...)`` unpacks it.  The weights follow
    dPhi_n = (2 pi)^4 delta^4(P - sum p) prod_j d^3p_j / ((2 pi)^3 2 E_j), so that a
    partonic cross section is sigma = 1/(2 s) mean(``|M|^2`` weight) for a massless initial
    state.

    Parameters
    ----------
    momenta : array of float64, shape ``(n, legs, 4)``
        Four-momenta (E, px, py, pz) in GeV, per event and leg.
    weight : array of float64, shape ``(n,)``
        Phase-space weight of each event, in GeV^(2k - 4) for k final-state particles.

    Examples
    --------
    >>> pts = numhep.rambo(2, 100.0, [0.0, 0.0, 0.0, 0.0], seed=1)
    >>> pts.momenta.shape, pts.weight.shape
    ((2, 4, 4), (2,))
    >>> round(float(pts.weight[0] * 8 * np.pi), 12)
    1.0
    """

    momenta: object
    weight: object


def _masses(masses, minimum: int, xp=np):
    m = np.asarray(masses, dtype=np.float64)
    if m.ndim != 1 or m.size < minimum:
        raise ValueError(f"masses: expected a list of at least {minimum} masses, got {m.shape}")
    if np.any(m < 0) or not np.all(np.isfinite(m)):
        raise ValueError(f"masses: must be finite and non-negative, got {m.tolist()}")
    return xp.asarray(m)


def _energies(sqrt_s, n: int, msum: float, xp=np):
    rs = xp.ascontiguousarray(xp.broadcast_to(xp.asarray(sqrt_s, dtype=xp.float64), (n,)))
    if not bool(xp.all(xp.isfinite(rs))):
        raise ValueError("sqrt_s: must be finite")
    # s and the momenta's squares must be normal floats: a subnormal s makes NaN momenta
    if bool(xp.any(rs > 1e150)) or bool(xp.any((rs > 0) & (rs < 1e-100))):
        raise ValueError("sqrt_s: outside 1e-100 .. 1e150 GeV, where s = sqrt_s^2 is a normal floating-point number")
    if not bool(xp.all(rs > msum)):
        raise ValueError(f"sqrt_s: must exceed the sum of final-state masses ({msum} GeV)")
    return rs


def _beams_forward(xp, rs, m1: float, m2: float):
    rs = xp.asarray(rs, dtype=xp.float64)
    s = rs * rs
    pz = xp.sqrt((s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2)) / (2.0 * rs)
    zero = xp.zeros_like(rs)
    e1 = (s + m1 * m1 - m2 * m2) / (2.0 * rs)
    e2 = (s + m2 * m2 - m1 * m1) / (2.0 * rs)
    return xp.stack([e1, zero, zero, pz], -1), xp.stack([e2, zero, zero, -pz], -1)


def _beams_vjp(xp, rs, m1: float, m2: float, grad_a, grad_b):
    # E_1,2 = (s +- (m1^2 - m2^2)) / (2 sqrt s), pz = sqrt(lambda) / (2 sqrt s), with
    # lambda = (s - (m1 + m2)^2)(s - (m1 - m2)^2)
    rs = xp.asarray(rs, dtype=xp.float64)
    s = rs * rs
    a, b = (m1 + m2) ** 2, (m1 - m2) ** 2
    root = xp.sqrt((s - a) * (s - b))
    d_e1 = 0.5 - (m1**2 - m2**2) / (2.0 * s)
    d_e2 = 0.5 + (m1**2 - m2**2) / (2.0 * s)
    d_pz = (2.0 * s - a - b) / (2.0 * root) - root / (2.0 * s)
    ga, gb = xp.asarray(grad_a, dtype=xp.float64), xp.asarray(grad_b, dtype=xp.float64)
    return (ga[..., 0] * d_e1 + gb[..., 0] * d_e2 + (ga[..., 3] - gb[..., 3]) * d_pz,)


def _beams(xp, rs, m1: float, m2: float):
    """The incoming momenta along +z and -z in their centre-of-mass frame.

    With s = ``rs``^2, E_a,b = (s +- (m1^2 - m2^2)) / (2 sqrt s) and
    ``|p_z|`` = sqrt(lambda(s, m1^2, m2^2)) / (2 sqrt s), lambda the Kallen function.

    Parameters
    ----------
    rs : float or array of float64, shape ``(...)``
        Centre-of-mass energy sqrt(s) in GeV.
    m1, m2 : float
        Masses of the incoming particles along +z and -z, in GeV.

    Returns
    -------
    p_a, p_b : array of float64, shape ``(..., 4)``
        The two four-momenta (E, px, py, pz) in GeV.

    Examples
    --------
    >>> from numhep.phasespace.flat import beams
    >>> p_a, p_b = beams(np.array([10.0]), 0.0, 0.0)
    >>> p_a.tolist(), p_b.tolist()
    ([[5.0, 0.0, 0.0, 5.0]], [[5.0, 0.0, 0.0, -5.0]])
    """


beams = ops.Op(_beams_forward, _beams_vjp, signature=_beams, differentiable=("rs",), n_outputs=2)


def resonance_momenta(n_events: int, masses, seed=None) -> np.ndarray:
    """Momenta of a 2 -> 1 process in the final particle's rest frame, the beams along random axes.

    The incoming momenta are back to back with ``|p| = sqrt(lambda(M^2, m1^2, m2^2)) / (2 M)`` and
    the final particle at rest, so sqrt(s) = M: the only kinematics a 2 -> 1 process has, up
    to the rotation drawn per event.

    Parameters
    ----------
    n_events : int
        Number of events.
    masses : sequence of 3 floats
        The incoming and the final particle's masses (GeV).
    seed : int or numpy.random.Generator, optional
        Seed of the random axes.

    Returns
    -------
    numpy.ndarray
        ``(n_events, 3, 4)`` momenta (GeV), E first.

    Raises
    ------
    ValueError
        If there are not three masses or the final particle is not heavier than the two
        incoming ones together.

    Examples
    --------
    >>> p = numhep.phasespace.resonance_momenta(2, [0.0, 0.0, 91.188], seed=1)
    >>> p.shape, bool(np.allclose(p[:, 0] + p[:, 1], p[:, 2]))
    ((2, 3, 4), True)
    """
    m = np.asarray(masses, dtype=np.float64)
    if m.shape != (3,):
        raise ValueError(f"masses: expected the three masses of a 2 -> 1 process, got shape {m.shape}")
    big = m[2]
    lam = (big * big - (m[0] + m[1]) ** 2) * (big * big - (m[0] - m[1]) ** 2)
    if big <= m[0] + m[1] or lam <= 0:
        raise ValueError(f"masses: a 2 -> 1 process needs a final particle heavier than the incoming ones, got {tuple(m)}")
    k = np.sqrt(lam) / (2.0 * big)
    axis = np.random.default_rng(seed).standard_normal((int(n_events), 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    p = np.zeros((int(n_events), 3, 4))
    p[:, 0, 0], p[:, 0, 1:] = np.hypot(k, m[0]), k * axis
    p[:, 1, 0], p[:, 1, 1:] = np.hypot(k, m[1]), -k * axis
    p[:, 2, 0] = big
    return p


def rambo(n_events: int, sqrt_s, masses, seed=None) -> PhaseSpacePoints:
    """Random phase-space points of a 2 -> n process by RAMBO.

    RAMBO (Kleiss, Stirling & Ellis, Comput. Phys. Commun. 40 (1986) 359) draws n massless
    momenta isotropically, boosts and scales them to the total momentum (sqrt_s, 0, 0, 0),
    and rescales them to the final-state masses; its weight is the flat n-body phase space
    dPhi_n = (2 pi)^4 delta^4(P - sum p) prod_j d^3p_j / ((2 pi)^3 2 E_j) times the
    massive correction (constant for massless particles).  This draws 4 uniforms per
    final-state particle from ``seed`` and maps them with :func:`rambo_map`.

    Parameters
    ----------
    n_events : int
        Number of events, a non-negative whole number.
    sqrt_s : float or array of float64, shape ``(n_events,)``
        Centre-of-mass energy in GeV, above the sum of the final-state masses.
    masses : sequence of float, length ``legs >= 4``
        Mass of every leg in GeV, the two incoming first.
    seed : int, numpy.random.Generator or None, optional
        Seed of ``numpy.random.default_rng``; None draws a fresh one.

    Returns
    -------
    PhaseSpacePoints
        ``momenta`` (n_events, legs, 4) of all legs in GeV, in the centre-of-mass frame with
        the beams along +-z, and ``weight`` (n_events,) of the final state in GeV^(2n - 4).

    Raises
    ------
    ValueError
        If ``n_events`` is not a non-negative whole number, ``masses`` has fewer than four
        entries or a negative or non-finite one, or ``sqrt_s`` is not finite, not above the
        final-state (or the incoming) masses, or outside 1e-100 .. 1e150 GeV.

    See Also
    --------
    rambo_on_diet : The same phase space from 3n - 4 numbers, with an exact inverse.

    Examples
    --------
    >>> p, w = numhep.rambo(3, 1000.0, [0.0, 0.0, 173.0, 173.0], seed=1)
    >>> p.shape, w.shape
    ((3, 4, 4), (3,))
    >>> np.allclose(p[:, 2:].sum(axis=1), [1000.0, 0.0, 0.0, 0.0])
    True
    >>> round(float(w[0]), 6)  # two-body phase space beta / (8 pi)
    0.037331
    """
    if (isinstance(n_events, (bool, np.bool_)) or not isinstance(n_events, (int, float, np.integer, np.floating))
            or not float(n_events).is_integer() or n_events < 0):
        raise ValueError(f"n_events: expected a non-negative whole number, got {n_events!r}")
    m = _masses(masses, 4)
    rng = np.random.default_rng(seed)
    r = 1.0 - rng.random((int(n_events), m.size - 2, 4))  # (0, 1]: log(r) finite
    return rambo_map(r, sqrt_s, masses)


def _rambo_map_forward(xp, r, sqrt_s, masses):
    m = _masses(masses, 4)
    r, rs = _check_r(r, sqrt_s, m, xp)
    n = r.shape[0]
    p = xp.empty((n, m.size, 4))
    w = xp.empty(n)
    out = xp.empty((n, m.size - 2, 4))
    _kse.rambo(r, rs, xp.asarray(m[2:]), out, w)
    p[:, 2:] = out
    p[:, 0], p[:, 1] = _beams_forward(xp, rs, m[0], m[1])
    return p, w


def _rambo_map_vjp(xp, r, sqrt_s, masses, grad_momenta, grad_weight):
    m = _masses(masses, 4)
    r, rs = _check_r(r, sqrt_s, m, xp)
    n = r.shape[0]
    gp = ops.cotangent(grad_momenta, (n, m.size, 4), "grad_momenta", xp)
    gw = ops.cotangent(grad_weight, (n,), "grad_weight", xp)
    gr = xp.empty_like(r)
    gs = xp.empty(n)
    _kse.rambo.vjp(r, rs, xp.asarray(m[2:]), xp.ascontiguousarray(gp[:, 2:]), gw,
                   xp.empty((n, m.size - 2, 4)), gr, gs)
    gs = gs + _beams_vjp(xp, rs, m[0], m[1], gp[:, 0], gp[:, 1])[0]
    return gr, gs


def _rambo_map(xp, r, sqrt_s, masses):
    """RAMBO as a map of the unit hypercube to phase space.

    Uniforms r in (0, 1], four per final-state particle, become the momenta of every leg and
    the weight exactly as :func:`rambo` draws them (Kleiss, Stirling & Ellis, Comput. Phys.
    Commun. 40 (1986) 359).  A straight line in r is a continuous path through phase space
    along which every point is equally likely (Maitre & Truong, arXiv:2107.06625, App. C).
    Differentiable in r and sqrt_s; ``rambo_map.vjp(r, sqrt_s, masses, grad_momenta,
    grad_weight)`` takes ``grad_momenta`` for every leg (the beams depend on sqrt_s alone).

    Parameters
    ----------
    r : array of float64, shape ``(n, legs - 2, 4)``
        Uniform numbers in (0, 1] (0 is excluded: RAMBO takes their logarithm).
    sqrt_s : float or array of float64, shape ``(n,)``
        Centre-of-mass energy in GeV.
    masses : sequence of float, length ``legs >= 4``
        Mass of every leg in GeV, the two incoming first.

    Returns
    -------
    PhaseSpacePoints
        ``momenta`` (n, legs, 4) in GeV in the centre-of-mass frame, the beams along +-z, and
        ``weight`` (n,) of the final state in GeV^(2 (legs - 2) - 4).

    Raises
    ------
    ValueError
        If ``r`` has another shape or numbers outside (0, 1], ``masses`` has fewer than four
        entries or a negative one, or ``sqrt_s`` is not above the masses.

    Examples
    --------
    >>> r = 1.0 - np.random.default_rng(2).random((2, 2, 4))
    >>> p, w = numhep.rambo_map(r, 1000.0, [0.0, 0.0, 0.0, 0.0])
    >>> p.shape
    (2, 4, 4)
    >>> np.allclose(w, 1 / (8 * np.pi))  # massless two-body phase space
    True
    >>> g_r, g_sqrt_s = numhep.rambo_map.vjp(r, 1000.0, [0.0, 0.0, 0.0, 0.0], np.zeros((2, 4, 4)), 1.0)
    >>> g_r.shape, g_sqrt_s.shape
    ((2, 2, 4), (2,))
    """


rambo_map = ops.Op(_rambo_map_forward, _rambo_map_vjp, signature=_rambo_map, differentiable=("r", "sqrt_s"),
                   n_outputs=2, result=PhaseSpacePoints)


def _check_r(r, sqrt_s, m, xp):
    r = ab.as_float64(r, "r", xp)
    nfin = m.size - 2
    if r.ndim != 3 or tuple(r.shape[1:]) != (nfin, 4):
        raise ValueError(f"r: expected uniforms of shape (n, {nfin}, 4), got {tuple(r.shape)}")
    if not bool(xp.all((r > 0.0) & (r <= 1.0))):
        raise ValueError("r: uniforms must lie in (0, 1]")
    rs = _energies(sqrt_s, r.shape[0], float(m[2:].sum()), xp)
    if bool(xp.any(rs <= m[0] + m[1])):
        raise ValueError("sqrt_s: below the threshold of the incoming masses")
    return r, rs


def _check_u(u, n_final: int, xp):
    u = ab.as_float64(u, "u", xp)
    if u.ndim != 2 or u.shape[1] != 3 * n_final - 4:
        raise ValueError(
            f"u: RAMBO on diet for {n_final} particles needs 3n-4 = {3 * n_final - 4} numbers "
            f"per event, got shape {tuple(u.shape)}"
        )
    if not bool(xp.all((u >= 0.0) & (u <= 1.0))):
        raise ValueError("u: points must lie in the unit hypercube [0, 1]")
    return u


def _rambo_on_diet(xp, u, sqrt_s, masses):
    """RAMBO on diet: k final-state momenta and their weight from 3k - 4 numbers.

    Plätzer's algorithm (arXiv:1308.2922, Eqs. 2-5) maps the unit hypercube onto the k-body
    phase space of total momentum (sqrt_s, 0, 0, 0) as a chain of two-body decays,
    Q_0 -> p_0 + Q_1, Q_1 -> p_1 + Q_2, ..., Q_{k-2} -> p_{k-2} + p_{k-1}.  The first
    k - 2 numbers give the intermediate masses: with the kinetic masses
    K_j = M_j - sum_{l >= j} m_l, x_j = K_{j+1}^2 / K_j^2 solves
    u_j = (q + 1) x^q - q x^(q + 1), q = k - j - 2; the remaining pairs give each decay's
    direction in the rest frame of Q_j, cos theta = 2 u - 1 and phi = 2 pi u'.  For
    massless particles the weight is the constant phase-space volume
    (2 pi)^(4 - 3k) (pi/2)^(k-1) s^(k-2) / ((k-1)! (k-2)!), the normalisation of RAMBO
    (Kleiss, Stirling & Ellis, Comput. Phys. Commun. 40 (1986) 359).  The map is a
    bijection (:func:`rambo_on_diet_inverse`).

    Parameters
    ----------
    u : array of float64, shape ``(n, 3k - 4)``
        Points of the unit hypercube [0, 1]^(3k - 4).
    sqrt_s : float or array of float64, shape ``(n,)``
        Total energy in the rest frame of the final state, in GeV, above the sum of the
        masses.
    masses : sequence of float, length ``k >= 2``
        Final-state masses in GeV.

    Returns
    -------
    PhaseSpacePoints
        ``momenta`` (n, k, 4) in GeV in the final state's rest frame, and ``weight`` (n,) of
        dPhi_k in GeV^(2k - 4).

    Raises
    ------
    ValueError
        If ``u`` is not of shape (n, 3k - 4) or leaves the unit hypercube, ``masses`` has
        fewer than two entries or a negative or non-finite one, or ``sqrt_s`` is not finite,
        not above the sum of the masses, or outside 1e-100 .. 1e150 GeV.

    Notes
    -----
    Differentiable in ``u``, ``sqrt_s`` and ``masses`` (at fixed u); the masses' cotangent
    has one row per event, shape (n, k).

    Examples
    --------
    >>> u = np.random.default_rng(1).random((3, 5))
    >>> p, w = numhep.rambo_on_diet(u, 100.0, [0.0, 0.0, 0.0])
    >>> p.shape, w.shape
    ((3, 3, 4), (3,))
    >>> np.allclose(p.sum(axis=1), [100.0, 0.0, 0.0, 0.0])
    True
    >>> round(float(w[0]), 6)  # (2 pi)^-5 (pi/2)^2 s / 2
    1.259826
    >>> g_u, g_sqrt_s, g_masses = numhep.rambo_on_diet.vjp(u, 100.0, [0.0, 0.0, 0.0], 0.0, 1.0)
    >>> g_u.shape, g_sqrt_s.shape, g_masses.shape
    ((3, 5), (3,), (3, 3))
    """
    m = _masses(masses, 2, xp)
    u = _check_u(u, int(m.shape[0]), xp)
    rs = _energies(sqrt_s, u.shape[0], float(m.sum()), xp)
    return (u, rs, m), {"u": 0, "sqrt_s": 1, "masses": 2}


rambo_on_diet = ops.kernel_op(
    _diet.rambo_on_diet, signature=_rambo_on_diet, outputs=("momenta", "weight"),
    shapes=lambda a: (((a[0].shape[0], a[2].shape[0], 4), np.float64), ((a[0].shape[0],), np.float64)),
    scratch=lambda a: (((a[0].shape[0], a[2].shape[0], 9), np.float64),),
    differentiable=("u", "sqrt_s", "masses"), per_event=("masses",), result=PhaseSpacePoints)


def _rambo_on_diet_inverse(xp, p, masses):
    """The exact inverse of RAMBO on diet: the numbers u and the weight of given momenta.

    Inverts :func:`rambo_on_diet` (Plätzer, arXiv:1308.2922): the intermediate masses and
    decay angles are read off the momenta and turned back into the 3k - 4 numbers.
    Differentiable in the momenta.

    Parameters
    ----------
    p : array of float64, shape ``(n, k, 4)``
        Final-state momenta in GeV, in their rest frame, with positive energies.
    masses : sequence of float, length ``k >= 2``
        Final-state masses in GeV.

    Returns
    -------
    u : array of float64, shape ``(n, 3k - 4)``
        The point of the unit hypercube that :func:`rambo_on_diet` maps to ``p``.
    weight : array of float64, shape ``(n,)``
        The phase-space weight there, in GeV^(2k - 4).

    Raises
    ------
    ValueError
        If ``p`` is not of shape (n, k, 4), is not finite, has a non-positive energy or a
        total invariant mass not above the sum of the masses, or ``masses`` is invalid.

    Examples
    --------
    >>> u = np.random.default_rng(1).random((3, 5))
    >>> p, w = numhep.rambo_on_diet(u, 100.0, [0.0, 0.0, 0.0])
    >>> u_back, w_back = numhep.rambo_on_diet_inverse(p, [0.0, 0.0, 0.0])
    >>> np.allclose(u_back, u), np.allclose(w_back, w)
    (True, True)
    """
    m = _masses(masses, 2, xp)
    p = ab.momenta(p, xp=xp)
    if p.ndim != 3 or p.shape[1] != m.shape[0]:
        raise ValueError(f"p: expected shape (n, {m.shape[0]}, 4), got {tuple(p.shape)}")
    total = p.sum(axis=1)
    mass2 = total[:, 0] ** 2 - (total[:, 1:] ** 2).sum(axis=1)
    # the map's first mass step needs sqrt(Q^2) above the sum of the masses
    if (not bool(xp.all(xp.isfinite(p))) or not bool(xp.all(p[..., 0] > 0))
            or not bool(xp.all(mass2 > float(xp.sum(m)) ** 2))):
        raise ValueError("p: the momenta must be finite with positive energies and a total invariant mass above "
                         f"the sum of the masses ({float(xp.sum(m))} GeV)")
    return (p, m), {"p": 0}


rambo_on_diet_inverse = ops.kernel_op(
    _diet.rambo_on_diet_inverse, signature=_rambo_on_diet_inverse, outputs=("u", "weight"),
    shapes=lambda a: (((a[0].shape[0], 3 * a[1].shape[0] - 4), np.float64), ((a[0].shape[0],), np.float64)),
    scratch=lambda a: (((a[0].shape[0], a[1].shape[0], 13), np.float64),),
    differentiable=("p",))


def rambo_on_diet_vjp(u, sqrt_s, masses, grad_momenta, grad_weight):
    """Reverse-mode derivative of :func:`rambo_on_diet` (deprecated).

    .. deprecated::
       Use ``rambo_on_diet.vjp(u, sqrt_s, masses, grad_momenta, grad_weight)``.

    Parameters
    ----------
    u, sqrt_s, masses
        The arguments of :func:`rambo_on_diet`.
    grad_momenta : float or array of float64, shape ``(n, k, 4)``
        Cotangent of the momenta (a scalar broadcasts).
    grad_weight : float or array of float64, shape ``(n,)``
        Cotangent of the weights.

    Returns
    -------
    tuple of arrays
        The cotangents of ``u`` (n, 3k - 4), ``sqrt_s`` (n,) and ``masses`` (n, k).

    Warns
    -----
    DeprecationWarning
        Always.

    Examples
    --------
    >>> import warnings
    >>> u = np.random.default_rng(1).random((3, 5))
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     g_u, g_s, g_m = numhep.rambo_on_diet_vjp(u, 100.0, [0.0, 0.0, 0.0], 0.0, 1.0)
    >>> g_u.shape
    (3, 5)
    """
    warnings.warn("rambo_on_diet_vjp is deprecated: use rambo_on_diet.vjp (numhep.ops)", DeprecationWarning,
                  stacklevel=2)
    return rambo_on_diet.vjp(u, sqrt_s, masses, grad_momenta, grad_weight)


def rambo_on_diet_inverse_vjp(p, masses, grad_u, grad_weight):
    """Reverse-mode derivative of :func:`rambo_on_diet_inverse` (deprecated).

    .. deprecated::
       Use ``rambo_on_diet_inverse.vjp(p, masses, grad_u, grad_weight)[0]``.

    Parameters
    ----------
    p, masses
        The arguments of :func:`rambo_on_diet_inverse`.
    grad_u : float or array of float64, shape ``(n, 3k - 4)``
        Cotangent of u (a scalar broadcasts).
    grad_weight : float or array of float64, shape ``(n,)``
        Cotangent of the weights.

    Returns
    -------
    array of float64, shape (n, k, 4)
        The cotangent of the momenta ``p``.

    Warns
    -----
    DeprecationWarning
        Always.

    Examples
    --------
    >>> import warnings
    >>> u = np.random.default_rng(1).random((3, 5))
    >>> p, _ = numhep.rambo_on_diet(u, 100.0, [0.0, 0.0, 0.0])
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     g_p = numhep.rambo_on_diet_inverse_vjp(p, [0.0, 0.0, 0.0], 1.0, 0.0)
    >>> g_p.shape
    (3, 3, 4)
    """
    warnings.warn("rambo_on_diet_inverse_vjp is deprecated: use rambo_on_diet_inverse.vjp (numhep.ops)",
                  DeprecationWarning, stacklevel=2)
    return rambo_on_diet_inverse.vjp(p, masses, grad_u, grad_weight)[0]
