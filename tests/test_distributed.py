"""Integration and event generation on a Dask cluster (two local worker processes): the
same numbers and events as one process for the same seed, a killed worker costs nothing,
a killed client resumes without running finished batches again."""

import os
import pickle
import signal
import threading
import time

import h5py
import numpy as np
import pytest

import numhep
from numhep.amplitudes import compiled_process, program_cache
from numhep.cli import main
from numhep.events import files as event_files
from numhep.integration import task_runners

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    c = task_runners.local_client(2)
    yield c
    cluster = c.cluster
    c.close()
    cluster.close()


def _record_submissions(monkeypatch) -> list:
    """The keys of the tasks the client submits from now on (a task's own key names its stored result)."""
    submitted = []
    submit = distributed.Client.submit

    def recording_submit(self, fn, *args, **kwargs):
        submitted.append(args[0])
        return submit(self, fn, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "submit", recording_submit)
    return submitted


def _events(path):
    return path.read_text().split("</init>")[1]


def test_vegas_on_two_workers_gives_the_numbers_of_one_process(client):
    f = numhep.integrand("e+ e- > mu+ mu-", 91.188)
    opts = dict(n_points=6000, n_iterations=4, n_warmup=1, seed=3, batch_size=1000)
    here = numhep.vegas_integrate(f, numhep.VegasGrid(f.dim), **opts)
    there = numhep.vegas_integrate(f, numhep.VegasGrid(f.dim), client=client, **opts)
    assert there.iterations == here.iterations and there.n_evaluations == here.n_evaluations
    g = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    here = numhep.integrate(integrand=g, n_points=3000, n_iterations=3, seed=2, batch_size=500)
    there = numhep.integrate(integrand=g, n_points=3000, n_iterations=3, seed=2, batch_size=500, client=client)
    assert there.iterations == here.iterations and there.channels == here.channels
    assert abs(there.mean - 0.0517) < 5 * there.sdev  # sigma of e+e- -> u u~ g, y_cut = 0.01, at 1 TeV


def test_events_on_two_workers_are_those_of_one_process_even_when_a_worker_is_killed(client, tmp_path):
    opts = dict(n_events=2500, n_points=3000, n_iterations=3, n_warmup=1, pilot_points=4000, batch_size=1000,
                progress=False, seed=4, channel="diagrams", cuts={"ycut": 0.01})
    ref = numhep.generate("e+ e- > u u~ g", 1000.0, lhe=tmp_path / "ref.lhe", hdf5=tmp_path / "ref.h5", **opts)
    pids = list(client.run(os.getpid).values())
    lhe = tmp_path / "dask.lhe"
    killed = []

    def kill_one_worker_once_events_run():
        deadline = time.time() + 60
        while time.time() < deadline and not any(tmp_path.glob("dask.lhe.parts-*")):
            time.sleep(0.005)
        os.kill(pids[0], signal.SIGKILL)
        killed.append(pids[0])

    watcher = threading.Thread(target=kill_one_worker_once_events_run)
    watcher.start()
    res = numhep.generate("e+ e- > u u~ g", 1000.0, lhe=lhe, hdf5=tmp_path / "dask.h5", client=client, **opts)
    watcher.join()
    assert killed and pids[0] not in client.run(os.getpid).values()  # the nanny started a new worker
    assert res.n_events == 2500 and res.sigma == ref.sigma and res.n_trials == ref.n_trials
    assert _events(lhe) == _events(tmp_path / "ref.lhe")  # every event once, in the same order
    with h5py.File(tmp_path / "dask.h5") as a, h5py.File(tmp_path / "ref.h5") as b:
        for name in ("momenta", "weight", "channel", "u"):
            np.testing.assert_array_equal(a[name][:], b[name][:])
    assert not list(tmp_path.glob("dask.lhe.*"))  # merged: no part files or state left


def test_a_killed_client_resumes_without_running_finished_batches(client, tmp_path, monkeypatch):
    opts = dict(n_events=1500, n_points=2000, n_iterations=2, n_warmup=1, pilot_points=2000, batch_size=200,
                progress=False, seed=6)
    numhep.generate("e+ e- > mu+ mu-", 91.188, lhe=tmp_path / "ref.lhe", **opts)
    lhe = tmp_path / "cut.lhe"
    original = event_files.LHEWriter.write
    calls = {"n": 0}

    def dying_write(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(event_files.LHEWriter, "write", dying_write)
    with pytest.raises(KeyboardInterrupt):
        numhep.generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, client=client, **opts)
    monkeypatch.setattr(event_files.LHEWriter, "write", original)
    time.sleep(0.5)  # batches that were running when the client died finish on the workers
    finished = {p.stem for p in tmp_path.glob("cut.lhe.parts-*/*.npz")}
    submitted = _record_submissions(monkeypatch)
    numhep.generate("e+ e- > mu+ mu-", 91.188, lhe=lhe, client=client, **opts)
    assert not finished & set(submitted), "a batch finished before the kill ran again"
    assert submitted and _events(lhe) == _events(tmp_path / "ref.lhe")


