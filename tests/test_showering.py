"""The showering hand-off: numhep's LHE events through Pythia 8, one showered event per LHE event."""

import h5py
import numpy as np
import pytest

import numhep
from numhep.events.jets import anti_kt_jets
from numhep.events.showering import ShoweredEvent, shower

pytest.importorskip("pythia8mc")
pytest.importorskip("fastjet")

SQRT_S = 13000.0
QUICK = dict(n_points=2000, n_iterations=4, n_warmup=1, pilot_points=2000, batch_size=2000, progress=False,
             cuts={"ptj": 20.0, "mmll": 60.0}, scale=91.188)


@pytest.fixture(scope="module")
def zj(tmp_path_factory):
    d = tmp_path_factory.mktemp("zj")
    numhep.generate("p p > mu+ mu- j", SQRT_S, n_events=6, lhe=d / "zj.lhe", hdf5=d / "zj.h5", **QUICK)
    return d / "zj.lhe", d / "zj.h5"


def test_every_lhe_event_comes_back_with_its_weight_and_hard_record(zj):
    lhe, h5 = zj
    events = list(shower(lhe, progress=False))
    with h5py.File(h5) as f:
        p, w, pdg = f["momenta"][:], f["weight"][:], f["pdg"][:]
    assert len(events) == 6 and all(isinstance(e, ShoweredEvent) for e in events)
    for e, pe, we, ids in zip(events, p, w, pdg):
        assert e.weight == pytest.approx(we, rel=1e-9) and e.momenta.dtype == np.float64
        assert sorted(e.hard_pid.tolist()) == sorted(ids[2:].tolist())
        order = [list(ids[2:]).index(i) for i in e.hard_pid]
        np.testing.assert_allclose(e.hard_momenta, pe[2:][order], rtol=1e-9, atol=1e-8)
        assert len(e.momenta) > 20 and len(e.pid) == len(e.momenta)  # a shower, remnants, hadrons
        assert not np.isin(np.abs(e.pid), [12, 14, 16]).any()


def test_the_final_state_carries_the_beams_momentum(zj):
    # without hadronisation no neutrino is made: the visible final state is all of it
    for e in shower(zj[0], hadronisation=False, progress=False):
        np.testing.assert_allclose(e.momenta.sum(0), [SQRT_S, 0, 0, 0], rtol=0, atol=1e-6 * SQRT_S)
        heavy = np.abs(e.pid)[np.abs(e.pid) >= 100]
        assert np.all(heavy // 10 % 10 == 0)  # partons, leptons, photons, remnant diquarks: no hadron
    # with hadron decays the neutrinos' momentum is missing: |p_T,miss| <= E_miss
    for e in shower(zj[0], progress=False):
        e_vis, pt_miss = e.momenta[:, 0].sum(), np.hypot(*e.momenta[:, 1:3].sum(0))
        assert e_vis <= SQRT_S * (1 + 1e-9) and pt_miss <= SQRT_S - e_vis + 1e-6 * SQRT_S


def test_the_shower_is_reproducible_from_its_seed(zj):
    a, b, c = (list(shower(zj[0], n_events=3, seed=s, progress=False)) for s in (5, 5, 6))
    assert len(a) == 3
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.momenta, y.momenta)
        np.testing.assert_array_equal(x.pid, y.pid)
    assert any(len(x.momenta) != len(z.momenta) or not np.array_equal(x.momenta, z.momenta) for x, z in zip(a, c))


def test_showered_jets_are_sorted_and_hard(zj):
    n_jets = 0
    for e in shower(zj[0], n_events=4, progress=False):
        jets = anti_kt_jets(e.momenta[np.abs(e.pid) != 13], radius=0.4, pt_min=20.0)
        pt = np.hypot(jets[:, 1], jets[:, 2])
        assert np.all(pt >= 20.0) and np.all(np.diff(pt) <= 0)
        n_jets += len(jets)
    assert n_jets >= 4  # every event has a hard parton with p_T > 20 GeV


def test_bad_arguments_are_named(tmp_path, zj, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "pythia8mc", None)
    with pytest.raises(ImportError, match=r"numhep\[shower\]"):
        shower(zj[0])
    monkeypatch.undo()
    with pytest.raises(FileNotFoundError, match="no LHE file"):
        shower(tmp_path / "missing.lhe")
    with pytest.raises(ValueError, match="seed"):
        shower(zj[0], seed=0)
    with pytest.raises(ValueError, match="n_events"):
        shower(zj[0], n_events=-1)
