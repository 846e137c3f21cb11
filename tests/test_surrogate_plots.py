"""The surrogate plots: PNG files of histograms with ratio and deviation panels, ROC and weights,
weight clusters and the mixed pull; the deviation of Eq. 4.10."""

import numpy as np

from numhep.events.surrogate_plots import (
    histogram_agreement,
    normalised_histogram,
    percent_deviation,
    plot_classifier,
    plot_log_weights,
    plot_mixed_pull,
    plot_observable,
    plot_weight_clusters,
)

PNG = b"\x89PNG\r\n\x1a\n"


def test_percent_deviation_is_eq_4_10():
    np.testing.assert_allclose(percent_deviation([0.9, 2.0], [1.0, 1.6]), [10.0, 25.0])


def test_normalised_histogram_has_unit_area_and_poisson_errors():
    rng = np.random.default_rng(4)
    values = np.r_[rng.normal(size=5000), np.nan]  # a missing observable counts nowhere
    bins = np.array([-6.0, -1.0, 0.0, 0.5, 6.0])
    h, err = normalised_histogram(values, None, bins)
    assert abs(np.sum(h * np.diff(bins)) - 1) < 1e-14
    counts = np.histogram(values[:-1], bins)[0]
    np.testing.assert_allclose(err, np.sqrt(counts) / 5000 / np.diff(bins), rtol=1e-14)
    # weights 2 everywhere: the same density, errors of weighted counts sqrt(sum w^2) / sum w
    h2, err2 = normalised_histogram(values, np.full(values.size, 2.0), bins)
    np.testing.assert_allclose(h2, h, rtol=1e-14)
    np.testing.assert_allclose(err2, err, rtol=1e-14)


def test_histogram_agreement_falls_to_the_noise_after_exact_reweighting():
    rng = np.random.default_rng(3)
    gen, truth = rng.normal(0.0, 1.0, 40000), rng.normal(0.3, 1.0, 40000)
    bins = np.linspace(-3, 3, 25)
    same = histogram_agreement((truth, None), (truth, None), bins)
    assert same["mean_abs_deviation"] == 0.0 and same["chi2_ndf"] == 0.0
    before = histogram_agreement((gen, None), (truth, None), bins)
    after = histogram_agreement((gen, np.exp(0.3 * gen - 0.045)), (truth, None), bins)  # N(0.3, 1) / N(0, 1)
    assert before["chi2_ndf"] > 20 and before["mean_abs_deviation"] > 0.1
    # two independent samples of 40k events: chi2/ndf = 1 +- 0.3 over ~20 bins, delta a few percent
    assert after["chi2_ndf"] < 2.0 and after["mean_abs_deviation"] < 0.05
    # only the bins with enough truth events count
    counts = np.histogram(truth, bins)[0]
    assert before["bins"] == np.sum(counts >= 50)
    assert histogram_agreement((gen, None), (truth, None), bins, min_truth_events=10**6)["bins"] == 0


def test_the_plots_are_written(tmp_path):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=800), rng.normal(0.1, 1, 800)
    bins = np.linspace(-3, 3, 21)
    band = (np.histogram(b, bins, density=True)[0], np.full(20, 0.01))
    files = [
        plot_observable(tmp_path / "o.png", bins, (a, None), (b, np.ones(800)), train=(a[:400], None),
                        reweighted=(b, np.exp(-0.1 * b)), band=band, xlabel="x", log=True, title="t"),
        plot_classifier(tmp_path / "c.png", [0, 0.3, 1], [0, 0.5, 1], 0.6, rng.uniform(0.5, 1.5, 100),
                        rng.uniform(0.5, 1.5, 100)),
        plot_weight_clusters(tmp_path / "w.png", bins, b, rng.uniform(0, 3, 800), a, rng.uniform(0, 3, 800)),
        plot_log_weights(tmp_path / "l.png", {"a": (rng.lognormal(0, 0.3, 300), rng.lognormal(0, 0.2, 300)),
                                              "b": (rng.lognormal(0, 0.1, 300), rng.lognormal(0, 0.1, 300))}),
        plot_mixed_pull(tmp_path / "t.png", rng.uniform(0, 2, 300), rng.uniform(0, 0.3, 300), rng.normal(size=300)),
    ]
    for f in files:
        assert f.read_bytes()[:8] == PNG and f.stat().st_size > 5000
