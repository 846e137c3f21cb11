"""MADNIS-Lite's bilinear spline flows (arXiv:2408.01486, Sec. 4.2): Table 1's parameter counts,
exact inverse, log-density against finite differences, normalisation, and a fit that learns a
condition-dependent density."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("madnis")

from numhep.torch.bilinear_flows import BilinearSplineFlow  # noqa: E402


@pytest.mark.parametrize("dims,conditions,count", [(1, 3, 190), (2, 4, 798), (2, 2, 380), (2, 0, 114)],
                         ids=["invariant", "2->2 scattering", "decay", "luminosity"])
def test_parameter_counts_of_table_1(dims, conditions, count):
    assert BilinearSplineFlow(dims, conditions).n_parameters == count


def _random(dims, conditions, seed=0):
    flow = BilinearSplineFlow(dims, conditions)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for w in flow.weights:
            w.copy_(0.5 * torch.randn(w.shape, generator=gen, dtype=w.dtype))
    return flow


@pytest.mark.parametrize("dims,conditions", [(1, 3), (2, 4), (2, 0)])
def test_bilinear_flow_inverts_exactly_and_its_density_is_the_jacobian(dims, conditions):
    flow = _random(dims, conditions)
    gen = torch.Generator().manual_seed(1)
    x = 0.05 + 0.9 * torch.rand((50, dims), generator=gen, dtype=torch.float64)
    c = torch.rand((50, conditions), generator=gen, dtype=torch.float64)
    with torch.no_grad():
        z, log_jac = flow(x, c)
        back, log_jac_inv = flow.inverse(z, c)
        assert torch.max(torch.abs(back - x)) < 1e-12 and torch.max(torch.abs(log_jac + log_jac_inv)) < 1e-10
        assert torch.max(torch.abs(log_jac)) > 0.1
        h = 1e-6
        jac = torch.empty((50, dims, dims), dtype=torch.float64)
        for j in range(dims):
            e = torch.zeros_like(x)
            e[:, j] = h
            jac[:, :, j] = (flow(x + e, c)[0] - flow(x - e, c)[0]) / (2 * h)
    np.testing.assert_allclose(log_jac.numpy(), torch.linalg.slogdet(jac)[1].numpy(), atol=1e-5)


def test_bilinear_flow_starts_as_the_identity_and_is_normalised():
    x = torch.rand((20, 2), dtype=torch.float64)
    z, log_jac = BilinearSplineFlow(2, 3)(x, torch.rand((20, 3), dtype=torch.float64))
    assert torch.max(torch.abs(z - x)) < 1e-14 and torch.max(torch.abs(log_jac)) < 1e-12
    flow = _random(2, 1, seed=4)
    t = (torch.arange(300, dtype=torch.float64) + 0.5) / 300
    grid = torch.cartesian_prod(t, t)
    with torch.no_grad():
        density = torch.exp(flow(grid, torch.full((grid.shape[0], 1), 0.7, dtype=torch.float64))[1])
    assert float(density.mean()) == pytest.approx(1.0, abs=2e-3)


def test_bilinear_flow_learns_a_condition_dependent_density():
    """Maximum likelihood on points x = v^(1 + 3c) (v uniform): the density depends on c."""
    gen = torch.Generator().manual_seed(2)
    c = torch.rand((4000, 1), generator=gen, dtype=torch.float64)
    x = torch.rand((4000, 1), generator=gen, dtype=torch.float64) ** (1 + 3 * c)
    flow = BilinearSplineFlow(1, 1)
    opt = torch.optim.Adam(flow.parameters(), lr=0.05)
    nll = []
    for _ in range(150):
        opt.zero_grad()
        loss = -flow(x, c)[1].mean()
        loss.backward()
        opt.step()
        nll.append(loss.item())
    # the best possible: the entropy <log(1 + 3c) + 3c/(1 + 3c) log x> of the true density, about -0.63;
    # the flat start has 0, and a spline linear and quadratic in c gets most of the way
    best = float((torch.log(1 + 3 * c) + 3 * c / (1 + 3 * c) * torch.log(x)).mean())
    assert nll[0] == pytest.approx(0.0, abs=1e-12) and best < nll[-1] < 0.7 * best


def test_bilinear_flow_errors_name_the_problem():
    with pytest.raises(ValueError, match="one or two numbers"):
        BilinearSplineFlow(3, 1)
    with pytest.raises(ValueError, match=r"condition: expected shape \(4, 2\)"):
        BilinearSplineFlow(1, 2)(torch.rand((4, 1), dtype=torch.float64), torch.rand((4, 3), dtype=torch.float64))
