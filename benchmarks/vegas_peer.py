"""numhep's VEGAS against the ``vegas`` package (G. P. Lepage), same integrands, same calls.

For each integrand both integrators get the same number of integrand calls per
iteration and the same number of iterations; printed are the wall time and the final
relative error of each and their ratios (>1 means numhep is faster / more precise).
Both run their defaults: VEGAS map adaptation plus adaptive stratified sampling
(VEGAS+, beta = 0.75). Kernel compilation happens before the timed runs.

    python benchmarks/vegas_peer.py [--calls 100000] [--iterations 10]

``--chi2`` asks instead whether the iterations' errors can be trusted: on the main
job's integrand (p p > t t~ at 13 TeV, built as ``numhep generate`` builds it, with its
defaults: 20,000 calls per iteration, 10 iterations, 3 warm-up) and on two analytic
integrands, numhep's VEGAS and the vegas package run over ``--seeds`` seeds with the same
calls per iteration and iterations (40 seeds on p p > t t~, 400 on the analytic integrands,
about 6 minutes on one core).  Per integrand and integrator it prints the mean
chi^2/dof of the combined iterations and its spread over the seeds, the fraction of runs
with Q = P(chi^2 > observed) < 0.05, and the mean and spread of the pulls
(I - I_ref)/sigma.  I_ref is exact for the analytic integrands and, for p p > t t~, the
inverse-variance average of long runs (three of the vegas package, adaptation stopped for
its estimate, and three of numhep).  Each integrator is combined twice: over the
iterations after the warm-up (what numhep's main job prints) and over all iterations.
If the errors are right: chi^2/dof 1 +- sqrt(2/dof), 5 % of runs with Q < 0.05, pulls
0 +- 1.

    python benchmarks/vegas_peer.py --chi2 [--seeds 40] [--analytic-seeds 400] [--calls 20000] [--iterations 10]
                                   [--warmup 3] [--ref-calls 400000] [--ref-runs 3]
"""

import argparse
import math
import sys
import time

import numpy as np
import vegas
from scipy.stats import chi2 as chi2_dist
from timing import one_core

import numhep
from numhep.integration.vegas import combine_iterations


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

# ``numhep`` with no arguments = ``numhep generate`` with these defaults (numhep/cli.py)
MAIN_JOB = {"process": "p p > t t~", "sqrt_s": 13000.0, "points": 20_000, "iterations": 10, "warmup": 3}


def gaussians_exact(d):
    return math.erf(0.5 / (0.1 * math.sqrt(2))) ** d


def camel_exact(d):
    s = 0.05
    one = [0.5 * (math.erf((1 - c) / (s * math.sqrt(2))) + math.erf(c / (s * math.sqrt(2)))) for c in (1 / 3, 2 / 3)]
    return 0.5 * (one[0] ** d + one[1] ** d)


def main_job_integrand():
    """The integrand of ``numhep`` with no arguments (cli._generate: no cuts, mu = HT/2, flat phase space)."""
    return numhep.integrand(MAIN_JOB["process"], MAIN_JOB["sqrt_s"], cuts={}, scale="ht/2", channel=None,
                            channel_weights="propagator")


def _q(chi2_dof, dof):
    return float(chi2_dist.sf(chi2_dof * dof, dof)) if dof > 0 else math.nan


def _combined(its):
    """(mean, sdev, chi2/dof, Q) of (mean, sdev) iterations, combined as numhep combines them."""
    m, s, c = combine_iterations(its)
    return m, s, c, _q(c, len(its) - 1)


def _vegas_combined(results):
    """The vegas package's own combination (vegas.RAvg) of its iteration results."""
    avg = vegas.RAvg()
    for r in results:
        avg.add(r)
    return avg.mean, avg.sdev, avg.chi2 / avg.dof, avg.Q


