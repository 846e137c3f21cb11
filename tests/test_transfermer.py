"""The Transfermer (Heimel, PhD thesis, Heidelberg 2024, Sec. 6.5.2, Eqs. 6.40-6.43)."""

import math

import pytest

torch = pytest.importorskip("torch")

from numhep.torch.transfermer import Transfermer  # noqa: E402

SMALL = dict(width=16, heads=2, encoder_layers=1, decoder_layers=1, feedforward=32, bins=6, layers=2, units=16)


def _combinatorics(n, seed):
    """Two hard particles (3 components); reco: the same two with a noisy fourth component on
    the first, ordered by their first component, so which reco particle is which hard one
    changes from event to event (the jet combinatorics)."""
    g = torch.Generator().manual_seed(seed)
    a, b = torch.randn(n, 3, generator=g, dtype=torch.float64), torch.randn(n, 3, generator=g, dtype=torch.float64)
    swap = (b[:, 0] > a[:, 0])[:, None]
    lead, sub = torch.where(swap, b, a), torch.where(swap, a, b)
    noise = 0.05 * torch.randn(n, 7, generator=g, dtype=torch.float64)
    reco = torch.cat([lead, lead[:, :1].abs(), sub], dim=1) + noise
    return reco, torch.cat([a, b], dim=1)


def test_untrained_transfermer_is_the_standardised_gaussian():
    reco, hard = _combinatorics(300, 1)
    net = Transfermer(reco, hard, reco_particles=(4, 3), hard_particles=(3, 3), **SMALL)
    z = (reco - reco.mean(0)) / reco.std(0, unbiased=False)
    expected = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(1) - torch.log(reco.std(0, unbiased=False)).sum()
    assert torch.allclose(net.log_prob(reco[:5], hard[:5]), expected[:5], rtol=1e-12)


def test_the_autoregressive_density_is_normalised_and_sampling_follows_it():
    """Any parameters give a normalised density when the decoder sees only earlier particles:
    importance sampling of its integral over the 7 reco features from a wide Gaussian, within
    four standard errors of 1; the mean of drawn events equals the density's own mean."""
    reco, hard = _combinatorics(300, 2)
    torch.manual_seed(0)  # the initial weights: not whatever the tests before left in the global stream
    net = Transfermer(reco, hard, reco_particles=(4, 3), hard_particles=(3, 3), **SMALL)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel()), dtype=p.dtype))
        n, s = 100_000, 1.6
        zq = s * torch.randn(n, 7, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
        x = zq * net.reco_std + net.reco_mean
        log_q = (-0.5 * (zq / s) ** 2 - math.log(s) - 0.5 * math.log(2 * math.pi)).sum(1) - torch.log(net.reco_std).sum()
        w = torch.exp(net.log_prob(x, hard[:1].expand(n, 6)) - log_q)
        error = float(w.std() / math.sqrt(n))
        assert abs(float(w.mean()) - 1.0) < 4 * error
        drawn = net.sample(hard[:1].expand(20_000, 6), generator=torch.Generator().manual_seed(5))
        mean_is = (w[:, None] * x).sum(0) / w.sum()
        spread = x.std(0) * 4 / math.sqrt(20_000) + (w[:, None] * (x - mean_is) ** 2).sum(0).sqrt() / w.sum() * 4
    assert torch.all((drawn.mean(0) - mean_is).abs() < spread)


def test_it_learns_which_reco_particle_is_which_hard_one():
    """On the combinatorics toy the held-out likelihood rises far above the untrained one's and
    above that of the flow transfer network of the same training (the flow must learn the
    changing assignment as a two-mode density); and, as the truth, it hardly changes when the
    two hard particles are given in the other order."""
    from numhep.torch.transfer_network import TransferNetwork

    reco, hard = _combinatorics(1500, 4)
    test_reco, test_hard = _combinatorics(500, 5)
    net = Transfermer(reco, hard, reco_particles=(4, 3), hard_particles=(3, 3), **SMALL)
    with torch.no_grad():
        before = float(net.log_prob(test_reco, test_hard).mean())
    history = net.fit(reco, hard, epochs=10, batch_size=250, lr=3e-3, seed=1)
    assert history[-1] < history[0] - 4.0
    flow = TransferNetwork(reco, hard, bins=6, layers=2, units=16)
    flow.fit(reco, hard, epochs=10, batch_size=250, lr=3e-3, seed=1)
    with torch.no_grad():
        after = net.log_prob(test_reco, test_hard)
        exchanged = net.log_prob(test_reco, torch.cat([test_hard[:, 3:], test_hard[:, :3]], dim=1))
        by_flow = flow.log_prob(test_reco, test_hard)
    assert float(after.mean()) > before + 4.0
    assert float(after.mean()) > float(by_flow.mean()) + 1.0
    assert abs(float((after - exchanged).mean())) < 1.0


def test_bad_shapes_are_named():
    reco, hard = _combinatorics(50, 6)
    with pytest.raises(ValueError, match="reco_particles"):
        Transfermer(reco, hard, reco_particles=(4, 4), hard_particles=(3, 3), **SMALL)
    with pytest.raises(ValueError, match="hard_particles"):
        Transfermer(reco, hard, reco_particles=(4, 3), hard_particles=(5, 1), **SMALL)
    with pytest.raises(ValueError, match="width"):
        Transfermer(reco, hard, reco_particles=(4, 3), hard_particles=(3, 3), **dict(SMALL, width=6, heads=1))
    net = Transfermer(reco, hard, reco_particles=(4, 3), hard_particles=(3, 3), **SMALL)
    with pytest.raises(ValueError, match="expected shapes"):
        net.log_prob(reco[:, :6], hard)
    bad = reco[:2].clone()
    bad[0, 1] = float("nan")
    assert torch.isneginf(net.log_prob(bad, hard[:2])[0]) and torch.isfinite(net.log_prob(bad, hard[:2])[1])
