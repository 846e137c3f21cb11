"""2 -> 2 scattering through a t-channel propagator (Heimel et al., arXiv:2408.01486, Eqs. 41-44).

For p1 + p2 -> k1 + k2 with P = p1 + p2, S = P^2 and the virtualities s1 = k1^2,
s2 = k2^2 given (p1, p2 may be off shell, p2 space-like inside a t-channel chain):
    t = (p1 - k1)^2 = s1 + p1^2 - (A - B cos theta*) / (2 S)                   (Eq. 42)
    A = (S + s1 - s2)(S + p1^2 - p2^2),  B = sqrt(lambda(S, s1, s2) lambda(S, p1^2, p2^2)),
with theta* the angle between k1 and p1 in P's rest frame, so |t| = -t runs over
[t_lo, t_hi] = [-(s1 + p1^2) + (A - B)/(2S), -(s1 + p1^2) + (A + B)/(2S)].  The
propagator 1/(t - m^2)^2 has its pole at |t| = -m^2, and |t| is drawn with the power-law
map of :mod:`numhep.kernels.invariant_maps` about that pole (Eq. 43); where the pole is not
below t_lo (a massless exchange reaching t = 0, or t > m^2 in the physical range) it is
moved to t_lo - POLE_OFFSET (t_hi - t_lo), which keeps the map exact and its density finite.
The azimuth of k1 about p1 in P's rest frame is phi* = 2 pi z_phi.  With
d|t| = dz_t / g_prop the density is (Eq. 44)
    g_2->2 = (2 / pi) sqrt(lambda(S, p1^2, p2^2)) g_prop(|t|),
i.e. int dPhi_2 = int dz_t dz_phi / g_2->2 with the two-body phase space of
:mod:`numhep.kernels.two_body_decay` (no factors of 2 pi).  Inputs z = (z_t, z_phi).
Adjoint: :mod:`numhep.adjoint.t_channel`.
"""

import math

from numhep.kernels._target import device, kernel
from numhep.kernels.invariant_maps import power_law_s, power_law_z
from numhep.kernels.lorentz import boost_from_rest, cos_sin_turns, mdot, rotate_from_z
from numhep.kernels.two_body_decay import kallen

#: where the pole of the |t| map lies when -m^2 is not below the kinematic minimum of |t|,
#: as a fraction of the |t| range below that minimum
POLE_OFFSET = 1e-3


@device
def t_range(big_s, p1sq, p2sq, s1, s2):
    """(A, B, t_lo, t_hi) of Eq. 42: the range of |t| = -t over -1 <= cos theta* <= 1."""
    a = (big_s + s1 - s2) * (big_s + p1sq - p2sq)
    b = math.sqrt(max(kallen(big_s, s1, s2), 0.0) * max(kallen(big_s, p1sq, p2sq), 0.0))
    base = -(s1 + p1sq)
    return a, b, base + (a - b) / (2.0 * big_s), base + (a + b) / (2.0 * big_s)


@device(inline=True)
def collision_frame(a0, a1, a2, a3, b0, b1, b2, b3):
    """(Q = a + b, S = Q^2, sqrt S, a^2, b^2) of the incoming pair."""
    q0 = a0 + b0
    q1 = a1 + b1
    q2 = a2 + b2
    q3 = a3 + b3
    big_s = mdot(q0, q1, q2, q3, q0, q1, q2, q3)
    return q0, q1, q2, q3, big_s, math.sqrt(big_s), mdot(a0, a1, a2, a3, a0, a1, a2, a3), mdot(b0, b1, b2, b3, b0, b1, b2, b3)


@device(inline=True)
def t_pole(m2, t_lo, t_hi):
    """The pole of the |t| map: -m^2, or just below t_lo where -m^2 is not below it."""
    return min(-m2, t_lo - POLE_OFFSET * (t_hi - t_lo))


@device
def rest_direction(a0, a1, a2, a3, q0, q1, q2, q3, m):
    """Unit 3-vector of a in the rest frame of Q (mass m) and its length there."""
    _, x, y, z = boost_from_rest(a0, a1, a2, a3, q0, -q1, -q2, -q3, m)
    r = math.sqrt(x * x + y * y + z * z)
    return x / r, y / r, z / r, r


