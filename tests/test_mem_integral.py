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


def test_sigma_fid_shape_is_checked(integrand):
    with pytest.raises(ValueError, match="six"):
        MEMIntegral(integrand, None, None, np.ones(5))
