"""VJPs of :mod:`numhep.kernels.wavefunctions` with respect to momentum and mass.

Conventions of every complex VJP in numhep: a real objective L has the Wirtinger
cotangent g_j = dL/dw_j for each complex output w_j, and for a real input x
dL/dx = 2 Re(sum_j g_j dw_j/dx).  The functions here return the complex sums
G_x = sum_j g_j dw_j/dx for x = (E, px, py, pz, m); callers take 2 Re.  An output that
is a complex conjugate (ubar, vbar, outgoing eps*) has sum_j g_j conj(dw_j/dx), whose
real part equals that of sum_j conj(g_j) dw_j/dx: the conjugated cotangent is passed.

Spinors (u, v) = (alpha_1 chi, alpha_2 chi) with alpha in {+-omega_+, omega_-},
omega_+ = sqrt(E + |p|), omega_- = m/omega_+, and chi(p) normalised as in the forward
kernel:  d chi / dp_k = dX/dp_k / N - X dN/dp_k / N^2, N^2 = 2 |p| (|p| + pz).
Transverse polarisations depend on the direction only (theta, phi), the longitudinal
one eps_0 = (|p|, E p/|p|)/m also on E and m.
"""

import math

from numhep.kernels._target import device
from numhep.kernels.wavefunctions import helicity_spinor

#: the helicity algebra is compiled with fast math (numhep.kernels._target)
FAST_MATH = True


@device
def helicity_spinor_jacobian(px, py, pz, hel):
    """d chi_hel / d(px, py, pz): (dc1/dpx, dc1/dpy, dc1/dpz, dc2/dpx, dc2/dpy, dc2/dpz).

    chi = (X1, X2)/N with N^2 = 2 |p| a, a = |p| +- pz (hemisphere of the forward kernel).
    """
    z = complex(0.0, 0.0)
    pp = math.sqrt(px * px + py * py + pz * pz)
    if pp == 0.0:
        return z, z, z, z, z, z
    sz = 1.0 if pz >= 0.0 else -1.0
    a = pp + sz * pz
    n = math.sqrt(2.0 * pp * a)
    dpp_x, dpp_y, dpp_z = px / pp, py / pp, pz / pp
    da_x, da_y, da_z = dpp_x, dpp_y, dpp_z + sz
    dn_x = (a * dpp_x + pp * da_x) / n
    dn_y = (a * dpp_y + pp * da_y) / n
    dn_z = (a * dpp_z + pp * da_z) / n
    if sz > 0.0:
        if hel > 0:  # (a, px + i py)
            x1, x2 = complex(a, 0.0), complex(px, py)
            d1x, d1y, d1z = complex(da_x, 0.0), complex(da_y, 0.0), complex(da_z, 0.0)
            d2x, d2y, d2z = complex(1.0, 0.0), complex(0.0, 1.0), z
        else:  # (-px + i py, a)
            x1, x2 = complex(-px, py), complex(a, 0.0)
            d1x, d1y, d1z = complex(-1.0, 0.0), complex(0.0, 1.0), z
            d2x, d2y, d2z = complex(da_x, 0.0), complex(da_y, 0.0), complex(da_z, 0.0)
    else:
        if hel > 0:  # (px - i py, b)
            x1, x2 = complex(px, -py), complex(a, 0.0)
            d1x, d1y, d1z = complex(1.0, 0.0), complex(0.0, -1.0), z
            d2x, d2y, d2z = complex(da_x, 0.0), complex(da_y, 0.0), complex(da_z, 0.0)
        else:  # (-b, px + i py)
            x1, x2 = complex(-a, 0.0), complex(px, py)
            d1x, d1y, d1z = complex(-da_x, 0.0), complex(-da_y, 0.0), complex(-da_z, 0.0)
            d2x, d2y, d2z = complex(1.0, 0.0), complex(0.0, 1.0), z
    n2 = n * n
    return (
        d1x / n - x1 * dn_x / n2, d1y / n - x1 * dn_y / n2, d1z / n - x1 * dn_z / n2,
        d2x / n - x2 * dn_x / n2, d2y / n - x2 * dn_y / n2, d2z / n - x2 * dn_z / n2,
    )


