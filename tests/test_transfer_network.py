"""The transfer network p(x_reco | x_hard) (Heimel, PhD thesis, Heidelberg 2024, Eq. 6.21)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from numhep.torch.transfer_network import TransferNetwork  # noqa: E402


def _pairs(n=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    hard = torch.randn(n, 2, generator=g, dtype=torch.float64) * 50 + 100
    reco = torch.cat([hard * 1.1 + 5 * torch.randn(n, 2, generator=g, dtype=torch.float64),
                      hard[:, :1] - hard[:, 1:]], dim=1)
    return reco, hard


def test_untrained_network_is_the_standardised_gaussian():
    reco, hard = _pairs()
    net = TransferNetwork(reco, hard, bins=4, layers=1, units=8)
    z = (reco - reco.mean(0)) / reco.std(0, unbiased=False)
    expected = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(1) - torch.log(reco.std(0, unbiased=False)).sum()
    assert torch.allclose(net.log_prob(reco, hard), expected, rtol=1e-10)


def test_training_learns_the_conditional_density_and_samples_follow_it():
    reco, hard = _pairs(300)
    net = TransferNetwork(reco, hard, bins=6, layers=2, units=32)
    history = net.fit(reco, hard, epochs=6, batch_size=32, lr=1e-2, seed=1)
    assert history[-1] < history[0] - 1.0  # the conditional density is far narrower than the marginal
    with torch.no_grad():
        drawn = net.sample(hard, generator=torch.Generator().manual_seed(2))
    # the sampled reco follow x_hard as the data do
    corr = np.corrcoef(drawn[:, 0].numpy(), hard[:, 0].numpy())[0, 1]
    assert corr > 0.8, corr


def test_bad_rows_get_minus_infinity_and_bad_shapes_are_named():
    reco, hard = _pairs(50)
    net = TransferNetwork(reco, hard, bins=4, layers=1, units=8)
    reco = reco.clone()
    reco[1, 0] = float("nan")
    out = net.log_prob(reco[:3], hard[:3])
    assert torch.isfinite(out[[0, 2]]).all() and out[1] == -math.inf
    with pytest.raises(ValueError, match="reco"):
        net.log_prob(reco[:3, :2], hard[:3])
