"""The showering hand-off: numhep's Les Houches events through Pythia 8's parton shower and
hadronisation, one :class:`ShoweredEvent` per LHE event.

Pythia 8 (Bierlich et al., arXiv:2203.11601) reads the LHE file itself (``Beams:frameType = 4``,
``Beams:LHEF``); the hard record and the event weight are read from the same file beside it, so
that every LHE event gives exactly one showered event, in file order: an event Pythia cannot
shower (it then moves on to the next LHE event) comes back with weight 0 and no particles.
"""

from __future__ import annotations

import importlib.metadata
import os
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numhep.events.files import count_lhe_events

__all__ = ["ShoweredEvent", "shower"]

_NEUTRINOS = (12, 14, 16)
#: Pythia's largest seed (``Random:seed``); 0 would seed from the clock
_MAX_SEED = 900_000_000


@dataclass(frozen=True)
class ShoweredEvent:
    """One showered LHE event.

    Parameters
    ----------
    momenta : numpy.ndarray
        (n, 4) float64 (E, px, py, pz) in GeV of the visible final-state particles
        (neutrinos left out).
    pid : numpy.ndarray
        (n,) int PDG codes of those particles.
    weight : float
        The LHE event weight (XWGTUP); 0 for an event Pythia could not shower.
    hard_momenta : numpy.ndarray
        (m, 4) float64 (E, px, py, pz) of the LHE record's final-state particles (status 1).
    hard_pid : numpy.ndarray
        (m,) int PDG codes of the LHE record's final-state particles.

    Examples
    --------
    >>> from numhep.events.showering import ShoweredEvent
    >>> ev = ShoweredEvent(np.zeros((0, 4)), np.zeros(0, int), 1.0, np.zeros((0, 4)), np.zeros(0, int))
    >>> ev.weight, ev.momenta.shape
    (1.0, (0, 4))
    """

    momenta: np.ndarray
    pid: np.ndarray
    weight: float
    hard_momenta: np.ndarray
    hard_pid: np.ndarray


def _pythia8():
    try:
        import pythia8mc
    except ImportError:
        raise ImportError(
            "showering needs Pythia 8: pip install 'numhep[shower]' (PyPI pythia8mc==8.317.2)"
        ) from None
    return pythia8mc


def _xmldoc() -> str:
    """Pythia's settings folder: ``PYTHIA8DATA`` if set, else from pythia8mc's file list (the
    module is a single extension, its data lies outside site-packages), else ``""`` (Pythia's
    own default)."""
    env = os.environ.get("PYTHIA8DATA")
    if env and Path(env).is_dir():
        return env
    try:
        dist = importlib.metadata.distribution("pythia8mc")
        for f in dist.files or ():
            if "/xmldoc/" in str(f).replace("\\", "/"):
                return str(Path(dist.locate_file(f)).resolve().parent)
    except importlib.metadata.PackageNotFoundError:
        pass
    fallback = Path(sysconfig.get_path("data")) / "share" / "Pythia8" / "xmldoc"
    return str(fallback) if fallback.is_dir() else ""


def _lhe_events(path):
    """(weight, incoming pz (2,), final momenta (m, 4) as E,px,py,pz, final pids (m,)) per
    ``<event>`` block, streamed."""
    with open(path) as fh:
        for line in fh:
            if line.strip() != "<event>":
                continue
            head = fh.readline().split()
            n, weight = int(head[0]), float(head[2])
            rows = [fh.readline().split() for _ in range(n)]
            status = np.array([int(r[1]) for r in rows])
            pid = np.array([int(r[0]) for r in rows])
            mom = np.array([[float(r[9]), float(r[6]), float(r[7]), float(r[8])] for r in rows])
            yield weight, mom[status == -1, 3], mom[status == 1], pid[status == 1]


def _record(event, select):
    rows = [event[i] for i in range(event.size()) if select(event[i])]
    p = np.array([[q.e(), q.px(), q.py(), q.pz()] for q in rows], dtype=np.float64).reshape(-1, 4)
    return p, np.array([q.id() for q in rows], dtype=np.int64)


