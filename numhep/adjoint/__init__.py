"""Hand-derived vector-Jacobian products, one module per kernel module.

Importing this package attaches each VJP to its forward kernel (``kernel.vjp``).
"""

from numhep.adjoint import lorentz, rambo, rambo_on_diet  # noqa: F401
