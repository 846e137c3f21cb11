"""The channel-weight network (Eq. 5.8 of Heimel's thesis) and the training losses."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("madnis")

from numhep.torch.channel_weights import ChannelWeightNetwork  # noqa: E402
from numhep.torch.losses import LOSSES, multichannel_variance, stratified_variance  # noqa: E402


def _net(seed=0):
    torch.manual_seed(seed)
    net = ChannelWeightNetwork(6, 4)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.5 * torch.randn_like(p))
    return net


def test_channel_weights_sum_to_one_and_start_at_the_prior():
    gen = torch.Generator().manual_seed(1)
    feats = torch.rand((200, 6), generator=gen, dtype=torch.float64)
    prior = torch.rand((200, 4), generator=gen, dtype=torch.float64)
    prior[:5] = 0.0  # no prior weight at all: spread evenly
    alpha = _net()(feats, prior)
    assert torch.all(alpha >= 0)
    np.testing.assert_allclose(alpha.sum(1).detach().numpy(), 1.0, atol=1e-14)
    np.testing.assert_allclose(alpha[:5].detach().numpy(), 0.25, atol=1e-14)
    fresh = ChannelWeightNetwork(6, 4)(feats, prior)
    np.testing.assert_allclose(fresh[5:].detach().numpy(), (prior[5:] / prior[5:].sum(1, keepdim=True)).numpy(),
                               atol=1e-14)
    active = torch.tensor([True, False, True, True])
    alpha = _net()(feats, prior, active)
    assert torch.all(alpha[:, 1] == 0)
    np.testing.assert_allclose(alpha.sum(1).detach().numpy(), 1.0, atol=1e-14)


def test_channel_weight_network_refuses_wrong_shapes():
    with pytest.raises(ValueError, match="at least two channels"):
        ChannelWeightNetwork(3, 1)
    with pytest.raises(ValueError, match=r"prior: expected shape \(10, 4\)"):
        _net()(torch.rand(10, 6, dtype=torch.float64), torch.rand(10, 3, dtype=torch.float64))


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
