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
    integral: float  # mean weight
    error: float  # its standard error
    relative_std: float  # sigma / I of one weight
    efficiency: float  # <w> / w_max
    n: int

    def __str__(self):
        return (f"I = {self.integral:.6g} +- {self.error:.2g}, sigma/I = {self.relative_std:.3g}, "
                f"unweighting efficiency {100 * self.efficiency:.3g} % ({self.n} points)")


def sampler_quality(weights, replicas: int = 20) -> SamplerQuality:
    """The integral, sigma/I and the unweighting efficiency of a sample's weights."""
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.size < 2:
        raise ValueError(f"weights: need at least two, got {w.size}")
    mean = float(w.mean())
    std = float(w.std(ddof=1))
    w_max = max_weight(w, replicas)
    return SamplerQuality(mean, std / np.sqrt(w.size), std / abs(mean) if mean else np.inf,
                          mean / w_max if w_max > 0 else 0.0, int(w.size))
