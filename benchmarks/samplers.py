"""numhep integrands under every sampler a user reaches for, at an equal number of calls.

For p p > t t~ at 13 TeV (NNPDF3.1 LO, HT/2) and e+ e- > u u~ g at 1 TeV with y_cut = 0.01:
numhep's VEGAS on the flat map, numhep's multi-channel VEGAS on the diagram channels, the
``vegas`` package (batch mode) on the flat map, scrambled Sobol points (the error from
independent scramblings), and madnis trained on the flat map and on the diagram channels
(its channel-weight network with numhep's priors and channel groups).  Every sampler gets
the same budget of integrand calls, training and warm-up included; printed per sampler:
sigma, its error, the relative error x sqrt(calls) (lower is better: the precision one call
buys), its ratio to numhep's VEGAS (>1: better than numhep's VEGAS) and the CPU time.

    python benchmarks/samplers.py [--calls 200000] [--processes ttbar,ee3j]
"""

import argparse
import math
import time

import numpy as np

import numhep

PROCESSES = {
    "ttbar": ("p p > t t~", dict(sqrt_s=13000.0)),
    "ee3j": ("e+ e- > u u~ g", dict(sqrt_s=1000.0, cuts={"ycut": 0.01})),
}


def timed(run):
    t0 = time.process_time()
    mean, sdev, calls = run()
    return mean, sdev, calls, time.process_time() - t0


def numhep_vegas(text, options, calls, iterations=10):
    f = numhep.integrand(text, **options)
    res = numhep.vegas_integrate(f, numhep.VegasGrid(f.dim), n_points=calls // iterations,
                                 n_iterations=iterations, n_warmup=3, seed=1)
    return res.mean, res.sdev, res.n_evaluations


def numhep_multichannel(text, options, calls, iterations=10):
    f = numhep.integrand(text, channel="diagrams", **options)
    res = f.multichannel_vegas(n_points=calls // iterations, n_iterations=iterations, n_warmup=3, seed=1)
    return res.mean, res.sdev, res.n_evaluations


def vegas_package(text, options, calls, iterations=10):
    import vegas

    f = numhep.integrand(text, **options)
    integ = vegas.Integrator(f.dim * [[0, 1]])
    batch = vegas.batchintegrand(lambda x: np.ascontiguousarray(f(x)))
    neval = calls // iterations
    warm = integ(batch, nitn=3, neval=neval)  # warm-up, within the budget
    res = integ(batch, nitn=iterations - 3, neval=neval)
    return res.mean, res.sdev, int(warm.sum_neval + res.sum_neval)


def sobol(text, options, calls, scramblings=16):
    from scipy.stats import qmc

    f = numhep.integrand(text, **options)
    per = 2 ** int(math.log2(calls // scramblings))
    means = [f(qmc.Sobol(f.dim, seed=k).random(per)).mean() for k in range(scramblings)]
    return float(np.mean(means)), float(np.std(means, ddof=1) / math.sqrt(scramblings)), per * scramblings


def madnis_run(text, options, calls, multichannel):
    import torch
    from madnis.integrator import Integrator

    torch.manual_seed(1)
    if multichannel:
        f = numhep.integrand(text, channel="diagrams", **options)
        integrand, extra = f.madnis(), {}
    else:
        f = numhep.integrand(text, **options)
        integrand, extra = f, {"dims": f.dim}
    batch = 1024
    steps = calls // 2 // batch  # half the budget trains, half integrates
    integ = Integrator(integrand, batch_size=batch, **extra)
    integ.train(steps)
    mean, err = integ.integrate(calls - steps * batch)
    return float(mean), float(err), calls


SAMPLERS = {
    "numhep VEGAS": numhep_vegas,
    "numhep multi-channel VEGAS": numhep_multichannel,
    "vegas package": vegas_package,
    "scrambled Sobol": sobol,
    "madnis (flat)": lambda t, o, c: madnis_run(t, o, c, False),
    "madnis (channels)": lambda t, o, c: madnis_run(t, o, c, True),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--processes", default="ttbar,ee3j")
    args = ap.parse_args()
    for key in args.processes.split(","):
        text, options = PROCESSES[key]
        print(f"\n{text} ({', '.join(f'{k}={v}' for k, v in options.items())}), {args.calls} calls each")
        print(f"{'sampler':<28}{'sigma pb':>12}{'error':>11}{'rel.err*sqrt(N)':>16}{'vs VEGAS':>10}{'CPU s':>8}")
        reference = None
        for name, run in SAMPLERS.items():
            mean, sdev, calls, cpu = timed(lambda: run(text, options, args.calls))
            cost = sdev * math.sqrt(calls) / abs(mean)
            reference = reference or cost
            print(f"{name:<28}{mean:>12.6g}{sdev:>11.3g}{cost:>16.3g}{reference / cost:>10.2f}{cpu:>8.1f}")


if __name__ == "__main__":
    main()
