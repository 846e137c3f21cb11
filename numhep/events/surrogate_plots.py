"""Plots of a generative surrogate against truth as PNG (matplotlib with mplhep's style, the
``plots`` extra): observable histograms with ratio and deviation panels, the classifier's ROC
curve and weight distributions, events in weight ranges, and the mixed pull (T. Heimel, The Flow
of LHC Events, PhD thesis, Heidelberg 2024, Figs. 4.4, 4.5, 4.8-4.11, 4.13)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["histogram_agreement", "normalised_histogram", "percent_deviation", "plot_classifier", "plot_log_weights",
           "plot_mixed_pull", "plot_observable", "plot_weight_clusters"]


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import mplhep
    except ImportError as exc:
        raise ImportError("surrogate plots need matplotlib and mplhep: pip install 'numhep[plots]'") from exc
    plt.style.use(mplhep.style.CMS)
    return plt


def percent_deviation(model, truth):
    """delta[%] = 100 |model - truth| / truth per bin (thesis Eq. 4.10); NaN where truth is 0.

    Parameters
    ----------
    model : array_like
        Bin contents of the model.
    truth : array_like
        Bin contents of the truth (same normalisation).

    Returns
    -------
    numpy.ndarray
        The deviations in percent.

    Examples
    --------
    >>> from numhep.events.surrogate_plots import percent_deviation
    >>> percent_deviation([1.1, 0.5, 1.0], [1.0, 0.5, 0.0]).round(6).tolist()
    [10.0, 0.0, nan]
    """
    model, truth = np.asarray(model, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(truth > 0, 100 * np.abs(model - truth) / truth, np.nan)


def normalised_histogram(values, weights, bins):
    """A histogram normalised to unit area, h_i = sum_{x in bin i} w / (sum w * width_i), and
    its statistical error sqrt(sum_{x in bin i} w^2) / (sum w * width_i).  Non-finite values
    (an observable a multiplicity does not have, such as Delta R_j1j2 of a one-jet event) are
    left out of both sums.

    Parameters
    ----------
    values : array_like
        (n,) values of the observable.
    weights : array_like or None
        (n,) event weights, or None for unit weights.
    bins : array_like
        Bin edges.

    Returns
    -------
    density, error : ndarray
        Each of shape (len(bins) - 1,).

    Examples
    --------
    >>> h, err = normalised_histogram([0.5, 1.5, 1.5, np.nan], None, [0.0, 1.0, 2.0])
    >>> h.round(3).tolist(), err.round(3).tolist()
    ([0.333, 0.667], [0.333, 0.471])
    """
    values = np.asarray(values, dtype=np.float64)
    w = np.ones_like(values) if weights is None else np.asarray(weights, dtype=np.float64)
    ok = np.isfinite(values)
    h = np.histogram(values[ok], bins, weights=w[ok])[0]
    h2 = np.histogram(values[ok], bins, weights=w[ok] ** 2)[0]
    norm = w[ok].sum() * np.diff(bins)
    return h / norm, np.sqrt(h2) / norm


def histogram_agreement(model, truth, bins, *, min_truth_events: int = 50) -> dict:
    """How well a model histogram agrees with the truth where the truth is well populated.

    Both histograms are normalised to unit area over ``bins``; over the n bins holding at least
    ``min_truth_events`` (unweighted) truth events

        delta    = (1/n) sum_i |h_i / t_i - 1|     (the bulk mean of thesis Eq. 4.10, T. Heimel,
                                                   PhD thesis, Heidelberg 2024),
        chi2/ndf = sum_i (h_i - t_i)^2 / (s_h,i^2 + s_t,i^2) / (n - 1),

    with s the statistical errors sqrt(sum w^2) of both histograms and one degree of freedom
    taken by the common normalisation.  A reweighted model passes its weights, so a classifier
    reweighting that moves the model onto the truth lowers both numbers.

    Parameters
    ----------
    model : tuple
        (values, weights or None) of the model's events.
    truth : tuple
        (values, weights or None) of the truth events.
    bins : array_like
        Bin edges.
    min_truth_events : int, optional
        Least truth events in a bin compared (default 50).

    Returns
    -------
    dict
        ``mean_abs_deviation`` (delta, a fraction), ``chi2_ndf`` and ``bins`` (n); NaN numbers
        when fewer than two bins qualify.

    Examples
    --------
    >>> from numhep.events.surrogate_plots import histogram_agreement
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=4000)
    >>> histogram_agreement((x, None), (x, None), np.linspace(-2, 2, 9))["chi2_ndf"]
    0.0
    """
    bins = np.asarray(bins, dtype=np.float64)
    h, h_err = normalised_histogram(*model, bins)
    t, t_err = normalised_histogram(*truth, bins)
    tv = np.asarray(truth[0], dtype=np.float64)
    counts = np.histogram(tv[np.isfinite(tv)], bins)[0]
    use = (counts >= min_truth_events) & (t > 0)
    n = int(use.sum())
    if n < 2:
        return {"mean_abs_deviation": np.nan, "chi2_ndf": np.nan, "bins": n}
    var = h_err[use] ** 2 + t_err[use] ** 2
    chi2 = float(np.sum((h[use] - t[use]) ** 2 / var))
    return {"mean_abs_deviation": float(np.mean(percent_deviation(h[use], t[use]))) / 100,
            "chi2_ndf": chi2 / (n - 1), "bins": n}


def plot_observable(path, bins, truth, model, *, train=None, reweighted=None, band=None, xlabel: str = "",
                    title: str | None = None, log: bool = False) -> Path:
    """A normalised histogram of truth, model (and training, reweighted model) with the ratio to
    truth and the deviation delta[%] of Eq. 4.10 below (thesis Fig. 4.4).

    Parameters
    ----------
    path : str or path-like
        The PNG file.
    bins : array_like
        Bin edges.
    truth : tuple
        (values, weights or None) of the truth (test) events.
    model : tuple
        (values, weights or None) of the generated events.
    train : tuple, optional
        (values, weights or None) of the training events.
    reweighted : tuple, optional
        (values, weights) of the generated events reweighted by a classifier.
    band : tuple, optional
        (mean, sigma) normalised bin densities of a Bayesian generator's replicas.
    xlabel : str, optional
        The observable's label.
    title : str, optional
        A title.
    log : bool, optional
        Logarithmic y axis (default False).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> from numhep.events.surrogate_plots import plot_observable
    >>> import tempfile, pathlib
    >>> rng = np.random.default_rng(1)
    >>> png = plot_observable(pathlib.Path(tempfile.mkdtemp()) / "x.png", np.linspace(-3, 3, 13),
    ...                       (rng.normal(size=500), None), (rng.normal(size=500), None), xlabel="x")
    >>> png.read_bytes()[:4] == b"\\x89PNG"
    True
    """
    plt = _pyplot()
    bins = np.asarray(bins, dtype=np.float64)
    t, t_err = normalised_histogram(*truth, bins)
    curves = [("Truth", truth, "black"), ("Model", model, "tab:red")]
    if train is not None:
        curves.insert(1, ("Train", train, "tab:blue"))
    if reweighted is not None:
        curves.append(("Reweighted", reweighted, "tab:green"))
    fig, axes = plt.subplots(3, 1, figsize=(7, 8), sharex=True, gridspec_kw={"height_ratios": [3, 1, 1]})
    for label, data, color in curves:
        h, _ = normalised_histogram(*data, bins)
        axes[0].stairs(h, bins, label=label, color=color)
        if label != "Truth":
            with np.errstate(divide="ignore", invalid="ignore"):
                axes[1].stairs(h / t, bins, color=color)
            axes[2].stairs(np.nan_to_num(percent_deviation(h, t)), bins, color=color)
    if band is not None:
        mean, sigma = (np.asarray(a, dtype=np.float64) for a in band)
        axes[0].stairs(mean + sigma, bins, baseline=mean - sigma, fill=True, alpha=0.3, color="tab:red",
                       label="Bayesian band")
        with np.errstate(divide="ignore", invalid="ignore"):
            axes[1].stairs((mean + sigma) / t, bins, baseline=(mean - sigma) / t, fill=True, alpha=0.3,
                           color="tab:red")
    axes[0].errorbar(0.5 * (bins[1:] + bins[:-1]), t, t_err, fmt="none", color="black", lw=0.8)
    axes[0].set_ylabel("normalised")
    if log:
        axes[0].set_yscale("log")
    axes[0].legend(fontsize=11)
    if title:
        axes[0].set_title(title, fontsize=12)
    axes[1].axhline(1.0, color="black", lw=0.6)
    axes[1].set_ylim(0.5, 1.5)
    axes[1].set_ylabel(r"$\frac{\mathrm{Model}}{\mathrm{Truth}}$", fontsize=12)
    axes[2].set_ylabel(r"$\delta$ [%]", fontsize=12)
    axes[2].set_ylim(0, 50)
    axes[2].set_xlabel(xlabel)
    return _save(fig, plt, path)


def _save(fig, plt, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_classifier(path, fpr, tpr, auc: float, weights_generated, weights_truth, *, title: str | None = None,
                    generated_event_weights=None) -> Path:
    """The ROC curve and the classifier weights on generated and truth events, linear and
    logarithmic (thesis Figs. 4.8, 4.10).

    Parameters
    ----------
    path : str or path-like
        The PNG file.
    fpr : array_like
        False-positive rates.
    tpr : array_like
        True-positive rates.
    auc : float
        The area under the ROC curve.
    weights_generated : array_like
        w(x) on generated events.
    weights_truth : array_like
        w(x) on truth events.
    title : str, optional
        A title.
    generated_event_weights : array_like, optional
        Event weights of the generated events in the histograms.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> from numhep.events.surrogate_plots import plot_classifier
    >>> import tempfile, pathlib
    >>> png = plot_classifier(pathlib.Path(tempfile.mkdtemp()) / "c.png", [0, 0.5, 1], [0, 0.5, 1], 0.5,
    ...                       np.ones(10), np.ones(10))
    >>> png.exists()
    True
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    axes[0].plot(fpr, tpr, color="tab:red", label=f"AUC = {auc:.3f}")
    axes[0].plot([0, 1], [0, 1], color="gray", ls="--", lw=0.8)
    axes[0].set_xlabel("false positive rate")
    axes[0].set_ylabel("true positive rate")
    axes[0].legend(fontsize=11)
    wg, wt = np.asarray(weights_generated), np.asarray(weights_truth)
    lin = np.linspace(0, 3, 61)
    axes[1].hist(wg, lin, weights=generated_event_weights, histtype="step", density=True, color="tab:red",
                 label="Generated")
    axes[1].hist(wt, lin, histtype="step", density=True, color="black", label="Truth")
    axes[1].set_xlabel("w(x)")
    axes[1].legend(fontsize=11)
    logb = np.logspace(-3, 1.5, 61)
    axes[2].hist(wg, logb, weights=generated_event_weights, histtype="step", density=True, color="tab:red")
    axes[2].hist(wt, logb, histtype="step", density=True, color="black")
    axes[2].set_xscale("log")
    axes[2].set_yscale("log")
    axes[2].set_xlabel("w(x)")
    if title:
        fig.suptitle(title, fontsize=13)
    return _save(fig, plt, path)


