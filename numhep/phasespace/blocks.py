"""The phase-space blocks of Differentiable MADNIS-Lite (Heimel, Mattelaer, Plehn &
Winterhalder, arXiv:2408.01486, Sec. 4.1) on the caller's arrays.

Each block maps random numbers z in the unit (hyper)cube to kinematic variables and
returns the density g of z in those variables (so a weight is 1/g); each has its exact
inverse and the reverse-mode derivative of both through the hand-derived adjoints.

    s, g = breit_wigner_map(z, mass, width, s_min, s_max)       # Eq. 39
    s, g = power_law_map(z, s_min, s_max, nu=1.4, pole=0.0)     # Eq. 40 (nu=0: Eq. 45)
    k1, k2, g = t_channel_scattering(p1, p2, s1, s2, z, mass=0.0, nu=1.4)   # Eqs. 41-44
    k1, k2, g = two_body_decay(p, s1, s2, z)                    # Eq. 46
    x, g = luminosity_map(z, tau_min, tau_max=1.0)              # Eqs. 47-48

Per-event bounds broadcast from scalars.  Each block is a differentiable operation
(:mod:`numhep.ops`): ``block.vjp(args..., output cotangents...)`` returns the cotangents of
its differentiable inputs (``block.differentiable``), and torch tensors give tensors that
autograd differentiates through the same adjoints.  Densities of the decay block carry no
factors of 2 pi (see :mod:`numhep.kernels.two_body_decay`).
"""

from __future__ import annotations

import numpy as np

from numhep import arrays as ab
from numhep import ops
from numhep.adjoint import invariant_maps as _inv_adj  # noqa: F401  (attaches .vjp)
from numhep.adjoint import luminosity as _lumi_adj  # noqa: F401
from numhep.adjoint import t_channel as _t_adj  # noqa: F401
from numhep.adjoint import two_body_decay as _decay_adj  # noqa: F401
from numhep.kernels import invariant_maps as _inv
from numhep.kernels import luminosity as _lumi
from numhep.kernels import t_channel as _t
from numhep.kernels import two_body_decay as _decay

__all__ = [
    "breit_wigner_map",
    "breit_wigner_map_inverse",
    "luminosity_map",
    "luminosity_map_inverse",
    "power_law_map",
    "power_law_map_inverse",
    "t_channel_scattering",
    "t_channel_scattering_inverse",
    "two_body_decay",
    "two_body_decay_inverse",
]


def _events(x, name, xp):
    a = ab.as_float64(x, name, xp)
    if a.ndim != 1:
        raise ValueError(f"{name}: expected one value per event, shape (n,), got {tuple(a.shape)}")
    return a


def _per_event(x, n, name, xp):
    a = ab.as_float64(x, name, xp)
    if a.ndim > 1 or (a.ndim == 1 and a.shape[0] != n):
        raise ValueError(f"{name}: expected a scalar or shape ({n},), got {tuple(a.shape)}")
    return xp.ascontiguousarray(xp.broadcast_to(a, (n,)))


def _unit(z, name, xp):
    if not bool(xp.all((z >= 0.0) & (z <= 1.0))):
        raise ValueError(f"{name}: random numbers must lie in [0, 1]")
    return z


def _bounds(s_min, s_max, n, xp, lower=None):
    lo = _per_event(s_min, n, "s_min", xp)
    hi = _per_event(s_max, n, "s_max", xp)
    if not bool(xp.all(hi > lo)):
        raise ValueError("s_max must exceed s_min in every event")
    if lower is not None and not bool(xp.all(lo > lower)):
        raise ValueError(f"s_min must lie above the pole of the map ({lower}); move the pole below it")
    return lo, hi


def _mass_width(mass, width):
    if not (mass > 0 and width > 0):
        raise ValueError(f"breit_wigner_map: needs mass > 0 and width > 0, got {mass}, {width}")
    return float(mass), float(width)


def _nu(nu):
    if not np.isfinite(nu):
        raise ValueError(f"nu: must be finite, got {nu}")
    return float(nu)


