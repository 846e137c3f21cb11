"""The Transfer-CFM (Heimel, PhD thesis, Heidelberg 2024, Sec. 6.5.1, Eqs. 3.52-3.58)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from numhep.torch.transfer_cfm import TransferCFM  # noqa: E402


def _pairs(n=400):
    g = torch.Generator().manual_seed(3)
    hard = torch.randn(n, 1, generator=g, dtype=torch.float64)
    reco = 2.0 * hard + 0.3 * torch.randn(n, 1, generator=g, dtype=torch.float64)
    return reco, hard


def test_untrained_cfm_is_the_standardised_gaussian():
    reco, hard = _pairs()
    cfm = TransferCFM(reco, hard, layers=1, units=8, steps=3)
    z = (reco - reco.mean(0)) / reco.std(0, unbiased=False)
    expected = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(1) - torch.log(reco.std(0, unbiased=False)).sum()
    assert torch.allclose(cfm.log_prob(reco[:5], hard[:5]), expected[:5], rtol=1e-12)


def test_trained_density_is_normalised_and_conditional():
    reco, hard = _pairs()
    cfm = TransferCFM(reco, hard, layers=2, units=32, steps=8)
    history = cfm.fit(reco, hard, epochs=20, batch_size=50, lr=5e-3, seed=1)
    assert history[-1] < 0.5 * history[0]
    # the continuity equation conserves probability: the density integrates to one for any field
    x = torch.linspace(-8.0, 8.0, 401, dtype=torch.float64)[:, None]
    cond = torch.full((401, 1), 0.5, dtype=torch.float64)
    with torch.no_grad():
        dens = torch.exp(cfm.log_prob(x, cond))
    integral = float(torch.trapezoid(dens[:, 0] if dens.ndim == 2 else dens, x[:, 0]))
    assert integral == pytest.approx(1.0, abs=0.02)
    # and it has learned that reco follows 2 x_hard: the mode sits near 1 for x_hard = 0.5
    assert float(x[dens.argmax(), 0]) == pytest.approx(1.0, abs=0.4)
    drawn = cfm.sample(torch.full((2000, 1), 0.5, dtype=torch.float64), generator=torch.Generator().manual_seed(4))
    assert float(drawn.mean()) == pytest.approx(1.0, abs=0.3)
    assert np.isfinite(drawn.numpy()).all()
