"""Bytes of global memory the GPU's matrix-element kernels read and write per event, counted.

No GPU needed: the CUDA builds of the amplitude tape (``tape_me``, the value, and its VJP,
value + d|M|^2/dp) run under numba's CUDA simulator on one event at 1 TeV, with every
element access to a kernel argument counted (the simulator hands a kernel its arrays as
``FakeWithinKernelCUDAArray``, whose item access is wrapped here).  The counts are exact
for the source as it stands and follow it through every change: what a helicity group
re-runs, slot reads and writes, JAMP updates, colour sums, the reverse pass.

Two kinds of traffic are told apart:

* workspaces (slots, line momenta, JAMPs, cotangents, the momenta and outputs): each
  thread its own addresses, so on a GPU whose caches cannot hold the working set of every
  resident thread (gg -> tt~gg: about 14 KiB of slots and line momenta an event, hundreds
  of events resident per multiprocessor) they go to HBM.  The H100's bandwidth over them
  bounds the events per second; a measured rate above the bound shows how much L1 and L2
  caught;
* the program (instructions, couplings, helicities, colour rows): one address for all
  threads of a warp at a time, served by the caches as a broadcast.  The colour matrix,
  staged in shared memory when it fits, is read from global memory once per block and
  counts nowhere.

``grad/value`` is the VJP's workspace traffic over the value kernel's: where the GPU is
bound by memory, the time of value + gradient over the value's (issue 5 aims at 4 or less).

    python benchmarks/workspace_traffic.py
    python benchmarks/workspace_traffic.py --processes gg_ttgg --precisions float64 --detail
"""

import os

os.environ["NUMBA_ENABLE_CUDASIM"] = "1"  # before numba.cuda is imported anywhere

import argparse  # noqa: E402
import inspect  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import numpy as np  # noqa: E402
from cuda_resources import launches  # noqa: E402
from numba import cuda  # noqa: E402
from numba.cuda.simulator.cudadrv.devicearray import FakeWithinKernelCUDAArray  # noqa: E402

import numhep  # noqa: E402

#: an H100 SXM's HBM3 bandwidth, bytes per second (a device-to-device copy moved about
#: 3.0e12 on the H100 this project is lent)
HBM_BYTES_PER_SECOND = 3.35e12

#: the program arrays of the tape kernels (every other argument is per event)
PROGRAM = {"ops", "couplings", "reals", "helicities", "colour", "diag_ptr", "diag_jamp", "diag_coef"}


@contextmanager
def counted(names):
    """Count bytes read and written per argument: ``names`` maps id(device array) -> name;
    yields {name: [read, written]}."""
    counts = {name: [0, 0] for name in names.values()}
    get, put = FakeWithinKernelCUDAArray.__getitem__, FakeWithinKernelCUDAArray.__setitem__

    def counting_get(self, idx):
        counts[names[id(self._item)]][0] += self._item.dtype.itemsize
        return get(self, idx)

    def counting_put(self, idx, value):
        counts[names[id(self._item)]][1] += self._item.dtype.itemsize
        return put(self, idx, value)

    FakeWithinKernelCUDAArray.__getitem__ = counting_get
    FakeWithinKernelCUDAArray.__setitem__ = counting_put
    try:
        yield counts
    finally:
        FakeWithinKernelCUDAArray.__getitem__ = get
        FakeWithinKernelCUDAArray.__setitem__ = put


def traffic(proc, precision):
    """{kernel label: {argument: (bytes read, bytes written)}} for one event at 1 TeV."""
    dtype = np.dtype(precision)
    p = numhep.rambo(1, 1000.0, proc.masses, seed=1)[0].astype(dtype)
    out = {}
    for label, kernel, args in launches(proc, precision, n=1):
        params = list(inspect.signature(kernel.py_func).parameters)[1:]  # after the event index
        args = [cuda.to_device(np.ascontiguousarray(a)) for a in (p, *args[1:])]
        names = {id(a): name for a, name in zip(args, params)}
        with counted(names) as counts:
            kernel.cuda(*args)
        out[label] = {name: tuple(rw) for name, rw in counts.items()}
    return out


def split(counts):
    """(workspace bytes, program bytes) of one kernel's counts."""
    work = sum(r + w for name, (r, w) in counts.items() if name not in PROGRAM)
    prog = sum(r + w for name, (r, w) in counts.items() if name in PROGRAM)
    return work, prog


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--processes", default="gg_tt,gg_ttgg,gg_tt_6q")
    ap.add_argument("--precisions", default="float64,float32")
    ap.add_argument("--detail", action="store_true", help="bytes read and written per argument")
    args = ap.parse_args()
    print(f"global-memory traffic per event, counted under numba's CUDA simulator; "
          f"bound = {HBM_BYTES_PER_SECOND:.3g} B/s / workspace traffic")
    header = (f"{'process':<10} {'prec':<8} {'kernel':<6} {'workspaces KiB':>14} {'program KiB':>11} "
              f"{'bound events/s':>15} {'grad/value':>10}")
    print(header)
    print("-" * len(header))
    details = []
    for name in args.processes.split(","):
        proc = numhep.process(name)
        for precision in args.precisions.split(","):
            counts = traffic(proc, precision)
            value = split(counts["value"])[0]
            for label, per_arg in counts.items():
                work, prog = split(per_arg)
                ratio = f"{work / value:10.2f}" if label != "value" else ""
                print(f"{name:<10} {precision:<8} {label:<6} {work / 1024:>14.1f} {prog / 1024:>11.1f} "
                      f"{HBM_BYTES_PER_SECOND / work:>15.3g} {ratio:>10}")
                details.append((name, precision, label, per_arg))
    if args.detail:
        print(f"\n{'process':<10} {'prec':<8} {'kernel':<6} {'argument':<11} {'read KiB':>9} {'written KiB':>11}")
        for name, precision, label, per_arg in details:
            for arg, (r, w) in per_arg.items():
                if r or w:
                    print(f"{name:<10} {precision:<8} {label:<6} {arg:<11} {r / 1024:>9.1f} {w / 1024:>11.1f}")


if __name__ == "__main__":
    main()
