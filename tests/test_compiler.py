"""The process compiler against MadGraph, and the symmetries every amplitude must have."""

import numpy as np
import pytest
from kernel_checks import check_cuda_matches_cpu
from refdata import refdata
from scipy.spatial.transform import Rotation

import numhep
import numhep.kinematics
from numhep.compiler import ProcessSyntaxError, compile_process
from numhep.kernels import amplitude_tape as T

MG5 = {
    "ee_mumu": "e+ e- > mu+ mu-",
    "ee_uug": "e+ e- > u u~ g",
    "gg_tt": "g g > t t~",
    "gg_ttg": "g g > t t~ g",
    "ud_www": "u d~ > w+ w+ w-",
    "gg_wdu": "g g > w+ d u~",
    "ee_tt_6q_onshell": "e+ e- > t t~, (t > b w+, w+ > u d~), (t~ > b~ w-, w- > d u~)",
}


@pytest.mark.parametrize("name", MG5)
def test_agrees_with_madgraph_standalone(name):
    d = np.load(refdata("mg5", f"{name}.npz"))
    proc = compile_process(MG5[name])
    assert list(proc.legs) == list(d["pdg"])
    np.testing.assert_allclose(numhep.me(d["p"], proc), d["me"], rtol=1e-10)


def test_registered_seed_processes_are_the_compiled_ones():
    d = np.load(refdata("mg5", "gg_ttg.npz"))
    np.testing.assert_allclose(numhep.me(d["p"][:20], process="gg_ttg"), d["me"][:20], rtol=1e-10)
    np.testing.assert_allclose(
        numhep.me(np.load(refdata("mg5", "ee_mumu.npz"))["p"][:20], process="ee_mumu"),
        numhep.me(np.load(refdata("mg5", "ee_mumu.npz"))["p"][:20], process="ee_mumu_analytic"),
        rtol=1e-12,
    )


def test_diagram_counts_and_colour_factors():
    assert compile_process("g g > t t~").n_diagrams == 3
    assert compile_process("u c > w+ w+ d s").n_diagrams == 8  # MadGraph's minimal WEIGHTED
    assert compile_process("u c > w+ w+ d s QCD=0").n_diagrams > 8
    # e+ e- -> q q~ g: one colour structure with factor C_F N_c = 4
    np.testing.assert_allclose(compile_process("e+ e- > u u~ g").program.colour, [[4.0]], atol=1e-12)
    # e+ e- -> q q~: N_c
    np.testing.assert_allclose(compile_process("e+ e- > d d~").program.colour, [[3.0]], atol=1e-12)
    # g g -> g g: the colour matrix of its (f f) basis is exact rationals
    gg = compile_process("g g > g g").program.colour
    np.testing.assert_allclose(gg * 3, np.round(gg * 3), atol=1e-12)


def test_compiled_programs_are_cached_on_disk(tmp_path, monkeypatch):
    import numhep.compiler as C

    monkeypatch.setenv("NUMHEP_CACHE_DIR", str(tmp_path))
    fresh = C.CompiledProcess("g g > t t~ g")
    assert list((tmp_path / "processes").glob("*.npz"))
    again = C.CompiledProcess("g g > t t~ g")
    assert again.preparation_seconds < fresh.preparation_seconds
    p, _ = numhep.rambo(3, 1000.0, fresh.masses, seed=2)
    np.testing.assert_array_equal(numhep.me(p, again), numhep.me(p, fresh))
    np.testing.assert_array_equal(again.program.helicities, fresh.program.helicities)


def _gauge_program(proc, leg):
    ops = proc.program.ops.copy()
    row = np.flatnonzero((ops[:, 0] == T.EXT_VECTOR) & (ops[:, 2] == leg))
    ops[row, 0] = T.EXT_GAUGE
    return ops


@pytest.mark.parametrize("text", ["g g > t t~", "g g > t t~ g", "e+ e- > u u~ g g", "g g > w+ d u~", "u d~ > w+ a", "u d~ > w+ a a"])
def test_ward_identities(text):
    proc = compile_process(text)
    p, _ = numhep.rambo(6, 1000.0, proc.masses, seed=3)
    # fixed widths in t-channel propagators break gauge invariance at O(Gamma/M): check without
    zero_widths = {"WT": 0.0, "WZ": 0.0, "WW": 0.0, "WH": 0.0}
    normal = proc.helicity_contributions(p, zero_widths)
    scale = normal.max()
    for leg, pdg in enumerate(proc.legs):
        if pdg not in (21, 22):
            continue
        saved = proc.program.ops
        try:
            proc.program.ops = _gauge_program(proc, leg)
            gauge = proc.helicity_contributions(p, zero_widths)
        finally:
            proc.program.ops = saved
        # with every other gauge boson physical, k.M vanishes
        assert np.abs(gauge).max() < 1e-20 * scale, (text, leg, np.abs(gauge).max() / scale)


