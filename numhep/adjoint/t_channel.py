"""VJP of :mod:`numhep.kernels.t_channel` with respect to p1, p2, s1, s2 and z.

Reverse sweep of :func:`~numhep.kernels.t_channel.t_channel_momentum` (Q = p1 + p2,
S = Q^2, M = sqrt S, lambda_k = lambda(S, s1, s2), lambda_p = lambda(S, p1^2, p2^2)):
  k1 = B(Q, M) (E*, R(n) v),  v = |k*| (sin th cos phi, sin th sin phi, cos th)
      -> boost and rotation VJPs (:mod:`numhep.adjoint.lorentz`), n = a*/|a*| with a* = p1
         in Q's rest frame: gn -> ga* = (gn - n (n.gn)) / |a*|;
  E* = sqrt(|k*|^2 + s1),  |k*| = sqrt(lambda_k) / (2M);
  cos th = (2S (t - s1 - p1^2) + A) / B   (zero cotangent where it is clamped to +-1);
  t = -(r + pole),  (r, g) = power-law map on [t_lo - pole, t_hi - pole]
      -> its VJP in (z_t, bounds); pole = t_lo - eps (t_hi - t_lo) where it was moved;
  (A, B, t_lo, t_hi) of Eq. 42 -> (S, p1^2, p2^2, s1, s2);  density = (2/pi) sqrt(lambda_p) g;
  d lambda(x, y, z)/dx = 2(x - y - z), /dy = -2(x - y - z) - 4z, /dz = -2(x - y - z) - 4y;
  dS/dQ^mu = 2 Q_mu (lowered index), likewise p1^2, p2^2.

Inverse (:func:`~numhep.kernels.t_channel.t_channel_angles`), with respect to p1, p2, k1:
  z_t, g = power-law inverse of |t| - pole on [t_lo - pole, t_hi - pole], t = (p1 - k1)^2,
  s1 = k1^2, s2 = (Q - k1)^2 in the bounds;
  z_phi = atan2(y', x')/(2 pi) with (x', y') = R(n)^T k1*, k1* = k1 in Q's rest frame:
  d/d(x', y') = (-y', x')/(x'^2 + y'^2), then the rotation and boost VJPs as above;
  density = (2/pi) sqrt(lambda_p) g.
"""

import math

from numhep.adjoint.invariant_maps import power_law_s_vjp, power_law_z_vjp
from numhep.adjoint.lorentz import boost_from_rest_vjp, rotate_from_z_vjp
from numhep.kernels import t_channel as fwd
from numhep.kernels._target import adjoint_of, device
from numhep.kernels.invariant_maps import power_law_s, power_law_z
from numhep.kernels.lorentz import boost_from_rest, cos_sin_turns, rotate_from_z
from numhep.kernels.t_channel import (
    POLE_OFFSET,
    collision_frame,
    outgoing_invariants,
    rest_direction,
    t_pole,
    t_range,
)
from numhep.kernels.two_body_decay import kallen


@device(inline=True)
def _kallen_grad(x, y, z):
    """(d/dx, d/dy, d/dz) of lambda(x, y, z)."""
    d = x - y - z
    return 2.0 * d, -2.0 * d - 4.0 * z, -2.0 * d - 4.0 * y


@device
def _range_vjp(big_s, p1sq, p2sq, s1, s2, ga, gb, glo, ghi):
    """Cotangents (gS, gp1sq, gp2sq, gs1, gs2) of :func:`t_range` given those of (A, B, t_lo, t_hi)."""
    big_a = (big_s + s1 - s2) * (big_s + p1sq - p2sq)
    lam_k = kallen(big_s, s1, s2)
    lam_p = kallen(big_s, p1sq, p2sq)
    big_b = math.sqrt(lam_k * lam_p)
    ga += (glo + ghi) / (2.0 * big_s)
    gb += (ghi - glo) / (2.0 * big_s)
    gs = -(glo * (big_a - big_b) + ghi * (big_a + big_b)) / (2.0 * big_s * big_s)
    gs1 = -(glo + ghi)
    gp1 = -(glo + ghi)
    u = big_s + p1sq - p2sq
    w = big_s + s1 - s2
    gs += ga * (u + w)
    gs1 += ga * u
    gs2 = -ga * u
    gp1 += ga * w
    gp2 = -ga * w
    if big_b > 0.0:
        glk = gb * lam_p / (2.0 * big_b)
        glp = gb * lam_k / (2.0 * big_b)
        dk = _kallen_grad(big_s, s1, s2)
        dp = _kallen_grad(big_s, p1sq, p2sq)
        gs += glk * dk[0] + glp * dp[0]
        gs1 += glk * dk[1]
        gs2 += glk * dk[2]
        gp1 += glp * dp[1]
        gp2 += glp * dp[2]
    return gs, gp1, gp2, gs1, gs2


