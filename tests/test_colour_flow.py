"""Leading-colour flows for event records, drawn by their squared partial amplitudes."""

import math

import numpy as np
import pytest

import numhep
from numhep.amplitudes.colour_flow import colour_flows, leading_colour_flows


def _process(text, model="sm"):
    return numhep.process_group(text, model=model).subprocesses[0].process


def _two_to_two(theta, energy=500.0):
    """Beams along z, the first outgoing leg at polar angle theta (massless legs)."""
    s, c = math.sin(theta), math.cos(theta)
    return np.array([[[energy, 0, 0, energy], [energy, 0, 0, -energy],
                      [energy, energy * s, 0, energy * c], [energy, -energy * s, 0, -energy * c]]])


def test_a_collinear_gluon_takes_the_colour_of_the_quark_it_leaves():
    """u u~ > g g: the colour-ordered amplitude with the incoming u next to gluon g has the
    collinear pole of u || g, so the flow whose u colour line goes into that gluon dominates."""
    proc = _process("u u~ > g g")
    flows = leading_colour_flows(proc.legs)
    for theta, collinear_leg in ((1e-3, 2), (math.pi - 1e-3, 3)):
        w = proc.colour_flow_weights(_two_to_two(theta))[0]
        best = flows[np.argmax(w)]
        assert best[collinear_leg, 0] == best[0, 0]  # that gluon carries the incoming u's colour
        assert w.max() > 1e6 * w.min()
    # at 90 degrees the two gluons are exchanged by a rotation about the beam's normal: equal weights
    w = proc.colour_flow_weights(_two_to_two(math.pi / 2))[0]
    np.testing.assert_allclose(w[0], w[1], rtol=1e-10)


def test_a_colour_singlet_exchange_never_joins_the_incoming_quarks():
    """b d~ > t H u~ goes through a t-channel W: the colour runs b -> t and d~ -> u~, and the
    other leading flow (b joined to d~) has a vanishing partial amplitude."""
    proc = _process("b d~ > t h u~", model="sm_cpv_no_b_mass")
    masses = numhep.process_group("b d~ > t h u~", model="sm_cpv_no_b_mass").masses
    p = numhep.rambo(200, 2000.0, masses, seed=4)[0]
    w = proc.colour_flow_weights(p)
    flows = leading_colour_flows(proc.legs)
    joined = [k for k, f in enumerate(flows) if f[0, 0] == f[1, 1]]  # the b's colour is the d~'s anticolour
    assert len(joined) == 1 and np.all(w[:, 1 - joined[0]] > 0)
    assert np.all(w[:, joined[0]] <= 1e-12 * w[:, 1 - joined[0]])
    tags = colour_flows(proc.legs, 200, np.random.default_rng(1), w)
    assert not np.any(tags[:, 0, 0] == tags[:, 1, 1])


def test_one_colour_structure_gives_a_weight_proportional_to_the_squared_matrix_element():
    proc = _process("e+ e- > u u~ g")
    masses = numhep.process_group("e+ e- > u u~ g").masses
    p = numhep.rambo(50, 1000.0, masses, seed=2)[0]
    w = proc.colour_flow_weights(p)
    assert w.shape == (50, 1)
    ratio = w[:, 0] / numhep.me(p, proc)
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-10)
    # a colourless process has one flow, without tags
    leptons = _process("e+ e- > mu+ mu-")
    assert leading_colour_flows(leptons.legs).tolist() == [[[0, 0]] * 4]
    assert leptons.colour_flow_weights(_two_to_two(0.7)).shape == (1, 1)


def test_flows_are_drawn_in_proportion_to_their_weights():
    legs = (2, -2, 21, 21)
    flows = leading_colour_flows(legs)
    n = 40_000
    tags = colour_flows(legs, n, np.random.default_rng(3), np.tile([1.0, 3.0], (n, 1)))
    share = np.mean(np.all(tags == flows[1], axis=(1, 2)))
    assert abs(share - 0.75) < 4 * math.sqrt(0.75 * 0.25 / n)
    # a row without a positive finite weight falls back to a uniform draw
    tags = colour_flows(legs, n, np.random.default_rng(4), np.tile([0.0, np.nan], (n, 1)))
    assert abs(np.mean(np.all(tags == flows[1], axis=(1, 2))) - 0.5) < 4 * math.sqrt(0.25 / n)
    with pytest.raises(ValueError, match="weights: expected shape"):
        colour_flows(legs, 3, np.random.default_rng(0), np.ones((3, 5)))


