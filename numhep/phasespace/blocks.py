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
    """s in [s_min, s_max] from z (n,) by Eq. 39, and the density g(s) = dz/ds;
    differentiable in z, s_min and s_max."""
    z = _unit(_events(z, "z", xp), "z", xp)
    lo, hi = _bounds(s_min, s_max, z.shape[0], xp)
    return (z, *_mass_width(mass, width), lo, hi), {"z": 0, "s_min": 3, "s_max": 4}


breit_wigner_map = ops.kernel_op(_inv.breit_wigner_map, signature=_breit_wigner_map, outputs=("s", "density"),
                                 shapes=_per_event_shapes((), ()), differentiable=("z", "s_min", "s_max"))


def _breit_wigner_map_inverse(xp, s, mass, width, s_min, s_max):
    """z and g(s) from s (n,): the inverse of :func:`breit_wigner_map`."""
    s = _events(s, "s", xp)
    lo, hi = _bounds(s_min, s_max, s.shape[0], xp)
    return (s, *_mass_width(mass, width), lo, hi), {"s": 0, "s_min": 3, "s_max": 4}


breit_wigner_map_inverse = ops.kernel_op(_inv.breit_wigner_map_inverse, signature=_breit_wigner_map_inverse,
                                         outputs=("z", "density"), shapes=_per_event_shapes((), ()),
                                         differentiable=("s", "s_min", "s_max"))


def _power_law_map(xp, z, s_min, s_max, nu: float = 1.4, pole: float = 0.0):
    """s in [s_min, s_max] from z (n,) by Eq. 40 with pole m^2 = ``pole`` < s_min, and g(s)."""
    z = _unit(_events(z, "z", xp), "z", xp)
    lo, hi = _bounds(s_min, s_max, z.shape[0], xp, lower=pole)
    return (z, float(pole), _nu(nu), lo, hi), {"z": 0, "s_min": 3, "s_max": 4}


power_law_map = ops.kernel_op(_inv.power_law_map, signature=_power_law_map, outputs=("s", "density"),
                              shapes=_per_event_shapes((), ()), differentiable=("z", "s_min", "s_max"))


def _power_law_map_inverse(xp, s, s_min, s_max, nu: float = 1.4, pole: float = 0.0):
    """z and g(s) from s (n,): the inverse of :func:`power_law_map`."""
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
    """Isotropic p -> k1 + k2 with k1^2 = s1, k2^2 = s2 (Eq. 46): (k1, k2, g_decay);
    differentiable in every argument."""
    p, s1, s2 = _decay_inputs(p, s1, s2, xp)
    return (p, s1, s2, _angles(z, p.shape[0], xp)), {"p": 0, "s1": 1, "s2": 2, "z": 3}


two_body_decay = ops.kernel_op(_decay.two_body_decay, signature=_two_body_decay, outputs=("k1", "k2", "density"),
                               shapes=_per_event_shapes((4,), (4,), ()), differentiable=("p", "s1", "s2", "z"))


def _two_body_decay_inverse(xp, k1, k2):
    """(z, g_decay) from the decay products: the inverse of :func:`two_body_decay`."""
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
    """p1 + p2 -> k1 + k2 with k1^2 = s1, k2^2 = s2 and |t| = |(p1 - k1)^2| drawn about the
    pole of a propagator of the given mass (Eqs. 41-44): (k1, k2, g_2->2); z = (z_t, z_phi)."""
    p1, p2, s1, s2 = _scattering_inputs(p1, p2, s1, s2, xp)
    return ((p1, p2, s1, s2, _angles(z, p1.shape[0], xp), float(mass) ** 2, _nu(nu)),
            {"p1": 0, "p2": 1, "s1": 2, "s2": 3, "z": 4})


t_channel_scattering = ops.kernel_op(_t.t_channel_scattering, signature=_t_channel_scattering,
                                     outputs=("k1", "k2", "density"), shapes=_per_event_shapes((4,), (4,), ()),
                                     differentiable=("p1", "p2", "s1", "s2", "z"))


def _t_channel_scattering_inverse(xp, p1, p2, k1, mass: float = 0.0, nu: float = 1.4):
    """(z, g_2->2) of k1 given p1, p2: the inverse of :func:`t_channel_scattering`."""
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
    """Momentum fractions x (n, 2) from z (n, 2) = (z_tau, z_x) (Eq. 48), and g_lumi."""
    z = ab.as_float64(z, "z", xp)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"z: expected shape (n, 2) (z_tau, z_x), got {tuple(z.shape)}")
    _unit(z, "z", xp)
    return (z, *_tau_bounds(tau_min, tau_max, z.shape[0], xp)), {"z": 0, "tau_min": 1, "tau_max": 2}


luminosity_map = ops.kernel_op(_lumi.luminosity_map, signature=_luminosity_map, outputs=("x", "density"),
                               shapes=_per_event_shapes((2,), ()), differentiable=("z", "tau_min", "tau_max"))


def _luminosity_map_inverse(xp, x, tau_min, tau_max=1.0):
    """(z, g_lumi) from momentum fractions x (n, 2): the inverse of :func:`luminosity_map`."""
    x = ab.as_float64(x, "x", xp)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x: expected shape (n, 2), got {tuple(x.shape)}")
    if not bool(xp.all((x > 0) & (x <= 1))):
        raise ValueError("x: momentum fractions must lie in (0, 1]")
    return (x, *_tau_bounds(tau_min, tau_max, x.shape[0], xp)), {"x": 0, "tau_min": 1, "tau_max": 2}


luminosity_map_inverse = ops.kernel_op(_lumi.luminosity_map_inverse, signature=_luminosity_map_inverse,
                                       outputs=("z", "density"), shapes=_per_event_shapes((2,), ()),
                                       differentiable=("x", "tau_min", "tau_max"))