def shower(lhe_path, *, n_events=None, isr: bool = True, fsr: bool = True, hadronisation: bool = True,
           mpi: bool = False, seed: int = 1, progress: bool = True):
    """Shower and hadronise the events of an LHE file with Pythia 8, event by event.

    Pythia 8.3 (Bierlich et al., arXiv:2203.11601) reads ``lhe_path`` itself with
    ``Beams:frameType = 4`` and ``Beams:LHEF = <lhe_path>`` and runs with its default tune
    (Monash 2013) and these settings: ``PartonLevel:ISR``, ``PartonLevel:FSR`` (QCD and QED),
    ``PartonLevel:MPI`` and ``HadronLevel:all`` (string fragmentation and hadron decays)
    switched by the arguments; ``Random:setSeed = on``, ``Random:seed = seed``;
    ``Print:quiet = on``, ``Next:numberCount = 0``.  Pythia's Les Houches defaults stay:
    massless charged leptons and c, b quarks of the file get their masses
    (``LesHouches:setLeptonMass``, ``setQuarkMass``).  The same file and seed give the same
    events.  Beam remnants are always added, so the final state (neutrinos included) carries
    the two beams' momentum.

    Parameters
    ----------
    lhe_path : str or path-like
        The Les Houches event file (as written by :func:`numhep.generate`).
    n_events : int, optional
        Shower only the first ``n_events`` LHE events (default None: all).
    isr : bool, optional
        Initial-state radiation (default True).
    fsr : bool, optional
        Final-state radiation (default True).
    hadronisation : bool, optional
        Hadronisation and hadron decays (default True); without it the final state holds
        partons.
    mpi : bool, optional
        Multiple parton interactions, the underlying event (default False).
    seed : int, optional
        Pythia's random seed, 1 to 900000000 (default 1).
    progress : bool, optional
        Show a tqdm progress bar (default True).

    Returns
    -------
    iterator of ShoweredEvent
        One per LHE event, in file order; weight 0 and no particles where Pythia failed.
        Pythia starts on the first ``next()``.

    Raises
    ------
    ImportError
        If pythia8mc is not installed (``pip install 'numhep[shower]'``).
    FileNotFoundError
        If ``lhe_path`` does not exist.
    ValueError
        If ``seed`` or ``n_events`` is out of range.
    RuntimeError
        If Pythia rejects a setting or fails to initialise.

    Examples
    --------
    >>> from numhep.events.showering import shower
    >>> import tempfile, pathlib
    >>> lhe = pathlib.Path(tempfile.mkdtemp()) / "z.lhe"
    >>> _ = numhep.generate("p p > mu+ mu-", 13000.0, n_events=3, lhe=lhe, n_points=1000, n_iterations=3,
    ...                     n_warmup=1, pilot_points=1000, batch_size=1000, progress=False,
    ...                     cuts={"mmll": 60.0}, scale=91.188)
    >>> events = list(shower(lhe, progress=False))
    >>> len(events), [int(p) for p in sorted(events[0].hard_pid)]
    (3, [-13, 13])
    >>> bool(np.allclose(events[0].momenta.sum(0)[0], 13000.0, rtol=1e-3))   # neutrinos carry little
    True
    """
    lhe_path = Path(lhe_path)
    if not lhe_path.is_file():
        raise FileNotFoundError(f"shower: no LHE file at {lhe_path}")
    if not (isinstance(seed, (int, np.integer)) and 1 <= seed <= _MAX_SEED):
        raise ValueError(f"shower: seed must be a whole number in [1, {_MAX_SEED}], got {seed!r}")
    total = count_lhe_events(lhe_path)
    if n_events is not None:
        if not (isinstance(n_events, (int, np.integer)) and n_events >= 0):
            raise ValueError(f"shower: n_events must be a non-negative whole number, got {n_events!r}")
        total = min(total, int(n_events))
    return _showered(_pythia8(), lhe_path, total, isr, fsr, hadronisation, mpi, int(seed), progress)


def _showered(pythia8mc, lhe_path, total, isr, fsr, hadronisation, mpi, seed, progress):
    py = pythia8mc.Pythia(_xmldoc(), False)
    on = {True: "on", False: "off"}
    settings = [
        "Print:quiet = on",
        "Next:numberCount = 0",
        "Beams:frameType = 4",
        f"Beams:LHEF = {lhe_path}",
        f"PartonLevel:ISR = {on[bool(isr)]}",
        f"PartonLevel:FSR = {on[bool(fsr)]}",
        f"PartonLevel:MPI = {on[bool(mpi)]}",
        f"HadronLevel:all = {on[bool(hadronisation)]}",
        "Random:setSeed = on",
        f"Random:seed = {seed}",
    ]
    for line in settings:
        if not py.readString(line):
            raise RuntimeError(f"Pythia rejected the setting {line!r}")
    if not py.init():
        raise RuntimeError(f"Pythia failed to initialise on {lhe_path} (run with Print:quiet off to see why)")
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="shower", unit="ev", disable=not progress)
    empty_p, empty_id = np.zeros((0, 4)), np.zeros(0, dtype=np.int64)
    lhe = _lhe_events(lhe_path)
    done = 0
    try:
        while done < total:
            ok = py.next()
            if not ok and py.infoPython().atEndOfFile():
                break
            # Pythia moves on to the next LHE event when one fails: match its hard record's
            # incoming momenta to the file's to give the skipped ones weight 0
            pz_in = (_record(py.process, lambda q: q.status() == -21)[0][:, 3]) if ok else None
            for weight, lhe_pz, hard_p, hard_id in lhe:
                match = ok and len(lhe_pz) == len(pz_in) and np.allclose(
                    np.sort(lhe_pz), np.sort(pz_in), rtol=1e-7, atol=1e-9)
                if match:
                    p, pid = _record(py.event, lambda q: q.isFinal() and abs(q.id()) not in _NEUTRINOS)
                    yield ShoweredEvent(p, pid, weight, hard_p, hard_id)
                else:
                    yield ShoweredEvent(empty_p, empty_id, 0.0, hard_p, hard_id)
                done += 1
                bar.update(1)
                if match or done >= total or not ok:
                    break
        # a file Pythia stopped reading early: the rest are unshowered
        for weight, _, hard_p, hard_id in lhe:
            if done >= total:
                break
            yield ShoweredEvent(empty_p, empty_id, 0.0, hard_p, hard_id)
            done += 1
            bar.update(1)
    finally:
        bar.close()
