"""Spin-averaged Catani-Seymour final-state dipoles for massless partons (Maitre & Truong, arXiv:2107.06625, Sec. 2).

For an emitter i, an emitted parton j and a spectator k, all outgoing and massless, with
a = p_i.p_j, b = p_i.p_k, c = p_j.p_k:

    y_ij,k = a / (a + b + c)                      (recoil factor, Maitre & Truong, arXiv:2107.06625, Eq. 2.3)
    z_i    = b / (b + c),   z_j = 1 - z_i
    D_ij,k = <V_ij,k> / s_ij,   s_ij = 2a        (Maitre & Truong, arXiv:2107.06625, Eq. 2.2)

with the spin-averaged splitting functions of Catani and Seymour (hep-ph/9605323 Eqs. 5.7-5.9)
in four dimensions:

    q -> q g  (i quark, j gluon)   <V> = 8 pi as C_F [2/(1 - z_i(1-y)) - (1 + z_i)]
    g -> g g                        <V> = 16 pi as C_A [1/(1 - z_i(1-y)) + 1/(1 - z_j(1-y)) - 2 + z_i z_j]
    g -> q q~                       <V> = 8 pi as T_R [1 - 2 z_i z_j]

The kernel takes a table of (i, j, k) and a splitting kind per row, so one launch computes
every dipole of a multiplicity (:func:`numhep.amplitudes.catani_seymour.relevant_dipoles` builds the
table of Maitre & Truong, arXiv:2107.06625, Sec. 2.4.2).  Colour correlations are not part of D: in the emulator the
network's coefficients carry them, and :func:`numhep.amplitudes.catani_seymour.dipole_sum` applies them
with the Born's colour-correlated matrix elements.

:func:`splitting_azimuth` is the azimuthal angle phi_ij of Maitre & Truong, arXiv:2107.06625, App. A (Eqs. A.1-A.5),
returned as (sin 2 phi, cos 2 phi), the functions of the spin-correlation terms of Eq. 2.4.
With P = p_i + p_j (three-vectors), r_i and r_z the projections of p_i and e_z on the
plane normal to P:
    X = r_i . r_z = p_iz - (P.p_i) P_z / |P|^2,
    Y = P^ . (r_i x r_z) = (p_jx p_iy - p_jy p_ix) / |P|,
and since r_i and r_z lie in one plane, |r_i|^2 |r_z|^2 = X^2 + Y^2, so
    cos 2phi = (X^2 - Y^2)/(X^2 + Y^2),   sin 2phi = 2XY/(X^2 + Y^2).
Adjoints: :mod:`numhep.adjoint.catani_seymour`.
"""

import math

from numhep.kernels._target import device, kernel

#: splitting kinds in the kernel's table
Q_TO_QG, G_TO_GG, G_TO_QQ = 0, 1, 2

C_F = 4.0 / 3.0
C_A = 3.0
T_R = 0.5


@device(inline=True)
def parton_dot(p, i, a, b):
    """p_a . p_b for partons a, b of event i."""
    return (p[i, a, 0] * p[i, b, 0] - p[i, a, 1] * p[i, b, 1]
            - p[i, a, 2] * p[i, b, 2] - p[i, a, 3] * p[i, b, 3])


@device(inline=True)
def splitting_function(kind, y, z, alpha_s):
    """(<V>, d<V>/dy, d<V>/dz) of one splitting kind at recoil y and fraction z = z_i."""
    u = 1.0 - z * (1.0 - y)
    if kind == 0:
        k = 8.0 * math.pi * alpha_s * C_F
        return (k * (2.0 / u - 1.0 - z),
                k * (-2.0 * z / (u * u)),
                k * (2.0 * (1.0 - y) / (u * u) - 1.0))
    if kind == 1:
        w = 1.0 - (1.0 - z) * (1.0 - y)
        k = 16.0 * math.pi * alpha_s * C_A
        return (k * (1.0 / u + 1.0 / w - 2.0 + z * (1.0 - z)),
                k * (-z / (u * u) - (1.0 - z) / (w * w)),
                k * ((1.0 - y) / (u * u) - (1.0 - y) / (w * w) + 1.0 - 2.0 * z))
    k = 8.0 * math.pi * alpha_s * T_R
    return k * (1.0 - 2.0 * z * (1.0 - z)), 0.0, k * (-2.0 * (1.0 - 2.0 * z))


@kernel
def catani_seymour_dipoles(i, p, table, alpha_s, y, z, d):
    """y_ij,k, z_i and D_ij,k (n, r) for partons p (n, m, 4) and rows (i, j, k, kind) of
    ``table`` (r, 4); ``alpha_s`` (1,)."""
    for r in range(table.shape[0]):
        a = parton_dot(p, i, table[r, 0], table[r, 1])
        b = parton_dot(p, i, table[r, 0], table[r, 2])
        c = parton_dot(p, i, table[r, 1], table[r, 2])
        yr = a / (a + b + c)
        zr = b / (b + c)
        v, _, _ = splitting_function(table[r, 3], yr, zr, alpha_s[0])
        y[i, r] = yr
        z[i, r] = zr
        d[i, r] = v / (2.0 * a)


@device(inline=True)
def azimuth_xy(p, i, a, b):
    """(X, Y, |P|^2, |P|) of the module docstring for the pair (a, b) of event i."""
    px = p[i, a, 1] + p[i, b, 1]
    py = p[i, a, 2] + p[i, b, 2]
    pz = p[i, a, 3] + p[i, b, 3]
    pp = px * px + py * py + pz * pz
    q = px * p[i, a, 1] + py * p[i, a, 2] + pz * p[i, a, 3]
    x = p[i, a, 3] - q * pz / pp
    norm = math.sqrt(pp)
    yv = (p[i, b, 1] * p[i, a, 2] - p[i, b, 2] * p[i, a, 1]) / norm
    return x, yv, pp, norm


@kernel
def splitting_azimuth(i, p, pairs, out):
    """out (n, q, 2) = (sin 2phi_ab, cos 2phi_ab) for the pairs (a, b) of ``pairs`` (q, 2)."""
    for r in range(pairs.shape[0]):
        x, yv, _, _ = azimuth_xy(p, i, pairs[r, 0], pairs[r, 1])
        rr = x * x + yv * yv
        out[i, r, 0] = 2.0 * x * yv / rr
        out[i, r, 1] = (x * x - yv * yv) / rr
