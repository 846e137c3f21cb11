"""numhep.ops: one registration gives the array function, its VJP and its torch twin.

The phase-space, PDF, VEGAS and dipole operations are checked against finite differences in
their own test modules; here the registration itself: a new kernel declared in a module of
its own becomes a differentiable function on numpy arrays and on torch tensors with nothing
else written, and the calling conventions (cotangent broadcasting, errors, array kinds)
hold for every registered operation.
"""

import importlib
import sys
import textwrap

import numpy as np
import pytest

import numhep
from kernel_checks import check_vjp
from numhep import ops
from numhep.amplitudes import catani_seymour
from numhep.integration import vegas
from numhep.pdfsets import parton_density
from numhep.phasespace import blocks, flat

#: every operation numhep registers, by where it lives
OPERATIONS = {
    **{name: getattr(blocks, name) for name in blocks.__all__},
    "rambo_map": flat.rambo_map,
    "rambo_on_diet": flat.rambo_on_diet,
    "rambo_on_diet_inverse": flat.rambo_on_diet_inverse,
    "dipoles": catani_seymour.dipoles,
    "splitting_azimuths": catani_seymour.splitting_azimuths,
    "xfxq2": parton_density.xfxq2,
    "alphas_q2": parton_density.alphas_q2,
    "vegas_map": vegas.vegas_map,
}

NEW_KERNEL = '''
"""A kernel a user adds: y = x^3 sin(a), with its adjoint beside it."""
import math

from numhep import ops
from numhep.kernels._target import adjoint_of, kernel


@kernel
def cube_sine(i, x, a, y):
    y[i] = x[i] ** 3 * math.sin(a[i])


@adjoint_of(cube_sine)
def cube_sine_vjp(i, x, a, gy, gx, ga):
    gx[i] = gy[i] * 3.0 * x[i] ** 2 * math.sin(a[i])
    ga[i] = gy[i] * x[i] ** 3 * math.cos(a[i])


def _cube_sine(xp, x, a):
    """x^3 sin(a) per event."""
    x = xp.ascontiguousarray(xp.asarray(x, dtype=xp.float64))
    a = xp.ascontiguousarray(xp.broadcast_to(xp.asarray(a, dtype=xp.float64), x.shape))
    return (x, a), {"x": 0, "a": 1}


cube_sine_op = ops.kernel_op(cube_sine, signature=_cube_sine, outputs=("y",),
                             shapes=lambda k: ((k[0].shape, k[0].dtype),), differentiable=("x", "a"),
                             result=None)
'''


@pytest.fixture(scope="module")
def user_module(tmp_path_factory):
    folder = tmp_path_factory.mktemp("user_kernel")
    (folder / "user_cube_sine.py").write_text(textwrap.dedent(NEW_KERNEL))
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("user_cube_sine")
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("user_cube_sine", None)


def test_one_registration_gives_function_vjp_and_torch_twin(user_module):
    op = user_module.cube_sine_op
    rng = np.random.default_rng(3)
    x, a = rng.uniform(0.5, 2.0, 6), rng.uniform(-1.0, 1.0, 6)
    np.testing.assert_allclose(op(x, a), x**3 * np.sin(a), rtol=1e-14)
    np.testing.assert_array_equal(op.forward(np, x, a)[0], op(x, a))
    check_vjp(lambda x, a: (op(x, a),), lambda args, cot: op.vjp(*args, *cot), [x, a])
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    at = torch.tensor(a, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, a: op(x, a), (xt, at))
    # a plain number is a constant: its derivative is not asked for, the tensor's is
    y = op(xt, 0.3)
    y.sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), 3 * x**2 * np.sin(0.3), rtol=1e-14)


def test_scalar_cotangents_broadcast_and_wrong_shapes_are_named():
    rng = np.random.default_rng(4)
    u = rng.uniform(size=(5, 2))
    gu_ones = flat.rambo_on_diet.vjp(u, 300.0, [0.0, 0.0], 1.0, 0.0)
    gu_full = flat.rambo_on_diet.vjp(u, 300.0, [0.0, 0.0], np.ones((5, 2, 4)), np.zeros(5))
    for a, b in zip(gu_ones, gu_full):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="grad_momenta: expected shape"):
        flat.rambo_on_diet.vjp(u, 300.0, [0.0, 0.0], np.ones((4, 2, 4)), 0.0)
    with pytest.raises(TypeError, match="followed by 2 output cotangent"):
        flat.rambo_on_diet.vjp(u)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_operation_declares_its_differentiable_arguments(name):
    op = OPERATIONS[name]
    assert isinstance(op, ops.Op)
    assert op.differentiable and set(op.differentiable) <= set(op.signature.parameters)
    assert op.__doc__ and op.__name__


def test_vjp_runs_where_the_arrays_are_and_refuses_tensors():
    torch = pytest.importorskip("torch")
    z = np.array([0.2, 0.7])
    with pytest.raises(TypeError, match="torch tensors are not accepted here"):
        blocks.power_law_map.vjp(torch.tensor(z), 1.0, 10.0, 1.0, 0.0)


def test_the_deprecated_vjp_names_warn_and_agree():
    rng = np.random.default_rng(5)
    u = rng.uniform(size=(3, 5))
    masses = [0.0, 0.0, 0.0]
    g = rng.normal(size=(3, 3, 4))
    with pytest.warns(DeprecationWarning, match="rambo_on_diet.vjp"):
        old = numhep.rambo_on_diet_vjp(u, 500.0, masses, g, 1.0)
    for a, b in zip(old, numhep.rambo_on_diet.vjp(u, 500.0, masses, g, 1.0)):
        np.testing.assert_array_equal(a, b)


def test_scalar_cotangents_broadcast_in_the_hand_registered_ops_too():
    """rambo_map and vegas_map register their own VJPs: a scalar cotangent broadcasts there as
    in every kernel_op, and gives what the full array gives."""
    r = 1.0 - np.random.default_rng(1).random((3, 2, 4))
    full = numhep.rambo_map.vjp(r, 500.0, [0.0] * 4, np.full((3, 4, 4), 0.5), np.ones(3))
    scalar = numhep.rambo_map.vjp(r, 500.0, [0.0] * 4, 0.5, 1.0)
    for a, b in zip(full, scalar):
        np.testing.assert_array_equal(a, b)
    grid = numhep.VegasGrid(2)
    u = np.random.default_rng(2).random((4, 2))
    np.testing.assert_array_equal(numhep.vegas_map.vjp(grid, u, 1.0, 0.0)[0],
                                  numhep.vegas_map.vjp(grid, u, np.ones((4, 2)), np.zeros(4))[0])
    with pytest.raises(ValueError, match="grad_momenta: expected shape"):
        numhep.rambo_map.vjp(r, 500.0, [0.0] * 4, np.ones(2), 1.0)
