"""numhep's VEGAS against the ``vegas`` package (G. P. Lepage), same integrands, same calls.

For each integrand both integrators get the same number of integrand calls per
iteration and the same number of iterations; printed are the wall time and the final
relative error of each and their ratios (>1 means numhep is faster / more precise).
Both run their defaults: VEGAS map adaptation plus adaptive stratified sampling
(VEGAS+, beta = 0.75). Kernel compilation happens before the timed runs.

    python benchmarks/vegas_peer.py [--calls 100000] [--iterations 10]
"""

import argparse
import math
import time

import numpy as np
import vegas
from timing import one_core

import numhep


def gaussians(x):
    s = 0.1
    return np.prod(np.exp(-((x - 0.5) ** 2) / (2 * s * s)) / (math.sqrt(2 * math.pi) * s), axis=1)


def camel(x):
    s = 0.05
    d = x.shape[1]
    a = np.exp(-(((x - 1 / 3) ** 2).sum(1)) / (2 * s * s))
    b = np.exp(-(((x - 2 / 3) ** 2).sum(1)) / (2 * s * s))
    return 0.5 * (a + b) / (2 * math.pi * s * s) ** (d / 2)


def peak(x):
    g = 1e-3
    return (g / math.pi) / ((x[:, 0] - 0.3) ** 2 + g * g) * np.ones(len(x))


CASES = [("gaussians 4D", gaussians, 4), ("camel 4D", camel, 4), ("gaussians 8D", gaussians, 8), ("narrow peak 2D", peak, 2)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--iterations", type=int, default=10)
    args = ap.parse_args()
    one_core()
    print(f"{args.iterations} iterations x {args.calls} calls, one core")
    print(f"{'integrand':<16} {'numhep s':>9} {'vegas s':>8} {'time ratio':>10} {'numhep err':>11} {'vegas err':>10} {'err ratio':>9}")
    numhep.vegas_integrate(gaussians, numhep.VegasGrid(2), n_points=100, n_iterations=2)  # compile first
    for name, f, d in CASES:
        t0 = time.perf_counter()
        res = numhep.vegas_integrate(f, numhep.VegasGrid(d), n_points=args.calls, n_iterations=args.iterations, seed=1)
        t_ours = time.perf_counter() - t0
        integ = vegas.Integrator(d * [[0.0, 1.0]])
        batch = vegas.batchintegrand(lambda x: np.ascontiguousarray(f(x)))
        t0 = time.perf_counter()
        ref = integ(batch, nitn=args.iterations, neval=args.calls)
        t_ref = time.perf_counter() - t0
        e_ours = res.sdev / abs(res.mean)
        e_ref = ref.sdev / abs(ref.mean)
        print(
            f"{name:<16} {t_ours:>9.2f} {t_ref:>8.2f} {t_ref / t_ours:>10.2f} "
            f"{e_ours:>11.2e} {e_ref:>10.2e} {e_ref / e_ours:>9.2f}"
        )


if __name__ == "__main__":
    main()
