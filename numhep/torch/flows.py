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
    r"""A normalizing flow on the unit hypercube :math:`[0, 1]^D`, as MadNIS samples phase space with it.

    The flow G maps points x to latent points z = G(x) through coupling blocks: each block
    splits the dimensions by a mask, and the transformed half passes through a monotonic
    rational-quadratic spline on [0, 1] (Durkan, Bekasov, Murray & Papamakarios,
    arXiv:1906.04032) whose K bin widths, heights and K + 1 knot derivatives (the boundary
    ones included) a sub-network computes from the other half.  The latent density is
    uniform, so the density of x is (T. Heimel, "The Flow of LHC Events", PhD thesis,
    Heidelberg 2024, Eq. 3.50)

    .. math::

        g(x) = \left|\det \frac{\partial G(x)}{\partial x}\right|
             = \prod_\text{blocks} \prod_j \frac{\partial z_j}{\partial x_j},

    and sampling is :math:`z \sim U[0, 1]^D`, :math:`x = G^{-1}(z)`.  The masks are the
    logarithmic decomposition of the same thesis (Sec. 3.2.3): 2 ceil(log2 D) blocks, block
    pair k conditions each dimension on those whose k-th binary digit differs, so that after
    all blocks every dimension has seen every other.  The last layer of every sub-network
    starts at zero: the flow starts as the identity.

    A multi-channel flow holds one independent set of sub-networks per channel (stacked,
    evaluated in one batched product); ``features`` adds a condition vector to every
    sub-network input.  The building block is madnis's ``Flow`` (madnis 1.0, the MadNIS
    authors' package), used with a uniform latent space and logarithmic permutations; this
    class adds the initialisation from trained numhep VEGAS grids (the thesis Eqs.
    5.21-5.23, :meth:`init_from_vegas`).

    Parameters
    ----------
    dim : int
        Dimension D of the cube, at least 1.
    channels : int or None, optional
        None (the default) for one flow, or the number of independent flows (one per channel).
    features : int, optional
        Length of an extra condition vector given to every sub-network (0, the default: none).
    bins : int, optional
        Number K of spline bins per dimension (default 10).
    layers : int, optional
        Number of layers of each sub-network (default 3).
    units : int, optional
        Width of each hidden layer of the sub-networks (default 32).
    vegas : VegasGrid or sequence of VegasGrid, optional
        Trained numhep VEGAS grids to start from (one
        :class:`~numhep.integration.vegas.VegasGrid`, or one per channel); see
        :meth:`init_from_vegas`.
    dtype : torch.dtype, optional
        Floating-point type of the parameters (default ``torch.float64``).

    Raises
    ------
    ValueError
        If ``dim`` < 1, ``channels`` is neither None nor positive, or the VEGAS grids do not
        fit the flow.

    See Also
    --------
    NeuralIntegrator : trains these flows by neural importance sampling.
    BilinearSplineFlow : the small conditional spline flows of MADNIS-Lite.

    Examples
    --------
    >>> import torch
    >>> import numhep.torch as nt
    >>> flow = nt.HypercubeFlow(3, bins=4, layers=1, units=8)
    >>> flow.blocks
    4
    >>> x, g = flow.sample(5, generator=torch.Generator().manual_seed(0))
    >>> x.shape, g.shape
    (torch.Size([5, 3]), torch.Size([5]))
    >>> bool(torch.allclose(g, torch.ones(5, dtype=torch.float64)))  # it starts as the identity
    True
    >>> multi = nt.HypercubeFlow(2, channels=3, bins=4, layers=1, units=8)
    >>> multi.log_prob(torch.rand(4, 2, dtype=torch.float64), channel=torch.tensor([0, 1, 2, 0])).shape
    torch.Size([4])
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
        """Map points x to the latent cube: z = G(x) and the log of its Jacobian determinant.

        Parameters
        ----------
        x : torch.Tensor
            Points of the cube, shape (n, dim).
        channel : int or torch.Tensor, optional
            The channel of every point, one index or (n,) indices; None for a one-channel flow.
        condition : torch.Tensor, optional
            The condition vectors, shape (n, features), when the flow has ``features``.

        Returns
        -------
        z : torch.Tensor
            Latent points, shape (n, dim).
        log_det : torch.Tensor
            ``log |det dz/dx|`` = log g(x), shape (n,).
        """
        channel = self._check(x, channel, condition)
        return self.flow.transform(x, condition, channel, inverse=False)

    def inverse(self, z, channel=None, condition=None):
        """Map latent points z to points of the cube: x = G^-1(z) and the log of its Jacobian determinant.

        Parameters
        ----------
        z : torch.Tensor
            Latent points, shape (n, dim).
        channel : int or torch.Tensor, optional
            The channel of every point, one index or (n,) indices; None for a one-channel flow.
        condition : torch.Tensor, optional
            The condition vectors, shape (n, features), when the flow has ``features``.

        Returns
        -------
        x : torch.Tensor
            Points of the cube, shape (n, dim).
        log_det : torch.Tensor
            ``log |det dx/dz|`` = -log g(x), shape (n,).
        """
        channel = self._check(z, channel, condition)
        return self.flow.transform(z, condition, channel, inverse=True)

    def log_prob(self, x, channel=None, condition=None):
        """The log density log g(x) of the flow at points x (n, dim), shape (n,).

        ``channel`` and ``condition`` as in :meth:`forward`.
        """
        return self.forward(x, channel, condition)[1]

    def sample(self, n: int, channel=None, condition=None, generator: torch.Generator | None = None):
        """Draw n points of the flow and their density.

        Parameters
        ----------
        n : int
            Number of points.
        channel : int or torch.Tensor, optional
            The channel to draw from: one index, or (n,) indices; None for a one-channel flow.
        condition : torch.Tensor, optional
            The condition vectors, shape (n, features), when the flow has ``features``.
        generator : torch.Generator, optional
            A CPU generator that draws the latent points, so that a sample is reproducible
            without touching torch's global random state.

        Returns
        -------
        x : torch.Tensor
            The points, shape (n, dim).
        g : torch.Tensor
            Their density g(x), shape (n,).
        """
        param = next(self.parameters())
        z = torch.rand((n, self.dim), generator=generator, dtype=param.dtype).to(param.device)
        x, log_jac = self.inverse(z, channel, condition)
        return x, torch.exp(-log_jac)

    def init_from_vegas(self, grids, uniform_share: float = 0.1) -> None:
        """Start from trained VEGAS grids (one per channel).

        The grid's bins become the spline of the first two blocks, merged down to the flow's
        bin count (T. Heimel, PhD thesis, Heidelberg 2024, Eqs. 5.21-5.23); the other blocks
        stay the identity.

        The grid's density is first mixed with the uniform one, (1 - a) g_VEGAS + a with
        a = ``uniform_share`` per dimension (defensive importance sampling): a grid adapted on
        few points squeezes the regions it never hit, and a flow started there samples them too
        rarely to learn them (a biased start on W + 2 jets' 50 channels).  Bins narrower than
        twice the spline's minimum width (1e-3) are then widened: such a dimension is mixed
        with the uniform grid, with the smallest share that does it.

        Parameters
        ----------
        grids : VegasGrid or sequence of VegasGrid
            One trained :class:`~numhep.integration.vegas.VegasGrid` per channel, each with
            ``dim`` dimensions.
        uniform_share : float, optional
            The uniform share a of the mixture, in [0, 1] (default 0.1).

        Raises
        ------
        ValueError
            If the number or dimension of the grids does not fit, the flow is one-dimensional
            (one block), ``uniform_share`` is outside [0, 1], or the grids give no finite spline.
        """
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
