"""Matrix elements per second on a GPU (CuPy arrays, CUDA kernels) beside the CPU.

For gg_tt, gg_ttgg and gg_tt_6q at batch sizes 1e4 ... 1e7: |M|^2 per second for the
value and for value + d|M|^2/dp, float64 (or ``--precision float32``, numhep's single-precision
mode), on the first CUDA device, and in the same run the
CPU figure (numba, all cores; measured on at most --cpu-events events, since the rate does
not depend on the batch once the batch fills the cores).  The aims of issue 5 on an H100:
2e8 gg_tt/s and 2e6 gg_ttgg/s (CUDACPP: 7.6e7 and 4.4e5 on a V100S), gradient within 4x.

Momenta come from RAMBO on the host (1 TeV) and are copied to the device once, outside the
timing; each figure is the best of --repeats synchronised calls after a warm-up call that
compiles the kernel.  Timings skip the momentum checks (check=False): the kernels are what
is measured.  Without a GPU (or under NUMBA_ENABLE_CUDASIM, whose timings mean nothing) only
the CPU column is printed.

    python benchmarks/gpu_me.py
    python benchmarks/gpu_me.py --processes gg_tt --batches 1e4,1e5,1e6,1e7,3e7
    python benchmarks/gpu_me.py --precision float32
    python benchmarks/gpu_me.py --max-registers 128 --no-colour-staging

The launch configuration of the amplitude tape can be varied from the command line, to
measure what benchmarks/cuda_resources.py predicts from the compiled code: a register cap
per thread (more threads resident, more spills) and the staging of the colour matrix in
shared memory.  After the table come the registers per thread and block sizes the tape's
kernels ran with.
"""

import argparse
import os

import numba
import numpy as np
from timing import best_time

import numhep
from numhep.kernels import _target
from numhep.kernels import amplitude_tape as tape

#: CPU events timed per process (the rate is flat beyond a few thousand events)
CPU_EVENTS = {"gg_tt": 200_000, "gg_ttgg": 4_000, "gg_tt_6q": 100_000}
#: CUDACPP on a V100S, double precision, events/s (quoted in issue 5)
CUDACPP_V100S = {"gg_tt": 7.6e7, "gg_ttgg": 4.4e5}


def _gpu():
    """The cupy module and the device name, or (None, reason)."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return None, "NUMBA_ENABLE_CUDASIM=1 (simulator timings mean nothing)"
    try:
        import cupy

        name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        return cupy, name.decode() if isinstance(name, bytes) else name
    except Exception as exc:  # no cupy, no driver or no device
        return None, f"no CUDA device ({type(exc).__name__}: {exc})"


def _rate(fn, n, repeats, sync=lambda: None):
    """Events per second of fn() over n events, synchronised with the device (best of repeats)."""
    return n / best_time(lambda: (fn(), sync()), repeats=repeats)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--processes", default="gg_tt,gg_ttgg,gg_tt_6q")
    ap.add_argument("--batches", default="1e4,1e5,1e6,1e7")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cpu-events", type=int, default=None, help="override CPU_EVENTS for every process")
    ap.add_argument("--precision", choices=("float64", "float32"), default="float64")
    ap.add_argument("--max-registers", type=int, default=None, help="register cap per thread of the tape kernels")
    ap.add_argument("--no-colour-staging", action="store_true", help="read the colour matrix from global memory")
    args = ap.parse_args()
    for kernel in (tape.tape_me, tape.tape_me.vjp):
        kernel.max_registers = args.max_registers
    if args.no_colour_staging:
        _target.CUDA_SHARED_STAGING_BYTES = 0
    dtype = np.dtype(args.precision)
    batches = [int(float(b)) for b in args.batches.split(",")]
    cp, device = _gpu()
    cores = numba.config.NUMBA_NUM_THREADS
    print(f"|M|^2 per second, {dtype.name}, 1 TeV RAMBO points; GPU: {device}; CPU: {cores} cores (numba)")
    print("| process | batch | GPU value /s | GPU value+grad /s | grad cost | CPU value /s | CPU value+grad /s | GPU/CPU |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.processes.split(","):
        proc = numhep.process(name)
        n_cpu = args.cpu_events or CPU_EVENTS.get(name, 10_000)
        p_cpu = numhep.rambo(n_cpu, 1000.0, proc.masses, seed=1)[0].astype(dtype)
        cpu_val = _rate(lambda: numhep.me(p_cpu, proc, check=False), n_cpu, args.repeats)
        cpu_grad = _rate(lambda: numhep.me(p_cpu, proc, grad=True, check=False), n_cpu, args.repeats)
        for n in batches:
            if cp is None:
                gpu_val = gpu_grad = float("nan")
            else:
                p_host, _ = numhep.rambo(n, 1000.0, proc.masses, seed=2)
                p = cp.asarray(p_host.astype(dtype))
                del p_host
                sync = cp.cuda.get_current_stream().synchronize
                gpu_val = _rate(lambda: numhep.me(p, proc, check=False), n, args.repeats, sync)
                gpu_grad = _rate(lambda: numhep.me(p, proc, grad=True, check=False), n, args.repeats, sync)
                del p
                cp.get_default_memory_pool().free_all_blocks()
            print(f"| {name} | {n:.0e} | {gpu_val:.3g} | {gpu_grad:.3g} | {gpu_val / gpu_grad:.2f} | "
                  f"{cpu_val:.3g} | {cpu_grad:.3g} | {gpu_val / cpu_val:.3g} |")
        if name in CUDACPP_V100S:
            print(f"|   | CUDACPP V100S | {CUDACPP_V100S[name]:.2g} | | | | | |")
    if cp is None:
        print("\nno GPU column: run this on a machine with a CUDA device and CuPy (pip install 'numhep[cuda]')")
        return
    print(f"\ntape kernels (register cap {args.max_registers or 'none'}, colour staging "
          f"{'off' if args.no_colour_staging else f'up to {_target.CUDA_SHARED_STAGING_BYTES} B'}):")
    for kernel in (tape.tape_me, tape.tape_me.vjp):
        for config in kernel.cuda_launch_configs():
            print(f"  {kernel.__name__}: {config}")


if __name__ == "__main__":
    main()
