"""Bilinear spline flows: the small trainable transformations MADNIS-Lite puts in front of each
phase-space block (Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Sec. 4.2).

A transformation of x in [0, 1]^d_x under a condition c in R^d_c is a rational-quadratic spline
(Durkan et al., arXiv:1906.04032) whose bin widths, heights and knot derivatives are a linear
function of the condition's monomials up to second order (Eq. 49):

    z = G(x; W c_hat),    c_hat = (1, c_i, c_i c_j for i <= j),

with W a trainable matrix of (3 n_b + 1) x (1 + d_c + d_c (d_c + 1) / 2) entries per transformed
dimension (Eq. 50).  A block with two random numbers (a decay's z_theta, z_phi; a scattering's
z_t, z_phi; the luminosity's z_tau, z_x) is correlated by two coupling steps, each transforming
one number with the other added to the condition: the parameter counts of the paper's Table 1
(190 for an invariant with three conditions, 798 for a 2 -> 2 scattering with four, 380 for a
decay with two, 114 for the luminosity with none, at n_b = 6).  W starts at zero: the identity.
"""

from __future__ import annotations

import torch
from madnis.nn import unconstrained_rational_quadratic_spline

__all__ = ["BilinearSplineFlow"]

_MIN_BIN = 1e-3


def _monomials(c):
    """c_hat = (1, c_i, c_i c_j for i <= j) of conditions c (n, d_c)."""
    n, d = c.shape
    rows, cols = torch.triu_indices(d, d, device=c.device)
    return torch.cat([c.new_ones((n, 1)), c, c[:, rows] * c[:, cols]], dim=1)


