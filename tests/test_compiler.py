"""The process compiler against MadGraph, and the symmetries every amplitude must have."""

import warnings

import numpy as np
import pytest
from kernel_checks import check_cuda_matches_cpu
from refdata import refdata
from scipy.spatial.transform import Rotation

import numhep
import numhep.phasespace.kinematics
from numhep.amplitudes.compiled_process import ProcessSyntaxError, compile_process
from numhep.kernels import amplitude_tape as T
from numhep.kernels import isa

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


def test_colour_basis_is_rephased_to_a_real_matrix():
    from numhep.amplitudes.compiler.colour import _real_if_real, real_phases

    def rephased(c):
        u = real_phases(c)
        np.testing.assert_allclose(np.abs(u), 1.0)
        return u.conj()[:, None] * c * u[None, :]

    # a real symmetric matrix in disguise (two unlinked blocks): phases exist and are found,
    # and rephasing is a unitary similarity (same spectrum)
    rng = np.random.default_rng(3)
    r = rng.normal(size=(5, 5))
    r = r + r.T
    r[:3, 3:] = r[3:, :3] = 0.0
    d = np.exp(1j * rng.uniform(0, 2 * np.pi, 5))
    c = d[:, None] * r * d.conj()[None, :]
    real = rephased(c)
    assert np.abs(real.imag).max() < 1e-12
    np.testing.assert_allclose(np.linalg.eigvalsh(real.real), np.linalg.eigvalsh(c), atol=1e-12)
    # a phase around a closed loop of entries cannot be removed: the matrix stays complex
    loop = np.array([[2, 1j, 1], [-1j, 2, 1], [1, 1, 2]])
    assert np.iscomplexobj(_real_if_real(rephased(loop)))
    # f^abc bases carry factors of i; after rephasing gg -> tt~gg's colour matrix is real
    assert compile_process("g g > t t~ g g").program.colour.dtype == np.float64


def test_compiled_programs_are_cached_on_disk(tmp_path, monkeypatch):
    import numhep.amplitudes.compiled_process as C

    monkeypatch.setenv("NUMHEP_CACHE_DIR", str(tmp_path))
    fresh = C.CompiledProcess("g g > t t~ g")
    assert list((tmp_path / "processes").glob("*.npz"))
    again = C.CompiledProcess("g g > t t~ g")
    assert again.preparation_seconds < fresh.preparation_seconds
    p, _ = numhep.rambo(3, 1000.0, fresh.masses, seed=2)
    np.testing.assert_array_equal(numhep.me(p, again), numhep.me(p, fresh))
    np.testing.assert_array_equal(again.program.helicities, fresh.program.helicities)


@pytest.mark.parametrize("damage", ["truncated", "empty", "garbage", "flipped bit", "altered colour matrix"])
def test_a_damaged_program_cache_heals_with_a_warning_naming_the_file(tmp_path, monkeypatch, damage):
    import numhep.amplitudes.compiled_process as C

    monkeypatch.setenv("NUMHEP_CACHE_DIR", str(tmp_path))
    fresh = C.CompiledProcess("g g > t t~")
    (path,) = (tmp_path / "processes").glob("*.npz")
    raw = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "garbage":
        path.write_bytes(bytes(range(256)) * 8)
    elif damage == "flipped bit":
        k = len(raw) // 2
        path.write_bytes(raw[:k] + bytes([raw[k] ^ 0x01]) + raw[k + 1:])
    else:  # a valid file whose payload changed: only the hash can tell
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
        arrays["colour"] = 2.0 * arrays["colour"]
        np.savez(path, **arrays)
    with pytest.warns(RuntimeWarning, match=str(path.name)):
        again = C.CompiledProcess("g g > t t~")
    p, _ = numhep.rambo(3, 1000.0, fresh.masses, seed=2)
    np.testing.assert_array_equal(numhep.me(p, again), numhep.me(p, fresh))
    # rebuilt and rewritten: the next interpreter loads it without a word
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        C.CompiledProcess("g g > t t~")


def test_helicity_order_reuses_currents():
    from numhep.amplitudes.compiler.program import gray_order, with_change_masks

    seq = gray_order([(-1, 1), (-1, 0, 1), (-1, 1)])
    assert len(set(seq)) == 12
    assert all(sum(a != b for a, b in zip(x, y)) == 1 for x, y in zip(seq, seq[1:]))
    masks = with_change_masks(np.array(seq))[:, -1]
    assert masks[0] == 0b111 and all(bin(m).count("1") == 1 for m in masks[1:])


