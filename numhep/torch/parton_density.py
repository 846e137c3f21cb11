"""Parton densities and alpha_s on torch tensors, differentiable in x and Q^2.

    pdf = numhep.pdf()
    xf = numhep.torch.xfxQ2(pdf, 21, x, q2)        # x, q2: tensors (broadcast)
    a_s = numhep.torch.alphasQ2(pdf, q2)

The backward pass multiplies by the exact derivatives of the grid interpolation (and of
the alpha_s running or table) from :mod:`numhep.adjoint.pdf_interpolation` and
:mod:`numhep.adjoint.alpha_s`.
"""

from __future__ import annotations

from numhep.torch._bridge import apply

__all__ = ["alphasQ2", "xfxQ2"]


def xfxQ2(pdf, pid: int, x, q2):
    """x f(x, Q^2) of parton ``pid`` from the set ``pdf`` (a :class:`numhep.PDFSet`)."""
    derivatives = {}

    def forward(x, q2):
        xf, dx, dq2 = pdf.xfxQ2(pid, x, q2, grad=True)
        derivatives.update(x=dx, q2=dq2)
        return (xf,)

    return apply(forward, lambda a, c: (c[0] * derivatives["x"], c[0] * derivatives["q2"]), x, q2)[0]


def alphasQ2(pdf, q2):
    """alpha_s(Q^2) of the set ``pdf``."""
    derivative = {}

    def forward(q2):
        a, d = pdf.alphasQ2(q2, grad=True)
        derivative["q2"] = d
        return (a,)

    return apply(forward, lambda a, c: (c[0] * derivative["q2"],), q2)[0]
