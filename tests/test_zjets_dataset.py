"""The Z + jets data set: reconstruction of showered events, the event record and its files,
collider coordinates, and the one command that makes the sets."""

import numpy as np
import pytest

from numhep.events.collider_coordinates import (
    delta_phi,
    delta_r,
    four_momenta,
    pt_eta_phi_m,
)
from numhep.events.showering import ShoweredEvent
from numhep.events.zjets_dataset import ZJetsEvents, generate_zjets_dataset, reconstruct

MU = 0.1056583755


def showered(q, pid):
    return ShoweredEvent(four_momenta(np.array(q, float)), np.array(pid), 1.0, np.zeros((0, 4)), np.zeros(0, int))


def test_collider_coordinates_round_trip():
    rng = np.random.default_rng(1)
    q = np.stack([rng.uniform(1, 300, 50), rng.uniform(-4, 4, 50), rng.uniform(-np.pi, np.pi, 50),
                  rng.uniform(0.1, 30, 50)], axis=1)
    np.testing.assert_allclose(pt_eta_phi_m(four_momenta(q)), q, rtol=1e-9, atol=1e-9)
    assert delta_phi(np.pi - 0.1, -np.pi + 0.1) == pytest.approx(-0.2)
    assert delta_r([10, 1.0, 3.0, 0], [20, 1.3, -3.0, 0]) == pytest.approx(np.hypot(0.3, 2 * np.pi - 6.0))


def test_reconstruction_takes_muons_out_and_clusters_the_rest():
    # mu-, mu+, a photon in the mu- cone (radiation, not a jet), two hadrons making one jet, a soft hadron
    q = [[45.0, 0.2, 0.1, MU], [35.0, -0.7, 2.9, MU], [25.0, 0.21, 0.12, 0.0], [30.0, 1.5, -2.0, 0.14],
         [15.0, 1.6, -2.1, 0.14], [5.0, -2.0, 1.0, 0.14]]
    record, n = reconstruct(showered(q, [13, -13, 22, 211, -211, 211]))
    assert n == 1
    np.testing.assert_allclose(record[:2, 0], [45.0, 35.0])
    jet = pt_eta_phi_m(four_momenta(np.array(q[3])) + four_momenta(np.array(q[4])))
    np.testing.assert_allclose(record[2], jet, rtol=1e-9)
    assert not record[3:].any()
    # the same photon far from the muons is a jet (the leading one, by pT)
    q[2] = [25.0, -3.0, -1.0, 0.0]
    record, n = reconstruct(showered(q, [13, -13, 22, 211, -211, 211]))
    assert n == 2 and record[2, 0] > record[3, 0] and record[3, 0] == pytest.approx(25.0)


def test_reconstruction_rejects_events_without_a_muon_pair_or_a_jet():
    assert reconstruct(showered([[45.0, 0.2, 0.1, MU], [30.0, 1.5, -2.0, 0.14]], [13, 211])) is None
    assert reconstruct(showered([[45.0, 0.2, 0.1, MU], [35.0, 1.0, 2.0, MU], [10.0, 1.5, -2.0, 0.14]],
                                [13, -13, 211])) is None


def test_event_records_observables_and_files(tmp_path):
    q = np.zeros((2, 5, 4))
    q[:, :2] = [[40.0, 0.0, 0.0, MU], [40.0, 0.0, np.pi, MU]]
    q[:, 2:4] = [[50.0, 0.0, 1.0, 5.0], [30.0, 0.3, 1.4, 4.0]]
    events = ZJetsEvents(q, np.array([2, 1]), attrs={"sigma_pb": {"1": 2.0}})
    events.particles[1, 3] = 0.0
    obs = events.observables()
    np.testing.assert_allclose(obs["m_mumu"], 80.0, rtol=1e-5)  # muon masses: 4e-6
    assert obs["dr_j1j2"][0] == pytest.approx(0.5) and np.isnan(obs["dr_j1j2"][1])
    np.testing.assert_allclose(obs["ht"], [80.0, 50.0])
    assert not events.momenta()[1, 3].any()
    back = ZJetsEvents.load(events.save(tmp_path / "z.h5"))
    np.testing.assert_array_equal(back.particles, events.particles)
    assert back.attrs["sigma_pb"] == {"1": 2.0}
    with pytest.raises(ValueError, match="n_jets"):
        ZJetsEvents(q, np.array([0, 1]))
    with pytest.raises(ValueError, match="shape"):
        ZJetsEvents(q[:, :4], np.array([1, 1]))


def test_the_data_set_command_is_reproducible_and_states_its_mix(tmp_path):
    pytest.importorskip("pythia8mc")
    quick = dict(n_points=2000, n_iterations=3, n_warmup=1)
    opts = dict(multiplicities=(1,), integration=quick, generation=dict(quick, pilot_points=2000, batch_size=2000),
                progress=False)
    train, test = generate_zjets_dataset(tmp_path / "a", 40, **opts)
    a, b = ZJetsEvents.load(train), ZJetsEvents.load(test)
    assert 0 < len(a) + len(b) <= 40 and abs(len(a) - len(b)) <= 1
    assert a.attrs["merging"].startswith("none") and sum(a.attrs["jet_counts"].values()) == len(a) + len(b)
    assert (a.particles[:, 2, 0] > 20.0).all() and (a.particles[:, 0, 0] >= a.particles[:, 1, 0]).all()
    np.testing.assert_allclose(a.weight, a.attrs["sigma_pb"]["1"] / 40)
    again, _ = generate_zjets_dataset(tmp_path / "b", 40, **opts)
    np.testing.assert_array_equal(ZJetsEvents.load(again).particles, a.particles)
    with pytest.raises(ValueError, match="other settings .n_events"):
        generate_zjets_dataset(tmp_path / "b", 50, **opts)
