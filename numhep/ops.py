"""Differentiable operations, each declared once: kernel, outputs, adjoint, and the three
functions made from them.

An operation is registered with :func:`kernel_op` (one numba kernel and its hand-derived
adjoint, :mod:`numhep.kernels` / :mod:`numhep.adjoint`) or with :class:`Op` (a composition
given as a forward function and its vector-Jacobian product).  The registration gives

* ``op(*args)``: the function on the caller's arrays.  numpy arrays run the CPU kernels,
  CuPy arrays the CUDA kernels on their device, torch tensors go through one autograd
  Function (:mod:`numhep.autograd`) whose backward runs the adjoint.  The array library is
  decided here, once, where the call enters numhep (``numhep.me``, whose arguments are a
  process and a dict of parameters, decides it at its own entry the same way), and carried
  down as the array module ``xp``;
* ``op.vjp(*args, *cotangents)``: reverse mode on arrays, the cotangents of the
  differentiable arguments (``op.differentiable``, in that order) given those of the outputs;
* ``op.forward(xp, *args)``: the forward map on arrays of the array module ``xp``, for
  callers inside numhep that decided the array kind once already and must not decide it again.

Gradient convention (all of numhep's public API): reverse mode.  A differentiable function
``f`` has ``f.vjp(inputs..., output cotangents...)`` returning one cotangent per
differentiable input, shaped like the input after broadcasting to one value per event (a
scalar ``sqrt_s`` gets one derivative per event).  Functions whose output is one number per
event (``numhep.me``, ``PDFSet.xfxQ2``, ``PDFSet.alphasQ2``) also take ``grad=``: the
gradient returned beside the value, which is ``vjp`` with a cotangent of one for each event.
torch tensors get their gradients from autograd.

Adding a differentiable kernel: write the kernel, its adjoint, and one :func:`kernel_op`
registration in the module of the public function; nothing else.
"""

from __future__ import annotations

import inspect

from numhep import arrays

__all__ = ["Op", "call_kernel", "call_vjp", "kernel_op"]


class Op:
    """A differentiable operation on arrays: see the module docstring.

    ``forward(xp, *args, **kwargs)`` returns a tuple of arrays; ``vjp(xp, *args,
    *cotangents, **kwargs)`` returns one cotangent (or None) per name in ``differentiable``.
    ``linearize(xp, *args)``, when given, returns ``(outputs, pullback)`` with the
    derivatives computed in the same pass as the value (``pullback(cotangents)`` then only
    contracts them), for operations whose adjoint costs little next to a second forward
    pass.  ``signature`` is a function with the public signature (its first parameter,
    ``xp``, left out); ``constant_outputs`` numbers the outputs whose derivative is zero
    almost everywhere (torch returns them without a gradient); ``result`` wraps the output tuple (a NamedTuple, or ``None`` to
    return the single output itself)."""

    def __init__(self, forward, vjp, *, signature, differentiable, n_outputs, result=tuple, linearize=None,
                 constant_outputs=(), shared=(), name=None, doc=None):
        self.forward = forward
        self._vjp = vjp
        self._linearize = linearize
        params = list(inspect.signature(signature).parameters.values())[1:]
        self.signature = inspect.Signature(params)
        self.differentiable = tuple(differentiable)
        unknown = set(self.differentiable) - {p.name for p in params}
        if unknown:
            raise ValueError(f"op {name}: differentiable arguments {sorted(unknown)} are not in its signature")
        self.n_outputs = n_outputs
        self.constant_outputs = tuple(constant_outputs)
        self.shared = tuple(shared)
        self.result = result
        self.__name__ = name or signature.__name__.lstrip("_")
        self.__doc__ = doc or signature.__doc__
        self.__signature__ = self.signature

    def __repr__(self):
        return f"<numhep op {self.__name__}{self.signature}>"

    def bind(self, args, kwargs) -> inspect.BoundArguments:
        """The call's arguments by name, defaults applied."""
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.__name__}: {exc}") from None
        bound.apply_defaults()
        return bound

    def wrap(self, outputs):
        if self.result is None:
            return outputs[0]
        return self.result(*outputs) if self.result is not tuple else tuple(outputs)

    def __call__(self, *args, **kwargs):
        bound = self.bind(args, kwargs)
        kind = arrays.kind(*self.data(bound))
        if kind == "torch":
            from numhep import autograd  # torch is an optional dependency: loaded with the first tensor

            return self.wrap(autograd.apply_op(self, bound))
        return self.wrap(self.forward(arrays.module(kind), *bound.args, **bound.kwargs))

    def data(self, bound):
        """The differentiable arguments: the events' data, whose array library decides where
        the operation runs (tables, masses and other settings may stay numpy or lists).  An
        argument in ``shared`` (one value for all events, such as the masses) decides it only
        as a torch tensor, so numpy masses go with events on a device."""
        return [bound.arguments[name] for name in self.differentiable
                if name not in self.shared or arrays.kind(bound.arguments[name]) == "torch"]

    def linearize(self, xp, bound):
        """(outputs, pullback) at the bound arguments."""
        if self._linearize is not None:
            return self._linearize(xp, *bound.args, **bound.kwargs)
        outputs = self.forward(xp, *bound.args, **bound.kwargs)
        return outputs, lambda cotangents: self._vjp(xp, *bound.args, *cotangents, **bound.kwargs)

    def vjp(self, *args, **kwargs):
        """Cotangents of the differentiable arguments, given the arguments and then one
        cotangent per output (scalars broadcast): see the module docstring."""
        n_in = len(self.signature.parameters)
        positional = list(args)
        cotangents = positional[len(positional) - self.n_outputs:]
        if len(positional) < self.n_outputs or len(positional) - self.n_outputs > n_in:
            raise TypeError(f"{self.__name__}.vjp: give the arguments of {self.__name__}{self.signature} "
                            f"followed by {self.n_outputs} output cotangent(s)")
        bound = self.bind(positional[: len(positional) - self.n_outputs], kwargs)
        xp = arrays.module(arrays.kind(*self.data(bound), *cotangents))
        return self._vjp(xp, *bound.args, *cotangents, **bound.kwargs)


