"""The surrogate plots: PNG files of histograms with ratio and deviation panels, ROC and weights,
weight clusters and the mixed pull; the deviation of Eq. 4.10."""

import numpy as np

from numhep.events.surrogate_plots import (
    percent_deviation,
    plot_classifier,
    plot_mixed_pull,
    plot_observable,
    plot_weight_clusters,
)

PNG = b"\x89PNG\r\n\x1a\n"


def test_percent_deviation_is_eq_4_10():
    np.testing.assert_allclose(percent_deviation([0.9, 2.0], [1.0, 1.6]), [10.0, 25.0])


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
        plot_mixed_pull(tmp_path / "t.png", rng.uniform(0, 2, 300), rng.uniform(0, 0.3, 300), rng.normal(size=300)),
    ]
    for f in files:
        assert f.read_bytes()[:8] == PNG and f.stat().st_size > 5000
