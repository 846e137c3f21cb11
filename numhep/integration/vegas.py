"""VEGAS adaptive importance sampling on numhep's grid kernels (Heimel, PhD thesis, Heidelberg 2024, Eqs. 2.32-2.41).

>>> grid = numhep.VegasGrid(dims=4)                 # K = 64 bins per dimension
>>> result = numhep.vegas_integrate(f, grid, n_points=100_000, n_iterations=10)
>>> result.mean, result.sdev, result.chi2_dof

``f`` takes points x of shape (n, dims) in the unit hypercube and returns (n,) values.
Each iteration samples the current map, estimates the integral and its variance,
accumulates (f * jac)^2 per bin and refines the grid: the per-bin values are smoothed
with Lepage's (1, 6, 1)/8 stencil, normalised, damped as ((1 - d)/ln(1/d))^alpha
(alpha = 0.7 by default, Heimel et al., arXiv:2408.01486, Table 3) and new edges give each bin an equal share.
Stratification (Lepage's VEGAS+, arXiv:2009.05112): u-space is also cut into
n_s^d hypercubes (n_s = floor((N/2)^(1/d)), at least two points each); within a
hypercube h of volume V_h = n_s^-d with n_h points the estimate is
I = sum_h V_h <w>_h with variance sum_h V_h^2 s_h^2 / n_h, and after every iteration
the points are redistributed as n_h ~ (V_h s_h)^beta (beta = 0.75; beta = 0 keeps
them uniform).  Samples enter the grid adaptation weighted by their inverse sampling
density.  Iterations after the warm-up are combined weighted by their inverse
variances, with chi^2/dof as the consistency check.  ``checkpoint=path`` writes the grid and the
iteration results after every iteration; a later call with the same path resumes.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from numhep import arrays as ab
from numhep import ops
from numhep.adjoint import vegas_grid as _k_adjoint  # noqa: F401  (attaches .vjp)
from numhep.kernels import vegas_grid as _k
from numhep.integration.task_runners import forget_results, new_entropy, runner_for, task_rng, task_store
from numhep.storage import save_arrays

__all__ = ["VegasGrid", "VegasResult", "allocate_points", "check_counts", "check_iterations", "combine_iterations", "point_batches", "report_iteration",
           "vegas_integrate", "vegas_map"]


class VegasGrid:
    """A VEGAS grid: bin edges per dimension and the piecewise-linear map u -> x they define.

    Each dimension d of [0, 1] is cut into K bins of widths w_k; a point u_d in the k-th of
    K equal steps maps linearly into bin k, ``dx_d/du_d = K w_k`` (Lepage, J. Comput. Phys.
    27 (1978) 192; Heimel, PhD thesis, Heidelberg 2024, Eq. 2.35), and the Jacobian is the
    product over dimensions.  :meth:`adapt` refines the edges from per-bin sums of
    ``(f jac)^2``: smoothed with Lepage's (1, 6, 1)/8 stencil, normalised, damped as
    ``((1 - d)/ln(1/d))^alpha`` and cut so that each new bin holds an equal share.  A new grid
    is the identity map.  :func:`numhep.vegas_integrate` adapts it.

    Parameters
    ----------
    dims : int
        The number of dimensions, at least 1.
    bins : int, optional
        Bins per dimension, at least 2 (default 64).
    alpha : float, optional
        The damping exponent of the adaptation (default 0.7, Heimel et al.,
        arXiv:2408.01486, Table 3; 0 freezes the grid).
    edges : array_like, optional
        Shape (dims, bins + 1): the bin edges, from 0 to 1 (default: equal bins).

    Attributes
    ----------
    edges : ndarray
        Shape (dims, bins + 1), float64: the current bin edges.

    Raises
    ------
    ValueError
        If ``dims < 1``, ``bins < 2`` or ``edges`` is not of shape (dims, bins + 1).

    Examples
    --------
    >>> grid = numhep.VegasGrid(2, bins=8)
    >>> x, jac, bins = grid.map(np.array([[0.1, 0.5], [0.9, 0.25]]))
    >>> x.tolist(), jac.tolist(), bins.tolist()
    ([[0.1, 0.5], [0.9, 0.25]], [1.0, 1.0], [[0, 4], [7, 2]])
    """

    def __init__(self, dims: int, bins: int = 64, alpha: float = 0.7, edges=None):
        if dims < 1 or bins < 2:
            raise ValueError(f"VegasGrid: need dims >= 1 and bins >= 2, got {dims}, {bins}")
        self.dims, self.bins, self.alpha = int(dims), int(bins), float(alpha)
        if edges is None:
            edges = np.tile(np.linspace(0.0, 1.0, self.bins + 1), (self.dims, 1))
        self.edges = np.ascontiguousarray(edges, dtype=np.float64)
        if self.edges.shape != (self.dims, self.bins + 1):
            raise ValueError(f"edges: expected shape {(self.dims, self.bins + 1)}, got {self.edges.shape}")

    @classmethod
    def from_edges(cls, edges, alpha: float = 0.7) -> "VegasGrid":
        """The grid of saved edges, e.g. from a checkpoint.

        Parameters
        ----------
        edges : array_like
            Shape (dims, bins + 1): the bin edges.
        alpha : float, optional
            The damping exponent of the adaptation (default 0.7).

        Returns
        -------
        VegasGrid
            The grid with these edges.
        """
        e = np.ascontiguousarray(edges, dtype=np.float64)
        return cls(e.shape[0], e.shape[1] - 1, alpha, e)

    def _edges_on(self, xp):
        """The edges as an array of ``xp`` (on a device: copied once per device and grid state)."""
        if xp is np:
            return self.edges
        return ab.device_copies(self, self.edges.tobytes(), lambda: (self.edges,), xp, keep=2)[0]

    def map(self, u):
        """The map at points u of the unit hypercube, with the bins it used.

        Parameters
        ----------
        u : array_like, shape ``(n, dims)``
            Points of the unit hypercube (numpy or CuPy).

        Returns
        -------
        x : ndarray, shape ``(n, dims)``
            The mapped points.
        jacobian : ndarray, shape ``(n,)``
            ``prod_d dx_d/du_d``.
        bins : ndarray of int64, shape ``(n, dims)``
            The bin of each point in each dimension.

        Raises
        ------
        ValueError
            If ``u`` is not of shape (n, dims).
        """
        return self._map_on(ab.namespace(u), u)

    def _map_on(self, xp, u):
        u = ab.as_float64(u, "u", xp)
        if u.ndim != 2 or u.shape[1] != self.dims:
            raise ValueError(f"u: expected shape (n, {self.dims}), got {tuple(u.shape)}")
        x = xp.empty_like(u)
        jac = xp.empty(u.shape[0])
        bins = xp.empty(u.shape, dtype=xp.int64)
        _k.vegas_map(u, self._edges_on(xp), x, jac, bins)
        return x, jac, bins

    def density(self, x):
        """The density of the mapped points at x: prod_d 1 / (K w_d), with w_d the width of
        the bin of dimension d that holds x_d and K the number of bins, the inverse of
        :meth:`map`'s Jacobian at the preimage of x (Lepage, J. Comput. Phys. 27 (1978) 192).

        Parameters
        ----------
        x : array_like, shape ``(n, dims)``
            Points of the unit hypercube (numpy).

        Returns
        -------
        ndarray, shape ``(n,)``
            The density; it integrates to 1 over the cube.

        Raises
        ------
        ValueError
            If ``x`` is not of shape (n, dims).

        Examples
        --------
        >>> grid = numhep.VegasGrid(1, bins=2, edges=[[0.0, 0.2, 1.0]])
        >>> grid.density(np.array([[0.1], [0.5]])).tolist()
        [2.5, 0.625]
        """
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.dims:
            raise ValueError(f"x: expected shape (n, {self.dims}), got {tuple(x.shape)}")
        density = np.ones(x.shape[0])
        for d in range(self.dims):
            k = np.clip(np.searchsorted(self.edges[d], x[:, d], side="right") - 1, 0, self.bins - 1)
            density /= self.bins * np.diff(self.edges[d])[k]
        return density

    def __call__(self, u):
        """(x, jacobian) at u: :data:`vegas_map` (differentiable in u; torch tensors give tensors)."""
        return vegas_map(self, u)

    def bin_sums(self, bins, fw2):
        """The sums of ``(f jac)^2`` per dimension and bin, what :meth:`adapt` takes.

        Parameters
        ----------
        bins : ndarray of int64, shape ``(n, dims)``
            The bins of the points, from :meth:`map`.
        fw2 : array_like, shape ``(n,)``
            ``(f jac)^2`` of each point.

        Returns
        -------
        ndarray, shape (dims, bins)
            The sums.
        """
        sums = np.zeros((self.dims, self.bins))
        _k.accumulate(sums, bins, np.ascontiguousarray(fw2))
        return sums

    def adapt(self, sums):
        """Refine the edges in place from per-bin sums of ``(f jac)^2``.

        Lepage's smoothing with the (1, 6, 1)/8 stencil, normalisation, damping as
        ``((1 - d)/ln(1/d))^alpha``, then new edges that give each bin an equal share of the
        damped sums.  A dimension whose sums are all zero keeps its edges.

        Parameters
        ----------
        sums : array_like, shape ``(dims, bins)``
            Per-bin sums of ``(f jac)^2``, e.g. from :meth:`bin_sums`.
        """
        new = np.empty_like(self.edges)
        for d in range(self.dims):
            s = sums[d]
            if not np.any(s > 0):
                new[d] = self.edges[d]
                continue
            sm = np.empty_like(s)
            sm[0] = (7.0 * s[0] + s[1]) / 8.0
            sm[-1] = (s[-2] + 7.0 * s[-1]) / 8.0
            sm[1:-1] = (s[:-2] + 6.0 * s[1:-1] + s[2:]) / 8.0
            sm /= sm.sum()
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                r = np.where(sm > 0, ((1.0 - sm) / np.log(1.0 / sm)) ** self.alpha, 0.0)
            r = np.where(sm >= 1.0, 1.0, r)
            # new edges: each new bin holds an equal share of the cumulative r
            cum = np.concatenate([[0.0], np.cumsum(r)])
            targets = np.linspace(0.0, cum[-1], self.bins + 1)
            new[d] = np.interp(targets, cum, self.edges[d])
            new[d, 0], new[d, -1] = 0.0, 1.0
        self.edges = new


def _vegas_map_forward(xp, grid, u):
    x, jac, _ = grid._map_on(xp, u)
    return x, jac


def _vegas_map_vjp(xp, grid, u, grad_x, grad_jacobian):
    # the Jacobian is piecewise constant in u: its derivative is zero almost everywhere
    u = ab.as_float64(u, "u", xp)
    _, _, bins = grid._map_on(xp, u)
    gu = xp.empty_like(u)
    _k.vegas_map.vjp(u, grid._edges_on(xp), bins, ops.cotangent(grad_x, u.shape, "grad_x", xp), xp.zeros(len(u)), gu)
    return (gu,)


def _vegas_map(xp, grid, u):
    """The VEGAS map of a grid: points of the unit hypercube to x, with the Jacobian.

    Each dimension of [0, 1] is cut into K equal steps; u_d in step k maps linearly into bin
    k of the grid, of width w_k, so dx_d/du_d = K w_k (Lepage, J. Comput. Phys. 27 (1978)
    192, arXiv:2009.05112; T. Heimel, The Flow of LHC Events, PhD thesis, Heidelberg 2024,
    Eq. 2.35), and the Jacobian is the product over dimensions.  Differentiable in u; the
    Jacobian is piecewise constant, so its derivative is zero almost everywhere (torch
    returns it without a gradient).

    Parameters
    ----------
    grid : VegasGrid
        The grid (its edges are read, not changed).
    u : array of float64, shape ``(n, dims)``
        Points of the unit hypercube.

    Returns
    -------
    x : array of float64, shape ``(n, dims)``
        The mapped points.
    jacobian : array of float64, shape ``(n,)``
        prod_d dx_d/du_d.

    Raises
    ------
    ValueError
        If ``u`` is not of shape (n, dims).

    Examples
    --------
    >>> grid = numhep.VegasGrid(1, bins=2, edges=np.array([[0.0, 0.2, 1.0]]))
    >>> x, jac = numhep.vegas_map(grid, np.array([[0.25], [0.75]]))
    >>> x.ravel().round(12).tolist(), jac.tolist()
    ([0.1, 0.6], [0.4, 1.6])
    >>> numhep.vegas_map.vjp(grid, np.array([[0.25], [0.75]]), np.ones((2, 1)), 0.0)[0].ravel().tolist()
    [0.4, 1.6]
    """


vegas_map = ops.Op(_vegas_map_forward, _vegas_map_vjp, signature=_vegas_map, differentiable=("u",), n_outputs=2,
                   constant_outputs=(1,))


@dataclass
class VegasResult:
    """The result of :func:`numhep.vegas_integrate`: the iterations after the warm-up, combined.

    The iterations are combined weighted by their inverse variances,
    ``mean = sum_i m_i / s_i^2 / sum_i 1/s_i^2`` and ``sdev = (sum_i 1/s_i^2)^(-1/2)``, with
    ``chi2/dof = sum_i (m_i - mean)^2 / s_i^2 / (N - 1)`` as the consistency check.

    Parameters
    ----------
    mean : float
        The combined integral (pb for a cross section).
    sdev : float
        Its standard error.
    chi2_dof : float
        chi^2 per degree of freedom of the combined iterations (0 for one).
    iterations : list of tuple of float, optional
        (mean, sdev) of every iteration, warm-up included.
    n_evaluations : int, optional
        Integrand calls, warm-up included.
    n_warmup : int, optional
        The number of warm-up iterations left out of the result.

    Examples
    --------
    >>> result = numhep.VegasResult(1.0, 0.1, 0.5, [(1.2, 0.3), (1.0, 0.1)], 2000, 1)
    >>> print(result)
    1 +- 0.1 (chi2/dof = 0.50, 1 iterations combined after 1 warm-up, 2000 calls)
    """

    mean: float
    sdev: float
    chi2_dof: float
    iterations: list = field(default_factory=list)  # (mean, sdev) of every iteration, warm-up included
    n_evaluations: int = 0  # integrand calls, warm-up included
    n_warmup: int = 0

    def __str__(self):
        warm = f" after {self.n_warmup} warm-up" if self.n_warmup else ""
        return (f"{self.mean:.6g} +- {self.sdev:.2g} (chi2/dof = {self.chi2_dof:.2f}, "
                f"{len(self.iterations) - self.n_warmup} iterations combined{warm}, {self.n_evaluations} calls)")


def allocate_points(share, total: int, minimum: int):
    """Integers, at least ``minimum`` each, summing to exactly ``total`` (when ``total`` is at
    least ``minimum`` times their number): ``minimum`` each, and the rest in proportion to
    ``share`` by largest remainders.  A budget of calls is kept, not exceeded."""
    share = np.asarray(share, dtype=np.float64)
    if not np.all(np.isfinite(share)) or share.sum() <= 0:
        share = np.ones_like(share)
    extra = max(int(total) - minimum * share.size, 0)
    ideal = share / share.sum() * extra
    n = np.floor(ideal).astype(np.int64)
    short = extra - int(n.sum())
    if short > 0:
        # the `short` largest remainders, ties in index order (a stable sort's first `short`),
        # by a partition: linear in the number of cubes, where a sort was a third of an iteration
        rest = n - ideal
        kth = np.partition(rest, short - 1)[short - 1]
        below = np.flatnonzero(rest < kth)
        n[below] += 1
        n[np.flatnonzero(rest == kth)[: short - below.size]] += 1
    return n + minimum


def check_counts(**counts) -> None:
    """Each of ``counts`` (points, batches, replicas: option name -> value) must be a positive
    whole number; the error names the option."""
    for name, value in counts.items():
        whole = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
        if not whole or value < 1:
            raise ValueError(f"{name}: expected a positive whole number, got {value!r}")


def check_iterations(n_iterations: int, n_warmup: int) -> None:
    """At least one iteration after the warm-up: the result combines those."""
    if n_warmup < 0 or n_iterations <= n_warmup:
        raise ValueError(f"n_iterations (--iterations) must exceed n_warmup (--warmup) >= 0: {n_iterations} iterations "
                         f"with {n_warmup} for warm-up leave none to estimate the integral")


def combine_iterations(its):
    if not its:
        return math.nan, math.nan, math.nan
    m = np.array([a for a, _ in its])
    s = np.array([b for _, b in its])
    if np.any(s == 0):
        return float(m[s == 0][0]), 0.0, 0.0
    w = 1.0 / s**2
    mean = float(np.sum(w * m) / np.sum(w))
    sdev = float(1.0 / math.sqrt(np.sum(w)))
    chi2 = float(np.sum(w * (m - mean) ** 2) / (len(its) - 1)) if len(its) > 1 else 0.0
    return mean, sdev, chi2


class _Strata:
    """Hypercubes of u-space and the number of points each receives."""

    def __init__(self, dims: int, n_points: int, beta: float, enabled: bool):
        per_dim = int((n_points / 2) ** (1.0 / dims)) if enabled else 1
        self.per_dim = max(per_dim, 1)
        self.count = self.per_dim**dims
        self.beta = beta
        self.n_points = int(n_points)
        self.alloc = self._spread(np.ones(self.count))

    def _spread(self, share):
        """At least 2 points per hypercube (for its variance), exactly ``n_points`` in all."""
        return allocate_points(share, self.n_points, 2)

    def estimate(self, s1, s2):
        """(I, its error, the sample variance per cube) from the sums of w and w^2 per cube."""
        n = self.alloc.astype(float)
        mean_h = s1 / n
        var_h = np.maximum(s2 / n - mean_h**2, 0.0) * n / (n - 1.0)  # sample variance per cube
        vol = 1.0 / self.count
        mean = float(vol * mean_h.sum())
        sdev = float(math.sqrt(np.sum(vol * vol * var_h / n)))
        return mean, sdev, var_h

    def adapt(self, var_h):
        if self.count > 1 and self.beta > 0 and np.any(var_h > 0):
            sigma = np.sqrt(var_h)
            self.alloc = self._spread(np.maximum(sigma, 1e-30 * sigma.max()) ** self.beta)


def point_batches(total: int, batch_size: int) -> list[tuple[int, int]]:
    """[start, stop) ranges of at most ``batch_size`` of ``total`` points: the tasks of an iteration."""
    if batch_size < 1:
        raise ValueError(f"batch_size: expected a positive number of points, got {batch_size}")
    return [(a, min(a + batch_size, total)) for a in range(0, total, batch_size)]


def _vegas_batch(f, edges, ends, per_dim, entropy, iteration, start, stop):
    """Points [start, stop) of an iteration (in the order of their hypercubes, the points of
    cube h ending at ``ends[h]``), their weights f * jacobian and what they add to the
    per-cube sums and the grid's per-bin sums."""
    count, dims = ends.size, edges.shape[0]
    # the hypercube of each of the batch's points: the cubes that overlap [start, stop),
    # repeated by their points there
    lo, hi = np.searchsorted(ends, [start, stop - 1], side="right") if stop > start else (0, -1)
    alloc = np.diff(ends[lo:hi + 1], prepend=ends[lo - 1] if lo > 0 else 0)
    counts = np.minimum(ends[lo:hi + 1], stop) - np.maximum(ends[lo:hi + 1] - alloc, start)
    n = int(counts.sum())
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])) if counts.size else counts
    rng = task_rng(entropy, _VEGAS_STREAM, iteration, start)
    u = rng.random((n, dims))
    if per_dim > 1:
        _k.stratum_points(counts, starts, np.array([lo], dtype=np.int64), np.array([per_dim], dtype=np.int64), u)
    grid = VegasGrid.from_edges(edges)
    x, jac, bins = grid.map(u)
    fx = np.asarray(f(x), dtype=np.float64).reshape(-1)
    if fx.shape[0] != u.shape[0]:
        raise ValueError(f"integrand returned {fx.shape[0]} values for {u.shape[0]} points")
    if not np.all(np.isfinite(fx)):
        raise ValueError("integrand returned NaN or infinity")
    w = fx * jac
    # per-cube sums over the runs of points; the grid's bins take the points weighted by their
    # inverse sampling density
    s1, s2, fw2 = np.empty(counts.size), np.empty(counts.size), np.empty(n)
    _k.stratum_sums(s1, s2, counts, starts, ends[-1] / (count * alloc), w, fw2)
    return {"first": np.int64(lo if n else 0), "s1": s1, "s2": s2,
            "bin_sums": grid.bin_sums(bins, fw2), "n": np.int64(n)}


