"""The ``numhep`` command.

    numhep integrate [PROCESS] [--sqrt-s E] [--points N] [--iterations K] [--channels diagrams]
                     [--scheduler ADDRESS | --workers N]
    numhep generate [PROCESS] [--sqrt-s E] [-n N] [-o events.lhe] [--hdf5 events.h5] [--plot plots.png]
                    [--channels diagrams] [--scheduler ADDRESS | --workers N]
    numhep surrogate data|train|generate [options]
    numhep precompile

``integrate`` prints a cross section with its error (next to the process's analytic
value where it declares one), and with ``--channels diagrams`` the contribution of every
diagram channel; ``generate`` integrates and writes unweighted events,
and prints sigma, the contribution of every subprocess (and diagram channel) and the
unweighting efficiency.
Hadron colliders use the built-in PDF set (NNPDF31_lo_as_0118) for coloured beams.
With no arguments it runs the main job: the top-pair cross section at 13 TeV and
10,000 unweighted events in ``ttbar.lhe``.  A killed ``generate`` resumes when rerun
with the same output file.  ``--scheduler ADDRESS`` runs the batches on a Dask cluster,
``--workers N`` on a local one of N processes, with the numbers of a run without them.
``surrogate`` is the Z + jets generative surrogate's command line
(:mod:`numhep.torch.surrogate_cli`, the torch extra).  ``precompile`` compiles, in parallel
processes, the kernels of the main job and of |M|^2 gradients for this machine, as the
README's install command does, so that first calls find them cached.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.stats

from numhep.amplitudes.lookup import resolve_model
from numhep.events.generation import generate
from numhep.events.plots import plot_distributions
from numhep.integration.cross_section import integrate
from numhep.integration.integrands import as_group, integrand
from numhep.integration.task_runners import connect, local_client
from numhep.kernels._target import launcher_directory
from numhep.registry import process_registry

LHC_ENERGY = 13000.0
#: fewer points per iteration give no usable error estimate
MIN_POINTS = 100
Z_MASS = 91.188


def _cuts(items):
    out = {}
    for item in items or []:
        key, _, val = item.partition("=")
        try:
            out[key] = float(val)
        except ValueError:
            raise ValueError(f"--cut: expected NAME=VALUE (e.g. ptj=20), got {item!r}") from None
    return out


def _scale(text):
    try:
        return float(text)
    except ValueError:
        return text


def _table(rows):
    width = max(len(r[0]) for r in rows)
    print()
    for key, val in rows:
        print(f"  {key:<{width}}  {val}")


def _sampler(args, f):
    """The points' source for ``generate --sampler``: None (numhep's VEGAS), the ``vegas``
    package adapted on the integrand with the same calls, or scrambled Sobol points."""
    if args.sampler == "vegas":
        try:
            import vegas
        except ImportError as exc:
            raise ValueError("--sampler vegas needs the vegas package: pip install vegas") from exc
        integ = vegas.Integrator(f.dim * [[0, 1]])
        integ(vegas.batchintegrand(lambda x: np.ascontiguousarray(f(x))), nitn=args.iterations, neval=args.points)
        return integ
    if args.sampler == "sobol":
        from scipy.stats import qmc

        def sobol(rng, n):  # a whole power of two keeps the sequence balanced
            u = qmc.Sobol(f.dim, seed=rng).random_base2(max(int(np.ceil(np.log2(n))), 1))
            return u, np.ones(u.shape[0])

        return sobol
    if args.sampler == "madnis":
        return "madnis"
    return None


def _generate(args) -> int:
    _default_energy(args)
    _check_points(args)
    t0 = time.perf_counter()
    f = integrand(args.process, args.sqrt_s, cuts=_cuts(args.cut), scale=_scale(args.scale), model=args.model,
                  params=args.params, channel="diagrams" if args.channels == "diagrams" else None,
                  channel_weights=args.channel_weights)
    with _cluster(args) as client:
        res = generate(
            args.process, n_events=args.events, lhe=args.output, hdf5=args.hdf5, integrand=f,
            n_points=args.points, n_iterations=args.iterations, n_warmup=args.warmup, seed=args.seed,
            progress=not args.quiet, sampler=_sampler(args, f), client=client,
        )
    source = {"numhep": "numhep VEGAS", "vegas": "pilot sample of the vegas package's grid",
              "sobol": "pilot sample of scrambled Sobol points", "madnis": "pilot sample of numhep's MadNIS"}[args.sampler]
    rows = [
        ("process", f"{args.process} at sqrt(s) = {args.sqrt_s:g} GeV"),
        (f"sigma ({source})", f"{res.sigma:.6g} +- {res.error:.2g} pb{_error_warning(res.sigma, res.error)}" +
         (f"  (chi2/dof {_chi2_text(res.chi2_dof, args.iterations - args.warmup)})" if args.sampler == "numhep"
          else "")),
        ("subprocesses", "their share of the events' sample (statistically independent of sigma above)"),
    ]
    for name, value in sorted(res.subprocess_sigma.items(), key=lambda kv: -kv[1]):
        rows.append((f"  {name}", f"{value:.5g} pb ({value / res.sigma * 100:.1f} %)"))
    if res.channel_sigma:
        rows.append(("diagram channels", f"{len(res.channel_sigma)} groups"))
        for name, value in sorted(res.channel_sigma.items(), key=lambda kv: -kv[1]):
            rows.append((f"  {name}", f"{value:.5g} pb ({value / res.sigma * 100:.1f} %)"))
    rows += [
        ("unweighting efficiency", f"{res.efficiency * 100:.2f} %  (overweight fraction {res.overweight_fraction:.1e}"
                                   f"{_tail_warning(res)})"),
        ("events", f"{res.n_events:,} in {', '.join(res.files.values())}"),
        ("integrand calls", f"{res.integrand_calls:,} (sampler setup, pilot sample and trials)"),
        ("time", f"{time.perf_counter() - t0:.1f} s"),
    ]
    if args.plot:
        rows.append(("distributions", str(plot_distributions(args.output, args.plot, title=args.process))))
    _table(rows)
    return 0


@contextlib.contextmanager
def _cluster(args):
    """The Dask client of ``--scheduler`` or of a ``--workers N`` local cluster (None: this process)."""
    if args.scheduler and args.workers:
        raise ValueError("--scheduler and --workers: give one (a running cluster, or the size of a local one)")
    if not (args.scheduler or args.workers):
        yield None
        return
    try:
        client = connect(args.scheduler) if args.scheduler else local_client(args.workers)
    except ImportError as exc:
        raise ValueError(str(exc)) from None
    try:
        yield client
    finally:
        cluster = None if args.scheduler else client.cluster
        client.close()
        if cluster is not None:
            cluster.close()


def _distributed_options(parser):
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run the batches on the Dask cluster of this scheduler (tcp://host:8786)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="run the batches on a local Dask cluster of N worker processes")


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help with its default (where it has one to show and does not say it already)."""

    def _get_help_string(self, action):
        if action.default in (None, False, argparse.SUPPRESS) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _default_energy(args):
    """13 TeV for a hadron collider (partons in the initial state), MZ otherwise."""
    if args.sqrt_s is None:
        first = as_group(args.process, resolve_model(args.model)).subprocesses[0]
        args.sqrt_s = LHC_ENERGY if all(abs(q) <= 6 or q == 21 for q in first.legs[:2]) else Z_MASS


