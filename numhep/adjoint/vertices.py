"""VJPs of :mod:`numhep.kernels.vertices` (conventions in :mod:`numhep.adjoint.wavefunctions`).

The vertices are multilinear in their wavefunctions and couplings, so each cotangent
is the same contraction with one operand replaced by the output's cotangent g.  With
M(V) = V0 - V.sigma and Mbar(V) = V0 + V.sigma:
    sum_mu g_mu sigmabar^mu = M(g),   sum_mu g_mu sigma^mu = Mbar(g)   (plain components),
and eta(z) = (z0, -z1, -z2, -z3) lowers an index.  VVV also returns the complex
sums for its two input momenta (callers take 2 Re), as do the two currents of the effective
vertex VVS_EFF.
"""

from numhep.adjoint.propagators import sandwich
from numhep.kernels._target import device
from numhep.kernels.vertices import dot, sigma_blocks

#: the helicity algebra is compiled with fast math (numhep.kernels._target)
FAST_MATH = True


@device
def ffv_vector_vjp(a1, a2, a3, a4, b1, b2, b3, b4, cl, cr, g0, g1, g2, g3):
    """L = cl a_R^T M(g) b_L + cr a_L^T Mbar(g) b_R: (da..., db..., dcl, dcr)."""
    m11, m12, m21, m22, n11, n12, n21, n22 = sigma_blocks(g0, g1, g2, g3)
    mb1 = m11 * b1 + m12 * b2  # M(g) b_L
    mb2 = m21 * b1 + m22 * b2
    nb1 = n11 * b3 + n12 * b4  # Mbar(g) b_R
    nb2 = n21 * b3 + n22 * b4
    am1 = a3 * m11 + a4 * m21  # a_R^T M(g)
    am2 = a3 * m12 + a4 * m22
    an1 = a1 * n11 + a2 * n21  # a_L^T Mbar(g)
    an2 = a1 * n12 + a2 * n22
    return (
        cr * nb1, cr * nb2, cl * mb1, cl * mb2,
        cl * am1, cl * am2, cr * an1, cr * an2,
        a3 * mb1 + a4 * mb2, a1 * nb1 + a2 * nb2,
    )


@device
def ffv_psibar_vjp(a1, a2, a3, a4, v0, v1, v2, v3, cl, cr, g1, g2, g3, g4):
    """out = (cl a_R Mbar(V), cr a_L M(V)): (da..., dV..., dcl, dcr)."""
    m11, m12, m21, m22, n11, n12, n21, n22 = sigma_blocks(v0, v1, v2, v3)
    s0, s1, s2, s3 = sandwich(a3, a4, g1, g2)  # S(a_R, gL)
    t0, t1, t2, t3 = sandwich(a1, a2, g3, g4)  # S(a_L, gR) -> Sbar
    return (
        cr * (m11 * g3 + m12 * g4), cr * (m21 * g3 + m22 * g4),
        cl * (n11 * g1 + n12 * g2), cl * (n21 * g1 + n22 * g2),
        cl * s0 + cr * t0, cl * s1 - cr * t1, cl * s2 - cr * t2, cl * s3 - cr * t3,
        a3 * (n11 * g1 + n12 * g2) + a4 * (n21 * g1 + n22 * g2),
        a1 * (m11 * g3 + m12 * g4) + a2 * (m21 * g3 + m22 * g4),
    )


@device
def ffv_psi_vjp(v0, v1, v2, v3, b1, b2, b3, b4, cl, cr, g1, g2, g3, g4):
    """out = (cr M(V) b_R, cl Mbar(V) b_L): (dV..., db..., dcl, dcr)."""
    m11, m12, m21, m22, n11, n12, n21, n22 = sigma_blocks(v0, v1, v2, v3)
    s0, s1, s2, s3 = sandwich(g1, g2, b3, b4)  # S(gL, b_R) -> Sbar
    t0, t1, t2, t3 = sandwich(g3, g4, b1, b2)  # S(gR, b_L)
    return (
        cr * s0 + cl * t0, -cr * s1 + cl * t1, -cr * s2 + cl * t2, -cr * s3 + cl * t3,
        cl * (n11 * g3 + n21 * g4), cl * (n12 * g3 + n22 * g4),
        cr * (m11 * g1 + m21 * g2), cr * (m12 * g1 + m22 * g2),
        g3 * (n11 * b1 + n12 * b2) + g4 * (n21 * b1 + n22 * b2),
        g1 * (m11 * b3 + m12 * b4) + g2 * (m21 * b3 + m22 * b4),
    )