_VEGAS_STREAM = 0


def vegas_integrate(
    f,
    grid: VegasGrid,
    n_points: int = 10_000,
    n_iterations: int = 10,
    n_warmup: int = 0,
    seed=None,
    adapt: bool = True,
    stratify: bool = True,
    beta: float = 0.75,
    progress: bool = False,
    checkpoint: str | os.PathLike | None = None,
    client=None,
    batch_size: int = 10_000,
) -> VegasResult:
    """Integrate ``f`` over the unit hypercube with VEGAS adaptive importance sampling.

    VEGAS (Lepage, J. Comput. Phys. 27 (1978) 192; Heimel, PhD thesis, Heidelberg 2024,
    Eqs. 2.32-2.41): each iteration samples the current map of ``grid``, estimates the
    integral and its variance, accumulates ``(f jac)^2`` per bin and refines the grid
    (:meth:`VegasGrid.adapt`).  Stratification (VEGAS+, Lepage, arXiv:2009.05112): u-space
    is also cut into n_s^d hypercubes (``n_s = floor((N/2)^(1/d))``, at least two points
    each); within a hypercube h of volume ``V_h = n_s^-d`` with n_h points the estimate is
    ``I = sum_h V_h <w>_h`` with variance ``sum_h V_h^2 s_h^2 / n_h``, and after every
    iteration the points are redistributed as ``n_h ~ (V_h s_h)^beta``.  Samples enter the
    grid adaptation weighted by their inverse sampling density.  Iterations after the
    warm-up are combined weighted by their inverse variances, with chi^2/dof as the
    consistency check.

    Each iteration is cut into tasks of at most ``batch_size`` points with random streams of
    their own, evaluated here or, given a ``distributed.Client`` as ``client``, on its
    workers, with the same result for the same ``seed`` and ``batch_size``; the sums are
    reduced and the grid adapted here.

    Parameters
    ----------
    f : callable
        ``f(x)`` of points x (n, dims) in the unit hypercube, returning (n,) finite values
        (an :class:`~numhep.integration.Integrand`, say).
    grid : VegasGrid
        The grid to sample and adapt (in place).
    n_points : int, optional
        The target number of integrand calls per iteration (default 10000; the hypercube
        allocation can round it up by a few).
    n_iterations : int, optional
        Iterations in all, warm-up included (default 10).
    n_warmup : int, optional
        Iterations that only adapt and are left out of the result (default 0).
    seed : int, optional
        Seed of the random streams (default None: fresh entropy).
    adapt : bool, optional
        Adapt the grid and the stratification after every iteration (default True).
    stratify : bool, optional
        Stratified sampling in hypercubes of u-space (default True).
    beta : float, optional
        The exponent of the points' redistribution over the hypercubes (default 0.75;
        0 keeps them uniform).
    progress : bool, optional
        Show a progress bar (tqdm); default False.
    checkpoint : str or path-like, optional
        A file that holds the grid and the iterations' results after every iteration; a
        later call with the same path resumes.  The finished tasks of an unfinished
        iteration are kept in ``<checkpoint>.tasks/`` and not evaluated again.
    client : distributed.Client, optional
        Evaluate the tasks on a Dask cluster.
    batch_size : int, optional
        Points per task (default 10000).

    Returns
    -------
    VegasResult
        The combined integral ``mean``, its error ``sdev``, ``chi2_dof``, every iteration's
        (mean, sdev) and the number of integrand calls.

    Raises
    ------
    ValueError
        If ``n_iterations`` does not exceed ``n_warmup``, ``batch_size`` is not positive, or
        ``f`` returns a wrong number of values or NaN or infinity.

    See Also
    --------
    numhep.multichannel_vegas : one grid per channel.
    numhep.integrate : the cross section of a process.

    Examples
    --------
    >>> def f(x):
    ...     return 6.0 * x[:, 0] ** 2 * x[:, 1]          # integral 1 over [0, 1]^2
    >>> result = numhep.vegas_integrate(f, numhep.VegasGrid(2), n_points=2000, n_iterations=5, n_warmup=1, seed=1)
    >>> round(result.mean, 2), result.n_evaluations
    (1.0, 10000)
    >>> bool(result.sdev < 0.001)
    True
    """
    check_iterations(n_iterations, n_warmup)
    runner = runner_for(client)
    entropy = new_entropy(seed)
    strata = _Strata(grid.dims, n_points, beta, stratify)
    its: list = []
    done = 0
    nev = 0
    if checkpoint is not None and Path(checkpoint).exists():
        state = np.load(checkpoint, allow_pickle=False)
        grid.edges = np.ascontiguousarray(state["edges"])
        its = [tuple(r) for r in state["iterations"]]
        done, nev = int(state["done"]), int(state["n_evaluations"])
        if state["alloc"].shape == strata.alloc.shape:
            strata.alloc = state["alloc"]
        entropy = int(str(state["entropy"])) if "entropy" in state else entropy
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_iterations, initial=done, desc="VEGAS", unit="it")
    for it in range(done, n_iterations):
        batches = point_batches(int(strata.alloc.sum()), batch_size)
        store = task_store(checkpoint)
        results = runner.map(_vegas_batch, (f, grid.edges, np.cumsum(strata.alloc)),
                             [(strata.per_dim, entropy, it, a, b) for a, b in batches],
                             [f"vegas-it{it}-{a}" for a, _ in batches], store=store)
        s1, s2 = np.zeros(strata.count), np.zeros(strata.count)
        sums = np.zeros((grid.dims, grid.bins))
        for r in results:  # in task order: the same sums on any number of workers
            first = int(r["first"])
            s1[first:first + r["s1"].size] += r["s1"]
            s2[first:first + r["s2"].size] += r["s2"]
            sums += r["bin_sums"]
            nev += int(r["n"])
        mean, sdev, var_h = strata.estimate(s1, s2)
        its.append((mean, sdev))
        if adapt:
            grid.adapt(sums)
            strata.adapt(var_h)
        if checkpoint is not None:
            save_arrays(checkpoint, edges=grid.edges, iterations=np.array(its), done=it + 1, n_evaluations=nev,
                        alloc=strata.alloc, entropy=str(entropy))
            forget_results(store)
        report_iteration(bar, its, n_warmup)
    if bar is not None:
        bar.close()
    mean, sdev, chi2 = combine_iterations(its[n_warmup:])
    return VegasResult(mean, sdev, chi2, its, nev, n_warmup)


def report_iteration(bar, its, n_warmup: int) -> None:
    """Advance a progress bar by one iteration, showing the running result after the warm-up."""
    if bar is None:
        return
    if len(its) > n_warmup:
        m, s, _ = combine_iterations(its[n_warmup:])
        bar.set_postfix_str(f"{m:.5g} +- {s:.2g}")
    else:
        bar.set_postfix_str("warm-up")
    bar.update(1)

