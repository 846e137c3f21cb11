"""numhep integrands driven by other people's samplers: madnis (multi-channel, with cuts and
channel groups), madnis on the raw integrand, vegas, and scipy's Sobol sequence from its origin."""

import numpy as np
import pytest

import numhep

torch = pytest.importorskip("torch")
madnis = pytest.importorskip("madnis.integrator")

THREE_JETS = dict(sqrt_s=1000.0, cuts={"ycut": 0.01})


def test_madnis_multichannel_with_cuts_agrees_with_vegas():
    f = numhep.integrand("e+ e- > u u~ g", channel="diagrams", **THREE_JETS)
    ref = f.multichannel_vegas(n_points=20000, n_iterations=8, seed=1)
    torch.manual_seed(0)
    integrator = madnis.Integrator(f.madnis(), batch_size=1024)
    losses = []
    integrator.train(40, callback=lambda status: losses.append(status.loss))
    assert all(np.isfinite(losses))  # points that fail the cuts have a valid channel prior
    mean, err = integrator.integrate(20000)
    assert abs(mean - ref.mean) < 4 * np.hypot(err, ref.sdev), (mean, err, ref.mean, ref.sdev)


def test_madnis_gets_numheps_channel_groups():
    f = numhep.integrand("e+ e- > u u~ g g", channel="diagrams", **THREE_JETS)
    integrand = f.madnis()
    assert f.n_channels == 16 and integrand.unique_channel_count() == len(f.representatives) == 10
    for k, channel in enumerate(integrand.channel_grouping.channels):
        assert channel.target_index == f.channels[k].representative
    # a batch of points that all fail the cuts still has a normalised prior
    u = np.zeros((4, f.dim))
    pts = f.evaluate(u, np.arange(4))
    assert np.all(pts.weight == 0)
    np.testing.assert_allclose(pts.channel_weights.sum(axis=1), 1.0)


def test_madnis_on_the_raw_integrand():
    # tensor in, tensor out: madnis calls the integrand itself with tensors
    f = numhep.integrand("ee_mumu_analytic", 200.0)
    exact = numhep.process("ee_mumu_analytic").meta["total_cross_section"](200.0)
    torch.manual_seed(1)
    integrator = madnis.Integrator(f, dims=f.dim)
    integrator.train(10)
    mean, err = integrator.integrate(4000)
    assert abs(mean - exact) < 5 * err + 1e-3 * exact


def test_unscrambled_sobol_starts_at_the_origin():
    from scipy.stats import qmc

    f = numhep.integrand("p p > t t~", 13000.0)
    u = qmc.Sobol(f.dim, scramble=False).random(256)
    assert np.all(u[0] == 0)
    w = f(u)
    assert w[0] == 0 and np.all(np.isfinite(w)) and np.count_nonzero(w) > 200


def _weights_elsewhere(payload):
    import pickle

    f, u = pickle.loads(payload)
    return f(u)


def test_integrands_pickle_small_and_run_in_another_interpreter():
    import multiprocessing
    import pickle

    f = numhep.integrand("p p > t t~", 13000.0)
    u = np.random.default_rng(5).uniform(size=(20, f.dim))
    payload = pickle.dumps((f, u))
    # the model, the processes and the PDF set travel by name, not as couplings and grids
    assert len(pickle.dumps(f)) < 10_000
    np.testing.assert_array_equal(pickle.loads(payload)[0](u), f(u))
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        # another interpreter may split the events over its threads differently: a last bit may move
        np.testing.assert_allclose(pool.apply(_weights_elsewhere, (payload,)), f(u), rtol=1e-13, atol=0)
