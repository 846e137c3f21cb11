"""RAMBO: flat n-body phase space from 4n uniform numbers.

Kleiss, Stirling and Ellis, Comput. Phys. Commun. 40 (1986) 359; its invertible descendant,
RAMBO on diet (Platzer, arXiv:1308.2922), lives in :mod:`numhep.kernels.rambo_on_diet`.

Massless step, per particle j with uniforms (r0, r1, r2, r3):
    c = 2 r0 - 1,  phi = 2 pi r1,  q0 = -ln(r2 r3),  q = q0 (sqrt(1-c^2) cos phi, sqrt(1-c^2) sin phi, c);
then with Q = sum q, M = sqrt(Q^2) the vectors are boosted from the rest frame of
(Q0, -Q) (so their sum is at rest) and scaled by x = sqrt(s)/M.
Massive step: solve sum_j sqrt(m_j^2 + xi^2 E_j^2) = sqrt(s) for xi, then
k_j = (sqrt(m_j^2 + xi^2 E_j^2), xi p_j).

Weight, normalised so that sigma = 1/(2s) <|M|^2 w> with
dPhi_n = (2 pi)^4 delta^4(P - sum p) prod d^3p/((2 pi)^3 2E):
    w0 = (2 pi)^(4-3n) (pi/2)^(n-1) s^(n-2) / ((n-1)! (n-2)!)      (massless, constant)
    w  = w0 xi^(2n-3) prod(|k_j|/E_j) sqrt(s) / sum(|k_j|^2/E_j)     (massive)
Adjoint: :mod:`numhep.adjoint.rambo`.
"""

import math

from numhep.kernels._target import device, kernel
from numhep.kernels.lorentz import boost_from_rest, cos_sin_turns


@device
def log_massless_volume(n, sqrt_s):
    """ln of the massless n-body phase-space volume (including (2 pi)^(4-3n))."""
    return (
        (4.0 - 3.0 * n) * math.log(2.0 * math.pi)
        + (n - 1.0) * math.log(0.5 * math.pi)
        + (2.0 * n - 4.0) * math.log(sqrt_s)
        - math.lgamma(n)
        - math.lgamma(n - 1.0)
    )


@device
def isotropic(r, i, j):
    """Particle j's massless energy and direction: (q0, cos theta, sin theta, cos phi, sin phi)."""
    c = 2.0 * r[i, j, 0] - 1.0
    cp, sp = cos_sin_turns(r[i, j, 1])
    return -math.log(r[i, j, 2] * r[i, j, 3]), c, math.sqrt(1.0 - c * c), cp, sp


@device
def isotropic_vectors(i, r, sqrt_s, p):
    """Massless step: write the massless momenta of event i into p[i]; return (Q0, Qx, Qy, Qz, M)."""
    nout = r.shape[1]
    q0s = 0.0
    qxs = 0.0
    qys = 0.0
    qzs = 0.0
    for j in range(nout):
        e, c, s, cp, sp = isotropic(r, i, j)
        p[i, j, 0] = e
        p[i, j, 1] = e * s * cp
        p[i, j, 2] = e * s * sp
        p[i, j, 3] = e * c
        q0s += e
        qxs += p[i, j, 1]
        qys += p[i, j, 2]
        qzs += p[i, j, 3]
    m = math.sqrt(q0s * q0s - qxs * qxs - qys * qys - qzs * qzs)
    x = sqrt_s / m
    for j in range(nout):
        e, a, b, c = boost_from_rest(p[i, j, 0], p[i, j, 1], p[i, j, 2], p[i, j, 3], q0s, -qxs, -qys, -qzs, m)
        p[i, j, 0] = x * e
        p[i, j, 1] = x * a
        p[i, j, 2] = x * b
        p[i, j, 3] = x * c
    return q0s, qxs, qys, qzs, m


@device
def solve_xi(i, masses, sqrt_s, p):
    """Newton solve of sum_j sqrt(m_j^2 + xi^2 E_j^2) = sqrt(s) on massless energies p[i, :, 0]."""
    nout = masses.shape[0]
    msum = 0.0
    for j in range(nout):
        msum += masses[j]
    xi = math.sqrt(max(1.0 - (msum / sqrt_s) ** 2, 1e-300))
    for _ in range(100):
        f = -sqrt_s
        df = 0.0
        for j in range(nout):
            e = math.sqrt(masses[j] ** 2 + (xi * p[i, j, 0]) ** 2)
            f += e
            df += xi * p[i, j, 0] ** 2 / e
        step = f / df
        xi -= step
        if abs(step) <= 1e-16 * xi:
            break
    return xi


@kernel
def rambo(i, r, sqrt_s, masses, p, weight):
    """Fill p[i] (nout, 4) and weight[i] from uniforms r[i] (nout, 4) at energy sqrt_s[i]."""
    nout = r.shape[1]
    w = sqrt_s[i]
    isotropic_vectors(i, r, w, p)
    logw = log_massless_volume(nout, w)
    massive = False
    for j in range(nout):
        if masses[j] != 0.0:
            massive = True
    if massive:
        xi = solve_xi(i, masses, w, p)
        prod = 0.0
        s3 = 0.0
        for j in range(nout):
            k = xi * p[i, j, 0]
            e = math.sqrt(masses[j] ** 2 + k * k)
            prod += math.log(k / e)
            s3 += k * k / e
            p[i, j, 0] = e
            p[i, j, 1] *= xi
            p[i, j, 2] *= xi
            p[i, j, 3] *= xi
        logw += (2.0 * nout - 3.0) * math.log(xi) + prod + math.log(w / s3)
    weight[i] = math.exp(logw)
