"""Finding and reading LHAPDF6 sets: ``.info`` metadata and ``lhagrid1`` member files.

Where sets are looked up, in order:
  1. every folder of ``LHAPDF_DATA_PATH`` (then ``LHAPDF_PATH``), as standard LHAPDF
     set folders ``<name>/<name>.info`` + ``<name>/<name>_0000.dat`` ...;
  2. the grids shipped with Pythia 8 (PyPI ``pythia8mc``), flat ``<name>_0000.dat``
     files in its ``share/Pythia8/pdfdata`` folder, found from the distribution's
     file list (honouring ``PYTHIA8DATA``), with no configuration by the user.
"""

from __future__ import annotations

import importlib.metadata
import os
import sysconfig
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

#: flavour codes -> column of the numhep grid table (pid 0 is read as the gluon)
_PID_SLOTS = {**{p: p + 6 for p in range(-6, 7) if p != 0}, 21: 6, 0: 6, 22: 13}
N_PID_SLOTS = 14


class PDFNotFoundError(LookupError):
    """A PDF set name that none of the search locations holds, or a member it lacks.

    The message lists the folders searched (:func:`search_paths`) and close matches among
    :func:`available_sets`.  A subclass of LookupError.

    Examples
    --------
    >>> from numhep.pdfsets import PDFNotFoundError
    >>> try:
    ...     numhep.pdf("NNPDF31_lo_as_0118_nonexistent")
    ... except PDFNotFoundError as exc:
    ...     print("not found" in str(exc))
    True
    """


def _pythia_pdfdata() -> Path | None:
    env = os.environ.get("PYTHIA8DATA")
    if env and (Path(env).parent / "pdfdata").is_dir():
        return Path(env).parent / "pdfdata"
    try:
        dist = importlib.metadata.distribution("pythia8mc")
        for f in dist.files or ():
            if "/pdfdata/" in str(f).replace("\\", "/"):
                path = Path(dist.locate_file(f)).resolve().parent
                if path.is_dir():
                    return path
    except importlib.metadata.PackageNotFoundError:
        pass
    fallback = Path(sysconfig.get_path("data")) / "share" / "Pythia8" / "pdfdata"
    return fallback if fallback.is_dir() else None


def search_paths() -> list[Path]:
    """The folders searched for PDF sets, in order.

    Returns
    -------
    list of pathlib.Path
        Every folder of ``LHAPDF_DATA_PATH``, then of ``LHAPDF_PATH``, then Pythia 8's
        ``pdfdata`` folder where ``pythia8mc`` is installed (or ``PYTHIA8DATA`` points).
    """
    paths = []
    for var in ("LHAPDF_DATA_PATH", "LHAPDF_PATH"):
        for part in os.environ.get(var, "").split(os.pathsep):
            if part:
                paths.append(Path(part))
    pythia = _pythia_pdfdata()
    if pythia is not None:
        paths.append(pythia)
    return paths


def available_sets() -> list[str]:
    """The names of every PDF set found in the search folders.

    A set is a folder ``<name>/<name>.info`` (LHAPDF's layout) or a flat
    ``<name>_0000.dat`` file (Pythia 8's) in a folder of :func:`search_paths`.

    Returns
    -------
    list of str
        Sorted set names, each once.

    Examples
    --------
    >>> from numhep.pdfsets import available_sets
    >>> "NNPDF31_lo_as_0118" in available_sets()
    True
    """
    names = set()
    for base in search_paths():
        if not base.is_dir():
            continue
        for entry in base.iterdir():
            if entry.is_dir() and (entry / f"{entry.name}.info").exists():
                names.add(entry.name)
            elif entry.name.endswith("_0000.dat"):
                names.add(entry.name[: -len("_0000.dat")])
    return sorted(names)


@dataclass
class SetFiles:
    """Where the files of one PDF set lie.

    Parameters
    ----------
    name : str
        The set's name.
    info : pathlib.Path or None
        Its ``.info`` file (None for Pythia 8's flat grids, which have none).
    folder : pathlib.Path
        The folder holding its member files ``<name>_<member:04d>.dat``.
    """

    name: str
    info: Path | None
    folder: Path

    def member(self, index: int) -> Path:
        """The file of member ``index``.

        Parameters
        ----------
        index : int
            Member number (0 is the central member).

        Returns
        -------
        pathlib.Path
            ``<folder>/<name>_<index:04d>.dat``.

        Raises
        ------
        PDFNotFoundError
            If the set has no such member.
        """
        path = self.folder / f"{self.name}_{index:04d}.dat"
        if not path.exists():
            raise PDFNotFoundError(f"PDF set {self.name!r} has no member {index} ({path} is missing)")
        return path


