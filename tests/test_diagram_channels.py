"""Diagram channels: volumes, grouping, channel weights, multi-channel VEGAS and madnis."""

import math

import numpy as np
import pytest
from test_integrand import TOP, agree, drell_yan_quadrature, integrate

import numhep
from numhep.phasespace.diagram_channels import ChannelMap, diagram_channels, exchange_beams, propagator_weights
from numhep.integration.integrands import as_group


def massless_volume(n, s):
    """Phi_n for n massless particles, with RAMBO on diet's (2 pi)^(4 - 3n)."""
    return (2 * math.pi) ** (4 - 3 * n) * (math.pi / 2) ** (n - 1) * s ** (n - 2) / (
        math.factorial(n - 1) * math.factorial(n - 2))


@pytest.fixture(scope="module")
def ee_uugg():
    group = as_group("e+ e- > u u~ g g", "sm")
    return group, diagram_channels(group)


def test_channels_are_grouped_by_identical_particle_permutations(ee_uugg):
    group, chans = ee_uugg
    assert len(chans) == 16  # photon and Z for each of the 8 strongly-ordered topologies
    reps = {c.representative for c in chans}
    assert len(reps) == 10
    for c in chans:
        rep = chans[c.representative]
        assert frozenset(p.permuted(c.permutation) for p in rep.topology) == c.topology
    # every diagram of the process sits in exactly one channel
    n_diag = group.subprocesses[0].process.n_diagrams
    assert sorted(d for c in chans for d in c.diagrams[0]) == list(range(n_diag))


def test_channels_related_by_exchanging_identical_beams_share_a_map():
    # g g: every channel and its mirror under the beam exchange (t-channel lines seen from the
    # other beam) are one group, as in MadGraph's channel symmetry (Heimel's thesis, Table 5.3);
    # u d~ and e+ e- have no such symmetry, p p has it through its mirrored subprocesses
    counts = {}
    for text in ("g g > t t~ g", "g g > w+ d u~ g", "u d~ > w+ w+ w-", "e+ e- > u u~ g g", "p p > t t~"):
        chans = diagram_channels(as_group(text, "sm"))
        counts[text] = (len(chans), len({c.representative for c in chans}), sum(c.beams_exchanged for c in chans))
        n_final = len(as_group(text, "sm").subprocesses[0].legs) - 2
        for c in chans:
            rep = chans[c.representative].topology
            seen = frozenset(p.beams_exchanged(n_final) for p in rep) if c.beams_exchanged else rep
            assert frozenset(p.permuted(c.permutation) for p in seen) == c.topology
    # without the four-point-vertex topologies, the channel counts of Heimel's Table 5.3 (15, 48, 16)
    assert counts == {"g g > t t~ g": (15, 9, 6), "g g > w+ d u~ g": (48, 28, 20), "u d~ > w+ w+ w-": (16, 8, 0),
                      "e+ e- > u u~ g g": (16, 10, 0), "p p > t t~": (3, 2, 1)}


def test_four_point_vertex_diagrams_get_no_channel():
    """A four-point vertex leaves a topology one propagator short; its propagator weight (a
    product with one factor 1/|q^2|^2 fewer) took nearly all of g g > t t~ g's channel weight.
    As in MadGraph, such diagrams get no channel when full-length topologies exist, every kept
    channel has n - 1 propagators, and the weights still sum to one (the SDE weights too: they
    are normalised over the diagrams of the kept channels)."""
    for text in ("g g > t t~ g", "g g > w+ d u~ g"):
        group = as_group(text, "sm")
        chans = diagram_channels(group)
        n_final = len(group.subprocesses[0].legs) - 2
        assert all(len(c.topology) == n_final - 1 for c in chans)
        in_channels = {d for c in chans for d in c.diagrams[0]}
        assert len(in_channels) < group.subprocesses[0].process.n_diagrams  # the contact diagrams
    assert len(diagram_channels(as_group("g g > g g", "sm"))) == 3  # s, t, u; not the contact term
    for weights in ("propagator", "sde"):
        f = numhep.integrand("g g > t t~ g", 1000.0, pdf=None, cuts={"ptj": 20.0}, channel="diagrams",
                             channel_weights=weights)
        pts = f.evaluate(np.random.default_rng(2).random((200, f.dim)), np.arange(200) % f.n_channels)
        live = pts.weight > 0
        alphas = f.channel_alphas(pts.momenta[live], pts.subprocess_weight[live])
        np.testing.assert_allclose(alphas.sum(axis=1), 1.0, rtol=1e-12)
        assert alphas.mean(axis=0).max() < 0.9  # no channel swallows the others


