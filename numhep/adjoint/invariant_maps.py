"""VJPs of :mod:`numhep.kernels.invariant_maps` with respect to z (or s) and both bounds.

The bounds of an invariant usually depend on other variables of a channel (s_max = s_hat,
s_min = (m1 + sqrt(s_23))^2, ...), so their cotangents are returned too.

Breit-Wigner, with c = m Gamma, y_k = atan((s_k - m^2)/c), D = y2 - y1, theta = y1 + D z:
    s = m^2 + c tan(theta),  g = 1/(D c (1 + tan^2 theta)),
    dg/ds|_D = -2 (s - m^2) g / ((s - m^2)^2 + c^2),  dg/dD = -g/D,  dy_k/ds_k = c/((s_k - m^2)^2 + c^2).
Power law, with a = (s_min - m^2)^e, b = (s_max - m^2)^e, e = 1 - nu, A = a + z (b - a):
    r = s - m^2 = A^(1/e),  dr/dA = r/(e A),  g = e/((b - a) r^nu),  dg/dr = -nu g/r,
    dg/d(b - a) = -g/(b - a),  da/ds_min = e a/(s_min - m^2)  (likewise b).
Logarithmic limit, with L = ln((s_max - m^2)/(s_min - m^2)), r = (s_min - m^2)^(1-z) (s_max - m^2)^z:
    dr/dz = r L,  g = 1/(r L).
"""

import math

from numhep.kernels import invariant_maps as fwd
from numhep.kernels._target import adjoint_of, device
from numhep.kernels.invariant_maps import LOG_LIMIT, breit_wigner_angles


@device
def _bw_bounds_vjp(m2, mg, smin, smax, gy1, gy2):
    d1 = smin - m2
    d2 = smax - m2
    return gy1 * mg / (d1 * d1 + mg * mg), gy2 * mg / (d2 * d2 + mg * mg)


@device
def breit_wigner_s_vjp(z, m2, mg, smin, smax, gs, gg):
    """(gz, gsmin, gsmax) of the Breit-Wigner map s, g = G(z)."""
    y1, y2 = breit_wigner_angles(m2, mg, smin, smax)
    dy = y2 - y1
    t = math.tan(y1 + dy * z)
    sec2 = 1.0 + t * t
    g = 1.0 / (dy * mg * sec2)
    gs_total = gs - gg * 2.0 * t * g / (mg * sec2)
    gtheta = gs_total * mg * sec2
    gdy = gtheta * z - gg * g / dy
    gsmin, gsmax = _bw_bounds_vjp(m2, mg, smin, smax, gtheta - gdy, gdy)
    return gtheta * dy, gsmin, gsmax


@device
def breit_wigner_z_vjp(s, m2, mg, smin, smax, gz, gg):
    """(gs, gsmin, gsmax) of the inverse Breit-Wigner map z, g = G^-1(s)."""
    y1, y2 = breit_wigner_angles(m2, mg, smin, smax)
    dy = y2 - y1
    d = s - m2
    den = d * d + mg * mg
    g = mg / (dy * den)
    z = (math.atan(d / mg) - y1) / dy
    gs = gz * mg / (den * dy) - gg * 2.0 * d * g / den
    gdy = -gz * z / dy - gg * g / dy
    gsmin, gsmax = _bw_bounds_vjp(m2, mg, smin, smax, -gz / dy - gdy, gdy)
    return gs, gsmin, gsmax


@device
def power_law_s_vjp(z, m2, nu, smin, smax, gs, gg):
    """(gz, gsmin, gsmax) of the power-law map s, g = G(z)."""
    lo = smin - m2
    hi = smax - m2
    e = 1.0 - nu
    if abs(e) < LOG_LIMIT:
        ell = math.log(hi / lo)
        r = lo * math.exp(z * ell)
        g = 1.0 / (r * ell)
        gr = gs - gg * g / r
        gell = gg * (-g / ell)
        return gr * r * ell, gr * (1.0 - z) * r / lo - gell / lo, gr * z * r / hi + gell / hi
    a = lo**e
    b = hi**e
    big_a = a + z * (b - a)
    r = big_a ** (1.0 / e)
    g = e / ((b - a) * r**nu)
    gr = gs - gg * nu * g / r
    ga_big = gr * r / (e * big_a)
    gdiff = -gg * g / (b - a)
    ga = ga_big * (1.0 - z) - gdiff
    gb = ga_big * z + gdiff
    return ga_big * (b - a), ga * e * a / lo, gb * e * b / hi


@device
def power_law_z_vjp(s, m2, nu, smin, smax, gz, gg):
    """(gs, gsmin, gsmax) of the inverse power-law map z, g = G^-1(s)."""
    lo = smin - m2
    hi = smax - m2
    r = s - m2
    e = 1.0 - nu
    if abs(e) < LOG_LIMIT:
        ell = math.log(hi / lo)
        z = math.log(r / lo) / ell
        g = 1.0 / (r * ell)
        gs = gz / (r * ell) - gg * g / r
        gell = -gz * z / ell - gg * g / ell
        return gs, -gz / (lo * ell) - gell / lo, gell / hi
    a = lo**e
    b = hi**e
    ra = r**e
    z = (ra - a) / (b - a)
    g = e / ((b - a) * r**nu)
    gs = gz * e * ra / (r * (b - a)) - gg * nu * g / r
    gdiff = -gg * g / (b - a)
    ga = gz * (z - 1.0) / (b - a) - gdiff
    gb = -gz * z / (b - a) + gdiff
    return gs, ga * e * a / lo, gb * e * b / hi


@adjoint_of(fwd.breit_wigner_map)
def breit_wigner_map_vjp(i, z, mass, width, smin, smax, gs, gdensity, gz, gsmin, gsmax):
    gz[i], gsmin[i], gsmax[i] = breit_wigner_s_vjp(
        z[i], mass * mass, mass * width, smin[i], smax[i], gs[i], gdensity[i]
    )


@adjoint_of(fwd.breit_wigner_map_inverse)
def breit_wigner_map_inverse_vjp(i, s, mass, width, smin, smax, gz, gdensity, gs, gsmin, gsmax):
    gs[i], gsmin[i], gsmax[i] = breit_wigner_z_vjp(
        s[i], mass * mass, mass * width, smin[i], smax[i], gz[i], gdensity[i]
    )


@adjoint_of(fwd.power_law_map)
def power_law_map_vjp(i, z, m2, nu, smin, smax, gs, gdensity, gz, gsmin, gsmax):
    gz[i], gsmin[i], gsmax[i] = power_law_s_vjp(z[i], m2, nu, smin[i], smax[i], gs[i], gdensity[i])


@adjoint_of(fwd.power_law_map_inverse)
def power_law_map_inverse_vjp(i, s, m2, nu, smin, smax, gz, gdensity, gs, gsmin, gsmax):
    gs[i], gsmin[i], gsmax[i] = power_law_z_vjp(s[i], m2, nu, smin[i], smax[i], gz[i], gdensity[i])