@device
def rest_direction_vjp(a0, a1, a2, a3, q0, q1, q2, q3, m, gnx, gny, gnz):
    """Cotangents (ga0..ga3, gq0..gq3, gM) of the unit vector n = u/|u|, u = a in the rest
    frame of Q (:func:`~numhep.kernels.t_channel.rest_direction`): gu = (gn - n (n.gn))/|u|,
    then the boost's VJP."""
    nx, ny, nz, ur = rest_direction(a0, a1, a2, a3, q0, q1, q2, q3, m)
    gn_dot = nx * gnx + ny * gny + nz * gnz
    r = boost_from_rest_vjp(
        a0, a1, a2, a3, q0, -q1, -q2, -q3, m, 0.0,
        (gnx - nx * gn_dot) / ur, (gny - ny * gn_dot) / ur, (gnz - nz * gn_dot) / ur,
    )
    return r[0], r[1], r[2], r[3], r[4], -r[5], -r[6], -r[7], r[8]


@device
def t_channel_momentum_vjp(a0, a1, a2, a3, b0, b1, b2, b3, s1, s2, m2, nu, zt, zphi, g0, g1, g2, g3, gdens):
    """Cotangents (ga0..ga3, gb0..gb3, gs1, gs2, gzt, gzphi) of
    :func:`~numhep.kernels.t_channel.t_channel_momentum` given those of (k1, g_2->2);
    the caller adds k2's cotangent to p1's and p2's."""
    q0, q1, q2, q3, big_s, m, p1sq, p2sq = collision_frame(a0, a1, a2, a3, b0, b1, b2, b3)
    big_a, big_b, lo, hi = t_range(big_s, p1sq, p2sq, s1, s2)
    pole = t_pole(m2, lo, hi)
    moved = pole != -m2
    r, g = power_law_s(zt, 0.0, nu, lo - pole, hi - pole)
    t = -(r + pole)
    c_raw = (2.0 * big_s * (t - s1 - p1sq) + big_a) / big_b
    c = min(1.0, max(-1.0, c_raw))
    sn = math.sqrt(max(1.0 - c * c, 0.0))
    cp, sp = cos_sin_turns(zphi)
    lam_k = kallen(big_s, s1, s2)
    lam_p = kallen(big_s, p1sq, p2sq)
    kk = math.sqrt(max(lam_k, 0.0)) / (2.0 * m)
    nx, ny, nz, _ = rest_direction(a0, a1, a2, a3, q0, q1, q2, q3, m)
    vx = kk * sn * cp
    vy = kk * sn * sp
    vz = kk * c
    x, y, z = rotate_from_z(vx, vy, vz, nx, ny, nz, False)
    e = math.sqrt(kk * kk + s1)
    # k1 = B(Q, M) (e, x, y, z)
    rb = boost_from_rest_vjp(e, x, y, z, q0, q1, q2, q3, m, g0, g1, g2, g3)
    gq0, gq1, gq2, gq3, gm = rb[4], rb[5], rb[6], rb[7], rb[8]
    gkk = rb[0] * kk / e
    gs1 = rb[0] / (2.0 * e)
    rr = rotate_from_z_vjp(vx, vy, vz, nx, ny, nz, False, rb[1], rb[2], rb[3])
    gkk += (rr[0] * cp + rr[1] * sp) * sn + rr[2] * c
    gsn = kk * (rr[0] * cp + rr[1] * sp)
    gc = kk * rr[2] - (gsn * c / sn if sn > 0.0 else 0.0)
    gzphi = 2.0 * math.pi * kk * sn * (rr[1] * cp - rr[0] * sp)
    rn = rest_direction_vjp(a0, a1, a2, a3, q0, q1, q2, q3, m, rr[3], rr[4], rr[5])
    ga0, ga1, ga2, ga3 = rn[0], rn[1], rn[2], rn[3]
    gq0 += rn[4]
    gq1 += rn[5]
    gq2 += rn[6]
    gq3 += rn[7]
    gm += rn[8]
    # |k*| = sqrt(lambda_k) / (2M)
    gm -= gkk * kk / m
    glk = gkk / (4.0 * m * math.sqrt(lam_k)) if lam_k > 0.0 else 0.0
    # cos theta
    if c_raw != c:
        gc = 0.0
    gs = gc * 2.0 * (t - s1 - p1sq) / big_b
    gt = gc * 2.0 * big_s / big_b
    gs1 -= gt
    gp1 = -gt
    ga_big = gc / big_b
    gb_big = -gc * c / big_b
    # t = -(r + pole), (r, g) = power law;  density = (2/pi) sqrt(lambda_p) g
    root_p = math.sqrt(lam_p)
    pz = power_law_s_vjp(zt, 0.0, nu, lo - pole, hi - pole, -gt, gdens * 2.0 / math.pi * root_p)
    glp = gdens * g / (math.pi * root_p)
    gpole = -gt - pz[1] - pz[2]
    glo = pz[1]
    ghi = pz[2]
    if moved:
        glo += gpole * (1.0 + POLE_OFFSET)
        ghi -= gpole * POLE_OFFSET
    rg = _range_vjp(big_s, p1sq, p2sq, s1, s2, ga_big, gb_big, glo, ghi)
    gs += rg[0]
    gp1 += rg[1]
    gp2 = rg[2]
    gs1 += rg[3]
    gs2 = rg[4]
    dk = _kallen_grad(big_s, s1, s2)
    dp = _kallen_grad(big_s, p1sq, p2sq)
    gs += glk * dk[0] + glp * dp[0]
    gs1 += glk * dk[1]
    gs2 += glk * dk[2]
    gp1 += glp * dp[1]
    gp2 += glp * dp[2]
    gs += gm / (2.0 * m)
    # S = Q.Q, p1^2 = a.a, p2^2 = b.b, Q = a + b
    gq0 += 2.0 * gs * q0
    gq1 -= 2.0 * gs * q1
    gq2 -= 2.0 * gs * q2
    gq3 -= 2.0 * gs * q3
    return (
        ga0 + gq0 + 2.0 * gp1 * a0, ga1 + gq1 - 2.0 * gp1 * a1,
        ga2 + gq2 - 2.0 * gp1 * a2, ga3 + gq3 - 2.0 * gp1 * a3,
        gq0 + 2.0 * gp2 * b0, gq1 - 2.0 * gp2 * b1, gq2 - 2.0 * gp2 * b2, gq3 - 2.0 * gp2 * b3,
        gs1, gs2, pz[0], gzphi,
    )


