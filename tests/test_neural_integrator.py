"""numhep's MadNIS: training beats flat and fixed-mapping sampling on the toys of Heimel's
thesis (Sec. 5.2), stays unbiased, resumes bit for bit, and integrates numhep's own
multi-channel integrands."""

import functools
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("madnis")

import numhep  # noqa: E402
from numhep.integration.metrics import sampler_quality  # noqa: E402
from numhep.torch import NeuralIntegrator  # noqa: E402


def camel(u):
    """Two narrow Gaussians in the unit square, integral 1."""
    s = 0.04
    peaks = [np.exp(-np.sum((u - c) ** 2, axis=1) / (2 * s * s)) for c in (0.25, 0.75)]
    return 0.5 * (peaks[0] + peaks[1]) / (2 * math.pi * s * s)


# the crossed ring of the thesis Eq. 5.29 with its Breit-Wigner channel maps, Eqs. 5.30-5.36
R0, S0, S1, S2 = 1.0, 0.05, 3.0, 0.05
G0, G1, G2 = (math.sqrt(40) * s for s in (S0, S1, S2))
C0 = math.atan(R0 / G0) / math.pi
W0 = (1 + 2 * C0) / 2


def crossed_ring_f(x):
    r = np.hypot(x[:, 0], x[:, 1])
    ring = np.exp(-((r - R0) ** 2) / (2 * S0 * S0)) / ((2 * math.pi) ** 1.5 * S0 * R0)
    t1, t2 = (x[:, 0] - x[:, 1]) / math.sqrt(2), (x[:, 0] + x[:, 1]) / math.sqrt(2)
    line = np.exp(-t1 * t1 / (2 * S1 * S1) - t2 * t2 / (2 * S2 * S2)) / (2 * math.pi * S1 * S2)
    return 0.5 * (ring + line)


def _line_map(u):
    y1, y2 = G1 * np.tan(math.pi * (u[:, 0] - 0.5)), G2 * np.tan(math.pi * (u[:, 1] - 0.5))
    return np.stack([(y2 + y1) / math.sqrt(2), (y2 - y1) / math.sqrt(2)], axis=1)


def _line_density(x):
    y1, y2 = (x[:, 0] - x[:, 1]) / math.sqrt(2), (x[:, 0] + x[:, 1]) / math.sqrt(2)
    return G1 / (G1 * G1 + y1 * y1) * G2 / (G2 * G2 + y2 * y2) / math.pi**2


def _ring_map(u):
    r = R0 + G0 * np.tan(math.pi * (W0 * u[:, 0] - C0))
    th = 2 * math.pi * u[:, 1]
    return np.stack([r * np.cos(th), r * np.sin(th)], axis=1)


def _ring_density(x):
    r = np.hypot(x[:, 0], x[:, 1])
    return G0 / (G0 * G0 + (r - R0) ** 2) / (2 * math.pi * W0 * math.pi) / r


def crossed_ring(u, channel):
    """f / g_c with channel 0 the ring map and 1 the line map, x / (1 + |x|) as the features of
    the channel-weight network, and the prior alpha_c ~ g_c."""
    channel = np.broadcast_to(channel, (u.shape[0],))
    x = np.where((channel == 0)[:, None], _ring_map(u), _line_map(u))
    dens = np.stack([_ring_density(x), _line_density(x)], axis=1)
    g_c = np.take_along_axis(dens, channel[:, None], axis=1)[:, 0]
    return crossed_ring_f(x) / g_c, x / (1 + np.abs(x)), dens / dens.sum(axis=1, keepdims=True)


def test_training_beats_flat_sampling_on_the_camel_and_stays_unbiased():
    flat = sampler_quality(camel(np.random.default_rng(0).random((40_000, 2))))
    pulls = []
    for seed in range(4):
        ni = NeuralIntegrator(camel, dim=2, steps=120, batch_size=512, learning_rate=3e-3, seed=seed)
        ni.train(progress=False)
        res = ni.integrate(20_000)
        pulls.append((res.mean - 1.0) / res.error)
        assert res.quality.relative_std < flat.relative_std / 3  # flat: sigma/I about 5
        assert res.quality.efficiency > 3 * flat.efficiency
    assert np.all(np.abs(pulls) < 3), pulls


