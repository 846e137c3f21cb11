"""Calibration of the ML matrix-element method for the CP phase of the top Yukawa in t H j.

The setup of Heimel, PhD thesis, Heidelberg 2024, Secs. 6.2-6.4 (Fig. 6.14) with numhep:

1. Data: p p > t H j at 13 TeV (five flavours, massless b), the top decaying leptonically
   with its spin correlations, H > a a, the parametrised detector and the cuts of Table 6.1
   (:func:`numhep.events.thj_dataset.build_thj_dataset`), at the thesis's nine CP phases for
   training and at 0, 45 and 90 degrees (another seed) for the pseudo-experiments.  The
   fiducial cross section is fitted with Eq. 6.3 and printed beside Table 6.2.
2. Networks: the transfer flow p(x_reco | x_hard), the acceptance classifier epsilon(x_hard)
   and the sampling flow q(u | x_reco, alpha), trained on the learned transfer probability
   (Eqs. 6.37-6.38) (:mod:`numhep.torch`); checkpoints let a killed run resume.
3. The single-pass MEM integral (Eqs. 6.29/6.39) on a grid of alpha for a pool of accepted
   events per truth phase, with the three networks and, from the same samples, without the
   acceptance network (Eq. 6.30).  The cost per event is printed, and the cost at the target
   precision (2 % at every alpha) measured on a few more events.
4. Pulls (alpha_hat - alpha_truth)/sigma over ``--experiments`` pseudo-experiments of
   ``--size`` events drawn from the pool, for the three-network and the two-network
   likelihood and for the hard-process likelihood of the same events' x_hard (numhep's
   |M|^2 and PDFs normalised by the fiducial cross section, Eq. 6.18: the best any reco-level
   method can do): mean and width with their errors.  A set whose likelihood prefers the
   mirror minimum, -alpha, has a signed pull of about 2 alpha / sigma; the fraction of such
   sets and the pulls of |alpha| (the curve folded onto alpha >= 0) are printed beside.
   Without the acceptance network the likelihood is not normalised; its bias shows where the
   acceptance varies across the phase space an event's integral covers (the ISR set).  The
   experiments share their pool, so the mean score d log L / d alpha at the truth over the
   pool is printed too, with an honest error and the pull shift it makes, per likelihood, paired
   with the hard process, and for the acceptance network's part alone.  The
   posterior closure compares the means of epsilon and of the sign of the CP-odd triple
   product over each event's three-network posterior with their values at the true x_hard,
   which must agree on average.

PNGs: the fiducial cross section and its fit, likelihood curves of 400 events, pull histograms.
The default data are parton level with the detector smearing (the thesis's leptonic set
without shower); ``--shower`` runs Pythia 8 (FSR) and anti-kT jets, ``--isr`` adds
initial-state radiation (the thesis's third set, where the acceptance network matters most),
``--decay hadronic`` the hadronic sets; ``--vegas`` refines the sampling network's latent space
with a VEGAS grid per event (Sec. 6.4; its MEM results are cached apart from the plain ones).

    python benchmarks/mem_calibration.py [--out mem_out] [--paper | --quick | --tiny]
                                         [--decay hadronic] [--shower] [--isr] [--vegas]
                                         [--transfer residual|flow|transfermer|cfm] [--jet-order pt|w_pair]
                                         [--sampler momenta|cube] [--network-seed K] [--calibration-events N]

The default networks are the transfer flow around its linear prediction from x_hard
(``--transfer residual``) and the sampling network in the momenta of Eq. 6.31 (``--sampler
momenta``).  On the leptonic set they give the hard-process likelihood's wrong-sign fractions
and nearly its preference for the true sign; the plain transfer flow with the cube sampler
(``--transfer flow --sampler cube``), the earlier default, lost a third of the sets at 90
degrees to the wrong sign (docs/guide/matrix_element_method.rst).

The default scale runs in about 25 minutes on one core: data 2 min (11 with ``--isr``'s
shower), training 4 min, the MEM integral of the three pools of 500 events 15 min (0.5 s per
event at 2000 samples), the cost at the target precision (40 events) 4 min, and the data of
the statistic's check on the exact likelihood 3 min (30 with the shower: ``--calibration-events``
sets its size).  The pulls'
pseudo-experiments share their pool, which the printout quantifies.

``--paper`` is the thesis's scale (1.3M training events, 10000 samples per iteration) for a
machine with more cores: the networks run on torch's default device, numhep's integrand on
the CPU kernels.  ``--quick`` is a third of the default, ``--tiny`` a smoke run of minutes.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

SCALES = {
    "default": dict(train_events=10_000, test_events=6_000, pool=500, epochs=40, batch=512, samples=500,
                    max_iterations=4, grid_step=5.0, experiments=100, size=100, cost_events=40, cost_samples=32_000,
                    calibration_events=90_000),
    "quick": dict(train_events=4_000, test_events=4_000, pool=300, epochs=30, batch=512, samples=500,
                  max_iterations=4, grid_step=5.0, experiments=100, size=100, cost_events=20, cost_samples=32_000,
                  calibration_events=30_000),
    "paper": dict(train_events=150_000, test_events=60_000, pool=10_000, epochs=100, batch=1024, samples=10_000,
                  max_iterations=15, grid_step=2.5, experiments=100, size=100, cost_events=200, cost_samples=150_000,
                  calibration_events=0),
}
#: the relative error of the MEM integral, at every alpha of the grid, that the iterations aim at
TARGET = 0.02
TRUTHS_DEG = (0.0, 45.0, 90.0)
#: fb, A..E of Eq. 6.3 for the thesis's three sets
TABLE_6_2 = {"leptonic": (4.07e-4, 2.37e-3, -1.22e-3, 1.86e-6, -2.90e-7),
             "hadronic": (1.23e-3, 7.59e-3, -3.78e-3, 1.24e-5, -7.96e-6),
             "hadronic, ISR": (3.06e-3, 2.05e-2, -9.50e-3, 1.90e-5, -5.77e-6)}
#: per cent of the events after the last cut of Table 6.1, at alpha = 0
ACCEPTED_TABLE_6_1 = {"leptonic": 5.5, "hadronic": 2.8, "hadronic, ISR": 6.9}
#: BR(W > mu nu) or BR(W > hadrons) (the u d~ events stand for every hadronic decay), times BR(H > a a)
BRANCHING = {"leptonic": 0.1086 * 2.27e-3, "hadronic": 0.6741 * 2.27e-3}


def _generate_options(n):
    return dict(n_points=20_000, n_iterations=6, n_warmup=2, pilot_points=40_000, batch_size=min(20_000, n))


def build_data(out: Path, scale: dict, physics: dict):
    from numhep.events.thj_dataset import ALPHAS_DEG, build_thj_dataset

    train = build_thj_dataset(out / "train.h5", alphas_deg=ALPHAS_DEG, n_events=scale["train_events"], seed=1,
                              **physics, **_generate_options(scale["train_events"]))
    test = build_thj_dataset(out / "test.h5", alphas_deg=TRUTHS_DEG, n_events=scale["test_events"], seed=2,
                             **physics, **_generate_options(scale["test_events"]))
    return train, test


def fiducial_report(train, out: Path, decay: str, isr: bool):
    from numhep.events.thj_dataset import fiducial_basis, fiducial_fit

    alphas, sigma, error = train.fiducial_sigma()
    br = BRANCHING[decay]
    table = TABLE_6_2["hadronic, ISR" if (decay == "hadronic" and isr) else decay]
    fid_fb = sigma * 1e3 * br
    err_fb = error * 1e3 * br
    coef = fiducial_fit(alphas, fid_fb, err_fb)
    print(f"\nfiducial cross section ({decay}, top only, times BR(W) BR(H > a a)), fb:")
    for a, s, e in zip(np.degrees(alphas), fid_fb, err_fb):
        print(f"  alpha {a:7.1f} deg: {s:.3e} +- {e:.1e}")
    print("Eq. 6.3 fit        A          B          C          D          E")
    print("  numhep     " + " ".join(f"{v:10.3e}" for v in coef))
    print("  Table 6.2  " + " ".join(f"{v:10.3e}" for v in table) + "   (t + t~, Delphes, b-tag)")
    print("  ratio B/A, C/A: numhep %.2f %.2f, thesis %.2f %.2f" % (coef[1] / coef[0], coef[2] / coef[0],
          table[1] / table[0], table[2] / table[0]))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fine = np.linspace(-math.pi, math.pi, 361)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(np.degrees(alphas), fid_fb, err_fb, fmt="o", label=f"numhep ({decay}, top only)")
    ax.plot(np.degrees(fine), fiducial_basis(fine) @ coef, label="Eq. 6.3 fit")
    ax.plot(np.degrees(fine), fiducial_basis(fine) @ np.array(table), "--", label="Table 6.2 (thesis)")
    ax.set_xlabel("alpha [deg]")
    ax.set_ylabel("sigma_fid [fb]")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "fiducial_cross_section.png", dpi=90)
    plt.close(fig)


#: the transfer networks --transfer selects: (checkpoint stem, MEM cache suffix)
TRANSFERS = {"flow": ("transfer", ""), "residual": ("transfer_residual", "_residual"),
             "transfermer": ("transfermer", "_transfermer"), "cfm": ("transfer_cfm", "_cfm")}


def _suffix(transfer_kind: str, network_seed: int, sampler: str = "cube") -> str:
    """The file-name suffix of a setup's checkpoints and MEM pools: the transfer network, the
    sampling network where it is not the hypercube flow, and the training seed where it is not
    the first (so that several setups can share one --out and its data)."""
    return (TRANSFERS[transfer_kind][1] + ("_momenta" if sampler == "momenta" else "")
            + (f"_seed{network_seed}" if network_seed != 1 else ""))


def _transfer_network(kind: str, reco, hard, names):
    if kind == "transfermer":
        from numhep.torch.transfermer import Transfermer

        # photons and muons are massless: three features; jets four; the hard features are
        # p_t and p_H in x, y, z and p_j^z (numhep.events.thj_dataset.hard_features)
        sizes = [3 if name[0] in "am" else 4 for name in names]
        return Transfermer(reco, hard, reco_particles=sizes, hard_particles=(3, 3, 1), width=64, heads=4,
                           encoder_layers=2, decoder_layers=2, feedforward=128, bins=12, layers=2, units=64)
    if kind == "cfm":
        from numhep.torch.transfer_cfm import TransferCFM

        return TransferCFM(reco, hard, layers=3, units=64, steps=20)
    from numhep.torch.transfer_network import TransferNetwork

    # "residual": around the linear prediction from x_hard, whitened (TransferDensity's linear_residual)
    return TransferNetwork(reco, hard, bins=12, layers=3, units=64, linear_residual=kind == "residual")


def train_networks(train, out: Path, scale: dict, integrand, jet_order: str = "pt", transfer_kind: str = "residual",
                   network_seed: int = 1, sampler_kind: str = "momenta"):
    import torch

    from numhep.events.thj_dataset import hard_features, reco_features
    from numhep.torch.acceptance_classifier import AcceptanceClassifier
    from numhep.torch.sampling_network import SamplingNetwork

    hard_all = torch.from_numpy(hard_features(train.x_hard))
    acc = train.select(train.accepted)
    hard = torch.from_numpy(hard_features(acc.x_hard))
    reco = torch.from_numpy(reco_features(acc.x_reco, acc.reco_names, jet_order=jet_order))
    common = dict(epochs=scale["epochs"], batch_size=scale["batch"], progress=True)
    t0 = time.time()
    seed_tag = f"_seed{network_seed}" if network_seed != 1 else ""
    seed = 10 * (network_seed - 1)
    if network_seed != 1:
        torch.manual_seed(seed)  # the initial weights (seed 1 keeps torch's default start, as earlier runs)
    transfer = _transfer_network(transfer_kind, reco, hard, acc.reco_names)
    transfer.fit(reco, hard, lr=2e-3 if transfer_kind in ("flow", "residual") else 1e-3,
                 checkpoint=out / f"{TRANSFERS[transfer_kind][0]}{seed_tag}.pt", seed=seed + 1, **common)
    clf = AcceptanceClassifier(hard_all, layers=3, units=64)
    clf.fit(hard_all, torch.from_numpy(train.accepted.astype(float)), lr=2e-3,
            checkpoint=out / f"acceptance{seed_tag}.pt", seed=seed + 2, **common)
    alpha = torch.from_numpy(acc.alpha)
    if sampler_kind == "momenta":
        from numhep.torch.sampling_network import MomentumSamplingNetwork

        # the seven hard features are the momentum coordinates of Eq. 6.31 of t, H and j
        sampler = MomentumSamplingNetwork(integrand, hard, reco, alpha, bins=12, layers=3, units=64)
        target = hard
    else:
        sampler = SamplingNetwork(7, reco, bins=12, layers=3, units=64, uniform_share=0.05)
        target = torch.from_numpy(acc.u_hard)
    # the sampling network trains on the learned transfer probability: one per transfer network
    sampler.fit(target, reco, alpha, transfer=transfer, hard=hard, lr=2e-3,
                checkpoint=out / f"sampler{_suffix(transfer_kind, network_seed, sampler_kind)}.pt", seed=seed + 3,
                **common)
    print(f"training of the three networks: {time.time() - t0:.0f} s ({len(reco)} accepted events, "
          f"{len(hard_all)} for the classifier)")
    for net in (transfer, clf, sampler):
        net.eval()
    return transfer, clf, sampler


def mem_integral(train, nets, integrand):
    """The MEM integral of the three networks on the hard process's factorised integrand."""
    from numhep.torch.mem_integral import MEMIntegral

    transfer, clf, sampler = nets
    sigmas = {math.radians(d): v[0] for d, v in train.sigma.items()}
    sigma_fid = integrand.sigma_components(train.u_hard, train.alpha, sigmas, accepted=train.accepted)
    return MEMIntegral(integrand, sampler, transfer, sigma_fid, acceptance=clf)


