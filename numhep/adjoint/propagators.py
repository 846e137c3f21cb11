"""VJPs of :mod:`numhep.kernels.propagators` (conventions in :mod:`numhep.adjoint.wavefunctions`).

Each takes the forward inputs and the Wirtinger cotangent g of the output and returns
the cotangent of the input current followed by the *complex* sums
G_x = sum_j g_j dJ_j/dx for x = (K^0..K^3, M, W); callers take 2 Re G_x.
With f = i/D, D = K^2 - M^2 + i M W:  df/dK^a = -2 f eta_ab K^b / D,
df/dM = -f (-2M + iW)/D, df/dW = -f (iM)/D.
"""

from numhep.kernels._target import device
from numhep.kernels.propagators import inverse_denominator
from numhep.kernels.vertices import sigma_blocks

#: the helicity algebra is compiled with fast math (numhep.kernels._target)
FAST_MATH = True


@device(inline=True)
def sandwich(r1, r2, c1, c2):
    """S^mu(r, c) = r^T sigma^mu c."""
    return r1 * c1 + r2 * c2, r1 * c2 + r2 * c1, 1j * (r2 * c1 - r1 * c2), r1 * c1 - r2 * c2


@device
def scalar_propagator_vjp(s, k0, k1, k2, k3, m, w, g):
    q = inverse_denominator(k0, k1, k2, k3, m, w)  # 1/D
    f = complex(-q.imag, q.real)
    gj = g * f * s
    c = -2.0 * gj * q
    return f * g, c * k0, -c * k1, -c * k2, -c * k3, -gj * complex(-2.0 * m, w) * q, -gj * complex(0.0, m) * q


@device
def vector_propagator_vjp(v0, v1, v2, v3, k0, k1, k2, k3, m, w, g0, g1, g2, g3):
    if m == 0.0:
        k2s = k0 * k0 - k1 * k1 - k2 * k2 - k3 * k3
        inv = 1.0 / k2s
        f = complex(0.0, -inv)
        gj = f * (g0 * v0 + g1 * v1 + g2 * v2 + g3 * v3)
        c = gj * (-2.0 * inv)
        z = complex(0.0, 0.0)
        return f * g0, f * g1, f * g2, f * g3, c * k0, -c * k1, -c * k2, -c * k3, z, z
    q = inverse_denominator(k0, k1, k2, k3, m, w)  # 1/D
    f = complex(-q.imag, q.real)
    inv_m2 = 1.0 / (m * m)
    kv = (k0 * v0 - k1 * v1 - k2 * v2 - k3 * v3) * inv_m2
    j0, j1, j2, j3 = f * (k0 * kv - v0), f * (k1 * kv - v1), f * (k2 * kv - v2), f * (k3 * kv - v3)
    gj = g0 * j0 + g1 * j1 + g2 * j2 + g3 * j3
    gk = g0 * k0 + g1 * k1 + g2 * k2 + g3 * k3
    # v-cotangent: f [-g_nu + (g.K) eta(K)_nu / M^2]
    t = f * gk * inv_m2
    c = -2.0 * gj * q
    e = f * gk * inv_m2
    return (
        -f * g0 + t * k0, -f * g1 - t * k1, -f * g2 - t * k2, -f * g3 - t * k3,
        c * k0 + f * g0 * kv + e * v0,
        -c * k1 + f * g1 * kv - e * v1,
        -c * k2 + f * g2 * kv - e * v2,
        -c * k3 + f * g3 * kv - e * v3,
        -gj * complex(-2.0 * m, w) * q - f * gk * kv * (2.0 / m),
        -gj * complex(0.0, m) * q,
    )


@device
def psi_propagator_vjp(b1, b2, b3, b4, k0, k1, k2, k3, m, w, g1, g2, g3, g4):
    """J = f (m psi_L - M(K) psi_R, m psi_R - Mbar(K) psi_L)."""
    q = inverse_denominator(k0, k1, k2, k3, m, w)  # 1/D
    f = complex(-q.imag, q.real)
    a11, a12, a21, a22, c11, c12, c21, c22 = sigma_blocks(k0, k1, k2, k3)
    j1 = f * (m * b1 - (a11 * b3 + a12 * b4))
    j2 = f * (m * b2 - (a21 * b3 + a22 * b4))
    j3 = f * (m * b3 - (c11 * b1 + c12 * b2))
    j4 = f * (m * b4 - (c21 * b1 + c22 * b2))
    gj = g1 * j1 + g2 * j2 + g3 * j3 + g4 * j4
    # psi cotangent: f (m gL - Mbar^T gR, m gR - M^T gL)
    nb1 = f * (m * g1 - (c11 * g3 + c21 * g4))
    nb2 = f * (m * g2 - (c12 * g3 + c22 * g4))
    nb3 = f * (m * g3 - (a11 * g1 + a21 * g2))
    nb4 = f * (m * g4 - (a12 * g1 + a22 * g2))
    # dM/dK^a = sigmabar^a, dMbar/dK^a = sigma^a
    s0, s1, s2, s3 = sandwich(g1, g2, b3, b4)
    t0, t1, t2, t3 = sandwich(g3, g4, b1, b2)
    c = -2.0 * gj * q
    return (
        nb1, nb2, nb3, nb4,
        c * k0 - f * (s0 + t0),
        -c * k1 - f * (-s1 + t1),
        -c * k2 - f * (-s2 + t2),
        -c * k3 - f * (-s3 + t3),
        -gj * complex(-2.0 * m, w) * q + f * (g1 * b1 + g2 * b2 + g3 * b3 + g4 * b4),
        -gj * complex(0.0, m) * q,
    )


@device
def psibar_propagator_vjp(a1, a2, a3, a4, k0, k1, k2, k3, m, w, g1, g2, g3, g4):
    """J = f (m a_L + a_R Mbar(K), a_L M(K) + m a_R)."""
    q = inverse_denominator(k0, k1, k2, k3, m, w)  # 1/D
    f = complex(-q.imag, q.real)
    a11, a12, a21, a22, c11, c12, c21, c22 = sigma_blocks(k0, k1, k2, k3)
    j1 = f * (m * a1 + a3 * c11 + a4 * c21)
    j2 = f * (m * a2 + a3 * c12 + a4 * c22)
    j3 = f * (a1 * a11 + a2 * a21 + m * a3)
    j4 = f * (a1 * a12 + a2 * a22 + m * a4)
    gj = g1 * j1 + g2 * j2 + g3 * j3 + g4 * j4
    # a cotangent: (f (m gL + M gR), f (Mbar gL + m gR))
    na1 = f * (m * g1 + a11 * g3 + a12 * g4)
    na2 = f * (m * g2 + a21 * g3 + a22 * g4)
    na3 = f * (c11 * g1 + c12 * g2 + m * g3)
    na4 = f * (c21 * g1 + c22 * g2 + m * g4)
    s0, s1, s2, s3 = sandwich(a3, a4, g1, g2)  # a_R sigma gL (dMbar/dK = sigma)
    t0, t1, t2, t3 = sandwich(a1, a2, g3, g4)  # a_L sigmabar gR (dM/dK = sigmabar)
    c = -2.0 * gj * q
    return (
        na1, na2, na3, na4,
        c * k0 + f * (s0 + t0),
        -c * k1 + f * (s1 - t1),
        -c * k2 + f * (s2 - t2),
        -c * k3 + f * (s3 - t3),
        -gj * complex(-2.0 * m, w) * q + f * (g1 * a1 + g2 * a2 + g3 * a3 + g4 * a4),
        -gj * complex(0.0, m) * q,
    )
