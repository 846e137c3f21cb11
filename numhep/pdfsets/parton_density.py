"""Parton densities: ``numhep.pdf(name)`` with LHAPDF's method names, vectorised.

>>> p = numhep.pdf("NNPDF31_lo_as_0118")
>>> p.xfxQ2(21, x, q2)            # x f(x, Q^2) for a gluon, arrays broadcast
>>> p.xfxQ2(2, x, q2, grad=True)  # (xf, d xf/dx, d xf/dQ^2) through the adjoint kernel
>>> p.alphasQ2(q2)

Grids come from :mod:`numhep.pdfsets.lhapdf_grid` (``LHAPDF_DATA_PATH`` set folders, then the
grids shipped with pythia8mc).  Values follow LHAPDF 6's defaults exactly: log-bicubic
interpolation and continuation extrapolation (see
:mod:`numhep.kernels.pdf_interpolation`); negative values are not clipped.
``backend="lhapdf"`` evaluates through the ``lhapdf`` Python module instead, when it is
installed.
"""

from __future__ import annotations

import re

import numpy as np

from numhep import arrays as ab
from numhep import ops
from numhep.adjoint import alpha_s as _as_adjoint  # noqa: F401  (attaches .vjp)
from numhep.adjoint import pdf_interpolation as _pdf_adjoint  # noqa: F401
from numhep.kernels import alpha_s as _as
from numhep.kernels import pdf_interpolation as _pdf
from numhep.pdfsets import lhapdf_grid

__all__ = ["PDFSet", "alphas_q2", "pdf", "xfxq2"]

#: NNPDF3.1 heavy-quark masses, used for alpha_s thresholds when a set has no .info
_DEFAULT_THRESHOLDS = (1.51, 4.92, 172.5)
_MZ = 91.1876


def _alphas_from_name(name: str):
    m = re.search(r"as_?0?(\d)(\d{3})", name)
    asmz = float(f"{m.group(1)}.{m.group(2)}") if m else 0.118
    lowered = name.lower()
    order = 2 if "nnlo" in lowered else 1 if "nlo" in lowered else 0
    return asmz, order


