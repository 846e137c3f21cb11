"""Likelihood-ratio estimators (numhep.torch.likelihood_ratio, likelihood_scan).

The losses vanish or are minimal where the estimate equals the labels, the estimator's score
is d log r_hat/d theta, a short training on e+e- -> mu+mu- data lowers the loss and moves the
learned ratio towards the exact marginal one, a killed training resumes bit for bit, and the
likelihood scan of a parabola gives its interval.
"""

import numpy as np
import pytest

import numhep

torch = pytest.importorskip("torch")
nt = pytest.importorskip("numhep.torch")

G0 = numhep.model("sm").inputs["Gf"]


def cos_mu(p):
    q = p[:, 3]  # e+ e- > mu+ mu-: the mu-
    return q[:, 3] / np.linalg.norm(q[:, 1:], axis=1)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("ratio") / "gf.h5"
    return numhep.joint_likelihood_data("e+ e- > mu+ mu-", 91.188, "Gf", np.array([0.9, 0.95, 1.0, 1.05, 1.1]) * G0,
                                        n_events=1500, path=path, n_points=4000, n_iterations=4, n_warmup=2,
                                        pilot_points=20_000, progress=False)


def test_the_losses_at_the_labels():
    rng = np.random.default_rng(1)
    log_r = torch.tensor(rng.normal(0, 0.3, 50))
    y = torch.tensor(rng.integers(0, 2, 50))
    total, ratio = nt.ratio_loss("rolr", log_r, y, log_r)
    assert float(total) == 0.0 and float(ratio) == 0.0
    # the ALICES cross entropy is smallest at s_hat = s: moving log r_hat away raises it
    at = float(nt.ratio_loss("alices", log_r, y, log_r)[0])
    for shift in (-0.1, 0.1):
        assert float(nt.ratio_loss("alices", log_r + shift, y, log_r)[0]) > at
    score = torch.tensor(rng.normal(size=50))
    total, ratio = nt.ratio_loss("rascal", log_r, y, log_r, score + 1.0, score, alpha=2.0)
    assert np.isclose(float(total - ratio), 2.0)  # alpha times the mean of |1|^2 over the y = 0 events
    with pytest.raises(ValueError, match="method"):
        nt.ratio_loss("sally", log_r, y, log_r)


def test_the_estimator_score_is_the_theta_derivative():
    torch.manual_seed(0)
    est = nt.RatioEstimator(1, hidden=(16, 16), theta_mean=G0, theta_std=0.05 * G0)
    x = torch.tensor(np.linspace(-1, 1, 7)[:, None])
    theta = torch.full((7,), 1.02 * G0, dtype=torch.float64)
    _, score = est.log_ratio_and_score(x, theta)
    h = 1e-5 * G0
    fd = (est(x, theta + h) - est(x, theta - h)) / (2 * h)
    np.testing.assert_allclose(score.detach().numpy(), fd.detach().numpy(), rtol=1e-6,
                               atol=1e-6 * float(score.abs().max()))


def exact_log_ratio(d, x, theta):
    """log p(x | theta)/p(x | theta_ref) of the unsmeared polar angle: the 2 -> 2 event is
    fixed by cos(theta) up to the azimuth, so the marginal ratio is the joint one."""
    c = np.asarray(x)
    s = np.sqrt(1 - c * c)
    e = 91.188 / 2
    p = np.zeros((c.size, 4, 4))
    p[:, 0] = [e, 0, 0, e]
    p[:, 1] = [e, 0, 0, -e]
    p[:, 3] = np.stack([np.full_like(c, e), e * s, 0 * c, e * c], axis=1)
    p[:, 2] = p[:, 0] + p[:, 1] - p[:, 3]
    m = numhep.me(p, "e+ e- > mu+ mu-", params={"Gf": theta})
    m_ref = numhep.me(p, "e+ e- > mu+ mu-")
    sigma = np.interp(theta, d.thetas, d.sigma)
    return np.log(m / m_ref) - np.log(sigma / d.sigma[2])


def test_training_learns_the_marginal_ratio(data, tmp_path):
    x = cos_mu(data.momenta)
    trainer = nt.RatioTrainer(x, data.theta, data.label, data.log_r, data.score, method="alices+score", alpha=1.0,
                              hidden=(32, 32), seed=3)
    grid = np.linspace(-0.95, 0.95, 9)

    def distance(est):
        return np.mean([(est.log_ratio(grid, t)[0] - exact_log_ratio(data, grid, t)) ** 2 for t in (0.9 * G0, 1.1 * G0)])

    history = trainer.train(300, validate_every=100, progress=False, monitor=distance)
    assert trainer.plot(tmp_path / "ratio.png").stat().st_size > 0
    assert history.validation_ratio_loss[-1] < history.validation_ratio_loss[0] + 1e-12
    assert history.monitor[-1] < 0.25 * history.monitor[0]


def test_a_killed_training_resumes_bit_for_bit(data, tmp_path):
    x = cos_mu(data.momenta)
    columns = (x, data.theta, data.label, data.log_r, data.score)
    options = dict(method="rascal", alpha=0.5, hidden=(16,), seed=5)
    whole = nt.RatioTrainer(*columns, **options)
    whole.train(60, validate_every=10, progress=False)
    first = nt.RatioTrainer(*columns, checkpoint=tmp_path / "ratio.pt", checkpoint_every=20, **options)
    calls = []

    def killed_at_step_50(est):
        calls.append(1)
        if len(calls) == 6:  # steps 0, 10, .., 50: the checkpoint holds step 40
            raise KeyboardInterrupt
        return 0.0

    with pytest.raises(KeyboardInterrupt):
        first.train(60, validate_every=10, progress=False, monitor=killed_at_step_50)
    second = nt.RatioTrainer(*columns, checkpoint=tmp_path / "ratio.pt", checkpoint_every=20, **options)
    assert second.step == 40
    second.train(60, validate_every=10, progress=False)
    for a, b in zip(whole.estimator.parameters(), second.estimator.parameters()):
        assert torch.equal(a, b)
    assert whole.history.train_loss == second.history.train_loss
    with pytest.raises(ValueError, match="other settings"):
        nt.RatioTrainer(*columns, checkpoint=tmp_path / "ratio.pt", **{**options, "alpha": 1.0})


def test_the_interval_of_a_parabola():
    thetas = np.linspace(0.5, 1.5, 41)
    q = ((thetas - 1.02) / 0.1) ** 2
    low, best, high = nt.confidence_interval(thetas, q)
    assert abs(best - 1.02) < 1e-9
    assert abs(low - 0.92) < 2e-3 and abs(high - 1.12) < 2e-3
    low95, _, high95 = nt.confidence_interval(thetas, q, level=0.95)
    assert abs(high95 - 1.02 - 0.196) < 3e-3
    lo_open = nt.confidence_interval(thetas, ((thetas - 0.55) / 0.2) ** 2)[0]
    assert lo_open == -np.inf
