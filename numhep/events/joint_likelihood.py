"""Training data for likelihood-ratio estimators: unweighted events with their joint
likelihood ratio and joint score ("mining gold", Brehmer, Cranmer, Louppe & Pavez,
arXiv:1805.00013 and arXiv:1805.00020; with differentiable matrix elements, Heinrich &
Kagan, MadJax, arXiv:2203.00057, Sec. 3.1).

    data = numhep.joint_likelihood_data("e+ e- > mu+ mu-", 91.188, parameter="Gf",
                                        thetas=np.linspace(0.9, 1.1, 11) * 1.16639e-5,
                                        n_events=10_000, path="gf.h5")

An event x comes with its latent parton-level state z (the partons' momenta and the
subprocess k).  For a model input theta that the matrix element depends on (not one that
moves an external mass: the momenta of z would leave their mass shell), the joint density is
p(x, z | theta) = p(x | z) L_k |M_k(z; theta)|^2 dPhi / sigma(theta), so with the detector
p(x | z), the parton luminosity L_k and the phase space independent of theta,

    log r(x, z | theta, theta_ref) = log |M_k(z; theta)|^2 - log |M_k(z; theta_ref)|^2
                                     - log sigma(theta) + log sigma(theta_ref),
    t(x, z | theta) = d log p(x, z | theta)/d theta
                    = (d|M_k|^2/d theta) / |M_k|^2 - (d sigma/d theta) / sigma,

the score's |M|^2 derivative from the amplitude's reverse sweep.  Regressing a function of x
on them gives the marginal ratio r(x | theta, theta_ref) = p(x | theta)/p(x | theta_ref) and
score t(x | theta) (the conditional expectations of the joint ones), which
:mod:`numhep.torch.likelihood_ratio` trains.

How the events are made.  One sampler (VEGAS, or multi-channel VEGAS with
``channel="diagrams"``) is adapted at theta_ref, or with ``adapt_to="mixture"`` to the mean of
the weights over the grid: the choice for a parameter that moves a narrow peak by more than
its width (MT with decayed tops), where points drawn for theta_ref seldom reach the other
peaks.  A pilot sample from it gives, for every theta
of the grid, sigma(theta) = <w(theta)> and d sigma/d theta = <dw/d theta> with their errors and
w_max(theta), all from the same points: w(theta) = sum_k W_k(theta_ref) |M_k(theta)|^2 /
|M_k(theta_ref)|^2 reweights the reference weights per subprocess (a channel weight fixed at
theta_ref is as good a partition of unity as any).  The event loop then unweights every batch
of points once per theta (``n_events`` events each, label y = 0) and once at theta_ref
(``n_events`` per theta, label y = 1, the j-th of them evaluated at the j-th theta in turn):
the paired reference sample the estimators' losses compare against.  Each accepted point
picks its subprocess with probability W_k(theta)/w(theta).

File (HDF5): ``momenta`` (n, legs, 4) lab frame, ``subprocess`` (n,), ``theta`` (n,),
``label`` (n,), ``log_r`` (n,), ``score`` (n,); the group ``cross_sections`` holds
``theta``, ``sigma``, ``sigma_error``, ``dsigma``, ``dsigma_error`` (pb, pb per unit of theta)
of the grid.  Batch b draws from its own stream (``SeedSequence(seed, spawn_key=(stage, b))``):
a killed run called again with the same file resumes after its last complete batch and gives
the same file as an uninterrupted one; a call with other settings is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numhep.events.generation import ChannelSampler, FlatSampler
from numhep.integration.integrands import Integrand
from numhep.integration.metrics import max_weight
from numhep.integration.multichannel import multichannel_vegas
from numhep.integration.task_runners import new_entropy, runner_for, task_rng
from numhep.integration.vegas import VegasGrid, check_counts, check_iterations, point_batches, vegas_integrate

__all__ = ["JointLikelihoodData", "joint_likelihood_data", "load_joint_likelihood_data"]

_PILOT_STREAM, _EVENT_STREAM = 4, 5
_COLUMNS = (("momenta", None, "f8"), ("subprocess", (), "i4"), ("theta", (), "f8"), ("label", (), "i1"),
            ("log_r", (), "f8"), ("score", (), "f8"))


@dataclass
class JointLikelihoodData:
    """Events with their joint likelihood ratio against theta_ref and their joint score.

    The training data of likelihood-ratio estimators ("mining gold", Brehmer, Louppe,
    Pavez & Cranmer, arXiv:1805.12244): for an event with parton-level state z (momenta and
    subprocess k), ``log r(x, z | theta, theta_ref) = log |M_k(z; theta)|^2 -
    log |M_k(z; theta_ref)|^2 - log sigma(theta) + log sigma(theta_ref)`` and
    ``t(x, z | theta) = (d|M_k|^2/d theta) / |M_k|^2 - (d sigma/d theta) / sigma``.  Written
    by :func:`numhep.joint_likelihood_data`, read by
    :func:`numhep.load_joint_likelihood_data`; ``sigma`` etc. tabulate the cross section over
    ``thetas``.  ``len(data)`` is the number of events.

    Parameters
    ----------
    momenta : ndarray, shape ``(n, legs, 4)``
        Lab-frame momenta in GeV, energy first.
    subprocess : ndarray of int, shape ``(n,)``
        The subprocess of each event, an index into the process group.
    theta : ndarray, shape ``(n,)``
        The theta of each event's ``log_r`` and ``score``.
    label : ndarray of int, shape ``(n,)``
        0: drawn at theta; 1: drawn at the reference.
    log_r : ndarray, shape ``(n,)``
        The joint log likelihood ratio ``log r(x, z | theta, reference)``.
    score : ndarray, shape ``(n,)``
        The joint score ``t(x, z | theta)``, per unit of theta.
    parameter : str
        The model input theta is (``"Gf"``, ``"MZ"``, ...).
    reference : float
        theta_ref.
    thetas : ndarray, shape ``(T,)``
        The grid of theta values.
    sigma : ndarray, shape ``(T,)``
        sigma(theta) on the grid, pb.
    sigma_error : ndarray, shape ``(T,)``
        Its standard error, pb.
    dsigma : ndarray, shape ``(T,)``
        d sigma/d theta on the grid, pb per unit of theta.
    dsigma_error : ndarray, shape ``(T,)``
        Its standard error.
    process : str, optional
        The process string.
    path : str, optional
        The HDF5 file the data came from.

    Examples
    --------
    >>> from numhep.events.joint_likelihood import JointLikelihoodData
    >>> data = JointLikelihoodData(momenta=np.zeros((2, 4, 4)), subprocess=np.zeros(2, int),
    ...                            theta=np.array([91.0, 91.0]), label=np.array([0, 1]), log_r=np.zeros(2),
    ...                            score=np.zeros(2), parameter="MZ", reference=91.188, thetas=np.array([91.0]),
    ...                            sigma=np.ones(1), sigma_error=np.zeros(1), dsigma=np.zeros(1),
    ...                            dsigma_error=np.zeros(1))
    >>> len(data), data.at(91.0).tolist(), data.at(91.0, label=1).tolist()
    (2, [0], [1])
    """

    momenta: np.ndarray  # (n, legs, 4) lab frame
    subprocess: np.ndarray  # (n,)
    theta: np.ndarray  # (n,) the theta of log_r and score
    label: np.ndarray  # (n,) 0: drawn at theta, 1: drawn at the reference
    log_r: np.ndarray  # (n,) log r(x, z | theta, reference)
    score: np.ndarray  # (n,) t(x, z | theta)
    parameter: str
    reference: float
    thetas: np.ndarray  # the grid
    sigma: np.ndarray  # pb
    sigma_error: np.ndarray
    dsigma: np.ndarray  # pb per unit of theta
    dsigma_error: np.ndarray
    process: str = ""
    path: str = ""

    def __len__(self):
        return self.theta.shape[0]

    def at(self, theta, label=0) -> np.ndarray:
        """Indices of the events of grid value ``theta`` with ``label``.

        Parameters
        ----------
        theta : float
            A value of the grid (compared to relative 1e-12).
        label : int, optional
            0 (default): the events drawn at theta; 1: the reference events evaluated at it.

        Returns
        -------
        ndarray of int
            The indices of those events.
        """
        return np.nonzero(np.isclose(self.theta, theta, rtol=1e-12, atol=0.0) & (self.label == label))[0]


def load_joint_likelihood_data(path) -> JointLikelihoodData:
    """The data set of a file written by :func:`numhep.joint_likelihood_data`.

    The file holds the columns ``momenta`` (n, legs, 4), ``subprocess``, ``theta``,
    ``label``, ``log_r`` and ``score`` (n,), and the group ``cross_sections`` with
    ``theta``, ``sigma``, ``sigma_error``, ``dsigma`` and ``dsigma_error`` over the grid;
    the events of an unfinished file up to its last complete batch are read.

    Parameters
    ----------
    path : str or path-like
        The HDF5 file.

    Returns
    -------
    JointLikelihoodData
        The events, their joint log likelihood ratios and scores, and the cross-section
        table.

    Raises
    ------
    ValueError
        If the file is not a joint-likelihood data file.
    OSError
        If the file cannot be opened.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mz.h5"
    >>> _ = numhep.joint_likelihood_data("e+ e- > mu+ mu-", 91.188, parameter="MZ", thetas=[91.0, 91.4],
    ...                                  n_events=50, path=path, n_points=1000, n_iterations=3, n_warmup=1,
    ...                                  pilot_points=2000, batch_size=1000, progress=False)
    >>> data = numhep.load_joint_likelihood_data(path)
    >>> len(data), data.parameter, data.thetas.tolist()
    (200, 'MZ', [91.0, 91.4])
    """
    import h5py

    with h5py.File(path, "r") as f:
        if "log_r" not in f or "cross_sections" not in f:
            raise ValueError(f"{path}: not a joint-likelihood data file (no log_r or cross_sections)")
        n = int(f.attrs.get("written", f["theta"].shape[0]))
        cols = {name: f[name][:n] for name, _, _ in _COLUMNS}
        xs = {k: f["cross_sections"][k][:] for k in ("theta", "sigma", "sigma_error", "dsigma", "dsigma_error")}
        return JointLikelihoodData(
            **cols, parameter=str(f.attrs["parameter"]), reference=float(f.attrs["reference"]),
            thetas=xs["theta"], sigma=xs["sigma"], sigma_error=xs["sigma_error"], dsigma=xs["dsigma"],
            dsigma_error=xs["dsigma_error"], process=str(f.attrs["process"]), path=str(path))


def _check_parameter(f: Integrand, parameter: str, values) -> None:
    """A model input the matrix element depends on and that leaves every external mass alone."""
    proc = f.group.subprocesses[0].process
    model = proc.model
    if model is None or parameter not in model.inputs:
        known = sorted(model.inputs) if model is not None else []
        raise ValueError(f"parameter: {parameter!r} is not an input of the model of {f.group.text!r}; known: {known}")
    base = proc.leg_masses(f.params or None)
    for v in values:
        moved = proc.leg_masses({**f.params, parameter: float(v)})
        if not np.allclose(moved, base, rtol=0.0, atol=0.0):
            raise ValueError(
                f"parameter: {parameter} = {v} moves the mass of an external leg of {f.group.text!r}; at fixed "
                "momenta the joint density of another mass does not exist. Let the particle decay "
                "(e.g. 'g g > t t~, t > b w+, t~ > b~ w-'), so that the parameter enters through propagators")


def _ratios(f: Integrand, p, parameter, thetas, reference, with_gradient, at_reference=None):
    """Per subprocess k: |M_k(theta)|^2 / |M_k(reference)|^2 (n, K, T), with ``with_gradient``
    (d|M_k|^2/d theta) / |M_k(reference)|^2 too (else None), and |M_k(reference)|^2 (n, K)
    (``at_reference`` when given)."""
    n, K, T = p.shape[0], len(f.group.subprocesses), len(thetas)
    ratio = np.zeros((n, K, T))
    slope = np.zeros((n, K, T)) if with_gradient else None
    refs = np.zeros((n, K)) if at_reference is None else at_reference
    for k, sp in enumerate(f.group.subprocesses):
        if at_reference is None:
            refs[:, k] = sp.me(p, {**f.params, parameter: float(reference)})
        ref = refs[:, k]
        safe = np.where(ref > 0, ref, 1.0)
        for i, theta in enumerate(thetas):
            params = {**f.params, parameter: float(theta)}
            if with_gradient:
                m2, grads = sp.me(p, params, grad=(parameter,))
                slope[:, k, i] = np.where(ref > 0, grads[parameter] / safe, 0.0)
            else:
                m2 = sp.me(p, params)
            ratio[:, k, i] = np.where(ref > 0, m2 / safe, 0.0)
    return ratio, slope, refs


def _reference_points(f: Integrand, draws, rng, n):
    """Points of the sampler evaluated at the reference: (points, subprocess weights W_k
    times the sampler's factor (n, K), kept mask)."""
    x, channel, factor = draws.draw(rng, n)
    pts = f.evaluate(x, channel)
    w = np.asarray(draws.weigh(pts, channel, factor), dtype=np.float64)
    scale = np.divide(w, pts.weight, out=np.zeros_like(w), where=pts.weight != 0)
    return pts, pts.subprocess_weight * scale[:, None], w > 0


class _GridMixture:
    """The integrand's weight averaged over a grid of theta values (what a sampler adapted to
    every theta at once sees), f(u) or f(u, channel)."""

    def __init__(self, f: Integrand, parameter, grid, reference):
        self.f, self.parameter, self.grid, self.reference = f, parameter, np.asarray(grid), float(reference)

    def __call__(self, u, channel=None):
        pts = self.f.evaluate(u, channel)
        kept = pts.weight != 0
        w = np.zeros(pts.weight.shape[0])
        if kept.any():
            ratio = _ratios(self.f, pts.momenta[kept], self.parameter, self.grid, self.reference, False)[0]
            w[kept] = np.einsum("nk,nkt->n", pts.subprocess_weight[kept], ratio) / self.grid.size
        return w


def _pilot_batch(f: Integrand, draws, parameter, grid, reference, entropy, start, stop):
    """Sums over pilot points [start, stop) of w(theta), w(theta)^2, dw/dtheta, (dw/dtheta)^2
    per theta of the grid (the last entry is the reference), and the weights themselves."""
    pts, sub_w, kept = _reference_points(f, draws, task_rng(entropy, _PILOT_STREAM, start), stop - start)
    ratio, slope, _ = _ratios(f, pts.momenta[kept], parameter, grid, reference, True)
    w = np.zeros((stop - start, len(grid)))
    dw = np.zeros_like(w)
    w[kept] = np.einsum("nk,nkt->nt", sub_w[kept], ratio)
    dw[kept] = np.einsum("nk,nkt->nt", sub_w[kept], slope)
    return {"sums": np.stack([w.sum(0), (w * w).sum(0), dw.sum(0), (dw * dw).sum(0)]), "w": w}


def _event_batch(f: Integrand, draws, parameter, grid, reference, w_max, table, entropy, batch, batch_size,
                 ref_offset, active):
    """Events of batch ``batch``: the points unweighted once per theta of the grid still
    ``active`` (label 0; a theta with all its events costs nothing more) and once at the
    reference (label 1, the j-th accepted reference event evaluated at grid value
    (ref_offset + j) mod T, ``ref_offset`` counting those accepted before), each with its
    subprocess, log r and score at its theta."""
    rng = task_rng(entropy, _EVENT_STREAM, batch)
    pts, sub_w, kept = _reference_points(f, draws, rng, batch_size)
    T = len(grid) - 1
    idx = np.nonzero(kept)[0]
    columns_on = np.append(np.nonzero(np.asarray(active[:T]))[0], T)  # the reference is always unweighted
    ratio = np.ones((idx.size, sub_w.shape[1], T + 1))
    m2_ref = np.stack([sp.me(pts.momenta[idx], {**f.params, parameter: float(reference)})
                       for sp in f.group.subprocesses], axis=1)
    if columns_on.size > 1:
        ratio[:, :, columns_on[:-1]] = _ratios(f, pts.momenta[idx], parameter, grid[columns_on[:-1]], reference,
                                               False, m2_ref)[0]
    per_sub = sub_w[idx][:, :, None] * ratio  # (m, K, T + 1) subprocess weights at each theta
    w = per_sub.sum(axis=1)
    accept = np.zeros(w.shape, dtype=bool)
    accept[:, columns_on] = rng.random((idx.size, columns_on.size)) * w_max[None, columns_on] < w[:, columns_on]
    pick = rng.random(w.shape)
    columns = {name: [] for name, _, _ in _COLUMNS}
    sigma, dsigma = table
    for i in range(T + 1):
        rows = np.nonzero(accept[:, i])[0]
        share = per_sub[rows, :, i] / w[rows, i][:, None]
        k = np.minimum((pick[rows, i][:, None] > np.cumsum(share, axis=1)).sum(axis=1), share.shape[1] - 1)
        at = np.full(rows.size, i) if i < T else (ref_offset + np.arange(rows.size)) % T
        p = pts.momenta[idx[rows]]
        ref_rows = m2_ref[rows]
        log_r = np.empty(rows.size)
        score = np.empty(rows.size)
        for sub in np.unique(k):
            for j in np.unique(at[k == sub]):
                sel = np.nonzero((k == sub) & (at == j))[0]
                sp = f.group.subprocesses[sub]
                m2, grads = sp.me(p[sel], {**f.params, parameter: float(grid[j])}, grad=(parameter,))
                log_r[sel] = np.log(m2) - np.log(ref_rows[sel, sub]) - np.log(sigma[j] / sigma[T])
                score[sel] = grads[parameter] / m2 - dsigma[j] / sigma[j]
        columns["momenta"].append(p)
        columns["subprocess"].append(k)
        columns["theta"].append(np.asarray(grid)[at])
        columns["label"].append(np.full(rows.size, 0 if i < T else 1))
        columns["log_r"].append(log_r)
        columns["score"].append(score)
    out = {name: np.concatenate(v) for name, v in columns.items()}
    out["momenta"] = out["momenta"].reshape(-1, *pts.momenta.shape[1:])
    out["theta_index"] = np.concatenate([np.full(a.sum(), i) for i, a in enumerate(accept.T)])
    out["n_trials"] = np.int64(batch_size)
    out["overweight"] = (w > w_max[None, :]).sum(axis=0)
    return out


def joint_likelihood_data(
    process,
    sqrt_s: float | None = None,
    parameter: str = "Gf",
    thetas=None,
    reference: float | None = None,
    n_events: int = 1000,
    *,
    path="joint_likelihood.h5",
    integrand: Integrand | None = None,
    n_points: int = 20_000,
    n_iterations: int = 10,
    n_warmup: int = 3,
    pilot_points: int = 100_000,
    replicas: int = 20,
    batch_size: int = 20_000,
    seed: int = 1,
    progress: bool = True,
    client=None,
    adapt_to: str = "reference",
    **integrand_options,
) -> JointLikelihoodData:
    r"""Unweighted events with their joint likelihood ratios and scores, for likelihood-ratio estimators.

    Writes the events of every ``thetas`` value (``n_events`` each, label 0) and of the
    reference (as many as all of those together, label 1) to ``path`` and returns them
    ("mining gold", Brehmer, Louppe, Pavez & Cranmer, arXiv:1805.12244; Brehmer, Cranmer,
    Louppe & Pavez, arXiv:1805.00013 and arXiv:1805.00020; with differentiable matrix
    elements, Heinrich & Kagan, MadJax, arXiv:2203.00057, Sec. 3.1).  An event x
    comes with its parton-level state z (momenta and subprocess k); for a model input theta
    that ``|M|^2`` depends on and that moves no external mass,
    ``p(x, z | theta) = p(x | z) L_k |M_k(z; theta)|^2 dPhi / sigma(theta)``, so

    .. math::

        \log r(x, z | \theta, \theta_\mathrm{ref}) = \log |M_k(z; \theta)|^2
        - \log |M_k(z; \theta_\mathrm{ref})|^2 - \log \sigma(\theta) + \log \sigma(\theta_\mathrm{ref}),

        t(x, z | \theta) = \frac{\partial_\theta |M_k|^2}{|M_k|^2} - \frac{\partial_\theta \sigma}{\sigma},

    the derivative of ``|M|^2`` from the amplitude's reverse sweep.  Regressing a function of
    x on them gives the marginal ratio and score (:mod:`numhep.torch.likelihood_ratio`).

    One sampler (VEGAS, or multi-channel VEGAS with ``channel="diagrams"``) is adapted at
    theta_ref, or with ``adapt_to="mixture"`` to the mean of the weights over the grid (for a
    parameter that moves a narrow peak by more than its width).  A pilot sample from it
    gives sigma(theta), d sigma/d theta with their errors and w_max(theta) for every theta,
    all from the same points, by reweighting per subprocess:
    ``w(theta) = sum_k W_k(theta_ref) |M_k(theta)|^2 / |M_k(theta_ref)|^2``.  The event loop
    unweights every batch once per theta and once at theta_ref (the j-th reference event
    evaluated at the j-th theta in turn).  Batch b draws from its own stream: a killed run
    called again with the same file resumes after its last complete batch and gives the
    same file as an uninterrupted one; a call with other settings is refused, and a
    finished file of the same settings is read, not written again.

    Parameters
    ----------
    process : str, Process or ProcessGroup
        The process, as :func:`numhep.integrand` takes it (ignored with ``integrand``).
    sqrt_s : float, optional
        The collider energy in GeV (not needed with ``integrand``).
    parameter : str, optional
        The model input theta (default ``"Gf"``); it must not move an external mass (let
        such a particle decay, so that the parameter enters through propagators).
    thetas : array_like, optional
        A 1-d grid of theta values (default: the reference +- 10 % in 11 steps).
    reference : float, optional
        theta_ref (default: the model's value of ``parameter``).
    n_events : int, optional
        Events per theta of the grid (default 1000); the reference gets ``n_events`` times
        the grid's size.
    path : str or path-like, optional
        The HDF5 file (default ``"joint_likelihood.h5"``).
    integrand : Integrand, optional
        An integrand already made, instead of ``process``, ``sqrt_s`` and the options.
    n_points : int, optional
        VEGAS's integrand calls per iteration (default 20000).
    n_iterations : int, optional
        VEGAS iterations, warm-up included (default 10).
    n_warmup : int, optional
        VEGAS warm-up iterations (default 3).
    pilot_points : int, optional
        The size of the pilot sample (default 100000).
    replicas : int, optional
        The number of pilot sub-samples whose maxima's median is w_max (default 20).
    batch_size : int, optional
        Points per batch (default 20000).
    seed : int, optional
        Seed of the random streams (default 1).
    progress : bool, optional
        Show progress bars (tqdm); default True.
    client : distributed.Client, optional
        Run VEGAS and the pilot sample on a Dask cluster.
    adapt_to : {"reference", "mixture"}, optional
        What the sampler adapts to (default ``"reference"``).
    **integrand_options
        Options of :func:`numhep.integrand` (``pdf``, ``cuts``, ``channel``, ...).

    Returns
    -------
    JointLikelihoodData
        The events with ``theta``, ``label``, ``log_r`` and ``score``, and the cross section
        and its derivative over the grid.

    Raises
    ------
    ValueError
        If a count is not a positive whole number, ``n_iterations`` does not exceed
        ``n_warmup``, ``adapt_to`` is unknown, the integrand samples a single diagram
        channel, ``parameter`` is not a model input or moves an external mass, ``thetas``
        is not a 1-d grid of finite values, no pilot point passes the cuts, or ``path`` holds
        a data set of other settings.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> data = numhep.joint_likelihood_data("e+ e- > mu+ mu-", 91.188, parameter="MZ", thetas=[91.0, 91.4],
    ...                                     n_events=50, path=d / "mz.h5", n_points=1000, n_iterations=3,
    ...                                     n_warmup=1, pilot_points=2000, batch_size=1000, progress=False)
    >>> len(data), int(data.label.sum()), data.momenta.shape[1:]
    (200, 100, (4, 4))
    >>> data.sigma.shape, bool(np.all(np.isfinite(data.log_r)))
    ((2,), True)
    """
    import h5py

    check_counts(n_events=n_events, n_points=n_points, pilot_points=pilot_points, replicas=replicas,
                 batch_size=batch_size)
    check_iterations(n_iterations, n_warmup)
    if adapt_to not in ("reference", "mixture"):
        raise ValueError(f"adapt_to: expected 'reference' or 'mixture', got {adapt_to!r}")
    f = integrand or Integrand(process, sqrt_s, **integrand_options)
    if f.channel is not None and f.channel != "diagrams":
        raise ValueError("joint_likelihood_data: use channel='diagrams' or None (one channel covers only its part)")
    model = f.group.subprocesses[0].process.model
    if reference is None:
        if model is None or parameter not in model.inputs:
            _check_parameter(f, parameter, [])
        reference = float(model.parameters(f.params or None)[parameter])
    grid = np.asarray(np.linspace(0.9, 1.1, 11) * reference if thetas is None else thetas, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 1 or not np.all(np.isfinite(grid)):
        raise ValueError(f"thetas: expected a 1-d grid of finite values, got {grid!r}")
    _check_parameter(f, parameter, [*grid, reference])
    full = np.append(grid, reference)  # the grid, then the reference
    T = grid.size
    targets = np.append(np.full(T, n_events), n_events * T)
    entropy = new_entropy(seed)
    runner = runner_for(client)
    run = {"integrand": f.fingerprint(), "parameter": parameter, "thetas": grid.tolist(), "reference": reference,
           "n_events": n_events, "n_points": n_points, "n_iterations": n_iterations, "n_warmup": n_warmup,
           "pilot_points": pilot_points, "replicas": replicas, "batch_size": batch_size, "seed": entropy,
           "adapt_to": adapt_to}
    path = Path(path)
    resuming = path.exists() and _is_partial(path, run)
    if resuming:
        with h5py.File(path, "r") as h:
            state = h["state"]
            draws = (FlatSampler if f.channels is None else ChannelSampler).from_arrays(
                f, {k: state[k][()] for k in state})
            xs = h["cross_sections"]
            sigma, dsigma = xs["sigma"][:], xs["dsigma"][:]
            ref_sigma, ref_dsigma = float(h.attrs["reference_sigma"]), float(h.attrs["reference_dsigma"])
            w_max = h["state_w_max"][:]
            counts = np.asarray(h.attrs["counts"], dtype=np.int64)
            next_batch = int(h.attrs["next_batch"])
            written = int(h.attrs["written"])
        with h5py.File(path, "a") as h:  # drop a batch written only in part
            for name, _, _ in _COLUMNS:
                h[name].resize(written, axis=0)
    else:
        if path.exists() and _is_joint_file(path):
            with h5py.File(path, "r") as h:
                if h.attrs.get("complete", False) and json.loads(h.attrs["run"]) == run:
                    return load_joint_likelihood_data(path)
            raise ValueError(f"path: {path} holds a joint-likelihood data set of other settings; remove it or "
                             "choose another file")
        opts = dict(n_points=n_points, n_iterations=n_iterations, n_warmup=n_warmup, seed=entropy, progress=progress,
                    client=runner, batch_size=batch_size)
        target = f if adapt_to == "reference" else _GridMixture(f, parameter, full, reference)
        if f.channels is None:
            vegas_grid = VegasGrid(f.dim)
            vegas_integrate(target, vegas_grid, **opts)
            draws = FlatSampler(vegas_grid)
        else:
            reps = f.representatives
            draws = ChannelSampler.from_result(f, multichannel_vegas(
                target, len(f.channels), f.dim, channels=reps, multiplicity=[f.multiplicity[c] for c in reps], **opts))
        pilot = point_batches(pilot_points, batch_size)
        parts = list(runner.map(_pilot_batch, (f, draws, parameter, full, reference),
                                [(entropy, a, b) for a, b in pilot], [f"joint-pilot-{a}" for a, _ in pilot]))
        sums = np.sum([r["sums"] for r in parts], axis=0)
        weights = np.concatenate([r["w"] for r in parts])
        if not np.any(weights[:, -1] > 0):
            raise ValueError(f"{f.group.text!r}: no pilot point passed the cuts; loosen them")
        m = float(weights.shape[0])
        mean, mean_d = sums[0] / m, sums[2] / m
        err = np.sqrt(np.maximum(sums[1] / m - mean**2, 0.0) / (m - 1))
        err_d = np.sqrt(np.maximum(sums[3] / m - mean_d**2, 0.0) / (m - 1))
        w_max = np.array([max_weight(weights[:, i], replicas) for i in range(T + 1)])
        sigma, dsigma = mean[:T], mean_d[:T]
        ref_sigma, ref_dsigma = float(mean[T]), float(mean_d[T])
        counts = np.zeros(T + 1, dtype=np.int64)
        next_batch = written = 0
        with h5py.File(path, "w") as h:
            for name, shape, dtype in _COLUMNS:
                shape = (len(f.masses), 4) if shape is None else shape
                h.create_dataset(name, shape=(0, *shape), maxshape=(None, *shape), dtype=dtype,
                                 chunks=(1024, *shape))
            xs = h.create_group("cross_sections")
            for key, val in (("theta", grid), ("sigma", sigma), ("sigma_error", err[:T]), ("dsigma", dsigma),
                             ("dsigma_error", err_d[:T])):
                xs.create_dataset(key, data=val)
            state = h.create_group("state")
            for key, val in draws.arrays().items():
                state.create_dataset(key, data=val)
            h.create_dataset("state_w_max", data=w_max)
            h.attrs.update(process=f.group.text, sqrt_s=f.sqrt_s, parameter=parameter, reference=reference,
                           reference_sigma=ref_sigma, reference_dsigma=ref_dsigma, reference_sigma_error=float(err[T]),
                           subprocesses=[s.name for s in f.group.subprocesses], run=json.dumps(run),
                           next_batch=0, written=0, counts=counts, complete=False)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=int(targets.sum()), initial=int(counts.sum()), desc="events", unit="ev")
    table = (np.append(sigma, ref_sigma), np.append(dsigma, ref_dsigma))
    batch = next_batch
    try:
        while np.any(counts < targets):
            ev = _event_batch(f, draws, parameter, full, reference, w_max, table, entropy, batch, batch_size,
                              int(counts[T]), counts < targets)
            take = np.zeros(ev["theta_index"].size, dtype=bool)
            for i in range(T + 1):
                rows = np.nonzero(ev["theta_index"] == i)[0][: max(int(targets[i] - counts[i]), 0)]
                take[rows] = True
                counts[i] += rows.size
            with h5py.File(path, "a") as h:
                n0 = h["theta"].shape[0]
                for name, _, _ in _COLUMNS:
                    h[name].resize(n0 + int(take.sum()), axis=0)
                    h[name][n0:] = ev[name][take]
                written = n0 + int(take.sum())
                h.attrs.update(next_batch=batch + 1, written=written, counts=counts)
                h.flush()
            batch += 1
            if bar is not None:
                bar.update(int(take.sum()))
        with h5py.File(path, "a") as h:
            h.attrs["complete"] = True
            del h["state"], h["state_w_max"]
    finally:
        if bar is not None:
            bar.close()
    return load_joint_likelihood_data(path)


def _is_joint_file(path: Path) -> bool:
    import h5py

    try:
        with h5py.File(path, "r") as h:
            return "log_r" in h and "run" in h.attrs
    except OSError:
        return False


def _is_partial(path: Path, run: dict) -> bool:
    """Whether ``path`` is an unfinished data set of this run (refusing one of another run)."""
    import h5py

    if not _is_joint_file(path):
        return False
    with h5py.File(path, "r") as h:
        if h.attrs.get("complete", False):
            return False
        saved = json.loads(h.attrs["run"])
    if saved != run:
        differ = sorted(k for k in set(saved) | set(run) if saved.get(k) != run.get(k))
        raise ValueError(f"path: {path} is an unfinished data set of other settings ({', '.join(differ)}); "
                         "rerun with the same settings to resume it, or remove it")
    return True
