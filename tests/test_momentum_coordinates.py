"""The momentum coordinates of Heimel's thesis (Eq. 6.31): the map, its measure against numhep's own
phase-space map, its adjoint against finite differences, and bad input."""

import os

import numpy as np
import pytest

from numhep.phasespace import momentum_coordinates, momentum_coordinates_map

MASSES = [173.0, 125.0, 0.0]
SQRT_S = 13000.0


def _coordinates(n, seed=1):
    return np.random.default_rng(seed).normal(0.0, 120.0, size=(n, 7))


def test_events_conserve_momentum_sit_on_shell_and_round_trip():
    y = _coordinates(20)
    p, x, w = momentum_coordinates_map(y, SQRT_S, MASSES)
    np.testing.assert_allclose(p[:, :2].sum(axis=1), p[:, 2:].sum(axis=1), atol=1e-9)
    mass2 = p[..., 0] ** 2 - (p[..., 1:] ** 2).sum(axis=-1)
    np.testing.assert_allclose(mass2[:, 2:], np.broadcast_to(np.square(MASSES), (20, 3)), atol=1e-7)
    np.testing.assert_allclose(mass2[:, :2], 0.0, atol=1e-7)
    np.testing.assert_allclose(p[:, 0, 0], 0.5 * SQRT_S * x[:, 0])
    np.testing.assert_allclose(momentum_coordinates(p[:, 2:]), y, rtol=1e-13)
    assert np.all(w > 0)


def test_measure_is_numhep_phase_space_weight_over_the_jacobian_of_its_map():
    """weight(y) = dx1 dx2 dPhi / dy: numhep's flat map (luminosity + RAMBO on diet) gives dx1 dx2 dPhi / du,
    and |det dy/du| by central differences converts one into the other."""
    import numhep

    f = numhep.integrand("u b > t h d", SQRT_S, model="sm_cpv_no_b_mass")
    u0 = np.random.default_rng(3).uniform(0.2, 0.8, size=(4, 7))

    def coords(u):
        pts = f.evaluate(u)
        return momentum_coordinates(pts.momenta[:, 2:]), pts

    y0, pts = coords(u0)
    jac = np.zeros((4, 7, 7))
    for k in range(7):
        up, um = u0.copy(), u0.copy()
        up[:, k] += 1e-6
        um[:, k] -= 1e-6
        jac[:, :, k] = (coords(up)[0] - coords(um)[0]) / 2e-6
    _, w_map = f.inverse(pts.momenta, x=pts.x)
    p, x, w = momentum_coordinates_map(y0, SQRT_S, MASSES)
    np.testing.assert_allclose(p, pts.momenta, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(x, pts.x, rtol=1e-12)
    np.testing.assert_allclose(w, w_map / np.abs(np.linalg.det(jac)), rtol=1e-6)


def test_no_event_beyond_the_collider_energy():
    y = np.array([[0.0, 0.0, 9000.0, 0.0, 0.0, 100.0, 0.0]])
    p, x, w = momentum_coordinates_map(y, SQRT_S, MASSES)
    assert x[0, 0] > 1.0 and w[0] == 0.0


def test_adjoint_against_finite_differences():
    rng = np.random.default_rng(5)
    y = _coordinates(6, seed=2)
    gp, gx = rng.normal(size=(6, 5, 4)), rng.normal(size=(6, 2))
    gw = rng.normal(size=6) / momentum_coordinates_map(y, SQRT_S, MASSES)[2]  # all three terms of one size

    def loss(v):
        p, x, w = momentum_coordinates_map(v, SQRT_S, MASSES)
        return (gp * p).sum() + (gx * x).sum() + (gw * w).sum()

    (grad,) = momentum_coordinates_map.vjp(y, SQRT_S, MASSES, gp, gx, gw)
    fd = np.zeros_like(y)
    for a in range(y.shape[0]):
        for b in range(y.shape[1]):
            step = 1e-5 * max(1.0, abs(y[a, b]))
            yp, ym = y.copy(), y.copy()
            yp[a, b] += step
            ym[a, b] -= step
            fd[a, b] = (loss(yp) - loss(ym)) / (2 * step)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


def test_torch_gradients_through_the_adjoint():
    torch = pytest.importorskip("torch")
    y = torch.tensor(_coordinates(3), requires_grad=True)
    p, x, w = momentum_coordinates_map(y, SQRT_S, MASSES)
    (p.sum() + x.sum() + (w / w.detach()).sum()).backward()
    gp = np.ones((3, 5, 4))
    (expected,) = momentum_coordinates_map.vjp(y.detach().numpy(), SQRT_S, MASSES, gp, np.ones((3, 2)),
                                               1.0 / w.detach().numpy())
    np.testing.assert_allclose(y.grad.numpy(), expected, rtol=1e-12)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="3k - 2 = 7"):
        momentum_coordinates_map(np.zeros((2, 6)), SQRT_S, MASSES)
    with pytest.raises(ValueError, match="masses"):
        momentum_coordinates_map(np.zeros((2, 1)), SQRT_S, [1.0])
    with pytest.raises(ValueError, match="finite"):
        momentum_coordinates_map(np.full((1, 7), np.nan), SQRT_S, MASSES)
    with pytest.raises(ValueError, match="sqrt_s"):
        momentum_coordinates_map(np.zeros((1, 7)), -1.0, MASSES)
    with pytest.raises(ValueError, match="shape"):
        momentum_coordinates(np.zeros((2, 4)))


@pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") != "1", reason="CUDA build through numba's simulator")
def test_cuda_builds_match_cpu():
    from numhep.kernels import momentum_coordinates as K
    from tests.kernel_checks import check_cuda_matches_cpu

    y = _coordinates(4, seed=7)
    rs, m = np.full(4, SQRT_S), np.array(MASSES)
    check_cuda_matches_cpu(K.momentum_coordinates_map, (y, rs, m),
                           (np.zeros((4, 5, 4)), np.zeros((4, 2)), np.zeros(4)), rtol=1e-13)
    rng = np.random.default_rng(8)
    check_cuda_matches_cpu(K.momentum_coordinates_map.vjp,
                           (y, rs, m, rng.normal(size=(4, 5, 4)), rng.normal(size=(4, 2)), rng.normal(size=4)),
                           (np.zeros((4, 7)),), rtol=1e-12, atol=1e-12)
