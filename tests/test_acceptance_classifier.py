"""The acceptance classifier epsilon(x_hard) (Heimel, PhD thesis, Heidelberg 2024, Eq. 6.20)."""

import pytest

torch = pytest.importorskip("torch")

from numhep.torch.acceptance_classifier import AcceptanceClassifier  # noqa: E402


def test_classifier_learns_a_known_acceptance():
    g = torch.Generator().manual_seed(0)
    eta = 4 * torch.rand(3000, 1, generator=g, dtype=torch.float64) - 2
    truth = torch.where(eta.abs()[:, 0] < 1.0, 0.8, 0.1)
    label = (torch.rand(3000, generator=g, dtype=torch.float64) < truth).double()
    clf = AcceptanceClassifier(eta, layers=2, units=16)
    history = clf.fit(eta, label, epochs=15, batch_size=128, lr=1e-2, seed=1)
    assert history[-1] < history[0]
    with torch.no_grad():
        p = clf(torch.tensor([[0.0], [1.8]], dtype=torch.float64))
    assert p[0] == pytest.approx(0.8, abs=0.08) and p[1] == pytest.approx(0.1, abs=0.08)


def test_shapes_are_checked():
    clf = AcceptanceClassifier(torch.zeros(4, 3, dtype=torch.float64), layers=1, units=4)
    with pytest.raises(ValueError, match="hard"):
        clf(torch.zeros(2, 2, dtype=torch.float64))
