"""RAMBO on diet and the phase-space blocks on torch tensors, with their adjoints as backward.

Every function takes the arguments of its numpy twin (:mod:`numhep.phase_space`,
:mod:`numhep.phase_space_blocks`) and returns tensors; tensor arguments receive
gradients, plain numbers are constants.  Masses, widths, nu and the pole position are
numbers.  Densities g are those of the numpy API (a phase-space weight is 1/g).
"""

from __future__ import annotations

from numhep import phase_space as _ps
from numhep import phase_space_blocks as _b
from numhep.torch._bridge import apply

__all__ = [
    "breit_wigner_map",
    "breit_wigner_map_inverse",
    "luminosity_map",
    "luminosity_map_inverse",
    "power_law_map",
    "power_law_map_inverse",
    "rambo_map",
    "rambo_on_diet",
    "rambo_on_diet_inverse",
    "t_channel_scattering",
    "t_channel_scattering_inverse",
    "two_body_decay",
    "two_body_decay_inverse",
]


def rambo_map(r, sqrt_s, masses):
    """(momenta of every leg (n, legs, 4), weight (n,)) of RAMBO from uniforms r (n, k, 4);
    differentiable in r and sqrt_s."""
    return _ps.PhaseSpacePoints(*apply(lambda r, rs: tuple(_ps.rambo_map(r, rs, masses)),
                 lambda a, c: _ps.rambo_map_vjp(a[0], a[1], masses, *c), r, sqrt_s))


def rambo_on_diet(u, sqrt_s, masses):
    """(momenta (n, k, 4), weight (n,)) from u (n, 3k - 4); differentiable in u and sqrt_s."""
    return _ps.PhaseSpacePoints(*apply(lambda u, rs: tuple(_ps.rambo_on_diet(u, rs, masses)),
                 lambda a, c: _ps.rambo_on_diet_vjp(a[0], a[1], masses, *c), u, sqrt_s))


def rambo_on_diet_inverse(p, masses):
    """(u, weight) from final-state momenta (n, k, 4) in their rest frame."""
    return apply(lambda p: _ps.rambo_on_diet_inverse(p, masses),
                 lambda a, c: (_ps.rambo_on_diet_inverse_vjp(a[0], masses, *c),), p)


def breit_wigner_map(z, mass, width, s_min, s_max):
    """(s, g) by Eq. 39."""
    return apply(lambda z, lo, hi: _b.breit_wigner_map(z, mass, width, lo, hi),
                 lambda a, c: _b.breit_wigner_map_vjp(a[0], mass, width, a[1], a[2], *c), z, s_min, s_max)


def breit_wigner_map_inverse(s, mass, width, s_min, s_max):
    """(z, g) of s: the inverse of :func:`breit_wigner_map`."""
    return apply(lambda s, lo, hi: _b.breit_wigner_map_inverse(s, mass, width, lo, hi),
                 lambda a, c: _b.breit_wigner_map_inverse_vjp(a[0], mass, width, a[1], a[2], *c), s, s_min, s_max)


def power_law_map(z, s_min, s_max, nu: float = 1.4, pole: float = 0.0):
    """(s, g) by Eq. 40."""
    return apply(lambda z, lo, hi: _b.power_law_map(z, lo, hi, nu, pole),
                 lambda a, c: _b.power_law_map_vjp(a[0], a[1], a[2], *c, nu=nu, pole=pole), z, s_min, s_max)


def power_law_map_inverse(s, s_min, s_max, nu: float = 1.4, pole: float = 0.0):
    """(z, g) of s: the inverse of :func:`power_law_map`."""
    return apply(lambda s, lo, hi: _b.power_law_map_inverse(s, lo, hi, nu, pole),
                 lambda a, c: _b.power_law_map_inverse_vjp(a[0], a[1], a[2], *c, nu=nu, pole=pole), s, s_min, s_max)


def two_body_decay(p, s1, s2, z):
    """(k1, k2, g) of the isotropic decay (Eq. 46)."""
    return apply(_b.two_body_decay, lambda a, c: _b.two_body_decay_vjp(*a, *c), p, s1, s2, z)


def two_body_decay_inverse(k1, k2):
    """(z, g) of the decay products."""
    return apply(_b.two_body_decay_inverse, lambda a, c: _b.two_body_decay_inverse_vjp(*a, *c), k1, k2)


def t_channel_scattering(p1, p2, s1, s2, z, mass: float = 0.0, nu: float = 1.4):
    """(k1, k2, g) of the 2 -> 2 t-channel block (Eqs. 41-44)."""
    return apply(lambda *a: _b.t_channel_scattering(*a, mass=mass, nu=nu),
                 lambda a, c: _b.t_channel_scattering_vjp(*a, *c, mass=mass, nu=nu), p1, p2, s1, s2, z)


def t_channel_scattering_inverse(p1, p2, k1, mass: float = 0.0, nu: float = 1.4):
    """(z, g) of k1 given p1, p2."""
    return apply(lambda *a: _b.t_channel_scattering_inverse(*a, mass=mass, nu=nu),
                 lambda a, c: _b.t_channel_scattering_inverse_vjp(*a, *c, mass=mass, nu=nu), p1, p2, k1)


def luminosity_map(z, tau_min, tau_max=1.0):
    """(x (n, 2), g) by Eqs. 47-48."""
    return apply(_b.luminosity_map, lambda a, c: _b.luminosity_map_vjp(*a, *c), z, tau_min, tau_max)


def luminosity_map_inverse(x, tau_min, tau_max=1.0):
    """(z, g) of momentum fractions x."""
    return apply(_b.luminosity_map_inverse, lambda a, c: _b.luminosity_map_inverse_vjp(*a, *c), x, tau_min, tau_max)
