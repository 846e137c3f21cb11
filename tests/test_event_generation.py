"""Unweighting, event files (LHE read by pylhe and showered by Pythia 8, HDF5), resuming."""

import sys
from contextlib import contextmanager

import h5py
import numpy as np
import pytest

import numhep
from numhep.events import files as event_files
from numhep.amplitudes.colour_flow import colour_flows
from numhep.events.generation import generate, unweight
from numhep.integration.metrics import max_weight

@contextmanager
def killed_at_write(monkeypatch, writer, call: int):
    """Run the block as a generation killed during the ``call``-th write of ``writer``'s files
    (a KeyboardInterrupt there, expected here); the writer works again afterwards."""
    original = writer.write
    calls = {"n": 0}

    def dying_write(self, *args, **columns):
        calls["n"] += 1
        if calls["n"] == call:
            raise KeyboardInterrupt
        return original(self, *args, **columns)

    monkeypatch.setattr(writer, "write", dying_write)
    with pytest.raises(KeyboardInterrupt):
        yield
    monkeypatch.setattr(writer, "write", original)


SMALL = dict(n_points=4000, n_iterations=4, n_warmup=1, pilot_points=20000, batch_size=2000, progress=False)


def test_unweighting_reproduces_the_density_and_the_mean():
    rng = np.random.default_rng(5)
    x = rng.random(400_000)
    w = 2.0 * x  # density 2x on [0, 1]
    w_max = max_weight(w, replicas=20)
    assert 1.99 < w_max <= 2.0
    w_spiked = w.copy()
    w_spiked[17] = 1e6  # a single outlier does not set w_max
    assert max_weight(w_spiked, replicas=20) < 2.0 + 1e-12
    accept, kept = unweight(w, w_max, rng)
    assert abs(accept.mean() - w.mean() / w_max) < 0.005  # efficiency <w>/w_max
    hist, _ = np.histogram(x[accept], bins=10, range=(0, 1), density=True)
    np.testing.assert_allclose(hist, 2 * (np.arange(10) + 0.5) / 10, rtol=0.03)
    # accepted weights max(w, w_max) times the acceptance have the mean of w
    assert abs(kept[accept].sum() / x.size / w.mean() - 1) < 0.01


def test_colour_flows_conserve_colour():
    rng = np.random.default_rng(2)
    for legs in [(21, 21, 6, -6), (2, -2, 6, -6), (21, 2, 2, 21, 21), (-11, 11, 2, -2, 21, 21)]:
        flows = colour_flows(legs, 20, rng)
        for ev in flows:
            # crossing the incoming legs, every tag is once a colour and once an anticolour
            col = list(ev[2:, 0]) + list(ev[:2, 1])
            acol = list(ev[2:, 1]) + list(ev[:2, 0])
            tags = [t for t in col if t]
            assert sorted(tags) == sorted(t for t in acol if t) and len(set(tags)) == len(tags)


