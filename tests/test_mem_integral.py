"""The single-pass MEM integral (Heimel, PhD thesis, Heidelberg 2024, Eqs. 6.29, 6.35, 6.39)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from numhep.events.thj_dataset import build_thj_dataset, hard_features, reco_features  # noqa: E402
from numhep.integration.cp_factorised_integrand import CPFactorisedIntegrand  # noqa: E402
from numhep.torch.acceptance_classifier import AcceptanceClassifier  # noqa: E402
from numhep.torch.mem_integral import MEMIntegral, pull  # noqa: E402
from numhep.torch.sampling_network import SamplingNetwork  # noqa: E402
from numhep.torch.transfer_network import TransferNetwork  # noqa: E402

ALPHAS = np.radians([-90.0, -45.0, 0.0, 45.0, 90.0])


class Gaussian:
    """A narrow Gaussian of width w in u: as the transfer p(u_reco | u) and as the sampler q(u | u_reco)."""

    def __init__(self, width):
        self.width = width

    def _log(self, x, mean):
        return (-0.5 * ((x - mean) / self.width) ** 2 - math.log(self.width * math.sqrt(2 * math.pi))).sum(dim=1)

    def log_prob(self, reco, hard):
        return self._log(reco, hard)

    def sample(self, reco, alpha, generator=None):
        u = reco + self.width * torch.randn(reco.shape, generator=generator, dtype=torch.float64)
        return u, torch.exp(self._log(u, reco))


@pytest.fixture(scope="module")
def integrand():
    return CPFactorisedIntegrand("p p > t h j", 13000.0, model="sm_cpv_no_b_mass")


def test_delta_transfer_gives_the_direct_matrix_element_likelihood(integrand):
    u = np.random.default_rng(8).uniform(0.2, 0.8, (40, integrand.dim))
    u = u[integrand.evaluate(u).weight(ALPHAS).min(axis=1) > 0][:4]
    sigma = integrand.sigma_components(u, np.zeros(len(u)), {0.0: 0.03})
    kernel = Gaussian(1e-8)  # the delta-function limit; sampler and transfer share it, so p/q = 1
    mem = MEMIntegral(integrand, kernel, kernel, sigma, hard_features=lambda pts, v: v)
    result = mem(u, ALPHAS, batch_size=20, min_iterations=2, max_iterations=3, bootstrap=5, seed=3)
    direct = integrand.log_likelihood(u, ALPHAS, sigma)
    np.testing.assert_allclose(result.log_likelihood, direct, rtol=0, atol=1e-5)
    total = -2 * direct.sum(axis=0)
    np.testing.assert_allclose(result.q(), total - total.min(), atol=1e-4)
    assert result.samples.tolist() == [40] * len(u)  # converged at once: the integrand is flat
    # an acceptance of one makes the three-network integral the two-network one
    three = MEMIntegral(integrand, kernel, kernel, sigma, hard_features=lambda pts, v: v,
                        acceptance=lambda h: torch.ones(h.shape[0], dtype=torch.float64))
    res3 = three(u, ALPHAS, batch_size=20, min_iterations=2, max_iterations=2, bootstrap=5, seed=3)
    np.testing.assert_allclose(res3.log_likelihood, res3.log_likelihood_two_networks, rtol=1e-14)


def test_posterior_acceptance_is_epsilon_at_the_point_for_a_delta_transfer_and_above_the_ratio_for_a_wide_one(
        integrand):
    u = np.random.default_rng(8).uniform(0.2, 0.8, (40, integrand.dim))
    u = u[integrand.evaluate(u).weight(ALPHAS).min(axis=1) > 0][:4]
    sigma = integrand.sigma_components(u, np.zeros(len(u)), {0.0: 0.03})

    def acceptance(h):  # varies with the hard point, so its posterior mean depends on where the posterior lies
        return 0.1 + 0.8 * h[:, 0] * h[:, 1]

    delta = Gaussian(1e-8)
    mem = MEMIntegral(integrand, delta, delta, sigma, hard_features=lambda pts, v: v, acceptance=acceptance)
    res = mem(u, ALPHAS, batch_size=20, min_iterations=2, max_iterations=2, bootstrap=5, seed=3)
    eps = acceptance(torch.from_numpy(u)).numpy()
    np.testing.assert_allclose(res.posterior_acceptance, np.repeat(eps[:, None], len(ALPHAS), axis=1), rtol=1e-6)
    np.testing.assert_allclose(np.exp(res.log_likelihood - res.log_likelihood_two_networks),
                               res.posterior_acceptance, rtol=1e-6)
    # a wide posterior: the mean of epsilon over the three-network posterior, E[eps^2] / E[eps] over the
    # posterior without it, exceeds the likelihood ratio E[eps] (Cauchy-Schwarz on the same samples)
    wide = Gaussian(0.05)
    res = MEMIntegral(integrand, wide, wide, sigma, hard_features=lambda pts, v: v, acceptance=acceptance)(
        u, ALPHAS, batch_size=200, min_iterations=2, max_iterations=2, bootstrap=5, seed=3)
    ratio = np.exp(res.log_likelihood - res.log_likelihood_two_networks)
    assert np.isfinite(res.posterior_acceptance).all()
    assert (res.posterior_acceptance >= ratio * (1 - 1e-12)).all()
    assert (res.posterior_acceptance - ratio).max() > 1e-3
    assert ((res.posterior_acceptance > 0.1) & (res.posterior_acceptance < 0.9)).all()
    with pytest.raises(ValueError, match="observables: expected values of shape"):
        mem(u, ALPHAS, batch_size=20, min_iterations=1, max_iterations=1, bootstrap=2, observables=lambda pts, v: v[:3])
    # without an acceptance network there is none
    assert MEMIntegral(integrand, delta, delta, sigma, hard_features=lambda pts, v: v)(
        u, ALPHAS, batch_size=20, min_iterations=1, max_iterations=1, bootstrap=2).posterior_acceptance is None


def test_three_networks_run_end_to_end_on_a_tiny_set(tmp_path, integrand):
    data = build_thj_dataset(tmp_path / "thj.h5", alphas_deg=(0.0, 90.0), n_events=60, n_points=1000,
                             n_iterations=3, n_warmup=1, pilot_points=1000, batch_size=1000, progress=False)
    hard = torch.from_numpy(hard_features(data.x_hard))
    acc = data.select(data.accepted)
    reco = torch.from_numpy(reco_features(acc.x_reco, acc.reco_names))
    transfer = TransferNetwork(reco, hard[data.accepted], bins=4, layers=1, units=8)
    transfer.fit(reco, hard[data.accepted], epochs=1, batch_size=8)
    clf = AcceptanceClassifier(hard, layers=1, units=8)
    clf.fit(hard, torch.from_numpy(data.accepted.astype(float)), epochs=1, batch_size=32)
    sampler = SamplingNetwork(integrand.dim, reco, bins=4, layers=1, units=8)
    sampler.fit(torch.from_numpy(acc.u_hard), reco, torch.from_numpy(acc.alpha), epochs=1, batch_size=8)
    sigma_fid = integrand.sigma_components(data.u_hard, data.alpha, {0.0: data.sigma[0.0][0],
                                                                    math.pi / 2: data.sigma[90.0][0]},
                                           accepted=data.accepted)
    mem = MEMIntegral(integrand, sampler, transfer, sigma_fid, acceptance=clf)
    result = mem(reco[:2], ALPHAS, batch_size=50, min_iterations=1, max_iterations=2, bootstrap=4, seed=1)
    assert result.log_likelihood.shape == (2, 5) and np.isfinite(result.log_likelihood).all()
    assert np.isfinite(result.log_likelihood_two_networks).all()
    assert result.replicas.shape == (2, 4, 5) and np.isfinite(result.q_error()).all()
    assert (result.samples >= 50).all()


def test_pull_of_a_parabola():
    a = np.linspace(-1.0, 1.0, 41)
    value, best, sigma = pull(a, (a - 0.2) ** 2 / 0.1**2, 0.0)
    assert value == pytest.approx(2.0, rel=1e-3) and best == pytest.approx(0.2)
    assert sigma == pytest.approx(0.1, rel=1e-3)


def test_folded_pull_measures_the_interval_when_the_wrong_sign_wins():
    a = np.radians(np.arange(-180.0, 180.1, 2.5))
    truth = math.radians(45.0)
    # two mirror minima of width 10 degrees; the one at -50 degrees is lower by 0.3
    right = (a - math.radians(55.0)) ** 2 / math.radians(10.0) ** 2 + 0.3
    wrong = (a + math.radians(50.0)) ** 2 / math.radians(10.0) ** 2
    q = np.minimum(right, wrong)
    signed, best, _ = pull(a, q, truth)
    assert best == pytest.approx(math.radians(-50.0), abs=1e-6) and signed == pytest.approx(-9.5, rel=1e-3)
    folded, best_abs, sigma = pull(a, q, truth, fold=True)
    assert best_abs == pytest.approx(math.radians(50.0), abs=1e-6)
    assert sigma == pytest.approx(math.radians(10.0), rel=1e-3) and folded == pytest.approx(0.5, rel=1e-3)
    # a curve without a mirror minimum: folding changes nothing
    assert pull(a, right, truth, fold=True)[0] == pytest.approx(pull(a, right, truth)[0], rel=1e-12)
    with pytest.raises(ValueError, match="hold -a"):
        pull(a[1:], q[1:], truth, fold=True)


def test_sigma_fid_shape_is_checked(integrand):
    with pytest.raises(ValueError, match="six"):
        MEMIntegral(integrand, None, None, np.ones(5))


# --- VEGAS refinement of the sampling network's latent space (thesis Sec. 6.4) ---

TOY_COMPONENTS = np.array([1.0, 0.3, 0.0, 0.0, 0.2, 0.0])  # dsigma/du = (1 + u_0) f(alpha), f > 0
TOY_WIDTH = 0.04


class ToyIntegrand:
    """dsigma/du = (1 + u_0) TOY_COMPONENTS . cp_monomials(alpha) on the unit square."""

    dim = 2

    def evaluate(self, u):
        from types import SimpleNamespace

        return SimpleNamespace(components=(1.0 + u[:, :1]) * TOY_COMPONENTS, inside=np.ones(len(u), dtype=bool))


def _phi(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _toy_log_likelihood(reco):
    """log of int du (1 + u_0) N(reco; u, w), exact: with sigma_fid = TOY_COMPONENTS, f(alpha) cancels."""
    w = TOY_WIDTH
    out = []
    for r0, r1 in reco:
        a, b = -r0 / w, (1.0 - r0) / w
        density = (math.exp(-a * a / 2) - math.exp(-b * b / 2)) / math.sqrt(2 * math.pi)
        first = (1.0 + r0) * (_phi(b) - _phi(a)) + w * density
        second = _phi((1.0 - r1) / w) - _phi(-r1 / w)
        out.append(math.log(first * second))
    return np.array(out)


@pytest.fixture(scope="module")
def mismatched_toy():
    """A sampling network whose flow has random weights: far from the narrow peak of the transfer."""
    reco = torch.tensor([[0.35, 0.6], [0.7, 0.25]], dtype=torch.float64)
    sampler = SamplingNetwork(2, torch.rand(16, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)),
                              bins=6, layers=1, units=8, uniform_share=0.05)
    gen = torch.Generator().manual_seed(4)
    with torch.no_grad():
        for p in sampler.parameters():
            p.add_(0.4 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    mem = MEMIntegral(ToyIntegrand(), sampler, Gaussian(TOY_WIDTH), TOY_COMPONENTS, hard_features=lambda pts, v: v)
    return mem, reco


def _toy_posterior_mean_of_u1(reco):
    """The posterior of u_1 is N(reco_1, w) truncated to [0, 1]: its mean, exact."""
    w = TOY_WIDTH
    a, b = -reco[:, 1] / w, (1.0 - reco[:, 1]) / w
    density = np.exp(-a * a / 2) - np.exp(-b * b / 2)
    mass = np.array([_phi(y) - _phi(x) for x, y in zip(a, b)])
    return reco[:, 1] + w * density / math.sqrt(2 * math.pi) / mass


def test_vegas_refined_integral_is_unbiased(mismatched_toy):
    mem, reco = mismatched_toy
    exact = _toy_log_likelihood(reco.numpy())
    options = dict(batch_size=2000, min_iterations=6, max_iterations=6, target=0.0, bootstrap=20, seed=2,
                   observables=lambda pts, v: v[:, 1])
    plain = mem(reco, ALPHAS, **options)
    refined = mem(reco, ALPHAS, vegas_refine=True, vegas_bins=12, **options)
    mean_u1 = _toy_posterior_mean_of_u1(reco.numpy())
    for res in (plain, refined):
        # the posterior mean of u_1 from the same samples; its error is about the integral's times the width
        assert res.posterior_observables.shape == (2, 1, len(ALPHAS)) and res.posterior_acceptance is None
        deviation = np.abs(res.posterior_observables[:, 0, 0] - mean_u1)
        assert np.all(deviation < 4.0 * TOY_WIDTH * res.relative_error[:, 0]), (deviation, res.relative_error[:, 0])
        # f(alpha) cancels against sigma_fid: the same log-likelihood at every alpha, exactly
        np.testing.assert_allclose(res.log_likelihood - res.log_likelihood[:, :1], 0.0, rtol=0, atol=1e-12)
        pulls = (res.log_likelihood[:, 0] - exact) / res.relative_error[:, 0]
        assert np.all(np.abs(pulls) < 4.0), pulls
        # the bootstrap replicas spread like the stated error
        spread = res.replicas[:, :, 0].std(axis=1)
        assert np.all((spread > 0.4 * res.relative_error[:, 0]) & (spread < 2.5 * res.relative_error[:, 0]))
    both = np.hypot(plain.relative_error[:, 0], refined.relative_error[:, 0])
    assert np.all(np.abs(plain.log_likelihood[:, 0] - refined.log_likelihood[:, 0]) < 4.0 * both)


def test_vegas_refinement_lowers_the_relative_error_of_a_mismatched_proposal(mismatched_toy):
    mem, reco = mismatched_toy
    options = dict(batch_size=2000, min_iterations=5, max_iterations=5, target=0.0, bootstrap=4, seed=7)
    plain = mem(reco, ALPHAS, **options)
    refined = mem(reco, ALPHAS, vegas_refine=True, vegas_bins=12, **options)
    assert plain.samples.tolist() == refined.samples.tolist() == [10_000, 10_000]
    assert np.all(refined.relative_error < 0.6 * plain.relative_error), (refined.relative_error[:, 0],
                                                                          plain.relative_error[:, 0])


def test_vegas_refinement_needs_a_latent_space(integrand):
    mem = MEMIntegral(integrand, Gaussian(0.1), Gaussian(0.1), np.ones(6), hard_features=lambda pts, v: v)
    with pytest.raises(ValueError, match="sample_latent"):
        mem(np.full((1, integrand.dim), 0.5), ALPHAS, vegas_refine=True)


def test_sampling_network_density_with_a_latent_density_is_normalised():
    """q = (1 - lambda) p(G(u)) g(u) + lambda integrates to one when p does (here p = 1 + 0.8 cos(2 pi z_0))."""
    net = SamplingNetwork(2, torch.randn(8, 3, dtype=torch.float64), bins=4, layers=1, units=8, uniform_share=0.2)
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    u = torch.rand((200_000, 2), generator=gen, dtype=torch.float64)
    reco = torch.zeros(u.shape[0], 3, dtype=torch.float64)
    q = net.density(u, reco, 0.3, latent_density=lambda z: 1.0 + 0.8 * torch.cos(2 * math.pi * z[:, 0]))
    with torch.no_grad():
        assert float(q.mean()) == pytest.approx(1.0, abs=4.0 * float(q.std()) / math.sqrt(u.shape[0]))


def test_vegas_refinement_of_the_momentum_sampler_is_unbiased(integrand):
    """The momentum sampler's latent cube refined by VEGAS gives the integral the plain sampler
    gives, within their errors (a Gaussian detector of 10 GeV on the seven coordinates)."""
    from numhep.events.thj_dataset import hard_features
    from numhep.torch.sampling_network import MomentumSamplingNetwork

    u = np.random.default_rng(3).uniform(0.1, 0.9, (600, integrand.dim))
    pts = integrand.evaluate(u)
    keep = pts.inside & (pts.weight(0.0) > 0)
    y = torch.from_numpy(hard_features(pts.momenta[keep][:, 2:5]))
    gen = torch.Generator().manual_seed(5)
    reco = y + 10.0 * torch.randn(y.shape, generator=gen, dtype=torch.float64)
    alpha = torch.zeros(len(y), dtype=torch.float64)
    torch.manual_seed(6)
    sampler = MomentumSamplingNetwork(integrand, y, reco, alpha, bins=4, layers=1, units=8)
    sampler.fit(y, reco, alpha, epochs=2, batch_size=100, lr=3e-3, seed=1)
    sigma = integrand.sigma_components(u[keep], np.zeros(int(keep.sum())), {0.0: 0.03})
    mem = MEMIntegral(integrand, sampler, Gaussian(10.0), sigma)
    options = dict(batch_size=1000, min_iterations=4, max_iterations=4, target=0.0, bootstrap=4, seed=2)
    plain = mem(reco[:2], ALPHAS, **options)
    refined = mem(reco[:2], ALPHAS, vegas_refine=True, vegas_bins=8, **options)
    assert np.all(np.isfinite(refined.log_likelihood))
    both = np.hypot(plain.relative_error, refined.relative_error)
    assert np.all(np.abs(plain.log_likelihood - refined.log_likelihood) < 4.0 * both), (
        plain.log_likelihood - refined.log_likelihood, both)
