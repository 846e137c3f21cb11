"""Propagators applied to vertex currents (widths in every massive propagator, as MadGraph).

With D = K^2 - M^2 + i M W (K the line's momentum):
    scalar:  i / D
    vector:  massless (Feynman gauge) -i g^{mu nu} / K^2;
             massive (unitary gauge)   i (-g^{mu nu} + K^mu K^nu / M^2) / D
    fermion: i (s Kslash + M) / D, with s = +1 for a psibar-type current (the fermion
             arrow runs along K) and s = -1 for a psi-type one (against K).
Vector currents are contravariant components (v^0, v^1, v^2, v^3).
Adjoint: :mod:`numhep.adjoint.propagators`.
"""

from numhep.kernels._target import device
from numhep.kernels.vertices import sigma_blocks

#: the helicity algebra is compiled with fast math (numhep.kernels._target)
FAST_MATH = True


@device
def inverse_denominator(k0, k1, k2, k3, m, w):
    """1/D = conj(D)/|D|^2, written out: numba's complex division follows CPython's
    overflow-guarded algorithm (branches and two real divisions), where this needs one
    division; propagators are on every current of the amplitude tape."""
    a = k0 * k0 - k1 * k1 - k2 * k2 - k3 * k3 - m * m
    b = m * w
    r = 1.0 / (a * a + b * b)
    return complex(a * r, -b * r)


@device
def i_over_denominator(k0, k1, k2, k3, m, w):
    """i/D, the propagators' common factor."""
    q = inverse_denominator(k0, k1, k2, k3, m, w)
    return complex(-q.imag, q.real)


@device
def scalar_propagator(s, k0, k1, k2, k3, m, w):
    return i_over_denominator(k0, k1, k2, k3, m, w) * s


@device
def vector_propagator(v0, v1, v2, v3, k0, k1, k2, k3, m, w):
    if m == 0.0:
        f = complex(0.0, -1.0 / (k0 * k0 - k1 * k1 - k2 * k2 - k3 * k3))
        return f * v0, f * v1, f * v2, f * v3
    f = i_over_denominator(k0, k1, k2, k3, m, w)
    kv = (k0 * v0 - k1 * v1 - k2 * v2 - k3 * v3) * (1.0 / (m * m))
    return f * (k0 * kv - v0), f * (k1 * kv - v1), f * (k2 * kv - v2), f * (k3 * kv - v3)


@device
def psi_propagator(b1, b2, b3, b4, k0, k1, k2, k3, m, w):
    """i (-Kslash + m) psi / D: the column spinor of a psi-type line."""
    f = i_over_denominator(k0, k1, k2, k3, m, w)
    # Kslash = [[0, K.sigma], [K.sigmabar, 0]]
    a11, a12, a21, a22, c11, c12, c21, c22 = sigma_blocks(k0, k1, k2, k3)
    return (
        f * (m * b1 - (a11 * b3 + a12 * b4)),
        f * (m * b2 - (a21 * b3 + a22 * b4)),
        f * (m * b3 - (c11 * b1 + c12 * b2)),
        f * (m * b4 - (c21 * b1 + c22 * b2)),
    )


@device
def psibar_propagator(a1, a2, a3, a4, k0, k1, k2, k3, m, w):
    """psibar i (Kslash + m) / D: the row spinor of a psibar-type line."""
    f = i_over_denominator(k0, k1, k2, k3, m, w)
    a11, a12, a21, a22, c11, c12, c21, c22 = sigma_blocks(k0, k1, k2, k3)
    # row (aL, aR) [[m, K.sigma], [K.sigmabar, m]] = (m aL + aR K.sigmabar, aL K.sigma + m aR)
    return (
        f * (m * a1 + a3 * c11 + a4 * c21),
        f * (m * a2 + a3 * c12 + a4 * c22),
        f * (a1 * a11 + a2 * a21 + m * a3),
        f * (a1 * a12 + a2 * a22 + m * a4),
    )
