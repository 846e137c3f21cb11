"""Lorentz kinematics of four-momenta ``(E, px, py, pz)`` with metric (+, -, -, -).

Kernels act on arrays of shape ``(n, 4)`` (one four-vector per event);
the public wrappers in :mod:`numhep.phasespace.kinematics` reshape ``(n, legs, 4)``.
Adjoints: :mod:`numhep.adjoint.lorentz`.
"""

import math

from numhep.kernels._target import device, kernel


@device
def mdot(a0, a1, a2, a3, b0, b1, b2, b3):
    """Minkowski product a.b = a0 b0 - a1 b1 - a2 b2 - a3 b3, a device helper for kernels.

    Parameters
    ----------
    a0, a1, a2, a3 : float
        The components of a (E first).
    b0, b1, b2, b3 : float
        The components of b.

    Returns
    -------
    float
        a.b with the metric (+, -, -, -).

    Examples
    --------
    >>> from numhep.plugin import mdot
    >>> float(mdot(5.0, 0.0, 0.0, 3.0, 5.0, 0.0, 0.0, 3.0))    # a mass of 4, squared
    16.0
    """
    return a0 * b0 - a1 * b1 - a2 * b2 - a3 * b3


@kernel
def minkowski_dot(i, p, q, out):
    """out = p.q for each event."""
    out[i] = mdot(p[i, 0], p[i, 1], p[i, 2], p[i, 3], q[i, 0], q[i, 1], q[i, 2], q[i, 3])


@kernel
def invariant_mass(i, p, out):
    """m = sign(p^2) sqrt(|p^2|): the mass, negative for space-like vectors."""
    m2 = mdot(p[i, 0], p[i, 1], p[i, 2], p[i, 3], p[i, 0], p[i, 1], p[i, 2], p[i, 3])
    out[i] = math.sqrt(m2) if m2 >= 0.0 else -math.sqrt(-m2)


@kernel
def transverse_momentum(i, p, out):
    """pT = sqrt(px^2 + py^2)."""
    out[i] = math.sqrt(p[i, 1] * p[i, 1] + p[i, 2] * p[i, 2])


@kernel
def rapidity(i, p, out):
    """y = 1/2 ln((E + pz) / (E - pz))."""
    out[i] = 0.5 * math.log((p[i, 0] + p[i, 3]) / (p[i, 0] - p[i, 3]))


@kernel
def pseudorapidity(i, p, out):
    """eta = asinh(pz / pT)."""
    out[i] = math.asinh(p[i, 3] / math.sqrt(p[i, 1] * p[i, 1] + p[i, 2] * p[i, 2]))


@kernel
def boost(i, p, beta, out):
    """Active boost of p by the velocity beta = (bx, by, bz), |beta| < 1.

    E' = gamma (E + beta.p),  p' = p + [(gamma - 1)(beta.p)/beta^2 + gamma E] beta,
    with gamma = 1/sqrt(1 - beta^2); (gamma - 1)/beta^2 is written as
    gamma^2/(gamma + 1) so that beta -> 0 is smooth.
    """
    bx, by, bz = beta[i, 0], beta[i, 1], beta[i, 2]
    b2 = bx * bx + by * by + bz * bz
    gamma = 1.0 / math.sqrt(1.0 - b2)
    bp = bx * p[i, 1] + by * p[i, 2] + bz * p[i, 3]
    c = gamma * gamma / (gamma + 1.0) * bp + gamma * p[i, 0]
    out[i, 0] = gamma * (p[i, 0] + bp)
    out[i, 1] = p[i, 1] + c * bx
    out[i, 2] = p[i, 2] + c * by
    out[i, 3] = p[i, 3] + c * bz


@kernel
def rotate(i, p, r, out):
    """Spatial rotation p' = (E, R p) by the 3x3 matrix r[i]."""
    out[i, 0] = p[i, 0]
    for a in range(3):
        out[i, a + 1] = r[i, a, 0] * p[i, 1] + r[i, a, 1] * p[i, 2] + r[i, a, 2] * p[i, 3]


