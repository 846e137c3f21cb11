"""The Z + jets data set of generative surrogates: p p > mu+ mu- + 1, 2, 3 jets at 13 TeV, made by
numhep and showered by Pythia 8 (T. Heimel, The Flow of LHC Events, PhD thesis, Heidelberg
2024, Sec. 4.1; Butter, Heimel, Hummerich, Krebs, Plehn, Rousselot, Vent, arXiv:2110.13632).

Chain: for each jet multiplicity k numhep integrates and unweights p p > mu+ mu- + k jets at
leading order with generator cuts (:data:`GENERATOR_CUTS`), Pythia 8 adds initial- and
final-state showers and hadronisation (:func:`numhep.events.shower`), and every event is
reconstructed by :func:`reconstruct`: the hardest mu+ and mu-, anti-k_t R = 0.4 jets of the
other visible particles with p_T > 20 GeV, Delta R_jj > 0.4, up to three jets by p_T.

Unlike the thesis's Sherpa sample this one is not merged (no CKKW): the three LO samples are
mixed by their cross sections (sample k gets a share sigma_k / sum sigma of the hard events, so
that every event carries the same weight), each event keeps the jets it has after the shower,
and the multiplicity mix of the file is whatever the fiducial cross sections make it (stated in
the file's attributes).  Jets beyond the hard ones come from the shower alone, and the same
final state can come from two samples (double counting that merging would remove).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from numhep.events.collider_coordinates import delta_r, four_momenta, pt_eta_phi_m
from numhep.events.generation import generate
from numhep.events.jets import anti_kt_jets
from numhep.events.showering import shower
from numhep.integration.cross_section import integrate
from numhep.storage import atomic_write

__all__ = ["GENERATOR_CUTS", "ZJetsEvents", "generate_zjets_dataset", "reconstruct"]

#: the hard processes per jet multiplicity
PROCESSES = {1: "p p > mu+ mu- j", 2: "p p > mu+ mu- j j", 3: "p p > mu+ mu- j j j"}
#: generator cuts of the LO samples (numhep.integrand's names)
GENERATOR_CUTS = {"ptj": 20.0, "etaj": 5.0, "drjj": 0.4, "mmll": 60.0, "mmllmax": 120.0}
#: the particles of an event record: two muons by p_T, then up to three jets by p_T
PARTICLES = ("mu1", "mu2", "j1", "j2", "j3")
PT_MIN = 20.0
R_MIN = 0.4
_MUON_MASS = 0.1056583755
#: photons this close to a muon are its QED radiation: kept out of the jets (thesis Sec. 4.1)
_DRESSING_CONE = 0.1


def reconstruct(event, *, radius: float = 0.4, pt_min: float = PT_MIN, r_min: float = R_MIN):
    """The Z + jets record of one showered event: two muons and up to three jets.

    The muons are the hardest final-state mu+ and mu-; photons within Delta R < 0.1 of either
    are taken as their radiation.  The other visible particles are clustered with anti-k_t
    (``radius``), jets with p_T > ``pt_min`` are kept, the three hardest at most, and the
    event is rejected if two kept jets are closer than ``r_min`` (thesis Eq. 4.2) or none is
    left.

    Parameters
    ----------
    event : ShoweredEvent
        A showered event (:func:`numhep.events.shower`).
    radius : float, optional
        The jet radius (default 0.4).
    pt_min : float, optional
        The smallest jet p_T in GeV (default 20).
    r_min : float, optional
        The smallest Delta R between jets (default 0.4).

    Returns
    -------
    tuple or None
        ((5, 4) float64 (p_T, eta, phi, m) of mu1, mu2, j1, j2, j3 with zeros for missing jets,
        the number of jets), or None for a rejected event.

    Examples
    --------
    >>> from numhep.events.zjets_dataset import reconstruct
    >>> from numhep.events.showering import ShoweredEvent
    >>> from numhep.events.collider_coordinates import four_momenta
    >>> q = np.array([[40.0, 0.1, 0.0, 0.10566], [30.0, -0.5, 2.0, 0.10566], [50.0, 1.0, -2.0, 0.0]])
    >>> ev = ShoweredEvent(four_momenta(q), np.array([13, -13, 211]), 1.0, np.zeros((0, 4)), np.zeros(0, int))
    >>> record, n_jets = reconstruct(ev)
    >>> n_jets, record[:, 0].round(6).tolist()
    (1, [40.0, 30.0, 50.0, 0.0, 0.0])
    """
    if event.weight == 0 or len(event.momenta) == 0:
        return None
    q = pt_eta_phi_m(event.momenta)
    pid = np.asarray(event.pid)
    muons = []
    for charge in (13, -13):
        idx = np.flatnonzero(pid == charge)
        if len(idx) == 0:
            return None
        muons.append(idx[np.argmax(q[idx, 0])])
    rest = np.ones(len(pid), dtype=bool)
    rest[muons] = False
    photons = np.flatnonzero(pid == 22)
    if len(photons):
        near = (delta_r(q[photons, None], q[None, muons]) < _DRESSING_CONE).any(axis=1)
        rest[photons[near]] = False
    jets = anti_kt_jets(event.momenta[rest], radius=radius, pt_min=pt_min)[:3]
    if len(jets) == 0:
        return None
    qj = pt_eta_phi_m(jets)
    if len(qj) > 1:
        iu = np.triu_indices(len(qj), 1)
        if (delta_r(qj[iu[0]], qj[iu[1]]) <= r_min).any():
            return None
    record = np.zeros((5, 4))
    mu = q[muons]
    record[:2] = mu[np.argsort(-mu[:, 0])]
    record[:2, 3] = _MUON_MASS
    record[2:2 + len(qj)] = qj
    return record, len(qj)


@dataclass
class ZJetsEvents:
    """Z + jets events as (p_T, eta, phi, m) records: the layout of the data set's HDF5 files and
    of a generative surrogate's output.

    Parameters
    ----------
    particles : numpy.ndarray
        (n, 5, 4) float64 (p_T, eta, phi, m) of mu1, mu2 (by p_T), j1, j2, j3 (by p_T), zeros
        for missing jets.
    n_jets : numpy.ndarray
        (n,) int, 1 to 3.
    weight : numpy.ndarray, optional
        (n,) event weights (default ones).
    attrs : dict, optional
        The file's attributes (how the events were made).

    Examples
    --------
    >>> from numhep.events.zjets_dataset import ZJetsEvents
    >>> ev = ZJetsEvents(np.zeros((2, 5, 4)), np.array([1, 2]))
    >>> len(ev), ev.weight.tolist(), len(ev.select(2))
    (2, [1.0, 1.0], 1)
    """

    particles: np.ndarray
    n_jets: np.ndarray
    weight: np.ndarray | None = None
    attrs: dict = field(default_factory=dict)

    def __post_init__(self):
        self.particles = np.asarray(self.particles, dtype=np.float64)
        self.n_jets = np.asarray(self.n_jets, dtype=np.int64)
        n = len(self.n_jets)
        if self.particles.shape != (n, 5, 4):
            raise ValueError(f"ZJetsEvents: particles must have shape ({n}, 5, 4), got {self.particles.shape}")
        if n and not ((self.n_jets >= 1) & (self.n_jets <= 3)).all():
            raise ValueError("ZJetsEvents: n_jets must be 1, 2 or 3")
        self.weight = np.ones(n) if self.weight is None else np.asarray(self.weight, dtype=np.float64)
        if self.weight.shape != (n,):
            raise ValueError(f"ZJetsEvents: weight must have shape ({n},), got {self.weight.shape}")

    def __len__(self) -> int:
        return len(self.n_jets)

    def select(self, mask):
        """The events where ``mask`` holds, or those with ``mask`` jets if it is an int.

        Parameters
        ----------
        mask : int or array_like of bool
            A jet multiplicity, or a boolean mask over the events.

        Returns
        -------
        ZJetsEvents
            The selected events (same attributes).

        Examples
        --------
        >>> from numhep.events.zjets_dataset import ZJetsEvents
        >>> ev = ZJetsEvents(np.zeros((3, 5, 4)), np.array([1, 2, 2]))
        >>> len(ev.select(2)), len(ev.select(np.array([True, False, False])))
        (2, 1)
        """
        if isinstance(mask, (int, np.integer)):
            mask = self.n_jets == mask
        mask = np.asarray(mask)
        return ZJetsEvents(self.particles[mask], self.n_jets[mask], self.weight[mask], dict(self.attrs))

    def momenta(self):
        """Four-momenta (E, px, py, pz) of the particles, zeros for missing jets.

        Returns
        -------
        numpy.ndarray
            (n, 5, 4) float64.

        Examples
        --------
        >>> from numhep.events.zjets_dataset import ZJetsEvents
        >>> ev = ZJetsEvents(np.array([[[3.0, 0, 0, 4.0]] * 5]), np.array([3]))
        >>> ev.momenta()[0, 0].tolist()
        [5.0, 3.0, 0.0, 0.0]
        """
        p = four_momenta(self.particles)
        p[:, 2:][np.arange(3)[None, :] >= self.n_jets[:, None]] = 0.0
        return p

    def observables(self):
        """The observables of the thesis's histograms, NaN where an event lacks the particle.

        p_T and eta of every particle (``pt_mu1`` ... ``eta_j3``), the dimuon mass ``m_mumu``,
        jet masses ``m_j1`` ..., ``dr_j1j2``, ``dr_j1j3``, ``dr_j2j3`` and the scalar sum of jet
        p_T ``ht``.

        Returns
        -------
        dict of str to numpy.ndarray
            (n,) arrays.

        Examples
        --------
        >>> from numhep.events.zjets_dataset import ZJetsEvents
        >>> q = np.zeros((1, 5, 4)); q[0, :3] = [[40, 0, 0, 0.1], [40, 0, np.pi, 0.1], [30, 1, 1, 5]]
        >>> obs = ZJetsEvents(q, np.array([1])).observables()
        >>> round(float(obs["m_mumu"][0]), 3), bool(np.isnan(obs["pt_j2"][0]))
        (80.0, True)
        """
        q, n = self.particles, self.n_jets
        obs = {}
        for i, name in enumerate(PARTICLES):
            present = np.ones(len(n), bool) if i < 2 else n >= i - 1
            obs[f"pt_{name}"] = np.where(present, q[:, i, 0], np.nan)
            obs[f"eta_{name}"] = np.where(present, q[:, i, 1], np.nan)
            if i >= 2:
                obs[f"m_{name}"] = np.where(present, q[:, i, 3], np.nan)
        p = four_momenta(q[:, :2])
        pz = p.sum(axis=1)
        obs["m_mumu"] = np.sqrt(np.maximum(pz[:, 0] ** 2 - (pz[:, 1:] ** 2).sum(-1), 0.0))
        for a, b in ((1, 2), (1, 3), (2, 3)):
            obs[f"dr_j{a}j{b}"] = np.where(n >= b, delta_r(q[:, 1 + a], q[:, 1 + b]), np.nan)
        obs["ht"] = (q[:, 2:, 0] * (np.arange(3)[None, :] < n[:, None])).sum(axis=1)
        return obs

    def save(self, path):
        """Write the events to an HDF5 file (``particles``, ``n_jets``, ``weight`` and the
        attributes), atomically.

        Parameters
        ----------
        path : str or path-like
            The HDF5 file.

        Returns
        -------
        pathlib.Path
            ``path``.

        Examples
        --------
        >>> from numhep.events.zjets_dataset import ZJetsEvents
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "z.h5"
        >>> _ = ZJetsEvents(np.zeros((2, 5, 4)), np.array([1, 3]), attrs={"seed": 1}).save(path)
        >>> back = ZJetsEvents.load(path)
        >>> back.n_jets.tolist(), back.attrs["seed"]
        ([1, 3], 1)
        """
        h5py = _h5py()
        path = Path(path)
        with atomic_write(path) as tmp, h5py.File(tmp, "w") as f:
            f["particles"] = self.particles
            f["n_jets"] = self.n_jets
            f["weight"] = self.weight
            f.attrs["particles"] = ", ".join(PARTICLES)
            f.attrs["columns"] = "pt, eta, phi, m"
            for key, value in self.attrs.items():
                f.attrs[key] = json.dumps(value) if isinstance(value, (dict, list, tuple)) else value
        return path

    @classmethod
    def load(cls, path):
        """Read events written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            The HDF5 file.

        Returns
        -------
        ZJetsEvents
            The events and the file's attributes.

        Examples
        --------
        >>> from numhep.events.zjets_dataset import ZJetsEvents
        >>> import tempfile, pathlib
        >>> path = ZJetsEvents(np.zeros((1, 5, 4)), np.array([2])).save(pathlib.Path(tempfile.mkdtemp()) / "a.h5")
        >>> ZJetsEvents.load(path).n_jets.tolist()
        [2]
        """
        h5py = _h5py()
        with h5py.File(path, "r") as f:
            attrs = {}
            for key, value in f.attrs.items():
                if key in ("particles", "columns"):
                    continue
                if isinstance(value, str) and value[:1] in "[{":
                    value = json.loads(value)
                attrs[key] = value.item() if isinstance(value, np.generic) else value
            return cls(f["particles"][:], f["n_jets"][:], f["weight"][:], attrs)

    @classmethod
    def concatenate(cls, parts):
        """One event set of several (the first one's attributes).

        Parameters
        ----------
        parts : sequence of ZJetsEvents
            The sets.

        Returns
        -------
        ZJetsEvents
            All events in order.

        Examples
        --------
        >>> from numhep.events.zjets_dataset import ZJetsEvents
        >>> a = ZJetsEvents(np.zeros((1, 5, 4)), np.array([1]))
        >>> len(ZJetsEvents.concatenate([a, a]))
        2
        """
        parts = list(parts)
        return cls(np.concatenate([p.particles for p in parts]), np.concatenate([p.n_jets for p in parts]),
                   np.concatenate([p.weight for p in parts]), dict(parts[0].attrs) if parts else {})


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Z + jets files are HDF5: pip install h5py") from None
    return h5py


def generate_zjets_dataset(directory, n_events: int, *, seed: int = 1, test_fraction: float = 0.5,
                           multiplicities=(1, 2, 3), sqrt_s: float = 13000.0, cuts=None, shower_options=None,
                           integration=None, generation=None, progress: bool = True):
    """Write the Z + jets training and test sets (``train.h5``, ``test.h5``) into ``directory``.

    1. sigma_k of p p > mu+ mu- + k jets (k in ``multiplicities``) with VEGAS
       (:func:`numhep.integrate`, generator cuts :data:`GENERATOR_CUTS`, fixed scale M_Z).
    2. n_k = round(n_events sigma_k / sum sigma) unweighted LO events of sample k
       (:func:`numhep.generate`, ``z<k>j.lhe``; resumable).
    3. Pythia 8 showers and hadronises every sample (:func:`numhep.events.shower`, ISR, FSR,
       hadronisation, no MPI unless ``shower_options`` says so) and :func:`reconstruct` makes
       the muon and jet records (cached per sample in ``z<k>j.records.npz``).
    4. All records are shuffled and split into training and test sets.

    Every event of the mix has the same weight, sum sigma / sum n_k: there is no merging (see
    the module's description), and the multiplicity mix of the result is stated in the files'
    attributes (``jet_counts``, ``fiducial_sigma_pb``).  The files are a function of the
    arguments; a killed run continues where it stopped.

    Parameters
    ----------
    directory : str or path-like
        Where the LHE files, caches and the two HDF5 files go (created if missing).
    n_events : int
        The number of hard (LHE) events over all samples; the sets hold those that pass the
        reconstruction.
    seed : int, optional
        Seed of integration, generation (sample k: seed + k), shower and split (default 1).
    test_fraction : float, optional
        The test set's share (default 0.5, as in the thesis).
    multiplicities : sequence of int, optional
        The hard jet multiplicities to mix (default (1, 2, 3)).
    sqrt_s : float, optional
        The collider energy in GeV (default 13000).
    cuts : dict, optional
        Generator cuts (default :data:`GENERATOR_CUTS`).
    shower_options : dict, optional
        Options of :func:`numhep.events.shower` (isr, fsr, hadronisation, mpi).
    integration : dict, optional
        Options of :func:`numhep.integrate` for step 1 (default 20000 points, 6 iterations).
    generation : dict, optional
        Options of :func:`numhep.generate` for step 2 (VEGAS and pilot sizes).
    progress : bool, optional
        Show progress bars (default True).

    Returns
    -------
    tuple of pathlib.Path
        The training and test files.

    Raises
    ------
    ValueError
        If ``n_events`` is not positive, ``test_fraction`` not in (0, 1), a multiplicity is not
        1, 2 or 3, or ``directory`` holds a data set made with other settings.

    Examples
    --------
    >>> from numhep.events.zjets_dataset import ZJetsEvents, generate_zjets_dataset
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> quick = dict(n_points=2000, n_iterations=3, n_warmup=1)
    >>> train, test = generate_zjets_dataset(d, 30, multiplicities=(1,), integration=quick, progress=False,
    ...     generation=dict(quick, pilot_points=2000, batch_size=2000))
    >>> events = ZJetsEvents.load(train)
    >>> bool(0 < len(events) <= 15), events.attrs["merging"][:4]
    (True, 'none')
    """
    if not (isinstance(n_events, (int, np.integer)) and n_events > 0):
        raise ValueError(f"generate_zjets_dataset: n_events must be a positive whole number, got {n_events!r}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"generate_zjets_dataset: test_fraction must lie in (0, 1), got {test_fraction}")
    multiplicities = tuple(int(k) for k in multiplicities)
    if not multiplicities or not set(multiplicities) <= set(PROCESSES):
        raise ValueError(f"generate_zjets_dataset: multiplicities must be among 1, 2, 3, got {multiplicities}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cuts = dict(GENERATOR_CUTS if cuts is None else cuts)
    options = {"cuts": cuts, "scale": 91.188}
    integration = {"n_points": 20_000, "n_iterations": 6, "n_warmup": 2, **(integration or {})}
    generation = dict(generation or {})
    shower_options = {"isr": True, "fsr": True, "hadronisation": True, "mpi": False, **(shower_options or {})}

    mix_file = directory / "mix.json"
    settings = {"n_events": int(n_events), "seed": int(seed), "multiplicities": list(multiplicities),
                "sqrt_s": sqrt_s, "cuts": cuts, "integration": integration}
    mix = json.loads(mix_file.read_text()) if mix_file.exists() else None
    if mix is not None and mix["settings"] != settings:
        differ = sorted(k for k in settings if mix["settings"].get(k) != settings[k])
        raise ValueError(f"generate_zjets_dataset: {directory} holds a data set of other settings "
                         f"({', '.join(differ)}); use another directory")
    if mix is None:
        sigma = {str(k): float(integrate(PROCESSES[k], sqrt_s, seed=seed, progress=progress, **integration,
                                         **options).mean) for k in multiplicities}
        total = sum(sigma.values())
        mix = {"settings": settings, "sigma_pb": sigma,
               "n_hard": {k: max(1, round(n_events * s / total)) for k, s in sigma.items()}}
        with atomic_write(mix_file) as tmp:
            tmp.write_text(json.dumps(mix))

    parts, accepted = [], {}
    for k in multiplicities:
        lhe = directory / f"z{k}j.lhe"
        records_file = directory / f"z{k}j.records.npz"
        key = json.dumps([mix["n_hard"][str(k)], shower_options, seed])
        cached = np.load(records_file) if records_file.exists() else None
        if cached is not None and str(cached["key"]) == key:
            q, n_jets = cached["particles"], cached["n_jets"]
        else:
            generate(PROCESSES[k], sqrt_s, n_events=mix["n_hard"][str(k)], lhe=lhe, seed=seed + k,
                     progress=progress, **generation, **options)
            rows = [reconstruct(ev) for ev in shower(lhe, seed=seed + k, progress=progress, **shower_options)]
            rows = [r for r in rows if r is not None]
            q = np.array([r[0] for r in rows]).reshape(-1, 5, 4)
            n_jets = np.array([r[1] for r in rows], dtype=np.int64)
            with atomic_write(records_file) as tmp:
                np.savez(tmp, particles=q, n_jets=n_jets, key=key)
        accepted[str(k)] = len(n_jets)
        parts.append(ZJetsEvents(q, n_jets))

    events = ZJetsEvents.concatenate(parts)
    rng = np.random.default_rng([seed, 30])
    order = rng.permutation(len(events))
    n_hard = sum(mix["n_hard"][str(k)] for k in multiplicities)
    sigma_total = sum(mix["sigma_pb"][str(k)] for k in multiplicities)
    weight = sigma_total / n_hard
    events = ZJetsEvents(events.particles[order], events.n_jets[order], np.full(len(events), weight))
    counts = {str(j): int((events.n_jets == j).sum()) for j in (1, 2, 3)}
    attrs = {
        "process": "p p > mu+ mu- + jets",
        "sqrt_s": sqrt_s,
        "merging": "none: LO samples p p > mu+ mu- + k jets mixed by their cross sections, no CKKW",
        "sigma_pb": mix["sigma_pb"],
        "n_hard": mix["n_hard"],
        "accepted": accepted,
        "jet_counts": counts,
        "fiducial_sigma_pb": {j: weight * c for j, c in counts.items()},
        "generator_cuts": cuts,
        "shower": shower_options,
        "jets": f"anti-kt R=0.4, pT > {PT_MIN} GeV, dR_jj > {R_MIN}, up to 3 by pT",
        "seed": int(seed),
    }
    n_test = int(round(test_fraction * len(events)))
    test = events.select(np.arange(len(events)) < n_test)
    train = events.select(np.arange(len(events)) >= n_test)
    train.attrs, test.attrs = {**attrs, "split": "train"}, {**attrs, "split": "test"}
    return train.save(directory / "train.h5"), test.save(directory / "test.h5")
