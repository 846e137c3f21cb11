"""The processes of numhep's source papers, compiled on first use.

Names follow the papers numhep implements: e+e- -> q qbar + gluons (Maitre & Truong, arXiv:2107.06625), the MadNIS benchmark
processes (Heimel, PhD thesis, Heidelberg 2024, Table 5.3: W + jets, triple W, vector-boson scattering, t tbar +
jets) and the decay chains of MadJax (Heinrich & Kagan, arXiv:2203.00057).
"""

from numhep.amplitudes.compiled_process import compile_process

_DECAYS = ", (t > b w+, w+ > u d~), (t~ > b~ w-, w- > d u~)"

PROCESSES = {
    "ee_mumu": "e+ e- > mu+ mu-",
    "ee_uug": "e+ e- > u u~ g",
    "ee_uugg": "e+ e- > u u~ g g",
    "ee_uuggg": "e+ e- > u u~ g g g",
    "ud_www": "u d~ > w+ w+ w-",
    "gg_tt": "g g > t t~",
    "gg_ttg": "g g > t t~ g",
    "gg_ttgg": "g g > t t~ g g",
    "gg_ttggg": "g g > t t~ g g g",
    "gg_wdu": "g g > w+ d u~",
    "gg_wdug": "g g > w+ d u~ g",
    "gg_wdugg": "g g > w+ d u~ g g",
    "uc_wwds": "u c > w+ w+ d s",
    "uc_wwds_ew": "u c > w+ w+ d s QCD=0",
    "ee_tt_6q": "e+ e- > t t~" + _DECAYS,
    "gg_tt_6q": "g g > t t~" + _DECAYS,
    "bu_thd": "b u > t h d",
    "bu_thd_cpv": "b u > t h d",  # in the CP-violating top-Yukawa model (Heimel, PhD thesis, Heidelberg 2024, Ch. 6)
}

#: processes compiled in another model than the Standard Model
MODELS = {"bu_thd_cpv": "sm_cpv"}


def _factory(name):
    def build():
        return compile_process(PROCESSES[name], model=MODELS.get(name, "sm"), name=name)

    build.__name__ = name
    build.__doc__ = f"{name}: {PROCESSES[name]}"
    return build


for _name in PROCESSES:
    globals()[_name] = _factory(_name)
