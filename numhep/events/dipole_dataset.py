"""Training data for the dipole emulator: e+e- -> q q~ + 1, 2, 3 gluons (Maitre & Truong, arXiv:2107.06625, Sec. 2.3).

For each chunk of RAMBO points at sqrt(s) = 1000 GeV:

1. cluster the partons with FastJet's exclusive e+e- k_t (Durham) algorithm at
   d_cut = max(2 y_cut, 0.01) s and keep points that give at least n_jets - 1 jets: at most
   one pair of partons is unresolved (single-unresolved limits; double-unresolved
   configurations are left out, as in the emulator study);
2. keep points with y_ij = s_ij / s >= y_cut for every pair (the global cut);
3. compute numhep's ``|M|^2``, the recoil factors y_ij,k, z_i and dipoles D_ij,k of
   :func:`numhep.amplitudes.catani_seymour.relevant_dipoles`, and (sin 2phi, cos 2phi) for every gluon pair.

Everything goes to one HDF5 file (``momenta`` of the final-state partons, ``me``, ``y``,
``z``, ``dipoles``, ``azimuth``, ``split``), row r in the training, validation or test split
as r mod 6 is 0-3, 4 or 5 (4:1:1).  Chunk c uses the random stream (seed, c), and the file
records the rows and RAMBO points of every finished chunk, so an interrupted run resumes
where it stopped (or grows a finished file to more points) and gives the same file as one
uninterrupted run.  The matrix elements and
dipoles run in numba's parallel kernels over all cores. ::

    data = generate_dipole_dataset("ee_5j.h5", n_jets=5, n_points=100_000, y_cut=1e-3)
    train = data.split("train")            # dict of arrays
    sigma, error = data.cross_section()    # pb, from the RAMBO weights of every point tried
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numhep.amplitudes.catani_seymour import ALPHA_S, dipoles, relevant_dipoles, splitting_azimuths
from numhep.amplitudes.lookup import resolve
from numhep.amplitudes.matrix_element import me
from numhep.phasespace.flat import rambo_map
from numhep.units import GEV2_TO_PB

__all__ = ["DipoleDataset", "generate_dipole_dataset", "jet_selection", "pair_invariants", "SPLITS"]

#: the processes of the emulator study per number of jets
PROCESSES = {3: "ee_uug", 4: "ee_uugg", 5: "ee_uuggg"}
#: split -> residues of the row index mod 6 (train : validation : test = 4 : 1 : 1)
SPLITS = {"train": (0, 1, 2, 3), "validation": (4,), "test": (5,)}

_COLUMNS = ("momenta", "me", "y", "z", "dipoles", "azimuth")


def _fastjet():
    try:
        import fastjet
    except ImportError:
        raise ImportError(
            "the dipole data sets cluster jets with FastJet: pip install 'numhep[emulator]' (PyPI fastjet)"
        ) from None
    return fastjet


def d_cut_fraction(y_cut: float) -> float:
    """d_cut / s = max(2 y_cut, 0.01) (Maitre & Truong, arXiv:2107.06625, Sec. 2.3)."""
    return max(2.0 * y_cut, 0.01)


def pair_invariants(final):
    """The pair invariants ``y_ij = s_ij / s`` of final-state partons, and s.

    Parameters
    ----------
    final : array_like
        Shape (n, m, 4): the final-state partons' momenta in GeV, energy first.

    Returns
    -------
    y : ndarray
        Shape (n, m, m): ``y_ij = 2 p_i.p_j / s`` for every pair (zero on the diagonal for
        massless partons).
    s : ndarray
        Shape (n,): the squared invariant mass of all the partons, GeV^2.

    Examples
    --------
    >>> p, _ = numhep.rambo(2, 1000.0, [0.0] * 5, seed=1)
    >>> y, s = numhep.dipole_dataset.pair_invariants(p[:, 2:])
    >>> y.shape, np.round(s, 6).tolist(), bool(np.allclose(y.sum(axis=(1, 2)), 2.0))
    ((2, 3, 3), [1000000.0, 1000000.0], True)
    """
    final = np.asarray(final, dtype=np.float64)
    total = final.sum(axis=1)
    s = total[:, 0] ** 2 - (total[:, 1:] ** 2).sum(axis=1)
    sij = 2.0 * (final[:, :, None, 0] * final[:, None, :, 0] - (final[:, :, None, 1:] * final[:, None, :, 1:]).sum(-1))
    return sij / s[:, None, None], s


def jet_selection(final, y_cut: float):
    """Which points pass the emulator study's selection (Maitre & Truong, arXiv:2107.06625, Sec. 2.3).

    A point passes when ``y_ij = s_ij / s >= y_cut`` for every pair of partons (the global
    cut), and FastJet's exclusive e+e- k_t (Durham) algorithm at
    ``d_cut = max(2 y_cut, 0.01) s`` gives at least m - 1 jets from its m partons: at most
    one pair of partons is unresolved (single-unresolved limits).

    Parameters
    ----------
    final : array_like
        Shape (n, m, 4): the final-state partons' momenta in GeV, energy first, all at one
        centre-of-mass energy.
    y_cut : float
        The global cut on every y_ij.

    Returns
    -------
    ndarray of bool
        Shape (n,): the points that pass.

    Raises
    ------
    ValueError
        If the points do not share one centre-of-mass energy.
    ImportError
        If FastJet is not installed (``pip install 'numhep[emulator]'``).

    Examples
    --------
    >>> p, _ = numhep.rambo(5, 1000.0, [0.0] * 5, seed=1)
    >>> numhep.dipole_dataset.jet_selection(p[:, 2:], 1e-3).shape
    (5,)
    """
    import awkward as ak

    fastjet = _fastjet()
    final = np.asarray(final, dtype=np.float64)
    n, m = final.shape[:2]
    y, s = pair_invariants(final)
    iu = np.triu_indices(m, 1)
    ok = (y[:, iu[0], iu[1]] >= y_cut).all(axis=1)
    if not ok.any():
        return ok
    # one d_cut per call: the data sets use a fixed sqrt(s)
    s0 = float(np.median(s))
    if not np.allclose(s, s0, rtol=1e-9):
        raise ValueError("jet_selection: the points must share one centre-of-mass energy")
    events = ak.zip({"px": final[..., 1], "py": final[..., 2], "pz": final[..., 3], "E": final[..., 0]})
    sequence = fastjet.ClusterSequence(events, fastjet.JetDefinition0Param(fastjet.ee_kt_algorithm))
    with warnings.catch_warnings():
        # FastJet warns that dcut is for kt-like algorithms; e+e- k_t is one (d_ij = 2 min(E^2)(1 - cos))
        warnings.simplefilter("ignore", UserWarning)
        jets = ak.num(sequence.exclusive_jets(dcut=d_cut_fraction(y_cut) * s0)).to_numpy()
    return ok & (jets >= m - 1)


@dataclass
class DipoleDataset:
    """An HDF5 file written by :func:`generate_dipole_dataset`: the dipole emulator's training data.

    The file holds, per accepted point, the final-state partons' ``momenta``, numhep's
    ``|M|^2`` (``me``), the recoil factors ``y`` (y_ij,k), ``z`` (z_i), the dipoles
    D_ij,k (``dipoles``) of the rows of
    :func:`numhep.catani_seymour.relevant_dipoles`, the ``azimuth`` (sin 2phi, cos 2phi) of
    every gluon pair, and the ``split``: row r is in the training, validation or test split
    as r mod 6 is 0-3, 4 or 5 (4:1:1).

    Parameters
    ----------
    path : str or path-like
        The HDF5 file.

    Attributes
    ----------
    attrs : dict
        The file's attributes: the configuration (``n_jets``, ``y_cut``, ``sqrt_s``,
        ``seed``, ``chunk``, ``alpha_s``, ``process``) and the bookkeeping.
    table : ndarray of int64
        Shape (r, 4): the dipoles' rows (i, j, k, kind).
    gluon_pairs : ndarray of int64
        Shape (q, 2): the gluon pairs of ``azimuth``.
    rows : int
        The number of finished rows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> data = numhep.dipole_dataset.generate_dipole_dataset(d / "ee3j.h5", n_jets=3, n_points=300, chunk=2000,
    ...                                                       progress=False)
    >>> data = numhep.dipole_dataset.DipoleDataset(d / "ee3j.h5")
    >>> data.rows, data.n_jets, data.table.shape
    (300, 3, (2, 4))
    >>> train = data.split("train")
    >>> train["momenta"].shape, train["dipoles"].shape
    ((200, 3, 4), (200, 2))
    """

    path: Path

    def __post_init__(self):
        self.path = Path(self.path)
        import h5py

        with h5py.File(self.path, "r") as f:
            self.attrs = dict(f.attrs)
            self.table = np.asarray(f.attrs["table"]).reshape(-1, 4)
            self.gluon_pairs = np.asarray(f.attrs["gluon_pairs"]).reshape(-1, 2)
            self.rows = int(f.attrs["rows"])

    @property
    def n_jets(self) -> int:
        """The number of jets (partons) of the data set's process."""
        return int(self.attrs["n_jets"])

    @property
    def y_cut(self) -> float:
        """The global cut y_cut of the jet selection."""
        return float(self.attrs["y_cut"])

    def arrays(self, columns=_COLUMNS):
        """Every finished row of the given columns.

        Parameters
        ----------
        columns : sequence of str, optional
            Column names (default: ``momenta``, ``me``, ``y``, ``z``, ``dipoles``,
            ``azimuth``).

        Returns
        -------
        dict of str to ndarray
            Each column's finished rows.
        """
        import h5py

        with h5py.File(self.path, "r") as f:
            return {c: f[c][: self.rows] for c in columns}

    def split(self, name: str, columns=_COLUMNS):
        """The rows of split ``name``: rows r with r mod 6 in 0-3 (train), 4 (validation) or 5 (test).

        Parameters
        ----------
        name : {"train", "validation", "test"}
            The split.
        columns : sequence of str, optional
            Column names (default: every data column).

        Returns
        -------
        dict of str to ndarray
            Each column's rows of the split.

        Raises
        ------
        ValueError
            If ``name`` is not a split.
        """
        if name not in SPLITS:
            raise ValueError(f"split: one of {sorted(SPLITS)}, got {name!r}")
        data = self.arrays(columns)
        keep = np.isin(np.arange(self.rows) % 6, SPLITS[name])
        return {c: v[keep] for c, v in data.items()}

    def cross_section(self, me=None):
        """The cross section of the selection and its Monte Carlo error, in pb.

        The flux 1/(2s) times the mean over every RAMBO point tried of weight x ``|M|^2``
        (zero for rejected points).

        Parameters
        ----------
        me : array_like, optional
            Shape (rows,): values that replace numhep's ``|M|^2`` for the stored rows (e.g.
            an emulator's prediction on them); default: numhep's.

        Returns
        -------
        sigma : float
            The cross section in pb.
        error : float
            Its Monte Carlo error in pb.
        """
        values = self.arrays(("me",))["me"] if me is None else np.asarray(me, dtype=np.float64)
        tried = int(self.attrs["n_generated"])
        s = float(self.attrs["sqrt_s"]) ** 2
        f = values * float(self.attrs["rambo_weight"]) / (2.0 * s) * GEV2_TO_PB
        mean = f.sum() / tried
        var = (f**2).sum() / tried - mean**2
        return mean, float(np.sqrt(max(var, 0.0) / tried))


