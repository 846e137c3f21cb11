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

import abc
import math

import torch

from numhep.torch.flows import HypercubeFlow
from numhep.torch.minibatch_fit import fit_minibatch

__all__ = ["TransferDensity", "TransferNetwork", "gaussian_cdf", "gaussian_quantile", "standard_normal_log_prob",
           "standardisation"]

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


def standard_normal_log_prob(z):
    """log N(z; 0, 1) summed over the features: -sum_k (z_k^2 + log 2 pi) / 2, shape (n,).

    Parameters
    ----------
    z : torch.Tensor
        Points, shape (n, d).

    Returns
    -------
    torch.Tensor
        The log densities.

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.transfer_network import standard_normal_log_prob
    >>> round(float(standard_normal_log_prob(torch.zeros(1, 2, dtype=torch.float64))[0]), 6)
    -1.837877
    """
    return (-0.5 * z * z - 0.5 * math.log(2 * math.pi)).sum(dim=1)


def gaussian_cdf(z):
    """y = Phi(z) = erfc(-z / sqrt 2) / 2, kept within [1e-9, 1 - 1e-9] so that a spline flow on
    the unit cube sees no edge point.

    Parameters
    ----------
    z : torch.Tensor
        Standardised features.

    Returns
    -------
    torch.Tensor
        Points of the unit interval, of the shape of ``z``.

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.transfer_network import gaussian_cdf, gaussian_quantile
    >>> z = torch.tensor([-1.5, 0.0, 2.0], dtype=torch.float64)
    >>> bool(torch.allclose(gaussian_quantile(gaussian_cdf(z)), z, rtol=0, atol=1e-12))
    True
    """
    return (0.5 * torch.erfc(-z / math.sqrt(2.0))).clamp(_EDGE, 1.0 - _EDGE)


def gaussian_quantile(y):
    """z = Phi^-1(y) = sqrt 2 erfinv(2 y - 1), the inverse of :func:`gaussian_cdf` (y kept
    within the same bounds).

    Parameters
    ----------
    y : torch.Tensor
        Points of the unit interval.

    Returns
    -------
    torch.Tensor
        Standardised features, of the shape of ``y``.
    """
    return math.sqrt(2.0) * torch.erfinv(2.0 * y.clamp(_EDGE, 1.0 - _EDGE) - 1.0)


