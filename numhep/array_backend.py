"""Which array library the caller holds, so outputs live where inputs lived.

numpy arrays run the CPU kernels; CuPy arrays (anything with
``__cuda_array_interface__``) run the CUDA kernels on the array's device.
Float64 is the working precision of every kernel; ``numhep.me`` also runs in float32 on
float32 momenta (its single-precision mode, see :mod:`numhep.matrix_element`).
"""

from __future__ import annotations

import functools

import numpy as np


def namespace(*arrays):
    """Return ``numpy`` or ``cupy`` for the given arrays; reject mixtures."""
    kinds = {_kind(a) for a in arrays if a is not None and not np.isscalar(a)}
    if not kinds or kinds == {"numpy"}:
        return np
    if kinds == {"cupy"}:
        import cupy

        return cupy
    if "torch" in kinds:
        raise TypeError(
            "torch tensors are not accepted here: call the forward function (it bridges to numhep.torch) and use autograd"
        )
    raise TypeError(f"arrays on different devices: {sorted(kinds)} (move them to one device)")


def holds_torch(*arrays) -> bool:
    """Whether any argument is a torch tensor."""
    return any(type(a).__module__.split(".")[0] == "torch" for a in arrays)


def torch_twin(fn):
    """Send calls with torch tensors to the function of the same name in :mod:`numhep.torch`
    (the autograd bridge), so one entry point serves numpy, CuPy and torch."""

    @functools.wraps(fn)
    def dispatch(*args, **kwargs):
        if holds_torch(*args, *kwargs.values()):
            import numhep.torch as bridge

            return getattr(bridge, fn.__name__)(*args, **kwargs)
        return fn(*args, **kwargs)

    return dispatch


def _kind(a) -> str:
    mod = type(a).__module__.split(".")[0]
    if mod == "torch":
        return "torch"
    if hasattr(a, "__cuda_array_interface__") and not isinstance(a, np.ndarray):
        return "cupy"
    return "numpy"


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
