"""Uncertainties of a Bayesian generator from network replicas (T. Heimel, The Flow of LHC Events,
PhD thesis, Heidelberg 2024, Sec. 4.3 and Sec. 4.4.3; Butter, Heimel, Hummerich, Krebs, Plehn,
Rousselot, Vent, arXiv:2110.13632).

Each replica theta ~ q generates its own sample and histogram; the bin-wise mean and standard
deviation over replicas are the error band.  The bin count n decomposes (Eqs. 4.11-4.15) as

    <n> = int dtheta q(theta) <n>_theta,
    sigma_tot^2 = sigma_stoch^2 + sigma_pred^2,
    sigma_stoch^2 = int dtheta q(theta) (<n^2>_theta - <n>_theta^2) = <n>   (Poisson; sum w^2 if weighted),
    sigma_pred^2 = int dtheta q(theta) (<n>_theta - <n>)^2,

so sigma_pred^2 = sigma_tot^2 - sigma_stoch^2 with sigma_tot^2 the variance over replicas.  In the
forward direction the replicas' densities at the same points give mu(x) and sigma(x) (Sec. 4.4.3).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["density_replicas", "histogram_uncertainties", "replica_histograms"]


def histogram_uncertainties(counts, sum_w2=None):
    """Bin-wise mean, total, Poisson and predictive uncertainties of replica histograms (thesis
    Eqs. 4.11-4.15).

    Parameters
    ----------
    counts : array_like
        (R, bins) weighted counts of R replicas, R >= 2.
    sum_w2 : array_like, optional
        (R, bins) sums of squared weights (default ``counts``: unit weights).

    Returns
    -------
    dict of str to numpy.ndarray
        ``mean``, ``sigma_total`` (standard deviation over replicas), ``sigma_stoch``
        (sqrt of the mean sum w^2) and ``sigma_pred`` (sqrt(max(sigma_total^2 - sigma_stoch^2, 0))).

    Examples
    --------
    >>> from numhep.torch.replica_histograms import histogram_uncertainties
    >>> u = histogram_uncertainties([[100.0, 10.0], [120.0, 10.0], [80.0, 10.0]])
    >>> u["mean"].tolist(), u["sigma_total"].tolist(), u["sigma_pred"].round(3).tolist()
    ([100.0, 10.0], [20.0, 0.0], [17.321, 0.0])
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2 or len(counts) < 2:
        raise ValueError(f"histogram_uncertainties: counts must be (replicas >= 2, bins), got {counts.shape}")
    sum_w2 = counts if sum_w2 is None else np.asarray(sum_w2, dtype=np.float64)
    mean = counts.mean(0)
    total = counts.std(0, ddof=1)
    stoch = np.sqrt(sum_w2.mean(0))
    return {"mean": mean, "sigma_total": total, "sigma_stoch": stoch,
            "sigma_pred": np.sqrt(np.maximum(total**2 - stoch**2, 0.0))}


def replica_histograms(generator, observable, bins, *, n_events: int, n_replicas: int = 10, seed: int = 1,
                       n_jets=None):
    """Histograms of an observable, one per network replica of a Bayesian generator.

    Parameters
    ----------
    generator : ZJetsGenerator
        A (Bayesian) generator; a deterministic one gives replicas that differ by sampling only.
    observable : callable
        ``observable(events) -> (n,)`` values (NaN where undefined, e.g. a missing jet).
    bins : array_like
        Bin edges.
    n_events : int
        Events generated per replica.
    n_replicas : int, optional
        The number R of replicas (default 10).
    seed : int, optional
        Seed of the weight draws and samples (default 1).
    n_jets : int, optional
        Histogram only events with this many jets (default all).

    Returns
    -------
    tuple of numpy.ndarray
        Weighted counts and sums of squared weights, both (R, len(bins) - 1).

    Examples
    --------
    >>> from numhep.torch.replica_histograms import replica_histograms
    >>> from numhep.torch.event_generator import GeneratorConfig, ZJetsGenerator
    >>> from numhep.torch.event_preprocessing import EventPreprocessing
    >>> pre = EventPreprocessing.from_state({"jet_pt_min": 20.0, "whiten": False, "mean": np.zeros(17),
    ...                                      "std": np.ones(17), "whitening": {}})
    >>> gen = ZJetsGenerator(GeneratorConfig(blocks=1, jet_blocks=1, units=4, jet_units=4, bayesian=True), pre)
    >>> c, w2 = replica_histograms(gen, lambda ev: ev.particles[:, 0, 1], np.linspace(-3, 3, 7), n_events=50,
    ...                            n_replicas=3)
    >>> c.shape, bool(c.sum() > 100)
    ((3, 6), True)
    """
    bins = np.asarray(bins, dtype=np.float64)
    counts = np.zeros((n_replicas, len(bins) - 1))
    sum_w2 = np.zeros_like(counts)
    draws = torch.Generator().manual_seed(int(np.random.default_rng([seed, 43]).integers(2**62)))
    for r in range(n_replicas):
        with generator.replica(draws):
            events = generator.generate(n_events, seed=seed * 1000 + r)
        if n_jets is not None:
            events = events.select(int(n_jets))
        values = np.asarray(observable(events), dtype=np.float64)
        ok = np.isfinite(values)
        counts[r] = np.histogram(values[ok], bins, weights=events.weight[ok])[0]
        sum_w2[r] = np.histogram(values[ok], bins, weights=events.weight[ok] ** 2)[0]
    return counts, sum_w2


def density_replicas(generator, events, *, n_replicas: int = 20, seed: int = 1):
    """Mean mu(x) and standard deviation sigma(x) of the generator's density at given events
    over network replicas (thesis Sec. 4.4.3), in the generator's feature space (a common
    Jacobian to phase space cancels in sigma / mu and in the mixed pull).

    Parameters
    ----------
    generator : ZJetsGenerator
        A Bayesian generator with its preprocessing.
    events : ZJetsEvents
        The points.
    n_replicas : int, optional
        Replicas (default 20).
    seed : int, optional
        Seed of the weight draws (default 1).

    Returns
    -------
    tuple of numpy.ndarray
        mu (n,) and sigma (n,).

    Examples
    --------
    >>> from numhep.torch.replica_histograms import density_replicas
    >>> from numhep.torch.event_generator import GeneratorConfig, ZJetsGenerator
    >>> from numhep.torch.event_preprocessing import EventPreprocessing
    >>> pre = EventPreprocessing.from_state({"jet_pt_min": 20.0, "whiten": False, "mean": np.zeros(17),
    ...                                      "std": np.ones(17), "whitening": {}})
    >>> gen = ZJetsGenerator(GeneratorConfig(blocks=1, jet_blocks=1, units=4, jet_units=4, bayesian=True), pre)
    >>> mu, sigma = density_replicas(gen, gen.generate(5), n_replicas=3)
    >>> mu.shape, bool((sigma >= 0).all())
    ((5,), True)
    """
    x, _ = generator.preprocessing.transform(events)
    draws = torch.Generator().manual_seed(int(np.random.default_rng([seed, 42]).integers(2**62)))
    logp = []
    for _ in range(n_replicas):
        with generator.replica(draws), torch.no_grad():
            logp.append(generator.log_prob(torch.as_tensor(x, dtype=torch.float32), events.n_jets).double().numpy())
    logp = np.array(logp)
    shift = logp.max(0)  # densities relative to the largest replica keep exp() finite
    dens = np.exp(logp - shift)
    return dens.mean(0) * np.exp(shift), dens.std(0, ddof=1) * np.exp(shift)
