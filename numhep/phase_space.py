"""Flat phase space: RAMBO and RAMBO on diet on the caller's arrays.

Weights follow dPhi_n = (2 pi)^4 delta^4(P - sum p) prod_j d^3p_j / ((2 pi)^3 2 E_j),
so a partonic cross section is sigma = 1/(2 s) * mean(|M|^2 * weight) (massless
initial state).  Gradients: the kernels' adjoints (``kernel.vjp``) and, from
Python, :func:`rambo_on_diet_vjp`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from numhep import array_backend as ab
from numhep.kernels import rambo as _kse
from numhep.kernels import rambo_on_diet as _diet

__all__ = [
    "PhaseSpacePoints",
    "rambo",
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
    if not bool(xp.all(rs > msum)):
        raise ValueError(f"sqrt_s: must exceed the sum of final-state masses ({msum} GeV)")
    return rs


def _beams(rs, m1: float, m2: float, xp=np):
    """Incoming momenta along +z and -z in the centre-of-mass frame."""
    s = rs * rs
    pz = xp.sqrt((s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2)) / (2.0 * rs)
    zero = xp.zeros_like(rs)
    e1 = (s + m1 * m1 - m2 * m2) / (2.0 * rs)
    e2 = (s + m2 * m2 - m1 * m1) / (2.0 * rs)
    return xp.stack([e1, zero, zero, pz], -1), xp.stack([e2, zero, zero, -pz], -1)


def rambo(n_events: int, sqrt_s, masses, seed=None) -> PhaseSpacePoints:
    """RAMBO (Kleiss-Stirling-Ellis) events for a 2 -> n process.

    ``masses`` lists every leg, the two incoming first; returns all legs'
    momenta (n_events, legs, 4) in the centre-of-mass frame, beams along +-z,
    and the weight of the final state (see module docstring).
    """
    m = _masses(masses, 4)
    rng = np.random.default_rng(seed)
    r = 1.0 - rng.random((int(n_events), m.size - 2, 4))  # (0, 1]: log(r) finite
    return rambo_map(r, sqrt_s, masses)


def rambo_map(r, sqrt_s, masses) -> PhaseSpacePoints:
    """RAMBO as a map of the unit hypercube: uniforms r (n, final legs, 4) in (0, 1] to
    momenta and weights, as :func:`rambo` draws them.  A straight line in r is a continuous
    path through phase space along which every point is equally likely (seed 004 App. C)."""
    m = _masses(masses, 4)
    fin = m[2:]
    r = np.ascontiguousarray(ab.as_float64(r, "r"))
    if r.ndim != 3 or r.shape[1:] != (fin.size, 4):
        raise ValueError(f"r: expected uniforms of shape (n, {fin.size}, 4), got {r.shape}")
    if not ((r > 0.0) & (r <= 1.0)).all():
        raise ValueError("r: uniforms must lie in (0, 1]")
    n = r.shape[0]
    rs = _energies(sqrt_s, n, float(fin.sum()))
    if np.any(rs <= m[0] + m[1]):
        raise ValueError("sqrt_s: below the threshold of the incoming masses")
    p = np.empty((n, m.size, 4))
    w = np.empty(n)
    out = np.empty((n, fin.size, 4))
    _kse.rambo(r, rs, fin, out, w)
    p[:, 2:] = out
    p[:, 0], p[:, 1] = _beams(rs, m[0], m[1])
    return PhaseSpacePoints(p, w)


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


@ab.torch_twin
def rambo_on_diet(u, sqrt_s, masses) -> PhaseSpacePoints:
    """Map u (n, 3k-4) in the unit hypercube to k final-state momenta (n, k, 4) and weights."""
    xp = ab.namespace(u)
    m = _masses(masses, 2, xp)
    u = _check_u(u, int(m.shape[0]), xp)
    rs = _energies(sqrt_s, u.shape[0], float(np.asarray(masses, dtype=float).sum()), xp)
    p = xp.empty((u.shape[0], m.shape[0], 4))
    w = xp.empty(u.shape[0])
    _diet.rambo_on_diet(u, rs, m, p, w)
    return PhaseSpacePoints(p, w)


@ab.torch_twin
def rambo_on_diet_inverse(p, masses):
    """The exact inverse: final-state momenta (n, k, 4) in their rest frame -> (u, weight)."""
    xp = ab.namespace(p)
    m = _masses(masses, 2, xp)
    p = ab.momenta(p, xp=xp)
    if p.ndim != 3 or p.shape[1] != m.shape[0]:
        raise ValueError(f"p: expected shape (n, {m.shape[0]}, 4), got {tuple(p.shape)}")
    u = xp.empty((p.shape[0], 3 * m.shape[0] - 4))
    w = xp.empty(p.shape[0])
    _diet.rambo_on_diet_inverse(p, m, u, w)
    return u, w


def rambo_on_diet_vjp(u, sqrt_s, masses, grad_momenta, grad_weight):
    """Reverse-mode derivative: returns (d/du, d/dsqrt_s) of <grad_momenta, p> + <grad_weight, w>."""
    xp = ab.namespace(u, grad_momenta)
    m = _masses(masses, 2, xp)
    u = _check_u(u, int(m.shape[0]), xp)
    rs = _energies(sqrt_s, u.shape[0], float(np.asarray(masses, dtype=float).sum()), xp)
    gp = ab.as_float64(grad_momenta, "grad_momenta", xp)
    gw = xp.ascontiguousarray(xp.broadcast_to(ab.as_float64(grad_weight, "grad_weight", xp), (u.shape[0],)))
    gu = xp.empty_like(u)
    gs = xp.empty(u.shape[0])
    scratch = xp.empty((u.shape[0], m.shape[0], 9))
    _diet.rambo_on_diet.vjp(u, rs, m, gp, gw, scratch, gu, gs)
    return gu, gs


def rambo_on_diet_inverse_vjp(p, masses, grad_u, grad_weight):
    """Reverse-mode derivative of the inverse map: d(<grad_u, u> + <grad_weight, w>)/dp."""
    xp = ab.namespace(p, grad_u)
    m = _masses(masses, 2, xp)
    p = ab.momenta(p, xp=xp)
    gu = ab.as_float64(grad_u, "grad_u", xp)
    if gu.shape != (p.shape[0], 3 * m.shape[0] - 4):
        raise ValueError(f"grad_u: expected shape {(p.shape[0], 3 * m.shape[0] - 4)}, got {tuple(gu.shape)}")
    gw = xp.ascontiguousarray(xp.broadcast_to(ab.as_float64(grad_weight, "grad_weight", xp), (p.shape[0],)))
    gp = xp.empty_like(p)
    scratch = xp.empty((p.shape[0], m.shape[0], 13))
    _diet.rambo_on_diet_inverse.vjp(p, m, gu, gw, scratch, gp)
    return gp
