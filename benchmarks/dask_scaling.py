"""Throughput of integration and event generation on Dask against one process.

For 1 and 2 local worker processes (one thread each, numba held to one thread) and for the
same run without a cluster (the peer: one process, one thread): integrand calls per second
of a multi-channel VEGAS run, unweighted events per second of ``numhep.generate``, the
parallel efficiency (throughput / (workers x one process's)), that the numbers are the same
(sigma and the events' checksum), the scheduling overhead per task (an empty task), and the
batch size that keeps that overhead under 5 % of a batch's evaluation time.

    python benchmarks/dask_scaling.py [--process "u d~ > w+ w+ w-"] [--sqrt-s 1000] [--points 200000]
                                      [--events 20000] [--batch-size 10000] [--workers 1,2]
"""

import argparse
import hashlib
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # the peer: one process on one core

import numpy as np  # noqa: E402

import numhep  # noqa: E402
from numhep.integration.task_runners import local_client, runner_for  # noqa: E402


def _empty(_):
    return {"n": np.int64(0)}


def task_overhead(client, n=400) -> float:
    """Seconds of scheduling per task: n empty tasks through the runner, two per worker in flight."""
    runner = runner_for(client)
    list(runner.imap(_empty, (), [(k,) for k in range(20)], [f"warm-{k}" for k in range(20)]))
    t0 = time.perf_counter()
    list(runner.imap(_empty, (), [(k,) for k in range(n)], [f"empty-{k}" for k in range(n)]))
    return (time.perf_counter() - t0) / n * runner.workers


def one_run(f, args, client, workdir: Path, label: str):
    t0 = time.perf_counter()
    res = numhep.integrate(integrand=f, n_points=args.points, n_iterations=args.iterations, n_warmup=1, seed=1,
                           batch_size=args.batch_size, client=client)
    t_int = time.perf_counter() - t0
    lhe = workdir / f"{label}.lhe"
    t0 = time.perf_counter()
    gen = numhep.generate(None, integrand=f, n_events=args.events, lhe=lhe, n_points=args.points // 4,
                          n_iterations=4, n_warmup=1, pilot_points=args.batch_size * 2, batch_size=args.batch_size,
                          seed=1, progress=False, client=client)
    t_gen = time.perf_counter() - t0
    digest = hashlib.sha256(lhe.read_text().split("</init>")[1].encode()).hexdigest()[:12]
    return dict(calls_per_s=res.n_evaluations / t_int, events_per_s=gen.n_events / t_gen, sigma=res.mean,
                sdev=res.sdev, digest=digest, t_int=t_int, t_gen=t_gen, eval_per_point=t_int / res.n_evaluations)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--process", default="u d~ > w+ w+ w-")
    ap.add_argument("--sqrt-s", type=float, default=1000.0)
    ap.add_argument("--points", type=int, default=200_000)
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--workers", default="1,2")
    args = ap.parse_args()
    f = numhep.integrand(args.process, args.sqrt_s, pdf=None, channel="diagrams")
    print(f"{args.process} at {args.sqrt_s:g} GeV, {f.n_channels} diagram channels; multi-channel VEGAS "
          f"{args.iterations} x {args.points} calls, then {args.events} events; batches of {args.batch_size} points; "
          f"{os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        numhep.integrate(integrand=f, n_points=2000, n_iterations=1, n_warmup=0, batch_size=1000)  # compiled before timing
        peer = one_run(f, args, None, tmp, "alone")
        print(f"\n{'run':<22}{'calls/s':>12}{'events/s':>12}{'efficiency':>14}{'same numbers':>14}"
              f"{'s/task overhead':>18}")
        print(f"{'one process (peer)':<22}{peer['calls_per_s']:>12.4g}{peer['events_per_s']:>12.4g}{'1':>14}"
              f"{'-':>14}{'-':>18}")
        overheads = []
        for n in (int(w) for w in args.workers.split(",")):
            client = local_client(n)
            try:
                # the workers load numhep and its kernels once, before the clock runs
                numhep.integrate(integrand=f, n_points=2000, n_iterations=1, n_warmup=0, batch_size=1000, client=client)
                overhead = task_overhead(client)
                overheads.append(overhead)
                r = one_run(f, args, client, tmp, f"workers{n}")
            finally:
                cluster = client.cluster
                client.close()
                cluster.close()
            same = r["sigma"] == peer["sigma"] and r["digest"] == peer["digest"]
            eff = r["calls_per_s"] / (n * peer["calls_per_s"])
            print(f"{f'{n} worker(s)':<22}{r['calls_per_s']:>12.4g}{r['events_per_s']:>12.4g}"
                  f"{eff:>14.2f}{str(same):>14}{overhead * 1e3:>15.2f} ms", flush=True)
            print(f"{'':<22}speed-up against one process: integration {r['calls_per_s'] / peer['calls_per_s']:.2f}x, "
                  f"events {r['events_per_s'] / peer['events_per_s']:.2f}x")
        per_point = peer["eval_per_point"]
        worst = max(overheads)
        print(f"\none integrand call costs {per_point * 1e6:.1f} us here; a task's scheduling overhead is at most "
              f"{worst * 1e3:.2f} ms, so batches of at least {int(np.ceil(worst / (0.05 * per_point))):,} points keep it "
              f"under 5 % (this run: {args.batch_size:,}, overhead "
              f"{100 * worst / (args.batch_size * per_point):.2f} %)")


if __name__ == "__main__":
    main()
