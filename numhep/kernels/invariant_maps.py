"""Maps of one time-like invariant s in [s_min, s_max] to z in [0, 1] (Heimel et al., arXiv:2408.01486, Eqs. 38-40, 45).

Each map is a bijection s = G(z) with density g(s) = dz/ds, so that
    int_{s_min}^{s_max} ds f(s) = int_0^1 dz f(G(z)) / g(G(z)).

Breit-Wigner (Eq. 39), for a propagator of mass m and width Gamma:
    s = m Gamma tan(y1 + (y2 - y1) z) + m^2,   y_{1,2} = atan((s_{min,max} - m^2) / (m Gamma)),
    g = m Gamma / ((y2 - y1) ((s - m^2)^2 + m^2 Gamma^2)).
Power law (Eq. 40), for a propagator without width, pole at s = m^2 < s_min, nu != 1:
    s = [z (s_max - m^2)^(1-nu) + (1 - z) (s_min - m^2)^(1-nu)]^(1/(1-nu)) + m^2,
    g = (1 - nu) / ([(s_max - m^2)^(1-nu) - (s_min - m^2)^(1-nu)] (s - m^2)^nu).
nu = 0 is the flat map of pseudo-particle invariants (Eq. 45), g = 1/(s_max - s_min);
nu = 1 is the limit, the logarithmic map
    s = m^2 + (s_min - m^2)^(1-z) (s_max - m^2)^z,   g = 1 / ((s - m^2) ln((s_max - m^2)/(s_min - m^2))),
which with m = 0 on tau = s/s_lab is the luminosity map of Eq. 48.

The pole must lie below s_min: for a massless propagator whose invariant reaches zero the
caller places m^2 a little below s_min (the map stays exact, only its shape changes).
Adjoints: :mod:`numhep.adjoint.invariant_maps` (with respect to z or s and both bounds).
"""

import math

from numhep.kernels._target import device, kernel

#: |1 - nu| below which the power-law map is evaluated as its logarithmic limit
LOG_LIMIT = 1e-9


@device(inline=True)
def breit_wigner_angles(m2, mg, smin, smax):
    """(y1, y2) of Eq. 39."""
    return math.atan((smin - m2) / mg), math.atan((smax - m2) / mg)


@device
def breit_wigner_s(z, m2, mg, smin, smax):
    """(s, g) of the Breit-Wigner map at z; mg = m Gamma."""
    y1, y2 = breit_wigner_angles(m2, mg, smin, smax)
    t = math.tan(y1 + (y2 - y1) * z)
    return m2 + mg * t, 1.0 / ((y2 - y1) * mg * (1.0 + t * t))


@device
def breit_wigner_z(s, m2, mg, smin, smax):
    """(z, g) of the Breit-Wigner map at s (its inverse)."""
    y1, y2 = breit_wigner_angles(m2, mg, smin, smax)
    d = s - m2
    return (math.atan(d / mg) - y1) / (y2 - y1), mg / ((y2 - y1) * (d * d + mg * mg))


@device
def power_law_s(z, m2, nu, smin, smax):
    """(s, g) of the power-law map at z (logarithmic when nu = 1)."""
    lo = smin - m2
    hi = smax - m2
    e = 1.0 - nu
    if abs(e) < LOG_LIMIT:
        ell = math.log(hi / lo)
        r = lo * math.exp(z * ell)
        return m2 + r, 1.0 / (r * ell)
    a = lo**e
    b = hi**e
    r = (a + z * (b - a)) ** (1.0 / e)
    return m2 + r, e / ((b - a) * r**nu)


@device
def power_law_z(s, m2, nu, smin, smax):
    """(z, g) of the power-law map at s (its inverse)."""
    lo = smin - m2
    hi = smax - m2
    r = s - m2
    e = 1.0 - nu
    if abs(e) < LOG_LIMIT:
        ell = math.log(hi / lo)
        return math.log(r / lo) / ell, 1.0 / (r * ell)
    a = lo**e
    b = hi**e
    return (r**e - a) / (b - a), e / ((b - a) * r**nu)


@kernel
def breit_wigner_map(i, z, mass, width, smin, smax, s, density):
    """s = G_BW(z) and g(s) per event (Eq. 39)."""
    s[i], density[i] = breit_wigner_s(z[i], mass * mass, mass * width, smin[i], smax[i])


@kernel
def breit_wigner_map_inverse(i, s, mass, width, smin, smax, z, density):
    """z = G_BW^-1(s) and g(s) per event."""
    z[i], density[i] = breit_wigner_z(s[i], mass * mass, mass * width, smin[i], smax[i])


@kernel
def power_law_map(i, z, m2, nu, smin, smax, s, density):
    """s = G_nu(z) and g(s) per event (Eq. 40; nu = 0 flat, nu = 1 logarithmic)."""
    s[i], density[i] = power_law_s(z[i], m2, nu, smin[i], smax[i])


@kernel
def power_law_map_inverse(i, s, m2, nu, smin, smax, z, density):
    """z = G_nu^-1(s) and g(s) per event."""
    z[i], density[i] = power_law_z(s[i], m2, nu, smin[i], smax[i])