class PDFSet:
    """One member of an LHAPDF set, evaluated by numhep's kernels.

    The member's ``lhagrid1`` grid is interpolated log-bicubically in (x, Q^2) and
    continued outside the grid as LHAPDF 6 does by default (:mod:`numhep.kernels.pdf_interpolation`),
    so values agree with LHAPDF's; negative values are not clipped.  alpha_s is interpolated
    from the set's table (``AlphaS_Type: ipol``) or run from alpha_s(M_Z) at the order the
    set's ``.info`` (or, without one, its name) gives, with flavour thresholds at the quark
    masses.  Method names follow LHAPDF's Python interface (``xfxQ2``, ``alphasQ2``, ...).
    Derivatives come from the adjoint kernels (``grad=True``, or torch tensors through
    :data:`numhep.torch.xfxQ2` and :data:`numhep.torch.alphasQ2`).  A set pickles by name
    and member: the grid is read again where it is unpickled.

    Parameters
    ----------
    name : str
        Name of the LHAPDF set, looked up as :func:`numhep.pdfsets.available_sets` lists them
        (``LHAPDF_DATA_PATH``, then the grids shipped with Pythia 8).
    member : int, optional
        Member of the set (default 0, the central member).
    extrapolator : {'continuation', 'nearest'}, optional
        Outside the grid: LHAPDF's continuation (default) or the value at the nearest grid
        point (then with zero derivative in the clamped direction).
    alphas_mz : float, optional
        alpha_s(M_Z) overriding the set's; the coupling then runs from it.
    alphas_order : int, optional
        QCD order of the running (0 LO, 1 NLO, 2 NNLO) overriding the set's.

    Attributes
    ----------
    name : str
        The set's name.
    member : int
        The member.
    info : dict
        The set's ``.info`` metadata (empty when the set has none).
    grid : numhep.pdfsets.lhapdf_grid.Grid
        The member's grid.
    alphas_mz : float
        alpha_s(M_Z) in use.
    alphas_order : int
        QCD order of the running coupling in use.

    Raises
    ------
    ValueError
        If ``extrapolator`` is not one of 'continuation', 'nearest', or the grid file is not
        a valid ``lhagrid1`` file.
    numhep.pdfsets.PDFNotFoundError
        If the set, or its member, is not found.

    Examples
    --------
    >>> from numhep.pdfsets import PDFSet
    >>> p = PDFSet("NNPDF31_lo_as_0118")
    >>> p
    PDFSet('NNPDF31_lo_as_0118', member=0)
    >>> p.xfxQ2(21, np.array([0.01, 0.1]), 100.0).round(6)
    array([7.713325, 1.146382])
    >>> round(float(p.alphasQ2(91.1876**2)), 6)
    0.118
    """

    def __init__(
        self, name: str, member: int = 0, *, extrapolator: str = "continuation", alphas_mz=None, alphas_order=None
    ):
        if extrapolator not in ("continuation", "nearest"):
            raise ValueError(f"extrapolator: {extrapolator!r} is not one of 'continuation', 'nearest'")
        self.extrapolator = extrapolator
        self.name = name
        self.member = int(member)
        files = lhapdf_grid.locate(name)
        self.info = lhapdf_grid.read_metadata(files.info.read_text()) if files.info else {}
        self.grid = lhapdf_grid.read_grid(str(files.member(self.member)))
        self._device_grid = {}
        self._options = dict(extrapolator=extrapolator, alphas_mz=alphas_mz, alphas_order=alphas_order)
        self._setup_alphas(alphas_mz, alphas_order)

    def __reduce__(self):
        # by reference: the grid is read again from the set's files where it is unpickled
        return _open_set, (self.name, self.member, self._options)

    def __repr__(self):
        return f"PDFSet({self.name!r}, member={self.member})"

    # ---- metadata with LHAPDF's names --------------------------------------------------
    @property
    def xMin(self):
        """float: The smallest x of the grid."""
        return float(self.grid.bounds[0])

    @property
    def xMax(self):
        """float: The largest x of the grid."""
        return float(self.grid.bounds[2])

    @property
    def q2Min(self):
        """float: The smallest Q^2 of the grid, in GeV^2."""
        return float(self.grid.bounds[3])

    @property
    def q2Max(self):
        """float: The largest Q^2 of the grid, in GeV^2."""
        return float(self.grid.bounds[5])

    def flavors(self):
        """The PDG codes the grid holds.

        Returns
        -------
        list of int
            Sorted PDG codes (21 for the gluon).
        """
        return sorted(self.grid.pids)

    def hasFlavor(self, pid: int) -> bool:
        """Whether the grid holds parton ``pid``.

        Parameters
        ----------
        pid : int
            PDG code (0 and 21 both mean the gluon).

        Returns
        -------
        bool
            True if the grid has a column for it.
        """
        return int(pid) in self.grid.pids or (int(pid) == 0 and 21 in self.grid.pids)

    def inRangeXQ2(self, x, q2):
        """Whether (x, Q^2) lies inside the grid (where no extrapolation is needed).

        Parameters
        ----------
        x : float or array_like
            Momentum fractions.
        q2 : float or array_like
            Scales Q^2 in GeV^2 (broadcast against ``x``).

        Returns
        -------
        bool or array of bool
            True where xMin <= x <= xMax and q2Min <= q2 <= q2Max.
        """
        x, q2 = np.asarray(x), np.asarray(q2)
        return (x >= self.xMin) & (x <= self.xMax) & (q2 >= self.q2Min) & (q2 <= self.q2Max)

    # ---- x f(x, Q^2) -------------------------------------------------------------------
    def _arrays(self, xp):
        if xp is np:
            return self.grid.kernel_arrays()
        key = xp.__name__
        if key not in self._device_grid:
            self._device_grid[key] = tuple(xp.asarray(a) for a in self.grid.kernel_arrays())
        return self._device_grid[key]

    def _prepare(self, pid, x, q2, xp):
        x = ab.as_float64(x, "x", xp)
        q2 = ab.as_float64(q2, "q2", xp)
        if not bool(xp.all((x > 0.0) & (x <= 1.0))):
            raise ValueError("x: momentum fractions must lie in (0, 1]")
        if bool(xp.any(x > self.xMax)):
            raise ValueError(f"x: above the last grid knot x = {self.xMax} of {self.name}")
        if not bool(xp.all(q2 > 0.0)) or not bool(xp.all(xp.isfinite(q2))):
            raise ValueError("q2: scales must be positive and finite")
        pid_given = np.asarray(pid if xp is np else ab.to_host(pid))
        if pid_given.dtype.kind not in "iu" and not (pid_given.dtype.kind == "f" and np.all(pid_given == np.round(pid_given))):
            raise ValueError(f"pid: expected PDG codes (whole numbers), got {pid_given.tolist()}")
        pid_arr = pid_given.astype(np.int64)
        shape = np.broadcast_shapes(pid_arr.shape, tuple(x.shape), tuple(q2.shape))
        col = self.grid.pid_column[lhapdf_grid.pid_slots(pid_arr)]
        col = np.where(lhapdf_grid.pid_slots(pid_arr) < 0, -1, col)
        col = xp.asarray(np.ascontiguousarray(np.broadcast_to(col, shape)).reshape(-1))
        x = xp.ascontiguousarray(xp.broadcast_to(x, shape)).reshape(-1)
        q2 = xp.ascontiguousarray(xp.broadcast_to(q2, shape)).reshape(-1)
        return xp, shape, col, x, q2

    def xfxQ2(self, pid, x=None, q2=None, *, grad: bool = False):
        """The momentum density x f(x, Q^2) of parton ``pid``.

        ``xfxQ2(x, q2)`` (two arguments) returns a dict {pid: xf} for every flavour.  Torch
        tensors x, q2 give a tensor that autograd differentiates (the operation
        :data:`numhep.torch.xfxQ2`).

        Parameters
        ----------
        pid : int or array_like of int
            PDG code (0 or 21 for the gluon); codes the set does not hold give 0.
        x : float or array_like
            Momentum fractions in (0, 1], at most the grid's last knot.
        q2 : float or array_like
            Scales Q^2 in GeV^2, positive and finite; ``pid``, ``x`` and ``q2`` broadcast.
        grad : bool, optional
            Also return the derivatives (default False).

        Returns
        -------
        xf : array of float64
            x f(x, Q^2) in the broadcast shape; with ``grad=True`` the tuple
            (xf, d xf/dx, d xf/dQ^2), the last in GeV^-2.  With two arguments a dict of these
            per PDG code.

        Raises
        ------
        ValueError
            If x leaves (0, 1] or exceeds the grid, Q^2 is not positive and finite, or
            ``pid`` is not whole numbers.
        """
        if q2 is None:
            x, q2 = pid, x
            return {p: self.xfxQ2(p, x, q2, grad=grad) for p in self.flavors()}
        if not grad:
            return xfxq2(self, pid, x, q2)
        xp = ab.namespace(x, q2)
        xf, shape, (dx, dq2) = _xfxq2_with_derivatives(xp, self, pid, x, q2)
        return xf, dx, dq2

    def xfxQ(self, pid, x=None, q=None, *, grad: bool = False):
        """The momentum density x f(x, Q) at the scale Q (not Q^2): :meth:`xfxQ2` at Q^2.

        Parameters
        ----------
        pid : int or array_like of int
            PDG code (0 or 21 for the gluon); ``xfxQ(x, q)`` gives every flavour.
        x : float or array_like
            Momentum fractions in (0, 1].
        q : float or array_like
            Scales Q in GeV.
        grad : bool, optional
            Also return d xf/dx and d xf/dQ^2 (derivative in Q^2, as :meth:`xfxQ2`).

        Returns
        -------
        array of float64, tuple or dict
            As :meth:`xfxQ2`.
        """
        if q is None:
            return self.xfxQ2(pid, np.asarray(x) ** 2, grad=grad)
        return self.xfxQ2(pid, x, np.asarray(q) ** 2, grad=grad)

    # ---- alpha_s -----------------------------------------------------------------------
    def _setup_alphas(self, alphas_mz, alphas_order):
        info = self.info
        if info.get("AlphaS_Type") == "ipol" and "AlphaS_Qs" in info and alphas_mz is None:
            lq = np.log(np.asarray(info["AlphaS_Qs"], dtype=float) ** 2)
            v = np.asarray(info["AlphaS_Vals"], dtype=float)
            self._alphas = ("ipol", (lq, v, _subgrid_derivatives(lq, v)))
            self.alphas_mz = float(np.interp(np.log(_MZ**2), lq, v))
            self.alphas_order = int(info.get("AlphaS_OrderQCD", 0))
            return
        guess_mz, guess_order = _alphas_from_name(self.name)
        asmz = float(alphas_mz if alphas_mz is not None else info.get("AlphaS_MZ", guess_mz))
        order = int(alphas_order if alphas_order is not None else info.get("AlphaS_OrderQCD", guess_order))
        mz = float(info.get("MZ", _MZ))
        masses = (
            float(info.get("MCharm", _DEFAULT_THRESHOLDS[0])),
            float(info.get("MBottom", _DEFAULT_THRESHOLDS[1])),
            float(info.get("MTop", _DEFAULT_THRESHOLDS[2])),
        )
        nf_max = float(info.get("NumFlavors", 5))
        params = np.array([mz * mz, asmz, order, *(m * m for m in masses), nf_max])
        self._alphas = ("running", (params,))
        self.alphas_mz = asmz
        self.alphas_order = order

    def alphasQ2(self, q2, *, grad: bool = False):
        """The strong coupling alpha_s(Q^2) of the set.

        Torch tensors give a tensor that autograd differentiates (the operation
        :data:`numhep.torch.alphasQ2`).

        Parameters
        ----------
        q2 : float or array_like
            Scales Q^2 in GeV^2, positive (and above the Landau pole of the running).
        grad : bool, optional
            Also return d alpha_s/dQ^2 (default False).

        Returns
        -------
        array of float64
            alpha_s in the shape of ``q2``; with ``grad=True`` the tuple
            (alpha_s, d alpha_s/dQ^2), the derivative in GeV^-2.

        Raises
        ------
        ValueError
            If a scale is not positive, or at or below the Landau pole of the running.
        """
        if not grad:
            return alphas_q2(self, q2)
        value, derivative = _alphas_with_derivative(ab.namespace(q2), self, q2)
        return value, derivative

    def _alphas_inputs(self, xp, q2):
        q2a = ab.as_float64(q2, "q2", xp)
        if not bool(xp.all(q2a > 0.0)):
            raise ValueError("q2: scales must be positive")
        kind, tables = self._alphas
        kern = _as.alphas_running if kind == "running" else _as.alphas_tabulated
        return kern, q2a, tuple(xp.asarray(a) for a in tables)

    def alphasQ(self, q, *, grad: bool = False):
        """The strong coupling alpha_s at the scale Q (not Q^2): :meth:`alphasQ2` at Q^2.

        Parameters
        ----------
        q : float or array_like
            Scales Q in GeV.
        grad : bool, optional
            Also return d alpha_s/dQ^2 (the derivative in Q^2, as :meth:`alphasQ2`).

        Returns
        -------
        array of float64 or tuple
            As :meth:`alphasQ2`.
        """
        return self.alphasQ2(np.asarray(q) ** 2, grad=grad)


