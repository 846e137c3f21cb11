"""RAMBO on diet: an invertible map from [0,1]^(3n-4) to n-body phase space.

S. Platzer, arXiv:1308.2922.  The n-body system is peeled
one particle at a time: Q_0 = (sqrt s, 0) decays to p_0 + Q_1, Q_1 to
p_1 + Q_2, ..., Q_{n-2} to p_{n-2} + p_{n-1}.

Masses.  With K_j = M_j - sum_{l>=j} m_l (the kinetic mass, K_0 = sqrt s - sum m),
x_j = K_{j+1}^2 / K_j^2 is drawn from the massless density (1-x) x^(k-1),
k = n - j - 2, by inverting its CDF
    u_j = (k+1) x^k - k x^(k+1)                              (Platzer Eq. 2.6)
(Newton's method bracketed on [0, 1]).  For massless particles this makes the
weight constant, equal to the n-body volume.
Angles.  In the rest frame of Q_j, p_j has |p*| = sqrt(lambda(M_j^2, M_{j+1}^2, m_j^2))/(2 M_j),
cos(theta) = 2 u - 1, phi = 2 pi u'; p_j is boosted to the frame of Q_j and
Q_{j+1} = Q_j - p_j.
Weight (dPhi_n with the (2 pi)^(4-3n) of :mod:`numhep.kernels.rambo`):
    w = prod_j |p*_j|/(4 pi M_j) * prod_{j<n-2} (dM_{j+1}^2/du_j)/(2 pi),
    dM_{j+1}^2/du_j = M_{j+1} K_j^2 / (K_{j+1} k (k+1) x^(k-1) (1-x)).
The map is a bijection; :func:`rambo_on_diet_inverse` recovers u from momenta.

Layout of u: u[:n-2] drive the masses, u[n-2+2j], u[n-1+2j] the angles of step j.
Adjoint: :mod:`numhep.adjoint.rambo_on_diet`.
"""

import math

import numpy as np

from numhep.kernels._target import device, inlined, kernel
from numhep.kernels.lorentz import boost_from_rest, cos_sin_turns

#: the boost inlined into the map's loop (it is called once per particle)
_boost_from_rest = inlined(boost_from_rest)


@device
def mass_cdf(x, k):
    """u = (k+1) x^k - k x^(k+1)."""
    return (k + 1.0) * x**k - k * x ** (k + 1)


#: mass steps 2 <= k <= TABLE_K start Newton's method from a table of the inverse CDF
TABLE_K = 12
#: the table's bins in u (two tables of (TABLE_K + 1) x (TABLE_BINS + 1) doubles, 27 KB, within
#: the 64 KB of CUDA's constant memory)
TABLE_BINS = 128


def _inverse_cdf_table():
    """x(u) at u = b / TABLE_BINS for every k <= TABLE_K, by bisection to the last bit, and
    dx/du = 1 / (k (k+1) x^(k-1) (1-x)) there (0 at the ends, where it diverges)."""
    u = np.linspace(0.0, 1.0, TABLE_BINS + 1)
    x = np.zeros((TABLE_K + 1, TABLE_BINS + 1))
    dxdu = np.zeros_like(x)
    for k in range(2, TABLE_K + 1):
        lo, hi = np.zeros_like(u), np.ones_like(u)
        for _ in range(64):
            mid = 0.5 * (lo + hi)
            below = (k + 1.0) * mid**k - k * mid ** (k + 1) < u
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        x[k] = 0.5 * (lo + hi)
        inner = slice(1, TABLE_BINS)
        dxdu[k, inner] = 1.0 / (k * (k + 1.0) * x[k, inner] ** (k - 1) * (1.0 - x[k, inner]))
    return x, dxdu


MASS_CDF_X, MASS_CDF_DXDU = _inverse_cdf_table()


