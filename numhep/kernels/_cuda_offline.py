"""Compile numhep's CUDA builds without a GPU: PTX through NVVM, machine code through nvJitLink.

numba's CUDA simulator runs a kernel's CUDA source as Python, so it checks the arithmetic
but not whether numba's CUDA target can type and lower it: a construct the CPU target and
the simulator accept (a NumPy function, a layout, a dtype mixture) can still fail on a GPU.
This module compiles a kernel's real CUDA build for given argument types on a machine
with no GPU and no driver, with the compilers a launch would use:

* NVVM (``libnvvm``) turns numba's LLVM IR into PTX for a compute capability; numba-cuda
  finds it in the ``nvidia-nvvm`` wheel or under ``CUDA_HOME``; it asks NVRTC
  (``nvidia-cuda-nvrtc``) which capabilities exist;
* nvJitLink (``nvidia-nvjitlink``) assembles the PTX for one chip with ptxas and reports
  the registers a thread needs, its spills and its stack: what decides how many events a
  multiprocessor keeps in flight.

``pip install "numba-cuda[cu13]"`` brings all three (the test extra does).

numba compiles a kernel's device helpers for "the current device" and asks the driver for
its compute capability; :func:`_compiling_for` names the target instead, for the duration
of a compile.

``python -m numhep.kernels._cuda_offline SIGNATURES`` compiles every (kernel, precision,
argument types) in a pickled list and reports those that fail; the test suite records the
signatures its simulator runs use and calls it (``tests/test_cuda_builds.py``).
"""

from __future__ import annotations

import contextlib
import importlib
import pickle
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numba

#: the compute capability compiled for when none is named: the H100's and H200's (Hopper)
HOPPER = (9, 0)


def toolchain_problem() -> str | None:
    """Why CUDA builds cannot be compiled in this process, or None when they can."""
    if numba.config.ENABLE_CUDASIM:
        return "numba's CUDA simulator is on (NUMBA_ENABLE_CUDASIM=1)"
    try:
        from numba.cuda.cudadrv import nvrtc, nvvm

        nvvm.NVVM()
        nvrtc.get_supported_ccs()
    except Exception as exc:  # missing libraries surface as several exception types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f'no CUDA compiler libraries (pip install "numba-cuda[cu13]"): {first}'
    return None


@contextlib.contextmanager
def _compiling_for(cc):
    """Let numba compile device helpers for compute capability ``cc`` with no device present:
    its CUDA dispatcher reads the capability from the current device at each compile."""
    import numba.cuda.dispatcher as dispatcher

    current = dispatcher.get_current_device
    dispatcher.get_current_device = lambda: SimpleNamespace(compute_capability=cc)
    try:
        yield
    finally:
        dispatcher.get_current_device = current


def kernel_ptx(kernel, argtypes, precision, cc=HOPPER, staged=False) -> str:
    """PTX of ``kernel``'s CUDA launcher (one thread per event) for the numba types of its
    arrays ``argtypes`` (the event count is prepended) in ``precision``; ``staged``: the
    build that copies its ``shared`` argument into shared memory."""
    from numba import cuda, types

    launcher = kernel.cuda_launcher(precision, staged)
    with _compiling_for(cc):
        ptx, _ = cuda.compile_ptx(launcher.py_func, (types.int64,) + tuple(argtypes), cc=cc)
    return ptx


@dataclass(frozen=True)
class Resources:
    """What one thread of a kernel needs on a chip, as ptxas reports it."""

    registers: int
    spill_stores: int  # bytes per thread written to local memory for want of registers
    spill_loads: int
    stack: int  # bytes of stack frame per thread
    shared: int  # bytes of static shared memory per block


_RESOURCE_LINES = {
    "stack": re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads"),
    "registers": re.compile(r"[Uu]sed (\d+) registers"),
    "shared": re.compile(r"(\d+) bytes smem"),
}