class BilinearSplineFlow(torch.nn.Module):
    r"""A bilinear spline flow z = G(x; W c_hat) on :math:`[0, 1]^d` (d = 1 or 2) under a condition c.

    The small trainable transformation that MADNIS-Lite puts in front of each phase-space
    block (Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Sec. 4.2): a
    rational-quadratic spline (Durkan, Bekasov, Murray & Papamakarios, arXiv:1906.04032)
    whose bin widths, heights and knot derivatives are a linear function of the condition's
    monomials up to second order (Eq. 49),

    .. math::

        z = G(x; W \hat c), \qquad \hat c = (1, c_i, c_i c_j \text{ for } i \le j),

    with W a trainable matrix of (3 n_b + 1) x (1 + d_c + d_c (d_c + 1) / 2) entries per
    transformed dimension (Eq. 50).  A block with two random numbers (a decay's z_theta,
    z_phi; a scattering's z_t, z_phi; the luminosity's z_tau, z_x) is correlated by two
    coupling steps, each transforming one number with the other added to the condition: the
    parameter counts of the paper's Table 1 (190 for an invariant with three conditions, 798
    for a 2 -> 2 scattering with four, 380 for a decay with two, 114 for the luminosity with
    none, at n_b = 6).  W starts at zero: the flow starts as the identity.

    Parameters
    ----------
    dims : int
        Number d of numbers transformed per point: 1, or 2 for a correlated pair.
    conditions : int
        Number d_c of condition values per point (0 or more).
    bins : int, optional
        Number n_b of spline bins (default 6, as in MADNIS-Lite).
    dtype : torch.dtype, optional
        Floating-point type of the weights W (default ``torch.float64``).

    Raises
    ------
    ValueError
        If ``dims`` is not 1 or 2, or ``conditions`` is negative.

    See Also
    --------
    TrainableChannelMaps : one such flow per block kind of numhep's channel maps.

    Examples
    --------
    >>> import torch
    >>> import numhep.torch as nt
    >>> nt.BilinearSplineFlow(1, 3).n_parameters, nt.BilinearSplineFlow(2, 4).n_parameters  # Table 1
    (190, 798)
    >>> flow = nt.BilinearSplineFlow(2, 4)
    >>> x = torch.rand(5, 2, dtype=torch.float64)
    >>> z, log_det = flow(x, torch.rand(5, 4, dtype=torch.float64))
    >>> z.shape, log_det.shape
    (torch.Size([5, 2]), torch.Size([5]))
    >>> bool(torch.allclose(z, x))  # W = 0: the identity
    True
    """

    def __init__(self, dims: int, conditions: int, bins: int = 6, dtype=torch.float64):
        super().__init__()
        if dims not in (1, 2):
            raise ValueError(f"dims: a bilinear spline flow transforms one or two numbers, got {dims}")
        if conditions < 0:
            raise ValueError(f"conditions: expected a count >= 0, got {conditions}")
        self.dims, self.conditions, self.bins = int(dims), int(conditions), int(bins)
        per_block = self.conditions + (self.dims - 1)  # the other number of a correlated pair joins the condition
        n_hat = 1 + per_block + per_block * (per_block + 1) // 2
        self.weights = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.zeros((3 * self.bins + 1, n_hat), dtype=dtype)) for _ in range(self.dims)])

    @property
    def n_parameters(self) -> int:
        """The number of trainable parameters (the entries of W)."""
        return sum(w.numel() for w in self.weights)

    def _block(self, k, x, c, inverse):
        """Transform column k of x given c and the other column; (new column, log |dz/dx|)."""
        cond = c if self.dims == 1 else torch.cat([c, x[:, 1 - k: 2 - k]], dim=1)
        theta = _monomials(cond) @ self.weights[k].T
        b = self.bins
        out, log_jac = unconstrained_rational_quadratic_spline(
            x[:, k: k + 1], theta[:, None, :b], theta[:, None, b: 2 * b], theta[:, None, 2 * b:], inverse,
            0.0, 1.0, 0.0, 1.0, _MIN_BIN, _MIN_BIN, _MIN_BIN)
        return out[:, 0], log_jac[:, 0]

    def _check(self, x, c):
        if x.ndim != 2 or x.shape[1] != self.dims:
            raise ValueError(f"x: expected shape (n, {self.dims}), got {tuple(x.shape)}")
        if c is None:
            c = x.new_zeros((x.shape[0], 0))
        if c.shape != (x.shape[0], self.conditions):
            raise ValueError(f"condition: expected shape ({x.shape[0]}, {self.conditions}), got {tuple(c.shape)}")
        return c

    def forward(self, x, condition=None):
        """Transform points x: z = G(x; W c_hat) and the log of its Jacobian determinant.

        Parameters
        ----------
        x : torch.Tensor
            Points of the cube, shape (n, dims).
        condition : torch.Tensor, optional
            The conditions, shape (n, conditions); may be omitted when ``conditions`` is 0.

        Returns
        -------
        z : torch.Tensor
            Transformed points, shape (n, dims).
        log_det : torch.Tensor
            ``log |det dz/dx|``, shape (n,).
        """
        c = self._check(x, condition)
        total = x.new_zeros(x.shape[0])
        for k in range(self.dims):
            col, lj = self._block(k, x, c, False)
            x = torch.cat([x[:, :k], col[:, None], x[:, k + 1:]], dim=1)
            total = total + lj
        return x, total

    def inverse(self, z, condition=None):
        """The exact inverse of :meth:`forward`: x = G^-1(z; W c_hat) and the log of its Jacobian determinant.

        Parameters
        ----------
        z : torch.Tensor
            Transformed points, shape (n, dims).
        condition : torch.Tensor, optional
            The conditions, shape (n, conditions); may be omitted when ``conditions`` is 0.

        Returns
        -------
        x : torch.Tensor
            Points of the cube, shape (n, dims).
        log_det : torch.Tensor
            ``log |det dx/dz|``, shape (n,).
        """
        c = self._check(z, condition)
        total = z.new_zeros(z.shape[0])
        for k in reversed(range(self.dims)):
            col, lj = self._block(k, z, c, True)
            z = torch.cat([z[:, :k], col[:, None], z[:, k + 1:]], dim=1)
            total = total + lj
        return z, total