def test_learned_channel_weights_and_flows_beat_the_fixed_maps_on_the_crossed_ring():
    fixed = NeuralIntegrator(crossed_ring, dim=2, channels=2, steps=1, seed=0).integrate(20_000)
    pulls = []
    for seed in range(3):
        ni = NeuralIntegrator(crossed_ring, dim=2, channels=2, steps=150, batch_size=512, learning_rate=3e-3,
                              seed=seed)
        ni.train(progress=False)
        res = ni.integrate(20_000)
        pulls.append((res.mean - 1.0) / res.error)
        assert res.quality.relative_std < fixed.quality.relative_std / 1.5
    assert np.all(np.abs(pulls) < 3), pulls
    assert abs(fixed.mean - 1.0) < 3 * fixed.error


def _killing(f, at_call):
    calls = {"n": 0}

    @functools.wraps(f)  # the same integrand to the checkpoint's eyes
    def dying(u, c):
        calls["n"] += 1
        if calls["n"] == at_call:
            raise KeyboardInterrupt
        return f(u, c)

    return dying


def test_a_killed_training_resumes_to_the_same_parameters(tmp_path):
    """Buffered and stratified training, channel dropping and VEGAS initialisation all carry
    state; a training killed between checkpoints ends where an uninterrupted one does."""
    opts = dict(dim=2, channels=2, steps=24, batch_size=256, buffered_steps=2, buffer_batches=4, uniform_fraction=0.5,
                stratified_after=4, drop_threshold=0.02, drop_interval=5, vegas_init=True, vegas_points=2000,
                vegas_iterations=2, checkpoint_every=5, seed=7)

    def integrand(u, c):
        return crossed_ring(u, c)

    ref = NeuralIntegrator(integrand, checkpoint=tmp_path / "ref.pt", **opts).train(progress=False)
    path = tmp_path / "killed.pt"
    # VEGAS makes 4 calls, the feature probe 1, each training step 1: killed in step 13
    with pytest.raises(KeyboardInterrupt):
        NeuralIntegrator(_killing(integrand, 18), checkpoint=path, **opts).train(progress=False)
    half = torch.load(path, weights_only=False)
    assert half["step"] == 10
    resumed = NeuralIntegrator(integrand, checkpoint=path, **opts).train(progress=False)
    assert resumed.step == ref.step == 24
    for a, b in zip(ref.flow.parameters(), resumed.flow.parameters()):
        assert torch.equal(a, b)
    for a, b in zip(ref.cwnet.parameters(), resumed.cwnet.parameters()):
        assert torch.equal(a, b)
    assert ref.history == resumed.history and ref.integrand_calls == resumed.integrand_calls
    with pytest.raises(ValueError, match="other settings.*batch_size: 256 there, 128 here"):
        NeuralIntegrator(integrand, checkpoint=path, **{**opts, "batch_size": 128})


def test_bad_points_get_weight_zero_and_the_training_goes_on():
    def spoiled(u):
        f = camel(u)
        f[::50] = np.nan  # every 50th point is broken
        return f

    ni = NeuralIntegrator(spoiled, dim=2, steps=20, batch_size=256, seed=1).train(progress=False)
    assert np.all(np.isfinite(ni.history["loss"]))
    _, _, w = ni.sample(1000)
    assert np.all(np.isfinite(w)) and np.sum(w == 0) >= 20


def test_settings_are_checked():
    with pytest.raises(ValueError, match="loss: expected one of"):
        NeuralIntegrator(camel, dim=2, loss="chi2")
    with pytest.raises(ValueError, match="dim: give the number of dimensions"):
        NeuralIntegrator(camel)
    with pytest.raises(ValueError, match="uniform_fraction"):
        NeuralIntegrator(camel, dim=2, uniform_fraction=1.5)


