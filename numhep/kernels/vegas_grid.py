"""VEGAS grid: the separable piecewise-linear map of the unit hypercube (Heimel, PhD thesis, Heidelberg 2024, Sec. 2.2.2).

Per dimension, K bins with edges 0 = W_0 < W_1 < ... < W_K = 1 and widths
w_k = W_k - W_{k-1} (Eqs. 2.33-2.34).  A uniform u falls in bin k = floor(u K) and maps
to x = W_k + (u K - k) w_k: the inverse of the CDF G of Eq. 2.38, so x is distributed
with the piecewise-constant density g(x) = 1/(K w_k) of Eq. 2.35 and the Jacobian
dx/du = prod_dims K w_k.  :func:`accumulate` sums (f * jac)^2 per bin, the
ingredient of the adaptation target d_k of Eq. 2.41.
Adjoint: :mod:`numhep.adjoint.vegas_grid`.
"""

from numhep.kernels._target import kernel


@kernel
def vegas_map(i, u, edges, x, jac, bins):
    """x[i] = map(u[i]), jac[i] = prod_d K w_k, bins[i, d] = k; edges (dims, K + 1)."""
    dims = u.shape[1]
    nbins = edges.shape[1] - 1
    j = 1.0
    for d in range(dims):
        y = u[i, d] * nbins
        k = int(y)
        if k >= nbins:
            k = nbins - 1
        if k < 0:
            k = 0
        w = edges[d, k + 1] - edges[d, k]
        x[i, d] = edges[d, k] + (y - k) * w
        j *= nbins * w
        bins[i, d] = k
    jac[i] = j


@kernel
def accumulate(i, sums, bins, fw2):
    """sums[i, k] += fw2 over the events in bin k of dimension i.

    Parallel over dimensions (the leading axis of ``sums``), serial over events, so
    no two threads write the same bin and no atomics are needed.
    """
    for e in range(bins.shape[0]):
        sums[i, bins[e, i]] += fw2[e]
