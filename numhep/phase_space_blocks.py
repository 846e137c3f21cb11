"""The phase-space blocks of seed 001 Sec. 4.1 on the caller's arrays.

Each block maps random numbers z in the unit (hyper)cube to kinematic variables and
returns the density g of z in those variables (so a weight is 1/g); each has its exact
inverse and the reverse-mode derivative of both through the hand-derived adjoints.

    s, g = breit_wigner_map(z, mass, width, s_min, s_max)       # Eq. 39
    s, g = power_law_map(z, s_min, s_max, nu=1.4, pole=0.0)     # Eq. 40 (nu=0: Eq. 45)
    k1, k2, g = t_channel_scattering(p1, p2, s1, s2, z, mass=0.0, nu=1.4)   # Eqs. 41-44
    k1, k2, g = two_body_decay(p, s1, s2, z)                    # Eq. 46
    x, g = luminosity_map(z, tau_min, tau_max=1.0)              # Eqs. 47-48

Per-event bounds broadcast from scalars.  Torch tensors go to :mod:`numhep.torch`, which
returns tensors that autograd differentiates through the same adjoints.  Densities of the decay block carry no
factors of 2 pi (see :mod:`numhep.kernels.two_body_decay`).  ``*_vjp`` and
``*_inverse_vjp`` functions return the cotangents of the inputs of the forward map and
of its inverse given those of the outputs, in input order.
"""

from __future__ import annotations

import numpy as np

from numhep import array_backend as ab
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
    "breit_wigner_map_inverse_vjp",
    "breit_wigner_map_vjp",
    "luminosity_map",
    "luminosity_map_inverse",
    "luminosity_map_inverse_vjp",
    "luminosity_map_vjp",
    "power_law_map",
    "power_law_map_inverse",
    "power_law_map_inverse_vjp",
    "power_law_map_vjp",
    "t_channel_scattering",
    "t_channel_scattering_inverse",
    "t_channel_scattering_inverse_vjp",
    "t_channel_scattering_vjp",
    "two_body_decay",
    "two_body_decay_inverse",
    "two_body_decay_inverse_vjp",
    "two_body_decay_vjp",
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


@ab.torch_twin
def breit_wigner_map(z, mass, width, s_min, s_max):
    """s in [s_min, s_max] from z (n,) by Eq. 39, and the density g(s) = dz/ds."""
    xp = ab.namespace(z)
    z = _unit(_events(z, "z", xp), "z", xp)
    lo, hi = _bounds(s_min, s_max, z.shape[0], xp)
    s, g = xp.empty_like(z), xp.empty_like(z)
    _inv.breit_wigner_map(z, *_mass_width(mass, width), lo, hi, s, g)
    return s, g


@ab.torch_twin
def breit_wigner_map_inverse(s, mass, width, s_min, s_max):
    """z and g(s) from s (n,): the inverse of :func:`breit_wigner_map`."""
    xp = ab.namespace(s)
    s = _events(s, "s", xp)
    lo, hi = _bounds(s_min, s_max, s.shape[0], xp)
    z, g = xp.empty_like(s), xp.empty_like(s)
    _inv.breit_wigner_map_inverse(s, *_mass_width(mass, width), lo, hi, z, g)
    return z, g


def breit_wigner_map_vjp(z, mass, width, s_min, s_max, grad_s, grad_density):
    """(d/dz, d/ds_min, d/ds_max) of <grad_s, s> + <grad_density, g>."""
    xp = ab.namespace(z)
    z = _events(z, "z", xp)
    n = z.shape[0]
    lo, hi = _bounds(s_min, s_max, n, xp)
    gs, gg = _per_event(grad_s, n, "grad_s", xp), _per_event(grad_density, n, "grad_density", xp)
    out = tuple(xp.empty_like(z) for _ in range(3))
    _inv.breit_wigner_map.vjp(z, *_mass_width(mass, width), lo, hi, gs, gg, *out)
    return out


def breit_wigner_map_inverse_vjp(s, mass, width, s_min, s_max, grad_z, grad_density):
    """(d/ds, d/ds_min, d/ds_max) of <grad_z, z> + <grad_density, g> for the inverse map."""
    xp = ab.namespace(s)
    s = _events(s, "s", xp)
    n = s.shape[0]
    lo, hi = _bounds(s_min, s_max, n, xp)
    gz, gg = _per_event(grad_z, n, "grad_z", xp), _per_event(grad_density, n, "grad_density", xp)
    out = tuple(xp.empty_like(s) for _ in range(3))
    _inv.breit_wigner_map_inverse.vjp(s, *_mass_width(mass, width), lo, hi, gz, gg, *out)
    return out