def plot_log_weights(path, samples, *, title: str | None = None) -> Path:
    """Classifier weights of several generators on one logarithmic axis: for each, w(x) on its
    generated events (dashed) and on the truth events (solid) (thesis Figs. 4.8 and 4.10 side by
    side, e.g. the standard against the improved preprocessing).

    Parameters
    ----------
    path : str or path-like
        The PNG file.
    samples : dict
        label -> (weights on generated events, weights on truth events).
    title : str, optional
        A title.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> from numhep.events.surrogate_plots import plot_log_weights
    >>> import tempfile, pathlib
    >>> w = np.exp(np.random.default_rng(1).normal(0, 0.3, 200))
    >>> plot_log_weights(pathlib.Path(tempfile.mkdtemp()) / "w.png", {"a": (w, w)}).exists()
    True
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 5))
    logb = np.logspace(-2, 1.5, 71)
    colors = ("tab:red", "tab:blue", "tab:green", "tab:purple")
    for (label, (wg, wt)), color in zip(samples.items(), colors):
        ax.hist(np.asarray(wg), logb, histtype="step", density=True, color=color, ls="--",
                label=f"{label}, generated")
        ax.hist(np.asarray(wt), logb, histtype="step", density=True, color=color, label=f"{label}, truth")
    ax.axvline(1.0, color="gray", lw=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("w(x)")
    ax.set_ylabel("normalised")
    ax.legend(fontsize=10)
    if title:
        ax.set_title(title, fontsize=12)
    return _save(fig, plt, path)


def plot_weight_clusters(path, bins, generated, weights_generated, truth, weights_truth, *, xlabel: str = "",
                         small=((0.0, 0.5), (0.5, 0.8)), large=((1.25, 2.0), (2.0, np.inf))) -> Path:
    """Distributions of an observable for events in classifier-weight ranges: small weights from
    the generated events, large weights from the truth events (thesis Fig. 4.11).

    Parameters
    ----------
    path : str or path-like
        The PNG file.
    bins : array_like
        Bin edges.
    generated : array_like
        The observable on generated events.
    weights_generated : array_like
        Their classifier weights.
    truth : array_like
        The observable on truth events.
    weights_truth : array_like
        Their classifier weights.
    xlabel : str, optional
        The observable's label.
    small : sequence of tuple, optional
        Weight ranges shown from the generated events.
    large : sequence of tuple, optional
        Weight ranges shown from the truth events.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> from numhep.events.surrogate_plots import plot_weight_clusters
    >>> import tempfile, pathlib
    >>> rng = np.random.default_rng(1)
    >>> x, w = rng.normal(size=200), rng.uniform(0, 3, 200)
    >>> plot_weight_clusters(pathlib.Path(tempfile.mkdtemp()) / "w.png", np.linspace(-3, 3, 13), x, w, x, w).exists()
    True
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 5))
    g, wg, t, wt = (np.asarray(a, dtype=np.float64) for a in (generated, weights_generated, truth, weights_truth))
    ax.hist(t[np.isfinite(t)], bins, histtype="step", density=True, color="black", label="Truth, all")
    for (lo, hi), color in zip(small, ("tab:red", "tab:orange")):
        sel = (wg >= lo) & (wg < hi) & np.isfinite(g)
        if sel.sum() > 1:
            ax.hist(g[sel], bins, histtype="step", density=True, color=color, label=f"Gen., {lo} < w < {hi}")
    for (lo, hi), color in zip(large, ("tab:blue", "tab:purple")):
        sel = (wt >= lo) & (wt < hi) & np.isfinite(t)
        if sel.sum() > 1:
            ax.hist(t[sel], bins, histtype="step", density=True, color=color, label=f"Truth, {lo} < w < {hi}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("normalised")
    ax.legend(fontsize=10)
    return _save(fig, plt, path)


def plot_mixed_pull(path, w, relative_sigma, pull, *, title: str | None = None) -> Path:
    """Classifier weight against the Bayesian generator's relative density error sigma/mu with the
    medians per weight bin, and the mixed pull of Eq. 4.18 (thesis Fig. 4.13).

    Parameters
    ----------
    path : str or path-like
        The PNG file.
    w : array_like
        Classifier weights of generated events.
    relative_sigma : array_like
        sigma(x) / mu(x) of the Bayesian generator's density at the same events.
    pull : array_like
        The mixed pull t(x).
    title : str, optional
        A title.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> from numhep.events.surrogate_plots import plot_mixed_pull
    >>> import tempfile, pathlib
    >>> rng = np.random.default_rng(1)
    >>> plot_mixed_pull(pathlib.Path(tempfile.mkdtemp()) / "t.png", rng.uniform(0.5, 1.5, 100),
    ...                 rng.uniform(0, 0.2, 100), rng.normal(size=100)).exists()
    True
    """
    plt = _pyplot()
    w, rs, t = (np.asarray(a, dtype=np.float64) for a in (w, relative_sigma, pull))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    ok = np.isfinite(w) & np.isfinite(rs)
    axes[0].hist2d(w[ok], rs[ok], bins=[np.linspace(0, 2, 41), np.linspace(0, np.quantile(rs[ok], 0.99) + 1e-12, 41)],
                   cmap="Blues")
    edges = np.linspace(0, 2, 21)
    mids, med = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = ok & (w >= lo) & (w < hi)
        if sel.sum() >= 5:
            mids.append(0.5 * (lo + hi))
            med.append(np.median(rs[sel]))
    axes[0].plot(mids, med, color="tab:red", marker="o", ms=3, label="median")
    axes[0].set_xlabel("w(x)")
    axes[0].set_ylabel(r"$\sigma(x) / \mu(x)$")
    axes[0].legend(fontsize=11)
    tt = t[np.isfinite(t)]
    axes[1].hist(tt, np.linspace(-5, 5, 51), histtype="step", density=True, color="tab:red", label="t(x)")
    xs = np.linspace(-5, 5, 201)
    axes[1].plot(xs, np.exp(-xs**2 / 2) / np.sqrt(2 * np.pi), color="gray", ls="--", label="N(0, 1)")
    axes[1].set_xlabel("t(x)")
    axes[1].legend(fontsize=11)
    if title:
        fig.suptitle(title, fontsize=13)
    return _save(fig, plt, path)
