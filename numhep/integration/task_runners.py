"""Where the batches of a run are evaluated: in this process, or on a Dask cluster.

VEGAS iterations, the pilot sample and the event batches of :func:`numhep.generate` are cut
into tasks of at most ``batch_size`` points.  A task is a pure function of the run's shared
objects (the integrand, the frozen grids) and of its own arguments, and draws its random
numbers from its own stream,

    rng = numpy.random.default_rng(SeedSequence(entropy, spawn_key=(stage, i, j, ...))),

which is what ``SeedSequence(entropy).spawn`` hands out (NumPy's documented spawning: the
children of a sequence differ only in their ``spawn_key``).  The results are reduced in task
order, so a run gives the same numbers on one process and on any number of workers.

:class:`LocalRunner` evaluates the tasks one after the other here.  :class:`DaskRunner` sends them to a
``dask.distributed`` client: the shared objects are scattered to every worker once (an
integrand travels with its compiled amplitude programs as data, nothing is recompiled there),
a window of tasks is kept in flight, and results come back in task order.  A worker that dies
takes its running task with it; the scheduler gives it to another worker, and since the task
is pure the result is the same.  With ``store=directory`` every finished task also leaves its
result in ``directory/<key>.npz`` (written atomically by the worker that ran it, so the
directory must be on a file system the client sees); a run started again after the client
was killed reads those files instead of resubmitting the tasks.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError
from pathlib import Path

import numpy as np

from numhep.storage import save_arrays

__all__ = ["DaskRunner", "LocalRunner", "connect", "forget_results", "local_client", "new_entropy", "runner_for", "task_rng",
           "task_store"]


def task_rng(entropy: int, *key: int) -> np.random.Generator:
    """The random stream of the task ``key`` of a run seeded with ``entropy``."""
    return np.random.default_rng(np.random.SeedSequence(int(entropy), spawn_key=tuple(int(k) for k in key)))


def new_entropy(seed) -> int:
    """The entropy of a run: the seed itself, or fresh entropy for ``seed=None`` (which a
    checkpoint must then keep to resume the same streams)."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed: expected a non-negative integer or None, got {seed!r}")
    return int(seed)


