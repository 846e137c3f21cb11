"""The reverse sweep of a phase-space map composed in Python from kernels.

A diagram channel's map chains invariant maps, t-channel and decay blocks whose bounds
depend on earlier invariants (``numhep.phasespace.diagram_channels``).  Each block is a
kernel with its hand-derived adjoint; the glue between them is a little arithmetic.  A
:class:`Tape` records the forward pass as it runs, every step with the vector-Jacobian
product it needs, and :meth:`Tape.backward` runs the steps in reverse order, so the map's
gradient is the chain of the kernels' adjoints, with no derivative written twice.

Values are numpy arrays with the events first; a :class:`Var` is a value that takes part
in the derivative, anything else is a constant.  The subgradient of max(a, b) goes to the
larger argument (to ``a`` on a tie); that of sqrt at 0 is 0.
"""

from __future__ import annotations

import numpy as np

from numhep.ops import call_kernel, call_vjp

__all__ = ["Tape", "Var"]


class Var:
    """A value on the tape, which takes part in the derivative.

    Parameters
    ----------
    value : numpy.ndarray
        The value, events first.

    Attributes
    ----------
    value : numpy.ndarray
        The value.
    grad : numpy.ndarray or None
        Its cotangent after :meth:`Tape.backward` (None until a sweep reaches it).
    """

    __slots__ = ("value", "grad")

    def __init__(self, value):
        self.value = value
        self.grad = None

    def _add_grad(self, g):
        g = _reduce_to(np.asarray(g, dtype=np.float64), np.shape(self.value))
        self.grad = g if self.grad is None else self.grad + g


def _value(a):
    return a.value if isinstance(a, Var) else a


def _reduce_to(g, shape):
    """Sum a cotangent over the axes its value was broadcast along."""
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead))) if lead > 0 else g
    axes = tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