def _xfxq2_inputs(xp, pdf, pid, x, q2):
    """(the kernel's inputs, the broadcast shape, the masks of points clamped to the grid)."""
    xp, shape, col, xf_, q2_ = pdf._prepare(pid, x, q2, xp)
    clamped = None
    if pdf.extrapolator == "nearest":
        # LHAPDF's NearestPointExtrapolator: the value at the closest grid point
        clamped = (xf_ < pdf.xMin, (q2_ < pdf.q2Min) | (q2_ > pdf.q2Max))
        xf_ = xp.maximum(xf_, pdf.xMin)
        q2_ = xp.clip(q2_, pdf.q2Min, pdf.q2Max)
    return (col, xf_, q2_, *pdf._arrays(xp)), shape, clamped


def _xfxq2_values(xp, pdf, pid, x, q2):
    inputs, shape, clamped = _xfxq2_inputs(xp, pdf, pid, x, q2)
    out = xp.empty(inputs[1].shape[0])
    _pdf.xfxq2(*inputs, out)
    return out, shape, inputs, clamped


def _xfxq2_pullback(xp, inputs, clamped, shape, cotangent):
    g = xp.ascontiguousarray(xp.broadcast_to(ab.as_float64(cotangent, "grad_xf", xp), shape)).reshape(-1)
    gx, gq2 = xp.empty_like(g), xp.empty_like(g)
    _pdf.xfxq2.vjp(*inputs, g, gx, gq2)
    if clamped is not None:  # the nearest grid point does not move with x or Q^2 outside the grid
        gx[clamped[0]] = 0.0
        gq2[clamped[1]] = 0.0
    return gx.reshape(shape), gq2.reshape(shape)


