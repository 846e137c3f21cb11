"""Unweighted events: VEGAS-adapted sampling, hit-or-miss unweighting, resumable output.

    result = numhep.generate("p p > t t~", 13000.0, n_events=10_000, lhe="tt.lhe", hdf5="tt.h5")

1. VEGAS adapts a grid to the integrand and gives sigma (Heimel, PhD thesis, Heidelberg 2024, Eqs. 2.32-2.41).
2. A pilot sample from the frozen grid fixes w_max robustly as the median of the maxima
   of ``replicas`` sub-samples (Heimel, PhD thesis, Heidelberg 2024, Sec. 2.2.5): a single outlier does not set it.
3. Points are drawn from the frozen grid, w = f(x) * jacobian, and accepted with
   probability min(1, w/w_max) (Eqs. 2.64-2.66).  Overweight events (w > w_max) are kept
   with the weight ratio: an accepted event carries max(w, w_max) * eps_pilot with
   eps_pilot = <min(1, w/w_max)> over the pilot, so the mean event weight estimates sigma.
   The unweighting efficiency <w>/w_max (Eq. 2.67) is reported.
4. Each accepted event picks its subprocess with probability w_k/w and a leading-colour flow
   with probability |A_f|^2 / sum_g |A_g|^2, its squared partial amplitude at the event
   (:mod:`numhep.amplitudes.colour_flow`), and goes to the LHE and HDF5 files batch by batch.

With diagram channels (``channel="diagrams"``), step 1 is :func:`numhep.multichannel_vegas`
(a grid per channel group) and every point first draws its channel: a group r with
probability P_r proportional to its share m_r I_r of sigma (2 % spread uniformly so that no
group is ever left out), then one of the group's m_r channels uniformly, and the point
from r's grid.  The point weights alpha_c f / g_c / P_c with P_c = P_r / m_r; their mean is
sum_c I_c = sigma, and with P_r proportional to the group's cross section the weights of
all channels scatter about the same value, which is what keeps w_max, and the
unweighting efficiency, from being set by the weakest channel.  Drawing the channel
itself rather than only its group's representative keeps identical particles
symmetric in the events.  The HDF5 file records the channel of each event.

Batches: the pilot sample and the event loop are cut into batches of ``batch_size`` points,
and batch i draws from its own random stream (``SeedSequence(seed, spawn_key=(stage, i))``,
:mod:`numhep.integration.task_runners`): the events are a function of the seed and the batch
size only, the same in one process and on a Dask cluster (``client=``) of any size.

Resuming: a state file ``<lhe>.state.npz`` holds the grid(s), w_max, the number of events
written and the index of the next batch.  After a kill, calling ``generate`` again
with the same files reopens them after their last complete event, regenerates the
interrupted batch and skips the events already written: nothing
written is lost and nothing is duplicated.  The state also holds a fingerprint of the run
(process, energy, cuts, PDF, scales, seed, number of events, files, sampler and its
settings): a call that differs in any of them is refused with an error naming what differs.
When the files hold fewer events than the state (one was cut short), the event loop starts
again from its first batch and skips what the files hold; the LHE and HDF5 files are
cut back to the events both of them hold.  A killed VEGAS stage resumes from
``<lhe>.vegas-<fingerprint>.npz``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from numhep.declarations.standard_model import INPUTS
from numhep.events.external_samplers import point_sampler
from numhep.events.files import HDF5Writer, LHEWriter, count_lhe_events
from numhep.integration.integrands import Integrand
from numhep.integration.metrics import max_weight
from numhep.integration.task_runners import forget_results, new_entropy, runner_for, task_rng
from numhep.integration.vegas import VegasGrid, check_counts, check_iterations, point_batches, vegas_integrate
from numhep.registry import UnknownNameError, sampler_registry
from numhep.storage import save_arrays

__all__ = ["ChannelSampler", "FlatSampler", "GenerationResult", "generate", "unweight"]


def unweight(weights, w_max: float, rng):
    """Accepted mask (hit-or-miss with probability min(1, w/w_max)) and max(w, w_max)."""
    w = np.asarray(weights, dtype=np.float64)
    accept = rng.random(w.shape[0]) * w_max < w
    return accept, np.maximum(w, w_max)


@dataclass
class GenerationResult:
    """What :func:`numhep.generate` reports: the cross section, the events and the cost.

    Parameters
    ----------
    sigma : float
        The cross section in pb (VEGAS's combined estimate, or the pilot sample's mean
        weight with an external sampler).
    error : float
        Its standard error in pb.
    chi2_dof : float
        chi^2 per degree of freedom of VEGAS's iterations (0 with an external sampler).
    n_events : int
        The number of unweighted events written.
    w_max : float
        The maximum weight the events were unweighted against (pb): the median of the
        maxima of ``replicas`` sub-samples of the pilot sample.
    efficiency : float
        The unweighting efficiency ``<w> / w_max`` over the trials.
    overweight_fraction : float
        The fraction of trials with w > w_max (kept with weight max(w, w_max)).
    n_trials : int
        The points drawn in the event loop.
    integrand_calls : int, optional
        Every integrand call of the run: VEGAS or training, the pilot sample and the trials.
    subprocess_sigma : dict of str to float, optional
        Each subprocess's cross section in pb, from the trials.
    channel_sigma : dict of str to float, optional
        With diagram channels: each channel group's cross section in pb (VEGAS), by the
        group's propagators.
    files : dict of str to str, optional
        The event files: ``{"lhe": path, "hdf5": path}`` (``hdf5`` when written).

    Examples
    --------
    >>> from numhep.events import GenerationResult
    >>> result = GenerationResult(sigma=2099.5, error=0.6, chi2_dof=0.8, n_events=200, w_max=2403.0,
    ...                           efficiency=0.87, overweight_fraction=0.002, n_trials=2000)
    >>> result.n_events / result.n_trials
    0.1
    """

    sigma: float
    error: float
    chi2_dof: float
    n_events: int
    w_max: float
    efficiency: float  # <w>/w_max
    overweight_fraction: float
    n_trials: int
    integrand_calls: int = 0  # VEGAS or training, the pilot sample and the trials: what the run cost
    subprocess_sigma: dict = field(default_factory=dict)  # name -> pb
    channel_sigma: dict = field(default_factory=dict)  # diagram channel group -> pb (VEGAS)
    files: dict = field(default_factory=dict)


class _PointSource:
    """What the event loop asks of a source of points: ``draw(rng, n) -> (x, channel or None,
    factor)`` and ``weigh(points, channel, factor)``, the weights of the evaluated points
    (here f's weight times the factor; a sampler with its own channel weights overrides it)."""

    own_calls = 0  # integrand calls the source makes itself per point

    def weigh(self, pts, channel, factor):
        return pts.weight * factor


class FlatSampler(_PointSource):
    """Points of one VEGAS grid over the integrand's flat map (channel -1)."""

    def __init__(self, grid: VegasGrid):
        self.grid = grid

    def draw(self, rng, n):
        """(x, channel or None, jacobian over the channel's selection probability)."""
        x, jac, _ = self.grid.map(rng.random((n, self.grid.dims)))
        return x, None, jac

    def arrays(self) -> dict:
        return {"edges": self.grid.edges}

    @classmethod
    def from_arrays(cls, f: Integrand, st) -> "FlatSampler":
        return cls(VegasGrid.from_edges(st["edges"]))


class _ExternalSampler(_PointSource):
    """Points from another sampler, ``draw(rng, n) -> (u, density)``
    (:mod:`numhep.events.external_samplers`): the weight of a point is f(u) / g(u)."""

    def __init__(self, f: Integrand, sampler):
        if f.channels is not None:
            raise ValueError("sampler: an external sampler draws points of the flat integrand (channel=None)")
        self._draw = point_sampler(sampler)
        self.dim = f.dim
        self.own_calls = getattr(self._draw, "own_calls", 0)

    def draw(self, rng, n):
        u, density = self._draw(rng, n)
        u = np.ascontiguousarray(u, dtype=np.float64)
        density = np.asarray(density, dtype=np.float64).reshape(-1)
        if u.ndim != 2 or u.shape[1] != self.dim or density.shape[0] != u.shape[0]:
            raise ValueError(f"sampler: expected points (n, {self.dim}) and their densities (n,), got "
                             f"{u.shape} and {density.shape}")
        return u, None, np.where(density > 0, 1.0 / np.where(density > 0, density, 1.0), 0.0)

    def arrays(self) -> dict:
        return {}


class ChannelSampler(_PointSource):
    """Points of the diagram channels: group r with probability P_r, one of its channels
    uniformly, the point from r's grid (see the module docstring)."""

    #: the share of the selection probability spread uniformly over the groups
    UNIFORM_SHARE = 0.02

    def __init__(self, f: Integrand, grids, probabilities):
        self.grids = list(grids)
        self.probabilities = np.asarray(probabilities, dtype=np.float64)
        self.members = [np.array([c for c, ch in enumerate(f.channels) if ch.representative == r])
                        for r in f.representatives]
        self.dim = f.dim

    @classmethod
    def from_result(cls, f: Integrand, res) -> "ChannelSampler":
        share = np.maximum([m for m, _ in res.channels], 0.0)
        k = share.size
        prob = np.full(k, 1.0 / k) if share.sum() <= 0 else share / share.sum()
        prob = (1.0 - cls.UNIFORM_SHARE) * prob + cls.UNIFORM_SHARE / k
        return cls(f, res.grids, prob)

    def draw(self, rng, n):
        group = rng.choice(self.probabilities.size, size=n, p=self.probabilities)
        u = rng.random((n, self.dim))
        pick = rng.random(n)
        x, factor = np.empty_like(u), np.empty(n)
        channel = np.empty(n, dtype=np.int64)
        for r in range(self.probabilities.size):
            sel = np.nonzero(group == r)[0]
            if sel.size == 0:
                continue
            x[sel], jac, _ = self.grids[r].map(u[sel])
            m = self.members[r].size
            channel[sel] = self.members[r][np.minimum((pick[sel] * m).astype(np.int64), m - 1)]
            factor[sel] = jac * m / self.probabilities[r]
        return x, channel, factor

    def arrays(self) -> dict:
        return {"edges": np.array([g.edges for g in self.grids]), "probabilities": self.probabilities}

    @classmethod
    def from_arrays(cls, f: Integrand, st) -> "ChannelSampler":
        return cls(f, [VegasGrid.from_edges(e) for e in st["edges"]], st["probabilities"])


def _point_source(f: Integrand, sampler):
    """A trained sampler that is a point source itself (numhep's MadNIS), or one of another
    package wrapped as one."""
    if hasattr(sampler, "draw") and hasattr(sampler, "weigh"):
        return sampler
    return _ExternalSampler(f, sampler)


def _state_path(lhe) -> Path:
    return Path(f"{lhe}.state.npz")


def generate(
    process,
    sqrt_s: float | None = None,
    n_events: int = 1000,
    *,
    lhe="events.lhe",
    hdf5=None,
    integrand: Integrand | None = None,
    n_points: int = 20_000,
    n_iterations: int = 10,
    n_warmup: int = 3,
    pilot_points: int = 100_000,
    replicas: int = 20,
    batch_size: int = 20_000,
    seed: int = 1,
    progress: bool = True,
    sampler=None,
    client=None,
    **integrand_options,
) -> GenerationResult:
    """Integrate ``process`` and write ``n_events`` unweighted events to LHE (and HDF5) files.

    1. VEGAS adapts a grid to the integrand and gives sigma (Lepage, J. Comput. Phys. 27
       (1978) 192; Heimel, PhD thesis, Heidelberg 2024, Eqs. 2.32-2.41).  With
       ``channel="diagrams"`` (an integrand option) it is multi-channel VEGAS, a grid per
       channel group (Kleiss & Pittau, arXiv:hep-ph/9405257), and every point first draws
       its channel: a group r with probability P_r proportional to its share of sigma (2 %
       spread uniformly), then one of the group's channels uniformly.
    2. A pilot sample from the frozen grid fixes w_max as the median of the maxima of
       ``replicas`` sub-samples (Sec. 2.2.5): a single outlier does not set it.
    3. Points are drawn from the frozen grid, ``w = f(x) * jacobian``, and accepted with
       probability ``min(1, w/w_max)`` (Eqs. 2.64-2.66).  Overweight events are kept with
       the weight ratio: an accepted event carries ``max(w, w_max) * eps_pilot`` with
       ``eps_pilot = <min(1, w/w_max)>`` over the pilot, so the mean event weight estimates
       sigma.
    4. Each accepted event picks its subprocess with probability ``w_k/w`` and a
       leading-colour flow with probability proportional to its squared partial amplitude,
       and goes to the files batch by batch.

    ``sampler`` draws the points instead of numhep's VEGAS: a trained madnis
    ``Integrator``, a ``vegas.Integrator``, a function ``(rng, n) -> (u, density)``, or a
    name from the ``numhep.samplers`` entry points: ``"madnis"`` is numhep's MadNIS
    (:class:`numhep.torch.NeuralIntegrator`, flat or on the diagram channels with learned
    channel weights) trained here with the calls VEGAS would use and saved beside the
    events (``<lhe>.madnis.pt``, a killed training resumes from it).  sigma is then the mean
    weight of the pilot sample, and a resume needs the same sampler again.

    Batches: the pilot sample and the event loop are cut into batches of ``batch_size``
    points, each with its own random stream: the events are a function of the seed and the
    batch size only, the same in one process and on a Dask cluster (``client``) of any size;
    there each finished batch is left by its worker in ``<lhe>.parts-<run>/`` and merged
    here in batch order, a killed worker's batch is run again elsewhere.

    Resuming: a state file ``<lhe>.state.npz`` holds the grid(s), w_max, the number of
    events written and the next batch.  Calling ``generate`` again after a kill with the
    same files reopens them after their last complete event and continues: nothing written
    is lost and nothing is duplicated.  A call whose settings differ (process, energy, cuts,
    PDF, scales, seed, number of events, files, sampler) is refused.  A killed VEGAS stage
    resumes from ``<lhe>.vegas-<fingerprint>.npz``.

    Parameters
    ----------
    process : str, Process or ProcessGroup
        The process, as :func:`numhep.integrand` takes it (ignored with ``integrand``).
    sqrt_s : float, optional
        The collider energy in GeV (not needed with ``integrand``).
    n_events : int, optional
        The number of unweighted events to write (default 1000).
    lhe : str or path-like, optional
        The Les Houches event file (default ``"events.lhe"``); also names the state file.
    hdf5 : str or path-like, optional
        An HDF5 event file to write too, with the momenta, weights, raw weights, subprocess,
        channel, PDG codes, u and x of every event (default None: none).
    integrand : Integrand, optional
        An integrand already made, instead of ``process``, ``sqrt_s`` and the options.
    n_points : int, optional
        VEGAS's integrand calls per iteration (default 20000).
    n_iterations : int, optional
        VEGAS iterations, warm-up included (default 10).
    n_warmup : int, optional
        VEGAS iterations left out of sigma (default 3).
    pilot_points : int, optional
        The size of the pilot sample that fixes w_max (default 100000).
    replicas : int, optional
        The number of pilot sub-samples whose maxima's median is w_max (default 20).
    batch_size : int, optional
        Points per batch of the pilot sample and the event loop, and per VEGAS task
        (default 20000); the events depend on it (with the seed).
    seed : int, optional
        Seed of the random streams (default 1).
    progress : bool, optional
        Show progress bars (tqdm); default True.
    sampler : object or str, optional
        A sampler that draws the points instead of numhep's VEGAS (see above); the
        integrand must then be flat (``channel=None``) unless the sampler handles channels.
    client : distributed.Client, optional
        Run VEGAS, the pilot sample and the event batches on a Dask cluster.
    **integrand_options
        Options of :func:`numhep.integrand` (``pdf``, ``cuts``, ``scale``, ``channel``, ...).

    Returns
    -------
    GenerationResult
        sigma and its error (pb), chi^2/dof, the events written, w_max, the unweighting
        efficiency, the overweight fraction, the trials, the integrand calls of the whole run
        (VEGAS or training included, so that samplers compare on the same work), the
        subprocess and channel cross sections and the files.

    Raises
    ------
    ValueError
        If a count is not a positive whole number, ``n_iterations`` does not exceed
        ``n_warmup`` (with VEGAS), the integrand samples a single diagram channel, no pilot
        point passes the cuts, ``sampler`` names no registered sampler, or the state file
        belongs to a run with other settings.

    See Also
    --------
    numhep.integrate : the cross section alone.
    numhep.joint_likelihood_data : events with joint likelihood ratios and scores.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> result = numhep.generate("e+ e- > mu+ mu-", 91.188, n_events=200, lhe=d / "ee.lhe", n_points=2000,
    ...                          n_iterations=4, n_warmup=1, pilot_points=2000, batch_size=2000, progress=False)
    >>> result.n_events, f"{result.sigma:.4g} pb", sorted(p.name for p in d.iterdir())
    (200, '2100 pb', ['ee.lhe'])
    >>> bool(0.5 < result.efficiency <= 1.0)
    True
    """
    check_counts(n_events=n_events, n_points=n_points, pilot_points=pilot_points, replicas=replicas,
                 batch_size=batch_size)
    if sampler is None:  # VEGAS adapts: it needs an iteration after the warm-up
        check_iterations(n_iterations, n_warmup)
    f = integrand or Integrand(process, sqrt_s, **integrand_options)
    if f.channel is not None and f.channel != "diagrams":
        raise ValueError("generate: a single diagram channel covers only its part of the cross section; "
                         "use channel='diagrams' or None")
    runner = runner_for(client)
    entropy = new_entropy(seed)
    state_path = _state_path(lhe)
    resuming = state_path.exists() and Path(lhe).exists()
    channel_sigma = {}
    run = _run_fingerprint(f, n_events=n_events, hdf5=hdf5, n_points=n_points, n_iterations=n_iterations,
                           n_warmup=n_warmup, pilot_points=pilot_points, replicas=replicas, batch_size=batch_size,
                           seed=seed, sampler=sampler)
    if not resuming:
        _keep_finished_files(lhe, hdf5, run)
    setup_calls = 0
    if isinstance(sampler, str):
        try:
            trainer = sampler_registry.get(sampler)
        except UnknownNameError as exc:
            raise ValueError(f"sampler: {exc}") from None
        # trained with the calls VEGAS would have used, and kept beside the events for a resume
        sampler, setup_calls = trainer(f, f"{lhe}.{sampler}.pt", calls=n_points * n_iterations, seed=seed,
                                       progress=progress)
    if resuming:
        st = np.load(state_path, allow_pickle=False)
        _refuse_a_different_run(lhe, json.loads(str(st["run"])) if "run" in st else {}, run)
        if sampler is not None:
            draws = _point_source(f, sampler)
        else:
            draws = (FlatSampler if f.channels is None else ChannelSampler).from_arrays(f, st)
        sigma, error, chi2 = (float(v) for v in st["integral"])
        w_max, eps_pilot = float(st["w_max"]), float(st["eps_pilot"])
        written, next_batch = int(st["written"]), int(st["next_batch"])
        setup_calls = int(st["setup_calls"])
        sub_sums = st["sub_sums"].copy()
        total, overweight = (float(v) for v in st["totals"])
        n_trials = int(st["n_trials"])
        channel_sigma = dict(zip(st["channel_names"].tolist(), st["channel_sigma"].tolist()))
        # the files may hold part of the interrupted batch; keep what both of them hold
        in_file = count_lhe_events(lhe)
        h5_lost = False
        if hdf5 is not None:
            try:
                in_file = min(in_file, HDF5Writer.count(hdf5))
            except (OSError, KeyError) as exc:  # killed inside an HDF5 write, or removed
                warnings.warn(f"{hdf5}: cannot be read ({type(exc).__name__}: {exc}); it is written again from the "
                              "first event, and the LHE file with it", RuntimeWarning, stacklevel=2)
                Path(hdf5).unlink(missing_ok=True)
                in_file, h5_lost = 0, True
        if in_file < written:
            # events of earlier batches are missing (a file cut short): every batch is a pure
            # function of its index, so the event loop starts again and skips what the files hold
            written, next_batch, n_trials, total, overweight = 0, 0, 0, 0.0, 0.0
            sub_sums[:] = 0.0
        writer = LHEWriter.reopen(lhe, in_file)
        h5 = None
        if hdf5 is not None:
            h5 = _hdf5_writer(hdf5, f, sigma, error) if h5_lost else HDF5Writer.reopen(hdf5, in_file)
        skip = in_file - written
    else:
        opts = dict(n_points=n_points, n_iterations=n_iterations, n_warmup=n_warmup, seed=entropy,
                    progress=progress, checkpoint=_vegas_checkpoint(lhe, run), client=runner, batch_size=batch_size)
        if sampler is not None:
            draws = _point_source(f, sampler)
        elif f.channels is None:
            grid = VegasGrid(f.dim)
            res = vegas_integrate(f, grid, **opts)
            draws = FlatSampler(grid)
        else:
            res = f.multichannel_vegas(**opts)
            draws = ChannelSampler.from_result(f, res)
            channel_sigma = {f.group_label(r): m for r, (m, _) in zip(f.representatives, res.channels)}
        if sampler is None:
            setup_calls = res.n_evaluations
        pilot = point_batches(pilot_points, batch_size)
        w = np.concatenate([r["w"] for r in runner.map(_pilot_batch, (f, draws), [(entropy, a, b) for a, b in pilot],
                                                       [f"pilot-{a}" for a, _ in pilot])])
        setup_calls += w.shape[0] * (1 + getattr(draws, "own_calls", 0))
        if not np.any(w > 0):
            raise ValueError(f"{f.group.text!r}: no pilot point passed the cuts; loosen them")
        if sampler is not None:  # the pilot sample is the integral's estimate
            sigma, error, chi2 = float(w.mean()), float(w.std(ddof=1) / np.sqrt(w.size)), 0.0
        else:
            sigma, error, chi2 = res.mean, res.sdev, res.chi2_dof
        w_max = max_weight(w, replicas)
        eps_pilot = float(np.minimum(1.0, w / w_max).mean())
        beams, energies, pdf_id = _beams(f)
        writer = LHEWriter(lhe, beams=beams, energies=energies, pdf_id=pdf_id, sigma=sigma, error=error,
                           max_weight=w_max * eps_pilot,
                           header=f"numhep {f.group.text} at sqrt(s) = {f.sqrt_s} GeV\nsigma = {sigma} +- {error} pb\n"
                                  f"{_RUN_LINE}{_run_key(run)}")
        h5 = _hdf5_writer(hdf5, f, sigma, error) if hdf5 is not None else None
        sub_sums = np.zeros(len(f.group.subprocesses))
        total, overweight = 0.0, 0.0
        n_trials, written, skip, next_batch = 0, 0, 0, 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_events, initial=written + max(skip, 0), desc="events", unit="ev")
    a_qed = _alpha_qed(f)
    parts = _parts_directory(lhe, run) if runner.distributed else None
    first = next_batch
    stream = runner.imap(_event_batch, (f, draws),
                         ((w_max, eps_pilot, entropy, b, batch_size) for b in itertools.count(first)),
                         (f"events-{b}" for b in itertools.count(first)), store=parts)
    try:
        for b in itertools.count(first):
            if written >= n_events:
                break
            save_arrays(state_path, **draws.arrays(), run=json.dumps(run), setup_calls=setup_calls,
                        integral=np.array([sigma, error, chi2]), w_max=w_max,
                        eps_pilot=eps_pilot, written=written, next_batch=b, n_trials=n_trials,
                        sub_sums=sub_sums, totals=np.array([total, overweight]),
                        channel_names=np.array(list(channel_sigma), dtype=str),
                        channel_sigma=np.array(list(channel_sigma.values()), dtype=np.float64))
            ev = next(stream)
            n_trials += int(ev["n_trials"])
            total += float(ev["total"])
            overweight += float(ev["overweight"])
            sub_sums += ev["sub_sums"]
            take = np.arange(ev["weight"].size)
            if skip > 0:  # already in the files before the interruption
                s = min(skip, take.size)
                take = take[s:]
                written += s
                skip -= s
            take = take[:n_events - written]
            if take.size:
                writer.write(ev["momenta"][take], f.masses, ev["pdg"][take], ev["colours"][take], ev["weight"][take],
                             ev["scale"][take], a_qed, ev["alpha_s"][take])
                if h5 is not None:
                    h5.write(momenta=ev["momenta"][take], weight=ev["weight"][take], raw_weight=ev["raw_weight"][take],
                             subprocess=ev["subprocess"][take], channel=ev["channel"][take], pdg=ev["pdg"][take],
                             u=ev["u"][take], x=ev["x"][take])
            written += take.size
            if parts is not None:  # merged: the files hold it now
                (parts / f"events-{b}.npz").unlink(missing_ok=True)
            if bar is not None:
                bar.update(take.size)
    except BaseException:
        writer.close(finished=False)  # interrupted: what is written stays, flushed, for the resume
        raise
    finally:
        stream.close()
    writer.close()
    if bar is not None:
        bar.close()
    state_path.unlink(missing_ok=True)
    _vegas_checkpoint(lhe, run).unlink(missing_ok=True)  # a finished run leaves only its files
    forget_results(parts)
    return GenerationResult(
        sigma=sigma, error=error, chi2_dof=chi2, n_events=written, w_max=w_max,
        efficiency=total / n_trials / w_max, overweight_fraction=overweight / n_trials, n_trials=n_trials,
        integrand_calls=setup_calls + n_trials * (1 + getattr(draws, "own_calls", 0)),
        subprocess_sigma={s.name: v / n_trials for s, v in zip(f.group.subprocesses, sub_sums)},
        channel_sigma=channel_sigma,
        files={"lhe": str(lhe), **({"hdf5": str(hdf5)} if hdf5 is not None else {})},
    )


