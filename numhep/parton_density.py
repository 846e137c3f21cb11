"""Parton densities: ``numhep.pdf(name)`` with LHAPDF's method names, vectorised.

>>> p = numhep.pdf("NNPDF31_lo_as_0118")
>>> p.xfxQ2(21, x, q2)            # x f(x, Q^2) for a gluon, arrays broadcast
>>> p.xfxQ2(2, x, q2, grad=True)  # (xf, d xf/dx, d xf/dQ^2) through the adjoint kernel
>>> p.alphasQ2(q2)

Grids come from :mod:`numhep.lhapdf_grid` (``LHAPDF_DATA_PATH`` set folders, then the
grids shipped with pythia8mc).  Values follow LHAPDF 6's defaults exactly: log-bicubic
interpolation and continuation extrapolation (see
:mod:`numhep.kernels.pdf_interpolation`); negative values are not clipped.
``backend="lhapdf"`` evaluates through the ``lhapdf`` Python module instead, when it is
installed.
"""

from __future__ import annotations

import re

import numpy as np

from numhep import array_backend as ab
from numhep import lhapdf_grid
from numhep.kernels import alpha_s as _as
from numhep.kernels import pdf_interpolation as _pdf

__all__ = ["PDFSet", "pdf"]

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
    """One member of an LHAPDF set, evaluated by numhep's kernels."""

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
        self._setup_alphas(alphas_mz, alphas_order)

    def __repr__(self):
        return f"PDFSet({self.name!r}, member={self.member})"

    # ---- metadata with LHAPDF's names --------------------------------------------------
    @property
    def xMin(self):
        return float(self.grid.bounds[0])

    @property
    def xMax(self):
        return float(self.grid.bounds[2])

    @property
    def q2Min(self):
        return float(self.grid.bounds[3])

    @property
    def q2Max(self):
        return float(self.grid.bounds[5])

    def flavors(self):
        """PDG codes the grid holds (21 for the gluon)."""
        return sorted(self.grid.pids)

    def hasFlavor(self, pid: int) -> bool:
        return int(pid) in self.grid.pids or (int(pid) == 0 and 21 in self.grid.pids)

    def inRangeXQ2(self, x, q2):
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

    def _prepare(self, pid, x, q2):
        xp = ab.namespace(x, q2)
        x = ab.as_float64(x, "x", xp)
        q2 = ab.as_float64(q2, "q2", xp)
        if not bool(xp.all((x > 0.0) & (x <= 1.0))):
            raise ValueError("x: momentum fractions must lie in (0, 1]")
        if bool(xp.any(x > self.xMax)):
            raise ValueError(f"x: above the last grid knot x = {self.xMax} of {self.name}")
        if not bool(xp.all(q2 > 0.0)) or not bool(xp.all(xp.isfinite(q2))):
            raise ValueError("q2: scales must be positive and finite")
        pid_arr = np.asarray(pid if xp is np else ab.to_host(pid), dtype=np.int64)
        shape = np.broadcast_shapes(pid_arr.shape, tuple(x.shape), tuple(q2.shape))
        col = self.grid.pid_column[lhapdf_grid.pid_slots(pid_arr)]
        col = np.where(lhapdf_grid.pid_slots(pid_arr) < 0, -1, col)
        col = xp.asarray(np.ascontiguousarray(np.broadcast_to(col, shape)).reshape(-1))
        x = xp.ascontiguousarray(xp.broadcast_to(x, shape)).reshape(-1)
        q2 = xp.ascontiguousarray(xp.broadcast_to(q2, shape)).reshape(-1)
        return xp, shape, col, x, q2

    def xfxQ2(self, pid, x=None, q2=None, *, grad: bool = False):
        """x f(x, Q^2) for parton ``pid`` (PDG code, 0 or 21 = gluon); arrays broadcast.

        ``xfxQ2(x, q2)`` (two arguments) returns a dict {pid: xf} for every flavour.
        With ``grad=True`` returns (xf, d xf/dx, d xf/dQ^2).  Torch tensors x, q2 give a
        tensor that autograd differentiates (:func:`numhep.torch.xfxQ2`).
        """
        if q2 is None:
            x, q2 = pid, x
            return {p: self.xfxQ2(p, x, q2, grad=grad) for p in self.flavors()}
        if ab.holds_torch(x, q2):
            if grad:
                raise ValueError("grad: torch tensors get their gradients from autograd (call .backward())")
            from numhep.torch import xfxQ2

            return xfxQ2(self, pid, x, q2)
        xp, shape, col, xf_, q2_ = self._prepare(pid, x, q2)
        if self.extrapolator == "nearest":
            # LHAPDF's NearestPointExtrapolator: the value at the closest grid point
            clamped_x = xf_ < self.xMin
            clamped_q = (q2_ < self.q2Min) | (q2_ > self.q2Max)
            xf_ = xp.maximum(xf_, self.xMin)
            q2_ = xp.clip(q2_, self.q2Min, self.q2Max)
        arrays = self._arrays(xp)
        out = xp.empty(xf_.shape[0])
        _pdf.xfxq2(col, xf_, q2_, *arrays, out)
        if not grad:
            return out.reshape(shape)
        gx = xp.empty_like(out)
        gq2 = xp.empty_like(out)
        _pdf.xfxq2.vjp(col, xf_, q2_, *arrays, xp.ones_like(out), gx, gq2)
        if self.extrapolator == "nearest":
            gx[clamped_x] = 0.0
            gq2[clamped_q] = 0.0
        return out.reshape(shape), gx.reshape(shape), gq2.reshape(shape)

    def xfxQ(self, pid, x=None, q=None, *, grad: bool = False):
        """x f(x, Q) (Q, not Q^2)."""
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
        """alpha_s(Q^2); with ``grad=True`` also d alpha_s/dQ^2."""
        if ab.holds_torch(q2):
            if grad:
                raise ValueError("grad: torch tensors get their gradients from autograd (call .backward())")
            from numhep.torch import alphasQ2

            return alphasQ2(self, q2)
        xp = ab.namespace(q2)
        q2a = ab.as_float64(q2, "q2", xp)
        if not bool(xp.all(q2a > 0.0)):
            raise ValueError("q2: scales must be positive")
        flat = q2a.reshape(-1)
        out = xp.empty_like(flat)
        kind, arrays = self._alphas
        arrays = tuple(xp.asarray(a) for a in arrays)
        kern = _as.alphas_running if kind == "running" else _as.alphas_tabulated
        kern(flat, *arrays, out)
        if not grad:
            return out.reshape(q2a.shape)
        d = xp.empty_like(flat)
        kern.vjp(flat, *arrays, xp.ones_like(flat), d)
        return out.reshape(q2a.shape), d.reshape(q2a.shape)

    def alphasQ(self, q, *, grad: bool = False):
        return self.alphasQ2(np.asarray(q) ** 2, grad=grad)


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
    """Open member ``member`` of PDF set ``name`` (default: the built-in NNPDF3.1 LO set).

    backend: "numhep" (numba kernels with adjoints, CPU or CUDA) or "lhapdf" (the
    ``lhapdf`` module, when installed; values only).
    """
    if backend == "numhep":
        return PDFSet(name, member, **kwargs)
    if backend == "lhapdf":
        try:
            return _LHAPDFBackend(name, member)
        except ImportError as exc:
            raise ImportError("backend='lhapdf' needs the lhapdf Python module, which is not installed") from exc
    raise ValueError(f"backend: unknown PDF backend {backend!r} (use 'numhep' or 'lhapdf')")
