"""Training data for the dipole emulator: e+e- -> q q~ + 1, 2, 3 gluons (Maitre & Truong, arXiv:2107.06625, Sec. 2.3).

For each chunk of RAMBO points at sqrt(s) = 1000 GeV:

1. cluster the partons with FastJet's exclusive e+e- k_t (Durham) algorithm at
   d_cut = max(2 y_cut, 0.01) s and keep points that give at least n_jets - 1 jets: at most
   one pair of partons is unresolved (single-unresolved limits; double-unresolved
   configurations are left out, as in the emulator study);
2. keep points with y_ij = s_ij / s >= y_cut for every pair (the global cut);
3. compute numhep's |M|^2, the recoil factors y_ij,k, z_i and dipoles D_ij,k of
   :func:`numhep.amplitudes.catani_seymour.relevant_dipoles`, and (sin 2phi, cos 2phi) for every gluon pair.

Everything goes to one HDF5 file (``momenta`` of the final-state partons, ``me``, ``y``,
``z``, ``dipoles``, ``azimuth``, ``split``), row r in the training, validation or test split
as r mod 6 is 0-3, 4 or 5 (4:1:1).  Chunk c uses the random stream (seed, c), and the file
records the rows and RAMBO points of every finished chunk, so an interrupted run resumes
where it stopped (or grows a finished file to more points) and gives the same file as one
uninterrupted run.  The matrix elements and
dipoles run in numba's parallel kernels over all cores.

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
    """(y, s): y_ij = s_ij / s (n, m, m) for every pair of final-state partons (n, m, 4), and
    s (n,) the squared invariant mass of them all."""
    final = np.asarray(final, dtype=np.float64)
    total = final.sum(axis=1)
    s = total[:, 0] ** 2 - (total[:, 1:] ** 2).sum(axis=1)
    sij = 2.0 * (final[:, :, None, 0] * final[:, None, :, 0] - (final[:, :, None, 1:] * final[:, None, :, 1:]).sum(-1))
    return sij / s[:, None, None], s


def jet_selection(final, y_cut: float):
    """Boolean mask of points (n, partons, 4) that pass the selection of the module docstring."""
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
    """An HDF5 file written by :func:`generate_dipole_dataset`."""

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
        return int(self.attrs["n_jets"])

    @property
    def y_cut(self) -> float:
        return float(self.attrs["y_cut"])

    def arrays(self, columns=_COLUMNS):
        """Every finished row of the given columns."""
        import h5py

        with h5py.File(self.path, "r") as f:
            return {c: f[c][: self.rows] for c in columns}

    def split(self, name: str, columns=_COLUMNS):
        """The rows of split ``name`` ("train", "validation" or "test")."""
        if name not in SPLITS:
            raise ValueError(f"split: one of {sorted(SPLITS)}, got {name!r}")
        data = self.arrays(columns)
        keep = np.isin(np.arange(self.rows) % 6, SPLITS[name])
        return {c: v[keep] for c, v in data.items()}

    def cross_section(self, me=None):
        """(sigma, MC error) in pb: flux 1/(2s) times the mean over every RAMBO point tried of
        weight x |M|^2 (zero for rejected points).  ``me`` replaces numhep's |M|^2 for the
        stored rows (e.g. an emulator's prediction on them)."""
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
    """Write (or resume) the data set of ``n_points`` accepted points for e+e- -> n_jets jets."""
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
