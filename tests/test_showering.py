"""The showering hand-off: numhep's LHE events through Pythia 8, one showered event per LHE event."""

import warnings

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


def _edit_event(text, k, edit):
    """The LHE text with the particle lines of its k-th event (from 1) passed through edit(rows),
    rows as lists of fields (strings)."""
    blocks = text.split("<event>\n")
    lines = blocks[k].split("\n")
    n = int(lines[0].split()[0])
    rows = [line.split() for line in lines[1:1 + n]]
    edit(rows)
    lines[1:1 + n] = [" " + " ".join(r) for r in rows]
    blocks[k] = "\n".join(lines)
    return "<event>\n".join(blocks)


def _final(rows):
    return [r for r in rows if r[1] == "1"]


def _nan_momentum(rows):
    _final(rows)[0][6] = "nan"


def _unknown_pdg(rows):
    _final(rows)[0][0] = "9999999"


def _momentum_lost(rows):
    r = _final(rows)[0]
    r[6] = repr(float(r[6]) + 500.0)


def _open_colour(rows):
    parton = next(r for r in _final(rows) if r[4] != "0" or r[5] != "0")
    slot = 4 if parton[4] != "0" else 5
    parton[slot] = "777"


@pytest.mark.parametrize("edit, fault", [
    (_nan_momentum, "a momentum is not a finite number"),
    (_unknown_pdg, "PDG code 9999999 is unknown to Pythia"),
    (_momentum_lost, r"energy-momentum not conserved: incoming minus outgoing \(E, px, py, pz\) = \(0, -500,"),
    (_open_colour, "colour lines .*777.* do not close"),
])
def test_an_event_pythia_cannot_shower_comes_back_with_weight_zero_and_is_named(zj, tmp_path, edit, fault):
    bad = tmp_path / "bad.lhe"
    bad.write_text(_edit_event(zj[0].read_text(), 2, edit))
    good = list(shower(zj[0], hadronisation=False, progress=False))
    with pytest.warns(RuntimeWarning, match=rf"could not shower 1 of 6 events of {bad}.*\(event 2: {fault}"):
        events = list(shower(bad, hadronisation=False, progress=False))
    assert len(events) == 6
    assert events[1].weight == 0.0 and len(events[1].momenta) == 0 and len(events[1].hard_pid) == 3
    # the other events are showered, those after the bad one too (a "nan" once ended the run)
    for e, g in zip(events[:1] + events[2:], good[:1] + good[2:]):
        assert e.weight == g.weight > 0 and len(e.momenta) > 3
        np.testing.assert_allclose(e.momenta.sum(0), [SQRT_S, 0, 0, 0], rtol=0, atol=1e-6 * SQRT_S)
    np.testing.assert_array_equal(events[0].momenta, good[0].momenta)  # same seed, same first event


#: b d~ > t H u~ with t > b u d~ and H > a a, massless b: Pythia gives the b quarks their mass
#: and recomputes the incoming momenta, here by 0.15 GeV
REBALANCED_EVENT = """ 8 1 1.0000000000e+00 1.6418569983e+02 7.5467711140e-03 1.1800000000e-01
 5 -1 0 0 501 0 0.0 0.0 1.008263256132e+02 1.008263256132e+02 0.0 0 9
 -1 -1 0 0 0 501 0.0 0.0 -2.770083793449e+02 2.770083793449e+02 0.0 0 9
 5 1 1 2 502 0 2.734361306664e+01 -1.069840807218e+01 2.323101067407e+01 3.744073941251e+01 0.0 0 9
 2 1 1 2 601 0 -5.243794697099e+01 3.149606238081e+01 -2.561275893378e+01 6.631556113182e+01 0.0 0 9
 -1 1 1 2 0 601 -3.292278008428e+00 3.662246889477e+01 -1.015083481889e+02 1.079629060116e+02 0.0 0 9
 22 1 1 2 0 0 -4.046093593191e+01 8.506244165641e+00 -4.878724924113e+01 6.395028705805e+01 0.0 0 9
 22 1 1 2 0 0 6.412711233567e+01 -6.386758000375e+01 -2.860326467433e+01 9.491839159023e+01 0.0 0 9
 -2 1 1 2 0 502 4.720435509028e+00 -2.058787365290e+00 5.098556632417e+00 7.246819753818e+00 0.0 0 9
</event>
"""


