"""Entry-point registries: ``numhep.processes``, ``numhep.models`` and ``numhep.samplers``.

A package makes its processes known to numhep by declaring, in its setup.cfg::

    [options.entry_points]
    numhep.processes =
        my_process = my_pkg.processes:my_process
    numhep.models =
        my_model = my_pkg.models:my_model

The object (or a zero-argument callable returning it) is a :class:`numhep.Process`
or :class:`numhep.Model`.  A ``numhep.samplers`` entry names a zero-argument callable that
returns a trainer ``(integrand, path, *, calls, seed, progress) -> (point source, calls)``:
what ``numhep.generate(..., sampler=name)`` trains and samples with (numhep's own
``madnis`` is one, declared by numhep's torch layer so that event generation, a layer below,
never imports it).
"""

import copyreg
import os

from numhep.declarations.model import Model
from numhep.declarations.process import Process
from numhep.declarations.ufo import is_ufo_folder, load_ufo
from numhep.registry.entry_points import PluginWarning, Registry, UnknownNameError

__all__ = ["PluginWarning", "Registry", "UnknownNameError", "model_registry", "process_registry",
           "registered_model", "registered_process", "sampler_registry", "validate_model", "validate_process",
           "validate_sampler"]


def validate_process(obj, name):
    """Check that an entry point gave a process.

    Parameters
    ----------
    obj : object
        What the entry point gave.
    name : str
        The entry point's name, for the message.

    Returns
    -------
    numhep.Process
        ``obj``.

    Raises
    ------
    TypeError
        If ``obj`` is not a :class:`numhep.Process`.

    Examples
    --------
    >>> from numhep.registry import validate_process
    >>> proc = numhep.process("ee_mumu_analytic")
    >>> validate_process(proc, "ee_mumu_analytic") is proc
    True
    """
    if not isinstance(obj, Process):
        raise TypeError(f"entry point {name!r} gave {type(obj).__name__}, not a numhep.Process")
    return obj


def validate_model(obj, name):
    """Check that an entry point gave a model, and read it when it gave a UFO folder.

    Parameters
    ----------
    obj : object
        What the entry point gave: a :class:`numhep.Model`, or a :class:`~pathlib.Path` to a
        UFO folder, read by :func:`numhep.plugin.load_ufo` with its default restriction.
    name : str
        The entry point's name, for the message.

    Returns
    -------
    numhep.Model
        ``obj``, or the model read from the folder.

    Raises
    ------
    TypeError
        If ``obj`` is neither a :class:`numhep.Model` nor the path of a UFO folder.

    Examples
    --------
    >>> from numhep.registry import validate_model
    >>> try:
    ...     validate_model("sm", "my_model")
    ... except TypeError as exc:
    ...     print(exc)
    entry point 'my_model' gave str, not a numhep.Model or a UFO folder's path
    """
    if isinstance(obj, os.PathLike) and is_ufo_folder(obj):
        return load_ufo(obj)
    if not isinstance(obj, Model):
        raise TypeError(f"entry point {name!r} gave {type(obj).__name__}, not a numhep.Model or a UFO folder's path")
    return obj


def validate_sampler(obj, name):
    """Check that an entry point gave a sampler trainer (a callable).

    Parameters
    ----------
    obj : object
        What the entry point gave: a trainer
        ``(integrand, path, *, calls, seed, progress) -> (point source, calls)``.
    name : str
        The entry point's name, for the message.

    Returns
    -------
    callable
        ``obj``.

    Raises
    ------
    TypeError
        If ``obj`` is not callable.

    Examples
    --------
    >>> from numhep.registry import validate_sampler
    >>> validate_sampler(print, "printer") is print
    True
    """
    if not callable(obj):
        raise TypeError(f"entry point {name!r} gave {type(obj).__name__}, not a sampler trainer")
    return obj


#: The processes: entry-point group ``numhep.processes``, what ``numhep.process(name)`` and
#: ``numhep.processes()`` look up (a :class:`Registry` of :class:`numhep.Process`).
process_registry = Registry("numhep.processes", "process", validate_process)
#: The models: entry-point group ``numhep.models``, what ``numhep.model(name)`` looks up (a
#: :class:`Registry` of :class:`numhep.Model`).
model_registry = Registry("numhep.models", "model", validate_model)
#: The samplers: entry-point group ``numhep.samplers``, what ``numhep.generate(...,
#: sampler=name)`` trains and samples with (a :class:`Registry` of trainers).
sampler_registry = Registry("numhep.samplers", "sampler", validate_sampler)


def registered_model(name: str) -> Model:
    """The model registered as ``name``: how a pickled registered model comes back.

    Registered models pickle by name, so a worker process looks them up in its own registry
    instead of receiving their coupling functions.

    Parameters
    ----------
    name : str
        The registered name.

    Returns
    -------
    numhep.Model
        The model.

    Raises
    ------
    UnknownNameError
        If no model is registered under ``name``.

    Examples
    --------
    >>> from numhep.registry import registered_model
    >>> registered_model("sm").name
    'sm'
    """
    return model_registry.get(name)


def registered_process(name: str) -> Process:
    """The process registered as ``name``: how a pickled registered process comes back.

    Registered processes pickle by name, so a worker process looks them up in its own
    registry instead of receiving their kernels.

    Parameters
    ----------
    name : str
        The registered name.

    Returns
    -------
    numhep.Process
        The process.

    Raises
    ------
    UnknownNameError
        If no process is registered under ``name``.

    Examples
    --------
    >>> import pickle
    >>> from numhep.registry import registered_process
    >>> proc = registered_process("ee_mumu_analytic")
    >>> pickle.loads(pickle.dumps(proc)) is proc
    True
    """
    return process_registry.get(name)


def _by_name(registry, lookup):
    def reduce(obj):
        name = registry.name_of(obj)
        if name is None:  # not registered: pickled field by field (its callables must pickle)
            return object.__reduce_ex__(obj, 2)
        return lookup, (name,)

    return reduce


# registered models and processes pickle by name: a worker process (Dask, multiprocessing)
# looks them up in its own registry instead of receiving their coupling functions and kernels
copyreg.pickle(Model, _by_name(model_registry, registered_model))
copyreg.pickle(Process, _by_name(process_registry, registered_process))