def test_an_exchanged_member_is_the_mirror_of_its_representative(rng):
    """A member's points are its representative's with the beams exchanged: the momenta turned
    and relabelled, x swapped, its own channel weight equal to the representative's (the
    invariants are those of the mirrored propagators) and, g g being symmetric, the same
    weight; they map back to their points, and the multi-channel integral keeps the flat value."""
    f = numhep.integrand("g g > t t~ g", 13000.0, channel="diagrams", cuts={"ptj": 20.0}, **TOP)
    n = 2000
    u = rng.uniform(0.02, 0.98, (n, f.dim))
    exchanged = [c for c, ch in enumerate(f.channels) if ch.beams_exchanged]
    assert exchanged
    for c in exchanged:
        r = f.channels[c].representative
        member, rep = f.evaluate(u, np.full(n, c)), f.evaluate(u, np.full(n, r))
        live = rep.weight > 0
        assert live.sum() > 40  # the rest fail the cut or the threshold
        np.testing.assert_allclose(member.momenta, exchange_beams(rep.momenta), rtol=1e-12, atol=1e-9)
        np.testing.assert_array_equal(member.x, rep.x[:, ::-1])
        np.testing.assert_allclose(f.channel_alphas(member.momenta, member.subprocess_weight)[live, c],
                                   f.channel_alphas(rep.momenta, rep.subprocess_weight)[live, r], rtol=1e-9)
        np.testing.assert_allclose(member.weight, rep.weight, rtol=1e-9)
        back, _ = f.inverse(member.momenta, np.full(n, c), member.x)
        np.testing.assert_allclose(back[live], u[live], atol=1e-10)
    multi = multichannel(f, points=40000)
    flat = integrate(numhep.integrand("g g > t t~ g", 13000.0, cuts={"ptj": 20.0}, **TOP), points=40000)
    agree(multi.mean, multi.sdev, flat.mean, flat.sdev, rel=0.015)


def test_channel_maps_are_physical_and_cover_the_phase_space_volume(ee_uugg, rng):
    _, chans = ee_uugg
    vol = massless_volume(4, 1000.0**2)
    for r in sorted({c.representative for c in chans}):
        cm = ChannelMap(chans[r].topology, [0.0] * 4, hadronic=False)
        assert cm.dim == 8
        u = rng.random((40_000, cm.dim))
        _, p, w = cm.generate(u, 1000.0**2)
        np.testing.assert_allclose(p[:, 2:].sum(axis=1), p[:, 0] + p[:, 1], atol=1e-9)
        assert np.abs(p[:, 2:, 0] ** 2 - (p[:, 2:, 1:] ** 2).sum(-1)).max() < 1e-6
        assert np.all(w > 0)
        # E[weight] = the phase-space volume, for every channel
        err = w.std() / math.sqrt(len(w))
        assert abs(w.mean() - vol) < 5 * err, (chans[r].describe(), w.mean() / vol, err / vol)


def test_massive_t_channel_maps_cover_the_volume(rng):
    group = as_group("u d~ > w+ w+ w-", "sm")
    chans = diagram_channels(group)
    ref = numhep.rambo(100_000, 2000.0, group.masses, seed=3)[1].mean()
    kinds = set()
    for r in sorted({c.representative for c in chans}):
        cm = ChannelMap(chans[r].topology, group.masses[2:], hadronic=False)
        kinds |= {p.spacelike for p in chans[r].topology}
        _, p, w = cm.generate(rng.random((40_000, cm.dim)), 2000.0**2)
        m2 = p[:, 2:, 0] ** 2 - (p[:, 2:, 1:] ** 2).sum(-1)
        np.testing.assert_allclose(m2, np.broadcast_to(np.square(group.masses[2:]), m2.shape), rtol=1e-9)
        assert abs(w.mean() / ref - 1) < 5 * w.std() / math.sqrt(len(w)) / ref + 0.01
    assert kinds == {True, False}  # both t-channel chains and s-channel decays were exercised