class Tape:
    """A record of a forward pass, swept backwards for reverse-mode derivatives.

    Every step (a kernel with its adjoint, a :class:`numhep.ops.Op`, a bit of arithmetic) is
    recorded with the vector-Jacobian product it needs; :meth:`backward` runs them in
    reverse order.  A step none of whose inputs is a :class:`Var` is a constant and is not
    recorded.  The subgradient of max(a, b) goes to the larger argument (to ``a`` on a tie);
    that of sqrt at 0 is 0.

    Attributes
    ----------
    frame : tuple or None
        (s_hat, s_lab) of the map being run, once known.
    masses : Var or None
        The final-state masses (n, k) when the map's dependence on them is wanted.

    Examples
    --------
    >>> from numhep.phasespace.tape import Tape
    >>> tape = Tape()
    >>> x = tape.leaf([1.0, 4.0])
    >>> y = tape.mul(tape.sqrt(x), 3.0)
    >>> tape.backward([(y, 1.0)])
    >>> y.value.tolist(), x.grad.tolist()
    ([3.0, 6.0], [1.5, 0.75])
    """

    #: this tape takes the random numbers of a block as they are (:meth:`numbers`)
    wants_conditions = False

    def __init__(self):
        self._steps = []
        self.frame = None  # (s_hat, s_lab) of the map being run, once known
        #: the final-state masses as a (n, k) Var when the map's dependence on them is wanted
        self.masses = None

    def _record(self, inputs, outputs, vjp):
        if any(isinstance(a, Var) for a in inputs):
            self._steps.append((inputs, outputs, vjp))
        return outputs

    def leaf(self, value) -> Var:
        """A new input of the derivative.

        Parameters
        ----------
        value : array_like
            The value, events first.

        Returns
        -------
        Var
            The value as a C-contiguous float64 :class:`Var`.
        """
        return Var(np.ascontiguousarray(value, dtype=np.float64))

    def numbers(self, u, start: int, stop: int, kind: str, condition):
        """The random numbers u[:, start:stop] that a block of ``kind`` consumes.  This tape
        takes them as they are; a tape with trainable maps in front of the blocks transforms
        them under ``condition`` (the block's physical features)."""
        return self.column(u, start) if stop == start + 1 else self.columns(u, start, stop)

    # -- kernels with their adjoints --------------------------------------------------------
    def kernel(self, kernel, inputs, outputs, differentiable):
        """Run ``kernel(*inputs, *outputs)``, the outputs given as (shape, dtype); the inputs
        at the positions ``differentiable`` get cotangents from ``kernel.vjp(*inputs, *output
        cotangents, *input cotangents)``, numhep's calling convention."""
        values = [np.ascontiguousarray(_value(a)) if isinstance(_value(a), np.ndarray) else _value(a)
                  for a in inputs]
        result = [Var(o) for o in call_kernel(kernel, np, values, outputs)]

        def vjp(gouts):
            grads = call_vjp(kernel, np, values, [np.ascontiguousarray(g) for g in gouts], differentiable)
            full = [None] * len(inputs)
            for k, g in zip(differentiable, grads):
                full[k] = g
            return full

        self._record(list(inputs), result, vjp)
        return result

    def operation(self, op, *args):
        """A :class:`numhep.ops.Op` on the tape: its forward and its ``vjp`` on numpy arrays."""
        values = [_value(a) for a in args]
        result = [Var(o) for o in op.forward(np, *values)]
        names = list(op.signature.parameters)

        def vjp(gouts):
            grads = dict(zip(op.differentiable, op.vjp(*values, *gouts)))
            return [grads.get(names[k]) for k in range(len(args))]

        self._record(list(args), result, vjp)
        return result

    # -- arithmetic glue ----------------------------------------------------------------------
    def _elementwise(self, value, inputs, partials):
        """A value of ``inputs`` whose partial derivatives are ``partials`` (functions, called
        in the reverse sweep and only for the inputs on the tape); a value of constants stays
        a constant."""
        if not any(isinstance(a, Var) for a in inputs):
            return value
        out = Var(value)

        def vjp(gouts):
            with np.errstate(divide="ignore", invalid="ignore"):
                return [gouts[0] * d() if isinstance(a, Var) else None for a, d in zip(inputs, partials)]

        self._record(list(inputs), [out], vjp)
        return out

    def add(self, a, b):
        return self._elementwise(_value(a) + _value(b), (a, b), (lambda: 1.0, lambda: 1.0))

    def sub(self, a, b):
        return self._elementwise(_value(a) - _value(b), (a, b), (lambda: 1.0, lambda: -1.0))

    def mul(self, a, b):
        va, vb = _value(a), _value(b)
        return self._elementwise(va * vb, (a, b), (lambda: vb, lambda: va))

    def div(self, a, b):
        va, vb = _value(a), _value(b)
        return self._elementwise(va / vb, (a, b), (lambda: 1.0 / vb, lambda: -va / (vb * vb)))

    def sqrt(self, a):
        root = np.sqrt(_value(a))
        # at 0 the derivative is taken as 0: a massless leg's s = m^2 = 0 under mass tracking
        return self._elementwise(root, (a,), (lambda: np.where(root > 0, 0.5 / np.where(root > 0, root, 1.0), 0.0),))

    def square(self, a):
        va = _value(a)
        return self._elementwise(va * va, (a,), (lambda: 2.0 * va,))

    def maximum(self, a, b):
        va, vb = np.broadcast_arrays(_value(a), _value(b))
        first = va >= vb
        return self._elementwise(np.where(first, va, vb), (a, b), (lambda: first * 1.0, lambda: (~first) * 1.0))

    def minimum(self, a, b):
        va, vb = np.broadcast_arrays(_value(a), _value(b))
        first = va <= vb
        return self._elementwise(np.where(first, va, vb), (a, b), (lambda: first * 1.0, lambda: (~first) * 1.0))

    def column(self, a, j: int):
        """a[:, j] of a (n, k) value."""
        va = _value(a)
        out = Var(np.ascontiguousarray(va[:, j]))

        def vjp(gouts):
            g = np.zeros_like(va)
            g[:, j] = gouts[0]
            return [g]

        self._record([a], [out], vjp)
        return out

    def columns(self, a, start: int, stop: int):
        """a[:, start:stop] of a (n, k) value."""
        va = _value(a)
        out = Var(np.ascontiguousarray(va[:, start:stop]))

        def vjp(gouts):
            g = np.zeros_like(va)
            g[:, start:stop] = gouts[0]
            return [g]

        self._record([a], [out], vjp)
        return out

    def depending(self, value, on, slopes):
        """``value`` (n,) as a function of ``on`` (n, k) with the partial derivatives
        ``slopes`` (k,), the same for every event: a bound computed from the masses."""
        out = Var(np.asarray(value, dtype=np.float64))
        self._record([on], [out], lambda gouts: [gouts[0][:, None] * slopes[None, :]])
        return out

    def log(self, a):
        va = _value(a)
        return self._elementwise(np.log(va), (a,), (lambda: 1.0 / va,))

    def legs_sum(self, p, legs):
        """The four-momentum sum of legs ``legs`` of momenta p (n, legs, 4)."""
        vp = _value(p)
        legs = sorted(legs)
        out = Var(vp[:, legs].sum(axis=1))

        def vjp(gouts):
            g = np.zeros_like(vp)
            g[:, legs] = gouts[0][:, None, :]
            return [g]

        self._record([p], [out], vjp)
        return out

    def minkowski_square(self, q):
        """q^2 = q0^2 - |q|^2 of four-vectors q (n, 4)."""
        vq = _value(q)
        metric = np.array([1.0, -1.0, -1.0, -1.0])
        out = Var((vq * vq) @ metric)
        self._record([q], [out], lambda gouts: [gouts[0][:, None] * 2.0 * vq * metric])
        return out

    def concat(self, parts):
        """The columns of the parts, (n,) or (n, k) each, side by side: (n, sum of k)."""
        values = [_value(a) for a in parts]
        widths = [1 if v.ndim == 1 else v.shape[1] for v in values]
        out = Var(np.concatenate([v[:, None] if v.ndim == 1 else v for v in values], axis=1))

        def vjp(gouts):
            edges = np.cumsum([0, *widths])
            return [gouts[0][:, a] if v.ndim == 1 else gouts[0][:, a:b]
                    for v, a, b in zip(values, edges[:-1], edges[1:])]

        self._record(list(parts), [out], vjp)
        return out

    def stack(self, parts, axis: int = 1):
        out = Var(np.stack([_value(p) for p in parts], axis=axis))
        self._record(list(parts), [out], lambda gouts: list(np.moveaxis(gouts[0], axis, 0)))
        return out

    def product(self, parts):
        """The product of the values (events first), with its cotangents."""
        values = [_value(p) for p in parts]
        total = np.prod(values, axis=0)

        def others(k):
            rest = values[:k] + values[k + 1:]
            return lambda: np.prod(rest, axis=0) if rest else np.ones_like(total)

        return self._elementwise(total, parts, [others(k) for k in range(len(values))])

    # -- the reverse sweep --------------------------------------------------------------------
    def backward(self, seeds):
        """Run the recorded steps in reverse: ``seeds`` pairs output Vars with their
        cotangents; afterwards every Var that fed them holds its ``grad``.  A sweep starts from
        zero, so the tape can be swept again with other cotangents."""
        for inputs, outputs, _ in self._steps:
            for var in (*inputs, *outputs):
                if isinstance(var, Var):
                    var.grad = None
        for var, g in seeds:
            if isinstance(var, Var) and g is not None:
                var._add_grad(g)
        for inputs, outputs, vjp in reversed(self._steps):
            if all(o.grad is None for o in outputs):
                continue
            gouts = [o.grad if o.grad is not None else np.zeros_like(o.value) for o in outputs]
            for a, g in zip(inputs, vjp(gouts)):
                if isinstance(a, Var) and g is not None:
                    a._add_grad(g)
