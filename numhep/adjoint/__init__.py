"""Hand-derived vector-Jacobian products, one module per kernel module.

Importing this package attaches each VJP to its forward kernel (``kernel.vjp``).
"""

from numhep.adjoint import (  # noqa: F401
    alpha_s,
    amplitude_block,
    amplitude_tape,
    catani_seymour,
    invariant_maps,
    lorentz,
    luminosity,
    pdf_interpolation,
    propagators,
    rambo,
    rambo_on_diet,
    t_channel,
    two_body_decay,
    vegas_grid,
    vertices,
    wavefunctions,
)
