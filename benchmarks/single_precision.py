"""The float32 mode of numhep.me: its accuracy against float64, and what it buys on the CPU.

For each process, flat RAMBO points at 1 TeV (as in me_cpu.py) are evaluated in float64
and, rounded to float32, in float32 (``numhep.me`` on float32 momenta).  Printed:

* the relative error of |M|^2 and of d|M|^2/dp (per event, the largest component error
  over the event's largest component), as median, 99th percentile and largest value;
* how much of it the rounding of the momenta alone causes (float64 arithmetic on the
  float32-rounded momenta): the rest is the float32 arithmetic;
* microseconds per event on one core, value and value + gradient, in both precisions,
  and the speed-up (the same run, the same machine).

    python benchmarks/single_precision.py [--events 4000] [--processes gg_tt,gg_ttgg]
                                          [--launches 3] [--plot errors.png]
"""

import argparse
import json

import numba
import numpy as np
from timing import best_time, smallest_over_launches

import numhep

PROCESSES = ("gg_tt", "gg_ttgg", "ud_www", "ee_uuggg", "gg_tt_6q")
SQRT_S = 1000.0


def _gradient_error(g, ref):
    """Per event: largest component error over the event's largest component."""
    axes = tuple(range(1, ref.ndim))
    return np.abs(g - ref).max(axis=axes) / np.abs(ref).max(axis=axes)


def accuracy(name, events):
    """{quantity: relative errors per event} of the float32 mode for one process."""
    proc = numhep.process(name)
    p, _ = numhep.rambo(events, SQRT_S, proc.masses, seed=7)
    p32 = p.astype(np.float32)
    ref, ref_grad = numhep.me(p, proc, grad=True)
    rounded, rounded_grad = numhep.me(p32.astype(np.float64), proc, grad=True, check=False)
    value, grad = numhep.me(p32, proc, grad=True)
    return {
        "value": np.abs(value / ref - 1),
        "value, momenta rounding": np.abs(rounded / ref - 1),
        "gradient": _gradient_error(grad, ref_grad),
        "gradient, momenta rounding": _gradient_error(rounded_grad, ref_grad),
    }


def speed(names, events):
    """{process: [us/event value f64, +grad f64, value f32, +grad f32]}, one core."""
    numba.set_num_threads(1)
    rows = {}
    for name in names:
        proc = numhep.process(name)
        p, _ = numhep.rambo(events, SQRT_S, proc.masses, seed=1)
        row = []
        for q in (p, p.astype(np.float32)):
            numhep.me(q[:2], proc, grad=True)  # compile outside the timing
            row.append(best_time(lambda: numhep.me(q, proc, check=False), repeats=3) / events * 1e6)
            row.append(best_time(lambda: numhep.me(q, proc, grad=True, check=False), repeats=3) / events * 1e6)
        rows[name] = row
    return rows


def plot(errors, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mplhep

    plt.style.use(mplhep.style.ROOT)
    fig, axes = plt.subplots(1, 2, figsize=(16, 7))
    bins = np.linspace(-10, -1, 61)
    for ax, quantity, label in zip(axes, ("value", "gradient"), ("$|M|^2$", "$d|M|^2/dp$")):
        for name, errs in errors.items():
            ax.hist(np.log10(np.maximum(errs[quantity], 1e-10)), bins=bins, histtype="step", lw=2, label=name)
        ax.set_xlabel(f"log10 relative error of {label}, float32")
        ax.set_ylabel("events")
        ax.legend(fontsize=14)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    print(f"wrote {path}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=4000)
    ap.add_argument("--processes", default=",".join(PROCESSES))
    ap.add_argument("--launches", type=int, default=1, help="fresh interpreters to time in (minimum kept)")
    ap.add_argument("--plot", help="PNG file for histograms of the relative errors")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    names = args.processes.split(",")
    if args.json:
        print(json.dumps(speed(names, args.events)))
        return

    print(f"float32 mode against float64: {args.events} flat points at {SQRT_S:.0f} GeV per process; "
          "relative errors (median / 99% / largest)")
    errors = {name: accuracy(name, args.events) for name in names}
    print(f"{'process':<10} {'quantity':<28} {'median':>9} {'99%':>9} {'largest':>9}")
    for name, errs in errors.items():
        for quantity, e in errs.items():
            q50, q99 = np.quantile(e, [0.5, 0.99])
            print(f"{name:<10} {quantity:<28} {q50:>9.1e} {q99:>9.1e} {e.max():>9.1e}")

    if args.launches <= 1:
        rows = speed(names, args.events)
    else:
        rows = smallest_over_launches(__file__, ["--events", args.events, "--processes", args.processes],
                                      args.launches)
    print("\nus/event on one core (lower is better)"
          + (f", smallest of {args.launches} launches" if args.launches > 1 else ""))
    print(f"{'process':<10} {'f64':>9} {'f64 +grad':>10} {'f32':>9} {'f32 +grad':>10} {'speed-up':>9} {'+grad':>7}")
    for name in names:
        v64, g64, v32, g32 = rows[name]
        print(f"{name:<10} {v64:>9.2f} {g64:>10.2f} {v32:>9.2f} {g32:>10.2f} {v64 / v32:>9.2f} {g64 / g32:>7.2f}")
    if args.plot:
        plot(errors, args.plot)


if __name__ == "__main__":
    main()