@device
def solve_mass_cdf(u, k):
    """x in [0, 1] with (k+1) x^k - k x^(k+1) = u.

    For 2 <= k <= TABLE_K and u away from the ends (two bins), Newton's method starts from the
    cubic Hermite interpolation of a table of x(u) and dx/du, a guess good to ~1e-6, and
    stops after one or two steps (four to five times faster than from the asymptotes);
    elsewhere, or if a step leaves (0, 1), :func:`solve_mass_cdf_bracketed`.
    """
    if u <= 0.0:
        return 0.0
    if u >= 1.0:
        return 1.0
    if k == 1:
        return 1.0 - math.sqrt(1.0 - u)
    t = u * TABLE_BINS
    b = int(t)
    if k > TABLE_K or b < 2 or b > TABLE_BINS - 3:
        return solve_mass_cdf_bracketed(u, k)
    s = t - b
    h = 1.0 / TABLE_BINS
    s2 = s * s
    s3 = s2 * s
    x = ((2.0 * s3 - 3.0 * s2 + 1.0) * MASS_CDF_X[k, b] + (s3 - 2.0 * s2 + s) * h * MASS_CDF_DXDU[k, b]
         + (3.0 * s2 - 2.0 * s3) * MASS_CDF_X[k, b + 1] + (s3 - s2) * h * MASS_CDF_DXDU[k, b + 1])
    kk = k * (k + 1.0)
    for _ in range(6):
        xk = x ** (k - 1)
        step = (xk * x * (k + 1.0 - k * x) - u) / (kk * xk * (1.0 - x))
        x -= step
        if not 0.0 < x < 1.0:
            break
        if abs(step) <= 1e-9 * x:  # quadratic convergence: exact to ~1e-18 now
            return x
    return solve_mass_cdf_bracketed(u, k)


@device
def solve_mass_cdf_bracketed(u, k):
    """x in [0, 1] with (k+1) x^k - k x^(k+1) = u, for 0 < u < 1 and k >= 2.

    Newton's method from the small-u or small-(1-u) asymptote, kept inside a shrinking
    bracket, stopped as soon as a step is tiny, since the next error is of order step^2 (a
    bracket test on a converged iterate would otherwise force needless bisection).
    """
    if u < 0.5:
        x = (u / (k + 1.0)) ** (1.0 / k)
    else:
        x = 1.0 - math.sqrt(2.0 * (1.0 - u) / (k * (k + 1.0)))
    lo = 0.0
    hi = 1.0
    for _ in range(60):
        xk = x ** (k - 1)
        f = (k + 1.0) * xk * x - k * xk * x * x - u
        if f > 0.0:
            hi = x
        elif f < 0.0:
            lo = x
        else:
            break
        df = k * (k + 1.0) * xk * (1.0 - x)
        step = f / df if df > 0.0 else 2.0
        if abs(step) <= 1e-10 * x:  # quadratic convergence: x - step is exact to ~1e-20
            x -= step
            break
        xn = x - step
        if xn <= lo or xn >= hi:
            xn = 0.5 * (lo + hi)
        x = xn
    return x


@device(inline=True)
def two_body_momentum(m, m1, m2):
    """|p*| of m -> m1 + m2: sqrt(lambda(m^2, m1^2, m2^2)) / (2 m)."""
    lam = (m * m - (m1 + m2) ** 2) * (m * m - (m1 - m2) ** 2)
    return math.sqrt(max(lam, 0.0)) / (2.0 * m)


@device(inline=True)
def mass_jacobian(mnext, k_prev, k_next, x, k):
    """(dM_{j+1}^2/du_j) / (2 pi) = M_{j+1} K_j^2 / (K_{j+1} k (k+1) x^(k-1) (1-x)) / (2 pi)."""
    return mnext * k_prev * k_prev / (k_next * k * (k + 1.0) * x ** (k - 1) * (1.0 - x) * 2.0 * math.pi)


@device(inline=True)
def next_mass(u, i, j, kj, ms, masses):
    """Mass step j: (M_{j+1}, K_{j+1}, x_j, (dM_{j+1}^2/du_j)/(2 pi)); ms = sum_{l>j} m_l.

    The last step (j = n - 2) has no random number: M_{n-1} is the last particle's mass.
    """
    n = masses.shape[0]
    if j < n - 2:
        k = n - j - 2
        x = solve_mass_cdf(u[i, j], k)
        kn = math.sqrt(x) * kj
        mn = kn + ms
        return mn, kn, x, mass_jacobian(mn, kj, kn, x, k)
    return masses[n - 1], 0.0, 0.0, 1.0


@device(inline=True)
def rest_frame_momentum(ps, m, uc, uphi):
    """(E, px, py, pz, cos theta, sin theta, cos phi, sin phi) of |p| = ps along
    cos theta = 2 uc - 1, phi = 2 pi uphi."""
    c = 2.0 * uc - 1.0
    s = math.sqrt(1.0 - c * c)
    cp, sp = cos_sin_turns(uphi)
    e = ps if m == 0.0 else math.sqrt(ps * ps + m * m)
    return e, ps * s * cp, ps * s * sp, ps * c, c, s, cp, sp


