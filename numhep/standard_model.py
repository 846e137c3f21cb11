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

from numhep.model import Model, sqrt

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


sm = Model(
    name="sm",
    inputs=INPUTS,
    derive=derive,
    description="Standard Model, MadGraph sm conventions (G_mu scheme, restrict_default)",
)
