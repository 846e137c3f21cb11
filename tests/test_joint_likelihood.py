"""Joint likelihood ratios and scores from numhep's |M|^2 (numhep.events.joint_likelihood).

The joint ratio must be |M|^2(theta)/|M|^2(theta_ref) x sigma_ref/sigma(theta); the joint
score a finite difference of log |M|^2 in theta at fixed momenta minus d log sigma/d theta;
and as densities, E_theta[t] = 0 over events drawn at theta and E_ref[r] = 1 over events
drawn at the reference.  A killed run resumes to the same file.
"""

import h5py
import numpy as np
import pytest

import numhep
from numhep.events import joint_likelihood

G0 = numhep.model("sm").inputs["Gf"]
SETTINGS = dict(n_points=4000, n_iterations=4, n_warmup=2, pilot_points=20_000, progress=False)


@pytest.fixture(scope="module")
def gf_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("sbi") / "gf.h5"
    thetas = np.array([0.92, 1.0, 1.08]) * G0
    return numhep.joint_likelihood_data("e+ e- > mu+ mu-", 91.188, "Gf", thetas, n_events=3000, path=path,
                                        **SETTINGS)


def test_the_data_set_has_its_events_and_cross_sections(gf_data):
    d = gf_data
    assert len(d) == 3 * 3000 + 3 * 3000
    for theta in d.thetas:
        assert d.at(theta).size == 3000 and d.at(theta, label=1).size == 3000
    # d sigma/d theta against the slope of the tabulated sigma (the same points: smooth in theta)
    slope = (d.sigma[2] - d.sigma[0]) / (d.thetas[2] - d.thetas[0])
    assert abs(d.dsigma[1] / slope - 1) < 0.02
    assert np.all(d.dsigma > 0)  # a larger G_F strengthens the Z couplings at fixed alpha and MZ
    assert d.sigma_error[1] / d.sigma[1] < 0.01
    loaded = numhep.load_joint_likelihood_data(d.path)
    np.testing.assert_array_equal(loaded.log_r, d.log_r)


def test_the_joint_ratio_and_score_come_from_the_matrix_element(gf_data):
    d = gf_data
    with h5py.File(d.path) as f:
        sigma_ref = f.attrs["reference_sigma"]
    rows = np.arange(0, len(d), 97)
    p, theta = d.momenta[rows], d.theta[rows]
    m_theta = np.array([numhep.me(p[i:i + 1], "e+ e- > mu+ mu-", params={"Gf": t})[0] for i, t in enumerate(theta)])
    m_ref = numhep.me(p, "e+ e- > mu+ mu-")
    sigma = np.interp(theta, d.thetas, d.sigma)
    np.testing.assert_allclose(d.log_r[rows], np.log(m_theta / m_ref) - np.log(sigma / sigma_ref), rtol=0,
                               atol=1e-12)
    h = 1e-4 * G0
    up = np.array([numhep.me(p[i:i + 1], "e+ e- > mu+ mu-", params={"Gf": t + h})[0] for i, t in enumerate(theta)])
    down = np.array([numhep.me(p[i:i + 1], "e+ e- > mu+ mu-", params={"Gf": t - h})[0] for i, t in enumerate(theta)])
    dlog_sigma = np.interp(theta, d.thetas, d.dsigma / d.sigma)
    np.testing.assert_allclose(d.score[rows] * G0, ((np.log(up) - np.log(down)) / (2 * h) - dlog_sigma) * G0,
                               rtol=1e-5, atol=1e-6)


def test_the_joint_quantities_are_densities(gf_data):
    d = gf_data
    for theta in d.thetas:
        at_theta, at_ref = d.at(theta), d.at(theta, label=1)
        t = d.score[at_theta] * G0
        assert abs(t.mean()) < 4 * t.std() / np.sqrt(t.size)  # E_theta[t(x, z | theta)] = 0
        r = np.exp(d.log_r[at_ref])
        assert abs(r.mean() - 1) < 4 * r.std() / np.sqrt(r.size)  # E_ref[r(x, z | theta, ref)] = 1


def test_a_killed_run_resumes_to_the_same_file(tmp_path, monkeypatch):
    args = ("e+ e- > mu+ mu-", 91.188, "Gf", np.array([0.95, 1.05]) * G0)
    options = dict(n_events=600, batch_size=400, **SETTINGS)
    whole = numhep.joint_likelihood_data(*args, path=tmp_path / "whole.h5", **options)
    original = joint_likelihood.__dict__["_event_batch"]
    calls = {"n": 0}

    def dies_on_the_third_batch(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(*a, **k)

    monkeypatch.setattr(joint_likelihood, "_event_batch", dies_on_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        numhep.joint_likelihood_data(*args, path=tmp_path / "cut.h5", **options)
    with h5py.File(tmp_path / "cut.h5") as f:
        assert 0 < f.attrs["written"] < len(whole) and not f.attrs["complete"]
    monkeypatch.setattr(joint_likelihood, "_event_batch", original)
    resumed = numhep.joint_likelihood_data(*args, path=tmp_path / "cut.h5", **options)
    for name in ("momenta", "theta", "label", "log_r", "score", "subprocess"):
        np.testing.assert_array_equal(getattr(resumed, name), getattr(whole, name))
    with pytest.raises(ValueError, match="other settings"):
        numhep.joint_likelihood_data(*args, path=tmp_path / "cut.h5", **{**options, "n_events": 700})


def test_parameters_without_a_joint_density_are_refused(tmp_path):
    with pytest.raises(ValueError, match="MT = 171.0 moves the mass of an external leg"):
        numhep.joint_likelihood_data("e+ e- > t t~", 500.0, "MT", [171.0, 175.0], path=tmp_path / "t.h5",
                                     **SETTINGS)
    with pytest.raises(ValueError, match="'GF' is not an input"):
        numhep.joint_likelihood_data("e+ e- > mu+ mu-", 91.188, "GF", [1.0], path=tmp_path / "g.h5", **SETTINGS)


def test_the_top_mass_with_decayed_tops_and_a_sampler_adapted_to_the_grid(tmp_path):
    # MT enters t t~ -> b W+ b~ W- through the top propagators only; the sampler adapted to the
    # mean weight over the grid reaches the shifted peaks
    d = numhep.joint_likelihood_data("g g > t t~, t > b w+, t~ > b~ w-", 13000.0, "MT", [171.0, 175.0],
                                     reference=173.0, n_events=400, path=tmp_path / "mt.h5", channel="diagrams",
                                     n_points=6000, n_iterations=5, n_warmup=2, pilot_points=30_000,
                                     progress=False, adapt_to="mixture")
    assert np.all(d.sigma_error / d.sigma < 0.03)
    for theta in d.thetas:
        t = d.score[d.at(theta)]
        assert abs(t.mean()) < 4 * t.std() / np.sqrt(t.size)
    with pytest.raises(ValueError, match="adapt_to"):
        numhep.joint_likelihood_data("e+ e- > mu+ mu-", 91.188, "Gf", [G0], path=tmp_path / "x.h5", adapt_to="both",
                                     **SETTINGS)