class TransferDensity(torch.nn.Module, abc.ABC):
    """What every transfer network p_theta(x_reco | x_hard) shares: standardised features, the
    density's bookkeeping and maximum-likelihood training.

    A subclass models the standardised reco features z = (x - m)/s given the standardised hard
    features, through :meth:`standard_log_prob` and :meth:`standard_sample`; then
    log p(x) = log p(z) - sum_k log s_k, rows with non-finite features get -inf, and
    :meth:`fit` minimises -<log p_theta(x_reco | x_hard)> (Heimel, PhD thesis, Heidelberg 2024,
    Eq. 3.34).

    With ``linear_residual`` the standardisation is conditional instead: z = L^-1 (x - x_hat(h))
    with x_hat = [h_std, 1] B the least-squares linear prediction of the reco features from the
    standardised hard ones and L the Cholesky factor of the residuals' covariance, and
    log p(x) = log p(z) - log det L (a shift by a function of the condition has unit Jacobian).
    Relations that are linear in the features, such as a photon pair that sums to the Higgs
    momentum within the resolution, then lie along their own axes of z at their own scale,
    instead of being a thin diagonal sheet that the flow must learn.

    Parameters
    ----------
    reco : torch.Tensor
        Reco features of the training set, shape (n, d_reco): they fix the standardisation.
    hard : torch.Tensor
        Hard features of the training set, shape (n, d_hard).
    linear_residual : bool, optional
        Standardise conditionally, around the linear prediction from the hard features and
        with the residuals' full covariance (default False: per-feature mean and spread).

    Raises
    ------
    ValueError
        If the shapes are not (n, d) of the same n >= 2.

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.transfer_network import TransferDensity, TransferNetwork
    >>> issubclass(TransferNetwork, TransferDensity)
    True
    """

    def __init__(self, reco, hard, *, linear_residual: bool = False):
        super().__init__()
        reco, hard = torch.as_tensor(reco, dtype=torch.float64), torch.as_tensor(hard, dtype=torch.float64)
        if reco.ndim != 2 or hard.ndim != 2 or reco.shape[0] != hard.shape[0] or reco.shape[0] < 2:
            raise ValueError(f"reco, hard: expected (n, d) tensors of the same n >= 2, got {tuple(reco.shape)}, "
                             f"{tuple(hard.shape)}")
        for name, value in zip(("reco_mean", "reco_std", "hard_mean", "hard_std"),
                               (*standardisation(reco), *standardisation(hard))):
            self.register_buffer(name, value)
        self.linear_residual = bool(linear_residual)
        if self.linear_residual:
            design = self._design(hard)
            # gelsd (SVD, a CPU driver): a constant hard feature standardises to a zero column,
            # which the default QR driver turns into a wrong fit instead of ignoring it
            coef = torch.linalg.lstsq(design.cpu(), reco.cpu(), driver="gelsd").solution.to(reco.device)
            residual = reco - design @ coef
            cov = torch.cov(residual.T, correction=0).reshape(reco.shape[1], reco.shape[1])
            # a floor on the spread keeps the factor regular when a feature is exactly predicted
            cov = cov + torch.diag((self.reco_std * 1e-6) ** 2)
            self.register_buffer("residual_coef", coef)
            self.register_buffer("residual_chol", torch.linalg.cholesky(cov))

    def _design(self, hard):
        h = self.condition(hard)
        return torch.cat([h, torch.ones(h.shape[0], 1, dtype=torch.float64)], dim=1)

    def standardise(self, reco, hard):
        """The standardised reco features z the subclass models, shape (n, d_reco).

        Parameters
        ----------
        reco : torch.Tensor
            Reco features, shape (n, d_reco).
        hard : torch.Tensor
            Hard features, shape (n, d_hard).

        Returns
        -------
        torch.Tensor
            (x - m)/s, or L^-1 (x - x_hat(h)) with ``linear_residual``.
        """
        reco = torch.as_tensor(reco, dtype=torch.float64)
        if not self.linear_residual:
            return (reco - self.reco_mean) / self.reco_std
        shifted = reco - self._design(hard) @ self.residual_coef
        return torch.linalg.solve_triangular(self.residual_chol, shifted.T, upper=False).T

    def unstandardise(self, z, hard):
        """The reco features x of standardised ones z, the inverse of :meth:`standardise`.

        Parameters
        ----------
        z : torch.Tensor
            Standardised reco features, shape (n, d_reco).
        hard : torch.Tensor
            Hard features, shape (n, d_hard).

        Returns
        -------
        torch.Tensor
            z s + m, or L z + x_hat(h) with ``linear_residual``.
        """
        z = torch.as_tensor(z, dtype=torch.float64)
        if not self.linear_residual:
            return z * self.reco_std + self.reco_mean
        return z @ self.residual_chol.T + self._design(hard) @ self.residual_coef

    def log_scale(self) -> torch.Tensor:
        """log |dx/dz| of :meth:`unstandardise`, a scalar: sum_k log s_k, or log det L with
        ``linear_residual``, so that log p(x) = log p(z) - log_scale()."""
        if not self.linear_residual:
            return torch.log(self.reco_std).sum()
        return torch.log(torch.diagonal(self.residual_chol)).sum()

    @property
    def reco_dim(self) -> int:
        """The number of reco features."""
        return int(self.reco_mean.numel())

    def condition(self, hard):
        """The standardised hard features, the condition of :meth:`standard_log_prob`."""
        return (torch.as_tensor(hard, dtype=torch.float64) - self.hard_mean) / self.hard_std

    @abc.abstractmethod
    def standard_log_prob(self, z, condition):
        """log p(z | condition) of standardised reco features z, shape (n,)."""

    @abc.abstractmethod
    def standard_sample(self, condition, generator=None):
        """Standardised reco features z ~ p(z | condition), one per row of ``condition``."""

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

        Raises
        ------
        ValueError
            If the shapes do not fit.
        """
        reco = torch.as_tensor(reco, dtype=torch.float64)
        hard = torch.as_tensor(hard, dtype=torch.float64)
        if reco.ndim != 2 or reco.shape[1] != self.reco_dim or hard.shape != (reco.shape[0], self.hard_mean.numel()):
            raise ValueError(f"reco, hard: expected shapes (n, {self.reco_dim}) and (n, {self.hard_mean.numel()}), "
                             f"got {tuple(reco.shape)} and {tuple(hard.shape)}")
        finite = torch.isfinite(reco).all(dim=1) & torch.isfinite(hard).all(dim=1)
        hard = torch.where(finite[:, None], hard, self.hard_mean)
        z = self.standardise(torch.where(finite[:, None], reco, self.reco_mean), hard)
        out = self.standard_log_prob(z, self.condition(hard)) - self.log_scale()
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
        return self.unstandardise(self.standard_sample(self.condition(hard), generator), hard)

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


class TransferNetwork(TransferDensity):
    """p_theta(x_reco | x_hard) as a Gaussianised conditional spline flow (see the module text).

    Parameters
    ----------
    reco : torch.Tensor
        Reco features of the training set, shape (n, d_reco): they fix the standardisation.
    hard : torch.Tensor
        Hard features of the training set, shape (n, d_hard).
    bins, layers, units : int, optional
        The flow's spline bins and its sub-networks' depth and width (defaults 10, 3, 64).
    linear_residual : bool, optional
        Model the reco features around their linear prediction from the hard ones, whitened
        with the residuals' covariance (:class:`TransferDensity`; default False).

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

    def __init__(self, reco, hard, *, bins: int = 10, layers: int = 3, units: int = 64,
                 linear_residual: bool = False):
        super().__init__(reco, hard, linear_residual=linear_residual)
        self.flow = HypercubeFlow(self.reco_dim, features=self.hard_mean.numel(), bins=bins, layers=layers,
                                  units=units)

    def standard_log_prob(self, z, condition):
        """log p(z | condition): the flow's density of y = Phi(z) times the Gaussian's of z."""
        return self.latent_of_standard(z, condition)[1]

    def latent_of_standard(self, z, condition):
        """The flow's latent point G(Phi(z)) of standardised reco features z, and log p(z | condition).

        Parameters
        ----------
        z : torch.Tensor
            Standardised reco features, shape (n, d_reco).
        condition : torch.Tensor
            Standardised hard features, shape (n, d_hard).

        Returns
        -------
        latent : torch.Tensor
            Points of the unit cube, shape (n, d_reco).
        log_prob : torch.Tensor
            Shape (n,).
        """
        latent, log_g = self.flow(gaussian_cdf(z), condition=condition)
        return latent, log_g + standard_normal_log_prob(z)

    def standard_of_latent(self, latent, condition):
        """z = Phi^-1(G^-1(latent)) of latent points of the flow, and log p(z | condition), from
        the one inverse pass (what :meth:`standard_log_prob` gives at z, without running the
        flow again).  Uniform latent points give z ~ p(z | condition).

        Parameters
        ----------
        latent : torch.Tensor
            Points of the unit cube, shape (n, d_reco).
        condition : torch.Tensor
            Standardised hard features, shape (n, d_hard).

        Returns
        -------
        z : torch.Tensor
            Shape (n, d_reco).
        log_prob : torch.Tensor
            Shape (n,).
        """
        y, log_jac = self.flow.inverse(latent, condition=condition)
        z = gaussian_quantile(y)
        return z, -log_jac + standard_normal_log_prob(z)

    def standard_sample(self, condition, generator=None):
        """z = Phi^-1(y) of the flow's y ~ g(y | condition)."""
        param = next(self.parameters())
        latent = torch.rand((condition.shape[0], self.reco_dim), generator=generator, dtype=param.dtype)
        return self.standard_of_latent(latent.to(param.device), condition)[0]
