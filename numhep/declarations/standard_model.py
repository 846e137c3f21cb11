"""The Standard Model's parameters with MadGraph's ``sm`` conventions (G_mu scheme).

Inputs are those of MadGraph's default param card (restrict_default); derived
parameters are computed from them exactly as the ``sm`` UFO model does, so that
changing an input (MZ, G_F, alpha_s, masses, widths) changes everything derived:

    aEW = 1/aEWM1,  MW = sqrt(MZ^2/2 + sqrt(MZ^4/4 - pi aEW MZ^2/(sqrt2 G_F))),
    sw2 = 1 - MW^2/MZ^2,  cw = MW/MZ,  sw = sqrt(sw2),  ee = sqrt(4 pi aEW),
    G = sqrt(4 pi aS),  g1 = ee/cw,  gw = ee/sw,  vev = 2 MW sw/ee,
    lam = MH^2/(2 vev^2),  y_f = sqrt2 ym_f / vev (f = t, b, tau).

Registered as the model ``sm`` through numhep's own ``numhep.models`` entry point.
"""

import math

from numhep.declarations.dual_numbers import cos, sin, sqrt
from numhep.declarations.model import Model

INPUTS = {
    "aEWM1": 132.507,
    "Gf": 1.16639e-5,
    "aS": 0.118,
    "MZ": 91.188,
    "MT": 173.0,
    "MB": 4.7,
    "MH": 125.0,
    "MTA": 1.777,
    "ymt": 173.0,
    "ymb": 4.7,
    "ymtau": 1.777,
    "WZ": 2.441404,
    "WW": 2.0476,
    "WT": 1.4915,
    "WH": 6.382339e-3,
}


def derive(v: dict) -> dict:
    """Derived parameters of MadGraph's sm model (works on floats and dual numbers)."""
    aew = 1.0 / v["aEWM1"]
    mz2 = v["MZ"] * v["MZ"]
    mw2 = mz2 / 2.0 + sqrt(mz2 * mz2 / 4.0 - aew * math.pi * mz2 / (v["Gf"] * math.sqrt(2.0)))
    mw = sqrt(mw2)
    sw2 = 1.0 - mw2 / mz2
    cw = mw / v["MZ"]
    sw = sqrt(sw2)
    ee = 2.0 * sqrt(aew) * math.sqrt(math.pi)
    vev = 2.0 * mw * sw / ee
    return {
        "aEW": aew,
        "MW": mw,
        "sw2": sw2,
        "cw": cw,
        "sw": sw,
        "ee": ee,
        "G": 2.0 * sqrt(v["aS"]) * math.sqrt(math.pi),
        "g1": ee / cw,
        "gw": ee / sw,
        "vev": vev,
        "lam": v["MH"] * v["MH"] / (2.0 * vev * vev),
        "yt": v["ymt"] * math.sqrt(2.0) / vev,
        "yb": v["ymb"] * math.sqrt(2.0) / vev,
        "ytau": v["ymtau"] * math.sqrt(2.0) / vev,
    }


#: where MadGraph's sm param card holds each input (SLHA block, codes)
LHA = {
    "aEWM1": ("sminputs", (1,)), "Gf": ("sminputs", (2,)), "aS": ("sminputs", (3,)),
    "MB": ("mass", (5,)), "MT": ("mass", (6,)), "MTA": ("mass", (15,)), "MZ": ("mass", (23,)), "MH": ("mass", (25,)),
    "ymb": ("yukawa", (5,)), "ymt": ("yukawa", (6,)), "ymtau": ("yukawa", (15,)),
    "WT": ("decay", (6,)), "WZ": ("decay", (23,)), "WW": ("decay", (24,)), "WH": ("decay", (25,)),
}

sm = Model(
    name="sm",
    inputs=INPUTS,
    derive=derive,
    description="Standard Model, MadGraph sm conventions (G_mu scheme, restrict_default)",
    lha=LHA,
)


# ---- particles (MadGraph sm names) ------------------------------------------------------
from numhep.declarations.model import Particle, Vertex  # noqa: E402

_QUARKS = [(1, "d", -1 / 3, None, None), (2, "u", 2 / 3, None, None), (3, "s", -1 / 3, None, None),
           (4, "c", 2 / 3, None, None), (5, "b", -1 / 3, "MB", None), (6, "t", 2 / 3, "MT", "WT")]
_LEPTONS = [(11, "e-", "e+", -1.0, None), (12, "ve", "ve~", 0.0, None), (13, "mu-", "mu+", -1.0, None),
            (14, "vm", "vm~", 0.0, None), (15, "ta-", "ta+", -1.0, "MTA"), (16, "vt", "vt~", 0.0, None)]

PARTICLES = {}
for _pdg, _name, _q, _m, _w in _QUARKS:
    PARTICLES[_pdg] = Particle(_pdg, _name, _name + "~", 2, 3, _m, _w, _q)
for _pdg, _name, _anti, _q, _m in _LEPTONS:
    PARTICLES[_pdg] = Particle(_pdg, _name, _anti, 2, 1, _m, None, _q)