def locate(name: str) -> SetFiles:
    """Find the files of a PDF set.

    Parameters
    ----------
    name : str
        The set's name.

    Returns
    -------
    SetFiles
        Its ``.info`` file (if any) and member folder, from the first folder of
        :func:`search_paths` that holds it.

    Raises
    ------
    PDFNotFoundError
        If no search folder holds the set; the message lists the folders and close names.
    """
    for base in search_paths():
        folder = base / name
        if (folder / f"{name}.info").exists():
            return SetFiles(name, folder / f"{name}.info", folder)
        if (base / f"{name}_0000.dat").exists():
            return SetFiles(name, None, base)
    import difflib

    close = difflib.get_close_matches(name, available_sets(), n=5, cutoff=0.5)
    hint = f" Close matches: {', '.join(close)}." if close else ""
    where = ", ".join(str(p) for p in search_paths()) or "(no folders: set LHAPDF_DATA_PATH)"
    raise PDFNotFoundError(f"PDF set {name!r} not found in {where}.{hint} Sets of your own: put their folders "
                           "in a directory named by LHAPDF_DATA_PATH.")


def _parse_value(text: str):
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [_parse_value(v) for v in inner.split(",")] if inner else []
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def read_metadata(text: str) -> dict:
    """Parse LHAPDF's flat YAML metadata.

    Parameters
    ----------
    text : str
        ``key: value`` lines (``#`` comments, ``[a, b]`` lists, quoted strings).

    Returns
    -------
    dict
        Values as int, float, str or lists of them.

    Examples
    --------
    >>> from numhep.pdfsets.lhapdf_grid import read_metadata
    >>> read_metadata("Flavors: [21, 1, 2]  # partons")
    {'Flavors': [21, 1, 2]}
    >>> read_metadata("AlphaS_MZ: 0.118")
    {'AlphaS_MZ': 0.118}
    """
    meta = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].rstrip()
        if ":" not in line or line.startswith(" "):
            continue
        key, _, value = line.partition(":")
        meta[key.strip()] = _parse_value(value)
    return meta


@dataclass
class Grid:
    """One member's grid as the arrays the interpolation kernel takes.

    Subgrids (one per block of Q knots in the file) are padded to a common size.

    Parameters
    ----------
    xs, logxs : numpy.ndarray, shape ``(nsub, nx)``
        x knots per subgrid and their logarithms (padding: inf).
    q2s, logq2s : numpy.ndarray, shape ``(nsub, nq)``
        Q^2 knots in GeV^2 per subgrid and their logarithms (padding: inf).
    shape : numpy.ndarray of int64, shape ``(nsub, 2)``
        Number of x and Q^2 knots of each subgrid.
    xf : numpy.ndarray, shape ``(nsub, nx, nq, flavours)``
        x f(x, Q^2) at the knots.
    dxf : numpy.ndarray, shape ``(nsub, nx, nq, flavours)``
        Knot derivatives d xf/d ln x (central inside, one-sided at the ends).
    bounds : numpy.ndarray, shape ``(6,)``
        (x_min, second x knot, x_max, Q^2_min, second-to-last Q^2 knot, Q^2_max).
    pid_column : numpy.ndarray of int64, shape ``(14,)``
        Column of ``xf`` of each flavour slot (:func:`pid_slots`), -1 where absent.
    pids : tuple of int
        PDG codes of the columns, as in the file.
    metadata : dict, optional
        The member file's header.
    """

    xs: np.ndarray
    logxs: np.ndarray
    q2s: np.ndarray
    logq2s: np.ndarray
    shape: np.ndarray
    xf: np.ndarray
    dxf: np.ndarray
    bounds: np.ndarray
    pid_column: np.ndarray  # N_PID_SLOTS entries: column of xf, or -1
    pids: tuple
    metadata: dict = field(default_factory=dict)
    _table: np.ndarray | None = None

    def kernel_arrays(self):
        """The arguments the interpolation kernel takes: the flat grid table.

        Returns
        -------
        tuple of numpy.ndarray
            One float64 array (built once and kept) in the layout of
            :mod:`numhep.kernels.pdf_interpolation`.
        """
        if self._table is None:
            nsub, nxm, nqm, nfl = self.xf.shape
            blocks = [
                np.array([nsub, nxm, nqm, nfl], dtype=float), self.bounds,
                self.xs.ravel(), self.logxs.ravel(), self.q2s.ravel(), self.logq2s.ravel(),
                self.shape[:, 0].astype(float), self.shape[:, 1].astype(float),
                self.xf.ravel(), self.dxf.ravel(),
            ]
            self._table = np.ascontiguousarray(np.concatenate(blocks))
        return (self._table,)