def test_channel_weights(rng):
    f = numhep.integrand("p p > e+ e-", 13000.0, cuts={"mmll": 60.0, "mmllmax": 120.0}, scale=91.188,
                         channel="diagrams")
    assert [c.describe() for c in f.channels] == ["s12(0)", "s12(91.188)"]
    u = rng.random((2000, f.dim))
    pts = f.evaluate(u, channel=1)
    a = pts.channel_weights
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-12)
    # propagator weights: the Z channel takes over at the Z pole, the photon's far below it
    m = np.sqrt(np.maximum(np.einsum("ni,ni->n", *(2 * [pts.momenta[:, 2:].sum(1) * [1, 1j, 1j, 1j]])).real, 0))
    assert a[np.abs(m - 91.188) < 1.0, 1].min() > 0.99
    assert a[m < 65.0, 0].mean() > 0.5
    # single-diagram weights of a one-diagram process are its |M|^2 up to the normalisation
    proc = numhep.process("e+ e- > vm vm~")
    p = numhep.rambo(5, 500.0, proc.masses, seed=1)[0]
    norm = proc.program.reals(proc.model.parameters())[0]
    np.testing.assert_allclose(norm * proc.diagram_weights(p)[:, 0], numhep.me(p, proc), rtol=1e-12)
    # SDE weights sum to one as well
    sde = numhep.integrand("g g > t t~", 1000.0, channel="diagrams", channel_weights="sde")
    np.testing.assert_allclose(sde.evaluate(rng.random((50, sde.dim)), 0).channel_weights.sum(1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(propagator_weights(sde.channels, p[:, 2:], p[:, 0]).sum(1), 1.0)


def multichannel(f, points=12000, iterations=8, seed=1):
    return f.multichannel_vegas(n_points=points, n_iterations=iterations, n_warmup=3, seed=seed)


def test_multichannel_drell_yan_against_quadrature():
    cuts = {"mmll": 60.0, "mmllmax": 120.0}
    f = numhep.integrand("p p > e+ e-", 13000.0, cuts=cuts, scale=91.188, channel="diagrams")
    res = multichannel(f)
    ref = drell_yan_quadrature(f.pdf, 13000.0, 60.0, 120.0, 91.188, numhep.model("sm").parameters())
    assert abs(res.mean - ref) < 3 * res.sdev and abs(res.mean / ref - 1) < 2e-3, (res.mean, res.sdev, ref)
    # the per-channel results add up, and the Z channel carries nearly all of it
    assert abs(sum(m for m, _ in res.channels) - res.mean) < 3 * res.sdev
    assert res.channels[1][0] > 0.9 * res.mean
    assert res.allocation[1] > res.allocation[0]  # N_i ~ sigma_i (Eq. 2.55)


@pytest.mark.parametrize("weights", ["propagator", "sde"])
def test_multichannel_top_pairs_match_the_flat_map(weights):
    gg = as_group("g g > t t~", "sm")
    multi = multichannel(numhep.integrand(gg, 13000.0, channel="diagrams", channel_weights=weights, **TOP))
    flat = integrate(numhep.integrand(gg, 13000.0, **TOP))
    agree(multi.mean, multi.sdev, flat.mean, flat.sdev, rel=0.01)


def test_single_channel_integrand_is_that_channel_of_the_multichannel_one(rng):
    f_all = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    assert f_all.n_channels == 4
    for c in range(f_all.n_channels):
        fc = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel=c)
        u = rng.random((200, fc.dim))
        np.testing.assert_allclose(fc(u), f_all(u, c), rtol=1e-12)
    with pytest.raises(ValueError, match="channel index"):
        numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel=7)
    with pytest.raises(ValueError, match="give the channel"):
        f_all(rng.random((3, f_all.dim)))


