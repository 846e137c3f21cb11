"""One source, two targets: how every numhep kernel is written and built.

A numhep kernel is written once, as a plain Python *event function*::

    @kernel
    def minkowski_dot(i, p, q, out):
        out[i] = p[i, 0] * q[i, 0] - p[i, 1] * q[i, 1] - ...

The first argument is the event index; the remaining ones are arrays, and the
function reads event ``i`` of its inputs and writes event ``i`` of its outputs.
Small scalar helpers shared by kernels are marked with :func:`device`.

From that single source numhep builds

* a CPU batch kernel: ``numba.njit(parallel=True)`` with a ``prange`` loop over
  events, cached on disk by numba;
* a CUDA kernel: ``numba.cuda.jit`` with one thread per event. The CUDA build
  re-links every :func:`device` helper the source calls to its CUDA device
  twin, so the helpers are not written twice either. It is built lazily, on
  the first CUDA launch, so CPU-only users never import ``numba.cuda``.  Its block
  size is chosen per kernel and argument types by the driver's occupancy calculator
  (:func:`best_block_size`): the register-heavy amplitude tapes and the light
  phase-space kernels want different ones.

Rule for kernel sources: import device helpers *by name*
(``from numhep.kernels.lorentz import boost_from_rest``), never call them as
``module.helper``; the CUDA build can only re-link names it sees as globals.

Performance rule: numba passes each array argument as 7 + 2 ndim scalars and does
not inline across jitted functions, so a helper called with many arrays costs more
than its arithmetic.  Pack read-only data into few arrays (the PDF grid is one flat
table), and
mark short leaf helpers ``@device(inline=True)``.

Calling a kernel dispatches on the array type: numpy arrays run the CPU batch
kernel, arrays exposing ``__cuda_array_interface__`` (CuPy, numba device
arrays) run the CUDA kernel on the array's device.  ``kernel.cpu(...)`` and
``kernel.cuda(...)`` force a target (under ``NUMBA_ENABLE_CUDASIM=1`` the CUDA
build runs on numpy arrays, which is how CI tests it without a GPU).

Two precisions from the same source: a kernel runs in the precision of the floating arrays
it is given.  float64/complex128 arrays run the source as written; float32/complex64
arrays run its single-precision build, a copy whose float and complex literals (and the
float globals it names) are taken as float32 and complex64 and whose helpers are re-linked
to their own single-precision builds (:func:`_relink`), so that no expression is promoted
back to double.  Mixing the two in one call is an error.  Which computations may run in
single precision is decided by their callers (``numhep.me`` on float32 momenta); the
kernels only make it possible.

Why launchers are written to files, and only they are cached: numba's disk cache
keys closures and dispatcher arguments by object identity (a launcher built in
memory would recompile in every interpreter), and it keys a function by its own
source file only, so a cached function keeps stale copies of the helpers it calls
after they change.  Each CPU launcher is therefore a tiny module written to
``$NUMHEP_CACHE_DIR`` (default ``~/.cache/numhep``) under a directory named after a
hash of numhep's kernel and adjoint sources, and it is the only thing cached: its
object code contains every function it calls, and a change to any kernel source
gives a fresh directory.  Event and device functions themselves are not cached.

Every numba entry numhep writes is sealed (:class:`_SealedCacheFile`): its bytes follow a
magic line and a SHA-256 of the file's name and payload, checked before numba unpickles
anything.  A flipped bit, a truncated file, another entry's file copied in its place or a
file numba wrote without numhep fails the check; like any other unreadable entry it is
removed with a warning naming it and compiled again (:func:`_heal_damaged_cache`), so a
damaged object file can never be linked into a running kernel.

An unusable cache (``$NUMHEP_CACHE_DIR`` a file, a directory without write permission) costs
one warning and no error: the launchers go to a temporary directory for the session, seeded
with a copy of what the read-only cache already holds, so that its compiled code is still
used (numba writes only where it may, and would otherwise recompile into ``~/.cache/numba``).
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import os
import pickle
import shutil
import sys
import tempfile
import types
import warnings
from pathlib import Path

import numba
import numba.core.caching
import numba.extending
import numpy as np

from numhep.storage import atomic_write, cache_dir

__all__ = ["device", "kernel", "adjoint_of", "inlined", "aligned_spills", "best_block_size", "precision_of",
           "launcher_directory", "DOUBLE", "SINGLE"]

_JIT_OPTIONS = dict(fastmath=False, error_model="numpy")


def _full_width_vectors() -> None:
    """Let LLVM use the whole width of AVX-512 registers on CPUs that have them, and give the
    processes numhep starts the features this one compiles with.

    LLVM's tuning for Intel's AVX-512 CPUs (Skylake-X to Sapphire Rapids) prefers 256-bit
    vectors, so numba's event loops use half of each register: the amplitude blocks run
    about 1.3-1.4x faster with 512-bit vectors (gg -> tt~gg and tt~ggg, measured by
    ``benchmarks/me_cpu.py``).  numba takes its target features once, when it builds its CPU
    target, so this runs before numhep creates its first kernel.  It leaves things alone when
    ``NUMBA_CPU_FEATURES`` is set (the user's choice, also the way to opt out) and when numba
    already compiled something before numhep was imported (its target cannot change then).

    Either way the features in use are put into ``NUMBA_CPU_FEATURES`` for child processes
    (Dask workers of a local cluster, ``numhep precompile``'s jobs): fast-math kernels sum in
    an order that depends on the vector width, and a worker must give the numbers of the
    process that started it to the last bit.
    """
    from numba.core.codegen import get_host_cpu_features
    from numba.core.registry import cpu_target

    if numba.config.CPU_FEATURES is None and "_toplevel_target_context" not in vars(cpu_target):
        features = get_host_cpu_features()
        if "+avx512f" in features.split(","):
            numba.config.CPU_FEATURES = features + ",-prefer-256-bit"
    os.environ.setdefault("NUMBA_CPU_FEATURES", numba.config.CPU_FEATURES or get_host_cpu_features())


_full_width_vectors()


def _launchers_call_their_own_code() -> None:
    """Bind every call inside a launcher to the launcher's own copy of the callee, so that a
    kernel gives the same numbers, to the last bit, in the process that compiled it and in
    every process that loads it from the cache.

    numba links each callee (the event function, the device helpers) into a launcher's module
    as ``linkonce_odr``, and optimises the linked module once more; the object code marks those
    copies weak.  In the process that compiled the callees, their standalone builds, optimised
    in their own modules, are already loaded, and the dynamic linker binds the launcher's calls
    to them instead; under fast-math the two builds may round differently (a 1-ulp difference
    in a few per cent of gg -> tt~ weights was enough to change which events the main job
    kept).  A process that loads the launcher from the cache runs the launcher's copies.  Made
    internal after optimisation, the copies are what runs everywhere: the machine code and the
    numbers are those of the cached object, and the optimisation is unchanged.

    Only numhep's launchers (``serial`` and ``batch`` of a ``_numhep_launch_`` module) are
    touched; nothing links them into other code.
    """
    from llvmlite import binding as ll
    from numba.core import codegen

    optimise = getattr(codegen.CPUCodeLibrary, "_optimize_final_module", None)
    if optimise is None or getattr(optimise, "_numhep_internalises", False):
        return  # a numba without the hook (tests/test_kernel_cache.py then fails), or done already
    # linkonce_odr: the linked callees; weak_odr: the parallel launcher's gufunc wrapper
    shared = (ll.Linkage.linkonce_odr, ll.Linkage.weak_odr)

    def _optimize_final_module(library):
        optimise(library)
        module = library._final_module
        if library.name in ("serial", "batch") and any("_numhep_launch_" in f.name for f in module.functions):
            for function in module.functions:
                if not function.is_declaration and function.linkage in shared:
                    function.linkage = ll.Linkage.internal

    _optimize_final_module._numhep_internalises = True
    codegen.CPUCodeLibrary._optimize_final_module = _optimize_final_module


_launchers_call_their_own_code()

#: a kernel module that defines ``FAST_MATH = True`` has its CPU functions compiled with
#: LLVM's fast-math flags (what MadGraph's -O3 -ffast-math build does): numba promotes a
#: real factor to a complex one and multiplies in full, and only these flags let LLVM drop
#: the zero imaginary parts, contract to FMAs and reorder sums.  Meant for the helicity
#: algebra (wavefunctions, vertices, propagators, the amplitude tape), whose inputs are
#: validated before a launch and which never test for NaN or infinity.  CUDA builds are
#: unaffected.
_FAST_MATH_FLAG = "FAST_MATH"

#: CUDA block size where no occupancy can be computed (numba's simulator)
cuda_threads_per_block = 128

#: block sizes tried for each CUDA kernel (whole warps, up to CUDA's limit)
#: batches smaller than this run serially: waking numba's thread pool costs more than the
#: loop, and on a loaded machine a parallel region waits for every thread to be scheduled
#: (milliseconds per launch when a diagram-channel batch splits into many small ones)
SERIAL_BELOW = 128

CUDA_BLOCK_SIZES = (64, 128, 256, 512, 1024)

#: largest argument a kernel's CUDA build copies into a block's shared memory (``kernel(shared=...)``).
#: An amplitude-tape thread needs about 120 registers, so an H100 multiprocessor keeps at
#: most about 512 of them, 8 blocks of 64; 16 KiB a block leaves those 8 blocks well inside
#: its 228 KiB of shared memory, so staging never costs residency.  gg -> tt~gg's colour
#: matrix (24 x 24 reals) is 4.6 KiB; gg -> tt~ggg's (120 x 120) is 115 KiB and stays in
#: global memory, read through the L1 cache.
CUDA_SHARED_STAGING_BYTES = 16 * 1024


def _source_hash() -> str:
    """Hash of the kernel and adjoint sources (keys the launcher cache)."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(numba.__version__.encode())
    for sub in ("kernels", "adjoint"):
        for path in sorted((root / sub).glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


_SESSION_CACHE = []


def launcher_directory() -> Path:
    """Where numhep's compiled CPU launchers are cached.

    Returns
    -------
    Path
        A directory in ``$NUMHEP_CACHE_DIR`` (default ``~/.cache/numhep``) named after a hash
        of the kernel sources, or, when that cannot be written, a temporary copy for this
        session (see the module docstring).
    """
    if _SESSION_CACHE:
        return _SESSION_CACHE[0]
    target = cache_dir("launchers", _source_hash())
    try:
        target.mkdir(parents=True, exist_ok=True)
        probe = target / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return target
    except OSError as exc:
        reason = f"{type(exc).__name__}: {exc}"
    session = Path(tempfile.mkdtemp(prefix="numhep-launchers-"))
    atexit.register(shutil.rmtree, session, True)
    if target.is_dir():  # readable but not writable: keep its compiled launchers
        shutil.copytree(target, session, dirs_exist_ok=True)
    warnings.warn(f"numhep: the kernel cache {target} cannot be written ({reason}); compiling into {session} "
                  "for this session instead", RuntimeWarning, stacklevel=3)
    _SESSION_CACHE.append(session)
    return session


#: The parallel loop passes its index as int64: numba's parfor types a prange index as int64
#: and its gufunc's as uint64, and each type compiled the whole event function once more
#: (an amplitude interpreter: 13 s apiece); cast, both and the serial loop share one build.
_LAUNCHER_TEMPLATE = '''\
# generated by numhep.kernels._target: CPU batch launcher of {module}.{name}
from numba import int64, njit, prange
from {module} import {name} as _event


@njit(parallel=True, cache=True)
def batch(n, {args}):
    for i in prange(n):
        _event(int64(i), {args})


@njit(cache=True)
def serial(n, {args}):
    for i in range(n):
        _event(i, {args})
'''


_TOLD = []


def _say_compiling(folder: Path):
    """One line on stderr, once per process, before the first kernel numba has not cached:
    the first call of each kernel then compiles it, silently otherwise for up to a minute."""
    if not _TOLD:
        _TOLD.append(True)
        where = "for this session only (the cache cannot be written)" if _SESSION_CACHE else \
            f"once (cached in {folder.parent})"
        print(f"numhep: compiling kernels for this machine, {where}; the first calls take a while", file=sys.stderr,
              flush=True)


def _load_launcher(module: str, name: str, nargs: int):
    args = ", ".join(f"a{k}" for k in range(nargs))
    source = _LAUNCHER_TEMPLATE.format(module=module, name=name, args=args)
    # key on the defining module's source too, so kernels outside numhep
    # (plugins) also get a fresh launcher when they change
    origin = Path(sys.modules[module].__file__).read_bytes()
    key = hashlib.sha256(origin).hexdigest()[:8]
    modname = f"_numhep_launch_{module.replace('.', '_')}_{name}_{key}"
    path = launcher_directory() / f"{modname}.py"
    try:
        current = path.read_bytes().decode() if path.exists() else None
    except (OSError, UnicodeDecodeError):  # a damaged launcher file is written again
        current = None
    if current != source:
        with atomic_write(path) as tmp:
            tmp.write_text(source)
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    spec.loader.exec_module(mod)
    for dispatcher in (mod.batch, mod.serial):
        _heal_damaged_cache(dispatcher)
    # numba's own cache directory for the launcher: beside it, or under $NUMBA_CACHE_DIR
    cached = Path(getattr(getattr(mod.batch, "_cache", None), "_cache_path", path.parent / "__pycache__"))
    if not any(cached.glob(f"{modname}.batch-*.nbi")) and not any(cached.glob(f"{modname}.serial-*.nbi")):
        _say_compiling(path.parent)
    return mod


class _DamagedEntry(Exception):
    """A cache file whose seal does not match its content."""


class _SealedCacheFile(numba.core.caching.IndexDataCacheFile):
    """numba's index and object files, each sealed by a SHA-256 of its name and payload.

    The seal binds the name so that a valid file of another entry copied in place of this
    one fails as surely as a flipped bit; the payload is unpickled only once its seal holds.
    """

    _MAGIC = b"numhep-sealed-cache-entry-1\n"

    def _seal(self, path, payload: bytes) -> bytes:
        return self._MAGIC + hashlib.sha256(os.path.basename(path).encode() + payload).digest() + payload

    def _unseal(self, path) -> bytes:
        with open(path, "rb") as f:
            raw = f.read()
        head = len(self._MAGIC) + 32
        if not raw.startswith(self._MAGIC) or len(raw) < head:
            raise _DamagedEntry(f"{path} is not a sealed numhep cache entry")
        payload = raw[head:]
        if hashlib.sha256(os.path.basename(path).encode() + payload).digest() != raw[len(self._MAGIC):head]:
            raise _DamagedEntry(f"the seal of {path} does not match its content")
        return payload

    def save(self, key, data):
        try:
            return super().save(key, data)
        except _DamagedEntry:  # another process damaged the index meanwhile: start it afresh
            self._save_index({})
            return super().save(key, data)

    def _load_index(self):
        try:
            payload = self._unseal(self._index_path)
        except FileNotFoundError:
            return {}
        version, stamp, overloads = pickle.loads(payload)
        return overloads if (version, stamp) == (self._version, self._source_stamp) else {}

    def _save_index(self, overloads):
        payload = self._dump((self._version, self._source_stamp, overloads))
        with self._open_for_write(self._index_path) as f:
            f.write(self._seal(self._index_path, payload))

    def _load_data(self, name):
        return pickle.loads(self._unseal(self._data_path(name)))

    def _save_data(self, name, data):
        path = self._data_path(name)
        with self._open_for_write(path) as f:
            f.write(self._seal(path, self._dump(data)))


def _heal_damaged_cache(dispatcher) -> None:
    """Seal ``dispatcher``'s cache entries (:class:`_SealedCacheFile`) and make a damaged one
    (an unreadable or altered index or object file) cost a warning naming the file and a fresh
    compilation, instead of an error in every interpreter: the entry's files are removed and
    numba compiles and saves it again."""
    cache = getattr(dispatcher, "_cache", None)
    load = getattr(cache, "load_overload", None)
    files = getattr(cache, "_cache_file", None)
    if load is None or files is None:
        return
    files = cache._cache_file = _SealedCacheFile(files._cache_path, files._index_name[: -len(".nbi")],
                                                 files._source_stamp)

    def load_overload(sig, target_context):
        try:
            return load(sig, target_context)
        except Exception as exc:  # noqa: BLE001 - whatever the damage, the remedy is to compile again
            index = Path(files._index_path)
            damaged = [index, *index.parent.glob(index.name[: -len(".nbi")] + ".*.nbc")]
            for f in damaged:
                f.unlink(missing_ok=True)
            warnings.warn(f"numhep: the compiled cache entry {index} could not be read ({type(exc).__name__}: "
                          f"{exc}); it was removed and is compiled again", RuntimeWarning, stacklevel=2)
            return None

    cache.load_overload = load_overload


#: working precisions: a kernel runs in the precision of the floating arrays it is given
DOUBLE = "double"
SINGLE = "single"

#: build targets of a device helper: the CPU function, its inline-always twin for event-block
#: loops (:func:`inlined`) and the CUDA device function
_CPU, _INLINED, _CUDA = "cpu", "inlined", "cuda"


class _Device:
    """A scalar helper, built on demand for each (target, precision).

    Compiled without numba's reference-counting runtime: kernels never allocate
    (CUDA device code cannot), so there is nothing to count.
    """

    def __init__(self, fn, inline: bool = False):
        self.py_func = fn
        opts = dict(_nrt=False, **_JIT_OPTIONS)
        if fn.__globals__.get(_FAST_MATH_FLAG, False):
            opts["fastmath"] = True
        if inline:
            opts["inline"] = "always"
        self._opts = opts
        self._builds = {}
        self.cpu = self._register(_CPU, DOUBLE, numba.njit(**opts)(fn))

    def _register(self, target, precision, dispatcher):
        self._builds[target, precision] = dispatcher
        _REGISTRY[id(dispatcher)] = (self, target)
        return dispatcher

    def build(self, target: str, precision: str = DOUBLE):
        """This helper for ``target`` (cpu, inlined, cuda) in ``precision``; the helpers it
        calls are re-linked to their builds of the same precision (and, for the inlined and
        CUDA targets, of the same target)."""
        if (target, precision) not in self._builds:
            fn = _relink(self.py_func, target, precision)
            if target == _CUDA:
                from numba import cuda

                dispatcher = cuda.jit(device=True)(fn)
            elif target == _INLINED:
                dispatcher = numba.njit(**dict(self._opts, inline="always"))(fn)
            else:
                dispatcher = numba.njit(**self._opts)(fn)
            self._register(target, precision, dispatcher)
        return self._builds[target, precision]


_REGISTRY: dict[int, tuple] = {}


def _single_constant(value):
    """A float or complex constant of a kernel source as numba should type it in the
    single-precision build; anything else unchanged."""
    if type(value) is float:
        return np.float32(value)
    if type(value) is complex:
        return np.complex64(value)
    if type(value) is tuple:  # CPython folds a tuple of literals into one constant
        return tuple(_single_constant(v) for v in value)
    return value


def _relink(fn, target: str, precision: str):
    """Copy ``fn`` for ``target`` and ``precision``.

    Every device helper it names is replaced by that helper's build for the same precision:
    on CUDA by the CUDA build, in an inlined body by the inlined build, on the CPU by the
    build of the kind it named (a CPU helper stays a call, an inlined one stays inlined).
    The single-precision copy also takes its float and complex literals, and the float
    globals it names, as float32 and complex64: numba types a Python float as float64 and
    would otherwise promote every single-precision expression that meets a literal back to
    double.  Integer literals are left alone (they index arrays), so an integer that meets
    a float in arithmetic still promotes it; the single-precision tests look for such
    double-precision instructions in the compiled code.
    """
    glb = dict(fn.__globals__)
    for name in fn.__code__.co_names:
        obj = glb.get(name)
        twin = _REGISTRY.get(id(obj))
        if twin is not None:
            helper, own = twin
            glb[name] = helper.build(own if target == _CPU else target, precision)
        elif precision == SINGLE and type(obj) in (float, complex):
            glb[name] = _single_constant(obj)
    code = fn.__code__
    if precision == SINGLE:
        code = code.replace(co_consts=tuple(_single_constant(c) for c in code.co_consts))
    return types.FunctionType(code, glb, fn.__name__, fn.__defaults__, fn.__closure__)


def device(fn=None, *, inline: bool = False):
    """Mark a scalar helper usable from kernels on both targets.

    Its CUDA twin (and its single-precision builds) are linked in automatically when a
    kernel that calls it is built for CUDA.  Import it by name where it is used: the CUDA
    build re-links only names it sees as globals.

    Parameters
    ----------
    fn : function, optional
        The helper: scalar arguments in, a scalar or a tuple out.  Without it, ``device``
        returns the decorator (``@device(inline=True)``).
    inline : bool, optional
        Inline the helper into its callers at numba's IR level.  Calls that pass several
        arrays cost far more than the arithmetic of a short helper, but inlining large
        helpers multiplies compile time: keep it for leaves.

    Returns
    -------
    numba dispatcher
        The CPU ``njit`` dispatcher, callable from Python and from other numba functions.

    Examples
    --------
    >>> from numhep.plugin import mdot      # a device helper: the Minkowski product
    >>> float(mdot(2.0, 1.0, 0.0, 0.0, 3.0, 1.0, 0.0, 0.0))
    5.0
    """
    if fn is None:
        return lambda f: _Device(f, inline).cpu
    return _Device(fn, inline).cpu


def inlined(helper):
    """The CPU twin of a :func:`device` helper inlined at numba's IR level into every caller,
    with the helpers it calls inlined too.

    For event-block loops (:mod:`numhep.kernels.amplitude_block`): LLVM vectorises a loop
    over events only when its body holds no calls, and it does not inline numba functions
    of the helicity algebra's size by itself.  The caller's compile options (fast math,
    error model) apply to the inlined body.
    """
    device_helper, _ = _REGISTRY[id(helper)]
    return device_helper.build(_INLINED)


@numba.extending.intrinsic(target="cpu")
def aligned_spills(typingctx):
    """Give the calling CPU function a 64-byte-aligned stack frame (LLVM's
    ``alignstack(64)``), so that its AVX-512 register spills are aligned.

    LLVM decides whether a function realigns its stack before register allocation, so a
    function that only needs it for spill slots keeps the caller's 16-byte alignment and
    spills with unaligned moves.  On these AMD cores a 64-byte spill that straddles two
    cache lines, reloaded soon after, stalled the event-block VJP loops: one reload took
    12% of the vertex VJP's samples, and realigning made gg -> tt~gg's gradient 4% faster.
    Call it first in an event-block function whose loop body spills.  CPU only.
    """

    def codegen(context, builder, signature, args):
        attributes = builder.function.attributes
        attributes.alignstack = 64
        # llvmlite prints a function's attributes only when its set of named ones is
        # non-empty; numba functions never unwind, so nounwind is true and keeps it so
        attributes.add("nounwind")
        return context.get_dummy_value()

    return numba.types.none(), codegen


def _is_cuda_array(a) -> bool:
    return hasattr(a, "__cuda_array_interface__") and not isinstance(a, np.ndarray)


def precision_of(args, name: str = "kernel") -> str:
    """The working precision of a kernel call: single when its floating arrays are float32
    and complex64, double when they are float64 and complex128; a mixture is an error
    (it would silently run one of them in the wrong precision)."""
    sizes = set()
    for a in args:
        dtype = getattr(a, "dtype", None)
        if dtype is not None and dtype.kind in "fc":
            sizes.add(dtype.itemsize // (2 if dtype.kind == "c" else 1))
    if sizes == {4}:
        return SINGLE
    if sizes <= {8}:
        return DOUBLE
    raise TypeError(f"{name}: float32 and float64 arrays mixed in one call (give all of them one precision)")


class Kernel:
    """An event function with its CPU and CUDA batch builds, in double and single precision,
    and its adjoint."""

    def __init__(self, fn, shared: str | None = None):
        self.py_func = fn
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__
        self.__doc__ = fn.__doc__
        # the event function is itself a device function: other kernels may call it
        self._device = _Device(fn)
        self.event = self._device.cpu
        self.nargs = fn.__code__.co_argcount - 1
        #: register cap per thread of the CUDA build (None: the compiler's choice); a cap
        #: keeps more threads resident at the price of spills (benchmarks/cuda_resources.py)
        self.max_registers: int | None = None
        self.shared = None
        if shared is not None:
            names = fn.__code__.co_varnames[1:fn.__code__.co_argcount]
            if shared not in names:
                raise ValueError(f"{fn.__name__} has no argument {shared!r} to stage in shared memory")
            self.shared = names.index(shared)
        self._launcher = {}
        self._cuda = {}
        self.vjp: Kernel | None = None

    def __repr__(self):
        return f"<numhep kernel {self.__module__}.{self.__name__}>"

    def _launchers(self, precision):
        if precision not in self._launcher:
            # the event function must be importable by name from its module
            alias = f"_event_{self.__name__}" if precision == DOUBLE else f"_event32_{self.__name__}"
            setattr(sys.modules[self.__module__], alias, self._device.build(_CPU, precision))
            self._launcher[precision] = _load_launcher(self.__module__, alias, self.nargs)
        return self._launcher[precision]

    def _check(self, args):
        if len(args) != self.nargs:
            raise TypeError(f"{self.__name__} takes {self.nargs} arrays, got {len(args)}")
        return precision_of(args, self.__name__)

    def cpu(self, *args, parallel: bool = True):
        """Run on the CPU over ``len(args[0])`` events (numpy arrays); fewer than
        ``SERIAL_BELOW`` events run on the calling thread.

        The first call with new argument types also builds the other launcher (serial or
        parallel) for them, from the event function this process just compiled: a few
        seconds for an amplitude interpreter (numba optimises and emits the linked code once
        more), where a later process that needs it would compile the event function from
        scratch (only launchers are cached, see the module docstring).

        Read-only arrays (broadcasts, in practice) are passed as copies: numba types them
        apart from writable ones and would compile the whole event function again.  A
        read-only array the kernel writes to is an error, not a silently dropped result."""
        launch = self._launchers(self._check(args))
        readonly = {k: a for k, a in enumerate(args) if isinstance(a, np.ndarray) and not a.flags.writeable}
        if readonly:
            args = tuple(a.copy() if k in readonly else a for k, a in enumerate(args))
        n = args[0].shape[0]
        chosen, other = ((launch.batch, launch.serial) if parallel and n >= SERIAL_BELOW
                         else (launch.serial, launch.batch))
        known = len(chosen.overloads)
        chosen(n, *args)
        if len(chosen.overloads) > known:
            other.compile(chosen.signatures[-1])
        for k, original in readonly.items():
            if not np.array_equal(args[k], original, equal_nan=original.dtype.kind in "fc"):
                raise ValueError(f"{self.__name__}: argument {k + 1} is read-only, but the kernel writes to it")

    def cuda_launcher(self, precision: str = DOUBLE, staged: bool = False):
        """The CUDA kernel (``numba.cuda.jit`` dispatcher) that runs this event function with
        one thread per event in ``precision``; ``staged``: the build that first copies the
        ``shared`` argument into the block's shared memory.  Built on first use."""
        key = (precision, staged, self.max_registers)
        if key not in self._cuda:
            event = self._device.build(_CUDA, precision)
            self._cuda[key] = _build_cuda_launcher(event, self.nargs, self.shared if staged else None,
                                                   self.max_registers)
        return self._cuda[key]

    def cuda_launch_configs(self) -> list[str]:
        """How this kernel's CUDA launches so far were configured: per build (precision,
        staging, register cap) and argument types, the registers per thread and the block
        size chosen (a real GPU only: the simulator compiles nothing)."""
        configs = []
        for (precision, staged, cap), launcher in self._cuda.items():
            sizes = launcher.__dict__.get("_numhep_block_sizes", {})
            for (device, argtypes, shared), block in sizes.items():
                registers = launcher.overloads[argtypes].regs_per_thread
                configs.append(f"{precision}, register cap {cap or 'none'}, shared {shared} B: "
                               f"{registers} registers, blocks of {block} (device {device})")
        return configs

    def staged_bytes(self, args) -> int:
        """Bytes of shared memory a CUDA launch on ``args`` stages per block (0: none)."""
        if self.shared is None:
            return 0
        a = args[self.shared]
        if a.ndim != 1 or not 0 < a.nbytes <= CUDA_SHARED_STAGING_BYTES or not _c_contiguous(a):
            return 0
        return int(a.nbytes)

    def cuda(self, *args, stream=0):
        """Run on CUDA, one thread per event (numpy arrays under the simulator)."""
        precision = self._check(args)
        n = args[0].shape[0]
        if n == 0:
            return
        shared = self.staged_bytes(args)
        launcher = self.cuda_launcher(precision, staged=shared > 0)
        tpb = _threads_per_block(launcher, (n, *args), shared)
        blocks = (n + tpb - 1) // tpb
        launcher[blocks, tpb, stream, shared](n, *args)

    def __call__(self, *args):
        if any(_is_cuda_array(a) for a in args):
            if not all(_is_cuda_array(a) or np.isscalar(a) for a in args):
                raise TypeError(
                    f"{self.__name__}: arrays on different devices (mix of host and CUDA arrays)"
                )
            import cupy

            self.cuda(*args, stream=_numba_stream(cupy.cuda.get_current_stream().ptr))
        else:
            self.cpu(*args)


def _numba_stream(ptr: int):
    """numba's handle of the CUDA stream at ``ptr`` (CuPy's current stream): numba launches
    take 0 (the default stream) or a numba stream object, not a raw pointer."""
    if not ptr:
        return 0
    from numba import cuda

    return cuda.external_stream(ptr)


def best_block_size(max_threads: int, active_blocks) -> int:
    """The block size of CUDA_BLOCK_SIZES (at most ``max_threads``) that keeps the most threads
    resident per multiprocessor, ``active_blocks(size) * size``; ties go to the smaller block,
    which leaves fewer idle threads in the last block and more blocks to spread.

    What limits residency differs per kernel: the amplitude tapes need many registers per
    thread, so their blocks must be small for several to fit, while light kernels (RAMBO,
    the PDF interpolation) fill a multiprocessor with any size."""
    best, best_threads = CUDA_BLOCK_SIZES[0], -1
    for size in CUDA_BLOCK_SIZES:
        if size > max_threads:
            break
        threads = active_blocks(size) * size
        if threads > best_threads:
            best, best_threads = size, threads
    return best


def _threads_per_block(launcher, args, shared_bytes=0):
    """The launch's block size, chosen per kernel and argument types from the compiled
    kernel's register use and the launch's dynamic shared memory (``shared_bytes`` a block)
    by the driver's occupancy calculator (cuOccupancyMaxActiveBlocksPerMultiprocessor);
    cached on the launcher per device."""
    from numba import cuda

    if numba.config.ENABLE_CUDASIM:  # the simulator has no registers to count
        return cuda_threads_per_block
    context = cuda.current_context()
    argtypes = tuple(launcher.typeof_pyval(a) for a in args)
    key = (context.device.id, argtypes, shared_bytes)
    sizes = launcher.__dict__.setdefault("_numhep_block_sizes", {})
    if key not in sizes:
        compiled = launcher.compile(argtypes)
        function = compiled._codelibrary.get_cufunc()
        sizes[key] = best_block_size(
            compiled.max_threads_per_block,
            lambda size: context.get_active_blocks_per_multiprocessor(function, size, shared_bytes),
        )
    return sizes[key]


def _c_contiguous(a) -> bool:
    flags = getattr(a, "flags", None)
    if flags is not None and not isinstance(flags, dict):  # numpy, CuPy
        return bool(flags.c_contiguous)
    interface = getattr(a, "__cuda_array_interface__", None)
    if interface is not None:
        return interface.get("strides") is None or a.strides == _c_strides(a.shape, a.dtype.itemsize)
    return False


def _c_strides(shape, itemsize):
    strides, step = [], itemsize
    for extent in reversed(shape):
        strides.append(step)
        step *= extent
    return tuple(reversed(strides))


def _build_cuda_launcher(event, nargs, staged=None, max_registers=None):
    """The CUDA kernel: thread i runs the event function on event i.  With ``staged`` (an
    argument's position) the block's threads first copy that argument, which every thread
    reads in full (a flattened colour matrix: one-dimensional, since a reshape in a CUDA
    kernel calls a runtime helper and compares sizes in float64), into the block's dynamic
    shared memory, and the event function reads the copy: one global read per element and
    block instead of one per element and thread.  Every thread of the block must reach the
    barrier, so the copy comes before the bounds test.  ``max_registers`` caps the registers per thread."""
    from numba import cuda

    args = [f"a{k}" for k in range(nargs)]
    lines = [f"def launch(n, {', '.join(args)}):"]
    if staged is not None:
        src = args[staged]
        lines += [
            f"    staged = cuda.shared.array(0, {src}.dtype)",
            # signed indices: numba compares a uint64 with an int64 through float64
            f"    for q in range(int64(cuda.threadIdx.x), {src}.size, int64(cuda.blockDim.x)):",
            f"        staged[q] = {src}[q]",
            "    cuda.syncthreads()",
        ]
        args[staged] = "staged"
    lines += [
        "    i = cuda.grid(1)",
        "    if i < n:",
        f"        _event(i, {', '.join(args)})",
    ]
    ns = {"cuda": cuda, "_event": event, "int64": numba.int64}
    exec("\n".join(lines) + "\n", ns)
    if max_registers and not numba.config.ENABLE_CUDASIM:  # the simulator has no registers
        return cuda.jit(max_registers=max_registers)(ns["launch"])
    return cuda.jit(ns["launch"])


def kernel(fn=None, *, shared: str | None = None) -> Kernel:
    """Declare an event function as a numhep kernel: one source, a parallel CPU loop and a
    CUDA kernel (see :mod:`numhep.kernels._target`).

    The event function ``fn(i, *arrays)`` reads event ``i`` of its inputs and writes event
    ``i`` of its outputs.  The module that defines it gets a module-level alias
    ``_event_<name>`` to the jitted event function, which the generated CPU launcher imports,
    so a kernel must be written in a module file.

    Parameters
    ----------
    fn : function, optional
        The event function.  Without it, ``kernel`` returns the decorator.
    shared : str, optional
        A read-only one-dimensional argument every event reads in full (a flattened colour
        matrix): the CUDA build copies it into each block's shared memory when it is
        contiguous and at most ``CUDA_SHARED_STAGING_BYTES``.

    Returns
    -------
    Kernel
        Called as ``k(*arrays)``: numpy arrays run the CPU loop over the first axis, arrays
        with ``__cuda_array_interface__`` the CUDA kernel; ``k.vjp`` is its adjoint once
        :func:`adjoint_of` declared one.

    Raises
    ------
    TypeError
        If ``fn`` is defined outside a module file (in a notebook cell or by ``exec``).

    Examples
    --------
    >>> from numhep.kernels.lorentz import minkowski_dot   # @kernel def minkowski_dot(i, p, q, out)
    >>> p = np.array([[2.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    >>> out = np.empty(2)
    >>> minkowski_dot(p, p, out)
    >>> out
    array([3., 1.])
    """
    if fn is None:
        return lambda f: kernel(f, shared=shared)
    home = sys.modules.get(fn.__module__)
    if getattr(home, "__file__", None) is None:
        raise TypeError(f"kernel: {fn.__name__} is defined outside a module file ({fn.__module__}); numhep's "
                        "launchers import kernels by module name, so write it in a .py file and import it")
    k = Kernel(fn, shared)
    setattr(home, f"_event_{fn.__name__}", k.event)
    return k


def adjoint_of(forward: Kernel, *, shared: str | None = None):
    """Declare the hand-derived vector-Jacobian product of ``forward``.

    The VJP is itself a kernel: it takes the forward kernel's arguments, then the cotangent
    of each output and the arrays the inputs' cotangents are written to.  It is attached as
    ``forward.vjp`` so that the forward rule and its derivative rule travel together, the
    way JAX pairs a primitive with its transpose.

    Parameters
    ----------
    forward : Kernel
        The kernel it differentiates.
    shared : str, optional
        As for :func:`kernel`.

    Returns
    -------
    callable
        The decorator for the VJP's event function; it returns the VJP kernel.

    Examples
    --------
    >>> from numhep.kernels.lorentz import minkowski_dot   # its VJP: (p, q, g, gp, gq)
    >>> p = np.array([[2.0, 1.0, 0.0, 0.0]])
    >>> gp, gq = np.empty((1, 4)), np.empty((1, 4))
    >>> minkowski_dot.vjp(p, p, np.ones(1), gp, gq)
    >>> gp          # d(p.q)/dp = eta q
    array([[ 2., -1., -0., -0.]])
    """

    def register(fn):
        k = kernel(fn, shared=shared)
        forward.vjp = k
        return k

    return register
