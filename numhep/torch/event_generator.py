"""The Z + jets INN generator: a chain of conditional invertible networks that stands in for the
whole simulation chain (T. Heimel, The Flow of LHC Events, PhD thesis, Heidelberg 2024, Sec. 4.2
and Fig. 4.1; Butter, Heimel, Hummerich, Krebs, Plehn, Rousselot, Vent, arXiv:2110.13632).

The density of an event with k jets factorises over particles (autoregressive at the level of
particles),

    g(x | k) = g_0(mu1, mu2, j1 | k) g_1(j2 | mu1, mu2, j1, k) g_2(j3 | mu1, mu2, j1, j2),

network 0 for the muons and the first jet conditioned on the one-hot multiplicity, network 1 (a
smaller one) for the second jet of two- and three-jet events, network 2 for the third jet.  Each
is a :class:`~numhep.torch.rotated_spline_flow.RotatedSplineFlow` on the features of
:class:`~numhep.torch.event_preprocessing.EventPreprocessing`.  Training maximises the
likelihood, each network on batches balanced over the multiplicities it sees, with the
magic-transformation weights normalised per batch (Eq. 4.8):

    L = - sum_i w_i / (sum_j w_j) log g(x_i | c_i)   (+ KL / N for a Bayesian INN, Eq. 3.67).

Generation draws the multiplicity from the training mix, samples the chain, inverts the
preprocessing, draws the leading muon's azimuth uniformly and, with the magic transformation,
gives every event the inverse weight of Eq. 4.9.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from numhep.storage import restore_rng, rng_state
from numhep.torch.bayesian_layers import bayesian_kl, draw_replica, set_bayesian_mode
from numhep.torch.event_preprocessing import (
    BLOCKS,
    EventPreprocessing,
    inverse_magic_weights,
    magic_weights,
)
from numhep.torch.rotated_spline_flow import RotatedSplineFlow
from numhep.torch.training_checkpoint import (
    load_state,
    load_training_state,
    save_state,
    save_training_state,
)

__all__ = ["GeneratorConfig", "ZJetsGenerator", "train_generator"]


@dataclass(frozen=True)
class GeneratorConfig:
    """Architecture and training settings of :class:`ZJetsGenerator` (thesis Tab. A.1 at a
    smaller scale by default).

    Parameters
    ----------
    blocks : int, optional
        Coupling blocks of network 0 (default 8; the thesis uses 25, 20 for the BINN).
    jet_blocks : int, optional
        Coupling blocks of each jet network (default 4).
    bins : int, optional
        Spline bins (default 16; thesis 60).
    layers : int, optional
        Layers per sub-network (default 3).
    units : int, optional
        Hidden units of network 0's sub-networks (default 64).
    jet_units : int, optional
        Hidden units of the jet networks' sub-networks (default 32).
    bayesian : bool, optional
        A Bayesian INN (default False).
    prior_sigma : float, optional
        The Gaussian prior's width of a Bayesian INN (default 1).
    magic : bool, optional
        Train with the magic transformation, Eqs. 4.7-4.9 (default True).
    r_minus : float, optional
        ``R_-`` of Eq. 4.7 (default 0.2).
    r_plus : float, optional
        ``R_+`` of Eq. 4.7 (default 1.5).
    whiten : bool, optional
        The "standard" preprocessing with per-multiplicity whitening (default False).
    epochs : int, optional
        Training epochs, counted on network 0's data (default 20).
    batch_size : int, optional
        Events per batch of each network (default 1024).
    lr : float, optional
        The one-cycle schedule's largest learning rate (default 1e-3; it starts at lr / 10).
    seed : int, optional
        Seed of the weights, rotations, batches and weight draws (default 1).

    Examples
    --------
    >>> from numhep.torch.event_generator import GeneratorConfig
    >>> GeneratorConfig(epochs=2).epochs
    2
    """

    blocks: int = 8
    jet_blocks: int = 4
    bins: int = 16
    layers: int = 3
    units: int = 64
    jet_units: int = 32
    bayesian: bool = False
    prior_sigma: float = 1.0
    magic: bool = True
    r_minus: float = 0.2
    r_plus: float = 1.5
    whiten: bool = False
    epochs: int = 20
    batch_size: int = 1024
    lr: float = 1e-3
    seed: int = 1


#: the multiplicities each network is trained on
_NET_MULTIPLICITIES = ((1, 2, 3), (2, 3), (3,))


def _condition(net, x, n_jets):
    """The condition vector of network ``net``: one-hot multiplicity (networks 0, 1) and the
    features of the particles before (networks 1, 2)."""
    n = len(n_jets)
    if net == 0:
        return torch.nn.functional.one_hot(n_jets - 1, 3).to(x.dtype)
    prev = x[:, :BLOCKS[net].start]
    if net == 1:
        return torch.cat([prev, (n_jets == 3).to(x.dtype)[:, None], (n_jets == 2).to(x.dtype)[:, None]], dim=1)
    return prev.reshape(n, -1)


class ZJetsGenerator(torch.nn.Module):
    """The chain of conditional INNs for Z + {1, 2, 3} jets (thesis Fig. 4.1).

    Parameters
    ----------
    config : GeneratorConfig, optional
        Architecture and training settings.
    preprocessing : EventPreprocessing, optional
        A fitted preprocessing (:func:`train_generator` fits one on the training events).
    multiplicity_fractions : sequence of float, optional
        The share of 1, 2, 3-jet events to generate (default the training mix).

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.event_generator import GeneratorConfig, ZJetsGenerator
    >>> gen = ZJetsGenerator(GeneratorConfig(blocks=2, jet_blocks=1, units=8, jet_units=8))
    >>> x = torch.zeros(3, 17); n = torch.tensor([1, 2, 3])
    >>> gen.log_prob(x, n).shape
    torch.Size([3])
    """

    def __init__(self, config: GeneratorConfig | None = None, preprocessing: EventPreprocessing | None = None,
                 multiplicity_fractions=(1 / 3, 1 / 3, 1 / 3)):
        super().__init__()
        self.config = config = config or GeneratorConfig()
        common = dict(bins=config.bins, layers=config.layers, bayesian=config.bayesian,
                      prior_sigma=config.prior_sigma)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)  # the initial weights follow from the seed alone
            self.flows = torch.nn.ModuleList([
                RotatedSplineFlow(9, 3, blocks=config.blocks, units=config.units, seed=config.seed, **common),
                RotatedSplineFlow(4, 11, blocks=config.jet_blocks, units=config.jet_units, seed=config.seed + 1,
                                  **common),
                RotatedSplineFlow(4, 13, blocks=config.jet_blocks, units=config.jet_units, seed=config.seed + 2,
                                  **common),
            ])
        self.preprocessing = preprocessing
        fractions = np.asarray(multiplicity_fractions, dtype=np.float64)
        self.multiplicity_fractions = fractions / fractions.sum()

    def net_log_prob(self, net: int, x, n_jets):
        """log g of network ``net`` for events that have its particle.

        Parameters
        ----------
        net : int
            0 (muons and first jet), 1 (second jet) or 2 (third jet).
        x : torch.Tensor
            (n, 17) features.
        n_jets : torch.Tensor
            (n,) multiplicities, all of which the network sees.

        Returns
        -------
        torch.Tensor
            (n,) log-densities.

        Examples
        --------
        >>> import torch
        >>> from numhep.torch.event_generator import GeneratorConfig, ZJetsGenerator
        >>> gen = ZJetsGenerator(GeneratorConfig(blocks=1, jet_blocks=1, units=4, jet_units=4))
        >>> gen.net_log_prob(2, torch.zeros(2, 17), torch.tensor([3, 3])).shape
        torch.Size([2])
        """
        return self.flows[net].log_prob(x[:, BLOCKS[net]], _condition(net, x, n_jets))

    def log_prob(self, x, n_jets):
        """log g(x | k) of the whole chain, in feature space.

        Parameters
        ----------
        x : torch.Tensor
            (n, 17) features (zeros for missing jets).
        n_jets : torch.Tensor
            (n,) multiplicities.

        Returns
        -------
        torch.Tensor
            (n,) log-densities.

        Examples
        --------
        >>> import torch
        >>> from numhep.torch.event_generator import GeneratorConfig, ZJetsGenerator
        >>> gen = ZJetsGenerator(GeneratorConfig(blocks=1, jet_blocks=1, units=4, jet_units=4))
        >>> round(float(gen.log_prob(torch.zeros(1, 17), torch.tensor([1]))), 4)   # untrained: N(0, 1) in 9 dims
        -8.2704
        """
        x = torch.as_tensor(x, dtype=self._dtype())
        n_jets = torch.as_tensor(n_jets, dtype=torch.long)
        out = torch.zeros(len(x), dtype=x.dtype)
        for net, seen in enumerate(_NET_MULTIPLICITIES):
            rows = n_jets >= seen[0]
            if rows.any():
                out = out.index_add(0, rows.nonzero()[:, 0], self.net_log_prob(net, x[rows], n_jets[rows]))
        return out

    def _dtype(self):
        return next(self.parameters()).dtype

    def sample_features(self, n_jets, generator: torch.Generator | None = None):
        """Features of events with the given multiplicities, sampled along the chain.

        Parameters
        ----------
        n_jets : torch.Tensor
            (n,) multiplicities.
        generator : torch.Generator, optional
            The random stream.

        Returns
        -------
        torch.Tensor
            (n, 17) features, zeros for missing jets.

        Examples
        --------
        >>> import torch
        >>> from numhep.torch.event_generator import GeneratorConfig, ZJetsGenerator
        >>> gen = ZJetsGenerator(GeneratorConfig(blocks=1, jet_blocks=1, units=4, jet_units=4))
        >>> gen.sample_features(torch.tensor([1, 3])).shape
        torch.Size([2, 17])
        """
        n_jets = torch.as_tensor(n_jets, dtype=torch.long)
        x = torch.zeros(len(n_jets), 17, dtype=self._dtype())
        with torch.no_grad():
            for net, seen in enumerate(_NET_MULTIPLICITIES):
                rows = (n_jets >= seen[0]).nonzero()[:, 0]
                if len(rows):
                    xr = x[rows]
                    cond = _condition(net, xr, n_jets[rows])
                    x[rows, BLOCKS[net]] = self.flows[net].sample(len(rows), cond, generator=generator)
        return x

    def generate(self, n_events: int, *, seed: int = 1, batch_size: int = 100_000, progress: bool = False):
        """Generate events: multiplicities from the training mix, the chain, the inverse
        preprocessing, a uniform leading-muon azimuth and, with the magic transformation, the
        inverse weights of Eq. 4.9 (0 for jets closer than Delta R = 0.4).

        Parameters
        ----------
        n_events : int
            The number of events.
        seed : int, optional
            Seed of the multiplicities, latent points and azimuths (default 1).
        batch_size : int, optional
            Events per network pass (default 100000).
        progress : bool, optional
            Show a progress bar (default False).

        Returns
        -------
        ZJetsEvents
            The events with their weights (mean 1 without the magic transformation).

        Examples
        --------
        >>> from numhep.torch.event_preprocessing import EventPreprocessing
        >>> from numhep.torch.event_generator import GeneratorConfig, ZJetsGenerator
        >>> from numhep.events.zjets_dataset import ZJetsEvents
        >>> pre = EventPreprocessing.from_state({"jet_pt_min": 20.0, "whiten": False, "mean": np.zeros(17),
        ...                                      "std": np.ones(17), "whitening": {}})
        >>> gen = ZJetsGenerator(GeneratorConfig(blocks=1, jet_blocks=1, units=4, jet_units=4, magic=False), pre)
        >>> len(gen.generate(10))
        10
        """
        if self.preprocessing is None:
            raise ValueError("ZJetsGenerator.generate: no preprocessing (train the generator, or load one)")
        from tqdm.auto import tqdm

        rng = np.random.default_rng([seed, 4])
        torch_gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        n_jets = rng.choice([1, 2, 3], size=n_events, p=self.multiplicity_fractions)
        phi1 = rng.uniform(-math.pi, math.pi, n_events)
        parts = []
        for start in tqdm(range(0, n_events, batch_size), desc="generate", disable=not progress):
            nj = torch.as_tensor(n_jets[start:start + batch_size])
            parts.append(self.sample_features(nj, torch_gen).double().numpy())
        x = np.concatenate(parts) if parts else np.zeros((0, 17))
        events = self.preprocessing.inverse(x, phi1, n_jets)
        # a generated jet with a negative mass is on the edge of the learned density: mass 0
        events.particles[:, 2:, 3] = np.maximum(events.particles[:, 2:, 3], 0.0)
        weight = np.ones(n_events)
        if self.config.magic:
            weight = inverse_magic_weights(events, r_minus=self.config.r_minus, r_plus=self.config.r_plus)
        bad = ~np.isfinite(events.particles.reshape(n_events, -1)).all(axis=1)
        weight[bad] = 0.0
        events.particles[bad] = 0.0
        events.weight = weight
        events.attrs = {"generator": "ZJetsGenerator", **{k: v for k, v in asdict(self.config).items()}}
        return events

    @contextlib.contextmanager
    def replica(self, generator: torch.Generator | None = None):
        """Within the block the Bayesian generator is one network replica theta ~ q (thesis
        Sec. 4.3); afterwards its layers use the posterior means.

        Parameters
        ----------
        generator : torch.Generator, optional
            The random stream of the weight draw.

        Yields
        ------
        ZJetsGenerator
            self, with fixed weights.

        Examples
        --------
        >>> import torch
        >>> from numhep.torch.event_generator import GeneratorConfig, ZJetsGenerator
        >>> gen = ZJetsGenerator(GeneratorConfig(blocks=1, jet_blocks=1, units=4, jet_units=4, bayesian=True))
        >>> with gen.replica(torch.Generator().manual_seed(2)):
        ...     a = gen.log_prob(torch.zeros(1, 17), torch.tensor([1]))
        >>> a.shape
        torch.Size([1])
        """
        draw_replica(self, generator)
        try:
            yield self
        finally:
            set_bayesian_mode(self, "mean")

    def save(self, path):
        """Write the trained generator (weights, settings, preprocessing, multiplicity mix).

        Parameters
        ----------
        path : str or path-like
            The file (torch format, read back without unpickling code).

        Returns
        -------
        None
            The file is written atomically.

        Examples
        --------
        >>> from numhep.torch.event_preprocessing import EventPreprocessing
        >>> from numhep.torch.event_generator import GeneratorConfig, ZJetsGenerator
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "gen.pt"
        >>> gen = ZJetsGenerator(GeneratorConfig(blocks=1, jet_blocks=1, units=4, jet_units=4))
        >>> gen.preprocessing = EventPreprocessing.from_state({"jet_pt_min": 20.0, "whiten": False,
        ...     "mean": np.zeros(17), "std": np.ones(17), "whitening": {}})
        >>> gen.save(path); ZJetsGenerator.load(path).config.blocks
        1
        """
        if self.preprocessing is None:
            raise ValueError("ZJetsGenerator.save: no preprocessing to save (train the generator first)")
        save_state(path, {"config": asdict(self.config), "weights": self.state_dict(),
                          "preprocessing": self.preprocessing.state(),
                          "fractions": self.multiplicity_fractions})

    @classmethod
    def load(cls, path):
        """A generator written by :meth:`save`, its Bayesian layers on their posterior means.

        Parameters
        ----------
        path : str or path-like
            The file.

        Returns
        -------
        ZJetsGenerator
            The generator.

        Examples
        --------
        >>> from numhep.torch.event_preprocessing import EventPreprocessing
        >>> from numhep.torch.event_generator import GeneratorConfig, ZJetsGenerator
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "gen.pt"
        >>> gen = ZJetsGenerator(GeneratorConfig(blocks=1, jet_blocks=1, units=4, jet_units=4))
        >>> gen.preprocessing = EventPreprocessing.from_state({"jet_pt_min": 20.0, "whiten": False,
        ...     "mean": np.zeros(17), "std": np.ones(17), "whitening": {}})
        >>> gen.save(path); type(ZJetsGenerator.load(path)).__name__
        'ZJetsGenerator'
        """
        state = load_state(path)
        gen = cls(GeneratorConfig(**state["config"]), EventPreprocessing.from_state(state["preprocessing"]),
                  state["fractions"])
        gen.load_state_dict(state["weights"])
        set_bayesian_mode(gen, "mean")
        return gen


def _balanced_indices(rng, groups, batch_size):
    """A batch with the multiplicities in equal proportions (thesis Sec. 4.2.1)."""
    per = max(1, batch_size // len(groups))
    return np.concatenate([g[rng.integers(0, len(g), per)] for g in groups])


def train_generator(train, config: GeneratorConfig | None = None, *, checkpoint=None, checkpoint_every: int = 200,
                    progress: bool = True, callback=None):
    """Train the INN chain on Z + jets events (thesis Sec. 4.2; Bayesian: Sec. 4.3).

    Adam (beta = 0.9, 0.99) with a one-cycle learning-rate schedule; every step each of the three
    networks gets its own batch, balanced over the multiplicities it models (a multiplicity absent
    from the training events is left out, and never generated), and the loss of
    Eq. 4.8 (magic-transformation weights normalised per batch) plus, for a Bayesian INN, its
    layers' KL divergence divided by the network's number of training events (Eq. 3.67).  The
    networks share no weights, so one optimiser over the sum trains each as if alone.

    With ``checkpoint`` the whole state (weights, optimiser, schedule, random streams, losses)
    is written every ``checkpoint_every`` steps and at the end; calling again with the same
    events and settings resumes and gives the same generator as a run without interruption.

    Parameters
    ----------
    train : ZJetsEvents
        The training events.
    config : GeneratorConfig, optional
        Settings (default :class:`GeneratorConfig`).
    checkpoint : str or path-like, optional
        The checkpoint file.
    checkpoint_every : int, optional
        Steps between checkpoints (default 200).
    progress : bool, optional
        Show a tqdm progress bar (default True).
    callback : callable, optional
        Called as ``callback(step, loss)`` after every step.

    Returns
    -------
    tuple
        The trained :class:`ZJetsGenerator` (Bayesian layers on their means) and the loss per
        step (numpy array).

    Raises
    ------
    ValueError
        If there are no training events, or the checkpoint belongs to other settings.

    Examples
    --------
    >>> from numhep.torch.event_generator import GeneratorConfig, train_generator
    >>> from numhep.events.zjets_dataset import ZJetsEvents
    >>> rng = np.random.default_rng(1)
    >>> q = np.zeros((60, 5, 4)); q[..., 0] = 25 + rng.exponential(20, (60, 5)); q[..., 1] = rng.normal(0, 2, (60, 5))
    >>> q[..., 2] = rng.uniform(-3, 3, (60, 5)); q[:, 2:, 3] = 5 + rng.exponential(3, (60, 3))
    >>> events = ZJetsEvents(q, np.repeat([1, 2, 3], 20))
    >>> gen, losses = train_generator(events, GeneratorConfig(blocks=1, jet_blocks=1, units=8, jet_units=8,
    ...                               epochs=5, batch_size=30), progress=False)
    >>> bool(losses[-5:].mean() < losses[:5].mean())
    True
    """
    config = config or GeneratorConfig()
    if len(train) == 0:
        raise ValueError("train_generator: no training events")
    if checkpoint_every < 1:
        raise ValueError(f"train_generator: checkpoint_every must be at least 1, got {checkpoint_every}")
    pre = EventPreprocessing(whiten=config.whiten).fit(train)
    x_all, _ = pre.transform(train)
    counts = np.array([(train.n_jets == k).sum() for k in (1, 2, 3)], dtype=np.float64)
    gen = ZJetsGenerator(config, pre, counts / counts.sum())
    weights_all = (magic_weights(train, r_minus=config.r_minus, r_plus=config.r_plus) if config.magic
                   else np.ones(len(train)))
    # a multiplicity missing from the training set is never generated; its network stays untrained
    groups = [[g for g in (np.flatnonzero(train.n_jets == k) for k in seen) if len(g)] for seen in _NET_MULTIPLICITIES]
    n_train = [sum(len(g) for g in gs) for gs in groups]
    steps = max(1, int(config.epochs * math.ceil(len(train) / config.batch_size)))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed + 7)  # the Bayesian weight draws of the training
        return _train(gen, config, x_all, train, weights_all, groups, n_train, steps, checkpoint, checkpoint_every,
                      progress, callback)


def _train(gen, config, x_all, train, weights_all, groups, n_train, steps, checkpoint, checkpoint_every, progress,
           callback):
    from tqdm.auto import tqdm

    x_t = torch.as_tensor(x_all, dtype=torch.float32)
    n_t = torch.as_tensor(train.n_jets)
    w_t = torch.as_tensor(weights_all, dtype=torch.float32)
    opt = torch.optim.Adam(gen.parameters(), lr=config.lr / 10, betas=(0.9, 0.99))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=steps)
    rng = np.random.default_rng([config.seed, 30])
    losses, step = [], 0
    settings = {**asdict(config), "n_train": len(train), "steps": steps,
                "data": float(np.round(x_all.sum(), 6)), "checkpoint_every": int(checkpoint_every)}
    if checkpoint is not None and Path(checkpoint).exists():
        state = load_training_state(checkpoint, settings)
        gen.load_state_dict(state["weights"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        rng = restore_rng(rng, state["rng"])
        losses, step = list(state["losses"]), int(state["step"])

    def save():
        save_training_state(checkpoint, settings, weights=gen.state_dict(), optimizer=opt.state_dict(),
                            scheduler=sched.state_dict(), torch_rng=torch.get_rng_state(), rng=rng_state(rng),
                            losses=np.asarray(losses), step=step)

    set_bayesian_mode(gen, "sample")
    gen.train()
    bar = tqdm(total=steps, initial=step, desc="train INN", disable=not progress)
    while step < steps:
        loss = 0.0
        for net, gs in enumerate(groups):
            if not gs:
                continue
            idx = torch.as_tensor(_balanced_indices(rng, gs, config.batch_size))
            w = w_t[idx]
            logp = gen.net_log_prob(net, x_t[idx], n_t[idx])
            loss = loss - (w / w.sum() * logp).sum()
            if config.bayesian:
                loss = loss + bayesian_kl(gen.flows[net]) / n_train[net]
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(gen.parameters(), 10.0)
        opt.step()
        sched.step()
        step += 1
        losses.append(loss.item())
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
        if checkpoint is not None and (step % checkpoint_every == 0 or step == steps):
            save()
        if callback is not None:
            callback(step, losses[-1])
    bar.close()
    gen.eval()
    set_bayesian_mode(gen, "mean")
    return gen, np.asarray(losses)
