"""A conditional invertible network with a Gaussian latent space: spline coupling blocks with a
fixed random rotation after each (T. Heimel, The Flow of LHC Events, PhD thesis, Heidelberg 2024,
Secs. 3.2.2-3.2.3 and 4.2.1; rotations as in Ardizzone et al., arXiv:1907.02392).

Each block splits the features x = (x_A, x_B), transforms x_B element-wise by a monotonic
rational-quadratic spline (Durkan, Bekasov, Murray, Papamakarios, arXiv:1906.04032) on
[-bound, bound] (the identity outside) whose bin widths, heights and knot derivatives a
sub-network computes from (x_A, c) (Eqs. 3.38, 3.44), and then rotates all features by a fixed
random orthogonal matrix (|det| = 1).  The density is (Eqs. 3.26, 3.28)

    log g(x | c) = log N(G(x | c); 0, 1) + sum_blocks log |dG_block / dx|.

The spline is madnis's ``unconstrained_rational_quadratic_spline`` (madnis 1.0).  The last
layer of every sub-network starts at zero, so the untrained network is a product of rotations:
the latent Gaussian itself.  ``bayesian=True`` builds the sub-networks from
:class:`~numhep.torch.bayesian_layers.BayesianLinear` layers: a Bayesian INN (thesis Sec. 4.3).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from numhep.torch.bayesian_layers import BayesianLinear

try:
    from madnis.nn.splines import unconstrained_rational_quadratic_spline
except ImportError as exc:  # pragma: no cover - the torch extra installs it
    raise ImportError("the spline couplings come from madnis: pip install 'numhep[torch]' (madnis==1.0.0)") from exc

__all__ = ["RotatedSplineFlow"]


def _subnet(n_in, n_out, layers, units, bayesian, prior_sigma):
    def linear(a, b):
        return BayesianLinear(a, b, prior_sigma=prior_sigma) if bayesian else torch.nn.Linear(a, b)

    mods, width = [], n_in
    for _ in range(layers - 1):
        mods += [linear(width, units), torch.nn.ReLU()]
        width = units
    last = linear(width, n_out)
    with torch.no_grad():
        if bayesian:
            last.weight_mu.zero_()
            last.bias_mu.zero_()
        else:
            last.weight.zero_()
            last.bias.zero_()
    return torch.nn.Sequential(*mods, last)


class RotatedSplineFlow(torch.nn.Module):
    """A conditional normalizing flow on R^D with a standard normal latent space.

    Parameters
    ----------
    dims : int
        The number D of features (at least 1).
    conditions : int, optional
        The length of the condition vector c (default 0).
    blocks : int, optional
        The number of coupling blocks (default 8).
    bins : int, optional
        Spline bins (default 16).
    layers : int, optional
        Layers per sub-network (default 3).
    units : int, optional
        Hidden units per layer (default 64).
    bound : float, optional
        The splines act on [-bound, bound] (default 10, thesis Sec. 4.2.1).
    bayesian : bool, optional
        Bayesian sub-networks (default False).
    prior_sigma : float, optional
        The prior width of Bayesian weights (default 1).
    seed : int, optional
        Seed of the fixed rotations (default 0).

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.rotated_spline_flow import RotatedSplineFlow
    >>> flow = RotatedSplineFlow(2, conditions=1, blocks=2, units=8).double()
    >>> c = torch.ones(5, 1, dtype=torch.float64)
    >>> x = flow.sample(5, c, generator=torch.Generator().manual_seed(1))
    >>> x.shape, bool(torch.allclose(flow.log_prob(x, c), -0.5 * (x**2).sum(1) - np.log(2 * np.pi)))
    (torch.Size([5, 2]), True)
    """

    def __init__(self, dims: int, conditions: int = 0, *, blocks: int = 8, bins: int = 16, layers: int = 3,
                 units: int = 64, bound: float = 10.0, bayesian: bool = False, prior_sigma: float = 1.0,
                 seed: int = 0):
        super().__init__()
        if dims < 1 or blocks < 1 or layers < 1 or bins < 1:
            raise ValueError("RotatedSplineFlow: dims, blocks, layers and bins must be at least 1")
        self.dims, self.conditions, self.bins, self.bound = int(dims), int(conditions), int(bins), float(bound)
        self.n_cond = dims // 2
        n_trafo = dims - self.n_cond
        n_in = max(self.n_cond + conditions, 1)
        self.subnets = torch.nn.ModuleList(
            _subnet(n_in, n_trafo * (3 * bins + 1), layers, units, bayesian, prior_sigma) for _ in range(blocks))
        rng = np.random.default_rng([seed, dims, 4021])
        rotations = []
        for _ in range(blocks):
            q, r = np.linalg.qr(rng.normal(size=(dims, dims)))
            rotations.append(q * np.sign(np.diag(r)))  # Haar-distributed orthogonal matrix
        # float64 whatever the network's precision, so that R^T inverts R to rounding; rebuilt
        # from the seed, not saved
        self.register_buffer("rotations", torch.tensor(np.array(rotations), dtype=torch.float64), persistent=False)

    def _apply(self, fn, *args, **kwargs):
        rotations = self.rotations
        super()._apply(fn, *args, **kwargs)
        # .float() / .double() convert buffers: the rotations stay float64 (on the new device)
        self.rotations = rotations.to(self.rotations.device)
        return self

    def _check(self, x, condition):
        if x.ndim != 2 or x.shape[1] != self.dims:
            raise ValueError(f"RotatedSplineFlow: inputs must have shape (n, {self.dims}), got {tuple(x.shape)}")
        if self.conditions and (condition is None or condition.shape != (x.shape[0], self.conditions)):
            shape = None if condition is None else tuple(condition.shape)
            raise ValueError(f"RotatedSplineFlow: the condition must have shape ({x.shape[0]}, {self.conditions}), "
                             f"got {shape}")
        return condition

    def _coupling(self, k, x, condition, inverse):
        xa, xb = x[:, :self.n_cond], x[:, self.n_cond:]
        inputs = [t for t in (xa, condition) if t is not None and t.shape[1]]
        h = torch.cat(inputs, dim=1) if inputs else torch.ones(len(x), 1, dtype=x.dtype, device=x.device)
        out = self.subnets[k](h).reshape(len(x), xb.shape[1], 3 * self.bins + 1)
        yb, logdet = unconstrained_rational_quadratic_spline(
            xb, out[..., :self.bins], out[..., self.bins:2 * self.bins], out[..., 2 * self.bins:], inverse,
            -self.bound, self.bound, -self.bound, self.bound)
        return torch.cat([xa, yb], dim=1), logdet.sum(dim=1)

    def forward(self, x, condition=None):
        """The latent point z = G(x | c) and the log of the Jacobian determinant, log abs det dG/dx.

        Parameters
        ----------
        x : torch.Tensor
            (n, dims) features.
        condition : torch.Tensor, optional
            (n, conditions).

        Returns
        -------
        tuple of torch.Tensor
            z (n, dims) and the log-determinant (n,).

        Examples
        --------
        >>> import torch
        >>> from numhep.torch.rotated_spline_flow import RotatedSplineFlow
        >>> flow = RotatedSplineFlow(3, blocks=2)
        >>> z, logdet = flow(torch.zeros(4, 3))
        >>> z.shape, logdet.abs().max().item()
        (torch.Size([4, 3]), 0.0)
        """
        condition = self._check(x, condition)
        logdet = torch.zeros(len(x), dtype=x.dtype, device=x.device)
        for k in range(len(self.subnets)):
            x, ld = self._coupling(k, x, condition, False)
            x = x @ self.rotations[k].to(x.dtype).T
            logdet = logdet + ld
        return x, logdet

    def inverse(self, z, condition=None):
        """The features x = G^-1(z | c) and the log of the Jacobian determinant, log abs det dG^-1/dz.

        Parameters
        ----------
        z : torch.Tensor
            (n, dims) latent points.
        condition : torch.Tensor, optional
            (n, conditions).

        Returns
        -------
        tuple of torch.Tensor
            x (n, dims) and the log-determinant (n,).

        Examples
        --------
        >>> import torch
        >>> from numhep.torch.rotated_spline_flow import RotatedSplineFlow
        >>> flow = RotatedSplineFlow(3, blocks=2)
        >>> z = torch.randn(4, 3)
        >>> bool(torch.allclose(flow(flow.inverse(z)[0])[0], z, atol=1e-5))
        True
        """
        condition = self._check(z, condition)
        logdet = torch.zeros(len(z), dtype=z.dtype, device=z.device)
        for k in reversed(range(len(self.subnets))):
            z = z @ self.rotations[k].to(z.dtype)
            z, ld = self._coupling(k, z, condition, True)
            logdet = logdet + ld
        return z, logdet

    def log_prob(self, x, condition=None):
        """log g(x | c), the standard normal latent density times the Jacobian (thesis Eq. 3.28).

        Parameters
        ----------
        x : torch.Tensor
            (n, dims) features.
        condition : torch.Tensor, optional
            (n, conditions).

        Returns
        -------
        torch.Tensor
            (n,) log-densities.

        Examples
        --------
        >>> import torch
        >>> from numhep.torch.rotated_spline_flow import RotatedSplineFlow
        >>> round(RotatedSplineFlow(1, blocks=1).log_prob(torch.zeros(1, 1)).item(), 6)   # -log(2 pi) / 2
        -0.918939
        """
        z, logdet = self(x, condition)
        return -0.5 * (z**2).sum(dim=1) - 0.5 * self.dims * math.log(2 * math.pi) + logdet

    def sample(self, n: int, condition=None, generator: torch.Generator | None = None):
        """n points x = G^-1(z | c) with z ~ N(0, 1).

        Parameters
        ----------
        n : int
            The number of points (the rows of ``condition``).
        condition : torch.Tensor, optional
            (n, conditions).
        generator : torch.Generator, optional
            The random stream of z.

        Returns
        -------
        torch.Tensor
            (n, dims).

        Examples
        --------
        >>> import torch
        >>> from numhep.torch.rotated_spline_flow import RotatedSplineFlow
        >>> RotatedSplineFlow(2, blocks=1).sample(3).shape
        torch.Size([3, 2])
        """
        dtype = next(self.parameters()).dtype
        z = torch.randn(n, self.dims, generator=generator, dtype=dtype)
        return self.inverse(z.to(self.rotations.device), condition)[0]
