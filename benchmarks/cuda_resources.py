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

A second table models the value kernel's traffic to its workspaces in global memory, bytes
per event, following the tape as ``run_tape`` walks it (the instructions a helicity group
re-runs, their slot reads and writes, the JAMP updates and the colour sums), with no access
served by a cache.  The H100's memory bandwidth over it bounds the events per second of a
kernel whose working set outgrows L1 and L2, as gg -> tt~gg's does: about 14 KiB of slots
and line momenta an event, hundreds of events resident per multiprocessor.  A measured rate
above the bound shows how much of that traffic the caches caught.

    python benchmarks/cuda_resources.py
    python benchmarks/cuda_resources.py --processes gg_ttgg --caps none,128,96,80,64
"""

import argparse
from types import SimpleNamespace

import numba
import numpy as np

import numhep
from numhep import array_backend as ab
from numhep.kernels import _cuda_offline as offline
from numhep.kernels import _target
from numhep.kernels import amplitude_tape as tape


#: any array namespace but numpy gets array_backend.workspace's device layout (events
#: innermost); numpy's functions give host arrays with that layout, to type the launches
_DEVICE_LAYOUT = SimpleNamespace(empty=np.empty, moveaxis=np.moveaxis)


def launches(proc, precision):
    """(label, kernel, arguments) of the two tape launches of ``numhep.me`` on a device."""
    dtype = np.float32 if precision == "float32" else np.float64
    n = 4
    arrays = tape.tape_arrays(proc._arrays(None, dtype))
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


#: an H100 SXM's HBM3 bandwidth, bytes per second (a device-to-device copy moved about
#: 3.0e12 on the H100 this project is lent)
HBM_BYTES_PER_SECOND = 3.35e12


def workspace_traffic(proc, real_bytes):
    """(instructions run, bytes read and written in the workspaces) per event of the value
    kernel, reals of ``real_bytes`` (complex numbers twice that), no cache hits."""
    ops, _, _, helicities, colour, diag_ptr = proc._arrays(None)[:6]
    cplx = 2 * real_bytes
    nj = max(colour.shape[0], 1)
    ref_slot, _, ref_leg, _ = tape.amplitude_reference(ops)
    changes = helicities.shape[1] - 1
    runs, traffic, h = 0, 0, 0
    while h < helicities.shape[0]:
        nk = tape.helicity_group(helicities, h, ref_leg)
        traffic += nk * nj * cplx  # JAMPs cleared
        for n in range(ops.shape[0]):
            op, out = ops[n, 0], ops[n, 1]
            if (op <= tape.EXT_GAUGE and out == ref_slot) or (ops[n, 8] & helicities[h, changes]) == 0:
                continue
            runs += 1
            if op <= tape.EXT_GAUGE:  # momentum in, wavefunction and line momentum out
                traffic += 4 * real_bytes + 4 * cplx + 4 * real_bytes
                continue
            inputs = 3 if tape.four_point(op) else 2
            traffic += inputs * 4 * cplx + (2 * 4 * real_bytes if op == tape.VVV_V else 0)
            if ops[n, 7] >= 0:  # per member: the reference's state, then each JAMP it adds to
                traffic += nk * (4 * cplx + (diag_ptr[out + 1] - diag_ptr[out]) * 2 * cplx)
            else:  # the inputs' line momenta, the propagated current and its momentum
                traffic += inputs * 4 * real_bytes + 4 * cplx + 4 * real_bytes
        traffic += nk * (nj + nj * (nj - 1) // 2) * cplx  # colour sums read the JAMPs
        h += nk
    return runs, traffic


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
    print(f"\nvalue kernel's workspace traffic, no cache hits; bound = {HBM_BYTES_PER_SECOND:.3g} B/s / traffic")
    print(f"{'process':<10} {'prec':<8} {'instructions':>12} {'KiB/event':>10} {'bound events/s':>15}")
    for name in args.processes.split(","):
        proc = numhep.process(name)
        for precision in args.precisions.split(","):
            runs, traffic = workspace_traffic(proc, np.dtype(precision).itemsize)
            print(f"{name:<10} {precision:<8} {runs:>12} {traffic / 1024:>10.1f} {HBM_BYTES_PER_SECOND / traffic:>15.3g}")


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
