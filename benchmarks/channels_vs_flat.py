"""Diagram channels against the flat map: error per call and unweighting efficiency.

For each process, numhep generates events twice from the same integrand settings, once on
RAMBO on diet with one VEGAS grid (flat) and once on the diagram channels with a grid per
channel group (multi-channel, propagator weights), with equal VEGAS calls and iterations.
Printed per process and map: sigma +- error, the relative error scaled to one million
calls (eps sqrt(N / 1e6), smaller is better), the unweighting efficiency <w>/w_max of the
frozen grids, and the ratios multi-channel / flat (>1 favours the diagram channels).

    python benchmarks/channels_vs_flat.py [--calls 20000] [--iterations 8] [--events 500]
"""

import argparse
import math
import tempfile
import time
from pathlib import Path

from timing import one_core

from numhep.events.generation import generate

PROCESSES = [
    # (label, process, sqrt_s, integrand options)
    ("ee_uugg", "e+ e- > u u~ g g", 1000.0, {"cuts": {"ycut": 0.01}}),
    ("ud_www (partonic)", "u d~ > w+ w+ w-", 2000.0, {"pdf": None}),
    ("gg_ttg (partonic)", "g g > t t~ g", 1000.0, {"pdf": None, "alpha_s": 0.118, "cuts": {"ptj": 20.0}}),
    ("gg_wdug (partonic)", "g g > w+ d u~ g", 1000.0,
     {"pdf": None, "alpha_s": 0.118, "cuts": {"ptj": 20.0, "drjj": 0.4}}),
    ("pp_tt (13 TeV)", "p p > t t~", 13000.0, {"scale": 173.0}),
]


def run(process, sqrt_s, options, channel, args, folder):
    t0 = time.perf_counter()
    res = generate(process, sqrt_s, n_events=args.events, lhe=folder / f"{channel}.lhe", n_points=args.calls,
                   n_iterations=args.iterations, n_warmup=2, pilot_points=4 * args.calls, batch_size=args.calls,
                   progress=False, channel=channel, **options)
    calls = args.calls * (args.iterations - 2)
    eps = res.error / res.sigma * math.sqrt(calls / 1e6)
    return res, eps, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=20_000, help="VEGAS calls per iteration")
    ap.add_argument("--iterations", type=int, default=8)
    ap.add_argument("--events", type=int, default=500, help="unweighted events per run")
    ap.add_argument("--only", help="run only processes whose label contains this")
    args = ap.parse_args()
    one_core()
    print(f"{args.calls} calls x {args.iterations} iterations (2 warm-up), {args.events} events, one core\n")
    head = f"{'process':<22}{'map':<8}{'sigma [pb]':>26}{'eps @1M calls':>15}{'efficiency':>12}{'time':>8}"
    print(head)
    print("-" * len(head))
    for label, process, sqrt_s, options in PROCESSES:
        if args.only and args.only not in label:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            rows = {}
            for name, channel in (("flat", None), ("multi", "diagrams")):
                res, eps, dt = run(process, sqrt_s, options, channel, args, Path(tmp))
                rows[name] = (res, eps)
                print(f"{label:<22}{name:<8}{res.sigma:>14.5g} +- {res.error:<9.2g}{eps:>15.2e}"
                      f"{res.efficiency:>11.2%}{dt:>7.0f}s")
            (rf, ef), (rm, em) = rows["flat"], rows["multi"]
            pull = (rm.sigma - rf.sigma) / math.hypot(rm.error, rf.error)
            print(f"{'':<22}{'ratio':<8}{'pull ' + format(pull, '+.1f'):>26}{(ef / em) ** 2:>15.2f}"
                  f"{rm.efficiency / rf.efficiency:>12.2f}\n")


if __name__ == "__main__":
    main()
