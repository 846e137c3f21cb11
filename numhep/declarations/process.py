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
    """A process declaration: external legs with a matrix-element kernel and its adjoint.

    The kernel computes ``|M|^2`` per event and its adjoint the derivatives in the momenta
    and in the parameter vector (see :mod:`numhep.declarations.process` for the calling
    convention); compiled processes (:class:`numhep.amplitudes.CompiledProcess`) override
    :meth:`evaluate` instead.  ``numhep.process(name)`` returns registered and compiled
    processes.

    Parameters
    ----------
    name : str
        The process's name.
    legs : tuple of int
        PDG codes of every leg, the incoming first.
    masses : tuple of float
        Mass of every leg in GeV.
    kernel : numhep kernel, optional
        ``kernel(p, params, out)`` with its adjoint ``kernel.vjp``; required unless a
        subclass overrides :meth:`evaluate`.
    model : Model, optional
        The model supplying the parameters.
    parameters : tuple of str, optional
        Names of the entries of the parameter vector the kernel takes, in order.
    description : str, optional
        One line of text.
    n_incoming : int, optional
        Number of incoming legs (default 2).
    meta : dict, optional
        Free-form metadata.

    Raises
    ------
    ValueError
        If ``legs`` and ``masses`` differ in length, or the kernel has no adjoint.

    Examples
    --------
    >>> proc = numhep.process("ee_mumu_analytic")
    >>> proc.legs, proc.masses, proc.parameters
    ((-11, 11, -13, 13), (0.0, 0.0, 0.0, 0.0), ('ee', 'sw2', 'MZ', 'WZ'))
    >>> p = numhep.rambo(2, 100.0, proc.masses, seed=1).momenta
    >>> proc.evaluate(p, np, None, False).round(6)
    array([0.037848, 0.032677])
    """

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
        """int: Number of legs."""
        return len(self.legs)

    def parameter_values(self, overrides: dict | None = None) -> dict:
        """Every parameter of the process's model under ``overrides``.

        Parameters
        ----------
        overrides : dict, optional
            New values of the model's input parameters.

        Returns
        -------
        dict of str to float
            :meth:`Model.parameters`, or an empty dict without a model.

        Raises
        ------
        KeyError
            If overrides are given for a process without a model.
        """
        if self.model is None:
            if overrides:
                raise KeyError(f"process {self.name!r} has no model parameters to override")
            return {}
        return self.model.parameters(overrides)

    def leg_masses(self, overrides: dict | None = None) -> tuple:
        """The legs' masses under the parameters ``overrides``.

        Parameters
        ----------
        overrides : dict, optional
            New values of the model's input parameters.

        Returns
        -------
        tuple of float
            Masses in GeV: the model's mass parameter where the model names one for a leg,
            else :attr:`masses`.
        """
        if not overrides or self.model is None:
            return self.masses
        values = self.parameter_values(overrides)
        names = [getattr(self.model.particle(pdg), "mass", None) for pdg in self.legs]
        return tuple(float(values[name]) if name else m for name, m in zip(names, self.masses))

    def parameter_vector(self, overrides: dict | None = None) -> np.ndarray:
        """The parameter vector the kernel takes.

        Parameters
        ----------
        overrides : dict, optional
            New values of the model's input parameters.

        Returns
        -------
        numpy.ndarray of float64, shape (len(parameters),)
            The values of :attr:`parameters`, in order.
        """
        values = self.parameter_values(overrides)
        return np.array([values[k] for k in self.parameters], dtype=np.float64)

    def evaluate(self, p, xp, params: dict | None, grad):
        """The squared matrix element ``|M|^2`` on checked momenta, with its derivatives.

        Parameters
        ----------
        p : array, shape ``(n, legs, 4)``
            Momenta in GeV, checked by the caller; float32 momenta run in single precision.
        xp : module
            The array module of ``p`` (numpy or cupy).
        params : dict or None
            Overrides of the model's input parameters.
        grad : bool or sequence of str
            False, True, or the names of the model inputs whose derivatives are wanted (an
            implementation may leave the other columns zero).

        Returns
        -------
        array, shape (n,), or tuple
            ``|M|^2`` per event; with ``grad`` the tuple (``|M|^2``, ``d|M|^2/dp`` (n, legs, 4),
            derivatives in the parameter vector (n, max(1, len(parameters)))).
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
