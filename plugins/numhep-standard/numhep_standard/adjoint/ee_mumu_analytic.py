"""VJP of :mod:`numhep_standard.kernels.ee_mumu_analytic`.

With |M|^2 = 4 [S a^2 + O b^2], S = |A_LL|^2 + |A_RR|^2, O = |A_LR|^2 + |A_RL|^2,
a = p2.p3, b = p2.p4, s = 2 p1.p2, and every A_ij = ee^2 (1/s + k_ij D),
D = 1/(s - MZ^2 + i MZ WZ), k_ij = c_i c_j/(sw2 (1 - sw2)):
    d|A|^2/dx = 2 Re(conj(A) dA/dx),
    dA/ds = ee^2 (-1/s^2 - k D^2),   dA/dee = 2 A/ee,
    dA/dMZ = ee^2 k D^2 (2 MZ - i WZ),   dA/dWZ = -ee^2 k D^2 i MZ,
    dk/dsw2 = (c_i' c_j + c_i c_j')/(sw2 (1-sw2)) - k (1 - 2 sw2)/(sw2 (1-sw2)), c' = 1;
and the invariants chain to momenta: d(p.q)/dp = eta q.
"""

from numhep.kernels._target import adjoint_of, device
from numhep.kernels.lorentz import mdot
from numhep_standard.kernels import ee_mumu_analytic as fwd
from numhep_standard.kernels.ee_mumu_analytic import reduced_amplitudes


@device
def amplitude_derivatives(s, ee, sw2, mz, wz, ci, cj):
    """(A, dA/ds, dA/dee, dA/dsw2, dA/dMZ, dA/dWZ) for couplings c_i, c_j."""
    e2 = ee * ee
    n = sw2 * (1.0 - sw2)
    k = ci * cj / n
    dk = (ci + cj) / n - k * (1.0 - 2.0 * sw2) / n
    d = 1.0 / complex(s - mz * mz, mz * wz)
    a = e2 * (1.0 / s + k * d)
    return (
        a,
        e2 * (-1.0 / (s * s) - k * d * d),
        2.0 * a / ee,
        e2 * dk * d,
        e2 * k * d * d * complex(2.0 * mz, -wz),
        -e2 * k * d * d * complex(0.0, mz),
    )


@adjoint_of(fwd.ee_mumu)
def ee_mumu_vjp(i, p, params, g, gp, gparams):
    ee, sw2, mz, wz = params[0], params[1], params[2], params[3]
    s = 2.0 * mdot(p[i, 0, 0], p[i, 0, 1], p[i, 0, 2], p[i, 0, 3], p[i, 1, 0], p[i, 1, 1], p[i, 1, 2], p[i, 1, 3])
    a = mdot(p[i, 1, 0], p[i, 1, 1], p[i, 1, 2], p[i, 1, 3], p[i, 2, 0], p[i, 2, 1], p[i, 2, 2], p[i, 2, 3])
    b = mdot(p[i, 1, 0], p[i, 1, 1], p[i, 1, 2], p[i, 1, 3], p[i, 3, 0], p[i, 3, 1], p[i, 3, 2], p[i, 3, 3])
    cl = -0.5 + sw2
    cr = sw2
    gs = 0.0
    gee = 0.0
    gsw2 = 0.0
    gmz = 0.0
    gwz = 0.0
    same = 0.0
    opposite = 0.0
    for h in range(4):
        ci = cl if h == 0 or h == 2 else cr
        cj = cl if h == 0 or h == 3 else cr
        w = 4.0 * (a * a if h < 2 else b * b) * g[i]
        amp, d_s, d_ee, d_sw2, d_mz, d_wz = amplitude_derivatives(s, ee, sw2, mz, wz, ci, cj)
        if h < 2:
            same += abs(amp) ** 2
        else:
            opposite += abs(amp) ** 2
        c = amp.conjugate()
        gs += 2.0 * w * (c * d_s).real
        gee += 2.0 * w * (c * d_ee).real
        gsw2 += 2.0 * w * (c * d_sw2).real
        gmz += 2.0 * w * (c * d_mz).real
        gwz += 2.0 * w * (c * d_wz).real
    ga = 8.0 * same * a * g[i]
    gb = 8.0 * opposite * b * g[i]
    # s = 2 p1.p2, a = p2.p3, b = p2.p4;  d(p.q)/dp^mu = eta_mu_nu q^nu
    for mu in range(4):
        sign = 1.0 if mu == 0 else -1.0
        gp[i, 0, mu] = sign * 2.0 * gs * p[i, 1, mu]
        gp[i, 1, mu] = sign * (2.0 * gs * p[i, 0, mu] + ga * p[i, 2, mu] + gb * p[i, 3, mu])
        gp[i, 2, mu] = sign * ga * p[i, 1, mu]
        gp[i, 3, mu] = sign * gb * p[i, 1, mu]
    gparams[i, 0] = gee
    gparams[i, 1] = gsw2
    gparams[i, 2] = gmz
    gparams[i, 3] = gwz
