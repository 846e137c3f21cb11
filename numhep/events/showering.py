"""The showering hand-off: numhep's Les Houches events through Pythia 8's parton shower and
hadronisation, one :class:`ShoweredEvent` per LHE event.

Pythia 8 (Bierlich et al., arXiv:2203.11601) reads the LHE file itself (``Beams:frameType = 4``,
``Beams:LHEF``); the hard record and the event weight are read from the same file beside it, so
that every LHE event gives exactly one showered event, in file order: an event Pythia cannot
shower (it then moves on to the next LHE event) comes back with weight 0 and no particles, and a
warning at the end of the file names each such event and what is wrong with its record.
"""

from __future__ import annotations

import importlib.metadata
import os
import sysconfig
import warnings
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numhep.events.files import count_lhe_events

__all__ = ["ShoweredEvent", "shower"]

_NEUTRINOS = (12, 14, 16)
#: Pythia's largest seed (``Random:seed``); 0 would seed from the clock
_MAX_SEED = 900_000_000
#: the settings :func:`shower` owns, with the argument that sets them
_OWN_SETTINGS = {"beams:frametype": "lhe_path", "beams:lhef": "lhe_path", "random:setseed": "seed",
                 "random:seed": "seed", "partonlevel:isr": "isr", "partonlevel:fsr": "fsr",
                 "partonlevel:mpi": "mpi", "hadronlevel:all": "hadronisation"}
#: Pythia's own energy-momentum check (``Check:epTolErr``), relative to the incoming energy
_EP_TOLERANCE = 1e-4
#: failed events named one by one in the warning; the rest are counted
_NAMED_FAILURES = 10
#: LHE events searched for the one Pythia showered
_LOOK_AHEAD = 8
#: how far Pythia may move an event's incoming momenta, relative to |p_z| + 1 GeV
_REBALANCED = 1e-2


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
    """(weight, pid (n,), status (n,), momenta (n, 4) as E,px,py,pz, colours (n, 2)) per
    ``<event>`` block, streamed; a block that is no Les Houches record (Alwall et al.,
    hep-ph/0609017: an event line NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP, then NUP particle
    lines of 13 numbers) raises ValueError naming the file, the event and the line."""
    with open(path) as fh:
        number = line_no = 0
        for line in fh:
            line_no += 1
            if line.strip() != "<event>":
                continue
            number += 1
            head = fh.readline()
            line_no += 1
            try:
                n, weight = int(head.split()[0]), float(head.split()[2])
            except (IndexError, ValueError):
                raise _corrupt(path, number, line_no, "expected the event line NUP IDPRUP XWGTUP SCALUP AQEDUP "
                               "AQCDUP", head) from None
            rows = []
            for _ in range(n):
                text = fh.readline()
                line_no += 1
                fields = text.split()
                try:
                    if len(fields) != 13:
                        raise ValueError
                    rows.append([float(x) for x in fields])
                except ValueError:
                    raise _corrupt(path, number, line_no, f"expected a particle line of 13 numbers (the event "
                                   f"line declares {n} particles)", text) from None
            rows = np.array(rows, dtype=np.float64).reshape(-1, 13)
            yield (weight, rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), rows[:, [9, 6, 7, 8]],
                   rows[:, 4:6].astype(np.int64))


def _corrupt(path, number, line_no, expected, text) -> ValueError:
    found = f"got {text.strip()!r}" if text else "the file ends"
    return ValueError(f"{path}, event {number} (line {line_no}): {expected}, {found}")


