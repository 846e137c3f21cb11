import math
import numpy as np
import pytest
from kernel_checks import check_cuda_matches_cpu, check_vjp
from refdata import refdata
from scipy import integrate

import numhep
from numhep.kernels import alpha_s as KA
from numhep.kernels import pdf_interpolation as KP


@pytest.fixture(scope="module")
def nnpdf():
    return numhep.pdf("NNPDF31_lo_as_0118")


@pytest.fixture(scope="module")
def ref():
    return np.load(refdata("pdf", "nnpdf31_lo_as_0118_lhapdf.npz"))


def test_default_set_is_found_without_configuration(nnpdf):
    assert nnpdf.flavors() == [-5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 21]
    assert nnpdf.xMin == pytest.approx(1e-9) and nnpdf.xMax == 1.0
    assert nnpdf.q2Min == pytest.approx(1.65**2)


def test_agrees_with_lhapdf_inside_and_outside_the_grid(nnpdf, ref):
    x, q2 = np.meshgrid(ref["x"], ref["q2"], indexing="ij")
    inside = nnpdf.inRangeXQ2(x, q2)
    for k, pid in enumerate(ref["pid"]):
        ours = nnpdf.xfxQ2(int(pid), x, q2)
        theirs = ref["xf"][k]
        big = np.abs(theirs) > 1e-6
        np.testing.assert_allclose(ours[inside & big], theirs[inside & big], rtol=1e-10)
        np.testing.assert_allclose(ours[inside], theirs[inside], rtol=1e-10, atol=1e-15)
        # the continuation extrapolator outside the grid
        np.testing.assert_allclose(ours[~inside], theirs[~inside], rtol=1e-10, atol=1e-15)


def test_nearest_extrapolator_agrees_with_lhapdf(ref):
    near = numhep.pdf("NNPDF31_lo_as_0118", extrapolator="nearest")
    x, q2 = np.meshgrid(ref["x"], ref["q2"], indexing="ij")
    for k, pid in enumerate(ref["pid"]):
        np.testing.assert_allclose(near.xfxQ2(int(pid), x, q2), ref["xf_nearest"][k], rtol=1e-10, atol=1e-15)


def test_agrees_with_pythia_reader_at_its_documented_level(nnpdf):
    pythia8mc = pytest.importorskip("pythia8mc")
    py = pythia8mc.Pythia("", False)
    py.readString("PDF:pSet = LHAGrid1:NNPDF31_lo_as_0118_0000.dat")
    grid = py.getPDFPtr(2212)
    rng = np.random.default_rng(3)
    x = 10 ** rng.uniform(-6, -0.05, 400)
    q2 = 10 ** rng.uniform(0.5, 7, 400)
    # Pythia interpolates with 4-point Lagrange polynomials in (ln x, ln Q): the two
    # agree to ~1e-5 typically and 1e-3..6e-3 at worst, except in the first Q interval
    # above a subgrid boundary (heavy-quark thresholds), where small b-quark values
    # differ by up to ~2%
    boundaries = nnpdf.grid.q2s[1:, 0]
    near_threshold = np.any((q2[:, None] >= boundaries) & (q2[:, None] < 1.3 * boundaries), axis=1)
    for pid in (21, 1, 2, -1, -2, 3, 4, 5):
        ours = np.maximum(nnpdf.xfxQ2(pid, x, q2), 0.0)  # Pythia clips negative values
        theirs = np.array([grid.xf(pid, a, b) for a, b in zip(x, q2)])
        keep = theirs > 1e-3
        rel = np.abs(ours / np.where(keep, theirs, 1.0) - 1)
        assert np.median(rel[keep]) < 5e-5, pid
        assert rel[keep & ~near_threshold].max() < 6e-3, pid
        assert rel[keep].max() < 3e-2, pid


def test_momentum_sum_rule(nnpdf):
    # int_0^1 sum_i x f_i dx = 1; NNPDF3.1 LO imposes it in the fit and the grid keeps
    # it to 1.5e-3 (value 1.00145 at every scale)
    lx = np.linspace(math.log(1e-9), 0.0, 40001)
    x = np.exp(lx)
    for q2 in (10.0, 1e4, 1e6):
        total = sum(nnpdf.xfxQ2(p, x, np.full_like(x, q2)) for p in nnpdf.flavors())
        value = integrate.simpson(total * x, x=lx)  # dx = x d(ln x)
        assert value == pytest.approx(1.0, abs=2e-3), (q2, value)


REGIONS = {
    "inside": ((1e-5, 0.9), (5.0, 1e8)),
    "small x": ((1e-12, 9e-10), (5.0, 1e8)),
    "large q2": ((1e-5, 0.9), (2e10, 1e12)),
    "small x, large q2": ((1e-12, 9e-10), (2e10, 1e12)),
    "small q2": ((1e-5, 0.9), (0.3, 2.6)),
    "small x, small q2": ((1e-12, 9e-10), (0.3, 2.6)),
}


