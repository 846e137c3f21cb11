"""Array-level Lorentz kinematics on ``(..., 4)`` momenta (numpy or CuPy).

Thin wrappers over :mod:`numhep.kernels.lorentz`: they flatten the leading
axes, run the kernel on the caller's device and restore the shape.
"""

from __future__ import annotations

from numhep import arrays as ab
from numhep import ops
from numhep.adjoint import lorentz as _adjoint  # noqa: F401  (attaches .vjp)
from numhep.kernels import lorentz as K

__all__ = [
    "minkowski_dot",
    "invariant_mass",
    "transverse_momentum",
    "rapidity",
    "pseudorapidity",
    "boost",
    "rotate",
]


def _scalar_of(kernel, p):
    xp = ab.namespace(p)
    p = ab.momenta(p, xp=xp)
    flat = p.reshape(-1, 4)
    out = xp.empty(flat.shape[0])
    kernel(flat, out)
    return out.reshape(p.shape[:-1])


def _minkowski_dot(xp, p, q):
    """The Minkowski product p.q = p0 q0 - p1 q1 - p2 q2 - p3 q3, metric (+,-,-,-).

    Parameters
    ----------
    p : array of float64, shape ``(..., 4)``
        Four-momenta (E, px, py, pz) in GeV, at least two-dimensional (one momentum is
        shape (1, 4)); numpy or CuPy.
    q : array of float64, shape ``(..., 4)``
        Four-momenta in GeV, broadcast against ``p``.

    Returns
    -------
    array of float64, shape (...)
        p.q in GeV^2.  Differentiable in both momenta (``minkowski_dot.vjp``; torch tensors
        through autograd, cotangents summed back over broadcast axes).

    Raises
    ------
    ValueError
        If the momenta are not of shape (..., 4) with at least two axes, or not finite.
    TypeError
        If they are not real numbers.

    Examples
    --------
    >>> from numhep.phasespace import kinematics
    >>> p = np.array([[5.0, 3.0, 0.0, 0.0], [10.0, 0.0, 6.0, 8.0]])
    >>> kinematics.minkowski_dot(p, p)
    array([16.,  0.])
    """
    p, q = ab.momenta(p, xp=xp), ab.momenta(q, "q", xp=xp)
    p, q = xp.broadcast_arrays(p, q)
    return xp.ascontiguousarray(p).reshape(-1, 4), xp.ascontiguousarray(q).reshape(-1, 4), p.shape[:-1]


def _minkowski_dot_forward(xp, p, q):
    fp, fq, shape = _minkowski_dot(xp, p, q)
    out = xp.empty(fp.shape[0])
    K.minkowski_dot(fp, fq, out)
    return (out.reshape(shape),)


def _minkowski_dot_vjp(xp, p, q, g):
    fp, fq, shape = _minkowski_dot(xp, p, q)
    g = ops.cotangent(g, shape, "grad_dot", xp).reshape(-1)
    gp, gq = xp.empty_like(fp), xp.empty_like(fq)
    K.minkowski_dot.vjp(fp, fq, g, gp, gq)
    return gp.reshape(*shape, 4), gq.reshape(*shape, 4)


# an Op written out rather than kernel_op: the kernel runs on flattened (N, 4) momenta and the
# result takes the broadcast shape (...) of p and q back
minkowski_dot = ops.Op(_minkowski_dot_forward, _minkowski_dot_vjp, signature=_minkowski_dot,
                       differentiable=("p", "q"), n_outputs=1, result=None)


def invariant_mass(p):
    """The invariant mass sign(p^2) sqrt(``|p^2|``), negative for space-like momenta.

    Parameters
    ----------
    p : array of float64, shape ``(..., 4)``
        Four-momenta (E, px, py, pz) in GeV, at least two-dimensional (one momentum is
        shape (1, 4)); numpy or CuPy.

    Returns
    -------
    array of float64, shape (...)
        The invariant mass in GeV.

    Raises
    ------
    ValueError
        If the momenta are not of shape (..., 4) with at least two axes, or not finite.
    TypeError
        If they are not real numbers.

    Examples
    --------
    >>> from numhep.phasespace import kinematics
    >>> p = np.array([[5.0, 3.0, 0.0, 0.0], [10.0, 0.0, 6.0, 8.0]])
    >>> kinematics.invariant_mass(p)
    array([4., 0.])
    """
    return _scalar_of(K.invariant_mass, p)


def transverse_momentum(p):
    """The transverse momentum sqrt(px^2 + py^2) with respect to the beam (z) axis.

    Parameters
    ----------
    p : array of float64, shape ``(..., 4)``
        Four-momenta (E, px, py, pz) in GeV, at least two-dimensional (one momentum is
        shape (1, 4)); numpy or CuPy.

    Returns
    -------
    array of float64, shape (...)
        pT in GeV.

    Raises
    ------
    ValueError
        If the momenta are not of shape (..., 4) with at least two axes, or not finite.
    TypeError
        If they are not real numbers.

    Examples
    --------
    >>> from numhep.phasespace import kinematics
    >>> p = np.array([[5.0, 3.0, 0.0, 0.0], [10.0, 0.0, 6.0, 8.0]])
    >>> kinematics.transverse_momentum(p)
    array([3., 6.])
    """
    return _scalar_of(K.transverse_momentum, p)


