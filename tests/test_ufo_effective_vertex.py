"""The effective gluon-gluon-Higgs vertex of the heavy-top limit, read from UFO (the vertex
MadGraph's heft model calls VVS3): |M|^2 of g g > h, the width H -> g g, p p > h through the
2 -> 1 integrand, gradients through the momentum-dependent vertex, and the refusal of processes
that need heft's vertices numhep has no kernel for (g g g H, g g g g H)."""

import shutil
from pathlib import Path

import numpy as np
import pytest

import numhep
from numhep.declarations.ufo import UFOError, load_ufo
from numhep.kernels import amplitude_tape as T_tape
from numhep.kernels import isa as T

UFO = Path(__file__).resolve().parent.parent / "plugins" / "numhep-zprime" / "numhep_zprime" / "sm_zp"

# the heavy-top effective coupling with its first mass corrections, in UFO's syntax
HEFT = {
    "coupling_orders.py": """
HIG = CouplingOrder(name = 'HIG',
                    expansion_order = 1,
                    hierarchy = 1)
""",
    "parameters.py": """
GH = Parameter(name = 'GH',
               nature = 'internal',
               type = 'real',
               value = '-(G**2*(1 + (13*MH**6)/(16800.*MT**6) + MH**4/(168.*MT**4) + (7*MH**2)/(120.*MT**2)))/(12.*cmath.pi**2*vev)',
               texname = 'G_H')
""",
    "lorentz.py": """
VVS3 = Lorentz(name = 'VVS3',
               spins = [ 3, 3, 1 ],
               structure = 'P(1,2)*P(2,1) - P(-1,1)*P(-1,2)*Metric(1,2)')

VVVS2 = Lorentz(name = 'VVVS2',
                spins = [ 3, 3, 3, 1 ],
                structure = 'P(3,1)*Metric(1,2) - P(3,2)*Metric(1,2) - P(2,1)*Metric(1,3) + P(2,3)*Metric(1,3) + P(1,2)*Metric(2,3) - P(1,3)*Metric(2,3)')

VVVVS1 = Lorentz(name = 'VVVVS1',
                 spins = [ 3, 3, 3, 3, 1 ],
                 structure = 'Metric(1,4)*Metric(2,3) - Metric(1,3)*Metric(2,4)')
""",
    "couplings.py": """
GC_GGH = Coupling(name = 'GC_GGH',
                  value = '-(complex(0,1)*GH)',
                  order = {'HIG':1})

GC_GGGH = Coupling(name = 'GC_GGGH',
                   value = 'G*GH',
                   order = {'HIG':1,'QCD':1})

GC_GGGGH = Coupling(name = 'GC_GGGGH',
                    value = 'complex(0,1)*G**2*GH',
                    order = {'HIG':1,'QCD':2})
""",
    "vertices.py": """
V_GGH = Vertex(name = 'V_GGH',
               particles = [ P.g, P.g, P.H ],
               color = [ 'Identity(1,2)' ],
               lorentz = [ L.VVS3 ],
               couplings = {(0,0):C.GC_GGH})

V_GGGH = Vertex(name = 'V_GGGH',
                particles = [ P.g, P.g, P.g, P.H ],
                color = [ 'f(1,2,3)' ],
                lorentz = [ L.VVVS2 ],
                couplings = {(0,0):C.GC_GGGH})

V_GGGGH = Vertex(name = 'V_GGGGH',
                 particles = [ P.g, P.g, P.g, P.g, P.H ],
                 color = [ 'f(-1,1,2)*f(3,4,-1)' ],
                 lorentz = [ L.VVVVS1 ],
                 couplings = {(0,0):C.GC_GGGGH})
""",
}


