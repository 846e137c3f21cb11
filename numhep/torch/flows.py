"""Normalizing flows on the unit hypercube, as MadNIS samples phase space with them.

A flow G maps x in [0, 1]^D to z in [0, 1]^D through coupling blocks: each block splits the
dimensions by a mask, and the transformed half passes through a monotonic rational-quadratic
spline (Durkan, Bekasov, Murray & Papamakarios, arXiv:1906.04032) on [0, 1] whose K bin widths,
heights and K + 1 knot derivatives (the boundary ones included) a sub-network computes from
the other half.  The latent density is uniform, so the density of x is

    g(x) = |det dG(x)/dx| = prod_blocks prod_j dz_j/dx_j                    (Heimel, PhD thesis,
                                                                           Heidelberg 2024, Eq. 3.50)

and sampling is z ~ U[0, 1]^D, x = G^-1(z).  The masks are the logarithmic decomposition of
the same thesis (Sec. 3.2.3): 2 ceil(log2 D) blocks, block pair k conditions each dimension on
those whose k-th binary digit differs, so that after all blocks every dimension has seen every
other.  The last layer of every sub-network starts at zero: the flow starts as the identity.

A multi-channel flow holds one independent set of sub-networks per channel (stacked, evaluated
in one batched product); ``features`` adds a condition vector to every sub-network input.

The building block is madnis's ``Flow`` (madnis 1.0, the MadNIS authors' package), used with
uniform latent space and logarithmic permutations; this module fixes that setup, adds the
initialisation from trained numhep VEGAS grids (the thesis Eqs. 5.21-5.23) and gives the
flows their numhep interface: ``sample``, ``log_prob`` and the exact ``inverse`` of numhep
points, per channel.
"""

from __future__ import annotations

import numpy as np
import torch

from numhep.integration.vegas import VegasGrid

try:
    from madnis.nn import Flow as _MadnisFlow
except ImportError as exc:  # pragma: no cover - the torch extra installs it
    raise ImportError("numhep's flows are built on madnis: pip install 'numhep[torch]' (it brings madnis==1.0.0)") from exc

__all__ = ["HypercubeFlow"]


