"""The strong coupling alpha_s(Q^2) of a PDF set.

Two ways, as LHAPDF does:
* ``running``: the QCD renormalisation-group equation
      d alpha_s / d ln Q^2 = -alpha_s^2/(4 pi) [b0 + b1 alpha_s/(4 pi) + b2 (alpha_s/(4 pi))^2],
      b0 = 11 - 2 nf/3,  b1 = 102 - 38 nf/3,  b2 = 2857/2 - 5033 nf/18 + 325 nf^2/54,
  truncated at the set's order (``AlphaS_OrderQCD``: 0 = one loop), started from
  alpha_s(MZ) and crossing flavour thresholds continuously (LO matching). One loop is
  solved exactly, 1/alpha(Q^2) = 1/alpha(mu^2) + b0/(4 pi) ln(Q^2/mu^2); higher
  orders by fourth-order Runge-Kutta in ln Q^2 (steps <= 0.05).
* ``ipol``: cubic Hermite interpolation in ln Q^2 of the set's tabulated values
  (``AlphaS_Qs``/``AlphaS_Vals``) as LHAPDF's AlphaS_Ipol does: a repeated Q knot
  starts a new subgrid (alpha_s may jump at a flavour threshold; the point itself
  belongs to the upper side), knot derivatives are finite differences within each
  subgrid, below the table alpha_s(Q0^2) (Q^2/Q0^2)^g continues the power law g of
  the first interval, above it the last value is kept.

``params`` for running: (MZ^2, alpha_s(MZ), order, mc^2, mb^2, mt^2, nf_max).
Adjoint: :mod:`numhep.adjoint.alpha_s` (d alpha_s / dQ^2 = beta(alpha_s)/Q^2).
"""

import math

from numhep.kernels._target import device, kernel
from numhep.kernels.pdf_interpolation import hermite


@device
def beta(a, nf, order):
    """d alpha_s / d ln Q^2 at fixed nf, truncated at ``order`` (0 = one loop)."""
    x = a / (4.0 * math.pi)
    b0 = 11.0 - 2.0 * nf / 3.0
    s = b0
    if order >= 1:
        s += (102.0 - 38.0 * nf / 3.0) * x
    if order >= 2:
        s += (2857.0 / 2.0 - 5033.0 * nf / 18.0 + 325.0 * nf * nf / 54.0) * x * x
    return -a * a / (4.0 * math.pi) * s


@device
def evolve(a, l0, l1, nf, order):
    """alpha_s at ln Q^2 = l1 from a at l0 with nf flavours."""
    if l1 == l0:
        return a
    if order == 0:
        return 1.0 / (1.0 / a + (11.0 - 2.0 * nf / 3.0) / (4.0 * math.pi) * (l1 - l0))
    nstep = int(abs(l1 - l0) / 0.05) + 1
    h = (l1 - l0) / nstep
    for _ in range(nstep):
        k1 = beta(a, nf, order)
        k2 = beta(a + 0.5 * h * k1, nf, order)
        k3 = beta(a + 0.5 * h * k2, nf, order)
        k4 = beta(a + h * k3, nf, order)
        a += h * (k1 + 2.0 * k2 + 2.0 * k3 + k4) / 6.0
    return a


@device
def flavours_at(q2, params):
    nf = 3
    for k in range(3):
        if q2 > params[3 + k] and nf < params[6]:
            nf += 1
    return nf


@device
def running(q2, params):
    """(alpha_s, d alpha_s/dQ^2) from the RGE, crossing thresholds between MZ and Q."""
    order = int(params[2])
    a = params[1]
    l = math.log(params[0])
    target = math.log(q2)
    nf = flavours_at(params[0], params)
    if target >= l:
        for k in range(3):
            t = math.log(params[3 + k])
            if l < t < target and k + 4 <= params[6]:
                a = evolve(a, l, t, nf, order)
                l = t
                nf = k + 4
    else:
        for k in range(2, -1, -1):
            t = math.log(params[3 + k])
            if target < t < l and k + 4 <= params[6]:
                a = evolve(a, l, t, nf, order)
                l = t
                nf = k + 3
    a = evolve(a, l, target, nf, order)
    return a, beta(a, nf, order) / q2


@kernel
def alphas_running(i, q2, params, out):
    """out[i] = alpha_s(Q^2) from the RGE."""
    a, _ = running(q2[i], params)
    out[i] = a


@device
def tabulated(q2, logq2s, vals, dvals):
    """(alpha_s, d alpha_s/dQ^2) from the table (see module docstring for the ends)."""
    n = logq2s.shape[0]
    lq = math.log(q2)
    if lq < logq2s[0]:
        nxt = 1
        while logq2s[nxt] == logq2s[0]:
            nxt += 1
        g = math.log(vals[nxt] / vals[0]) / (logq2s[nxt] - logq2s[0])
        a = vals[0] * math.exp(g * (lq - logq2s[0]))
        return a, a * g / q2
    if lq >= logq2s[n - 1]:
        return vals[n - 1], 0.0
    lo = 0
    hi = n - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if logq2s[mid] <= lq:
            lo = mid
        else:
            hi = mid
    d = logq2s[lo + 1] - logq2s[lo]
    v, dv = hermite((lq - logq2s[lo]) / d, vals[lo], dvals[lo] * d, vals[lo + 1], dvals[lo + 1] * d)
    return v, dv / (d * q2)


@kernel
def alphas_tabulated(i, q2, logq2s, vals, dvals, out):
    """out[i] = alpha_s(Q^2) interpolated from the set's table."""
    a, _ = tabulated(q2[i], logq2s, vals, dvals)
    out[i] = a
