"""Where |M|^2 spends its time: a perf profile of the amplitude kernels, one command.

    python benchmarks/me_profile.py [--processes gg_ttgg,gg_ttggg] [--events 4096] [--grad] [--lines 30]

Linux ``perf`` samples the process while ``numhep.me`` runs on one core; the samples are
attributed to numba's compiled functions and, through the DWARF line tables numba writes
with ``NUMBA_DEBUGINFO=1``, to source lines of numhep's kernels.  numba's JIT does not
tell perf where its code lies, so the script does: it reads each compiled launcher's
object code, asks LLVM for the address of every function in it, and maps the sampled
instruction pointers itself.

Each process is profiled in a fresh interpreter with an empty, temporary kernel cache
(numba only keeps the object code of what it compiled in the running process, and the
debug line tables change the cached entries), so the kernels compile first: a minute or
two per process before the timed part.  The timed part runs ``--repeats`` evaluations of
``--events`` RAMBO points at 1 TeV.

Output per process: us/event; the share of samples per compiled function (inlined
helpers count towards the function they were inlined into); the hottest source lines
with their text.  The interpreter's helpers are separate functions by design
(``block_vertex_current``, ``block_propagate``, ``block_contract``, ``colour_sum_block``,
... in :mod:`numhep.kernels.amplitude_block` and their reverse twins in
:mod:`numhep.adjoint.amplitude_block`), so the function table already says how the time
splits between vertex arithmetic, propagators, contractions, the colour sum and the
instruction loop (``run_tape_block``: dispatch and JAMP accumulation).
"""

import argparse
import bisect
import collections
import linecache
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings


def _demangle(name: str) -> str:
    """numba's Itanium-style names: _ZN6numhep7kernels15amplitude_block20block_...B3v38... ->
    numhep.kernels.amplitude_block.block_..."""
    m = re.match(r"_ZN(.*)", name)
    if not m:
        return name
    rest, parts = m.group(1), []
    while rest and rest[0].isdigit():
        k = re.match(r"\d+", rest).group(0)
        n = int(k)
        parts.append(rest[len(k):len(k) + n])
        rest = rest[len(k) + n:]
    return ".".join(parts).replace("_3c", "<").replace("_3e", ">") or name


def _compiled_functions(workdir):
    """[(runtime address, size, name, object file, section, offset in section)] of every
    function in the object code of numhep's loaded CPU launchers."""
    rows = []
    for modname, mod in list(sys.modules.items()):
        if not modname.startswith("_numhep_launch_"):
            continue
        for dispatcher in (mod.batch, mod.serial):
            for k, cres in enumerate(dispatcher.overloads.values()):
                library = cres.library
                try:
                    _, _, (obj, _) = library.serialize_using_object_code()
                except RuntimeError:  # loaded from a cache in this process: no object code kept
                    continue
                path = os.path.join(workdir, f"{modname}.{dispatcher.__name__}.{k}.o")
                with open(path, "wb") as f:
                    f.write(obj)
                sections = {}
                for line in subprocess.run(["readelf", "-SW", path], capture_output=True, text=True).stdout.splitlines():
                    m = re.match(r"\s*\[\s*(\d+)\]\s+(\S+)", line)
                    if m:
                        sections[m.group(1)] = m.group(2)
                # the launcher's own copies of the kernels' functions are local symbols (numhep
                # makes them internal, numhep.kernels._target), which the JIT does not look up:
                # each section's load address comes from a global function in it
                found, base = [], {}
                for line in subprocess.run(["readelf", "-sW", path], capture_output=True, text=True).stdout.splitlines():
                    f = line.split()
                    if len(f) < 8 or f[3] != "FUNC" or not f[6].isdigit():
                        continue
                    size, name = int(f[2], 0) if f[2].startswith("0x") else int(f[2]), f[7]
                    section, offset = sections.get(f[6], ".text"), int(f[1], 16)
                    found.append((size, name, section, offset))
                    if f[4] != "LOCAL" and section not in base:
                        try:
                            addr = library.get_pointer_to_function(name)
                        except Exception:  # noqa: BLE001 - a symbol LLVM did not keep
                            addr = 0
                        if addr:
                            base[section] = addr - offset
                for size, name, section, offset in found:
                    if size and section in base:
                        rows.append((base[section] + offset, size, name, path, section, offset))
    rows.sort()
    return rows


def _sample_addresses(data):
    out = subprocess.run(["perf", "script", "-F", "ip", "-i", data], capture_output=True, text=True).stdout
    return [int(tok, 16) for tok in out.split() if tok]