def _per_event_shapes(*shapes):
    """``shapes(inputs)`` of a block whose outputs have the given per-event shapes."""
    return lambda a: tuple(((a[0].shape[0],) + tuple(shape), np.float64) for shape in shapes)


def _breit_wigner_map(xp, z, mass, width, s_min, s_max):
    """Map z in [0, 1] to an invariant s in [s_min, s_max] along a Breit-Wigner peak.

    Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Eq. 39: with
    y_1,2 = atan((s_min,max - m^2) / (m Gamma)),
    s = m Gamma tan(y1 + (y2 - y1) z) + m^2, and the density of z in s is
    g(s) = dz/ds = m Gamma / ((y2 - y1) ((s - m^2)^2 + m^2 Gamma^2)), so that
    int ds f(s) = int dz f(s(z)) / g(s(z)).

    Parameters
    ----------
    z : array of float64, shape ``(n,)``
        Random numbers in [0, 1].
    mass : float
        Mass m of the propagator in GeV, positive.
    width : float
        Width Gamma of the propagator in GeV, positive.
    s_min, s_max : float or array of float64, shape ``(n,)``
        Bounds of s in GeV^2 (s_max > s_min in every event).

    Returns
    -------
    s : array of float64, shape ``(n,)``
        The invariant in GeV^2.
    density : array of float64, shape ``(n,)``
        g(s) = dz/ds in GeV^-2 (the weight of the point is 1/g).

    Raises
    ------
    ValueError
        If ``z`` is not one number per event in [0, 1], ``mass`` or ``width`` is not
        positive, or s_max does not exceed s_min.

    See Also
    --------
    breit_wigner_map_inverse : The inverse map.

    Examples
    --------
    >>> from numhep.phasespace import breit_wigner_map
    >>> s, g = breit_wigner_map(np.array([0.25, 0.5, 0.75]), 91.19, 2.5, 6000.0, 10000.0)
    >>> s.round(1)
    array([8105.2, 8311.5, 8511.2])
    >>> round(float(g[1]), 8)
    0.00150743
    """
    z = _unit(_events(z, "z", xp), "z", xp)
    lo, hi = _bounds(s_min, s_max, z.shape[0], xp)
    return (z, *_mass_width(mass, width), lo, hi), {"z": 0, "s_min": 3, "s_max": 4}


breit_wigner_map = ops.kernel_op(_inv.breit_wigner_map, signature=_breit_wigner_map, outputs=("s", "density"),
                                 shapes=_per_event_shapes((), ()), differentiable=("z", "s_min", "s_max"))


def _breit_wigner_map_inverse(xp, s, mass, width, s_min, s_max):
    """The inverse of :func:`breit_wigner_map`: z and the density g(s) from the invariant s.

    Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Eq. 39 solved for z:
    z = (atan((s - m^2) / (m Gamma)) - y1) / (y2 - y1), with the same density g(s) = dz/ds.

    Parameters
    ----------
    s : array of float64, shape ``(n,)``
        Invariants in GeV^2.
    mass : float
        Mass m of the propagator in GeV, positive.
    width : float
        Width Gamma of the propagator in GeV, positive.
    s_min, s_max : float or array of float64, shape ``(n,)``
        Bounds of s in GeV^2 (s_max > s_min in every event).

    Returns
    -------
    z : array of float64, shape ``(n,)``
        The random numbers that :func:`breit_wigner_map` maps to ``s``.
    density : array of float64, shape ``(n,)``
        g(s) = dz/ds in GeV^-2.

    Raises
    ------
    ValueError
        If ``s`` is not one number per event, ``mass`` or ``width`` is not positive, or
        s_max does not exceed s_min.

    Examples
    --------
    >>> from numhep.phasespace import breit_wigner_map, breit_wigner_map_inverse
    >>> s, g = breit_wigner_map(np.array([0.25, 0.75]), 91.19, 2.5, 6000.0, 10000.0)
    >>> z, g_back = breit_wigner_map_inverse(s, 91.19, 2.5, 6000.0, 10000.0)
    >>> z.round(12), np.allclose(g_back, g)
    (array([0.25, 0.75]), True)
    """
    s = _events(s, "s", xp)
    lo, hi = _bounds(s_min, s_max, s.shape[0], xp)
    return (s, *_mass_width(mass, width), lo, hi), {"s": 0, "s_min": 3, "s_max": 4}


