"""Hand-derived vector-Jacobian products, one module per kernel module.

Importing this package attaches each VJP to its forward kernel (``kernel.vjp``): every
module of the package is imported, so a new adjoint module needs no entry here.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
