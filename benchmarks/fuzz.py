"""The fuzz suite run long: ``--examples`` hypothesis examples per target (``numhep.me`` in both
precisions with and without checks and gradients, RAMBO / RAMBO on diet and its inverse, the
PDFs and alpha_s, an integrand at arbitrary points), tallied into the table

    target | tried | ok | clear error | silent NaN | crash | unnamed error | wrong

where the last four columns must be 0 (``tests/fuzz_targets.py`` defines them; CI runs the same
strategies with a bounded count in ``tests/test_fuzz.py``).  The first few calls of each bad
kind are printed.

    python benchmarks/fuzz.py [--examples 800] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fuzz_targets import OUTCOMES, TARGETS, classify  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402


def run(name, strategy, examples, rng_seed):
    tally, bad = Counter(), []

    @seed(rng_seed)
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def probe(case):
        call, names, finite, tolerate = case
        outcome, detail = classify(call, names, finite_input=finite, tolerate_nonfinite=tolerate,
                                   reference=getattr(call, "reference", None))
        tally[outcome] += 1
        if outcome not in ("ok", "error") and len(bad) < 5:
            bad.append(f"  {outcome}: {detail[:300]}")

    probe()
    return tally, bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=800)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows, reports = [], []
    for name, strategy in TARGETS.items():
        tally, bad = run(name, strategy, args.examples, args.seed)
        rows.append((name, tally))
        reports += [f"{name}:"] + bad if bad else []
    header = ["target", "tried", *OUTCOMES]
    print(" | ".join(f"{h:>11}" for h in header))
    for name, tally in rows:
        print(" | ".join([f"{name:>11}", f"{sum(tally.values()):>11}", *(f"{tally[o]:>11}" for o in OUTCOMES)]))
    total = Counter()
    for _, tally in rows:
        total.update(tally)
    print(" | ".join([f"{'all':>11}", f"{sum(total.values()):>11}", *(f"{total[o]:>11}" for o in OUTCOMES)]))
    if reports:
        print("\n".join(["", "calls that did not end in a result or a clear error:", *reports]))


if __name__ == "__main__":
    main()
