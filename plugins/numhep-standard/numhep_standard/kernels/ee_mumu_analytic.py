"""e+ e- -> mu+ mu- through an s-channel photon and Z, massless leptons, analytic.

Legs (MadGraph order): p1 = e+, p2 = e-, p3 = mu+, p4 = mu-.  For helicities
i (of e-) and j (of mu-) the reduced amplitudes are
    A_ij = ee^2 [ 1/s + c_i c_j / (sw2 cw2) * 1/(s - MZ^2 + i MZ WZ) ],
    c_L = -1/2 + sw2,  c_R = sw2   (leptons: T3 = -1/2, Q = -1; cw2 = 1 - sw2),
the Z's k^mu k^nu/MZ^2 term vanishing between massless currents.  Summing helicities
and averaging the four initial ones,
    |M|^2 = 4 [ (|A_LL|^2 + |A_RR|^2) (p2.p3)^2 + (|A_LR|^2 + |A_RL|^2) (p2.p4)^2 ],
with s = 2 p1.p2 (equal helicities go forward: (1 + cos theta)^2 s^2/16 = (p2.p3)^2).
params = (ee, sw2, MZ, WZ); the widths sit in the propagator as in MadGraph.
Adjoint: :mod:`numhep_standard.adjoint.ee_mumu_analytic`.
"""

from numhep.kernels._target import device, kernel
from numhep.kernels.lorentz import mdot


@device
def reduced_amplitudes(s, ee, sw2, mz, wz):
    """(A_LL, A_RR, A_LR, A_RL) as complex numbers."""
    e2 = ee * ee
    z = 1.0 / (sw2 * (1.0 - sw2)) / complex(s - mz * mz, mz * wz)
    cl = -0.5 + sw2
    cr = sw2
    return (
        e2 * (1.0 / s + cl * cl * z),
        e2 * (1.0 / s + cr * cr * z),
        e2 * (1.0 / s + cl * cr * z),
        e2 * (1.0 / s + cr * cl * z),
    )


@kernel
def ee_mumu(i, p, params, out):
    s = 2.0 * mdot(p[i, 0, 0], p[i, 0, 1], p[i, 0, 2], p[i, 0, 3], p[i, 1, 0], p[i, 1, 1], p[i, 1, 2], p[i, 1, 3])
    a = mdot(p[i, 1, 0], p[i, 1, 1], p[i, 1, 2], p[i, 1, 3], p[i, 2, 0], p[i, 2, 1], p[i, 2, 2], p[i, 2, 3])
    b = mdot(p[i, 1, 0], p[i, 1, 1], p[i, 1, 2], p[i, 1, 3], p[i, 3, 0], p[i, 3, 1], p[i, 3, 2], p[i, 3, 3])
    ll, rr, lr, rl = reduced_amplitudes(s, params[0], params[1], params[2], params[3])
    same = abs(ll) ** 2 + abs(rr) ** 2
    opposite = abs(lr) ** 2 + abs(rl) ** 2
    out[i] = 4.0 * (same * a * a + opposite * b * b)