def _xfxq2_with_derivatives(xp, pdf, pid, x, q2):
    out, shape, inputs, clamped = _xfxq2_values(xp, pdf, pid, x, q2)
    return out.reshape(shape), shape, _xfxq2_pullback(xp, inputs, clamped, shape, 1.0)


def _xfxq2_signature(xp, pdf, pid, x, q2):
    """The momentum density x f(x, Q^2) of a PDF set, differentiable in x and Q^2.

    The value of :meth:`PDFSet.xfxQ2`: LHAPDF 6's default log-bicubic interpolation of the
    set's grid (cubic Hermite in ln x, then in ln Q^2, with finite-difference knot
    derivatives) and its continuation extrapolation outside it (Buckley et al., LHAPDF6,
    arXiv:1412.7420), differentiable in x and q2 through the adjoint of the interpolation
    kernel (:mod:`numhep.adjoint.pdf_interpolation`).  This is the function
    that :mod:`numhep.torch` exports as ``xfxQ2``.

    Parameters
    ----------
    pdf : PDFSet
        The PDF set member.
    pid : int or array_like of int
        PDG code (0 or 21 for the gluon); codes the set does not hold give 0.
    x : float or array of float64
        Momentum fractions in (0, 1].
    q2 : float or array of float64
        Scales Q^2 in GeV^2, positive and finite; ``pid``, ``x`` and ``q2`` broadcast.

    Returns
    -------
    array of float64
        x f(x, Q^2) in the broadcast shape.

    Raises
    ------
    ValueError
        If x leaves (0, 1] or exceeds the grid, Q^2 is not positive and finite, or ``pid``
        is not whole numbers.

    Examples
    --------
    >>> from numhep.pdfsets.parton_density import xfxq2
    >>> p = numhep.pdf("NNPDF31_lo_as_0118")
    >>> xfxq2(p, 21, np.array([0.1]), np.array([100.0])).round(6)
    array([1.146382])
    >>> d_x, d_q2 = xfxq2.vjp(p, 21, np.array([0.1]), np.array([100.0]), 1.0)
    >>> d_x.round(4)
    array([-13.9568])
    """


