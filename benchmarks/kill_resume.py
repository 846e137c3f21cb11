"""Kill ``numhep generate`` with SIGKILL ``--kills`` times at random points (every fifth early,
in the start-up, VEGAS or the pilot; the others once the LHE file has grown by a random share
of the run) and resume it each time; the final LHE and HDF5 files must equal those of an
uninterrupted run, event for event.  Prints where each kill landed and the verdict.

    python benchmarks/kill_resume.py [--kills 20] [--events 20000] [--seed 0]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from numhep.events.files import count_lhe_events


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    common = ["generate", "e+ e- > u u~ g", "--sqrt-s", "1000", "--cut", "ycut=0.01", "--channels", "diagrams",
              "-n", str(args.events), "--points", "4000", "--iterations", "5", "--warmup", "2", "--quiet"]
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def command(name):
            return [sys.executable, "-m", "numhep", *common, "-o", str(tmp / f"{name}.lhe"),
                    "--hdf5", str(tmp / f"{name}.h5")]

        t0 = time.time()
        subprocess.run(command("whole"), check=True, capture_output=True, cwd=tmp)
        duration = time.time() - t0
        print(f"uninterrupted run: {duration:.1f} s")
        lhe = tmp / "cut.lhe"
        full_size = (tmp / "whole.lhe").stat().st_size
        landed = []
        for k in range(args.kills):
            proc = subprocess.Popen(command("cut"), cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if k % 5 == 0:  # every fifth kill lands early: in the start-up, VEGAS or the pilot sample
                time.sleep(rng.uniform(0.1, 0.25) * duration)
            else:  # the others once the file has grown by a random share of the run
                start = lhe.stat().st_size if lhe.exists() else 0
                target = start + rng.uniform(0.3, 1.2) * full_size / args.kills
                deadline = time.time() + 10 * duration
                while proc.poll() is None and time.time() < deadline:
                    if lhe.exists() and lhe.stat().st_size >= target:
                        break
                    time.sleep(0.005)
            finished = proc.poll() is not None
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            events = count_lhe_events(lhe) if lhe.exists() else 0
            landed.append(events)
            print(f"kill {k + 1:>2}: {'after the run had finished' if finished else 'mid-run'}, "
                  f"{events} events in the file", flush=True)
            if finished:
                break
        subprocess.run(command("cut"), check=True, capture_output=True, cwd=tmp)
        same_lhe = lhe.read_text().split("</init>")[1] == (tmp / "whole.lhe").read_text().split("</init>")[1]
        with h5py.File(tmp / "cut.h5") as a, h5py.File(tmp / "whole.h5") as b:
            same_h5 = all(np.array_equal(a[name][:], b[name][:]) for name in a)
        mid = sum(0 < n < args.events for n in landed)
        print(f"\n{len(landed)} kills ({mid} inside the event loop, {sum(n == 0 for n in landed)} before the first "
              f"event); resumed LHE identical: {same_lhe}; HDF5 identical: {same_h5}")


if __name__ == "__main__":
    main()
