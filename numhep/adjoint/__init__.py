"""Hand-derived vector-Jacobian products, one module per kernel module.

Importing this package attaches each VJP to its forward kernel (``kernel.vjp``).
"""

from numhep.adjoint import alpha_s, lorentz, pdf_interpolation, rambo, rambo_on_diet, vegas_grid  # noqa: F401
