"""The Z + jets INN chain: a normalised density that its samples follow, training that learns and
resumes exactly, saving and loading, generation into the event layout, and the Bayesian INN."""

import numpy as np
import pytest
import torch

from numhep.events.zjets_dataset import ZJetsEvents
from numhep.torch.bayesian_layers import BayesianLinear
from numhep.torch.event_generator import (
    GeneratorConfig,
    ZJetsGenerator,
    train_generator,
)
from numhep.torch.event_preprocessing import EventPreprocessing

TINY = dict(blocks=2, jet_blocks=1, bins=6, units=16, jet_units=8, batch_size=60, epochs=4)
LEARN = {**TINY, "epochs": 15, "lr": 3e-3}


def toy_events(n=300, seed=1):
    """Events with a Z-like muon pair and jets: p_T falling, jets balancing the muons."""
    rng = np.random.default_rng(seed)
    q = np.zeros((n, 5, 4))
    q[..., 0] = 20.0 + rng.exponential(25.0, (n, 5))
    q[..., 1] = rng.normal(0.0, 1.5, (n, 5))
    q[:, 0, 2] = rng.uniform(-np.pi, np.pi, n)
    q[:, 1:, 2] = q[:, :1, 2] + np.pi + rng.normal(0, 0.6, (n, 4))
    q[..., 2] = np.mod(q[..., 2] + np.pi, 2 * np.pi) - np.pi
    q[:, :2, 3] = 0.1056583755
    q[:, 2:, 3] = rng.uniform(2.0, 15.0, (n, 3))
    n_jets = np.repeat([1, 2, 3], n // 3)
    q[:, 2:][np.arange(3)[None, :] >= n_jets[:, None]] = 0.0
    return ZJetsEvents(q, n_jets)


def identity_preprocessing():
    return EventPreprocessing.from_state({"jet_pt_min": 20.0, "whiten": False, "mean": np.zeros(17),
                                          "std": np.ones(17), "whitening": {}})


def test_the_chain_density_is_normalised_and_sampling_agrees_with_it():
    gen = ZJetsGenerator(GeneratorConfig(**TINY, seed=3)).double()
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():  # non-trivial splines in every network
        for flow in gen.flows:
            for net in flow.subnets:
                net[-1].weight.copy_(0.1 * torch.randn(net[-1].weight.shape, generator=g, dtype=torch.float64))
    for k, dims in ((3, 17),):   # three jets: every network of the chain
        n = torch.full((6000,), k)
        x = gen.sample_features(n, torch.Generator().manual_seed(k))
        assert not x[:, dims:].any()
        with torch.no_grad():
            log_g = gen.log_prob(x, n)
        # E_{x~g}[N(x) / g(x)] = int N(x) dx = 1 if g is normalised and the samples follow g
        log_n = -0.5 * (x[:, :dims] ** 2).sum(1) - 0.5 * dims * np.log(2 * np.pi)
        ratio = torch.exp(log_n - log_g)
        assert ratio.mean().item() == pytest.approx(1.0, abs=4 * ratio.std().item() / np.sqrt(len(n)) + 0.01)
        assert (log_g - log_n).abs().max() > 0.05  # not the plain Gaussian


def test_training_learns_and_resumes_exactly(tmp_path):
    events = toy_events()
    config = GeneratorConfig(**LEARN, magic=True)
    gen, losses = train_generator(events, config, progress=False)
    assert losses[-10:].mean() < losses[:10].mean() - 1.0
    with torch.no_grad():
        x, _ = gen.preprocessing.transform(events)
        trained = gen.log_prob(torch.as_tensor(x, dtype=torch.float32), events.n_jets).mean()
        fresh = ZJetsGenerator(config, gen.preprocessing).log_prob(torch.as_tensor(x, dtype=torch.float32),
                                                                 events.n_jets).mean()
    assert trained > fresh + 0.5

    class Killed(Exception):
        pass

    def kill(step, loss):
        if step == 43:
            raise Killed

    ckpt = tmp_path / "gen.ckpt"
    with pytest.raises(Killed):
        train_generator(events, config, checkpoint=ckpt, checkpoint_every=20, progress=False, callback=kill)
    resumed, resumed_losses = train_generator(events, config, checkpoint=ckpt, checkpoint_every=20, progress=False)
    np.testing.assert_array_equal(resumed_losses, losses)
    for a, b in zip(resumed.state_dict().values(), gen.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    with pytest.raises(ValueError, match="other settings"):
        train_generator(events, GeneratorConfig(**{**TINY, "epochs": 5}), checkpoint=ckpt, progress=False)


def test_saved_generators_reload_and_generate_the_event_layout(tmp_path):
    events = toy_events()
    gen, _ = train_generator(events, GeneratorConfig(**TINY), progress=False)
    gen.save(tmp_path / "g.pt")
    back = ZJetsGenerator.load(tmp_path / "g.pt")
    a, b = gen.generate(500, seed=4), back.generate(500, seed=4)
    np.testing.assert_array_equal(a.particles, b.particles)
    np.testing.assert_array_equal(a.weight, b.weight)
    assert sorted(np.unique(a.n_jets)) == [1, 2, 3] and abs((a.n_jets == 1).mean() - 1 / 3) < 0.1
    assert (a.particles[:, 2:, 0][np.arange(3)[None, :] < a.n_jets[:, None]] > 20.0).all()
    assert not a.particles[:, 3:][a.n_jets == 1].any()
    obs = a.observables()
    close = (a.n_jets == 2) & (obs["dr_j1j2"] < 0.4)
    assert (a.weight[close] == 0).all() and (a.weight[(a.n_jets == 1)] == 1).all()   # Eq. 4.9
    again = ZJetsEvents.load(a.save(tmp_path / "gen.h5"))
    np.testing.assert_array_equal(again.particles, a.particles)
    fewer, _ = train_generator(events.select(events.n_jets < 3), GeneratorConfig(**TINY), progress=False)
    assert set(fewer.generate(300).n_jets) == {1, 2}   # a multiplicity never seen is never generated


def test_a_bayesian_generator_trains_on_the_elbo_and_has_distinct_replicas():
    events = toy_events()
    gen, losses = train_generator(events, GeneratorConfig(**LEARN, bayesian=True, magic=False), progress=False)
    assert any(isinstance(m, BayesianLinear) for m in gen.modules())
    assert np.isfinite(losses).all() and losses[-10:].mean() < losses[:10].mean()
    x = torch.as_tensor(gen.preprocessing.transform(events)[0], dtype=torch.float32)
    draws = torch.Generator().manual_seed(1)
    with torch.no_grad():
        with gen.replica(draws):
            r1 = gen.log_prob(x, events.n_jets)
        with gen.replica(draws):
            r2 = gen.log_prob(x, events.n_jets)
        mean = gen.log_prob(x, events.n_jets)
    assert not torch.equal(r1, r2) and torch.equal(mean, gen.log_prob(x, events.n_jets))
    assert gen.generate(20).weight.tolist() == [1.0] * 20
