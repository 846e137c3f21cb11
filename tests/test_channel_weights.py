"""The channel-weight network (Eq. 5.8 of Heimel's thesis)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("madnis")

from numhep.torch.channel_weights import ChannelWeightNetwork  # noqa: E402


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
