"""The transfer network p(x_reco | x_hard) (Heimel, PhD thesis, Heidelberg 2024, Eq. 6.21)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from numhep.torch.transfer_network import TransferNetwork  # noqa: E402


def _pairs(n=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    hard = torch.randn(n, 2, generator=g, dtype=torch.float64) * 50 + 100
    reco = torch.cat([hard * 1.1 + 5 * torch.randn(n, 2, generator=g, dtype=torch.float64),
                      hard[:, :1] - hard[:, 1:]], dim=1)
    return reco, hard


def test_untrained_network_is_the_standardised_gaussian():
    reco, hard = _pairs()
    net = TransferNetwork(reco, hard, bins=4, layers=1, units=8)
    z = (reco - reco.mean(0)) / reco.std(0, unbiased=False)
    expected = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(1) - torch.log(reco.std(0, unbiased=False)).sum()
    assert torch.allclose(net.log_prob(reco, hard), expected, rtol=1e-10)


def test_training_learns_the_conditional_density_and_samples_follow_it():
    reco, hard = _pairs(300)
    net = TransferNetwork(reco, hard, bins=6, layers=2, units=32)
    history = net.fit(reco, hard, epochs=6, batch_size=32, lr=1e-2, seed=1)
    assert history[-1] < history[0] - 1.0  # the conditional density is far narrower than the marginal
    with torch.no_grad():
        drawn = net.sample(hard, generator=torch.Generator().manual_seed(2))
    # the sampled reco follow x_hard as the data do
    corr = np.corrcoef(drawn[:, 0].numpy(), hard[:, 0].numpy())[0, 1]
    assert corr > 0.8, corr


def test_bad_rows_get_minus_infinity_and_bad_shapes_are_named():
    reco, hard = _pairs(50)
    net = TransferNetwork(reco, hard, bins=4, layers=1, units=8)
    reco = reco.clone()
    reco[1, 0] = float("nan")
    out = net.log_prob(reco[:3], hard[:3])
    assert torch.isfinite(out[[0, 2]]).all() and out[1] == -math.inf
    with pytest.raises(ValueError, match="reco"):
        net.log_prob(reco[:3, :2], hard[:3])


def test_linear_residual_standardisation_is_the_conditional_gaussian_when_untrained():
    reco, hard = _pairs()
    net = TransferNetwork(reco, hard, bins=4, layers=1, units=8, linear_residual=True)
    design = torch.cat([(hard - hard.mean(0)) / hard.std(0, unbiased=False), torch.ones(len(hard), 1,
                                                                                       dtype=torch.float64)], 1)
    coef = torch.linalg.lstsq(design, reco).solution
    residual = reco - design @ coef
    cov = torch.cov(residual.T, correction=0) + torch.diag((reco.std(0, unbiased=False) * 1e-6) ** 2)
    gauss = torch.distributions.MultivariateNormal(design @ coef, covariance_matrix=cov)
    assert torch.allclose(net.log_prob(reco, hard), gauss.log_prob(reco), rtol=1e-9)
    drawn = net.sample(hard, generator=torch.Generator().manual_seed(3))
    # the exactly linear third feature (h_0 - h_1) is reproduced, not smeared
    assert torch.allclose(drawn[:, 2], hard[:, 0] - hard[:, 1], atol=1e-3)


def test_linear_residual_learns_a_photon_pair_that_sums_to_its_parent():
    """Two 'photons' share a parent momentum h with a broad split and sum to h within 1 %: with the
    linear residual the sharp sum is an axis of its own, and the same short training gives a held-out
    log-likelihood far above the per-feature standardisation's."""
    g = torch.Generator().manual_seed(5)
    n = 3000
    hard = 200.0 + 60.0 * torch.randn(n, 1, generator=g, dtype=torch.float64)
    split = 0.5 + 0.25 * (2 * torch.rand(n, 1, generator=g, dtype=torch.float64) - 1)
    a1 = split * hard
    a2 = (1 - split) * hard + 0.01 * hard * torch.randn(n, 1, generator=g, dtype=torch.float64)
    reco = torch.cat([a1, a2], dim=1)
    held = slice(2500, None)
    scores = {}
    for linear in (False, True):
        torch.manual_seed(1)
        net = TransferNetwork(reco[:2500], hard[:2500], bins=8, layers=2, units=16, linear_residual=linear)
        net.fit(reco[:2500], hard[:2500], epochs=4, batch_size=100, lr=5e-3, seed=1)
        with torch.no_grad():
            scores[linear] = net.log_prob(reco[held], hard[held]).mean().item()
    assert scores[True] > scores[False] + 1.0, scores


def test_a_draw_carries_the_density_the_network_gives_it_and_unstandardise_inverts():
    """standard_of_latent returns log p of its own point (from the inverse pass) as
    standard_log_prob computes it again, and latent_of_standard inverts it; unstandardise inverts
    standardise, and log_scale is its Jacobian."""
    reco, hard = _pairs()
    torch.manual_seed(4)
    net = TransferNetwork(reco, hard, bins=6, layers=2, units=16, linear_residual=True)
    net.fit(reco, hard, epochs=3, batch_size=100, lr=3e-3, seed=1)
    cond = net.condition(hard[:50])
    latent = torch.rand((50, 3), generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    with torch.no_grad():
        z, log_p = net.standard_of_latent(latent, cond)
        torch.testing.assert_close(log_p, net.standard_log_prob(z, cond), rtol=0.0, atol=1e-9)
        back, log_again = net.latent_of_standard(z, cond)
        torch.testing.assert_close(back, latent, rtol=0.0, atol=1e-9)
        x = net.unstandardise(z, hard[:50])
        torch.testing.assert_close(net.standardise(x, hard[:50]), z, rtol=0.0, atol=1e-9)
        torch.testing.assert_close(net.log_prob(x, hard[:50]), log_p - net.log_scale(), rtol=0.0, atol=1e-9)


def test_linear_residual_ignores_a_constant_hard_feature():
    """A hard feature that is the same for every training event (a single CP phase's sin alpha)
    standardises to a zero column; the least-squares prediction must not be spoilt by it."""
    g = torch.Generator().manual_seed(0)
    hard = 500.0 * torch.randn(600, 7, generator=g, dtype=torch.float64)
    reco = hard + 10.0 * torch.randn(600, 7, generator=g, dtype=torch.float64)
    with_constant = torch.cat([hard, torch.zeros(600, 1, dtype=torch.float64)], dim=1)
    net = TransferNetwork(reco, with_constant, bins=4, layers=1, units=8, linear_residual=True)
    residual = reco - net.unstandardise(torch.zeros_like(reco), with_constant)
    assert float(residual.std()) < 11.0