def _check_points(args):
    if args.points < MIN_POINTS:
        raise ValueError(f"--points {args.points}: VEGAS needs at least {MIN_POINTS} points per iteration "
                         "to estimate a cross section and its error")


def _chi2_text(chi2_dof: float, iterations: int) -> str:
    """chi2/dof of the combined iterations with its p-value Q: with few iterations a large
    chi2/dof is often a fluctuation (2.84 over 7 iterations has Q = 0.009), and Q says how
    rare; below 1e-3 the iterations disagree beyond chance."""
    dof = iterations - 1
    if dof < 1:
        return f"{chi2_dof:.2f} (one iteration: no test)"
    q = float(scipy.stats.chi2.sf(chi2_dof * dof, dof))
    text = f"{chi2_dof:.2f} over {iterations} iterations, Q = {q:.2g}"
    return text + ("; iterations disagree beyond chance: more points per iteration" if q < 1e-3 else "")


def _error_warning(mean: float, sdev: float) -> str:
    return "; not to be trusted: relative error above 10 %, give more points" if not sdev <= 0.1 * abs(mean) else ""


def _tail_warning(res) -> str:
    """Trials whose weight exceeded the unweighting maximum become events of weight one, so the
    events' distribution lacks the rest of their weight: flag a tail that carries more than 1 %
    of the events."""
    share = res.overweight_fraction / res.efficiency if res.efficiency > 0 else 0.0
    return (f"; {share * 100:.1f} % of the events come from capped weights, a heavy tail: "
            "give more --points or --iterations") if share > 0.01 else ""


