"""VJPs of :mod:`numhep.kernels.luminosity`.

In logarithms: with L = ln(tau_max/tau_min), lt = ln tau = ln tau_min + z_tau L,
ln x1 = z_x lt, ln x2 = (1 - z_x) lt and g = -1/(e^lt L lt):
    dg/dlt = -g (1 + 1/lt),  dg/dL = -g/L,  dlt/dz_tau = L,
    dlt/d tau_min = (1 - z_tau)/tau_min,  dlt/d tau_max = z_tau/tau_max  (and L's own bounds).
"""

import math

from numhep.kernels import luminosity as fwd
from numhep.kernels._target import adjoint_of


@adjoint_of(fwd.luminosity_map)
def luminosity_map_vjp(i, z, tau_min, tau_max, gx, gdensity, gz, gtau_min, gtau_max):
    ell = math.log(tau_max[i] / tau_min[i])
    lt = math.log(tau_min[i]) + z[i, 0] * ell
    zx = z[i, 1]
    x1 = math.exp(zx * lt)
    x2 = math.exp((1.0 - zx) * lt)
    g = -1.0 / (math.exp(lt) * ell * lt)
    glt = gx[i, 0] * x1 * zx + gx[i, 1] * x2 * (1.0 - zx) - gdensity[i] * g * (1.0 + 1.0 / lt)
    gell = glt * z[i, 0] - gdensity[i] * g / ell
    gz[i, 0] = glt * ell
    gz[i, 1] = (gx[i, 0] * x1 - gx[i, 1] * x2) * lt
    gtau_min[i] = (glt - gell) / tau_min[i]
    gtau_max[i] = gell / tau_max[i]


@adjoint_of(fwd.luminosity_map_inverse)
def luminosity_map_inverse_vjp(i, x, tau_min, tau_max, gz, gdensity, gx, gtau_min, gtau_max):
    l1 = math.log(x[i, 0])
    lt = l1 + math.log(x[i, 1])
    ell = math.log(tau_max[i] / tau_min[i])
    zt = (lt - math.log(tau_min[i])) / ell
    g = -1.0 / (math.exp(lt) * ell * lt)
    glt = gz[i, 0] / ell - gz[i, 1] * l1 / (lt * lt) - gdensity[i] * g * (1.0 + 1.0 / lt)
    gell = -gz[i, 0] * zt / ell - gdensity[i] * g / ell
    gx[i, 0] = (glt + gz[i, 1] / lt) / x[i, 0]
    gx[i, 1] = glt / x[i, 1]
    gtau_min[i] = (-gz[i, 0] / ell - gell) / tau_min[i]
    gtau_max[i] = gell / tau_max[i]


@adjoint_of(fwd.momentum_fractions)
def momentum_fractions_vjp(i, tau, zx, gx, gdensity, gtau, gzx):
    lt = math.log(tau[i])
    x1 = math.exp(zx[i] * lt)
    x2 = math.exp((1.0 - zx[i]) * lt)
    glt = gx[i, 0] * x1 * zx[i] + gx[i, 1] * x2 * (1.0 - zx[i]) + gdensity[i] / (lt * lt)
    gtau[i] = glt / tau[i]
    gzx[i] = (gx[i, 0] * x1 - gx[i, 1] * x2) * lt
