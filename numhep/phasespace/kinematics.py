"""Array-level Lorentz kinematics on ``(..., 4)`` momenta (numpy or CuPy).

Thin wrappers over :mod:`numhep.kernels.lorentz`: they flatten the leading
axes, run the kernel on the caller's device and restore the shape.
"""

from __future__ import annotations

from numhep import arrays as ab
from numhep.kernels import lorentz as K

__all__ = [
    "minkowski_dot",
    "invariant_mass",
    "transverse_momentum",
    "rapidity",
    "pseudorapidity",
    "boost",
    "rotate",
]


def _scalar_of(kernel, p):
    xp = ab.namespace(p)
    p = ab.momenta(p, xp=xp)
    flat = p.reshape(-1, 4)
    out = xp.empty(flat.shape[0])
    kernel(flat, out)
    return out.reshape(p.shape[:-1])


def minkowski_dot(p, q):
    """p.q with metric (+,-,-,-) over the last axis."""
    xp = ab.namespace(p, q)
    p, q = ab.momenta(p, xp=xp), ab.momenta(q, "q", xp=xp)
    p, q = xp.broadcast_arrays(p, q)
    fp, fq = xp.ascontiguousarray(p).reshape(-1, 4), xp.ascontiguousarray(q).reshape(-1, 4)
    out = xp.empty(fp.shape[0])
    K.minkowski_dot(fp, fq, out)
    return out.reshape(p.shape[:-1])


def invariant_mass(p):
    """sign(p^2) sqrt(|p^2|)."""
    return _scalar_of(K.invariant_mass, p)


def transverse_momentum(p):
    """sqrt(px^2 + py^2)."""
    return _scalar_of(K.transverse_momentum, p)


def rapidity(p):
    """1/2 ln((E + pz)/(E - pz))."""
    return _scalar_of(K.rapidity, p)


def pseudorapidity(p):
    """asinh(pz / pT)."""
    return _scalar_of(K.pseudorapidity, p)


def boost(p, beta):
    """Boost momenta ``p`` (..., 4) by velocities ``beta`` (..., 3), broadcast."""
    xp = ab.namespace(p, beta)
    p = ab.momenta(p, xp=xp)
    beta = ab.as_float64(beta, "beta", xp)
    if beta.shape[-1] != 3:
        raise ValueError(f"beta: expected shape (..., 3), got {tuple(beta.shape)}")
    if bool(xp.any(xp.sum(beta * beta, axis=-1) >= 1.0)):
        raise ValueError("beta: boost velocity must satisfy |beta| < 1")
    shape = xp.broadcast_shapes(p.shape[:-1], beta.shape[:-1])
    fp = xp.ascontiguousarray(xp.broadcast_to(p, shape + (4,))).reshape(-1, 4)
    fb = xp.ascontiguousarray(xp.broadcast_to(beta, shape + (3,))).reshape(-1, 3)
    out = xp.empty_like(fp)
    K.boost(fp, fb, out)
    return out.reshape(shape + (4,))


def rotate(p, r):
    """Rotate the spatial part of ``p`` (..., 4) by matrices ``r`` (..., 3, 3)."""
    xp = ab.namespace(p, r)
    p = ab.momenta(p, xp=xp)
    r = ab.as_float64(r, "r", xp)
    if r.shape[-2:] != (3, 3):
        raise ValueError(f"r: expected rotation matrices (..., 3, 3), got {tuple(r.shape)}")
    shape = xp.broadcast_shapes(p.shape[:-1], r.shape[:-2])
    fp = xp.ascontiguousarray(xp.broadcast_to(p, shape + (4,))).reshape(-1, 4)
    fr = xp.ascontiguousarray(xp.broadcast_to(r, shape + (3, 3))).reshape(-1, 3, 3)
    out = xp.empty_like(fp)
    K.rotate(fp, fr, out)
    return out.reshape(shape + (4,))
