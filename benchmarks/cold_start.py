"""What a newcomer waits for: the first calls of a fresh install, every kernel compiled anew.

    python benchmarks/cold_start.py [--process gg_tt] [--prepare gg_ttggg] [--launches 1] [--precompile]

Each launch is a fresh interpreter whose numhep kernel cache (``NUMHEP_CACHE_DIR``) and
numba cache (``NUMBA_CACHE_DIR``) are new, empty directories, as after ``pip install``:
nothing compiled survives from an earlier run.  Printed, in seconds of wall time:

* ``import numhep``;
* ``numhep.process(P)``: parsing, diagrams, colour and the amplitude program, which also
  finds the helicities that vanish by running the program once (so it compiles the
  value kernel);
* the first ``numhep.me(p, P)`` after it, and the first ``numhep.me(p, P, grad=True)``
  (the gradient kernel's compilation);
* the same calls again in the same interpreter (warm, for scale);
* the preparation of a large process (``--prepare``, default gg > tt~ggg) on the same cold
  caches, which the issue bounds by 30 s.

``--precompile`` first runs ``numhep precompile`` on the empty caches, as the README's
install command does, and times it: the first calls then show what a newcomer meets after
installing.  ``--launches K`` repeats in K fresh interpreters and keeps each entry's smallest time
(compilation times swing with the machine's load).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def _child(process, prepare):
    t0 = time.perf_counter()
    import numhep

    rows = {"import numhep": time.perf_counter() - t0}
    t0 = time.perf_counter()
    proc = numhep.process(process)
    rows[f"process({process!r})"] = time.perf_counter() - t0
    p, _ = numhep.rambo(64, 1000.0, proc.masses, seed=1)
    for label, grad in (("first me", False), ("first me, grad=True", True)):
        t0 = time.perf_counter()
        numhep.me(p, proc, grad=grad)
        rows[label] = time.perf_counter() - t0
    for label, grad in (("warm me", False), ("warm me, grad=True", True)):
        t0 = time.perf_counter()
        numhep.me(p, proc, grad=grad)
        rows[label] = time.perf_counter() - t0
    if prepare:
        t0 = time.perf_counter()
        numhep.process(prepare)
        rows[f"process({prepare!r})"] = time.perf_counter() - t0
    print(json.dumps(rows))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--process", default="gg_tt")
    ap.add_argument("--prepare", default="gg_ttggg", help="a large process to prepare cold ('' for none)")
    ap.add_argument("--launches", type=int, default=1)
    ap.add_argument("--precompile", action="store_true", help="run `numhep precompile` first, as the install does")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.process, args.prepare)
        return
    best = {}
    for _ in range(args.launches):
        with tempfile.TemporaryDirectory(prefix="numhep-cold-") as root:
            env = dict(os.environ, NUMHEP_CACHE_DIR=os.path.join(root, "numhep"),
                       NUMBA_CACHE_DIR=os.path.join(root, "numba"))
            rows = {}
            if args.precompile:
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-m", "numhep", "precompile"], env=env, check=True, capture_output=True)
                rows["numhep precompile"] = time.perf_counter() - t0
            out = subprocess.run([sys.executable, __file__, "--child", "--process", args.process, "--prepare",
                                  args.prepare], env=env, check=True, capture_output=True, text=True)
        rows.update(json.loads(out.stdout.splitlines()[-1]))
        for label, seconds in rows.items():
            best[label] = min(best.get(label, float("inf")), seconds)
    cores = os.cpu_count()
    print(f"cold start on empty caches ({cores} cores, seconds of wall time"
          + (f", smallest of {args.launches} launches" if args.launches > 1 else "") + ")")
    for label, seconds in best.items():
        print(f"  {label:<34} {seconds:8.2f}")
    first = best[f"process({args.process!r})"] + best["first me"]
    print(f"  {'to the first |M|^2 (process + me)':<34} {first:8.2f}")
    print(f"  {'to the first gradient':<34} {first + best['first me, grad=True']:8.2f}")


if __name__ == "__main__":
    main()