_PILOT_STREAM, _EVENT_STREAM = 2, 3


def _pilot_batch(f: Integrand, draws, entropy, start, stop):
    """The weights of pilot points [start, stop)."""
    x, channel, factor = draws.draw(task_rng(entropy, _PILOT_STREAM, start), stop - start)
    return {"w": np.asarray(draws.weigh(f.evaluate(x, channel), channel, factor), dtype=np.float64)}


def _event_batch(f: Integrand, draws, w_max, eps_pilot, entropy, batch, batch_size):
    """Event batch ``batch``: ``batch_size`` points unweighted against w_max, every accepted
    one with its subprocess and colour flow, and the batch's sums for the run's statistics."""
    rng = task_rng(entropy, _EVENT_STREAM, batch)
    x, channel, factor = draws.draw(rng, batch_size)
    pts = f.evaluate(x, channel)
    w = draws.weigh(pts, channel, factor)
    accept, kept_w = unweight(w, w_max, rng)
    idx = np.nonzero(accept)[0]
    legs_table = f.group.legs_table
    share = pts.subprocess_weight[idx] / pts.weight[idx, None]
    choice = (rng.random(idx.size)[:, None] > np.cumsum(share, axis=1)).sum(axis=1)
    choice = np.minimum(choice, len(legs_table) - 1)
    colours = np.zeros((idx.size, len(f.masses), 2), dtype=np.int64)
    for c in np.unique(choice):
        sel = choice == c
        colours[sel] = f.group.subprocesses[c].colour_flows(pts.momenta[idx[sel]], rng, f.params or None)
    # each subprocess's share of the weight: w / f's own weight rescales it
    ratio = np.divide(w, pts.weight, out=np.zeros_like(w), where=pts.weight != 0)
    return {
        "momenta": pts.momenta[idx], "pdg": legs_table[choice], "colours": colours,
        "weight": kept_w[idx] * eps_pilot, "raw_weight": w[idx], "scale": pts.scale[idx],
        "alpha_s": pts.alpha_s[idx], "subprocess": choice,
        "channel": channel[idx] if channel is not None else np.full(idx.size, -1),
        "u": x[idx], "x": pts.x[idx] if pts.x is not None else np.ones((idx.size, 2)),
        "n_trials": np.int64(x.shape[0]), "total": np.array(float(w.sum())),
        "overweight": np.array(float((w > w_max).sum())), "sub_sums": ratio @ pts.subprocess_weight,
    }