def _xfxq2_linearize(xp, pdf, pid, x, q2):
    out, shape, inputs, clamped = _xfxq2_values(xp, pdf, pid, x, q2)
    dx, dq2 = _xfxq2_pullback(xp, inputs, clamped, shape, 1.0)
    return (out.reshape(shape),), lambda c: (c[0] * dx, c[0] * dq2)


def _xfxq2_forward(xp, pdf, pid, x, q2):
    out, shape, _, _ = _xfxq2_values(xp, pdf, pid, x, q2)
    return (out.reshape(shape),)


def _xfxq2_vjp(xp, pdf, pid, x, q2, grad_xf):
    inputs, shape, clamped = _xfxq2_inputs(xp, pdf, pid, x, q2)
    return _xfxq2_pullback(xp, inputs, clamped, shape, grad_xf)


xfxq2 = ops.Op(_xfxq2_forward, _xfxq2_vjp, linearize=_xfxq2_linearize, signature=_xfxq2_signature,
               differentiable=("x", "q2"), n_outputs=1, result=None, name="xfxq2")


def _alphas_with_derivative(xp, pdf, q2):
    kern, q2a, tables = pdf._alphas_inputs(xp, q2)
    flat = q2a.reshape(-1)
    out, d = xp.empty_like(flat), xp.empty_like(flat)
    kern(flat, *tables, out)
    _check_alphas(xp, flat, out)
    kern.vjp(flat, *tables, xp.ones_like(flat), d)
    return out.reshape(q2a.shape), d.reshape(q2a.shape)


