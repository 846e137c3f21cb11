"""The VEGAS map on torch tensors: x(u) with its adjoint as backward.

The map is piecewise linear, dx_d/du_d = K w_k in the bin of u_d (seed 003 Eq. 2.35), so
a flow or any other sampler can be composed with a trained VEGAS grid and differentiated
through it.  The Jacobian is piecewise constant in u: it is returned without a gradient.
"""

from __future__ import annotations

from numhep.torch._bridge import apply

__all__ = ["vegas_map"]


def vegas_map(grid, u):
    """(x, jacobian) of :class:`numhep.VegasGrid` ``grid`` at u (n, dims); x differentiable in u."""
    x, jac = apply(lambda u: grid.map(u)[:2], lambda a, c: (grid.vjp(a[0], grid.map(a[0])[2], c[0]),), u)
    return x, jac.detach()