@ab.torch_twin
def power_law_map(z, s_min, s_max, nu: float = 1.4, pole: float = 0.0):
    """s in [s_min, s_max] from z (n,) by Eq. 40 with pole m^2 = ``pole`` < s_min."""
    xp = ab.namespace(z)
    z = _unit(_events(z, "z", xp), "z", xp)
    lo, hi = _bounds(s_min, s_max, z.shape[0], xp, lower=pole)
    s, g = xp.empty_like(z), xp.empty_like(z)
    _inv.power_law_map(z, float(pole), _nu(nu), lo, hi, s, g)
    return s, g


@ab.torch_twin
def power_law_map_inverse(s, s_min, s_max, nu: float = 1.4, pole: float = 0.0):
    """z and g(s) from s (n,): the inverse of :func:`power_law_map`."""
    xp = ab.namespace(s)
    s = _events(s, "s", xp)
    lo, hi = _bounds(s_min, s_max, s.shape[0], xp, lower=pole)
    z, g = xp.empty_like(s), xp.empty_like(s)
    _inv.power_law_map_inverse(s, float(pole), _nu(nu), lo, hi, z, g)
    return z, g


def power_law_map_vjp(z, s_min, s_max, grad_s, grad_density, nu: float = 1.4, pole: float = 0.0):
    """(d/dz, d/ds_min, d/ds_max) of <grad_s, s> + <grad_density, g>."""
    xp = ab.namespace(z)
    z = _events(z, "z", xp)
    n = z.shape[0]
    lo, hi = _bounds(s_min, s_max, n, xp, lower=pole)
    gs, gg = _per_event(grad_s, n, "grad_s", xp), _per_event(grad_density, n, "grad_density", xp)
    out = tuple(xp.empty_like(z) for _ in range(3))
    _inv.power_law_map.vjp(z, float(pole), _nu(nu), lo, hi, gs, gg, *out)
    return out


def power_law_map_inverse_vjp(s, s_min, s_max, grad_z, grad_density, nu: float = 1.4, pole: float = 0.0):
    """(d/ds, d/ds_min, d/ds_max) of <grad_z, z> + <grad_density, g> for the inverse map."""
    xp = ab.namespace(s)
    s = _events(s, "s", xp)
    n = s.shape[0]
    lo, hi = _bounds(s_min, s_max, n, xp, lower=pole)
    gz, gg = _per_event(grad_z, n, "grad_z", xp), _per_event(grad_density, n, "grad_density", xp)
    out = tuple(xp.empty_like(s) for _ in range(3))
    _inv.power_law_map_inverse.vjp(s, float(pole), _nu(nu), lo, hi, gz, gg, *out)
    return out


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


@ab.torch_twin
def two_body_decay(p, s1, s2, z):
    """Isotropic p -> k1 + k2 with k1^2 = s1, k2^2 = s2 (Eq. 46): (k1, k2, g_decay)."""
    xp = ab.namespace(p, z)
    p, s1, s2 = _decay_inputs(p, s1, s2, xp)
    z = _angles(z, p.shape[0], xp)
    k1, k2, g = xp.empty_like(p), xp.empty_like(p), xp.empty(p.shape[0])
    _decay.two_body_decay(p, s1, s2, z, k1, k2, g)
    return k1, k2, g


@ab.torch_twin
def two_body_decay_inverse(k1, k2):
    """(z, g_decay) from the decay products: the inverse of :func:`two_body_decay`."""
    xp = ab.namespace(k1, k2)
    k1, k2 = ab.momenta(k1, "k1", xp), ab.momenta(k2, "k2", xp)
    if k1.shape != k2.shape or k1.ndim != 2:
        raise ValueError(f"k1, k2: expected two arrays of shape (n, 4), got {tuple(k1.shape)}, {tuple(k2.shape)}")
    z, g = xp.empty((k1.shape[0], 2)), xp.empty(k1.shape[0])
    _decay.two_body_decay_inverse(k1, k2, z, g)
    return z, g


