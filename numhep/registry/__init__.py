"""Entry-point registries: ``numhep.processes`` and ``numhep.models``.

A package makes its processes known to numhep by declaring, in its setup.cfg::

    [options.entry_points]
    numhep.processes =
        my_process = my_pkg.processes:my_process
    numhep.models =
        my_model = my_pkg.models:my_model

The object (or a zero-argument callable returning it) is a :class:`numhep.Process`
or :class:`numhep.Model`.
"""

from numhep.registry.entry_points import PluginWarning, Registry, UnknownNameError

__all__ = ["PluginWarning", "Registry", "UnknownNameError", "process_registry", "model_registry"]


def _validate_process(obj, name):
    from numhep.process_declaration import Process

    if not isinstance(obj, Process):
        raise TypeError(f"entry point {name!r} gave {type(obj).__name__}, not a numhep.Process")
    return obj


def _validate_model(obj, name):
    from numhep.model_definition import Model

    if not isinstance(obj, Model):
        raise TypeError(f"entry point {name!r} gave {type(obj).__name__}, not a numhep.Model")
    return obj


process_registry = Registry("numhep.processes", "process", _validate_process)
model_registry = Registry("numhep.models", "model", _validate_model)