breit_wigner_map_inverse = ops.kernel_op(_inv.breit_wigner_map_inverse, signature=_breit_wigner_map_inverse,
                                         outputs=("z", "density"), shapes=_per_event_shapes((), ()),
                                         differentiable=("s", "s_min", "s_max"))


def _power_law_map(xp, z, s_min, s_max, nu: float = 1.4, pole: float = 0.0):
    """Map z in [0, 1] to an invariant s in [s_min, s_max] with a power-law density.

    Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Eq. 40, for a propagator
    without width whose pole m^2 = ``pole`` lies below s_min: with e = 1 - nu,
    s = [z (s_max - m^2)^e + (1 - z) (s_min - m^2)^e]^(1/e) + m^2 and
    g(s) = dz/ds = e / ([(s_max - m^2)^e - (s_min - m^2)^e] (s - m^2)^nu).
    nu = 0 is the flat map of pseudo-particle invariants (Eq. 45), g = 1/(s_max - s_min);
    nu = 1 is the logarithmic limit s = m^2 + (s_min - m^2)^(1-z) (s_max - m^2)^z.

    Parameters
    ----------
    z : array of float64, shape ``(n,)``
        Random numbers in [0, 1].
    s_min, s_max : float or array of float64, shape ``(n,)``
        Bounds of s in GeV^2 (s_max > s_min > ``pole`` in every event).
    nu : float, optional
        Power of the density, finite (default 1.4, the paper's choice).
    pole : float, optional
        Position m^2 of the pole in GeV^2, below s_min (default 0).

    Returns
    -------
    s : array of float64, shape ``(n,)``
        The invariant in GeV^2.
    density : array of float64, shape ``(n,)``
        g(s) = dz/ds in GeV^-2.

    Raises
    ------
    ValueError
        If ``z`` is not one number per event in [0, 1], s_max does not exceed s_min,
        s_min is not above ``pole``, or ``nu`` is not finite.

    See Also
    --------
    power_law_map_inverse : The inverse map.

    Examples
    --------
    >>> from numhep.phasespace import power_law_map
    >>> z = np.array([0.25, 0.5, 0.75])
    >>> s, g = power_law_map(z, 100.0, 1.0e4)
    >>> s.round(2)
    array([ 180.49,  391.6 , 1210.11])
    >>> power_law_map(z, 100.0, 1.0e4, nu=0.0)[0]  # flat
    array([2575., 5050., 7525.])
    """
    z = _unit(_events(z, "z", xp), "z", xp)
    lo, hi = _bounds(s_min, s_max, z.shape[0], xp, lower=pole)
    return (z, float(pole), _nu(nu), lo, hi), {"z": 0, "s_min": 3, "s_max": 4}


power_law_map = ops.kernel_op(_inv.power_law_map, signature=_power_law_map, outputs=("s", "density"),
                              shapes=_per_event_shapes((), ()), differentiable=("z", "s_min", "s_max"))


