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
    """numhep's cache directory, or a path below it.

    Parameters
    ----------
    *parts : str
        Path components below the cache directory.
    create : bool, optional
        Create the directory (and its parents) if missing (default False).

    Returns
    -------
    pathlib.Path
        ``$NUMHEP_CACHE_DIR`` (default ``~/.cache/numhep``) joined with ``parts``.

    Examples
    --------
    >>> from numhep.storage import cache_dir
    >>> cache_dir("launchers").name
    'launchers'
    """
    base = os.environ.get("NUMHEP_CACHE_DIR")
    path = (Path(base) if base else Path.home() / ".cache" / "numhep").joinpath(*parts)
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def atomic_write(path):
    """Write a file atomically: yield a temporary path that replaces ``path`` on success.

    The temporary name keeps ``path``'s suffix (``np.savez`` and ``torch.save`` look at it)
    and carries the process id, so two processes never write the same temporary file.  A
    process killed mid-write leaves the previous file intact; on an exception the temporary
    file is removed and ``path`` is untouched.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write.

    Yields
    ------
    pathlib.Path
        The temporary path to write to.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from numhep.storage import atomic_write
    >>> with tempfile.TemporaryDirectory() as d:
    ...     target = pathlib.Path(d) / "note.txt"
    ...     with atomic_write(target) as tmp:
    ...         _ = tmp.write_text("done")
    ...     print(target.read_text())
    done
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_arrays(path, **arrays) -> None:
    """Save arrays with ``np.savez`` atomically (:func:`atomic_write`).

    Parameters
    ----------
    path : str or pathlib.Path
        The file; the name is used as given (no ``.npz`` is added).
    **arrays : array_like
        The arrays, by name.

    Returns
    -------
    None
    """
    with atomic_write(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def rng_state(rng: np.random.Generator) -> str:
    """The state of a numpy Generator as text, for a checkpoint.

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator.

    Returns
    -------
    str
        Its bit generator's state; :func:`restore_rng` brings it back.

    Examples
    --------
    >>> from numhep.storage import restore_rng, rng_state
    >>> rng = np.random.default_rng(7)
    >>> saved = rng_state(rng)
    >>> first = rng.random()
    >>> restore_rng(np.random.default_rng(), saved).random() == first
    True
    """
    return repr(rng.bit_generator.state)


def restore_rng(rng: np.random.Generator, text) -> np.random.Generator:
    """Set a numpy Generator to a state written by :func:`rng_state`.

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator to set (its bit generator must be of the saved kind).
    text : str
        The state, from :func:`rng_state`.

    Returns
    -------
    numpy.random.Generator
        ``rng``, which now draws the numbers the saved one would have drawn.
    """
    rng.bit_generator.state = ast.literal_eval(str(text))
    return rng
