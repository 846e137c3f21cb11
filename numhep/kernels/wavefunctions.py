"""External wavefunctions of helicity amplitudes (chiral representation).

Dirac matrices: gamma^mu = [[0, sigma^mu], [sigmabar^mu, 0]] with sigma^mu = (1, sigma),
sigmabar^mu = (1, -sigma), gamma5 = diag(-1, -1, 1, 1): a spinor is (psi_L; psi_R).
With the helicity two-spinors chi_+ = (|p| + pz, px + i py)/N, chi_- = (-px + i py, |p| + pz)/N,
N = sqrt(2 |p| (|p| + pz)) (chi_+ = (1, 0) at rest; (0, 1) and (-1, 0) along -z), and
omega_+ = sqrt(E + |p|), omega_- = m / omega_+ (= sqrt(E - |p|) on the mass shell; written
with the mass so that massless spinors stay smooth off the shell, where gradients look):
    u(p, l) = ( omega_{-l} chi_l ; omega_l chi_l ),
    v(p, l) = ( -l omega_l chi_{-l} ; l omega_{-l} chi_{-l} ),
    ubar = u^dagger gamma^0 = (u_R^*, u_L^*) as a row;
so that sum_l u ubar = pslash + m and sum_l v vbar = pslash - m (tested).
Polarisation vectors of momentum direction (theta, phi):
    eps(+-) = (0, -+ e_theta - i e_phi)/sqrt2 (up to a phase, see polarisation),
    eps(0) = (|p|, E p/|p|)/m, e_theta = (cos th cos ph, cos th sin ph, -sin th),
    e_phi = (-sin ph, cos ph, 0); incoming vectors take eps, outgoing ones eps^*;
    sum_l eps eps^* = -g + k k/m^2 for massive vectors.
These sums are all that |M|^2 summed over helicities depends on.
Adjoint: :mod:`numhep.adjoint.wavefunctions`.
"""

import math

from numhep.kernels._target import device

#: the helicity algebra is compiled with fast math (numhep.kernels._target)
FAST_MATH = True


@device
def helicity_spinor(px, py, pz, hel):
    """chi_hel(p direction) as two complex numbers, smooth in each hemisphere.

    pz >= 0: chi_+ = (|p| + pz, px + i py)/N, chi_- = (-px + i py, |p| + pz)/N, N^2 = 2|p|(|p| + pz);
    pz < 0:  the same states times exp(-+ i phi), which removes the azimuthal phase that is
             undefined on the -z axis: chi_+ = (px - i py, |p| - pz)/N', chi_- = (-(|p| - pz), px + i py)/N',
             N'^2 = 2|p|(|p| - pz).  (Each external wavefunction's phase is free: |M_h|^2 does
             not depend on it, but its derivatives exist only where the phase is smooth.)
    """
    pp = math.sqrt(px * px + py * py + pz * pz)
    if pp == 0.0:
        if hel > 0:
            return complex(1.0, 0.0), complex(0.0, 0.0)
        return complex(0.0, 0.0), complex(1.0, 0.0)
    if pz >= 0.0:
        a = pp + pz
        norm = 1.0 / math.sqrt(2.0 * pp * a)
        if hel > 0:
            return complex(a * norm, 0.0), complex(px * norm, py * norm)
        return complex(-px * norm, py * norm), complex(a * norm, 0.0)
    b = pp - pz
    norm = 1.0 / math.sqrt(2.0 * pp * b)
    if hel > 0:
        return complex(px * norm, -py * norm), complex(b * norm, 0.0)
    return complex(-b * norm, 0.0), complex(px * norm, py * norm)


@device
def spinor_u(e, px, py, pz, m, hel):
    """u(p, hel) = (omega_{-h} chi_h ; omega_h chi_h)."""
    pp = math.sqrt(px * px + py * py + pz * pz)
    wp = math.sqrt(max(e + pp, 0.0))
    wm = m / wp if m != 0.0 else 0.0
    c1, c2 = helicity_spinor(px, py, pz, hel)
    if hel > 0:
        return wm * c1, wm * c2, wp * c1, wp * c2
    return wp * c1, wp * c2, wm * c1, wm * c2


