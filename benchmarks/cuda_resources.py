"""What the GPU's matrix-element kernels need on an H100, read off their compiled code.

No GPU needed: the CUDA builds of the amplitude tape (``tape_me``, the value, and its VJP,
value + d|M|^2/dp) are compiled to PTX with NVVM and assembled for sm_90 with nvJitLink
(``numhep.kernels._cuda_offline``), for the argument types a CuPy launch passes (program
arrays C-ordered, workspaces with the events innermost, the colour matrix staged in shared
memory when it fits).  For each register cap (``cuda.jit(max_registers=...)``) the table
gives the registers a thread uses, its spills to local memory (bytes stored/loaded per
thread), the block size the occupancy rules pick (``numhep.kernels._target.best_block_size``
over CUDA_BLOCK_SIZES) and the threads an H100 multiprocessor then keeps resident, the
figure a cap trades against spills.  The last column is that residency against the uncapped
build's.

The global-memory traffic these kernels cause per event is counted by
benchmarks/workspace_traffic.py.

    python benchmarks/cuda_resources.py
    python benchmarks/cuda_resources.py --processes gg_ttgg --caps none,128,96,80,64
"""

import argparse
from types import SimpleNamespace

import numba
import numpy as np

import numhep
from numhep import arrays as ab
from numhep.kernels import _cuda_offline as offline
from numhep.kernels import _target
from numhep.kernels import amplitude_tape as tape


#: any array namespace but numpy gets array_backend.workspace's device layout (events
#: innermost); numpy's functions give host arrays with that layout, to type the launches
_DEVICE_LAYOUT = SimpleNamespace(empty=np.empty, moveaxis=np.moveaxis)


def launches(proc, precision, n=4):
    """(label, kernel, arguments) of the two tape launches of ``numhep.me`` on a device, for
    n events (momenta zero)."""
    dtype = np.float32 if precision == "float32" else np.float64
    arrays = tape.tape_arrays(proc.program_arrays(None, dtype))
    prog = proc.program
    nj = max(prog.colour.shape[0], 1)
    p = np.zeros((n, len(proc.legs), 4), dtype)
    value = [ab.workspace(_DEVICE_LAYOUT, s, d) for s, d in tape.workspace_shapes(n, prog.n_slots, nj, real=dtype)]
    grad = [ab.workspace(_DEVICE_LAYOUT, s, d)
            for s, d in tape.workspace_shapes(n, prog.n_slots, nj, grad=True, real=dtype)]
    cplx = np.result_type(dtype, np.complex64)
    return [
        ("value", tape.tape_me, (p, *arrays, *value, np.zeros(n, dtype))),
        ("+grad", tape.tape_me.vjp, (p, *arrays, np.ones(n, dtype), *grad,
                                     np.zeros((n, 0, 4), cplx), np.zeros((n, 0), dtype),
                                     np.zeros(n, dtype), np.zeros_like(p))),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--processes", default="gg_tt,gg_ttgg,gg_tt_6q")
    ap.add_argument("--precisions", default="float64,float32")
    ap.add_argument("--caps", default="none,128,96,64", help="register caps per thread ('none': uncapped)")
    args = ap.parse_args()
    problem = offline.toolchain_problem()
    if problem:
        print(f"no resources table: {problem}")
    else:
        print_resources(args)


def print_resources(args):
    caps = [None if c == "none" else int(c) for c in args.caps.split(",")]
    print(f"sm_{offline.HOPPER[0]}{offline.HOPPER[1]} (H100), numba {numba.__version__}; "
          f"spills in bytes per thread (stored/loaded); resident threads per multiprocessor of "
          f"{offline.HOPPER_SM.threads}")
    header = (f"{'process':<10} {'kernel':<6} {'prec':<8} {'shared B':>8} {'cap':>5} {'regs':>5} "
              f"{'spills':>10} {'block':>6} {'resident':>9} {'vs uncapped':>12}")
    print(header)
    print("-" * len(header))
    ptx_cache = {}
    for name in args.processes.split(","):
        proc = numhep.process(name)
        for precision in args.precisions.split(","):
            for label, kernel, kargs in launches(proc, precision):
                shared = kernel.staged_bytes(kargs)
                argtypes = tuple(numba.typeof(a) for a in kargs)
                key = (kernel.__name__, argtypes, shared > 0)
                if key not in ptx_cache:
                    build = _target.precision_of(kargs)
                    ptx_cache[key] = offline.kernel_ptx(kernel, argtypes, build, staged=shared > 0)
                uncapped = None
                for cap in caps:
                    res = offline.resources(ptx_cache[key], max_registers=cap)
                    max_block = min(1024, offline.HOPPER_SM.registers // (-(-res.registers // 8) * 8) // 32 * 32)
                    block = _target.best_block_size(
                        max_block, lambda size: offline.resident_blocks(res.registers, size, shared))
                    threads = offline.resident_blocks(res.registers, block, shared) * block
                    uncapped = uncapped or threads
                    print(f"{name:<10} {label:<6} {precision:<8} {shared:>8} {cap or '-':>5} {res.registers:>5} "
                          f"{f'{res.spill_stores}/{res.spill_loads}':>10} {block:>6} {threads:>9} "
                          f"{threads / uncapped:>11.2f}x")


if __name__ == "__main__":
    main()
