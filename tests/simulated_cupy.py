"""A stand-in for CuPy on numba's CUDA simulator, so that the device path of every public
function (dispatch, chunking, device workspaces, program copies, dtype handling) runs in CI.

Its arrays hold host memory but behave like CuPy's where numhep could go wrong:

* they expose ``__cuda_array_interface__`` and are not numpy arrays, so numhep dispatches
  them to the CUDA builds (which the simulator runs) and returns arrays of this module;
* they refuse to become numpy arrays implicitly (``__array__`` raises, as CuPy's does) and
  refuse to meet host arrays in arithmetic or in this module's functions: a hidden host copy
  or a host/device mixture fails here as it would on a GPU;
* the memory pool counts the bytes of live device buffers, as CuPy's default pool does.

Only ``asarray``/``array`` (host to device) and ``asnumpy``/``.get()`` (device to host) move
data.  Everything else is numpy's function of the same name on the underlying buffers.
"""

from __future__ import annotations

import types
import weakref

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

#: every device buffer alive (numpy arrays that own their memory), by id
_BUFFERS: dict[int, weakref.ref] = {}


def _allocated(a: np.ndarray) -> np.ndarray:
    base = a
    while isinstance(base.base, np.ndarray):
        base = base.base
    key = id(base)
    if key not in _BUFFERS:
        _BUFFERS[key] = weakref.ref(base, lambda _, key=key: _BUFFERS.pop(key, None))
    return a


class ndarray(NDArrayOperatorsMixin):
    """A device array of the simulated GPU (host memory underneath)."""

    __slots__ = ("_a", "__weakref__")

    def __init__(self, a: np.ndarray):
        self._a = a

    @property
    def __cuda_array_interface__(self):
        a = self._a
        return {"shape": a.shape, "typestr": a.dtype.str, "data": (a.ctypes.data, False),
                "strides": None if a.flags.c_contiguous else a.strides, "version": 3}

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use `.get()` "
                        "to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _call(getattr(ufunc, method), inputs, kwargs, ufunc.__name__)

    def __array_function__(self, func, types_, args, kwargs):
        return _call(func, args, kwargs, func.__name__)

    def __getattr__(self, name):
        attr = getattr(self._a, name)
        if callable(attr):
            return lambda *args, **kwargs: _call(attr, args, kwargs, name)
        return _wrap(attr)

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key, "indexing")])

    def __setitem__(self, key, value):
        self._a[_unwrap(key, "indexing")] = _unwrap(value, "assignment")

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(x) for x in self._a)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def __repr__(self):
        return f"simulated_cupy.ndarray({self._a!r})"

    def get(self):
        """A host copy (CuPy's device-to-host transfer)."""
        return self._a.copy()

    def copy(self):
        return _wrap(_allocated(self._a.copy()))

    @property
    def T(self):
        return _wrap(self._a.T)


def _unwrap(x, what):
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, np.ndarray) and x.ndim > 0 and x.dtype != object:
        raise TypeError(f"Unsupported type {type(x)} in {what}: a host array met a device array")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, what) for v in x)
    if isinstance(x, dict):
        return {k: _unwrap(v, what) for k, v in x.items()}
    return x


def _wrap(x):
    if isinstance(x, np.ndarray):
        if x.base is None or not isinstance(x.base, np.ndarray):
            _allocated(x)
        return ndarray(x)
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    if isinstance(x, list):
        return [_wrap(v) for v in x]
    return x


def _call(fn, args, kwargs, what):
    out = kwargs.get("out")
    result = fn(*_unwrap(args, what), **_unwrap(kwargs, what))
    if out is not None:
        return out
    return _wrap(result)


def asarray(a, dtype=None, order=None):
    """Host to device (a copy), or the device array itself (converted to ``dtype``)."""
    if isinstance(a, ndarray):
        return a if dtype is None or np.dtype(dtype) == a.dtype else a.astype(dtype)
    return ndarray(_allocated(np.array(a, dtype=dtype, order=order or "K", copy=True)))


array = asarray


def asnumpy(a):
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


def from_dlpack(tensor):
    raise TypeError("simulated_cupy holds no CUDA memory that a torch tensor could share")


class _MemoryPool:
    def used_bytes(self) -> int:
        return sum(b.nbytes for b in (r() for r in list(_BUFFERS.values())) if b is not None)

    def free_all_blocks(self):
        pass


_POOL = _MemoryPool()


def get_default_memory_pool():
    return _POOL


class _Stream:
    ptr = 0  # the default stream

    def synchronize(self):
        pass


class _Device:
    id = 0


cuda = types.SimpleNamespace(
    Device=_Device,
    get_current_stream=_Stream,
    is_available=lambda: True,
    runtime=types.SimpleNamespace(getDeviceCount=lambda: 1,
                                  getDeviceProperties=lambda k: {"name": b"numba CUDA simulator"}),
)


def __getattr__(name):
    """numpy's function, type or constant of the same name, on device arrays."""
    obj = getattr(np, name)
    if isinstance(obj, type) or not callable(obj):  # dtypes (float64 ...), constants
        return obj

    def device_function(*args, **kwargs):
        return _call(obj, args, kwargs, name)

    device_function.__name__ = name
    return device_function


def host_view(a):
    """The host buffer under a device array (for tests that inspect a launch's arguments)."""
    return a._a