@pytest.mark.parametrize("name", ["gg_tt_6q", "ud_www", "ee_uug", "gg_ttg"])
def test_any_reference_leg_gives_the_same_amplitude(name):
    """Every diagram is built against one reference leg; the amplitude is a sum over all
    diagrams, so it may not depend on which leg that is (the currents, their order and the
    colour coefficients all change with it, the sum may not).  Nor may its derivatives
    along phase space: d/du of |M|^2(RAMBO on diet(u)) and d/dsqrt(s).  The gradient in
    the momenta themselves does change, in the directions that break momentum conservation
    (the reference leg's momentum enters its wavefunction only)."""
    import copy

    proc = numhep.process(name)
    n, sqrt_s, fin = 3, 1000.0, proc.masses[2:]
    u = np.random.default_rng(5).uniform(size=(n, 3 * len(fin) - 4))
    beams = 0.5 * sqrt_s * np.array([[1.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, -1.0]])
    p = np.concatenate([np.broadcast_to(beams, (n, 2, 4)), numhep.rambo_on_diet(u, sqrt_s, fin)[0]], axis=1)

    def along_phase_space(process):
        value, gp = numhep.me(p, process, grad=True)
        gu, gs, _ = numhep.rambo_on_diet.vjp(u, sqrt_s, fin, gp[:, 2:], np.zeros(n))
        gs = gs + 0.5 * (gp[:, 0, 0] + gp[:, 0, 3] + gp[:, 1, 0] - gp[:, 1, 3])
        return value, np.column_stack([gu, gs * sqrt_s])

    value, grad = along_phase_space(proc)
    scale = np.abs(grad).max(axis=1, keepdims=True)
    for leg in range(len(proc.legs)):
        other = copy.copy(proc)
        other._build(leg)
        other._drop_vanishing_helicities()
        assert other.diagram_set().reference == leg and other.n_diagrams == proc.n_diagrams
        v, g = along_phase_space(other)
        np.testing.assert_allclose(v, value, rtol=1e-12, atol=0)
        assert np.all(np.abs(g - grad) < 1e-11 * scale), (name, leg, (np.abs(g - grad) / scale).max())


def test_reference_leg_is_one_whose_helicity_varies():
    """gg -> tt~ with decays: the last leg (u~ from a W) keeps one helicity state, so the
    compiler contracts the diagrams with the last leg that keeps two (b~): its 16
    configurations then run as 8 groups of two (the currents once per group)."""
    proc = numhep.process("gg_tt_6q")
    hel = proc.program.helicities
    ref = proc.diagram_set().reference
    assert proc.legs[ref] == -5 and hel.shape[0] == 16
    assert sorted(set(hel[:, ref])) == [-1, 1] and len(set(hel[:, -2])) == 1
    groups, h = [], 0
    while h < hel.shape[0]:
        groups.append(T.helicity_group(hel, h, ref))
        h += groups[-1]
    assert groups == [2] * 8


def _gauge_program(proc, leg):
    ops = proc.program.ops.copy()
    row = np.flatnonzero((ops[:, 0] == isa.EXT_VECTOR) & (ops[:, 2] == leg))
    ops[row, 0] = isa.EXT_GAUGE
    return ops


def on_shell_top_pairs(n, sqrt_s, seed):
    """gg/ee -> t t~ with t -> b (w+ -> u d~), t~ -> b~ (w- -> d u~) decayed on their mass shells."""
    from numhep.kernels import lorentz

    sm = numhep.model("sm").parameters()
    mt, mw, mb = sm["MT"], sm["MW"], sm["MB"]
    rng = np.random.default_rng(seed)
    tt, _ = numhep.rambo(n, sqrt_s, [0.0, 0.0, mt, mt], seed=seed)
    legs = [tt[:, 0], tt[:, 1]]

    def decay(parent, m1, m2):
        rest, _ = numhep.rambo_on_diet(rng.uniform(size=(n, 2)), np.sqrt(np.abs(numhep.phasespace.kinematics.minkowski_dot(parent, parent))), [m1, m2])
        out = []
        for k in range(2):
            q = np.empty((n, 4))
            lorentz.boost_to_frame.cpu(np.ascontiguousarray(rest[:, k]), np.ascontiguousarray(parent), q)
            out.append(q)
        return out

    for top in (tt[:, 2], tt[:, 3]):
        b, w = decay(top, mb, mw)
        up, down = decay(w, 0.0, 0.0)
        legs += [b, up, down]
    return np.stack(legs, axis=1)


