"""The channel-weight network of MadNIS: a learned correction to the prior channel weights.

A multi-channel integral splits the integrand with channel weights alpha_i(x) >= 0 that sum
to one at every point (Heimel, PhD thesis, Heidelberg 2024, Eq. 5.1).  numhep's integrands
give a prior alpha_i^prior (propagator or single-diagram-enhanced weights); the network
corrects it multiplicatively and a softmax keeps the sum at one (the thesis Eq. 5.8):

    alpha_i(x) = alpha_i^prior(x) exp Delta_i(x) / sum_j alpha_j^prior(x) exp Delta_j(x),

with Delta a fully connected network of the point's features (numhep's lab momenta over
sqrt(s)).  Its last layer starts at zero, so the network starts at the prior.  Channels
that training dropped (``active`` False) get weight zero and the others are normalised
among themselves; a point whose prior vanishes on every active channel gets them in equal
parts, so that the weights always sum to one where the integrand lives.
"""

from __future__ import annotations

import torch
from madnis.nn import MLP

__all__ = ["ChannelWeightNetwork"]


class ChannelWeightNetwork(torch.nn.Module):
    r"""MadNIS's channel-weight network: a learned correction to the prior channel weights.

    A multi-channel integral splits the integrand with channel weights
    :math:`\alpha_i(x) \ge 0` that sum to one at every point (T. Heimel, "The Flow of LHC
    Events", PhD thesis, Heidelberg 2024, Eq. 5.1).  numhep's integrands give a prior
    :math:`\alpha_i^\text{prior}` (propagator or single-diagram-enhanced weights); the network
    corrects it multiplicatively and a softmax keeps the sum at one (the thesis Eq. 5.8; MadNIS,
    Heimel et al., arXiv:2212.06172):

    .. math::

        \alpha_i(x) = \frac{\alpha_i^\text{prior}(x) \exp \Delta_i(x)}
                           {\sum_j \alpha_j^\text{prior}(x) \exp \Delta_j(x)},

    with :math:`\Delta` a fully connected network of the point's features (numhep's lab
    momenta over sqrt(s)).  Its last layer starts at zero, so the network starts at the
    prior.  Channels that training dropped (``active`` False in :meth:`forward`) get weight
    zero and the others are normalised among themselves; a point whose prior vanishes on every
    active channel gets them in equal parts, so that the weights always sum to one where the
    integrand lives.

    Parameters
    ----------
    features : int
        Number of features per point (the network's input size).
    channels : int
        Number of channels, at least 2 (the network's output size).
    layers : int, optional
        Number of layers of the network (default 3).
    units : int, optional
        Width of its hidden layers (default 32).
    dtype : torch.dtype, optional
        Floating-point type of the parameters (default ``torch.float64``).

    Raises
    ------
    ValueError
        If ``channels`` < 2.

    See Also
    --------
    NeuralIntegrator : trains it together with the flows (``learn_channel_weights``).

    Examples
    --------
    >>> import torch
    >>> import numhep.torch as nt
    >>> net = nt.ChannelWeightNetwork(4, 3, layers=1, units=8)
    >>> prior = torch.tensor([[1.0, 1.0, 2.0], [0.0, 3.0, 1.0]], dtype=torch.float64)
    >>> alpha = net(torch.rand(2, 4, dtype=torch.float64), prior)
    >>> alpha.detach().numpy().round(3).tolist()  # untrained: the normalised prior
    [[0.25, 0.25, 0.5], [0.0, 0.75, 0.25]]
    >>> net(torch.rand(2, 4, dtype=torch.float64), prior, torch.tensor([True, False, True])).detach().numpy().round(3)
    array([[0.333, 0.   , 0.667],
           [0.   , 0.   , 1.   ]])
    """

    def __init__(self, features: int, channels: int, *, layers: int = 3, units: int = 32, dtype=torch.float64):
        super().__init__()
        if channels < 2:
            raise ValueError(f"channels: a channel-weight network needs at least two channels, got {channels}")
        self.features, self.channels = int(features), int(channels)
        self.delta = MLP(self.features, self.channels, layers, units).to(dtype)

    def forward(self, features, prior, active=None):
        """The channel weights alpha at a batch of points.

        Parameters
        ----------
        features : torch.Tensor
            The points' features, shape (n, features).
        prior : torch.Tensor
            The prior channel weights, shape (n, channels), non-negative.
        active : torch.Tensor, optional
            Boolean mask (channels,) of the channels kept; None: all of them.

        Returns
        -------
        torch.Tensor
            The channel weights, shape (n, channels), zero on inactive channels and summing to
            one over the active ones.

        Raises
        ------
        ValueError
            If ``features`` or ``prior`` has the wrong shape.
        """
        if features.shape[-1] != self.features:
            raise ValueError(f"features: expected (n, {self.features}), got {tuple(features.shape)}")
        if prior.shape != (features.shape[0], self.channels):
            raise ValueError(f"prior: expected shape ({features.shape[0]}, {self.channels}), got {tuple(prior.shape)}")
        return normalised_weights(prior * torch.exp(self.delta(features)), active)


def normalised_weights(weights, active=None):
    """weights (n, channels) restricted to the active channels and normalised to sum to one;
    a row without weight on any active channel is spread evenly over them."""
    if active is not None:
        weights = weights * active.to(weights.dtype)
    total = weights.sum(dim=1, keepdim=True)
    even = (torch.ones_like(weights) if active is None else active.to(weights.dtype).expand_as(weights))
    even = even / even.sum(dim=1, keepdim=True)
    empty = ~(total > 0)
    return torch.where(empty, even, weights / torch.where(empty, torch.ones_like(total), total))
