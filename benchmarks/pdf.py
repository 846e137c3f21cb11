"""PDF evaluation speed against Pythia 8's own reader of the same LHAPDF grid.

numhep evaluates x f(x, Q^2) for arrays of points in one kernel call; Pythia 8 (PyPI
pythia8mc) is reachable from Python only one point per call, so its figure includes
the binding's per-call cost. Both read NNPDF31_lo_as_0118; points uniform in
ln x in [1e-5, 0.9] and ln Q^2 in [10, 1e6] GeV^2, gluon; one core.

    python benchmarks/pdf.py [--points 1000000]
"""

import argparse
import time

import numpy as np
from timing import best_time, one_core

import numhep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    args = ap.parse_args()
    one_core()
    import pythia8mc

    rng = np.random.default_rng(1)
    x = np.exp(rng.uniform(np.log(1e-5), np.log(0.9), args.points))
    q2 = np.exp(rng.uniform(np.log(10.0), np.log(1e6), args.points))
    pdf = numhep.pdf("NNPDF31_lo_as_0118")
    t_ours = best_time(lambda: pdf.xfxQ2(21, x, q2))
    t_grad = best_time(lambda: pdf.xfxQ2(21, x, q2, grad=True))
    py = pythia8mc.Pythia("", False)
    py.readString("PDF:pSet = LHAGrid1:NNPDF31_lo_as_0118_0000.dat")
    grid = py.getPDFPtr(2212)
    m = min(args.points, 200_000)
    xs, qs = x[:m].tolist(), q2[:m].tolist()
    xf = grid.xf
    t0 = time.perf_counter()
    for a, b in zip(xs, qs):
        xf(21, a, b)
    t_py = (time.perf_counter() - t0) * args.points / m
    rate = lambda t: args.points / t / 1e6  # noqa: E731
    print(f"x f(x, Q^2) of the gluon, {args.points} points, one core (million points/s)")
    print(f"  numhep value            {rate(t_ours):8.2f}")
    print(f"  numhep value + gradient {rate(t_grad):8.2f}")
    print(f"  Pythia 8 (python calls) {rate(t_py):8.2f}")
    print(f"  ratio numhep / Pythia   {t_py / t_ours:8.1f}")


if __name__ == "__main__":
    main()
