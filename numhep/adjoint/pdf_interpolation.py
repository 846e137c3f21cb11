"""VJP of :mod:`numhep.kernels.pdf_interpolation`: g * d(xf)/dx and g * d(xf)/dQ^2.

The interpolant is piecewise polynomial in (ln x, ln Q^2) and the extrapolations
are closed forms, so the forward device function returns exact partial
derivatives alongside the value; the VJP only scales them by the cotangent.
"""

from numhep.kernels import pdf_interpolation as fwd
from numhep.kernels._target import adjoint_of
from numhep.kernels.pdf_interpolation import xf_with_gradient


@adjoint_of(fwd.xfxq2)
def xfxq2_vjp(i, col, x, q2, table, g, gx, gq2):
    if col[i] < 0:
        gx[i] = 0.0
        gq2[i] = 0.0
        return
    _, dx, dq = xf_with_gradient(col[i], x[i], q2[i], table)
    gx[i] = g[i] * dx
    gq2[i] = g[i] * dq
