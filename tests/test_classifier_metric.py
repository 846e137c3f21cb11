"""The classifier metric: AUC 0.5 on identical samples, the known density ratio on shifted ones,
the ROC area as a pair count, the inputs of Eq. 4.17 and the mixed pull of Eq. 4.18."""

import numpy as np
import pytest

from numhep.events.zjets_dataset import ZJetsEvents
from numhep.torch.classifier_metric import (
    classifier_inputs,
    mixed_pull,
    roc_auc,
    train_classifier,
    weight_spread,
)

FAST = dict(layers=3, units=32, epochs=8, batch_size=256, progress=False)


def test_identical_samples_give_auc_one_half_and_unit_weights():
    rng = np.random.default_rng(1)
    res = train_classifier(rng.normal(size=(4000, 2)), rng.normal(size=(4000, 2)), **FAST)
    # AUC of two equal samples of 2000 held-out events each: 0.5 +- 0.0065 (Mann-Whitney)
    assert abs(res.auc - 0.5) < 0.03
    assert np.median(res.weights_generated) == pytest.approx(1.0, abs=0.1)
    assert np.std(np.log(res.weights_truth)) < 0.15


def test_a_shifted_sample_gives_back_the_known_weight():
    rng = np.random.default_rng(2)
    shift = 0.5
    gen, truth = rng.normal(0.0, 1.0, (12000, 1)), rng.normal(shift, 1.0, (12000, 1))
    res = train_classifier(gen, truth, **FAST)
    x = np.linspace(-1.5, 2.0, 8)[:, None]
    exact = np.exp(shift * x[:, 0] - shift**2 / 2)      # N(x; 0.5, 1) / N(x; 0, 1)
    np.testing.assert_allclose(res.weights(x), exact, rtol=0.15)
    # reweighting the generated events moves their mean onto the truth's
    w = res.weights_generated
    assert np.average(gen[res.test_generated, 0], weights=w) == pytest.approx(shift, abs=0.05)
    # the ideal AUC of two unit Gaussians 0.5 apart is Phi(0.5 / sqrt 2) = 0.638
    assert res.auc == pytest.approx(0.638, abs=0.02)


def test_roc_area_is_the_pair_count():
    rng = np.random.default_rng(3)
    s, y = rng.normal(size=300), rng.integers(0, 2, 300)
    s[:50] = np.round(s[:50])  # ties count half
    pos, neg = s[y == 1], s[y == 0]
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    fpr, tpr, auc = roc_auc(s, y)
    assert auc == pytest.approx(pairs, rel=1e-12)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1 and (np.diff(fpr) >= 0).all()
    with pytest.raises(ValueError, match="both labels"):
        roc_auc([0.1, 0.2], [1, 1])


def test_inputs_of_eq_4_17_and_the_mixed_pull():
    q = np.zeros((2, 5, 4))
    q[:, :2] = [[40.0, 0.5, 1.0, 0.1], [30.0, -0.5, 1.0 + np.pi, 0.1]]
    q[:, 2:5] = [[60.0, 1.0, 3.0, 7.0], [50.0, 1.1, 3.0, 6.0], [25.0, -2.0, -1.0, 4.0]]
    x = classifier_inputs(ZJetsEvents(q, np.array([3, 3])), 3)
    assert x.shape == (2, 6 + 12 + 3)
    np.testing.assert_allclose(x[0, :2], [40.0, 0.5])
    assert x[0, 4] == pytest.approx(-np.pi)                # Delta phi of mu2 to mu1, in [-pi, pi)
    np.testing.assert_allclose(x[0, -3], 1 / 0.2)          # 1 / max(Delta R_j1j2 = 0.1, 0.2)
    assert classifier_inputs(ZJetsEvents(q, np.array([3, 1])), 1).shape == (1, 10)
    np.testing.assert_allclose(mixed_pull([2.0, 4.0], [0.5, 1.0], [1.5, 0.75]), [-2.0, 1.0])
    with pytest.raises(ValueError, match="same d|one d"):
        train_classifier(np.zeros((10, 2)), np.zeros((10, 3)))


def test_weight_spread_of_log_normal_weights():
    rng = np.random.default_rng(4)
    half, tail = weight_spread(np.exp(rng.normal(0.0, 0.2, 20000)))
    assert half == pytest.approx(0.2, rel=0.05) and tail < 1e-3
    # sigma = 1: the 16-84 % half-width is 0.994 sigma, P(|log w| > 1) = 2 (1 - Phi(1)) = 0.3173
    half, tail = weight_spread(np.exp(rng.normal(0.0, 1.0, 20000)))
    assert half == pytest.approx(0.994, rel=0.05) and tail == pytest.approx(0.3173, abs=0.01)
    with pytest.raises(ValueError, match="positive"):
        weight_spread([1.0, 0.0])


def test_patience_sets_when_the_learning_rate_is_cut(monkeypatch):
    import torch

    made = []
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau

    def recording(*args, **kwargs):
        made.append(plateau(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(torch.optim.lr_scheduler, "ReduceLROnPlateau", recording)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 1))
    # identical samples: the validation loss stops improving at once, so without patience the
    # rate is cut after almost every epoch, and with more patience than epochs never
    train_classifier(x, rng.normal(size=(600, 1)), **{**FAST, "epochs": 6}, patience=0)
    train_classifier(x, rng.normal(size=(600, 1)), **{**FAST, "epochs": 6}, patience=10)
    impatient, patient = (s.optimizer.param_groups[0]["lr"] for s in made)
    assert made[0].patience == 0 and made[1].patience == 10
    assert impatient < 1e-4 and patient == 1e-3
    with pytest.raises(ValueError, match="patience"):
        train_classifier(x, x, **FAST, patience=-1)
