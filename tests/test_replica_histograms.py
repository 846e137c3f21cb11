"""Bin-wise uncertainties of a Bayesian generator: the Poisson and predictive parts of Eqs. 4.13-4.15."""

import numpy as np
import pytest

from numhep.torch.replica_histograms import histogram_uncertainties


def test_poisson_replicas_have_no_predictive_uncertainty():
    rng = np.random.default_rng(1)
    mean = np.array([50.0, 400.0, 3000.0])
    counts = rng.poisson(mean, (4000, 3))
    u = histogram_uncertainties(counts)
    np.testing.assert_allclose(u["mean"], mean, rtol=0.01)
    np.testing.assert_allclose(u["sigma_total"], np.sqrt(mean), rtol=0.05)
    np.testing.assert_allclose(u["sigma_stoch"], np.sqrt(mean), rtol=0.01)
    assert (u["sigma_pred"] < 0.35 * np.sqrt(mean)).all()


def test_replica_spread_shows_up_as_predictive_uncertainty():
    rng = np.random.default_rng(2)
    spread = np.array([0.0, 40.0, 150.0])
    means = 1000.0 + spread * rng.normal(size=(4000, 3))     # <n>_theta per replica
    counts = rng.poisson(np.maximum(means, 0))
    u = histogram_uncertainties(counts)
    np.testing.assert_allclose(u["sigma_total"] ** 2, u["sigma_stoch"] ** 2 + u["sigma_pred"] ** 2, rtol=1e-9,
                               atol=1e-9 + 0.1 * u["sigma_stoch"][0] ** 2)
    np.testing.assert_allclose(u["sigma_pred"][1:], spread[1:], rtol=0.1)
    # weighted events: the Poisson part is sqrt(sum w^2)
    w = histogram_uncertainties(2.0 * counts, 4.0 * counts)
    np.testing.assert_allclose(w["sigma_stoch"], 2 * u["sigma_stoch"])
    with pytest.raises(ValueError, match="replicas"):
        histogram_uncertainties(np.ones((1, 3)))
