"""VJP of :mod:`numhep.kernels.rambo_on_diet`: d(momenta)/du and d(weight)/du.

The forward is recomputed into ``scratch`` (n, legs, 9): per step j the frame
Q_j, M_j, K_j, x_j, and the accumulators gM_j, gK_j.  The reverse sweep then
walks the steps backwards:
  Q_{j+1} = Q_j - p_j                 -> gQ_j += gQ_{j+1},  gp_j -= gQ_{j+1}
  p_j = B(Q_j, M_j) p*_j(rest)        -> VJP of the rest-frame boost
  p*_j(rest) from |p*|, cos(theta) = 2u - 1, phi = 2 pi u'
  |p*| = sqrt(lambda(M_j^2, M_{j+1}^2, m_j^2))/(2 M_j)
and finally the mass chain K_{j+1} = sqrt(x_j) K_j, M_j = K_j + sum_{l>=j} m_l,
x_j(u_j) with dx/du = 1/(k (k+1) x^(k-1) (1-x)).  ln w is differentiated term
by term alongside (cotangent gl = gweight * w).  Also returns d/d sqrt(s) and, per event,
d/d(each final-state mass) at fixed u: the masses enter through E = sqrt(|p*|^2 + m_j^2),
|p*|(M_j, m_j, M_{j+1}), M_{j+1} = K_{j+1} + sum_{l>j} m_l, M_{n-1} = m_{n-1} and
K_0 = sqrt s - sum_l m_l.
"""

import math

from numhep.adjoint.lorentz import boost_from_rest_vjp
from numhep.kernels import rambo_on_diet as fwd
from numhep.kernels._target import adjoint_of, device
from numhep.kernels.lorentz import boost_from_rest
from numhep.kernels.rambo_on_diet import mass_jacobian, next_mass, rest_frame_momentum, two_body_momentum


@device
def two_body_momentum_vjp(m, m1, m2, g):
    """(d|p*|/dm, d|p*|/dm1, d|p*|/dm2) * g for |p*| = sqrt(lambda)/(2 m), with
    lambda = a b, a = m^2 - (m1 + m2)^2, b = m^2 - (m1 - m2)^2."""
    a = m * m - (m1 + m2) ** 2
    b = m * m - (m1 - m2) ** 2
    lam = a * b
    sl = math.sqrt(lam)
    ps = sl / (2.0 * m)
    dl_dm = 2.0 * m * (a + b)
    dl_dm1 = -2.0 * (m1 + m2) * b - 2.0 * (m1 - m2) * a
    dl_dm2 = -2.0 * (m1 + m2) * b + 2.0 * (m1 - m2) * a
    c = g / (4.0 * m * sl)
    return g * (dl_dm / (4.0 * m * sl) - ps / m), c * dl_dm1, c * dl_dm2


@device(inline=True)
def store_frame(scratch, i, j, q0, qx, qy, qz, mj, kj):
    """Keep step j's frame Q_j, M_j, K_j for the reverse sweep."""
    scratch[i, j, 0] = q0
    scratch[i, j, 1] = qx
    scratch[i, j, 2] = qy
    scratch[i, j, 3] = qz
    scratch[i, j, 4] = mj
    scratch[i, j, 5] = kj