def _power_law_map_inverse(xp, s, s_min, s_max, nu: float = 1.4, pole: float = 0.0):
    """The inverse of :func:`power_law_map`: z and the density g(s) from the invariant s.

    Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Eq. 40 solved for z: with
    e = 1 - nu, z = ((s - m^2)^e - (s_min - m^2)^e) / ((s_max - m^2)^e - (s_min - m^2)^e)
    (logarithmic for nu = 1), with the same density g(s) = dz/ds.

    Parameters
    ----------
    s : array of float64, shape ``(n,)``
        Invariants in GeV^2.
    s_min, s_max : float or array of float64, shape ``(n,)``
        Bounds of s in GeV^2 (s_max > s_min > ``pole`` in every event).
    nu : float, optional
        Power of the density, finite (default 1.4).
    pole : float, optional
        Position m^2 of the pole in GeV^2, below s_min (default 0).

    Returns
    -------
    z : array of float64, shape ``(n,)``
        The random numbers that :func:`power_law_map` maps to ``s``.
    density : array of float64, shape ``(n,)``
        g(s) = dz/ds in GeV^-2.

    Raises
    ------
    ValueError
        If ``s`` is not one number per event, s_max does not exceed s_min, s_min is not above
        ``pole``, or ``nu`` is not finite.

    Examples
    --------
    >>> from numhep.phasespace import power_law_map_inverse
    >>> z, g = power_law_map_inverse(np.array([2575.0, 5050.0]), 100.0, 1.0e4, nu=0.0)
    >>> z.round(12), g.round(8)
    (array([0.25, 0.5 ]), array([0.00010101, 0.00010101]))
    """
    s = _events(s, "s", xp)
    lo, hi = _bounds(s_min, s_max, s.shape[0], xp, lower=pole)
    return (s, float(pole), _nu(nu), lo, hi), {"s": 0, "s_min": 3, "s_max": 4}


power_law_map_inverse = ops.kernel_op(_inv.power_law_map_inverse, signature=_power_law_map_inverse,
                                      outputs=("z", "density"), shapes=_per_event_shapes((), ()),
                                      differentiable=("s", "s_min", "s_max"))


def _decay_inputs(p, s1, s2, xp):
    p = ab.momenta(p, xp=xp)
    if p.ndim != 2:
        raise ValueError(f"p: expected one four-momentum per event, shape (n, 4), got {tuple(p.shape)}")
    n = p.shape[0]
    s1, s2 = _per_event(s1, n, "s1", xp), _per_event(s2, n, "s2", xp)
    big_s = p[:, 0] ** 2 - (p[:, 1:] ** 2).sum(axis=1)
    if not bool(xp.all((s1 >= 0) & (s2 >= 0) & (xp.sqrt(xp.maximum(big_s, 0)) > xp.sqrt(s1) + xp.sqrt(s2)))):
        raise ValueError("two_body_decay: needs p^2 > (sqrt(s1) + sqrt(s2))^2 and s1, s2 >= 0 in every event")
    return p, s1, s2


def _angles(z, n, xp):
    z = ab.as_float64(z, "z", xp)
    if z.shape != (n, 2):
        raise ValueError(f"z: expected shape ({n}, 2) (z_theta, z_phi), got {tuple(z.shape)}")
    return _unit(z, "z", xp)


