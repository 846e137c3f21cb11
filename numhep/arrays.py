"""Which array library the caller holds, so outputs live where inputs lived.

numpy arrays run the CPU kernels; CuPy arrays (anything with
``__cuda_array_interface__``) run the CUDA kernels on the array's device.
Float64 is the working precision of every kernel; ``numhep.me`` also runs in float32 on
float32 momenta (its single-precision mode, see :mod:`numhep.amplitudes.matrix_element`).
"""

from __future__ import annotations

import numpy as np


def kind(*objects) -> str:
    """``"numpy"``, ``"cupy"`` or ``"torch"``: the array library of the arrays among
    ``objects`` (anything else, numbers, lists, a PDF set or a grid, is neutral; numpy when
    there is no array).  A mixture of CuPy and numpy arrays is an error, and so is one of torch
    tensors and CuPy arrays; torch tensors may meet numpy arrays and plain numbers, which
    autograd treats as constants."""
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
    """The array module of a :func:`kind`: numpy or cupy (torch tensors are handled by the
    caller, :mod:`numhep.ops`)."""
    if kind_name == "numpy":
        return np
    if kind_name == "cupy":
        import cupy

        return cupy
    raise TypeError("torch tensors are not accepted here: numhep's differentiable functions take them "
                    "(numhep.ops) and return tensors that autograd differentiates")


def namespace(*arrays):
    """Return ``numpy`` or ``cupy`` for the given arrays; reject mixtures and torch tensors."""
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
    """C-contiguous float64 array of ``x``; a clear error for other kinds."""
    arr = xp.asarray(x)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected a real floating array, got dtype {arr.dtype}")
    arr = arr.astype(xp.float64, copy=False)
    # ascontiguousarray would turn a 0-d array into shape (1,)
    return arr if arr.flags.c_contiguous else xp.ascontiguousarray(arr)


def momenta(p, name: str = "p", xp=np, single: bool = False):
    """Validate momenta of shape (..., 4) and return them as float64 (float32 momenta stay
    float32 when ``single``: the caller computes in single precision)."""
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
    """An uninitialised per-event kernel workspace of ``shape`` (events first, as kernels
    index it).  On the host it is C-ordered: one event's data is contiguous for the cache.
    On a device the events are innermost in memory, a strided view with the same indexing:
    the threads of a warp then read consecutive addresses for the same slot, one coalesced
    access instead of a cache line per thread."""
    if xp is np:
        return np.empty(shape, dtype=dtype)
    return xp.moveaxis(xp.empty(tuple(shape[1:]) + (shape[0],), dtype=dtype), -1, 0)


def event_ranges(n: int, per_chunk: int):
    """(start, stop) of consecutive chunks of at most ``per_chunk`` of ``n`` events: how a
    kernel whose workspaces grow with the events goes through them within a memory budget."""
    per_chunk = max(1, int(per_chunk))
    for start in range(0, n, per_chunk):
        yield start, min(n, start + per_chunk)


def device_copies(owner, key, make, xp, keep: int = 16):
    """The host arrays ``make()`` as arrays of ``xp`` on its current device, copied once per
    (device, ``key``) and kept on ``owner``, so that repeated calls move nothing to the
    device.  At most ``keep`` sets are kept (a parameter scan must not pile up memory)."""
    cache = owner.__dict__.setdefault("_device_copies", {})
    key = (xp.cuda.Device().id, key)
    if key not in cache:
        if len(cache) >= keep:
            cache.clear()
        cache[key] = tuple(xp.asarray(a) for a in make())
    return cache[key]


def to_host(a):
    """A numpy copy of any array (CuPy's ``.get()``)."""
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)
