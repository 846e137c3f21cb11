"""The training losses: their minimum, the stratified loss as the variance at the optimal
allocation, and the gradient statistics of forward and inverse training against the analytic
results of Heimel, Mattelaer, Plehn & Winterhalder (arXiv:2408.01486, Appendix B)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("madnis")

from numhep.torch.losses import (  # noqa: E402
    LOSSES,
    kl_divergence,
    multichannel_variance,
    reverse_kl_divergence,
    stratified_variance,
    variance,
)


def _batch(g_equals_f: bool, seed=0):
    """A target f = 3 x^2 on [0, 1] in two channels, points drawn from the flow g: g = f, or
    the flat g = q = 1."""
    rng = np.random.default_rng(seed)
    x = rng.random(4000) ** (1 / 3) if g_equals_f else rng.random(4000)
    f = 3 * x**2
    g = f.copy() if g_equals_f else np.ones_like(x)
    q = g.copy()
    channel = (rng.random(x.size) < 0.5).astype(np.int64)
    t = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    return t(f), t(g), t(q), torch.tensor(channel)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_losses_vanish_when_the_flow_is_the_target(name):
    """Each loss is minimal, zero, at g = f / I_i (the variance losses, the divergences)."""
    f, g, q, channel = _batch(True)
    loss = LOSSES[name](f, g, q, channel)
    assert abs(float(loss)) < 1e-12
    f, g, q, channel = _batch(False)
    assert float(LOSSES[name](f, g, q, channel)) > 0.05


def test_stratified_loss_is_the_variance_at_the_optimal_allocation():
    """(sum sigma_i)^2 <= sum (N / N_i) sigma_i^2 (Cauchy-Schwarz), equal for N_i ~ sigma_i."""
    rng = np.random.default_rng(3)
    n0, n1 = 1000, 3000
    f = torch.tensor(np.concatenate([rng.random(n0), 5 * rng.random(n1) ** 3]), dtype=torch.float64)
    g = torch.ones_like(f)
    channel = torch.tensor([0] * n0 + [1] * n1)
    s, v = float(stratified_variance(f, g, g, channel)), float(multichannel_variance(f, g, g, channel))
    assert s < v
    sig = np.array([float(f[channel == i].std(unbiased=False)) for i in (0, 1)])
    total = int(min(n0 * sig.sum() / sig[0], n1 * sig.sum() / sig[1]))  # as many as both channels hold
    n_opt = np.minimum(np.round(total * sig / sig.sum()).astype(int), [n0, n1])
    f_opt = torch.cat([f[channel == 0][: n_opt[0]], f[channel == 1][: n_opt[1]]])
    c_opt = torch.tensor([0] * n_opt[0] + [1] * n_opt[1])
    # the same sigma_i from fewer points: the two losses meet
    v_opt = float(multichannel_variance(f_opt, torch.ones_like(f_opt), torch.ones_like(f_opt), c_opt))
    s_opt = float(stratified_variance(f_opt, torch.ones_like(f_opt), torch.ones_like(f_opt), c_opt))
    assert v_opt == pytest.approx(s_opt, rel=0.05)


def _normal(x, width=1.0):
    width = torch.as_tensor(width, dtype=torch.float64)
    return torch.exp(-x * x / (2 * width * width)) / torch.sqrt(2 * math.pi * width * width)


def _gradients(loss, theta, mode, n=1_000_000):
    """Every point's gradient d L / d theta for the Gaussian target f = N(0, 1) and the linear
    flow x = theta z, z ~ N(0, 1) (Eqs. 51-56): forward from points of g_theta held fixed,
    inverse through x = theta z.  theta is one copy per point, so one backward pass gives them all."""
    z = torch.randn(n, generator=torch.Generator().manual_seed(11), dtype=torch.float64)
    th = torch.full((n,), theta, dtype=torch.float64, requires_grad=True)
    if mode == "forward":
        x = theta * z
        f, g, q = _normal(x), _normal(x, th), _normal(x, theta)
    else:
        x = th * z
        f, g = _normal(x), _normal(z) / th
        q = g
    loss(f, g, q, integral=1.0).backward()
    return th.grad.numpy() * n


def _var_forward(t):  # Eq. 60
    a, b = 2 * t * t - 1, 4 * t * t - 3
    return -0.25 * (2 - 8 / t**2 - 2 / a**2 + 2 / a**3 + 24 / a**2.5 - 16 / a**1.5 - 2 / a + 8 / a**0.5
                    - 9 / b**2.5 + 3 / b**1.5 - 1 / b**0.5 - b**0.5)


def _var_inverse(t):  # Eq. 61
    a, b = 2 * t * t - 1, 4 * t * t - 3
    return -(8 - 8 / a**2 + 8 / a**3 - 48 / a**2.5 - 32 / a**1.5 - 8 / a - 48 / a**0.5 - 81 / b**2.5 - 9 / b**1.5
             - 27 / b**0.5 - 11 * b**0.5 + 256 * t * (3 * t**4 - 4 * t * t + 2) / (3 * t * t - 2) ** 2.5) / 16


def _kl_inverse(t):  # Eq. 64
    r, lg = math.sqrt(2 * t * t - 1), math.log(t)
    return -1 / (4 * t**6 * (2 * t * t - 1) ** 4.5) * (
        r * (4 - 40 * t * t + 164 * t**4)
        - t**6 * (3 + 49 * t**8 + 352 * r - 4 * t**6 * (27 + 16 * r) + 8 * t**4 * (9 + 32 * r) - 8 * t * t * (1 + 52 * r))
        - 4 * t**6 * lg * (1 - 11 * t * t + 27 * t**4 - 23 * t**6 + 10 * t**8
                           + (1 - 2 * t * t) ** 2 * (1 - 2 * t * t + 3 * t**4) * lg))


APPENDIX_B = {  # loss, mode: (loss, <grad> (Eqs. 59, 62, 65), Var(grad) (Eqs. 60, 61, 63, 64, 66, 67))
    ("variance", "forward"): (variance, lambda t: 2 * t * (t * t - 1) / (2 * t * t - 1) ** 1.5, _var_forward),
    ("variance", "inverse"): (variance, lambda t: 2 * t * (t * t - 1) / (2 * t * t - 1) ** 1.5, _var_inverse),
    ("kl", "forward"): (kl_divergence, lambda t: (t * t - 1) / t**3,
                        lambda t: -1 / t**6 + 2 / t**4 - 1 / t**2 + (4 * t**4 - 8 * t * t + 6) / (2 * t * t - 1) ** 2.5),
    ("kl", "inverse"): (kl_divergence, lambda t: (t * t - 1) / t**3, _kl_inverse),
    ("rkl", "forward"): (reverse_kl_divergence, lambda t: (t * t - 1) / t,
                         lambda t: (21 - 54 * t * t + 37 * t**4 + 4 * math.log(t) * (3 - 5 * t * t + math.log(t))) / (2 * t * t)),
    ("rkl", "inverse"): (reverse_kl_divergence, lambda t: (t * t - 1) / t, lambda t: 2 * t * t),
}


@pytest.mark.parametrize("theta", [1.2, 1.5])
@pytest.mark.parametrize("case", sorted(APPENDIX_B), ids=lambda c: f"{c[0]}-{c[1]}")
def test_gradient_mean_and_variance_match_the_analytic_toy(case, theta):
    loss, mean, var = APPENDIX_B[case]
    g = _gradients(loss, theta, case[1])
    assert abs(g.mean() - mean(theta)) < 4 * math.sqrt(var(theta) / g.size)
    assert g.var() == pytest.approx(var(theta), rel=0.05)
