"""Process declarations: what ``numhep.process(name)`` returns.

A :class:`Process` couples external legs with a matrix-element kernel and its
hand-derived adjoint.  The kernel convention (see :mod:`numhep.kernels._target`):

    me_kernel(i, p, params, out)                  # out[i] = |M|^2 of event i
    me_kernel.vjp(i, p, params, g, gp, gparams)   # gp[i] = g d|M|^2/dp, gparams[i, k] = g d|M|^2/dparams[k]

``p`` is (n, legs, 4) with the two incoming legs first; ``params`` is the vector of the
parameters named in ``parameters`` (the model's inputs or derived couplings).  Parameter
gradients with respect to model inputs are chained through :meth:`numhep.Model.jacobian`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Process:
    name: str
    legs: tuple  # PDG codes, incoming first
    masses: tuple  # GeV, per leg
    kernel: object = None  # numhep kernel: (i, p, params, out); compiled processes override evaluate
    model: object = None  # numhep.Model supplying the parameters
    parameters: tuple = ()  # names of the entries of the params vector, in order
    description: str = ""
    n_incoming: int = 2
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.legs = tuple(int(v) for v in self.legs)
        self.masses = tuple(float(v) for v in self.masses)
        if len(self.legs) != len(self.masses):
            raise ValueError(f"process {self.name!r}: {len(self.legs)} legs but {len(self.masses)} masses")
        if type(self).evaluate is Process.evaluate and getattr(self.kernel, "vjp", None) is None:
            raise ValueError(f"process {self.name!r}: its kernel has no adjoint (kernel.vjp)")

    def __repr__(self):
        return f"<numhep process {self.name}: {self.description or self.legs}>"

    @property
    def n_legs(self) -> int:
        return len(self.legs)

    def parameter_values(self, overrides: dict | None = None) -> dict:
        if self.model is None:
            if overrides:
                raise KeyError(f"process {self.name!r} has no model parameters to override")
            return {}
        return self.model.parameters(overrides)

    def leg_masses(self, overrides: dict | None = None) -> tuple:
        """The legs' masses (GeV) under the parameters ``overrides``: the model's mass
        parameters where the model names one for a leg, else :attr:`masses`."""
        if not overrides or self.model is None:
            return self.masses
        values = self.parameter_values(overrides)
        names = [getattr(self.model.particle(pdg), "mass", None) for pdg in self.legs]
        return tuple(float(values[name]) if name else m for name, m in zip(names, self.masses))

    def parameter_vector(self, overrides: dict | None = None) -> np.ndarray:
        values = self.parameter_values(overrides)
        return np.array([values[k] for k in self.parameters], dtype=np.float64)

    def evaluate(self, p, xp, params: dict | None, grad):
        """|M|^2 (and, with grad, (|M|^2, d|M|^2/dp, d|M|^2/d params vector)) on checked momenta.

        grad: False, True, or the names of the model inputs whose derivatives are wanted
        (an implementation may leave the other columns zero).
        """
        # the kernel runs in the momenta's precision (float32 momenta: single precision)
        pv = xp.asarray(self.parameter_vector(params), dtype=p.dtype)
        out = xp.empty(p.shape[0], dtype=p.dtype)
        self.kernel(p, pv, out)
        if not grad:
            return out
        gp = xp.empty_like(p)
        gpar = xp.empty((p.shape[0], max(len(self.parameters), 1)), dtype=p.dtype)
        self.kernel.vjp(p, pv, xp.ones_like(out), gp, gpar)
        return out, gp, gpar
