"""The sampling network q(x_hard | x_reco, alpha) (Heimel, PhD thesis, Heidelberg 2024, Eq. 6.27)."""

import math

import pytest

torch = pytest.importorskip("torch")

from numhep.torch.sampling_network import SamplingNetwork  # noqa: E402
from numhep.torch.transfer_network import TransferNetwork  # noqa: E402


def _data(n=600):
    g = torch.Generator().manual_seed(4)
    u = 0.2 + 0.6 * torch.rand(n, 2, generator=g, dtype=torch.float64)
    alpha = torch.rand(n, generator=g, dtype=torch.float64) * 3
    reco = torch.cat([u + 0.02 * torch.randn(n, 2, generator=g, dtype=torch.float64), alpha[:, None]], dim=1)
    return u, reco, alpha


def test_density_is_normalised_and_sampling_matches_it():
    u, reco, alpha = _data()
    q = SamplingNetwork(2, reco, bins=6, layers=2, units=16, uniform_share=0.1)
    q.fit(u, reco, alpha, epochs=4, batch_size=64, lr=3e-3, seed=1)
    r0 = reco[:1].expand(20000, -1)
    with torch.no_grad():
        grid = torch.rand(20000, 2, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
        integral = q.density(grid, r0, alpha[0]).mean()
        drawn, dens = q.sample(r0[:5], alpha[0], generator=torch.Generator().manual_seed(1))
    assert float(integral) == pytest.approx(1.0, abs=0.05)
    assert torch.allclose(dens, q.density(drawn, r0[:5], alpha[0]), rtol=1e-9)
    assert float(dens.min()) >= 0.1  # the uniform share bounds the weights


def test_training_on_the_learned_transfer_probability_runs():
    u, reco, alpha = _data(200)
    transfer = TransferNetwork(reco, u, bins=4, layers=1, units=8)
    q = SamplingNetwork(2, reco, bins=4, layers=1, units=8)
    history = q.fit(u, reco, alpha, transfer=transfer, hard=u, epochs=2, batch_size=50, seed=2)
    assert len(history) == 2
    with pytest.raises(ValueError, match="hard"):
        q.fit(u, reco, alpha, transfer=transfer, epochs=1)


# --- the sampling network in the momentum coordinates of Eq. 6.31 ---


@pytest.fixture(scope="module")
def thj_integrand():
    from numhep.integration.cp_factorised_integrand import CPFactorisedIntegrand

    return CPFactorisedIntegrand("p p > t h j", 13000.0, model="sm_cpv_no_b_mass")


def _refined(z):
    """A density on the latent cube, as a VEGAS grid would give: 1 + 0.8 cos(2 pi z_0)."""
    return 1.0 + 0.8 * torch.cos(2.0 * math.pi * z[:, 0])


@pytest.mark.parametrize("latent_density", [None, _refined], ids=["uniform latent", "refined latent"])
def test_momentum_sampler_is_a_normalised_density_of_u(thj_integrand, latent_density):
    """q(u) = q_y(y) w(u) / J_y integrates over the hypercube to the chance that a draw is an event, and
    the density of a drawn point is the one recomputed from u alone (through the forward map), also
    with the latent points drawn from a refined density (the VEGAS refinement)."""
    import numpy as np

    from numhep.torch.sampling_network import MomentumSamplingNetwork

    gen = torch.Generator().manual_seed(1)
    y = torch.tensor(np.random.default_rng(1).normal(0.0, 150.0, (400, 7)))
    reco = torch.randn(400, 5, generator=gen, dtype=torch.float64)  # uninformative: a broad density
    q = MomentumSamplingNetwork(thj_integrand, y, reco, torch.zeros(400), bins=4, layers=1, units=8)
    q.fit(y, reco, torch.zeros(400), epochs=2, batch_size=100, lr=3e-3, seed=1)  # a flow that is not the identity
    latent = torch.rand((12000, 7), generator=gen, dtype=torch.float64)
    if latent_density is not None:  # rejection: latent points with density 1 + 0.8 cos(2 pi z_0)
        latent = latent[torch.rand(12000, generator=gen, dtype=torch.float64) * 1.8 < _refined(latent)][:6000]
    r0 = reco[:1].expand(latent.shape[0], 5)
    u, dens, from_flow = q.sample_latent(latent, r0, 0.3, latent_density=latent_density, generator=gen)
    event = torch.isfinite(dens)
    assert bool(((u >= 0) & (u <= 1)).all()) and 0.0 < from_flow.double().mean() < 1.0
    again = q.density(u[event][:100], r0[:100], 0.3, latent_density=latent_density)
    torch.testing.assert_close(again, dens[event][:100], rtol=1e-9, atol=0.0)
    grid = np.random.default_rng(2).random((6000, 7))
    values = q.density(grid, r0[:6000], 0.3, latent_density=latent_density).numpy()
    integral, error = values.mean(), values.std() / np.sqrt(len(values))
    chance = event.double().mean().item()
    error = math.hypot(error, math.sqrt(chance * (1 - chance) / len(event)))
    assert abs(integral - chance) < 4 * error, (integral, chance, error)


def test_momentum_sampler_learns_the_residual_and_its_training_loss_falls(thj_integrand):
    from numhep.torch.sampling_network import MomentumSamplingNetwork

    gen = torch.Generator().manual_seed(3)
    n = 800
    y = 150.0 * torch.randn(n, 7, generator=gen, dtype=torch.float64)
    # the reco features see y with a non-linear smearing the linear estimate cannot remove
    reco = torch.cat([y + 20.0 * torch.tanh(y / 50.0) * torch.randn(n, 7, generator=gen, dtype=torch.float64),
                      torch.randn(n, 1, generator=gen, dtype=torch.float64)], dim=1)
    alpha = torch.rand(n, generator=gen, dtype=torch.float64)
    q = MomentumSamplingNetwork(thj_integrand, y, reco, alpha, bins=6, layers=2, units=16)
    # the linear estimate has found y in the reco features: residuals far narrower than y
    residual = y - q.linear_estimate(reco, alpha)
    assert float(residual.std()) < 0.2 * float(y.std())
    losses = q.fit(y, reco, alpha, epochs=6, batch_size=100, lr=3e-3, seed=2)
    assert losses[-1] < losses[0] - 0.05, losses
    with pytest.raises(ValueError, match="need shape"):
        MomentumSamplingNetwork(thj_integrand, y[:, :6], reco, alpha)
