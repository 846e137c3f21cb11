"""|M|^2 on torch tensors, differentiable in the momenta and in model input parameters.

    p = torch.tensor(momenta, requires_grad=True)                  # (n, legs, 4), float64
    m2 = numhep.torch.me(p, process="gg_tt")                        # (n,)
    m2.log().mean().backward()                                      # p.grad: d/dp^mu
    m2 = numhep.torch.me(p, "gg_tt", params={"MT": torch.tensor(173.0, requires_grad=True)})

The forward pass runs the compiled amplitude program; when autograd will need it, the
same call runs the program's adjoint sweep too (one forward and one reverse pass, see
:mod:`numhep.matrix_element`), and backward only scales the stored derivatives by the
incoming cotangent.  Parameters given as tensors receive d|M|^2/d(input) through the
derived couplings; plain numbers are fixed.
"""

from __future__ import annotations

import torch

from numhep.matrix_element import _resolve
from numhep.matrix_element import me as _me
from numhep.torch._bridge import apply, needs_grad

__all__ = ["me"]


def me(p, process, *, params: dict | None = None):
    """|M|^2 (n,) of ``process`` at momenta ``p`` (n, legs, 4) as a differentiable tensor."""
    proc = _resolve(process)
    params = dict(params or {})
    names = [k for k, v in params.items() if isinstance(v, torch.Tensor)]
    for k in names:
        if params[k].numel() != 1:
            raise ValueError(f"params[{k!r}]: expected one value (a 0-d tensor), got shape {tuple(params[k].shape)}")
    fixed = {k: float(v) for k, v in params.items() if k not in names}
    want = needs_grad(p, *(params[k] for k in names))
    derivatives = {}

    def forward(p_arr, *values):
        values = {**fixed, **{k: float(v) for k, v in zip(names, values)}}
        if not want:
            return (_me(p_arr, proc, params=values or None),)
        out, grads = _me(p_arr, proc, params=values or None, grad=("p", *names))
        derivatives.update(grads)
        return (out,)

    def vjp(args, cot):
        g = cot[0]
        return (g[:, None, None] * derivatives["p"], *(g * derivatives[k] for k in names))

    return apply(forward, vjp, p, *(params[k].reshape(()) for k in names))[0]
