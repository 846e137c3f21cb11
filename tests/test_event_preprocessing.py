"""Preprocessing of Z + jets events (thesis Eqs. 4.3-4.6) and the magic transformation (Eqs. 4.7-4.9)."""

import numpy as np
import pytest

from numhep.events.zjets_dataset import ZJetsEvents
from numhep.torch.event_preprocessing import (
    EventPreprocessing,
    inverse_magic_weights,
    magic_weights,
)

MU = 0.1056583755


def toy_events(n=600, seed=1):
    rng = np.random.default_rng(seed)
    q = np.zeros((n, 5, 4))
    q[..., 0] = 20.0 + rng.exponential(30.0, (n, 5))
    q[..., 1] = rng.normal(0.0, 1.5, (n, 5))
    q[..., 2] = rng.uniform(-np.pi, np.pi, (n, 5))
    q[:, :2, 3] = MU
    q[:, 2:, 3] = rng.uniform(2.0, 20.0, (n, 3))
    n_jets = rng.choice([1, 2, 3], n, p=[0.6, 0.3, 0.1])
    q[:, 2:][np.arange(3)[None, :] >= n_jets[:, None]] = 0.0
    return ZJetsEvents(q, n_jets)


@pytest.mark.parametrize("whiten", [False, True])
def test_preprocessing_round_trips_exactly(whiten):
    events = toy_events()
    pre = EventPreprocessing(whiten=whiten).fit(events)
    x, phi = pre.transform(events)
    assert x.shape == (600, 17) and np.isfinite(x).all()
    assert not x[events.n_jets == 1][:, 9:].any()   # missing jets are zeros
    back = pre.inverse(x, phi, events.n_jets)
    np.testing.assert_allclose(back.particles, events.particles, rtol=1e-10, atol=1e-10)
    # standardised (Eq. 4.6); whitened features also have unit covariance per multiplicity
    rows = events.n_jets == 1
    assert np.allclose(x[:, :9].mean(0), 0, atol=0.15 if whiten else 1e-12)
    if whiten:
        np.testing.assert_allclose(np.cov(x[rows][:, :9], rowvar=False), np.eye(9), atol=1e-8)
    else:
        np.testing.assert_allclose(x[:, :9].std(0), 1.0, rtol=1e-12)
    again = EventPreprocessing.from_state(pre.state())
    np.testing.assert_array_equal(again.transform(events)[0], x)


def test_preprocessing_features_are_the_thesis_variables():
    events = toy_events(50)
    pre = EventPreprocessing().fit(events)
    x, _ = pre.transform(events)
    raw = x * pre.std + pre.mean
    q = events.particles
    np.testing.assert_allclose(raw[:, 5], np.log(q[:, 2, 0] - 20.0))           # Eq. 4.4
    dphi = np.mod(q[:, 1, 2] - q[:, 0, 2] + np.pi, 2 * np.pi) - np.pi
    np.testing.assert_allclose(raw[:, 4], np.arctanh(dphi / np.pi))            # Eq. 4.5, relative to mu1
    with pytest.raises(ValueError, match="p_T,min"):
        bad = toy_events(5)
        bad.particles[0, 2, 0] = 20.0
        pre.transform(bad)


def test_magic_weights_and_their_inverse_cancel():
    events = toy_events(2000)
    w, wbar = magic_weights(events), inverse_magic_weights(events)
    dr = events.observables()
    separated = np.ones(len(events), bool)
    for key, need in (("dr_j1j2", 2), ("dr_j2j3", 3), ("dr_j1j3", 3)):
        separated &= (events.n_jets < need) | (dr[key] >= 0.4)
    np.testing.assert_allclose((w * wbar)[separated], 1.0, rtol=1e-12)
    assert (wbar[~separated] == 0).all() and (~separated).any()
    assert (w[events.n_jets == 1] == 1).all() and (w >= 0).all() and (w <= 1).all()
    with pytest.raises(ValueError, match="r_minus"):
        inverse_magic_weights(events, r_min=0.1)


def test_inverse_magic_weights_restore_the_distribution():
    # truth Delta R ~ p; a perfect generator trained with the magic weights samples p f / Z
    # (rejection with acceptance f <= 1); its events weighted by f_bar give p back
    rng = np.random.default_rng(3)
    n = 400_000
    dr = 0.4 + rng.gamma(1.5, 0.4, n)
    f = np.clip((dr - 0.2) / 1.3, 0, 1)
    learned = dr[rng.uniform(size=n) < f]
    q = np.zeros((len(learned), 5, 4))
    q[:, 2:4] = [30.0, 0.0, 0.0, 5.0]
    q[:, 3, 1] = learned
    wbar = inverse_magic_weights(ZJetsEvents(q, np.full(len(learned), 2)))
    bins = np.linspace(0.4, 3.0, 14)
    truth = np.histogram(dr, bins)[0] / n
    restored = np.histogram(learned, bins, weights=wbar)[0] / wbar.sum()
    err = np.sqrt(np.histogram(learned, bins, weights=wbar**2)[0]) / wbar.sum()
    assert np.all(np.abs(restored - truth) < 4 * err + 4 * np.sqrt(truth / n))
    # the learned distribution itself is visibly different near the cut
    assert np.histogram(learned, bins)[0][0] / len(learned) < 0.6 * truth[0]
