"""Checkpoints of a training loop: its whole state in one file, written atomically, read
back only by a training of the same settings (an error names those that differ)."""

from __future__ import annotations

import torch

from numhep.storage import atomic_write

__all__ = ["load_training_state", "save_training_state"]


def save_training_state(path, settings: dict, **state) -> None:
    """Write ``state`` (modules' and optimisers' state dicts, generators' states, counters,
    histories) with the ``settings`` it belongs to, atomically."""
    with atomic_write(path) as tmp:
        torch.save({"settings": settings, **state}, tmp)


def load_training_state(path, settings: dict) -> dict:
    """The state written by :func:`save_training_state` at ``path``; an error naming the
    settings that differ if it belongs to another training."""
    state = torch.load(path, weights_only=False)
    saved = state.pop("settings")
    if saved != settings:
        differ = sorted(k for k in set(settings) | set(saved) if saved.get(k) != settings.get(k))
        raise ValueError(f"{path}: a checkpoint of a training with other settings ({', '.join(differ)}); "
                         "continue with the same settings, or remove it")
    return state