def two_body_decay_vjp(p, s1, s2, z, grad_k1, grad_k2, grad_density):
    """(d/dp, d/ds1, d/ds2, d/dz) of <grad_k1, k1> + <grad_k2, k2> + <grad_density, g>."""
    xp = ab.namespace(p, z)
    p, s1, s2 = _decay_inputs(p, s1, s2, xp)
    n = p.shape[0]
    z = _angles(z, n, xp)
    g1, g2 = ab.as_float64(grad_k1, "grad_k1", xp), ab.as_float64(grad_k2, "grad_k2", xp)
    gg = _per_event(grad_density, n, "grad_density", xp)
    gp, gs1, gs2, gz = xp.empty_like(p), xp.empty(n), xp.empty(n), xp.empty_like(z)
    _decay.two_body_decay.vjp(p, s1, s2, z, g1, g2, gg, gp, gs1, gs2, gz)
    return gp, gs1, gs2, gz


def two_body_decay_inverse_vjp(k1, k2, grad_z, grad_density):
    """(d/dk1, d/dk2) of <grad_z, z> + <grad_density, g_decay> for the inverse map."""
    xp = ab.namespace(k1, k2)
    k1, k2 = ab.momenta(k1, "k1", xp), ab.momenta(k2, "k2", xp)
    if k1.shape != k2.shape or k1.ndim != 2:
        raise ValueError(f"k1, k2: expected two arrays of shape (n, 4), got {tuple(k1.shape)}, {tuple(k2.shape)}")
    n = k1.shape[0]
    gz = ab.as_float64(grad_z, "grad_z", xp)
    if gz.shape != (n, 2):
        raise ValueError(f"grad_z: expected shape ({n}, 2), got {tuple(gz.shape)}")
    gg = _per_event(grad_density, n, "grad_density", xp)
    gk1, gk2 = xp.empty_like(k1), xp.empty_like(k2)
    _decay.two_body_decay_inverse.vjp(k1, k2, gz, gg, gk1, gk2)
    return gk1, gk2


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


@ab.torch_twin
def t_channel_scattering(p1, p2, s1, s2, z, mass: float = 0.0, nu: float = 1.4):
    """p1 + p2 -> k1 + k2 with k1^2 = s1, k2^2 = s2 and |t| = |(p1 - k1)^2| drawn about the
    pole of a propagator of the given mass (Eqs. 41-44): (k1, k2, g_2->2); z = (z_t, z_phi)."""
    xp = ab.namespace(p1, p2, z)
    p1, p2, s1, s2 = _scattering_inputs(p1, p2, s1, s2, xp)
    z = _angles(z, p1.shape[0], xp)
    k1, k2, g = xp.empty_like(p1), xp.empty_like(p1), xp.empty(p1.shape[0])
    _t.t_channel_scattering(p1, p2, s1, s2, z, float(mass) ** 2, _nu(nu), k1, k2, g)
    return k1, k2, g


@ab.torch_twin
def t_channel_scattering_inverse(p1, p2, k1, mass: float = 0.0, nu: float = 1.4):
    """(z, g_2->2) of k1 given p1, p2: the inverse of :func:`t_channel_scattering`."""
    xp = ab.namespace(p1, p2, k1)
    p1, p2, k1 = (ab.momenta(a, name, xp) for a, name in ((p1, "p1"), (p2, "p2"), (k1, "k1")))
    if not (p1.ndim == 2 and p1.shape == p2.shape == k1.shape):
        raise ValueError("p1, p2, k1: expected three arrays of shape (n, 4)")
    z, g = xp.empty((p1.shape[0], 2)), xp.empty(p1.shape[0])
    _t.t_channel_scattering_inverse(p1, p2, k1, float(mass) ** 2, _nu(nu), z, g)
    return z, g


def t_channel_scattering_vjp(p1, p2, s1, s2, z, grad_k1, grad_k2, grad_density, mass: float = 0.0, nu: float = 1.4):
    """(d/dp1, d/dp2, d/ds1, d/ds2, d/dz) of <grad_k1, k1> + <grad_k2, k2> + <grad_density, g>."""
    xp = ab.namespace(p1, p2, z)
    p1, p2, s1, s2 = _scattering_inputs(p1, p2, s1, s2, xp)
    n = p1.shape[0]
    z = _angles(z, n, xp)
    g1, g2 = ab.as_float64(grad_k1, "grad_k1", xp), ab.as_float64(grad_k2, "grad_k2", xp)
    gg = _per_event(grad_density, n, "grad_density", xp)
    out = (xp.empty_like(p1), xp.empty_like(p1), xp.empty(n), xp.empty(n), xp.empty_like(z))
    _t.t_channel_scattering.vjp(p1, p2, s1, s2, z, float(mass) ** 2, _nu(nu), g1, g2, gg, *out)
    return out


