"""Compiled amplitude programs on disk, so that a process is prepared once per machine.

Programs live in ``processes/`` under numhep's cache directory (:func:`numhep.storage.cache_dir`),
one ``.npz`` per process, keyed by a hash of the compiler's sources, the instruction set and
the tape interpreter, the model's particles and vertices, and the process text: a change to
any of them gives a new key instead of a stale program.  Each file carries a hash of its
arrays, checked on load.  Writes are atomic; a file that cannot be read, or whose content
does not match its hash, is reported with a warning naming it and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np

from numhep.amplitudes.compiler import program as _program
from numhep.storage import cache_dir, save_arrays

__all__ = ["key", "load", "load_derived", "save", "save_derived"]

_ARRAYS = ("ops", "helicities", "colour", "diag_ptr", "diag_jamp", "diag_coef")


def _sources():
    here = Path(__file__).resolve().parent
    kernels = here.parent / "kernels"
    return sorted((here / "compiler").glob("*.py")) + [here / "compiled_process.py", Path(__file__).resolve(),
                                                       kernels / "isa.py", kernels / "amplitude_tape.py"]


def key(model, text: str) -> str:
    """The cache key of process ``text`` in ``model``."""
    h = hashlib.sha256()
    for path in _sources():
        h.update(path.read_bytes())
    h.update(repr(sorted((p.pdg, p.name, p.spin, p.colour, p.mass, p.width) for p in model.particles.values())).encode())
    h.update(repr([(v.particles, v.lorentz, v.colour, v.orders, v.name) for v in model.vertices]).encode())
    h.update(model.name.encode())
    h.update(" ".join(text.split()).encode())
    return h.hexdigest()[:24]


def _content_hash(arrays: dict, meta: dict) -> str:
    h = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
    for name in _ARRAYS:
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode() + str(a.dtype).encode() + repr(a.shape).encode() + a.tobytes())
    return h.hexdigest()


def save(key: str, program, n_diagrams: int, n_colour: int) -> None:
    """Store a compiled program (a read-only cache directory only costs the preparation next time)."""
    meta = {
        "coupling_rows": [[vi, list(perm) if perm is not None else None] for vi, perm in program.coupling_rows],
        "mass_rows": [list(r) for r in program.mass_rows],
        "n_slots": program.n_slots,
        "norm": program.norm,
        "n_diagrams": n_diagrams,
        "n_colour": n_colour,
    }
    arrays = {a: getattr(program, a) for a in _ARRAYS}
    meta["hash"] = _content_hash(arrays, meta)
    try:
        save_arrays(cache_dir("processes", create=True) / f"{key}.npz", meta=json.dumps(meta), **arrays)
    except OSError:
        pass


def load(key: str):
    """(program, n_diagrams, n_colour) stored under ``key``, or None."""
    path = cache_dir("processes") / f"{key}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {a: np.ascontiguousarray(data[a]) for a in _ARRAYS}
        stored = meta.pop("hash", None)
        if stored != _content_hash(arrays, meta):
            raise ValueError("its content does not match its hash")
        program = _program.Program(
            coupling_rows=[(vi, tuple(perm) if perm is not None else None) for vi, perm in meta["coupling_rows"]],
            mass_rows=[tuple(r) for r in meta["mass_rows"]],
            n_slots=meta["n_slots"],
            norm=meta["norm"],
            **arrays,
        )
        return program, meta["n_diagrams"], meta["n_colour"]
    except Exception as exc:  # noqa: BLE001 - whatever broke the file, the program is rebuilt
        warnings.warn(f"numhep: the cached amplitude program {path} is damaged ({type(exc).__name__}: {exc}); "
                      "it is compiled again", RuntimeWarning, stacklevel=3)
        return None


def _array_hash(a: np.ndarray) -> str:
    return hashlib.sha256(str(a.dtype).encode() + repr(a.shape).encode() + a.tobytes()).hexdigest()


def save_derived(key: str, name: str, array) -> None:
    """Store an array derived from the program under ``key`` (the colour-flow projections of
    gg > tt~ggg take a minute to build), beside it and invalidated with it."""
    a = np.ascontiguousarray(array)
    try:
        save_arrays(cache_dir("processes", create=True) / f"{key}.{name}.npz", value=a, hash=_array_hash(a))
    except OSError:
        pass


def load_derived(key: str, name: str):
    """The array :func:`save_derived` stored under ``key`` and ``name``, or None (a damaged file
    is reported with a warning and rebuilt by the caller)."""
    path = cache_dir("processes") / f"{key}.{name}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            a = np.ascontiguousarray(data["value"])
            stored = str(data["hash"])
        if stored != _array_hash(a):
            raise ValueError("its content does not match its hash")
        return a
    except Exception as exc:  # noqa: BLE001 - whatever broke the file, the array is rebuilt
        warnings.warn(f"numhep: the cached {name} array {path} is damaged ({type(exc).__name__}: {exc}); "
                      "it is built again", RuntimeWarning, stacklevel=3)
        return None
