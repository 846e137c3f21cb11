"""Paired (alpha, x_hard, x_reco) tHj data (Heimel, PhD thesis, Heidelberg 2024, Sec. 6.2)."""

import h5py
import numpy as np
import pytest

import numhep
from numhep.amplitudes.compiled_process import compile_process
from numhep.events.thj_dataset import (
    build_thj_dataset,
    cp_odd_triple_product,
    decay_thj,
    fiducial_basis,
    fiducial_fit,
    hard_features,
    load_thj_dataset,
    reco_features,
    thj_integrand,
    visible_thj,
)

SMALL = dict(n_points=1000, n_iterations=3, n_warmup=1, pilot_points=1000, batch_size=1000, progress=False)


def _mass2(p):
    return p[..., 0] ** 2 - (p[..., 1:] ** 2).sum(axis=-1)


@pytest.fixture(scope="module")
def hard_events():
    f = thj_integrand(np.radians(45.0))
    pts = f.evaluate(np.random.default_rng(3).random((400, f.dim)))
    ok = pts.weight > 0
    return f, pts.momenta[ok][:60], pts.subprocess_weight[ok][:60].argmax(axis=1)


def test_decays_conserve_momentum_and_are_on_shell(hard_events):
    f, p, sub = hard_events
    final, r_max, over = decay_thj(p, sub, f.group, np.radians(45.0), np.random.default_rng(1))
    np.testing.assert_allclose(final[:, :3].sum(axis=1), p[:, 2], atol=1e-8)  # t = b mu+ vm
    np.testing.assert_allclose(final[:, 3:5].sum(axis=1), p[:, 3], atol=1e-8)  # H = a a
    mw = numhep.model("sm_cpv_no_b_mass").parameters()["MW"]
    np.testing.assert_allclose(_mass2(final[:, 1:3].sum(axis=1)), mw**2, rtol=1e-9)
    np.testing.assert_allclose(_mass2(final[:, [0, 1, 2, 3, 4]]), 0.0, atol=1e-6)
    assert over == 0.0 and r_max > 0


def test_narrow_width_ratio_is_the_same_for_every_event(hard_events):
    # averaged over the decay angles |M_chain|^2 / |M_prod|^2 is one number (the t > b l nu
    # decay factor): the spin correlations only move the angles, which the rejection keeps
    f, p, sub = hard_events
    sub0 = f.group.subprocesses[0]
    sel = np.flatnonzero(sub == 0)[:3]
    chain = compile_process(f"{sub0.process.name}, (t > b w+, w+ > mu+ vm)", model="sm_cpv_no_b_mass")
    mw2 = numhep.model("sm_cpv_no_b_mass").parameters()["MW"] ** 2
    rng = np.random.default_rng(2)
    means = []
    for e in sel:
        m = 4000
        t = np.repeat(p[e:e + 1, 2], m, axis=0)
        b, w, _ = numhep.phasespace.two_body_decay(t, 0.0, mw2, rng.random((m, 2)))
        mu, nu, _ = numhep.phasespace.two_body_decay(w, 0.0, 0.0, rng.random((m, 2)))
        rest = np.repeat(p[e:e + 1], m, axis=0)
        full = np.concatenate([rest[:, :2], b[:, None], mu[:, None], nu[:, None], rest[:, 3:]], axis=1)
        params = {"alpha_cp": np.radians(45.0)}
        ratio = numhep.me(full, chain, params=params, check=False) / numhep.me(p[e:e + 1], sub0.process,
                                                                               params=params, check=False)
        means.append(ratio.mean())
        assert ratio.std() / ratio.mean() > 0.1  # the angles matter ...
    np.testing.assert_allclose(means, means[0], rtol=0.03)  # ... their average does not


