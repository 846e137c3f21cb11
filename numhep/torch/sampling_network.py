r"""The sampling networks q_phi(x_hard | x_reco, alpha) of the matrix-element method.

Heimel, PhD thesis, Heidelberg 2024, Eqs. 6.25-6.28: the MEM integral over the hard phase
space is importance-sampled from a conditional flow trained on paired (alpha, x_hard,
x_reco) events, ideally q = p(x_hard | x_reco, alpha), the unfolding density.  Here the hard
event is its point u of the unit hypercube of numhep's integrand (luminosity and RAMBO on
diet, :func:`numhep.events.thj_dataset.thj_integrand`), so q is a :class:`HypercubeFlow`
conditioned on the standardised reco features and (cos alpha, sin alpha), mixed with a
uniform share lambda so that the weights stay bounded where the flow is too narrow:
q = (1 - lambda) g_phi + lambda.  Training on reco events re-sampled from the transfer
network each epoch (Eqs. 6.37-6.38) is :meth:`SamplingNetwork.fit` with ``transfer``.

:class:`MomentumSamplingNetwork` draws the hard event in the thesis's own coordinates
instead, the momenta of Eq. 6.31 (:func:`numhep.phasespace.momentum_coordinates_map`), where
an event lies near what the detector measured; numhep's inverse map gives its point u of the
hypercube and the density there.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from numhep.phasespace.momentum_coordinates import momentum_coordinates, momentum_coordinates_map
from numhep.torch.flows import HypercubeFlow
from numhep.torch.minibatch_fit import fit_minibatch
from numhep.torch.transfer_network import TransferNetwork, standardisation

__all__ = ["MomentumSamplingNetwork", "SamplingNetwork"]


def _with_phase(reco, alpha, features: int):
    """The condition of a sampling network: the reco features (n, features), checked, and
    (cos alpha, sin alpha)."""
    reco = torch.as_tensor(reco, dtype=torch.float64)
    if reco.ndim != 2 or reco.shape[1] != features:
        raise ValueError(f"reco: expected shape (n, {features}), got {tuple(reco.shape)}")
    alpha = torch.as_tensor(alpha, dtype=torch.float64).expand(reco.shape[0])
    return torch.cat([reco, torch.cos(alpha)[:, None], torch.sin(alpha)[:, None]], dim=1)


def _transfer_refresh(transfer, hard, seed):
    """The per-epoch re-sampling of the reco features from the transfer network (Heimel, PhD
    thesis, Heidelberg 2024, Eq. 6.38) for :func:`fit_minibatch`: a stream per epoch, so that
    a resumed training draws what an uninterrupted one draws."""
    if hard is None:
        raise ValueError("fit: re-sampling from the transfer network needs the hard features")
    hard = torch.as_tensor(hard, dtype=torch.float64)

    def refresh(epoch, data):
        gen = torch.Generator().manual_seed(1_000_003 * int(seed) + epoch)
        with torch.no_grad():
            return data[0], transfer.sample(hard, generator=gen), data[2]

    return refresh


class SamplingNetwork(torch.nn.Module):
    """q_phi(u | x_reco, alpha) on the hard process's unit hypercube (see the module text).

    Parameters
    ----------
    dim : int
        The dimension of the hard process's hypercube (7 for t H j).
    reco : torch.Tensor
        Reco features of the training set, shape (n, d): they fix the standardisation.
    uniform_share : float, optional
        lambda, the share of uniform points (default 0.05).
    bins, layers, units : int, optional
        The flow's spline bins and sub-networks (defaults 10, 3, 64).

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.sampling_network import SamplingNetwork
    >>> reco = torch.randn(16, 3, dtype=torch.float64)
    >>> q = SamplingNetwork(2, reco, bins=4, layers=1, units=8)
    >>> u, density = q.sample(reco[:4], torch.zeros(4, dtype=torch.float64), generator=torch.Generator().manual_seed(0))
    >>> u.shape, bool(torch.allclose(density, torch.ones(4, dtype=torch.float64)))  # untrained: uniform
    (torch.Size([4, 2]), True)
    """

    def __init__(self, dim: int, reco, *, uniform_share: float = 0.05, bins: int = 10, layers: int = 3,
                 units: int = 64):
        super().__init__()
        reco = torch.as_tensor(reco, dtype=torch.float64)
        if reco.ndim != 2 or reco.shape[0] < 2:
            raise ValueError(f"reco: expected an (n, d) tensor with n >= 2, got {tuple(reco.shape)}")
        if not 0.0 <= uniform_share < 1.0:
            raise ValueError(f"uniform_share: expected a number in [0, 1), got {uniform_share}")
        m, s = standardisation(reco)
        self.register_buffer("mean", m)
        self.register_buffer("std", s)
        self.uniform_share = float(uniform_share)
        self.dim = int(dim)
        self.flow = HypercubeFlow(self.dim, features=reco.shape[1] + 2, bins=bins, layers=layers, units=units)

    def _condition(self, reco, alpha):
        cond = _with_phase(reco, alpha, self.mean.numel())
        return torch.cat([(cond[:, :-2] - self.mean) / self.std, cond[:, -2:]], dim=1)

    def flow_log_prob(self, u, reco, alpha):
        """log g_phi(u | x_reco, alpha) of the flow alone, shape (n,).

        Parameters
        ----------
        u : torch.Tensor
            Points of the cube, shape (n, dim).
        reco : torch.Tensor
            Reco features, shape (n, d).
        alpha : torch.Tensor
            CP phases (radians), shape (n,) or a scalar.

        Returns
        -------
        torch.Tensor
            The log densities.
        """
        return self.flow.log_prob(torch.as_tensor(u, dtype=torch.float64), condition=self._condition(reco, alpha))

    def density(self, u, reco, alpha, latent_density=None):
        """q(u | x_reco, alpha) = (1 - lambda) g_phi + lambda, shape (n,).

        With a refined latent space (the flow's uniform latent points z drawn from a density
        p(z) on the unit cube instead, e.g. a VEGAS grid's), the flow's share has the density
        p(G(u)) g_phi(u) (Heimel, PhD thesis, Heidelberg 2024, Eq. 6.28 with p_latent = p), so
        q = (1 - lambda) p(G(u)) g_phi(u) + lambda.

        Parameters
        ----------
        u : torch.Tensor
            Points of the cube, shape (n, dim).
        reco : torch.Tensor
            Reco features, shape (n, d).
        alpha : torch.Tensor
            CP phases (radians), shape (n,) or a scalar.
        latent_density : callable, optional
            p: latent points (n, dim) -> densities (n,) (torch tensors); None (the default) for
            the uniform latent density, p = 1.

        Returns
        -------
        torch.Tensor
            The densities.
        """
        lam = self.uniform_share
        if latent_density is None:
            return (1.0 - lam) * torch.exp(self.flow_log_prob(u, reco, alpha)) + lam
        z, log_g = self.flow(torch.as_tensor(u, dtype=torch.float64), condition=self._condition(reco, alpha))
        return (1.0 - lam) * torch.exp(log_g) * latent_density(z) + lam

    def sample_latent(self, z, reco, alpha, latent_density=None, generator=None):
        """Map latent points z to u ~ q(u | x_reco, alpha), one per row, with the density q.

        On the flow's share 1 - lambda, u = G^-1(z); on the uniform share lambda, u is drawn
        uniformly.  z drawn uniformly is :meth:`sample`; z drawn from a refined density p (a
        VEGAS grid on the latent cube, Heimel, PhD thesis, Heidelberg 2024, Sec. 6.4) gives
        q = (1 - lambda) p(G(u)) g_phi(u) + lambda (see :meth:`density`).

        Parameters
        ----------
        z : torch.Tensor
            Latent points of the unit cube, shape (n, dim), drawn from ``latent_density``.
        reco : torch.Tensor
            Reco features, shape (n, d).
        alpha : torch.Tensor
            CP phases (radians), shape (n,) or a scalar.
        latent_density : callable, optional
            The density p of z: latent points (n, dim) -> (n,) (torch); None for uniform z.
        generator : torch.Generator, optional
            The random stream of the uniform share.

        Returns
        -------
        u : torch.Tensor
            Shape (n, dim).
        density : torch.Tensor
            q(u), shape (n,).
        from_flow : torch.Tensor
            Shape (n,), bool: the rows mapped from their z (the others are uniform).

        Raises
        ------
        ValueError
            If ``z`` is not of shape (n, dim) with n the number of reco rows.

        Examples
        --------
        >>> import torch
        >>> from numhep.torch.sampling_network import SamplingNetwork
        >>> q = SamplingNetwork(2, torch.randn(8, 3, dtype=torch.float64), bins=4, layers=1, units=8)
        >>> z = torch.full((3, 2), 0.25, dtype=torch.float64)
        >>> u, density, flow = q.sample_latent(z, torch.zeros(3, 3, dtype=torch.float64), 0.0,
        ...                                    latent_density=lambda v: torch.full((v.shape[0],), 2.0, dtype=torch.float64))
        >>> [round(d, 12) for d in density.tolist()]  # untrained: the identity, so (1 - 0.05) 2 + 0.05
        [1.95, 1.95, 1.95]
        """
        cond = self._condition(reco, alpha)
        n = cond.shape[0]
        z = torch.as_tensor(z, dtype=torch.float64).to(self.mean.device)
        if z.shape != (n, self.dim):
            raise ValueError(f"z: expected shape ({n}, {self.dim}), one latent point per reco row, got {tuple(z.shape)}")
        u, _ = self.flow.inverse(z, condition=cond)
        flat = torch.rand((n,), generator=generator, dtype=torch.float64) < self.uniform_share
        if bool(flat.any()):
            u = torch.where(flat[:, None], torch.rand((n, self.dim), generator=generator, dtype=torch.float64), u)
        return u, self.density(u, reco, alpha, latent_density), ~flat

    def sample(self, reco, alpha, generator=None):
        """Draw u ~ q(u | x_reco, alpha), one per row, and its density q.

        Parameters
        ----------
        reco : torch.Tensor
            Reco features, shape (n, d).
        alpha : torch.Tensor
            CP phases (radians), shape (n,) or a scalar.
        generator : torch.Generator, optional
            The random stream.

        Returns
        -------
        u : torch.Tensor
            Shape (n, dim).
        density : torch.Tensor
            q(u), shape (n,).
        """
        n = torch.as_tensor(reco).shape[0]
        z = torch.rand((n, self.dim), generator=generator, dtype=torch.float64)
        u, density, _ = self.sample_latent(z, reco, alpha, generator=generator)
        return u, density

    def fit(self, u, reco, alpha, *, transfer=None, hard=None, **options) -> list:
        """Train by maximum likelihood on paired (u, x_reco, alpha) (Heimel, PhD thesis, Heidelberg 2024, Eq. 6.27).

        Parameters
        ----------
        u : torch.Tensor
            The hard events' points of the cube, shape (n, dim).
        reco : torch.Tensor
            Their reco features, shape (n, d).
        alpha : torch.Tensor
            Their CP phases, shape (n,).
        transfer : TransferNetwork, optional
            Re-sample ``reco`` from the transfer network at every epoch (Eqs. 6.37-6.38); needs ``hard``.
        hard : torch.Tensor, optional
            The hard features the transfer network is conditioned on, shape (n, d_hard).
        **options
            Options of :func:`numhep.torch.minibatch_fit.fit_minibatch`.

        Returns
        -------
        list of float
            The loss of every epoch.
        """
        tensors = (torch.as_tensor(u, dtype=torch.float64), torch.as_tensor(reco, dtype=torch.float64),
                   torch.as_tensor(alpha, dtype=torch.float64))
        refresh = None if transfer is None else _transfer_refresh(transfer, hard, options.get("seed", 1))
        return fit_minibatch(self, lambda net, x, r, a: -net.flow_log_prob(x, r, a).mean(), tensors,
                             refresh=refresh, **options)


class MomentumSamplingNetwork(torch.nn.Module):
    r"""q_phi(x_hard | x_reco, alpha) in the momentum coordinates of Eq. 6.31, as a density of u.

    Heimel, PhD thesis, Heidelberg 2024, Sec. 6.3: the sampling network draws the hard event
    in its momenta y = (p_1, ..., p_(k-1), p_k^z) (:func:`numhep.phasespace.momentum_coordinates_map`).
    Its density of y given the condition c = (x_reco, cos alpha, sin alpha) is a
    :class:`~numhep.torch.transfer_network.TransferNetwork` with ``linear_residual``: the flow
    models z = L^-1 (y - y_hat(c)), the residual of the least-squares linear estimate y_hat
    fitted on the training set, whitened with the residuals' covariance L L^T.  With Cartesian
    reco features the photon pair gives p_H and the balance of the visible momenta the
    neutrino's transverse momentum, so the residual is of the size of the resolution and the
    unknowns, not of the whole phase space.  A Gaussian twice as wide as the residuals is
    mixed in, so that the weights stay bounded where the flow is too narrow:

    .. math::

        q_y(y | c) = \frac{(1 - \lambda)\, p_\varphi(z | c) + \lambda\, \mathcal{N}(z; 0, 4)}{\det L}.

    A drawn y is an event (momenta, momentum fractions and the measure J_y = dx_1 dx_2
    dPhi / dy); numhep's inverse map gives its point u and its phase-space weight w(u) =
    dx_1 dx_2 dPhi / du, so that the density of u is q(u) = q_y(y) w(u) / J_y, the density
    :class:`~numhep.torch.mem_integral.MEMIntegral` divides by.  A y beyond the collider
    energy is no event: its row gets u = 1/2 and q = inf, which the MEM integral weighs 0.

    Parameters
    ----------
    integrand : CPFactorisedIntegrand
        The hard process's integrand (the one the MEM integral evaluates): its ``masses``
        (two partons, then the final state), ``sqrt_s``, ``evaluate`` and ``inverse``.
    y : torch.Tensor
        Momentum coordinates of the training set's hard events, shape (n, 3k - 2) (for
        t H j the seven hard features, :func:`numhep.events.thj_dataset.hard_features`).
    reco : torch.Tensor
        Their reco features, shape (n, d): with ``alpha`` they fix the linear estimate and
        the standardisation.
    alpha : torch.Tensor
        Their CP phases (radians), shape (n,).
    wide_share : float, optional
        lambda, the share of the wide Gaussian (default 0.05).
    bins, layers, units : int, optional
        The flow's spline bins and sub-networks (defaults 10, 3, 64).

    Raises
    ------
    ValueError
        If the shapes do not fit each other or the integrand's final state.

    Examples
    --------
    >>> import torch
    >>> from numhep.integration.cp_factorised_integrand import CPFactorisedIntegrand
    >>> from numhep.torch.sampling_network import MomentumSamplingNetwork
    >>> f = CPFactorisedIntegrand("p p > t h j", 13000.0, model="sm_cpv_no_b_mass")
    >>> gen = torch.Generator().manual_seed(2)
    >>> reco = 100.0 * torch.randn(64, 7, generator=gen, dtype=torch.float64)
    >>> y = reco + 5.0 * torch.randn(64, 7, generator=gen, dtype=torch.float64)
    >>> q = MomentumSamplingNetwork(f, y, reco, torch.zeros(64), bins=4, layers=1, units=8)
    >>> u, density = q.sample(reco[:3], 0.0, generator=gen)
    >>> u.shape, bool((density > 0).all())
    (torch.Size([3, 7]), True)
    """

    def __init__(self, integrand, y, reco, alpha, *, wide_share: float = 0.05, bins: int = 10, layers: int = 3,
                 units: int = 64):
        super().__init__()
        y = torch.as_tensor(y, dtype=torch.float64)
        reco = torch.as_tensor(reco, dtype=torch.float64)
        masses = np.asarray(integrand.masses[2:], dtype=np.float64)
        if y.ndim != 2 or y.shape[1] != 3 * masses.size - 2:
            raise ValueError(f"y: {masses.size} final-state particles need shape (n, {3 * masses.size - 2}), "
                             f"got {tuple(y.shape)}")
        if reco.ndim != 2 or reco.shape[0] != y.shape[0] or reco.shape[0] < 2:
            raise ValueError(f"reco: expected shape ({y.shape[0]}, d), got {tuple(reco.shape)}")
        if not 0.0 <= wide_share < 1.0:
            raise ValueError(f"wide_share: expected a number in [0, 1), got {wide_share}")
        self.integrand, self.masses, self.sqrt_s = integrand, masses, float(integrand.sqrt_s)
        self.wide_share = float(wide_share)
        self.reco_features = int(reco.shape[1])
        self.flow = TransferNetwork(y, _with_phase(reco, alpha, self.reco_features), bins=bins, layers=layers,
                                    units=units, linear_residual=True)

    def _condition(self, reco, alpha):
        return _with_phase(reco, alpha, self.reco_features)

    def linear_estimate(self, reco, alpha):
        """y_hat(x_reco, alpha), the least-squares linear estimate of the coordinates that the
        flow models the residual of, shape (n, 3k - 2).

        Parameters
        ----------
        reco : torch.Tensor
            Reco features, shape (n, d).
        alpha : torch.Tensor
            CP phases (radians), shape (n,) or a scalar.

        Returns
        -------
        torch.Tensor
            The estimated coordinates in GeV.
        """
        cond = self._condition(reco, alpha)
        return self.flow.unstandardise(torch.zeros(cond.shape[0], self.flow.reco_dim, dtype=torch.float64), cond)

    @property
    def dim(self) -> int:
        """The dimension of the flow's latent cube (3k - 2, that of the integrand's hypercube)."""
        return self.flow.reco_dim

    def _log_prob_of_standardised(self, z, log_flow):
        """log q_y from the whitened residual z and the flow's log density there (with a refined
        latent space, times the latent density): the wide Gaussian mixed in, and the Jacobian
        of the whitening."""
        lam = self.wide_share
        if lam > 0.0:
            d = z.shape[1]
            wide = -0.125 * (z * z).sum(dim=1) - d * (math.log(2.0) + 0.5 * math.log(2.0 * math.pi))
            log_flow = torch.logaddexp(log_flow + math.log1p(-lam), wide + math.log(lam))
        return log_flow - self.flow.log_scale()

    def log_prob_coordinates(self, y, reco, alpha, latent_density=None):
        """log q_y(y | x_reco, alpha), the mixture's density of the coordinates, shape (n,).

        Parameters
        ----------
        y : torch.Tensor
            Momentum coordinates, shape (n, 3k - 2).
        reco : torch.Tensor
            Reco features, shape (n, d).
        alpha : torch.Tensor
            CP phases (radians), shape (n,) or a scalar.
        latent_density : callable, optional
            The density p of the flow's latent points (n, 3k - 2) -> (n,) (torch) where they are
            drawn from a refined density (see :meth:`sample_latent`); None for uniform ones.

        Returns
        -------
        torch.Tensor
            The log densities, in GeV^-(3k - 2).
        """
        cond = self._condition(reco, alpha)
        z = self.flow.standardise(y, cond)
        latent, log_flow = self.flow.latent_of_standard(z, self.flow.condition(cond))
        if latent_density is not None:
            log_flow = log_flow + torch.log(latent_density(latent))
        return self._log_prob_of_standardised(z, log_flow)

    def _density_of_u(self, y, log_q):
        """(u, q(u)) of coordinates y with log q_y: the inverse map and its weight for the
        events, u = 1/2 and q = inf for rows that are no event."""
        y_np = y.detach().cpu().numpy()
        p, x, measure = momentum_coordinates_map(y_np, self.sqrt_s, self.masses)
        event = measure > 0.0
        u = np.full((y_np.shape[0], self.integrand.dim), 0.5)
        q = np.full(y_np.shape[0], np.inf)
        if event.any():
            u[event], w_map = self.integrand.inverse(p[event], x=x[event])
            q[event] = np.exp(log_q.detach().cpu().numpy()[event]) * w_map / measure[event]
        return torch.from_numpy(u), torch.from_numpy(q)

    def sample_latent(self, latent, reco, alpha, latent_density=None, generator=None):
        """Map latent points of the flow to hard events, one per reco row, with their u and q(u).

        On the flow's share 1 - lambda the latent point gives the whitened residual z through
        the flow's inverse, whose pass also gives its density; on the wide Gaussian's share z is
        drawn from N(0, 4).  Latent points drawn uniformly are :meth:`sample`; drawn from a
        refined density p (a VEGAS grid on the latent cube, Heimel, PhD thesis, Heidelberg 2024,
        Sec. 6.4) the flow's share has the density p(G(z)) p_phi(z).

        Parameters
        ----------
        latent : torch.Tensor
            Points of the unit cube, shape (n, 3k - 2), drawn from ``latent_density``.
        reco : torch.Tensor
            Reco features, shape (n, d).
        alpha : torch.Tensor
            CP phases (radians), shape (n,) or a scalar.
        latent_density : callable, optional
            The density p of the latent points: (n, 3k - 2) -> (n,) (torch); None for uniform ones.
        generator : torch.Generator, optional
            The random stream of the wide Gaussian's share.

        Returns
        -------
        u : torch.Tensor
            Shape (n, dim): the events' points of the integrand's unit hypercube (1/2 where
            the draw is no event).
        density : torch.Tensor
            q(u), shape (n,); inf where the draw is no event.
        from_flow : torch.Tensor
            Shape (n,), bool: the rows mapped from their latent point.

        Raises
        ------
        ValueError
            If ``latent`` is not of shape (n, 3k - 2) with n the number of reco rows.
        """
        with torch.no_grad():
            cond = self._condition(reco, alpha)
            latent = torch.as_tensor(latent, dtype=torch.float64)
            if latent.shape != (cond.shape[0], self.dim):
                raise ValueError(f"latent: expected shape ({cond.shape[0]}, {self.dim}), one point per reco row, "
                                 f"got {tuple(latent.shape)}")
            std_cond = self.flow.condition(cond)
            z, log_flow = self.flow.standard_of_latent(latent, std_cond)
            wide = torch.rand((cond.shape[0],), generator=generator, dtype=torch.float64) < self.wide_share
            if bool(wide.any()):
                z = torch.where(wide[:, None], 2.0 * torch.randn(z.shape, generator=generator, dtype=torch.float64), z)
                latent_wide, log_flow[wide] = self.flow.latent_of_standard(z[wide], std_cond[wide])
                latent = latent.clone()
                latent[wide] = latent_wide
            if latent_density is not None:
                log_flow = log_flow + torch.log(latent_density(latent))
            u, q = self._density_of_u(self.flow.unstandardise(z, cond), self._log_prob_of_standardised(z, log_flow))
        return u, q, ~wide

    def sample(self, reco, alpha, generator=None):
        """Draw hard events for the reco rows and return their points u and q(u).

        The flow's density of a draw comes from the same pass that draws it; only the rows
        of the wide Gaussian run the flow once more.

        Parameters
        ----------
        reco : torch.Tensor
            Reco features, shape (n, d).
        alpha : torch.Tensor
            CP phases (radians), shape (n,) or a scalar.
        generator : torch.Generator, optional
            The random stream.

        Returns
        -------
        u : torch.Tensor
            Shape (n, dim): the events' points of the integrand's unit hypercube (1/2 where
            the draw is no event).
        density : torch.Tensor
            q(u), shape (n,); inf where the draw is no event.
        """
        n = torch.as_tensor(reco).shape[0]
        latent = torch.rand((n, self.dim), generator=generator, dtype=torch.float64)
        u, q, _ = self.sample_latent(latent, reco, alpha, generator=generator)
        return u, q

    def density(self, u, reco, alpha, latent_density=None):
        """q(u | x_reco, alpha) at points of the integrand's hypercube, shape (n,).

        Parameters
        ----------
        u : array_like
            Points of the unit hypercube, shape (n, dim).
        reco : torch.Tensor
            Reco features, shape (n, d).
        alpha : torch.Tensor
            CP phases (radians), shape (n,) or a scalar.
        latent_density : callable, optional
            The density of the flow's latent points, as in :meth:`sample_latent`; None for uniform ones.

        Returns
        -------
        torch.Tensor
            The densities (0 where u gives no event).
        """
        u_np = np.asarray(u.detach().cpu().numpy() if torch.is_tensor(u) else u, dtype=np.float64)
        points = self.integrand.evaluate(u_np)
        y = momentum_coordinates(points.momenta[:, 2:])
        _, w_map = self.integrand.inverse(points.momenta, x=points.x)
        _, _, measure = momentum_coordinates_map(y, self.sqrt_s, self.masses)
        with torch.no_grad():
            log_q = self.log_prob_coordinates(torch.from_numpy(y), reco, alpha, latent_density).numpy()
        ok = points.inside & (measure > 0)
        return torch.from_numpy(np.where(ok, np.exp(log_q) * w_map / np.where(ok, measure, 1.0), 0.0))

    def fit(self, y, reco, alpha, *, transfer=None, hard=None, **options) -> list:
        """Train the flow by maximum likelihood on paired (y, x_reco, alpha) (Heimel, PhD thesis, Heidelberg 2024, Eq. 6.27).

        Parameters
        ----------
        y : torch.Tensor
            The hard events' momentum coordinates, shape (n, 3k - 2).
        reco : torch.Tensor
            Their reco features, shape (n, d).
        alpha : torch.Tensor
            Their CP phases, shape (n,).
        transfer : TransferDensity, optional
            Re-sample ``reco`` from the transfer network at every epoch (Eqs. 6.37-6.38); needs ``hard``.
        hard : torch.Tensor, optional
            The hard features the transfer network is conditioned on, shape (n, d_hard).
        **options
            Options of :func:`numhep.torch.minibatch_fit.fit_minibatch`.

        Returns
        -------
        list of float
            The loss of every epoch.
        """
        tensors = (torch.as_tensor(y, dtype=torch.float64), torch.as_tensor(reco, dtype=torch.float64),
                   torch.as_tensor(alpha, dtype=torch.float64))
        refresh = None if transfer is None else _transfer_refresh(transfer, hard, options.get("seed", 1))
        return fit_minibatch(self, lambda net, y_, r_, a_: -net.flow.log_prob(y_, net._condition(r_, a_)).mean(),
                             tensors, refresh=refresh, **options)