@device
def t_channel_momentum(a0, a1, a2, a3, b0, b1, b2, b3, s1, s2, m2, nu, zt, zphi):
    """(k1^0..k1^3, g_2->2) for p1 = a, p2 = b at (z_t, z_phi)."""
    q0, q1, q2, q3, big_s, m, p1sq, p2sq = collision_frame(a0, a1, a2, a3, b0, b1, b2, b3)
    big_a, big_b, lo, hi = t_range(big_s, p1sq, p2sq, s1, s2)
    pole = t_pole(m2, lo, hi)
    r, g = power_law_s(zt, 0.0, nu, lo - pole, hi - pole)
    t = -(r + pole)
    c = (2.0 * big_s * (t - s1 - p1sq) + big_a) / big_b
    c = min(1.0, max(-1.0, c))
    sn = math.sqrt(max(1.0 - c * c, 0.0))
    cp, sp = cos_sin_turns(zphi)
    kk = math.sqrt(max(kallen(big_s, s1, s2), 0.0)) / (2.0 * m)
    nx, ny, nz, _ = rest_direction(a0, a1, a2, a3, q0, q1, q2, q3, m)
    x, y, z = rotate_from_z(kk * sn * cp, kk * sn * sp, kk * c, nx, ny, nz, False)
    e = math.sqrt(kk * kk + s1)
    k0, k1, k2, k3 = boost_from_rest(e, x, y, z, q0, q1, q2, q3, m)
    lam_p = kallen(big_s, p1sq, p2sq)
    return k0, k1, k2, k3, 2.0 / math.pi * math.sqrt(lam_p) * g


@device(inline=True)
def outgoing_invariants(q0, q1, q2, q3, a0, a1, a2, a3, k0, k1, k2, k3):
    """(s1 = k^2, s2 = (Q - k)^2, t = (a - k)^2) of an outgoing k in the collision Q = a + b."""
    return (
        mdot(k0, k1, k2, k3, k0, k1, k2, k3),
        mdot(q0 - k0, q1 - k1, q2 - k2, q3 - k3, q0 - k0, q1 - k1, q2 - k2, q3 - k3),
        mdot(a0 - k0, a1 - k1, a2 - k2, a3 - k3, a0 - k0, a1 - k1, a2 - k2, a3 - k3),
    )


@device
def t_channel_angles(a0, a1, a2, a3, b0, b1, b2, b3, k0, k1, k2, k3, m2, nu):
    """(z_t, z_phi, g_2->2) of k1 = k for p1 = a, p2 = b (the inverse of the map)."""
    q0, q1, q2, q3, big_s, m, p1sq, p2sq = collision_frame(a0, a1, a2, a3, b0, b1, b2, b3)
    s1, s2, t = outgoing_invariants(q0, q1, q2, q3, a0, a1, a2, a3, k0, k1, k2, k3)
    _, _, lo, hi = t_range(big_s, p1sq, p2sq, s1, s2)
    pole = t_pole(m2, lo, hi)
    zt, g = power_law_z(-t - pole, 0.0, nu, lo - pole, hi - pole)
    nx, ny, nz, _ = rest_direction(a0, a1, a2, a3, q0, q1, q2, q3, m)
    _, x, y, z = boost_from_rest(k0, k1, k2, k3, q0, -q1, -q2, -q3, m)
    x, y, _ = rotate_from_z(x, y, z, nx, ny, nz, True)
    phi = math.atan2(y, x)
    if phi < 0.0:
        phi += 2.0 * math.pi
    lam_p = kallen(big_s, p1sq, p2sq)
    return zt, phi / (2.0 * math.pi), 2.0 / math.pi * math.sqrt(lam_p) * g


@kernel
def t_channel_scattering(i, p1, p2, s1, s2, z, m2, nu, k1, k2, density):
    """k1, k2 (n, 4) and g_2->2 (n,) from p1, p2 (n, 4), s1, s2 (n,), z (n, 2); the
    propagator mass squared m2 and the power nu are numbers."""
    a0, a1, a2, a3, g = t_channel_momentum(
        p1[i, 0], p1[i, 1], p1[i, 2], p1[i, 3], p2[i, 0], p2[i, 1], p2[i, 2], p2[i, 3],
        s1[i], s2[i], m2, nu, z[i, 0], z[i, 1],
    )
    k1[i, 0] = a0
    k1[i, 1] = a1
    k1[i, 2] = a2
    k1[i, 3] = a3
    for c in range(4):
        k2[i, c] = p1[i, c] + p2[i, c] - k1[i, c]
    density[i] = g


@kernel
def t_channel_scattering_inverse(i, p1, p2, k1, m2, nu, z, density):
    """z (n, 2) and g_2->2 (n,) from p1, p2 and k1 (n, 4) (k2 = p1 + p2 - k1)."""
    z[i, 0], z[i, 1], density[i] = t_channel_angles(
        p1[i, 0], p1[i, 1], p1[i, 2], p1[i, 3], p2[i, 0], p2[i, 1], p2[i, 2], p2[i, 3],
        k1[i, 0], k1[i, 1], k1[i, 2], k1[i, 3], m2, nu,
    )