@adjoint_of(fwd.rambo_on_diet)
def rambo_on_diet_vjp(i, u, sqrt_s, masses, gp, gweight, scratch, gu, gsqrt_s, gmasses):
    n = masses.shape[0]
    w = sqrt_s[i]
    msum = 0.0
    for j in range(n):
        msum += masses[j]
    # forward recomputation
    q0, qx, qy, qz = w, 0.0, 0.0, 0.0
    mj = w
    kj = w - msum
    ms = msum - masses[0]
    logw = 0.0
    for j in range(n - 1):
        store_frame(scratch, i, j, q0, qx, qy, qz, mj, kj)
        scratch[i, j, 7] = 0.0
        scratch[i, j, 8] = 0.0
        mn, kn, x, fj = next_mass(u, i, j, kj, ms, masses)
        scratch[i, j, 6] = x
        ps = two_body_momentum(mj, masses[j], mn)
        logw += math.log(fj * ps / (4.0 * math.pi * mj))
        e, bx, by, bz, _, _, _, _ = rest_frame_momentum(ps, masses[j], u[i, n - 2 + 2 * j], u[i, n - 1 + 2 * j])
        a0, a1, a2, a3 = boost_from_rest(e, bx, by, bz, q0, qx, qy, qz, mj)
        q0 -= a0
        qx -= a1
        qy -= a2
        qz -= a3
        mj = mn
        kj = kn
        ms -= masses[j + 1]
    scratch[i, n - 1, 4] = masses[n - 1]
    scratch[i, n - 1, 5] = 0.0
    scratch[i, n - 1, 7] = 0.0
    scratch[i, n - 1, 8] = 0.0
    gl = gweight[i] * math.exp(logw)
    for j in range(n - 2):
        gu[i, j] = 0.0
    for j in range(n):
        gmasses[i, j] = 0.0
    # reverse sweep over the decay steps
    g0, g1, g2, g3 = gp[i, n - 1, 0], gp[i, n - 1, 1], gp[i, n - 1, 2], gp[i, n - 1, 3]
    for j in range(n - 2, -1, -1):
        q0, qx, qy, qz = scratch[i, j, 0], scratch[i, j, 1], scratch[i, j, 2], scratch[i, j, 3]
        mj = scratch[i, j, 4]
        mn = scratch[i, j + 1, 4]
        ps = two_body_momentum(mj, masses[j], mn)
        e, bx, by, bz, c, s, cp, sp = rest_frame_momentum(ps, masses[j], u[i, n - 2 + 2 * j], u[i, n - 1 + 2 * j])
        v = boost_from_rest_vjp(
            e, bx, by, bz, q0, qx, qy, qz, mj,
            gp[i, j, 0] - g0, gp[i, j, 1] - g1, gp[i, j, 2] - g2, gp[i, j, 3] - g3,
        )
        gps = v[0] * ps / e + v[1] * s * cp + v[2] * s * sp + v[3] * c + gl / ps
        gc = ps * (-(v[1] * cp + v[2] * sp) * c / s + v[3])
        gphi = ps * s * (-v[1] * sp + v[2] * cp)
        gu[i, n - 2 + 2 * j] = 2.0 * gc
        gu[i, n - 1 + 2 * j] = 2.0 * math.pi * gphi
        dm, dmn, dmj = two_body_momentum_vjp(mj, mn, masses[j], gps)
        scratch[i, j, 7] += v[8] + dm - gl / mj
        scratch[i, j + 1, 7] += dmn
        gmasses[i, j] += dmj + v[0] * masses[j] / e
        g0 += v[4]
        g1 += v[5]
        g2 += v[6]
        g3 += v[7]
    # g now holds the cotangent of Q_0 = (sqrt s, 0, 0, 0)
    gw = g0
    # mass chain, from the innermost step outwards
    for j in range(n - 3, -1, -1):
        k = n - j - 2
        x = scratch[i, j, 6]
        kp = scratch[i, j, 5]
        kn = scratch[i, j + 1, 5]
        mn = scratch[i, j + 1, 4]
        # ln w term of this mass step
        scratch[i, j + 1, 7] += gl / mn
        # M_{j+1} = K_{j+1} + sum_{l>j} m_l
        for l in range(j + 1, n):
            gmasses[i, l] += scratch[i, j + 1, 7]
        gkn = scratch[i, j + 1, 8] + scratch[i, j + 1, 7] - gl / kn
        scratch[i, j, 8] += 2.0 * gl / kp + gkn * math.sqrt(x)
        gx = gl * (-(k - 1.0) / x + 1.0 / (1.0 - x)) + gkn * kp / (2.0 * math.sqrt(x))
        gu[i, j] = gx / (k * (k + 1.0) * x ** (k - 1) * (1.0 - x))
    # M_{n-1} = m_{n-1}; K_0 = sqrt s - sum m and M_0 = sqrt s
    gmasses[i, n - 1] += scratch[i, n - 1, 7]
    for l in range(n):
        gmasses[i, l] -= scratch[i, 0, 8]
    gsqrt_s[i] = gw + scratch[i, 0, 7] + scratch[i, 0, 8]