def _sign_of_triple_product(points, u):
    """sign O of the hard t, H, j (numhep.events.thj_dataset.cp_odd_triple_product): its mean over a
    posterior says how much of the sign of alpha the networks keep."""
    from numhep.events.thj_dataset import cp_odd_triple_product

    return np.sign(cp_odd_triple_product(*(points.momenta[:, 2 + j] for j in range(3))))


def mem_pools(test, mem, out: Path, scale: dict, vegas_refine: bool = False, jet_order: str = "pt",
              suffix: str = "", seed_offset: int = 0):
    from numhep.events.thj_dataset import reco_features

    grid = np.radians(np.arange(-180.0, 180.0 + 1e-9, scale["grid_step"]))
    pools = {}
    for deg in TRUTHS_DEG:
        cache = out / f"mem_alpha{deg:+.0f}{suffix}{'_vegas' if vegas_refine else ''}.npz"
        sel = np.flatnonzero(test.accepted & np.isclose(test.alpha, math.radians(deg)))[:scale["pool"]]
        if cache.exists():
            pools[deg] = dict(np.load(cache))
            if "posterior_sign" in pools[deg]:
                continue
            print(f"{cache.name} was written before the posterior means were stored: integrating again")
        events = test.select(sel)
        reco = reco_features(events.x_reco, events.reco_names, jet_order=jet_order)
        res = mem(reco, grid, batch_size=scale["samples"], min_iterations=2, max_iterations=scale["max_iterations"],
                  target=TARGET, bootstrap=30, chunk=8, seed=int(deg) + 5 + seed_offset,
                  vegas_refine=vegas_refine, progress=True, observables=_sign_of_triple_product)
        # accepted events follow p_fid = dsigma eps / sigma_fid (Eq. 6.18); eps does not depend on alpha
        hard_ll = mem.integrand.log_likelihood(events.u_hard, grid, mem.sigma_fid)
        pools[deg] = dict(grid=grid, three=res.log_likelihood, two=res.log_likelihood_two_networks, hard=hard_ll,
                          rel_err=res.relative_error, samples=res.samples, seconds=np.array(res.seconds),
                          replicas=res.replicas, posterior_eps=res.posterior_acceptance,
                          posterior_sign=res.posterior_observables[:, 0])
        np.savez(cache, **pools[deg])
        print(f"alpha = {deg:g} deg: MEM integral of {len(sel)} events in {res.seconds:.0f} s: "
              f"{res.seconds / len(sel) * 1e3:.0f} ms and {res.samples.mean():.0f} samples per event, "
              f"{np.mean(res.relative_error.max(axis=1) < TARGET) * 100:.0f} % reached {TARGET:.0%} at every alpha")
    return pools


