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
    "beams",
    "rambo_map",
    "rambo_on_diet",
    "rambo_on_diet_inverse",
    "rambo_on_diet_inverse_vjp",
    "rambo_on_diet_vjp",
]


class PhaseSpacePoints(NamedTuple):
    """Momenta (n, legs, 4) and phase-space weights (n,)."""

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
    """The incoming momenta (p_a, p_b), each (..., 4), along +z and -z in the centre-of-mass
    frame of energy ``rs`` = sqrt(s) (masses m1, m2); differentiable in rs."""


beams = ops.Op(_beams_forward, _beams_vjp, signature=_beams, differentiable=("rs",), n_outputs=2)


def rambo(n_events: int, sqrt_s, masses, seed=None) -> PhaseSpacePoints:
    """RAMBO (Kleiss, Stirling & Ellis, Comput. Phys. Commun. 40 (1986) 359) events for a
    2 -> n process.

    ``masses`` lists every leg, the two incoming first; returns all legs'
    momenta (n_events, legs, 4) in the centre-of-mass frame, beams along +-z,
    and the weight of the final state (see module docstring).
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
    gp = ab.as_float64(grad_momenta, "grad_momenta", xp)
    if gp.shape != (n, m.size, 4):
        raise ValueError(f"grad_momenta: expected shape {(n, m.size, 4)}, got {tuple(gp.shape)}")
    gw = xp.ascontiguousarray(xp.broadcast_to(ab.as_float64(grad_weight, "grad_weight", xp), (n,)))
    gr = xp.empty_like(r)
    gs = xp.empty(n)
    _kse.rambo.vjp(r, rs, xp.asarray(m[2:]), xp.ascontiguousarray(gp[:, 2:]), gw,
                   xp.empty((n, m.size - 2, 4)), gr, gs)
    gs = gs + _beams_vjp(xp, rs, m[0], m[1], gp[:, 0], gp[:, 1])[0]
    return gr, gs


def _rambo_map(xp, r, sqrt_s, masses):
    """RAMBO as a map of the unit hypercube: uniforms r (n, final legs, 4) in (0, 1] to
    momenta of every leg and weights, as :func:`rambo` draws them.  A straight line in r is
    a continuous path through phase space along which every point is equally likely
    (Maitre & Truong, arXiv:2107.06625, App. C).  Differentiable in r and sqrt_s;
    ``rambo_map.vjp(r, sqrt_s, masses, grad_momenta, grad_weight)`` takes grad_momenta for
    every leg (the beams depend on sqrt_s alone)."""


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
    """Map u (n, 3k-4) in the unit hypercube to k final-state momenta (n, k, 4) and weights
    (Platzer, arXiv:1308.2922); differentiable in u, sqrt_s and the masses (at fixed u; the
    masses' cotangent has one row per event)."""
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
    """The exact inverse: final-state momenta (n, k, 4) in their rest frame -> (u, weight);
    differentiable in the momenta."""
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
    """Deprecated: ``rambo_on_diet.vjp(u, sqrt_s, masses, grad_momenta, grad_weight)``."""
    warnings.warn("rambo_on_diet_vjp is deprecated: use rambo_on_diet.vjp (numhep.ops)", DeprecationWarning,
                  stacklevel=2)
    return rambo_on_diet.vjp(u, sqrt_s, masses, grad_momenta, grad_weight)


def rambo_on_diet_inverse_vjp(p, masses, grad_u, grad_weight):
    """Deprecated: ``rambo_on_diet_inverse.vjp(p, masses, grad_u, grad_weight)[0]``."""
    warnings.warn("rambo_on_diet_inverse_vjp is deprecated: use rambo_on_diet_inverse.vjp (numhep.ops)",
                  DeprecationWarning, stacklevel=2)
    return rambo_on_diet_inverse.vjp(p, masses, grad_u, grad_weight)[0]