def rapidity(p):
    """The rapidity y = 1/2 ln((E + pz) / (E - pz)).

    Parameters
    ----------
    p : array of float64, shape ``(..., 4)``
        Four-momenta (E, px, py, pz) in GeV, at least two-dimensional (one momentum is
        shape (1, 4)); numpy or CuPy.

    Returns
    -------
    array of float64, shape (...)
        The rapidity.

    Raises
    ------
    ValueError
        If the momenta are not of shape (..., 4) with at least two axes, or not finite.
    TypeError
        If they are not real numbers.

    Examples
    --------
    >>> from numhep.phasespace import kinematics
    >>> p = np.array([[5.0, 3.0, 0.0, 0.0], [10.0, 0.0, 6.0, 8.0]])
    >>> kinematics.rapidity(p).round(6)
    array([0.      , 1.098612])
    """
    return _scalar_of(K.rapidity, p)


def pseudorapidity(p):
    """The pseudorapidity eta = asinh(pz / pT) = -ln tan(theta / 2).

    Parameters
    ----------
    p : array of float64, shape ``(..., 4)``
        Four-momenta (E, px, py, pz) in GeV, at least two-dimensional (one momentum is
        shape (1, 4)); numpy or CuPy.

    Returns
    -------
    array of float64, shape (...)
        The pseudorapidity.

    Raises
    ------
    ValueError
        If the momenta are not of shape (..., 4) with at least two axes, or not finite.
    TypeError
        If they are not real numbers.

    Examples
    --------
    >>> from numhep.phasespace import kinematics
    >>> p = np.array([[5.0, 3.0, 0.0, 0.0], [10.0, 0.0, 6.0, 8.0]])
    >>> kinematics.pseudorapidity(p).round(6)
    array([0.      , 1.098612])
    """
    return _scalar_of(K.pseudorapidity, p)


def boost(p, beta):
    """Lorentz-boost momenta by velocities beta.

    Parameters
    ----------
    p : array of float64, shape ``(..., 4)``
        Four-momenta (E, px, py, pz) in GeV, at least two-dimensional (one momentum is
        shape (1, 4)); numpy or CuPy.
    beta : array of float64, shape ``(..., 3)``
        Boost velocities (in units of c), ``|beta|`` < 1, broadcast against ``p``.

    Returns
    -------
    array of float64, shape (broadcast, 4)
        The boosted momenta in GeV.

    Raises
    ------
    ValueError
        If the shapes are wrong or a velocity has ``|beta|`` >= 1.

    Examples
    --------
    >>> from numhep.phasespace import kinematics
    >>> kinematics.boost(np.array([[1.0, 0.0, 0.0, 0.0]]), np.array([[0.0, 0.0, 0.6]]))
    array([[1.25, 0.  , 0.  , 0.75]])
    """
    xp = ab.namespace(p, beta)
    p = ab.momenta(p, xp=xp)
    beta = ab.as_float64(beta, "beta", xp)
    if beta.shape[-1] != 3:
        raise ValueError(f"beta: expected shape (..., 3), got {tuple(beta.shape)}")
    if bool(xp.any(xp.sum(beta * beta, axis=-1) >= 1.0)):
        raise ValueError("beta: boost velocity must satisfy |beta| < 1")
    shape = xp.broadcast_shapes(p.shape[:-1], beta.shape[:-1])
    fp = xp.ascontiguousarray(xp.broadcast_to(p, shape + (4,))).reshape(-1, 4)
    fb = xp.ascontiguousarray(xp.broadcast_to(beta, shape + (3,))).reshape(-1, 3)
    out = xp.empty_like(fp)
    K.boost(fp, fb, out)
    return out.reshape(shape + (4,))


def rotate(p, r):
    """Rotate the spatial part of momenta by rotation matrices.

    Parameters
    ----------
    p : array of float64, shape ``(..., 4)``
        Four-momenta (E, px, py, pz) in GeV, at least two-dimensional (one momentum is
        shape (1, 4)); numpy or CuPy.
    r : array of float64, shape ``(..., 3, 3)``
        Rotation matrices acting on (px, py, pz), broadcast against ``p``.

    Returns
    -------
    array of float64, shape (broadcast, 4)
        The rotated momenta in GeV (energies unchanged).

    Raises
    ------
    ValueError
        If the shapes are wrong.

    Examples
    --------
    >>> from numhep.phasespace import kinematics
    >>> r = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    >>> kinematics.rotate(np.array([[5.0, 3.0, 0.0, 4.0]]), r)
    array([[5., 0., 3., 4.]])
    """
    xp = ab.namespace(p, r)
    p = ab.momenta(p, xp=xp)
    r = ab.as_float64(r, "r", xp)
    if r.shape[-2:] != (3, 3):
        raise ValueError(f"r: expected rotation matrices (..., 3, 3), got {tuple(r.shape)}")
    shape = xp.broadcast_shapes(p.shape[:-1], r.shape[:-2])
    fp = xp.ascontiguousarray(xp.broadcast_to(p, shape + (4,))).reshape(-1, 4)
    fr = xp.ascontiguousarray(xp.broadcast_to(r, shape + (3, 3))).reshape(-1, 3, 3)
    out = xp.empty_like(fp)
    K.rotate(fp, fr, out)
    return out.reshape(shape + (4,))