def _integrate(args) -> int:
    _default_energy(args)
    _check_points(args)
    channel = "diagrams" if args.channels == "diagrams" else None
    f = integrand(args.process, args.sqrt_s, cuts=_cuts(args.cut), scale=_scale(args.scale), model=args.model,
                  params=args.params, channel=channel, channel_weights=args.channel_weights)
    t0 = time.perf_counter()
    with _cluster(args) as client:
        res = integrate(integrand=f, n_points=args.points, n_iterations=args.iterations, n_warmup=args.warmup,
                        bins=args.bins, seed=args.seed, progress=not args.quiet, checkpoint=args.checkpoint,
                        client=client)
    elapsed = time.perf_counter() - t0
    method = "numhep VEGAS" if channel is None else f"multi-channel VEGAS, {args.channel_weights} weights"
    rows = [
        ("process", f.group.text),
        ("sqrt(s)", f"{args.sqrt_s:g} GeV"),
        (f"sigma ({method})", f"{res.mean:.6g} +- {res.sdev:.2g} pb{_error_warning(res.mean, res.sdev)}"),
        ("chi2/dof", _chi2_text(res.chi2_dof, len(res.iterations) - args.warmup)),
        ("integrand calls", f"{res.n_evaluations:,} in {elapsed:.1f} s"),
    ]
    if channel is not None:
        reps = f.representatives
        rows.append(("channels", f"{f.n_channels} from the diagrams, {len(f.representatives)} after grouping"))
        order = sorted(range(len(reps)), key=lambda j: -abs(res.channels[j][0]))
        for j in order:
            m, e = res.channels[j]
            rows.append((f"  {f.group_label(reps[j])}",
                         f"{m:.5g} +- {e:.2g} pb ({m / res.mean * 100:.1f} %, {res.allocation[j]:,} points)"))
    subs = f.group.subprocesses
    exact = subs[0].process.meta.get("total_cross_section") if len(subs) == 1 else None
    if exact is not None:
        value = exact(args.sqrt_s)
        pull = (res.mean - value) / res.sdev if res.sdev > 0 else float("nan")
        rows.append(("sigma (analytic)", f"{value:.6g} pb"))
        rows.append(("difference", f"{pull:+.2f} sigma ({(res.mean / value - 1) * 100:+.4f} %)"))
    _table(rows)
    return 0


def _surrogate(argv) -> int:
    """``numhep surrogate ...``: the rest of the command line goes to the surrogate's own
    (numhep.torch.surrogate_cli), which owns its subcommands and options."""
    # numhep.torch imports torch: it loads when the command runs, so that numhep works
    # without the torch extra
    try:
        from numhep.torch import surrogate_cli
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "torch":
            raise
        raise ValueError("numhep surrogate needs PyTorch: pip install 'numhep[torch]'") from None
    except ImportError as exc:
        if "numhep[torch]" not in str(exc):  # madnis, the rest of the extra, names it itself
            raise
        raise ValueError(f"numhep surrogate: {exc}") from None
    return surrogate_cli.main(argv, prog="numhep surrogate")