def _source_lines(hits):
    """{(object, section): {offset: count}} -> Counter of 'file:line' by samples."""
    lines = collections.Counter()
    for (path, section), offsets in hits.items():
        keys = sorted(offsets)
        for start in range(0, len(keys), 2000):
            chunk = keys[start:start + 2000]
            out = subprocess.run(["addr2line", "-e", path, "-j", section, "-a", *[hex(o) for o in chunk]],
                                 capture_output=True, text=True).stdout.splitlines()
            # pairs: the address, then file:line
            for addr, where in zip(out[0::2], out[1::2]):
                lines[where.split(" (")[0]] += offsets[int(addr, 16)]
    return lines


def profile(name, events, repeats, grad, top_lines):
    import numba
    import numpy as np

    import numhep

    numba.set_num_threads(1)
    t0 = time.perf_counter()
    proc = numhep.process(name)
    prep = time.perf_counter() - t0
    p, _ = numhep.rambo(events, 1000.0, proc.masses, seed=1)
    t0 = time.perf_counter()
    numhep.me(p[:256], proc, grad=grad)
    compile_s = time.perf_counter() - t0
    numhep.me(p, proc, grad=grad)  # the workspace grows to its size outside the profile
    work = tempfile.mkdtemp(prefix="numhep-profile-")
    data = os.path.join(work, "perf.data")
    perf = subprocess.Popen(["perf", "record", "-F", "1999", "-p", str(os.getpid()), "-o", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # perf attaches
    t0 = time.perf_counter()
    for _ in range(repeats):
        value = numhep.me(p, proc, grad=grad)
    wall = time.perf_counter() - t0
    perf.send_signal(signal.SIGINT)
    _, err = perf.communicate()
    if perf.returncode not in (0, -signal.SIGINT) or not os.path.exists(data):
        raise SystemExit(f"perf record failed ({perf.returncode}): {err.decode().strip()}")
    assert np.all(np.isfinite(value[0] if grad else value))
    functions = _compiled_functions(work)
    starts = [f[0] for f in functions]
    by_function, hits = collections.Counter(), collections.defaultdict(collections.Counter)
    samples = _sample_addresses(data)
    for ip in samples:
        k = bisect.bisect_right(starts, ip) - 1
        if k >= 0 and ip < functions[k][0] + functions[k][1]:
            addr, _, fname, path, section, offset = functions[k]
            by_function[_demangle(fname)] += 1
            hits[(path, section)][offset + ip - addr] += 1
        else:
            by_function["(outside numba's code: Python, numpy, libc, kernel)"] += 1
    total = max(len(samples), 1)
    kind = "|M|^2 + gradient" if grad else "|M|^2"
    print(f"\n{name}: {kind}, {events} events x {repeats} on one core: "
          f"{wall / repeats / events * 1e6:.2f} us/event (prep {prep:.1f} s, compile {compile_s:.1f} s), "
          f"{len(samples)} samples")
    print(f"{'share':>7}  compiled function")
    for fname, n in by_function.most_common():
        if n / total >= 0.002:
            print(f"{100 * n / total:>6.1f}%  {fname}")
    print(f"\n{'share':>7}  hottest source lines")
    for where, n in _source_lines(hits).most_common(top_lines):
        file, _, line = where.rpartition(":")
        text = linecache.getline(file, int(line)).strip() if line.isdigit() else ""
        short = file.split("numhep/")[-1] if "numhep/" in file else file
        print(f"{100 * n / total:>6.1f}%  {short}:{line:<5} {text[:90]}")
    shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--processes", default="gg_ttgg,gg_ttggg")
    ap.add_argument("--events", type=int, default=4096)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--grad", action="store_true", help="profile |M|^2 with its momentum gradient")
    ap.add_argument("--lines", type=int, default=30, help="source lines to list")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        # numba's parfor bodies have no source file for their debug info
        warnings.filterwarnings("ignore", message=".*Could not find source")
        profile(args.child, args.events, args.repeats, args.grad, args.lines)
        return
    for tool in ("perf", "readelf", "addr2line"):
        if shutil.which(tool) is None:
            raise SystemExit(f"me_profile.py needs `{tool}` on PATH (perf: linux-perf / linux-tools; readelf and "
                             "addr2line: binutils)")
    for name in args.processes.split(","):
        with tempfile.TemporaryDirectory(prefix="numhep-profile-cache-") as cache:
            env = dict(os.environ, NUMHEP_CACHE_DIR=cache, NUMBA_DEBUGINFO="1", NUMBA_NUM_THREADS="1")
            cmd = [sys.executable, __file__, "--child", name, "--events", str(args.events), "--repeats",
                   str(args.repeats), "--lines", str(args.lines)] + (["--grad"] if args.grad else [])
            subprocess.run(cmd, env=env, check=True)


if __name__ == "__main__":
    main()
