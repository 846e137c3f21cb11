"""LHAPDF6 grid interpolation: log-bicubic in (ln x, ln Q^2) with continuation extrapolation.

Reproduces LHAPDF 6's default ``logcubic`` interpolator and ``continuation``
extrapolator so that numhep agrees with LHAPDF to rounding.

Interpolation, per Q subgrid (a subgrid boundary belongs to the upper subgrid):
  * along ln x: cubic Hermite on the knot interval with knot derivatives from
    finite differences d(xf)/d(ln x) (central inside, one-sided at the ends);
  * the resulting values at the Q^2 knots iq-1 .. iq+2 give d/d(ln Q^2) the same
    way (one-sided at subgrid edges); a final cubic Hermite in ln Q^2.
  Hermite basis: f(t) = (2t^3-3t^2+1) v_l + (t^3-2t^2+t) d_l + (-2t^3+3t^2) v_h + (t^3-t^2) d_h.
Extrapolation (the MSTW-style continuation, LHAPDF ContinuationExtrapolator):
  * x < x_min: linear in ln x through the first two x knots, applied to ln(xf)
    when both values exceed 1e-3, to xf otherwise;
  * Q^2 > Q^2_max: the same in ln Q^2 through the last two Q^2 knots;
  * Q^2 < Q^2_min: xf(Q^2_min) (Q^2/Q^2_min)^(a r + 1 - r), r = Q^2/Q^2_min, with
    the anomalous dimension a = max(-2.5, [xf(1.01 Q^2_min) - xf(Q^2_min)] / (0.01 xf(Q^2_min)))
    (a = 1 when |xf(Q^2_min)| < 1e-5), so PDFs vanish like Q^2 as Q^2 -> 0.
Every function returns (xf, d xf/dx, d xf/dQ^2); the adjoint
(:mod:`numhep.adjoint.pdf_interpolation`) uses the derivatives.

Grid layout: one flat float64 ``table`` (built by :mod:`numhep.pdfsets.lhapdf_grid`), because
numba passes every array argument as 7 + 2 ndim scalars and a call carrying eight grid
arrays costs more than the interpolation itself:
    table[0:4]   = nsub, nxmax, nqmax, nflav
    table[4:10]  = bounds (x_min, x_min1, x_max, q2_min, q2_max1, q2_max) over all subgrids
    then blocks  xs, logxs (nsub x nxmax), q2s, logq2s (nsub x nqmax), nx, nq (nsub),
                 xf, dxf (nsub x nxmax x nqmax x nflav), dxf = d xf / d ln x at the knots.
"""

import math

from numhep.kernels._target import device, kernel


@device(inline=True)
def hermite(t, vl, dl, vh, dh):
    """Cubic Hermite value and d/dt on [0, 1]."""
    t2 = t * t
    t3 = t2 * t
    v = (2.0 * t3 - 3.0 * t2 + 1.0) * vl + (t3 - 2.0 * t2 + t) * dl + (-2.0 * t3 + 3.0 * t2) * vh + (t3 - t2) * dh
    d = (6.0 * t2 - 6.0 * t) * vl + (3.0 * t2 - 4.0 * t + 1.0) * dl + (-6.0 * t2 + 6.0 * t) * vh + (3.0 * t2 - 2.0 * t) * dh
    return v, d


HEADER = 10


@device(inline=True)
def offsets(table):
    """Start of each block of ``table``: xs, logxs, q2s, logq2s, nx, nq, xf, dxf."""
    nsub = int(table[0])
    nxm = int(table[1])
    nqm = int(table[2])
    nfl = int(table[3])
    o_xs = HEADER
    o_lx = o_xs + nsub * nxm
    o_q2 = o_lx + nsub * nxm
    o_lq = o_q2 + nsub * nqm
    o_nx = o_lq + nsub * nqm
    o_nq = o_nx + nsub
    o_xf = o_nq + nsub
    o_dxf = o_xf + nsub * nxm * nqm * nfl
    return o_xs, o_lx, o_q2, o_lq, o_nx, o_nq, o_xf, o_dxf


@device(inline=True)
def knot_below(table, start, n, v):
    """Largest i <= n - 2 with table[start + i] <= v (knots ascending)."""
    lo = 0
    hi = n - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if table[start + mid] <= v:
            lo = mid
        else:
            hi = mid
    return lo


