"""Unweighted events: VEGAS-adapted sampling, hit-or-miss unweighting, resumable output.

    result = numhep.generate("p p > t t~", 13000.0, n_events=10_000, lhe="tt.lhe", hdf5="tt.h5")

1. VEGAS adapts a grid to the integrand and gives sigma (seed 003 Eqs. 2.32-2.41).
2. A pilot sample from the frozen grid fixes w_max robustly as the median of the maxima
   of ``replicas`` sub-samples (seed 003 Sec. 2.2.5): a single outlier does not set it.
3. Points are drawn from the frozen grid, w = f(x) * jacobian, and accepted with
   probability min(1, w/w_max) (Eqs. 2.64-2.66).  Overweight events (w > w_max) are kept
   with the weight ratio: an accepted event carries max(w, w_max) * eps_pilot with
   eps_pilot = <min(1, w/w_max)> over the pilot, so the mean event weight estimates sigma.
   The unweighting efficiency <w>/w_max (Eq. 2.67) is reported.
4. Each accepted event picks its subprocess with probability w_k/w and a colour flow
   (:mod:`numhep.colour_flow`), and goes to the LHE and HDF5 files batch by batch.

Resuming: a state file ``<lhe>.state.npz`` holds the grid, w_max and the random
generator's state before the current batch.  After a kill, calling ``generate`` again
with the same files reopens them after their last complete event, regenerates the
interrupted batch from the saved state and skips the events already written: nothing
written is lost and nothing is duplicated.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from numhep.colour_flow import colour_flows
from numhep.event_files import HDF5Writer, LHEWriter, count_lhe_events
from numhep.integrand import Integrand
from numhep.vegas import VegasGrid, vegas_integrate

__all__ = ["GenerationResult", "generate", "max_weight", "unweight"]


def max_weight(weights, replicas: int = 20) -> float:
    """w_max as the median over ``replicas`` equal sub-samples of their maximum weight."""
    w = np.asarray(weights, dtype=np.float64)
    parts = np.array_split(w, max(1, min(replicas, w.size)))
    return float(np.median([p.max() for p in parts]))


def unweight(weights, w_max: float, rng):
    """Accepted mask (hit-or-miss with probability min(1, w/w_max)) and max(w, w_max)."""
    w = np.asarray(weights, dtype=np.float64)
    accept = rng.random(w.shape[0]) * w_max < w
    return accept, np.maximum(w, w_max)


@dataclass
class GenerationResult:
    sigma: float
    error: float
    chi2_dof: float
    n_events: int
    w_max: float
    efficiency: float  # <w>/w_max
    overweight_fraction: float
    n_trials: int
    subprocess_sigma: dict = field(default_factory=dict)  # name -> pb
    files: dict = field(default_factory=dict)


def _state_path(lhe) -> Path:
    return Path(f"{lhe}.state.npz")


def _save_state(path: Path, **values):
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **values)
    os.replace(tmp, path)


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
    **integrand_options,
) -> GenerationResult:
    """Integrate ``process`` and write ``n_events`` unweighted events (see module docstring)."""
    f = integrand or Integrand(process, sqrt_s, **integrand_options)
    if n_events < 1:
        raise ValueError(f"n_events: must be positive, got {n_events}")
    state_path = _state_path(lhe)
    grid = VegasGrid(f.dim)
    resuming = state_path.exists() and Path(lhe).exists()
    rng = np.random.default_rng(seed)
    if resuming:
        st = np.load(state_path, allow_pickle=False)
        grid.edges = np.ascontiguousarray(st["edges"])
        sigma, error, chi2 = (float(v) for v in st["integral"])
        w_max, eps_pilot = float(st["w_max"]), float(st["eps_pilot"])
        written = int(st["written"])
        rng.bit_generator.state = _parse_state(str(st["rng"]))
        sub_sums = st["sub_sums"].copy()
        total, overweight = (float(v) for v in st["totals"])
        n_trials = int(st["n_trials"])
        # the files may hold part of the interrupted batch; keep what both of them hold
        in_file = count_lhe_events(lhe)
        if hdf5 is not None:
            in_file = min(in_file, HDF5Writer.count(hdf5))
        writer = LHEWriter.reopen(lhe, in_file)
        h5 = HDF5Writer.reopen(hdf5, in_file) if hdf5 is not None else None
        skip = in_file - written
    else:
        res = vegas_integrate(f, grid, n_points=n_points, n_iterations=n_iterations, n_warmup=n_warmup,
                              seed=seed, progress=progress, checkpoint=f"{lhe}.vegas.npz")
        sigma, error, chi2 = res.mean, res.sdev, res.chi2_dof
        u = rng.random((pilot_points, f.dim))
        x, jac, _ = grid.map(u)
        w = f(x) * jac
        if not np.any(w > 0):
            raise ValueError(f"{f.group.text!r}: no pilot point passed the cuts; loosen them")
        w_max = max_weight(w, replicas)
        eps_pilot = float(np.minimum(1.0, w / w_max).mean())
        beams, energies, pdf_id = _beams(f)
        writer = LHEWriter(lhe, beams=beams, energies=energies, pdf_id=pdf_id, sigma=sigma, error=error,
                           max_weight=w_max * eps_pilot,
                           header=f"numhep {f.group.text} at sqrt(s) = {f.sqrt_s} GeV\nsigma = {sigma} +- {error} pb")
        h5 = None
        if hdf5 is not None:
            h5 = HDF5Writer(hdf5, len(f.masses), f.dim,
                            attrs={"process": f.group.text, "sqrt_s": f.sqrt_s, "sigma_pb": sigma,
                                   "sigma_error_pb": error,
                                   "subprocesses": [s.name for s in f.group.subprocesses]})
        sub_sums = np.zeros(len(f.group.subprocesses))
        total, overweight = 0.0, 0.0
        n_trials, written, skip = 0, 0, 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_events, initial=written + max(skip, 0), desc="events", unit="ev")
    legs_table = f.group.legs_table
    a_qed = _alpha_qed(f)
    while written < n_events:
        rng_before = repr(rng.bit_generator.state)
        _save_state(state_path, edges=grid.edges, integral=np.array([sigma, error, chi2]), w_max=w_max,
                    eps_pilot=eps_pilot, written=written, rng=rng_before, n_trials=n_trials,
                    sub_sums=sub_sums, totals=np.array([total, overweight]))
        u = rng.random((batch_size, f.dim))
        x, jac, _ = grid.map(u)
        pts = f.evaluate(x)
        w = pts.weight * jac
        accept, kept_w = unweight(w, w_max, rng)
        idx = np.nonzero(accept)[0]
        share = pts.subprocess_weight[idx] / pts.weight[idx, None]
        choice = (rng.random(idx.size)[:, None] > np.cumsum(share, axis=1)).sum(axis=1)
        choice = np.minimum(choice, len(legs_table) - 1)
        n_trials += batch_size
        total += float(w.sum())
        sub_sums += jac @ pts.subprocess_weight
        overweight += float((w > w_max).sum())
        # every accepted event of the batch gets its subprocess and colours, so a resumed
        # batch consumes the random numbers exactly as the interrupted one did
        take = idx
        pdgs = legs_table[choice]
        colours = np.zeros((take.size, len(f.masses), 2), dtype=np.int64)
        for c in np.unique(choice):
            sel = choice == c
            colours[sel] = colour_flows(f.group.subprocesses[c].legs, int(sel.sum()), rng)
        if skip > 0:  # already in the files before the interruption
            s = min(skip, take.size)
            take, choice, pdgs, colours = take[s:], choice[s:], pdgs[s:], colours[s:]
            written += s
            skip -= s
        room = n_events - written
        take, choice, pdgs, colours = take[:room], choice[:room], pdgs[:room], colours[:room]
        ev_w = kept_w[take] * eps_pilot
        if take.size:
            writer.write(pts.momenta[take], f.masses, pdgs, colours, ev_w, pts.scale[take], a_qed,
                         pts.alpha_s[take])
            if h5 is not None:
                h5.write(momenta=pts.momenta[take], weight=ev_w, raw_weight=w[take], subprocess=choice,
                         pdg=pdgs, u=x[take],
                         x=pts.x[take] if pts.x is not None else np.ones((take.size, 2)))
        written += take.size
        if bar is not None:
            bar.update(take.size)
    writer.close()
    if bar is not None:
        bar.close()
    state_path.unlink(missing_ok=True)
    Path(f"{lhe}.vegas.npz").unlink(missing_ok=True)  # a finished run leaves only its files
    return GenerationResult(
        sigma=sigma, error=error, chi2_dof=chi2, n_events=written, w_max=w_max,
        efficiency=total / n_trials / w_max, overweight_fraction=overweight / n_trials, n_trials=n_trials,
        subprocess_sigma={s.name: v / n_trials for s, v in zip(f.group.subprocesses, sub_sums)},
        files={"lhe": str(lhe), **({"hdf5": str(hdf5)} if hdf5 is not None else {})},
    )


def _parse_state(text: str) -> dict:
    import ast

    return ast.literal_eval(text)


def _beams(f: Integrand):
    e = f.sqrt_s / 2.0
    if f.hadronic:
        pdf_id = int(f.pdf.info.get("SetIndex", 0)) if hasattr(f.pdf, "info") else 0
        return (2212, 2212), (e, e), pdf_id
    legs = f.group.subprocesses[0].legs
    return (legs[0], legs[1]), (e, e), 0


def _alpha_qed(f: Integrand) -> float:
    from numhep.standard_model import INPUTS

    model = f.group.subprocesses[0].process.model
    if model is None or "aEWM1" not in model.inputs:
        return 1.0 / INPUTS["aEWM1"]
    return 1.0 / model.parameters(f.params or None)["aEWM1"]

