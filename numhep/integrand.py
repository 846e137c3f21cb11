"""Integrands on the unit hypercube for fixed-energy collisions (lepton colliders).

``numhep.integrand(process, sqrt_s)`` returns a callable f(u) -> weights in pb, with
``f.dim`` = 3n - 4 for n final-state particles: RAMBO on diet maps u to momenta, and
    w(u) = |M|^2(p(u)) * Phi_weight(u) / F * GEV2_TO_PB,
with the flux F = 2 sqrt(lambda(s, m1^2, m2^2)) (2 s for massless beams), so that the
mean of f over the hypercube is the cross section.  It is a plain batch function
of numpy arrays: it works as the integrand of numhep's VEGAS, of the ``vegas``
package (``vegas.batchintegrand``) and of scipy's samplers.
"""

from __future__ import annotations

import math

import numpy as np

from numhep.matrix_element import _resolve, me
from numhep.phase_space import _beams, rambo_on_diet
from numhep.units import GEV2_TO_PB

__all__ = ["FixedEnergyIntegrand", "integrand"]


class FixedEnergyIntegrand:
    def __init__(self, process, sqrt_s: float, params: dict | None = None):
        self.process = _resolve(process)
        self.sqrt_s = float(sqrt_s)
        self.params = params
        m = self.process.masses
        self.final_masses = m[self.process.n_incoming :]
        if self.process.n_incoming != 2:
            raise ValueError(f"integrand: {self.process.name!r} is not a 2 -> n process")
        if self.sqrt_s <= sum(self.final_masses) or self.sqrt_s <= m[0] + m[1]:
            raise ValueError(f"sqrt_s: {sqrt_s} GeV is below the threshold of {self.process.name!r}")
        s = self.sqrt_s**2
        lam = (s - (m[0] + m[1]) ** 2) * (s - (m[0] - m[1]) ** 2)
        self.flux = 2.0 * math.sqrt(lam)
        self.dim = 3 * len(self.final_masses) - 4

    def momenta(self, u):
        """All legs' momenta (n, legs, 4) and the phase-space weights at u."""
        fin, w = rambo_on_diet(u, self.sqrt_s, self.final_masses)
        n = fin.shape[0]
        p = np.empty((n, self.process.n_legs, 4))
        p[:, 0], p[:, 1] = _beams(np.full(n, self.sqrt_s), *self.process.masses[:2])
        p[:, 2:] = fin
        return p, w

    def __call__(self, u):
        p, w = self.momenta(np.atleast_2d(u))
        return me(p, self.process, params=self.params, check=False) * w / self.flux * GEV2_TO_PB


def integrand(process, sqrt_s: float, *, params: dict | None = None) -> FixedEnergyIntegrand:
    """A drop-in integrand for samplers on the unit hypercube (see module docstring)."""
    return FixedEnergyIntegrand(process, sqrt_s, params)
