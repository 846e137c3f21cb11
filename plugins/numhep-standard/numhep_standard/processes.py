"""Process declarations of the standard plugin."""

import math

import numhep
from numhep.units import GEV2_TO_PB
from numhep_standard.adjoint import ee_mumu_analytic as _ee_mumu_adjoint  # noqa: F401  (attaches the VJP)
from numhep_standard.kernels.ee_mumu_analytic import ee_mumu, reduced_amplitudes


def ee_mumu_cross_section(sqrt_s, params=None):
    """Total sigma(e+ e- -> mu+ mu-) in pb: s (sum_ij |A_ij|^2) / (48 pi).

    From |M|^2 = 4 [S (p2.p3)^2 + O (p2.p4)^2] with p2.p3 = s (1 + cos)/4,
    int (1 +- cos)^2 dcos = 8/3 and dPhi_2 = dOmega/(32 pi^2), flux 1/(2s).
    """
    v = numhep.model("sm").parameters(params)
    s = float(sqrt_s) ** 2
    amps = reduced_amplitudes(s, v["ee"], v["sw2"], v["MZ"], v["WZ"])
    return s * sum(abs(a) ** 2 for a in amps) / (48.0 * math.pi) * GEV2_TO_PB


def ee_mumu_analytic():
    return numhep.Process(
        name="ee_mumu_analytic",
        legs=(-11, 11, -13, 13),
        masses=(0.0, 0.0, 0.0, 0.0),
        kernel=ee_mumu,
        model=numhep.model("sm"),
        parameters=("ee", "sw2", "MZ", "WZ"),
        description="e+ e- > mu+ mu- via gamma/Z, analytic helicity amplitudes",
        meta={"total_cross_section": ee_mumu_cross_section},
    )