def test_madnis_multichannel_signature():
    madnis = pytest.importorskip("madnis.integrator")
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    cuts = {"mmll": 60.0, "mmllmax": 120.0}
    f = numhep.integrand("p p > e+ e-", 13000.0, cuts=cuts, scale=91.188, channel="diagrams")
    x = torch.rand(64, f.dim, dtype=torch.float64)
    c = torch.randint(0, 2, (64,))
    fx, y, alpha = f.torch()(x, c)
    assert fx.shape == (64,) and y.shape == (64, 16) and alpha.shape == (64, 2)
    integrator = madnis.Integrator(f.madnis())
    integrator.train(20)
    mean, err = integrator.integrate(8000)
    ref = drell_yan_quadrature(f.pdf, 13000.0, 60.0, 120.0, 91.188, numhep.model("sm").parameters())
    assert abs(mean - ref) < 5 * err + 2e-3 * ref, (mean, err, ref)


def test_multichannel_vegas_resumes_from_its_checkpoint(tmp_path):
    f = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    kw = dict(n_points=2000, n_warmup=1, channels=f.representatives, seed=4)
    full = numhep.multichannel_vegas(f, f.n_channels, f.dim, n_iterations=4, **kw)
    ck = tmp_path / "mc.npz"
    numhep.multichannel_vegas(f, f.n_channels, f.dim, n_iterations=2, checkpoint=ck, **kw)  # "killed" after 2
    resumed = numhep.multichannel_vegas(f, f.n_channels, f.dim, n_iterations=4, checkpoint=ck, **kw)
    assert resumed.iterations == full.iterations and resumed.mean == full.mean
    assert resumed.n_evaluations == full.n_evaluations