def test_a_subprocess_with_exchanged_beams_draws_the_mirrored_flow():
    """u~ u > g g is u u~ > g g with the beams exchanged: a gluon collinear to the u (now the
    second beam) takes the u's colour."""
    group = numhep.process_group("p p > g g")
    sub = next(s for s in group.subprocesses if s.legs[:2] == (-2, 2))
    assert sub.swapped
    p = _two_to_two(math.pi - 1e-3)  # leg 2 along -z, with the u
    tags = sub.colour_flows(np.repeat(p, 50, axis=0), np.random.default_rng(5))
    assert np.mean(tags[:, 2, 0] == tags[:, 1, 0]) > 0.95


def test_every_flow_from_one_tape_run_equals_the_rank_one_colour_matrix_of_that_flow(monkeypatch):
    """g g > t t~ g: |A_f|^2 of the one-run kernel is |M|^2 with the colour matrix
    conj(W_f) W_f^T (one run of the |M|^2 kernel per flow, what fewer flows take), flow by
    flow; its CUDA build gives the same numbers."""
    from kernel_checks import check_cuda_matches_cpu

    from numhep.amplitudes import compiled_process, runtime
    from numhep.kernels import amplitude_tape as T

    proc = _process("g g > t t~ g")
    masses = numhep.process_group("g g > t t~ g").masses
    p = numhep.rambo(3, 1500.0, masses, seed=7)[0]
    per_flow = proc.colour_flow_weights(p)
    monkeypatch.setattr(compiled_process, "ONE_RUN_FLOWS", 2)
    w = proc.colour_flow_weights(p)
    np.testing.assert_allclose(w, per_flow, rtol=1e-12)
    flows = proc.colour_flow_projections()
    assert w.shape == (3, len(leading_colour_flows(proc.legs))) == (3, flows.shape[1])
    arrays = list(proc.program_arrays())
    for f in range(flows.shape[1]):
        arrays[4] = np.outer(flows[:, f].conj(), flows[:, f])
        np.testing.assert_allclose(w[:, f], runtime.value(proc.program, p, np, tuple(arrays)), rtol=1e-12)
    tape = T.tape_arrays(proc.program_arrays())
    nj = flows.shape[0]
    ws = [np.zeros(s, d) for s, d in T.workspace_shapes(2, proc.program.n_slots, nj)]
    cuda = check_cuda_matches_cpu(T.tape_colour_flow_weights, (p[:2], *tape[:4], flows.reshape(-1), *tape[5:], *ws),
                                  [np.empty((2, flows.shape[1]))])
    np.testing.assert_allclose(cuda[0], w[:2], rtol=1e-13)


def test_colour_flow_weights_adjoint():
    from kernel_checks import check_vjp

    proc = _process("u u~ > t t~ g")
    masses = numhep.process_group("u u~ > t t~ g").masses
    p = numhep.rambo(3, 1200.0, masses, seed=5)[0]
    check_vjp(lambda q: (proc.colour_flow_weights(q),),
              lambda args, cot: (proc.colour_flow_weights_vjp(args[0], cot[0]),), [p], step=2e-6, rtol=1e-5)
    with pytest.raises(ValueError, match="g: expected shape"):
        proc.colour_flow_weights_vjp(p, np.ones((3, 7)))


def test_colour_flow_projections_are_cached_beside_the_program_and_heal_when_damaged(tmp_path, monkeypatch):
    import warnings

    from numhep.amplitudes import compiled_process as C

    monkeypatch.setenv("NUMHEP_CACHE_DIR", str(tmp_path))
    fresh = C.CompiledProcess("u u~ > g g g").colour_flow_projections()
    (path,) = (tmp_path / "processes").glob("*.colour_flows.npz")

    def no_decomposition(self):
        raise AssertionError("the colour decomposition was built again")

    with monkeypatch.context() as m:
        m.setattr(C.CompiledProcess, "_colour_decomposition", no_decomposition)
        np.testing.assert_array_equal(C.CompiledProcess("u u~ > g g g").colour_flow_projections(), fresh)
    raw = path.read_bytes()
    k = len(raw) // 2
    path.write_bytes(raw[:k] + bytes([raw[k] ^ 0x01]) + raw[k + 1:])
    with pytest.warns(RuntimeWarning, match=path.name):
        again = C.CompiledProcess("u u~ > g g g").colour_flow_projections()
    np.testing.assert_allclose(again, fresh, rtol=0, atol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        C.CompiledProcess("u u~ > g g g").colour_flow_projections()