@device(inline=True)
def x_cubic(table, o_xf, o_dxf, base, stride, t, dlogx):
    """Hermite in ln x between the knots at flat index base and base + stride: (value, d/dt)."""
    return hermite(
        t,
        table[o_xf + base], table[o_dxf + base] * dlogx,
        table[o_xf + base + stride], table[o_dxf + base + stride] * dlogx,
    )


@device
def interpolate(col, x, q2, table):
    """Log-bicubic interpolation inside the grid: (xf, d/dx, d/dQ^2)."""
    nsub = int(table[0])
    nxm = int(table[1])
    nqm = int(table[2])
    nfl = int(table[3])
    o_xs, o_lx, o_q2, o_lq, o_nx, o_nq, o_xf, o_dxf = offsets(table)
    sub = 0
    for s in range(1, nsub):
        if q2 >= table[o_q2 + s * nqm]:
            sub = s
    nx = int(table[o_nx + sub])
    nq = int(table[o_nq + sub])
    ix = knot_below(table, o_xs + sub * nxm, nx, x)
    iq = knot_below(table, o_q2 + sub * nqm, nq, q2)
    lxs = o_lx + sub * nxm
    lqs = o_lq + sub * nqm
    lx = math.log(x)
    lq = math.log(q2)
    dlogx = table[lxs + ix + 1] - table[lxs + ix]
    tx = (lx - table[lxs + ix]) / dlogx
    dq1 = table[lqs + iq + 1] - table[lqs + iq]
    tq = (lq - table[lqs + iq]) / dq1
    xstride = nqm * nfl  # flat step between neighbouring x knots
    base = ((sub * nxm + ix) * nqm + iq) * nfl + col  # (ix, iq); iq +- 1 is +- nfl
    vl, vl_t = x_cubic(table, o_xf, o_dxf, base, xstride, tx, dlogx)
    vh, vh_t = x_cubic(table, o_xf, o_dxf, base + nfl, xstride, tx, dlogx)
    if iq != 0 and iq + 1 != nq - 1:
        dq0 = table[lqs + iq] - table[lqs + iq - 1]
        dq2 = table[lqs + iq + 2] - table[lqs + iq + 1]
        vll, vll_t = x_cubic(table, o_xf, o_dxf, base - nfl, xstride, tx, dlogx)
        vhh, vhh_t = x_cubic(table, o_xf, o_dxf, base + 2 * nfl, xstride, tx, dlogx)
        vdl = ((vh - vl) / dq1 + (vl - vll) / dq0) / 2.0
        vdl_t = ((vh_t - vl_t) / dq1 + (vl_t - vll_t) / dq0) / 2.0
        vdh = ((vh - vl) / dq1 + (vhh - vh) / dq2) / 2.0
        vdh_t = ((vh_t - vl_t) / dq1 + (vhh_t - vh_t) / dq2) / 2.0
    elif iq == 0:
        dq2 = table[lqs + iq + 2] - table[lqs + iq + 1]
        vhh, vhh_t = x_cubic(table, o_xf, o_dxf, base + 2 * nfl, xstride, tx, dlogx)
        vdl = (vh - vl) / dq1
        vdl_t = (vh_t - vl_t) / dq1
        vdh = (vdl + (vhh - vh) / dq2) / 2.0
        vdh_t = (vdl_t + (vhh_t - vh_t) / dq2) / 2.0
    else:
        dq0 = table[lqs + iq] - table[lqs + iq - 1]
        vll, vll_t = x_cubic(table, o_xf, o_dxf, base - nfl, xstride, tx, dlogx)
        vdh = (vh - vl) / dq1
        vdh_t = (vh_t - vl_t) / dq1
        vdl = (vdh + (vl - vll) / dq0) / 2.0
        vdl_t = (vdh_t + (vl_t - vll_t) / dq0) / 2.0
    v, v_tq = hermite(tq, vl, vdl * dq1, vh, vdh * dq1)
    # d/d(tx) of the final Hermite: the basis is linear in its four inputs
    t2 = tq * tq
    t3 = t2 * tq
    v_tx = (
        (2.0 * t3 - 3.0 * t2 + 1.0) * vl_t + (t3 - 2.0 * t2 + tq) * vdl_t * dq1
        + (-2.0 * t3 + 3.0 * t2) * vh_t + (t3 - t2) * vdh_t * dq1
    )
    return v, v_tx / (dlogx * x), v_tq / (dq1 * q2)


