"""Matrix-element throughput on the CPU next to MadGraph standalone and MadGraph's CUDACPP.

Microseconds per event for |M|^2 and for |M|^2 + d|M|^2/dp (reverse mode), on one
core and on all cores, for the processes of the issue, beside the MadGraph
standalone Fortran timings recorded on this kind of machine
(tests/data/mg5/README.md: 2-vCPU AMD EPYC, gfortran 12.2, one core, 100k
points at 1 TeV) and the recorded timings of MadGraph's CUDACPP C++ build with 512-bit
AVX-512 vectors ("512z", double precision, one core, same machine; Valassi et al.,
arXiv:2303.18244), with the ratio numhep / CUDACPP (below 1: numhep is faster).
Also printed: the preparation time of each process (parse, diagrams, colour, program).
gg_ttggg (about 2 ms per event, and ~45 s of preparation on a cold cache) is measured
only when ``--processes`` names it, on at most 500 events.

``--peer PATH[,PATH...]`` runs CUDACPP ``check_cpp.exe`` builds (``check.exe`` in older
versions) in the same run, on one core, and prints the matrix-element time they report
(``EvtsPerSec[MatrixElems]``) beside numhep's, so that anyone with a MadGraph build can
reproduce the comparison.  The process is read from the executable's subprocess
directory (``P1_Sigma_sm_gg_ttxgg`` -> gg_ttgg) or given as ``NAME=PATH``.  A check
executable draws its own RAMBO points and cannot take numhep's momenta; for these
processes the cost of |M|^2 per event does not depend on the point (the helicity and
colour sums are fixed work), so the comparison holds.  MadGraph's plain standalone
``check`` evaluates one point and prints no timing, so it cannot serve as a peer.
On shared machines the speed of a whole process launch can differ by tens of percent
from the next launch; ``--launches K`` measures in K fresh interpreters and keeps the
smallest time of each entry.

``--gpu-program`` also times the program the GPU runs (the per-event tape of
:mod:`numhep.kernels.amplitude_tape`, one event per thread) through its CPU build on one
core, on at most 2000 events: without a GPU this is how changes to the GPU program's
arithmetic are measured, as a ratio to the SIMD blocks that the CPU runs.

    python benchmarks/me_cpu.py [--events 20000] [--processes gg_tt,gg_ttgg] [--launches 3] [--gpu-program]
                                [--peer .../P1_Sigma_sm_gg_ttx/build.512z_d_inl0_hrd0/check_cpp.exe,...]
"""

import argparse
import json
import sys
import time

import numba
import numpy as np
from cudacpp_check import peer_arguments, run_check
from timing import best_time, smallest_over_launches

import numhep
from numhep.kernels import amplitude_tape

# us/event, one core: (Fortran -O0 default, -O, -O3 -march=native -ffast-math); None: not recorded
MADGRAPH = {
    "gg_tt": (11.6, 4.46, 2.61),
    "gg_ttgg": (1144, 472, 242),
    "ud_www": (54.3, 25.1, 13.5),
    "ee_uuggg": (497, 167, 90.3),
    "gg_tt_6q": (18.9, 7.57, 4.34),
    "gg_ttggg": (None, None, 4990),
}
#: CUDACPP C++ "512z" (AVX-512, 512-bit vectors), double precision, us/event on one core,
#: recorded on the 2-vCPU AMD EPYC of the MadGraph figures above
CUDACPP_512Z = {"gg_tt": 1.13, "gg_ttgg": 52.9, "gg_ttggg": 1140}
#: measured only when --processes names them (milliseconds per event, long preparation)
OPT_IN = ("gg_ttggg",)
#: at most this many events for these processes
MAX_EVENTS = {"gg_ttggg": 500}
#: MadJax (Heinrich & Kagan, arXiv:2203.00057) Table 1: value + gradient, gg -> tt~ with decays, us/event
MADJAX_TT6Q_GRAD = 56.0


def events_for(name, events):
    """The number of events measured for ``name`` when ``events`` are asked for."""
    return min(events, MAX_EVENTS.get(name, events))


def measure(names, events, gpu_program=False):
    """{process: (prep s, value, value+grad, all-cores value[, GPU program value, +grad])}
    in us/event, this interpreter."""
    cores = numba.config.NUMBA_NUM_THREADS
    rows = {}
    for name in names:
        events_here = events_for(name, events)
        t0 = time.perf_counter()
        proc = numhep.process(name)
        prep = time.perf_counter() - t0
        p, _ = numhep.rambo(events_here, 1000.0, proc.masses, seed=1)
        numhep.me(p[:2], proc)  # compile outside the timing
        numhep.me(p[:2], proc, grad=True)
        numba.set_num_threads(1)
        t_val = best_time(lambda: numhep.me(p, proc), repeats=3) / events_here * 1e6
        t_grad = best_time(lambda: numhep.me(p, proc, grad=True), repeats=3) / events_here * 1e6
        tape = gpu_program_times(proc, p[:2000]) if gpu_program else ()
        numba.set_num_threads(cores)
        t_all = best_time(lambda: numhep.me(p, proc), repeats=3) / events_here * 1e6
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


def measure_peers(peers, events, iterations, launches):
    """[CheckTiming] of each (process, executable) in ``peers``, on one core, the fastest
    of ``launches`` runs of ``iterations`` iterations of about the events numhep measures
    for that process."""
    timings = []
    for name, exe in peers:
        runs = [run_check(exe, events_for(name, events), iterations) for _ in range(max(launches, 1))]
        timings.append(min(runs, key=lambda run: run.us_per_event))
        if timings[-1].process.replace("x", "") != name:
            print(f"warning: {exe} prints process {timings[-1].process!r}, compared here with numhep's {name!r}",
                  file=sys.stderr)
    return timings


