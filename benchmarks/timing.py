"""Timing shared by the benchmark scripts: best of several repeats, one core, and the
smallest of several fresh interpreters (on shared machines a whole launch can run tens of
percent slower than the next)."""

import json
import subprocess
import sys
import time


def best_time(fn, repeats: int = 5) -> float:
    """Smallest wall time of ``fn()`` over ``repeats`` calls (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def interleaved_best_times(fns, repeats: int = 20) -> list:
    """Smallest wall time of each of ``fns`` over ``repeats`` rounds that call them in turn
    (after one warm-up call each), so that a load that comes and goes hits them alike."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def one_core():
    """Pin numba to one thread so the comparison is per core."""
    import numba

    numba.set_num_threads(1)


def smallest_over_launches(script, args, launches):
    """Run ``script args --json`` in ``launches`` fresh interpreters; each prints one JSON
    object {row: [numbers]} as its last line.  Returns {row: [smallest of each number]}."""
    cmd = [sys.executable, str(script), *map(str, args), "--json"]
    runs = [json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
            for _ in range(launches)]
    return {row: [min(run[row][k] for run in runs) for k in range(len(runs[0][row]))] for row in runs[0]}