def test_generated_events_files_and_shower(tmp_path):
    pylhe = pytest.importorskip("pylhe")
    lhe, h5 = tmp_path / "tt.lhe", tmp_path / "tt.h5"
    res = generate("p p > t t~", 13000.0, n_events=300, lhe=lhe, hdf5=h5, **SMALL)
    assert res.n_events == 300 and 0.05 < res.efficiency <= 1.0
    assert abs(sum(res.subprocess_sigma.values()) / res.sigma - 1) < 0.05
    events = list(pylhe.LHEFile.fromfile(str(lhe)).events)
    assert len(events) == 300
    with h5py.File(h5) as f:
        p, w, pdg = f["momenta"][:], f["weight"][:], f["pdg"][:]
        assert p.shape == (300, 4, 4) and set(f.attrs) >= {"process", "sigma_pb"}
    np.testing.assert_allclose(p[:, :2].sum(1), p[:, 2:].sum(1), rtol=1e-10, atol=1e-8)
    m2 = p[:, 2:, 0] ** 2 - (p[:, 2:, 1:] ** 2).sum(-1)
    np.testing.assert_allclose(np.sqrt(m2), 173.0, rtol=1e-9)
    assert abs(w.mean() / res.sigma - 1) < 0.1  # mean event weight estimates sigma
    assert np.all(pdg[:, 2:] == [6, -6])
    lhe_p = np.array([[[q.px, q.py, q.pz, q.e] for q in ev.particles] for ev in events[:5]])
    np.testing.assert_allclose(lhe_p[..., [3, 0, 1, 2]], p[:5], rtol=1e-10, atol=1e-9)
    pythia8mc = pytest.importorskip("pythia8mc")
    py = pythia8mc.Pythia("", False)
    for s in ["Beams:frameType = 4", f"Beams:LHEF = {lhe}", "HadronLevel:all = off", "Print:quiet = on"]:
        py.readString(s)
    assert py.init()
    showered = sum(bool(py.next()) for _ in range(20))
    assert showered == 20 and py.event.size() > 20
    # the distributions plot reads the same events back: tops on shell, same momenta as HDF5
    from numhep.events.plots import lhe_final_states, plot_distributions

    q, pdgs, wq = lhe_final_states(lhe)
    assert list(pdgs) == [6, -6] and q.shape == (300, 2, 4)
    np.testing.assert_allclose(q, p[:, 2:], rtol=1e-10, atol=1e-8)
    np.testing.assert_allclose(wq, w, rtol=1e-6)
    png = plot_distributions(lhe, tmp_path / "tt.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


@pytest.mark.parametrize("channel", [None, "diagrams"])
def test_generation_resumes_without_loss_or_duplicates(tmp_path, monkeypatch, channel):
    opts = {**SMALL, "n_events": 600, "batch_size": 150, "channel": channel}
    ref_lhe, ref_h5 = tmp_path / "ref.lhe", tmp_path / "ref.h5"
    generate("e+ e- > mu+ mu-", 91.188, lhe=ref_lhe, hdf5=ref_h5, **opts)
    lhe, h5 = tmp_path / "cut.lhe", tmp_path / "cut.h5"
    # killed after the LHE got batch 2 but before HDF5 did
    with killed_at_write(monkeypatch, event_files.HDF5Writer, 2):
        generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, hdf5=h5, **opts)
    assert 0 < event_files.count_lhe_events(lhe) < 600
    generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, hdf5=h5, **opts)
    events = lambda path: path.read_text().split("</init>")[1]  # noqa: E731
    assert events(lhe) == events(ref_lhe)
    with h5py.File(h5) as a, h5py.File(ref_h5) as b:
        np.testing.assert_array_equal(a["momenta"][:], b["momenta"][:])
        np.testing.assert_array_equal(a["weight"][:], b["weight"][:])
        np.testing.assert_array_equal(a["channel"][:], b["channel"][:])


def test_generation_resumes_an_lhe_only_run(tmp_path, monkeypatch):
    opts = {**SMALL, "n_events": 600, "batch_size": 150}
    ref = tmp_path / "ref.lhe"
    generate("e+ e- > mu+ mu-", 91.188, lhe=ref, **opts)
    lhe = tmp_path / "cut.lhe"
    with killed_at_write(monkeypatch, event_files.LHEWriter, 3):
        generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, **opts)
    generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, **opts)
    assert lhe.read_text().split("</init>")[1] == ref.read_text().split("</init>")[1]


