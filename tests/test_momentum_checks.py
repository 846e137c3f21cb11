"""The momentum predicate behind ``numhep.me``'s input checks: each flag on momenta made to
trip it, and nothing flagged on good RAMBO points."""

import os

import numpy as np
import pytest

import numhep
from numhep.kernels.momentum_checks import CONSERVATION, ENERGY, NEAR_LIMIT, SHELL, momentum_flags
from tests.kernel_checks import check_cuda_matches_cpu

MT = 173.0


def _flags(p, masses, limit=1e-12):
    settings = np.array([2, 1e-8, 1e-4, limit])
    flags = np.empty(p.shape[0], dtype=np.int64)
    leg = np.empty(p.shape[0], dtype=np.int64)
    momentum_flags(p, np.asarray(masses, float), settings, flags, leg)
    return flags, leg, settings


@pytest.fixture(scope="module")
def points():
    p, _ = numhep.rambo(6, 1000.0, [0.0, 0.0, MT, MT], seed=3)
    return p


def test_good_points_raise_no_flag(points):
    flags, leg, _ = _flags(points, [0, 0, MT, MT])
    assert np.all(flags == 0) and np.all(leg == -1)


@pytest.mark.parametrize("damage, bit, bad_leg", [
    (lambda p: p.__setitem__((1, 0, 0), -p[1, 0, 0]), ENERGY | CONSERVATION, -1),
    (lambda p: p.__setitem__((2, 0, 1), np.nan), CONSERVATION | SHELL, 0),
    (lambda p: p.__setitem__((3, 2, 3), p[3, 2, 3] + 50.0), CONSERVATION | SHELL, 2),
])
def test_each_fault_sets_its_flag_in_its_event_only(points, damage, bit, bad_leg):
    p = points.copy()
    damage(p)
    flags, leg, _ = _flags(p, [0, 0, MT, MT])
    event = int(np.flatnonzero(flags)[0])
    assert np.count_nonzero(flags) == 1
    assert flags[event] & bit == bit
    if bad_leg >= 0:
        assert leg[event] == bad_leg


def test_a_wrong_mass_is_a_shell_fault_of_that_leg(points):
    flags, leg, _ = _flags(points, [0, 0, MT, 172.0])
    assert np.all(flags == SHELL) and np.all(leg == 3)


def test_a_collinear_pair_is_near_the_limit():
    # two massless outgoing legs a relative angle 1e-8 apart: 2 p.q / s ~ theta^2 / 4 ~ 1e-17
    e, theta = 250.0, 1e-8
    a = np.array([e, e * np.sin(theta / 2), 0.0, e * np.cos(theta / 2)])
    b = np.array([e, -e * np.sin(theta / 2), 0.0, e * np.cos(theta / 2)])
    k = a + b
    p1 = np.array([k[0] / 2, k[1] / 2, 0.0, k[3] / 2 + k[0] / 2])
    p2 = k - p1
    p = np.stack([p1, p2, a, b])[None]
    p[0, 1, 0] = np.sqrt(np.sum(p[0, 1, 1:] ** 2))  # keep the second beam massless
    flags, _, _ = _flags(p, [0, 0, 0, 0], limit=1e-12)
    assert flags[0] & NEAR_LIMIT
    flags, _, _ = _flags(p, [0, 0, 0, 0], limit=0.0)
    assert not flags[0] & NEAR_LIMIT


def test_me_names_the_fault_and_its_event(points):
    p = points.copy()
    p[4, 3, 3] += 50.0
    with pytest.raises(ValueError, match="event 4"):
        numhep.me(p, "gg_tt")
    p = points.copy()
    p[0, 3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        numhep.me(p, "gg_tt")


@pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") != "1", reason="CUDA build through numba's simulator")
def test_cuda_build_matches_cpu(points):
    p = points.copy()
    p[2, 0, 0] = -1.0
    settings = np.array([2, 1e-8, 1e-4, 1e-12])
    check_cuda_matches_cpu(momentum_flags, (p, np.array([0, 0, MT, MT]), settings),
                           (np.zeros(6, np.int64), np.zeros(6, np.int64)), rtol=0)