def _two_body_decay(xp, p, s1, s2, z):
    """Isotropic two-body decay p -> k1 + k2 with given virtualities k1^2 = s1, k2^2 = s2.

    Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Eq. 46: in the rest frame of
    p, cos theta = 2 z_theta - 1 and phi = 2 pi z_phi (angles from the frame's fixed axes),
    ``|k*|`` = sqrt(lambda(S, s1, s2)) / (2 sqrt S) with S = p^2; k1 is boosted to p's frame
    and k2 = p - k1.  The density in (z_theta, z_phi) is
    g_decay = 2 S / (pi sqrt(lambda(S, s1, s2))), i.e.
    int dPhi_2(p; s1, s2) = (1/g_decay) int dz_theta dz_phi with
    dPhi_2 = d^3k1/(2E1) d^3k2/(2E2) delta^4(p - k1 - k2) (no factors of 2 pi: channels
    multiply (2 pi)^(4 - 3n) once).  Differentiable in every argument.

    Parameters
    ----------
    p : array of float64, shape ``(n, 4)``
        Momentum of the decaying system in GeV.
    s1, s2 : float or array of float64, shape ``(n,)``
        Virtualities k1^2 and k2^2 in GeV^2, non-negative, with
        sqrt(s1) + sqrt(s2) < sqrt(p^2).
    z : array of float64, shape ``(n, 2)``
        Random numbers (z_theta, z_phi) in [0, 1].

    Returns
    -------
    k1, k2 : array of float64, shape ``(n, 4)``
        The decay products' momenta in GeV.
    density : array of float64, shape ``(n,)``
        g_decay (dimensionless).

    Raises
    ------
    ValueError
        If ``p`` is not of shape (n, 4), ``z`` not of shape (n, 2) in [0, 1], or the decay is
        kinematically closed (p^2 <= (sqrt(s1) + sqrt(s2))^2 or a negative s1, s2).

    See Also
    --------
    two_body_decay_inverse : The inverse map.

    Examples
    --------
    >>> from numhep.phasespace import two_body_decay
    >>> p = np.array([[100.0, 0.0, 0.0, 0.0], [200.0, 0.0, 0.0, 50.0]])
    >>> k1, k2, g = two_body_decay(p, 0.0, 0.0, np.array([[0.5, 0.25], [0.1, 0.9]]))
    >>> np.allclose(k1 + k2, p), k1[0].round(6).tolist()
    (True, [50.0, 0.0, 50.0, 0.0])
    >>> g.round(6)  # massless products: 2 / pi
    array([0.63662, 0.63662])
    """
    p, s1, s2 = _decay_inputs(p, s1, s2, xp)
    return (p, s1, s2, _angles(z, p.shape[0], xp)), {"p": 0, "s1": 1, "s2": 2, "z": 3}


two_body_decay = ops.kernel_op(_decay.two_body_decay, signature=_two_body_decay, outputs=("k1", "k2", "density"),
                               shapes=_per_event_shapes((4,), (4,), ()), differentiable=("p", "s1", "s2", "z"))


def _two_body_decay_inverse(xp, k1, k2):
    """The inverse of :func:`two_body_decay`: the random numbers and density of a decay.

    Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Eq. 46 read backwards: the
    angles of k1 in the rest frame of p = k1 + k2 give z_theta = (cos theta + 1)/2 and
    z_phi = phi/(2 pi), with the density g_decay = 2 S / (pi sqrt(lambda(S, k1^2, k2^2))).

    Parameters
    ----------
    k1, k2 : array of float64, shape ``(n, 4)``
        The decay products' momenta in GeV.

    Returns
    -------
    z : array of float64, shape ``(n, 2)``
        (z_theta, z_phi) that :func:`two_body_decay` maps to ``k1``, ``k2``.
    density : array of float64, shape ``(n,)``
        g_decay (dimensionless).

    Raises
    ------
    ValueError
        If ``k1`` and ``k2`` are not two arrays of the same shape (n, 4) of finite momenta.

    Examples
    --------
    >>> from numhep.phasespace import two_body_decay, two_body_decay_inverse
    >>> p = np.array([[100.0, 0.0, 0.0, 0.0]])
    >>> k1, k2, _ = two_body_decay(p, 0.0, 0.0, np.array([[0.3, 0.8]]))
    >>> z, g = two_body_decay_inverse(k1, k2)
    >>> z.round(12)
    array([[0.3, 0.8]])
    """
    k1, k2 = ab.momenta(k1, "k1", xp), ab.momenta(k2, "k2", xp)
    if k1.shape != k2.shape or k1.ndim != 2:
        raise ValueError(f"k1, k2: expected two arrays of shape (n, 4), got {tuple(k1.shape)}, {tuple(k2.shape)}")
    return (k1, k2), {"k1": 0, "k2": 1}


two_body_decay_inverse = ops.kernel_op(_decay.two_body_decay_inverse, signature=_two_body_decay_inverse,
                                       outputs=("z", "density"), shapes=_per_event_shapes((2,), ()),
                                       differentiable=("k1", "k2"))


