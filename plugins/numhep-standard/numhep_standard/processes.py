"""Process declarations of the standard plugin."""

import numhep
from numhep_standard.adjoint import ee_mumu_analytic as _ee_mumu_adjoint  # noqa: F401  (attaches the VJP)
from numhep_standard.kernels.ee_mumu_analytic import ee_mumu


def ee_mumu_analytic():
    return numhep.Process(
        name="ee_mumu_analytic",
        legs=(-11, 11, -13, 13),
        masses=(0.0, 0.0, 0.0, 0.0),
        kernel=ee_mumu,
        model=numhep.model("sm"),
        parameters=("ee", "sw2", "MZ", "WZ"),
        description="e+ e- > mu+ mu- via gamma/Z, analytic helicity amplitudes",
    )