def test_numheps_diagram_channels_with_learned_weights_agree_with_vegas(tmp_path):
    f = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    ref = f.multichannel_vegas(n_points=20_000, n_iterations=6, seed=1)
    ni = NeuralIntegrator(f, steps=30, batch_size=512, vegas_init=True, vegas_points=4000, vegas_iterations=3,
                          buffered_steps=1, uniform_fraction=0.5, stratified_after=10, seed=2)
    ni.train(progress=False)
    assert ni.cwnet is not None and ni.flow.channels == len(f.representatives)
    res = ni.integrate(20_000)
    assert abs(res.mean - ref.mean) < 4 * math.hypot(res.error, ref.sdev)
    # per channel group: the parts add up to the total, and each has its own sigma/I and efficiency
    assert sum(m for m, _ in res.groups) == pytest.approx(res.mean, rel=1e-12)
    assert all(0 < q.efficiency <= 1 and q.relative_std > 0 for q in res.group_quality)
    assert ni.integrand_calls == 3 * 4000 + 30 * 512 + 20_000  # VEGAS, training, integration
    written = ni.plot(tmp_path)
    assert [p.name for p in written] == ["training.png", "weights.png"] and all(p.stat().st_size > 0 for p in written)


def camel_torch(u):
    """The camel written with torch: inverse training differentiates through it."""
    s = 0.04
    peaks = [torch.exp(-torch.sum((u - c) ** 2, dim=1) / (2 * s * s)) for c in (0.25, 0.75)]
    return 0.5 * (peaks[0] + peaks[1]) / (2 * math.pi * s * s)


def test_inverse_training_through_the_integrand_beats_flat_sampling():
    flat = sampler_quality(camel(np.random.default_rng(0).random((40_000, 2))))
    ni = NeuralIntegrator(camel_torch, dim=2, steps=120, batch_size=512, loss="variance", training="inverse", seed=0)
    ni.train(progress=False)
    res = ni.integrate(20_000)
    assert res.quality.relative_std < flat.relative_std / 2
    assert abs(res.mean - 1.0) < 3 * res.error
    with pytest.raises(ValueError, match="forward-training features"):
        NeuralIntegrator(camel_torch, dim=2, training="inverse", buffered_steps=2)
    with pytest.raises(ValueError, match="must return a torch tensor that depends on its input"):
        NeuralIntegrator(camel, dim=2, steps=2, training="inverse").train(progress=False)


def test_inverse_training_through_numheps_adjoints_on_diagram_channels():
    f = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    ni = NeuralIntegrator(f, steps=6, batch_size=256, training="inverse", loss="variance", seed=1)
    start = [p.detach().clone() for p in ni.flow.parameters()]
    ni.train(progress=False)
    assert ni.cwnet is None and np.all(np.isfinite(ni.history["loss"]))
    assert any(not torch.equal(a, b) for a, b in zip(start, ni.flow.parameters()))  # gradients reached the flows
    ref = f.multichannel_vegas(n_points=20_000, n_iterations=6, seed=1)
    res = ni.integrate(20_000)
    assert abs(res.mean - ref.mean) < 4 * math.hypot(res.error, ref.sdev)


def test_derivative_matching_trains_on_the_scores_of_the_integrand():
    flat = sampler_quality(camel(np.random.default_rng(0).random((40_000, 2))))
    ni = NeuralIntegrator(camel_torch, dim=2, steps=60, batch_size=512, loss="variance", derivative_matching=1e-4,
                          seed=0)
    ni.train(progress=False)
    assert ni.integrand_calls == 2 * 60 * 512  # a plain function is called again, through torch, for its score
    res = ni.integrate(20_000)
    assert res.quality.relative_std < flat.relative_std / 2 and abs(res.mean - 1.0) < 3 * res.error
    f = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    ni = NeuralIntegrator(f, steps=3, batch_size=256, derivative_matching=1e-3, buffered_steps=1, seed=1)
    ni.train(progress=False)
    assert ni.integrand_calls == 3 * 256 and np.all(np.isfinite(ni.history["loss"]))
    with pytest.raises(ValueError, match="derivative_matching: a term of forward training"):
        NeuralIntegrator(camel_torch, dim=2, training="inverse", derivative_matching=1e-3)