def _load_result(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


class _Stored:
    """The task function with its result kept in ``store/<key>.npz``: a picklable callable
    (workers run it), so the worker that finishes a task is the one that writes its file."""

    def __init__(self, fn, store: Path | None):
        self.fn, self.store = fn, store

    def __call__(self, key, *args):
        result = self.fn(*args)
        if self.store is not None and self.store.is_dir():
            try:
                save_arrays(self.store / f"{key}.npz", **result)
            except FileNotFoundError:  # a task cancelled while running, its stage already forgotten
                pass
        return result


#: how often a task whose shared objects were lost is submitted again
_RESUBMISSIONS = 3
#: arrays up to this size travel inside each task instead of being scattered
_INLINE_BYTES = 256 * 1024


class LocalRunner:
    """Tasks evaluated here, one after the other (the run without a cluster)."""

    distributed = False
    workers = 1

    def imap(self, fn: Callable, shared: tuple, args: Iterable, keys: Iterable[str], store=None,
             window: int | None = None) -> Iterator[dict]:
        """``fn(*shared, *a)`` for every ``a`` in ``args``, in order, as dicts of arrays.
        A task whose file is in ``store`` is read instead of evaluated."""
        store = _prepare(store)
        run = _Stored(fn, store)
        for key, a in zip(keys, args):
            done = store / f"{key}.npz" if store is not None else None
            if done is not None and done.exists():
                yield _load_result(done)
            else:
                yield run(key, *shared, *a)

    def map(self, fn, shared, args, keys, store=None) -> list[dict]:
        return list(self.imap(fn, shared, args, keys, store))


class DaskRunner:
    """Tasks evaluated on the workers of a ``dask.distributed`` client."""

    distributed = True

    def __init__(self, client):
        self.client = client
        self._scattered = {}

    @property
    def workers(self) -> int:
        """Threads across the cluster's workers now (at least 1)."""
        return max(sum(self.client.nthreads().values()), 1)

    def imap(self, fn, shared, args, keys, store=None, window: int | None = None):
        """As :meth:`LocalRunner.imap`, with at most ``window`` tasks in flight (default: two
        per worker thread).  Tasks still in flight when the caller stops are cancelled."""
        from distributed import as_completed

        store = _prepare(store)
        run = _Stored(fn, store)
        remote = [self._remote(s) for s in shared]
        window = max(int(window or 2 * self.workers), 1)
        pending = zip(keys, args)
        tag = uuid.uuid4().hex[:12]
        results, in_flight = {}, {}
        completed = as_completed()
        state = {"submitted": 0, "exhausted": False, "scatter": 0}

        def top_up():
            while not state["exhausted"] and len(in_flight) + len(results) < window:
                try:
                    key, a = next(pending)
                except StopIteration:
                    state["exhausted"] = True
                    return
                index = state["submitted"]
                state["submitted"] += 1
                done = store / f"{key}.npz" if store is not None else None
                if done is not None and done.exists():
                    results[index] = _load_result(done)
                    continue
                submit(index, key, a)

        def submit(index, key, a, attempt=0):
            fut = self.client.submit(run, key, *remote, *a, key=f"numhep-{key}-{tag}-{attempt}", pure=False)
            in_flight[fut.key] = (index, fut, key, a, attempt, state["scatter"])
            completed.add(fut)

        next_out = 0
        try:
            top_up()
            while in_flight or results:
                if next_out in results:
                    out = results.pop(next_out)
                    next_out += 1
                    yield out
                    top_up()
                    continue
                fut = next(completed)
                index, _, key, a, attempt, scatter = in_flight.pop(fut.key)
                try:
                    results[index] = fut.result()
                except CancelledError:
                    # the shared objects were lost (their holders died, or a worker joined after
                    # the broadcast and then held the only copy): scatter them again, once for
                    # all the tasks that lost that copy, and rerun
                    if attempt >= _RESUBMISSIONS:
                        raise
                    if scatter == state["scatter"]:
                        for s in shared:
                            self._scattered.pop(id(s), None)
                        remote[:] = [self._remote(s) for s in shared]
                        state["scatter"] += 1
                    submit(index, key, a, attempt + 1)
                    continue
                fut.release()
        finally:
            if in_flight:
                self.client.cancel([entry[1] for entry in in_flight.values()])
            for s, r in zip(shared, remote):
                if isinstance(s, np.ndarray) and r is not s:
                    r.release()

    def _remote(self, obj):
        """``obj`` on every worker: small arrays travel inside each task, larger ones are
        scattered for the call, anything else (an integrand, a sampler) once per runner; the
        runner keeps ``obj`` alive while it holds its copy."""
        if isinstance(obj, np.ndarray):
            # a scatter is a round trip to every worker: for a grid's edges, dearer than the bytes
            return obj if obj.nbytes <= _INLINE_BYTES else self.client.scatter(obj, broadcast=True, hash=False)
        held = self._scattered.get(id(obj))
        if held is None:
            held = self._scattered[id(obj)] = (obj, self.client.scatter(obj, broadcast=True, hash=False))
        return held[1]

    def map(self, fn, shared, args, keys, store=None) -> list[dict]:
        args = list(args)
        return list(self.imap(fn, shared, args, keys, store, window=max(len(args), 1)))


def task_store(checkpoint) -> Path | None:
    """Where the finished tasks of a checkpointed run's current stage wait: ``<checkpoint>.tasks``."""
    return Path(f"{checkpoint}.tasks") if checkpoint is not None else None


def forget_results(store: Path | None) -> None:
    """Drop the stored tasks of a stage once the run's checkpoint holds the stage."""
    # a cancelled task may still be running on a worker and write its file meanwhile: remove
    # what is there until the directory is gone (such a task finds no directory to write to)
    for _ in range(5):
        if store is None or not store.is_dir():
            return
        shutil.rmtree(store, ignore_errors=True)


def _prepare(store) -> Path | None:
    if store is None:
        return None
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    return store


def local_client(workers: int):
    """A ``distributed.Client`` on a new ``LocalCluster`` of ``workers`` processes with one
    thread each; numba's own thread pool inside each worker is held to one thread too
    (``NUMBA_NUM_THREADS``), so that the workers do not oversubscribe the cores."""
    if workers < 1:
        raise ValueError(f"workers: expected at least 1, got {workers}")
    distributed = _distributed()
    cluster = distributed.LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                                       dashboard_address=":0", env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    return distributed.Client(cluster)


def connect(address: str):
    """A ``distributed.Client`` of the scheduler at ``address`` (``tcp://host:8786``)."""
    return _distributed().Client(address)


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ImportError("running on Dask needs dask.distributed: pip install 'numhep[distributed]'") from None
    return distributed


def runner_for(client=None):
    """A :class:`LocalRunner` for ``client=None``, else a :class:`DaskRunner` on ``client``
    (a ``distributed.Client``; ``pip install 'numhep[distributed]'``)."""
    if client is None:
        return LocalRunner()
    if isinstance(client, (LocalRunner, DaskRunner)):
        return client
    if not isinstance(client, _distributed().Client):
        raise TypeError(f"client: expected a distributed.Client, got {type(client).__name__}")
    return DaskRunner(client)
