"""Phase-space mappings against madspace and numhep's VEGAS against ``vegas``, one run, one core.

1. RAMBO: numhep's RAMBO on diet against madspace's FastRamboMapping, forward maps,
   massless, n = 3..6 final-state particles (million events/s).
2. Diagram-based multi-channel mapping of g g > t t~ g at 13 TeV (15 channels, with the
   PDF luminosity map): numhep's ChannelMap and madspace's PhaseSpaceMapping built from
   the same diagrams (propagator t-channel mode), every channel mapping the same number of
   points (million events/s over all channels; numhep, like MadGraph, builds no channel for
   the four-gluon vertex, and madspace 0.2.1 no topology).
3. Integrating the same numhep integrand (g g > t t~, 13 TeV, NNPDF31_lo, mu = 173 GeV)
   with numhep's VEGAS, with numhep's multi-channel VEGAS on the diagram channels and with
   the ``vegas`` package (batch mode, its defaults), equal calls per iteration and
   iterations: the relative error reached per second and per call, as ratios
   (eps_peer^2 t_peer) / (eps^2 t) and (eps_peer^2 N_peer) / (eps^2 N); >1 favours numhep.

    python benchmarks/phase_space_peers.py [--events 100000] [--calls 20000] [--iterations 10]
"""

import argparse
import time

import numpy as np
from rambo import rambo_rates
from timing import best_time, one_core

import numhep
from numhep.phasespace.diagram_channels import ChannelMap, diagram_channels, diagram_topologies
from numhep.integration.integrands import as_group


def madspace_diagram(ms, proc, d):
    """madspace's Diagram for numhep diagram ``d`` of a compiled process (same lines and masses)."""
    ds = proc.diagram_set()
    params = proc.model.parameters()
    props, index, verts = [], {}, []

    def line(cid):
        c = ds.currents[cid]
        if c.vertex < 0:
            return ms.LineRef(f"i{c.leg}" if c.leg < 2 else f"o{c.leg - 2}")
        if cid not in index:
            part = proc.model.particle(c.particle)
            index[cid] = len(props)
            props.append(ms.Propagator(params[part.mass] if part.mass else 0.0, params[part.width] if part.width else 0.0))
        return ms.LineRef(f"p{index[cid]}")

    def walk(cid):
        c = ds.currents[cid]
        if c.vertex >= 0:
            verts.append([line(k) for k in c.children] + [line(cid)])
            for k in c.children:
                walk(k)

    for k in d.children:
        walk(k)
    verts.append([line(k) for k in d.children] + [ms.LineRef(f"o{len(ds.legs) - 3}")])
    return ms.Diagram([0.0, 0.0], list(proc.masses[2:]), props, verts)


def channel_mappings(ms, n_ev, rng):
    text, sqrt_s = "g g > t t~ g", 13000.0
    group = as_group(text, "sm")
    proc = group.subprocesses[0].process
    chans = diagram_channels(group)
    first = {}
    for d, top in enumerate(diagram_topologies(proc)):
        first.setdefault(top, d)
    tau_min = (2 * 173.0) ** 2 / sqrt_s**2
    ours, theirs = [], []
    for ch in chans:
        cm = ChannelMap(ch.topology, group.masses[2:], hadronic=True)
        try:
            top = ms.Topology(madspace_diagram(ms, proc, proc.diagram_set().diagrams[first[ch.topology]]))
        except IndexError:
            continue  # madspace 0.2.1 builds no topology for a four-gluon vertex next to the beams
        mapping = ms.PhaseSpaceMapping(top, sqrt_s, leptonic=False, invariant_power=0.8)
        assert mapping.random_dim() == cm.dim
        ours.append((cm, rng.random((n_ev, cm.dim))))
        theirs.append((ms.FunctionRuntime(mapping.forward_function(), ms.Context(1)), rng.random((n_ev, cm.dim))))
    t_ours = best_time(lambda: [cm.generate(u, sqrt_s**2, (0.0, 0.0), tau_min, 1.0) for cm, u in ours], repeats=3)
    t_ms = best_time(lambda: [rt.call([u]) for rt, u in theirs], repeats=3)
    # both map the same volume: the mean weight of one channel agrees
    cm, _ = ours[0]
    u = rng.random((400_000, cm.dim))
    w_ours = cm.generate(u, sqrt_s**2, (0.0, 0.0), tau_min, 1.0)[2]
    w_ms = theirs[0][0].call([u])[3].numpy()
    ratio = w_ours.mean() / w_ms.mean()
    err = ratio * np.hypot(*(w.std() / w.mean() / np.sqrt(len(w)) for w in (w_ours, w_ms)))
    return text, f"{len(ours)} of its {len(chans)}", n_ev * len(ours), t_ours, t_ms, f"{ratio:.3f} +- {err:.3f}"


