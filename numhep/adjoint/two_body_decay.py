"""VJPs of :mod:`numhep.kernels.two_body_decay`: the forward map with respect to p, s1,
s2 and z, and the inverse with respect to the decay products k1, k2.

Reverse sweep of the forward, with S = p^2, lambda = lambda(S, s1, s2):
  k2 = p - k1                       -> gp += gk2, gk1 -= gk2
  k1 = B(p, M) k*                   -> VJP of the rest-frame boost (M = sqrt S, dM/dS = 1/(2M))
  k* = (sqrt(|k*|^2 + s1), |k*| (sin th cos phi, sin th sin phi, cos th))
  |k*|^2 = lambda/(4S),  g = 2S/(pi sqrt lambda):
    d lambda/dS = 2(S - s1 - s2),  d lambda/ds1 = -2(S - s1 - s2) - 4 s2  (likewise s2),
    d|k*|/dS = (lambda_S/(4S) - lambda/(4S^2)) / (2|k*|),  dg/dS = g (1/S - lambda_S/(2 lambda)),
  and dS/dp^mu = 2 p_mu (lowered index).

Inverse (p = k1 + k2, b = k1 boosted into p's rest frame by B(p~, M), p~ = (p^0, -p)):
  z_theta = (b_z/|b| + 1)/2:   d(b_z/|b|)/db = (0, 0, 1)/|b| - b_z b/|b|^3,
  z_phi = atan2(b_y, b_x)/(2 pi):   d/d(b_x, b_y) = (-b_y, b_x)/(b_x^2 + b_y^2),
  then the boost VJP in k1, p and M = sqrt S, and g(S, s1 = k1^2, s2 = k2^2) as above.
"""

import math

from numhep.adjoint.lorentz import boost_from_rest_vjp
from numhep.kernels import two_body_decay as fwd
from numhep.kernels._target import adjoint_of, device
from numhep.kernels.lorentz import boost_from_rest, cos_sin_turns, mdot
from numhep.kernels.two_body_decay import kallen


@device
def decay_momentum_vjp(p0, p1, p2, p3, s1, s2, zc, zphi, g0, g1, g2, g3, gg):
    """Cotangents (gp0..gp3, gs1, gs2, gzc, gzphi) of :func:`decay_momentum` given those of
    (k1, g_decay); the caller adds k2's cotangent to p's."""
    big_s = mdot(p0, p1, p2, p3, p0, p1, p2, p3)
    m = math.sqrt(big_s)
    lam = kallen(big_s, s1, s2)
    ps = math.sqrt(lam) / (2.0 * m)
    c = 2.0 * zc - 1.0
    sn = math.sqrt(max(1.0 - c * c, 0.0))
    cp, sp = cos_sin_turns(zphi)
    e = math.sqrt(ps * ps + s1)
    r = boost_from_rest_vjp(e, ps * sn * cp, ps * sn * sp, ps * c, p0, p1, p2, p3, m, g0, g1, g2, g3)
    ge, gbx, gby, gbz = r[0], r[1], r[2], r[3]
    gps = gbx * sn * cp + gby * sn * sp + gbz * c + ge * ps / e
    gs1 = ge / (2.0 * e)
    dsn = -c / sn if sn > 0.0 else 0.0
    gc = ps * (gbx * dsn * cp + gby * dsn * sp + gbz)
    gphi = ps * sn * (gby * cp - gbx * sp)
    g = 2.0 * big_s / (math.pi * math.sqrt(lam))
    d = big_s - s1 - s2
    lam_s = 2.0 * d
    lam_1 = -2.0 * d - 4.0 * s2
    lam_2 = -2.0 * d - 4.0 * s1
    inv = 1.0 / (8.0 * big_s * ps)
    gbig_s = gps * (lam_s - lam / big_s) * inv + gg * g * (1.0 / big_s - 0.5 * lam_s / lam) + r[8] / (2.0 * m)
    gs1 += gps * lam_1 * inv - gg * g * 0.5 * lam_1 / lam
    gs2 = gps * lam_2 * inv - gg * g * 0.5 * lam_2 / lam
    two = 2.0 * gbig_s
    return (
        r[4] + two * p0, r[5] - two * p1, r[6] - two * p2, r[7] - two * p3,
        gs1, gs2, 2.0 * gc, 2.0 * math.pi * gphi,
    )