def test_multichannel_drell_yan_events_follow_the_quadrature(tmp_path):
    """Events drawn channel by channel (N_c ~ sigma_c) have the m_ll shape of the analytic
    cross section, and each HDF5 row's (u, channel) reproduces its momenta."""
    from test_integrand import drell_yan_quadrature

    cuts = {"mmll": 60.0, "mmllmax": 120.0}
    f = numhep.integrand("p p > e+ e-", 13000.0, cuts=cuts, scale=91.188, channel="diagrams")
    h5 = tmp_path / "dy.h5"
    opts = {**SMALL, "batch_size": 5000}
    res = generate(None, n_events=3000, lhe=tmp_path / "dy.lhe", hdf5=h5, integrand=f, **opts)
    assert set(res.channel_sigma) == {"s12(0)", "s12(91.188)"}
    with h5py.File(h5) as fh:
        p, w, u, channel = fh["momenta"][:], fh["weight"][:], fh["u"][:], fh["channel"][:]
        assert list(fh.attrs["channels"]) == ["s12(0)", "s12(91.188)"]
    assert set(channel) == {0, 1} and (channel == 1).mean() > 0.8  # the Z channel
    assert abs(w.mean() / res.sigma - 1) < 0.02
    again = f.evaluate(u[:50], channel[:50])
    np.testing.assert_allclose(again.momenta, p[:50], rtol=1e-12, atol=1e-9)
    q = p[:, 2] + p[:, 3]
    mll = np.sqrt(q[:, 0] ** 2 - (q[:, 1:] ** 2).sum(-1))
    v = numhep.model("sm").parameters()
    edges = [60.0, 85.0, 88.0, 91.0, 94.0, 97.0, 120.0]
    ref = np.array([drell_yan_quadrature(f.pdf, 13000.0, a, b, 91.188, v, nodes=60) for a, b in zip(edges, edges[1:])])
    counts, _ = np.histogram(mll, bins=edges)
    share = ref / ref.sum()
    np.testing.assert_array_less(np.abs(counts - share * len(mll)), 4 * np.sqrt(share * len(mll)) + 1)


def test_multichannel_events_treat_identical_gluons_alike(tmp_path):
    """Each event's channel is drawn among all channels of its group, not only the group's
    representative: the two gluons of e+ e- -> u u~ g g are equally often the one nearer the quark."""
    res = generate("e+ e- > u u~ g g", 1000.0, n_events=2000, lhe=tmp_path / "u.lhe", hdf5=tmp_path / "u.h5",
                   cuts={"ycut": 0.01}, channel="diagrams", **{**SMALL, "n_points": 8000, "batch_size": 5000})
    with h5py.File(tmp_path / "u.h5") as fh:
        p, channel = fh["momenta"][:], fh["channel"][:]
    f = numhep.integrand("e+ e- > u u~ g g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    members = {c for c in range(f.n_channels) if c not in f.representatives}
    assert members & set(channel)  # events from the permuted channels, too
    s_13 = p[:, 2, 0] * p[:, 4, 0] - (p[:, 2, 1:] * p[:, 4, 1:]).sum(-1)
    s_14 = p[:, 2, 0] * p[:, 5, 0] - (p[:, 2, 1:] * p[:, 5, 1:]).sum(-1)
    assert abs((s_13 < s_14).mean() - 0.5) < 4 * 0.5 / np.sqrt(len(p))
    flat = generate("e+ e- > u u~ g g", 1000.0, n_events=10, lhe=tmp_path / "flat.lhe", cuts={"ycut": 0.01},
                    **{**SMALL, "n_points": 8000})
    assert abs(res.sigma - flat.sigma) < 3 * np.hypot(res.error, flat.error)


def test_plots_without_the_plots_extra_name_it(monkeypatch, tmp_path):
    # matplotlib, mplhep and pylhe are the plots extra: without them the error says how to get them
    from numhep.events.plots import lhe_final_states, plot_distributions

    monkeypatch.setitem(sys.modules, "mplhep", None)
    with pytest.raises(ImportError, match=r"pip install 'numhep\[plots\]'"):
        plot_distributions(np.zeros((2, 2, 4)), tmp_path / "x.png", pdgs=[11, -11])
    monkeypatch.setitem(sys.modules, "pylhe", None)
    with pytest.raises(ImportError, match=r"numhep\[plots\]"):
        lhe_final_states(tmp_path / "missing.lhe")


def _beta_sampler(rng, n):
    """Points from a product of Beta(2, 2) densities: not flat, so the weights f/g matter."""
    u = rng.beta(2.0, 2.0, size=(n, 2))
    return u, np.prod(6.0 * u * (1.0 - u), axis=1)


def test_events_from_an_external_sampler_resume_and_follow_the_integral(tmp_path, monkeypatch):
    f = numhep.integrand("e+ e- > mu+ mu-", 91.188)
    exact = numhep.vegas_integrate(f, numhep.VegasGrid(f.dim), n_points=20000, n_iterations=6, n_warmup=2, seed=4)
    opts = dict(n_events=600, batch_size=150, pilot_points=20000, progress=False, seed=3, sampler=_beta_sampler)
    ref = generate("e+ e- > mu+ mu-", 91.188, lhe=tmp_path / "ref.lhe", hdf5=tmp_path / "ref.h5", **opts)
    assert abs(ref.sigma - exact.mean) < 4 * np.hypot(ref.error, exact.sdev)
    with h5py.File(tmp_path / "ref.h5") as h5:
        cos = h5["momenta"][:, 2, 3] / h5["momenta"][:, 2, 0]
    # the forward-backward asymmetry of e+e- -> mu+mu- at the Z pole is small, the
    # distribution 1 + cos^2: its second moment is 2/5
    assert abs(np.mean(cos**2) - 0.4) < 0.05
    lhe = tmp_path / "cut.lhe"
    with killed_at_write(monkeypatch, event_files.LHEWriter, 2):
        generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, **opts)
    generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, **opts)
    assert lhe.read_text().split("</init>")[1] == (tmp_path / "ref.lhe").read_text().split("</init>")[1]


