"""Hadron-collider events parametrised by their final-state momenta (the thesis's Eq. 6.31).

The phase space of Heimel, PhD thesis, Heidelberg 2024, Sec. 6.3, where the matrix-element
method's sampling network draws hard events: the three-momenta of all final-state particles
but the last and the last one's longitudinal momentum.  Near a measured event these
coordinates are close to what the detector saw, so a density over them is simple where one
over the unit hypercube of a phase-space map is not.  Kernel:
:mod:`numhep.kernels.momentum_coordinates`.
"""

from __future__ import annotations

import numpy as np

from numhep import arrays as ab
from numhep import ops
from numhep.adjoint import momentum_coordinates as _adjoint  # noqa: F401  (attaches .vjp)
from numhep.kernels import momentum_coordinates as K

__all__ = ["momentum_coordinates", "momentum_coordinates_map"]


def _momentum_coordinates_map(xp, y, sqrt_s, masses):
    """Lab-frame momenta, momentum fractions and measure from the coordinates of Eq. 6.31.

    Heimel, PhD thesis, Heidelberg 2024, Eq. 6.31: for k final-state particles,
    y = (p_1, ..., p_(k-1), p_k^z) in GeV; p_k^(x,y) = -sum_(j<k) p_j^(x,y), the energies on
    the mass shells, x_(1,2) = (sum E_j +- sum p_j^z) / sqrt(s), and

    .. math::

        dx_1\\, dx_2\\, d\\Phi_k = (2\\pi)^{4-3k} \\frac{2}{s} \\prod_j \\frac{1}{2E_j}\\, d^{3k-2} y,

    with dPhi_k normalised as RAMBO's (numhep's phase-space weights), so that a density g(y)
    of these coordinates is the density weight / g of the phase space and momentum fractions.

    Parameters
    ----------
    y : array of float64, shape ``(n, 3k - 2)``
        The coordinates in GeV.
    sqrt_s : float or array of float64, shape ``(n,)``
        The collider energy in GeV.
    masses : sequence of float, length ``k >= 2``
        The final-state masses in GeV.

    Returns
    -------
    momenta : array of float64, shape ``(n, k + 2, 4)``
        The partons (along +z and -z) and the final state in the lab frame, GeV.
    x : array of float64, shape ``(n, 2)``
        The partons' momentum fractions.
    weight : array of float64, shape ``(n,)``
        dx_1 dx_2 dPhi_k / d^(3k-2) y in GeV^(-2k); 0 where x_1 or x_2 exceeds 1 (no event).

    Raises
    ------
    ValueError
        If ``y`` is not of shape (n, 3k - 2) or not finite, ``masses`` has fewer than two
        entries or a negative or non-finite one, or ``sqrt_s`` is not positive and finite.

    Notes
    -----
    Differentiable in ``y`` (``momentum_coordinates_map.vjp``; torch tensors through autograd).

    See Also
    --------
    momentum_coordinates : the coordinates of given momenta.

    Examples
    --------
    >>> from numhep.phasespace import momentum_coordinates, momentum_coordinates_map
    >>> y = np.array([[30.0, 10.0, 50.0, -20.0, 5.0, -40.0, 15.0]])
    >>> p, x, w = momentum_coordinates_map(y, 13000.0, [173.0, 125.0, 0.0])
    >>> p[0, 4].round(6).tolist()  # the last particle balances the transverse momentum
    [23.452079, -10.0, -15.0, 15.0]
    >>> bool(np.allclose(p[:, :2].sum(axis=1), p[:, 2:].sum(axis=1)))
    True
    >>> bool(np.allclose(momentum_coordinates(p[:, 2:]), y))
    True
    """
    m = np.asarray(masses, dtype=np.float64)
    if m.ndim != 1 or m.size < 2 or np.any(m < 0) or not np.all(np.isfinite(m)):
        raise ValueError(f"masses: expected at least two finite, non-negative masses, got {np.ravel(m).tolist()}")
    y = ab.as_float64(y, "y", xp)
    if y.ndim != 2 or y.shape[1] != 3 * m.size - 2:
        raise ValueError(f"y: {m.size} particles need 3k - 2 = {3 * m.size - 2} coordinates per event, "
                         f"got shape {tuple(y.shape)}")
    if not bool(xp.all(xp.isfinite(y))):
        raise ValueError("y: the coordinates must be finite")
    rs = xp.ascontiguousarray(xp.broadcast_to(xp.asarray(sqrt_s, dtype=xp.float64), (y.shape[0],)))
    if not bool(xp.all(xp.isfinite(rs) & (rs > 0))):
        raise ValueError("sqrt_s: must be positive and finite")
    return (y, rs, xp.asarray(m)), {"y": 0}


momentum_coordinates_map = ops.kernel_op(
    K.momentum_coordinates_map, signature=_momentum_coordinates_map, outputs=("momenta", "x", "weight"),
    shapes=lambda a: (((a[0].shape[0], a[2].shape[0] + 2, 4), np.float64), ((a[0].shape[0], 2), np.float64),
                      ((a[0].shape[0],), np.float64)),
    differentiable=("y",))


def momentum_coordinates(final):
    """The coordinates of Eq. 6.31 (Heimel, PhD thesis, Heidelberg 2024) of final-state momenta.

    Parameters
    ----------
    final : array of float64, shape ``(n, k, 4)``
        Final-state momenta in GeV (lab frame), numpy, CuPy or torch.

    Returns
    -------
    array of float64, shape ``(n, 3k - 2)``
        (p_1, ..., p_(k-1), p_k^z): the inverse of :func:`momentum_coordinates_map` for
        momenta that balance in the transverse plane.

    Raises
    ------
    ValueError
        If ``final`` is not of shape (n, k, 4) with k >= 2.

    Examples
    --------
    >>> from numhep.phasespace import momentum_coordinates
    >>> final = np.array([[[5.0, 3.0, 0.0, 4.0], [5.0, -3.0, 0.0, -4.0]]])
    >>> momentum_coordinates(final).tolist()
    [[3.0, 0.0, 4.0, -4.0]]
    """
    if final.ndim != 3 or final.shape[1] < 2 or final.shape[2] != 4:
        raise ValueError(f"final: expected shape (n, k, 4) with k >= 2, got {tuple(final.shape)}")
    k = final.shape[1]
    keep = list(range(3 * k - 3)) + [3 * k - 1]  # all of (px, py, pz) but the last particle's px, py
    return final[:, :, 1:].reshape(final.shape[0], 3 * k)[:, keep]
