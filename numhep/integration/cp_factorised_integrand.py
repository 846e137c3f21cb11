r"""An integrand factorised in the top Yukawa's CP phase: dsigma/du at every alpha from one pass.

An integrand's weight is linear in ``|M|^2`` (PDFs, flux and phase-space weight multiply it, the
subprocesses add), so with the CP-violating top Yukawa of ``sm_cpv`` it is the quadratic form
of :mod:`numhep.amplitudes.cp_factorised` (Heimel, PhD thesis, Heidelberg 2024, Eqs. 6.33-6.35):

.. math::

    \frac{d\sigma(\alpha)}{du} = \sum_i f_i(\alpha)\, g_i(u),
    \qquad f = (1, e, o, e^2, o^2, eo),\; e = a\cos\alpha,\; o = b\sin\alpha .

:class:`CPFactorisedIntegrand` holds numhep's integrand at the six couplings of
:data:`~numhep.amplitudes.cp_factorised.COUPLING_POINTS` and returns the components g(u) of a
batch of points; the matrix-element method then evaluates every alpha of a scan on the same
points (single-pass integration).  The phase-space map does not depend on the couplings, so
the six integrands share the points' momenta.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numhep.amplitudes.cp_factorised import COUPLING_POINTS, CP_INPUTS, components_from_values, cp_monomials
from numhep.integration.integrands import Integrand

__all__ = ["CPFactorisedIntegrand", "CPFactorisedPoints"]


@dataclass
class CPFactorisedPoints:
    """A batch of points of a :class:`CPFactorisedIntegrand`.

    Parameters
    ----------
    components : ndarray, shape ``(n, 6)``
        g(u) in pb: the weight at (alpha, a, b) is ``components @ cp_monomials(alpha, a, b)``.
    momenta : ndarray, shape ``(n, legs, 4)``
        Lab-frame momenta (GeV).
    x : ndarray or None
        Shape (n, 2): momentum fractions (hadron colliders).
    inside : ndarray of bool, shape ``(n,)``
        Points with a phase-space point (inside the cube and the cuts); the others have zero components.

    Examples
    --------
    >>> from numhep.integration.cp_factorised_integrand import CPFactorisedPoints
    >>> pts = CPFactorisedPoints(np.zeros((2, 6)), np.zeros((2, 5, 4)), None, np.array([True, False]))
    >>> pts.weight(0.0).shape
    (2,)
    """

    components: np.ndarray
    momenta: np.ndarray
    x: np.ndarray | None
    inside: np.ndarray

    def weight(self, alpha, kappa_a: float = 1.0, kappa_b: float = 2.0 / 3.0) -> np.ndarray:
        """dsigma/du (pb) at the CP phase(s) ``alpha`` (radians): shape (n,) or (n, k) for k phases.

        Parameters
        ----------
        alpha : float or array_like
            CP phase(s) in radians.
        kappa_a, kappa_b : float, optional
            The CP-even and CP-odd strengths (defaults 1 and 2/3).

        Returns
        -------
        ndarray
            The weights.
        """
        basis = cp_monomials(alpha, kappa_a, kappa_b)
        return self.components @ (basis.T if basis.ndim == 2 else basis)


class CPFactorisedIntegrand:
    """numhep's integrand of a process with the CP-violating top Yukawa, factorised in alpha.

    Parameters
    ----------
    process : str, Process or ProcessGroup
        The process, as :func:`numhep.integrand` takes it (e.g. ``"p p > t h j"``).
    sqrt_s : float
        Collider energy in GeV.
    model : str or Model
        A model with the inputs ``alpha_cp``, ``kappa_a``, ``kappa_b`` (``"sm_cpv"``, or
        ``"sm_cpv_no_b_mass"`` for five flavours).
    params : dict, optional
        Other model inputs to override (not the CP inputs).
    **options
        Further options of :func:`numhep.integrand` (``pdf``, ``scale``, ``cuts``, ...).

    Raises
    ------
    ValueError
        If ``params`` sets a CP input.

    Examples
    --------
    >>> from numhep.integration.cp_factorised_integrand import CPFactorisedIntegrand
    >>> f = CPFactorisedIntegrand("e+ e- > t t~ h", 1000.0, model="sm_cpv")
    >>> pts = f.evaluate(np.full((2, f.dim), 0.4))
    >>> direct = numhep.integrand("e+ e- > t t~ h", 1000.0, model="sm_cpv", params={"alpha_cp": 0.7})
    >>> bool(np.allclose(pts.weight(0.7), direct(np.full((2, f.dim), 0.4)), rtol=1e-12))
    True
    """

    def __init__(self, process, sqrt_s: float, *, model, params=None, **options):
        params = dict(params or {})
        clash = sorted(set(params) & set(CP_INPUTS))
        if clash:
            raise ValueError(f"params: {clash} are set by the factorisation itself")
        self.integrands = [
            Integrand(process, sqrt_s, model=model,
                      params={**params, "alpha_cp": a, "kappa_a": ka, "kappa_b": kb}, **options)
            for a, ka, kb in COUPLING_POINTS
        ]
        first = self.integrands[0]
        self.dim, self.masses, self.group, self.sqrt_s = first.dim, first.masses, first.group, first.sqrt_s

    def __repr__(self):
        return f"<numhep CP-factorised integrand {self.group.text!r}, dim {self.dim}>"

    def evaluate(self, u) -> CPFactorisedPoints:
        """The components g(u) and the momenta of the points u.

        Parameters
        ----------
        u : array_like, shape ``(n, dim)``
            Points of the unit hypercube (outside it: zero components).

        Returns
        -------
        CPFactorisedPoints
            The components (pb), momenta and momentum fractions.
        """
        u = np.atleast_2d(np.asarray(u, dtype=np.float64))
        points = [f.evaluate(u) for f in self.integrands]
        comps = components_from_values(np.stack([p.weight for p in points]))
        inside = np.any(np.stack([p.weight for p in points]) != 0.0, axis=0)
        return CPFactorisedPoints(comps, points[0].momenta, points[0].x, inside)

    def inverse(self, momenta, x=None):
        """(u, phase-space weight) of lab-frame momenta, as :meth:`numhep.integrand` inverts them.

        Parameters
        ----------
        momenta : array_like, shape ``(n, legs, 4)``
            Lab-frame momenta in GeV.
        x : array_like, shape ``(n, 2)``, optional
            Momentum fractions (hadron colliders).

        Returns
        -------
        tuple of ndarray
            u (n, dim) and the map's weight (n,).
        """
        return self.integrands[0].inverse(momenta, x=x)

    def sigma_components(self, u, alpha, sigma, *, accepted=None) -> np.ndarray:
        r"""Cross-section components S_i = \int du g_i(u) [epsilon(u)] from events of known phases.

        The events u were drawn at the phases ``alpha`` (one per event) with cross sections
        ``sigma`` (a dict alpha -> pb or a function); their mixture has the density
        q(u) = sum_k (N_k/N) dsigma(alpha_k)/du / sigma(alpha_k), so S_i = < g_i [epsilon] / q >
        (multiple importance sampling).  With ``accepted`` (the events' acceptance, 0/1) the
        result is the fiducial cross section's components (Heimel, PhD thesis, Heidelberg
        2024, Eq. 6.16): sigma_fid(alpha) = S . f(alpha).

        Parameters
        ----------
        u : array_like, shape ``(n, dim)``
            The events' points.
        alpha : array_like, shape ``(n,)``
            The phase each event was drawn at (radians).
        sigma : dict
            ``{alpha: sigma_pb}`` for every phase in ``alpha`` (keys compared to 1e-9).
        accepted : array_like, shape ``(n,)``, optional
            Acceptance (0/1 or a probability) of each event.

        Returns
        -------
        ndarray, shape ``(6,)``
            S in pb.

        Raises
        ------
        ValueError
            If a phase has no cross section in ``sigma``.
        """
        u = np.asarray(u, dtype=np.float64)
        alpha = np.asarray(alpha, dtype=np.float64)
        phases = np.unique(alpha)
        keys = np.array(list(sigma))
        q = np.zeros(u.shape[0])
        comps = self.evaluate(u).components
        for a in phases:
            match = np.flatnonzero(np.abs(keys - a) < 1e-9)
            if match.size == 0:
                raise ValueError(f"sigma: no cross section for the phase {a}")
            share = np.mean(alpha == a)
            q += share * (comps @ cp_monomials(a)) / float(sigma[keys[match[0]]])
        acc = np.ones(u.shape[0]) if accepted is None else np.asarray(accepted, dtype=np.float64)
        safe = q != 0  # a negative PDF can make a weight negative; the identity holds all the same
        return (comps[safe] * (acc[safe] / q[safe])[:, None]).sum(axis=0) / u.shape[0]

    def log_likelihood(self, u, alphas, sigma_components, *, kappa_a: float = 1.0,
                       kappa_b: float = 2.0 / 3.0) -> np.ndarray:
        r"""The hard-process log-likelihood log p(u | alpha) = log(dsigma(alpha)/du) - log sigma(alpha).

        Heimel, PhD thesis, Heidelberg 2024, Eq. 6.9, with both factorised (Eq. 6.33): the
        benchmark the matrix-element method's reco-level likelihood is compared with.

        Parameters
        ----------
        u : array_like, shape ``(n, dim)``
            The hard events' points.
        alphas : array_like, shape ``(k,)``
            CP phases (radians).
        sigma_components : array_like, shape ``(6,)``
            sigma's components (:meth:`sigma_components`), or the fiducial ones with the
            acceptance multiplied in by the caller.
        kappa_a, kappa_b : float, optional
            The CP-even and CP-odd strengths (defaults 1 and 2/3).

        Returns
        -------
        ndarray, shape ``(n, k)``
            log p; -inf where dsigma/du is not positive.
        """
        weights = self.evaluate(u).weight(np.atleast_1d(alphas), kappa_a, kappa_b)
        sigma = cp_monomials(np.atleast_1d(alphas), kappa_a, kappa_b) @ np.asarray(sigma_components, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(weights > 0, np.log(np.where(weights > 0, weights, 1.0)), -np.inf) - np.log(sigma)
