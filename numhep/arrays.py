"""Which array library the caller holds, so outputs live where inputs lived.

numpy arrays run the CPU kernels; CuPy arrays (anything with
``__cuda_array_interface__``) run the CUDA kernels on the array's device.
Float64 is the working precision of every kernel; ``numhep.me`` also runs in float32 on
float32 momenta (its single-precision mode, see :mod:`numhep.amplitudes.matrix_element`).
"""

from __future__ import annotations

import numpy as np


def kind(*objects) -> str:
    """The array library of the arrays among ``objects``.

    Anything else (numbers, lists, a PDF set or a grid) is neutral.  Torch tensors may meet
    numpy arrays and plain numbers, which autograd treats as constants.

    Parameters
    ----------
    *objects : object
        The arguments of a call.

    Returns
    -------
    str
        ``"torch"`` if any is a torch tensor, ``"cupy"`` if they are CuPy arrays (anything
        with ``__cuda_array_interface__``), else ``"numpy"`` (also when there is no array).

    Raises
    ------
    TypeError
        For a mixture of CuPy and numpy arrays, or of torch tensors and CuPy arrays.

    Examples
    --------
    >>> from numhep import arrays
    >>> arrays.kind(np.zeros(3), 2.0, [1, 2])
    'numpy'
    """
    kinds = {_kind(a) for a in objects} - {None}
    if "torch" in kinds:
        if "cupy" in kinds:
            raise TypeError("arrays of different libraries: torch tensors and CuPy arrays (use one)")
        return "torch"
    if kinds == {"cupy"}:
        return "cupy"
    if "cupy" in kinds:
        raise TypeError(f"arrays on different devices: {sorted(kinds)} (move them to one device)")
    return "numpy"


def module(kind_name: str):
    """The array module of a :func:`kind`.

    Parameters
    ----------
    kind_name : {'numpy', 'cupy'}
        An array library; torch tensors are handled by the caller (:mod:`numhep.ops`).

    Returns
    -------
    module
        numpy or cupy.

    Raises
    ------
    TypeError
        For ``"torch"``: numhep's differentiable functions take tensors, not this level.
    """
    if kind_name == "numpy":
        return np
    if kind_name == "cupy":
        import cupy

        return cupy
    raise TypeError("torch tensors are not accepted here: numhep's differentiable functions take them "
                    "(numhep.ops) and return tensors that autograd differentiates")


def namespace(*arrays):
    """The array module (numpy or cupy) of the given arrays.

    Parameters
    ----------
    *arrays : object
        The arrays (other objects are neutral).

    Returns
    -------
    module
        numpy or cupy.

    Raises
    ------
    TypeError
        For mixtures of libraries, and for torch tensors.
    """
    return module(kind(*arrays))


def _kind(a) -> str | None:
    if isinstance(a, np.ndarray):
        return "numpy"
    if type(a).__module__.split(".")[0] == "torch" and hasattr(a, "requires_grad"):
        return "torch"
    if hasattr(a, "__cuda_array_interface__"):
        return "cupy"
    return None


def as_float64(x, name: str, xp=np):
    """``x`` as a C-contiguous float64 array of ``xp``.

    Parameters
    ----------
    x : array_like
        Real numbers (float, int or unsigned dtypes).
    name : str
        The argument's name, for the error message.
    xp : module, optional
        The array module (default numpy).

    Returns
    -------
    array of float64
        ``x`` converted (not copied when it already is one).

    Raises
    ------
    TypeError
        If ``x`` is not real numbers (complex, bool, strings, objects).
    """
    arr = xp.asarray(x)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected a real floating array, got dtype {arr.dtype}")
    arr = arr.astype(xp.float64, copy=False)
    # ascontiguousarray would turn a 0-d array into shape (1,)
    return arr if arr.flags.c_contiguous else xp.ascontiguousarray(arr)


