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
import re
import textwrap

from numhep import arrays

__all__ = ["Op", "call_kernel", "call_vjp", "cotangent", "kernel_op"]


class Op:
    """A differentiable operation on arrays: forward map, reverse mode and torch twin in one.

    The object is called like the public function it stands for: ``op(*args)`` decides the
    array library of the differentiable arguments once (numpy: CPU kernels, CuPy: CUDA
    kernels on the arrays' device, torch: one autograd Function, :mod:`numhep.autograd`,
    whose backward pass runs the adjoint) and returns the outputs on the caller's side.
    :meth:`vjp` is reverse mode on numpy or CuPy arrays, and :meth:`linearize` the value with
    its pullback.  Most operations are made by :func:`kernel_op` from a numba kernel and its
    hand-derived adjoint; a composition is declared here directly.

    Parameters
    ----------
    forward : callable
        ``forward(xp, *args, **kwargs)`` returning a tuple of ``n_outputs`` arrays of the
        array module ``xp``.
    vjp : callable
        ``vjp(xp, *args, *cotangents, **kwargs)`` returning one cotangent (or None) per name
        in ``differentiable``, in that order.
    signature : callable
        A function with the public signature, its first parameter ``xp`` left out of the
        operation's signature; its docstring documents the operation (unless ``doc`` is
        given).
    differentiable : sequence of str
        The arguments the operation is differentiable in (the events' data, whose array
        library decides where it runs).
    n_outputs : int
        Number of output arrays.
    result : type or None, optional
        What wraps the output tuple: ``tuple`` (default), a NamedTuple class, or ``None`` to
        return the single output itself.
    linearize : callable, optional
        ``linearize(xp, *args)`` returning ``(outputs, pullback)`` with the derivatives
        computed in the same pass as the value (``pullback(cotangents)`` then only contracts
        them), for operations whose adjoint costs little next to a second forward pass.
    constant_outputs : sequence of int, optional
        Indices of the outputs whose derivative is zero almost everywhere (torch returns them
        without a gradient).
    shared : sequence of str, optional
        Differentiable arguments with one value for all events (masses, say): they decide
        the array library only as torch tensors.
    name : str, optional
        The operation's name; default the signature function's name without leading
        underscores.
    doc : str, optional
        The docstring; default the signature function's.  A note on the array libraries and
        on :meth:`vjp`, which every operation shares, is added to it as its ``Notes``.

    Attributes
    ----------
    signature : inspect.Signature
        The public signature (without ``xp``).
    differentiable : tuple of str
        As given.
    n_outputs : int
        As given.

    Raises
    ------
    ValueError
        If ``differentiable`` names an argument that is not in the signature.

    Examples
    --------
    >>> from numhep import ops
    >>> def _square(xp, x):
    ...     'x squared.'
    >>> square = ops.Op(lambda xp, x: (xp.asarray(x) ** 2,),
    ...                 lambda xp, x, g: (2.0 * xp.asarray(x) * g,),
    ...                 signature=_square, differentiable=("x",), n_outputs=1, result=None)
    >>> square(np.array([1.0, 3.0]))
    array([1., 9.])
    >>> square.vjp(np.array([1.0, 3.0]), 1.0)
    (array([2., 6.]),)
    """

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
        self.__doc__ = _with_array_note(doc or signature.__doc__, self.__name__, params, self.differentiable)
        self.__signature__ = self.signature

    def __repr__(self):
        return f"<numhep op {self.__name__}{self.signature}>"

    def bind(self, args, kwargs) -> inspect.BoundArguments:
        """The call's arguments by name, defaults applied.

        Parameters
        ----------
        args : tuple
            Positional arguments of a call.
        kwargs : dict
            Keyword arguments of a call.

        Returns
        -------
        inspect.BoundArguments
            The arguments bound to :attr:`signature`.

        Raises
        ------
        TypeError
            If the arguments do not fit the signature (the message names the operation).
        """
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.__name__}: {exc}") from None
        bound.apply_defaults()
        return bound

    def wrap(self, outputs):
        """The output tuple as the caller gets it: wrapped in ``result``, or its single output.

        Parameters
        ----------
        outputs : sequence
            The arrays ``forward`` returned.

        Returns
        -------
        object
            ``result(*outputs)``, a tuple, or ``outputs[0]`` when ``result`` is None.
        """
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
        the operation runs.

        Tables, masses and other settings may stay numpy arrays or lists.  An argument in
        ``shared`` (one value for all events, such as the masses) decides it only as a torch
        tensor, so numpy masses go with events on a device.

        Parameters
        ----------
        bound : inspect.BoundArguments
            A call's arguments, from :meth:`bind`.

        Returns
        -------
        list
            The arguments that decide the array library.
        """
        return [bound.arguments[name] for name in self.differentiable
                if name not in self.shared or arrays.kind(bound.arguments[name]) == "torch"]

    def linearize(self, xp, bound):
        """The outputs and their pullback at the bound arguments.

        Parameters
        ----------
        xp : module
            The array module (numpy or cupy) of the arguments.
        bound : inspect.BoundArguments
            A call's arguments, from :meth:`bind`.

        Returns
        -------
        outputs : tuple
            The outputs of ``forward``.
        pullback : callable
            ``pullback(cotangents)``: the cotangents of the differentiable arguments given
            one cotangent per output.
        """
        if self._linearize is not None:
            return self._linearize(xp, *bound.args, **bound.kwargs)
        outputs = self.forward(xp, *bound.args, **bound.kwargs)
        return outputs, lambda cotangents: self._vjp(xp, *bound.args, *cotangents, **bound.kwargs)

    def vjp(self, *args, **kwargs):
        """Reverse mode: the cotangents of the differentiable arguments.

        Parameters
        ----------
        *args
            The operation's arguments, then one cotangent per output (a scalar broadcasts
            to the output's shape).
        **kwargs
            The operation's keyword arguments.

        Returns
        -------
        tuple
            One cotangent per name in :attr:`differentiable`, in that order, shaped like the
            argument after broadcasting to one value per event (see :mod:`numhep.ops`).

        Raises
        ------
        TypeError
            If the number of arguments does not fit the signature plus ``n_outputs``
            cotangents, or the arrays are torch tensors (autograd differentiates those).
        """
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

    The kernel is called as ``kernel(*inputs, *outputs)`` and its adjoint as
    ``kernel.vjp(*inputs, *output cotangents, *scratch, *input cotangents)``, the input
    cotangents in the order of ``differentiable``: the calling convention of numhep's
    kernels (:mod:`numhep.kernels._target`).  One registration gives the function on numpy,
    CuPy and torch arrays and its ``vjp``; the docstring of ``signature`` documents it.

    Parameters
    ----------
    kernel : numhep kernel
        The forward kernel, with its adjoint attached as ``kernel.vjp``.
    signature : callable
        ``signature(xp, *public args)``: checks the caller's arguments and returns the
        kernel's inputs as a tuple (arrays of ``xp`` and plain numbers) and a dict mapping
        each name in ``differentiable`` to the index of its kernel input.  Its name (without
        leading underscores) names the operation.
    outputs : sequence of str
        Names of the outputs; the cotangent of output ``name`` is called ``grad_<name>`` in
        errors.
    shapes : callable
        ``shapes(inputs)``: the (shape, dtype) of each output.
    differentiable : sequence of str
        The arguments whose cotangents the adjoint computes.
    scratch : callable, optional
        ``scratch(inputs)``: the (shape, dtype) of each scratch array of the adjoint.
    result : type or None, optional
        What wraps the outputs (see :class:`Op`).
    per_event : sequence of str, optional
        Differentiable inputs shared by all events (a list of masses, say): each gets one
        cotangent per event, shaped (n_events,) + its shape, as the gradient convention
        asks; the kernel writes row i of it.

    Returns
    -------
    Op
        The operation.

    Examples
    --------
    >>> from numhep.phasespace import blocks
    >>> op = blocks.power_law_map
    >>> op.__name__, op.differentiable
    ('power_law_map', ('z', 's_min', 's_max'))
    """
    names = tuple(f"grad_{name}" for name in outputs)

    def forward(xp, *args, **kwargs):
        inputs, _ = signature(xp, *args, **kwargs)
        return call_kernel(kernel, xp, inputs, shapes(inputs))

    def vjp(xp, *args, **kwargs):
        n_args = len(args) - len(names)
        inputs, grads = signature(xp, *args[:n_args], **kwargs)
        cotangents = tuple(cotangent(c, shape, name, xp)
                           for c, (shape, _), name in zip(args[n_args:], shapes(inputs), names))
        positions = [grads[name] for name in differentiable]
        n = shapes(inputs)[0][0][0]
        result_shapes = [(n, *inputs[k].shape) if name in per_event else None
                         for name, k in zip(differentiable, positions)]
        return call_vjp(kernel, xp, inputs, cotangents, positions, scratch(inputs) if scratch else (), result_shapes)

    return Op(forward, vjp, signature=signature, differentiable=differentiable, n_outputs=len(names),
              result=result, shared=per_event, name=signature.__name__.lstrip("_"))