def ratio(num, den, width):
    """``num / den`` formatted to ``width``, or a dash where either is unknown."""
    return f"{num / den:>{width}.2f}" if num is not None and den is not None else f"{'-':>{width}}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--processes", default=",".join(n for n in MADGRAPH if n not in OPT_IN),
                    help=f"comma-separated; {', '.join(OPT_IN)} only when named")
    ap.add_argument("--launches", type=int, default=1, help="fresh interpreters to measure in (minimum kept)")
    ap.add_argument("--gpu-program", action="store_true", help="also time the GPU's per-event program on one core")
    ap.add_argument("--peer", default="", metavar="[NAME=]PATH[,...]",
                    help="CUDACPP check_cpp.exe builds to run on one core in the same run (process from the "
                         "P1_Sigma_... directory, or NAME=PATH)")
    ap.add_argument("--peer-iterations", type=int, default=5, help="iterations of each --peer run")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    names = [n for n in args.processes.split(",") if n]
    if args.json:
        print(json.dumps(measure(names, args.events, args.gpu_program)))
        return
    known = set(numhep.processes())
    try:
        peers = [peer_arguments(spec, known) for spec in args.peer.split(",") if spec]
    except ValueError as err:
        ap.error(str(err))
    names += [name for name, _ in peers if name not in names]
    try:  # before numhep, so that a peer that cannot be read stops the run at once
        peer_rows = measure_peers(peers, args.events, args.peer_iterations, args.launches)
    except (ValueError, RuntimeError) as err:
        ap.error(f"--peer: {err}")
    if args.launches <= 1:
        rows = measure(names, args.events, args.gpu_program)
    else:
        flags = ["--gpu-program"] if args.gpu_program else []
        rows = smallest_over_launches(__file__, ["--events", args.events, "--processes", ",".join(names), *flags],
                                      args.launches)
    cores = numba.config.NUMBA_NUM_THREADS
    capped = {name: events_for(name, args.events) for name in names if events_for(name, args.events) != args.events}
    print(f"|M|^2 on the CPU, {args.events} events at 1 TeV"
          + "".join(f" ({name}: {n})" for name, n in capped.items())
          + ", float64; us/event (lower is better)"
          + (f", smallest of {args.launches} launches" if args.launches > 1 else ""))
    print("MG -O3 and CC 512z: recorded MadGraph Fortran -O3 and CUDACPP 512z (double), one core of a 2-vCPU "
          "AMD EPYC; ours/CC below 1: numhep faster")
    head = (f"{'process':<10} {'prep s':>7} {'1 core':>9} {'1c +grad':>9} {'grad/val':>8} "
            f"{f'{cores} cores':>9} {'MG -O3':>8} {'MG/ours':>8} {'CC 512z':>8} {'ours/CC':>8}")
    if args.gpu_program:
        head += f" {'GPU prog':>9} {'+grad':>9} {'prog/SIMD':>9} {'+grad':>6}"
    print(head)
    for name in names:
        prep, t_val, t_grad, t_all = rows[name][:4]
        mg = MADGRAPH.get(name, (None,) * 3)[2]
        cc = CUDACPP_512Z.get(name)
        line = (f"{name:<10} {prep:>7.2f} {t_val:>9.2f} {t_grad:>9.2f} {t_grad / t_val:>8.2f} "
                f"{t_all:>9.2f} {mg if mg is not None else '-':>8} {ratio(mg, t_val, 8)} "
                f"{cc if cc is not None else '-':>8} {ratio(t_val, cc, 8)}")
        if args.gpu_program:
            tape_val, tape_grad = rows[name][4:]
            line += f" {tape_val:>9.2f} {tape_grad:>9.2f} {tape_val / t_val:>9.2f} {tape_grad / t_grad:>6.2f}"
        print(line)
        if name == "gg_tt_6q":
            print(f"{'':<10} value+gradient vs MadJax (arXiv:2203.00057 Table 1, {MADJAX_TT6Q_GRAD} us): "
                  f"{MADJAX_TT6Q_GRAD / t_grad:.1f}x faster")
    if peer_rows:
        print("\nPeers run now on one core (CUDACPP check: its own RAMBO points, which cannot be numhep's; the "
              "|M|^2 cost per event\ndoes not depend on the point here, the helicity and colour sums being fixed "
              "work). ME us/ev: 1e6 / EvtsPerSec[MatrixElems];\nbest it: fastest iteration; run s: whole "
              "executable; ours/peer below 1: numhep faster")
        print(f"{'process':<10} {'backend':>9} {'events x it':>13} {'ME us/ev':>9} {'best it':>9} {'run s':>7} "
              f"{'1 core':>9} {'ours/peer':>9}  executable")
        for (name, exe), peer in zip(peers, peer_rows):
            t_val = rows[name][1]
            best = f"{peer.best_us_per_event:>9.2f}" if peer.best_us_per_event is not None else f"{'-':>9}"
            shown = "/".join(exe.resolve().parts[-3:])
            print(f"{name:<10} {peer.backend + ' ' + peer.precision[:1]:>9} "
                  f"{f'{peer.events // peer.iterations} x {peer.iterations}':>13} {peer.us_per_event:>9.2f} {best} "
                  f"{peer.wall_s:>7.2f} {t_val:>9.2f} {t_val / peer.us_per_event:>9.2f}  {shown}")


if __name__ == "__main__":
    main()
