"""Flows for the density of an integrand's points (numhep.torch.density_flow).

The force-matching target is d log f/du from the integrand's adjoints; training with the
likelihood, reverse KL and force matching lowers the held-out negative log-likelihood and the
reverse KL; an interrupted training resumes bit for bit.
"""

import numpy as np
import pytest

import numhep

torch = pytest.importorskip("torch")
nt = pytest.importorskip("numhep.torch")


@pytest.fixture(scope="module")
def setup():
    # e+ e- -> t t~ h: a 5-dimensional cube with a positive density everywhere (no cuts, so
    # that the reverse KL is a divergence); unweighted points by hit-or-miss
    f = numhep.integrand("e+ e- > t t~ h", 1000.0)
    rng = np.random.default_rng(2)
    u = rng.random((100_000, f.dim))
    w = f(u)
    points = u[rng.random(w.size) * w.max() < w]
    assert points.shape[0] >= 1000
    return f, points[:800], points[800:1000], float(w.mean())


def test_the_force_is_the_integrands_log_gradient(setup):
    f, train, test, sigma = setup
    trainer = nt.DensityFlowTrainer(f, train[:50], test, fm_weight=1.0, fm_quantile=1.0, seed=0)  # no cap
    u = trainer._u.numpy()[:5]
    h = 1e-6
    for j in range(f.dim):
        e = np.zeros_like(u)
        e[:, j] = h
        fd = (np.log(f(u + e)) - np.log(f(u - e))) / (2 * h)
        np.testing.assert_allclose(trainer._force.numpy()[:5, j], fd, rtol=1e-5, atol=1e-6 * np.abs(fd).max())


def test_training_lowers_the_held_out_losses(setup, tmp_path):
    f, train, test, sigma = setup
    trainer = nt.DensityFlowTrainer(f, train, test, rkl_weight=0.5, fm_weight=0.1, log_sigma=np.log(sigma),
                                    lr=3e-3, batch_size=100, warmup_epochs=1, seed=1)
    start_nll, start_rkl = trainer.test_nll(), trainer.test_rkl()
    history = trainer.train(8, progress=False)
    assert trainer.plot(tmp_path / "flow.png").stat().st_size > 0
    assert history.test_nll[-1] < start_nll - 0.1
    assert history.test_rkl[-1] < start_rkl - 0.03
    assert history.test_rkl[-1] > -0.05  # a KL divergence (up to its estimate's noise) is not negative


def test_a_killed_training_resumes_bit_for_bit(setup, tmp_path):
    f, train, test, sigma = setup
    options = dict(rkl_weight=0.5, fm_weight=0.1, lr=3e-3, warmup_epochs=1, seed=4)
    whole = nt.DensityFlowTrainer(f, train[:300], test, **options)
    whole.train(3, progress=False)
    first = nt.DensityFlowTrainer(f, train[:300], test, checkpoint=tmp_path / "flow.pt", **options)
    first.train(2, progress=False)  # a kill after epoch 2: every epoch ends with a checkpoint
    second = nt.DensityFlowTrainer(f, train[:300], test, checkpoint=tmp_path / "flow.pt", **options)
    assert second.epoch == 2
    second.train(3, progress=False)
    for a, b in zip(whole.flow.parameters(), second.flow.parameters()):
        assert torch.equal(a, b)
    assert whole.history.test_nll == second.history.test_nll
    with pytest.raises(ValueError, match="other settings"):
        nt.DensityFlowTrainer(f, train[:300], test, checkpoint=tmp_path / "flow.pt", **{**options, "fm_weight": 0.0})