def test_defensive_sampling_caps_the_weights_and_stays_unbiased():
    """defensive_share=a: every density is (1 - a) g + a, so no weight exceeds f / a."""
    ni = NeuralIntegrator(camel, dim=2, steps=40, batch_size=512, defensive_share=0.2, seed=3).train(progress=False)
    u, _, w = ni.sample(20_000)
    assert np.all(w <= camel(u) / 0.2 * (1 + 1e-12))
    res = ni.integrate(20_000)
    assert abs(res.mean - 1.0) < 3 * res.error
    with pytest.raises(ValueError, match="defensive_share: inverse training"):
        NeuralIntegrator(camel_torch, dim=2, training="inverse", defensive_share=0.1)


def test_events_are_drawn_by_the_groups_largest_weights_and_stay_unbiased():
    """allocation="unweighting": P_r ~ W_r, the groups' largest weights in the training buffer,
    which makes the sample's w_max = max_r W_r / P_r the smallest any allocation gives; the mean
    weight still estimates the integral."""
    ni = NeuralIntegrator(crossed_ring, dim=2, channels=2, steps=40, batch_size=512, buffered_steps=1, seed=4,
                          min_share=0.0)
    ni.train(progress=False)
    peaks = ni.peak_weights()
    assert peaks.shape == (2,) and np.all(peaks > 0)
    _, _, group, _, frac = ni.draw(10_000, torch.Generator().manual_seed(1), allocation="unweighting")
    p = np.array([frac[group == r][0] for r in range(2)])
    np.testing.assert_allclose(p, peaks / peaks.sum(), atol=1e-4)  # counts are whole numbers
    w = ni.sample(40_000, torch.Generator().manual_seed(2), allocation="unweighting")[2]
    q = sampler_quality(w)
    assert abs(q.integral - 1.0) < 4 * q.error
    with pytest.raises(ValueError, match="allocation"):
        ni.draw(10, allocation="uniform")


def test_the_buffer_keeps_the_largest_prior_weights_and_each_points_own_channel():
    """The thesis's top-m prior storage (Sec. 5.1.2): (points x m) weights and channels in the
    buffer, the rest zero on replay; integration never sees it, so it stays unbiased."""
    f = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    ni = NeuralIntegrator(f, steps=8, batch_size=256, buffered_steps=1, buffer_prior_channels=2, seed=3)
    assert ni.target.n_channels > 2
    ni.train(progress=False)
    u, channel, values, index = ni.buffer[0], ni.buffer[2], ni.buffer[5], ni.buffer[6]
    assert values.shape == index.shape == (u.shape[0], 2)
    assert bool((index == channel[:, None]).any(dim=1).all())
    _, dense, _, _ = ni.target(u.numpy(), channel.numpy())
    dense = torch.as_tensor(dense)
    torch.testing.assert_close(values, dense.gather(1, index), rtol=0, atol=0)
    dropped = dense.scatter(1, index, -1.0)
    other = torch.where(index == channel[:, None], torch.inf, values).min(dim=1).values
    assert bool((other >= dropped.max(dim=1).values).all())
    ref = f.multichannel_vegas(n_points=20_000, n_iterations=6, seed=1)
    res = ni.integrate(20_000)
    assert abs(res.mean - ref.mean) < 4 * math.hypot(res.error, ref.sdev)
    with pytest.raises(ValueError, match="buffer_prior_channels"):
        NeuralIntegrator(f, buffer_prior_channels=0)