def _fault(pid, status, momenta, colours, particle_data) -> str:
    """What is wrong with an LHE record that Pythia could not shower, as far as the record
    shows: non-finite momenta, a PDG code Pythia does not know, energy-momentum not conserved
    between the incoming (status -1) and final (status 1) particles, or a colour line that
    does not close (every colour tag leaves the final state as often as it enters it)."""
    if not np.isfinite(momenta).all():
        return "a momentum is not a finite number"
    unknown = [int(i) for i in pid if not particle_data.isParticle(int(i))]
    if unknown:
        return f"PDG code {unknown[0]} is unknown to Pythia"
    lost = momenta[status == -1].sum(0) - momenta[status == 1].sum(0)
    if np.abs(lost).max() > _EP_TOLERANCE * momenta[status == -1, 0].sum():
        return ("energy-momentum not conserved: incoming minus outgoing (E, px, py, pz) = "
                f"({', '.join(f'{round(x, 3) + 0.0:g}' for x in lost)}) GeV")  # to the MeV, no -0
    net = {}
    for sign, rows in ((1, colours[status == 1]), (-1, colours[status == -1])):
        for col, acol in rows:
            net[col] = net.get(col, 0) + sign
            net[acol] = net.get(acol, 0) - sign
    open_lines = sorted(int(c) for c, v in net.items() if c and v)
    if open_lines:
        return f"colour lines {', '.join(map(str, open_lines))} do not close"
    return "no fault in the record; Pythia's shower or its checks of the event failed"


def _record(event, select):
    rows = [event[i] for i in range(event.size()) if select(event[i])]
    p = np.array([[q.e(), q.px(), q.py(), q.pz()] for q in rows], dtype=np.float64).reshape(-1, 4)
    return p, np.array([q.id() for q in rows], dtype=np.int64)


