"""The conditional INN with spline couplings and fixed rotations: invertible, normalised, and its
samples follow its density."""

import numpy as np
import pytest
import torch

from numhep.torch.rotated_spline_flow import RotatedSplineFlow


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)  # the sub-networks' hidden layers


def perturbed(flow, scale, seed=0):
    """A flow with non-trivial splines: the zero-initialised last layers get random weights."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for net in flow.subnets:
            last = net[-1]
            last.weight.copy_(scale * torch.randn(last.weight.shape, generator=g, dtype=last.weight.dtype))
            last.bias.copy_(scale * torch.randn(last.bias.shape, generator=g, dtype=last.bias.dtype))
    return flow


def test_inverse_and_log_determinants_match():
    flow = perturbed(RotatedSplineFlow(5, 2, blocks=4, bins=8, units=16).double(), 0.3)
    x, c = torch.randn(200, 5, dtype=torch.float64), torch.randn(200, 2, dtype=torch.float64)
    z, ld = flow(x, c)
    back, ld_inv = flow.inverse(z, c)
    # (madnis's spline bins are located to 1e-6, its inverse is exact to about 1e-9)
    torch.testing.assert_close(back, x, atol=1e-7, rtol=1e-7)
    torch.testing.assert_close(ld_inv, -ld, atol=1e-7, rtol=1e-7)
    # the log-determinant is the autograd Jacobian's
    xi = x[:3].clone().requires_grad_(True)
    for i in range(3):
        jac = torch.autograd.functional.jacobian(lambda v, i=i: flow(v[None], c[i:i + 1])[0][0], xi[i])
        assert torch.linalg.slogdet(jac)[1].item() == pytest.approx(ld[i].item(), abs=1e-8)


@pytest.mark.parametrize("condition", [-1.0, 2.0])
def test_the_density_integrates_to_one(condition):
    # random splines, not the identity
    flow = perturbed(RotatedSplineFlow(2, 1, blocks=4, bins=8, units=16).double(), 0.2, seed=3)
    grid = torch.linspace(-12, 12, 601, dtype=torch.float64)
    x = torch.cartesian_prod(grid, grid)
    with torch.no_grad():
        p = flow.log_prob(x, torch.full((len(x), 1), condition, dtype=torch.float64)).exp()
    assert (p.sum() * (grid[1] - grid[0]) ** 2).item() == pytest.approx(1.0, abs=1e-4)
    gauss = torch.exp(-0.5 * (x**2).sum(1)) / (2 * np.pi)
    assert ((p - gauss).abs().sum() * (grid[1] - grid[0]) ** 2).item() > 1.0   # far from the latent Gaussian


def test_samples_follow_log_prob():
    flow = perturbed(RotatedSplineFlow(1, 1, blocks=3, bins=8, units=16).double(), 1.0, seed=5)
    c = torch.full((200_000, 1), 0.5, dtype=torch.float64)
    with torch.no_grad():
        x = flow.sample(len(c), c, generator=torch.Generator().manual_seed(1))[:, 0]
        edges = torch.linspace(-4, 4, 33, dtype=torch.float64)
        fine = torch.linspace(-4, 4, 32 * 64 + 1, dtype=torch.float64)
        dens = flow.log_prob(fine[:, None], c[:len(fine)]).exp()
    mids = 0.5 * (dens[1:] + dens[:-1]) * (fine[1] - fine[0])
    expected = mids.reshape(32, 64).sum(1).numpy() * len(x)
    counts = np.histogram(x.numpy(), edges.numpy())[0]
    pull = (counts - expected) / np.sqrt(expected + 1)
    assert np.abs(pull).max() < 5 and abs(pull.mean()) < 1


def test_bad_shapes_are_named():
    flow = RotatedSplineFlow(3, 2, blocks=1)
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        flow(torch.zeros(4, 2), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="condition"):
        flow(torch.zeros(4, 3))