def _hdf5_writer(path, f: Integrand, sigma: float, error: float) -> HDF5Writer:
    """A new HDF5 event file for ``f``'s events, its header holding the cross section."""
    return HDF5Writer(path, len(f.masses), f.dim,
                      attrs={"process": f.group.text, "sqrt_s": f.sqrt_s, "sigma_pb": sigma, "sigma_error_pb": error,
                             "subprocesses": [s.name for s in f.group.subprocesses],
                             "channels": [c.describe() for c in f.channels] if f.channels else []})


def _run_fingerprint(f: Integrand, sampler, **settings) -> dict:
    """Everything that defines a generation run, as text: a resume must match it."""
    run = {
        **f.fingerprint(),
        "sampler": ("numhep VEGAS" if sampler is None else sampler if isinstance(sampler, str)
                    else type(sampler).__name__),
    }
    run.update({k: str(v) for k, v in settings.items()})
    return run


def _run_key(run: dict) -> str:
    return hashlib.sha256(json.dumps(run, sort_keys=True).encode()).hexdigest()[:12]


#: the LHE header line that records which run wrote the file
_RUN_LINE = "numhep run fingerprint "


def _keep_finished_files(lhe, hdf5, run: dict) -> None:
    """Files at a new run's paths that another run wrote (a finished run with other settings,
    or a file numhep did not write) are kept as ``<file>.1``, ``.2``, ... with a warning: a
    new run never overwrites events it did not make.  The same run again rewrites them."""
    lhe = Path(lhe)
    if not lhe.exists():
        return
    with open(lhe, errors="replace") as fh:
        head = [next(fh, "") for _ in range(40)]
    if any(line.strip() == _RUN_LINE + _run_key(run) for line in head):
        return
    paths = [lhe] + ([Path(hdf5)] if hdf5 is not None and Path(hdf5).exists() else [])
    k = 1
    while any(Path(f"{q}.{k}").exists() for q in paths):
        k += 1
    for q in paths:
        os.replace(q, f"{q}.{k}")
    warnings.warn(f"{lhe}: holds the events of another run (other settings, or not numhep's); kept as "
                  f"{', '.join(f'{q}.{k}' for q in paths)}", RuntimeWarning, stacklevel=3)