def test_dataset_is_built_resumed_and_fitted(tmp_path):
    path = tmp_path / "thj.h5"
    data = build_thj_dataset(path, alphas_deg=(0.0, 90.0), n_events=60, **SMALL)
    assert data.x_hard.shape == (120, 3, 4) and data.x_reco.shape == (120, 5, 4)
    np.testing.assert_allclose(_mass2(data.x_hard[:, 0]), 173.0**2, rtol=1e-9)
    assert 0.0 < data.accepted.mean() < 0.6
    assert not data.x_reco[~data.accepted].any()
    # u_hard is x_hard's point of the integrand's cube
    u, _ = thj_integrand(0.0).inverse(np.concatenate([np.zeros((120, 2, 4)), data.x_hard], axis=1)[:5] +
                                      _beams(data.x[:5]), x=data.x[:5])
    np.testing.assert_allclose(u, data.u_hard[:5], atol=1e-9)
    with h5py.File(path, "r") as fh:
        stamp = fh["alpha_+0.000"]["x_reco"][:].copy()
    again = build_thj_dataset(path, alphas_deg=(0.0, 90.0, 45.0), n_events=60, **SMALL)  # resumes, adds one
    np.testing.assert_array_equal(again.select(np.isclose(again.alpha, 0.0)).x_reco, stamp)
    assert sorted(again.sigma) == [0.0, 45.0, 90.0]
    with pytest.raises(ValueError, match="decay"):
        build_thj_dataset(path, alphas_deg=(0.0,), n_events=60, decay="hadronic", **SMALL)
    alphas, sigma, error = load_thj_dataset(path).fiducial_sigma()
    assert sigma.shape == (3,) and np.all(error > 0)
    assert hard_features(again.x_hard).shape == (180, 7)
    assert reco_features(again.x_reco, again.reco_names).shape == (180, 17)


def _beams(x):
    out = np.zeros((x.shape[0], 5, 4))
    out[:, 0] = 6500.0 * x[:, :1] * np.array([1.0, 0, 0, 1.0])
    out[:, 1] = 6500.0 * x[:, 1:] * np.array([1.0, 0, 0, -1.0])
    return out


def test_hadronic_set_has_the_thesis_objects(tmp_path):
    data = build_thj_dataset(tmp_path / "had.h5", alphas_deg=(45.0,), n_events=40, decay="hadronic", **SMALL)
    assert data.reco_names == ("a1", "a2", "b", "j1", "j2", "j3")
    assert reco_features(data.x_reco, data.reco_names).shape == (40, 22)


def test_fiducial_fit_recovers_eq_6_3():
    alphas = np.radians([-180.0, -90.0, -45.0, 0.0, 22.5, 45.0, 90.0, 135.0, 180.0])
    truth = np.array([4.07e-4, 2.37e-3, -1.22e-3, 1.86e-6, -2.90e-7])  # the thesis's leptonic fit, Table 6.2
    np.testing.assert_allclose(fiducial_fit(alphas, fiducial_basis(alphas) @ truth), truth, rtol=1e-9, atol=1e-15)
    with pytest.raises(ValueError, match="five"):
        fiducial_fit(alphas[:3], np.ones(3))


def test_showered_path_finds_the_hard_photons(tmp_path):
    pytest.importorskip("pythia8mc")
    pytest.importorskip("fastjet")
    data = build_thj_dataset(tmp_path / "sh.h5", alphas_deg=(45.0,), n_events=20, shower=True, **SMALL)
    assert (tmp_path / "sh.alpha+45.0.decayed.lhe").exists()
    with h5py.File(tmp_path / "sh.h5", "r") as fh:
        decayed = fh["alpha_+45.000"]["decayed"][:]
    acc = np.flatnonzero(data.accepted)
    assert acc.size > 0
    for e in acc:  # the leading measured photon is one of the two from the H decay
        a = data.x_reco[e, 0]
        truth = decayed[e, 3:5]
        cos = (truth[:, 1:] @ a[1:]) / (np.linalg.norm(truth[:, 1:], axis=1) * np.linalg.norm(a[1:]))
        assert cos.max() > 0.999


