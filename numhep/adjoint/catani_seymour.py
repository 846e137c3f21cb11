"""VJPs of :mod:`numhep.kernels.catani_seymour`.

Dipoles: with a = p_i.p_j, b = p_i.p_k, c = p_j.p_k and S = a + b + c,
    dy/da = (b + c)/S^2,  dy/db = dy/dc = -a/S^2,  dz/db = c/(b+c)^2,  dz/dc = -b/(b+c)^2,
    D = V(y, z)/(2a):  dD/da = -D/a + V_y dy/da/(2a),  dD/d(b, c) = (V_y dy + V_z dz)/(2a),
and d(p_a.p_b)/dp_a = eta p_b.  The cotangents of a, b, c are accumulated over the rows of
the table into the partons' momenta.

Azimuth: with R = X^2 + Y^2,
    d sin2phi = [2Y(Y^2 - X^2) dX + 2X(X^2 - Y^2) dY]/R^2,
    d cos2phi = [4XY^2 dX - 4X^2Y dY]/R^2,
and, P = p_a + p_b, Q = P.p_a, N = p_bx p_ay - p_by p_ax, Y = N/|P|:
    dX/dp_a = e_z - (P + p_a) P_z/|P|^2 - Q (e_z/|P|^2 - 2 P_z P/|P|^4),
    dX/dp_b = -p_a P_z/|P|^2 - Q (e_z/|P|^2 - 2 P_z P/|P|^4),
    dY/dp_a = (-p_by, p_bx, 0)/|P| - N P/|P|^3,   dY/dp_b = (p_ay, -p_ax, 0)/|P| - N P/|P|^3.
Energies do not enter phi.
"""

from numhep.kernels import catani_seymour as fwd
from numhep.kernels._target import adjoint_of, device
from numhep.kernels.catani_seymour import azimuth_xy, parton_dot, splitting_function


@device(inline=True)
def add_dot_cotangent(gp, p, i, a, b, g):
    """Accumulate g * d(p_a.p_b) into the cotangents of partons a and b."""
    gp[i, a, 0] += g * p[i, b, 0]
    gp[i, b, 0] += g * p[i, a, 0]
    for m in range(1, 4):
        gp[i, a, m] -= g * p[i, b, m]
        gp[i, b, m] -= g * p[i, a, m]


@adjoint_of(fwd.catani_seymour_dipoles)
def catani_seymour_dipoles_vjp(i, p, table, alpha_s, gy, gz, gd, gp):
    for a in range(p.shape[1]):
        for m in range(4):
            gp[i, a, m] = 0.0
    for r in range(table.shape[0]):
        pi, pj, pk = table[r, 0], table[r, 1], table[r, 2]
        a = parton_dot(p, i, pi, pj)
        b = parton_dot(p, i, pi, pk)
        c = parton_dot(p, i, pj, pk)
        s = a + b + c
        yr = a / s
        zr = b / (b + c)
        v, vy, vz = splitting_function(table[r, 3], yr, zr, alpha_s[0])
        dd = v / (2.0 * a)
        # cotangents of y and z, with D's dependence through V added
        cy = gy[i, r] + gd[i, r] * vy / (2.0 * a)
        cz = gz[i, r] + gd[i, r] * vz / (2.0 * a)
        bc2 = (b + c) * (b + c)
        ga = cy * (b + c) / (s * s) - gd[i, r] * dd / a
        gb = -cy * a / (s * s) + cz * c / bc2
        gc = -cy * a / (s * s) - cz * b / bc2
        add_dot_cotangent(gp, p, i, pi, pj, ga)
        add_dot_cotangent(gp, p, i, pi, pk, gb)
        add_dot_cotangent(gp, p, i, pj, pk, gc)


@adjoint_of(fwd.splitting_azimuth)
def splitting_azimuth_vjp(i, p, pairs, g, gp):
    for a in range(p.shape[1]):
        for m in range(4):
            gp[i, a, m] = 0.0
    for r in range(pairs.shape[0]):
        a, b = pairs[r, 0], pairs[r, 1]
        x, yv, pp, norm = azimuth_xy(p, i, a, b)
        rr = x * x + yv * yv
        r2 = rr * rr
        gx = (g[i, r, 0] * 2.0 * yv * (yv * yv - x * x) + g[i, r, 1] * 4.0 * x * yv * yv) / r2
        gyv = (g[i, r, 0] * 2.0 * x * (x * x - yv * yv) - g[i, r, 1] * 4.0 * x * x * yv) / r2
        px = p[i, a, 1] + p[i, b, 1]
        py = p[i, a, 2] + p[i, b, 2]
        pz = p[i, a, 3] + p[i, b, 3]
        q = px * p[i, a, 1] + py * p[i, a, 2] + pz * p[i, a, 3]
        nn = p[i, b, 1] * p[i, a, 2] - p[i, b, 2] * p[i, a, 1]
        n3 = nn / (pp * norm)
        # X: the part common to p_a and p_b, -Q (e_z/|P|^2 - 2 P_z P/|P|^4), component by component
        cx = 2.0 * q * pz / (pp * pp)
        common = (cx * px, cx * py, cx * pz - q / pp)
        pcomp = (px, py, pz)
        for m in range(3):
            ez = 1.0 if m == 2 else 0.0
            dxa = ez - (pcomp[m] + p[i, a, m + 1]) * pz / pp + common[m]
            dxb = -p[i, a, m + 1] * pz / pp + common[m]
            gp[i, a, m + 1] += gx * dxa - gyv * n3 * pcomp[m]
            gp[i, b, m + 1] += gx * dxb - gyv * n3 * pcomp[m]
        gp[i, a, 1] += gyv * (-p[i, b, 2]) / norm
        gp[i, a, 2] += gyv * p[i, b, 1] / norm
        gp[i, b, 1] += gyv * p[i, a, 2] / norm
        gp[i, b, 2] += gyv * (-p[i, a, 1]) / norm
