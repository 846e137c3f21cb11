"""MADNIS-Lite's Fig. 5 (Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486) on numhep:
W + 3 jets (g g > W+ d u~ g) and W + 4 jets (g g > W+ d u~ g g) on numhep's diagram channels.

Rows, each measured on ``--points`` fresh points (sigma/I and unweighting efficiency, mean and
spread over ``--seeds``), and given relative to "untrained + VEGAS" as the paper does:

* untrained: numhep's channel maps as they are (prior channel weights, stratified channels);
* untrained + VEGAS: numhep's multi-channel VEGAS (``--vegas-calls``) on them;
* trained: MADNIS-Lite's bilinear block flows (:class:`numhep.torch.TrainableChannelMaps`)
  trained with the stratified variance loss, stratified and buffered (R = 3) training,
  ``--steps`` of ``--batch-size`` (:class:`numhep.torch.NeuralIntegrator`, ``flows="bilinear"``);
* trained + VEGAS: VEGAS on the latent cube of the trained maps;
* W + 3 maps on W + 4 (+ VEGAS): the W + 3 jets training used for W + 4 jets unchanged.

The paper gains up to 1.5x (W + 3) and 2x (W + 4) in unweighting efficiency over untrained +
VEGAS.  The gains depend on how far VEGAS has converged: with 200k calls (the paper's Table 3
has 7 iterations of 20k), the untrained + VEGAS baseline of W + 3 jets reaches 0.42 % and the
trained maps + VEGAS gain 1.9x on it; with the default 1M calls the baseline reaches 1.09 %
and the gain is 1.2x (five seeds each).  The maps learned on W + 3 jets (first seed) are drawn as the paper's Fig. 6 in
``--plot`` (z_s against r for massless time-like invariants, z_t against r for 2 -> 2 blocks,
their conditions varied over the quantiles the blocks meet).

    python benchmarks/madnis_lite_processes.py [--seeds 5] [--first-seed 1] [--steps 300]
                                               [--vegas-calls 1000000] [--plot madnis_lite_maps.png]

A W + 3 jets seed takes about 5 minutes on one core, a W + 4 jets seed 23-24 (one core, the
other busy).
"""

import argparse
import time
import warnings

import numpy as np

import numhep
from numhep.events.generation import ChannelSampler
from numhep.integration.metrics import sampler_quality
from numhep.torch import NeuralIntegrator

PROCESSES = {
    "W+3 jets": "g g > w+ d u~ g",
    "W+4 jets": "g g > w+ d u~ g g",
}
OPTIONS = dict(sqrt_s=13000.0, cuts={"ptj": 20.0, "drjj": 0.4, "mmjj": 0.0})


def measure(ni, f, points, seed, vegas=None):
    """Weights of ``points`` points: from the flows as trained, or from the VEGAS grids on their
    latent cube (grouped channels drawn as numhep.generate draws them)."""
    if vegas is None:
        return ni.sample(points)[2]
    draws = ChannelSampler.from_result(f, vegas)
    z, channel, factor = draws.draw(np.random.default_rng(seed + 1000), points)
    w = np.empty(points)
    for c in np.unique(channel):
        sel = channel == c
        w[sel] = ni.latent_weights(z[sel], c) * factor[sel]
    return w


def integrator(f, args, seed, steps):
    return NeuralIntegrator(f, steps=max(steps, 1), batch_size=args.batch_size, flows="bilinear",
                            learn_channel_weights=False, uniform_fraction=0.3, buffered_steps=2,
                            learning_rate=1e-2, seed=seed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=1,
                    help="seeds first-seed .. first-seed + seeds - 1: runs side by side cover disjoint seeds")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--vegas-calls", type=int, default=1_000_000,
                    help="VEGAS calls of each VEGAS row (200k leaves W + 3 jets' 28 groups under-converged)")
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--processes", default="W+3 jets,W+4 jets")
    ap.add_argument("--plot", default="madnis_lite_maps.png", help="Fig. 6: the maps learned on W + 3 jets")
    args = ap.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    vegas_opts = dict(n_points=args.vegas_calls // 8, n_iterations=8, n_warmup=3)
    trained_w3 = {}
    for name in args.processes.split(","):
        f = numhep.integrand(PROCESSES[name], channel="diagrams", **OPTIONS)
        print(f"\n{name} ({PROCESSES[name]}): {f.n_channels} channels in {len(f.representatives)} groups, "
              f"{args.seeds} seeds, {args.steps} training steps of {args.batch_size}, VEGAS with "
              f"{args.vegas_calls} calls, measured on {args.points} points")
        rows = {}
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            t0 = time.perf_counter()
            ni = integrator(f, args, seed, args.steps)
            results = {"untrained": measure(ni, f, args.points, seed)}
            results["untrained + VEGAS"] = measure(ni, f, args.points, seed, ni.vegas_on_top(seed=seed, **vegas_opts))
            if name == "W+4 jets" and seed in trained_w3:
                ni.flow.maps.load_state_dict(trained_w3[seed])
                results["W+3 maps"] = measure(ni, f, args.points, seed)
                results["W+3 maps + VEGAS"] = measure(ni, f, args.points, seed,
                                                      ni.vegas_on_top(seed=seed, **vegas_opts))
                ni = integrator(f, args, seed, args.steps)
            ni.train(progress=False)
            results["trained"] = measure(ni, f, args.points, seed)
            results["trained + VEGAS"] = measure(ni, f, args.points, seed, ni.vegas_on_top(seed=seed, **vegas_opts))
            if name == "W+3 jets":
                trained_w3[seed] = ni.flow.maps.state_dict()
                if seed == args.first_seed and args.plot:
                    print(f"  Fig. 6: {ni.flow.plot_learned_maps(args.plot)}")
            line = []
            for row, w in results.items():
                q = sampler_quality(w)
                rows.setdefault(row, []).append(q)
                line.append(f"{row} {q.relative_std:.3g} / {100 * q.efficiency:.3g} %")
            # each seed's rows as they come: a long run that is stopped keeps what it measured
            print(f"  seed {seed} ({time.perf_counter() - t0:.0f} s), sigma/I / efficiency: {'; '.join(line)}",
                  flush=True)
        base = rows["untrained + VEGAS"]
        print(f"{'setup':<22}{'sigma/I':>16}{'eff. %':>16}{'sigma/I gain':>16}{'eff. gain':>14}")
        for row, qs in rows.items():
            rel = np.array([q.relative_std for q in qs])
            eff = 100 * np.array([q.efficiency for q in qs])
            gain_rel = np.array([b.relative_std / q.relative_std for b, q in zip(base, qs)])
            gain_eff = np.array([q.efficiency / b.efficiency for b, q in zip(base, qs)])
            print(f"{row:<22}{rel.mean():>9.3g} +- {rel.std():<4.2g}{eff.mean():>9.3g} +- {eff.std():<4.2g}"
                  f"{gain_rel.mean():>10.2f} +- {gain_rel.std():<4.2f}{gain_eff.mean():>8.2f} +- {gain_eff.std():<4.2f}")


if __name__ == "__main__":
    main()