def shower(lhe_path, *, n_events=None, isr: bool = True, fsr: bool = True, hadronisation: bool = True,
           mpi: bool = False, seed: int = 1, settings=(), progress: bool = True):
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

    Failures: an event Pythia cannot shower (a momentum that is not a number, a PDG code it
    does not know, energy-momentum not conserved, a colour line that does not close, or a
    shower that fails its checks) comes back with weight 0 and no particles, and the events
    after it are showered; when the file is done a ``RuntimeWarning`` names the file, each
    failed event (numbered from 1 in file order) and what is wrong with its record.  A file
    that ends inside an event (a generation still writing it, or killed) is showered up to
    its last complete event, with a warning.  A block that is no Les Houches record, a
    setting Pythia rejects and a file Pythia cannot initialise on raise errors naming them.

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
    settings : sequence of str, optional
        More Pythia settings, read after the ones above (e.g. ``["Tune:pp = 14"]``, or
        ``["Print:quiet = off"]`` to see Pythia's messages); the settings the other
        arguments own (``Beams:frameType``, ``Beams:LHEF``, ``Random:seed``,
        ``Random:setSeed``, ``PartonLevel:ISR``, ``FSR``, ``MPI``, ``HadronLevel:all``) are
        refused.
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
        If ``seed`` or ``n_events`` is out of range, Pythia rejects one of ``settings`` or
        ``settings`` holds one the arguments own; when the events are read, if an
        ``<event>`` block is no Les Houches record (the message names the file, the event
        and the line).
    RuntimeError
        If Pythia fails to initialise on the file.

    Warns
    -----
    RuntimeWarning
        After the last event, if Pythia could not shower some events (naming them and their
        faults); at the call, if the file ends inside an event.

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
    if isinstance(settings, str):
        settings = [settings]
    for line in settings:
        key = str(line).partition("=")[0].strip().lower()
        if key in _OWN_SETTINGS:
            raise ValueError(f"shower: the setting {line!r} is set by shower's argument {_OWN_SETTINGS[key]}")
    complete = count_lhe_events(lhe_path)
    total = complete
    if n_events is not None:
        if not (isinstance(n_events, (int, np.integer)) and n_events >= 0):
            raise ValueError(f"shower: n_events must be a non-negative whole number, got {n_events!r}")
        total = min(total, int(n_events))
    if total == complete and _opened_events(lhe_path) > complete:
        warnings.warn(f"shower: {lhe_path} ends inside event {complete + 1} (a generation still writing it, or "
                      f"killed): its {complete} complete events are showered", RuntimeWarning, stacklevel=2)
    return _showered(_pythia8(), lhe_path, total, isr, fsr, hadronisation, mpi, int(seed), list(settings), progress)


def _incoming_gap(event, pz_in) -> float:
    """How far an LHE event's incoming p_z lie from Pythia's (sorted), relative to |p_z| + 1 GeV."""
    lhe_pz = np.sort(event[3][event[2] == -1, 3])
    if lhe_pz.shape != pz_in.shape:
        return np.inf
    return float(np.max(np.abs(lhe_pz - pz_in) / (np.abs(lhe_pz) + 1.0)))


def _opened_events(path) -> int:
    with open(path) as fh:
        return sum(line.strip() == "<event>" for line in fh)


def _showered(pythia8mc, lhe_path, total, isr, fsr, hadronisation, mpi, seed, extra, progress):
    py = pythia8mc.Pythia(_xmldoc(), False)
    on = {True: "on", False: "off"}
    settings = [
        "Print:quiet = on",
        "Next:numberCount = 0",
        "Beams:frameType = 4",
        f"PartonLevel:ISR = {on[bool(isr)]}",
        f"PartonLevel:FSR = {on[bool(fsr)]}",
        f"PartonLevel:MPI = {on[bool(mpi)]}",
        f"HadronLevel:all = {on[bool(hadronisation)]}",
        "Random:setSeed = on",
        f"Random:seed = {seed}",
    ]
    for line in settings:
        if not py.readString(line):
            raise RuntimeError(f"Pythia rejected numhep's setting {line!r} (pythia8mc==8.317.2 expected)")
    # readString keeps a word up to its first blank: a path with spaces would be cut
    py.settings.word("Beams:LHEF", str(lhe_path))
    for line in extra:
        if not py.readString(str(line)):
            raise ValueError(f"shower: Pythia rejected the setting {line!r} (an unknown name, or a value "
                             "its type or range does not allow)")
    if not py.init():
        raise RuntimeError(f"Pythia failed to initialise on {lhe_path}: is it a Les Houches event file with an "
                           "<init> block? (settings=['Print:quiet = off'] shows Pythia's reason)")
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="shower", unit="ev", disable=not progress)
    empty_p, empty_id = np.zeros((0, 4)), np.zeros(0, dtype=np.int64)
    lhe = _lhe_events(lhe_path)
    ahead = deque()  # LHE events read but not yet paired with Pythia's
    failed = []  # (event number from 1, fault)
    done = 0

    def fail(event):
        nonlocal done
        weight, pid, status, mom, colours = event
        done += 1
        failed.append((done, _fault(pid, status, mom, colours, py.particleData)))
        bar.update(1)
        return ShoweredEvent(empty_p, empty_id, 0.0, mom[status == 1], pid[status == 1])

    try:
        while done < total:
            # Pythia moves on to the next LHE event when one fails, and it reports a record it
            # cannot read (a "nan") as the end of the file, yet reads on at the next call: only
            # the file's own count ends the run.  The hard record's incoming momenta, matched to
            # the file's, say which event Pythia showered: the first of the next _LOOK_AHEAD
            # that matches to rounding (those before it were skipped), else the next one if it
            # matches to _REBALANCED (Pythia recomputes the incoming momenta of an event whose
            # quark masses it set, by a fraction of a GeV), else none of them
            ok = py.next()
            while len(ahead) < min(_LOOK_AHEAD, total - done):
                ahead.append(next(lhe))
            if not ok:
                yield fail(ahead.popleft())
                continue
            pz_in = np.sort(_record(py.process, lambda q: q.status() == -21)[0][:, 3])
            gaps = [_incoming_gap(event, pz_in) for event in ahead]
            exact = [k for k, gap in enumerate(gaps) if gap <= 1e-7]
            showered = exact[0] if exact else (0 if gaps[0] <= _REBALANCED else None)
            if showered is None:
                yield fail(ahead.popleft())
                continue
            for _ in range(showered):
                yield fail(ahead.popleft())
            weight, pid, status, mom, colours = ahead.popleft()
            done += 1
            p, p_id = _record(py.event, lambda q: q.isFinal() and abs(q.id()) not in _NEUTRINOS)
            bar.update(1)
            yield ShoweredEvent(p, p_id, weight, mom[status == 1], pid[status == 1])
    finally:
        bar.close()
    if failed:
        named = "; ".join(f"event {k}: {why}" for k, why in failed[:_NAMED_FAILURES])
        more = f"; and {len(failed) - _NAMED_FAILURES} more" if len(failed) > _NAMED_FAILURES else ""
        warnings.warn(f"shower: Pythia could not shower {len(failed)} of {total} events of {lhe_path}; they have "
                      f"weight 0 and no particles ({named}{more})", RuntimeWarning, stacklevel=2)
