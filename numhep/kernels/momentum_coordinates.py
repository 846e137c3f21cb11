"""Hadron-collider events from the momenta of their final-state particles.

The coordinates of Heimel, PhD thesis, Heidelberg 2024, Eq. 6.31, for k final-state particles
of masses m_j: the three-momenta of the first k - 1 and the longitudinal momentum of the
last, y = (p_1, ..., p_(k-1), p_k^z), 3k - 2 numbers.  Transverse-momentum conservation gives
p_k^(x,y) = -sum_(j<k) p_j^(x,y), the mass shells the energies E_j = sqrt(|p_j|^2 + m_j^2),
and energy and longitudinal-momentum conservation the partons' momentum fractions,

    x_1 = (E + P_z) / sqrt(s),   x_2 = (E - P_z) / sqrt(s),   E = sum_j E_j,  P_z = sum_j p_j^z,

incoming along +z and -z.  The measure of the momentum fractions and the phase space becomes

    dx_1 dx_2 dPhi_k = (2 pi)^(4 - 3k) (2 / s) prod_j 1 / (2 E_j)  d^(3k-2) y,

dPhi_k normalised as RAMBO's (Kleiss, Stirling & Ellis, Comput. Phys. Commun. 40 (1986) 359),
the weight this map returns; 0 where x_1 or x_2 exceeds 1.
Adjoint: :mod:`numhep.adjoint.momentum_coordinates`.
"""

import math

from numhep.kernels._target import device, kernel


@device(inline=True)
def transverse_recoil(i, y, k):
    """(q_x, q_y) = sum_(j<k) p_j^(x,y): minus the last particle's transverse momentum."""
    qx = 0.0
    qy = 0.0
    for j in range(k - 1):
        qx += y[i, 3 * j]
        qy += y[i, 3 * j + 1]
    return qx, qy


@device(inline=True)
def particle(i, y, j, k, qx, qy, m):
    """(E, p_x, p_y, p_z) of final-state particle j of mass m (the last one balances q)."""
    if j < k - 1:
        px, py, pz = y[i, 3 * j], y[i, 3 * j + 1], y[i, 3 * j + 2]
    else:
        px, py, pz = -qx, -qy, y[i, 3 * k - 3]
    return math.sqrt(px * px + py * py + pz * pz + m * m), px, py, pz


@kernel
def momentum_coordinates_map(i, y, sqrt_s, masses, p, x, weight):
    """Lab momenta p (n, k + 2, 4) (partons 0 and 1, then the final state), x (n, 2) and the
    weight (n,) from the coordinates y (n, 3k - 2)."""
    k = masses.shape[0]
    rs = sqrt_s[i]
    qx, qy = transverse_recoil(i, y, k)
    e_sum = 0.0
    pz_sum = 0.0
    inv = 1.0
    for j in range(k):
        e, px, py, pz = particle(i, y, j, k, qx, qy, masses[j])
        p[i, j + 2, 0] = e
        p[i, j + 2, 1] = px
        p[i, j + 2, 2] = py
        p[i, j + 2, 3] = pz
        e_sum += e
        pz_sum += pz
        inv /= 2.0 * e
    x1 = (e_sum + pz_sum) / rs
    x2 = (e_sum - pz_sum) / rs
    x[i, 0] = x1
    x[i, 1] = x2
    half = 0.5 * rs
    p[i, 0, 0] = half * x1
    p[i, 0, 1] = 0.0
    p[i, 0, 2] = 0.0
    p[i, 0, 3] = half * x1
    p[i, 1, 0] = half * x2
    p[i, 1, 1] = 0.0
    p[i, 1, 2] = 0.0
    p[i, 1, 3] = -half * x2
    inside = x1 <= 1.0 and x2 <= 1.0
    weight[i] = (2.0 * math.pi) ** (4 - 3 * k) * 2.0 / (rs * rs) * inv if inside else 0.0