@device
def boost_from_rest(e, px, py, pz, q0, qx, qy, qz, m):
    """Boost (e, p) from the rest frame of Q = (q0, q) with mass m into Q's frame.

    E' = (q0 e + q.p)/m,  p' = p + [q.p/(m (q0 + m)) + e/m] q.
    Taking m as an argument (rather than sqrt(Q^2)) keeps the boost exact for
    highly boosted Q, where sqrt(q0^2 - q^2) loses digits.
    """
    bp = qx * px + qy * py + qz * pz
    c = bp / (m * (q0 + m)) + e / m
    return (q0 * e + bp) / m, px + c * qx, py + c * qy, pz + c * qz


@device
def rotate_from_z(x, y, z, nx, ny, nz, transpose):
    """R v for the rotation R that takes the z axis to the unit vector n (R^T v if transpose).

    Rodrigues' formula for unit a -> n with c = a.n, k = a x n:
        R v = c v + k x v + k (k.v) / (1 + c),   R^T v = c v - k x v + k (k.v) / (1 + c).
    For n_z >= 0, a = z; otherwise R = R(-z -> n) F with F = diag(1, -1, -1) (a turn by
    pi about x), so 1 + c >= 1 in both branches and no direction is singular.  Used to
    place a polar angle about an arbitrary axis (t-channel blocks); any fixed azimuthal
    origin is valid there, so the switch between branches is harmless.
    """
    if nz >= 0.0:
        kx, ky, c = -ny, nx, nz
    else:
        kx, ky, c = ny, -nx, -nz
        if not transpose:
            y, z = -y, -z
    sg = -1.0 if transpose else 1.0
    kv = (kx * x + ky * y) / (1.0 + c)
    ox = c * x + sg * ky * z + kx * kv
    oy = c * y - sg * kx * z + ky * kv
    oz = c * z + sg * (kx * y - ky * x)
    if nz < 0.0 and transpose:
        oy, oz = -oy, -oz
    return ox, oy, oz


@kernel
def boost_to_frame(i, p, q, out):
    """Boost p from the rest frame of q into the frame where q is given (m = sqrt(q^2))."""
    m = math.sqrt(mdot(q[i, 0], q[i, 1], q[i, 2], q[i, 3], q[i, 0], q[i, 1], q[i, 2], q[i, 3]))
    e, x, y, z = boost_from_rest(p[i, 0], p[i, 1], p[i, 2], p[i, 3], q[i, 0], q[i, 1], q[i, 2], q[i, 3], m)
    out[i, 0] = e
    out[i, 1] = x
    out[i, 2] = y
    out[i, 3] = z


#: Taylor coefficients of sin x and cos x: on |x| <= pi/4 the first terms left out are below
#: 1e-17, so the sums are exact to rounding
_SIN_TAYLOR = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(8))
_COS_TAYLOR = tuple((-1) ** k / math.factorial(2 * k) for k in range(9))
_S0, _S1, _S2, _S3, _S4, _S5, _S6, _S7 = _SIN_TAYLOR
_C0, _C1, _C2, _C3, _C4, _C5, _C6, _C7, _C8 = _COS_TAYLOR


@device(inline=True)
def cos_sin_turns(u):
    """(cos 2 pi u, sin 2 pi u) for an azimuth drawn as a fraction u of a turn.

    The reduction is exact in turns: u gives the quadrant and a remainder r in [0, 1/2]
    (by symmetry), and x = (pi/2) r is the only rounded step before the Taylor sums on
    [0, pi/4]; the quadrant then swaps and signs the pair by selects, with no branch.  So it is
    more exact than cos and sin of a rounded 2 pi u (2e-16 against 7e-16 at worst) and several
    times cheaper, which matters in the phase-space maps, where it is called once per particle.
    """
    t = 4.0 * u
    q = math.floor(t)
    r = t - q
    swap = r > 0.5
    r = 1.0 - r if swap else r
    x = 0.5 * math.pi * r
    z = x * x
    s = x * (_S0 + z * (_S1 + z * (_S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * (_S6 + z * _S7)))))))
    c = _C0 + z * (_C1 + z * (_C2 + z * (_C3 + z * (_C4 + z * (_C5 + z * (_C6 + z * (_C7 + z * _C8)))))))
    k = int(q)
    flip = swap != ((k & 1) == 1)
    a = s if flip else c
    b = c if flip else s
    return (1.0 - 2.0 * (((k + 1) >> 1) & 1)) * a, (1.0 - 2.0 * ((k >> 1) & 1)) * b