@device
def ffs_scalar_vjp(a1, a2, a3, a4, b1, b2, b3, b4, cl, cr, g):
    return (
        cl * g * b1, cl * g * b2, cr * g * b3, cr * g * b4,
        cl * g * a1, cl * g * a2, cr * g * a3, cr * g * a4,
        g * (a1 * b1 + a2 * b2), g * (a3 * b3 + a4 * b4),
    )


@device
def ffs_spinor_vjp(a1, a2, a3, a4, s, cl, cr, g1, g2, g3, g4):
    """out = (cl s a_L, cr s a_R) (psibar or psi alike): (da..., ds, dcl, dcr)."""
    gl = a1 * g1 + a2 * g2
    gr = a3 * g3 + a4 * g4
    return cl * s * g1, cl * s * g2, cr * s * g3, cr * s * g4, cl * gl + cr * gr, s * gl, s * gr


@device
def vvv_vector_vjp(x0, x1, x2, x3, y0, y1, y2, y3, p0, p1, p2, p3, q0, q1, q2, q3, c, g0, g1, g2, g3):
    """v = c[(x.y)(p - q) + y (x.a) - x (y.b)], a = p + 2q, b = 2p + q:
    (dx..., dy..., dp..., dq..., dc)."""
    xy = dot(x0, x1, x2, x3, y0, y1, y2, y3)
    xa = dot(x0, x1, x2, x3, p0 + 2.0 * q0, p1 + 2.0 * q1, p2 + 2.0 * q2, p3 + 2.0 * q3)
    yb = dot(y0, y1, y2, y3, 2.0 * p0 + q0, 2.0 * p1 + q1, 2.0 * p2 + q2, 2.0 * p3 + q3)
    big_p = g0 * (p0 - q0) + g1 * (p1 - q1) + g2 * (p2 - q2) + g3 * (p3 - q3)
    big_y = g0 * y0 + g1 * y1 + g2 * y2 + g3 * y3
    big_x = g0 * x0 + g1 * x1 + g2 * x2 + g3 * x3
    return (
        c * (y0 * big_p + (p0 + 2.0 * q0) * big_y - g0 * yb),
        c * (-y1 * big_p - (p1 + 2.0 * q1) * big_y - g1 * yb),
        c * (-y2 * big_p - (p2 + 2.0 * q2) * big_y - g2 * yb),
        c * (-y3 * big_p - (p3 + 2.0 * q3) * big_y - g3 * yb),
        c * (x0 * big_p + g0 * xa - (2.0 * p0 + q0) * big_x),
        c * (-x1 * big_p + g1 * xa + (2.0 * p1 + q1) * big_x),
        c * (-x2 * big_p + g2 * xa + (2.0 * p2 + q2) * big_x),
        c * (-x3 * big_p + g3 * xa + (2.0 * p3 + q3) * big_x),
        c * (xy * g0 + big_y * x0 - 2.0 * big_x * y0),
        c * (xy * g1 - big_y * x1 + 2.0 * big_x * y1),
        c * (xy * g2 - big_y * x2 + 2.0 * big_x * y2),
        c * (xy * g3 - big_y * x3 + 2.0 * big_x * y3),
        c * (-xy * g0 + 2.0 * big_y * x0 - big_x * y0),
        c * (-xy * g1 - 2.0 * big_y * x1 + big_x * y1),
        c * (-xy * g2 - 2.0 * big_y * x2 + big_x * y2),
        c * (-xy * g3 - 2.0 * big_y * x3 + big_x * y3),
        xy * big_p + xa * big_y - yb * big_x,
    )