@adjoint_of(fwd.two_body_decay)
def two_body_decay_vjp(i, p, s1, s2, z, gk1, gk2, gdensity, gp, gs1, gs2, gz):
    r = decay_momentum_vjp(
        p[i, 0], p[i, 1], p[i, 2], p[i, 3], s1[i], s2[i], z[i, 0], z[i, 1],
        gk1[i, 0] - gk2[i, 0], gk1[i, 1] - gk2[i, 1], gk1[i, 2] - gk2[i, 2], gk1[i, 3] - gk2[i, 3],
        gdensity[i],
    )
    for a in range(4):
        gp[i, a] = r[a] + gk2[i, a]
    gs1[i] = r[4]
    gs2[i] = r[5]
    gz[i, 0] = r[6]
    gz[i, 1] = r[7]


@device
def decay_angles_vjp(k0, k1, k2, k3, p0, p1, p2, p3, gzc, gzphi):
    """Cotangents (gk0..gk3, gp0..gp3) of :func:`~numhep.kernels.two_body_decay.decay_angles`
    given those of (z_theta, z_phi), with M = sqrt(p^2) chained into p."""
    big_s = mdot(p0, p1, p2, p3, p0, p1, p2, p3)
    m = math.sqrt(big_s)
    _, bx, by, bz = boost_from_rest(k0, k1, k2, k3, p0, -p1, -p2, -p3, m)
    r2 = bx * bx + by * by + bz * bz
    r3 = r2 * math.sqrt(r2)
    gc = 0.5 * gzc
    gphi = gzphi / (2.0 * math.pi)
    gbx = -gc * bz * bx / r3
    gby = -gc * bz * by / r3
    gbz = gc * (bx * bx + by * by) / r3
    rho2 = bx * bx + by * by
    if rho2 > 0.0:
        gbx -= gphi * by / rho2
        gby += gphi * bx / rho2
    r = boost_from_rest_vjp(k0, k1, k2, k3, p0, -p1, -p2, -p3, m, 0.0, gbx, gby, gbz)
    two = r[8] / m  # 2 gS with gS = gM / (2M)
    return r[0], r[1], r[2], r[3], r[4] + two * p0, -r[5] - two * p1, -r[6] - two * p2, -r[7] - two * p3


@adjoint_of(fwd.two_body_decay_inverse)
def two_body_decay_inverse_vjp(i, k1, k2, gz, gdensity, gk1, gk2):
    """gk1, gk2 (n, 4) of <gz, z> + <gdensity, g_decay>."""
    p0 = k1[i, 0] + k2[i, 0]
    p1 = k1[i, 1] + k2[i, 1]
    p2 = k1[i, 2] + k2[i, 2]
    p3 = k1[i, 3] + k2[i, 3]
    r = decay_angles_vjp(k1[i, 0], k1[i, 1], k1[i, 2], k1[i, 3], p0, p1, p2, p3, gz[i, 0], gz[i, 1])
    big_s = mdot(p0, p1, p2, p3, p0, p1, p2, p3)
    s1 = mdot(k1[i, 0], k1[i, 1], k1[i, 2], k1[i, 3], k1[i, 0], k1[i, 1], k1[i, 2], k1[i, 3])
    s2 = mdot(k2[i, 0], k2[i, 1], k2[i, 2], k2[i, 3], k2[i, 0], k2[i, 1], k2[i, 2], k2[i, 3])
    lam = kallen(big_s, s1, s2)
    gg = gdensity[i] * 2.0 * big_s / (math.pi * math.sqrt(lam))
    d = big_s - s1 - s2
    two_s = 2.0 * gg * (1.0 / big_s - d / lam)
    two_1 = gg * (2.0 * d + 4.0 * s2) / lam
    two_2 = gg * (2.0 * d + 4.0 * s1) / lam
    pp = (p0, p1, p2, p3)
    for a in range(4):
        sign = 1.0 if a == 0 else -1.0
        gp = r[4 + a] + sign * two_s * pp[a]
        gk1[i, a] = r[a] + gp + sign * two_1 * k1[i, a]
        gk2[i, a] = gp + sign * two_2 * k2[i, a]
