"""Forward against inverse training, variance against KL against RKL, and derivative matching:
MADNIS-Lite's Figs. 2 and 3 (Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486) on
numhep's u d~ > W+ W+ W- (one channel: RAMBO on diet).

For each setup, ``--repetitions`` trainings of :class:`numhep.torch.NeuralIntegrator` with the same
number of steps and batch size; each is measured on ``--points`` fresh points: sigma/I and the
unweighting efficiency (mean and spread).  The table and ``madnis_lite_training.png`` show them
for forward/inverse x variance/KL/RKL, then forward training with derivative matching for each
lambda of ``--lambdas``.  The paper finds forward KL best and the inverse RKL noisiest.

Last, the cost of inverse training: one evaluation of the integrand with d weight/du through
numhep's adjoints (what an inverse step adds) against the plain evaluation of a forward step,
at the same batch size (MADNIS-Lite asks for at most 4x).

    python benchmarks/madnis_lite_training.py [--steps 300] [--repetitions 10] [--lambdas 1e-8,1e-7,1e-6]
                                              [--no-plain]

A training takes about 23 s on one core: 15 setups x 10 repetitions, about an hour.
"""

import argparse
import time
import warnings

import numpy as np

import numhep
from numhep.torch import NeuralIntegrator

PROCESS = ("u d~ > w+ w+ w-", dict(sqrt_s=1000.0, pdf=None))


def train(f, args, seed, **options):
    ni = NeuralIntegrator(f, steps=args.steps, batch_size=args.batch_size, seed=seed, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ni.train(progress=False)
    return ni.integrate(args.points).quality


def cost(f, batch_size, repeats=5):
    import torch

    u = np.random.default_rng(1).random((batch_size, f.dim))
    f.evaluate(u)
    ut = torch.tensor(u, requires_grad=True)
    f(ut).sum().backward()
    t0 = time.perf_counter()
    for _ in range(repeats):
        f.evaluate(u)
    plain = (time.perf_counter() - t0) / repeats
    t0 = time.perf_counter()
    for _ in range(repeats):
        ut = torch.tensor(u, requires_grad=True)
        f(ut).sum().backward()
    through = (time.perf_counter() - t0) / repeats
    return plain, through


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--repetitions", type=int, default=10)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--lambdas", default="1e-8,1e-7,1e-6")
    ap.add_argument("--no-plain", action="store_true",
                    help="only the derivative-matching setups (a lambda scan run apart from Fig. 2's rows)")
    ap.add_argument("--plot", default="madnis_lite_training.png")
    args = ap.parse_args()
    text, options = PROCESS
    f = numhep.integrand(text, **options)
    print(f"{text} at {options['sqrt_s']} GeV, one channel ({f.dim} dimensions), {args.steps} steps of "
          f"{args.batch_size}, {args.repetitions} repetitions, measured on {args.points} points")
    setups = {} if args.no_plain else {f"{mode} {loss}": dict(training=mode, loss=loss)
                                       for mode in ("forward", "inverse") for loss in ("variance", "kl", "rkl")}
    for lam in (float(v) for v in args.lambdas.split(",") if v):
        for loss in ("variance", "kl", "rkl"):
            setups[f"forward {loss} + DM {lam:g}"] = dict(loss=loss, derivative_matching=lam)
    if not setups:
        ap.error("--no-plain with no --lambdas leaves nothing to train")
    print(f"{'setup':<32}{'sigma/I':>18}{'unweighting eff. %':>24}{'s per run':>11}")
    rows = {}
    for name, opts in setups.items():
        t0 = time.perf_counter()
        qs = [train(f, args, seed, **opts) for seed in range(args.repetitions)]
        rel = np.array([q.relative_std for q in qs])
        eff = 100 * np.array([q.efficiency for q in qs])
        rows[name] = (rel, eff)
        print(f"{name:<32}{rel.mean():>10.3g} +- {rel.std():<6.2g}{eff.mean():>14.3g} +- {eff.std():<7.2g}"
              f"{(time.perf_counter() - t0) / args.repetitions:>9.1f}", flush=True)
    plain, through = cost(f, args.batch_size)
    print(f"\nintegrand at {args.batch_size} points: {1e3 * plain:.1f} ms; with d weight/du through the adjoints "
          f"{1e3 * through:.1f} ms: an inverse step costs {through / plain:.2f}x a forward step's evaluation")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no plot: pip install 'numhep[plots]')")
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.35 * len(rows) + 1.5), sharey=True)
    names = list(rows)
    for ax, k, label in zip(axes, (0, 1), (r"$\sigma/I$", "unweighting efficiency [%]")):
        # median and 16-84 % of the repetitions: one collapsed training makes the mean +- std
        # of sigma/I reach below zero, which a log axis cannot show
        lo, mid, hi = np.array([np.percentile(rows[n][k], [16, 50, 84]) for n in names]).T
        ax.errorbar(mid, range(len(names)), xerr=[mid - lo, hi - mid], fmt="o")
        ax.set_xlabel(label + " (median, 16-84 %)")
    axes[0].set_xscale("log")  # sigma/I spans decades once a training collapses
    axes[0].set_yticks(range(len(names)), names)
    axes[0].invert_yaxis()
    fig.suptitle(f"{text}: {args.repetitions} trainings of {args.steps} steps each")
    fig.tight_layout()
    fig.savefig(args.plot, dpi=120)
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