def test_events_from_vegas_and_madnis_integrators(tmp_path):
    vegas = pytest.importorskip("vegas")
    f = numhep.integrand("e+ e- > mu+ mu-", 91.188)
    integ = vegas.Integrator(f.dim * [[0, 1]])
    integ(vegas.batchintegrand(lambda x: np.ascontiguousarray(f(x))), nitn=5, neval=4000)
    own_generator = integ.ran_array_generator
    res = generate("e+ e- > mu+ mu-", 91.188, n_events=200, lhe=tmp_path / "v.lhe", pilot_points=8000,
                   progress=False, sampler=integ)
    assert integ.ran_array_generator is own_generator  # the user's integrator is handed back as it was
    exact = numhep.vegas_integrate(f, numhep.VegasGrid(f.dim), n_points=20000, n_iterations=6, n_warmup=2, seed=4)
    assert res.n_events == 200 and abs(res.sigma - exact.mean) < 4 * np.hypot(res.error, exact.sdev)
    madnis = pytest.importorskip("madnis.integrator")
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    flow = madnis.Integrator(f, dims=f.dim)
    flow.train(10)
    res = generate("e+ e- > mu+ mu-", 91.188, n_events=200, lhe=tmp_path / "m.lhe", pilot_points=4000,
                   progress=False, sampler=flow)
    assert res.n_events == 200 and abs(res.sigma - exact.mean) < 4 * np.hypot(res.error, exact.sdev)


def test_a_resume_with_other_settings_is_refused_and_a_short_file_is_refilled(tmp_path, monkeypatch):
    opts = {**SMALL, "n_events": 450, "batch_size": 150}
    ref = tmp_path / "ref.lhe"
    generate("e+ e- > mu+ mu-", 91.188, lhe=ref, **opts)
    lhe = tmp_path / "cut.lhe"
    with killed_at_write(monkeypatch, event_files.LHEWriter, 3):
        generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, **opts)
    for change, named in (({"n_events": 300}, "n_events"), ({"seed": 9}, "seed"),
                          ({"hdf5": tmp_path / "late.h5"}, "hdf5")):
        with pytest.raises(ValueError, match=f"different run.*{named}"):
            generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, **{**opts, **change})
    with pytest.raises(ValueError, match="different run.*process"):
        generate("e+ e- > e+ e-", 91.188, lhe=lhe, **opts)
    with pytest.raises(ValueError, match="different run.*sqrt_s"):
        generate("e+ e- > mu+ mu-", 91.0, lhe=lhe, **opts)
    with pytest.raises(ValueError, match="different run.*cuts"):
        generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, cuts={"ptl": 5.0}, **opts)
    # cut the file back into its first batch: the resume refills it from the start
    text = lhe.read_text()
    head, events = text.split("</init>")
    lhe.write_text(head + "</init>" + "</event>".join(events.split("</event>")[:100]) + "</event>\n")
    assert event_files.count_lhe_events(lhe) == 100
    generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, **opts)
    assert lhe.read_text().split("</init>")[1] == ref.read_text().split("</init>")[1]


