import numpy as np
import pytest
from kernel_checks import check_cuda_matches_cpu, check_vjp
from scipy.spatial.transform import Rotation

import numhep.adjoint.lorentz  # noqa: F401  (attaches the VJPs)
from numhep.phasespace import kinematics as kinematics
from numhep.kernels import lorentz as K


def timelike(rng, n, mass=10.0):
    p3 = rng.normal(scale=50.0, size=(n, 3))
    e = np.sqrt(mass**2 + (p3**2).sum(1))
    return np.column_stack([e, p3])


def unary(kernel):
    def f(p):
        out = np.empty(p.shape[0])
        kernel.cpu(p, out)
        return out

    def vjp(inputs, cot):
        gp = np.empty_like(inputs[0])
        kernel.vjp.cpu(inputs[0], cot[0], gp)
        return (gp,)

    return f, vjp


@pytest.mark.parametrize(
    "kernel", [K.invariant_mass, K.transverse_momentum, K.rapidity, K.pseudorapidity]
)
def test_unary_kernels_vjp_and_cuda(kernel, rng):
    p = timelike(rng, 16)
    f, vjp = unary(kernel)
    check_vjp(f, vjp, [p])
    check_cuda_matches_cpu(kernel, [p[:4]], [np.empty(4)])
    g, gp = rng.normal(size=4), np.empty((4, 4))
    check_cuda_matches_cpu(kernel.vjp, [p[:4], g], [gp])


def test_values_against_definitions(rng):
    p = timelike(rng, 100, mass=3.0)
    np.testing.assert_allclose(kinematics.invariant_mass(p), 3.0, rtol=1e-9)
    pt = np.hypot(p[:, 1], p[:, 2])
    np.testing.assert_allclose(kinematics.transverse_momentum(p), pt, rtol=1e-14)
    y = 0.5 * np.log((p[:, 0] + p[:, 3]) / (p[:, 0] - p[:, 3]))
    np.testing.assert_allclose(kinematics.rapidity(p), y, rtol=1e-12, atol=1e-14)
    eta = np.arctanh(p[:, 3] / np.linalg.norm(p[:, 1:], axis=1))
    np.testing.assert_allclose(kinematics.pseudorapidity(p), eta, rtol=1e-10, atol=1e-13)
    spacelike = np.array([[1.0, 2.0, 0.0, 0.0]])
    assert kinematics.invariant_mass(spacelike)[0] == pytest.approx(-np.sqrt(3.0))


def test_minkowski_dot_vjp_cuda_and_invariance(rng):
    p, q = timelike(rng, 12), timelike(rng, 12, 5.0)

    def f(p, q):
        out = np.empty(p.shape[0])
        K.minkowski_dot.cpu(p, q, out)
        return out

    def vjp(inputs, cot):
        gp, gq = np.empty_like(inputs[0]), np.empty_like(inputs[1])
        K.minkowski_dot.vjp.cpu(*inputs, cot[0], gp, gq)
        return gp, gq

    check_vjp(f, vjp, [p, q])
    check_cuda_matches_cpu(K.minkowski_dot, [p[:3], q[:3]], [np.empty(3)])
    check_cuda_matches_cpu(K.minkowski_dot.vjp, [p[:3], q[:3], np.ones(3)], [np.empty((3, 4)), np.empty((3, 4))])
    beta = rng.uniform(-0.5, 0.5, size=(12, 3))
    before = kinematics.minkowski_dot(p, q)
    after = kinematics.minkowski_dot(kinematics.boost(p, beta), kinematics.boost(q, beta))
    np.testing.assert_allclose(after, before, rtol=1e-12)


def test_boost_inverse_rest_frame_vjp_and_cuda(rng):
    p = timelike(rng, 12)
    beta = rng.uniform(-0.55, 0.55, size=(12, 3))
    back = kinematics.boost(kinematics.boost(p, beta), -beta)
    np.testing.assert_allclose(back, p, rtol=1e-12, atol=1e-10)
    # boosting by -p/E brings p to rest
    rest = kinematics.boost(p, -p[:, 1:] / p[:, :1])
    np.testing.assert_allclose(rest[:, 1:], 0.0, atol=1e-9)
    np.testing.assert_allclose(rest[:, 0], 10.0, rtol=1e-10)

    def f(p, b):
        out = np.empty_like(p)
        K.boost.cpu(p, b, out)
        return out

    def vjp(inputs, cot):
        gp, gb = np.empty_like(inputs[0]), np.empty_like(inputs[1])
        K.boost.vjp.cpu(*inputs, cot[0], gp, gb)
        return gp, gb

    check_vjp(f, vjp, [p, beta], step=1e-7)
    check_cuda_matches_cpu(K.boost, [p[:3], beta[:3]], [np.empty((3, 4))])
    check_cuda_matches_cpu(
        K.boost.vjp, [p[:3], beta[:3], p[:3]], [np.empty((3, 4)), np.empty((3, 3))]
    )