@pytest.mark.parametrize("region", REGIONS)
def test_adjoint_against_finite_differences(nnpdf, region):
    (x0, x1), (q0, q1) = REGIONS[region]
    rng = np.random.default_rng(7)
    n = 24
    x = np.exp(rng.uniform(np.log(x0), np.log(x1), n))
    q2 = np.exp(rng.uniform(np.log(q0), np.log(q1), n))
    col = nnpdf.grid.pid_column[numhep.pdfsets.lhapdf_grid.pid_slots(rng.choice([21, 1, 2, -2, 3, 5], n))]
    arrays = nnpdf.grid.kernel_arrays()

    def f(lx, lq2):
        out = np.empty(n)
        KP.xfxq2.cpu(col, np.exp(lx), np.exp(lq2), *arrays, out)
        return out

    def vjp(inputs, cot):
        gx, gq = np.empty(n), np.empty(n)
        x, q2 = np.exp(inputs[0]), np.exp(inputs[1])
        KP.xfxq2.vjp.cpu(col, x, q2, *arrays, cot[0], gx, gq)
        return gx * x, gq * q2  # chain to log variables: the FD steps are relative

    # steps inside one knot interval: the interpolant is C1 across knots
    check_vjp(f, vjp, [np.log(x), np.log(q2)], step=1e-7, rtol=1e-5)


def test_grad_api_and_cuda_build(nnpdf):
    x = np.array([1e-3, 0.2, 1e-11])
    q2 = np.array([100.0, 1e4, 1.0])
    v, dx, dq = nnpdf.xfxQ2(2, x, q2, grad=True)
    np.testing.assert_array_equal(v, nnpdf.xfxQ2(2, x, q2))
    h = 1e-6
    fd = (nnpdf.xfxQ2(2, x * (1 + h), q2) - nnpdf.xfxQ2(2, x * (1 - h), q2)) / (2 * h * x)
    np.testing.assert_allclose(dx, fd, rtol=1e-5)
    col = np.full(3, nnpdf.grid.pid_column[numhep.pdfsets.lhapdf_grid.pid_slots(2)])
    check_cuda_matches_cpu(KP.xfxq2, [col, x, q2, *nnpdf.grid.kernel_arrays()], [np.empty(3)])
    check_cuda_matches_cpu(
        KP.xfxq2.vjp, [col, x, q2, *nnpdf.grid.kernel_arrays(), np.ones(3)], [np.empty(3), np.empty(3)]
    )


def test_alpha_s_running_matches_one_loop_formula(nnpdf):
    assert nnpdf.alphas_mz == 0.118 and nnpdf.alphas_order == 0
    assert nnpdf.alphasQ2(91.1876**2) == pytest.approx(0.118, rel=1e-14)

    def one_loop(q, a0=0.118, mu=91.1876, nf=5):
        return 1 / (1 / a0 + (11 - 2 * nf / 3) / (4 * math.pi) * math.log(q**2 / mu**2))

    assert nnpdf.alphasQ(50.0) == pytest.approx(one_loop(50.0), rel=1e-13)
    # the set has five active flavours at most: no top threshold
    assert nnpdf.alphasQ(1000.0) == pytest.approx(one_loop(1000.0), rel=1e-13)
    a_mb = one_loop(4.92)
    assert nnpdf.alphasQ(3.0) == pytest.approx(one_loop(3.0, a_mb, 4.92, 4), rel=1e-13)
    assert numhep.pdf("NNPDF31_lo_as_0130").alphasQ2(91.1876**2) == pytest.approx(0.130)


def test_alpha_s_adjoint_and_cuda(nnpdf):
    kind, (params,) = nnpdf._alphas
    q2 = np.exp(np.random.default_rng(1).uniform(0.5, 14, 20))

    def f(lq2):
        out = np.empty(len(lq2))
        KA.alphas_running.cpu(np.exp(lq2), params, out)
        return out

    def vjp(inputs, cot):
        g = np.empty(len(inputs[0]))
        KA.alphas_running.vjp.cpu(np.exp(inputs[0]), params, cot[0], g)
        return (g * np.exp(inputs[0]),)

    check_vjp(f, vjp, [np.log(q2)], step=1e-7)
    nlo = params.copy()
    nlo[2] = 1
    check_vjp(
        lambda lq: (lambda o: (KA.alphas_running.cpu(np.exp(lq), nlo, o), o)[1])(np.empty(20)),
        lambda inp, cot: (lambda g: (KA.alphas_running.vjp.cpu(np.exp(inp[0]), nlo, cot[0], g), g * np.exp(inp[0]))[1])(np.empty(20)),
        [np.log(q2)], step=1e-6, rtol=1e-5,
    )
    check_cuda_matches_cpu(KA.alphas_running, [q2[:3], params], [np.empty(3)])
    check_cuda_matches_cpu(KA.alphas_running.vjp, [q2[:3], params, np.ones(3)], [np.empty(3)])


