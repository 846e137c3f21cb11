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

from numhep.declarations.model import Model
from numhep.declarations.process import Process
from numhep.registry.entry_points import PluginWarning, Registry, UnknownNameError

__all__ = ["PluginWarning", "Registry", "UnknownNameError", "model_registry", "process_registry",
           "registered_model", "registered_process", "sampler_registry", "validate_model", "validate_process",
           "validate_sampler"]


def validate_process(obj, name):
    """``obj`` if it is a :class:`numhep.Process`, else a TypeError naming the entry point."""
    if not isinstance(obj, Process):
        raise TypeError(f"entry point {name!r} gave {type(obj).__name__}, not a numhep.Process")
    return obj


def validate_model(obj, name):
    """``obj`` if it is a :class:`numhep.Model`, else a TypeError naming the entry point."""
    if not isinstance(obj, Model):
        raise TypeError(f"entry point {name!r} gave {type(obj).__name__}, not a numhep.Model")
    return obj


def validate_sampler(obj, name):
    """``obj`` if it is callable (a trainer), else a TypeError naming the entry point."""
    if not callable(obj):
        raise TypeError(f"entry point {name!r} gave {type(obj).__name__}, not a sampler trainer")
    return obj


process_registry = Registry("numhep.processes", "process", validate_process)
model_registry = Registry("numhep.models", "model", validate_model)
sampler_registry = Registry("numhep.samplers", "sampler", validate_sampler)


def registered_model(name: str) -> Model:
    """The model registered as ``name`` (how a pickled registered model comes back)."""
    return model_registry.get(name)


def registered_process(name: str) -> Process:
    """The process registered as ``name`` (how a pickled registered process comes back)."""
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
