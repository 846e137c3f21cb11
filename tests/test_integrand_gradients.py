"""The integrand as a differentiable function of its points, and its behaviour at the edges.

d w/du runs the adjoints of every piece (luminosity map, RAMBO on diet, beams, |M|^2, PDFs,
alpha_s, the scale, the flux): checked against finite differences by torch's gradcheck on
whole integrands, at a lepton collider with cuts and at the LHC with the default dynamical
scale and running alpha_s.  Points on the boundary of the physical region or outside the
cube get weight 0 without failing the batch.
"""

import numpy as np
import pytest

import numhep

torch = pytest.importorskip("torch")

CASES = {
    "ee -> u u~ g, y_cut": ("e+ e- > u u~ g", dict(sqrt_s=1000.0, cuts={"ycut": 0.01})),
    "pp -> t t~, HT/2, alpha_s(PDF)": ("p p > t t~", dict(sqrt_s=13000.0)),
    "pp -> e+ e-, mu = sqrt(s_hat)": ("p p > e+ e-", dict(sqrt_s=13000.0, cuts={"mmll": 60.0, "mmllmax": 120.0},
                                                        scale="shat")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradcheck_of_the_whole_integrand(case):
    text, options = CASES[case]
    f = numhep.integrand(text, **options)
    rng = np.random.default_rng(11)
    u = rng.uniform(0.05, 0.95, (5, f.dim))
    w = f(u)
    assert np.count_nonzero(w) >= 3
    scale = float(np.abs(w).max())
    ut = torch.tensor(u, requires_grad=True)
    wt = f(ut)
    assert isinstance(wt, torch.Tensor) and wt.dtype == torch.float64
    np.testing.assert_allclose(wt.detach().numpy(), w, rtol=1e-13)
    # relative to the largest weight: an azimuth the weight does not depend on gives
    # finite differences of pure rounding
    assert torch.autograd.gradcheck(lambda v: f(v) / scale, (ut,), eps=1e-6, atol=1e-7, rtol=1e-4)


def test_gradient_vanishes_where_a_cut_applies():
    f = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01})
    u = torch.tensor(np.random.default_rng(2).uniform(size=(400, f.dim)), requires_grad=True)
    w = f(u)
    w.sum().backward()
    cut = w.detach().numpy() == 0
    assert cut.any() and (~cut).any()
    assert np.all(u.grad.numpy()[cut] == 0) and np.any(u.grad.numpy()[~cut] != 0)


def test_tensors_in_give_tensors_out_without_gradients_too():
    f = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    u = np.random.default_rng(3).uniform(size=(50, f.dim)).astype(np.float32).astype(np.float64)
    c = np.arange(50) % f.n_channels
    w = f(torch.tensor(u, dtype=torch.float32), torch.tensor(c))
    assert isinstance(w, torch.Tensor) and w.dtype == torch.float32
    np.testing.assert_allclose(w.numpy(), f(u, c).astype(np.float32), rtol=1e-6)


CHANNELS = {
    "ee -> u u~ g g, y_cut": ("e+ e- > u u~ g g", dict(sqrt_s=1000.0, cuts={"ycut": 0.01})),
    "ee -> u u~ g g, y_cut, SDE weights": ("e+ e- > u u~ g g", dict(sqrt_s=1000.0, cuts={"ycut": 0.01},
                                                                   channel_weights="sde")),
    # 24 subprocesses: the SDE weights mix them by |W_k|, so alpha_c depends on the PDFs too
    "pp -> e+ e- j, SDE weights": ("p p > e+ e- j", dict(sqrt_s=13000.0, cuts={"mmll": 60.0, "ptj": 20.0},
                                                       scale=91.188, channel_weights="sde")),
    "pp -> t t~": ("p p > t t~", dict(sqrt_s=13000.0)),
    "u d~ -> W+ W+ W- (t-channel chains)": ("u d~ > w+ w+ w-", dict(sqrt_s=1000.0, pdf=None)),
}