def test_events_from_numheps_madnis_trained_here(tmp_path, monkeypatch):
    pytest.importorskip("madnis")
    opts = dict(n_events=300, batch_size=100, pilot_points=4000, n_points=1024, n_iterations=4, progress=False,
                seed=5, sampler="madnis")
    ref = generate("e+ e- > mu+ mu-", 91.188, lhe=tmp_path / "ref.lhe", **opts)
    assert (tmp_path / "ref.lhe.madnis.pt").exists()  # the trained flow stays beside the events
    # training (4 x 1024) + pilot + trials: each point is evaluated once
    assert ref.integrand_calls == 4 * 1024 + 4000 + ref.n_trials
    exact = numhep.vegas_integrate(numhep.integrand("e+ e- > mu+ mu-", 91.188), numhep.VegasGrid(2),
                                   n_points=20000, n_iterations=6, n_warmup=2, seed=4)
    assert abs(ref.sigma - exact.mean) < 4 * np.hypot(ref.error, exact.sdev)
    lhe = tmp_path / "cut.lhe"
    with killed_at_write(monkeypatch, event_files.LHEWriter, 2):
        generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, **opts)
    generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, **opts)
    assert lhe.read_text().split("</init>")[1] == (tmp_path / "ref.lhe").read_text().split("</init>")[1]


def test_events_from_numheps_madnis_on_diagram_channels(tmp_path):
    """sampler="madnis" on the diagram channels: learned channel weights weigh the events, and
    sigma agrees with multi-channel VEGAS."""
    pytest.importorskip("madnis")
    opts = dict(n_events=200, batch_size=2000, pilot_points=6000, n_points=1024, n_iterations=6, progress=False,
                seed=3, sampler="madnis", cuts={"ycut": 0.01}, channel="diagrams")
    res = generate("e+ e- > u u~ g", 1000.0, lhe=tmp_path / "ch.lhe", hdf5=tmp_path / "ch.h5", **opts)
    assert res.n_events == 200
    with h5py.File(tmp_path / "ch.h5") as h5:
        assert set(np.unique(h5["channel"][:])) <= set(range(4)) and len(np.unique(h5["channel"][:])) > 1
        assert np.allclose(h5["weight"][:].mean(), res.sigma, rtol=0.2)
    f = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    exact = f.multichannel_vegas(n_points=20000, n_iterations=6, seed=2)
    assert abs(res.sigma - exact.mean) < 4 * np.hypot(res.error, exact.sdev)
    assert sum(res.subprocess_sigma.values()) == pytest.approx(res.sigma, rel=0.1)


def test_an_unknown_sampler_name_is_named():
    with pytest.raises(ValueError, match="unknown sampler 'madnes'.*Did you mean: madnis"):
        generate("e+ e- > mu+ mu-", 91.188, sampler="madnes", progress=False)


