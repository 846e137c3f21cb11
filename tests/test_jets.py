"""Anti-k_t jets through FastJet."""

import numpy as np
import pytest

from numhep.events.jets import anti_kt_jets

pytest.importorskip("fastjet")


def massless(pt, eta, phi):
    return np.array([pt * np.cosh(eta), pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)])


def pt(p):
    return np.hypot(p[..., 1], p[..., 2])


def test_a_single_parton_is_one_jet_equal_to_it():
    q = massless(45.0, 0.7, 1.2)
    np.testing.assert_allclose(anti_kt_jets(q[None]), q[None], rtol=1e-12)
    assert anti_kt_jets(q[None], pt_min=50.0).shape == (0, 4)
    assert anti_kt_jets(np.zeros((0, 4))).shape == (0, 4)


def test_close_particles_merge_and_far_ones_do_not():
    a, b, c = massless(40.0, 0.1, 0.0), massless(30.0, 0.3, 0.1), massless(60.0, -1.0, 2.5)
    jets = anti_kt_jets(np.array([a, b, c]), radius=0.4)
    np.testing.assert_allclose(jets, [a + b, c], rtol=1e-12)  # E scheme; 70 > 60 GeV comes first
    jets = anti_kt_jets(np.array([a, b, c]), radius=0.1)
    np.testing.assert_allclose(jets, [c, a, b], rtol=1e-12)


def test_jets_are_sorted_and_above_threshold():
    rng = np.random.default_rng(3)
    p = np.array([massless(x, y, z) for x, y, z in zip(rng.exponential(15.0, 200), rng.uniform(-4, 4, 200),
                                                        rng.uniform(-np.pi, np.pi, 200))])
    jets = anti_kt_jets(p, radius=0.4, pt_min=20.0)
    assert len(jets) > 3 and np.all(pt(jets) >= 20.0) and np.all(np.diff(pt(jets)) <= 0)
    # every particle ends up in some jet of pt_min = 0: the four-momentum is conserved
    np.testing.assert_allclose(anti_kt_jets(p, pt_min=0.0).sum(0), p.sum(0), rtol=1e-10)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="shape"):
        anti_kt_jets(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="non-finite"):
        anti_kt_jets(np.array([[np.nan, 0, 0, 0]]))
    with pytest.raises(ValueError, match="radius"):
        anti_kt_jets(np.ones((1, 4)), radius=0.0)