@pytest.mark.parametrize("case", sorted(CHANNELS))
def test_gradcheck_through_the_diagram_channels(case):
    # the channel maps' reverse sweep (numhep.phasespace.tape) and the channel weights'
    # adjoint (propagator or single-diagram enhanced), on every channel of the process
    text, options = CHANNELS[case]
    f = numhep.integrand(text, channel="diagrams", **options)
    rng = np.random.default_rng(5)
    n = 2 * f.n_channels
    u = rng.uniform(0.05, 0.95, (n, f.dim))
    c = np.arange(n) % f.n_channels
    w = f(u, c)
    assert np.count_nonzero(w) >= 3
    scale = float(np.abs(w).max())
    ut = torch.tensor(u, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: f(v, torch.tensor(c)) / scale, (ut,), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_a_bad_point_gets_weight_zero_not_an_error_for_the_batch():
    f = numhep.integrand("p p > t t~", 13000.0)
    u = np.random.default_rng(4).uniform(0.1, 0.9, (5, f.dim))
    good = f(u)
    u[1, 0] = 0.0  # s_hat exactly at the threshold 2 m_t: unscrambled Sobol starts here
    u[2, 3] = np.nan
    u[3, 2] = 1.5  # outside the cube
    w = f(u)
    assert w[1] == 0 and w[2] == 0 and w[3] == 0
    np.testing.assert_array_equal(w[[0, 4]], good[[0, 4]])
    ut = torch.tensor(u, requires_grad=True)
    f(ut).sum().backward()
    assert np.all(ut.grad.numpy()[1:4] == 0) and np.all(np.isfinite(ut.grad.numpy()))


PARAMETERS = {
    "ee -> mu+ mu-: MZ, 1/alpha": ("e+ e- > mu+ mu-", dict(sqrt_s=200.0), ("MZ", "aEWM1")),
    "pp -> e+ e- channels: MZ, WZ": ("p p > e+ e-", dict(sqrt_s=13000.0, cuts={"mmll": 60.0, "mmllmax": 120.0},
                                                       scale=91.188, channel="diagrams"), ("MZ", "WZ")),
    "gg -> t t~, model alpha_s: aS, WT": ("g g > t t~", dict(sqrt_s=13000.0, alpha_s=None), ("aS", "WT")),
    "pp -> e+ e- j, SDE channels: MZ": ("p p > e+ e- j", dict(sqrt_s=13000.0, cuts={"mmll": 60.0, "ptj": 20.0},
                                                           scale=91.188, channel="diagrams",
                                                           channel_weights="sde"), ("MZ",)),
}


@pytest.mark.parametrize("case", sorted(PARAMETERS))
def test_gradcheck_in_the_model_inputs(case):
    text, options, names = PARAMETERS[case]
    f = numhep.integrand(text, **options)
    rng = np.random.default_rng(2)
    u = rng.uniform(0.05, 0.95, (6, f.dim))
    channel = () if f.channels is None else (torch.tensor(np.arange(6) % f.n_channels),)
    scale = float(np.abs(f(u, *(c.numpy() for c in channel))).max())
    base = numhep.model("sm").parameters()
    inputs = [torch.tensor(base[k], dtype=torch.float64, requires_grad=True) for k in names]

    def weights(v, *values):
        return f(v, *channel, params=dict(zip(names, values))) / scale

    assert torch.autograd.gradcheck(weights, (torch.tensor(u, requires_grad=True), *inputs), eps=1e-6, atol=1e-6,
                                    rtol=1e-4)


def test_running_alpha_s_makes_the_model_alpha_s_drop_out():
    # with alpha_s from the PDF set, |M|^2 ~ aS^2 is rescaled by (alpha_s(mu)/aS)^2: d w/d aS = 0
    f = numhep.integrand("g g > t t~", sqrt_s=13000.0)
    a_s = torch.tensor(0.118, dtype=torch.float64, requires_grad=True)
    f(np.random.default_rng(3).uniform(0.1, 0.9, (8, f.dim)), params={"aS": a_s}).sum().backward()
    assert abs(float(a_s.grad)) < 1e-10


MASSES = {
    "pp -> t t~: MT moves the threshold": ("p p > t t~", dict(sqrt_s=13000.0), "MT", 173.0),
    "ee -> t t~: MT": ("e+ e- > t t~", dict(sqrt_s=500.0), "MT", 173.0),
    "u d~ -> W+ W+ W-: MZ moves the derived MW": ("u d~ > w+ w+ w-", dict(sqrt_s=13000.0), "MZ", 91.188),
    # diagram channels: the legs' invariants m_j^2 and the bounds that move with the masses
    "pp -> t t~ channels: MT": ("p p > t t~", dict(sqrt_s=13000.0, channel="diagrams"), "MT", 173.0),
    "ee -> t t~ g channels, y_cut: MT": ("e+ e- > t t~ g", dict(sqrt_s=1000.0, cuts={"ycut": 0.01},
                                                              channel="diagrams"), "MT", 173.0),
    "u d~ -> W+ W+ W- channels: MZ": ("u d~ > w+ w+ w-", dict(sqrt_s=1000.0, pdf=None, channel="diagrams"),
                                      "MZ", 91.188),
}


@pytest.mark.parametrize("case", sorted(MASSES))
def test_gradcheck_in_an_input_that_moves_final_state_masses(case):
    # at fixed u the flat phase space is built for the call's masses: RAMBO on diet's mass
    # cotangents and, at hadron colliders, the luminosity map's threshold tau_min(m)
    text, options, name, value = MASSES[case]
    f = numhep.integrand(text, **options)
    n = 5 if f.channels is None else 2 * f.n_channels
    u = torch.tensor(np.random.default_rng(5).uniform(0.05, 0.95, (n, f.dim)), requires_grad=True)
    channel = () if f.channels is None else (torch.tensor(np.arange(n) % f.n_channels),)
    w = f(u.detach().numpy(), *(c.numpy() for c in channel))
    assert np.count_nonzero(w) >= 3
    mass = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v, m: f(v, *channel, params={name: m}) / np.abs(w).max(), (u, mass),
                                    eps=1e-5, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("channel", [None, "diagrams"])
def test_the_top_mass_derivative_of_the_cross_section_is_unbiased(channel):
    # mean d w/dMT over one sample against the difference of two independent integrations
    # at MT +- 2 GeV; at LO the t t~ cross section falls by about 3 % per GeV
    f = numhep.integrand("p p > t t~", 13000.0, channel=channel)
    rng = np.random.default_rng(8)
    n = 20000
    c = () if channel is None else (np.arange(n) % f.n_channels,)
    mt = torch.tensor(173.0, dtype=torch.float64, requires_grad=True)
    w = f(torch.tensor(rng.random((n, f.dim))), *(torch.tensor(a) for a in c), params={"MT": mt})
    d = torch.autograd.grad(w.sum(), mt)[0].item() / n
    sigma = w.mean().item()
    ends = []
    for m in (175.0, 171.0):
        wm = f(rng.random((n, f.dim)), *c, params={"MT": m})
        ends.append((wm.mean(), wm.std() / np.sqrt(n)))
    fd = (ends[0][0] - ends[1][0]) / 4.0
    fd_err = np.hypot(ends[0][1], ends[1][1]) / 4.0
    assert abs(d - fd) < 4.0 * fd_err
    assert -0.04 < d / sigma < -0.02


def test_an_input_that_moves_an_incoming_mass_is_refused():
    g = numhep.integrand("t t~ > z h", 1000.0)
    with pytest.raises(ValueError, match="MT = 174.0 moves the mass of an incoming leg"):
        g(torch.rand(3, g.dim, dtype=torch.float64), params={"MT": torch.tensor(174.0, dtype=torch.float64)})


def test_evaluate_gives_the_gradient_of_every_weight():
    f = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    u = np.random.default_rng(3).random((40, f.dim))
    c = np.arange(40) % len(f.channels)
    pts = f.evaluate(u, c, gradient=True)
    assert pts.gradient.shape == u.shape and np.any(pts.gradient != 0)
    h = 1e-6
    for j in range(f.dim):
        e = np.zeros_like(u)
        e[:, j] = h
        fd = (f.evaluate(u + e, c).weight - f.evaluate(u - e, c).weight) / (2 * h)
        live = (pts.weight > 0) & (f.evaluate(u + e, c).weight > 0) & (f.evaluate(u - e, c).weight > 0)
        np.testing.assert_allclose(pts.gradient[live, j], fd[live], rtol=1e-5, atol=1e-12)


INVERSES = {
    "pp -> t t~, flat": ("p p > t t~", dict(sqrt_s=13000.0), None),
    "pp -> t t~, channel 1": ("p p > t t~", dict(sqrt_s=13000.0, channel="diagrams"), 1),
    # channel 2 samples through channel 0's map with the beams exchanged
    "pp -> t t~, channel 2 (beams exchanged)": ("p p > t t~", dict(sqrt_s=13000.0, channel="diagrams"), 2),
    "ee -> u u~ g, flat": ("e+ e- > u u~ g", dict(sqrt_s=1000.0, cuts={"ycut": 0.01}), None),
    "ee -> u u~ g, channel 2": ("e+ e- > u u~ g", dict(sqrt_s=1000.0, cuts={"ycut": 0.01}, channel="diagrams"), 2),
}


@pytest.mark.parametrize("case", sorted(INVERSES))
def test_the_inverse_of_the_integrands_map_on_tensors(case):
    # events back to their points: exact, and differentiable in the momenta (and x) through
    # the inverse kernels' adjoints and the boost to the partonic frame
    text, options, channel = INVERSES[case]
    f = numhep.integrand(text, **options)
    u = np.random.default_rng(1).uniform(0.1, 0.9, (4, f.dim))
    c = None if channel is None else np.full(4, channel)
    pts = f.evaluate(u, c)
    p = torch.tensor(pts.momenta / 1000.0, requires_grad=True)  # TeV: steps of one size for every leg
    extra = () if pts.x is None else (torch.tensor(pts.x, requires_grad=True),)
    scale = float(np.abs(f.inverse(pts.momenta, c, pts.x)[1]).max())

    def inverse(q, *x):
        back, weight = f.inverse(q * 1000.0, c, *x)
        return back, weight / scale

    np.testing.assert_allclose(inverse(p, *extra)[0].detach().numpy(), u, atol=1e-12)
    assert torch.autograd.gradcheck(inverse, (p, *extra), eps=1e-7, atol=1e-5, rtol=1e-4)
