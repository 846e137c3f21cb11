"""VJPs of :mod:`numhep.kernels.vegas_grid`.

The map is linear inside a bin: dx_d/du_d = K w_k, and the Jacobian is piecewise
constant in u (its derivative vanishes almost everywhere), so gu = gx K w_k.
The accumulation is linear in fw2: g_fw2[e] = sum_d g_sums[d, bin(e, d)].
"""

from numhep.kernels import vegas_grid as fwd
from numhep.kernels._target import adjoint_of


@adjoint_of(fwd.vegas_map)
def vegas_map_vjp(i, u, edges, bins, gx, gjac, gu):
    nbins = edges.shape[1] - 1
    for d in range(u.shape[1]):
        k = bins[i, d]
        gu[i, d] = gx[i, d] * nbins * (edges[d, k + 1] - edges[d, k])


@adjoint_of(fwd.accumulate)
def accumulate_vjp(i, bins, gsums, gfw2):
    s = 0.0
    for d in range(bins.shape[1]):
        s += gsums[d, bins[i, d]]
    gfw2[i] = s