@device
def vvvv_vector_vjp(x0, x1, x2, x3, y0, y1, y2, y3, z0, z1, z2, z3, c1, c2, c3, g0, g1, g2, g3):
    """v = c1 (x.y) z + c2 (x.z) y + c3 (y.z) x: (dx..., dy..., dz..., dc1, dc2, dc3)."""
    xy = dot(x0, x1, x2, x3, y0, y1, y2, y3)
    xz = dot(x0, x1, x2, x3, z0, z1, z2, z3)
    yz = dot(y0, y1, y2, y3, z0, z1, z2, z3)
    gx = g0 * x0 + g1 * x1 + g2 * x2 + g3 * x3
    gy = g0 * y0 + g1 * y1 + g2 * y2 + g3 * y3
    gz = g0 * z0 + g1 * z1 + g2 * z2 + g3 * z3
    return (
        c1 * gz * y0 + c2 * gy * z0 + c3 * yz * g0,
        -c1 * gz * y1 - c2 * gy * z1 + c3 * yz * g1,
        -c1 * gz * y2 - c2 * gy * z2 + c3 * yz * g2,
        -c1 * gz * y3 - c2 * gy * z3 + c3 * yz * g3,
        c1 * gz * x0 + c2 * xz * g0 + c3 * gx * z0,
        -c1 * gz * x1 + c2 * xz * g1 - c3 * gx * z1,
        -c1 * gz * x2 + c2 * xz * g2 - c3 * gx * z2,
        -c1 * gz * x3 + c2 * xz * g3 - c3 * gx * z3,
        c1 * xy * g0 + c2 * gy * x0 + c3 * gx * y0,
        c1 * xy * g1 - c2 * gy * x1 - c3 * gx * y1,
        c1 * xy * g2 - c2 * gy * x2 - c3 * gx * y2,
        c1 * xy * g3 - c2 * gy * x3 - c3 * gx * y3,
        xy * gz, xz * gy, yz * gx,
    )


@device
def vvs_eff_scalar_vjp(x0, x1, x2, x3, y0, y1, y2, y3, p0, p1, p2, p3, q0, q1, q2, q3, c, g):
    """s = c [(x.q)(y.p) - (p.q)(x.y)]: (dx..., dy..., dp..., dq..., dc) for the cotangent g,
    each d(a.b)/da = eta(b)."""
    xq = dot(x0, x1, x2, x3, q0, q1, q2, q3)
    yp = dot(y0, y1, y2, y3, p0, p1, p2, p3)
    pq = dot(p0, p1, p2, p3, q0, q1, q2, q3)
    xy = dot(x0, x1, x2, x3, y0, y1, y2, y3)
    f = c * g
    return (
        f * (q0 * yp - pq * y0), -f * (q1 * yp - pq * y1), -f * (q2 * yp - pq * y2), -f * (q3 * yp - pq * y3),
        f * (p0 * xq - pq * x0), -f * (p1 * xq - pq * x1), -f * (p2 * xq - pq * x2), -f * (p3 * xq - pq * x3),
        f * (y0 * xq - q0 * xy), -f * (y1 * xq - q1 * xy), -f * (y2 * xq - q2 * xy), -f * (y3 * xq - q3 * xy),
        f * (x0 * yp - p0 * xy), -f * (x1 * yp - p1 * xy), -f * (x2 * yp - p2 * xy), -f * (x3 * yp - p3 * xy),
        g * (xq * yp - pq * xy),
    )


@device
def vvs_eff_vector_vjp(y0, y1, y2, y3, q0, q1, q2, q3, s, r0, r1, r2, r3, c, g0, g1, g2, g3):
    """v = c s [(q.k) y - (k.y) q], k = q + r: (dy..., dq..., ds, dr..., dc) for the
    cotangent g, with G.a = sum_mu g_mu a_mu (no metric)."""
    k0, k1, k2, k3 = q0 + r0, q1 + r1, q2 + r2, q3 + r3
    qk = dot(q0, q1, q2, q3, k0, k1, k2, k3)
    ky = dot(k0, k1, k2, k3, y0, y1, y2, y3)
    gy = g0 * y0 + g1 * y1 + g2 * y2 + g3 * y3
    gq = g0 * q0 + g1 * q1 + g2 * q2 + g3 * q3
    bracket = qk * gy - ky * gq
    f = c * s
    return (
        f * (qk * g0 - k0 * gq), f * (qk * g1 + k1 * gq), f * (qk * g2 + k2 * gq), f * (qk * g3 + k3 * gq),
        # d(q.k)/dq = eta(k + q), d(k.y)/dq = eta(y), d(G.q)/dq = g
        f * ((k0 + q0) * gy - y0 * gq - ky * g0), f * (-(k1 + q1) * gy + y1 * gq - ky * g1),
        f * (-(k2 + q2) * gy + y2 * gq - ky * g2), f * (-(k3 + q3) * gy + y3 * gq - ky * g3),
        c * bracket,
        f * (q0 * gy - y0 * gq), f * (-q1 * gy + y1 * gq), f * (-q2 * gy + y2 * gq), f * (-q3 * gy + y3 * gq),
        s * bracket,
    )
