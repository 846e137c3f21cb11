"""The emulator study of Maitre & Truong (arXiv:2107.06625) Sec. 3 at a configurable scale.

For e+e- -> 3, 4, 5 jets at one y_cut: data sets (numhep.events.dipole_dataset), a dipole
ensemble and two plain ensembles of the same size and budget, and on the test split

* the fraction of points with |emulated / true - 1| below 1 % and 0.1 % (the table),
* the error distributions (absolute percentage difference and log ratio, Fig. 3),
* the cross section from the emulator against the true one with its MC error (Fig. 5),

The plain models (--models): "plain", the momenta alone, is the paper's baseline, the
"single" network of Badger & Bullock (arXiv:2002.07516) of Sec. 3.1; "plain + ln y" also sees
the ln y_ij,k of the dipoles, in which the poles of ln |M|^2 are linear, and so carries much
of what the dipole ansatz brings: the gap between it and the dipole model is the ansatz's
gain beyond its inputs.

Then the extrapolation below the training cut: both models, trained at y_cut, on fresh points
generated at --extrapolate-y-cut (default y_cut / 10) whose smallest s_ij / s lies below
y_cut, i.e. more singular than anything seen in training (Fig. 6 and Sec. 3.3 ask the same
question), and random RAMBO trajectories for the highest multiplicity (App. C) with the fraction of
points outside 0.1 %, 1 %, 5 % per region (Table 2): white (inside the training
selection), red (some y_ij below y_cut), pink (two separate pairs clustered at d_cut),
purple (three partons in one jet), blue (both); the regions come from FastJet's exclusive
clustering as in the paper, and the q q~ pair does not count.  Plots go to --out as PNG.

--scan is the learning curve: for every multiplicity and every --scan-points (training points;
the data set holds 1.5 times as many, 4:1:1), an ensemble of --scan-members for each of --models,
scored on the test split with the first member alone and with the whole ensemble; it prints the
fraction of test points within 1 % and 0.1 %, the training wall time and points/s, and plots
the fractions against the training points (learning_curve.png).  Every rung keeps its data set,
checkpoint and trained emulator in --out, so an interrupted scan continues where it stopped.
--ablation trains 4-jet dipole models that differ from the default in one choice each (Sec. 2.4
of the paper against this implementation, and the authors' code's scale of the azimuthal terms)
and a plain model, at --points and --max-epochs.  --penalty-check trains one dipole model per
multiplicity and J of --penalties and prints L_pen / L_MSE at the best epoch beside the test
fractions: Sec. 2.4.2 tunes J so that L_pen < L_MSE.

    python benchmarks/dipole_emulator_study.py --points 60000 --members 2 --max-epochs 150
    python benchmarks/dipole_emulator_study.py --scan                  # 6e4 .. 2e6 training points, 4 members
    python benchmarks/dipole_emulator_study.py --scan --scan-points 60000 --jets 3 4 --max-epochs 100
    python benchmarks/dipole_emulator_study.py --ablation --points 60000 --members 1 --max-epochs 200 --threads 1
    python benchmarks/dipole_emulator_study.py --penalty-check --members 1 --max-epochs 200 --threads 1
    python benchmarks/dipole_emulator_study.py --paper      # Sec. 2.4.2 networks, 20 members, 40M training points (GPU)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from numhep.events.dipole_dataset import d_cut_fraction, generate_dipole_dataset, pair_invariants

#: the models compared, with their train_emulator options
MODELS = {"dipole": {}, "plain": {"plain": True}, "plain + ln y": {"plain": True, "logy_inputs": True}}


def _tag(name):
    """A model's name in file names."""
    return name.replace(" + ", "_").replace(" ", "_")