@kernel
def rambo_on_diet(i, u, sqrt_s, masses, p, weight):
    """Fill p[i] (n, 4) and weight[i] from u[i] (3n - 4) at energy sqrt_s[i]."""
    n = masses.shape[0]
    w = sqrt_s[i]
    msum = 0.0
    for j in range(n):
        msum += masses[j]
    q0, qx, qy, qz = w, 0.0, 0.0, 0.0
    mj = w
    kj = w - msum
    massless = msum == 0.0
    msum -= masses[0]
    # the weight as a product: no logarithms on the hot path (factors stay O(s))
    w8 = 1.0
    for j in range(n - 1):
        if massless:
            # K_j = M_j and the weight is the constant volume: no Jacobian factors to multiply
            if j < n - 2:
                mn = math.sqrt(solve_mass_cdf(u[i, j], n - j - 2)) * mj
            else:
                mn = 0.0
            kn = mn
            ps = 0.5 * (mj - mn) * (mj + mn) / mj
        else:
            mn, kn, _, fj = next_mass(u, i, j, kj, msum, masses)
            ps = two_body_momentum(mj, masses[j], mn)
            w8 *= fj * ps / (4.0 * math.pi * mj)
        e, bx, by, bz, _, _, _, _ = rest_frame_momentum(ps, masses[j], u[i, n - 2 + 2 * j], u[i, n - 1 + 2 * j])
        a0, a1, a2, a3 = _boost_from_rest(e, bx, by, bz, q0, qx, qy, qz, mj)
        p[i, j, 0] = a0
        p[i, j, 1] = a1
        p[i, j, 2] = a2
        p[i, j, 3] = a3
        q0 -= a0
        qx -= a1
        qy -= a2
        qz -= a3
        mj = mn
        kj = kn
        msum -= masses[j + 1]
    p[i, n - 1, 0] = q0
    p[i, n - 1, 1] = qx
    p[i, n - 1, 2] = qy
    p[i, n - 1, 3] = qz
    weight[i] = massless_volume(w * w, n) if massless else w8


@device
def massless_volume(s, n):
    """The massless n-body phase-space volume, (2 pi)^(4-3n) (pi/2)^(n-1) s^(n-2) / ((n-1)! (n-2)!)
    (Kleiss, Stirling & Ellis, Comput. Phys. Commun. 40 (1986) 359, with numhep's (2 pi)^(4-3n))."""
    v = 2.0 * math.pi * (1.0 / (16.0 * math.pi * math.pi)) ** (n - 1)  # (2 pi)^(4-3n) (pi/2)^(n-1)
    for k in range(1, n - 1):
        v *= s / (k * (k + 1.0))  # s^(n-2) / ((n-2)! (n-1)!)
    return v


@kernel
def rambo_on_diet_inverse(i, p, masses, u, weight):
    """Recover u[i] (3n - 4) and weight[i] from centre-of-mass momenta p[i] (n, 4)."""
    n = masses.shape[0]
    q0 = 0.0
    qx = 0.0
    qy = 0.0
    qz = 0.0
    msum = 0.0
    for j in range(n):
        q0 += p[i, j, 0]
        qx += p[i, j, 1]
        qy += p[i, j, 2]
        qz += p[i, j, 3]
        msum += masses[j]
    mj = math.sqrt(q0 * q0 - qx * qx - qy * qy - qz * qz)
    kj = mj - msum
    msum -= masses[0]
    w8 = 1.0
    for j in range(n - 1):
        rx = q0 - p[i, j, 0]
        ry = qx - p[i, j, 1]
        rz = qy - p[i, j, 2]
        rw = qz - p[i, j, 3]
        if j < n - 2:
            k = n - j - 2
            mn = math.sqrt(max(rx * rx - ry * ry - rz * rz - rw * rw, 0.0))
            kn = mn - msum
            x = (kn / kj) ** 2
            u[i, j] = mass_cdf(x, k)
            w8 *= mass_jacobian(mn, kj, kn, x, k)
        else:
            kn = 0.0
            mn = masses[n - 1]
        ps = two_body_momentum(mj, masses[j], mn)
        w8 *= ps / (4.0 * math.pi * mj)
        # p_j in the rest frame of Q_j: boost by the inverse velocity
        b0, b1, b2, b3 = boost_from_rest(p[i, j, 0], p[i, j, 1], p[i, j, 2], p[i, j, 3], q0, -qx, -qy, -qz, mj)
        c = b3 / math.sqrt(b1 * b1 + b2 * b2 + b3 * b3)
        phi = math.atan2(b2, b1)
        if phi < 0.0:
            phi += 2.0 * math.pi
        u[i, n - 2 + 2 * j] = 0.5 * (c + 1.0)
        u[i, n - 1 + 2 * j] = phi / (2.0 * math.pi)
        q0, qx, qy, qz = rx, ry, rz, rw
        mj = mn
        kj = kn
        msum -= masses[j + 1]
    weight[i] = w8