PARTICLES[21] = Particle(21, "g", "g", 3, 8)
PARTICLES[22] = Particle(22, "a", "a", 3, 1)
PARTICLES[23] = Particle(23, "z", "z", 3, 1, "MZ", "WZ")
PARTICLES[24] = Particle(24, "w+", "w-", 3, 1, "MW", "WW", 1.0)
PARTICLES[25] = Particle(25, "h", "h", 1, 1, "MH", "WH")

# ---- vertices ---------------------------------------------------------------------------
# Feynman rules with D_mu = d_mu - i g T^a A^a_mu: fermion-vector couplings i g gamma^mu ...;
# the gauge self-couplings' signs are fixed by the Ward identities the tests check
# (VVV with all momenta outgoing, see numhep.kernels.vertices).
_QCD = (("QCD", 1),)
_QCD2 = (("QCD", 2),)
_QED = (("QED", 1),)
_QED2 = (("QED", 2),)
_ISQ2 = 1.0 / math.sqrt(2.0)


def _photon(q):
    return lambda v: (1j * v["ee"] * q, 1j * v["ee"] * q)


def _zboson(t3, q):
    def couplings(v):
        gz = v["ee"] / (v["sw"] * v["cw"])
        return 1j * gz * (t3 - q * v["sw2"]), 1j * gz * (-q * v["sw2"])

    return couplings


def _w_fermion(v):
    return 1j * v["ee"] * _ISQ2 / v["sw"], 0.0


def _yukawa(mass_name):
    return lambda v: (-1j * v[mass_name] / v["vev"], -1j * v[mass_name] / v["vev"])


def _vertices():
    out = []
    for pdg, name, q, _, _ in _QUARKS:
        t3 = 0.5 if pdg % 2 == 0 else -0.5
        out.append(Vertex((-pdg, pdg, 21), "FFV", "T", _QCD, lambda v: (1j * v["G"], 1j * v["G"]), f"{name}{name}g"))
        out.append(Vertex((-pdg, pdg, 22), "FFV", "delta", _QED, _photon(q), f"{name}{name}a"))
        out.append(Vertex((-pdg, pdg, 23), "FFV", "delta", _QED, _zboson(t3, q), f"{name}{name}z"))
    for pdg, name, _, q, _ in _LEPTONS:
        t3 = 0.5 if pdg % 2 == 0 else -0.5
        if q != 0.0:
            out.append(Vertex((-pdg, pdg, 22), "FFV", "none", _QED, _photon(q), f"{name}{name}a"))
        out.append(Vertex((-pdg, pdg, 23), "FFV", "none", _QED, _zboson(t3, q), f"{name}{name}z"))
    # W: u-bar gamma P_L d W+ + h.c., CKM = 1; all-outgoing (dbar, u, w-) and (ubar, d, w+)
    for up, down in ((2, 1), (4, 3), (6, 5), (12, 11), (14, 13), (16, 15)):
        out.append(Vertex((-down, up, -24), "FFV", "delta" if up < 10 else "none", _QED, _w_fermion, "w-"))
        out.append(Vertex((-up, down, 24), "FFV", "delta" if up < 10 else "none", _QED, _w_fermion, "w+"))
    # Yukawas of the massive fermions (-i m_f / v)
    for pdg, mass in ((6, "ymt"), (5, "ymb"), (15, "ymtau")):
        out.append(Vertex((-pdg, pdg, 25), "FFS", "delta" if pdg < 10 else "none", _QED, _yukawa(mass), "yukawa"))
    # QCD self-couplings
    out.append(Vertex((21, 21, 21), "VVV", "f", _QCD, lambda v: (-GGG_SIGN * v["G"],), "ggg"))
    g4 = lambda x: (lambda v: tuple(-1j * v["G"] ** 2 * c for c in x))  # noqa: E731
    out.append(Vertex((21, 21, 21, 21), "VVVV", "ff:12,34", _QCD2, g4((0.0, 1.0, -1.0)), "gggg1"))
    out.append(Vertex((21, 21, 21, 21), "VVVV", "ff:13,24", _QCD2, g4((1.0, 0.0, -1.0)), "gggg2"))
    out.append(Vertex((21, 21, 21, 21), "VVVV", "ff:14,23", _QCD2, g4((1.0, -1.0, 0.0)), "gggg3"))
    # electroweak self-couplings, legs (w-, w+, V)
    out.append(Vertex((-24, 24, 22), "VVV", "none", _QED, lambda v: (WWV_SIGN * 1j * v["ee"],), "wwa"))
    out.append(Vertex((-24, 24, 23), "VVV", "none", _QED,
                      lambda v: (WWV_SIGN * 1j * v["ee"] * v["cw"] / v["sw"],), "wwz"))
    out.append(Vertex((-24, 24, -24, 24), "VVVV", "none", _QED2,
                      lambda v: tuple(1j * v["ee"] ** 2 / v["sw2"] * c for c in (-1.0, 2.0, -1.0)), "wwww"))
    for v1, v2, name, f in ((22, 22, "wwaa", lambda v: 1.0), (23, 23, "wwzz", lambda v: v["cw"] ** 2 / v["sw2"]),
                            (22, 23, "wwaz", lambda v: v["cw"] / v["sw"])):
        out.append(Vertex((-24, 24, v1, v2), "VVVV", "none", _QED2,
                          (lambda f: lambda v: tuple(-1j * v["ee"] ** 2 * f(v) * c for c in (2.0, -1.0, -1.0)))(f), name))
    # Higgs couplings to massive vectors and to itself
    out.append(Vertex((-24, 24, 25), "VVS", "none", _QED, lambda v: (1j * v["ee"] * v["MW"] / v["sw"],), "wwh"))
    out.append(Vertex((23, 23, 25), "VVS", "none", _QED,
                      lambda v: (1j * v["ee"] * v["MW"] / (v["sw"] * v["cw"] ** 2),), "zzh"))
    out.append(Vertex((25, 25, 25), "SSS", "none", _QED, lambda v: (-3j * v["MH"] ** 2 / v["vev"],), "hhh"))
    # two Higgs bosons: L = g^2/4 W+W- HH + g^2/(8 cw^2) ZZ HH - lam/4 H^4 (identical-particle
    # factors included in the vertices)
    out.append(Vertex((-24, 24, 25, 25), "VVSS", "none", _QED2, lambda v: (0.5j * v["ee"] ** 2 / v["sw2"],), "wwhh"))
    out.append(Vertex((23, 23, 25, 25), "VVSS", "none", _QED2,
                      lambda v: (0.5j * v["ee"] ** 2 / (v["sw2"] * v["cw"] ** 2),), "zzhh"))
    out.append(Vertex((25, 25, 25, 25), "SSSS", "none", _QED2, lambda v: (-3j * v["MH"] ** 2 / v["vev"] ** 2,), "hhhh"))
    return tuple(out)


