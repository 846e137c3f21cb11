import math

import numpy as np
import pytest
from kernel_checks import check_cuda_matches_cpu, check_vjp
from scipy.special import erf

import numhep
from numhep.kernels import vegas_grid as KV


def gaussians(x):
    # product of normalised Gaussians (sigma 0.1, centre 0.5) per dimension: integral
    # = erf(0.5 / (sqrt2 0.1))^d over the cube
    s = 0.1
    return np.prod(np.exp(-((x - 0.5) ** 2) / (2 * s * s)) / (math.sqrt(2 * math.pi) * s), axis=1)


def camel(x):
    # two Gaussian humps on the diagonal, each carrying half the integral
    s = 0.05
    a = np.exp(-(((x - 1 / 3) ** 2).sum(1)) / (2 * s * s))
    b = np.exp(-(((x - 2 / 3) ** 2).sum(1)) / (2 * s * s))
    return 0.5 * (a + b) / (2 * math.pi * s * s) ** (x.shape[1] / 2)


def peak(x):
    # a narrow Lorentzian peak, width 1e-3, in one dimension
    g = 1e-3
    return (g / math.pi) / ((x[:, 0] - 0.3) ** 2 + g * g)


def exact_gauss(d, s=0.1):
    return erf(0.5 / (math.sqrt(2) * s)) ** d


def exact_camel(d, s=0.05):
    one = 0.5 * (erf((2 / 3) / (math.sqrt(2) * s)) + erf((1 / 3) / (math.sqrt(2) * s)))
    return one**d


def exact_peak(g=1e-3):
    return (math.atan(0.7 / g) + math.atan(0.3 / g)) / math.pi


@pytest.mark.parametrize(
    "f, dims, exact",
    [(gaussians, 4, exact_gauss(4)), (camel, 2, exact_camel(2)), (peak, 1, exact_peak())],
    ids=["gaussians", "camel", "narrow peak"],
)
def test_known_integrals_within_quoted_errors(f, dims, exact):
    chi2 = []
    for seed in (1, 2, 3):
        res = numhep.vegas_integrate(f, numhep.VegasGrid(dims), n_points=20_000, n_iterations=12, n_warmup=4, seed=seed)
        assert abs(res.mean - exact) < 4 * res.sdev, (res, exact)
        assert res.sdev < 1e-2 * exact
        chi2.append(res.chi2_dof)
    # a narrow peak's iterations now and then miss a few sigma (heavy-tailed weights): the
    # typical chi2/dof is what says the errors are right
    assert np.median(chi2) < 2.0, chi2


def test_adaptation_reduces_variance():
    grid = numhep.VegasGrid(4)
    res = numhep.vegas_integrate(gaussians, grid, n_points=20_000, n_iterations=10, seed=2)
    first, last = res.iterations[0][1], res.iterations[-1][1]
    assert last < first / 5


def test_pulls_are_unit_normal():
    pulls = []
    for seed in range(40):
        grid = numhep.VegasGrid(2, bins=32)
        res = numhep.vegas_integrate(gaussians, grid, n_points=2_000, n_iterations=6, n_warmup=2, seed=seed)
        pulls.append((res.mean - exact_gauss(2)) / res.sdev)
    pulls = np.array(pulls)
    # 40 pulls: mean within 3/sqrt(40), spread within ~ +-35%
    assert abs(pulls.mean()) < 3 / math.sqrt(40), pulls
    assert 0.65 < pulls.std(ddof=1) < 1.35, pulls


