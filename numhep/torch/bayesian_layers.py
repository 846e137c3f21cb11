"""Bayesian linear layers by variational inference: every weight has a Gaussian posterior
q(theta) = N(mu, sigma^2) and a Gaussian prior N(0, sigma_p^2) (T. Heimel, The Flow of LHC Events,
PhD thesis, Heidelberg 2024, Sec. 3.3.2; Bellagente, Haussmann, Luchmann, Plehn,
arXiv:2104.04543).

The training loss of a Bayesian network is the ELBO (thesis Eq. 3.64),

    L = -1/M sum_i log p(x_i | theta) + KL(q, prior) / N,    theta ~ q,

with one weight draw per batch by the reparameterisation theta = mu + sigma epsilon (Eq. 3.66)
and the closed-form KL divergence of Eq. 3.65,

    KL = sum_j [ log(sigma_p / sigma_j) + (sigma_j^2 + mu_j^2) / (2 sigma_p^2) - 1/2 ].

A layer draws new weights at every call (``"sample"``), keeps one draw (``"fixed"``, a network
replica, :func:`draw_replica`), or uses the posterior means (``"mean"``, the maximum of q).
"""

from __future__ import annotations

import math

import torch

__all__ = ["BayesianLinear", "bayesian_kl", "draw_replica", "set_bayesian_mode"]

_MODES = ("sample", "fixed", "mean")


