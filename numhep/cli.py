"""The ``numhep`` command.

    numhep integrate [PROCESS] [--sqrt-s E] [--points N] [--iterations K]

integrates a process at fixed centre-of-mass energy with numhep's VEGAS over RAMBO on
diet and prints the cross section with its error, next to the process's analytic
value where it declares one.  With no arguments it runs the main job: e+ e- -> mu+ mu-
through gamma/Z at the Z pole.
"""

from __future__ import annotations

import argparse
import sys
import time

import numhep
from numhep.integrand import integrand


def _integrate(args) -> int:
    proc = numhep.process(args.process)
    f = integrand(proc, args.sqrt_s)
    grid = numhep.VegasGrid(f.dim, bins=args.bins)
    t0 = time.perf_counter()
    res = numhep.vegas_integrate(
        f,
        grid,
        n_points=args.points,
        n_iterations=args.iterations,
        n_warmup=args.warmup,
        seed=args.seed,
        progress=not args.quiet,
        checkpoint=args.checkpoint,
    )
    elapsed = time.perf_counter() - t0
    rows = [
        ("process", f"{proc.name}  ({proc.description})" if proc.description else proc.name),
        ("sqrt(s)", f"{args.sqrt_s:g} GeV"),
        ("sigma (numhep VEGAS)", f"{res.mean:.6g} +- {res.sdev:.2g} pb"),
        ("chi2/dof", f"{res.chi2_dof:.2f} over {len(res.iterations) - args.warmup} iterations"),
        ("integrand calls", f"{res.n_evaluations:,} in {elapsed:.1f} s"),
    ]
    exact = proc.meta.get("total_cross_section")
    if exact is not None:
        value = exact(args.sqrt_s)
        pull = (res.mean - value) / res.sdev if res.sdev > 0 else float("nan")
        rows.append(("sigma (analytic)", f"{value:.6g} pb"))
        rows.append(("difference", f"{pull:+.2f} sigma ({(res.mean / value - 1) * 100:+.4f} %)"))
    width = max(len(r[0]) for r in rows)
    print()
    for key, val in rows:
        print(f"  {key:<{width}}  {val}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="numhep", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("integrate", help="cross section of a process at fixed sqrt(s)")
    p.add_argument("process", nargs="?", default="ee_mumu_analytic")
    p.add_argument("--sqrt-s", type=float, default=91.188, help="centre-of-mass energy in GeV (default: MZ)")
    p.add_argument("--points", type=int, default=100_000, help="integrand calls per iteration")
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2, help="adaptation-only iterations left out of the result")
    p.add_argument("--bins", type=int, default=64)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--checkpoint", help="file to save progress in and resume from")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    sub.add_parser("processes", help="list registered processes")
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["integrate", *(argv or [])])
    try:
        if args.command == "processes":
            for name in numhep.processes():
                print(name)
            return 0
        return _integrate(args)
    except (LookupError, ValueError) as exc:
        print(f"numhep: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
