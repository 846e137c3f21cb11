"""VJP of :mod:`numhep.kernels.alpha_s`: g * d alpha_s / dQ^2.

For the RGE solution d alpha_s/dQ^2 = beta(alpha_s)/Q^2 (exact for one loop,
and to the Runge-Kutta accuracy beyond); for the table, the derivative of the
Hermite interpolant.
"""

from numhep.kernels import alpha_s as fwd
from numhep.kernels._target import adjoint_of
from numhep.kernels.alpha_s import running, tabulated


@adjoint_of(fwd.alphas_running)
def alphas_running_vjp(i, q2, params, g, gq2):
    _, d = running(q2[i], params)
    gq2[i] = g[i] * d


@adjoint_of(fwd.alphas_tabulated)
def alphas_tabulated_vjp(i, q2, logq2s, vals, dvals, g, gq2):
    _, d = tabulated(q2[i], logq2s, vals, dvals)
    gq2[i] = g[i] * d