class BayesianLinear(torch.nn.Module):
    """A linear layer y = x W^T + b whose weights and biases are Gaussian random variables.

    Parameters
    ----------
    in_features : int
        The input size.
    out_features : int
        The output size.
    prior_sigma : float, optional
        Width sigma_p of the Gaussian prior (default 1).
    initial_log_sigma2 : float, optional
        log sigma^2 of the posterior widths at the start (default -9; small widths start the
        training close to a deterministic network, thesis Sec. 4.4.3).

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.bayesian_layers import BayesianLinear, set_bayesian_mode
    >>> layer = BayesianLinear(3, 2)
    >>> x = torch.ones(4, 3)
    >>> bool(torch.equal(layer(x), layer(x)))            # a new weight draw per call
    False
    >>> set_bayesian_mode(layer, "mean"); bool(torch.equal(layer(x), layer(x)))
    True
    """

    def __init__(self, in_features: int, out_features: int, prior_sigma: float = 1.0,
                 initial_log_sigma2: float = -9.0):
        super().__init__()
        if prior_sigma <= 0:
            raise ValueError(f"BayesianLinear: prior_sigma must be positive, got {prior_sigma}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.prior_sigma = float(prior_sigma)
        bound = 1.0 / math.sqrt(max(in_features, 1))
        self.weight_mu = torch.nn.Parameter(torch.empty(out_features, in_features).uniform_(-bound, bound))
        self.bias_mu = torch.nn.Parameter(torch.empty(out_features).uniform_(-bound, bound))
        self.weight_log_sigma2 = torch.nn.Parameter(torch.full((out_features, in_features), float(initial_log_sigma2)))
        self.bias_log_sigma2 = torch.nn.Parameter(torch.full((out_features,), float(initial_log_sigma2)))
        self.mode = "sample"
        self.register_buffer("weight_eps", torch.zeros(out_features, in_features), persistent=False)
        self.register_buffer("bias_eps", torch.zeros(out_features), persistent=False)

    def forward(self, x):
        """The layer's output for one weight draw (or the kept draw, or the means).

        Parameters
        ----------
        x : torch.Tensor
            (..., in_features) inputs.

        Returns
        -------
        torch.Tensor
            (..., out_features).

        Examples
        --------
        >>> import torch
        >>> from numhep.torch.bayesian_layers import BayesianLinear
        >>> BayesianLinear(3, 2)(torch.zeros(5, 3)).shape
        torch.Size([5, 2])
        """
        if self.mode == "mean":
            return torch.nn.functional.linear(x, self.weight_mu, self.bias_mu)
        if self.mode == "sample":
            w_eps, b_eps = torch.randn_like(self.weight_mu), torch.randn_like(self.bias_mu)
        else:
            w_eps, b_eps = self.weight_eps, self.bias_eps
        weight = self.weight_mu + torch.exp(0.5 * self.weight_log_sigma2) * w_eps
        bias = self.bias_mu + torch.exp(0.5 * self.bias_log_sigma2) * b_eps
        return torch.nn.functional.linear(x, weight, bias)

    def kl(self):
        """KL(q, prior) of this layer's weights and biases (thesis Eq. 3.65).

        Returns
        -------
        torch.Tensor
            A scalar.

        Examples
        --------
        >>> import torch
        >>> from numhep.torch.bayesian_layers import BayesianLinear
        >>> layer = BayesianLinear(2, 1, prior_sigma=1.0, initial_log_sigma2=0.0)
        >>> with torch.no_grad():
        ...     _ = layer.weight_mu.zero_(), layer.bias_mu.zero_()
        >>> float(layer.kl())                               # q equals the prior
        0.0
        """
        total = 0.0
        for mu, log_s2 in ((self.weight_mu, self.weight_log_sigma2), (self.bias_mu, self.bias_log_sigma2)):
            total = total + (math.log(self.prior_sigma) - 0.5 * log_s2
                             + (log_s2.exp() + mu**2) / (2 * self.prior_sigma**2) - 0.5).sum()
        return total

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, prior_sigma={self.prior_sigma}"


def _layers(module):
    return [m for m in module.modules() if isinstance(m, BayesianLinear)]


def bayesian_kl(module):
    """The KL divergence of all Bayesian layers in ``module`` (thesis Eq. 3.65, summed).

    Parameters
    ----------
    module : torch.nn.Module
        A network holding :class:`BayesianLinear` layers (0 if it holds none).

    Returns
    -------
    torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.bayesian_layers import BayesianLinear, bayesian_kl
    >>> net = torch.nn.Sequential(BayesianLinear(2, 3), torch.nn.ReLU(), BayesianLinear(3, 1))
    >>> bool(bayesian_kl(net) > 0)
    True
    """
    layers = _layers(module)
    if not layers:
        return torch.zeros(())
    return sum(layer.kl() for layer in layers)


def set_bayesian_mode(module, mode: str) -> None:
    """Switch every Bayesian layer of ``module`` to ``"sample"``, ``"fixed"`` or ``"mean"``.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    mode : str
        ``"sample"`` (a new draw per call, training), ``"fixed"`` (the draw of the last
        :func:`draw_replica`), or ``"mean"`` (posterior means).

    Returns
    -------
    None
        The layers are switched in place.

    Examples
    --------
    >>> from numhep.torch.bayesian_layers import BayesianLinear, set_bayesian_mode
    >>> net = BayesianLinear(2, 2); set_bayesian_mode(net, "mean"); net.mode
    'mean'
    """
    if mode not in _MODES:
        raise ValueError(f"set_bayesian_mode: mode must be one of {_MODES}, got {mode!r}")
    for layer in _layers(module):
        layer.mode = mode


def draw_replica(module, generator: torch.Generator | None = None) -> None:
    """Draw one set of weights theta ~ q for every Bayesian layer and keep it (a network
    replica): the layers switch to ``"fixed"`` until :func:`set_bayesian_mode` changes them.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    generator : torch.Generator, optional
        The random stream of the draw.

    Returns
    -------
    None
        The layers hold the draw.

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.bayesian_layers import BayesianLinear, draw_replica
    >>> layer = BayesianLinear(3, 2, initial_log_sigma2=0.0)
    >>> x = torch.ones(1, 3)
    >>> draw_replica(layer, torch.Generator().manual_seed(1)); a = layer(x)
    >>> bool(torch.equal(a, layer(x)))
    True
    """
    for layer in _layers(module):
        with torch.no_grad():
            layer.weight_eps.copy_(torch.randn(layer.weight_eps.shape, generator=generator,
                                               dtype=layer.weight_eps.dtype))
            layer.bias_eps.copy_(torch.randn(layer.bias_eps.shape, generator=generator, dtype=layer.bias_eps.dtype))
        layer.mode = "fixed"
