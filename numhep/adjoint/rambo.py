"""VJP of :mod:`numhep.kernels.rambo` with respect to its uniforms and sqrt(s).

Reverse sweep, per event (the forward is recomputed into ``scratch``):
  massive stage: k_j = (E_j, xi q_j), E_j = sqrt(m_j^2 + xi^2 q0_j^2), xi fixed by
    F = sum_j E_j - sqrt(s) = 0, so by the implicit-function theorem
    dxi/dq0_j = -(dE_j/dq0_j)/sum dE/dxi and dxi/dsqrt(s) = 1/sum dE/dxi;
    ln w adds (2n-3) ln xi + sum ln(xi q0_j/E_j) + ln sqrt(s) - ln sum(xi^2 q0_j^2/E_j).
  massless stage: q_j(lab) = x B(Q) q_j with x = sqrt(s)/M, through the VJP of the
    rest-frame boost, M = sqrt(Q^2), Q = sum q_j, back to the uniforms.
Masses are constants (not differentiated).
"""

import math

from numhep.adjoint.lorentz import boost_from_rest_vjp
from numhep.kernels import rambo as fwd
from numhep.kernels._target import adjoint_of
from numhep.kernels.lorentz import boost_from_rest
from numhep.kernels.rambo import isotropic, isotropic_vectors, log_massless_volume, solve_xi


@adjoint_of(fwd.rambo)
def rambo_vjp(i, r, sqrt_s, masses, gp, gweight, scratch, gr, gsqrt_s):
    """gr[i] = d<gp, p> + gweight w / dr, gsqrt_s[i] likewise; scratch (n, nout, 4)."""
    nout = r.shape[1]
    w = sqrt_s[i]
    q0s, qxs, qys, qzs, m = isotropic_vectors(i, r, w, scratch)
    logw = log_massless_volume(nout, w)
    gw_total = 0.0  # cotangent of sqrt(s) accumulated
    massive = False
    for j in range(nout):
        if masses[j] != 0.0:
            massive = True
    # cotangents of the massless lab momenta go into gr[i, j, :] temporarily
    if massive:
        xi = solve_xi(i, masses, w, scratch)
        prod = 0.0
        s3 = 0.0
        sde = 0.0
        for j in range(nout):
            q0 = scratch[i, j, 0]
            k = xi * q0
            e = math.sqrt(masses[j] ** 2 + k * k)
            prod += math.log(k / e)
            s3 += k * k / e
            sde += xi * q0 * q0 / e
        logw += (2.0 * nout - 3.0) * math.log(xi) + prod + math.log(w / s3)
        gl = gweight[i] * math.exp(logw)
        # dL/dxi with E_j(xi): d ln(k/E)/dxi = 1/xi - xi q0^2/E^2 ;
        # d s3/dxi = sum(2 xi q0^2/E - xi^3 q0^4/E^3)
        dl_dxi = (2.0 * nout - 3.0) / xi
        ds3_dxi = 0.0
        gxi = 0.0
        for j in range(nout):
            q0 = scratch[i, j, 0]
            e = math.sqrt(masses[j] ** 2 + (xi * q0) ** 2)
            dl_dxi += 1.0 / xi - xi * q0 * q0 / (e * e)
            ds3_dxi += 2.0 * xi * q0 * q0 / e - xi**3 * q0**4 / e**3
            gxi += gp[i, j, 0] * xi * q0 * q0 / e
            gxi += gp[i, j, 1] * scratch[i, j, 1] + gp[i, j, 2] * scratch[i, j, 2] + gp[i, j, 3] * scratch[i, j, 3]
        dl_dxi -= ds3_dxi / s3
        gxi += gl * dl_dxi
        gw_total += gl / w + gxi / sde
        for j in range(nout):
            q0 = scratch[i, j, 0]
            e = math.sqrt(masses[j] ** 2 + (xi * q0) ** 2)
            de_dq0 = xi * xi * q0 / e
            ds3_dq0 = 2.0 * xi * xi * q0 / e - xi**4 * q0**3 / e**3
            dl_dq0 = 1.0 / q0 - de_dq0 / e - ds3_dq0 / s3
            gq0 = gp[i, j, 0] * de_dq0 + gl * dl_dq0 - gxi * de_dq0 / sde
            gr[i, j, 0] = gq0
            gr[i, j, 1] = xi * gp[i, j, 1]
            gr[i, j, 2] = xi * gp[i, j, 2]
            gr[i, j, 3] = xi * gp[i, j, 3]
    else:
        gl = gweight[i] * math.exp(logw)
        for j in range(nout):
            for a in range(4):
                gr[i, j, a] = gp[i, j, a]
    # ln w0 = (2n - 4) ln sqrt(s) + const
    gw_total += gl * (2.0 * nout - 4.0) / w
    # massless stage: lab_j = x * B(Q') q_j, Q' = (Q0, -Q), x = w / m
    x = w / m
    gx = 0.0
    gq0s = 0.0
    gqxs = 0.0
    gqys = 0.0
    gqzs = 0.0
    gm = 0.0
    # recompute the isotropic (pre-boost) vectors; scratch holds the lab ones
    for j in range(nout):
        e, c, s, cp, sp = isotropic(r, i, j)
        b0, b1, b2, b3 = boost_from_rest(e, e * s * cp, e * s * sp, e * c, q0s, -qxs, -qys, -qzs, m)
        g0, g1, g2, g3 = gr[i, j, 0], gr[i, j, 1], gr[i, j, 2], gr[i, j, 3]
        gx += g0 * b0 + g1 * b1 + g2 * b2 + g3 * b3
        v = boost_from_rest_vjp(
            e, e * s * cp, e * s * sp, e * c, q0s, -qxs, -qys, -qzs, m, x * g0, x * g1, x * g2, x * g3
        )
        gq0s += v[4]
        gqxs -= v[5]
        gqys -= v[6]
        gqzs -= v[7]
        gm += v[8]
        # keep the direct cotangent of q_j (before the Q = sum q contribution)
        gr[i, j, 0] = v[0]
        gr[i, j, 1] = v[1]
        gr[i, j, 2] = v[2]
        gr[i, j, 3] = v[3]
    gw_total += gx / m
    gm -= gx * w / (m * m)
    gq0s += gm * q0s / m
    gqxs -= gm * qxs / m
    gqys -= gm * qys / m
    gqzs -= gm * qzs / m
    for j in range(nout):
        e, c, s, cp, sp = isotropic(r, i, j)
        g0 = gr[i, j, 0] + gq0s
        g1 = gr[i, j, 1] + gqxs
        g2 = gr[i, j, 2] + gqys
        g3 = gr[i, j, 3] + gqzs
        ge = g0 + g1 * s * cp + g2 * s * sp + g3 * c
        gc = e * (-(g1 * cp + g2 * sp) * c / s + g3)
        gphi = e * s * (-g1 * sp + g2 * cp)
        gr[i, j, 0] = 2.0 * gc
        gr[i, j, 1] = 2.0 * math.pi * gphi
        gr[i, j, 2] = -ge / r[i, j, 2]
        gr[i, j, 3] = -ge / r[i, j, 3]
    gsqrt_s[i] = gw_total
