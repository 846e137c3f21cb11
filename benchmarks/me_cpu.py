"""Matrix-element throughput on the CPU next to MadGraph standalone.

Microseconds per event for |M|^2 and for |M|^2 + d|M|^2/dp (reverse mode), on one
core and on all cores, for the processes of the issue, beside the MadGraph
standalone Fortran timings recorded on this kind of machine
(tests/data/mg5/README.md: 2-vCPU AMD EPYC, gfortran 12.2, one core, 100k
points at 1 TeV; MadGraph cannot be run here, so its figures are the recorded ones).
Also printed: the preparation time of each process (parse, diagrams, colour, program).
On shared machines the speed of a whole process launch can differ by tens of percent
from the next launch; ``--launches K`` measures in K fresh interpreters and keeps the
smallest time of each entry.

``--gpu-program`` also times the program the GPU runs (the per-event tape of
:mod:`numhep.kernels.amplitude_tape`, one event per thread) through its CPU build on one
core, on at most 2000 events: without a GPU this is how changes to the GPU program's
arithmetic are measured, as a ratio to the SIMD blocks that the CPU runs.

    python benchmarks/me_cpu.py [--events 20000] [--processes gg_tt,gg_ttgg] [--launches 3] [--gpu-program]
"""

import argparse
import json
import time

import numba
import numpy as np
from timing import best_time, smallest_over_launches

import numhep
from numhep.kernels import amplitude_tape

# us/event, one core: (Fortran -O0 default, -O, -O3 -march=native -ffast-math)
MADGRAPH = {
    "gg_tt": (11.6, 4.46, 2.61),
    "gg_ttgg": (1144, 472, 242),
    "ud_www": (54.3, 25.1, 13.5),
    "ee_uuggg": (497, 167, 90.3),
    "gg_tt_6q": (18.9, 7.57, 4.34),
}
#: MadJax (Heinrich & Kagan, arXiv:2203.00057) Table 1: value + gradient, gg -> tt~ with decays, us/event
MADJAX_TT6Q_GRAD = 56.0


def measure(names, events, gpu_program=False):
    """{process: (prep s, value, value+grad, all-cores value[, GPU program value, +grad])}
    in us/event, this interpreter."""
    cores = numba.config.NUMBA_NUM_THREADS
    rows = {}
    for name in names:
        t0 = time.perf_counter()
        proc = numhep.process(name)
        prep = time.perf_counter() - t0
        p, _ = numhep.rambo(events, 1000.0, proc.masses, seed=1)
        numhep.me(p[:2], proc)  # compile outside the timing
        numhep.me(p[:2], proc, grad=True)
        numba.set_num_threads(1)
        t_val = best_time(lambda: numhep.me(p, proc), repeats=3) / events * 1e6
        t_grad = best_time(lambda: numhep.me(p, proc, grad=True), repeats=3) / events * 1e6
        tape = gpu_program_times(proc, p[:2000]) if gpu_program else ()
        numba.set_num_threads(cores)
        t_all = best_time(lambda: numhep.me(p, proc), repeats=3) / events * 1e6
        rows[name] = (prep, t_val, t_grad, t_all, *tape)
    return rows


def gpu_program_times(proc, p):
    """(value, value + gradient) us/event of the per-event tape's CPU build (the GPU's program)."""
    n = p.shape[0]
    arrays = amplitude_tape.tape_arrays(proc.program_arrays(None))
    prog = proc.program
    nj = max(prog.colour.shape[0], 1)
    work = [np.zeros(s, d) for s, d in amplitude_tape.workspace_shapes(n, prog.n_slots, nj)]
    work_grad = [np.zeros(s, d) for s, d in amplitude_tape.workspace_shapes(n, prog.n_slots, nj, grad=True)]
    no_parameters = [np.zeros((n, 0, 4), complex), np.zeros((n, 0))]
    out, gp = np.empty(n), np.empty_like(p)
    t_val = best_time(lambda: amplitude_tape.tape_me.cpu(p, *arrays, *work, out), repeats=3)
    t_grad = best_time(lambda: amplitude_tape.tape_me.vjp.cpu(p, *arrays, np.ones(n), *work_grad, *no_parameters,
                                                             out, gp), repeats=3)
    return t_val / n * 1e6, t_grad / n * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--processes", default=",".join(MADGRAPH))
    ap.add_argument("--launches", type=int, default=1, help="fresh interpreters to measure in (minimum kept)")
    ap.add_argument("--gpu-program", action="store_true", help="also time the GPU's per-event program on one core")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    names = args.processes.split(",")
    if args.json:
        print(json.dumps(measure(names, args.events, args.gpu_program)))
        return
    if args.launches <= 1:
        rows = measure(names, args.events, args.gpu_program)
    else:
        flags = ["--gpu-program"] if args.gpu_program else []
        rows = smallest_over_launches(__file__, ["--events", args.events, "--processes", args.processes, *flags],
                                      args.launches)
    cores = numba.config.NUMBA_NUM_THREADS
    print(f"|M|^2 on the CPU, {args.events} events at 1 TeV, float64; us/event (lower is better)"
          + (f", smallest of {args.launches} launches" if args.launches > 1 else ""))
    head = (f"{'process':<10} {'prep s':>7} {'1 core':>9} {'1c +grad':>9} {'grad/val':>8} "
            f"{f'{cores} cores':>9} {'MG -O3':>8} {'MG/ours':>8}")
    if args.gpu_program:
        head += f" {'GPU prog':>9} {'+grad':>9} {'prog/SIMD':>9} {'+grad':>6}"
    print(head)
    for name in names:
        prep, t_val, t_grad, t_all = rows[name][:4]
        mg = MADGRAPH[name][2]
        line = (f"{name:<10} {prep:>7.2f} {t_val:>9.2f} {t_grad:>9.2f} {t_grad / t_val:>8.2f} "
                f"{t_all:>9.2f} {mg:>8.2f} {mg / t_val:>8.2f}")
        if args.gpu_program:
            tape_val, tape_grad = rows[name][4:]
            line += f" {tape_val:>9.2f} {tape_grad:>9.2f} {tape_val / t_val:>9.2f} {tape_grad / t_grad:>6.2f}"
        print(line)
        if name == "gg_tt_6q":
            print(f"{'':<10} value+gradient vs MadJax (arXiv:2203.00057 Table 1, {MADJAX_TT6Q_GRAD} us): "
                  f"{MADJAX_TT6Q_GRAD / t_grad:.1f}x faster")


if __name__ == "__main__":
    main()