def generate_dipole_dataset(path, n_jets: int, n_points: int, y_cut: float = 1e-3, *, sqrt_s: float = 1000.0,
                            seed: int = 1, chunk: int = 50_000, alpha_s: float = ALPHA_S,
                            progress: bool = True) -> DipoleDataset:
    """Write (or resume) the dipole emulator's data set of ``n_points`` accepted points for e+e- -> n_jets jets.

    e+e- -> q q~ + 1, 2, 3 gluons (``ee_uug``, ``ee_uugg``, ``ee_uuggg``; Maitre & Truong,
    arXiv:2107.06625, Sec. 2.3).  For each chunk of RAMBO points: keep the points that pass
    :func:`jet_selection` (y_ij >= y_cut for every pair, and at least n_jets - 1 Durham jets
    at ``d_cut = max(2 y_cut, 0.01) s``: single-unresolved limits only), then compute
    numhep's ``|M|^2``, the recoil factors y_ij,k, z_i and Catani-Seymour dipoles D_ij,k
    (Catani & Seymour, arXiv:hep-ph/9605323) of
    :func:`numhep.catani_seymour.relevant_dipoles`, and (sin 2phi, cos 2phi) for every gluon
    pair.  Chunk c uses the random stream (seed, c), and the file records the rows and
    RAMBO points of every finished chunk, so an interrupted run resumes where it stopped (or
    grows a finished file to more points) and gives the same file as one uninterrupted run.

    Parameters
    ----------
    path : str or path-like
        The HDF5 file; an existing one of the same configuration is resumed or grown.
    n_jets : {3, 4, 5}
        The number of partons (q q~ + 1..3 gluons).
    n_points : int
        The number of accepted points the file holds when done.
    y_cut : float, optional
        The global cut on every y_ij, in (0, 1/3) (default 1e-3).
    sqrt_s : float, optional
        The collider energy in GeV (default 1000).
    seed : int, optional
        The seed of the chunks' random streams (default 1).
    chunk : int, optional
        RAMBO points per chunk (default 50000).
    alpha_s : float, optional
        alpha_s of the dipoles (default 0.118).
    progress : bool, optional
        Show a progress bar (tqdm); default True.

    Returns
    -------
    DipoleDataset
        The data set.

    Raises
    ------
    ValueError
        If ``n_jets``, ``y_cut``, ``n_points`` or ``chunk`` is out of range, or the file
        was written with another configuration.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> data = numhep.dipole_dataset.generate_dipole_dataset(d / "ee3j.h5", n_jets=3, n_points=300, chunk=2000,
    ...                                                       progress=False)
    >>> data.rows, sorted(data.arrays())
    (300, ['azimuth', 'dipoles', 'me', 'momenta', 'y', 'z'])
    >>> sigma, error = data.cross_section()
    >>> bool(sigma > 0 and error > 0)
    True
    """
    import h5py

    if n_jets not in PROCESSES:
        raise ValueError(f"n_jets: 3, 4 or 5 (e+e- -> q q~ + 1..3 g), got {n_jets}")
    if not 0.0 < y_cut < 1.0 / 3:
        raise ValueError(f"y_cut: expected 0 < y_cut < 1/3, got {y_cut}")
    if n_points <= 0 or chunk <= 0:
        raise ValueError("n_points and chunk must be positive")
    process = resolve(PROCESSES[n_jets])
    table, pairs = relevant_dipoles(process.legs[2:])
    config = dict(n_jets=n_jets, y_cut=float(y_cut), sqrt_s=float(sqrt_s), seed=int(seed), chunk=int(chunk),
                  alpha_s=float(alpha_s), process=process.name)
    path = Path(path)
    mode = "r+" if path.exists() else "w"
    with h5py.File(path, mode) as f:
        if mode == "w":
            _create(f, config, table, pairs, n_jets)
        else:
            _check_config(f, config, path)
        rows, done, tried = int(f.attrs["rows"]), int(f.attrs["chunks_done"]), int(f.attrs["n_generated"])
        used = int(f.attrs["chunk_used"])  # RAMBO points of chunk `done` already consumed
        for name in _COLUMNS + ("split",):
            f[name].resize(rows, axis=0)  # drop a chunk that was cut off mid-write
        bar = _progress(progress, n_points, rows, f"e+e- -> {n_jets} jets, y_cut {y_cut:g}")
        masses = list(process.masses)
        while rows < n_points:
            r = 1.0 - np.random.default_rng([seed, done]).random((chunk, n_jets, 4))
            p, weight = rambo_map(r, sqrt_s, masses)
            keep = np.flatnonzero(jet_selection(p[:, 2:], y_cut))
            keep = keep[keep >= used]
            need = n_points - rows
            if keep.size > need:
                # stop at the last point used, so the cross section counts exactly the points
                # tried, and a longer run later continues inside this chunk
                stop = int(keep[need - 1]) + 1
                tried += stop - used
                keep, used = keep[:need], stop
            else:
                tried += chunk - used
                done, used = done + 1, 0
            block = _columns(p[keep], process, table, pairs, alpha_s)
            new = rows + keep.size
            for name, values in block.items():
                f[name].resize(new, axis=0)
                f[name][rows:new] = values
            f["split"].resize(new, axis=0)
            f["split"][rows:new] = (np.arange(rows, new) % 6).astype(np.int8)
            if keep.size and "rambo_weight" not in f.attrs:
                f.attrs["rambo_weight"] = float(weight[0])  # massless RAMBO: one weight for all
            rows = new
            f.attrs["rows"], f.attrs["chunks_done"], f.attrs["n_generated"] = rows, done, tried
            f.attrs["chunk_used"] = used
            f.flush()
            if bar is not None:
                bar.update(keep.size)
        if bar is not None:
            bar.close()
    return DipoleDataset(path)


