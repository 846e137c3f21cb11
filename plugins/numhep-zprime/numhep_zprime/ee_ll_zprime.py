"""e+ e- -> mu+ mu- through the photon, the Z and a Z', massless leptons, analytic.

Legs (MadGraph order): p1 = e+, p2 = e-, p3 = mu+, p4 = mu-.  For helicities i (of e-) and
j (of mu-) the reduced amplitudes are

    A_ij = ee^2 [1/s + c_i c_j / (sw2 cw2) D_Z] + gzp^2 D_Z',   D_V = 1 / (s - M_V^2 + i M_V W_V),
    c_L = -1/2 + sw2,  c_R = sw2,  cw2 = 1 - sw2,

the Z' coupling vectorially, i gzp gamma^mu, to both leptons (the ``sm_zp`` model), and the
massive vectors' k^mu k^nu / M^2 terms vanishing between massless currents.  Summed over
helicities and averaged over the four initial ones,

    |M|^2 = 4 [(|A_LL|^2 + |A_RR|^2) (p2.p3)^2 + (|A_LR|^2 + |A_RL|^2) (p2.p4)^2]

(Peskin & Schroeder, Eq. 5.22 and Problem 5.2 for the helicity structure).  The adjoint
below it: d|A|^2/dx = 2 Re(conj(A) dA/dx) with

    dA/ds = ee^2 (-1/s^2 - k D_Z^2) - gzp^2 D_Z'^2,  dA/dee = 2 (A - gzp^2 D_Z') / ee,
    dA/dsw2 = ee^2 k' D_Z,  dA/dM_V = g_V D_V^2 (2 M_V - i W_V),  dA/dW_V = -g_V D_V^2 i M_V,
    dA/dgzp = 2 gzp D_Z',

k = c_i c_j / (sw2 cw2), g_Z = ee^2 k, g_Z' = gzp^2, and the invariants chain to the momenta
through d(p.q)/dp = eta q.
"""

import numhep
from numhep.plugin import Process, adjoint_of, device, kernel, mdot


@device
def amplitude(s, ee, sw2, mz, wz, gzp, mzp, wzp, ci, cj):
    """(A, dA/ds, dA/dee, dA/dsw2, dA/dMZ, dA/dWZ, dA/dgzp, dA/dMZp, dA/dWZp) for couplings c_i, c_j."""
    e2 = ee * ee
    n = sw2 * (1.0 - sw2)
    k = ci * cj / n
    dk = (ci + cj) / n - k * (1.0 - 2.0 * sw2) / n
    dz = 1.0 / complex(s - mz * mz, mz * wz)
    dzp = 1.0 / complex(s - mzp * mzp, mzp * wzp)
    zp = gzp * gzp * dzp
    a = e2 * (1.0 / s + k * dz) + zp
    return (
        a,
        e2 * (-1.0 / (s * s) - k * dz * dz) - zp * dzp,
        2.0 * (a - zp) / ee,
        e2 * dk * dz,
        e2 * k * dz * dz * complex(2.0 * mz, -wz),
        -e2 * k * dz * dz * complex(0.0, mz),
        2.0 * gzp * dzp,
        zp * dzp * complex(2.0 * mzp, -wzp),
        -zp * dzp * complex(0.0, mzp),
    )


@kernel
def ee_ll_zprime_me(i, p, params, out):
    s = 2.0 * mdot(p[i, 0, 0], p[i, 0, 1], p[i, 0, 2], p[i, 0, 3], p[i, 1, 0], p[i, 1, 1], p[i, 1, 2], p[i, 1, 3])
    a = mdot(p[i, 1, 0], p[i, 1, 1], p[i, 1, 2], p[i, 1, 3], p[i, 2, 0], p[i, 2, 1], p[i, 2, 2], p[i, 2, 3])
    b = mdot(p[i, 1, 0], p[i, 1, 1], p[i, 1, 2], p[i, 1, 3], p[i, 3, 0], p[i, 3, 1], p[i, 3, 2], p[i, 3, 3])
    cl = -0.5 + params[1]
    cr = params[1]
    total = 0.0
    for h in range(4):
        ci = cl if h == 0 or h == 2 else cr
        cj = cl if h == 0 or h == 3 else cr
        amp = amplitude(s, params[0], params[1], params[2], params[3], params[4], params[5], params[6], ci, cj)[0]
        total += (a * a if h < 2 else b * b) * (amp.real * amp.real + amp.imag * amp.imag)
    out[i] = 4.0 * total


@adjoint_of(ee_ll_zprime_me)
def ee_ll_zprime_vjp(i, p, params, g, gp, gparams):
    s = 2.0 * mdot(p[i, 0, 0], p[i, 0, 1], p[i, 0, 2], p[i, 0, 3], p[i, 1, 0], p[i, 1, 1], p[i, 1, 2], p[i, 1, 3])
    a = mdot(p[i, 1, 0], p[i, 1, 1], p[i, 1, 2], p[i, 1, 3], p[i, 2, 0], p[i, 2, 1], p[i, 2, 2], p[i, 2, 3])
    b = mdot(p[i, 1, 0], p[i, 1, 1], p[i, 1, 2], p[i, 1, 3], p[i, 3, 0], p[i, 3, 1], p[i, 3, 2], p[i, 3, 3])
    cl = -0.5 + params[1]
    cr = params[1]
    gs = 0.0
    same = 0.0
    opposite = 0.0
    for k in range(7):
        gparams[i, k] = 0.0
    for h in range(4):
        ci = cl if h == 0 or h == 2 else cr
        cj = cl if h == 0 or h == 3 else cr
        w = 4.0 * (a * a if h < 2 else b * b) * g[i]
        d = amplitude(s, params[0], params[1], params[2], params[3], params[4], params[5], params[6], ci, cj)
        amp = d[0]
        if h < 2:
            same += amp.real * amp.real + amp.imag * amp.imag
        else:
            opposite += amp.real * amp.real + amp.imag * amp.imag
        c = amp.conjugate()
        gs += 2.0 * w * (c * d[1]).real
        for k in range(7):
            gparams[i, k] += 2.0 * w * (c * d[k + 2]).real
    ga = 8.0 * same * a * g[i]
    gb = 8.0 * opposite * b * g[i]
    for mu in range(4):
        sign = 1.0 if mu == 0 else -1.0
        gp[i, 0, mu] = sign * 2.0 * gs * p[i, 1, mu]
        gp[i, 1, mu] = sign * (2.0 * gs * p[i, 0, mu] + ga * p[i, 2, mu] + gb * p[i, 3, mu])
        gp[i, 2, mu] = sign * ga * p[i, 1, mu]
        gp[i, 3, mu] = sign * gb * p[i, 1, mu]


def ee_ll_zprime():
    """The process ``ee_ll_zprime`` of the ``sm_zp`` model (this plugin's entry point)."""
    return Process(
        name="ee_ll_zprime",
        legs=(-11, 11, -13, 13),
        masses=(0.0, 0.0, 0.0, 0.0),
        kernel=ee_ll_zprime_me,
        model=numhep.model("sm_zp"),
        parameters=("ee", "sw2", "MZ", "WZ", "gzp", "MZp", "WZp"),
        description="e+ e- > mu+ mu- via gamma/Z/Z', analytic helicity amplitudes",
    )