def _alphas_forward(xp, pdf, q2):
    kern, q2a, tables = pdf._alphas_inputs(xp, q2)
    flat = q2a.reshape(-1)
    out = xp.empty_like(flat)
    kern(flat, *tables, out)
    _check_alphas(xp, flat, out)
    return (out.reshape(q2a.shape),)


def _check_alphas(xp, q2, alphas):
    """The running coupling is positive and finite above the Landau pole only: below it the
    formula gives numbers that are no coupling, so say so."""
    bad = ~(xp.isfinite(alphas) & (alphas > 0))
    if bool(xp.any(bad)):
        lowest = float(ab.to_host(q2[bad]).max())
        raise ValueError(f"q2: alpha_s has no meaning at Q^2 = {lowest:g} GeV^2 and below (the running reaches "
                         "its Landau pole); use scales of a few GeV^2 or more")


def _alphas_vjp(xp, pdf, q2, grad_alphas):
    _, d = _alphas_with_derivative(xp, pdf, q2)
    return (ab.as_float64(grad_alphas, "grad_alphas", xp) * d,)


def _alphas_linearize(xp, pdf, q2):
    value, d = _alphas_with_derivative(xp, pdf, q2)
    return (value,), lambda c: (c[0] * d,)


def _alphas_signature(xp, pdf, q2):
    """The strong coupling alpha_s(Q^2) of a PDF set, differentiable in Q^2.

    The value of :meth:`PDFSet.alphasQ2`: interpolated from the set's table where it has one
    (``AlphaS_Type: ipol``, cubic Hermite in ln Q^2 as LHAPDF 6's AlphaS_Ipol), else the
    solution of the QCD renormalisation-group equation
    d alpha_s/d ln Q^2 = -alpha_s^2/(4 pi) [b0 + b1 alpha_s/(4 pi) + b2 (alpha_s/(4 pi))^2],
    truncated at the set's order and started from alpha_s(M_Z), continuous across the
    flavour thresholds at the heavy-quark masses.  This is the function that :mod:`numhep.torch` exports as ``alphasQ2``.

    Parameters
    ----------
    pdf : PDFSet
        The PDF set member.
    q2 : float or array of float64
        Scales Q^2 in GeV^2, positive.

    Returns
    -------
    array of float64
        alpha_s(Q^2) in the shape of ``q2``.

    Raises
    ------
    ValueError
        If a scale is not positive, or at or below the Landau pole of the running.

    Examples
    --------
    >>> from numhep.pdfsets.parton_density import alphas_q2
    >>> p = numhep.pdf("NNPDF31_lo_as_0118")
    >>> alphas_q2(p, np.array([91.1876**2, 100.0])).round(6)
    array([0.118   , 0.173084])
    >>> alphas_q2.vjp(p, np.array([100.0]), 1.0)[0].round(8)
    array([-0.00018277])
    """


