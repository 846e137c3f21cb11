"""Integrands: cross sections against Pythia 8 and an independent quadrature; samplers."""

import math

import numpy as np
import pytest

import numhep
from numhep.amplitudes.groups import process_group
from pythia_reference import pythia_cross_section
from numhep.units import GEV2_TO_PB

# Pythia 8.317.2 with this PDF (clipped), 5 incoming flavours, alpha_s = 0.118 fixed,
# mu = 173 GeV, m_t = 173 GeV on shell (refdata/pdf/README.md); and the LO quadrature
# with the unclipped PDF
PYTHIA_QQ_TT = (85.640, 0.025)
QUADRATURE_QQ_TT = 85.437
TOP = dict(scale=173.0, alpha_s=0.118)


def integrate(f, points=12000, iterations=8, seed=1):
    grid = numhep.VegasGrid(f.dim)
    return numhep.vegas_integrate(f, grid, n_points=points, n_iterations=iterations, n_warmup=3,
                                  seed=seed, progress=False)


def agree(value, error, ref, ref_error, rel=0.005):
    """Within the combined statistical error (3 sigma) and within ``rel``."""
    combined = math.hypot(error, ref_error)
    assert abs(value - ref) < 3 * combined, (value, error, ref, ref_error)
    assert abs(value / ref - 1) < rel, (value, ref)


@pytest.fixture(scope="module")
def top_pairs():
    return process_group("p p > t t~", model="sm_no_b_mass")


def test_process_group_subprocesses(top_pairs):
    names = sorted(s.name for s in top_pairs.subprocesses)
    assert len(names) == 11  # gg, and q q~ both ways for u c d s b
    assert "g g > t t~" in names and "b b~ > t t~ (beams exchanged)" in names
    four = process_group("p p > t t~")  # sm: massive b, four-flavour proton as in MadGraph
    assert len(four.subprocesses) == 9
    assert all(5 not in s.legs[:2] and -5 not in s.legs[:2] for s in four.subprocesses)


def test_qqbar_to_ttbar_against_pythia_and_quadrature(top_pairs):
    qq = top_pairs.select(lambda s: s.legs[0] != 21)
    clipped = integrate(numhep.integrand(qq, 13000.0, clip_negative_pdf=True, **TOP))
    agree(clipped.mean, clipped.sdev, *PYTHIA_QQ_TT)
    plain = integrate(numhep.integrand(qq, 13000.0, **TOP))
    agree(plain.mean, plain.sdev, QUADRATURE_QQ_TT, 0.0)


def test_gg_to_ttbar_against_pythia(top_pairs):
    gg = top_pairs.select(lambda s: s.legs[0] == 21)
    res = integrate(numhep.integrand(gg, 13000.0, clip_negative_pdf=True, **TOP))
    ref = pythia_cross_section("Top:gg2ttbar", 13000.0, n_events=100_000, seed=3)
    agree(res.mean, res.sdev, ref.sigma, ref.error)


def drell_yan_partonic(shat, q_charge, t3, v):
    """sigma(q q~ -> gamma*/Z -> l+ l-) in pb, colour-averaged, from helicity amplitudes
    A_ij = e^2 [Q_q Q_l/s + c_i^q c_j^l / (sw2 cw2 (s - MZ^2 + i MZ WZ))] (c_L = T3 - Q sw2,
    c_R = -Q sw2): sigma = s sum |A_ij|^2 / (48 pi) / N_c."""
    sw2 = v["sw2"]
    z = 1.0 / (sw2 * (1 - sw2)) / (shat - v["MZ"] ** 2 + 1j * v["MZ"] * v["WZ"])
    cq = (t3 - q_charge * sw2, -q_charge * sw2)
    cl = (-0.5 + sw2, sw2)
    total = sum(np.abs(v["ee"] ** 2 * (-q_charge / shat + a * b * z)) ** 2 for a in cq for b in cl)
    return shat * total / (48 * math.pi) / 3 * GEV2_TO_PB


def drell_yan_quadrature(pdf, sqrt_s, mlo, mhi, mu, v, nodes=160):
    """sum_q int dtau sigma_q(tau s) int_tau^1 dx/x [f_q(x) f_qbar(tau/x) + (q <-> qbar)]."""
    s = sqrt_s**2
    t, wt = np.polynomial.legendre.leggauss(nodes)
    lo, hi = math.log(mlo**2 / s), math.log(mhi**2 / s)
    ltau = lo + (hi - lo) * (t + 1) / 2
    wtau = wt * (hi - lo) / 2
    total = 0.0
    for pid, charge, t3 in ((1, -1 / 3, -0.5), (2, 2 / 3, 0.5), (3, -1 / 3, -0.5), (4, 2 / 3, 0.5)):
        for lt, w in zip(ltau, wtau):
            lx = lt + (0 - lt) * (t + 1) / 2  # ln x in [ln tau, 0]
            wx = wt * (-lt) / 2
            x1, x2 = np.exp(lx), np.exp(lt - lx)
            q2 = np.full_like(x1, mu**2)
            f = lambda p, x: pdf.xfxQ2(p, x, q2) / x  # noqa: E731
            lum = (wx * (f(pid, x1) * f(-pid, x2) + f(-pid, x1) * f(pid, x2))).sum()
            tau = math.exp(lt)
            total += w * tau * lum * drell_yan_partonic(tau * s, charge, t3, v)
    return total