class HypercubeFlow(torch.nn.Module):
    """A flow on [0, 1]^dim (see the module docstring).

    dim: dimensions; channels: None for one flow, or the number of independent flows;
    features: length of an extra condition vector (0: none); bins: spline bins K;
    layers, units: depth and width of each sub-network; vegas: trained numhep VEGAS grids to
    start from (one :class:`~numhep.integration.vegas.VegasGrid`, or one per channel).
    """

    def __init__(self, dim: int, *, channels: int | None = None, features: int = 0, bins: int = 10,
                 layers: int = 3, units: int = 32, vegas=None, dtype=torch.float64):
        super().__init__()
        if int(dim) < 1:
            raise ValueError(f"dim: a flow needs at least one dimension, got {dim}")
        if channels is not None and int(channels) < 1:
            raise ValueError(f"channels: expected None or a positive number, got {channels}")
        self.dim, self.channels, self.features = int(dim), channels, int(features)
        self.flow = _MadnisFlow(self.dim, dims_c=self.features, uniform_latent=True, permutations="log",
                                channels=channels, bins=bins, layers=layers, units=units).to(dtype)
        if vegas is not None:
            self.init_from_vegas(vegas)

    @property
    def blocks(self) -> int:
        """The number of coupling blocks (2 ceil(log2 dim))."""
        return len(self.flow.subnets)

    def _check(self, x, channel, condition):
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x: expected shape (n, {self.dim}), got {tuple(x.shape)}")
        if self.channels is None:
            if channel is not None:
                raise ValueError("channel: this flow has one channel (channels=None)")
        else:
            if channel is None:
                raise ValueError(f"channel: give the channel of every point (0..{self.channels - 1})")
            channel = torch.as_tensor(channel, device=x.device).long().reshape(-1).expand(x.shape[0])
            if channel.numel() and (channel.min() < 0 or channel.max() >= self.channels):
                raise ValueError(f"channel: indices must lie in [0, {self.channels})")
        if self.features:
            if condition is None or condition.shape != (x.shape[0], self.features):
                raise ValueError(f"condition: expected shape ({x.shape[0]}, {self.features}), got "
                                 f"{None if condition is None else tuple(condition.shape)}")
        elif condition is not None:
            raise ValueError("condition: this flow takes no condition (features=0)")
        return channel

    def forward(self, x, channel=None, condition=None):
        """(z, log |det dz/dx|): the map from points x to the latent cube."""
        channel = self._check(x, channel, condition)
        return self.flow.transform(x, condition, channel, inverse=False)

    def inverse(self, z, channel=None, condition=None):
        """(x, log |det dx/dz|): the map from the latent cube to points."""
        channel = self._check(z, channel, condition)
        return self.flow.transform(z, condition, channel, inverse=True)

    def log_prob(self, x, channel=None, condition=None):
        """log g(x), (n,)."""
        return self.forward(x, channel, condition)[1]

    def sample(self, n: int, channel=None, condition=None, generator: torch.Generator | None = None):
        """(x, g(x)): n points of the flow (channel: one index, or (n,) indices) and their
        density.  ``generator`` (a CPU generator) draws the latent points, so that a sample is
        reproducible without touching torch's global random state."""
        param = next(self.parameters())
        z = torch.rand((n, self.dim), generator=generator, dtype=param.dtype).to(param.device)
        x, log_jac = self.inverse(z, channel, condition)
        return x, torch.exp(-log_jac)

    def init_from_vegas(self, grids, uniform_share: float = 0.1) -> None:
        """Start from trained VEGAS grids (one per channel): the grid's bins become the spline
        of the first two blocks, merged down to the flow's bin count (Heimel, PhD thesis,
        Heidelberg 2024, Eqs. 5.21-5.23); the other blocks stay the identity.

        The grid's density is first mixed with the uniform one, (1 - a) g_VEGAS + a with
        a = ``uniform_share`` per dimension (defensive importance sampling): a grid adapted on
        few points squeezes the regions it never hit, and a flow started there samples them too
        rarely to learn them (a biased start on W + 2 jets' 50 channels).  Bins narrower than
        twice the spline's minimum width (1e-3) are then widened (:func:`_widened`)."""
        grids = [grids] if isinstance(grids, VegasGrid) else list(grids)
        n = 1 if self.channels is None else self.channels
        if len(grids) != n:
            raise ValueError(f"vegas: expected {n} grid(s), one per channel, got {len(grids)}")
        if any(g.dims != self.dim for g in grids):
            raise ValueError(f"vegas: the grids must have {self.dim} dimensions, got {[g.dims for g in grids]}")
        if self.blocks < 2:
            raise ValueError("vegas: a one-dimensional flow has one block; initialise it with dim >= 2")
        param = next(self.parameters())
        edges = np.stack([_widened(_defensive(g.edges, uniform_share), 2.0 * self.flow.min_bin_width)
                          for g in grids])
        edges = torch.as_tensor(edges, dtype=param.dtype, device=param.device)
        self.flow.init_with_grid(edges if self.channels is not None else edges[0])
        if not all(bool(torch.isfinite(p).all()) for p in self.parameters()):
            raise ValueError("vegas: the grids give no finite spline (are their edges increasing from 0 to 1?)")


def _defensive(edges, share: float):
    """Edges (dims, K + 1) of equal probability under the mixture (1 - share) g + share of the
    grid's density g with the uniform one: its CDF (1 - share) k/K + share x at the old edges,
    inverted piecewise linearly."""
    edges = np.asarray(edges, dtype=np.float64)
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"uniform_share: expected a number in [0, 1], got {share}")
    k = edges.shape[1] - 1
    levels = np.linspace(0.0, 1.0, k + 1)
    return np.stack([np.interp(levels, (1.0 - share) * levels + share * e, e) for e in edges])


def _widened(edges, min_width: float):
    """VEGAS edges (dims, K + 1) whose narrowest bin is at least ``min_width``: a dimension
    with narrower bins is mixed with the uniform grid, (1 - e) edges + e uniform, with the
    smallest e that does it.  The spline's bins cannot be narrower than its minimum width, and
    its derivatives at the knots overflow for bins far below it."""
    edges = np.asarray(edges, dtype=np.float64)
    k = edges.shape[1] - 1
    uniform = np.linspace(0.0, 1.0, k + 1)
    narrowest = np.diff(edges, axis=1).min(axis=1, keepdims=True)
    mix = np.clip((min_width - narrowest) / (1.0 / k - narrowest), 0.0, 1.0)
    return (1.0 - mix) * edges + mix * uniform
