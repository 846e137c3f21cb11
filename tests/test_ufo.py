"""UFO models: numhep's reader (which never executes a UFO file) on a test model written in the
repository in UFO's own syntax, the Standard Model in unitary gauge with MadGraph's sm
conventions plus a Z' (the example plugin's folder, plugins/numhep-zprime/numhep_zprime/sm_zp).  Its SM part gives numhep's built-in sm to
1e-12, parameter gradients run through its expressions, MadGraph's restriction rules apply,
and bad folders get errors that name the file and the item."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import numhep
from numhep.declarations.slha import AUTO, read_param_card, write_param_card
from numhep.declarations.ufo import UFOError, load_ufo

UFO = Path(__file__).resolve().parent.parent / "plugins" / "numhep-zprime" / "numhep_zprime" / "sm_zp"


@pytest.fixture(scope="module")
def zp():
    return load_ufo(UFO)


@pytest.mark.parametrize("builtin, ufo, sqrt_s", [
    ("e+ e- > mu+ mu-", "e+ e- > mu+ mu-", 500.0),
    ("g g > t t~", "g g > t t~", 1000.0),
    ("u d~ > w+ w+ w-", "u d~ > W+ W+ W-", 1000.0),
    ("e+ e- > w+ w- a", "e+ e- > W+ W- a", 1000.0),   # the quartic WWAA and WWAZ vertices
    ("g g > g g g", "g g > g g g", 1000.0),           # the four-gluon vertex's three colour structures
    ("e+ e- > z h h", "e+ e- > Z H H", 1000.0),       # HHH, ZZH, ZZHH
])
def test_the_standard_model_part_reproduces_numheps_sm(zp, builtin, ufo, sqrt_s):
    ref = numhep.process(builtin)
    new = numhep.process(ufo, model=zp)
    p, _ = numhep.rambo(4, sqrt_s, list(ref.masses), seed=3)
    np.testing.assert_allclose(numhep.me(p, new, params={"gzp": 0.0}), numhep.me(p, ref), rtol=1e-12)


def test_parameter_gradients_run_through_the_ufo_expressions(zp):
    proc = numhep.process("u d~ > W+ W+ W-", model=zp)
    p, _ = numhep.rambo(3, 1000.0, list(proc.masses), seed=5)
    _, grads = numhep.me(p, proc, grad=("MZ", "aEWM1"))  # MW, sw, ee, ... all move
    for name in ("MZ", "aEWM1"):
        x, h = zp.inputs[name], 1e-5 * zp.inputs[name]
        fd = (numhep.me(p, proc, params={name: x + h}) - numhep.me(p, proc, params={name: x - h})) / (2 * h)
        np.testing.assert_allclose(grads[name], fd, rtol=1e-6)
    ee = numhep.process("e+ e- > mu+ mu-", model=zp)
    q, _ = numhep.rambo(3, 1400.0, [0.0] * 4, seed=5)
    _, grads = numhep.me(q, ee, grad=("gzp", "MZp", "WZp"))
    for name in ("gzp", "MZp", "WZp"):
        x, h = zp.inputs[name], 1e-6 * zp.inputs[name]
        fd = (numhep.me(q, ee, params={name: x + h}) - numhep.me(q, ee, params={name: x - h})) / (2 * h)
        np.testing.assert_allclose(grads[name], fd, rtol=1e-6)


def test_the_default_restriction_fixes_zeros_and_drops_what_vanishes(zp):
    full = load_ufo(UFO, restrict=None)
    fixed = {"cabi", "MC", "ymc"}  # zero in restrict_default.dat
    assert fixed <= set(full.inputs) and not fixed & set(zp.inputs)
    assert full.particle(4).mass == "MC" and zp.particle(4).mass is None
    names = {v.particles for v in zp.vertices}
    assert (-3, 2, -24) not in names and (-4, 4, 25) not in names  # Cabibbo-suppressed W, charm Yukawa
    assert {(-3, 2, -24), (-4, 4, 25)} <= {v.particles for v in full.vertices}
    assert "GC_46" in full.couplings and "GC_46" not in zp.couplings
    # the full model's Cabibbo angle mixes u with s
    q, _ = numhep.rambo(2, 500.0, [0.0, 0.0, 0.0, 0.0], seed=1)
    us = numhep.process("u s~ > e+ ve", model=full)
    assert np.all(numhep.me(q, us) > 0) and np.all(numhep.me(q, us, params={"cabi": 0.0}) == 0)
    assert load_ufo(UFO, restrict="restrict_default.dat").name == "sm_zp"


def test_the_reader_agrees_with_executing_the_folder(zp, tmp_path):
    """numhep parses the files; Python executing them (as MadGraph would) must see the same model."""
    script = f"""