def region_of(final, y_cut, d_cut):
    """Region per point of final-state partons (n, m, 4) (quark 0, antiquark 1), from FastJet's
    exclusive e+e- k_t clustering at d_cut s, as the data sets cluster: a jet of two partons
    is a single-unresolved pair, a jet of three or more a double-unresolved cluster, and the
    q q~ pair alone does not count (no divergence).  blue: a cluster and a separate pair;
    purple: a cluster; pink: two separate pairs; red: at most one pair but some s_ij / s
    (q q~ excluded) below y_cut; white: inside the training selection."""
    import warnings

    import awkward as ak
    import fastjet

    n, m = final.shape[:2]
    y, s = pair_invariants(final)
    s0 = float(np.median(s))
    events = ak.zip({"px": final[..., 1], "py": final[..., 2], "pz": final[..., 3], "E": final[..., 0]})
    sequence = fastjet.ClusterSequence(events, fastjet.JetDefinition0Param(fastjet.ee_kt_algorithm))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # dcut with e+e- k_t is meant (see jet_selection)
        jets = ak.num(sequence.exclusive_jets(dcut=d_cut * s0)).to_numpy()
        groups = [None] * n
        for k in np.unique(jets):
            idx = np.nonzero(jets == k)[0]
            members = sequence.exclusive_jets_constituent_index(njets=int(k)).tolist()
            for i in idx:
                groups[i] = members[i]
    pairs = [(a, b) for a in range(m) for b in range(a + 1, m) if (a, b) != (0, 1)]
    y_min = np.min([y[:, a, b] for a, b in pairs], axis=0)
    labels = []
    for i in range(n):
        merged = [set(g) for g in groups[i] if len(g) > 1 and set(g) != {0, 1}]
        doubles = sum(len(g) == 2 for g in merged)
        cluster = any(len(g) > 2 for g in merged)
        if cluster and doubles:
            labels.append("blue")
        elif cluster:
            labels.append("purple")
        elif doubles > 1:
            labels.append("pink")
        elif y_min[i] < y_cut:
            labels.append("red")
        else:
            labels.append("white")
    return np.array(labels)


def min_pair_invariant(final):
    """Smallest s_ij / s over the pairs of final-state partons (n, m, 4)."""
    y, _ = pair_invariants(final)
    iu = np.triu_indices(final.shape[1], 1)
    return y[:, iu[0], iu[1]].min(axis=1)


def _predict(emu, momenta, batch=200_000):
    """The ensemble mean in batches (the paper-scale test split has 10M points)."""
    return np.concatenate([emu.predict(momenta[s:s + batch])[0] for s in range(0, len(momenta), batch)])


def _members_errors(emu, test, batch=200_000):
    """|emulated / true - 1| on the test split for every member (members, n) and the ensemble mean (n,)."""
    import torch

    vals = []
    with torch.no_grad():
        for start in range(0, len(test["me"]), batch):
            vals.append(emu.member_values(torch.as_tensor(test["momenta"][start:start + batch])).numpy())
    v = np.concatenate(vals, axis=1)
    return np.abs(v / test["me"] - 1), np.abs(v.mean(0) / test["me"] - 1)


def _train_timed(data, out_file, checkpoint, **options):
    """Train (or load the finished emulator from ``out_file``); returns the emulator and (wall
    time of the first member, of all members, median training points/s).  A loaded emulator
    has no ``history``."""
    from numhep.torch.dipole_emulator import DipoleEmulator, train_emulator

    if out_file.exists():
        return DipoleEmulator.load(out_file), _load_timing(out_file)
    t0, marks = time.perf_counter(), {}

    def mark(member, epoch, loss):
        marks[member] = time.perf_counter() - t0

    emu = train_emulator(data, checkpoint=checkpoint, on_epoch=mark, **options)
    rate = float(np.median([h[4] for h in emu.history])) if emu.history else float("nan")
    # the first member's best epoch: its validation loss and MSE give L_pen / L_MSE after a reload
    best = min((h for h in emu.history if h[0] == 0), key=lambda h: h[2], default=(0, 0, np.nan, np.nan))
    timing = (marks.get(0, float("nan")), time.perf_counter() - t0, rate, best[2], best[3])
    np.save(out_file.with_suffix(".timing.npy"), np.array(timing))
    emu.save(out_file)
    return emu, timing


