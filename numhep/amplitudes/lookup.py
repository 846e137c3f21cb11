"""Turning what a caller names into a :class:`~numhep.declarations.process.Process` or a
:class:`~numhep.declarations.model.Model`, and registering new ones for a session.

Every entry point that takes a process (``numhep.process``, ``numhep.me``, integrands,
dipoles, groups) resolves it here: a Process is used as it is, a string with ``>`` is
compiled in the given model (MadGraph syntax, :mod:`numhep.amplitudes.compiled_process`),
any other string is looked up among the registered processes (an error lists close matches).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from numhep.amplitudes.compiled_process import compile_process
from numhep.declarations.process import Process
from numhep.declarations.ufo import is_ufo_folder, load_ufo
from numhep.registry import model_registry, process_registry

__all__ = ["model", "models", "process", "processes", "register_model", "register_process", "resolve",
           "resolve_model"]


def process(name, model="sm") -> Process:
    """The process that ``name`` (a Process, a registered name or a process string) names.

    ``numhep.process("gg_tt")`` looks up the registry (an error lists close matches);
    ``numhep.process("e+ e- > z h")`` (anything with ``>``) compiles the process in
    ``model`` (MadGraph syntax, see :func:`numhep.amplitudes.compile_process`; compiled
    processes are cached per interpreter); a Process is returned as it is.

    Parameters
    ----------
    name : str or Process
        A registered process name (``"gg_tt"``, plugins included), a process string in
        MadGraph syntax (anything containing ``>``, e.g. ``"g g > t t~"``), or a
        :class:`numhep.Process`, which is returned unchanged.
    model : str or Model, optional
        The model a process string is compiled in: a registered model name (default
        ``"sm"``, MadGraph's Standard Model) or a :class:`numhep.Model`.  Ignored for
        registered names and Process objects.

    Returns
    -------
    Process
        The process; a :class:`~numhep.amplitudes.CompiledProcess` for a process string.

    Raises
    ------
    numhep.registry.UnknownNameError
        If ``name`` is neither registered nor provided by a plugin (the message lists close
        matches).
    numhep.amplitudes.ProcessSyntaxError
        If a process string cannot be read or has no tree-level diagrams in ``model``.
    TypeError
        If ``name`` is neither a string nor a Process.

    See Also
    --------
    processes : the registered names.
    numhep.me : evaluate ``|M|^2`` of any of them.

    Examples
    --------
    >>> proc = numhep.process("gg_tt")
    >>> proc.legs, proc.masses
    ((21, 21, 6, -6), (0.0, 0.0, 173.0, 173.0))
    >>> numhep.process("e+ e- > mu+ mu-").description
    'e+ e- > mu+ mu- (2 diagrams, 1 colour basis elements)'
    """
    if isinstance(name, Process):
        return name
    if isinstance(name, str):
        if ">" in name:
            ufo = isinstance(model, (str, os.PathLike)) and is_ufo_folder(model)
            return compile_process(name, model=resolve_model(model) if ufo else model)
        return process_registry.get(name)
    raise TypeError(f"process: expected a name or a numhep.Process, got {type(name).__name__}")


def model(name="sm", restrict="default"):
    """The model that ``name`` (a registered name, a UFO folder or a Model) names.

    Parameters
    ----------
    name : str, os.PathLike or Model, optional
        A registered model name (default ``"sm"``, the Standard Model as MadGraph's ``sm``;
        see :func:`models`), the path of a UFO folder (read by :func:`numhep.plugin.load_ufo`,
        once per interpreter and again when a file in it changes), or a
        :class:`numhep.Model`, which is returned unchanged.
    restrict : str, os.PathLike or None, optional
        For a UFO folder: ``"default"`` applies its ``restrict_default.dat`` when it has one,
        as MadGraph's ``import model`` does; a file name applies that restriction card;
        ``None`` reads the full model.

    Returns
    -------
    Model
        The model.

    Raises
    ------
    numhep.registry.UnknownNameError
        If ``name`` is a string that is neither registered nor provided by a plugin nor a
        UFO folder (the message lists close matches).
    numhep.plugin.UFOError
        If the UFO folder cannot be read (the message names the file and the item).
    ValueError
        If ``restrict`` is given for a model that is not a UFO folder.

    Examples
    --------
    >>> sm = numhep.model("sm")
    >>> sm.name, sm.inputs["MZ"]
    ('sm', 91.188)
    """
    if isinstance(name, (str, os.PathLike)) and is_ufo_folder(name):
        folder = Path(name).resolve()
        stamp = tuple(sorted((f.name, f.stat().st_mtime_ns) for f in folder.iterdir() if f.is_file()))
        return _read_ufo(str(folder), None if restrict is None else str(restrict), stamp)
    if restrict != "default":
        raise ValueError(f"restrict={restrict!r}: restrictions apply to UFO folders, and {name!r} is not one")
    return model_registry.get(name) if isinstance(name, str) else name


@functools.lru_cache(maxsize=32)
def _read_ufo(folder: str, restrict, stamp):
    # one Model object per folder state: compiled processes are cached per model object
    return load_ufo(folder, restrict=restrict)


#: the names the package's own callers use for :func:`process` and :func:`model`
resolve, resolve_model = process, model


def processes() -> list[str]:
    """Names of every registered process, plugins included.

    Returns
    -------
    list of str
        The sorted names :func:`process` accepts: numhep's own processes, those of installed
        plugins (entry-point group ``numhep.processes``) and those registered in this session
        with :func:`register_process`.

    Examples
    --------
    >>> "gg_tt" in numhep.processes()
    True
    """
    return process_registry.names()


def models() -> list[str]:
    """Names of every registered model, plugins included.

    Returns
    -------
    list of str
        The sorted names :func:`model` accepts (entry-point group ``numhep.models`` and
        :func:`register_model`).

    Examples
    --------
    >>> "sm" in numhep.models()
    True
    """
    return model_registry.names()


def register_process(proc: Process, name: str | None = None, *, replace: bool = False) -> Process:
    """Register a process for this session (notebooks); plugins use entry points.

    After registration the name works wherever a process is taken (:func:`process`,
    :func:`numhep.me`, :func:`numhep.integrand`, ...).  Packages make their processes known
    permanently through the entry-point group ``numhep.processes`` instead.

    Parameters
    ----------
    proc : Process
        The process to register.
    name : str, optional
        The name to register it under; default ``proc.name``.
    replace : bool, optional
        Whether to replace a process already registered under ``name`` (default False).

    Returns
    -------
    Process
        ``proc``, as registered.

    Raises
    ------
    ValueError
        If ``name`` is already registered and ``replace`` is False, or if no name is given
        and ``proc`` has none.
    TypeError
        If ``proc`` is not a :class:`numhep.Process`.

    Examples
    --------
    >>> proc = numhep.process("e+ e- > mu+ mu-")
    >>> numhep.register_process(proc, "my_ee_mumu", replace=True) is proc
    True
    >>> numhep.process("my_ee_mumu") is proc
    True
    """
    return process_registry.register(proc, name, replace=replace)


def register_model(mdl, name: str | None = None, *, replace: bool = False):
    """Register a model for this session; plugins use entry points.

    After registration the name works wherever a model is taken (:func:`model`,
    :func:`process`, ``model=`` of :func:`numhep.integrand`, ...).  Packages make their
    models known permanently through the entry-point group ``numhep.models`` instead.

    Parameters
    ----------
    mdl : Model
        The model to register.
    name : str, optional
        The name to register it under; default ``mdl.name``.
    replace : bool, optional
        Whether to replace a model already registered under ``name`` (default False).

    Returns
    -------
    Model
        ``mdl``, as registered.

    Raises
    ------
    ValueError
        If ``name`` is already registered and ``replace`` is False, or if no name is given
        and ``mdl`` has none.
    TypeError
        If ``mdl`` is not a :class:`numhep.Model`.

    Examples
    --------
    Registering the Standard Model again under its own name (a no-op) needs ``replace=True``:

    >>> sm = numhep.model("sm")
    >>> numhep.register_model(sm, "sm", replace=True) is sm
    True
    >>> numhep.register_model(sm, "sm")
    Traceback (most recent call last):
    ...
    ValueError: model 'sm' is already registered (pass replace=True to override)
    """
    return model_registry.register(mdl, name, replace=replace)
