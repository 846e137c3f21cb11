"""How good a sampler is, measured the same way for every sampler numhep drives.

For integration weights w_i = f(x_i) / g(x_i) of points drawn from g (numhep's VEGAS, a
madnis flow, the ``vegas`` package, Sobol points):

* the relative standard deviation sigma/I = std(w) / mean(w): the error of the integral
  from N points is I sigma/I / sqrt(N);
* the unweighting efficiency <w> / w_max (T. Heimel, PhD thesis, Heidelberg 2024,
  Eq. 2.67), with w_max the median over ``replicas`` equal sub-samples of their largest
  weight (Sec. 2.2.5), so that one outlier does not set it.  It is the fraction of points
  that hit-or-miss unweighting keeps.

:func:`sampler_quality` returns both; :func:`max_weight` is the w_max that
:func:`numhep.generate` unweights with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SamplerQuality", "max_weight", "sampler_quality"]


def max_weight(weights, replicas: int = 20) -> float:
    """w_max as the median over ``replicas`` equal sub-samples of their maximum weight."""
    w = np.asarray(weights, dtype=np.float64)
    parts = np.array_split(w, max(1, min(replicas, w.size)))
    return float(np.median([p.max() for p in parts]))


@dataclass
class SamplerQuality:
    """How good a sampler is: the integral, its error, sigma/I and the unweighting efficiency.

    Made by :func:`sampler_quality`, for the integration weights ``w_i = f(x_i) / g(x_i)`` of
    points drawn from g.

    Parameters
    ----------
    integral : float
        The mean weight, the integral's estimate I.
    error : float
        Its standard error, ``std(w) / sqrt(n)``.
    relative_std : float
        ``sigma/I = std(w) / mean(w)`` of one weight (inf for a zero mean): the error of the
        integral from N points is ``I (sigma/I) / sqrt(N)``.
    efficiency : float
        The unweighting efficiency ``<w> / w_max`` (Heimel, PhD thesis, Heidelberg 2024,
        Eq. 2.67), with w_max the median of the maxima of equal sub-samples: the fraction
        of points that hit-or-miss unweighting keeps.
    n : int
        The number of weights.

    Examples
    --------
    >>> from numhep.integration import SamplerQuality
    >>> print(SamplerQuality(2.0, 0.02, 1.0, 0.144, 10000))
    I = 2 +- 0.02, sigma/I = 1, unweighting efficiency 14.4 % (10000 points)
    """

    integral: float  # mean weight
    error: float  # its standard error
    relative_std: float  # sigma / I of one weight
    efficiency: float  # <w> / w_max
    n: int

    def __str__(self):
        return (f"I = {self.integral:.6g} +- {self.error:.2g}, sigma/I = {self.relative_std:.3g}, "
                f"unweighting efficiency {100 * self.efficiency:.3g} % ({self.n} points)")


def sampler_quality(weights, replicas: int = 20) -> SamplerQuality:
    """The integral, sigma/I and the unweighting efficiency of a sample's weights.

    For integration weights ``w_i = f(x_i) / g(x_i)`` of points drawn from g (numhep's VEGAS,
    a madnis flow, the ``vegas`` package, Sobol points), measured the same way for every
    sampler: the relative standard deviation ``sigma/I = std(w) / mean(w)``, and the
    unweighting efficiency ``<w> / w_max`` (Heimel, PhD thesis, Heidelberg 2024, Eq. 2.67)
    with w_max the median over ``replicas`` equal sub-samples of their largest weight
    (Sec. 2.2.5), so that one outlier does not set it; the same w_max
    :func:`numhep.generate` unweights with.

    Parameters
    ----------
    weights : array_like
        The weights (flattened), at least two.
    replicas : int, optional
        The number of sub-samples for w_max (default 20).

    Returns
    -------
    SamplerQuality
        The integral, its error, sigma/I, the unweighting efficiency and the number of
        weights.

    Raises
    ------
    ValueError
        If there are fewer than two weights.

    Examples
    --------
    >>> from numhep.integration import sampler_quality
    >>> quality = sampler_quality(np.random.default_rng(1).exponential(2.0, 10_000))
    >>> round(quality.integral, 1), round(quality.relative_std, 1), quality.n
    (2.0, 1.0, 10000)
    >>> bool(0.0 < quality.efficiency < 0.5)
    True
    """
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.size < 2:
        raise ValueError(f"weights: need at least two, got {w.size}")
    mean = float(w.mean())
    std = float(w.std(ddof=1))
    w_max = max_weight(w, replicas)
    return SamplerQuality(mean, std / np.sqrt(w.size), std / abs(mean) if mean else np.inf,
                          mean / w_max if w_max > 0 else 0.0, int(w.size))