def _runs_numhep(f, d, calls, iterations, warmup, seeds):
    rows = {"after": [], "all": []}
    for seed in seeds:
        res = numhep.vegas_integrate(f, numhep.VegasGrid(d), n_points=calls, n_iterations=iterations,
                                     n_warmup=warmup, seed=seed, batch_size=MAIN_JOB["points"])
        rows["after"].append((res.mean, res.sdev, res.chi2_dof, _q(res.chi2_dof, iterations - warmup - 1)))
        rows["all"].append(_combined(res.iterations))
    return rows


def _runs_vegas(f, d, calls, iterations, warmup, seeds):
    rows = {"after": [], "all": []}
    batch = vegas.batchintegrand(lambda x: np.ascontiguousarray(f(np.asarray(x))))
    for seed in seeds:
        integ = vegas.Integrator(d * [[0.0, 1.0]], ran_array_generator=np.random.default_rng(seed).random)
        res = integ(batch, nitn=iterations, neval=calls)  # adapts in every iteration (alpha 0.5, beta 0.75)
        rows["after"].append(_vegas_combined(res.itn_results[warmup:]))
        rows["all"].append((res.mean, res.sdev, res.chi2 / res.dof, res.Q))
    return rows


def _reference(f, d, calls, runs):
    """I_ref of an integrand without a closed form: ``runs`` long runs of each integrator (the
    vegas package's with adaptation stopped for its estimate) and their inverse-variance average."""
    batch = vegas.batchintegrand(lambda x: np.ascontiguousarray(f(np.asarray(x))))
    found = {"vegas": [], "numhep": []}
    for seed in range(12345, 12345 + runs):
        integ = vegas.Integrator(d * [[0.0, 1.0]], ran_array_generator=np.random.default_rng(seed).random)
        integ(batch, nitn=5, neval=calls)
        r = integ(batch, nitn=8, neval=calls, adapt=False)
        found["vegas"].append((r.mean, r.sdev))
        r = numhep.vegas_integrate(f, numhep.VegasGrid(d), n_points=calls, n_iterations=12, n_warmup=4, seed=seed,
                                   batch_size=MAIN_JOB["points"])
        found["numhep"].append((r.mean, r.sdev))
    m, s, c, q = _combined(found["vegas"] + found["numhep"])
    scale = max(1.0, math.sqrt(c))  # runs that disagree: the error scaled up (as the PDG does)
    parts = []
    for name, rows in found.items():
        mi, si, ci, _ = _combined(rows)
        parts.append(f"{name} {mi:.4f} +- {si:.4f}" + (f" (chi2/dof {ci:.2f})" if runs > 1 else ""))
    note = (", ".join(parts) + f"; all {2 * runs}: chi2/dof {c:.2f}, Q {q:.2f}"
            + (f", error scaled by {scale:.2f}" if scale > 1 else ""))
    return m, s * scale, note


