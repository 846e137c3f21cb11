"""Inference with a learned likelihood ratio: the profile of -2 log L over a parameter grid
and its confidence interval.

For n independent observations x_i, log p(x | theta) = sum_i log r_hat(x_i | theta) + (terms
free of theta), so q(theta) = -2 sum_i log r_hat(x_i | theta) minus its minimum over the grid
is the likelihood-ratio test statistic, and by Wilks' theorem (one parameter) the interval
{theta : q(theta) <= F^-1_chi2(1)(level)} covers the true value with probability ``level``
asymptotically (Brehmer, Louppe, Pavez & Cranmer, arXiv:1805.00020, Sec. 2; the calibration
over pseudo-experiments is ``benchmarks/sbi_calibration.py``).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

__all__ = ["confidence_interval", "likelihood_scan"]


def likelihood_scan(estimator, x, thetas) -> np.ndarray:
    """q(theta) = -2 sum_i log r_hat(x_i | theta) - min over ``thetas`` (k,), for the
    observations x (n, d) or (n,) and a :class:`numhep.torch.RatioEstimator`."""
    q = -2.0 * estimator.log_ratio(x, np.asarray(thetas, dtype=np.float64)).sum(axis=1)
    return q - q.min()


def confidence_interval(thetas, q, level: float = 0.6827):
    """(low, best, high): the grid's minimum of q refined by a parabola through it and its
    neighbours, and where q crosses the chi2 (1 dof) quantile of ``level`` on either side
    (linear interpolation); a side that does not cross inside the grid is -inf or +inf."""
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
