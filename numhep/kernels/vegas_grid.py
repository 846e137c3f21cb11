"""VEGAS grid: the separable piecewise-linear map of the unit hypercube (Heimel, PhD thesis, Heidelberg 2024, Sec. 2.2.2).

Per dimension, K bins with edges 0 = W_0 < W_1 < ... < W_K = 1 and widths
w_k = W_k - W_{k-1} (Eqs. 2.33-2.34).  A uniform u falls in bin k = floor(u K) and maps
to x = W_k + (u K - k) w_k: the inverse of the CDF G of Eq. 2.38, so x is distributed
with the piecewise-constant density g(x) = 1/(K w_k) of Eq. 2.35 and the Jacobian
dx/du = prod_dims K w_k.  :func:`accumulate` sums (f * jac)^2 per bin, the
ingredient of the adaptation target d_k of Eq. 2.41; :func:`stratum_points` and
:func:`stratum_sums` are the hypercube bookkeeping of stratified sampling (integer indexing
and sums of weights, nothing to differentiate).
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


@kernel
def stratum_points(i, counts, starts, first, per_dim, u):
    """Move the uniform points of hypercube first[0] + i (rows starts[i] .. starts[i] + counts[i]
    of u) into that cube: u_d <- (u_d + c_d) / per_dim with c the cube's digits in base
    per_dim[0], the first dimension the fastest (VEGAS+ stratification, Lepage, arXiv:2009.05112)."""
    rest = first[0] + i
    for d in range(u.shape[1]):
        c = rest % per_dim[0]  # the cube's digit, shared by its points
        rest //= per_dim[0]
        for e in range(starts[i], starts[i] + counts[i]):
            u[e, d] = (u[e, d] + c) / per_dim[0]


@kernel
def stratum_sums(i, s1, s2, counts, starts, density, w, fw2):
    """Hypercube i's sums of w and w^2 over its run of points, and each point's (f jac)^2
    times its cube's inverse sampling density (what the grid's bins accumulate)."""
    a = 0.0
    b = 0.0
    for e in range(starts[i], starts[i] + counts[i]):
        a += w[e]
        b += w[e] * w[e]
        fw2[e] = w[e] * w[e] * density[i]
    s1[i] = a
    s2[i] = b