def _load_timing(out_file):
    blob = out_file.with_suffix(".timing.npy")
    timing = tuple(np.load(blob)) if blob.exists() else ()
    return timing + (float("nan"),) * (5 - len(timing))


def _penalty_ratio(timing):
    """L_pen / L_MSE at the first member's best epoch, from a timing tuple of :func:`_train_timed`."""
    return (timing[3] - timing[4]) / timing[4]


def scan(args):
    """The learning curve: fractions within 1 % and 0.1 % against training points (see the module doc)."""
    import matplotlib.pyplot as plt

    rows = []
    for nj in args.jets:
        for n_train in args.scan_points:
            n_total = int(round(1.5 * n_train))
            data = generate_dipole_dataset(args.out / f"ee_{nj}j_ycut{args.y_cut:g}_{n_total}.h5", nj, n_total,
                                           args.y_cut, chunk=max(10_000, min(n_total // 4, 500_000)))
            test = data.split("test", ("momenta", "me"))
            for name in args.models:
                tag = f"{nj}j_{n_train}_{_tag(name)}_{args.scan_members}m"
                out_file = args.out / f"emulator_{tag}.pt"
                emu, timing = _train_timed(data, out_file, args.out / f"ck_{tag}.pt", members=args.scan_members,
                                           hidden=tuple(args.hidden), max_epochs=args.max_epochs,
                                           batch_size=args.batch_size, device=args.device, **MODELS[name])
                per_member, ensemble = _members_errors(emu, test)
                for members, rel, wall in ((1, per_member[0], timing[0]), (args.scan_members, ensemble, timing[1])):
                    rows.append(dict(jets=nj, points=n_train, model=name, members=members, within1=(rel < 0.01).mean(),
                                     within01=(rel < 0.001).mean(), median=float(np.median(rel)), wall=wall,
                                     rate=timing[2], ntest=len(rel)))
                    if args.scan_members == 1:
                        break
    print(f"\nlearning curve: e+e- -> jets at sqrt(s) = 1000 GeV, y_cut = {args.y_cut:g}; networks {tuple(args.hidden)}, "
          f"batch {args.batch_size}, <= {args.max_epochs} epochs; 1 member = the ensemble's first\n")
    print("| jets | training points | model | members | test points | < 1 % | < 0.1 % | median error | "
          "train wall s | train points/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['jets']} | {r['points']:.0e} | {r['model']} | {r['members']} | {r['ntest']} | "
              f"{100 * r['within1']:.1f} % | {100 * r['within01']:.1f} % | {r['median']:.2e} | {r['wall']:.3g} | "
              f"{r['rate']:.3g} |")
    fig, axes = plt.subplots(1, len(args.jets), figsize=(4.5 * len(args.jets), 3.6), squeeze=False)
    for col, nj in enumerate(args.jets):
        ax = axes[0, col]
        for name, colour in zip(args.models, ("C0", "C1", "C2")):
            for members, marker in sorted({(r["members"], "o" if r["members"] == 1 else "s") for r in rows}):
                sel = [r for r in rows if r["jets"] == nj and r["model"] == name and r["members"] == members]
                x = [r["points"] for r in sel]
                ax.plot(x, [100 * r["within1"] for r in sel], "-" + marker, color=colour,
                        label=f"{name}, {members} member{'s' if members > 1 else ''}, < 1 %")
                ax.plot(x, [100 * r["within01"] for r in sel], "--" + marker, color=colour, mfc="none",
                        label=f"{name}, {members} member{'s' if members > 1 else ''}, < 0.1 %")
                for r in sel:  # the training wall time beside each point
                    ax.annotate(f"{r['wall']:.3g} s", (r["points"], 100 * r["within1"]), fontsize=5, color=colour,
                                xytext=(3, 3 if members == 1 else -8), textcoords="offset points")
        ax.set(xscale="log", xlabel="training points", ylabel="test points within [%]", ylim=(0, 100),
               title=f"{nj} jets, y_cut = {args.y_cut:g}")
    axes[0, 0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(args.out / "learning_curve.png", dpi=120)
    print(f"\nplot: {args.out}/learning_curve.png")
    return rows


ABLATION = (
    ("default", {}),
    ("zero output biases (paper's Keras start)", {"median_start": False}),
    ("no penalty (J = 0)", {"penalty": 0.0}),
    ("J = 0.1", {"penalty": 0.1}),
    ("batch 4096 (paper)", {"batch_size": 4096}),
    ("azimuthal terms x 16 pi alpha_s C_A / s_ab (authors' code)", {"azimuthal_scale": "pair_invariant"}),
    ("plain network (momenta only, the paper's baseline)", {"plain": True}),
    ("plain network + ln y", {"plain": True, "logy_inputs": True}),
)


def ablation(args):
    """4-jet dipole models that differ from the default in one choice each, and the plain ones."""
    nj = 4
    data = generate_dipole_dataset(args.out / f"ee_{nj}j_ycut{args.y_cut:g}.h5", nj, args.points, args.y_cut,
                                   chunk=max(10_000, min(args.points // 4, 500_000)))
    test = data.split("test", ("momenta", "me"))
    rows = []
    for k, (label, change) in enumerate(ABLATION):
        out_file = args.out / f"ablation_{k}.pt"
        options = dict(members=args.members, hidden=tuple(args.hidden), max_epochs=args.max_epochs,
                       batch_size=args.batch_size, device=args.device)
        options.update(change)
        emu, timing = _train_timed(data, out_file, args.out / f"ck_ablation_{k}.pt", **options)
        _, rel = _members_errors(emu, test)
        hist = getattr(emu, "history", None)
        epochs = len(hist) if hist else float("nan")
        rows.append((label, (rel < 0.01).mean(), (rel < 0.001).mean(), float(np.median(rel)), epochs,
                     _penalty_ratio(timing), timing[1]))
    print(f"\nablation: e+e- -> 4 jets, y_cut = {args.y_cut:g}, {args.points} points (4:1:1), {args.members} member(s) "
          f"of {tuple(args.hidden)}, batch {args.batch_size}, <= {args.max_epochs} epochs\n")
    print("| model | < 1 % | < 0.1 % | median error | epochs | L_pen / L_MSE at the best epoch | train wall s |")
    print("|---|---|---|---|---|---|---|")
    for label, f1, f01, med, epochs, ratio, wall in rows:
        print(f"| {label} | {100 * f1:.1f} % | {100 * f01:.1f} % | {med:.2e} | {epochs} | {ratio:.2g} | {wall:.0f} |")
    return rows


def penalty_check(args):
    """L_pen / L_MSE at the best epoch and the test fractions within 1 % and 0.1 %, per multiplicity, for
    every J of --penalties ('default': the per-multiplicity default of TrainingConfig)."""
    from numhep.torch.dipole_emulator import default_penalty

    rows = []
    for nj in args.jets:
        data = generate_dipole_dataset(args.out / f"ee_{nj}j_ycut{args.y_cut:g}.h5", nj, args.points, args.y_cut,
                                       chunk=max(10_000, min(args.points // 4, 500_000)))
        test = data.split("test", ("momenta", "me"))
        for choice in args.penalties:
            J = default_penalty(nj) if choice == "default" else float(choice)
            tag = f"penalty_{nj}j_{J:.3g}"
            options = dict(members=args.members, hidden=tuple(args.hidden), max_epochs=args.max_epochs,
                           batch_size=args.batch_size, device=args.device, penalty=J)
            emu, timing = _train_timed(data, args.out / f"{tag}.pt", args.out / f"ck_{tag}.pt", **options)
            _, rel = _members_errors(emu, test)
            rows.append((nj, choice, J, (rel < 0.01).mean(), (rel < 0.001).mean(), float(np.median(rel)),
                         _penalty_ratio(timing), timing[4], timing[1]))
    print(f"\npenalty weight: e+e- -> jets, y_cut = {args.y_cut:g}, {args.points} points (4:1:1), {args.members} "
          f"member(s) of {tuple(args.hidden)}, batch {args.batch_size}, <= {args.max_epochs} epochs\n")
    print("| jets | J | < 1 % | < 0.1 % | median error | L_pen / L_MSE at the best epoch | L_MSE | train wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for nj, choice, J, f1, f01, med, ratio, mse, wall in rows:
        name = f"{J:.3g}" + (" (default)" if choice == "default" else "")
        print(f"| {nj} | {name} | {100 * f1:.1f} % | {100 * f01:.1f} % | {med:.2e} | {ratio:.3g} | {mse:.3g} | "
              f"{wall:.0f} |")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=60_000, help="accepted points per multiplicity (4:1:1 split)")
    ap.add_argument("--y-cut", type=float, default=1e-3)
    ap.add_argument("--jets", type=int, nargs="+", default=[3, 4, 5])
    ap.add_argument("--members", type=int, default=2)
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS),
                    help="the models to train and compare (default all: dipole, plain, 'plain + ln y')")
    ap.add_argument("--hidden", type=int, nargs="+", default=[64, 128, 128, 64])
    ap.add_argument("--max-epochs", type=int, default=150)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--extrapolate-y-cut", type=float, default=None,
                    help="global cut of the extrapolation points (default y_cut / 10)")
    ap.add_argument("--trajectories", type=int, default=50)
    ap.add_argument("--steps", type=int, default=200, help="points per trajectory")
    ap.add_argument("--paper", action="store_true",
                    help="Sec. 2.4.2 networks, 20 members, batch 4096, no epoch cap, 60M points (40M training)")
    ap.add_argument("--scan", action="store_true", help="the learning curve over --scan-points (see above)")
    ap.add_argument("--scan-points", type=float, nargs="+", default=[6e4, 2e5, 6e5, 2e6],
                    help="training points per rung of --scan")
    ap.add_argument("--scan-members", type=int, default=4, help="ensemble size of --scan (1 member: the first)")
    ap.add_argument("--ablation", action="store_true", help="4-jet one-change-at-a-time comparison (see above)")
    ap.add_argument("--penalty-check", action="store_true",
                    help="L_pen / L_MSE and the test fractions per multiplicity for every J of --penalties")
    ap.add_argument("--penalties", nargs="+", default=["0.001", "default"],
                    help="J values of --penalty-check; 'default' is TrainingConfig's per-multiplicity J")
    ap.add_argument("--out", type=Path, default=Path("emulator_study"))
    ap.add_argument("--device", default=None, help="torch device for training (default: cuda when available)")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch CPU threads (default: torch's; 1 is faster on a machine shared with other jobs)")
    args = ap.parse_args(argv)
    if args.paper:
        args.members, args.hidden, args.batch_size, args.max_epochs = 20, [64, 128, 256, 512, 768, 386, 128, 64], 4096, 10_000
        args.points = 60_000_000  # Sec. 2.4.1: 40M training, 10M validation, 10M test
    args.scan_points = [int(n) for n in args.scan_points]

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    import numhep
    from numhep.torch.dipole_emulator import train_emulator

    torch.set_num_threads(args.threads or torch.get_num_threads())
    args.out.mkdir(parents=True, exist_ok=True)
    if args.scan:
        return scan(args)
    if args.ablation:
        return ablation(args)
    if args.penalty_check:
        return penalty_check(args)
    rows, emulators, errors = [], {}, {}
    fig, axes = plt.subplots(len(args.jets), 2, figsize=(10, 3.2 * len(args.jets)), squeeze=False)
    for row, nj in enumerate(args.jets):
        t0 = time.perf_counter()
        data = generate_dipole_dataset(args.out / f"ee_{nj}j_ycut{args.y_cut:g}.h5", nj, args.points, args.y_cut,
                                       chunk=max(10_000, min(args.points // 4, 500_000)))
        t_data = time.perf_counter() - t0
        test = data.split("test")
        true_sigma = data.cross_section()
        for name in args.models:
            t0 = time.perf_counter()
            emu = train_emulator(data, members=args.members, hidden=tuple(args.hidden), max_epochs=args.max_epochs,
                                 batch_size=args.batch_size, checkpoint=args.out / f"ck_{nj}j_{_tag(name)}.pt",
                                 device=args.device, **MODELS[name])
            emu.save(args.out / f"emulator_{nj}j_{_tag(name)}.pt")
            emulators[(nj, name)] = emu
            pred = _predict(emu, test["momenta"])
            rel = np.abs(pred / test["me"] - 1)
            errors[(nj, name)] = rel
            # sigma from the emulator on every stored row (the rejected points contribute 0 either way)
            all_rows = data.arrays(("momenta",))["momenta"]
            sigma = data.cross_section(me=_predict(emu, all_rows))
            rows.append((nj, name, len(test["me"]), (rel < 0.01).mean(), (rel < 0.001).mean(), np.median(rel),
                         sigma[0], true_sigma, time.perf_counter() - t0, t_data))
            axes[row, 0].hist(100 * rel, bins=np.logspace(-4, 2, 60), histtype="step", label=name, density=False)
            axes[row, 1].hist(np.log(pred / test["me"]), bins=np.linspace(-0.2, 0.2, 81), histtype="step", label=name)
        axes[row, 0].set(xscale="log", xlabel="|emulated / true - 1| [%]", ylabel="test points", title=f"{nj} jets")
        axes[row, 1].set(xlabel="ln(emulated / true)", title=f"{nj} jets, y_cut = {args.y_cut:g}")
        axes[row, 0].legend()
    fig.tight_layout()
    fig.savefig(args.out / "error_distributions.png", dpi=120)

    print(f"\ne+e- -> jets at sqrt(s) = 1000 GeV, y_cut = {args.y_cut:g}; {args.points} points per multiplicity "
          f"(4:1:1), {args.members} members of {tuple(args.hidden)}, <= {args.max_epochs} epochs\n")
    print("| jets | model | test points | < 1 % | < 0.1 % | median error | sigma emulated [pb] | sigma true [pb] | train s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for nj, name, ntest, f1, f01, med, sig, (tsig, terr), tt, _ in rows:
        print(f"| {nj} | {name} | {ntest} | {100 * f1:.1f} % | {100 * f01:.1f} % | {med:.2e} | {sig:.5g} | "
              f"{tsig:.5g} +- {terr:.2g} | {tt:.0f} |")

    # extrapolation below the training cut
    y_low = args.extrapolate_y_cut or args.y_cut / 10
    print(f"\nextrapolation: models trained at y_cut = {args.y_cut:g}, on points generated at y_cut = {y_low:g} "
          f"with min s_ij / s < {args.y_cut:g} (outside the training region)\n")
    print("| jets | model | points | < 1 % | < 0.1 % | outside 5 % | median error |")
    print("|---|---|---|---|---|---|---|")
    fig, axes = plt.subplots(1, len(args.jets), figsize=(4.5 * len(args.jets), 3.2), squeeze=False)
    for col, nj in enumerate(args.jets):
        low = generate_dipole_dataset(args.out / f"ee_{nj}j_ycut{y_low:g}.h5", nj, args.points, y_low,
                                      chunk=max(10_000, min(args.points // 4, 500_000))).arrays(("momenta", "me"))
        outside = min_pair_invariant(low["momenta"]) < args.y_cut
        p, true = low["momenta"][outside], low["me"][outside]
        for name in args.models:
            rel = np.abs(_predict(emulators[(nj, name)], p) / true - 1)
            print(f"| {nj} | {name} | {len(rel)} | {100 * (rel < 0.01).mean():.1f} % | {100 * (rel < 0.001).mean():.1f} % "
                  f"| {100 * (rel > 0.05).mean():.1f} % | {np.median(rel):.2e} |")
            axes[0, col].hist(100 * rel, bins=np.logspace(-4, 2, 60), histtype="step", label=name)
        axes[0, col].set(xscale="log", yscale="log", xlabel="|emulated / true - 1| [%]",
                         title=f"{nj} jets: {y_low:g} <= min y_ij < {args.y_cut:g}")
        axes[0, col].legend()
    fig.tight_layout()
    fig.savefig(args.out / "extrapolation.png", dpi=120)

    # cross sections (Fig. 5): emulated minus true against the MC error
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for k, (nj, name, *_rest) in enumerate(rows):
        sig, (tsig, terr) = _rest[4], _rest[5]
        ax.errorbar(k, 100 * (sig / tsig - 1), yerr=100 * terr / tsig, fmt="o", color=f"C{args.models.index(name)}")
    ax.set_xticks(range(len(rows)), [f"{nj}j {name}" for nj, name, *_ in rows], rotation=30)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_ylabel("sigma emulated / true - 1 [%]\n(bar: MC error of the true sigma)")
    fig.tight_layout()
    fig.savefig(args.out / "cross_sections.png", dpi=120)

    # random trajectories (App. C, Table 2) for the highest multiplicity
    nj = max(args.jets)
    proc = numhep.process({3: "ee_uug", 4: "ee_uugg", 5: "ee_uuggg"}[nj])
    rng = np.random.default_rng(2026)
    t = np.linspace(0, 1, args.steps)[:, None, None]
    labels, errs, first = [], {n: [] for n in args.models}, None
    for _ in range(args.trajectories):
        a, b = 1 - rng.random((2, nj, 4))
        p, _ = numhep.rambo_map(a + t * (b - a), 1000.0, list(proc.masses))
        true = numhep.me(p, process=proc)
        labels.append(region_of(p[:, 2:], args.y_cut, d_cut_fraction(args.y_cut)))
        for name in errs:
            pred, _ = emulators[(nj, name)].predict(p[:, 2:])
            errs[name].append(np.abs(pred / true - 1))
        if first is None:
            first = (true, {n: emulators[(nj, n)].predict(p[:, 2:])[0] for n in errs}, labels[-1])
    labels = np.concatenate(labels)
    print(f"\n{args.trajectories} random RAMBO trajectories of {args.steps} points, {nj} jets "
          f"(models trained at y_cut = {args.y_cut:g}):\n")
    print("| region | fraction of points | model | outside 0.1 % | outside 1 % | outside 5 % |")
    print("|---|---|---|---|---|---|")
    for region in ("white", "red", "pink", "purple", "blue"):
        sel = labels == region
        if not sel.any():
            continue
        for name in errs:
            e = np.concatenate(errs[name])[sel]
            print(f"| {region} | {100 * sel.mean():.1f} % | {name} | {100 * (e > 1e-3).mean():.1f} % | "
                  f"{100 * (e > 1e-2).mean():.1f} % | {100 * (e > 5e-2).mean():.1f} % |")
    true, preds, lab = first
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    x = np.linspace(0, 1, len(true))
    ax.semilogy(x, true, "k-", label="numhep |M|^2")
    for name, pred in preds.items():
        ax.semilogy(x, pred, ".", ms=3, label=name)
        bx.plot(x, pred / true, ".", ms=3, label=name)
    colours = dict(white="none", red="red", pink="pink", purple="purple", blue="blue")
    for k in range(len(x)):
        if lab[k] != "white":
            for axis in (ax, bx):
                axis.axvspan(x[k] - 0.5 / len(x), x[k] + 0.5 / len(x), color=colours[lab[k]], alpha=0.2, lw=0)
    bx.set(ylim=(0.9, 1.1), xlabel="position along the trajectory", ylabel="emulated / true")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out / "trajectory.png", dpi=120)
    print(f"\nplots: {args.out}/error_distributions.png, extrapolation.png, cross_sections.png, trajectory.png")


if __name__ == "__main__":
    main()
