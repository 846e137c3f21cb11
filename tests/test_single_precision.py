"""The float32 mode: kernels built in single precision from the same source
(numhep.kernels._target), and numhep.me on float32 momenta."""

import re

import numba
import numpy as np
import pytest

import numhep
from numhep.amplitudes.compiled_process import compile_process
from numhep.kernels import _target
from numhep.kernels import amplitude_block as KB
from numhep.kernels import amplitude_tape as T

#: what the README states for |M|^2 and its gradient in float32 against float64 (QCD
#: processes, flat points; benchmarks/single_precision.py measures the distribution): a
#: median relative error below 1e-5 and none above 1e-3 on a small sample.  Near soft and
#: collinear limits, and behind electroweak gauge cancellations, single precision does worse.
MEDIAN_RTOL = 1e-5
WORST_RTOL = 1e-3

_DOUBLE_ARITHMETIC = re.compile(r"= (fadd|fsub|fmul|fdiv|fneg|fpext|sitofp|uitofp|fcmp)\b[^=]*\bdouble\b")


def _double_instructions(kernel, precision, argtypes):
    """Double-precision arithmetic instructions in the optimised LLVM IR of the kernel's
    event function (with every helper it calls) built for ``precision``."""
    event = kernel._device.build(_target._CPU, precision)
    event.compile(argtypes)
    ir = event.inspect_llvm(argtypes)
    return sum(1 for line in ir.splitlines() if _DOUBLE_ARITHMETIC.search(line))


def _program_types(real, cplx, colour_dims=2):
    """Types of the program arrays: the event blocks take the colour matrix as it is, the
    per-event tape flattened (amplitude_tape.tape_arrays)."""
    A = lambda t, nd: numba.types.Array(t, nd, "C")  # noqa: E731
    i64 = numba.int64
    return A, (A(i64, 2), A(cplx, 2), A(real, 1), A(i64, 2), A(real, colour_dims), A(i64, 1), A(i64, 1), A(cplx, 1))


def _tape_types(real, cplx):
    A, prog = _program_types(real, cplx, colour_dims=1)
    return (numba.int64, A(real, 3)) + prog + (A(cplx, 3), A(real, 3), A(cplx, 2), A(real, 1))


def test_single_precision_builds_do_no_double_arithmetic():
    # the double build of the tape is full of double arithmetic; its single build must have
    # none at all: no literal, global or helper left that promotes a float32 expression
    assert _double_instructions(T.tape_me, _target.DOUBLE, _tape_types(numba.float64, numba.complex128)) > 100
    assert _double_instructions(T.tape_me, _target.SINGLE, _tape_types(numba.float32, numba.complex64)) == 0
    f32 = numba.float32
    A, prog = _program_types(f32, numba.complex64)
    _, tape_prog = _program_types(f32, numba.complex64, colour_dims=1)
    block = (numba.int64, A(f32, 4)) + prog + (A(f32, 3), A(f32, 2), A(f32, 3), A(f32, 2))
    assert _double_instructions(KB.tape_me_block, _target.SINGLE, block) == 0
    tape_vjp = ((numba.int64, A(f32, 3)) + tape_prog
                + (A(f32, 1), A(numba.complex64, 3), A(f32, 3), A(numba.complex64, 3), A(numba.complex64, 3),
                   A(numba.complex64, 2), A(numba.complex64, 2), A(numba.complex64, 3), A(f32, 3),
                   A(numba.complex64, 3), A(f32, 2), A(f32, 1), A(f32, 3)))
    assert _double_instructions(T.tape_me.vjp, _target.SINGLE, tape_vjp) == 0


def test_mixed_precision_call_is_an_error():
    proc = compile_process("g g > t t~")
    p, _ = numhep.rambo(2, 800.0, proc.masses, seed=6)
    arrays = T.tape_arrays(proc.program_arrays(None))  # float64 couplings with float32 momenta
    ws = [np.zeros(s, d) for s, d in T.workspace_shapes(2, proc.program.n_slots, proc.program.colour.shape[0],
                                                          real=np.float32)]
    with pytest.raises(TypeError, match="float32 and float64 arrays mixed"):
        T.tape_me.cpu(p.astype(np.float32), *arrays, *ws, np.empty(2, np.float32))


@pytest.mark.parametrize("name", ["gg_tt", "gg_ttgg"])
def test_float32_me_and_gradient_agree_with_float64(name):
    proc = numhep.process(name)
    p, _ = numhep.rambo(70, 2000.0, proc.masses, seed=21)  # 70 events: a padded second block
    ref, ref_grad = numhep.me(p, proc, grad=True)
    p32 = p.astype(np.float32)
    value, grad = numhep.me(p32, proc, grad=True)
    assert value.dtype == grad.dtype == np.float32
    errors = {
        "value": np.abs(value / ref - 1),
        "gradient": np.abs(grad - ref_grad).max(axis=(1, 2)) / np.abs(ref_grad).max(axis=(1, 2)),
    }
    for quantity, err in errors.items():
        assert np.median(err) < MEDIAN_RTOL, quantity
        assert err.max() < WORST_RTOL, quantity
    # the value kernel and the VJP kernel round differently, but not by more than that
    np.testing.assert_allclose(numhep.me(p32, proc), value, rtol=WORST_RTOL)
    assert np.median(np.abs(numhep.me(p32, proc) / value - 1)) < MEDIAN_RTOL