def call_kernel(kernel, xp, inputs, shapes):
    """Run ``kernel(*inputs, *outputs)`` on fresh output arrays.

    Parameters
    ----------
    kernel : numhep kernel
        The kernel.
    xp : module
        The array module (numpy or cupy) of the outputs.
    inputs : tuple
        The kernel's inputs.
    shapes : sequence of (tuple, dtype)
        The shape and dtype of each output.

    Returns
    -------
    tuple of arrays
        The outputs the kernel wrote.
    """
    outs = tuple(xp.empty(shape, dtype=dtype) for shape, dtype in shapes)
    kernel(*inputs, *outs)
    return outs


def call_vjp(kernel, xp, inputs, cotangents, positions, scratch=(), result_shapes=None):
    """Run ``kernel.vjp(*inputs, *output cotangents, *scratch, *input cotangents)``.

    This is numhep's calling convention for adjoint kernels (:mod:`numhep.kernels._target`).

    Parameters
    ----------
    kernel : numhep kernel
        The kernel, its adjoint attached as ``kernel.vjp``.
    xp : module
        The array module (numpy or cupy).
    inputs : tuple
        The kernel's inputs.
    cotangents : tuple of arrays
        One cotangent per output, shaped like the output.
    positions : sequence of int
        Indices into ``inputs`` of the inputs whose cotangents are wanted, in order.
    scratch : sequence of (tuple, dtype), optional
        Shape and dtype of each scratch array of the adjoint.
    result_shapes : sequence of tuple or None, optional
        Shape of each input cotangent; None (for all, or for one) keeps its input's shape.

    Returns
    -------
    tuple of arrays
        The cotangents of the inputs at ``positions``.
    """
    work = tuple(xp.empty(shape, dtype=dtype) for shape, dtype in scratch)
    result_shapes = result_shapes or [None] * len(positions)
    results = tuple(xp.empty_like(inputs[k]) if shape is None else xp.empty(shape, dtype=inputs[k].dtype)
                    for k, shape in zip(positions, result_shapes))
    kernel.vjp(*inputs, *cotangents, *work, *results)
    return results


