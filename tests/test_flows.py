"""The MadNIS flows on the unit hypercube: exact inverse, log-density against a
finite-difference Jacobian, normalisation, identity start, VEGAS initialisation."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("madnis")

from numhep.integration.vegas import VegasGrid, vegas_integrate  # noqa: E402
from numhep.torch.flows import HypercubeFlow  # noqa: E402


def _trained_like(flow, seed=0):
    """Random sub-network weights: a flow far from the identity."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in flow.parameters():
            p.copy_(0.2 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return flow


FLOWS = [
    pytest.param(dict(dim=5), id="one channel"),
    pytest.param(dict(dim=3, channels=3), id="three channels"),
    pytest.param(dict(dim=4, features=2), id="conditional"),
    pytest.param(dict(dim=1), id="one dimension"),
]


def _inputs(flow, n, seed=1):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand((n, flow.dim), generator=gen, dtype=torch.float64)
    channel = torch.randint(0, flow.channels, (n,), generator=gen) if flow.channels else None
    cond = torch.rand((n, flow.features), generator=gen, dtype=torch.float64) if flow.features else None
    return x, channel, cond


@pytest.mark.parametrize("options", FLOWS)
def test_flow_is_exactly_invertible(options):
    flow = _trained_like(HypercubeFlow(**options))
    x, channel, cond = _inputs(flow, 500)
    z, log_jac = flow(x, channel, cond)
    assert torch.all((z >= 0) & (z <= 1))
    back, log_jac_inv = flow.inverse(z, channel, cond)
    assert torch.max(torch.abs(back - x)) < 1e-10
    assert torch.max(torch.abs(log_jac + log_jac_inv)) < 1e-8
    assert torch.max(torch.abs(log_jac)) > 0.1  # the test flow is far from the identity


@pytest.mark.parametrize("options", FLOWS)
def test_log_density_is_the_log_determinant_of_finite_differences(options):
    flow = _trained_like(HypercubeFlow(**options), seed=3)
    x, channel, cond = _inputs(flow, 20, seed=4)
    x = 0.05 + 0.9 * x  # central differences stay inside the cube
    h = 1e-6  # the spline's second derivative jumps at its knots: O(h) there
    jac = torch.empty((x.shape[0], flow.dim, flow.dim), dtype=torch.float64)
    for j in range(flow.dim):
        dx = torch.zeros_like(x)
        dx[:, j] = h
        with torch.no_grad():
            jac[:, :, j] = (flow(x + dx, channel, cond)[0] - flow(x - dx, channel, cond)[0]) / (2 * h)
    log_det = torch.linalg.slogdet(jac)[1]
    np.testing.assert_allclose(flow.log_prob(x, channel, cond).detach().numpy(), log_det.numpy(), atol=1e-5)


def test_flow_density_integrates_to_one():
    flow = _trained_like(HypercubeFlow(2), seed=5)
    # midpoint rule on a 400 x 400 grid: the density is smooth inside the cube
    t = (torch.arange(400, dtype=torch.float64) + 0.5) / 400
    x = torch.cartesian_prod(t, t)
    with torch.no_grad():
        g = torch.exp(flow.log_prob(x))
    assert float(g.mean()) == pytest.approx(1.0, abs=2e-3)
    assert float(g.max() / g.min()) > 2  # not trivially flat
    # and the samples' density is the density at the samples
    with torch.no_grad():
        xs, gs = flow.sample(1000, generator=torch.Generator().manual_seed(1))
        np.testing.assert_allclose(gs.numpy(), torch.exp(flow.log_prob(xs)).numpy(), rtol=1e-9)


def test_flow_starts_as_the_identity_and_has_log_blocks():
    flow = HypercubeFlow(9, channels=2)
    assert flow.blocks == 2 * int(np.ceil(np.log2(9)))
    x, channel, _ = _inputs(flow, 100)
    z, log_jac = flow(x, channel)
    assert torch.max(torch.abs(z - x)) < 1e-14 and torch.max(torch.abs(log_jac)) < 1e-12


def test_vegas_initialisation_reproduces_the_vegas_density():
    def peak(x):
        return np.exp(-np.sum((x - 0.3) ** 2, axis=1) / (2 * 0.05**2))

    grids = []
    for centre in (0.3, 0.7):
        g = VegasGrid(3)
        vegas_integrate(lambda x, c=centre: peak(x - c + 0.3), g, n_points=20000, n_iterations=8, seed=1)
        grids.append(g)
    flow = HypercubeFlow(3, channels=2)
    flow.init_from_vegas(grids, uniform_share=0.0)
    u = np.random.default_rng(2).random((5000, 3))
    for c, g in enumerate(grids):
        x, jac, _ = g.map(u)
        log_g = flow.log_prob(torch.tensor(x), torch.full((x.shape[0],), c)).detach().numpy()
        # the spline merges VEGAS's 64 bins into 10: close, not equal
        assert np.median(np.abs(log_g + np.log(jac))) < 0.15
        assert np.corrcoef(log_g, -np.log(jac))[0, 1] > 0.98


def test_flow_errors_name_the_problem():
    flow = HypercubeFlow(3, channels=2)
    with pytest.raises(ValueError, match=r"x: expected shape \(n, 3\)"):
        flow(torch.rand(4, 2, dtype=torch.float64), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="channel: give the channel"):
        flow(torch.rand(4, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"channel: indices must lie in \[0, 2\)"):
        flow(torch.rand(4, 3, dtype=torch.float64), torch.full((4,), 2))
    with pytest.raises(ValueError, match="vegas: expected 2 grid"):
        flow.init_from_vegas([VegasGrid(3)])


def test_vegas_initialisation_keeps_a_uniform_share_of_the_density():
    """The default start mixes 10 % of the uniform density in: nowhere below about 0.1^3."""
    g = VegasGrid(3)
    vegas_integrate(lambda x: np.exp(-np.sum((x - 0.3) ** 2, axis=1) / (2 * 0.03**2)), g, n_points=5000,
                    n_iterations=6, seed=2)
    u = torch.rand((20_000, 3), generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    with torch.no_grad():
        bare = HypercubeFlow(3)
        bare.init_from_vegas(g, uniform_share=0.0)
        mixed = HypercubeFlow(3, vegas=g)
        low_bare, low_mixed = (float(torch.exp(f.log_prob(u)).min()) for f in (bare, mixed))
    assert low_mixed > 0.5 * 0.1**3 and low_mixed > 10 * low_bare
