"""The sampling network q(x_hard | x_reco, alpha) (Heimel, PhD thesis, Heidelberg 2024, Eq. 6.27)."""

import pytest

torch = pytest.importorskip("torch")

from numhep.torch.sampling_network import SamplingNetwork  # noqa: E402
from numhep.torch.transfer_network import TransferNetwork  # noqa: E402


def _data(n=600):
    g = torch.Generator().manual_seed(4)
    u = 0.2 + 0.6 * torch.rand(n, 2, generator=g, dtype=torch.float64)
    alpha = torch.rand(n, generator=g, dtype=torch.float64) * 3
    reco = torch.cat([u + 0.02 * torch.randn(n, 2, generator=g, dtype=torch.float64), alpha[:, None]], dim=1)
    return u, reco, alpha


def test_density_is_normalised_and_sampling_matches_it():
    u, reco, alpha = _data()
    q = SamplingNetwork(2, reco, bins=6, layers=2, units=16, uniform_share=0.1)
    q.fit(u, reco, alpha, epochs=4, batch_size=64, lr=3e-3, seed=1)
    r0 = reco[:1].expand(20000, -1)
    with torch.no_grad():
        grid = torch.rand(20000, 2, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
        integral = q.density(grid, r0, alpha[0]).mean()
        drawn, dens = q.sample(r0[:5], alpha[0], generator=torch.Generator().manual_seed(1))
    assert float(integral) == pytest.approx(1.0, abs=0.05)
    assert torch.allclose(dens, q.density(drawn, r0[:5], alpha[0]), rtol=1e-9)
    assert float(dens.min()) >= 0.1  # the uniform share bounds the weights


def test_training_on_the_learned_transfer_probability_runs():
    u, reco, alpha = _data(200)
    transfer = TransferNetwork(reco, u, bins=4, layers=1, units=8)
    q = SamplingNetwork(2, reco, bins=4, layers=1, units=8)
    history = q.fit(u, reco, alpha, transfer=transfer, hard=u, epochs=2, batch_size=50, seed=2)
    assert len(history) == 2
    with pytest.raises(ValueError, match="hard"):
        q.fit(u, reco, alpha, transfer=transfer, epochs=1)