@device
def spinor_vjp(e, px, py, pz, m, hel, is_v, g1, g2, g3, g4):
    """G = sum_j g_j d s_j / d(E, px, py, pz, m) for s = u(p, hel) (is_v False) or v(p, hel)."""
    pp = math.sqrt(px * px + py * py + pz * pz)
    wp = math.sqrt(max(e + pp, 0.0))
    wm = m / wp if m != 0.0 else 0.0
    s = -hel if is_v else hel
    c1, c2 = helicity_spinor(px, py, pz, s)
    j1x, j1y, j1z, j2x, j2y, j2z = helicity_spinor_jacobian(px, py, pz, s)
    # d omega_+ / d(E, p_k, m);  omega_- = m / omega_+
    dwp_e = 0.5 / wp
    if pp > 0.0:
        dwp_x, dwp_y, dwp_z = 0.5 * px / (pp * wp), 0.5 * py / (pp * wp), 0.5 * pz / (pp * wp)
    else:
        dwp_x, dwp_y, dwp_z = 0.0, 0.0, 0.0
    r = -wm / wp
    # (alpha_1, alpha_2) and their derivative rows for (E, px, py, pz, m)
    if not is_v:
        if hel > 0:
            f1, f2 = 0, 1  # (omega_-, omega_+)
        else:
            f1, f2 = 1, 0
        s1, s2 = 1.0, 1.0
    else:
        if hel > 0:
            f1, f2 = 1, 0  # (-omega_+, omega_-)
            s1, s2 = -1.0, 1.0
        else:
            f1, f2 = 0, 1  # (omega_-, -omega_+)
            s1, s2 = 1.0, -1.0
    vals_p = (dwp_e, dwp_x, dwp_y, dwp_z, 0.0)
    vals_m = (r * dwp_e, r * dwp_x, r * dwp_y, r * dwp_z, 1.0 / wp)
    a1 = s1 * (wp if f1 == 1 else wm)
    a2 = s2 * (wp if f2 == 1 else wm)
    u1 = g1 * c1 + g2 * c2
    u2 = g3 * c1 + g4 * c2
    h1 = g1 * a1 + g3 * a2
    h2 = g2 * a1 + g4 * a2
    out0 = complex(0.0, 0.0)
    out1 = complex(0.0, 0.0)
    out2 = complex(0.0, 0.0)
    out3 = complex(0.0, 0.0)
    out4 = complex(0.0, 0.0)
    for x in range(5):
        d1 = s1 * (vals_p[x] if f1 == 1 else vals_m[x])
        d2 = s2 * (vals_p[x] if f2 == 1 else vals_m[x])
        t = u1 * d1 + u2 * d2
        if x == 1:
            t += h1 * j1x + h2 * j2x
        elif x == 2:
            t += h1 * j1y + h2 * j2y
        elif x == 3:
            t += h1 * j1z + h2 * j2z
        if x == 0:
            out0 = t
        elif x == 1:
            out1 = t
        elif x == 2:
            out2 = t
        elif x == 3:
            out3 = t
        else:
            out4 = t
    return out0, out1, out2, out3, out4


@device
def external_psi_vjp(e, px, py, pz, m, hel, incoming, g1, g2, g3, g4):
    return spinor_vjp(e, px, py, pz, m, hel, not incoming, g1, g2, g3, g4)


@device
def external_psibar_vjp(e, px, py, pz, m, hel, incoming, g1, g2, g3, g4):
    # w = conj(s3, s4, s1, s2): pass the conjugated, half-swapped cotangent
    return spinor_vjp(e, px, py, pz, m, hel, incoming, g3.conjugate(), g4.conjugate(), g1.conjugate(), g2.conjugate())


@device
def polarisation_vjp(e, px, py, pz, m, hel, incoming, g0, g1, g2, g3):
    """G = sum_j g_j d eps_j / d(E, px, py, pz, m) (conjugated cotangent for outgoing legs).

    Transverse: differentiates the Cartesian forms of the forward kernel;
    eps_- = -conj(eps_+) gives d eps_- = -conj(d eps_+) for real variables.
    """
    z = complex(0.0, 0.0)
    if not incoming:
        g0, g1, g2, g3 = g0.conjugate(), g1.conjugate(), g2.conjugate(), g3.conjugate()
    pt2 = px * px + py * py
    pp = math.sqrt(pt2 + pz * pz)
    if pp == 0.0:
        return z, z, z, z, z
    pp3 = pp * pp * pp
    if hel == 0:
        q = g1 * px + g2 * py + g3 * pz
        ge = q / (m * pp)
        gx = g0 * px / (m * pp) + e / m * (g1 / pp - q * px / pp3)
        gy = g0 * py / (m * pp) + e / m * (g2 / pp - q * py / pp3)
        gz = g0 * pz / (m * pp) + e / m * (g3 / pp - q * pz / pp3)
        eps_dot_g = g0 * pp / m + e / (m * pp) * q
        return ge, gx, gy, gz, -eps_dot_g / m
    r = 1.0 / math.sqrt(2.0)
    sz = 1.0 if pz >= 0.0 else -1.0
    w = complex(px, sz * py)
    a = pp + sz * pz
    big = w * w / (pp * a)
    o1 = z
    o2 = z
    o3 = z
    for k in range(3):
        pk = px if k == 0 else (py if k == 1 else pz)
        dpp = pk / pp
        dw = complex(1.0, 0.0) if k == 0 else (complex(0.0, sz) if k == 1 else z)
        da = dpp + (sz if k == 2 else 0.0)
        dc = (1.0 if k == 2 else 0.0) / pp - pz * pk / pp3
        dbig = 2.0 * w * dw / (pp * a) - big * (dpp / pp + da / a)
        if sz > 0.0:
            dex = r * (dbig - dc) / 2.0
            dey = r * 1j * (-dbig - dc) / 2.0
        else:
            dex = r * (-dc - dbig) / 2.0
            dey = r * 1j * (dc - dbig) / 2.0
        dez = r * (dw / pp - w * dpp / (pp * pp))
        if hel < 0:
            dex, dey, dez = -dex.conjugate(), -dey.conjugate(), -dez.conjugate()
        t = g1 * dex + g2 * dey + g3 * dez
        if k == 0:
            o1 = t
        elif k == 1:
            o2 = t
        else:
            o3 = t
    return z, o1, o2, o3, z
