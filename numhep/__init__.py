"""numhep: tree-level matrix elements, phase space, PDFs and VEGAS as numba
CPU/CUDA kernels with hand-derived adjoints.

The public API is re-exported here and nothing inside numhep imports this module; the layers
below it (README, "Layout") are kernels and adjoints, the operations made from them
(:mod:`numhep.ops`), declarations and registries, phase space, PDF sets, amplitudes,
integration, events and the torch layer.
"""

__version__ = "0.1.0"

from numhep import adjoint as _adjoint  # noqa: F401  (attaches every kernel's VJP)
from numhep.amplitudes import catani_seymour
from numhep.amplitudes.groups import process_group
from numhep.amplitudes.lookup import model, models, process, processes, register_model, register_process
from numhep.amplitudes.matrix_element import me
from numhep.declarations.model import Model
from numhep.declarations.process import Process
from numhep.events import dipole_dataset
from numhep.events.generation import generate
from numhep.events.joint_likelihood import JointLikelihoodData, joint_likelihood_data, load_joint_likelihood_data
from numhep.integration.cross_section import integrate
from numhep.integration.integrands import integrand
from numhep.integration.multichannel import MultiChannelResult, multichannel_vegas
from numhep.integration.vegas import VegasGrid, VegasResult, vegas_integrate, vegas_map
from numhep.pdfsets.parton_density import PDFSet, pdf
from numhep.phasespace.flat import (
    PhaseSpacePoints,
    rambo,
    rambo_map,
    rambo_on_diet,
    rambo_on_diet_inverse,
    rambo_on_diet_inverse_vjp,
    rambo_on_diet_vjp,
)


def __getattr__(name):
    # numhep.torch (the networks) imports torch, so it loads on first use
    if name == "torch":
        import importlib

        return importlib.import_module("numhep.torch")
    raise AttributeError(f"module 'numhep' has no attribute {name!r}")


__all__ = [
    "JointLikelihoodData",
    "Model",
    "MultiChannelResult",
    "PDFSet",
    "PhaseSpacePoints",
    "Process",
    "VegasGrid",
    "VegasResult",
    "catani_seymour",
    "dipole_dataset",
    "generate",
    "integrand",
    "integrate",
    "joint_likelihood_data",
    "load_joint_likelihood_data",
    "me",
    "model",
    "models",
    "multichannel_vegas",
    "pdf",
    "process",
    "process_group",
    "processes",
    "rambo",
    "rambo_map",
    "rambo_on_diet",
    "rambo_on_diet_inverse",
    "rambo_on_diet_inverse_vjp",
    "rambo_on_diet_vjp",
    "register_model",
    "register_process",
    "vegas_integrate",
    "vegas_map",
]
