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
    "rambo_map_vjp",
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


@ab.torch_twin
def rambo_map(r, sqrt_s, masses) -> PhaseSpacePoints:
    """RAMBO as a map of the unit hypercube: uniforms r (n, final legs, 4) in (0, 1] to
    momenta of every leg and weights, as :func:`rambo` draws them.  A straight line in r is
    a continuous path through phase space along which every point is equally likely (seed
    004 App. C).  Differentiable in r and sqrt_s: :func:`rambo_map_vjp`."""
    xp = ab.namespace(r)
    m = _masses(masses, 4)
    r, rs = _check_r(r, sqrt_s, m, xp)
    n = r.shape[0]
    p = xp.empty((n, m.size, 4))
    w = xp.empty(n)
    out = xp.empty((n, m.size - 2, 4))
    _kse.rambo(r, rs, xp.asarray(m[2:]), out, w)
    p[:, 2:] = out
    p[:, 0], p[:, 1] = _beams(rs, m[0], m[1], xp)
    return PhaseSpacePoints(p, w)


def rambo_map_vjp(r, sqrt_s, masses, grad_momenta, grad_weight):
    """Reverse-mode derivative of :func:`rambo_map`: (d/dr, d/dsqrt_s per event) of
    <grad_momenta, p> + <grad_weight, w>, with grad_momenta (n, legs, 4) for every leg (the
    beams depend on sqrt_s alone)."""
    xp = ab.namespace(r, grad_momenta)
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
    # beams: E_1,2 = (s +- (m1^2 - m2^2)) / (2 sqrt s), pz = sqrt(lambda) / (2 sqrt s), with
    # lambda = (s - (m1 + m2)^2)(s - (m1 - m2)^2)
    s = rs * rs
    a, b = (m[0] + m[1]) ** 2, (m[0] - m[1]) ** 2
    root = xp.sqrt((s - a) * (s - b))
    d_e1 = 0.5 - (m[0] ** 2 - m[1] ** 2) / (2.0 * s)
    d_e2 = 0.5 + (m[0] ** 2 - m[1] ** 2) / (2.0 * s)
    d_pz = (2.0 * s - a - b) / (2.0 * root) - root / (2.0 * s)
    gs = gs + gp[:, 0, 0] * d_e1 + gp[:, 1, 0] * d_e2 + (gp[:, 0, 3] - gp[:, 1, 3]) * d_pz
    return gr, gs


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