def _scattering_inputs(p1, p2, s1, s2, xp):
    p1, p2 = ab.momenta(p1, "p1", xp), ab.momenta(p2, "p2", xp)
    if p1.ndim != 2 or p1.shape != p2.shape:
        raise ValueError(f"p1, p2: expected two arrays of shape (n, 4), got {tuple(p1.shape)}, {tuple(p2.shape)}")
    n = p1.shape[0]
    s1, s2 = _per_event(s1, n, "s1", xp), _per_event(s2, n, "s2", xp)
    q = p1 + p2
    big_s = q[:, 0] ** 2 - (q[:, 1:] ** 2).sum(axis=1)
    if not bool(xp.all((s1 >= 0) & (s2 >= 0) & (xp.sqrt(xp.maximum(big_s, 0)) > xp.sqrt(s1) + xp.sqrt(s2)))):
        raise ValueError("t_channel_scattering: needs (p1 + p2)^2 > (sqrt(s1) + sqrt(s2))^2 and s1, s2 >= 0")
    return p1, p2, s1, s2


def _t_channel_scattering(xp, p1, p2, s1, s2, z, mass: float = 0.0, nu: float = 1.4):
    """2 -> 2 scattering p1 + p2 -> k1 + k2 through a t-channel propagator.

    Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Eqs. 41-44: with
    P = p1 + p2, S = P^2 and the virtualities s1 = k1^2, s2 = k2^2,
    t = (p1 - k1)^2 = s1 + p1^2 - (A - B cos theta*) / (2 S) (Eq. 42), where
    A = (S + s1 - s2)(S + p1^2 - p2^2) and B = sqrt(lambda(S, s1, s2) lambda(S, p1^2, p2^2)).
    ``|t|`` is drawn from z_t with the power-law map (:func:`power_law_map`, Eq. 43) about
    the propagator's pole at ``|t|`` = -m^2 (moved just below the kinematic minimum where
    it is not below it), and the azimuth of k1 about p1 in P's rest frame is
    phi* = 2 pi z_phi.  The density is g_2->2 = (2/pi) sqrt(lambda(S, p1^2, p2^2)) g_prop
    (Eq. 44), so that int dPhi_2 = int dz_t dz_phi / g_2->2 (no factors of 2 pi).  p1 and
    p2 may be off shell (p2 space-like inside a t-channel chain).

    Parameters
    ----------
    p1, p2 : array of float64, shape ``(n, 4)``
        Incoming momenta in GeV.
    s1, s2 : float or array of float64, shape ``(n,)``
        Virtualities k1^2 and k2^2 in GeV^2, non-negative, with
        sqrt(s1) + sqrt(s2) < sqrt((p1 + p2)^2).
    z : array of float64, shape ``(n, 2)``
        Random numbers (z_t, z_phi) in [0, 1].
    mass : float, optional
        Mass m of the exchanged propagator in GeV (default 0).
    nu : float, optional
        Power of the ``|t|`` map, finite (default 1.4).

    Returns
    -------
    k1, k2 : array of float64, shape ``(n, 4)``
        The outgoing momenta in GeV, k1 + k2 = p1 + p2.
    density : array of float64, shape ``(n,)``
        g_2->2, dimensionless (sqrt(lambda) in GeV^2 times g_prop = ``dz_t/d|t|`` in GeV^-2).

    Raises
    ------
    ValueError
        If the momenta are not two arrays of shape (n, 4), ``z`` is not of shape (n, 2) in
        [0, 1], the scattering is kinematically closed, or ``nu`` is not finite.

    See Also
    --------
    t_channel_scattering_inverse : The inverse map.

    Examples
    --------
    >>> from numhep.phasespace import t_channel_scattering
    >>> p1 = np.array([[50.0, 0.0, 0.0, 50.0]])
    >>> p2 = np.array([[50.0, 0.0, 0.0, -50.0]])
    >>> k1, k2, g = t_channel_scattering(p1, p2, 0.0, 0.0, np.array([[0.3, 0.6]]), mass=80.4)
    >>> np.allclose(k1 + k2, p1 + p2), round(float(g[0]), 6)
    (True, 0.895148)
    """
    p1, p2, s1, s2 = _scattering_inputs(p1, p2, s1, s2, xp)
    return ((p1, p2, s1, s2, _angles(z, p1.shape[0], xp), float(mass) ** 2, _nu(nu)),
            {"p1": 0, "p2": 1, "s1": 2, "s2": 3, "z": 4})


