"""Multi-channel VEGAS: one adaptive grid per channel, samples allocated by the optimal rule.

    I = sum_i m_i I_i,   I_i = < alpha_i f / g_i >_{x ~ g_i}          (Heimel, PhD thesis, Heidelberg 2024, Eqs. 2.47-2.50)

where channel i's points come from its own VEGAS grid composed with its phase-space map
and m_i counts the channels it stands for (permutations of identical particles).  With
N_i points in channel i the variance is sum_i m_i^2 sigma_i^2 / N_i (Eq. 2.53), smallest
for N_i proportional to m_i sigma_i (Eq. 2.55); every iteration re-allocates by that rule
from the previous iteration's sigma_i, keeping at least ``min_fraction`` of the uniform
share per channel so that none starves.  Iterations after the warm-up are combined by
their inverse variances, in total and per channel, with chi^2/dof.

    result = numhep.multichannel_vegas(f, n_channels, dim, n_points=20_000, n_iterations=8)
    result.mean, result.sdev, result.channels   # per channel: (m_i I_i, error)

``f(u, channel)`` takes points (n, dim) in the unit hypercube and one channel index and
returns (n,) values alpha_c f / g_c (an :class:`~numhep.integration.integrands.Integrand` with
``channel="diagrams"`` is such a function).  ``checkpoint=path`` saves the grids and
results after every iteration; a later call with the same path resumes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from numhep.integration.task_runners import forget_results, new_entropy, runner_for, task_rng, task_store
from numhep.integration.vegas import (
    VegasGrid,
    allocate_points,
    check_iterations,
    combine_iterations,
    point_batches,
    report_iteration,
)
from numhep.storage import save_arrays

__all__ = ["MultiChannelResult", "multichannel_vegas"]


@dataclass
class MultiChannelResult:
    """The result of :func:`numhep.multichannel_vegas`: the total and per-channel integrals.

    Iterations after the warm-up are combined by their inverse variances, in total and per
    channel, with chi^2/dof as the consistency check.

    Parameters
    ----------
    mean : float
        The combined integral ``I = sum_i m_i I_i`` (pb for a cross section).
    sdev : float
        Its standard error.
    chi2_dof : float
        chi^2 per degree of freedom of the combined iterations.
    channels : list of tuple of float
        Per sampled channel, (mean, sdev) of its contribution ``m_i I_i``.
    iterations : list of tuple of float, optional
        (mean, sdev) of every iteration, warm-up included.
    allocation : list of int, optional
        Points per channel in the last iteration.
    n_evaluations : int, optional
        Integrand calls, warm-up included.
    grids : list of VegasGrid, optional
        The adapted grid of every sampled channel.
    n_warmup : int, optional
        The number of warm-up iterations left out of the result.

    Examples
    --------
    >>> result = numhep.MultiChannelResult(1.0, 0.01, 0.9, [(0.5, 0.005), (0.5, 0.008)], n_evaluations=8000,
    ...                                    iterations=[(1.1, 0.1), (1.0, 0.01)], n_warmup=1)
    >>> print(result)
    1 +- 0.01 (chi2/dof = 0.90, 2 channels, 1 iterations combined after 1 warm-up, 8000 calls)
    """

    mean: float
    sdev: float
    chi2_dof: float
    channels: list  # per channel (mean, sdev) of m_i I_i
    iterations: list = field(default_factory=list)  # (mean, sdev) per iteration
    allocation: list = field(default_factory=list)  # points per channel in the last iteration
    n_evaluations: int = 0
    grids: list = field(default_factory=list)

    n_warmup: int = 0

    def __str__(self):
        return (f"{self.mean:.6g} +- {self.sdev:.2g} (chi2/dof = {self.chi2_dof:.2f}, {len(self.channels)} channels, "
                f"{len(self.iterations) - self.n_warmup} iterations combined after {self.n_warmup} warm-up, "
                f"{self.n_evaluations} calls)")


def _allocate(sigma, mult, n_points, min_fraction):
    """Points per channel: at least ``min_fraction`` of a uniform share, the rest by
    m_i sigma_i, exactly ``n_points`` in all."""
    share = np.asarray(mult, dtype=float) * np.asarray(sigma, dtype=float)
    return allocate_points(share, n_points, max(int(min_fraction * n_points / len(share)), 2))


def _channel_batch(f, edges, channels, multiplicity, entropy, iteration, pieces):
    """Pieces (j, start, stop) of the channels' shares of an iteration, points [start, stop) of
    channel ``channels[j]`` each with its own random stream: per piece the sums of w and w^2
    (w = m f jacobian) and of (f jacobian)^2 per grid bin."""
    dims, bins = edges.shape[1], edges.shape[2] - 1
    out = {"s1": np.zeros(len(pieces)), "s2": np.zeros(len(pieces)), "bin_sums": np.zeros((len(pieces), dims, bins)),
           "n": np.zeros(len(pieces), dtype=np.int64)}
    for row, (j, start, stop) in enumerate(pieces):
        grid, channel = VegasGrid.from_edges(edges[j]), int(channels[j])
        u = task_rng(entropy, _MULTICHANNEL_STREAM, iteration, channel, start).random((stop - start, dims))
        x, jac, bins_ = grid.map(u)
        fx = np.asarray(f(x, channel), dtype=np.float64).reshape(-1)
        if fx.shape[0] != u.shape[0]:
            raise ValueError(f"integrand returned {fx.shape[0]} values for {u.shape[0]} points")
        if not np.all(np.isfinite(fx)):
            raise ValueError(f"integrand returned NaN or infinity in channel {channel}")
        w = multiplicity[j] * fx * jac
        out["s1"][row], out["s2"][row], out["n"][row] = w.sum(), (w * w).sum(), u.shape[0]
        out["bin_sums"][row] = grid.bin_sums(bins_, w * w)
    return out


def _packed(alloc, batch_size):
    """The iteration's pieces (j, start, stop), at most ``batch_size`` points each, packed in
    order into tasks of at most ``batch_size`` points (channels with few points share a task)."""
    tasks, current, size = [], [], 0
    for j, n in enumerate(alloc):
        for a, b in point_batches(int(n), batch_size):
            if current and size + (b - a) > batch_size:
                tasks.append(np.array(current, dtype=np.int64))
                current, size = [], 0
            current.append((j, a, b))
            size += b - a
    if current:
        tasks.append(np.array(current, dtype=np.int64))
    return tasks


_MULTICHANNEL_STREAM = 1


def multichannel_vegas(
    f,
    n_channels: int,
    dim: int,
    n_points: int = 20_000,
    n_iterations: int = 8,
    n_warmup: int = 2,
    multiplicity=None,
    channels=None,
    seed=None,
    bins: int = 64,
    alpha: float = 0.7,
    min_fraction: float = 0.1,
    progress: bool = False,
    checkpoint: str | os.PathLike | None = None,
    client=None,
    batch_size: int = 10_000,
) -> MultiChannelResult:
    r"""Integrate ``sum_c m_c <f(u, c)>`` with a VEGAS grid per channel: multi-channel VEGAS.

    Multi-channel importance sampling (Kleiss & Pittau, arXiv:hep-ph/9405257; Heimel, PhD
    thesis, Heidelberg 2024, Eqs. 2.47-2.55) with one VEGAS grid per channel (Lepage,
    J. Comput. Phys. 27 (1978) 192):

    .. math::

        I = \sum_i m_i I_i, \qquad I_i = \langle \alpha_i f / g_i \rangle_{x \sim g_i},

    where channel i's points come from its own grid composed with its phase-space map and
    m_i counts the channels it stands for (permutations of identical particles).  With N_i
    points in channel i the variance is ``sum_i m_i^2 sigma_i^2 / N_i``, smallest for N_i
    proportional to ``m_i sigma_i``; every iteration re-allocates by that rule from the
    previous iteration's sigma_i, keeping at least ``min_fraction`` of the uniform share per
    channel so that none starves.  Each channel's points of an iteration are cut into tasks
    of at most ``batch_size`` points, evaluated here or on the workers of ``client``, with the
    same result for the same ``seed``.

    Parameters
    ----------
    f : callable
        ``f(u, channel)`` of points u (n, dim) in the unit hypercube and one channel index,
        returning (n,) finite values ``alpha_c f / g_c`` (an
        :class:`~numhep.integration.Integrand` with ``channel="diagrams"`` is one).
    n_channels : int
        The number of channels.
    dim : int
        The dimension of the unit hypercube.
    n_points : int, optional
        Integrand calls per iteration over all channels (default 20000).
    n_iterations : int, optional
        Iterations in all, warm-up included (default 8).
    n_warmup : int, optional
        Iterations left out of the result (default 2).
    multiplicity : array_like, optional
        m_c per sampled channel (default 1 each).
    channels : array_like of int, optional
        The channel indices to sample (default all ``n_channels``).
    seed : int, optional
        Seed of the random streams (default None: fresh entropy).
    bins : int, optional
        VEGAS bins per dimension (default 64).
    alpha : float, optional
        The grids' damping exponent (default 0.7).
    min_fraction : float, optional
        The least share of the uniform allocation each channel keeps (default 0.1).
    progress : bool, optional
        Show a progress bar (tqdm); default False.
    checkpoint : str or path-like, optional
        A file that holds the grids and results after every iteration; a later call with
        the same path resumes.
    client : distributed.Client, optional
        Evaluate the tasks on a Dask cluster.
    batch_size : int, optional
        Points per task (default 10000); channels with few points share a task.

    Returns
    -------
    MultiChannelResult
        The combined integral, its error and chi^2/dof, the per-channel results, the last
        allocation and the adapted grids.

    Raises
    ------
    ValueError
        If there are no channels, ``multiplicity`` does not have one value per sampled
        channel, ``n_iterations`` does not exceed ``n_warmup``, or ``f`` returns a wrong
        number of values or NaN or infinity.

    See Also
    --------
    numhep.vegas_integrate : one grid.
    numhep.integrate : the cross section of a process (``channel="diagrams"``).

    Examples
    --------
    Two channels that each give half of the integral of 1 over [0, 1]:

    >>> def f(u, channel):
    ...     return 0.5 * np.ones(len(u)) if channel == 0 else 1.5 * u[:, 0] ** 2
    >>> result = numhep.multichannel_vegas(f, 2, 1, n_points=2000, n_iterations=4, n_warmup=1, seed=1)
    >>> [round(m, 2) for m, _ in result.channels], bool(abs(result.mean - 1.0) < 5 * result.sdev)
    ([0.5, 0.5], True)
    """
    chans = list(range(n_channels)) if channels is None else [int(c) for c in channels]
    k = len(chans)
    mult = np.ones(k) if multiplicity is None else np.asarray(multiplicity, dtype=float)
    if mult.shape != (k,):
        raise ValueError(f"multiplicity: expected {k} values, got shape {mult.shape}")
    if k == 0:
        raise ValueError("multichannel_vegas: no channels")
    check_iterations(n_iterations, n_warmup)
    runner = runner_for(client)
    entropy = new_entropy(seed)
    grids = [VegasGrid(dim, bins, alpha) for _ in range(k)]
    its, per_channel = [], [[] for _ in range(k)]
    sigma = np.ones(k)
    done = nev = 0
    if checkpoint is not None and Path(checkpoint).exists():
        st = np.load(checkpoint, allow_pickle=False)
        for g, e in zip(grids, st["edges"]):
            g.edges = np.ascontiguousarray(e)
        its = [tuple(r) for r in st["iterations"]]
        per_channel = [[tuple(r) for r in rows] for rows in st["per_channel"].transpose(1, 0, 2)]
        sigma, done, nev = st["sigma"], int(st["done"]), int(st["n_evaluations"])
        entropy = int(str(st["entropy"])) if "entropy" in st else entropy
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_iterations, initial=done, desc="multi-channel VEGAS", unit="it")
    alloc = allocate_points(np.ones(k), n_points, 2)
    for it in range(done, n_iterations):
        alloc = _allocate(sigma, mult, n_points, min_fraction) if it > 0 else allocate_points(np.ones(k), n_points, 2)
        tasks = _packed(alloc, batch_size)
        store = task_store(checkpoint)
        results = runner.map(_channel_batch, (f, np.array([g.edges for g in grids]), np.array(chans), mult),
                             [(entropy, it, pieces) for pieces in tasks],
                             [f"channel-it{it}-c{pieces[0, 0]}-{pieces[0, 1]}" for pieces in tasks], store=store)
        s1, s2, count = np.zeros(k), np.zeros(k), np.zeros(k)
        sums = [np.zeros((dim, bins)) for _ in range(k)]
        for pieces, r in zip(tasks, results):  # in task order: the same sums on any number of workers
            for row, j in enumerate(pieces[:, 0]):
                s1[j] += r["s1"][row]
                s2[j] += r["s2"][row]
                sums[j] += r["bin_sums"][row]
                count[j] += r["n"][row]
        nev += int(count.sum())
        m = s1 / count
        var0 = np.maximum(s2 / count - m * m, 0.0)  # the points' variance about their mean
        v = var0 / (count - 1.0)  # of the mean, with the unbiased sample variance
        for j in range(k):
            per_channel[j].append((m[j], np.sqrt(v[j])))
            grids[j].adapt(sums[j])
        sigma = np.sqrt(var0) / mult
        its.append((float(m.sum()), float(np.sqrt(v.sum()))))
        if checkpoint is not None:
            save_arrays(checkpoint, edges=np.array([g.edges for g in grids]), iterations=np.array(its),
                        per_channel=np.array(per_channel).transpose(1, 0, 2), sigma=sigma, done=it + 1,
                        n_evaluations=nev, entropy=str(entropy))
            forget_results(store)
        report_iteration(bar, its, n_warmup)
    if bar is not None:
        bar.close()
    mean, sdev, chi2 = combine_iterations(its[n_warmup:])
    per = []
    for rows in per_channel:
        m_, s_, _ = combine_iterations(rows[n_warmup:])
        per.append((m_, s_))
    return MultiChannelResult(mean, sdev, chi2, per, its, list(alloc), nev, grids, n_warmup)
