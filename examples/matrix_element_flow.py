"""A flow for e+ e- -> t t~ -> 6 quarks on RAMBO on diet's unit cube, trained with the
likelihood alone and with numhep's matrix-element gradients (reverse KL, force matching):
MadJax's Fig. 5 (Heinrich & Kagan, arXiv:2203.00057, Sec. 3.2).

Events come from :func:`numhep.generate` on the diagram channels and go back to the 14
numbers of RAMBO on diet by the flat integrand's inverse; ``--train`` of them train, ``--test``
measure.  :class:`numhep.torch.DensityFlowTrainer` trains a :class:`numhep.torch.HypercubeFlow`
with L = L_NLL + w_k L_RKL + w_f L_FM for four settings: likelihood only (w_k = w_f = 0), with
reverse KL, with force matching, with both; the first ``--warmup`` epochs on L_NLL alone, as
MadJax does.  For ``--seeds`` seeds each, the script prints the held-out negative
log-likelihood and reverse KL at the last epoch (mean +- spread) and saves
``matrix_element_flow.png`` with both against the epoch.  MadJax finds the reverse-KL models
better in both, and the model with both terms best in likelihood.

    python examples/matrix_element_flow.py [--train 8000] [--test 2000] [--epochs 100] [--seeds 5]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import numhep

PROCESS = "e+ e- > t t~, (t > b w+, w+ > u d~), (t~ > b~ w-, w- > d u~)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqrt-s", type=float, default=500.0)
    parser.add_argument("--train", type=int, default=8000)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--lr", type=float, default=5e-5, help="Adam's learning rate (MadJax: 5e-5)")
    parser.add_argument("--rkl", type=float, default=0.5, help="w_k")
    parser.add_argument("--fm", type=float, default=0.1, help="w_f (in units of the mean squared force)")
    parser.add_argument("--out", default="matrix_element_flow")
    args = parser.parse_args()

    import h5py

    from numhep.torch import DensityFlowTrainer

    events = Path(f"{args.out}.h5")
    res = numhep.generate(PROCESS, args.sqrt_s, n_events=args.train + args.test, lhe=f"{args.out}.lhe", hdf5=events,
                          channel="diagrams", n_points=20_000)
    with h5py.File(events) as h:
        momenta = h["momenta"][:]
    f = numhep.integrand(PROCESS, args.sqrt_s)
    u, _ = f.inverse(momenta)
    train, test = u[: args.train], u[args.train:]
    settings = {"NLL": (0.0, 0.0), "NLL + RKL": (args.rkl, 0.0), "NLL + FM": (0.0, args.fm),
                "NLL + RKL + FM": (args.rkl, args.fm)}
    curves = {}
    for name, (wk, wf) in settings.items():
        runs = []
        for seed in range(args.seeds):
            trainer = DensityFlowTrainer(f, train, test, rkl_weight=wk, fm_weight=wf, log_sigma=np.log(res.sigma),
                                         lr=args.lr, warmup_epochs=args.warmup, seed=seed,
                                         checkpoint=f"{args.out}.{name.replace(' + ', '_')}.{seed}.pt")
            history = trainer.train(args.epochs, progress=False)
            runs.append((history.test_nll, history.test_rkl))
            print(f"{name:<16} seed {seed}: held-out NLL {history.test_nll[-1]:.3f}, reverse KL "
                  f"{history.test_rkl[-1]:.3f}", flush=True)
        curves[name] = np.array(runs)  # (seeds, 2, epochs)
    print(f"\n{PROCESS} at {args.sqrt_s} GeV, {args.train} training and {args.test} held-out events, "
          f"{args.epochs} epochs, {args.seeds} seeds (mean +- spread at the last epoch)")
    print(f"{'loss':<16} {'held-out NLL':>18} {'reverse KL':>18}")
    for name, runs in curves.items():
        nll, rkl = runs[:, 0, -1], runs[:, 1, -1]
        print(f"{name:<16} {nll.mean():>10.3f} +- {nll.std():<5.3f} {rkl.mean():>10.3f} +- {rkl.std():<5.3f}")
    plot(args, curves)


def plot(args, curves):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, runs in curves.items():
        epochs = np.arange(1, runs.shape[2] + 1)
        for ax, k in zip(axes, (0, 1)):
            mean, spread = runs[:, k].mean(0), runs[:, k].std(0)
            ax.plot(epochs, mean, label=name)
            ax.fill_between(epochs, mean - spread, mean + spread, alpha=0.25)
    for ax, label in zip(axes, ("held-out negative log-likelihood", "reverse KL")):
        ax.axvline(args.warmup, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.legend()
    fig.suptitle(f"{PROCESS}: a flow on RAMBO on diet's cube ({args.seeds} seeds)")
    fig.tight_layout()
    fig.savefig(f"{args.out}.png", dpi=110)
    print(f"saved {args.out}.png")


if __name__ == "__main__":
    main()