def _with_array_note(doc, name, params, differentiable):
    """``doc`` with the note every operation shares (which arrays it takes, how it is
    differentiated), written once here rather than in each declaration, as the first
    paragraph of its ``Notes`` section (a ``Notes`` section is made before ``References`` or
    ``Examples`` where there is none)."""
    if not doc:
        return doc
    text = inspect.cleandoc(doc)
    args = ", ".join(p.name for p in params)
    note = textwrap.fill(
        f"A differentiable operation (:mod:`numhep.ops`): numpy arrays run the CPU kernel, CuPy arrays the CUDA "
        "kernel on their device, and torch tensors (the operations are re-exported by :mod:`numhep.torch`; "
        "the same function, not a copy) give torch tensors that autograd differentiates through the "
        f"hand-derived adjoint kernel.  On numpy or CuPy arrays, ``{name}.vjp({args}, *output_cotangents)`` "
        f"returns the cotangents of {', '.join(f'``{d}``' for d in differentiable)}, each with one row per "
        "event (reverse mode).", width=88, break_on_hyphens=False, break_long_words=False)
    header = re.search(r"^Notes\n-----\n", text, flags=re.M)
    if header:
        return f"{text[:header.end()]}{note}\n\n{text[header.end():]}"
    following = re.search(r"^(References\n----------|Examples\n--------)$", text, flags=re.M)
    at = following.start() if following else len(text)
    return f"{text[:at].rstrip()}\n\nNotes\n-----\n{note}\n\n{text[at:]}".rstrip() + "\n"


def cotangent(c, shape, name, xp):
    """A cotangent as a C-contiguous float64 array of the output's shape (scalars broadcast);
    an error naming ``name`` when it does not broadcast to ``shape``."""
    a = arrays.as_float64(c, name, xp)
    try:
        return xp.ascontiguousarray(xp.broadcast_to(a, shape))
    except ValueError:
        raise ValueError(f"{name}: expected shape {tuple(shape)} (or one that broadcasts to it), "
                         f"got {tuple(a.shape)}") from None