def momenta(p, name: str = "p", xp=np, single: bool = False):
    """Validate four-momenta and return them as float64.

    Parameters
    ----------
    p : array_like, shape ``(..., 4)``
        Momenta, at least two-dimensional: (n, 4) or (n, legs, 4).
    name : str, optional
        The argument's name, for error messages (default ``"p"``).
    xp : module, optional
        The array module (default numpy).
    single : bool, optional
        Keep float32 momenta in float32 (the caller computes in single precision).

    Returns
    -------
    array
        C-contiguous momenta in float64 (or float32 with ``single``).

    Raises
    ------
    ValueError
        If the shape is not (..., 4) with at least two axes, or a value is not finite.
    TypeError
        If the momenta are not real numbers.
    """
    arr = xp.asarray(p)
    if single and arr.dtype == xp.float32:
        arr = arr if arr.flags.c_contiguous else xp.ascontiguousarray(arr)
    else:
        arr = as_float64(arr, name, xp)
    if arr.ndim < 2 or arr.shape[-1] != 4:
        raise ValueError(
            f"{name}: expected momenta of shape (n, 4) or (n, legs, 4), got {tuple(arr.shape)}"
        )
    if not bool(xp.all(xp.isfinite(arr))):
        raise ValueError(f"{name}: momenta contain NaN or infinity")
    return arr


def workspace(xp, shape, dtype=np.float64):
    """An uninitialised per-event kernel workspace, events first as kernels index it.

    On the host it is C-ordered: one event's data is contiguous for the cache.  On a device
    the events are innermost in memory, a strided view with the same indexing: the threads
    of a warp then read consecutive addresses for the same slot, one coalesced access
    instead of a cache line per thread.

    Parameters
    ----------
    xp : module
        The array module (numpy or cupy).
    shape : tuple of int
        The shape, events first.
    dtype : dtype, optional
        The dtype (default float64).

    Returns
    -------
    array
        The workspace.
    """
    if xp is np:
        return np.empty(shape, dtype=dtype)
    return xp.moveaxis(xp.empty(tuple(shape[1:]) + (shape[0],), dtype=dtype), -1, 0)


def event_ranges(n: int, per_chunk: int):
    """Consecutive chunks of events, for kernels whose workspaces grow with the events.

    Parameters
    ----------
    n : int
        Number of events.
    per_chunk : int
        Most events per chunk (at least 1 is used).

    Yields
    ------
    tuple of int
        (start, stop) of each chunk.

    Examples
    --------
    >>> from numhep import arrays
    >>> list(arrays.event_ranges(5, 2))
    [(0, 2), (2, 4), (4, 5)]
    """
    per_chunk = max(1, int(per_chunk))
    for start in range(0, n, per_chunk):
        yield start, min(n, start + per_chunk)


def device_copies(owner, key, make, xp, keep: int = 16):
    """Host arrays copied to the current device once and kept.

    Copied once per (device, ``key``) and kept on ``owner``, so that repeated calls move
    nothing to the device.  At most ``keep`` sets are kept (a parameter scan must not pile
    up memory).

    Parameters
    ----------
    owner : object
        The object that keeps the copies (in its ``__dict__``).
    key : hashable
        What identifies the arrays' contents.
    make : callable
        ``make()``: the host arrays, called only when a copy is made.
    xp : module
        cupy.
    keep : int, optional
        Most sets kept (default 16).

    Returns
    -------
    tuple of arrays
        The arrays on the current device.
    """
    cache = owner.__dict__.setdefault("_device_copies", {})
    key = (xp.cuda.Device().id, key)
    if key not in cache:
        if len(cache) >= keep:
            cache.clear()
        cache[key] = tuple(xp.asarray(a) for a in make())
    return cache[key]


def to_host(a):
    """A numpy copy of any array (CuPy's ``.get()``).

    Parameters
    ----------
    a : array_like
        A numpy or CuPy array (or anything ``np.asarray`` takes).

    Returns
    -------
    numpy.ndarray
        The array on the host.
    """
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)
