"""MADNIS-Lite's trainable channel maps: numhep's diagram-channel maps run on torch tensors with
a bilinear spline flow in front of every block (arXiv:2408.01486, Sec. 4.2, Table 1)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("madnis")

from numhep.integration.integrands import as_group  # noqa: E402
from numhep.phasespace.diagram_channels import ChannelMap, diagram_channels  # noqa: E402
from numhep.torch.trainable_channel_maps import TrainableChannelMaps  # noqa: E402

CASES = [("u d~ > w+ w+ w-", False), ("g g > t t~ g", True), ("e+ e- > u u~ g g", False)]


def _setup(text, hadronic):
    group = as_group(text, "sm")
    s = 13000.0**2 if hadronic else 1000.0**2
    kw = dict(tau_min=0.01, tau_max=1.0) if hadronic else {}
    maps = [ChannelMap(c.topology, np.array(group.masses[2:]), hadronic) for c in diagram_channels(group)[:6]]
    return group, s, kw, maps


def _randomised(seed=0, scale=0.3):
    maps = TrainableChannelMaps()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in maps.parameters():
            p.copy_(scale * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return maps


def test_table_1_parameters_shared_by_every_channel():
    # 190 per kind of time-like invariant (massless, massive, pseudo-particle), 798, 380 and 114
    assert TrainableChannelMaps().n_parameters == 3 * 190 + 798 + 380 + 114


@pytest.mark.parametrize("text,hadronic", CASES)
def test_untrained_maps_are_numheps_channel_maps(text, hadronic):
    group, s, kw, maps = _setup(text, hadronic)
    trainable = TrainableChannelMaps()
    for cm in maps:
        u = np.random.default_rng(1).uniform(0.05, 0.95, (20, cm.dim))
        x, p, w = cm.generate(u, s, group.masses[:2], **kw)
        xt, pt, wt = trainable.generate(cm, torch.tensor(u), s, group.masses[:2], **kw)
        np.testing.assert_allclose(pt.detach().numpy(), p, rtol=1e-13, atol=1e-9)
        np.testing.assert_allclose(wt.detach().numpy(), w, rtol=1e-13)


@pytest.mark.parametrize("text,hadronic", CASES[:2])
def test_trained_maps_keep_the_phase_space_volume(text, hadronic):
    """With flows in front of the blocks the weight gains |dx/dr|: the mean weight over uniform
    r, the phase-space volume, is the same as without."""
    group, s, kw, maps = _setup(text, hadronic)
    trainable = _randomised()
    for cm in maps[:3]:
        r = np.random.default_rng(2).random((40_000, cm.dim))
        _, _, w = cm.generate(r, s, group.masses[:2], **kw)
        with torch.no_grad():
            _, _, wt = trainable.generate(cm, torch.tensor(r), s, group.masses[:2], **kw)
        wt = wt.numpy()
        assert not np.allclose(wt, w)
        err = np.hypot(w.std() / np.sqrt(w.size), wt.std() / np.sqrt(wt.size))
        assert abs(wt.mean() - w.mean()) < 4 * err


def test_gradients_reach_the_flows_and_the_numbers():
    group, s, kw, maps = _setup("g g > t t~ g", True)
    trainable = _randomised(seed=3, scale=0.1)
    cm = maps[0]
    r = torch.tensor(np.random.default_rng(4).uniform(0.1, 0.9, (3, cm.dim)), requires_grad=True)

    def outputs(rr):
        _, p, w = trainable.generate(cm, rr, s, group.masses[:2], **kw)
        return p / 1000.0, torch.log(w)

    assert torch.autograd.gradcheck(outputs, (r,), eps=1e-6, atol=1e-5, rtol=1e-4)
    _, _, w = trainable.generate(cm, r.detach(), s, group.masses[:2], **kw)
    torch.log(w).sum().backward()
    used = {k for k, f in trainable.flows.items() if f.weights[0].grad is not None and f.weights[0].grad.abs().sum() > 0}
    assert {"luminosity", "scattering"} <= used


def test_madnis_lite_training_improves_numheps_channel_maps():
    """NeuralIntegrator(flows="bilinear"): the shared block flows, trained with the stratified
    multi-channel variance loss and buffered training, beat the untrained maps and stay unbiased."""
    import numhep
    from numhep.torch import NeuralIntegrator

    f = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    ni = NeuralIntegrator(f, steps=25, batch_size=512, flows="bilinear", learn_channel_weights=False,
                          uniform_fraction=0.5, buffered_steps=2, learning_rate=1e-2, seed=1)
    assert ni.flow.maps.n_parameters == 1862
    before = ni.integrate(10_000, torch.Generator().manual_seed(5))
    ni.train(progress=False)
    after = ni.integrate(10_000, torch.Generator().manual_seed(5))
    assert after.quality.relative_std < 0.8 * before.quality.relative_std
    ref = f.multichannel_vegas(n_points=20_000, n_iterations=6, seed=1)
    assert abs(after.mean - ref.mean) < 4 * np.hypot(after.error, ref.sdev)
    with pytest.raises(ValueError, match="flows='bilinear': MADNIS-Lite's trainable maps need"):
        NeuralIntegrator(numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}), flows="bilinear")


def test_channel_map_flow_density_is_normalised_and_matches_its_samples():
    import numhep
    from numhep.torch.trainable_channel_maps import ChannelMapFlow

    f = numhep.integrand("g g > t t~ g", 13000.0, channel="diagrams")
    maps = _randomised(seed=6, scale=0.2)
    group_maps = [f.channel_map(r) for r in f.representatives]
    flow = ChannelMapFlow(maps, [cm for cm, _ in group_maps], group_maps[0][1])
    g = torch.arange(40) % len(group_maps)
    with torch.no_grad():
        u, q = flow.sample(40, g, generator=torch.Generator().manual_seed(1))
        np.testing.assert_allclose(torch.log(q).numpy(), flow.log_prob(u, g).numpy(), atol=1e-10)
        uniform = torch.rand((20_000, flow.dim), generator=torch.Generator().manual_seed(2), dtype=torch.float64)
        density = torch.exp(flow.log_prob(uniform, torch.zeros(20_000, dtype=torch.long)))
    assert abs(float(density.mean()) - 1.0) < 4 * float(density.std()) / np.sqrt(20_000)


def test_density_of_all_groups_at_once_equals_the_group_by_group_density():
    """log_prob of points without a gradient evaluates each block flow once for all groups; the
    density and its gradient in the flows' parameters are those of the maps run group by group,
    block by block (the path of points that need a gradient)."""
    import numhep
    from numhep.torch.trainable_channel_maps import ChannelMapFlow

    f = numhep.integrand("g g > t t~ g", 13000.0, channel="diagrams")
    maps = _randomised(seed=8, scale=0.2)
    group_maps = [f.channel_map(r) for r in f.representatives]
    flow = ChannelMapFlow(maps, [cm for cm, _ in group_maps], group_maps[0][1])
    u = torch.rand((60, flow.dim), generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    g = torch.arange(60) % len(group_maps)
    batched = flow.log_prob(u, g)
    (grad_batched,) = torch.autograd.grad(batched.sum(), [maps.flows["scattering"].weights[0]])
    by_group = flow.log_prob(u.clone().requires_grad_(True), g)  # a gradient in u: group by group
    (grad_by_group,) = torch.autograd.grad(by_group.sum(), [maps.flows["scattering"].weights[0]])
    np.testing.assert_allclose(batched.detach().numpy(), by_group.detach().numpy(), rtol=0, atol=1e-12)
    assert float(grad_by_group.abs().max()) > 0
    np.testing.assert_allclose(grad_batched.numpy(), grad_by_group.numpy(), rtol=1e-10, atol=1e-12)


def test_vegas_on_top_of_the_maps_and_transfer_to_another_process():
    """Untrained maps + VEGAS is numhep's multi-channel VEGAS (to rounding); trained maps +
    VEGAS stay unbiased; maps trained on e+e- -> 3 jets serve e+e- -> 4 jets unchanged."""
    import numhep
    from numhep.torch import NeuralIntegrator

    f = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    plain = f.multichannel_vegas(n_points=4000, n_iterations=4, seed=1)
    ni = NeuralIntegrator(f, steps=10, batch_size=256, flows="bilinear", learn_channel_weights=False,
                          learning_rate=1e-2, seed=1)
    untrained = ni.vegas_on_top(n_points=4000, n_iterations=4, seed=1)
    assert untrained.mean == pytest.approx(plain.mean, rel=1e-12) and untrained.sdev == pytest.approx(plain.sdev, rel=1e-12)
    ni.train(progress=False)
    trained = ni.vegas_on_top(n_points=4000, n_iterations=4, seed=1)
    assert abs(trained.mean - plain.mean) < 4 * np.hypot(trained.sdev, plain.sdev)
    f4 = numhep.integrand("e+ e- > u u~ g g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    moved = NeuralIntegrator(f4, steps=1, flows="bilinear", learn_channel_weights=False, seed=2)
    moved.flow.maps.load_state_dict(ni.flow.maps.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(moved.flow.maps.parameters(), ni.flow.maps.parameters()))
    ref4 = f4.multichannel_vegas(n_points=4000, n_iterations=4, seed=1)
    res4 = moved.integrate(6000)
    assert abs(res4.mean - ref4.mean) < 4 * np.hypot(res4.error, ref4.sdev)


def test_learned_maps_of_figure_6_start_as_the_identity_and_are_plotted(tmp_path):
    """The interpretation plot (MADNIS-Lite Fig. 6): the conditions the blocks meet are the
    physical ones (sqrt(s_hat) within the collider energy, sqrt(p^2) of a 2 -> 2 block below
    it), an untrained flow maps r to itself, a trained one does not, and the PNG is written."""
    import numhep
    from numhep.torch.trainable_channel_maps import ChannelMapFlow

    f = numhep.integrand("g g > t t~ g", 13000.0, channel="diagrams")
    group_maps = [f.channel_map(r) for r in f.representatives]
    flow = ChannelMapFlow(TrainableChannelMaps(), [cm for cm, _ in group_maps], group_maps[0][1])
    seen = flow.block_conditions(64, torch.Generator().manual_seed(1))
    assert {"invariant massless", "scattering"} <= set(seen)
    shat, p2 = seen["scattering"][:, 0], seen["scattering"][:, 1]
    assert np.all((0 < p2) & (p2 <= shat + 1e-12) & (shat <= 1.0))  # over sqrt(s_lab)
    r = np.random.default_rng(2).random((50, 2))
    cond = np.tile(np.median(seen["scattering"], axis=0), (50, 1))
    np.testing.assert_allclose(flow.learned_map("scattering", cond, r), r, atol=1e-12)
    trained = _randomised(seed=3)
    flow.maps.load_state_dict(trained.state_dict())
    assert np.abs(flow.learned_map("scattering", cond, r) - r).max() > 1e-3
    png = flow.plot_learned_maps(tmp_path / "maps.png", n=64)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_inverse_training_of_the_trainable_maps_through_the_integrand():
    """flows="bilinear" with training="inverse": the loss is differentiated through the block
    flows, numhep's channel maps and the integrand (adjoints all the way); it falls, the maps
    improve, the integral stays unbiased."""
    import numhep
    from numhep.torch import NeuralIntegrator

    f = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    ni = NeuralIntegrator(f, steps=25, batch_size=512, flows="bilinear", training="inverse", loss="variance",
                          learning_rate=1e-2, uniform_fraction=0.5, seed=1)
    before = ni.integrate(10_000, torch.Generator().manual_seed(5))
    ni.train(progress=False)
    after = ni.integrate(10_000, torch.Generator().manual_seed(5))
    loss = np.array(ni.history["loss"])
    assert loss[-5:].mean() < 0.85 * loss[:5].mean()
    assert after.quality.relative_std < 0.95 * before.quality.relative_std
    ref = f.multichannel_vegas(n_points=20_000, n_iterations=6, seed=1)
    assert abs(after.mean - ref.mean) < 4 * np.hypot(after.error, ref.sdev)
