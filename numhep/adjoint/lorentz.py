"""Vector-Jacobian products of :mod:`numhep.kernels.lorentz`.

Each VJP takes the forward inputs and the cotangent ``g`` of the outputs and
*writes* the cotangents of the inputs (arrays are overwritten, not accumulated).
"""

import math

from numhep.kernels import lorentz as fwd
from numhep.kernels._target import adjoint_of, device


@adjoint_of(fwd.minkowski_dot)
def minkowski_dot_vjp(i, p, q, g, gp, gq):
    """d(p.q)/dp = eta q, d(p.q)/dq = eta p."""
    gp[i, 0] = g[i] * q[i, 0]
    gq[i, 0] = g[i] * p[i, 0]
    for a in range(1, 4):
        gp[i, a] = -g[i] * q[i, a]
        gq[i, a] = -g[i] * p[i, a]


@adjoint_of(fwd.invariant_mass)
def invariant_mass_vjp(i, p, g, gp):
    """dm/dp = eta p / m (both signs of p^2, with m = sign(p^2) sqrt|p^2|)."""
    m2 = p[i, 0] * p[i, 0] - p[i, 1] * p[i, 1] - p[i, 2] * p[i, 2] - p[i, 3] * p[i, 3]
    m = math.sqrt(abs(m2))
    s = g[i] / m
    gp[i, 0] = s * p[i, 0]
    for a in range(1, 4):
        gp[i, a] = -s * p[i, a]


@adjoint_of(fwd.transverse_momentum)
def transverse_momentum_vjp(i, p, g, gp):
    """dpT/dpx = px/pT, dpT/dpy = py/pT."""
    pt = math.sqrt(p[i, 1] * p[i, 1] + p[i, 2] * p[i, 2])
    gp[i, 0] = 0.0
    gp[i, 1] = g[i] * p[i, 1] / pt
    gp[i, 2] = g[i] * p[i, 2] / pt
    gp[i, 3] = 0.0


@adjoint_of(fwd.rapidity)
def rapidity_vjp(i, p, g, gp):
    """dy/dE = -pz/(E^2 - pz^2), dy/dpz = E/(E^2 - pz^2)."""
    d = p[i, 0] * p[i, 0] - p[i, 3] * p[i, 3]
    gp[i, 0] = -g[i] * p[i, 3] / d
    gp[i, 1] = 0.0
    gp[i, 2] = 0.0
    gp[i, 3] = g[i] * p[i, 0] / d


@adjoint_of(fwd.pseudorapidity)
def pseudorapidity_vjp(i, p, g, gp):
    """eta = asinh(pz/pT): deta/dpz = 1/|p|, deta/dpx = -pz px/(|p| pT^2)."""
    pt2 = p[i, 1] * p[i, 1] + p[i, 2] * p[i, 2]
    pabs = math.sqrt(pt2 + p[i, 3] * p[i, 3])
    c = -g[i] * p[i, 3] / (pabs * pt2)
    gp[i, 0] = 0.0
    gp[i, 1] = c * p[i, 1]
    gp[i, 2] = c * p[i, 2]
    gp[i, 3] = g[i] / pabs


@adjoint_of(fwd.boost)
def boost_vjp(i, p, beta, g, gp, gbeta):
    """Reverse sweep through the forward formula of :func:`numhep.kernels.lorentz.boost`."""
    bx, by, bz = beta[i, 0], beta[i, 1], beta[i, 2]
    b2 = bx * bx + by * by + bz * bz
    gamma = 1.0 / math.sqrt(1.0 - b2)
    bp = bx * p[i, 1] + by * p[i, 2] + bz * p[i, 3]
    h = gamma * gamma / (gamma + 1.0)
    c = h * bp + gamma * p[i, 0]
    g0, g1, g2, g3 = g[i, 0], g[i, 1], g[i, 2], g[i, 3]
    # out0 = gamma (E + bp); out_a = p_a + c beta_a
    gc = g1 * bx + g2 * by + g3 * bz
    ggamma = g0 * (p[i, 0] + bp) + gc * (p[i, 0] + bp * (gamma * gamma + 2.0 * gamma) / ((gamma + 1.0) ** 2))
    gbp = g0 * gamma + gc * h
    gE = g0 * gamma + gc * gamma
    # gamma = (1 - b2)^(-1/2): dgamma/dbeta_a = gamma^3 beta_a
    gb2 = ggamma * gamma * gamma * gamma
    gp[i, 0] = gE
    gp[i, 1] = g1 + gbp * bx
    gp[i, 2] = g2 + gbp * by
    gp[i, 3] = g3 + gbp * bz
    gbeta[i, 0] = g1 * c + gbp * p[i, 1] + gb2 * bx
    gbeta[i, 1] = g2 * c + gbp * p[i, 2] + gb2 * by
    gbeta[i, 2] = g3 * c + gbp * p[i, 3] + gb2 * bz


