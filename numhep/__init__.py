"""numhep: tree-level matrix elements, phase space, PDFs and VEGAS as numba
CPU/CUDA kernels with hand-derived adjoints.

The public API is re-exported here; kernels live in :mod:`numhep.kernels`,
their vector-Jacobian products in :mod:`numhep.adjoint`.
"""

__version__ = "0.1.0"

from numhep import adjoint as _adjoint  # noqa: F401  (attaches every kernel's VJP)
from numhep.parton_density import PDFSet, pdf
from numhep.vegas import VegasGrid, VegasResult, vegas_integrate
from numhep.phase_space import PhaseSpacePoints, rambo, rambo_on_diet, rambo_on_diet_inverse, rambo_on_diet_vjp

__all__ = [
    "PDFSet",
    "pdf",
    "PhaseSpacePoints",
    "rambo",
    "rambo_on_diet",
    "rambo_on_diet_inverse",
    "rambo_on_diet_vjp",
    "VegasGrid",
    "VegasResult",
    "vegas_integrate",
]