t_channel_scattering = ops.kernel_op(_t.t_channel_scattering, signature=_t_channel_scattering,
                                     outputs=("k1", "k2", "density"), shapes=_per_event_shapes((4,), (4,), ()),
                                     differentiable=("p1", "p2", "s1", "s2", "z"))


def _t_channel_scattering_inverse(xp, p1, p2, k1, mass: float = 0.0, nu: float = 1.4):
    """The inverse of :func:`t_channel_scattering`: the random numbers and density of k1.

    Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Eqs. 41-44 read backwards:
    ``|t|`` = -(p1 - k1)^2 gives z_t through the inverse power-law map, the azimuth of k1
    about p1 in the rest frame of p1 + p2 gives z_phi, and the density is g_2->2.

    Parameters
    ----------
    p1, p2 : array of float64, shape ``(n, 4)``
        Incoming momenta in GeV.
    k1 : array of float64, shape ``(n, 4)``
        The first outgoing momentum in GeV (k2 = p1 + p2 - k1).
    mass : float, optional
        Mass m of the exchanged propagator in GeV (default 0).
    nu : float, optional
        Power of the ``|t|`` map, finite (default 1.4).

    Returns
    -------
    z : array of float64, shape ``(n, 2)``
        (z_t, z_phi) that :func:`t_channel_scattering` maps to ``k1``.
    density : array of float64, shape ``(n,)``
        g_2->2 (dimensionless).

    Raises
    ------
    ValueError
        If ``p1``, ``p2`` and ``k1`` are not three arrays of shape (n, 4), or ``nu`` is not
        finite.

    Examples
    --------
    >>> from numhep.phasespace import t_channel_scattering, t_channel_scattering_inverse
    >>> p1 = np.array([[50.0, 0.0, 0.0, 50.0]])
    >>> p2 = np.array([[50.0, 0.0, 0.0, -50.0]])
    >>> k1, _, _ = t_channel_scattering(p1, p2, 0.0, 0.0, np.array([[0.3, 0.6]]), mass=80.4)
    >>> z, g = t_channel_scattering_inverse(p1, p2, k1, mass=80.4)
    >>> z.round(12)
    array([[0.3, 0.6]])
    """
    p1, p2, k1 = (ab.momenta(a, name, xp) for a, name in ((p1, "p1"), (p2, "p2"), (k1, "k1")))
    if not (p1.ndim == 2 and p1.shape == p2.shape == k1.shape):
        raise ValueError("p1, p2, k1: expected three arrays of shape (n, 4)")
    return (p1, p2, k1, float(mass) ** 2, _nu(nu)), {"p1": 0, "p2": 1, "k1": 2}


t_channel_scattering_inverse = ops.kernel_op(_t.t_channel_scattering_inverse,
                                             signature=_t_channel_scattering_inverse, outputs=("z", "density"),
                                             shapes=_per_event_shapes((2,), ()), differentiable=("p1", "p2", "k1"))


def _tau_bounds(tau_min, tau_max, n, xp):
    lo = _per_event(tau_min, n, "tau_min", xp)
    hi = _per_event(tau_max, n, "tau_max", xp)
    if not bool(xp.all((lo > 0) & (hi > lo) & (hi <= 1))):
        raise ValueError("luminosity_map: needs 0 < tau_min < tau_max <= 1")
    return lo, hi