import cmath, json, sys
sys.path.insert(0, {str(UFO)!r})
import decays, parameters, particles, vertices
values = {{}}
for p in parameters.all_parameters:
    values[p.name] = p.value if p.nature == 'external' else eval(p.value, {{'cmath': cmath, **vars(parameters)}}, values)
zp = [d for d in decays.all_decays if d.particle.name == 'Zp'][0]
gamma = sum(eval(w, {{'cmath': cmath}}, values).real for w in zp.partial_widths.values())
print(json.dumps({{"MW": abs(values["MW"]), "vev": abs(values["vev"]), "G": abs(values["G"]), "WZp": gamma,
    "particles": sorted([p.pdg_code, p.name, p.mass.name] for p in particles.all_particles if p.pdg_code > 0),
    "vertices": len(vertices.all_vertices)}}))
"""
    out = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                    check=True).stdout)
    full = load_ufo(UFO, restrict=None)
    values = full.parameters()
    for name in ("MW", "vev", "G"):
        assert values[name] == pytest.approx(out[name], rel=1e-14)
    assert sum(full.partial_widths("Zp", source="ufo").values()) == pytest.approx(out["WZp"], rel=1e-14)
    assert sorted([p.pdg, p.name, p.mass or "ZERO"] for p in full.particles.values()) == out["particles"]


def broken_copy(tmp_path, file, old, new):
    folder = tmp_path / "broken"
    shutil.copytree(UFO, folder)
    path = folder / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return folder


def test_a_missing_file_is_named(tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(UFO, folder)
    (folder / "couplings.py").unlink()
    with pytest.raises(UFOError, match="couplings.py: missing"):
        load_ufo(folder)


def test_an_unknown_lorentz_structure_names_the_vertex_and_the_structure(tmp_path):
    """The model loads (a UFO may hold vertices a process never needs); a process that needs
    the vertex is refused with the vertex and the structure named."""
    folder = broken_copy(tmp_path, "lorentz.py", "structure = 'Metric(1,2)')",
                         "structure = 'Epsilon(1,2,-1,-2)*P(-1,1)*P(-2,2)')")
    model = load_ufo(folder)
    assert np.all(numhep.me(*_ee_mumu(model)) > 0)  # untouched by the Z Z H vertex
    with pytest.raises(UFOError, match=r"vertices.py: V_\d+ .*VVS1.*no vertex kernel.*Epsilon\(1,2,-1,-2\).*needs it"):
        numhep.process("e+ e- > Z H", model=model)


def _ee_mumu(model):
    proc = numhep.process("e+ e- > mu+ mu-", model=model)
    return numhep.rambo(2, 500.0, list(proc.masses), seed=1)[0], proc


def test_a_parameter_that_refers_to_an_undefined_name_is_named(tmp_path):
    folder = broken_copy(tmp_path, "parameters.py", "value = '1 - MW**2/MZ**2'", "value = '1 - MW**2/MZZ**2'")
    with pytest.raises(UFOError, match="parameters.py: sw2: refers to 'MZZ'"):
        load_ufo(folder)


def test_an_expression_is_never_executed(tmp_path):
    folder = broken_copy(tmp_path, "parameters.py", "value = '1/aEWM1'",
                         "value = '().__class__.__base__.__subclasses__()'")
    with pytest.raises(UFOError, match="parameters.py: aEW: unknown function"):
        load_ufo(folder)


def test_a_param_card_round_trips(zp, tmp_path):
    card = tmp_path / "param_card.dat"
    values = {**zp.inputs, "MZp": 2000.0, "WZp": AUTO}
    write_param_card(card, zp.lha, values, title="sm_zp")
    back = read_param_card(card, zp.lha)
    assert back == values
    assert read_param_card(Path(__file__).parent / "data" / "mg5" / "param_card.dat", zp.lha)["MZ"] == 91.188


def cross_section(proc, sqrt_s, params):
    """sigma(e+ e- -> mu+ mu-) in GeV^-2 from |M|^2: <|M|^2>_angles / (16 pi s), the angular
    average by Gauss-Legendre (|M|^2 is quadratic in cos theta for s-channel vectors)."""
    nodes, weights = np.polynomial.legendre.leggauss(4)
    e = sqrt_s / 2
    sin = np.sqrt(1 - nodes**2)
    p = np.zeros((4, 4, 4))
    p[:, 0] = [e, 0, 0, e]
    p[:, 1] = [e, 0, 0, -e]
    p[:, 2] = np.stack([np.full(4, e), e * sin, np.zeros(4), e * nodes], axis=1)
    p[:, 3] = np.stack([np.full(4, e), -e * sin, np.zeros(4), -e * nodes], axis=1)
    average = (weights * numhep.me(p, proc, params=params)).sum() / 2
    return average / (16 * np.pi * sqrt_s**2)


def test_the_zprime_peak_has_the_breit_wigner_shape_of_the_computed_width():
    model = numhep.model(UFO)
    proc = numhep.process("e+ e- > mu+ mu-", model=UFO)
    auto = {"WZp": "auto"}
    gamma, mass = model.width("Zp"), model.inputs["MZp"]
    assert model.parameters(auto)["WZp"] == gamma
    partial = model.partial_widths("Zp")
    # Gamma(Z' -> l+ l-) = gzp^2 M / (12 pi) for a vector coupling to massless leptons
    assert partial[("mu+", "mu-")] == pytest.approx(0.2**2 * mass / (12 * np.pi), rel=1e-12)

    def signal(sqrt_s):  # the background's amplitude is real where the Z' one is imaginary
        return cross_section(proc, sqrt_s, auto) - cross_section(proc, sqrt_s, {"gzp": 0.0})

    peak = 12 * np.pi * partial[("e+", "e-")] * partial[("mu+", "mu-")] / (mass**2 * gamma**2)
    assert signal(mass) == pytest.approx(peak, rel=1e-4)
    # half the peak at s = M^2 +- M Gamma (sigma ~ s |D|^2; the interference cancels in the sum)
    s_up, s_down = mass**2 + mass * gamma, mass**2 - mass * gamma
    half = (signal(np.sqrt(s_up)) * mass**2 / s_up + signal(np.sqrt(s_down)) * mass**2 / s_down) / 2
    assert half == pytest.approx(peak / 2, rel=3e-3)


def test_a_param_card_with_an_automatic_width(tmp_path):
    model = numhep.model(UFO)
    card = tmp_path / "param_card.dat"
    write_param_card(card, model.lha, {**model.inputs, "MZp": 2000.0, "WZp": AUTO})
    values = model.parameters(card)
    assert values["MZp"] == 2000.0 and values["WZp"] == pytest.approx(model.width("Zp", {"MZp": 2000.0}), rel=1e-14)
    proc = numhep.process("e+ e- > mu+ mu-", model=model)
    p, _ = numhep.rambo(2, 1990.0, [0.0] * 4, seed=1)
    np.testing.assert_allclose(numhep.me(p, proc, params=card),
                               numhep.me(p, proc, params={"MZp": 2000.0, "WZp": values["WZp"]}), rtol=1e-14)
    # the automatic width moves with the mass in a parameter gradient
    _, grads = numhep.me(p, proc, params={"WZp": "auto"}, grad=("MZp",))
    x, h = model.inputs["MZp"], 1e-3
    fd = (numhep.me(p, proc, params={"MZp": x + h, "WZp": "auto"}) -
          numhep.me(p, proc, params={"MZp": x - h, "WZp": "auto"})) / (2 * h)
    np.testing.assert_allclose(grads["MZp"], fd, rtol=1e-6)


def test_the_model_by_its_folder_and_its_values():
    model = numhep.model(UFO)
    assert numhep.model(str(UFO)) is model  # read once
    assert numhep.model(UFO, restrict=None) is not model
    assert model.value("MW") == pytest.approx(80.41900244575616, rel=1e-14)
    assert model.value("GC_11") == pytest.approx(1j * model.value("ee") ** 2, rel=1e-14)
    with pytest.raises(KeyError, match="GC_999"):
        model.value("GC_999")
    with pytest.raises(ValueError, match="restrictions apply to UFO folders"):
        numhep.model("sm", restrict=None)


# the PDF grid's piecewise interpolation limits quad's accuracy to ~1e-8, as it says
@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
def test_a_two_to_one_process_at_a_hadron_collider():
    """p p > Zp on the delta-function phase space: sigma = sum_ab pi |M|^2 / (M^2 s)
    int dy f_a(x1) f_b(x2), x1,2 = (M / sqrt s) e^(+-y), with the luminosity integrated here
    by scipy from the PDF set directly."""
    from scipy.integrate import quad

    from numhep.units import GEV2_TO_PB

    model = numhep.model(UFO)
    mass, s = model.inputs["MZp"], 13000.0**2
    uu = numhep.process("u u~ > Zp", model=model)
    p = numhep.phasespace.resonance_momenta(3, uu.masses, seed=2)
    # q q~ -> V, vector coupling g = gzp xq: |M|^2 = g^2 M^2 / 3 (spins and colours averaged)
    np.testing.assert_allclose(numhep.me(p, uu), (0.2 * 0.5) ** 2 * mass**2 / 3, rtol=1e-13)
    f = numhep.integrand("p p > Zp", 13000.0, model=model)
    assert f.dim == 1
    nodes, weights = np.polynomial.legendre.leggauss(400)  # x -> 1 at the ends of the rapidity range
    sigma = (weights * f(((nodes + 1) / 2)[:, None])).sum() / 2
    pdf, mu2 = numhep.pdf(), (mass / 2) ** 2  # mu = H_T / 2 = M / 2
    y_max = np.log(np.sqrt(s) / mass)

    def density(pid, x):
        return float(pdf.xfxQ2(pid, np.array([x]), np.array([mu2]))[0]) / x

    expected = 0.0
    for q in (1, 2, 3, 4):  # b b~ is not in the proton of a massive-b model
        def luminosity(y):
            x1, x2 = mass / np.sqrt(s) * np.exp(y), mass / np.sqrt(s) * np.exp(-y)
            return density(q, x1) * density(-q, x2) + density(-q, x1) * density(q, x2)

        expected += np.pi * float(numhep.me(p[:1], uu)[0]) / (mass**2 * s) * quad(
            luminosity, -y_max, y_max, epsrel=1e-10, limit=200)[0] * GEV2_TO_PB
    assert sigma == pytest.approx(expected, rel=1e-6)  # both quadratures limited by the grid interpolation


def test_a_two_to_one_integrand_is_differentiable_in_u_and_in_the_mass():
    torch = pytest.importorskip("torch")
    f = numhep.integrand("p p > Zp", 13000.0, model=numhep.model(UFO))
    u = torch.tensor(np.random.default_rng(3).uniform(0.05, 0.95, (5, 1)), requires_grad=True)
    mass = torch.tensor(1500.0, dtype=torch.float64, requires_grad=True)
    scale = float(np.abs(f(u.detach().numpy())).max())
    assert torch.autograd.gradcheck(lambda v, m: f(v, params={"MZp": m}) / scale, (u, mass),
                                    eps=1e-5, atol=1e-6, rtol=1e-4)


def test_two_to_one_refusals():
    model = numhep.model(UFO)
    with pytest.raises(ValueError, match="delta function in sqrt_s"):
        numhep.integrand("u u~ > Zp", 1500.0, model=model, pdf=None)
    with pytest.raises(ValueError, match="no phase space to map"):
        numhep.integrand("p p > Zp", 13000.0, model=model, channel="diagrams")


def test_the_inverse_of_a_two_to_one_map():
    f = numhep.integrand("p p > Zp", 13000.0, model=numhep.model(UFO))
    u = np.random.default_rng(8).uniform(0.02, 0.98, (6, 1))
    points = f.evaluate(u)
    back, w = f.inverse(points.momenta, x=points.x)
    np.testing.assert_allclose(back, u, rtol=1e-12)
    assert np.all(w > 0)


def test_particle_names_match_regardless_of_case_when_none_matches_exactly():
    """MadGraph's heft spells the gluon and the Higgs G and H; 'g g > h' finds them, while an
    exact name wins (a model with both H and h1 keeps them apart)."""
    from numhep.declarations.model import Model, Particle

    toy = Model("toy", {}, lambda v: {}, particles={21: Particle(21, "G", "G", 3, 8, None, None, 0.0),
                                                   25: Particle(25, "H", "H", 1, 1, None, None, 0.0),
                                                   35: Particle(35, "h1", "h1", 1, 1, None, None, 0.0),
                                                   24: Particle(24, "W+", "W-", 3, 1, None, None, 1.0)})
    assert [toy.lookup(n) for n in ("g", "G", "h", "H", "h1", "w-", "W-")] == [21, 21, 25, 25, 35, -24, -24]
    with pytest.raises(KeyError, match="unknown particle 'h2'"):
        toy.lookup("h2")


def test_the_computed_widths_agree_with_the_folders_decays_py(zp):
    """numhep's widths from the vertices against the analytic ones the UFO's decays.py declares
    (vector, left-handed and massive-fermion Z' channels, t -> b W+)."""
    for particle in ("Zp", "t"):
        computed, declared = zp.partial_widths(particle), zp.partial_widths(particle, source="ufo")
        assert computed.keys() == declared.keys()
        for channel, width in computed.items():
            assert width == pytest.approx(declared[channel], rel=1e-12), channel
    heavier = {"MZp": 2500.0, "gzp": 0.3}
    assert sum(zp.partial_widths("Zp", heavier, source="ufo").values()) == pytest.approx(zp.width("Zp", heavier), rel=1e-12)
    with pytest.raises(ValueError, match="no decays.py widths for 'H'"):
        zp.partial_widths("H", source="ufo")
    with pytest.raises(ValueError, match="source: expected"):
        zp.partial_widths("Zp", source="madgraph")


def test_a_width_that_refers_to_an_undefined_name_is_named(tmp_path):
    folder = broken_copy(tmp_path, "decays.py", "(gzp**2*MZp)/(24.*cmath.pi)", "(gzp**2*MZp)/(24.*cmath.pi*kappa)")
    with pytest.raises(UFOError, match=r"decays.py: Decay_Zp \(line \d+\): a width refers to 'kappa'"):
        load_ufo(folder)
