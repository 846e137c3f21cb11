"""Event files written as events come: Les Houches (LHE 3.0) text and HDF5.

Both writers append batch by batch and can reopen a file cut short by a killed job:
:meth:`LHEWriter.reopen` and :meth:`HDF5Writer.reopen` keep a given number of events
and drop the rest (a partly written trailing event included).  The LHE file gets its closing tag in
:meth:`LHEWriter.close`; pylhe and Pythia 8 read the result.  (pylhe's writer builds a
whole file from an event list at once, which cannot resume, hence this streaming writer.)

HDF5 layout, for ML training sets: ``momenta`` (n, legs, 4) lab frame, ``weight`` (n,)
the unweighted event weight (pb), ``raw_weight`` (n,) the integrand weight before
unweighting, ``subprocess`` (n,) index into the ``subprocesses`` attribute, ``channel``
(n,) the diagram channel whose map turned ``u`` into the momenta (index into the
``channels`` attribute; -1 for the flat RAMBO-on-diet map), ``pdg`` (n, legs), ``u``
(n, dim) the phase-space map's input numbers, ``x`` (n, 2) momentum fractions.
"""

from __future__ import annotations

import os
from pathlib import Path


__all__ = ["HDF5Writer", "LHEWriter", "count_lhe_events"]

_END = "</LesHouchesEvents>"


def count_lhe_events(path) -> int:
    """Complete ``<event>`` blocks in an LHE file."""
    with open(path) as fh:
        return sum(line.strip() == "</event>" for line in fh)


class LHEWriter:
    def __init__(self, path, *, beams, energies, pdf_id: int, sigma: float, error: float,
                 max_weight: float, header: str = ""):
        self.path = Path(path)
        with open(self.path, "w") as fh:
            fh.write('<LesHouchesEvents version="3.0">\n<header>\n')
            fh.write(header.rstrip() + "\n</header>\n<init>\n")
            fh.write(f" {beams[0]} {beams[1]} {energies[0]:.10e} {energies[1]:.10e} 0 0 {pdf_id} {pdf_id} 3 1\n")
            fh.write(f" {sigma:.10e} {error:.10e} {max_weight:.10e} 1\n</init>\n")
        self._fh = open(self.path, "a")

    @classmethod
    def reopen(cls, path, keep: int) -> "LHEWriter":
        """Reopen for appending after the first ``keep`` complete events (dropping the rest
        and any partly written event)."""
        path = Path(path)
        text = path.read_text()
        cut = text.find("</init>")
        if cut < 0:
            raise ValueError(f"{path}: not an LHE file written by numhep (no <init> block)")
        cut += len("</init>")
        for _ in range(keep):
            cut = text.index("</event>", cut) + len("</event>")
        with open(path, "r+") as fh:
            fh.truncate(len(text[:cut].encode()))
            fh.seek(0, os.SEEK_END)
            fh.write("\n")
        self = cls.__new__(cls)
        self.path = path
        self._fh = open(path, "a")
        return self

    def write(self, momenta, masses, pdgs, colours, weight, scale, alpha_qed, alpha_s):
        """Append events: momenta (n, legs, 4), masses (legs,), pdgs (n, legs), colours (n, legs, 2)."""
        lines = []
        n, legs = pdgs.shape
        for e in range(n):
            lines.append("<event>")
            lines.append(f" {legs} 1 {weight[e]:.10e} {scale[e]:.10e} {alpha_qed:.10e} {alpha_s[e]:.10e}")
            for k in range(legs):
                status, mothers = (-1, "0 0") if k < 2 else (1, "1 2")
                p = momenta[e, k]
                lines.append(
                    f" {pdgs[e, k]} {status} {mothers} {colours[e, k, 0]} {colours[e, k, 1]} "
                    f"{p[1]:.12e} {p[2]:.12e} {p[3]:.12e} {p[0]:.12e} {masses[k]:.10e} 0 9"
                )
            lines.append("</event>")
        self._fh.write("\n".join(lines) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self, finished: bool = True):
        if finished:
            self._fh.write(_END + "\n")
        self._fh.close()


class HDF5Writer:
    def __init__(self, path, legs: int, dim: int, attrs: dict | None = None):
        import h5py

        self.path = Path(path)
        with h5py.File(self.path, "w") as f:
            for name, shape, dtype in self._layout(legs, dim):
                f.create_dataset(name, shape=(0, *shape), maxshape=(None, *shape), dtype=dtype,
                                 chunks=(1024, *shape))
            for key, val in (attrs or {}).items():
                f.attrs[key] = val

    @staticmethod
    def _layout(legs, dim):
        return [
            ("momenta", (legs, 4), "f8"), ("weight", (), "f8"), ("raw_weight", (), "f8"),
            ("subprocess", (), "i4"), ("channel", (), "i4"), ("pdg", (legs,), "i4"), ("u", (dim,), "f8"), ("x", (2,), "f8"),
        ]

    @classmethod
    def reopen(cls, path, keep: int) -> "HDF5Writer":
        import h5py

        with h5py.File(path, "a") as f:
            for name in f:
                f[name].resize(min(keep, f[name].shape[0]), axis=0)
        self = cls.__new__(cls)
        self.path = Path(path)
        return self

    @staticmethod
    def count(path) -> int:
        """Events in an HDF5 event file: those every column holds (a write interrupted between
        columns leaves some longer)."""
        import h5py

        with h5py.File(path, "r") as f:
            return min(int(f[name].shape[0]) for name in f)

    def write(self, **columns):
        import h5py

        with h5py.File(self.path, "a") as f:
            n0 = f["weight"].shape[0]
            m = len(columns["weight"])
            for name, values in columns.items():
                ds = f[name]
                ds.resize(n0 + m, axis=0)
                ds[n0:] = values
            f.flush()
