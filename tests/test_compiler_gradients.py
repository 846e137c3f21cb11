"""Gradients of compiled processes: reverse mode through the amplitude program."""

import numpy as np
import pytest
from kernel_checks import check_vjp

import numhep
from numhep.amplitudes.compiled_process import compile_process
from numhep.kernels import amplitude_tape as T


@pytest.mark.parametrize("text", ["e+ e- > mu+ mu-", "g g > t t~", "g g > t t~ g", "u d~ > w+ w+ w-", "b u > t h d",
                                  "e+ e- > u u~ g g", "u d~ > w+ h h", "h h > h h", "z z > h h"])
def test_momentum_gradient_against_finite_differences(text):
    proc = compile_process(text)
    p, _ = numhep.rambo(5, 1000.0, proc.masses, seed=11)

    def f(p):
        return numhep.me(p, proc, check=False)

    def vjp(inputs, cot):
        _, dp = numhep.me(inputs[0], proc, grad=True, check=False)
        return (dp * cot[0][:, None, None],)

    # d|M|^2/dp is the gradient of the kernels' function of all components (off shell too)
    check_vjp(f, vjp, [p], step=1e-7, rtol=2e-6)


@pytest.mark.parametrize("text", ["g g > t t~", "u d~ > w+ w+ w-", "b u > t h d", "e+ e- > mu+ mu-", "e+ e- > z h h"])
def test_parameter_gradients_against_finite_differences(text):
    proc = compile_process(text)
    p, _ = numhep.rambo(4, 1000.0, proc.masses, seed=12)
    names = ("MT", "MZ", "Gf", "aEWM1", "aS", "MH", "WT", "WZ", "WW")
    _, g = numhep.me(p, proc, grad=names)
    for name in names:
        x = proc.model.inputs[name]
        # widths move |M|^2 little away from their poles: a larger step keeps rounding down
        h = 1e-2 * x if name.startswith("W") else 1e-6 * x
        up = numhep.me(p, proc, params={name: x + h})
        dn = numhep.me(p, proc, params={name: x - h})
        fd = (up - dn) / (2 * h)
        scale = np.abs(fd).max() + 1e-12 * np.abs(up).max() / h
        np.testing.assert_allclose(g[name], fd, rtol=1e-5, atol=1e-6 * scale, err_msg=name)


def test_gradient_value_is_the_value():
    proc = compile_process("g g > t t~ g")
    p, _ = numhep.rambo(6, 1000.0, proc.masses, seed=13)
    me, dp = numhep.me(p, proc, grad=True)
    np.testing.assert_allclose(me, numhep.me(p, proc), rtol=1e-14)
    assert dp.shape == p.shape


def _tape_vjp_workspaces(proc, arrays, m):
    """(shape, dtype) of the tape VJP's workspaces and coupling/mass cotangents for m events."""
    shapes = T.workspace_shapes(m, proc.program.n_slots, proc.program.colour.shape[0], grad=True)
    return shapes + [((m, arrays[1].shape[0], 4), complex), ((m, arrays[2].shape[0]), float)]


def test_tape_adjoint_cuda_build_matches_cpu():
    proc = compile_process("g g > t t~")
    p, _ = numhep.rambo(2, 800.0, proc.masses, seed=6)
    arrays = T.tape_arrays(proc.program_arrays(None))
    shapes = _tape_vjp_workspaces(proc, arrays, 2)
    work = [np.zeros(s, d) for s, d in shapes[:-2]]
    outs = [np.zeros(s, d) for s, d in shapes[-2:]] + [np.zeros(2), np.zeros((2, 4, 4))]
    cpu = [o.copy() for o in outs]
    T.tape_me.vjp.cpu(p, *arrays, np.ones(2), *[w.copy() for w in work], *cpu)
    gpu = [o.copy() for o in outs]
    T.tape_me.vjp.cuda(p, *arrays, np.ones(2), *[w.copy() for w in work], *gpu)
    for a, b in zip(cpu, gpu):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-300)


def test_device_workspaces_keep_events_innermost():
    from types import SimpleNamespace

    from numhep import arrays as ab

    device_like = SimpleNamespace(empty=np.empty, moveaxis=np.moveaxis)  # any namespace but numpy
    w = ab.workspace(device_like, (3, 5, 4), complex)
    assert w.shape == (3, 5, 4) and w.strides == (16, 4 * 3 * 16, 3 * 16)
    assert ab.workspace(np, (3, 5, 4), complex).flags.c_contiguous


def test_tape_runs_on_device_layout_workspaces():
    # on a device the workspaces keep the events innermost in memory (coalesced loads,
    # array_backend.workspace); the CUDA build (the simulator here) must give the same value
    # and gradient through such strided views
    from numba import cuda

    def events_innermost(shape, dtype):
        nd = len(shape)
        return cuda.to_device(np.zeros(tuple(shape[1:]) + (shape[0],), dtype)).transpose((nd - 1,) + tuple(range(nd - 1)))

    proc = compile_process("g g > t t~")
    p, _ = numhep.rambo(3, 800.0, proc.masses, seed=6)
    arrays = T.tape_arrays(proc.program_arrays(None))
    shapes = _tape_vjp_workspaces(proc, arrays, 3)
    work = [events_innermost(s, d) for s, d in shapes]
    value, grad = np.empty(3), np.empty_like(p)
    T.tape_me.vjp.cuda(p, *arrays, np.ones(3), *work, value, grad)
    ref, ref_grad = numhep.me(p, proc, grad=True)
    np.testing.assert_allclose(value, ref, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-12 * np.abs(ref_grad).max())
    out = np.empty(3)
    value_shapes = T.workspace_shapes(3, proc.program.n_slots, proc.program.colour.shape[0])
    T.tape_me.cuda(p, *arrays, *[events_innermost(s, d) for s, d in value_shapes], out)
    np.testing.assert_allclose(out, ref, rtol=1e-12)


def test_chunked_evaluation_equals_one_piece(monkeypatch):
    # events go through the kernels in workspace-sized chunks; the parameter gradients are
    # contracted chunk by chunk: a tiny budget (one event per chunk) must change nothing
    from numhep.amplitudes import runtime

    proc = compile_process("g g > t t~ g")
    p, _ = numhep.rambo(7, 1000.0, proc.masses, seed=13)
    value = numhep.me(p, proc)
    full, grads = numhep.me(p, proc, grad=("p", "MT", "aS"))
    monkeypatch.setattr(runtime, "WORKSPACE_BYTES", 1)
    assert runtime.events_per_chunk(proc.program) == 1 and runtime.events_per_chunk(proc.program, grad=True) == 1
    np.testing.assert_array_equal(numhep.me(p, proc), value)
    chunked, cgrads = numhep.me(p, proc, grad=("p", "MT", "aS"))
    np.testing.assert_array_equal(chunked, full)
    for name in ("p", "MT", "aS"):
        np.testing.assert_allclose(cgrads[name], grads[name], rtol=1e-13, atol=0)
