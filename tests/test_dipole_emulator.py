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
