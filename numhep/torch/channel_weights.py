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
    """alpha(x) of Eq. 5.8 for ``channels`` channels from ``features`` numbers per point."""

    def __init__(self, features: int, channels: int, *, layers: int = 3, units: int = 32, dtype=torch.float64):
        super().__init__()
        if channels < 2:
            raise ValueError(f"channels: a channel-weight network needs at least two channels, got {channels}")
        self.features, self.channels = int(features), int(channels)
        self.delta = MLP(self.features, self.channels, layers, units).to(dtype)

    def forward(self, features, prior, active=None):
        """(n, channels) channel weights at points with ``features`` (n, features) and
        ``prior`` weights (n, channels); ``active``: (channels,) mask of the channels kept."""
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