@adjoint_of(fwd.t_channel_scattering)
def t_channel_scattering_vjp(i, p1, p2, s1, s2, z, m2, nu, gk1, gk2, gdensity, gp1, gp2, gs1, gs2, gz):
    """gp1, gp2 (n, 4), gs1, gs2 (n,), gz (n, 2) of <gk1, k1> + <gk2, k2> + <gdensity, g>."""
    r = t_channel_momentum_vjp(
        p1[i, 0], p1[i, 1], p1[i, 2], p1[i, 3], p2[i, 0], p2[i, 1], p2[i, 2], p2[i, 3],
        s1[i], s2[i], m2, nu, z[i, 0], z[i, 1],
        gk1[i, 0] - gk2[i, 0], gk1[i, 1] - gk2[i, 1], gk1[i, 2] - gk2[i, 2], gk1[i, 3] - gk2[i, 3],
        gdensity[i],
    )
    for c in range(4):
        gp1[i, c] = r[c] + gk2[i, c]
        gp2[i, c] = r[4 + c] + gk2[i, c]
    gs1[i] = r[8]
    gs2[i] = r[9]
    gz[i, 0] = r[10]
    gz[i, 1] = r[11]


@device
def t_channel_angles_vjp(a0, a1, a2, a3, b0, b1, b2, b3, k0, k1, k2, k3, m2, nu, gzt, gzphi, gdens):
    """Cotangents (ga0..ga3, gb0..gb3, gk0..gk3) of
    :func:`~numhep.kernels.t_channel.t_channel_angles` given those of (z_t, z_phi, g_2->2)."""
    q0, q1, q2, q3, big_s, m, p1sq, p2sq = collision_frame(a0, a1, a2, a3, b0, b1, b2, b3)
    s1, s2, t = outgoing_invariants(q0, q1, q2, q3, a0, a1, a2, a3, k0, k1, k2, k3)
    _, _, lo, hi = t_range(big_s, p1sq, p2sq, s1, s2)
    pole = t_pole(m2, lo, hi)
    moved = pole != -m2
    # d = Q - k and e = a - k carry the cotangents of s2 and t
    d0, d1, d2, d3 = q0 - k0, q1 - k1, q2 - k2, q3 - k3
    e0, e1, e2, e3 = a0 - k0, a1 - k1, a2 - k2, a3 - k3
    _, g = power_law_z(-t - pole, 0.0, nu, lo - pole, hi - pole)
    lam_p = kallen(big_s, p1sq, p2sq)
    root_p = math.sqrt(lam_p)
    # z_phi: atan2 of the transverse components about n in Q's rest frame
    nx, ny, nz, _ = rest_direction(a0, a1, a2, a3, q0, q1, q2, q3, m)
    _, x, y, z = boost_from_rest(k0, k1, k2, k3, q0, -q1, -q2, -q3, m)
    xr, yr, _ = rotate_from_z(x, y, z, nx, ny, nz, True)
    rho2 = xr * xr + yr * yr
    gphi = gzphi / (2.0 * math.pi)
    gxr = -gphi * yr / rho2 if rho2 > 0.0 else 0.0
    gyr = gphi * xr / rho2 if rho2 > 0.0 else 0.0
    rr = rotate_from_z_vjp(x, y, z, nx, ny, nz, True, gxr, gyr, 0.0)
    rk = boost_from_rest_vjp(k0, k1, k2, k3, q0, -q1, -q2, -q3, m, 0.0, rr[0], rr[1], rr[2])
    gk0, gk1, gk2, gk3 = rk[0], rk[1], rk[2], rk[3]
    gq0 = rk[4]
    gq1 = -rk[5]
    gq2 = -rk[6]
    gq3 = -rk[7]
    gm = rk[8]
    rn = rest_direction_vjp(a0, a1, a2, a3, q0, q1, q2, q3, m, rr[3], rr[4], rr[5])
    ga0, ga1, ga2, ga3 = rn[0], rn[1], rn[2], rn[3]
    gq0 += rn[4]
    gq1 += rn[5]
    gq2 += rn[6]
    gq3 += rn[7]
    gm += rn[8]
    # z_t and the density through the power-law inverse, its bounds and the pole
    pz = power_law_z_vjp(-t - pole, 0.0, nu, lo - pole, hi - pole, gzt, gdens * 2.0 / math.pi * root_p)
    glp = gdens * g / (math.pi * root_p)
    gt = -pz[0]
    gpole = -pz[0] - pz[1] - pz[2]
    glo = pz[1]
    ghi = pz[2]
    if moved:
        glo += gpole * (1.0 + POLE_OFFSET)
        ghi -= gpole * POLE_OFFSET
    rg = _range_vjp(big_s, p1sq, p2sq, s1, s2, 0.0, 0.0, glo, ghi)
    dp = _kallen_grad(big_s, p1sq, p2sq)
    gs = rg[0] + glp * dp[0] + gm / (2.0 * m)
    gp1 = rg[1] + glp * dp[1]
    gp2 = rg[2] + glp * dp[2]
    gs1 = rg[3]
    gs2 = rg[4]
    # t = e.e with e = a - k;  s1 = k.k;  s2 = d.d with d = Q - k;  S = Q.Q;  Q = a + b
    te = 2.0 * gt
    ds = 2.0 * gs2
    qs = 2.0 * gs
    gq0 += ds * d0 + qs * q0
    gq1 -= ds * d1 + qs * q1
    gq2 -= ds * d2 + qs * q2
    gq3 -= ds * d3 + qs * q3
    gk0 += -te * e0 + 2.0 * gs1 * k0 - ds * d0
    gk1 -= -te * e1 + 2.0 * gs1 * k1 - ds * d1
    gk2 -= -te * e2 + 2.0 * gs1 * k2 - ds * d2
    gk3 -= -te * e3 + 2.0 * gs1 * k3 - ds * d3
    return (
        ga0 + gq0 + te * e0 + 2.0 * gp1 * a0, ga1 + gq1 - te * e1 - 2.0 * gp1 * a1,
        ga2 + gq2 - te * e2 - 2.0 * gp1 * a2, ga3 + gq3 - te * e3 - 2.0 * gp1 * a3,
        gq0 + 2.0 * gp2 * b0, gq1 - 2.0 * gp2 * b1, gq2 - 2.0 * gp2 * b2, gq3 - 2.0 * gp2 * b3,
        gk0, gk1, gk2, gk3,
    )


@adjoint_of(fwd.t_channel_scattering_inverse)
def t_channel_scattering_inverse_vjp(i, p1, p2, k1, m2, nu, gz, gdensity, gp1, gp2, gk1):
    """gp1, gp2, gk1 (n, 4) of <gz, z> + <gdensity, g_2->2>."""
    r = t_channel_angles_vjp(
        p1[i, 0], p1[i, 1], p1[i, 2], p1[i, 3], p2[i, 0], p2[i, 1], p2[i, 2], p2[i, 3],
        k1[i, 0], k1[i, 1], k1[i, 2], k1[i, 3], m2, nu, gz[i, 0], gz[i, 1], gdensity[i],
    )
    for c in range(4):
        gp1[i, c] = r[c]
        gp2[i, c] = r[4 + c]
        gk1[i, c] = r[8 + c]