@adjoint_of(fwd.rambo_on_diet_inverse)
def rambo_on_diet_inverse_vjp(i, p, masses, gu, gweight, scratch, gp):
    """d<gu, u(p)> + gweight w(p) / dp for the inverse map; scratch (n, legs, 13).

    The inverse reads Q_j = sum_{l>=j} p_l, M_j = sqrt(Q_j^2), K_j = M_j - sum_{l>=j} m_l,
    x_j = (K_{j+1}/K_j)^2 -> u_j, and the angles of p_j in the rest frame of Q_j:
    cos(theta) = b_z/|b| (d/db = e_z/|b| - b_z b/|b|^3), phi = atan2(b_y, b_x).
    Cotangents of every Q_j are gathered first and then distributed to the
    momenta that make it up (a prefix sum).
    """
    n = masses.shape[0]
    na = n - 2  # first angle slot
    msum = 0.0
    for j in range(n):
        msum += masses[j]
    # forward recomputation: Q_j, M_j, K_j, x_j and ln w
    q0 = 0.0
    qx = 0.0
    qy = 0.0
    qz = 0.0
    for j in range(n):
        q0 += p[i, j, 0]
        qx += p[i, j, 1]
        qy += p[i, j, 2]
        qz += p[i, j, 3]
    mj = math.sqrt(q0 * q0 - qx * qx - qy * qy - qz * qz)
    kj = mj - msum
    ms = msum - masses[0]
    logw = 0.0
    for j in range(n - 1):
        store_frame(scratch, i, j, q0, qx, qy, qz, mj, kj)
        for c in range(7, 13):
            scratch[i, j, c] = 0.0
        rx = q0 - p[i, j, 0]
        ry = qx - p[i, j, 1]
        rz = qy - p[i, j, 2]
        rw = qz - p[i, j, 3]
        if j < n - 2:
            k = n - j - 2
            mn = math.sqrt(max(rx * rx - ry * ry - rz * rz - rw * rw, 0.0))
            kn = mn - ms
            x = (kn / kj) ** 2
            scratch[i, j, 6] = x
            logw += math.log(mass_jacobian(mn, kj, kn, x, k))
        else:
            kn = 0.0
            mn = masses[n - 1]
        logw += math.log(two_body_momentum(mj, masses[j], mn) / (4.0 * math.pi * mj))
        q0, qx, qy, qz = rx, ry, rz, rw
        mj = mn
        kj = kn
        ms -= masses[j + 1]
    scratch[i, n - 1, 4] = masses[n - 1]
    scratch[i, n - 1, 5] = 0.0
    gl = gweight[i] * math.exp(logw)
    for j in range(n):
        for a in range(4):
            gp[i, j, a] = 0.0
    # reverse: angles, two-body momenta and mass steps of every decay
    for j in range(n - 1):
        q0, qx, qy, qz = scratch[i, j, 0], scratch[i, j, 1], scratch[i, j, 2], scratch[i, j, 3]
        mj = scratch[i, j, 4]
        mn = scratch[i, j + 1, 4]
        b0, b1, b2, b3 = boost_from_rest(p[i, j, 0], p[i, j, 1], p[i, j, 2], p[i, j, 3], q0, -qx, -qy, -qz, mj)
        r2 = b1 * b1 + b2 * b2 + b3 * b3
        r = math.sqrt(r2)
        c = b3 / r
        gc = 0.5 * gu[i, na + 2 * j]
        gphi = gu[i, na + 2 * j + 1] / (2.0 * math.pi)
        rho2 = b1 * b1 + b2 * b2
        gb1 = -gc * c * b1 / r2 - gphi * b2 / rho2
        gb2 = -gc * c * b2 / r2 + gphi * b1 / rho2
        gb3 = gc * (1.0 / r - c * b3 / r2)
        v = boost_from_rest_vjp(
            p[i, j, 0], p[i, j, 1], p[i, j, 2], p[i, j, 3], q0, -qx, -qy, -qz, mj, 0.0, gb1, gb2, gb3
        )
        for a in range(4):
            gp[i, j, a] += v[a]
        scratch[i, j, 9] += v[4]
        scratch[i, j, 10] -= v[5]
        scratch[i, j, 11] -= v[6]
        scratch[i, j, 12] -= v[7]
        ps = two_body_momentum(mj, masses[j], mn)
        dm, dmn, _ = two_body_momentum_vjp(mj, mn, masses[j], gl / ps)
        scratch[i, j, 7] += v[8] + dm - gl / mj
        if j < n - 2:
            scratch[i, j + 1, 7] += dmn
            k = n - j - 2
            x = scratch[i, j, 6]
            kp = scratch[i, j, 5]
            kn = scratch[i, j + 1, 5]
            scratch[i, j + 1, 7] += gl / mn
            scratch[i, j, 8] += 2.0 * gl / kp
            scratch[i, j + 1, 8] -= gl / kn
            gx = gl * (-(k - 1.0) / x + 1.0 / (1.0 - x)) + gu[i, j] * k * (k + 1.0) * x ** (k - 1) * (1.0 - x)
            scratch[i, j + 1, 8] += gx * 2.0 * kn / (kp * kp)
            scratch[i, j, 8] -= gx * 2.0 * kn * kn / (kp * kp * kp)
    # K_j = M_j - const, M_j = sqrt(Q_j^2): gather into gQ_j, then Q_j = sum_{l>=j} p_l
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    g3 = 0.0
    for j in range(n):
        if j < n - 1:
            mj = scratch[i, j, 4]
            gm = (scratch[i, j, 7] + scratch[i, j, 8]) / mj
            g0 += scratch[i, j, 9] + gm * scratch[i, j, 0]
            g1 += scratch[i, j, 10] - gm * scratch[i, j, 1]
            g2 += scratch[i, j, 11] - gm * scratch[i, j, 2]
            g3 += scratch[i, j, 12] - gm * scratch[i, j, 3]
        gp[i, j, 0] += g0
        gp[i, j, 1] += g1
        gp[i, j, 2] += g2
        gp[i, j, 3] += g3
