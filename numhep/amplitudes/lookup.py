"""Turning what a caller names into a :class:`~numhep.declarations.process.Process`.

Every entry point that takes a process (``numhep.process``, ``numhep.me``, integrands,
dipoles, groups) resolves it here: a Process is used as it is, a string with ``>`` is
compiled in the given model (MadGraph syntax, :mod:`numhep.amplitudes.compiled_process`),
any other string is looked up among the registered processes (an error lists close matches).
"""

from __future__ import annotations

from numhep.amplitudes.compiled_process import compile_process
from numhep.declarations.process import Process
from numhep.registry import model_registry, process_registry

__all__ = ["resolve", "resolve_model"]


def resolve(process, model="sm") -> Process:
    """The Process that ``process`` (a Process, a registered name or a process string) names."""
    if isinstance(process, Process):
        return process
    if isinstance(process, str):
        if ">" in process:
            return compile_process(process, model=model)
        return process_registry.get(process)
    raise TypeError(f"process: expected a name or a numhep.Process, got {type(process).__name__}")


def resolve_model(model="sm"):
    """The Model that ``model`` (a Model or a registered name) names."""
    return model_registry.get(model) if isinstance(model, str) else model