#: what ``numhep precompile`` runs, each in a process of its own so that their kernels compile
#: in parallel: the main job (PDFs, phase space, VEGAS, unweighting and the amplitude value
#: kernels) and a gradient of |M|^2 (the amplitude VJP kernels).  A kernel called once is
#: cached for every argument size (numhep.kernels._target.Kernel.cpu).
_PRECOMPILE_JOBS = (
    ("the main job", ["-m", "numhep", "generate", "--quiet", "-n", "100", "-o", "{tmp}/ttbar.lhe"]),
    ("|M|^2 gradients", ["-c", "import numhep; proc = numhep.process('gg_tt'); "
                               "p, _ = numhep.rambo(8, 1000.0, proc.masses, seed=1); numhep.me(p, proc, grad=True)"]),
)


def _precompile() -> int:
    """Compile the kernels a newcomer meets first, in parallel processes, once."""
    started = time.perf_counter()
    print(f"numhep: compiling kernels for this machine in {len(_PRECOMPILE_JOBS)} processes, once (cached in "
          f"{launcher_directory().parent}); about a minute on 2 cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="numhep-precompile-") as tmp:
        jobs = [(label, subprocess.Popen([sys.executable, *(a.format(tmp=tmp) for a in args)],
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp,
                                         env=dict(os.environ, PYTHONWARNINGS="ignore")))
                for label, args in _PRECOMPILE_JOBS]
        failed = []
        for label, job in jobs:
            out, _ = job.communicate()
            if job.returncode:
                failed.append(f"{label} (exit {job.returncode}):\n{out.strip()}")
    if failed:
        print("numhep: error: precompiling failed in " + "\n".join(failed), file=sys.stderr)
        return 1
    print(f"numhep: kernels compiled in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


#: what ``numhep --help`` says of the bare command and of resuming
MAIN_JOB_HELP = """\
With no command, numhep runs the main job, as "numhep generate" with its defaults: the
top-pair cross section at the 13 TeV LHC (p p > t t~, NNPDF3.1 LO) by VEGAS and 10,000
unweighted events in ttbar.lhe.  Options after it go to generate: numhep -n 500 --quiet.
The first run compiles numhep's kernels for this machine (about a minute; cached after).

A killed generate resumes when rerun with the same output file; a run with other settings
is refused, naming what differs.  "numhep integrate --help" and "numhep generate --help"
list every option with its default."""


def _model_options(parser):
    parser.add_argument("--model", default="sm",
                        help="a registered model (numhep processes lists what plugins add) or the path of a UFO folder "
                             "(its restrict_default.dat applied, as MadGraph does)")
    parser.add_argument("--params", metavar="PARAM_CARD",
                        help="a param card (SLHA) with the model's inputs; DECAY pdg auto computes that width")


def _channel_options(parser):
    parser.add_argument("--channels", choices=("flat", "diagrams"), default="flat",
                        help="phase space: RAMBO on diet (flat) or one channel per diagram topology")
    parser.add_argument("--channel-weights", choices=("propagator", "sde"), default="propagator",
                        help="multi-channel weights: propagators or single-diagram enhancement "
                             "(Heimel, PhD thesis, Heidelberg 2024, Eqs. 2.60 and 2.56)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="numhep", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Cross sections and unweighted events from numhep's matrix elements.",
        epilog=MAIN_JOB_HELP)
    parser.add_argument("--version", action="version", version=f"numhep {importlib.metadata.version('numhep')}")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("integrate", help="cross section of a process at fixed sqrt(s)", formatter_class=_Help)
    p.add_argument("process", nargs="?", default="ee_mumu_analytic", help="a registered name or a process string")
    p.add_argument("--sqrt-s", type=float, default=None,
                   help=f"collider energy in GeV (default: {LHC_ENERGY:g} for hadron colliders, {Z_MASS} otherwise)")
    p.add_argument("--points", type=int, default=100_000, help="integrand calls per iteration")
    p.add_argument("--iterations", type=int, default=10, help="VEGAS iterations")
    p.add_argument("--warmup", type=int, default=2, help="adaptation-only iterations left out of the result")
    p.add_argument("--bins", type=int, default=64, help="VEGAS bins per dimension")
    p.add_argument("--seed", type=int, default=1, help="random seed (the same seed gives the same numbers)")
    p.add_argument("--checkpoint", help="file to save progress in and resume from")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--cut", action="append", help="a cut NAME=VALUE in MadGraph's names (ptj=20, mmll=60 ...)")
    p.add_argument("--scale", default="ht/2", help="mu_F = mu_R: GeV, ht/2, ht or shat")
    _model_options(p)
    _channel_options(p)
    _distributed_options(p)
    g = sub.add_parser("generate", help="cross section and unweighted events (LHE, HDF5); a killed run resumes "
                                        "when rerun with the same output file", formatter_class=_Help)
    g.add_argument("process", nargs="?", default="p p > t t~", help="a registered name or a process string")
    g.add_argument("--sqrt-s", type=float, default=None,
                   help=f"collider energy in GeV (default: {LHC_ENERGY:g} for hadron colliders, {Z_MASS} otherwise)")
    g.add_argument("-n", "--events", type=int, default=10_000, help="unweighted events to write")
    g.add_argument("-o", "--output", default="ttbar.lhe", help="Les Houches event file")
    g.add_argument("--hdf5", help="also write the events to this HDF5 file")
    g.add_argument("--plot", help="save pT, eta and invariant-mass distributions of the events to this PNG")
    g.add_argument("--points", type=int, default=20_000, help="integrand calls per VEGAS iteration")
    g.add_argument("--iterations", type=int, default=10, help="VEGAS iterations")
    g.add_argument("--warmup", type=int, default=3, help="adaptation-only iterations left out of sigma")
    g.add_argument("--seed", type=int, default=1, help="random seed (the same seed gives the same events)")
    g.add_argument("--cut", action="append", help="a cut NAME=VALUE (ptj=20, mmll=60 ...)")
    g.add_argument("--scale", default="ht/2", help="mu_F = mu_R: GeV, ht/2, ht or shat")
    g.add_argument("--quiet", action="store_true", help="no progress bars")
    g.add_argument("--sampler", choices=("numhep", "vegas", "sobol", "madnis"), default="numhep",
                   help="where the points come from: numhep's VEGAS (default), the vegas package adapted with the "
                        "same calls, scrambled Sobol points, or numhep's MadNIS (flows and, with --channels diagrams, "
                        "learned channel weights; needs the torch extra) trained with the same calls and kept beside "
                        "the events")
    _model_options(g)
    _channel_options(g)
    _distributed_options(g)
    sub.add_parser("processes", help="list registered processes")
    sub.add_parser("precompile", help="compile the kernels of the main job and of |M|^2 gradients for this "
                                      "machine, in parallel processes (the README's install command runs it)")
    # listed here for numhep --help; what follows it is the surrogate's own command line
    sub.add_parser("surrogate", add_help=False,
                   help="the Z + jets generative surrogate (torch extra): data, train, generate; "
                        "numhep surrogate --help lists them")
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in (*sub.choices, "-h", "--help", "--version"):
        argv = ["generate", *argv]  # the main job takes generate's options: numhep --quiet -n 500
    args = None if argv[0] == "surrogate" else parser.parse_args(argv)
    try:
        if args is None:
            return _surrogate(argv[1:])
        if args.command == "processes":
            for name in process_registry.names():
                print(name)
            return 0
        if args.command == "precompile":
            return _precompile()
        return _generate(args) if args.command == "generate" else _integrate(args)
    except (LookupError, ValueError) as exc:
        # a KeyError's str() quotes its message; the message itself is what the user reads
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"numhep: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