@adjoint_of(fwd.rotate)
def rotate_vjp(i, p, r, g, gp, gr):
    """p' = R p is bilinear: gp = R^T g, gR = g p^T."""
    gp[i, 0] = g[i, 0]
    for b in range(3):
        s = 0.0
        for a in range(3):
            s += r[i, a, b] * g[i, a + 1]
        gp[i, b + 1] = s
    for a in range(3):
        for b in range(3):
            gr[i, a, b] = g[i, a + 1] * p[i, b + 1]


@device
def boost_from_rest_vjp(e, px, py, pz, q0, qx, qy, qz, m, g0, gx, gy, gz):
    """VJP of :func:`numhep.kernels.lorentz.boost_from_rest`.

    Returns the cotangents (ge, gpx, gpy, gpz, gq0, gqx, gqy, gqz, gm), treating
    m as independent of Q (the caller chains m = sqrt(Q^2) when it is).
    """
    bp = qx * px + qy * py + qz * pz
    mq = m * (q0 + m)
    c = bp / mq + e / m
    gq = gx * qx + gy * qy + gz * qz
    gbp = g0 / m + gq / mq
    ge = g0 * q0 / m + gq / m
    gq0 = g0 * e / m - gq * bp / (mq * (q0 + m))
    gm = -g0 * (q0 * e + bp) / (m * m) - gq * (bp * (q0 + 2.0 * m) / (mq * mq) + e / (m * m))
    return (
        ge, gx + gbp * qx, gy + gbp * qy, gz + gbp * qz,
        gq0, gbp * px + c * gx, gbp * py + c * gy, gbp * pz + c * gz, gm,
    )


@device
def rotate_from_z_vjp(x, y, z, nx, ny, nz, transpose, gox, goy, goz):
    """VJP of :func:`numhep.kernels.lorentz.rotate_from_z`: (gx, gy, gz, gnx, gny, gnz).

    With o = c v + s k x v + k (k.v)/(1 + c) (s = -1 for the transpose):
      gv = c go + s (go x k) + k (go.k)/(1 + c),
      gk = s (v x go) + [go (k.v) + v (go.k)]/(1 + c),
      gc = go.v - (go.k)(k.v)/(1 + c)^2,
    then (k, c) -> n by the branch's linear map and the flips F undone.
    """
    if nz >= 0.0:
        kx, ky, c = -ny, nx, nz
    else:
        kx, ky, c = ny, -nx, -nz
        if transpose:
            goy, goz = -goy, -goz
        else:
            y, z = -y, -z
    sg = -1.0 if transpose else 1.0
    d = 1.0 + c
    kv = kx * x + ky * y
    gk_o = kx * gox + ky * goy
    gx = c * gox - sg * goz * ky + kx * gk_o / d
    gy = c * goy + sg * goz * kx + ky * gk_o / d
    gz = c * goz + sg * (gox * ky - goy * kx)
    gkx = sg * (y * goz - z * goy) + (gox * kv + x * gk_o) / d
    gky = sg * (z * gox - x * goz) + (goy * kv + y * gk_o) / d
    gc = gox * x + goy * y + goz * z - gk_o * kv / (d * d)
    if nz >= 0.0:
        return gx, gy, gz, gky, -gkx, gc
    if not transpose:
        gy, gz = -gy, -gz
    return gx, gy, gz, -gky, gkx, -gc


@adjoint_of(fwd.boost_to_frame)
def boost_to_frame_vjp(i, p, q, g, gp, gq):
    """Chains m = sqrt(q^2): dm/dq = eta q / m."""
    m = math.sqrt(q[i, 0] * q[i, 0] - q[i, 1] * q[i, 1] - q[i, 2] * q[i, 2] - q[i, 3] * q[i, 3])
    r = boost_from_rest_vjp(
        p[i, 0], p[i, 1], p[i, 2], p[i, 3], q[i, 0], q[i, 1], q[i, 2], q[i, 3], m,
        g[i, 0], g[i, 1], g[i, 2], g[i, 3],
    )
    for a in range(4):
        gp[i, a] = r[a]
    gm = r[8] / m
    gq[i, 0] = r[4] + gm * q[i, 0]
    for a in range(1, 4):
        gq[i, a] = r[4 + a] - gm * q[i, a]