SEED_WITH_GAUGE_BOSONS = ["gg_tt", "gg_ttg", "gg_ttgg", "gg_ttggg", "ee_uug", "ee_uugg", "ee_uuggg",
                          "gg_wdu", "gg_wdug", "gg_wdugg", "gg_tt_6q"]


@pytest.mark.parametrize("text", SEED_WITH_GAUGE_BOSONS + ["u d~ > w+ a", "u d~ > w+ a a", "e+ e- > w+ w- a"])
def test_ward_identities(text):
    proc = numhep.process(text) if ">" not in text else compile_process(text)
    # fixed widths in t-channel propagators break gauge invariance at O(Gamma/M): check without
    zero_widths = {"WT": 0.0, "WZ": 0.0, "WW": 0.0, "WH": 0.0}
    if text == "gg_tt_6q":
        # only the resonant diagrams: gauge invariant with the tops on their mass shell
        # (and a negligible width to keep the s-channel propagators finite)
        p = on_shell_top_pairs(2, 1000.0, seed=3)
        zero_widths = {"WT": 1e-6}  # the Ws (colourless, on shell here) keep their width
    else:
        p, _ = numhep.rambo(2, 1000.0, proc.masses, seed=3)
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
        # with every other gauge boson physical, k.M vanishes: to 1e-9 of the amplitude
        # (cancellations among up to 1890 diagrams), i.e. 1e-18 in |M|^2; decay chains only
        # to the tops' rounding-level off-shellness over M Gamma_t (1e-12 in |M|^2)
        tol = 1e-12 if text == "gg_tt_6q" else 1e-18
        assert np.abs(gauge).max() < tol * scale, (text, leg, np.abs(gauge).max() / scale)


ALL_SEED = ["ee_mumu", "ee_uug", "ee_uugg", "ee_uuggg", "ud_www", "gg_tt", "gg_ttg", "gg_ttgg", "gg_ttggg",
            "gg_wdu", "gg_wdug", "gg_wdugg", "uc_wwds", "uc_wwds_ew", "ee_tt_6q", "gg_tt_6q", "bu_thd", "bu_thd_cpv"]


@pytest.mark.parametrize("name", ALL_SEED)
def test_lorentz_invariance(name):
    proc = numhep.process(name)
    # a fixed width breaks gauge invariance, and with it the frame independence of the
    # massless-vector polarisation sums, at O(Gamma/M): check without widths
    zero_widths = {"WT": 0.0, "WZ": 0.0, "WW": 0.0, "WH": 0.0}
    if name == "gg_tt_6q":  # resonant diagrams only: gauge invariant on the mass shell
        p = on_shell_top_pairs(3, 1000.0, seed=4)
        zero_widths = {"WT": 1e-6}
    else:
        p, _ = numhep.rambo(3, 1000.0, proc.masses, seed=4)
    me = numhep.me(p, proc, params=zero_widths)
    beta = np.broadcast_to([0.2, -0.4, 0.3], p.shape[:-1] + (3,))
    rot = np.broadcast_to(Rotation.from_euler("zyx", [0.3, 1.1, -0.7]).as_matrix(), p.shape[:-1] + (3, 3))
    moved = numhep.phasespace.kinematics.rotate(numhep.phasespace.kinematics.boost(p, beta), rot)
    rtol = 1e-6 if name == "gg_tt_6q" else 1e-10  # on shell to rounding only, see the Ward test
    np.testing.assert_allclose(numhep.me(moved, proc, params=zero_widths), me, rtol=rtol)


