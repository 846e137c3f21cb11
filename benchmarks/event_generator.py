"""The precision event generator study of Heimel's thesis (Heidelberg 2024, Ch. 4) at a configurable scale.

Z + {1, 2, 3} jets made by numhep (LO samples mixed by cross section, Pythia 8 shower and
hadronisation, anti-kT jets; numhep.events.zjets_dataset), then

* the INN chain with the magic transformation (Sec. 4.2): the bin-wise deviation
  delta = |model - truth| / truth (Eq. 4.10) of p_T,j1, p_T,j2, M_mumu and Delta R_j1j2 in the
  bulk (the bins between the truth's 10 % and 90 % quantiles), beside the same deviation of the
  training set against the test set, per multiplicity (Fig. 4.4);
* the Bayesian INN (Sec. 4.3): error bands from network replicas, their coverage of the truth
  per bulk bin, the Poisson / predictive split (Fig. 4.6) and a training-size scan (Fig. 4.7);
* the classifier metric (Sec. 4.4) for the standard (per-multiplicity whitening, arXiv:2110.13632)
  and the improved preprocessing (Eqs. 4.3-4.6 alone, the thesis's "state-of-the-art generator"),
  both without the magic transformation: per multiplicity the AUC and the width of the weight
  distribution (half the 16-84 % range of log w and the share with |log w| > 1, Figs. 4.8, 4.10),
  M_mumu and Delta R_jj against held-out truth before and after reweighting with w (mean
  |model/truth - 1| and chi2/ndf over well-populated bins, the generator's training set beside as
  the truth-against-truth floor; Fig. 4.9), clustering in weight ranges (Fig. 4.11) and the mixed
  pull of the Bayesian generator (Eq. 4.18, Fig. 4.13).

Numbers are printed, figures go to --out as PNG.  The data set and every training are
checkpointed: a killed run continues where it stopped.

    python benchmarks/event_generator.py                 # about an hour on 2 cores
    python benchmarks/event_generator.py --paper         # the thesis's networks and sizes (GPU)
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from numhep.events.surrogate_plots import (histogram_agreement, normalised_histogram, percent_deviation,
                                           plot_classifier, plot_log_weights, plot_mixed_pull, plot_observable,
                                           plot_weight_clusters)
from numhep.events.zjets_dataset import ZJetsEvents, generate_zjets_dataset
from numhep.torch.classifier_metric import classifier_inputs, mixed_pull, train_classifier, weight_spread
from numhep.torch.event_generator import GeneratorConfig, ZJetsGenerator, train_generator
from numhep.torch.replica_histograms import density_replicas, histogram_uncertainties, replica_histograms

OBSERVABLES = {  # name -> (label, multiplicities, bins)
    "pt_j1": (r"$p_{T,j_1}$ [GeV]", (1, 2, 3), np.linspace(20, 250, 47)),
    "pt_j2": (r"$p_{T,j_2}$ [GeV]", (2, 3), np.linspace(20, 150, 27)),
    "m_mumu": (r"$M_{\mu\mu}$ [GeV]", (1, 2, 3), np.linspace(60, 120, 41)),
    "dr_j1j2": (r"$\Delta R_{j_1 j_2}$", (2, 3), np.linspace(0, 6, 41)),
}


def values(events, name, k):
    sel = events.select(k)
    return sel.observables()[name], sel.weight


def hist(events, name, k, bins):
    return normalised_histogram(*values(events, name, k), bins)[0]


def bulk(truth_values, bins):
    lo, hi = np.nanquantile(truth_values, [0.1, 0.9])
    mid = 0.5 * (bins[1:] + bins[:-1])
    return (mid >= lo) & (mid <= hi)


def deviation_table(label, model, train, test):
    print(f"\n{label}: mean bin-wise deviation |model - truth| / truth in the bulk [%] (train vs test beside)")
    print(f"{'observable':>10} {'jets':>4} {'model':>8} {'train':>8} {'bins':>5}")
    for name, (_, ks, bins) in OBSERVABLES.items():
        for k in ks:
            if not (test.n_jets == k).sum() > 50:
                continue
            b = bulk(values(test, name, k)[0], bins)
            t = hist(test, name, k, bins)
            dm = percent_deviation(hist(model, name, k, bins), t)[b]
            dt = percent_deviation(hist(train, name, k, bins), t)[b]
            print(f"{name:>10} {k:>4} {np.nanmean(dm):8.2f} {np.nanmean(dt):8.2f} {b.sum():5d}")


def plot_all(out, tag, model, train, test, reweighted=None, bands=None):
    for name, (label, ks, bins) in OBSERVABLES.items():
        for k in ks:
            if not (test.n_jets == k).sum() > 50:
                continue
            band = None if bands is None else bands.get((name, k))
            plot_observable(out / f"{tag}_{name}_{k}j.png", bins, values(test, name, k), values(model, name, k),
                            train=values(train, name, k),
                            reweighted=None if reweighted is None else reweighted(name, k),
                            band=band, xlabel=label, title=f"Z + {k} jets, {tag}")


def trained(path, train, config, label):
    t0 = time.time()
    ckpt = path.with_suffix(".ckpt")
    if path.exists():
        return ZJetsGenerator.load(path)
    gen, losses = train_generator(train, config, checkpoint=ckpt, checkpoint_every=100, progress=True)
    gen.save(path)
    print(f"{label}: {len(losses)} steps, final loss {losses[-20:].mean():.3f}, {time.time() - t0:.0f} s")
    return gen


def classifier_study(out, tag, gen_events, test, train, args):
    """Classifier metric of one generator against held-out truth, per multiplicity: AUC, the width
    of log w, and M_mumu / Delta R_j1j2 against truth before and after reweighting with w."""
    results = {}
    print(f"\nclassifier metric, {tag} preprocessing (held-out halves of the generated and the test events)")
    print(f"{'jets':>4} {'AUC':>7} {'hw log w':>9} {'|log w|>1':>9} {'hw log w':>9} {'|log w|>1':>9}"
          f"   (first pair on truth, second on generated events)")
    rows = []
    for k in (1, 2, 3):
        if (test.n_jets == k).sum() < 200 or (gen_events.n_jets == k).sum() < 200:
            continue
        xg, xt = classifier_inputs(gen_events, k), classifier_inputs(test, k)
        gsel, tsel = gen_events.select(k), test.select(k)
        res = train_classifier(xg, xt, generated_weights=gsel.weight, epochs=args.classifier_epochs, progress=False,
                               layers=args.classifier_layers, units=args.classifier_units,
                               patience=args.classifier_patience, seed=k)
        # the held-out events in the order of their weights
        g_test, t_test = gsel.select(res.test_generated), tsel.select(res.test_truth)
        results[k] = res
        hw_t, tail_t = weight_spread(res.weights_truth)
        hw_g, tail_g = weight_spread(res.weights_generated)
        print(f"{k:>4} {res.auc:7.4f} {hw_t:9.4f} {tail_t:9.4f} {hw_g:9.4f} {tail_g:9.4f}")
        rew = ZJetsEvents(g_test.particles, g_test.n_jets, g_test.weight * res.weights_generated)
        for name in ("m_mumu", "dr_j1j2"):
            if name == "dr_j1j2" and k < 2:
                continue
            bins = OBSERVABLES[name][2]
            truth = values(t_test, name, k)
            agree = [histogram_agreement(values(ev, name, k), truth, bins, min_truth_events=args.min_truth_events)
                     for ev in (g_test, rew, train)]
            rows.append((k, name, agree))
            plot_observable(out / f"{tag}_reweighted_{name}_{k}j.png", bins, truth, values(g_test, name, k),
                            reweighted=values(rew, name, k), xlabel=OBSERVABLES[name][0],
                            title=f"Z + {k} jets, {tag}, classifier reweighting")
        plot_classifier(out / f"{tag}_classifier_{k}j.png", res.fpr, res.tpr, res.auc, res.weights_generated,
                        res.weights_truth, title=f"Z + {k} jets, {tag}",
                        generated_event_weights=g_test.weight)
        for name in ("pt_j1", "m_mumu", "dr_j1j2"):
            if name == "dr_j1j2" and k < 2:
                continue
            plot_weight_clusters(out / f"{tag}_clusters_{name}_{k}j.png", OBSERVABLES[name][2],
                                 values(g_test, name, k)[0], res.weights_generated, values(t_test, name, k)[0],
                                 res.weights_truth, xlabel=OBSERVABLES[name][0])
    print(f"\n{tag}: agreement with the held-out truth in bins with >= {args.min_truth_events} truth events: "
          "mean |model/truth - 1| [%] and chi2/ndf, before -> after reweighting; the generator's training set "
          "(truth against truth) beside")
    print(f"{'jets':>4} {'observable':>10} {'bins':>4} {'before':>7} {'after':>7} {'train':>7} "
          f"{'chi2 before':>11} {'after':>7} {'train':>7}")
    for k, name, (before, after, floor) in rows:
        print(f"{k:>4} {name:>10} {before['bins']:>4} {100 * before['mean_abs_deviation']:7.2f} "
              f"{100 * after['mean_abs_deviation']:7.2f} {100 * floor['mean_abs_deviation']:7.2f} "
              f"{before['chi2_ndf']:11.2f} {after['chi2_ndf']:7.2f} {floor['chi2_ndf']:7.2f}")
    return results


def bayesian_study(out, gen, train, test, args):
    print(f"\nBayesian INN: {args.replicas} replicas of {args.replica_events} events; coverage of the truth per "
          "bulk bin (|mean - truth| <= sigma_tot, and <= sqrt(sigma_tot^2 + sigma_truth^2))")
    bands = {}
    print(f"{'observable':>10} {'jets':>4} {'cover':>6} {'cover+t':>7} {'sig_tot/mu':>10} {'sig_pred/mu':>11}")
    for name, (_, ks, bins) in OBSERVABLES.items():
        for k in ks:
            if (test.n_jets == k).sum() < 200:
                continue
            counts, w2 = replica_histograms(gen, lambda ev, n=name: ev.observables()[n], bins,
                                            n_events=args.replica_events, n_replicas=args.replicas, n_jets=k,
                                            seed=7)
            u = histogram_uncertainties(counts, w2)
            tv, tw = values(test, name, k)
            ok = np.isfinite(tv)
            t_counts = np.histogram(tv[ok], bins, weights=tw[ok])[0]
            scale = u["mean"].sum() / max(t_counts.sum(), 1e-300)
            truth, t_err = t_counts * scale, np.sqrt(t_counts) * scale
            b = bulk(tv, bins) & (u["mean"] > 0)
            cover = np.mean(np.abs(u["mean"] - truth)[b] <= u["sigma_total"][b])
            cover_t = np.mean(np.abs(u["mean"] - truth)[b] <= np.hypot(u["sigma_total"], t_err)[b])
            rel = np.nanmean((u["sigma_total"] / u["mean"])[b])
            rel_pred = np.nanmean((u["sigma_pred"] / u["mean"])[b])
            print(f"{name:>10} {k:>4} {cover:6.2f} {cover_t:7.2f} {rel:10.4f} {rel_pred:11.4f}")
            norm = u["mean"].sum() * np.diff(bins)
            bands[(name, k)] = (u["mean"] / norm, u["sigma_total"] / norm)
            if name == "pt_j1" and k == 1:
                decomposition_plot(out / "binn_decomposition_pt_j1_1j.png", u)
    map_events = gen.generate(args.generate, seed=11)
    plot_all(out, "binn", map_events, train, test, bands=bands)
    return map_events


def decomposition_plot(path, u):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    ok = u["mean"] > 0
    ax.loglog(u["mean"][ok], u["sigma_total"][ok], "o", ms=3, label=r"$\sigma_\mathrm{tot}$")
    ax.loglog(u["mean"][ok], u["sigma_pred"][ok] + 1e-12, "x", ms=3, label=r"$\sigma_\mathrm{pred}$")
    m = np.logspace(np.log10(u["mean"][ok].min()), np.log10(u["mean"][ok].max()), 20)
    ax.loglog(m, np.sqrt(m), "k-", lw=0.8, label="Poisson")
    ax.set_xlabel(r"$\mu$ (events per bin)")
    ax.set_ylabel(r"$\sigma$")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def pull_study(out, gen, test, args):
    print("\nmixed pull t = mu (1 - w) / sigma (Eq. 4.18) of the Bayesian generator: width of t, "
          "and the median sigma/mu in w bins (w < 0.9, 0.9..1.1, > 1.1)")
    events = gen.generate(args.generate, seed=13)
    for k in (1, 2, 3):
        if (test.n_jets == k).sum() < 200:
            continue
        res = train_classifier(classifier_inputs(events, k), classifier_inputs(test, k),
                               generated_weights=events.select(k).weight, epochs=args.classifier_epochs,
                               progress=False, layers=args.classifier_layers, units=args.classifier_units,
                               patience=args.classifier_patience, seed=k)
        n = min(len(res.test_generated), 5000)
        held = events.select(k).select(res.test_generated[:n])  # in the order of the weights
        w = res.weights_generated[:n]
        mu, sigma = density_replicas(gen, held, n_replicas=args.replicas, seed=k)
        t = mixed_pull(mu, sigma, w)
        rel = sigma / mu
        med = [np.median(rel[m]) if m.any() else np.nan for m in (w < 0.9, (w >= 0.9) & (w <= 1.1), w > 1.1)]
        ok = np.isfinite(t)
        print(f"  {k} jets: AUC {res.auc:.4f}; std(t) {np.std(t[ok]):.3f}, 16-84 % half-width "
              f"{np.diff(np.quantile(t[ok], [0.16, 0.84]))[0] / 2:.3f}; median sigma/mu {med[0]:.4f} {med[1]:.4f} "
              f"{med[2]:.4f}")
        plot_mixed_pull(out / f"binn_pull_{k}j.png", w, rel, t, title=f"Z + {k} jets")


def size_scan(out, train, test, config, args):
    print("\ntraining-size scan of the Bayesian INN (Fig. 4.7): mean relative predictive uncertainty "
          "sigma_pred / mu of p_T,j1 (1 jet) in the bulk")
    rows = []
    for frac in args.scan:
        n = int(frac * len(train))
        sub = train.select(np.arange(len(train)) < n)
        steps_config = replace(config, epochs=max(1, int(round(config.epochs / frac))) if frac < 1 else config.epochs)
        path = args.out / ("binn.pt" if n == len(train) else f"binn_scan_{n}.pt")  # the full set: the BINN above
        gen = trained(path, sub, steps_config, f"BINN on {n} events")
        bins = OBSERVABLES["pt_j1"][2]
        counts, w2 = replica_histograms(gen, lambda ev: ev.observables()["pt_j1"], bins,
                                        n_events=args.replica_events, n_replicas=args.replicas, n_jets=1, seed=9)
        u = histogram_uncertainties(counts, w2)
        b = bulk(values(test, "pt_j1", 1)[0], bins) & (u["mean"] > 0)
        rel = np.nanmean((u["sigma_pred"] / u["mean"])[b])
        rows.append((n, rel))
        print(f"  {n:>8} training events: sigma_pred / mu = {rel:.4f}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    ax.loglog([r[0] for r in rows], [r[1] for r in rows], "o-")
    ax.set_xlabel("training events")
    ax.set_ylabel(r"$\sigma_\mathrm{pred} / \mu$, $p_{T,j_1}$ (1 jet)")
    fig.tight_layout()
    fig.savefig(out / "binn_size_scan.png", dpi=90)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("benchmark_output/zjets/data"))
    p.add_argument("--out", type=Path, default=Path("benchmark_output/zjets"))
    p.add_argument("--events", type=int, default=30000, help="hard events over the three LO samples")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--bayesian-epochs", type=int, default=60)
    p.add_argument("--generate", type=int, default=60000, help="events generated per generator")
    p.add_argument("--replicas", type=int, default=10)
    p.add_argument("--replica-events", type=int, default=20000)
    p.add_argument("--classifier-epochs", type=int, default=30)
    p.add_argument("--classifier-layers", type=int, default=4)
    p.add_argument("--classifier-units", type=int, default=128)
    p.add_argument("--classifier-patience", type=int, default=5,
                   help="epochs without a better validation loss before the classifier's learning rate is cut by 10")
    p.add_argument("--min-truth-events", type=int, default=50,
                   help="least held-out truth events in a bin compared before and after reweighting")
    p.add_argument("--scan", type=float, nargs="*", default=[0.1, 0.3, 1.0], help="training fractions of the scan")
    p.add_argument("--multiplicities", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--stages", nargs="+", default=["inn", "classifier", "bayes", "scan"],
                   choices=["inn", "classifier", "bayes", "scan"], help="the parts to run (default all)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--paper", action="store_true",
                   help="thesis scale: 5M hard events, Tab. A.1 networks (25 blocks, 60 bins), 2M generated (GPU)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    config = GeneratorConfig(epochs=args.epochs, seed=args.seed)
    if args.paper:
        args.events, args.generate, args.replica_events = 5_400_000, 2_000_000, 1_000_000
        args.classifier_layers, args.classifier_units, args.classifier_epochs = 5, 256, 50
        config = GeneratorConfig(blocks=25, jet_blocks=10, bins=60, units=256, jet_units=128, layers=3, epochs=100,
                                 batch_size=1024, seed=args.seed)
    bconfig = replace(config, bayesian=True, magic=False, epochs=args.bayesian_epochs if not args.paper else 100,
                      batch_size=config.batch_size if not args.paper else 3072)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    train_h5, test_h5 = generate_zjets_dataset(args.data, args.events, seed=args.seed,
                                               multiplicities=args.multiplicities, progress=True)
    train, test = ZJetsEvents.load(train_h5), ZJetsEvents.load(test_h5)
    print(f"data: {len(train)} training, {len(test)} test events; jets {train.attrs['jet_counts']} (both sets); "
          f"LO sigma [pb] {train.attrs['sigma_pb']}; merging: {train.attrs['merging']}  ({time.time() - t0:.0f} s)")

    if "inn" in args.stages:
        inn = trained(out / "inn_magic.pt", train, config, "INN, improved preprocessing, magic transformation")
        generated = inn.generate(args.generate, seed=3, progress=True)
        print(f"generated {len(generated)} events; magic weights mean {generated.weight.mean():.3f}, "
              f"share of zero weight {np.mean(generated.weight == 0):.4f}")
        deviation_table("INN with magic transformation", generated, train, test)
        plot_all(out, "inn", generated, train, test)

    if "classifier" in args.stages:
        # standard: the per-multiplicity whitening of arXiv:2110.13632; improved: Eqs. 4.3-4.6 alone
        # (the thesis's "state-of-the-art generator", arXiv:2305.16774); neither with the magic transformation
        weights = {}
        for tag, whiten in (("standard", True), ("improved", False)):
            gen = trained(out / f"inn_{tag}.pt", train, replace(config, magic=False, whiten=whiten),
                          f"INN, {tag} preprocessing, no magic")
            for k, res in classifier_study(out, tag, gen.generate(args.generate, seed=5), test, train, args).items():
                weights.setdefault(k, {})[tag] = (res.weights_generated, res.weights_truth)
        for k, samples in weights.items():
            plot_log_weights(out / f"classifier_weights_{k}j.png", samples, title=f"Z + {k} jets")

    if "bayes" in args.stages:
        binn = trained(out / "binn.pt", train, bconfig, "Bayesian INN")
        bayesian_study(out, binn, train, test, args)
        pull_study(out, binn, test, args)
    if args.scan and "scan" in args.stages:
        size_scan(out, train, test, bconfig, args)
    print(f"\ntotal {time.time() - t0:.0f} s; figures in {out}")


if __name__ == "__main__":
    main()