@device
def spinor_v(e, px, py, pz, m, hel):
    """v(p, hel) = (-h omega_h chi_{-h} ; h omega_{-h} chi_{-h})."""
    pp = math.sqrt(px * px + py * py + pz * pz)
    wp = math.sqrt(max(e + pp, 0.0))
    wm = m / wp if m != 0.0 else 0.0
    c1, c2 = helicity_spinor(px, py, pz, -hel)
    if hel > 0:
        return -wp * c1, -wp * c2, wm * c1, wm * c2
    return wm * c1, wm * c2, -wp * c1, -wp * c2


@device
def external_psi(e, px, py, pz, m, hel, incoming):
    """psi-type spinor: u(p) of an incoming fermion, v(p) of an outgoing antifermion."""
    if incoming:
        return spinor_u(e, px, py, pz, m, hel)
    return spinor_v(e, px, py, pz, m, hel)


@device
def external_psibar(e, px, py, pz, m, hel, incoming):
    """psibar-type row spinor: vbar(p) of an incoming antifermion, ubar(p) of an outgoing fermion."""
    if incoming:
        a1, a2, a3, a4 = spinor_v(e, px, py, pz, m, hel)
    else:
        a1, a2, a3, a4 = spinor_u(e, px, py, pz, m, hel)
    return a3.conjugate(), a4.conjugate(), a1.conjugate(), a2.conjugate()


@device
def polarisation(e, px, py, pz, m, hel, incoming):
    """eps^mu(p, hel) (incoming) or its conjugate (outgoing); hel in {-1, 0, 1}.

    Transverse: (-h e_theta - i e_phi)/sqrt2 times exp(+- i h phi) (upper/lower hemisphere),
    written in Cartesian components so that it is smooth on the beam axes; with
    w = px + i py, c = pz/|p|, r = 1/sqrt2:
      pz >= 0: eps_+ = r ((A - 1 - c)/2, i(-A - 1 - c)/2, w/|p|),       A = w^2/(|p| (|p| + pz))
      pz < 0:  eps_+ = r ((1 - c - B)/2, i(c - 1 - B)/2, conj(w)/|p|),  B = conj(w)^2/(|p| (|p| - pz))
    and eps_- = -conj(eps_+).
    """
    z = complex(0.0, 0.0)
    pt2 = px * px + py * py
    pp = math.sqrt(pt2 + pz * pz)
    if hel == 0:
        v0 = complex(pp / m, 0.0)
        if pp == 0.0:
            return z, z, z, complex(1.0, 0.0)
        s = e / (m * pp)
        return v0, complex(s * px, 0.0), complex(s * py, 0.0), complex(s * pz, 0.0)
    r = 1.0 / math.sqrt(2.0)
    if pp == 0.0:
        ex, ey, ez = complex(-r, 0.0), complex(0.0, -r), z
    else:
        c = pz / pp
        if pz >= 0.0:
            w = complex(px, py)
            big = w * w / (pp * (pp + pz))
            ex = r * (big - 1.0 - c) / 2.0
            ey = r * 1j * (-big - 1.0 - c) / 2.0
            ez = r * w / pp
        else:
            w = complex(px, -py)
            big = w * w / (pp * (pp - pz))
            ex = r * (1.0 - c - big) / 2.0
            ey = r * 1j * (c - 1.0 - big) / 2.0
            ez = r * w / pp
    if hel < 0:
        ex, ey, ez = -ex.conjugate(), -ey.conjugate(), -ez.conjugate()
    if incoming:
        return z, ex, ey, ez
    return z, ex.conjugate(), ey.conjugate(), ez.conjugate()