def cost_at_target(test, mem, out: Path, scale: dict, vegas_refine: bool = False, jet_order: str = "pt",
                   suffix: str = "", seed_offset: int = 0):
    """The cost per event of the MEM integral at the target precision: the integral of
    ``cost_events`` accepted events at 45 degrees, iterated in batches of 1000 samples until the
    relative error is below TARGET at every alpha of the grid, or ``cost_samples`` are spent.
    The pools above stop at ``max_iterations`` batches, which is enough for the pulls."""
    from numhep.events.thj_dataset import reco_features

    cache = out / f"mem_cost{suffix}{'_vegas' if vegas_refine else ''}.npz"
    if cache.exists():
        res = dict(np.load(cache))
    else:
        sel = np.flatnonzero(test.accepted & np.isclose(test.alpha, math.radians(45.0)))[:scale["cost_events"]]
        events = test.select(sel)
        grid = np.radians(np.arange(-180.0, 180.0 + 1e-9, scale["grid_step"]))
        batch = min(1000, scale["cost_samples"])
        r = mem(reco_features(events.x_reco, events.reco_names, jet_order=jet_order), grid, batch_size=batch,
                min_iterations=2, max_iterations=max(2, scale["cost_samples"] // batch), target=TARGET, bootstrap=10,
                chunk=8, seed=17 + seed_offset, vegas_refine=vegas_refine, progress=True)
        res = dict(samples=r.samples, error=r.relative_error.max(axis=1), seconds=np.array(r.seconds))
        np.savez(cache, **res)
    reached = res["error"] < TARGET
    n = len(res["samples"])
    per_event = float(res["seconds"]) / n
    print(f"\ncost of the MEM integral at {TARGET:.0%} at every alpha{' with VEGAS refinement' if vegas_refine else ''} "
          f"({n} events at 45 deg, batches of up to 1000 "
          f"samples, at most {scale['cost_samples']} per event, one core): reached by {reached.mean() * 100:.0f} %; "
          f"samples per event: median {np.median(res['samples']):.0f}"
          + (f" ({np.median(res['samples'][reached]):.0f} where reached)" if reached.any() else "")
          + f"; {per_event:.2f} s per event, {per_event / max(np.mean(res['samples']), 1) * 1e6:.0f} us per sample; "
          f"median worst error {np.median(res['error']):.3f}")


def _summary(v):
    m = len(v)
    lo, med, hi = np.percentile(v, [15.87, 50.0, 84.13])
    return (f"mean {v.mean():+.2f} +- {v.std() / math.sqrt(m):.2f}, width {v.std():.2f} +- {v.std() / math.sqrt(2 * m):.2f}; "
            f"median {med:+.2f}, 16-84 % half-width {(hi - lo) / 2:.2f}")


def _pull_values(ll, takes, grid, deg):
    """Signed pulls, pulls of |alpha| and wrong-sign flags of the pseudo-experiments ``takes``
    (event indices) of the per-event log-likelihoods ``ll`` on ``grid``."""
    from numhep.torch.mem_integral import pull

    signed, folded, wrong = [], [], []
    for take in takes:
        total = -2.0 * ll[take].sum(axis=0)
        if not np.all(np.isfinite(total)):
            continue
        value, best, _ = pull(grid, total - total.min(), math.radians(deg))
        if np.isfinite(value):
            signed.append(value)
        if deg != 0:
            wrong.append(np.sign(best) != np.sign(deg))
            value = pull(grid, total - total.min(), math.radians(deg), fold=True)[0]
            if np.isfinite(value):
                folded.append(value)
    return np.array(signed), np.array(folded), np.array(wrong, dtype=bool)


def _pull_line(deg, kind, signed, folded, wrong):
    line = f"  alpha {deg:4.0f} deg, {kind:5s}: {_summary(signed)}, |pull| > 3: {np.mean(np.abs(signed) > 3) * 100:.0f} %"
    if deg != 0:
        line += (f"\n  {'':19s}wrong sign in {np.mean(wrong) * 100:.0f} % of the sets; pull of |alpha|: "
                 f"{_summary(folded)}")
    return line + f" ({len(signed)} pseudo-experiments)"


def hard_calibration(out: Path, scale: dict, physics: dict, mem):
    """The pull statistic itself, on the exact hard-process likelihood over independent
    pseudo-experiments: a test set of its own, large enough for ``experiments`` disjoint sets of
    ``size`` accepted events per phase where the scale allows (the pools of the MEM integral
    are too small for that; their experiments overlap)."""
    from numhep.events.thj_dataset import build_thj_dataset

    n = scale["calibration_events"]
    if n == 0:
        return
    big = build_thj_dataset(out / f"calibration_{n}.h5", alphas_deg=TRUTHS_DEG, n_events=n, seed=3, **physics,
                            **_generate_options(n))
    grid = np.radians(np.arange(-180.0, 180.0 + 1e-9, 1.0))
    print(f"\nthe statistic on the exact hard-process likelihood, over independent pseudo-experiments of "
          f"{scale['size']} accepted events ({n} events per phase, seed 3):")
    for deg in TRUTHS_DEG:
        events = big.select(np.flatnonzero(big.accepted & np.isclose(big.alpha, math.radians(deg))))
        ll = mem.integrand.log_likelihood(events.u_hard, grid, mem.sigma_fid)
        sets = min(scale["experiments"], len(ll) // scale["size"])
        if sets < 2:
            print(f"  alpha {deg:4.0f} deg: {len(ll)} accepted events, too few for two sets; raise --calibration-events")
            continue
        takes = [np.arange(k * scale["size"], (k + 1) * scale["size"]) for k in range(sets)]
        print(_pull_line(deg, "hard", *_pull_values(ll, takes, grid, deg)))


def score_test(pools, scale: dict):
    """The mean score d log p(x | alpha) / d alpha at the true phase, per likelihood.

    Zero in expectation for a correct likelihood, and its error is honest: the events of a
    pool are independent, while the pseudo-experiments drawn from it are not.  A mean score s
    moves the mean pull of ``size``-event experiments by about sqrt(size) s / d, d the
    score's spread per event (the likelihood's Fisher information).  Paired with the exact
    hard-process likelihood of the same events, each reco-level score has a difference of mean
    zero too.  The acceptance network's part, the score of log p_three - log p_two (the log of
    epsilon averaged over the posterior without it), is what moves the three-network pulls
    away from the two-network ones.  At 45 degrees the score measures |alpha| (the
    interference term's derivative vanishes there), at 0 and 90 degrees the sign (the cos^2
    and sin^2 terms' derivatives vanish)."""
    print(f"\nmean score d log L / d alpha (1/rad) at the true phase over each pool (0 for a correct likelihood), "
          f"and the shift of the mean pull of {scale['size']}-event experiments it makes:")
    for deg, pool in pools.items():
        grid = pool["grid"]
        k = int(np.argmin(np.abs(grid - math.radians(deg))))
        if not 0 < k < grid.size - 1:
            continue
        scores = {kind: (pool[kind][:, k + 1] - pool[kind][:, k - 1]) / (grid[k + 1] - grid[k - 1])
                  for kind in ("hard", "three", "two")}
        ok = np.all([np.isfinite(v) for v in scores.values()], axis=0)
        scores = {kind: v[ok] for kind, v in scores.items()}
        # a pull is in units of its likelihood's own width, 1 / sqrt(size * Var(score)) for a correct one
        spread = {kind: v.std() for kind, v in scores.items()}

        def part(label, score, own):
            error = score.std() / math.sqrt(score.size)
            shift = math.sqrt(scale["size"]) / spread[own]
            return f"{label} {score.mean():+.3f} +- {error:.3f} (pull {shift * score.mean():+.2f} +- {shift * error:.2f})"

        print(f"  alpha {deg:4.0f} deg, {ok.sum()} events: " + "; ".join(part(kind, v, kind) for kind, v in scores.items()))
        print(f"  {'':20s}paired: " + "; ".join((
            part("three - hard", scores["three"] - scores["hard"], "three"),
            part("two - hard", scores["two"] - scores["hard"], "two"),
            part("three - two (the acceptance network's part)", scores["three"] - scores["two"], "three"))))


def pulls(pools, scale: dict, out: Path):
    """Signed pulls, the fraction of pseudo-experiments whose best alpha has the wrong sign, and
    the pulls of |alpha| (numhep.torch.mem_integral.pull with fold=True), per likelihood."""
    rng = np.random.default_rng(12)
    table = {}
    share = scale["size"] / scale["pool"]
    print(f"\npulls over {scale['experiments']} pseudo-experiments of {scale['size']} events drawn from the pool "
          "(mean and width with their errors).  The experiments share the pool: for an exact likelihood their "
          f"pulls have a width of about sqrt(1 - size/pool) = {math.sqrt(max(1.0 - share, 0.0)):.2f}, and their "
          f"mean moves with the pool's own fluctuation, by about sqrt(size/pool) = {math.sqrt(min(share, 1.0)):.2f} "
          "from pool to pool: judge the networks against the hard-process likelihood of the same events.  A set "
          "that prefers the wrong sign, alpha -> -alpha, gives a signed pull of about 2 alpha / sigma; the pull of "
          "|alpha| measures the interval alone:")
    for deg, pool in pools.items():
        grid = pool["grid"]
        n = pool["three"].shape[0]
        takes = [rng.choice(n, size=min(scale["size"], n), replace=False) for _ in range(scale["experiments"])]
        for kind in ("hard", "three", "two"):
            signed, folded, wrong = _pull_values(pool[kind], takes, grid, deg)
            table[(deg, kind)] = signed
            if deg != 0:
                table[(deg, kind, "folded")] = folded
            print(_pull_line(deg, kind, signed, folded, wrong))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = {"hard": "hard process (|M|^2)", "three": "three networks", "two": "two networks (no acceptance)"}
    fig, axes = plt.subplots(3, len(pools), figsize=(4.2 * len(pools), 10))
    x = np.linspace(-5, 5, 200)
    for col, (deg, pool) in enumerate(pools.items()):
        grid = np.degrees(pool["grid"])
        take = slice(0, min(400, pool["three"].shape[0]))
        for kind in ("hard", "three", "two"):
            total = -2.0 * pool[kind][take].sum(axis=0)
            axes[0, col].plot(grid, total - total.min(), label=labels[kind])
            axes[1, col].hist(np.clip(table[(deg, kind)], -5, 5), bins=np.linspace(-5, 5, 21), histtype="step",
                              density=True, label=labels[kind])
            if deg != 0:
                axes[2, col].hist(np.clip(table[(deg, kind, "folded")], -5, 5), bins=np.linspace(-5, 5, 21),
                                  histtype="step", density=True, label=labels[kind])
        for row in (1, 2) if deg != 0 else (1,):
            axes[row, col].plot(x, np.exp(-x * x / 2) / math.sqrt(2 * math.pi), "k:", label="unit normal")
        axes[0, col].set_ylim(0, 20)
        axes[0, col].set_title(f"alpha_truth = {deg:g} deg, {take.stop} events")
        axes[0, col].set_xlabel("alpha [deg]")
        axes[0, col].set_ylabel("-2 Delta log L")
        axes[1, col].set_xlabel("pull of alpha")
        if deg != 0:
            axes[2, col].set_xlabel("pull of |alpha|")
        else:
            axes[2, col].axis("off")
            axes[2, col].text(0.5, 0.5, "|alpha| has its boundary at the truth:\nno folded pull at 0 deg",
                              ha="center", va="center", transform=axes[2, col].transAxes)
    axes[0, 0].legend(fontsize=7)
    axes[1, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "mem_calibration.png", dpi=90)
    plt.close(fig)


def posterior_closure(test, pools, mem):
    """Whether the networks' posterior of x_hard puts the acceptance and the sign of the triple
    product where the truth has them.

    The mean of a function g of x_hard over an event's posterior p(x_hard | x_reco, alpha) ~
    dsigma epsilon p_theta (the three networks' integrand), averaged over accepted events at
    the true phase, must equal the average of g at their true x_hard (the law of total
    expectation: those events follow that joint density), and the true values regressed on
    the posterior means have slope 1 (posterior means that vary too little from event to event,
    as from a posterior too broad, give a slope above 1; ones that vary too much, from a
    posterior too narrow or misplaced event by event, below; a posterior that knows nothing of
    g still leaves the mean right).  Printed for g = epsilon and
    g = sign O (O the CP-odd triple product of t, H, j): where the two differ, the networks
    misplace the posterior.  The ratio exp(log p_three - log p_two) is epsilon averaged over
    the posterior without epsilon instead, E[eps^2] / E[eps] -> E[eps]: lower by
    Var(eps) / E[eps] per event even for exact networks (Cauchy-Schwarz), so it is printed
    beside, not compared."""
    import torch

    from numhep.events.thj_dataset import cp_odd_triple_product, hard_features

    print("\nposterior closure: epsilon and sign O at the true x_hard against their means over the three-network "
          "posterior at the true phase, averaged over each pool (equal for a correct posterior), and the slope of "
          "the true values on the posterior means (1 for a correct posterior); beside them p_three / p_two, the "
          "mean of epsilon over the posterior without it (lower by its variance there):")
    for deg, pool in pools.items():
        events = test.select(np.flatnonzero(test.accepted & np.isclose(test.alpha, math.radians(deg)))
                             [:pool["three"].shape[0]])
        with torch.no_grad():
            eps = mem.acceptance(torch.from_numpy(hard_features(events.x_hard))).cpu().numpy()
        sign = np.sign(cp_odd_triple_product(*(events.x_hard[:, j] for j in range(3))))
        k = int(np.argmin(np.abs(pool["grid"] - math.radians(deg))))
        post_eps, post_sign = pool["posterior_eps"][:, k], pool["posterior_sign"][:, k]
        ratio = np.exp(pool["three"][:, k] - pool["two"][:, k])
        ok = np.isfinite(post_eps) & np.isfinite(post_sign) & np.isfinite(ratio)

        def paired(post, true):  # the two share each event's x_reco
            d = post[ok] - true[ok]
            # E[g_true | x_reco] is the posterior mean: regressed on it, the true values have slope 1
            p, t = post[ok] - post[ok].mean(), true[ok] - true[ok].mean()
            slope = (p @ t) / (p @ p)
            slope_error = np.sqrt(np.mean((t - slope * p) ** 2) / (p @ p))
            return (f"true {true[ok].mean():+.4f}, posterior {post[ok].mean():+.4f}, "
                    f"difference {d.mean():+.4f} +- {d.std() / math.sqrt(ok.sum()):.4f}, "
                    f"slope {slope:.2f} +- {slope_error:.2f}")

        print(f"  alpha {deg:4.0f} deg, {ok.sum()} events: epsilon {paired(post_eps, eps)} "
              f"(p_three / p_two {ratio[ok].mean():.4f}); sign O {paired(post_sign, sign)}")


def sign_information(test, pools):
    """How much of the information on the sign of alpha each level keeps.  The mean sign of the
    triple product O (numhep.events.thj_dataset.cp_odd_triple_product) flips with
    alpha -> -alpha; the likelihoods' q(-alpha_truth) - q(alpha_truth) over a whole pool is
    positive when they prefer the true sign.  A wrong-sign minimum gives |pull| > 3."""
    from numhep.events.thj_dataset import cp_odd_triple_product, visible_thj

    print("\nsign of alpha: mean sign of the triple product O (hard: t, H, j; reco: visible top, photon pair, "
          "forward jet), and q(-alpha) - q(alpha) of each likelihood over its pool (> 0: the true sign preferred)")
    for deg, pool in pools.items():
        events = test.select(np.isclose(test.alpha, math.radians(deg)))
        acc = events.select(events.accepted)

        def mean_sign(o):
            return f"{np.mean(np.sign(o)):+.3f} +- {1 / math.sqrt(max(len(o), 1)):.3f}"

        hard = cp_odd_triple_product(*(events.x_hard[:, k] for k in range(3)))
        hard_acc = cp_odd_triple_product(*(acc.x_hard[:, k] for k in range(3)))
        reco = cp_odd_triple_product(*visible_thj(acc.x_reco, acc.reco_names))
        line = f"  alpha {deg:4.0f} deg: <sign O> hard {mean_sign(hard)}, accepted {mean_sign(hard_acc)}, reco {mean_sign(reco)}"
        if deg != 0:
            grid = pool["grid"]
            for kind in ("hard", "three", "two"):
                total = -2.0 * pool[kind].sum(axis=0)
                dq = np.interp(-math.radians(deg), grid, total) - np.interp(math.radians(deg), grid, total)
                line += f"; {kind} {dq:+.2f}"
            line += f" ({pool['three'].shape[0]} events)"
        print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="mem_out", help="folder for data, checkpoints, results and PNGs")
    parser.add_argument("--paper", action="store_true", help="the thesis's scale (for a GPU)")
    parser.add_argument("--tiny", action="store_true", help="a smoke run of a few minutes")
    parser.add_argument("--quick", action="store_true", help="a third of the default scale (pools of 300 events)")
    parser.add_argument("--decay", default="leptonic", choices=("leptonic", "hadronic"), help="the top's W decay")
    parser.add_argument("--shower", action="store_true", help="Pythia 8 shower and anti-kT jets (FSR)")
    parser.add_argument("--isr", action="store_true", help="with --shower: initial-state radiation too")
    parser.add_argument("--jet-order", default="pt", choices=("pt", "w_pair"),
                        help="light jets of the hadronic sets by p_T, or the W candidate pair first "
                             "(numhep.events.thj_dataset.reco_features); the networks and MEM pools follow --out")
    parser.add_argument("--transfer", default="residual", choices=tuple(TRANSFERS),
                        help="the transfer network: the conditional spline flow (Sec. 6.3) around the linear "
                             "prediction from x_hard with the residuals whitened (the default), the same on the "
                             "standardised features alone (flow), the Transfermer "
                             "(Sec. 6.5.2: a transformer over the particles, for the jet combinatorics) or the "
                             "Transfer-CFM (Sec. 6.5.1; its density is an ODE solve, for a GPU)")
    parser.add_argument("--network-seed", type=int, default=1,
                        help="seed of the three networks' training (checkpoints and MEM pools of seeds other than 1 "
                             "are kept apart in --out, so several seeds share its data)")
    parser.add_argument("--sampler", default="momenta", choices=("momenta", "cube"),
                        help="the sampling network: a flow on the momenta of the thesis's Eq. 6.31 around a "
                             "linear estimate from the reco features (numhep.torch.MomentumSamplingNetwork, the "
                             "default), or one on the integrand's unit hypercube")
    parser.add_argument("--calibration-events", type=int, default=None,
                        help="events per truth phase of the test set on which the exact hard-process likelihood's "
                             "pulls are computed over independent pseudo-experiments (default: 90000, a third with "
                             "--quick, none with --paper, whose pools are large; 0 skips it; with --shower its data "
                             "take about 10 minutes per 30000)")
    parser.add_argument("--vegas", action="store_true",
                        help="VEGAS refinement of the sampling network's latent space (thesis Sec. 6.4)")
    args = parser.parse_args()
    if args.network_seed < 1:
        parser.error(f"--network-seed: expected a positive integer, got {args.network_seed}")
    import torch

    # numba's kernels and torch's threads share the cores: one torch thread is several times faster here
    torch.set_num_threads(1)
    scale = dict(SCALES["paper" if args.paper else "quick" if args.quick else "default"])
    if args.tiny:
        scale.update(train_events=2000, test_events=1500, pool=100, epochs=3, samples=200, max_iterations=2,
                     grid_step=15.0, experiments=30, size=30, cost_events=4, cost_samples=2000,
                     calibration_events=3000)
    if args.calibration_events is not None:
        if args.calibration_events < 0:
            parser.error(f"--calibration-events: expected a count >= 0, got {args.calibration_events}")
        scale["calibration_events"] = args.calibration_events
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    physics = dict(decay=args.decay, shower=args.shower or args.isr, isr=args.isr)
    train, test = build_data(out, scale, physics)
    table_set = "hadronic, ISR" if (args.decay == "hadronic" and args.isr) else args.decay
    print(f"data: {len(train.alpha)} training and {len(test.alpha)} test events in {time.time() - t0:.0f} s; "
          f"accepted {train.accepted.mean() * 100:.1f} %, at alpha = 0 {train.accepted[train.alpha == 0.0].mean() * 100:.1f} % "
          f"(Table 6.1, with Delphes's efficiencies: {table_set}, {ACCEPTED_TABLE_6_1[table_set]:.1f} %)")
    fiducial_report(train, out, args.decay, args.isr)
    from numhep.integration.cp_factorised_integrand import CPFactorisedIntegrand

    integrand = CPFactorisedIntegrand("p p > t h j", 13000.0, model="sm_cpv_no_b_mass")
    nets = train_networks(train, out, scale, integrand, args.jet_order, args.transfer, args.network_seed,
                          args.sampler)
    mem = mem_integral(train, nets, integrand)
    suffix = _suffix(args.transfer, args.network_seed, args.sampler)
    seed_offset = 1000 * (args.network_seed - 1)
    pools = mem_pools(test, mem, out, scale, vegas_refine=args.vegas, jet_order=args.jet_order, suffix=suffix,
                      seed_offset=seed_offset)
    cost_at_target(test, mem, out, scale, vegas_refine=args.vegas, jet_order=args.jet_order, suffix=suffix,
                   seed_offset=seed_offset)
    pulls(pools, scale, out)
    score_test(pools, scale)
    if mem.acceptance is not None:
        posterior_closure(test, pools, mem)
    hard_calibration(out, scale, physics, mem)
    sign_information(test, pools)
    print(f"\nPNGs in {out}/ (fiducial_cross_section.png, mem_calibration.png); total {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
