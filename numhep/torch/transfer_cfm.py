r"""The transfer probability as a conditional flow-matching network (Transfer-CFM).

Heimel, PhD thesis, Heidelberg 2024, Sec. 6.5.1: a continuous flow dx/dt = v_theta(x, t | x_hard)
(Eq. 3.52) trained with the conditional flow-matching loss (Eq. 3.58)

.. math::

    \mathcal L = \big\langle [v_\theta((1-t)x_0 + t\epsilon, t) - (\epsilon - x_0)]^2 \big\rangle ,
    \quad t \sim U(0, 1),\; x_0 \sim p_\text{data},\; \epsilon \sim \mathcal N(0, 1),

so t = 0 is the data and t = 1 the Gaussian latent space.  Sampling integrates the ODE from
a Gaussian point at t = 1 to t = 0; the density follows from the continuity equation (Eq. 3.55),

.. math::

    \log p(x_0) = \log \mathcal N(x(1)) + \int_0^1 dt\, \operatorname{tr}\nabla_x v_\theta(x(t), t),

integrated along the trajectory from x(0) = x_0 with the exact trace (one gradient per
dimension) and a fixed-step Runge-Kutta scheme (4th order).  It works on the standardised reco
features z = (x - m)/s, so log p(x) = log p(z) - sum log s, and it has the interface of
:class:`numhep.torch.TransferNetwork` (``log_prob``, ``sample``, ``fit``): the MEM integral
takes either.  The velocity network's last layer starts at zero: untrained, the density is
the standardised Gaussian.
"""

from __future__ import annotations

import torch

from numhep.torch.minibatch_fit import fit_minibatch
from numhep.torch.transfer_network import TransferDensity, standard_normal_log_prob

__all__ = ["TransferCFM"]


class TransferCFM(TransferDensity):
    """p_theta(x_reco | x_hard) as a conditional flow-matching network (see the module text).

    Parameters
    ----------
    reco : torch.Tensor
        Reco features of the training set, shape (n, d_reco): they fix the standardisation.
    hard : torch.Tensor
        Hard features of the training set, shape (n, d_hard).
    layers : int, optional
        Hidden layers of the velocity network (default 3).
    units : int, optional
        Their width (default 64).
    steps : int, optional
        Runge-Kutta steps of the ODE from t = 0 to 1 (default 20).

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.transfer_cfm import TransferCFM
    >>> hard = torch.randn(32, 2, dtype=torch.float64)
    >>> reco = hard + 0.1 * torch.randn(32, 2, dtype=torch.float64)
    >>> cfm = TransferCFM(reco, hard, layers=1, units=8, steps=4)
    >>> cfm.log_prob(reco[:3], hard[:3]).shape
    torch.Size([3])
    >>> cfm.sample(hard[:5], generator=torch.Generator().manual_seed(1)).shape
    torch.Size([5, 2])
    """

    def __init__(self, reco, hard, *, layers: int = 3, units: int = 64, steps: int = 20):
        super().__init__(reco, hard)
        if int(steps) < 1:
            raise ValueError(f"steps: expected a positive number, got {steps}")
        d, h = self.reco_dim, self.hard_mean.numel()
        dims = [d + 1 + h] + [int(units)] * int(layers)
        mods = []
        for a, b in zip(dims[:-1], dims[1:]):
            mods += [torch.nn.Linear(a, b), torch.nn.SiLU()]
        last = torch.nn.Linear(dims[-1], d)
        torch.nn.init.zeros_(last.weight)
        torch.nn.init.zeros_(last.bias)
        self.net = torch.nn.Sequential(*mods, last).double()
        self.steps = int(steps)

    def velocity(self, z, t, condition):
        """v_theta(z, t | condition) on standardised features, shape (n, d).

        Parameters
        ----------
        z : torch.Tensor
            Points, shape (n, d).
        t : torch.Tensor
            Times, shape (n,) or a scalar.
        condition : torch.Tensor
            Standardised hard features, shape (n, d_hard).

        Returns
        -------
        torch.Tensor
            The velocities.
        """
        t = torch.as_tensor(t, dtype=torch.float64).expand(z.shape[0])
        return self.net(torch.cat([z, t[:, None], condition], dim=1))

    def _divergence_step(self, z, t, cond):
        """(v, tr dv/dz) at one time, the trace exact: one gradient per dimension."""
        with torch.enable_grad():
            z = z.detach().requires_grad_(True)
            v = self.velocity(z, t, cond)
            div = torch.zeros(z.shape[0], dtype=z.dtype)
            for k in range(z.shape[1]):
                div = div + torch.autograd.grad(v[:, k].sum(), z, retain_graph=k + 1 < z.shape[1])[0][:, k]
        return v.detach(), div.detach()

    def standard_log_prob(self, z, condition):
        """log p(z | condition) by the continuity equation (Eq. 3.55): z carried from t = 0 to 1
        with the integral of the divergence, RK4."""
        h = 1.0 / self.steps
        total = torch.zeros(z.shape[0], dtype=torch.float64)
        for i in range(self.steps):  # RK4 on (z, integral of the divergence) from t = 0 to 1
            t = i * h
            k1, d1 = self._divergence_step(z, t, condition)
            k2, d2 = self._divergence_step(z + 0.5 * h * k1, t + 0.5 * h, condition)
            k3, d3 = self._divergence_step(z + 0.5 * h * k2, t + 0.5 * h, condition)
            k4, d4 = self._divergence_step(z + h * k3, t + h, condition)
            z = z + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
            total = total + h / 6.0 * (d1 + 2 * d2 + 2 * d3 + d4)
        return standard_normal_log_prob(z) + total

    def standard_sample(self, condition, generator=None):
        """A Gaussian point at t = 1 integrated to t = 0, RK4."""
        z = torch.randn((condition.shape[0], self.reco_dim), generator=generator, dtype=torch.float64)
        h = 1.0 / self.steps
        with torch.no_grad():
            for i in range(self.steps):
                t = 1.0 - i * h
                k1 = self.velocity(z, t, condition)
                k2 = self.velocity(z - 0.5 * h * k1, t - 0.5 * h, condition)
                k3 = self.velocity(z - 0.5 * h * k2, t - 0.5 * h, condition)
                k4 = self.velocity(z - h * k3, t - h, condition)
                z = z - h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        return z

    def fit(self, reco, hard, **options) -> list:
        """Train with the conditional flow-matching loss, Eq. 3.58 (Heimel, PhD thesis, Heidelberg 2024).

        Parameters
        ----------
        reco, hard : torch.Tensor
            Paired accepted events' features.
        **options
            Options of :func:`numhep.torch.minibatch_fit.fit_minibatch` (``epochs``, ``lr``,
            ``checkpoint``, ...); ``seed`` also seeds the times and the noise.

        Returns
        -------
        list of float
            The loss of every epoch.
        """
        reco = torch.as_tensor(reco, dtype=torch.float64)
        hard = torch.as_tensor(hard, dtype=torch.float64)
        gen = torch.Generator().manual_seed(int(options.get("seed", 1)) + 29)

        def loss(net, r, hh):
            x0 = net.standardise(r, hh)
            eps = torch.randn(x0.shape, generator=gen, dtype=torch.float64)
            t = torch.rand((x0.shape[0],), generator=gen, dtype=torch.float64)
            xt = (1 - t[:, None]) * x0 + t[:, None] * eps
            return ((net.velocity(xt, t, net.condition(hh)) - (eps - x0)) ** 2).sum(dim=1).mean()

        return fit_minibatch(self, loss, (reco, hard), **options)