def chi2_study(args):
    calls = args.calls or MAIN_JOB["points"]
    its, warm = args.iterations, args.warmup
    if its - warm < 2:
        raise SystemExit("--chi2 needs at least two iterations after the warm-up")
    print(f"chi2 study: {its} iterations x {calls:,} calls, {warm} warm-up, one core; seeds 1..{args.seeds} for "
          f"p p > t t~, 1..{args.analytic_seeds} for the analytic integrands; vegas {vegas.__version__} with its "
          "defaults (alpha 0.5, beta 0.75, adapting in every iteration)")
    t_start = time.perf_counter()
    f_tt = main_job_integrand()
    numhep.vegas_integrate(gaussians, numhep.VegasGrid(2), n_points=100, n_iterations=2)  # compile first
    f_tt(np.full((4, f_tt.dim), 0.5))
    cases = [("gaussians 4D", gaussians, 4, gaussians_exact(4), "exact", args.analytic_seeds),
             ("camel 4D", camel, 4, camel_exact(4), "exact", args.analytic_seeds)]
    t0 = time.perf_counter()
    ref, ref_err, note = _reference(f_tt, f_tt.dim, args.ref_calls, args.ref_runs)
    print(f"I_ref p p > t t~ = {ref:.4f} +- {ref_err:.4f} pb from {args.ref_runs} runs of each integrator "
          f"({args.ref_calls:,} calls per iteration; vegas 5 + 8 iterations, numhep 4 + 8): {note} "
          f"[{time.perf_counter() - t0:.0f} s]")
    cases.append((f"{MAIN_JOB['process']} 13 TeV", f_tt, f_tt.dim, ref, f"+- {ref_err:.2g}", args.seeds))
    table = []
    for name, f, d, exact, how, k in cases:
        for label, runner in (("numhep", _runs_numhep), (f"vegas {vegas.__version__}", _runs_vegas)):
            t0 = time.perf_counter()
            rows = runner(f, d, calls, its, warm, range(1, k + 1))
            print(f"  {name}, {label}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
            for which, n_comb in (("after", its - warm), ("all", its)):
                r = np.array(rows[which])
                pull = (r[:, 0] - exact) / r[:, 1]
                if label == "numhep" and which == "after":
                    tt_sigma = float(r[:, 1].mean())  # the last case is p p > t t~
                table.append((name, label, f"{n_comb} ({'after warm-up' if which == 'after' else 'all'})", k,
                              r[:, 2].mean(), r[:, 2].std(ddof=1), (r[:, 3] < 0.05).mean(), pull.mean(),
                              pull.std(ddof=1), r[0, 2], exact, how))
    print()
    print(f"{'integrand':<18} {'integrator':<12} {'iterations':<18} {'runs':>4} {'chi2/dof':>8} {'sd':>5} "
          f"{'Q<0.05':>6} {'pull':>6} {'sd':>5} {'seed 1':>6}  I_ref")
    for name, label, comb, k, c_mean, c_sd, q_frac, p_mean, p_sd, c_1, exact, how in table:
        print(f"{name:<18} {label:<12} {comb:<18} {k:>4} {c_mean:>8.2f} {c_sd:>5.2f} {q_frac:>6.2f} {p_mean:>+6.2f} "
              f"{p_sd:>5.2f} {c_1:>6.2f}  {exact:.6g} ({how})")
    print("\nchi2/dof, Q<0.05, pull: mean over the runs (seeds 1..runs) of each run's own chi2/dof, Q < 0.05 and "
          "(I - I_ref)/sigma; sd: their spread over the runs; seed 1: that run's chi2/dof (numhep's main job uses "
          "seed 1).  Correct errors give, per run:")
    for dof in (its - warm - 1, its - 1):
        print(f"  {dof} dof: chi2/dof 1 with sd {math.sqrt(2 / dof):.2f}, Q < 0.05 in 5 % of the runs, pull 0 with "
              "sd 1; the mean over k runs is uncertain by sd/sqrt(k), the fraction by sqrt(0.05 * 0.95 / k)")
    print(f"  the pulls on p p > t t~ share I_ref's uncertainty, +- {ref_err:.2g} pb = +- {ref_err / tt_sigma:.2f} in "
          f"units of a run's sigma ({tt_sigma:.2g} pb)")
    print(f"total {time.perf_counter() - t_start:.0f} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=None,
                    help=f"calls per iteration (default 100,000; with --chi2 the main job's {MAIN_JOB['points']:,})")
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--chi2", action="store_true", help="chi2/dof and pulls over seeds instead of the timing table")
    ap.add_argument("--seeds", type=int, default=40, help="--chi2: runs of each integrator on p p > t t~")
    ap.add_argument("--analytic-seeds", type=int, default=400, help="--chi2: runs on each analytic integrand")
    ap.add_argument("--warmup", type=int, default=MAIN_JOB["warmup"], help="--chi2: iterations left out of the result")
    ap.add_argument("--ref-calls", type=int, default=400_000, help="--chi2: calls per iteration of the reference runs")
    ap.add_argument("--ref-runs", type=int, default=3, help="--chi2: reference runs of each integrator")
    args = ap.parse_args()
    one_core()
    if args.chi2:
        chi2_study(args)
        return
    args.calls = args.calls or 100_000
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