def _columns(p, process, table, pairs, alpha_s):
    final = np.ascontiguousarray(p[:, 2:])
    y, z, d = dipoles(final, table, alpha_s)
    return dict(momenta=final, me=me(p, process=process), y=y, z=z, dipoles=d,
                azimuth=splitting_azimuths(final, pairs))


def _create(f, config, table, pairs, n_jets):
    r, q = len(table), len(pairs)
    shapes = dict(momenta=(n_jets, 4), me=(), y=(r,), z=(r,), dipoles=(r,), azimuth=(q, 2))
    for name, shape in shapes.items():
        f.create_dataset(name, shape=(0,) + shape, maxshape=(None,) + shape, dtype="f8", chunks=True)
    f.create_dataset("split", shape=(0,), maxshape=(None,), dtype="i1", chunks=True)
    for key, value in config.items():
        f.attrs[key] = value
    f.attrs["table"] = table.reshape(-1)
    f.attrs["gluon_pairs"] = pairs.reshape(-1)
    f.attrs["d_cut_over_s"] = d_cut_fraction(config["y_cut"])
    f.attrs["rows"], f.attrs["chunks_done"], f.attrs["n_generated"], f.attrs["chunk_used"] = 0, 0, 0, 0


def _check_config(f, config, path):
    for key, value in config.items():
        if key not in f.attrs or f.attrs[key] != value:
            raise ValueError(
                f"{path}: written with {key}={f.attrs.get(key)!r}, asked for {value!r}; "
                "use another file to change the set-up"
            )


def _progress(enabled, total, initial, desc):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="pt")
