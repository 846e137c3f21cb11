"""One autograd Function for every bridged numhep operation.

An operation is a pair of functions on arrays: ``forward(*arrays) -> tuple of arrays``
and ``vjp(arrays, cotangents) -> one cotangent (or None) per input``, the hand-derived
adjoints of :mod:`numhep.adjoint` behind numhep's ``*_vjp`` functions.  :func:`apply` runs
it on tensors and numbers:

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

__all__ = ["apply", "as_array", "needs_grad"]


def _check(tensors):
    dtypes = {t.dtype for t in tensors}
    devices = {t.device for t in tensors}
    if len(devices) > 1:
        raise ValueError(f"numhep.torch: tensors on different devices {sorted(map(str, devices))}; move them to one")
    if len(dtypes) > 1:
        raise TypeError(f"numhep.torch: tensors of different dtypes {sorted(map(str, dtypes))}; use one (float64, or float32 for single precision)")
    dtype = dtypes.pop()
    if not dtype.is_floating_point:
        raise TypeError(f"numhep.torch: expected floating-point tensors, got {dtype}")
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
            raise ImportError("numhep.torch: CUDA tensors need CuPy: pip install 'numhep[cuda]' "
                              "(CUDA 13 driver) or 'numhep[cuda12]' (CUDA 12 driver)") from exc
        return cupy.from_dlpack(t)
    raise ValueError(f"numhep.torch: tensors on {t.device.type} are not supported (cpu or cuda)")


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
    def forward(ctx, op, dtype, *tensors):
        outputs = op.forward(*op.arguments([as_array(t) for t in tensors]))
        ctx.op, ctx.dtype = op, dtype
        ctx.save_for_backward(*tensors)
        device = tensors[0].device
        return tuple(_as_tensor(o, dtype, device) for o in outputs)

    @staticmethod
    @once_differentiable
    def backward(ctx, *grads):
        tensors = ctx.saved_tensors
        op = ctx.op
        full = op.vjp(op.arguments([as_array(t) for t in tensors]), [as_array(g) for g in grads])
        out = [None, None]
        for k, pos in enumerate(op.positions):
            g = full[pos]
            if g is None or not ctx.needs_input_grad[2 + k]:
                out.append(None)
                continue
            out.append(_as_tensor(_reduce_to(g, tuple(tensors[k].shape)), ctx.dtype, tensors[k].device))
        return tuple(out)


class _Op:
    def __init__(self, forward, vjp, args):
        self.forward = forward
        self.vjp = vjp
        self.args = list(args)
        self.positions = tuple(k for k, a in enumerate(args) if isinstance(a, torch.Tensor))

    def arguments(self, arrays):
        """The argument list with every tensor replaced by its array."""
        args = list(self.args)
        for pos, a in zip(self.positions, arrays):
            args[pos] = a
        return args


def needs_grad(*args) -> bool:
    """Whether autograd will ask for a backward pass of an operation on ``args``."""
    return torch.is_grad_enabled() and any(isinstance(a, torch.Tensor) and a.requires_grad for a in args)


def apply(forward, vjp, *args):
    """``forward(*arrays)`` on ``args`` (tensors and plain values) with ``vjp`` as its backward.

    forward returns a tuple of arrays; vjp(args, cotangents) returns one cotangent (or
    None) per argument.  The result is a tuple of tensors."""
    op = _Op(forward, vjp, args)
    tensors = [args[k] for k in op.positions]
    if not tensors:
        raise TypeError("numhep.torch: give at least one tensor (numhep's own functions take numpy arrays)")
    return _Operation.apply(op, _check(tensors), *tensors)
