"""VJP of :mod:`numhep.kernels.momentum_coordinates`.

With E_j = sqrt(|p_j|^2 + m_j^2): dE_j/dp_j = p_j / E_j; x_(1,2) = (E +- P_z)/sqrt(s) take
1/sqrt(s) from every E_j and +-1/sqrt(s) from every p_j^z; the incoming momenta are
(sqrt(s)/2) x_(1,2) (1, 0, 0, +-1); the weight is prod_j 1/E_j up to constants, so
dw/dE_j = -w/E_j; and p_k^(x,y) = -sum_(j<k) p_j^(x,y) hands the last particle's transverse
cotangent to every other particle with a minus sign.
"""

import math

from numhep.kernels import momentum_coordinates as fwd
from numhep.kernels._target import adjoint_of
from numhep.kernels.momentum_coordinates import particle, transverse_recoil


@adjoint_of(fwd.momentum_coordinates_map)
def momentum_coordinates_map_vjp(i, y, sqrt_s, masses, gp, gx, gweight, gy):
    k = masses.shape[0]
    rs = sqrt_s[i]
    qx, qy = transverse_recoil(i, y, k)
    e_sum = 0.0
    pz_sum = 0.0
    inv = 1.0
    for j in range(k):
        e, px, py, pz = particle(i, y, j, k, qx, qy, masses[j])
        e_sum += e
        pz_sum += pz
        inv /= 2.0 * e
    x1 = (e_sum + pz_sum) / rs
    x2 = (e_sum - pz_sum) / rs
    w = (2.0 * math.pi) ** (4 - 3 * k) * 2.0 / (rs * rs) * inv if x1 <= 1.0 and x2 <= 1.0 else 0.0
    half = 0.5 * rs
    g1 = gx[i, 0] + half * (gp[i, 0, 0] + gp[i, 0, 3])
    g2 = gx[i, 1] + half * (gp[i, 1, 0] - gp[i, 1, 3])
    last_x = 0.0
    last_y = 0.0
    for j in range(k):
        e, px, py, pz = particle(i, y, j, k, qx, qy, masses[j])
        ge = gp[i, j + 2, 0] + (g1 + g2) / rs - gweight[i] * w / e
        cx = gp[i, j + 2, 1] + ge * px / e
        cy = gp[i, j + 2, 2] + ge * py / e
        cz = gp[i, j + 2, 3] + ge * pz / e + (g1 - g2) / rs
        if j < k - 1:
            gy[i, 3 * j] = cx
            gy[i, 3 * j + 1] = cy
            gy[i, 3 * j + 2] = cz
        else:
            last_x, last_y = cx, cy
            gy[i, 3 * k - 3] = cz
    for j in range(k - 1):
        gy[i, 3 * j] -= last_x
        gy[i, 3 * j + 1] -= last_y