def _d_dlogx(logx: np.ndarray, xf: np.ndarray) -> np.ndarray:
    """LHAPDF's knot derivatives d xf/d ln x: central inside, one-sided at the ends."""
    d = np.empty_like(xf)
    slope = (xf[1:] - xf[:-1]) / (logx[1:] - logx[:-1])[:, None, None]
    d[1:-1] = (slope[:-1] + slope[1:]) / 2.0
    d[0] = slope[0]
    d[-1] = slope[-1]
    return d


@lru_cache(maxsize=16)
def read_grid(path: str) -> Grid:
    """Read an ``lhagrid1`` member file (cached: the last 16 files read are kept).

    Parameters
    ----------
    path : str
        The member file.

    Returns
    -------
    Grid
        The member's grid.

    Raises
    ------
    ValueError
        If the file is not in the ``lhagrid1`` format, a subgrid is malformed or has fewer
        than 4 Q knots or 2 x knots, or subgrids list different flavours.
    """
    text = Path(path).read_text()
    blocks = text.split("\n---")
    meta = read_metadata(blocks[0])
    fmt = meta.get("Format", "lhagrid1")
    if fmt != "lhagrid1":
        raise ValueError(f"{path}: unsupported grid format {fmt!r} (numhep reads lhagrid1)")
    subgrids = []
    for block in blocks[1:]:
        lines = [ln for ln in block.strip().splitlines() if ln.strip()]
        if len(lines) < 3:
            continue
        xs = np.array(lines[0].split(), dtype=float)
        qs = np.array(lines[1].split(), dtype=float)
        pids = tuple(int(v) for v in lines[2].split())
        values = np.array(" ".join(lines[3:]).split(), dtype=float)
        if values.size != xs.size * qs.size * len(pids):
            raise ValueError(f"{path}: subgrid of {xs.size}x{qs.size}x{len(pids)} has {values.size} values")
        if qs.size < 4 or xs.size < 2:
            raise ValueError(f"{path}: a subgrid with {qs.size} Q knots; log-bicubic needs at least 4")
        subgrids.append((xs, qs * qs, pids, values.reshape(xs.size, qs.size, len(pids))))
    if not subgrids:
        raise ValueError(f"{path}: no grid blocks found")
    pids = subgrids[0][2]
    if any(s[2] != pids for s in subgrids):
        raise ValueError(f"{path}: subgrids list different flavours")
    nsub = len(subgrids)
    nxmax = max(s[0].size for s in subgrids)
    nqmax = max(s[1].size for s in subgrids)
    xs = np.full((nsub, nxmax), np.inf)
    q2s = np.full((nsub, nqmax), np.inf)
    xf = np.zeros((nsub, nxmax, nqmax, len(pids)))
    dxf = np.zeros_like(xf)
    shape = np.zeros((nsub, 2), dtype=np.int64)
    for k, (x, q2, _, v) in enumerate(subgrids):
        xs[k, : x.size] = x
        q2s[k, : q2.size] = q2
        xf[k, : x.size, : q2.size] = v
        dxf[k, : x.size, : q2.size] = _d_dlogx(np.log(x), v)
        shape[k] = (x.size, q2.size)
    with np.errstate(divide="ignore"):
        logxs, logq2s = np.log(xs), np.log(q2s)
    all_x = np.unique(np.concatenate([s[0] for s in subgrids]))
    all_q2 = np.unique(np.concatenate([s[1] for s in subgrids]))
    bounds = np.array([all_x[0], all_x[1], all_x[-1], all_q2[0], all_q2[-2], all_q2[-1]])
    column = np.full(N_PID_SLOTS, -1, dtype=np.int64)
    for c, pid in enumerate(pids):
        if pid in _PID_SLOTS:
            column[_PID_SLOTS[pid]] = c
    if 21 in pids:
        column[_PID_SLOTS[0]] = pids.index(21)
    return Grid(xs, logxs, q2s, logq2s, shape, xf, dxf, bounds, column, pids, meta)


def pid_slots(pid: np.ndarray) -> np.ndarray:
    """Map PDG codes to slot indices of :attr:`Grid.pid_column`.

    Parameters
    ----------
    pid : array_like of int
        PDG codes (quarks -6..6, 0 or 21 for the gluon, 22 for the photon).

    Returns
    -------
    numpy.ndarray of int64
        The slot of each code, -1 for codes a grid cannot hold.

    Examples
    --------
    >>> from numhep.pdfsets.lhapdf_grid import pid_slots
    >>> pid_slots([21, 0, 1, -1, 22, 23]).tolist()
    [6, 6, 7, 5, 13, -1]
    """
    lut = np.full(45, -1, dtype=np.int64)
    for p, slot in _PID_SLOTS.items():
        lut[p + 22] = slot
    pid = np.asarray(pid, dtype=np.int64)
    ok = (pid >= -22) & (pid <= 22)
    return np.where(ok, lut[np.clip(pid, -22, 22) + 22], -1)