def _parts_directory(lhe, run: dict) -> Path:
    """Where a distributed run's workers leave their finished event batches until they are merged."""
    return Path(f"{lhe}.parts-{_run_key(run)}")


def _vegas_checkpoint(lhe, run: dict) -> Path:
    """The VEGAS checkpoint of this run: named by the run's fingerprint, so that a killed run
    with other settings never lends it its grid and iterations."""
    return Path(f"{lhe}.vegas-{_run_key(run)}.npz")


def _refuse_a_different_run(lhe, saved: dict, run: dict):
    differ = [k for k in run if saved.get(k) != run[k]]
    if differ:
        detail = "; ".join(f"{k}: {saved.get(k, 'not recorded')} then, {run[k]} now" for k in differ)
        raise ValueError(f"{lhe}: its state file belongs to a different run ({detail}); resume with the same "
                         f"settings, or remove {lhe} and {_state_path(lhe)} to start afresh")


def _beams(f: Integrand):
    e = f.sqrt_s / 2.0
    if f.hadronic:
        pdf_id = int(f.pdf.info.get("SetIndex", 0)) if hasattr(f.pdf, "info") else 0
        return (2212, 2212), (e, e), pdf_id
    legs = f.group.subprocesses[0].legs
    return (legs[0], legs[1]), (e, e), 0


def _alpha_qed(f: Integrand) -> float:
    model = f.group.subprocesses[0].process.model
    if model is None or "aEWM1" not in model.inputs:
        return 1.0 / INPUTS["aEWM1"]
    return 1.0 / model.parameters(f.params or None)["aEWM1"]