def kernel_op(kernel, *, signature, outputs, shapes, differentiable, scratch=None, result=tuple, per_event=()):
    """Register a kernel and its adjoint as an :class:`Op`.

    ``signature(xp, *public args)`` checks the caller's arguments and returns the kernel's
    inputs as a tuple (arrays of ``xp`` and plain numbers) and a dict mapping each name in
    ``differentiable`` to the index of its kernel input.  ``outputs`` names the outputs (the
    cotangent of output ``name`` is called ``grad_<name>`` in errors); ``shapes(inputs)``
    gives the (shape, dtype) of each output and ``scratch(inputs)`` those of the adjoint's
    scratch arrays.  The kernel is called as ``kernel(*inputs, *outputs)`` and its adjoint as
    ``kernel.vjp(*inputs, *output cotangents, *scratch, *input cotangents)``, the input
    cotangents in the order of ``differentiable``: the calling convention of numhep's
    kernels (:mod:`numhep.kernels._target`).  A differentiable input in ``per_event`` is
    shared by all events (a list of masses, say) and gets one cotangent per event, shaped
    (n_events, *its shape), as the gradient convention asks; the kernel writes row i of it."""
    names = tuple(f"grad_{name}" for name in outputs)

    def forward(xp, *args, **kwargs):
        inputs, _ = signature(xp, *args, **kwargs)
        return call_kernel(kernel, xp, inputs, shapes(inputs))

    def vjp(xp, *args, **kwargs):
        n_args = len(args) - len(names)
        inputs, grads = signature(xp, *args[:n_args], **kwargs)
        cotangents = tuple(_cotangent(c, shape, name, xp)
                           for c, (shape, _), name in zip(args[n_args:], shapes(inputs), names))
        positions = [grads[name] for name in differentiable]
        n = shapes(inputs)[0][0][0]
        result_shapes = [(n, *inputs[k].shape) if name in per_event else None
                         for name, k in zip(differentiable, positions)]
        return call_vjp(kernel, xp, inputs, cotangents, positions, scratch(inputs) if scratch else (), result_shapes)

    return Op(forward, vjp, signature=signature, differentiable=differentiable, n_outputs=len(names),
              result=result, shared=per_event, name=signature.__name__.lstrip("_"))


def call_kernel(kernel, xp, inputs, shapes):
    """``kernel(*inputs, *outputs)`` with fresh outputs of the given (shape, dtype); the outputs."""
    outs = tuple(xp.empty(shape, dtype=dtype) for shape, dtype in shapes)
    kernel(*inputs, *outs)
    return outs


def call_vjp(kernel, xp, inputs, cotangents, positions, scratch=(), result_shapes=None):
    """``kernel.vjp(*inputs, *output cotangents, *scratch, *input cotangents)``, numhep's
    calling convention (:mod:`numhep.kernels._target`): the cotangents of the inputs at
    ``positions``, in that order, shaped like their inputs unless ``result_shapes`` gives a
    shape (None keeps the input's)."""
    work = tuple(xp.empty(shape, dtype=dtype) for shape, dtype in scratch)
    result_shapes = result_shapes or [None] * len(positions)
    results = tuple(xp.empty_like(inputs[k]) if shape is None else xp.empty(shape, dtype=inputs[k].dtype)
                    for k, shape in zip(positions, result_shapes))
    kernel.vjp(*inputs, *cotangents, *work, *results)
    return results


def _cotangent(c, shape, name, xp):
    """A cotangent as a C-contiguous float64 array of the output's shape (scalars broadcast)."""
    a = arrays.as_float64(c, name, xp)
    try:
        return xp.ascontiguousarray(xp.broadcast_to(a, shape))
    except ValueError:
        raise ValueError(f"{name}: expected shape {tuple(shape)} (or one that broadcasts to it), "
                         f"got {tuple(a.shape)}") from None