alphas_q2 = ops.Op(_alphas_forward, _alphas_vjp, linearize=_alphas_linearize, signature=_alphas_signature,
                   differentiable=("q2",), n_outputs=1, result=None, name="alphas_q2")


def _open_set(name, member, options):
    return PDFSet(name, member, **options)


def _subgrid_derivatives(lq: np.ndarray, v: np.ndarray) -> np.ndarray:
    """d alpha_s/d ln Q^2 at the knots, one-sided at the ends of each subgrid.

    A repeated knot (a flavour threshold) separates subgrids, as in LHAPDF.
    """
    dv = np.zeros_like(v)
    cuts = np.flatnonzero(np.diff(lq) == 0) + 1
    for seg in np.split(np.arange(lq.size), cuts):
        if seg.size < 2:
            continue
        slope = np.diff(v[seg]) / np.diff(lq[seg])
        dv[seg[0]] = slope[0]
        dv[seg[-1]] = slope[-1]
        dv[seg[1:-1]] = 0.5 * (slope[1:] + slope[:-1])
    return dv


class _LHAPDFBackend:
    """The same interface evaluated by the ``lhapdf`` module."""

    def __init__(self, name: str, member: int):
        import lhapdf

        self._pdf = lhapdf.mkPDF(name, member)
        self.name, self.member = name, member

    def xfxQ2(self, pid, x, q2):
        shape = np.broadcast_shapes(np.shape(pid), np.shape(x), np.shape(q2))
        args = [np.broadcast_to(a, shape).ravel() for a in (pid, x, q2)]
        return np.array([self._pdf.xfxQ2(int(p), float(a), float(b)) for p, a, b in zip(*args)]).reshape(shape)

    def alphasQ2(self, q2):
        q2 = np.asarray(q2, dtype=float)
        return np.vectorize(self._pdf.alphasQ2)(q2)


def pdf(name: str = "NNPDF31_lo_as_0118", member: int = 0, *, backend: str = "numhep", **kwargs):
    """Open a member of an LHAPDF set.

    Parameters
    ----------
    name : str, optional
        Name of the set (default ``"NNPDF31_lo_as_0118"``, the NNPDF3.1 LO set shipped with
        Pythia 8).
    member : int, optional
        Member of the set (default 0, the central member).
    backend : {'numhep', 'lhapdf'}, optional
        ``"numhep"`` (default): numba kernels with adjoints, on CPU or CUDA arrays;
        ``"lhapdf"``: the ``lhapdf`` Python module, when installed (values only, no
        derivatives, numpy only).
    **kwargs
        Options of :class:`PDFSet` (``extrapolator``, ``alphas_mz``, ``alphas_order``);
        only with the numhep backend.

    Returns
    -------
    PDFSet
        The set member (with ``backend="lhapdf"`` an object with the same ``xfxQ2`` and
        ``alphasQ2`` methods).

    Raises
    ------
    ValueError
        If ``backend`` is unknown.
    ImportError
        If ``backend="lhapdf"`` and the ``lhapdf`` module is not installed.
    numhep.pdfsets.PDFNotFoundError
        If the set is not found.

    Examples
    --------
    >>> p = numhep.pdf()
    >>> p.name, p.member
    ('NNPDF31_lo_as_0118', 0)
    >>> round(float(p.xfxQ2(2, 0.1, 100.0)), 6)
    0.578725
    """
    if backend == "numhep":
        return PDFSet(name, member, **kwargs)
    if backend == "lhapdf":
        try:
            return _LHAPDFBackend(name, member)
        except ImportError as exc:
            raise ImportError("backend='lhapdf' needs the lhapdf Python module, which is not installed") from exc
    raise ValueError(f"backend: unknown PDF backend {backend!r} (use 'numhep' or 'lhapdf')")