def _luminosity_map(xp, z, tau_min, tau_max=1.0):
    """Map (z_tau, z_x) in [0, 1]^2 to the momentum fractions (x1, x2) of the two partons.

    Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Eqs. 47-48:
    tau = tau_min^(1 - z_tau) tau_max^z_tau, x1 = tau^z_x, x2 = tau^(1 - z_x), with the
    density g_lumi = 1 / (tau ln(tau_max/tau_min) ``|ln tau|``), so that
    int dx1 dx2 Theta(tau_min < x1 x2 < tau_max) = int dz_tau dz_x / g_lumi.  With
    tau_max = 1 the 1/tau cancels the flux factor.

    Parameters
    ----------
    z : array of float64, shape ``(n, 2)``
        Random numbers (z_tau, z_x) in [0, 1].
    tau_min : float or array of float64, shape ``(n,)``
        Lower bound of tau = x1 x2 = s_hat / s, in (0, tau_max).
    tau_max : float or array of float64, shape ``(n,)``, optional
        Upper bound of tau, at most 1 (default 1).

    Returns
    -------
    x : array of float64, shape ``(n, 2)``
        The momentum fractions (x1, x2).
    density : array of float64, shape ``(n,)``
        g_lumi (dimensionless).

    Raises
    ------
    ValueError
        If ``z`` is not of shape (n, 2) in [0, 1], or not 0 < tau_min < tau_max <= 1.

    See Also
    --------
    luminosity_map_inverse : The inverse map.

    Examples
    --------
    >>> from numhep.phasespace import luminosity_map
    >>> x, g = luminosity_map(np.array([[0.5, 0.5]]), 1.0e-4)
    >>> x.round(12), g.round(6)
    (array([[0.1, 0.1]]), array([2.357646]))
    """
    z = ab.as_float64(z, "z", xp)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"z: expected shape (n, 2) (z_tau, z_x), got {tuple(z.shape)}")
    _unit(z, "z", xp)
    return (z, *_tau_bounds(tau_min, tau_max, z.shape[0], xp)), {"z": 0, "tau_min": 1, "tau_max": 2}


luminosity_map = ops.kernel_op(_lumi.luminosity_map, signature=_luminosity_map, outputs=("x", "density"),
                               shapes=_per_event_shapes((2,), ()), differentiable=("z", "tau_min", "tau_max"))


def _luminosity_map_inverse(xp, x, tau_min, tau_max=1.0):
    """The inverse of :func:`luminosity_map`: (z_tau, z_x) and g_lumi from (x1, x2).

    Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Eq. 48 solved for z:
    z_tau = ln(tau/tau_min) / ln(tau_max/tau_min) with tau = x1 x2, and
    z_x = ln x1 / ln tau.

    Parameters
    ----------
    x : array of float64, shape ``(n, 2)``
        Momentum fractions (x1, x2) in (0, 1].
    tau_min : float or array of float64, shape ``(n,)``
        Lower bound of tau = x1 x2, in (0, tau_max).
    tau_max : float or array of float64, shape ``(n,)``, optional
        Upper bound of tau, at most 1 (default 1).

    Returns
    -------
    z : array of float64, shape ``(n, 2)``
        (z_tau, z_x) that :func:`luminosity_map` maps to ``x``.
    density : array of float64, shape ``(n,)``
        g_lumi (dimensionless).

    Raises
    ------
    ValueError
        If ``x`` is not of shape (n, 2) in (0, 1], or not 0 < tau_min < tau_max <= 1.

    Examples
    --------
    >>> from numhep.phasespace import luminosity_map_inverse
    >>> z, g = luminosity_map_inverse(np.array([[0.1, 0.1]]), 1.0e-4)
    >>> z.round(12), g.round(6)
    (array([[0.5, 0.5]]), array([2.357646]))
    """
    x = ab.as_float64(x, "x", xp)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x: expected shape (n, 2), got {tuple(x.shape)}")
    if not bool(xp.all((x > 0) & (x <= 1))):
        raise ValueError("x: momentum fractions must lie in (0, 1]")
    return (x, *_tau_bounds(tau_min, tau_max, x.shape[0], xp)), {"x": 0, "tau_min": 1, "tau_max": 2}


luminosity_map_inverse = ops.kernel_op(_lumi.luminosity_map_inverse, signature=_luminosity_map_inverse,
                                       outputs=("z", "density"), shapes=_per_event_shapes((2,), ()),
                                       differentiable=("x", "tau_min", "tau_max"))
