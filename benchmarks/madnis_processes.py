"""Neural importance sampling against numhep's multi-channel VEGAS on numhep's diagram channels.

For each process, at an equal number of integrand calls for adaptation or training, then the
same number of points to measure with: sigma/I and the unweighting efficiency
(:func:`numhep.integration.metrics.sampler_quality`, one definition for every row), mean and
spread over seeds, and the wall time per row.  Rows:

* numhep multi-channel VEGAS (a grid per channel group);
* numhep's MadNIS (:class:`numhep.torch.NeuralIntegrator`) with the prior channel weights
  fixed, with learned channel weights, and with learned weights, VEGAS initialisation (a
  quarter of the calls), stratified training (30 % uniform) and buffered training (R = 5);
* madnis 1.0's ``Integrator`` on the same numhep integrand with numhep's prior channel
  weights and channel groups, its default setup.

Each sampler's measured points are drawn as its events would be: VEGAS's channel groups in
proportion to their cross sections, numhep's MadNIS groups in proportion to their largest
weights (``allocation="unweighting"``), madnis 1.0 by its own rule.

The ratios against the VEGAS row close each table: the unweighting-efficiency gain is what
Heimel's thesis reports for its full setup (7-8x for W + 2, 3 jets, about 15x for VBS).

    python benchmarks/madnis_processes.py [--calls 200000] [--seeds 5] [--processes www,vbs,wjj] [--device cuda]
                                          [--rows 1,4]
"""

import argparse
import time

import numpy as np

import numhep
from numhep.events.generation import ChannelSampler
from numhep.integration.metrics import sampler_quality

PROCESSES = {
    "www": ("u d~ > w+ w+ w-", dict(sqrt_s=1000.0, pdf=None)),
    "vbs": ("u c > w+ w+ d s QCD=0", dict(sqrt_s=13000.0, pdf=None, cuts={"ptj": 20.0, "mmjj": 100.0})),
    "wjj": ("g g > w+ d u~ g", dict(sqrt_s=1000.0, pdf=None, cuts={"ptj": 20.0, "drjj": 0.4})),
}


def vegas_row(f, calls, seed, iterations=10):
    res = f.multichannel_vegas(n_points=calls // iterations, n_iterations=iterations, n_warmup=3, seed=seed)
    # the adapted grids, sampled as numhep.generate samples them: channel groups by their share
    draws = ChannelSampler.from_result(f, res)
    x, channel, factor = draws.draw(np.random.default_rng(seed + 1000), calls)
    return f.evaluate(x, channel).weight * factor


def madnis_row(f, calls, seed):
    import torch
    from madnis.integrator import Integrator

    torch.manual_seed(seed)
    integrator = Integrator(f.madnis(), batch_size=1024)
    integrator.train(max(calls // 1024, 1))
    batch = integrator.sample(calls)
    return batch.weights.double().numpy()


def numhep_madnis_row(f, calls, seed, device="cpu", batch_size=1024, **options):
    from numhep.torch import NeuralIntegrator

    vegas_calls = options.get("vegas_points", 0) * options.get("vegas_iterations", 0) if options.get("vegas_init") else 0
    ni = NeuralIntegrator(f, steps=max((calls - vegas_calls) // batch_size, 1), batch_size=batch_size, seed=seed,
                          device=device, **options)
    ni.train(progress=False)
    # drawn as numhep.generate(sampler="madnis") draws events: groups by their largest weights
    return ni.sample(calls, allocation="unweighting")[2]


def full_setup(f, calls, seed, device="cpu"):
    return numhep_madnis_row(f, calls, seed, device, vegas_init=True, vegas_points=calls // 20, vegas_iterations=5,
                             uniform_fraction=0.3, buffered_steps=4, drop_threshold=1e-3, defensive_share=0.05)


ROWS = {
    "numhep multi-channel VEGAS": lambda f, c, s, d: vegas_row(f, c, s),
    "numhep MadNIS, fixed alpha": lambda f, c, s, d: numhep_madnis_row(f, c, s, d, learn_channel_weights=False),
    "numhep MadNIS, learned alpha": lambda f, c, s, d: numhep_madnis_row(f, c, s, d),
    "numhep MadNIS, full setup": full_setup,
    "madnis 1.0 (default)": lambda f, c, s, d: madnis_row(f, c, s),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--processes", default="www,vbs,wjj")
    ap.add_argument("--device", default="cpu", help="where numhep's MadNIS trains (cpu or cuda)")
    ap.add_argument("--rows", default="all", help="comma-separated row numbers to run, 1-5 in the order of the table "
                    "(the VEGAS row, 1, always runs: the gains are relative to it); e.g. 1,4 for a long-budget study")
    args = ap.parse_args()
    names = list(ROWS)
    if args.rows == "all":
        rows = names
    else:
        picked = {int(k) for k in args.rows.split(",")} | {1}
        if not picked <= set(range(1, len(names) + 1)):
            ap.error(f"--rows: numbers from 1 to {len(names)}, got {args.rows}")
        rows = [names[k - 1] for k in sorted(picked)]
    for key in args.processes.split(","):
        text, options = PROCESSES[key]
        f = numhep.integrand(text, channel="diagrams", **options)
        print(f"\n{text}: {f.n_channels} channels in {len(f.representatives)} groups, {args.calls} calls to "
              f"adapt or train and {args.calls} to measure, {args.seeds} seeds (mean +- spread)")
        print(f"{'sampler':<30}{'sigma pb':>12}{'sigma/I':>16}{'unweighting eff. %':>22}{'s per seed':>12}")
        summary = {}
        for name in rows:
            run = ROWS[name]
            qualities, seconds = [], []
            for seed in range(1, args.seeds + 1):
                t0 = time.perf_counter()
                qualities.append(sampler_quality(run(f, args.calls, seed, args.device)))
                seconds.append(time.perf_counter() - t0)
            sig = np.array([q.integral for q in qualities])
            rel = np.array([q.relative_std for q in qualities])
            eff = 100 * np.array([q.efficiency for q in qualities])
            print(f"{name:<30}{sig.mean():>12.5g}{rel.mean():>9.3g} +- {rel.std():<5.2g}"
                  f"{eff.mean():>14.3g} +- {eff.std():<5.2g}{np.mean(seconds):>10.1f}", flush=True)
            summary[name] = (rel.mean(), eff.mean())
        base_rel, base_eff = summary["numhep multi-channel VEGAS"]
        for name, (rel, eff) in summary.items():
            print(f"  {name:<30} sigma/I {base_rel / rel:5.2f}x smaller, unweighting efficiency {eff / base_eff:5.2f}x "
                  "that of VEGAS")


if __name__ == "__main__":
    main()
