"""Standard distributions of generated events as one PNG (matplotlib with mplhep's style).

    plot_distributions("ttbar.lhe", "ttbar.png")

Panels: pT and pseudorapidity of every final-state particle (by name, from the
PDG code), the invariant mass of the whole final state and of every pair of final-state
particles, each a unit-normalised histogram of the unweighted events (event weights
used where they differ, as overweights of partial unweighting do).
"""

from __future__ import annotations

import importlib
import itertools
import math
from pathlib import Path

import numpy as np

__all__ = ["lhe_final_states", "plot_distributions"]


def _require(module: str):
    """Import an optional dependency of the plots, or say which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"numhep's event plots need {module.split('.')[0]}: pip install 'numhep[plots]'") from exc


def lhe_final_states(path):
    """(momenta (n, k, 4) as (E, px, py, pz), PDG codes (k,), weights (n,)) of an LHE file's
    final-state particles (status 1); every event must have the same final state."""
    pylhe = _require("pylhe")
    moms, weights, pdgs = [], [], None
    for ev in pylhe.LHEFile.fromfile(str(path)).events:
        fin = [p for p in ev.particles if int(p.status) == 1]
        ids = tuple(int(p.id) for p in fin)
        if pdgs is None:
            pdgs = ids
        elif sorted(ids) != sorted(pdgs):
            raise ValueError(f"{path}: events have different final states ({pdgs} and {ids}); plot them per process")
        order = sorted(range(len(fin)), key=lambda j: pdgs.index(ids[j]) + 0.1 * j)
        moms.append([[fin[j].e, fin[j].px, fin[j].py, fin[j].pz] for j in order])
        weights.append(float(ev.eventinfo.weight))
    if not moms:
        raise ValueError(f"{path}: no events to plot")
    return np.array(moms), np.array(pdgs), np.array(weights)


def _name(pdg: int) -> str:
    try:
        from particle import Particle

        return Particle.from_pdgid(int(pdg)).name
    except Exception:  # noqa: BLE001 - an unknown code still gets a label
        return str(pdg)


def _mass(p):
    return np.sqrt(np.maximum(p[..., 0] ** 2 - (p[..., 1:] ** 2).sum(-1), 0.0))


def plot_distributions(events, path, *, title: str | None = None, pdgs=None, weights=None, bins: int = 40) -> Path:
    """Write the panel figure for ``events`` (an LHE path, or momenta (n, k, 4) with ``pdgs``)."""
    _require("matplotlib").use("Agg")
    plt = _require("matplotlib.pyplot")
    mplhep = _require("mplhep")

    if isinstance(events, (str, Path)):
        p, pdgs, weights = lhe_final_states(events)
        title = title or Path(events).name
    else:
        p = np.asarray(events, dtype=float)
        if pdgs is None or len(pdgs) != p.shape[1]:
            raise ValueError("plot_distributions: give the PDG code of every final-state particle (pdgs=...)")
    weights = np.ones(p.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    k = p.shape[1]
    names = [_name(q) for q in pdgs]
    pt = np.hypot(p[..., 1], p[..., 2])
    eta = np.arcsinh(p[..., 3] / np.maximum(pt, 1e-300))
    panels = [(f"$p_T$({names[j]}) [GeV]", pt[:, j]) for j in range(k)]
    panels += [(f"$\\eta$({names[j]})", eta[:, j]) for j in range(k)]
    panels.append(("$m$(final state) [GeV]", _mass(p.sum(axis=1))))
    if k > 2:
        panels += [(f"$m$({names[a]} {names[b]}) [GeV]", _mass(p[:, a] + p[:, b])) for a, b in itertools.combinations(range(k), 2)]
    plt.style.use(mplhep.style.CMS)
    cols = min(4, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4.2 * rows), squeeze=False)
    for ax, (label, values) in zip(axes.ravel(), panels):
        lo, hi = np.percentile(values, [0.5, 99.5])
        hist, edges = np.histogram(values, bins=bins, range=(lo, hi if hi > lo else lo + 1.0), weights=weights)
        width = np.diff(edges)
        mplhep.histplot(hist / max(hist.sum(), 1e-300) / width, edges, ax=ax, histtype="fill", alpha=0.6)
        ax.set_xlabel(label, fontsize=13)
        ax.set_ylabel("1/N dN/dx", fontsize=13)
        ax.tick_params(labelsize=11)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"{title or 'events'}: {p.shape[0]:,} events", fontsize=16)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out
