"""The luminosity map for the PDF convolution (Heimel et al., arXiv:2408.01486, Eqs. 47-48).

    int dx1 dx2 Theta(tau_min < x1 x2 < tau_max) = int dtau int_tau^1 dx1/x1
                                                 = int_0^1 dz_tau dz_x / g_lumi,
    tau = tau_min^(1 - z_tau) tau_max^z_tau,   x1 = tau^z_x,   x2 = tau^(1 - z_x),
    g_lumi = 1 / (tau ln(tau_max/tau_min) |ln tau|).
With tau_max = 1 this is Eq. 48 and g_lumi = 1/(tau ln tau ln tau_min) (Eq. 47): the
1/tau cancels the flux factor.  The tau part is the logarithmic invariant map of
:mod:`numhep.kernels.invariant_maps`; where tau belongs to an s-channel resonance, map
s_hat = tau s_lab with the Breit-Wigner map instead and split it with
:func:`momentum_fractions` (density 1/|ln tau| in z_x).
Adjoint: :mod:`numhep.adjoint.luminosity`.
"""

import math

from numhep.kernels._target import device, kernel
from numhep.kernels.invariant_maps import power_law_s


@device(inline=True)
def split_tau(tau, zx):
    """(x1, x2, density) of x1 = tau^z_x, x2 = tau / x1: density 1/|ln tau|."""
    lt = math.log(tau)
    return math.exp(zx * lt), math.exp((1.0 - zx) * lt), -1.0 / lt


@kernel
def luminosity_map(i, z, tau_min, tau_max, x, density):
    """x (n, 2) and g_lumi (n,) from z (n, 2) = (z_tau, z_x) and the bounds (n,)."""
    tau, gt = power_law_s(z[i, 0], 0.0, 1.0, tau_min[i], tau_max[i])
    x[i, 0], x[i, 1], gx = split_tau(tau, z[i, 1])
    density[i] = gt * gx


@kernel
def luminosity_map_inverse(i, x, tau_min, tau_max, z, density):
    """z (n, 2) and g_lumi (n,) from the momentum fractions x (n, 2)."""
    l1 = math.log(x[i, 0])
    lt = l1 + math.log(x[i, 1])
    ell = math.log(tau_max[i] / tau_min[i])
    z[i, 0] = (lt - math.log(tau_min[i])) / ell
    z[i, 1] = l1 / lt
    density[i] = -1.0 / (math.exp(lt) * ell * lt)


@kernel
def momentum_fractions(i, tau, zx, x, density):
    """x (n, 2) = (tau^z_x, tau^(1-z_x)) and the density 1/|ln tau| of z_x."""
    x[i, 0], x[i, 1], density[i] = split_tau(tau[i], zx[i])
