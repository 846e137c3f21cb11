"""Colour-stripped vertex currents and amplitudes (before propagators).

All momenta are outgoing from the vertex; couplings include the factor i of the
Feynman rule; vectors are contravariant, contracted with g = diag(1, -1, -1, -1).
    FFV  psibar (cL gamma^mu P_L + cR gamma^mu P_R) psi V_mu
    FFS  psibar (cL P_L + cR P_R) psi S
    VVV  c [g12 (k1 - k2)_3 + g23 (k2 - k3)_1 + g31 (k3 - k1)_2]
    VVVV c [x1 g12 g34 + x2 g13 g24 + x3 g14 g23]        (x's folded into c1, c2, c3)
    VVS  c g12 S,   VVSS c g12 S S,   SSS c,   SSSS c   (the scalar ones are written out
    in :mod:`numhep.kernels.amplitude_tape`)
    VVS_EFF  c [k2^mu1 k1^mu2 - (k1.k2) g^mu1mu2] S  (S F_munu F^munu, e.g. the effective
    gluon-gluon-Higgs vertex of the heavy-top limit; both field strengths transverse).
A current leaves out one leg (the last), an amplitude contracts all of them.
With P_L = diag(1,1,0,0): psibar gamma^mu P_L psi = psibar_R sigmabar^mu psi_L and
gamma.V = [[0, M], [Mbar, 0]], M = V0 - V.sigma, Mbar = V0 + V.sigma.
Adjoint: :mod:`numhep.adjoint.vertices`.
"""

from numhep.kernels._target import device

#: the helicity algebra is compiled with fast math (numhep.kernels._target)
FAST_MATH = True


@device(inline=True)
def dot(a0, a1, a2, a3, b0, b1, b2, b3):
    return a0 * b0 - a1 * b1 - a2 * b2 - a3 * b3


@device(inline=True)
def sigma_blocks(v0, v1, v2, v3):
    """The blocks of gamma.V = [[0, M], [Mbar, 0]]: M = V0 - V.sigma and Mbar = V0 + V.sigma,
    as (m11, m12, m21, m22, n11, n12, n21, n22)."""
    return (
        v0 - v3, -(v1 - 1j * v2), -(v1 + 1j * v2), v0 + v3,
        v0 + v3, v1 - 1j * v2, v1 + 1j * v2, v0 - v3,
    )


@device
def ffv_vector(a1, a2, a3, a4, b1, b2, b3, b4, cl, cr):
    """v^mu = cL psibar_R sigmabar^mu psi_L + cR psibar_L sigma^mu psi_R."""
    # sigma sandwich S^mu(r, c) = (r1c1 + r2c2, r1c2 + r2c1, i(r2c1 - r1c2), r1c1 - r2c2)
    l0 = a3 * b1 + a4 * b2
    l1 = a3 * b2 + a4 * b1
    l2 = 1j * (a4 * b1 - a3 * b2)
    l3 = a3 * b1 - a4 * b2
    r0 = a1 * b3 + a2 * b4
    r1 = a1 * b4 + a2 * b3
    r2 = 1j * (a2 * b3 - a1 * b4)
    r3 = a1 * b3 - a2 * b4
    return cl * l0 + cr * r0, -cl * l1 + cr * r1, -cl * l2 + cr * r2, -cl * l3 + cr * r3


@device
def ffv_psibar(a1, a2, a3, a4, v0, v1, v2, v3, cl, cr):
    """psibar (cL gamma.V P_L + cR gamma.V P_R) = (cL psibar_R Mbar, cR psibar_L M)."""
    m11, m12, m21, m22, n11, n12, n21, n22 = sigma_blocks(v0, v1, v2, v3)
    return (
        cl * (a3 * n11 + a4 * n21),
        cl * (a3 * n12 + a4 * n22),
        cr * (a1 * m11 + a2 * m21),
        cr * (a1 * m12 + a2 * m22),
    )


@device
def ffv_psi(v0, v1, v2, v3, b1, b2, b3, b4, cl, cr):
    """(cL gamma.V P_L + cR gamma.V P_R) psi = (cR M psi_R, cL Mbar psi_L)."""
    m11, m12, m21, m22, n11, n12, n21, n22 = sigma_blocks(v0, v1, v2, v3)
    return (
        cr * (m11 * b3 + m12 * b4),
        cr * (m21 * b3 + m22 * b4),
        cl * (n11 * b1 + n12 * b2),
        cl * (n21 * b1 + n22 * b2),
    )