def t_channel_scattering_inverse_vjp(p1, p2, k1, grad_z, grad_density, mass: float = 0.0, nu: float = 1.4):
    """(d/dp1, d/dp2, d/dk1) of <grad_z, z> + <grad_density, g_2->2> for the inverse map."""
    xp = ab.namespace(p1, p2, k1)
    p1, p2, k1 = (ab.momenta(a, name, xp) for a, name in ((p1, "p1"), (p2, "p2"), (k1, "k1")))
    if not (p1.ndim == 2 and p1.shape == p2.shape == k1.shape):
        raise ValueError("p1, p2, k1: expected three arrays of shape (n, 4)")
    n = p1.shape[0]
    gz = ab.as_float64(grad_z, "grad_z", xp)
    if gz.shape != (n, 2):
        raise ValueError(f"grad_z: expected shape ({n}, 2), got {tuple(gz.shape)}")
    gg = _per_event(grad_density, n, "grad_density", xp)
    out = (xp.empty_like(p1), xp.empty_like(p1), xp.empty_like(p1))
    _t.t_channel_scattering_inverse.vjp(p1, p2, k1, float(mass) ** 2, _nu(nu), gz, gg, *out)
    return out


def _tau_bounds(tau_min, tau_max, n, xp):
    lo = _per_event(tau_min, n, "tau_min", xp)
    hi = _per_event(tau_max, n, "tau_max", xp)
    if not bool(xp.all((lo > 0) & (hi > lo) & (hi <= 1))):
        raise ValueError("luminosity_map: needs 0 < tau_min < tau_max <= 1")
    return lo, hi


@ab.torch_twin
def luminosity_map(z, tau_min, tau_max=1.0):
    """Momentum fractions x (n, 2) from z (n, 2) = (z_tau, z_x) (Eq. 48), and g_lumi."""
    xp = ab.namespace(z)
    z = ab.as_float64(z, "z", xp)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"z: expected shape (n, 2) (z_tau, z_x), got {tuple(z.shape)}")
    _unit(z, "z", xp)
    lo, hi = _tau_bounds(tau_min, tau_max, z.shape[0], xp)
    x, g = xp.empty_like(z), xp.empty(z.shape[0])
    _lumi.luminosity_map(z, lo, hi, x, g)
    return x, g


@ab.torch_twin
def luminosity_map_inverse(x, tau_min, tau_max=1.0):
    """(z, g_lumi) from momentum fractions x (n, 2): the inverse of :func:`luminosity_map`."""
    xp = ab.namespace(x)
    x = ab.as_float64(x, "x", xp)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x: expected shape (n, 2), got {tuple(x.shape)}")
    if not bool(xp.all((x > 0) & (x <= 1))):
        raise ValueError("x: momentum fractions must lie in (0, 1]")
    lo, hi = _tau_bounds(tau_min, tau_max, x.shape[0], xp)
    z, g = xp.empty_like(x), xp.empty(x.shape[0])
    _lumi.luminosity_map_inverse(x, lo, hi, z, g)
    return z, g


def luminosity_map_vjp(z, tau_min, tau_max, grad_x, grad_density):
    """(d/dz, d/dtau_min, d/dtau_max) of <grad_x, x> + <grad_density, g_lumi>."""
    xp = ab.namespace(z)
    z = ab.as_float64(z, "z", xp)
    n = z.shape[0]
    lo, hi = _tau_bounds(tau_min, tau_max, n, xp)
    gx = ab.as_float64(grad_x, "grad_x", xp)
    gg = _per_event(grad_density, n, "grad_density", xp)
    gz, glo, ghi = xp.empty_like(z), xp.empty(n), xp.empty(n)
    _lumi.luminosity_map.vjp(z, lo, hi, gx, gg, gz, glo, ghi)
    return gz, glo, ghi


def luminosity_map_inverse_vjp(x, tau_min, tau_max, grad_z, grad_density):
    """(d/dx, d/dtau_min, d/dtau_max) of <grad_z, z> + <grad_density, g_lumi> for the inverse map."""
    xp = ab.namespace(x)
    x = ab.as_float64(x, "x", xp)
    n = x.shape[0]
    lo, hi = _tau_bounds(tau_min, tau_max, n, xp)
    gz = ab.as_float64(grad_z, "grad_z", xp)
    gg = _per_event(grad_density, n, "grad_density", xp)
    gx, glo, ghi = xp.empty_like(x), xp.empty(n), xp.empty(n)
    _lumi.luminosity_map_inverse.vjp(x, lo, hi, gz, gg, gx, glo, ghi)
    return gx, glo, ghi