def test_cli_integrate_prints_the_channel_table(capsys):
    from numhep.cli import main

    code = main(["integrate", "e+ e- > u u~ g", "--sqrt-s", "500", "--cut", "ycut=0.02", "--channels", "diagrams",
                 "--points", "2000", "--iterations", "3", "--warmup", "1", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert "4 from the diagrams" in out and "s123(91.188) s13(0)" in out


def test_cli_generate_with_diagram_channels(tmp_path, capsys):
    from numhep.cli import main

    lhe = tmp_path / "u.lhe"
    code = main(["generate", "e+ e- > u u~ g", "--sqrt-s", "500", "--cut", "ycut=0.02", "--channels", "diagrams",
                 "-n", "100", "-o", str(lhe), "--points", "2000", "--iterations", "3", "--warmup", "1", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "diagram channels" in out and "s123(91.188) s13(0)" in out
    assert numhep.events.files.count_lhe_events(lhe) == 100


def _collider(text, hadronic):
    """(group, s_lab, the luminosity bounds) of a map test: 13 TeV with x, or 1 TeV fixed."""
    kw = dict(tau_min=0.01, tau_max=1.0) if hadronic else {}
    return as_group(text, "sm"), 13000.0**2 if hadronic else 1000.0**2, kw


@pytest.mark.parametrize("text,cuts", [("u d~ > w+ w+ w-", None), ("e+ e- > t t~ g", {"ycut": 0.01})])
def test_channel_maps_mass_derivative_against_finite_differences(text, cuts):
    """d(momenta, weight)/d(final-state masses) at fixed u: the legs' invariants m_j^2 and the
    bounds that move with the masses (with y_cut, pair bounds that are functions of them)."""
    from numhep.phasespace.cuts import Cuts

    group = as_group(text, "sm")
    masses = np.array(group.masses[2:])
    rng = np.random.default_rng(4)
    s = 1000.0**2
    pair_minima = None if cuts is None else (lambda m: Cuts(cuts).pair_minima(group.subprocesses[0].legs[2:], m, s))
    for channel in diagram_channels(group)[:5]:
        cm = ChannelMap(channel.topology, masses, False, pair_minima=pair_minima)
        u = rng.uniform(0.1, 0.9, (3, cm.dim))
        _, p, w, pullback = cm.generate_with_pullback(u, s, group.masses[:2], track_masses=True)
        g_p, g_w = rng.normal(size=p.shape), rng.normal(size=w.shape) / np.abs(w).max()
        g_m = pullback(None, g_p, g_w)[1]
        assert g_m.shape == (3, len(masses))
        for l in np.nonzero(masses)[0]:
            h = 1e-6 * masses[l]
            ends = []
            for sign in (1, -1):
                m = masses.copy()
                m[l] += sign * h
                _, pm, wm = ChannelMap(channel.topology, m, False, pair_minima=pair_minima).generate(
                    u, s, group.masses[:2])
                ends.append((g_p * pm).sum(axis=(1, 2)) + g_w * wm)
            numeric = (ends[0] - ends[1]) / (2 * h)
            np.testing.assert_allclose(g_m[:, l], numeric, rtol=1e-5, atol=1e-7 * np.abs(numeric).max() + 1e-12)


@pytest.mark.parametrize("text,hadronic", [("e+ e- > u u~ g g", False), ("g g > t t~ g", True),
                                           ("u d~ > w+ w+ w-", False)])
def test_channel_maps_reverse_sweep_against_finite_differences(text, hadronic):
    """Every channel map's pullback (x, momenta, weight) -> u through the blocks' adjoints."""
    group = as_group(text, "sm")
    masses = np.array(group.masses[2:])
    rng = np.random.default_rng(3)
    s = 13000.0**2 if hadronic else 1000.0**2
    kw = dict(tau_min=0.01, tau_max=1.0) if hadronic else {}
    for channel in diagram_channels(group)[:6]:
        cm = ChannelMap(channel.topology, masses, hadronic)
        u = rng.uniform(0.1, 0.9, (3, cm.dim))
        x, p, w, pullback = cm.generate_with_pullback(u, s, group.masses[:2], **kw)
        g_p, g_w = rng.normal(size=p.shape), rng.normal(size=w.shape) / np.abs(w).max()
        g_x = rng.normal(size=x.shape) if hadronic else None

        def loss(v):
            xv, pv, wv = cm.generate(v, s, group.masses[:2], **kw)
            return (g_p * pv).sum() + (g_w * wv).sum() + ((g_x * xv).sum() if hadronic else 0.0)

        grad = pullback(g_x, g_p, g_w)
        np.testing.assert_array_equal(pullback(g_x, g_p, g_w), grad)  # the tape sweeps again from zero
        numeric = np.zeros_like(u)
        for i in range(u.shape[0]):
            for j in range(cm.dim):
                e = np.zeros_like(u)
                e[i, j] = 1e-6
                numeric[i, j] = (loss(u + e) - loss(u - e)) / 2e-6
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6 * np.abs(numeric).max())


@pytest.mark.parametrize("text,hadronic", [("u d~ > w+ w+ w-", False), ("g g > t t~ g", True)])
def test_a_whole_channel_map_passes_torch_gradcheck(text, hadronic):
    """A channel map on torch tensors is one autograd operation whose backward pass is the
    reverse sweep through every block's adjoint: torch.autograd.gradcheck of x, p and w."""
    torch = pytest.importorskip("torch")
    group, s, kw = _collider(text, hadronic)
    for channel in diagram_channels(group)[:3]:
        cm = ChannelMap(channel.topology, np.array(group.masses[2:]), hadronic)
        u = torch.tensor(np.random.default_rng(5).uniform(0.1, 0.9, (2, cm.dim)), requires_grad=True)
        x, p, w = cm.generate(u, s, group.masses[:2], **kw)
        xn, pn, wn = cm.generate(u.detach().numpy(), s, group.masses[:2], **kw)
        np.testing.assert_array_equal(p.detach().numpy(), pn)
        assert (x is None) == (not hadronic)

        def scaled(v):  # momenta in TeV and a weight of order one keep the finite differences well conditioned
            xv, pv, wv = cm.generate(v, s, group.masses[:2], **kw)
            return (pv / 1000.0, wv / float(np.abs(wn).max())) + ((xv,) if hadronic else ())

        assert torch.autograd.gradcheck(scaled, (u,), eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("text,hadronic", [("e+ e- > u u~ g g", False), ("u d~ > w+ w+ w-", False),
                                           ("g g > t t~ g", True), ("u c > w+ w+ d s QCD=0", True)])
def test_channel_maps_invert_exactly(text, hadronic):
    """u -> momenta -> u through every block's inverse kernel, with the same weight, for every
    channel (s-channel decays, t-channel chains, resonances, massive and massless legs)."""
    group, s, kw = _collider(text, hadronic)
    for channel in diagram_channels(group):
        cm = ChannelMap(channel.topology, np.array(group.masses[2:]), hadronic)
        u = np.random.default_rng(1).uniform(0.05, 0.95, (20, cm.dim))
        x, p, w = cm.generate(u, s, group.masses[:2], **kw)
        back, w_back = cm.inverse(p, x, s, **kw)
        live = w > 0
        assert live.sum() >= 15
        np.testing.assert_allclose(back[live], u[live], atol=1e-9)
        np.testing.assert_allclose(w_back[live], w[live], rtol=1e-8)
    with pytest.raises(ValueError, match=r"p: expected shape \(n, "):
        cm.inverse(p[:, :-1], x, s, **kw)


@pytest.mark.parametrize("text,hadronic", [("u d~ > w+ w+ w-", False), ("g g > t t~ g", True),
                                           ("u c > w+ w+ d s QCD=0", True)])
def test_the_inverse_of_a_channel_map_passes_torch_gradcheck(text, hadronic):
    """The inverse on torch tensors (momenta and x in, u and the weight out) is one autograd
    operation whose backward pass runs the inverse kernels' adjoints: gradcheck in p and x."""
    torch = pytest.importorskip("torch")
    group, s, kw = _collider(text, hadronic)
    for channel in diagram_channels(group)[:3]:
        cm = ChannelMap(channel.topology, np.array(group.masses[2:]), hadronic)
        u = np.random.default_rng(7).uniform(0.2, 0.8, (2, cm.dim))
        x, p, w = cm.generate(u, s, group.masses[:2], **kw)
        p_tev = torch.tensor(p / 1000.0, requires_grad=True)
        x_t = torch.tensor(x, requires_grad=True) if hadronic else None

        def inverse(pt, *xt):
            back, wt = cm.inverse(pt * 1000.0, xt[0] if xt else None, s, **kw)
            return back, wt / float(np.abs(w).max())

        back, _ = inverse(p_tev, *((x_t,) if hadronic else ()))
        np.testing.assert_allclose(back.detach().numpy(), u, atol=1e-9)
        assert torch.autograd.gradcheck(inverse, (p_tev, *((x_t,) if hadronic else ())), eps=1e-7, atol=1e-5,
                                        rtol=1e-4)


def test_propagator_weights_adjoint():
    from kernel_checks import check_vjp

    from numhep.phasespace.diagram_channels import propagator_weights_vjp

    group = as_group("u d~ > w+ w+ w-", "sm")
    channels = diagram_channels(group)
    p, _ = numhep.rambo(4, 1000.0, group.masses, seed=8)
    check_vjp(lambda pf, pa: (propagator_weights(channels, pf, pa),),
              lambda args, cot: propagator_weights_vjp(channels, args[0], args[1],
                                                       propagator_weights(channels, *args), cot[0]),
              [np.ascontiguousarray(p[:, 2:]), np.ascontiguousarray(p[:, 0])], step=1e-5)


def test_diagram_weights_adjoint():
    # the single-diagram-enhanced weights |A_d|^2: one reverse sweep of the amplitude tape per diagram
    from kernel_checks import check_vjp

    from numhep.amplitudes.lookup import resolve

    proc = resolve("e+ e- > u u~ g g", numhep.model("sm"))
    p, _ = numhep.rambo(4, 1000.0, proc.masses, seed=3)
    check_vjp(lambda q: (proc.diagram_weights(q),), lambda args, cot: (proc.diagram_weights_vjp(args[0], cot[0]),),
              [p], step=2e-6, rtol=1e-5)
