"""Isotropic 1 -> 2 decay p -> k1 + k2 (Heimel et al., arXiv:2408.01486, Eq. 46).

With S = p^2 and the virtualities s1 = k1^2, s2 = k2^2 given (from other blocks of a
channel), k1 is drawn isotropically in the rest frame of p:
    cos theta = 2 z_theta - 1,  phi = 2 pi z_phi,
    |k*| = sqrt(lambda(S, s1, s2)) / (2 sqrt S),  E1* = sqrt(|k*|^2 + s1),
then boosted into p's frame, and k2 = p - k1.  The density in (z_theta, z_phi) is
    g_decay = 2 S / (pi sqrt(lambda(S, s1, s2))),
i.e. int dPhi_2(p; s1, s2) = (1/g_decay) int dz_theta dz_phi, with the two-body phase
space dPhi_2 = d^3k1/(2E1) d^3k2/(2E2) delta^4(p - k1 - k2) without factors of 2 pi
(channels multiply (2 pi)^(4-3n) once).  Angles are measured from the frame's fixed
axes: the decay is isotropic, so any fixed axes give the same density.
Adjoint: :mod:`numhep.adjoint.two_body_decay`.
"""

import math

from numhep.kernels._target import device, kernel
from numhep.kernels.lorentz import boost_from_rest, cos_sin_turns, mdot


@device(inline=True)
def kallen(a, b, c):
    """lambda(a, b, c) = (a - b - c)^2 - 4 b c."""
    d = a - b - c
    return d * d - 4.0 * b * c


@device
def decay_momentum(p0, p1, p2, p3, s1, s2, zc, zphi):
    """(k1^0..k1^3, g_decay) of the isotropic decay of p at (z_theta, z_phi)."""
    big_s = mdot(p0, p1, p2, p3, p0, p1, p2, p3)
    m = math.sqrt(big_s)
    lam = kallen(big_s, s1, s2)
    ps = math.sqrt(max(lam, 0.0)) / (2.0 * m)
    c = 2.0 * zc - 1.0
    sn = math.sqrt(max(1.0 - c * c, 0.0))
    cp, sp = cos_sin_turns(zphi)
    e = math.sqrt(ps * ps + s1)
    k0, k1, k2, k3 = boost_from_rest(e, ps * sn * cp, ps * sn * sp, ps * c, p0, p1, p2, p3, m)
    return k0, k1, k2, k3, 2.0 * big_s / (math.pi * math.sqrt(lam))


@device
def decay_angles(k0, k1, k2, k3, p0, p1, p2, p3):
    """(z_theta, z_phi) of k in the rest frame of p (the inverse of the angular part)."""
    m = math.sqrt(mdot(p0, p1, p2, p3, p0, p1, p2, p3))
    _, bx, by, bz = boost_from_rest(k0, k1, k2, k3, p0, -p1, -p2, -p3, m)
    c = bz / math.sqrt(bx * bx + by * by + bz * bz)
    phi = math.atan2(by, bx)
    if phi < 0.0:
        phi += 2.0 * math.pi
    return 0.5 * (c + 1.0), phi / (2.0 * math.pi)


@kernel
def two_body_decay(i, p, s1, s2, z, k1, k2, density):
    """k1, k2 (n, 4) and g_decay (n,) from p (n, 4), s1, s2 (n,) and z (n, 2)."""
    a0, a1, a2, a3, g = decay_momentum(p[i, 0], p[i, 1], p[i, 2], p[i, 3], s1[i], s2[i], z[i, 0], z[i, 1])
    k1[i, 0] = a0
    k1[i, 1] = a1
    k1[i, 2] = a2
    k1[i, 3] = a3
    k2[i, 0] = p[i, 0] - a0
    k2[i, 1] = p[i, 1] - a1
    k2[i, 2] = p[i, 2] - a2
    k2[i, 3] = p[i, 3] - a3
    density[i] = g


@kernel
def two_body_decay_inverse(i, k1, k2, z, density):
    """z (n, 2) and g_decay (n,) from the decay products k1, k2 (n, 4)."""
    p0 = k1[i, 0] + k2[i, 0]
    p1 = k1[i, 1] + k2[i, 1]
    p2 = k1[i, 2] + k2[i, 2]
    p3 = k1[i, 3] + k2[i, 3]
    z[i, 0], z[i, 1] = decay_angles(k1[i, 0], k1[i, 1], k1[i, 2], k1[i, 3], p0, p1, p2, p3)
    big_s = mdot(p0, p1, p2, p3, p0, p1, p2, p3)
    s1 = mdot(k1[i, 0], k1[i, 1], k1[i, 2], k1[i, 3], k1[i, 0], k1[i, 1], k1[i, 2], k1[i, 3])
    s2 = mdot(k2[i, 0], k2[i, 1], k2[i, 2], k2[i, 3], k2[i, 0], k2[i, 1], k2[i, 2], k2[i, 3])
    density[i] = 2.0 * big_s / (math.pi * math.sqrt(kallen(big_s, s1, s2)))
