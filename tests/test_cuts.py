"""Cut-implied lower bounds on invariants: every event that passes the cuts obeys them."""

import itertools

import numpy as np
import pytest

import numhep

from numhep.phasespace.cuts import Cuts, cluster_minimum
from numhep.phasespace.flat import rambo_on_diet


def invariant(p, members):
    q = p[:, list(members)].sum(axis=1)
    return q[:, 0] ** 2 - (q[:, 1:] ** 2).sum(axis=1)


@pytest.mark.parametrize(
    "cuts, tight",
    [
        ({"ycut": 0.02}, True),  # s_ij >= y_cut s is reached where the softer jet is soft and wide-angle
        ({"mmjj": 150.0}, True),
        ({"ptj": 60.0, "drjj": 0.7}, False),
        ({"ptj": 40.0, "drjj": 0.4, "ptl": 30.0, "drjl": 0.5, "ycut": 0.005}, False),
    ],
)
def test_pair_and_cluster_minima_bound_every_accepted_event(cuts, tight, rng):
    pdgs = (21, 21, 2, -2, 11)
    masses = (0.0, 0.0, 0.0, 0.0, 0.0)
    sqrt_s = 1000.0
    c = Cuts(cuts)
    low = c.pair_minima(pdgs, masses, sqrt_s**2)
    assert low.shape == (5, 5) and np.allclose(low, low.T)
    assert low[0, 4] == (0.0 if "drjl" not in cuts else 2 * 40.0 * 30.0 * (1 - np.cos(0.5)))
    p, _ = rambo_on_diet(rng.random((200_000, 3 * 5 - 4)), sqrt_s, masses)
    keep = c.passes(p, pdgs)
    assert 100 < keep.sum() < keep.size
    acc = p[keep]
    for size in (2, 3, 4):
        for members in itertools.combinations(range(5), size):
            bound = cluster_minimum(low, masses, members)
            s = invariant(acc, members)
            assert np.all(s >= bound * (1 - 1e-12)), (members, s.min(), bound)
            if tight and size == 2 and all(pdgs[i] != 11 for i in members):
                assert bound > 0 and s.min() < 1.5 * bound, (members, s.min(), bound)


def test_massive_pairs_and_the_partonic_threshold():
    c = Cuts({"mmjj": 50.0})
    low = c.pair_minima((6, -6, 21), (173.0, 173.0, 0.0))
    assert low[0, 1] == pytest.approx(346.0**2) and low[0, 2] == pytest.approx(173.0**2)
    # a lone pair of jets: the partonic threshold is mmjj^2, as for the s_hat range
    assert c.s_hat_range((21, 21), (0.0, 0.0)) == (2500.0, np.inf)
    assert cluster_minimum(low, (173.0, 173.0, 0.0), (0, 1, 2)) == pytest.approx(346.0**2)


def test_a_lepton_pt_cut_bounds_s_hat_so_that_w_production_integrates():
    """sqrt(s_hat) >= sum pT >= 2 max pT: a ptl cut alone makes p p > e+ ve integrable, and the
    bound never cuts an event that passes the cut."""
    f = numhep.integrand("p p > e+ ve", 13000.0, cuts={"ptl": 20.0})
    assert f.tau_min * 13000.0**2 == pytest.approx(40.0**2)
    points = f.evaluate(np.random.default_rng(2).uniform(size=(4000, f.dim)))
    kept = points.weight > 0
    pt = np.hypot(points.momenta[kept, 2, 1], points.momenta[kept, 2, 2])
    assert kept.sum() > 1000 and np.all(pt >= 20.0)
    s_hat = 13000.0**2 * points.x[:, 0] * points.x[:, 1]
    assert np.all(s_hat >= 40.0**2)