#: signs of the gauge self-couplings relative to the fermion couplings (see tests)
GGG_SIGN = 1.0
WWV_SIGN = 1.0

sm.particles = PARTICLES
sm.vertices = _vertices()


# ---- the CP-violating top Yukawa (Heimel, PhD thesis, Heidelberg 2024, Eq. 6.2) -------------------------------------
def _cp_top_yukawa(v):
    """-i y_t/sqrt2 [a cos(alpha) + i b sin(alpha) gamma5] with gamma5 P_L = -P_L, gamma5 P_R = P_R."""
    y = v["ymt"] / v["vev"]
    even = v["kappa_a"] * cos(v["alpha_cp"])
    odd = v["kappa_b"] * sin(v["alpha_cp"])
    return -1j * y * (even - 1j * odd), -1j * y * (even + 1j * odd)


def _cpv_vertices():
    out = []
    for vert in sm.vertices:
        if vert.particles == (-6, 6, 25):
            out.append(Vertex(vert.particles, "FFS", vert.colour, vert.orders, _cp_top_yukawa, "ttH (CP)"))
        else:
            out.append(vert)
    return tuple(out)


sm_cpv = Model(
    name="sm_cpv",
    inputs={**INPUTS, "alpha_cp": 0.0, "kappa_a": 1.0, "kappa_b": 2.0 / 3.0},
    derive=derive,
    description="SM with a CP-violating top Yukawa, -y_t/sqrt2 [a cos(alpha) tbar t + i b sin(alpha) "
    "tbar gamma5 t] H (Heimel, PhD thesis, Heidelberg 2024, Eq. 6.2); a = kappa_a = 1, b = kappa_b = 2/3, alpha = alpha_cp",
    particles=PARTICLES,
    vertices=_cpv_vertices(),
    lha={**LHA, "alpha_cp": ("cpv", (1,)), "kappa_a": ("cpv", (2,)), "kappa_b": ("cpv", (3,))},
)


# ---- MadGraph's sm-no_b_mass restriction: a massless b, so the proton has five flavours ----
sm_no_b_mass = Model(
    name="sm_no_b_mass",
    inputs={**INPUTS, "MB": 0.0, "ymb": 0.0},
    derive=derive,
    description="Standard Model with a massless b (MadGraph's sm-no_b_mass): p and j include b b~",
    particles=PARTICLES,
    vertices=sm.vertices,
    lha=LHA,
)


# ---- the CP-violating top Yukawa in five flavours: tHj (Heimel, PhD thesis, Heidelberg 2024, Sec. 6.1) ----
sm_cpv_no_b_mass = Model(
    name="sm_cpv_no_b_mass",
    inputs={**sm_cpv.inputs, "MB": 0.0, "ymb": 0.0},
    derive=derive,
    description=sm_cpv.description + "; a massless b (MadGraph's no_b_mass restriction): p and j include b b~",
    particles=PARTICLES,
    vertices=sm_cpv.vertices,
    lha=sm_cpv.lha,
)
