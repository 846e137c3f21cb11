"""Timing shared by the benchmark scripts: best of several repeats, one core."""

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


def one_core():
    """Pin numba to one thread so the comparison is per core."""
    import numba

    numba.set_num_threads(1)