def test_an_event_whose_incoming_momenta_pythia_recomputes_keeps_the_events_after_it(zj, tmp_path):
    """Pythia's hard record tells which LHE event it showered; one whose incoming momenta
    Pythia moved must neither be lost nor make every later event look unshowered."""
    blocks = zj[0].read_text().split("<event>\n")
    mixed = tmp_path / "mixed.lhe"
    mixed.write_text("<event>\n".join(blocks[:2] + [REBALANCED_EVENT] + blocks[2:]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        events = list(shower(mixed, hadronisation=False, progress=False))
    good = list(shower(zj[0], hadronisation=False, progress=False))
    assert len(events) == 7 and all(e.weight > 0 and len(e.momenta) > 3 for e in events)
    assert sorted(events[1].hard_pid.tolist()) == [-2, -1, 2, 5, 22, 22]
    for e, g in zip(events[:1] + events[2:], good):
        np.testing.assert_array_equal(e.hard_momenta, g.hard_momenta)


def test_a_block_that_is_no_les_houches_record_is_named(zj, tmp_path):
    text = zj[0].read_text()
    bad = tmp_path / "count.lhe"
    bad.write_text(text.replace("<event>\n 5 ", "<event>\n 7 ", 3).replace("<event>\n 7 ", "<event>\n 5 ", 2))
    with pytest.raises(ValueError, match=rf"{bad}, event 3 \(line \d+\): expected a particle line of 13 numbers "
                                         r"\(the event line declares 7 particles\), got '</event>'"):
        list(shower(bad, hadronisation=False, progress=False))
    bad = tmp_path / "word.lhe"
    bad.write_text(_edit_event(text, 4, lambda rows: rows[0].__setitem__(8, "abc")))
    with pytest.raises(ValueError, match=rf"{bad}, event 4 \(line \d+\): expected a particle line.*got '.* abc "):
        list(shower(bad, hadronisation=False, progress=False))


def test_a_file_that_ends_inside_an_event_is_showered_to_its_last_complete_event(zj, tmp_path):
    text = zj[0].read_text()
    cut = tmp_path / "cut.lhe"
    start = [i for i in range(len(text)) if text.startswith("<event>", i)][3]
    cut.write_text(text[:start + 60])  # inside the fourth event's event line or first particle
    with pytest.warns(RuntimeWarning, match=rf"{cut} ends inside event 4 .*its 3 complete events are showered"):
        events = list(shower(cut, seed=4, progress=False))
    full = list(shower(zj[0], n_events=3, seed=4, progress=False))
    assert len(events) == 3
    for e, f in zip(events, full):
        assert e.weight == f.weight > 0
        np.testing.assert_array_equal(e.momenta, f.momenta)


def test_a_path_with_blanks_reaches_pythia_whole(zj, tmp_path):
    # Pythia's readString keeps a word up to its first blank: "dir with blanks" once became "dir"
    spaced = tmp_path / "dir with blanks" / "z j.lhe"
    spaced.parent.mkdir()
    spaced.write_text(zj[0].read_text())
    for a, b in zip(shower(spaced, n_events=3, hadronisation=False, progress=False),
                    shower(zj[0], n_events=3, hadronisation=False, progress=False)):
        assert a.weight == b.weight > 0
        np.testing.assert_array_equal(a.momenta, b.momenta)


def test_pythia_settings_are_read_and_a_bad_one_is_named(zj, tmp_path):
    # without hadron decays the pi0s stay and no neutrino takes momentum away
    with_decays = list(shower(zj[0], n_events=3, progress=False))
    stable = list(shower(zj[0], n_events=3, settings=["HadronLevel:Decay = off"], progress=False))
    assert not any(111 in e.pid for e in with_decays) and all(111 in e.pid for e in stable)
    for e in stable:
        np.testing.assert_allclose(e.momenta.sum(0), [SQRT_S, 0, 0, 0], rtol=0, atol=1e-6 * SQRT_S)
    for setting in ("TimeShower:pTmin = -5", "Beams:noSuchSetting = 3"):
        with pytest.raises(ValueError, match=rf"Pythia rejected the setting '{setting}'"):
            list(shower(zj[0], settings=[setting], progress=False))
    with pytest.raises(ValueError, match="'Random:seed = 3' is set by shower's argument seed"):
        shower(zj[0], settings=["Random:seed = 3"])
    garbage = tmp_path / "notes.lhe"
    garbage.write_text("a shopping list, not events\n")
    with pytest.raises(RuntimeError, match=rf"Pythia failed to initialise on {garbage}: .*<init> block"):
        list(shower(garbage, progress=False))
