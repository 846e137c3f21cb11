"""What numhep keeps on disk, and how: the cache directory, atomic writes, RNG states.

* :func:`cache_dir` is ``$NUMHEP_CACHE_DIR`` or ``~/.cache/numhep``; compiled kernel
  launchers (``launchers/``) and amplitude programs (``processes/``) live below it.
* :func:`atomic_write` writes a file through a temporary sibling and ``os.replace``: a
  process killed mid-write leaves the previous file intact, which is what makes every
  checkpoint in numhep (VEGAS, event generation, training) resumable.
* :func:`rng_state` and :func:`restore_rng` store a numpy Generator's state as text inside
  a checkpoint and bring it back, so a resumed run draws the numbers the uninterrupted
  run would have drawn.
"""

from __future__ import annotations

import ast
import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = ["atomic_write", "cache_dir", "restore_rng", "rng_state", "save_arrays"]


def cache_dir(*parts: str, create: bool = False) -> Path:
    """``$NUMHEP_CACHE_DIR`` (default ``~/.cache/numhep``) joined with ``parts``."""
    base = os.environ.get("NUMHEP_CACHE_DIR")
    path = (Path(base) if base else Path.home() / ".cache" / "numhep").joinpath(*parts)
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def atomic_write(path):
    """Yield a temporary path next to ``path``; on success it replaces ``path`` at once.

    The temporary name keeps ``path``'s suffix (``np.savez`` and ``torch.save`` look at it)
    and carries the process id, so two processes never write the same temporary file."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_arrays(path, **arrays) -> None:
    """``np.savez(path, **arrays)`` atomically (the name is used as given, no ``.npz`` added)."""
    with atomic_write(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def rng_state(rng: np.random.Generator) -> str:
    """The state of ``rng`` as text, for a checkpoint."""
    return repr(rng.bit_generator.state)


def restore_rng(rng: np.random.Generator, text) -> np.random.Generator:
    """Set ``rng`` to a state written by :func:`rng_state`; returns ``rng``."""
    rng.bit_generator.state = ast.literal_eval(str(text))
    return rng