@device
def extrapolate_linear(x, xl, xh, yl, yh):
    """Linear continuation in ln x (of ln y when yl, yh > 1e-3):
    returns (y, dy/dx, dy/dyl, dy/dyh)."""
    t = (math.log(x) - math.log(xl)) / (math.log(xh) - math.log(xl))
    dt_dx = 1.0 / (x * (math.log(xh) - math.log(xl)))
    if yl > 1e-3 and yh > 1e-3:
        y = math.exp(math.log(yl) + t * (math.log(yh) - math.log(yl)))
        return y, y * (math.log(yh) - math.log(yl)) * dt_dx, y * (1.0 - t) / yl, y * t / yh
    return yl + t * (yh - yl), (yh - yl) * dt_dx, 1.0 - t, t


@device
def xf_with_gradient(col, x, q2, table):
    """x f(x, Q^2) with its partial derivatives, inside or outside the grid."""
    xmin = table[4]
    xmin1 = table[5]
    q2min = table[7]
    q2max1 = table[8]
    q2max = table[9]
    if x >= xmin and q2 >= q2min and q2 <= q2max:
        return interpolate(col, x, q2, table)
    if x < xmin and q2 >= q2min and q2 <= q2max:
        fl, _, fl_q = interpolate(col, xmin, q2, table)
        fh, _, fh_q = interpolate(col, xmin1, q2, table)
        y, y_x, y_l, y_h = extrapolate_linear(x, xmin, xmin1, fl, fh)
        return y, y_x, y_l * fl_q + y_h * fh_q
    if x >= xmin and q2 > q2max:
        fl, fl_x, _ = interpolate(col, x, q2max, table)
        fh, fh_x, _ = interpolate(col, x, q2max1, table)
        y, y_q, y_l, y_h = extrapolate_linear(q2, q2max, q2max1, fl, fh)
        return y, y_l * fl_x + y_h * fh_x, y_q
    if x < xmin and q2 > q2max:
        a, _, _ = interpolate(col, xmin, q2max, table)
        b, _, _ = interpolate(col, xmin, q2max1, table)
        fl, fl_q, _, _ = extrapolate_linear(q2, q2max, q2max1, a, b)
        a, _, _ = interpolate(col, xmin1, q2max, table)
        b, _, _ = interpolate(col, xmin1, q2max1, table)
        fh, fh_q, _, _ = extrapolate_linear(q2, q2max, q2max1, a, b)
        y, y_x, y_l, y_h = extrapolate_linear(x, xmin, xmin1, fl, fh)
        return y, y_x, y_l * fl_q + y_h * fh_q
    # q2 < q2min: values at q2min and 1.01 q2min as functions of x
    if x < xmin:
        a, _, _ = interpolate(col, xmin, q2min, table)
        b, _, _ = interpolate(col, xmin1, q2min, table)
        f0, f0_x, _, _ = extrapolate_linear(x, xmin, xmin1, a, b)
        a, _, _ = interpolate(col, xmin, 1.01 * q2min, table)
        b, _, _ = interpolate(col, xmin1, 1.01 * q2min, table)
        f1, f1_x, _, _ = extrapolate_linear(x, xmin, xmin1, a, b)
    else:
        f0, f0_x, _ = interpolate(col, x, q2min, table)
        f1, f1_x, _ = interpolate(col, x, 1.01 * q2min, table)
    anom = 1.0
    anom_x = 0.0
    if abs(f0) >= 1e-5:
        anom = (f1 - f0) / f0 / 0.01
        anom_x = (f1_x * f0 - f1 * f0_x) / (f0 * f0) / 0.01
        if anom < -2.5:
            anom = -2.5
            anom_x = 0.0
    r = q2 / q2min
    expo = anom * r + 1.0 - r
    pw = r**expo
    y = f0 * pw
    y_x = f0_x * pw + y * r * math.log(r) * anom_x
    y_q = y * ((anom - 1.0) * math.log(r) + expo / r) / q2min
    return y, y_x, y_q


@kernel
def xfxq2(i, col, x, q2, table, out):
    """out[i] = x f_col(x, Q^2); col < 0 (a parton absent from the set) gives 0."""
    if col[i] < 0:
        out[i] = 0.0
        return
    v, _, _ = xf_with_gradient(col[i], x[i], q2[i], table)
    out[i] = v