def test_map_is_a_density_and_vjp():
    grid = numhep.VegasGrid(3, bins=8)
    grid.adapt(np.random.default_rng(0).uniform(0.1, 5.0, size=(3, 8)))
    u = np.random.default_rng(1).uniform(size=(200_000, 3))
    x, jac, bins = grid.map(u)
    assert np.all((x >= 0) & (x <= 1))
    # E_u[jac] = volume of the cube
    assert jac.mean() == pytest.approx(1.0, rel=1e-2)
    # inverse-CDF property per dimension: x is monotone in u
    order = np.argsort(u[:, 0])
    assert np.all(np.diff(x[order, 0]) >= 0)

    u = np.random.default_rng(2).uniform(size=(10, 3))
    _, _, b = grid.map(u)

    def fwd(u):
        x, j = np.empty_like(u), np.empty(len(u))
        KV.vegas_map.cpu(u, grid.edges, x, j, np.empty(u.shape, dtype=np.int64))
        return x, j

    def vjp(inputs, cot):
        gu = np.empty_like(inputs[0])
        KV.vegas_map.vjp.cpu(inputs[0], grid.edges, b, cot[0], cot[1], gu)
        return (gu,)

    check_vjp(fwd, vjp, [u], step=1e-9)  # small steps stay inside a bin
    check_cuda_matches_cpu(KV.vegas_map, [u[:3], grid.edges], [np.empty((3, 3)), np.empty(3), np.empty((3, 3), dtype=np.int64)])
    cot = (np.random.default_rng(3).normal(size=(3, 3)), np.random.default_rng(4).normal(size=3))
    check_cuda_matches_cpu(KV.vegas_map.vjp, [u[:3], grid.edges, b[:3], *cot], [np.empty((3, 3))])


def test_accumulate_and_its_adjoint():
    grid = numhep.VegasGrid(2, bins=4)
    bins = np.array([[0, 3], [0, 1], [2, 1]])
    fw2 = np.array([1.0, 2.0, 4.0])
    sums = grid.bin_sums(bins, fw2)
    np.testing.assert_array_equal(sums, [[3, 0, 4, 0], [0, 6, 0, 1]])
    gs = np.random.default_rng(0).normal(size=(2, 4))
    g = np.empty(3)
    KV.accumulate.vjp.cpu(bins, gs, g)
    # linear map: <gs, A fw2> == <A^T gs, fw2>
    assert np.sum(gs * sums) == pytest.approx(np.dot(g, fw2))
    # the accumulator is also the kernel's output, so run the CUDA build by hand
    sim = np.zeros((2, 4))
    KV.accumulate.cuda(sim, bins, fw2)
    np.testing.assert_array_equal(sim, sums)
    check_cuda_matches_cpu(KV.accumulate.vjp, [bins, gs], [np.empty(3)])


def test_checkpoint_resume_gives_the_same_result(tmp_path):
    ck = tmp_path / "run.npz"
    full = numhep.vegas_integrate(gaussians, numhep.VegasGrid(2), n_points=3000, n_iterations=6, seed=5)
    numhep.vegas_integrate(gaussians, numhep.VegasGrid(2), n_points=3000, n_iterations=3, seed=5, checkpoint=ck)
    resumed = numhep.vegas_integrate(gaussians, numhep.VegasGrid(2), n_points=3000, n_iterations=6, seed=5, checkpoint=ck)
    assert resumed.iterations == full.iterations
    assert resumed.mean == full.mean


def test_a_run_killed_inside_an_iteration_resumes_without_redoing_its_finished_batches(tmp_path):
    ck = tmp_path / "run.npz"
    opts = dict(n_points=3000, n_iterations=4, seed=5, batch_size=500)
    full = numhep.vegas_integrate(gaussians, numhep.VegasGrid(2), **opts)
    calls = []

    def dies_in_iteration_three(x):
        calls.append(len(x))
        if len(calls) == 2 * 6 + 4:  # six batches per iteration: the 4th batch of the 3rd
            raise KeyboardInterrupt
        return gaussians(x)

    with pytest.raises(KeyboardInterrupt):
        numhep.vegas_integrate(dies_in_iteration_three, numhep.VegasGrid(2), checkpoint=ck, **opts)
    assert len(list((tmp_path / "run.npz.tasks").glob("*.npz"))) == 3
    calls.clear()
    resumed = numhep.vegas_integrate(lambda x: calls.append(len(x)) or gaussians(x), numhep.VegasGrid(2),
                                     checkpoint=ck, **opts)
    assert len(calls) == 3 + 6  # the rest of iteration 3, then iteration 4
    assert resumed.iterations == full.iterations and resumed.n_evaluations == full.n_evaluations
    assert not (tmp_path / "run.npz.tasks").exists()


def test_bad_integrand_is_named():
    with pytest.raises(ValueError, match="NaN"):
        numhep.vegas_integrate(lambda x: np.full(len(x), np.nan), numhep.VegasGrid(1), n_points=10, n_iterations=1)
    with pytest.raises(ValueError, match="shape"):
        numhep.VegasGrid(2).map(np.zeros((3, 3)))