def resources(ptx: str, cc=HOPPER, max_registers: int | None = None) -> Resources:
    """Assemble ``ptx`` for ``sm_<cc>`` with nvJitLink (the linker numba-cuda itself uses, so
    the same ptxas as a launch) and read its report; ``max_registers`` caps the registers
    per thread as ``cuda.jit(max_registers=...)`` does."""
    from cuda.bindings import nvjitlink

    options = [f"-arch=sm_{cc[0]}{cc[1]}", "-verbose"]
    if max_registers:
        options.append(f"-maxrregcount={max_registers}")
    handle = nvjitlink.create(len(options), options)
    try:
        data = ptx.encode()
        nvjitlink.add_data(handle, nvjitlink.InputType.PTX, data, len(data), "kernel")
        try:
            nvjitlink.complete(handle)
        except nvjitlink.nvJitLinkError as exc:
            log = bytearray(nvjitlink.get_error_log_size(handle))
            nvjitlink.get_error_log(handle, log)
            raise RuntimeError(f"nvJitLink: {exc}: {log.decode(errors='replace').strip()}") from None
        log = bytearray(nvjitlink.get_info_log_size(handle))
        nvjitlink.get_info_log(handle, log)
    finally:
        nvjitlink.destroy(handle)
    report = log.decode(errors="replace")
    stack = _RESOURCE_LINES["stack"].search(report)
    registers = _RESOURCE_LINES["registers"].search(report)
    shared = _RESOURCE_LINES["shared"].search(report)
    return Resources(
        registers=int(registers.group(1)),
        spill_stores=int(stack.group(2)),
        spill_loads=int(stack.group(3)),
        stack=int(stack.group(1)),
        shared=int(shared.group(1)) if shared else 0,
    )


@dataclass(frozen=True)
class Multiprocessor:
    """The residency limits of one streaming multiprocessor (CUDA's occupancy rules); the
    defaults are Hopper's (H100, H200)."""

    registers: int = 65536
    register_unit: int = 256  # registers are allocated per warp, in units of this many
    threads: int = 2048
    blocks: int = 32
    shared: int = 228 * 1024
    shared_reserved: int = 1024  # the CUDA runtime's own shared memory, per block


HOPPER_SM = Multiprocessor()


def resident_blocks(registers: int, block: int, shared: int = 0, sm: Multiprocessor = HOPPER_SM) -> int:
    """Blocks of ``block`` threads, ``registers`` a thread and ``shared`` bytes of shared
    memory a block, that one multiprocessor keeps resident: the least of what its registers,
    threads, block slots and shared memory allow (cuOccupancyMaxActiveBlocksPerMultiprocessor's
    rules)."""
    warps = -(-block // 32)
    per_warp = -(-registers * 32 // sm.register_unit) * sm.register_unit
    by_registers = (sm.registers // per_warp) // warps
    by_shared = sm.shared // (shared + sm.shared_reserved)
    return min(by_registers, sm.threads // (warps * 32), sm.blocks, by_shared)


def signature(kernel, precision, args) -> tuple:
    """A picklable record of one CUDA launch: the kernel's module and name, the precision,
    the numba types of its arrays (host arrays with the launch's layouts: numba cannot type
    a simulated device array, so callers pass the host array it wraps) and whether it stages
    an argument in shared memory."""
    argtypes = tuple(numba.typeof(a) for a in args)
    return (kernel.__module__, kernel.__name__, precision, argtypes, kernel.staged_bytes(args) > 0)


_DOUBLE_INSTRUCTION = re.compile(r"^\s*(?:@!?%p\d+\s+)?([a-z0-9_]+(?:\.[a-z0-9_]+)*\.f64\b[.a-z0-9_]*)", re.M)


def double_instructions(ptx: str) -> list[str]:
    """The PTX instructions that read, write or compute float64 (``add.f64``,
    ``cvt.rn.f64.s64``, ``ld.global.f64`` ...): a single-precision build should have none."""
    return _DOUBLE_INSTRUCTION.findall(ptx)


def check(signatures, cc=HOPPER) -> list[str]:
    """Compile every recorded signature to PTX and assemble it for ``sm_<cc>``; one line per
    failure (kernel, types, first error line).  A single-precision build with float64
    instructions fails too: numba promotes a float32 expression that meets a double."""
    failures = []
    for module, name, precision, argtypes, staged in signatures:
        kernel = getattr(importlib.import_module(module), name)
        try:
            ptx = kernel_ptx(kernel, argtypes, precision, cc, staged)
            resources(ptx, cc)
            doubles = double_instructions(ptx) if precision == "single" else []
            if doubles:
                raise TypeError(f"{len(doubles)} float64 instructions in a single-precision build, "
                                f"e.g. {sorted(set(doubles))[:4]}")
        except Exception as exc:
            text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # numba colours its errors
            lines = [ln for ln in text.splitlines() if ln.strip()]
            staging = ", staged" if staged else ""
            failures.append(f"{module}.{name} [{precision}{staging}] {argtypes}: "
                            f"{lines[0] if lines else type(exc).__name__}")
    return failures


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m numhep.kernels._cuda_offline SIGNATURES.pkl", file=sys.stderr)
        return 2
    problem = toolchain_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 3

    signatures = pickle.loads(Path(argv[0]).read_bytes())
    failures = check(signatures)
    print(f"compiled {len(signatures) - len(failures)} of {len(signatures)} CUDA launches for sm_{HOPPER[0]}{HOPPER[1]}")
    for line in failures:
        print("FAILED", line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
