"""Inference with a learned likelihood ratio: the profile of -2 log L over a parameter grid
and its confidence interval.

For n independent observations x_i, log p(x | theta) = sum_i log r_hat(x_i | theta) + (terms
free of theta), so q(theta) = -2 sum_i log r_hat(x_i | theta) minus its minimum over the grid
is the likelihood-ratio test statistic, and by Wilks' theorem (one parameter) the interval
{theta : q(theta) <= F^-1_chi2(1)(level)} covers the true value with probability ``level``
asymptotically (Brehmer, Cranmer, Louppe & Pavez, arXiv:1805.00020, Sec. 2; the calibration
over pseudo-experiments is ``benchmarks/sbi_calibration.py``).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

__all__ = ["confidence_interval", "likelihood_scan"]


def likelihood_scan(estimator, x, thetas) -> np.ndarray:
    r"""The profile of -2 log L over a parameter grid from a learned likelihood ratio.

    For n independent observations :math:`x_i`,
    :math:`\log p(x | \theta) = \sum_i \log \hat r(x_i | \theta)` + (terms free of theta), so

    .. math::

        q(\theta) = -2 \sum_i \log \hat r(x_i | \theta)
                    - \min_{\theta'} \left(-2 \sum_i \log \hat r(x_i | \theta')\right),

    the minimum taken over the grid, is the likelihood-ratio test statistic (Brehmer, Louppe,
    Pavez & Cranmer, arXiv:1805.12244); :func:`confidence_interval` turns it into an interval.

    Parameters
    ----------
    estimator : RatioEstimator
        A trained :class:`numhep.torch.RatioEstimator`.
    x : array_like
        The observations, shape (n, d), or (n,) for one observable.
    thetas : array_like
        The parameter grid, shape (k,).

    Returns
    -------
    numpy.ndarray
        q(theta) at every grid point, shape (k,), zero at its minimum.

    Examples
    --------
    >>> import numhep.torch as nt
    >>> estimator = nt.RatioEstimator(2, hidden=(8,))
    >>> q = nt.likelihood_scan(estimator, np.zeros((5, 2)), np.linspace(-1.0, 1.0, 5))
    >>> q.shape, float(q.min())
    ((5,), 0.0)
    """
    q = -2.0 * estimator.log_ratio(x, np.asarray(thetas, dtype=np.float64)).sum(axis=1)
    return q - q.min()


def confidence_interval(thetas, q, level: float = 0.6827):
    r"""The confidence interval of one parameter from the profile q(theta) of :func:`likelihood_scan`.

    By Wilks' theorem (one parameter) the interval
    :math:`\{\theta : q(\theta) \le F^{-1}_{\chi^2(1)}(\text{level})\}` covers the true
    value with probability ``level`` asymptotically (Brehmer, Louppe, Pavez & Cranmer,
    arXiv:1805.12244).  The best value is the grid's minimum of q refined by a parabola through
    it and its neighbours; the ends are where q crosses the chi2 (1 dof) quantile of ``level``
    on either side, by linear interpolation.

    Parameters
    ----------
    thetas : array_like
        The parameter grid, increasing, shape (k,) with k >= 3.
    q : array_like
        The test statistic at the grid points, shape (k,).
    level : float, optional
        The confidence level, in (0, 1) (default 0.6827: one sigma).

    Returns
    -------
    low : float
        The lower end; -inf if q does not cross the quantile inside the grid below the best value.
    best : float
        The best value.
    high : float
        The upper end; +inf if q does not cross the quantile inside the grid above the best value.

    Raises
    ------
    ValueError
        If the grids are not increasing 1-d arrays of one length with at least 3 points, or
        ``level`` is not in (0, 1).

    Examples
    --------
    >>> import numhep.torch as nt
    >>> thetas = np.linspace(-2.0, 2.0, 41)
    >>> [round(v, 3) for v in nt.confidence_interval(thetas, thetas**2)]
    [-1.0, 0.0, 1.0]
    >>> nt.confidence_interval(thetas, thetas**2, level=0.99)  # q stays below the 99 % quantile, 6.63
    (-inf, 0.0, inf)
    """
    t = np.asarray(thetas, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if t.ndim != 1 or t.shape != q.shape or t.size < 3 or np.any(np.diff(t) <= 0):
        raise ValueError("thetas, q: expected increasing 1-d grids of one length (at least 3 points)")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: expected a probability in (0, 1), got {level}")
    cut = chi2.ppf(level, 1)
    k = int(np.argmin(q))
    best = t[k]
    if 0 < k < t.size - 1:
        a, b, c = q[k - 1 : k + 2]
        h_left, h_right = t[k] - t[k - 1], t[k + 1] - t[k]
        # vertex of the parabola through the three points
        num = h_right**2 * (a - b) - h_left**2 * (c - b)
        den = h_right * (a - b) + h_left * (c - b)
        if den != 0:
            best = t[k] + 0.5 * num / den
    q = q - q.min()

    def crossing(indices):
        for i, j in zip(indices[:-1], indices[1:]):
            if q[j] > cut >= q[i]:
                return t[i] + (cut - q[i]) * (t[j] - t[i]) / (q[j] - q[i])
        return None

    low = crossing(list(range(k, -1, -1)))
    high = crossing(list(range(k, t.size)))
    return (-np.inf if low is None else float(low)), float(best), (np.inf if high is None else float(high))