def test_a_sigkilled_generation_resumes_to_identical_files(tmp_path):
    """A real SIGKILL (no cleanup runs) at two points of the event loop: rerunning the same
    command gives byte-identical LHE files and the same HDF5 rows as an uninterrupted run."""
    import signal
    import subprocess
    import sys
    import time

    args = ["generate", "e+ e- > u u~ g", "--sqrt-s", "1000", "--cut", "ycut=0.01", "--channels", "diagrams",
            "-n", "6000", "--points", "2000", "--iterations", "4", "--warmup", "1", "--quiet"]

    def run(name):
        return [sys.executable, "-m", "numhep", *args, "-o", str(tmp_path / f"{name}.lhe"),
                "--hdf5", str(tmp_path / f"{name}.h5")]

    subprocess.run(run("ref"), check=True, capture_output=True, cwd=tmp_path)
    lhe = tmp_path / "cut.lhe"
    cut_at = []
    for at_events in (300, 2500):
        proc = subprocess.Popen(run("cut"), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            if lhe.exists() and event_files.count_lhe_events(lhe) >= at_events:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        cut_at.append(event_files.count_lhe_events(lhe) if lhe.exists() else 0)
    assert all(0 < n < 6000 for n in cut_at), cut_at  # both kills landed inside the event loop
    subprocess.run(run("cut"), check=True, capture_output=True, cwd=tmp_path)
    assert lhe.read_text().split("</init>")[1] == (tmp_path / "ref.lhe").read_text().split("</init>")[1]
    with h5py.File(tmp_path / "cut.h5") as a, h5py.File(tmp_path / "ref.h5") as b:
        for name in ("momenta", "weight", "channel"):
            np.testing.assert_array_equal(a[name][:], b[name][:])
    assert not list(tmp_path.glob("cut.lhe.*"))  # finished: no state left


def test_a_resume_refuses_another_pdf_member(tmp_path, monkeypatch):
    opts = {**SMALL, "n_events": 200, "batch_size": 100, "cuts": {"mmll": 60.0}}
    lhe = tmp_path / "dy.lhe"
    with killed_at_write(monkeypatch, event_files.LHEWriter, 2):
        generate("p p > e+ e-", 13000.0, lhe=lhe, **opts)
    with pytest.raises(ValueError, match="different run.*pdf"):
        generate("p p > e+ e-", 13000.0, lhe=lhe, pdf=("NNPDF31_lo_as_0118", 1), **opts)


@pytest.mark.parametrize("damage", ["LHE cut inside an event", "HDF5 shorter than the LHE", "HDF5 unreadable"])
def test_a_damaged_event_file_is_reconciled_without_loss_or_duplicates(tmp_path, monkeypatch, damage):
    opts = {**SMALL, "n_events": 450, "batch_size": 150}
    ref, ref_h5 = tmp_path / "ref.lhe", tmp_path / "ref.h5"
    generate("e+ e- > mu+ mu-", 91.188, lhe=ref, hdf5=ref_h5, **opts)
    lhe, h5 = tmp_path / "run.lhe", tmp_path / "run.h5"
    with killed_at_write(monkeypatch, event_files.LHEWriter, 3):
        generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, hdf5=h5, **opts)
    if damage == "LHE cut inside an event":
        text = lhe.read_text()
        lhe.write_text(text[: text.rindex("</event>") - 40])
    elif damage == "HDF5 shorter than the LHE":
        with h5py.File(h5, "a") as f:
            for name in ("weight", "u"):  # a write killed between two columns
                f[name].resize(f[name].shape[0] - 7, axis=0)
    else:
        h5.write_bytes(h5.read_bytes()[:300])
    if damage == "HDF5 unreadable":
        with pytest.warns(RuntimeWarning, match="run.h5.*written again"):
            generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, hdf5=h5, **opts)
    else:
        generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, hdf5=h5, **opts)
    assert lhe.read_text().split("</init>")[1] == ref.read_text().split("</init>")[1]
    with h5py.File(h5) as got, h5py.File(ref_h5) as want:
        assert set(got) == set(want)
        for name in want:
            np.testing.assert_array_equal(got[name][:], want[name][:])


def test_a_new_run_never_overwrites_the_events_of_another(tmp_path):
    """A finished run's files at the paths of a run with other settings are kept as .1 (with a
    warning); the same run again rewrites them identically, with no warning."""
    import warnings

    opts = {**SMALL, "n_events": 200, "batch_size": 100}
    lhe, h5 = tmp_path / "z.lhe", tmp_path / "z.h5"
    generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, hdf5=h5, **opts)
    first = lhe.read_text()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, hdf5=h5, **opts)
    assert lhe.read_text() == first
    with pytest.warns(RuntimeWarning, match=r"another run.*z.lhe.1.*z.h5.1"):
        generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, hdf5=h5, **{**opts, "seed": 8})
    assert (tmp_path / "z.lhe.1").read_text() == first and (tmp_path / "z.h5.1").exists()
    assert lhe.read_text().split("</init>")[1] != first.split("</init>")[1]