def integrators(n_calls, n_iter):
    import vegas

    top = dict(scale=173.0, alpha_s=0.118)
    flat = numhep.integrand("g g > t t~", 13000.0, **top)
    multi = numhep.integrand("g g > t t~", 13000.0, channel="diagrams", **top)
    flat(np.random.default_rng(0).random((10, flat.dim)))  # compile outside the timings

    def timed(run):
        """The result of ``run()`` and its best wall time over two runs (the machine is shared)."""
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            r = run()
            times.append(time.perf_counter() - t0)
        return r, min(times)

    def ours():
        return numhep.vegas_integrate(flat, numhep.VegasGrid(flat.dim), n_points=n_calls, n_iterations=n_iter,
                                      n_warmup=2, seed=1)

    def ours_multi():
        return multi.multichannel_vegas(n_points=n_calls, n_iterations=n_iter, n_warmup=2, seed=1)

    def peer():
        integ = vegas.Integrator(flat.dim * [[0.0, 1.0]])
        batch = vegas.batchintegrand(lambda x: np.ascontiguousarray(flat(x)))
        integ(batch, nitn=2, neval=n_calls)  # warm-up iterations, as numhep's n_warmup
        return integ(batch, nitn=n_iter - 2, neval=n_calls)

    rows = []
    for name, run in (("numhep VEGAS", ours), ("numhep multi-channel VEGAS", ours_multi)):
        r, t = timed(run)
        rows.append((name, r.mean, r.sdev, r.n_evaluations, t))
    r, t = timed(peer)
    rows.append(("vegas package", r.mean, r.sdev, n_iter * n_calls, t))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--calls", type=int, default=20_000)
    ap.add_argument("--iterations", type=int, default=10)
    args = ap.parse_args()
    one_core()
    import madspace as ms

    rng = np.random.default_rng(1)
    print(f"1. RAMBO forward map, massless, {args.events} events, one core (million events/s)")
    print(f"{'n':>3} {'numhep diet':>12} {'madspace':>9} {'numhep/madspace':>16}")
    for n in range(3, 7):
        diet, _, mad = rambo_rates(ms, n, args.events, rng)
        print(f"{n:>3} {diet:>12.2f} {mad:>9.2f} {diet / mad:>16.2f}")
    text, k, total, t_ours, t_ms, wratio = channel_mappings(ms, args.events // 4, rng)
    print(f"\n2. Diagram channels of {text} at 13 TeV with the luminosity map: {k} channels, {total} events, one core")
    print(f"   numhep {total / t_ours / 1e6:.2f}  madspace {total / t_ms / 1e6:.2f} million events/s"
          f"  -> numhep/madspace {t_ms / t_ours:.2f}   (phase-space volume of channel 0, numhep/madspace: {wratio})")
    rows = integrators(args.calls, args.iterations)
    print(f"\n3. g g > t t~ at 13 TeV, {args.iterations} iterations x {args.calls} calls, one core")
    print(f"{'integrator':<28} {'sigma pb':>10} {'rel err':>9} {'calls':>8} {'s':>6} {'per s vs vegas':>15} {'per call vs vegas':>18}")
    _, m_v, s_v, n_v, t_v = rows[-1]
    e_v = s_v / m_v
    for name, m, s, n, t in rows:
        e = s / m
        print(f"{name:<28} {m:>10.3f} {e:>9.2e} {n:>8} {t:>6.2f} {e_v**2 * t_v / (e * e * t):>15.2f} {e_v**2 * n_v / (e * e * n):>18.2f}")


if __name__ == "__main__":
    main()