def test_float32_parameter_gradient():
    proc = numhep.process("gg_tt")
    p, _ = numhep.rambo(5, 1000.0, proc.masses, seed=4)
    _, ref = numhep.me(p, proc, grad=("MT", "aS"))
    _, got = numhep.me(p.astype(np.float32), proc, grad=("MT", "aS"))
    for name in ("MT", "aS"):
        assert got[name].dtype == np.float32
        np.testing.assert_allclose(got[name], ref[name], rtol=1e-3, err_msg=name)


def test_float32_runs_plugin_kernels_in_single_precision():
    # a hand-written process kernel gets its single build from the same machinery
    p, _ = numhep.rambo(8, 500.0, [0.0] * 4, seed=3)
    ref, ref_grad = numhep.me(p, "ee_mumu_analytic", grad=True)
    value, grad = numhep.me(p.astype(np.float32), "ee_mumu_analytic", grad=True)
    assert value.dtype == grad.dtype == np.float32
    np.testing.assert_allclose(value, ref, rtol=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-5 * np.abs(ref_grad).max())


def test_float32_conservation_check_is_relative_to_its_rounding():
    proc = numhep.process("gg_tt")
    p, _ = numhep.rambo(4, 1000.0, proc.masses, seed=2)
    p32 = p.astype(np.float32)
    numhep.me(p32, proc)  # rounding to float32 breaks conservation at 1e-7, not an error
    bad = p32.copy()
    bad[0, 2, 1] += 1e-3 * p32[0, 0, 0]
    with pytest.raises(ValueError, match="do not conserve energy-momentum"):
        numhep.me(bad, proc)


def test_float32_cuda_build_matches_cpu_blocks():
    # the single-precision CUDA build of the tape (under the simulator without a GPU)
    # against the single-precision SIMD blocks of the host
    proc = compile_process("g g > t t~")
    p = numhep.rambo(3, 800.0, proc.masses, seed=6)[0].astype(np.float32)
    arrays = T.tape_arrays(proc.program_arrays(None, np.float32))
    ws = [np.zeros(s, d) for s, d in T.workspace_shapes(3, proc.program.n_slots, proc.program.colour.shape[0],
                                                          real=np.float32)]
    gpu = np.empty(3, np.float32)
    T.tape_me.cuda(p, *arrays, *ws, gpu)
    np.testing.assert_allclose(gpu, numhep.me(p, proc), rtol=1e-5)
    np.testing.assert_allclose(gpu, numhep.me(p.astype(np.float64), proc, check=False), rtol=WORST_RTOL)


def _soft_gluon(eps, sqrt_s=1000.0):
    """e+ e- -> u u~ g with the gluon carrying a fraction eps of the beam energy."""
    e, eg = sqrt_s / 2, eps * sqrt_s / 2
    p = np.zeros((1, 5, 4))
    p[0, 0], p[0, 1], p[0, 4] = [e, 0, 0, e], [e, 0, 0, -e], [eg, eg, 0, 0]
    rest = np.array([2 * e - eg, -eg])
    mass, b = np.sqrt(rest[0] ** 2 - rest[1] ** 2), rest[1] / rest[0]
    g = 1 / np.sqrt(1 - b * b)
    for leg, sign in ((2, 1), (3, -1)):  # back to back along y in the pair's frame, boosted along x
        p[0, leg] = [g * mass / 2, g * b * mass / 2, sign * mass / 2, 0.0]
    return p


def test_near_a_soft_limit_nothing_is_silent():
    import warnings

    generic = numhep.rambo(50, 1000.0, [0.0] * 5, seed=4)[0]
    generic = generic[np.min([np.abs(2 * (generic[:, i, 0] * generic[:, j, 0]
                                          - (generic[:, i, 1:] * generic[:, j, 1:]).sum(-1)))
                              for i in range(5) for j in range(i + 1, 5)], axis=0) > 1e-3 * 1e6]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # generic events: no warning in either precision
        numhep.me(generic, "e+ e- > u u~ g")
        numhep.me(generic.astype(np.float32), "e+ e- > u u~ g")
    with pytest.warns(RuntimeWarning, match="1 of 1 events lie within 0.0001 of a soft or collinear limit"):
        near = numhep.me(_soft_gluon(1e-6).astype(np.float32), "e+ e- > u u~ g")
    assert np.isfinite(near).all()
    # float32 |M|^2 of finite momenta that comes out NaN is evaluated again in float64 and said so
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        numhep.me(_soft_gluon(1e-8).astype(np.float32), "e+ e- > u u~ g")
    assert any("non-finite" in str(w.message) for w in caught)
    with pytest.warns(RuntimeWarning, match=r"within 1e-12 of a soft or collinear limit .*float64"):
        numhep.me(_soft_gluon(1e-14), "e+ e- > u u~ g")