@pytest.mark.parametrize("name, swap", [("gg_ttgg", (4, 5)), ("gg_ttgg", (0, 1)), ("ud_www", (2, 3)), ("ee_uugg", (4, 5)),
                                        ("ee_uuggg", (5, 6)), ("gg_ttggg", (4, 6)), ("gg_wdugg", (5, 6)), ("uc_wwds", (2, 3))])
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
    arrays = T.tape_arrays(proc.program_arrays(None))
    ws = [np.zeros(s, d) for s, d in T.workspace_shapes(2, proc.program.n_slots, proc.program.colour.shape[0])]
    cpu = np.empty(2)
    T.tape_me.cpu(p, *arrays, *[w.copy() for w in ws], cpu)
    gpu = np.empty(2)
    T.tape_me.cuda(p, *arrays, *[w.copy() for w in ws], gpu)
    np.testing.assert_allclose(gpu, cpu, rtol=1e-13)
    # single-diagram weights (the tape with one JAMP column per diagram): CUDA build = CPU
    nd = proc.n_diagrams
    ident = (np.arange(nd + 1), np.arange(nd), np.ones(nd, dtype=complex))
    ws = [np.zeros(s, d) for s, d in T.workspace_shapes(2, proc.program.n_slots, nd)]
    weights = check_cuda_matches_cpu(T.tape_diagram_weights, (p, *arrays[:4], *ident, *ws), [np.empty((2, nd))])
    np.testing.assert_allclose(weights[0], proc.diagram_weights(p), rtol=1e-13)


def test_check_false_still_refuses_momenta_of_the_wrong_shape():
    # check=False skips the O(n) conservation test, never the O(1) shape checks: wrong legs
    # or components used to reach the kernels and read (or, with the gradient, write) outside
    # their arrays
    p, _ = numhep.rambo(8, 1000.0, numhep.process("gg_tt").masses, seed=3)
    for bad in (p[:, :3], np.concatenate([p, p[:, 2:]], axis=1), p[..., :3], p[:, 0]):
        for grad in (False, True):
            with pytest.raises(ValueError, match="p: "):
                numhep.me(bad, "gg_tt", check=False, grad=grad)
    np.testing.assert_array_equal(numhep.me(p, "gg_tt", check=False), numhep.me(p, "gg_tt"))


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


@pytest.mark.parametrize("text", ["w+ w- > h h", "z z > h h"])
def test_two_higgs_contact_terms_restore_unitarity(text):
    # longitudinal V V -> h h grows like s^2 diagram by diagram; the VVhh contact term
    # cancels the growth, so |M|^2 stays bounded as sqrt(s) grows tenfold
    proc = numhep.process(text)
    p1, _ = numhep.rambo(20, 2000.0, proc.masses, seed=1)
    p2, _ = numhep.rambo(20, 20000.0, proc.masses, seed=1)  # the same directions
    ratio = numhep.me(p2, proc, params={"WH": 0.0}).mean() / numhep.me(p1, proc, params={"WH": 0.0}).mean()
    assert ratio < 2.0, ratio


def test_four_higgs_amplitude_is_analytic():
    proc = numhep.process("h h > h h")
    sm = numhep.model("sm").parameters()
    p, _ = numhep.rambo(8, 700.0, proc.masses, seed=2)
    lam, vev, m2 = sm["lam"], sm["vev"], sm["MH"] ** 2

    def inv(a, b):
        q = p[:, a] + p[:, b] * (1 if (a < 2) == (b < 2) else -1)
        return q[:, 0] ** 2 - (q[:, 1:] ** 2).sum(-1)

    s, t, u = inv(0, 1), inv(0, 2), inv(0, 3)
    amp = 6 * lam + 36 * lam**2 * vev**2 * (1 / (s - m2) + 1 / (t - m2) + 1 / (u - m2))
    np.testing.assert_allclose(numhep.me(p, proc, params={"WH": 0.0}), amp**2 / 2, rtol=1e-11)


@pytest.mark.parametrize("text", ["g g > t t~ g", "u d~ > w+ w+ w-"])
def test_helicity_contributions_add_up_to_the_squared_amplitude(text):
    """Each configuration run alone (as the preparation finds the vanishing ones) sums, with
    the spin and colour average, to |M|^2 of the grouped helicity sum."""
    proc = compile_process(text)
    p, _ = numhep.rambo(3, 1000.0, proc.masses, seed=8)
    norm = proc.program_arrays()[2][0]
    np.testing.assert_allclose(proc.helicity_contributions(p).sum(axis=1) * norm, numhep.me(p, proc), rtol=1e-12)