def test_rotation_preserves_invariants_and_vjp(rng):
    p = timelike(rng, 10)
    r = Rotation.random(10, random_state=3).as_matrix()
    q = kinematics.rotate(p, r)
    np.testing.assert_allclose(q[:, 1:], np.einsum("nab,nb->na", r, p[:, 1:]), rtol=1e-13)
    np.testing.assert_allclose(kinematics.invariant_mass(q), kinematics.invariant_mass(p), rtol=1e-10)

    def f(p, r):
        out = np.empty_like(p)
        K.rotate.cpu(p, r, out)
        return out

    def vjp(inputs, cot):
        gp, gr = np.empty_like(inputs[0]), np.empty_like(inputs[1])
        K.rotate.vjp.cpu(*inputs, cot[0], gp, gr)
        return gp, gr

    check_vjp(f, vjp, [p, r])
    check_cuda_matches_cpu(K.rotate, [p[:2], r[:2]], [np.empty((2, 4))])
    check_cuda_matches_cpu(K.rotate.vjp, [p[:2], r[:2], p[:2]], [np.empty((2, 4)), np.empty((2, 3, 3))])


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="shape"):
        kinematics.invariant_mass(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        kinematics.invariant_mass(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="beta"):
        kinematics.boost(np.ones((1, 4)), np.array([[1.0, 0.0, 0.0]]))


def test_boost_to_frame_rest_vector_and_vjp(rng):
    q = timelike(rng, 10, mass=20.0)
    rest = np.tile([20.0, 0.0, 0.0, 0.0], (10, 1))
    out = np.empty_like(q)
    K.boost_to_frame.cpu(rest, q, out)
    np.testing.assert_allclose(out, q, rtol=1e-12)
    p = timelike(rng, 10, mass=2.0)

    def f(p, q):
        out = np.empty_like(p)
        K.boost_to_frame.cpu(p, q, out)
        return out

    def vjp(inputs, cot):
        gp, gq = np.empty_like(inputs[0]), np.empty_like(inputs[1])
        K.boost_to_frame.vjp.cpu(*inputs, cot[0], gp, gq)
        return gp, gq

    check_vjp(f, vjp, [p, q])
    check_cuda_matches_cpu(K.boost_to_frame, [p[:2], q[:2]], [np.empty((2, 4))])
    check_cuda_matches_cpu(K.boost_to_frame.vjp, [p[:2], q[:2], p[:2]], [np.empty((2, 4))] * 2)


def test_cos_sin_of_a_fraction_of_a_turn_is_exact_to_rounding():
    """cos_sin_turns(u) against cos and sin of 2 pi u in extended precision: within 3e-16
    everywhere (libm on a rounded 2 pi u reaches 7e-16), exact at the quadrant points."""
    from numhep.kernels.lorentz import cos_sin_turns

    u = np.concatenate([np.random.default_rng(3).random(20_000), np.linspace(0.0, 1.0, 4001),
                        [1e-300, 1e-17, 0.25 - 1e-17, 0.5 + 1e-16, 1.0 - 1e-16]])
    got = np.array([cos_sin_turns(x) for x in u])
    turn = 2 * np.longdouble("3.14159265358979323846264338327950288") * u.astype(np.longdouble)
    assert np.abs(got[:, 0] - np.cos(turn)).max() < 3e-16
    assert np.abs(got[:, 1] - np.sin(turn)).max() < 3e-16
    quadrants = np.array([cos_sin_turns(x) for x in (0.0, 0.25, 0.5, 0.75, 1.0)])
    np.testing.assert_array_equal(quadrants, [[1, 0], [0, 1], [-1, 0], [0, -1], [1, 0]])
