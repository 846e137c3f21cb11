"""Checkpoints of a training loop: its whole state in one file, written atomically, read
back only by a training of the same settings (an error names those that differ).

A checkpoint is never unpickled as code: it is read with ``torch.load(weights_only=True)``,
which rebuilds tensors, containers and plain numbers only.  numpy arrays and scalars in a
state (moments, masks, scales) are stored as tensors under a marker key and come back as
numpy; a file holding anything else is refused by torch's loader instead of being executed.
"""

from __future__ import annotations

import numpy as np
import torch

from numhep.storage import atomic_write

__all__ = ["load_state", "load_training_state", "save_state", "save_training_state"]

_NUMPY = "__numpy_array__"


def _encode(obj):
    if isinstance(obj, np.ndarray):
        return {_NUMPY: torch.from_numpy(np.array(obj, order="C"))}  # a copy, 0-d kept 0-d
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_encode(v) for v in obj)
    return obj


def _decode(obj):
    if isinstance(obj, dict):
        if len(obj) == 1 and _NUMPY in obj:
            return obj[_NUMPY].numpy()
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_decode(v) for v in obj)
    return obj


def save_state(path, state: dict) -> None:
    """Write ``state`` (tensors, numpy arrays, numbers, strings and containers of them) to
    ``path`` atomically: an interrupted write leaves the previous file whole."""
    with atomic_write(path) as tmp:
        torch.save(_encode(state), tmp)


def load_state(path, map_location=None) -> dict:
    """The state written by :func:`save_state`, its tensors on ``map_location``."""
    return _decode(torch.load(path, weights_only=True, map_location=map_location))


def save_training_state(path, settings: dict, **state) -> None:
    """Write ``state`` (modules' and optimisers' state dicts, generators' states, counters,
    histories) with the ``settings`` it belongs to, atomically."""
    save_state(path, {"settings": settings, **state})


def load_training_state(path, settings: dict, map_location=None) -> dict:
    """The state written by :func:`save_training_state` at ``path``; an error naming the
    settings that differ if it belongs to another training."""
    state = load_state(path, map_location)
    saved = state.pop("settings")
    if saved != settings:
        differ = sorted(k for k in set(settings) | set(saved) if saved.get(k) != settings.get(k))
        raise ValueError(f"{path}: a checkpoint of a training with other settings ({', '.join(differ)}); "
                         "continue with the same settings, or remove it")
    return state
