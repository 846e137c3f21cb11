"""The parametrised detector and the tHj cuts of Table 6.1 (Heimel, PhD thesis, Heidelberg 2024)."""

import numpy as np
import pytest

from numhep.events.detector_smearing import DetectorResolution, select_thj, smear


def _object(pt, eta, phi, mass=0.0):
    pz = pt * np.sinh(eta)
    e = np.sqrt(pt**2 + pz**2 + mass**2)
    return np.array([e, pt * np.cos(phi), pt * np.sin(phi), pz])


@pytest.mark.parametrize("kind", ["photon", "muon", "jet"])
def test_resolution_is_the_stated_one(kind):
    res = DetectorResolution()
    p = np.tile(_object(80.0, 0.7, 0.3, 10.0 if kind == "jet" else 0.0), (20000, 1, 1))
    out = smear(p, [kind], np.random.default_rng(1), res)[:, 0]
    if kind == "muon":
        pt = np.hypot(out[:, 1], out[:, 2])
        expected = res.relative_sigma("muon", p[0, 0, 0], 80.0)
        assert np.std(pt) / 80.0 == pytest.approx(expected, rel=0.03)
    else:
        expected = res.relative_sigma(kind, p[0, 0, 0], 80.0)
        assert np.std(out[:, 0]) / p[0, 0, 0] == pytest.approx(expected, rel=0.03)
    mass2 = out[:, 0] ** 2 - (out[:, 1:] ** 2).sum(axis=1)
    np.testing.assert_allclose(mass2, 100.0 if kind == "jet" else 0.0, atol=1e-6 * out[:, 0].max() ** 2)
    if kind != "jet":  # photons and muons keep their direction
        np.testing.assert_allclose(np.arctan2(out[:, 2], out[:, 1]), 0.3, atol=1e-12)


def _leptonic_event(eta_photon=0.5, eta_jet=1.0, pt_muon=40.0):
    a = np.stack([_object(60.0, eta_photon, 0.1), _object(40.0, -0.3, 2.0)])
    mu = _object(pt_muon, 0.2, -1.0)[None]
    jets = np.stack([_object(70.0, 0.4, 2.5, 5.0), _object(50.0, eta_jet, -2.5, 5.0)])
    return a[None], mu[None], jets[None]


def test_table_6_1_cuts():
    always = DetectorResolution(b_tag=1.0, mistag=0.0)
    rng = np.random.default_rng(0)
    truth = np.array([[True, False]])
    ok = select_thj(*_leptonic_event(), truth, rng, resolution=always)
    assert ok.accepted.tolist() == [True]
    assert ok.names == ("a1", "a2", "b", "mu", "j1")
    np.testing.assert_allclose(ok.objects[0, 0], _object(60.0, 0.5, 0.1))  # photons by pT
    np.testing.assert_allclose(ok.objects[0, 2], _object(70.0, 0.4, 2.5, 5.0))  # the tagged jet
    for changed in ({"eta_photon": 2.5}, {"eta_jet": 2.6}, {"pt_muon": 15.0}):
        assert not select_thj(*_leptonic_event(**changed), truth, rng, resolution=always).accepted[0], changed
    never = DetectorResolution(b_tag=0.0, mistag=0.0)
    assert not select_thj(*_leptonic_event(), truth, rng, resolution=never).accepted[0]
    rejected = select_thj(*_leptonic_event(eta_jet=3.0), truth, rng, resolution=always)
    assert not rejected.objects.any()


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="shape"):
        smear(np.zeros((2, 3, 4)), ["photon"], np.random.default_rng(1))
    with pytest.raises(ValueError, match="not finite"):
        smear(np.full((1, 1, 4), np.nan), ["photon"], np.random.default_rng(1))
    with pytest.raises(ValueError, match="kind"):
        DetectorResolution().relative_sigma("tau", np.ones(1), np.ones(1))
    with pytest.raises(ValueError, match="decay"):
        select_thj(*_leptonic_event(), np.array([[True, False]]), np.random.default_rng(1), decay="semi")