@device
def ffs_scalar(a1, a2, a3, a4, b1, b2, b3, b4, cl, cr):
    """psibar (cL P_L + cR P_R) psi."""
    return cl * (a1 * b1 + a2 * b2) + cr * (a3 * b3 + a4 * b4)


@device
def ffs_psibar(a1, a2, a3, a4, s, cl, cr):
    return cl * s * a1, cl * s * a2, cr * s * a3, cr * s * a4


@device
def ffs_psi(s, b1, b2, b3, b4, cl, cr):
    return cl * s * b1, cl * s * b2, cr * s * b3, cr * s * b4


@device
def vvv_vector(x0, x1, x2, x3, y0, y1, y2, y3, p0, p1, p2, p3, q0, q1, q2, q3, c):
    """Current of leg 3 from legs 1 (x, momentum p) and 2 (y, momentum q); k3 = -(p + q)."""
    xy = dot(x0, x1, x2, x3, y0, y1, y2, y3)
    # k2 - k3 = 2q + p, k3 - k1 = -(2p + q)
    xa = dot(x0, x1, x2, x3, 2.0 * q0 + p0, 2.0 * q1 + p1, 2.0 * q2 + p2, 2.0 * q3 + p3)
    yb = -dot(y0, y1, y2, y3, 2.0 * p0 + q0, 2.0 * p1 + q1, 2.0 * p2 + q2, 2.0 * p3 + q3)
    return (
        c * (xy * (p0 - q0) + y0 * xa + x0 * yb),
        c * (xy * (p1 - q1) + y1 * xa + x1 * yb),
        c * (xy * (p2 - q2) + y2 * xa + x2 * yb),
        c * (xy * (p3 - q3) + y3 * xa + x3 * yb),
    )


@device
def vvvv_vector(x0, x1, x2, x3, y0, y1, y2, y3, z0, z1, z2, z3, c1, c2, c3):
    """Current of leg 4: c1 (x.y) z + c2 (x.z) y + c3 (y.z) x."""
    xy = dot(x0, x1, x2, x3, y0, y1, y2, y3)
    xz = dot(x0, x1, x2, x3, z0, z1, z2, z3)
    yz = dot(y0, y1, y2, y3, z0, z1, z2, z3)
    return (
        c1 * xy * z0 + c2 * xz * y0 + c3 * yz * x0,
        c1 * xy * z1 + c2 * xz * y1 + c3 * yz * x1,
        c1 * xy * z2 + c2 * xz * y2 + c3 * yz * x2,
        c1 * xy * z3 + c2 * xz * y3 + c3 * yz * x3,
    )


@device
def vvs_eff_scalar(x0, x1, x2, x3, y0, y1, y2, y3, p0, p1, p2, p3, q0, q1, q2, q3, c):
    """The scalar current of the effective vertex c [k2^mu k1^nu - (k1.k2) g^munu] from
    vectors x (momentum p) and y (momentum q): c [(x.q)(y.p) - (p.q)(x.y)].  The vertex is
    bilinear in the momenta, so their sign convention (in or out) drops out."""
    xq = dot(x0, x1, x2, x3, q0, q1, q2, q3)
    yp = dot(y0, y1, y2, y3, p0, p1, p2, p3)
    pq = dot(p0, p1, p2, p3, q0, q1, q2, q3)
    xy = dot(x0, x1, x2, x3, y0, y1, y2, y3)
    return c * (xq * yp - pq * xy)


@device
def vvs_eff_vector(y0, y1, y2, y3, q0, q1, q2, q3, s, r0, r1, r2, r3, c):
    """The vector current of the effective vertex from vector y (momentum q) and scalar s
    (momentum r): the output leg has k = -(q + r), so c s [(q.k) y - (k.y) q] with the
    signs of the bilinear form, k -> q + r."""
    k0, k1, k2, k3 = q0 + r0, q1 + r1, q2 + r2, q3 + r3
    qk = dot(q0, q1, q2, q3, k0, k1, k2, k3)
    ky = dot(k0, k1, k2, k3, y0, y1, y2, y3)
    f = c * s
    return f * (qk * y0 - ky * q0), f * (qk * y1 - ky * q1), f * (qk * y2 - ky * q2), f * (qk * y3 - ky * q3)
