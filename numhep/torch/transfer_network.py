r"""The transfer network p(x_reco | x_hard) of the matrix-element method, a conditional flow.

Heimel, PhD thesis, Heidelberg 2024, Eqs. 6.13 and 6.21: the normalised transfer probability
is a generative network with a tractable density, trained on accepted (x_reco, x_hard) pairs
by maximum likelihood.  Here the reco features x are standardised, z = (x - m)/s, mapped to the
unit cube by the Gaussian CDF, y = Phi(z), and a conditional :class:`HypercubeFlow` (rational
quadratic splines, conditioned on the standardised hard features) gives the density of y:

.. math::

    \log p_\theta(x | x_\text{hard}) = \log g_\theta(y | x_\text{hard})
        + \sum_k \log \varphi(z_k) - \sum_k \log s_k .

An untrained flow (the identity) is a standard normal in z: training starts from a Gaussian
fit of the data.  The network only sees features; the physics of the MEM integral comes from
numhep (:mod:`numhep.integration.cp_factorised_integrand`).
"""

from __future__ import annotations

import math

import torch

from numhep.torch.flows import HypercubeFlow
from numhep.torch.minibatch_fit import fit_minibatch

__all__ = ["TransferNetwork", "standardisation"]

_EDGE = 1e-9


def standardisation(x, floor: float = 1e-6):
    """(mean, std) of the columns of x, the std floored (constant columns stay finite).

    Parameters
    ----------
    x : torch.Tensor
        Data, shape (n, d).
    floor : float, optional
        The smallest std returned (default 1e-6).

    Returns
    -------
    tuple of torch.Tensor
        mean and std, each of shape (d,).

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.transfer_network import standardisation
    >>> m, s = standardisation(torch.tensor([[1.0, 5.0], [3.0, 5.0]], dtype=torch.float64))
    >>> m.tolist(), s.tolist()
    ([2.0, 5.0], [1.0, 1e-06])
    """
    x = torch.as_tensor(x, dtype=torch.float64)
    return x.mean(dim=0), x.std(dim=0, unbiased=False).clamp_min(floor)


class TransferNetwork(torch.nn.Module):
    """p_theta(x_reco | x_hard) as a Gaussianised conditional spline flow (see the module text).

    Parameters
    ----------
    reco : torch.Tensor
        Reco features of the training set, shape (n, d_reco): they fix the standardisation.
    hard : torch.Tensor
        Hard features of the training set, shape (n, d_hard).
    bins, layers, units : int, optional
        The flow's spline bins and its sub-networks' depth and width (defaults 10, 3, 64).

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.transfer_network import TransferNetwork
    >>> hard = torch.randn(64, 2, dtype=torch.float64)
    >>> reco = hard + 0.1 * torch.randn(64, 2, dtype=torch.float64)
    >>> net = TransferNetwork(reco, hard, bins=4, layers=1, units=8)
    >>> net.log_prob(reco[:3], hard[:3]).shape
    torch.Size([3])
    >>> net.sample(hard[:5], generator=torch.Generator().manual_seed(1)).shape
    torch.Size([5, 2])
    """

    def __init__(self, reco, hard, *, bins: int = 10, layers: int = 3, units: int = 64):
        super().__init__()
        reco, hard = torch.as_tensor(reco, dtype=torch.float64), torch.as_tensor(hard, dtype=torch.float64)
        if reco.ndim != 2 or hard.ndim != 2 or reco.shape[0] != hard.shape[0] or reco.shape[0] < 2:
            raise ValueError(f"reco, hard: expected (n, d) tensors of the same n >= 2, got {tuple(reco.shape)}, "
                             f"{tuple(hard.shape)}")
        m, s = standardisation(reco)
        hm, hs = standardisation(hard)
        self.register_buffer("reco_mean", m)
        self.register_buffer("reco_std", s)
        self.register_buffer("hard_mean", hm)
        self.register_buffer("hard_std", hs)
        self.flow = HypercubeFlow(reco.shape[1], features=hard.shape[1], bins=bins, layers=layers, units=units)

    @property
    def reco_dim(self) -> int:
        """The number of reco features."""
        return int(self.reco_mean.numel())

    def _condition(self, hard):
        return (torch.as_tensor(hard, dtype=torch.float64) - self.hard_mean) / self.hard_std

    def _check(self, reco, hard):
        if reco.ndim != 2 or reco.shape[1] != self.reco_dim or hard.shape[0] != reco.shape[0]:
            raise ValueError(f"reco: expected shape (n, {self.reco_dim}) with one hard event per row, got "
                             f"{tuple(reco.shape)} and {tuple(hard.shape)}")

    def log_prob(self, reco, hard):
        """log p_theta(x_reco | x_hard) in the reco features, shape (n,).

        Parameters
        ----------
        reco : torch.Tensor
            Reco features, shape (n, d_reco).
        hard : torch.Tensor
            Hard features, shape (n, d_hard).

        Returns
        -------
        torch.Tensor
            The log densities; -inf for non-finite input rows.
        """
        reco = torch.as_tensor(reco, dtype=torch.float64)
        hard = torch.as_tensor(hard, dtype=torch.float64)
        self._check(reco, hard)
        finite = torch.isfinite(reco).all(dim=1) & torch.isfinite(hard).all(dim=1)
        z = (torch.where(finite[:, None], reco, self.reco_mean) - self.reco_mean) / self.reco_std
        y = (0.5 * torch.erfc(-z / math.sqrt(2.0))).clamp(_EDGE, 1.0 - _EDGE)
        normal = (-0.5 * z * z - 0.5 * math.log(2 * math.pi)).sum(dim=1)
        cond = self._condition(torch.where(finite[:, None], hard, self.hard_mean))
        out = self.flow.log_prob(y, condition=cond) + normal - torch.log(self.reco_std).sum()
        return torch.where(finite, out, torch.full_like(out, -math.inf))

    def sample(self, hard, generator=None):
        """Draw x_reco ~ p_theta(x_reco | x_hard), one per row of ``hard``.

        Parameters
        ----------
        hard : torch.Tensor
            Hard features, shape (n, d_hard).
        generator : torch.Generator, optional
            The random stream.

        Returns
        -------
        torch.Tensor
            Reco features, shape (n, d_reco).
        """
        hard = torch.as_tensor(hard, dtype=torch.float64)
        y, _ = self.flow.sample(hard.shape[0], condition=self._condition(hard), generator=generator)
        z = math.sqrt(2.0) * torch.erfinv(2.0 * y.clamp(_EDGE, 1.0 - _EDGE) - 1.0)
        return z * self.reco_std + self.reco_mean

    def fit(self, reco, hard, **options) -> list:
        """Train by maximum likelihood, -<log p_theta(x_reco | x_hard)> (Heimel, PhD thesis, Heidelberg 2024, Eq. 3.34).

        Parameters
        ----------
        reco, hard : torch.Tensor
            Paired accepted events' features.
        **options
            Options of :func:`numhep.torch.minibatch_fit.fit_minibatch` (``epochs``, ``lr``,
            ``checkpoint``, ...).

        Returns
        -------
        list of float
            The loss of every epoch.
        """
        tensors = (torch.as_tensor(reco, dtype=torch.float64), torch.as_tensor(hard, dtype=torch.float64))
        return fit_minibatch(self, lambda net, r, h: -net.log_prob(r, h).mean(), tensors, **options)