@pytest.fixture(scope="module")
def heft(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ufo") / "sm_heft"
    shutil.copytree(UFO, folder)
    for name, text in HEFT.items():
        with open(folder / name, "a") as f:
            f.write(text)
    return load_ufo(folder)


def gh(model):
    return model.value("GH")


def test_the_vertex_maps_and_the_unsupported_ones_wait(heft):
    ggh = [v for v in heft.vertices if sorted(v.particles) == [21, 21, 25]]
    assert [(v.lorentz, v.colour, v.orders) for v in ggh] == [("VVS_EFF", "delta", (("HIG", 1),))]
    assert {len(p) for p, _, _ in heft.unsupported_vertices} == {4, 5}
    assert heft.coupling_orders["HIG"] == (1, 1)


def test_gg_to_h_has_the_analytic_squared_amplitude(heft):
    """sum |M|^2 = |G_H|^2 2 (k1.k2)^2 x 8 colours; averaged over 4 helicities and 64 colours:
    G_H^2 M_H^4 / 64, at any momenta of the 2 -> 1 kinematics."""
    proc = numhep.process("g g > H", model=heft)
    p = numhep.phasespace.resonance_momenta(4, proc.masses, seed=5)
    mh = heft.inputs["MH"]
    np.testing.assert_allclose(numhep.me(p, proc), gh(heft) ** 2 * mh**4 / 64, rtol=1e-12)


def test_the_width_into_gluons_is_the_heavy_top_formula(heft):
    """Gamma(H -> g g) = G_F alpha_s^2 M_H^3 / (36 sqrt 2 pi^3) F^2, with F the mass
    corrections that G_H carries, 1 + 7 tau / 120 + tau^2 / 168 + 13 tau^3 / 16800,
    tau = M_H^2 / M_T^2 (and v^2 = 1 / (sqrt 2 G_F) exactly in this input scheme)."""
    gf, a_s, mh, mt = (heft.inputs[k] for k in ("Gf", "aS", "MH", "MT"))
    tau = mh**2 / mt**2
    f = 1 + 7 * tau / 120 + tau**2 / 168 + 13 * tau**3 / 16800
    expected = gf * a_s**2 * mh**3 / (36 * np.sqrt(2) * np.pi**3) * f**2
    widths = heft.partial_widths("H")
    assert widths[("g", "g")] == pytest.approx(expected, rel=1e-10)
    # and its derivative in alpha_s, through the dual numbers: 2 Gamma / alpha_s
    _, grad = heft.width("H", grad=("aS",))
    others = sum(w for k, w in widths.items() if k != ("g", "g"))
    assert others == pytest.approx(heft.width("H") - expected, rel=1e-12)
    assert grad["aS"] == pytest.approx(2 * expected / a_s, rel=1e-9)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
def test_p_p_to_h_integrates_the_gluon_luminosity(heft):
    """sigma(p p > h) = pi |M|^2 / (M_H^2 s) int dy g(x1) g(x2), x1,2 = (M_H / sqrt s) e^(+-y)."""
    from scipy.integrate import quad

    from numhep.units import GEV2_TO_PB

    mass, s = heft.inputs["MH"], 13000.0**2
    f = numhep.integrand("p p > H", 13000.0, model=heft)
    assert f.dim == 1
    nodes, weights = np.polynomial.legendre.leggauss(400)
    sigma = (weights * f(((nodes + 1) / 2)[:, None])).sum() / 2
    pdf, mu2 = numhep.pdf(), (mass / 2) ** 2
    y_max = np.log(np.sqrt(s) / mass)

    def gluons(x):
        return float(pdf.xfxQ2(21, np.array([x]), np.array([mu2]))[0]) / x

    # alpha_s at the integrand's scale in |M|^2 (G_H ~ alpha_s)
    a_s = float(pdf.alphasQ2(np.array([mu2]))[0])
    m2 = gh(heft) ** 2 * (a_s / heft.inputs["aS"]) ** 2 * mass**4 / 64
    lum = quad(lambda y: gluons(mass / np.sqrt(s) * np.exp(y)) * gluons(mass / np.sqrt(s) * np.exp(-y)),
               -y_max, y_max, epsrel=1e-10, limit=200)[0]
    assert sigma == pytest.approx(np.pi * m2 / (mass**2 * s) * lum * GEV2_TO_PB, rel=1e-6)


@pytest.mark.parametrize("text", ["u u~ > H g", "g u > H u"])
def test_gradients_through_the_effective_vertex(heft, text):
    """Processes through the gg H vertex alone, its vector and its scalar current: d|M|^2/dp
    from the reverse sweep against finite differences, and d|M|^2/dM_H."""
    from kernel_checks import check_vjp

    proc = numhep.process(text, model=heft)
    opcodes = set(proc.program.ops[:, 0].tolist())
    assert opcodes & {T.VVS_EFF_V, T.VVS_EFF_S}
    p, _ = numhep.rambo(3, 1000.0, list(proc.masses), seed=21)

    def vjp(inputs, cot):
        _, dp = numhep.me(inputs[0], proc, grad=True, check=False)
        return (dp * cot[0][:, None, None],)

    check_vjp(lambda q: numhep.me(q, proc, check=False), vjp, [p], step=1e-7, rtol=2e-6)
    x = heft.inputs["MH"]
    _, g = numhep.me(p, proc, grad=("MH",))
    fd = (numhep.me(p, proc, params={"MH": x + 1e-4}) - numhep.me(p, proc, params={"MH": x - 1e-4})) / 2e-4
    np.testing.assert_allclose(g["MH"], fd, rtol=1e-6)


def test_a_process_that_needs_a_vertex_without_a_kernel_is_refused(heft):
    with pytest.raises(UFOError, match=r"V_GGGH.*spins \(3, 3, 3, 1\).*a diagram of this process needs it"):
        numhep.process("g g > H g", model=heft)
    with pytest.raises(UFOError, match=r"V_GGGGH.*5-point vertex"):
        numhep.process("g g > H g g", model=heft)
    # g g > t t~ keeps MadGraph's least WEIGHTED (QCD^2): the HIG diagram is dropped, not refused
    ref = numhep.process("g g > t t~")
    p, _ = numhep.rambo(4, 1000.0, list(ref.masses), seed=4)
    np.testing.assert_allclose(numhep.me(p, numhep.process("g g > t t~", model=heft)), numhep.me(p, ref), rtol=1e-12)


def test_the_cuda_build_of_the_effective_vertex_matches_the_cpu(heft):
    """The one-event-per-thread tape (numba's CUDA simulator in CI) against the CPU build of
    the same kernel, value and cotangents, for both currents of the vertex."""
    for text in ("u u~ > H g", "g u > H u"):
        proc = numhep.process(text, model=heft)
        p, _ = numhep.rambo(2, 800.0, list(proc.masses), seed=6)
        arrays = T_tape.tape_arrays(proc.program_arrays(None))
        shapes = T_tape.workspace_shapes(2, proc.program.n_slots, proc.program.colour.shape[0], grad=True)
        shapes += [((2, arrays[1].shape[0], 4), complex), ((2, arrays[2].shape[0]), float)]
        work = [np.zeros(s, d) for s, d in shapes[:-2]]
        outs = [np.zeros(s, d) for s, d in shapes[-2:]] + [np.zeros(2), np.zeros((2, 4, 4))]
        cpu = [o.copy() for o in outs]
        T_tape.tape_me.vjp.cpu(p, *arrays, np.ones(2), *[w.copy() for w in work], *cpu)
        gpu = [o.copy() for o in outs]
        T_tape.tape_me.vjp.cuda(p, *arrays, np.ones(2), *[w.copy() for w in work], *gpu)
        for a, b in zip(cpu, gpu):
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(cpu[2], numhep.me(p, proc), rtol=1e-12)
