"""The dipole emulator pipeline at small scale (Maitre & Truong, arXiv:2107.06625): data set, training, the
comparison with a plain network, persistence, resumption and the numhep process."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("fastjet")

import numhep  # noqa: E402
from numhep.events.dipole_dataset import generate_dipole_dataset, jet_selection  # noqa: E402
from numhep.torch.dipole_emulator import DipoleEmulator, train_emulator  # noqa: E402

SMALL = dict(members=1, hidden=(32, 64, 32), max_epochs=25, batch_size=512, progress=False)


@pytest.fixture(scope="module")
def three_jets(tmp_path_factory):
    path = tmp_path_factory.mktemp("dipoles") / "ee_3j.h5"
    return generate_dipole_dataset(path, n_jets=3, n_points=6000, y_cut=1e-3, chunk=3000, progress=False)


def test_selection_matches_durham_resolution_and_global_cut():
    p, _ = numhep.rambo(4000, 1000.0, [0.0] * 7, seed=11)
    f = p[:, 2:]
    keep = jet_selection(f, 1e-3)
    e = f[..., 0]
    cos = (f[:, :, None, 1:] * f[:, None, :, 1:]).sum(-1) / (e[:, :, None] * e[:, None, :])
    iu = np.triu_indices(5, 1)
    d = (2 * np.minimum(e[:, :, None], e[:, None, :]) ** 2 * (1 - cos))[:, iu[0], iu[1]] / 1e6
    s = (2 * e[:, :, None] * e[:, None, :] * (1 - cos))[:, iu[0], iu[1]] / 1e6
    # Durham: at most one pair below d_cut = 0.01 s (then one merge, n - 1 jets) and every y_ij >= y_cut;
    # two pairs below d_cut can still give n - 1 jets when they share a parton and the merge resolves the other
    assert not (keep & (s.min(1) < 1e-3)).any()
    assert (keep[(d >= 0.01).all(1) & (s >= 1e-3).all(1)]).all()
    assert (keep & ((d < 0.01).sum(1) == 1)).any()  # single-unresolved points are in


def test_data_set_columns_splits_and_resume(three_jets, tmp_path):
    data = three_jets
    assert data.rows == 6000
    cols = data.arrays()
    assert cols["y"].shape == (6000, 2) and cols["azimuth"].shape == (6000, 0, 2)
    beams = np.broadcast_to(np.array([[500.0, 0, 0, 500.0], [500.0, 0, 0, -500.0]]), (10, 2, 4))
    p = np.concatenate([beams, cols["momenta"][:10]], axis=1)
    np.testing.assert_allclose(numhep.me(p, process="ee_uug"), cols["me"][:10], rtol=1e-13)
    sizes = {k: len(data.split(k)["me"]) for k in ("train", "validation", "test")}
    assert sizes == {"train": 4000, "validation": 1000, "test": 1000}
    # interrupted after one chunk, resumed: the same file as one run
    part = generate_dipole_dataset(tmp_path / "r.h5", 3, 3000, 1e-3, chunk=3000, progress=False)
    assert part.rows == 3000
    whole = generate_dipole_dataset(tmp_path / "r.h5", 3, 6000, 1e-3, chunk=3000, progress=False)
    np.testing.assert_array_equal(whole.arrays()["me"], cols["me"])
    assert whole.attrs["n_generated"] == data.attrs["n_generated"]
    with pytest.raises(ValueError, match="y_cut"):
        generate_dipole_dataset(tmp_path / "r.h5", 3, 6000, 1e-2, chunk=3000, progress=False)


def _errors(emu, data):
    test = data.split("test")
    pred, _ = emu.predict(test["momenta"])
    return np.abs(pred / test["me"] - 1)


def test_dipole_model_beats_a_plain_network_of_the_same_size(three_jets):
    torch.set_num_threads(2)
    dip = _errors(train_emulator(three_jets, **SMALL), three_jets)
    plain = _errors(train_emulator(three_jets, plain=True, **SMALL), three_jets)
    assert np.median(dip) < 0.7 * np.median(plain), (np.median(dip), np.median(plain))
    assert (dip < 0.01).mean() > (plain < 0.01).mean()


def test_plain_baseline_sees_the_momenta_alone_unless_given_the_ln_y(three_jets, tmp_path):
    """The paper's baseline (Badger & Bullock's single network) sees the momenta only; the ln y_ij,k, in
    which the poles of ln |M|^2 are linear, make a plain network of the same size much better.  The
    choice resolves before the checkpoint identity, so dipole checkpoints written before it resume."""
    from numhep.torch.dipole_emulator import TrainingConfig
    from numhep.torch.training_checkpoint import load_state

    torch.set_num_threads(2)
    assert TrainingConfig().logy_inputs is None
    r = len(three_jets.table)
    ck = {name: tmp_path / f"{name}.pt" for name in ("dipole", "plain", "plain_logy")}
    dip = train_emulator(three_jets, checkpoint=ck["dipole"], **dict(SMALL, max_epochs=1))
    plain = train_emulator(three_jets, plain=True, checkpoint=ck["plain"], **SMALL)
    logy = train_emulator(three_jets, plain=True, logy_inputs=True, checkpoint=ck["plain_logy"], **SMALL)
    assert [e.members[0][0].in_features for e in (dip, plain, logy)] == [12 + r, 12, 12 + r]
    idents = {name: load_state(path, "cpu")["ident"]["config"] for name, path in ck.items()}
    assert "logy_inputs" not in idents["dipole"] and "logy_inputs" not in idents["plain_logy"]
    assert idents["plain"]["logy_inputs"] is False
    test = three_jets.split("test")
    err_plain, err_logy = (np.abs(e.predict(test["momenta"])[0] / test["me"] - 1) for e in (plain, logy))
    assert np.median(err_logy) < 0.5 * np.median(err_plain), (np.median(err_logy), np.median(err_plain))
    plain.save(tmp_path / "plain_emu.pt")
    again = DipoleEmulator.load(tmp_path / "plain_emu.pt")
    assert again.logy_inputs is False
    np.testing.assert_array_equal(again.predict(test["momenta"][:20])[0], plain.predict(test["momenta"][:20])[0])


def test_emulator_saves_loads_resumes_and_runs_as_a_process(three_jets, tmp_path):
    torch.set_num_threads(2)
    opts = dict(SMALL, members=2, max_epochs=4)
    ck = tmp_path / "ck.pt"
    full = train_emulator(three_jets, checkpoint=tmp_path / "ref.pt", **opts)
    # stop in the second member's third epoch, then resume: the same ensemble
    def interrupt(member, epoch, loss):
        if (member, epoch) == (1, 3):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_emulator(three_jets, checkpoint=ck, on_epoch=interrupt, **opts)
    resumed = train_emulator(three_jets, checkpoint=ck, **opts)
    test = three_jets.split("test")
    a, ea = full.predict(test["momenta"][:50])
    b, _ = resumed.predict(test["momenta"][:50])
    np.testing.assert_allclose(b, a, rtol=1e-10)
    assert (ea > 0).all()  # two members: a standard error
    full.save(tmp_path / "emu.pt")
    again = DipoleEmulator.load(tmp_path / "emu.pt")
    np.testing.assert_allclose(again.predict(test["momenta"][:50])[0], a, rtol=1e-12)
    # numhep.me on the emulator, with a gradient through the dipole adjoints and torch
    # (networks in float64 here, so that finite differences resolve the gradient)
    again.double()
    a, _ = again.predict(test["momenta"][:5])
    proc = again.as_process()
    beams = np.broadcast_to(np.array([[500.0, 0, 0, 500.0], [500.0, 0, 0, -500.0]]), (5, 2, 4))
    p = np.concatenate([beams, test["momenta"][:5]], axis=1)
    value, grad = numhep.me(p, process=proc, grad=True)
    np.testing.assert_allclose(value, a[:5], rtol=1e-10)
    h = 1e-4
    for leg, comp in [(2, 1), (3, 3), (4, 0)]:
        dp = np.zeros_like(p)
        dp[:, leg, comp] = h
        fd = (numhep.me(p + dp, process=proc, check=False) - numhep.me(p - dp, process=proc, check=False)) / (2 * h)
        np.testing.assert_allclose(grad[:, leg, comp], fd, rtol=1e-5, atol=1e-12 * np.abs(value).max())
    assert (grad[:, :2] == 0).all()


def test_loss_terms_match_a_hand_computation():
    """The MSE of Eq. 2.7 on T(x) = (arcsinh(x / S_pred) - mean) / std (Eq. 2.6) and J times the penalty of Eq. 2.8
    (divided by the true |M|^2), from the raw network outputs, recomputed with numpy on a batch of 5 points of
    e+e- -> u u~ g g (10 dipoles, one gluon pair with its azimuthal terms)."""
    from numhep.amplitudes.catani_seymour import relevant_dipoles
    from numhep.torch.dipole_emulator import _chunked_loss, _loss, _prepared

    table, pairs = relevant_dipoles([2, -2, 21, 21])
    r, q = len(table), len(pairs)
    rng = np.random.default_rng(5)
    scales = dict(mom_mean=rng.normal(0, 50, 16), mom_std=rng.uniform(50, 300, 16), logy_mean=rng.normal(-3, 1, r),
                  logy_std=rng.uniform(0.5, 2, r), s_pred=2e-7, s_coef=3e-3, t_mean=1.5, t_std=0.8, c_start=0.2)
    emu = DipoleEmulator(4, table, pairs, scales, hidden=(8, 8), members=1).double()
    n = 5
    split = dict(momenta=rng.normal(0, 300, (n, 4, 4)), y=rng.uniform(1e-3, 1, (n, r)),
                 dipoles=10 ** rng.uniform(-9, -4, (n, r)), azimuth=rng.uniform(-1, 1, (n, q, 2)),
                 me=10 ** rng.uniform(-7, -4, n))
    batch = _prepared(emu, split, "cpu")
    net = emu.members[0]
    J = 0.05
    loss, mse, pen = (v.item() for v in _loss(emu, net, batch, J))

    # by hand: standardised inputs, the tanh network, C = S_coef sinh(c) (Eq. 2.5), the ansatz with G_ab
    x = np.concatenate([(split["momenta"].reshape(n, -1) - scales["mom_mean"]) / scales["mom_std"],
                        (np.log(split["y"]) - scales["logy_mean"]) / scales["logy_std"]], axis=1)
    lin = [m for m in net if isinstance(m, torch.nn.Linear)]
    h = x
    for layer in lin[:-1]:
        h = np.tanh(h @ layer.weight.detach().numpy().T + layer.bias.detach().numpy())
    c = h @ lin[-1].weight.detach().numpy().T + lin[-1].bias.detach().numpy()
    coef = scales["s_coef"] * np.sinh(c)
    d = split["dipoles"]
    value = (coef[:, :r] * d).sum(1)
    (a, b), = pairs
    gg = (table[:, 3] == 1) & (np.sort(table[:, :2], axis=1) == [a, b]).all(1)
    assert gg.sum() == 2  # g_a -> g_a g_b with either quark as spectator
    g_ab = d[:, gg].sum(1)
    value += (coef[:, r] * split["azimuth"][:, 0, 0] + coef[:, r + 1] * split["azimuth"][:, 0, 1]) * g_ab

    def t(v):
        return (np.arcsinh(v / scales["s_pred"]) - scales["t_mean"]) / scales["t_std"]

    mse_hand = np.mean((t(value) - t(split["me"])) ** 2)
    w = d**-2 / (d**-2).sum(1, keepdims=True)
    pen_hand = J * np.mean((w * np.abs(coef[:, :r] * d)).sum(1) / split["me"])
    np.testing.assert_allclose(mse, mse_hand, rtol=1e-12)
    np.testing.assert_allclose(pen, pen_hand, rtol=1e-12)
    np.testing.assert_allclose(loss, mse_hand + pen_hand, rtol=1e-12)
    assert pen > 0 and mse > 0
    # the validation loss in chunks of 2 (sizes 2, 2, 1) is the same mean
    np.testing.assert_allclose(_chunked_loss(emu, net, batch, J, chunk=2).numpy(), [loss, mse, pen], rtol=1e-12)
    # without the penalty, and for the plain network (T of its output is the raw output itself)
    assert _loss(emu, net, batch, 0.0)[0].item() == pytest.approx(mse_hand, rel=1e-12)
    plain = DipoleEmulator(4, table, pairs, scales, hidden=(8,), members=1, plain=True).double()
    raw = plain.members[0](batch["x"]).detach().numpy()[:, 0]
    np.testing.assert_allclose(_loss(plain, plain.members[0], batch, J)[0].item(),
                               np.mean((raw - t(split["me"])) ** 2), rtol=1e-10)


def test_penalty_defaults_per_multiplicity_and_resolves_before_the_checkpoint_identity(three_jets, tmp_path):
    """J = None takes default_penalty(n_jets), the documented per-multiplicity J; an explicit J is used as
    given (J = 0: the loss is the MSE); a checkpoint of the default resumes under the same J given explicitly
    and refuses another azimuthal scale."""
    from numhep.torch.dipole_emulator import PENALTY_BY_JETS, TrainingConfig, default_penalty

    assert TrainingConfig().penalty is None
    assert [default_penalty(n) for n in (3, 4, 5)] == [PENALTY_BY_JETS[n] for n in (3, 4, 5)]
    assert default_penalty(4) == 1e-3  # the 4-jet J that the ablation favoured is kept
    assert default_penalty(3) < default_penalty(4) < default_penalty(5)
    with pytest.raises(ValueError, match="6 jets"):
        default_penalty(6)
    with pytest.raises(ValueError, match="penalty"):
        TrainingConfig(penalty=-1.0)
    opts = dict(SMALL, max_epochs=2)
    ck = tmp_path / "ck.pt"
    train_emulator(three_jets, checkpoint=ck, **opts)
    from numhep.torch.training_checkpoint import load_state

    assert load_state(ck, "cpu")["ident"]["config"]["penalty"] == default_penalty(3)
    again = train_emulator(three_jets, checkpoint=ck, penalty=default_penalty(3), **opts)
    assert len(again.history) == 2  # resumed the finished run: no new epochs
    with pytest.raises(ValueError, match="another set-up"):
        train_emulator(three_jets, checkpoint=ck, azimuthal_scale="pair_invariant", **opts)
    free = train_emulator(three_jets, penalty=0.0, **opts)
    assert all(h[2] == h[3] for h in free.history)  # validation loss == validation MSE


def test_azimuthal_scale_of_the_authors_code_on_a_hand_computed_point(tmp_path):
    """pair_scale: 16 pi alpha_s C_A / s_ab with s_ab = 2 p_a.p_b for "pair_invariant", the sum of the pair's
    g -> g g dipoles for "dipoles"; an emulator with the authors' scale trains, saves and loads."""
    from numhep.amplitudes.catani_seymour import dipoles, relevant_dipoles

    table, pairs = relevant_dipoles([2, -2, 21, 21])
    r = len(table)
    scales = dict(mom_mean=np.zeros(16), mom_std=np.ones(16), logy_mean=np.zeros(r), logy_std=np.ones(r),
                  s_pred=1e-7, s_coef=1e-3, t_mean=0.0, t_std=1.0, c_start=0.0)
    # q, q~, g, g with p_g1.p_g2 = 100 * 50 - 0 = 5000 GeV^2, so s_34 = 1e4 GeV^2
    final = torch.tensor([[[300.0, 0, 0, 300], [300.0, 0, 0, -300], [100.0, 100, 0, 0], [50.0, 0, 50, 0]]],
                         dtype=torch.float64)
    with pytest.raises(ValueError, match="azimuthal_scale"):
        DipoleEmulator(4, table, pairs, scales, hidden=(4,), members=1, azimuthal_scale="s_ab")
    authors = DipoleEmulator(4, table, pairs, scales, hidden=(4,), members=1, azimuthal_scale="pair_invariant")
    _, _, d = dipoles(final, table)
    np.testing.assert_allclose(authors.pair_scale(final, d).numpy(), [[16 * np.pi * 0.118 * 3 / 1e4]], rtol=1e-14)
    ours = DipoleEmulator(4, table, pairs, scales, hidden=(4,), members=1)
    gg = (table[:, 3] == 1) & (np.sort(table[:, :2], axis=1) == pairs[0]).all(1)
    np.testing.assert_allclose(ours.pair_scale(final, d).numpy()[:, 0], d.numpy()[:, gg].sum(1), rtol=1e-14)

    data = generate_dipole_dataset(tmp_path / "ee_4j.h5", n_jets=4, n_points=600, y_cut=1e-3, chunk=600,
                                   progress=False)
    emu = train_emulator(data, azimuthal_scale="pair_invariant", **dict(SMALL, max_epochs=2, hidden=(8,)))
    assert emu.azimuthal_scale == "pair_invariant"
    emu.save(tmp_path / "emu.pt")
    again = DipoleEmulator.load(tmp_path / "emu.pt")
    test = data.split("test")["momenta"][:20]
    assert again.azimuthal_scale == "pair_invariant"
    np.testing.assert_allclose(again.predict(test)[0], emu.predict(test)[0], rtol=1e-12)
