"""Learning the likelihood ratio of G_F in e+ e- -> Z -> mu+ mu- from numhep's joint ratios and
scores: MadJax's Fig. 4 (Heinrich & Kagan, arXiv:2203.00057, Sec. 3.1).

The observable is the muon's polar angle seen by a detector with a Gaussian angular
resolution (``--resolution`` rad): the joint ratio and score, computed from the true angle
with numhep's |M|^2 and its G_F derivative, are noisy labels of the marginal ones, which the
estimators of :mod:`numhep.torch.likelihood_ratio` learn.  The exact marginal ratio (the
angular distribution folded with the resolution, by quadrature) measures how far each
estimator is from the truth as it trains.

For ``--seeds`` trainings each of ALICES and ROLR without the score term and with it (ALICES
+ score, RASCAL), the script prints the distance to the exact log ratio at a few training
steps (mean and spread over the seeds) and saves ``sbi_fermi_constant.png``:
left, the histograms of the observable at G_F = 1.1 G_F^0 and at the reference with the
ratio of the histograms against the learned and exact ratios; middle, the learned log ratio
and score against the joint labels along that slice; right, the distance against the training
step with its spread, with and without the score.

    python examples/sbi_fermi_constant.py [--events 5000] [--steps 2000] [--seeds 5]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import numhep

PROCESS, SQRT_S = "e+ e- > mu+ mu-", 91.188
G0 = numhep.model("sm").inputs["Gf"]
THETAS = np.linspace(0.8, 1.2, 17) * G0
#: the grids of the parameters this setup learns (G_F here; MZ for the calibration benchmark)
GRIDS = {"Gf": THETAS, "MZ": np.linspace(89.188, 93.188, 17)}


def true_angle(momenta):
    """The polar angle of the mu- (leg 3 of e+ e- > mu+ mu-) in the centre-of-mass frame."""
    q = momenta[:, 3]
    return np.arccos(np.clip(q[:, 3] / np.linalg.norm(q[:, 1:], axis=1), -1.0, 1.0))


def observed_angle(momenta, resolution, seed):
    """The angle a detector of Gaussian ``resolution`` (rad) reports."""
    return true_angle(momenta) + np.random.default_rng(seed).normal(0.0, resolution, momenta.shape[0])


def exact_log_ratio(x, theta, reference, resolution, parameter="Gf"):
    """log p(x | theta)/p(x | reference) of the observed angle x (theta a value of model input
    ``parameter``): |M|^2 sin(angle) folded with the resolution, each normalised, by quadrature
    on 2001 true angles."""
    angle = np.linspace(0.0, np.pi, 2001)
    e = SQRT_S / 2
    p = np.zeros((angle.size, 4, 4))
    p[:, 0], p[:, 1] = [e, 0, 0, e], [e, 0, 0, -e]
    p[:, 3] = np.stack([np.full_like(angle, e), e * np.sin(angle), 0 * angle, e * np.cos(angle)], axis=1)
    p[:, 2] = p[:, 0] + p[:, 1] - p[:, 3]
    kernel = np.exp(-0.5 * ((np.asarray(x)[:, None] - angle[None, :]) / resolution) ** 2)

    def log_density(value):
        shape = numhep.me(p, PROCESS, params={parameter: float(value)}) * np.sin(angle)
        shape /= np.trapezoid(shape, angle)
        return np.log(np.trapezoid(kernel * shape[None, :], angle, axis=1))

    return log_density(theta) - log_density(reference)


def joint_data(events: int, path: Path, seed: int = 1, parameter: str = "Gf"):
    return numhep.joint_likelihood_data(PROCESS, SQRT_S, parameter, GRIDS[parameter], n_events=events, path=path,
                                        seed=seed, n_points=20_000, pilot_points=200_000)


def distance_to_exact(resolution, rng_seed=7, n=400):
    """A monitor for :meth:`numhep.torch.RatioTrainer.train`: the mean squared distance of the
    learned log ratio to the exact one over (x, theta) pairs spread over the data's range."""
    rng = np.random.default_rng(rng_seed)
    xs = rng.uniform(0.1, np.pi - 0.1, n)
    thetas = THETAS[::4]
    exact = {t: exact_log_ratio(xs, t, G0, resolution) for t in thetas}

    def monitor(estimator):
        return float(np.mean([(estimator.log_ratio(xs, t)[0] - exact[t]) ** 2 for t in thetas]))

    return monitor


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000, help="events per G_F value (and as many reference "
                                                                  "events per value)")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--resolution", type=float, default=0.1, help="angular resolution (rad)")
    parser.add_argument("--out", default="sbi_fermi_constant")
    args = parser.parse_args()

    import numhep.torch as nt

    data = joint_data(args.events, Path(f"{args.out}.h5"))
    x = observed_angle(data.momenta, args.resolution, seed=11)
    monitor = distance_to_exact(args.resolution)
    every = max(args.steps // 20, 1)
    methods = [("alices", 0.0), ("alices+score", 1.0), ("rolr", 0.0), ("rascal", 1.0)]
    curves, last = {}, {}
    for method, alpha in methods:
        runs = []
        for seed in range(args.seeds):
            trainer = nt.RatioTrainer(x, data.theta, data.label, data.log_r, data.score, method=method, alpha=alpha,
                                      seed=seed)
            history = trainer.train(args.steps, validate_every=every, progress=False, monitor=monitor)
            runs.append(history.monitor)
            if method == "alices+score" and seed == 0:
                last["estimator"] = trainer.estimator
        curves[method] = (np.array(history.step), np.array(runs))
    print(f"distance <(log r_hat - log r_exact)^2> over G_F in [0.8, 1.2] G_F^0, resolution {args.resolution} rad, "
          f"{args.events} events per value, {args.seeds} seeds (mean +- spread)")
    steps, _ = curves["alices"]
    marks = [k for k in (1, len(steps) // 4, len(steps) // 2, len(steps) - 1)]
    print("method          " + "".join(f"step {int(steps[k]):>6}      " for k in marks))
    for method, _ in methods:
        _, runs = curves[method]
        print(f"{method:<15} " + "".join(f"{runs[:, k].mean():.2e}+-{runs[:, k].std():.0e}  " for k in marks))
    for plain, scored in (("alices", "alices+score"), ("rolr", "rascal")):
        a, b = curves[plain][1].mean(0), curves[scored][1].mean(0)
        target = a[-1]
        reach = steps[np.argmax(b <= target)] if np.any(b <= target) else None
        print(f"{scored} reaches {plain}'s final distance {target:.2e} at step {reach} of {int(steps[-1])}; "
              f"at the halfway step the distance ratio {plain}/{scored} is {a[len(a) // 2] / b[len(b) // 2]:.2f}")
    plot(args, data, x, curves, last["estimator"])


def plot(args, data, x, curves, estimator):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    theta = THETAS[-1]
    fig, axes = plt.subplots(2, 3, figsize=(15, 7), gridspec_kw={"height_ratios": [2, 1]})
    edges = np.linspace(0.0, np.pi, 31)
    at, ref = data.at(theta), data.at(theta, label=1)
    h_theta, _ = np.histogram(x[at], edges)
    h_ref, _ = np.histogram(x[data.label == 1], edges)
    centre = 0.5 * (edges[1:] + edges[:-1])
    top, bottom = axes[0, 0], axes[1, 0]
    top.stairs(h_theta / h_theta.sum(), edges, label=f"G_F = {theta / G0:.2f} G_F^0")
    top.stairs(h_ref / h_ref.sum(), edges, label="reference")
    top.set_ylabel("fraction of events")
    top.set_xlabel("observed polar angle of the mu- (rad)")
    top.legend()
    ratio = (h_theta / h_theta.sum()) / np.maximum(h_ref / h_ref.sum(), 1e-12)
    err = ratio * np.sqrt(1 / np.maximum(h_theta, 1) + 1 / np.maximum(h_ref, 1))
    grid = np.linspace(0.05, np.pi - 0.05, 200)
    bottom.errorbar(centre, ratio, err, fmt="o", ms=3, label="histograms")
    bottom.plot(grid, np.exp(estimator.log_ratio(grid, theta)[0]), label="learned (ALICES + score)")
    bottom.plot(grid, np.exp(exact_log_ratio(grid, theta, G0, args.resolution)), "--", label="exact")
    bottom.set_xlabel("observed polar angle of the mu- (rad)")
    bottom.set_ylabel("r(x | G_F)")
    bottom.legend(fontsize=8)
    top, bottom = axes[0, 1], axes[1, 1]
    top.scatter(x[ref][:2000], data.log_r[ref][:2000], s=2, alpha=0.3, label="joint log r (labels)")
    top.plot(grid, estimator.log_ratio(grid, theta)[0], label="learned")
    top.plot(grid, exact_log_ratio(grid, theta, G0, args.resolution), "--", label="exact")
    top.set_ylabel(f"log r(x | {theta / G0:.2f} G_F^0)")
    top.set_xlabel("observed polar angle of the mu- (rad)")
    top.legend(fontsize=8)
    import torch

    xt = torch.as_tensor(grid[:, None])
    _, score = estimator.log_ratio_and_score(xt, torch.full((grid.size,), theta, dtype=torch.float64))
    bottom.scatter(x[at][:2000], data.score[at][:2000] * G0, s=2, alpha=0.3, label="joint score (labels)")
    bottom.plot(grid, score.detach().numpy() * G0, label="learned")
    bottom.set_ylabel("G_F^0 t(x | G_F)")
    bottom.set_xlabel("observed polar angle of the mu- (rad)")
    right = axes[0, 2]
    for method, (steps, runs) in curves.items():
        mean, spread = runs.mean(0), runs.std(0)
        right.plot(steps, mean, label=method)
        right.fill_between(steps, np.maximum(mean - spread, 1e-12), mean + spread, alpha=0.25)
    right.set_yscale("log")
    right.set_xlabel("training step")
    right.set_ylabel("<(log r_hat - log r_exact)^2>")
    right.legend()
    axes[1, 2].axis("off")
    fig.suptitle(f"e+ e- -> Z -> mu+ mu-: the likelihood ratio in G_F ({args.seeds} seeds, resolution "
                 f"{args.resolution} rad)")
    fig.tight_layout()
    fig.savefig(f"{args.out}.png", dpi=110)
    print(f"saved {args.out}.png")


if __name__ == "__main__":
    main()