def test_the_cp_odd_part_of_the_yukawa_is_the_mirror_image():
    # parity: with the propagator widths set to zero (they add absorptive phases), |M|^2 of
    # u b > t h d at the mirror image of the momenta equals |M|^2 at -alpha, the CP-even SM
    # (alpha = 0) is mirror-symmetric, and the triple product O flips sign: the sign of alpha
    # can only show in observables odd under the mirror, such as O (the difference
    # |M|^2(alpha) - |M|^2(-alpha) is odd under it)
    proc = compile_process("u b > t h d", model="sm_cpv_no_b_mass")
    p, _ = numhep.rambo(200, 1000.0, proc.masses, seed=4)
    mirror = np.array([1.0, 1.0, -1.0, 1.0])  # y -> -y
    no_widths = {"WT": 0.0, "WW": 0.0, "WZ": 0.0, "WH": 0.0}
    alpha = np.radians(45.0)

    def me(q, a):
        return numhep.me(q, proc, params={"alpha_cp": a, **no_widths})

    np.testing.assert_allclose(me(p * mirror, alpha), me(p, -alpha), rtol=1e-12)
    np.testing.assert_allclose(me(p * mirror, 0.0), me(p, 0.0), rtol=1e-12)
    assert np.max(np.abs(me(p, alpha) / me(p, -alpha) - 1)) > 0.1  # the sign of alpha matters event by event
    o = cp_odd_triple_product(p[:, 2], p[:, 3], p[:, 4])
    np.testing.assert_allclose(cp_odd_triple_product(*(p[:, k] * mirror for k in (2, 3, 4))), -o, rtol=1e-12)


def test_triple_product_keeps_its_sign_under_beam_boosts_and_visible_objects_are_picked():
    rng = np.random.default_rng(5)
    t, h, j = (np.c_[rng.uniform(300, 500, 50), rng.normal(0, 80, (50, 3))] for _ in range(3))
    y = 0.7  # a boost along the beam
    boost = np.array([[np.cosh(y), 0, 0, np.sinh(y)], [0, 1, 0, 0], [0, 0, 1, 0], [np.sinh(y), 0, 0, np.cosh(y)]])
    j[:, 3] = np.abs(j[:, 3])  # the jet stays on its beam side; O scales by e^-y
    np.testing.assert_allclose(cp_odd_triple_product(t @ boost.T, h @ boost.T, j @ boost.T),
                               np.exp(-y) * cp_odd_triple_product(t, h, j), rtol=1e-9)
    # hadronic set: the most forward light jet is the spectator, the others join the b
    x = np.zeros((1, 6, 4))
    x[0, :, :] = [[50, 0, 30, 40], [50, 0, -30, -40], [80, 60, 0, 20], [40, 30, 0, 10], [90, 10, 0, 89], [45, 0, 40, 5]]
    top, photons, jet = visible_thj(x, ("a1", "a2", "b", "j1", "j2", "j3"))
    np.testing.assert_array_equal(jet[0], x[0, 4])
    np.testing.assert_array_equal(top[0], x[0, 2] + x[0, 3] + x[0, 5])
    np.testing.assert_array_equal(photons[0], x[0, 0] + x[0, 1])


def test_w_pair_order_puts_the_w_candidates_first_and_the_spectator_last():
    names = ("a1", "a2", "b", "j1", "j2", "j3")
    mw = numhep.model("sm_cpv_no_b_mass").parameters()["MW"]
    rng = np.random.default_rng(5)
    # two back-to-back jets of mass-less momenta making m_W, and a hard forward jet
    e = mw / 2
    w1, w2 = np.array([e, e, 0.0, 0.0]), np.array([e, -e, 0.0, 0.0])
    spectator = np.array([300.0, 30.0, 0.0, np.sqrt(300.0**2 - 30.0**2)])
    others = rng.normal(size=(3, 4)) * 10 + np.array([100.0, 0, 0, 0])
    for perm in ((0, 1, 2), (2, 0, 1), (1, 2, 0)):
        jets = np.array([w1, w2, spectator])[list(perm)]
        x = np.concatenate([others, jets])[None]
        feats = reco_features(x, names, jet_order="w_pair")
        np.testing.assert_array_equal(feats[0, -4:], spectator)
        # the features by p_T are the objects as given
        np.testing.assert_array_equal(reco_features(x, names)[0, -12:], jets.reshape(-1))
    # a single light jet (leptonic set) is left as it is
    lep = rng.normal(size=(2, 5, 4))
    np.testing.assert_array_equal(reco_features(lep, ("a1", "a2", "b", "mu", "j1"), jet_order="w_pair"),
                                  reco_features(lep, ("a1", "a2", "b", "mu", "j1")))
    with pytest.raises(ValueError, match="jet_order"):
        reco_features(lep, ("a1", "a2", "b", "mu", "j1"), jet_order="eta")
