"""Two-body widths computed from a model's vertices: the Standard Model's LO Z, W, top and
Higgs widths equal their analytic formulas in G_F (exact at tree level in the G_mu scheme),
and their derivatives in the inputs equal finite differences."""

import math

import pytest

import numhep
from numhep.declarations.decay_widths import partial_widths, total_width

SQ2 = math.sqrt(2.0)


@pytest.fixture(scope="module")
def sm():
    return numhep.model("sm")


def test_the_z_and_w_widths_with_massless_fermions(sm):
    v = sm.parameters({"MB": 0.0, "MTA": 0.0})
    gf, mz, mw, sw2 = v["Gf"], v["MZ"], v["MW"], v["sw2"]
    # Gamma(Z -> f fbar) = N_c G_F MZ^3 / (6 sqrt2 pi) (g_V^2 + g_A^2), g_V = T3 - 2 Q sw2, g_A = T3
    fermions = [(0.5, 0.0, 1, 3), (-0.5, -1.0, 1, 3), (0.5, 2 / 3, 3, 2), (-0.5, -1 / 3, 3, 3)]
    wz = sum(n * nc * gf * mz**3 / (6 * SQ2 * math.pi) * ((t3 - 2 * q * sw2) ** 2 + t3**2)
             for t3, q, nc, n in fermions)
    assert total_width(sm, "z", v) == pytest.approx(wz, rel=1e-10)
    # Gamma(W -> f f') = N_c G_F MW^3 / (6 sqrt2 pi): three lepton and two quark doublets (t b closed)
    assert total_width(sm, "w+", v) == pytest.approx(9 * gf * mw**3 / (6 * SQ2 * math.pi), rel=1e-10)
    assert total_width(sm, "w-", v) == pytest.approx(total_width(sm, "w+", v), rel=1e-14)


def test_the_top_width(sm):
    v = sm.parameters({"MB": 0.0})
    x = v["MW"] ** 2 / v["MT"] ** 2
    wt = v["Gf"] * v["MT"] ** 3 / (8 * SQ2 * math.pi) * (1 - x) ** 2 * (1 + 2 * x)
    assert total_width(sm, "t", v) == pytest.approx(wt, rel=1e-10)
    assert set(partial_widths(sm, "t", v)) == {("b", "w+")}
    # a massive b closes a little of the phase space
    assert total_width(sm, "t", sm.parameters()) < wt


def test_the_higgs_width_into_fermion_pairs(sm):
    v = sm.parameters()
    wh = sum(nc * v["Gf"] * y**2 * v["MH"] / (4 * SQ2 * math.pi) * (1 - 4 * m**2 / v["MH"] ** 2) ** 1.5
             for y, m, nc in ((v["ymb"], v["MB"], 3), (v["ymtau"], v["MTA"], 1)))
    assert total_width(sm, "h", v) == pytest.approx(wh, rel=1e-10)
    assert set(partial_widths(sm, "h", v)) == {("b", "b~"), ("ta+", "ta-")}  # WW*, ZZ* are not two-body


@pytest.mark.parametrize("particle, wrt", [("z", "MZ"), ("w+", "MZ"), ("t", "MT"), ("h", "ymb"), ("z", "Gf")])
def test_width_derivatives_in_the_inputs(sm, particle, wrt):
    exact = total_width(sm, particle, sm.seeded(wrt)).b
    x = sm.inputs[wrt]
    h = 1e-6 * x
    fd = (total_width(sm, particle, sm.parameters({wrt: x + h})) -
          total_width(sm, particle, sm.parameters({wrt: x - h}))) / (2 * h)
    assert exact == pytest.approx(fd, rel=1e-6)


@pytest.mark.parametrize("mass", [200.0, 1000.0, 3000.0])
def test_a_heavy_vector_into_w_pairs_through_the_yang_mills_vertex(mass):
    """V -> W+ W- through g [g12 (k1 - k2)_3 + ...]: Gamma = g^2 M / (192 pi) (M / MW)^4
    beta^3 (1 + 20 x + 12 x^2), x = MW^2 / M^2, beta^2 = 1 - 4 x (the growth the equivalence
    theorem predicts); its derivative in M against finite differences."""
    from numhep.declarations.model import Model, Particle, Vertex

    toy = Model("toy", {"MV": mass, "WV": 10.0, "g": 0.3, "MW": 80.0, "WW": 2.0}, lambda v: {},
                particles={24: Particle(24, "w+", "w-", 3, 1, "MW", "WW", 1.0),
                           9000001: Particle(9000001, "vp", "vp", 3, 1, "MV", "WV", 0.0)},
                vertices=(Vertex((-24, 24, 9000001), "VVV", "none", (("QED", 1),), lambda v: (1j * v["g"],), "wwv"),))
    x = 80.0**2 / mass**2
    expected = 0.3**2 * mass / (192 * math.pi) * (mass / 80.0) ** 4 * (1 - 4 * x) ** 1.5 * (1 + 20 * x + 12 * x * x)
    assert toy.partial_widths("vp") == {("w+", "w-"): pytest.approx(expected, rel=1e-12)}
    gamma, d = toy.width("vp", grad=("MV",))
    h = 1e-5 * mass
    fd = (toy.width("vp", {"MV": mass + h}) - toy.width("vp", {"MV": mass - h})) / (2 * h)
    assert d["MV"] == pytest.approx(fd, rel=1e-6)