def test_stored_task_results_are_read_not_recomputed(client, tmp_path, monkeypatch):
    runner = task_runners.runner_for(client)

    def square(offset, k):
        return {"value": np.array(float(k * k + offset))}

    keys = [f"sq-{k}" for k in range(6)]
    first = runner.map(square, (10,), [(k,) for k in range(6)], keys, store=tmp_path)
    assert [float(r["value"]) for r in first] == [10.0 + k * k for k in range(6)]
    (tmp_path / "sq-2.npz").unlink()
    submitted = _record_submissions(monkeypatch)
    again = runner.map(square, (10,), [(k,) for k in range(6)], keys, store=tmp_path)
    assert submitted == ["sq-2"] and [float(r["value"]) for r in again] == [10.0 + k * k for k in range(6)]


def test_tasks_whose_shared_objects_were_lost_are_rerun_with_a_new_copy(client, monkeypatch):
    """A worker that held the only copy of a scattered object dies (or one joins after the
    broadcast): the tasks that needed it come back cancelled, and are submitted again."""
    runner = task_runners.DaskRunner(client)
    shared = numhep.process("e+ e- > mu+ mu-")
    p, _ = numhep.rambo(4, sqrt_s=500.0, masses=shared.masses, seed=1)

    def value(proc, k):
        time.sleep(0.1)
        return {"value": numhep.me(p, proc)[k % 4]}

    stream = runner.imap(value, (shared,), [(k,) for k in range(8)], [f"lost-{k}" for k in range(8)], window=4)
    out = [next(stream)]
    scatters = []
    scatter = distributed.Client.scatter
    monkeypatch.setattr(distributed.Client, "scatter", lambda self, *a, **k: scatters.append(1) or scatter(self, *a, **k))
    client.cancel([runner._scattered[id(shared)][1]], force=True)
    out += list(stream)
    np.testing.assert_array_equal([float(r["value"]) for r in out], numhep.me(p, shared)[np.arange(8) % 4])
    assert len(scatters) == 1  # one new copy serves every task that lost the old one


def test_a_compiled_process_travels_with_its_program(monkeypatch):
    proc = numhep.process("e+ e- > u u~ g")
    blob = pickle.dumps(proc)

    def no_compiling(*args, **kwargs):
        raise AssertionError("the receiving side compiled or read the disk cache")

    # a fresh interpreter: no process in memory, and neither the compiler nor the disk cache may run
    monkeypatch.setattr(compiled_process, "_CACHE", {})
    monkeypatch.setattr(program_cache, "load", no_compiling)
    monkeypatch.setattr(compiled_process.CompiledProcess, "_build", no_compiling)
    received = pickle.loads(blob)
    assert received is not proc
    p, _ = numhep.rambo(8, sqrt_s=1000.0, masses=proc.masses, seed=3)
    np.testing.assert_array_equal(numhep.me(p, received), numhep.me(p, proc))


def test_cli_on_a_local_cluster_prints_the_numbers_of_one_process(capsys):
    args = ["integrate", "e+ e- > mu+ mu-", "--sqrt-s", "91.188", "--points", "2000", "--iterations", "3", "--quiet"]
    assert main(args) == 0
    alone = capsys.readouterr().out
    assert main([*args, "--workers", "2"]) == 0
    on_cluster = capsys.readouterr().out
    sigma = lambda out: next(line for line in out.splitlines() if "sigma" in line)  # noqa: E731
    assert sigma(on_cluster) == sigma(alone)
    assert main([*args, "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "give one" in capsys.readouterr().err


def test_without_dask_the_error_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"numhep\[distributed\]"):
        task_runners.local_client(2)
    assert isinstance(task_runners.runner_for(None), task_runners.LocalRunner)


def test_numheps_madnis_sampler_draws_the_same_events_on_the_workers(client, tmp_path):
    pytest.importorskip("madnis")
    opts = dict(n_events=300, batch_size=100, pilot_points=2000, n_points=1024, n_iterations=3, progress=False,
                seed=5, sampler="madnis")
    here = numhep.generate("e+ e- > mu+ mu-", 91.188, lhe=tmp_path / "here.lhe", **opts)
    there = numhep.generate("e+ e- > mu+ mu-", 91.188, lhe=tmp_path / "there.lhe", client=client, **opts)
    assert there.sigma == here.sigma and _events(tmp_path / "there.lhe") == _events(tmp_path / "here.lhe")