def test_the_call_budget_is_kept_and_the_printout_says_what_was_combined():
    # a peaked integrand drives the stratified allocation far from uniform
    f = lambda x: np.exp(-200.0 * ((x - 0.3) ** 2).sum(axis=1))  # noqa: E731
    res = numhep.vegas_integrate(f, numhep.VegasGrid(3), n_points=5000, n_iterations=6, n_warmup=2, seed=3)
    assert res.n_evaluations == 6 * 5000
    assert "4 iterations combined after 2 warm-up, 30000 calls" in str(res)
    mc = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    multi = mc.multichannel_vegas(n_points=3001, n_iterations=4, n_warmup=1, seed=2)
    assert multi.n_evaluations == 4 * 3001 and sum(multi.allocation) == 3001
    assert "3 iterations combined after 1 warm-up" in str(multi)


def test_allocate_points_is_exact_with_a_floor():
    from numhep.integration.vegas import allocate_points

    rng = np.random.default_rng(0)
    for _ in range(20):
        share = rng.exponential(size=rng.integers(1, 50)) ** 3
        total = int(rng.integers(2 * share.size, 10_000))
        n = allocate_points(share, total, 2)
        assert n.sum() == total and n.min() >= 2
        assert np.all(np.abs(n - 2 - share / share.sum() * (total - 2 * share.size)) < 1.0 + 1e-9)


def test_points_are_allocated_by_largest_remainders_with_ties_in_index_order():
    """allocate_points's partition picks what a stable sort of the remainders picks: the
    largest remainders, ties broken by position, so the same share gives the same points."""
    from numhep.integration.vegas import allocate_points

    rng = np.random.default_rng(0)
    for trial in range(200):
        k = int(rng.integers(1, 500))
        share = rng.random(k) ** int(rng.integers(1, 5))
        if trial % 3 == 0:
            share = np.round(share * 4) + 1  # many equal remainders
        total = int(rng.integers(2 * k, 40 * k))
        extra = total - 2 * k
        ideal = share / share.sum() * extra
        n = np.floor(ideal).astype(np.int64)
        n[np.argsort(n - ideal, kind="stable")[: extra - int(n.sum())]] += 1
        got = allocate_points(share, total, 2)
        np.testing.assert_array_equal(got, n + 2)
        assert got.sum() == total


def test_the_hypercube_bookkeeping_kernels():
    """stratum_points moves each cube's points into it (digits base n_s, the first dimension
    fastest); stratum_sums gives each cube's sums of w and w^2 and the density-weighted w^2 per
    point, as numpy computes them; both the same on the CUDA build."""
    from kernel_checks import check_cuda_matches_cpu

    from numhep.kernels import vegas_grid as K

    rng = np.random.default_rng(4)
    per_dim, dims, first = 5, 3, 7
    counts = rng.integers(2, 6, 40)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    u0 = rng.random((counts.sum(), dims))
    u = check_cuda_matches_cpu(K.stratum_points, [counts, starts, np.array([first]), np.array([per_dim])], [u0])[0]
    cube = np.repeat(first + np.arange(counts.size), counts)
    digits = np.stack([(cube // per_dim**d) % per_dim for d in range(dims)], axis=1)
    np.testing.assert_array_equal(np.floor(u * per_dim), digits)
    np.testing.assert_allclose(u * per_dim - digits, u0, rtol=0, atol=1e-14)
    w, density = rng.normal(size=counts.sum()), rng.random(counts.size)
    s1, s2, fw2 = np.zeros(40), np.zeros(40), np.zeros(counts.sum())
    K.stratum_sums.cpu(s1, s2, counts, starts, density, w, fw2)
    on_cuda = [np.zeros(40), np.zeros(40), counts, starts, density, w, np.zeros(counts.sum())]
    K.stratum_sums.cuda(*on_cuda)
    for a, b in zip((s1, s2, fw2), (on_cuda[0], on_cuda[1], on_cuda[6])):
        np.testing.assert_array_equal(b, a)
    local = np.repeat(np.arange(40), counts)
    np.testing.assert_allclose(s1, np.bincount(local, w), rtol=1e-14)
    np.testing.assert_allclose(s2, np.bincount(local, w * w), rtol=1e-14)
    np.testing.assert_allclose(fw2, w * w * density[local], rtol=1e-15)
