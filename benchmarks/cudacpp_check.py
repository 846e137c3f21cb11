"""Running MadGraph's CUDACPP ``check`` executables and reading the |M|^2 time they print.

MadGraph's CUDACPP plugin (Valassi et al., arXiv:2303.18244; Hageboeck et al.,
arXiv:2312.02898) builds, for each subprocess directory ``SubProcesses/P1_Sigma_sm_gg_ttxgg``,
a standalone ``check_cpp.exe`` (older versions: ``check.exe``) that draws its own RAMBO
points, evaluates |M|^2 for ``blocks * threads`` events per iteration and prints the time
spent in the matrix elements, e.g.::

    TotalEventsComputed         = 2097152
    EvtsPerSec[MatrixElems] (3) = ( 2.661293e+05                 )  sec^-1

This module runs such an executable on one core and turns that printout into microseconds
per event, so that ``benchmarks/me_cpu.py --peer`` can print it beside numhep's figures.
The executable cannot be given numhep's momenta; for these processes the cost of |M|^2
per event does not depend on the point (the helicity and colour sums are fixed work), so
the comparison holds.  MadGraph's plain standalone ``check`` (``output standalone``)
evaluates a single point and prints no timing: it is recognised and refused with that
reason.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

#: events per CUDACPP "thread block": a multiple of every SIMD width (16 floats in 512 bits)
THREADS_PER_BLOCK = 32

_FLOAT = r"([-+0-9.eEinfa]+)"


@dataclass(frozen=True)
class CheckTiming:
    """What one run of a CUDACPP ``check`` executable printed about its |M|^2 time.

    ``process`` is MadGraph's tag from the printout (``gg_ttxgg``); ``events`` counts all
    ``iterations`` together (``TotalEventsComputed``); ``us_per_event`` is 1e6 over
    ``EvtsPerSec[MatrixElems]`` (all iterations);
    ``best_us_per_event`` is the fastest single iteration (None where not printed);
    ``wall_s`` is the whole run, setup and random numbers included (None when parsed
    from text)."""

    process: str
    backend: str
    precision: str
    events: int
    iterations: int
    us_per_event: float
    best_us_per_event: float | None
    wall_s: float | None = None


def parse_check_output(text: str) -> CheckTiming:
    """Read the summary that a CUDACPP ``check`` executable prints with ``-p``.

    Raises ValueError naming what is missing when ``text`` is not such a summary (for
    MadGraph's one-point standalone ``check``, saying that it prints no timing)."""
    if "EvtsPerSec[MatrixElems]" not in text:
        if re.search(r"Matrix element\s*=", text):
            raise ValueError("this is MadGraph's standalone `check` (output standalone): it evaluates one "
                             "point and prints no timing; build the CUDACPP plugin's check_cpp.exe "
                             "(output standalone_cudacpp) to compare speed")
        raise ValueError("no 'EvtsPerSec[MatrixElems]' line: not the output of a CUDACPP check "
                         "executable run with -p")

    def field(pattern, required=True):
        match = re.search(pattern, text)
        if match is None and required:
            raise ValueError(f"CUDACPP check output has no line matching {pattern!r}")
        return match

    throughput = float(field(r"EvtsPerSec\[MatrixElems\]\s*\(3\)\s*=\s*\(\s*" + _FLOAT).group(1))
    events = int(field(r"TotalEventsComputed\s*=\s*(\d+)").group(1))
    iterations = int(field(r"NumIterations\s*=\s*(\d+)").group(1))
    if not (throughput > 0 and math.isfinite(throughput)):
        raise ValueError(f"CUDACPP check printed a matrix-element throughput of {throughput} events/s")
    best = field(r"\[Min,Max\]TimeInMatrixElems\s*=\s*\[\s*" + _FLOAT, required=False)
    process = field(r"Process\s*=\s*(\S+)").group(1)
    backend = field(r"fptype_sv\s*=.*?\('(\w+)'", required=False)
    precision = field(r"FP precision\s*=\s*(\w+)", required=False)
    return CheckTiming(
        process=process_from_label(process),
        backend=backend.group(1) if backend else "?",
        precision=precision.group(1).lower() if precision else "?",
        events=events,
        iterations=iterations,
        us_per_event=1e6 / throughput,
        best_us_per_event=float(best.group(1)) / (events / iterations) * 1e6 if best else None,
    )


def process_from_label(label: str) -> str:
    """MadGraph's process tag from the ``Process`` line of a check printout or a
    subprocess directory name: ``SIGMA_SM_GG_TTXGG_CPP`` or ``P1_Sigma_sm_gg_ttxgg`` ->
    ``gg_ttxgg`` (the last two ``_``-separated words, after any backend suffix)."""
    words = [w for w in label.lower().split("_") if w]
    while words and words[-1] in ("cpp", "cuda", "hip"):
        words.pop()
    if len(words) < 2:
        raise ValueError(f"cannot read a MadGraph process from {label!r}")
    return "_".join(words[-2:])


def process_from_path(path) -> str | None:
    """MadGraph's process tag from the nearest ``P<n>_...`` directory above ``path``
    (``.../SubProcesses/P1_Sigma_sm_gg_ttxgg/build.512z_d_inl0_hrd0/check_cpp.exe`` ->
    ``gg_ttxgg``), or None if there is none."""
    for part in reversed(Path(path).resolve().parent.parts):
        if re.fullmatch(r"P\d+_\w+", part):
            return process_from_label(part)
    return None


def numhep_name(mg_process: str, known) -> str:
    """The numhep process name of MadGraph's tag: antiparticle ``x`` markers dropped
    (``gg_ttxgg`` -> ``gg_ttgg``), which must be among ``known``.

    Raises ValueError otherwise, asking for the explicit ``name=path`` form."""
    name = mg_process.replace("x", "")
    if name not in known:
        raise ValueError(f"MadGraph process {mg_process!r} has no numhep name {name!r}; "
                         f"give it as NAME=PATH with NAME one of {sorted(known)}")
    return name


def peer_arguments(spec: str, known) -> tuple[str, Path]:
    """``NAME=PATH`` or ``PATH`` -> (numhep process name, executable path), the name read
    from the executable's ``P<n>_...`` directory when not given."""
    name, sep, path = spec.rpartition("=")
    exe = Path(path).expanduser()
    if not exe.is_file() or not os.access(exe, os.X_OK):
        raise ValueError(f"--peer: {exe} is not an executable file")
    if sep:
        if name not in known:
            raise ValueError(f"--peer: unknown numhep process {name!r} (one of {sorted(known)})")
        return name, exe
    mg_process = process_from_path(exe)
    if mg_process is None:
        raise ValueError(f"--peer: no P<n>_... subprocess directory above {exe}; give it as NAME={exe}")
    return numhep_name(mg_process, known), exe


def run_check(exe, events: int, iterations: int = 5) -> CheckTiming:
    """Run a CUDACPP check executable on one core for about ``events`` events per
    iteration and return its timing (``wall_s``: the whole run).

    It runs in its subprocess directory (it reads ``../../Cards/param_card.dat``), pinned
    to the highest-numbered core this process may use, with ``OMP_NUM_THREADS=1``."""
    exe = Path(exe).resolve()
    cwd = next((d for d in exe.parents if (d / "../../Cards/param_card.dat").exists()), exe.parent)
    blocks = max(1, -(-events // THREADS_PER_BLOCK))
    cmd = [str(exe), "-p", str(blocks), str(THREADS_PER_BLOCK), str(iterations)]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    core = max(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None

    def pin():
        if core is not None:
            os.sched_setaffinity(0, {core})

    t0 = time.perf_counter()
    run = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, preexec_fn=pin, check=False)
    wall = time.perf_counter() - t0
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} (in {cwd}) exited with {run.returncode}:\n{run.stderr[-2000:]}")
    timing = parse_check_output(run.stdout)
    return CheckTiming(**{**timing.__dict__, "wall_s": wall})
