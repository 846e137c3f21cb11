"""numhep: tree-level matrix elements, phase space, PDFs and VEGAS as numba
CPU/CUDA kernels with hand-derived adjoints.

The public API is re-exported here; kernels live in :mod:`numhep.kernels`,
their vector-Jacobian products in :mod:`numhep.adjoint`, plugin discovery in
:mod:`numhep.registry`.
"""

__version__ = "0.1.0"

from numhep import adjoint as _adjoint  # noqa: F401  (attaches every kernel's VJP)
from numhep.event_generation import generate
from numhep.integrand import integrand
from numhep.process_group import process_group
from numhep.matrix_element import me
from numhep.model_definition import Model
from numhep.parton_density import PDFSet, pdf
from numhep.phase_space import (
    PhaseSpacePoints,
    rambo,
    rambo_map,
    rambo_on_diet,
    rambo_on_diet_inverse,
    rambo_on_diet_inverse_vjp,
    rambo_on_diet_vjp,
)
from numhep.process_declaration import Process
from numhep.registry import model_registry as _models
from numhep.registry import process_registry as _processes
from numhep.vegas import VegasGrid, VegasResult, vegas_integrate
from numhep.multichannel_vegas import MultiChannelResult, multichannel_vegas


def __getattr__(name):
    # numhep.torch (the autograd bridge) imports torch, so it loads on first use
    if name == "torch":
        import importlib

        return importlib.import_module("numhep.torch")
    raise AttributeError(f"module 'numhep' has no attribute {name!r}")


def processes() -> list[str]:
    """Names of every registered process, plugins included."""
    return _processes.names()


def process(name: str, model: str = "sm") -> Process:
    """The process registered as ``name``, or compiled from a process string.

    ``numhep.process("gg_tt")`` looks up the registry (an error lists close matches);
    ``numhep.process("e+ e- > z h")`` (anything with ``>``) compiles the process in
    ``model`` (see :mod:`numhep.compiler`).
    """
    if ">" in name:
        from numhep.compiler import compile_process

        return compile_process(name, model=model)
    return _processes.get(name)


def register_process(proc: Process, name: str | None = None, *, replace: bool = False) -> Process:
    """Register a process for this session (notebooks); plugins use entry points."""
    return _processes.register(proc, name, replace=replace)


def models() -> list[str]:
    """Names of every registered model."""
    return _models.names()


def model(name: str = "sm") -> Model:
    """The model registered as ``name`` (default: the Standard Model, MadGraph sm)."""
    return _models.get(name)


def register_model(mdl: Model, name: str | None = None, *, replace: bool = False) -> Model:
    """Register a model for this session."""
    return _models.register(mdl, name, replace=replace)


__all__ = [
    "Model",
    "PDFSet",
    "PhaseSpacePoints",
    "Process",
    "VegasGrid",
    "VegasResult",
    "generate",
    "integrand",
    "process_group",
    "me",
    "model",
    "models",
    "pdf",
    "process",
    "processes",
    "rambo",
    "rambo_on_diet",
    "rambo_on_diet_inverse",
    "rambo_on_diet_inverse_vjp",
    "rambo_on_diet_vjp",
    "register_model",
    "register_process",
    "vegas_integrate",
    "multichannel_vegas",
    "MultiChannelResult",
]
