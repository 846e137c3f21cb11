"""One autograd Function for every differentiable numhep operation on torch tensors.

:mod:`numhep.ops` sends an operation called with torch tensors here (:func:`apply_op`): the
forward pass runs its kernels on the tensors' memory, the backward pass its hand-derived
adjoint (:mod:`numhep.adjoint`).  :func:`apply` does the same for a linearization given as a
function, for operations whose arguments are not positional arrays (``numhep.me`` with
parameter tensors).  This module imports torch; :mod:`numhep.ops` loads it with the first tensor.

* CPU tensors reach the kernels as numpy views of the same memory (``Tensor.numpy``, no
  copy for contiguous float64 tensors) and the outputs come back with ``torch.from_numpy``;
* CUDA tensors go through DLPack to CuPy, so numhep runs its CUDA kernels on the tensor's
  device, and come back the same way: nothing is copied to the host;
* every tensor input must have one dtype and one device (a clear error otherwise).
  float64 and float32 tensors reach numhep in their own dtype: ``numhep.me`` computes
  float32 momenta in single precision, every other operation in float64, and outputs are
  returned in the inputs' dtype.  Other floating dtypes (half, bfloat16) are computed in
  float64.

Cotangents are summed down to each input's shape (a 0-d ``sqrt_s`` gets the sum of the
per-event derivatives).  The backward pass is once-differentiable: it runs the adjoint
kernels, which have no adjoints of their own.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.autograd.function import once_differentiable

__all__ = ["apply", "apply_op", "as_array", "needs_grad"]


def _check(tensors):
    dtypes = {t.dtype for t in tensors}
    devices = {t.device for t in tensors}
    if len(devices) > 1:
        raise ValueError(f"numhep: tensors on different devices {sorted(map(str, devices))}; move them to one")
    if len(dtypes) > 1:
        raise TypeError(f"numhep: tensors of different dtypes {sorted(map(str, dtypes))}; use one (float64, or float32 for single precision)")
    dtype = dtypes.pop()
    if not dtype.is_floating_point:
        raise TypeError(f"numhep: expected floating-point tensors, got {dtype}")
    return dtype


def as_array(t: torch.Tensor):
    """The tensor as a float64 or float32 numpy (CPU) or CuPy (CUDA) array, sharing memory
    where it can."""
    t = t.detach()
    if t.dtype not in (torch.float64, torch.float32):
        t = t.to(torch.float64)
    if not t.is_contiguous():
        t = t.contiguous()
    if t.device.type == "cpu":
        return t.numpy()
    if t.device.type == "cuda":
        try:
            import cupy
        except ImportError as exc:  # pragma: no cover - needs a GPU machine
            raise ImportError("numhep: CUDA tensors need CuPy: pip install 'numhep[cuda]' "
                              "(CUDA 13 driver) or 'numhep[cuda12]' (CUDA 12 driver)") from exc
        return cupy.from_dlpack(t)
    raise ValueError(f"numhep: tensors on {t.device.type} are not supported (cpu or cuda)")


def _as_tensor(a, dtype, device):
    if isinstance(a, (np.ndarray, np.generic)):  # np.generic: a cotangent summed to a 0-d input
        out = torch.as_tensor(np.asarray(a))  # shares memory with a contiguous array
    else:  # CuPy
        out = torch.from_dlpack(a)
    return out.to(dtype=dtype, device=device)


def _reduce_to(g, shape):
    """Sum a cotangent over the axes an input was broadcast along."""
    if tuple(g.shape) == tuple(shape):
        return g
    if len(shape) == 0:
        return g.sum()
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead))) if lead > 0 else g
    axes = tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


class _Operation(torch.autograd.Function):
    @staticmethod
    def forward(ctx, linearize, constant, dtype, *tensors):
        outputs, pullback = linearize([as_array(t) for t in tensors])
        ctx.pullback, ctx.dtype = pullback, dtype
        ctx.shapes = [tuple(t.shape) for t in tensors]
        ctx.device = tensors[0].device
        result = tuple(_as_tensor(o, dtype, ctx.device) for o in outputs)
        ctx.mark_non_differentiable(*(result[k] for k in constant))
        return result

    @staticmethod
    @once_differentiable
    def backward(ctx, *grads):
        full = ctx.pullback([as_array(g) for g in grads])
        out = [None, None, None]
        for k, g in enumerate(full):
            if g is None or not ctx.needs_input_grad[3 + k]:
                out.append(None)
                continue
            out.append(_as_tensor(_reduce_to(g, ctx.shapes[k]), ctx.dtype, ctx.device))
        return tuple(out)


def needs_grad(*args) -> bool:
    """Whether autograd will ask for a backward pass of an operation on ``args``."""
    return torch.is_grad_enabled() and any(isinstance(a, torch.Tensor) and a.requires_grad for a in args)


def apply(linearize, *tensors, constant=()):
    """Outputs (a tuple of tensors) of ``linearize(arrays) -> (outputs, pullback)`` on
    ``tensors``, with ``pullback(output cotangents) -> one cotangent (or None) per tensor`` as
    the backward pass; the outputs numbered in ``constant`` carry no gradient."""
    if not tensors:
        raise TypeError("numhep.autograd: give at least one tensor")
    # an array beside the tensors (numpy momenta with a tensor parameter) joins them as a constant
    device = next((t.device for t in tensors if isinstance(t, torch.Tensor)), torch.device("cpu"))
    tensors = tuple(t if isinstance(t, torch.Tensor) else torch.as_tensor(np.asarray(t), device=device)
                    for t in tensors)
    return _Operation.apply(linearize, tuple(constant), _check(tensors), *tensors)


def apply_op(op, bound):
    """``op`` (a :class:`numhep.ops.Op`) on bound arguments holding torch tensors.

    Tensor arguments are the autograd inputs: those named in ``op.differentiable`` receive
    gradients, other tensors are constants (their values are passed as arrays).  The
    derivatives are computed in the forward pass only when autograd will need them."""
    names = list(bound.arguments)
    positions = [k for k, name in enumerate(names) if isinstance(bound.arguments[name], torch.Tensor)]
    tensors = [bound.arguments[names[k]] for k in positions]
    xp_kind = {t.device.type for t in tensors}
    want = needs_grad(*tensors)

    def linearize(arrays):
        for k, a in zip(positions, arrays):
            bound.arguments[names[k]] = a
        xp = np if xp_kind == {"cpu"} else _cupy()
        if not want:
            return op.forward(xp, *bound.args, **bound.kwargs), None
        outputs, pullback = op.linearize(xp, bound)

        def cotangents(grads):
            per_name = dict(zip(op.differentiable, pullback(grads)))
            return [per_name.get(names[k]) for k in positions]

        return outputs, cotangents

    return apply(linearize, *tensors, constant=op.constant_outputs)


def _cupy():
    import cupy

    return cupy
