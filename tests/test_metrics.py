"""Sampler quality: sigma/I and the unweighting efficiency, one definition for every sampler."""

import numpy as np
import pytest

from numhep.integration.metrics import max_weight, sampler_quality


def test_flat_weights_are_perfect_and_uniform_weights_have_known_figures():
    q = sampler_quality(np.full(1000, 3.0))
    assert q.relative_std == 0 and q.efficiency == 1 and q.integral == 3.0
    w = np.random.default_rng(0).random(200_000)  # uniform on [0, 1]: sigma/I = 1/sqrt(3), <w>/w_max = 1/2
    q = sampler_quality(w)
    assert abs(q.relative_std - 1 / np.sqrt(3)) < 5e-3 and abs(q.efficiency - 0.5) < 5e-3
    assert abs(q.integral - 0.5) < 4 * q.error


def test_one_outlier_does_not_set_w_max():
    w = np.ones(10_000)
    w[17] = 1e6
    assert max_weight(w, replicas=20) == 1.0
    assert sampler_quality(w).efficiency == pytest.approx(w.mean())


def test_too_few_weights_are_refused():
    with pytest.raises(ValueError, match="at least two"):
        sampler_quality([1.0])
