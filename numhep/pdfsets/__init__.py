"""PDF sets: LHAPDF6 grids read from disk and evaluated by numhep's kernels, with alpha_s."""

from numhep.pdfsets.lhapdf_grid import PDFNotFoundError, available_sets
from numhep.pdfsets.parton_density import PDFSet, pdf

__all__ = ["PDFNotFoundError", "PDFSet", "available_sets", "pdf"]