@pytest.mark.parametrize("name", ["gg_ttg", "ud_www", "ee_uuggg", "uc_wwds_ew", "bu_thd"])
def test_lorentz_invariance(name):
    proc = numhep.process(name)
    p, _ = numhep.rambo(8, 1000.0, proc.masses, seed=4)
    # a fixed width breaks gauge invariance, and with it the frame independence of the
    # massless-vector polarisation sums, at O(Gamma/M): check without widths
    zero_widths = {"WT": 0.0, "WZ": 0.0, "WW": 0.0, "WH": 0.0}
    me = numhep.me(p, proc, params=zero_widths)
    beta = np.broadcast_to([0.2, -0.4, 0.3], p.shape[:-1] + (3,))
    rot = np.broadcast_to(Rotation.from_euler("zyx", [0.3, 1.1, -0.7]).as_matrix(), p.shape[:-1] + (3, 3))
    moved = numhep.kinematics.rotate(numhep.kinematics.boost(p, beta), rot)
    np.testing.assert_allclose(numhep.me(moved, proc, params=zero_widths), me, rtol=1e-10)


@pytest.mark.parametrize("name, swap", [("gg_ttgg", (4, 5)), ("gg_ttgg", (0, 1)), ("ud_www", (2, 3)), ("ee_uugg", (4, 5))])
def test_bose_symmetry(name, swap):
    proc = numhep.process(name)
    p, _ = numhep.rambo(6, 1000.0, proc.masses, seed=5)
    q = p.copy()
    q[:, list(swap)] = p[:, list(swap[::-1])]
    np.testing.assert_allclose(numhep.me(q, proc), numhep.me(p, proc), rtol=1e-10)


def test_parameter_overrides_change_derived_couplings():
    d = np.load(refdata("mg5", "ee_mumu.npz"))
    proc = compile_process("e+ e- > mu+ mu-")
    np.testing.assert_allclose(numhep.me(d["p"], proc, params={"MZ": 91.198}), d["me_MZp"], rtol=1e-10)
    np.testing.assert_allclose(numhep.me(d["p"], proc, params={"Gf": 1.16539e-5}), d["me_Gfm"], rtol=1e-10)


def test_cuda_build_matches_cpu():
    proc = compile_process("g g > t t~")
    p, _ = numhep.rambo(2, 800.0, proc.masses, seed=6)
    arrays = proc._arrays(None)
    ns = proc.program.n_slots
    nj = proc.program.colour.shape[0]
    ws = [np.zeros((2, ns, 4), dtype=complex), np.zeros((2, ns, 4)), np.zeros((2, nj), dtype=complex)]
    cpu = np.empty(2)
    T.tape_me.cpu(p, *arrays, *[w.copy() for w in ws], cpu)
    gpu = np.empty(2)
    T.tape_me.cuda(p, *arrays, *[w.copy() for w in ws], gpu)
    np.testing.assert_allclose(gpu, cpu, rtol=1e-13)


def test_errors_name_the_problem():
    with pytest.raises(ProcessSyntaxError, match="zz"):
        compile_process("e+ e- > zz zz")
    with pytest.raises(ProcessSyntaxError, match="no tree-level diagrams"):
        compile_process("e+ e- > u d~")
    with pytest.raises(ProcessSyntaxError, match="coupling order"):
        compile_process("e+ e- > mu+ mu- QED=x")
    p, _ = numhep.rambo(2, 500.0, [0.0] * 4, seed=1)
    with pytest.raises(ValueError, match="5 legs"):
        numhep.me(p, process="gg_ttg")


def test_cp_violating_top_yukawa_model():
    sm, cp = numhep.process("bu_thd"), numhep.process("bu_thd_cpv")
    assert cp.model.name == "sm_cpv" and "sm_cpv" in numhep.models()
    p, _ = numhep.rambo(6, 1000.0, sm.masses, seed=8)
    # alpha = 0 is the Standard Model; a pure CP-odd coupling (alpha = pi/2) changes |M|^2
    np.testing.assert_allclose(numhep.me(p, cp), numhep.me(p, sm), rtol=1e-13)
    odd = numhep.me(p, cp, params={"alpha_cp": np.pi / 2})
    assert np.all(np.abs(odd / numhep.me(p, sm) - 1) > 1e-3)
    # b = 0 with alpha = pi/2 switches the Yukawa off: diagrams without a ttH vertex remain
    off = numhep.me(p, cp, params={"alpha_cp": np.pi / 2, "kappa_b": 0.0})
    zero_yt = numhep.me(p, sm, params={"ymt": 0.0})
    np.testing.assert_allclose(off, zero_yt, rtol=1e-12)
    _, g = numhep.me(p, cp, params={"alpha_cp": 0.7}, grad=("alpha_cp",))
    h = 1e-6
    fd = (numhep.me(p, cp, params={"alpha_cp": 0.7 + h}) - numhep.me(p, cp, params={"alpha_cp": 0.7 - h})) / (2 * h)
    np.testing.assert_allclose(g["alpha_cp"], fd, rtol=1e-6)
