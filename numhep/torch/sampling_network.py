r"""The sampling network q_phi(x_hard | x_reco, alpha) of the matrix-element method.

Heimel, PhD thesis, Heidelberg 2024, Eqs. 6.25-6.28: the MEM integral over the hard phase
space is importance-sampled from a conditional flow trained on paired (alpha, x_hard,
x_reco) events, ideally q = p(x_hard | x_reco, alpha), the unfolding density.  Here the hard
event is its point u of the unit hypercube of numhep's integrand (luminosity and RAMBO on
diet, :func:`numhep.events.thj_dataset.thj_integrand`), so q is a :class:`HypercubeFlow`
conditioned on the standardised reco features and (cos alpha, sin alpha), mixed with a
uniform share lambda so that the weights stay bounded where the flow is too narrow:
q = (1 - lambda) g_phi + lambda.  Training on reco events re-sampled from the transfer
network each epoch (Eqs. 6.37-6.38) is :meth:`SamplingNetwork.fit` with ``transfer``.
"""

from __future__ import annotations

import torch

from numhep.torch.flows import HypercubeFlow
from numhep.torch.minibatch_fit import fit_minibatch
from numhep.torch.transfer_network import standardisation

__all__ = ["SamplingNetwork"]


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
        reco = torch.as_tensor(reco, dtype=torch.float64)
        alpha = torch.as_tensor(alpha, dtype=torch.float64).expand(reco.shape[0])
        if reco.ndim != 2 or reco.shape[1] != self.mean.numel():
            raise ValueError(f"reco: expected shape (n, {self.mean.numel()}), got {tuple(reco.shape)}")
        return torch.cat([(reco - self.mean) / self.std, torch.cos(alpha)[:, None], torch.sin(alpha)[:, None]], dim=1)

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
        >>> density.tolist()  # untrained: the identity, so (1 - 0.05) 2 + 0.05
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
        refresh = None
        if transfer is not None:
            if hard is None:
                raise ValueError("fit: re-sampling from the transfer network needs the hard features")
            hard = torch.as_tensor(hard, dtype=torch.float64)
            seed = int(options.get("seed", 1))

            def refresh(epoch, data):
                # a stream per epoch: a resumed training draws what an uninterrupted one draws
                gen = torch.Generator().manual_seed(1_000_003 * seed + epoch)
                with torch.no_grad():
                    return data[0], transfer.sample(hard, generator=gen), data[2]

        return fit_minibatch(self, lambda net, x, r, a: -net.flow_log_prob(x, r, a).mean(), tensors,
                             refresh=refresh, **options)