def test_drell_yan_against_quadrature():
    cuts = {"mmll": 60.0, "mmllmax": 120.0}
    f = numhep.integrand("p p > e+ e-", 13000.0, cuts=cuts, scale=91.188)
    assert f.dim == 4
    res = integrate(f, points=10000, iterations=8)
    v = numhep.model("sm").parameters()
    ref = drell_yan_quadrature(f.pdf, 13000.0, 60.0, 120.0, 91.188, v)
    assert abs(res.mean - ref) < 3 * res.sdev and abs(res.mean / ref - 1) < 2e-3, (res.mean, res.sdev, ref)


def test_external_samplers_drive_the_integrand():
    """vegas (batch), scipy's quasi-Monte Carlo and madnis integrate the same integrand."""
    vegas = pytest.importorskip("vegas")
    from scipy.stats import qmc

    f = numhep.integrand("ee_mumu_analytic", 200.0)
    exact = numhep.process("ee_mumu_analytic").meta["total_cross_section"](200.0)
    integ = vegas.Integrator(f.dim * [[0, 1]])
    batch = vegas.batchintegrand(lambda x: np.ascontiguousarray(f(x)))
    integ(batch, nitn=4, neval=4000)
    r = integ(batch, nitn=6, neval=4000)
    assert abs(r.mean - exact) < 4 * r.sdev
    u = qmc.Sobol(f.dim, seed=2).random(2**13)
    np.testing.assert_allclose(f(u).mean(), exact, rtol=2e-3)
    madnis = pytest.importorskip("madnis.integrator")
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    integrator = madnis.Integrator(f.torch(), dims=f.dim)
    integrator.train(20)
    mean, err = integrator.integrate(4000)
    assert abs(mean - exact) < 5 * err + 1e-3 * exact


def test_cuts_and_errors():
    f = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01})
    u = np.random.default_rng(1).uniform(size=(2000, f.dim))
    pts = f.evaluate(u)
    fin = pts.momenta[:, 2:]
    s = 1000.0**2
    for a, b in ((0, 1), (0, 2), (1, 2)):
        cos = (fin[:, a, 1:] * fin[:, b, 1:]).sum(1) / np.linalg.norm(fin[:, a, 1:], axis=1) / np.linalg.norm(fin[:, b, 1:], axis=1)
        y = 2 * np.minimum(fin[:, a, 0], fin[:, b, 0]) ** 2 * (1 - cos) / s
        assert np.all(pts.weight[y < 0.01] == 0)
    assert np.all(pts.weight[pts.weight != 0] > 0) and 0.2 < np.mean(pts.weight > 0) < 1
    with pytest.raises(KeyError, match="unknown cut"):
        numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ptjj": 3})
    with pytest.raises(ValueError, match="massless final state"):
        numhep.integrand("p p > e+ e-", 13000.0)
    with pytest.raises(ValueError, match="below the threshold"):
        numhep.integrand("p p > t t~", 300.0)
    with pytest.raises(ValueError, match="expected shape"):
        numhep.integrand("e+ e- > mu+ mu-", 100.0)(np.zeros((3, 7)))


@pytest.mark.parametrize("text,options", [("p p > t t~", dict(sqrt_s=13000.0)),
                                          ("e+ e- > u u~ g", dict(sqrt_s=1000.0, cuts={"ycut": 0.01})),
                                          ("p p > e+ e-", dict(sqrt_s=13000.0, cuts={"mmll": 60}))])
@pytest.mark.parametrize("channel", [None, "diagrams"])
def test_events_map_back_to_their_points(text, options, channel):
    """Integrand.inverse: lab-frame momenta (and x) of evaluated points give the points back,
    through the flat map's or each diagram channel's inverse."""
    f = numhep.integrand(text, channel=channel, **options)
    u = np.random.default_rng(2).uniform(0.02, 0.98, (100, f.dim))
    c = None if channel is None else np.arange(100) % len(f.channels)
    pts = f.evaluate(u, c)
    back, w = f.inverse(pts.momenta, c, pts.x)
    live = pts.weight > 0
    assert live.sum() > 50 and np.all(w[live] > 0)
    np.testing.assert_allclose(back[live], u[live], atol=1e-10)
    if f.hadronic:
        with pytest.raises(ValueError, match="x: a hadron-collider integrand needs"):
            f.inverse(pts.momenta, c)


def test_the_repr_shows_the_scale_and_the_cuts():
    """Two Drell-Yan integrands that differ only in their scale give different cross sections
    (1534 and 1249 pb in two README snippets once): their reprs must differ too."""
    a = numhep.integrand("p p > e+ e-", 13000.0, cuts={"mmll": 60, "mmllmax": 120}, scale=91.188)
    b = numhep.integrand("p p > e+ e-", 13000.0, cuts={"mmll": 60, "mmllmax": 120})
    assert "scale 91.188 GeV" in repr(a) and "scale ht/2" in repr(b)
    assert "mmll 60, mmllmax 120" in repr(a)
