"""Turning what a caller names into a :class:`~numhep.declarations.process.Process` or a
:class:`~numhep.declarations.model.Model`, and registering new ones for a session.

Every entry point that takes a process (``numhep.process``, ``numhep.me``, integrands,
dipoles, groups) resolves it here: a Process is used as it is, a string with ``>`` is
compiled in the given model (MadGraph syntax, :mod:`numhep.amplitudes.compiled_process`),
any other string is looked up among the registered processes (an error lists close matches).
"""

from __future__ import annotations

from numhep.amplitudes.compiled_process import compile_process
from numhep.declarations.process import Process
from numhep.registry import model_registry, process_registry

__all__ = ["model", "models", "process", "processes", "register_model", "register_process", "resolve",
           "resolve_model"]


def process(name, model="sm") -> Process:
    """The process that ``name`` (a Process, a registered name or a process string) names.

    ``numhep.process("gg_tt")`` looks up the registry (an error lists close matches);
    ``numhep.process("e+ e- > z h")`` (anything with ``>``) compiles the process in
    ``model`` (see :mod:`numhep.amplitudes.compiled_process`); a Process is returned as it is.
    """
    if isinstance(name, Process):
        return name
    if isinstance(name, str):
        if ">" in name:
            return compile_process(name, model=model)
        return process_registry.get(name)
    raise TypeError(f"process: expected a name or a numhep.Process, got {type(name).__name__}")


def model(name="sm"):
    """The model that ``name`` (a registered name, default the Standard Model as MadGraph's
    ``sm``, or a Model) names."""
    return model_registry.get(name) if isinstance(name, str) else name


#: the names the package's own callers use for :func:`process` and :func:`model`
resolve, resolve_model = process, model


def processes() -> list[str]:
    """Names of every registered process, plugins included."""
    return process_registry.names()


def models() -> list[str]:
    """Names of every registered model."""
    return model_registry.names()


def register_process(proc: Process, name: str | None = None, *, replace: bool = False) -> Process:
    """Register a process for this session (notebooks); plugins use entry points."""
    return process_registry.register(proc, name, replace=replace)


def register_model(mdl, name: str | None = None, *, replace: bool = False):
    """Register a model for this session."""
    return model_registry.register(mdl, name, replace=replace)