def test_tabulated_alpha_s_kernels(nnpdf):
    lq = np.log(np.geomspace(1.65, 1000.0, 30) ** 2)
    vals = nnpdf.alphasQ2(np.exp(lq))
    dv = numhep.pdfsets.parton_density._subgrid_derivatives(lq, vals)
    q2 = np.exp(np.random.default_rng(2).uniform(lq[0] + 0.01, lq[-1] - 0.01, 12))

    def f(l):
        out = np.empty(len(l))
        KA.alphas_tabulated.cpu(np.exp(l), lq, vals, dv, out)
        return out

    def vjp(inputs, cot):
        g = np.empty(len(inputs[0]))
        KA.alphas_tabulated.vjp.cpu(np.exp(inputs[0]), lq, vals, dv, cot[0], g)
        return (g * np.exp(inputs[0]),)

    check_vjp(f, vjp, [np.log(q2)], step=1e-8)
    # 30 knots reproduce the running to 1e-3 (the flavour thresholds are kinks the
    # cubic smooths over; LHAPDF's own tables duplicate knots there)
    np.testing.assert_allclose(f(np.log(q2)), nnpdf.alphasQ2(q2), rtol=1e-3)
    check_cuda_matches_cpu(KA.alphas_tabulated, [q2[:3], lq, vals, dv], [np.empty(3)])
    check_cuda_matches_cpu(KA.alphas_tabulated.vjp, [q2[:3], lq, vals, dv, np.ones(3)], [np.empty(3)])


def test_tabulated_alpha_s_thresholds_and_ends(nnpdf):
    # a table with the b threshold as a repeated knot: the two sides are separate subgrids
    qs = np.array([1.65, 2.0, 3.0, 4.0, 4.92, 4.92, 6.0, 10.0, 50.0, 91.1876])
    vals = np.array([float(nnpdf.alphasQ(q)) for q in qs])
    vals[5] *= 0.99  # a jump at the threshold
    lq = np.log(qs**2)
    dv = numhep.pdfsets.parton_density._subgrid_derivatives(lq, vals)
    out = np.empty(4)
    q2 = np.array([4.92**2 * 0.9999, 4.92**2, 1.0, 1e6])
    KA.alphas_tabulated.cpu(q2, lq, vals, dv, out)
    assert out[0] == pytest.approx(vals[4], rel=1e-3) and out[1] == pytest.approx(vals[5], rel=1e-14)
    g = np.log(vals[1] / vals[0]) / (lq[1] - lq[0])
    assert out[2] == pytest.approx(vals[0] * (1.0 / qs[0] ** 2) ** g, rel=1e-14)  # power law below
    assert out[3] == vals[-1]  # frozen above


def test_bad_input_is_named(nnpdf):
    with pytest.raises(ValueError, match=r"x"):
        nnpdf.xfxQ2(21, 1.5, 100.0)
    with pytest.raises(ValueError, match=r"x"):
        nnpdf.xfxQ2(21, 0.0, 100.0)
    with pytest.raises(ValueError, match="q2"):
        nnpdf.xfxQ2(21, 0.1, -1.0)
    with pytest.raises(LookupError, match="NNPDF31_lo_as_0118"):
        numhep.pdf("NNPDF31_lo_as_O118")
    assert np.all(nnpdf.xfxQ2(6, [0.1, 0.2], 100.0) == 0.0)  # no top in the set


def test_lhapdf_set_folder_from_data_path(tmp_path, monkeypatch, nnpdf):
    # a standard LHAPDF folder: .info + members, found through LHAPDF_DATA_PATH
    src = numhep.pdfsets.lhapdf_grid.locate("NNPDF31_lo_as_0118").member(0)
    folder = tmp_path / "MySet"
    folder.mkdir()
    (folder / "MySet_0000.dat").write_text(src.read_text())
    qs = list(np.geomspace(1.65, 1000.0, 40))
    vals = [float(nnpdf.alphasQ(q)) for q in qs]
    (folder / "MySet.info").write_text(
        "SetDesc: test copy\nNumMembers: 1\nAlphaS_Type: ipol\n"
        f"AlphaS_Qs: [{', '.join(map(str, qs))}]\nAlphaS_Vals: [{', '.join(map(repr, vals))}]\n"
    )
    monkeypatch.setenv("LHAPDF_DATA_PATH", str(tmp_path))
    mine = numhep.pdf("MySet")
    np.testing.assert_allclose(mine.xfxQ2(21, 0.01, 100.0), nnpdf.xfxQ2(21, 0.01, 100.0), rtol=1e-15)
    np.testing.assert_allclose(mine.alphasQ(np.array(qs)), vals, rtol=1e-14)  # knots reproduced
    assert mine.alphasQ(30.0) == pytest.approx(float(nnpdf.alphasQ(30.0)), rel=1e-4)
