import math

import numpy as np
import pytest
from kernel_checks import check_cuda_matches_cpu, check_vjp
from scipy.special import gammaln

import numhep
import numhep.adjoint.rambo  # noqa: F401
import numhep.adjoint.rambo_on_diet  # noqa: F401
from numhep.kernels import rambo as KR
from numhep.kernels import rambo_on_diet as KD


def massless_volume(n, sqrt_s):
    return math.exp(
        (4 - 3 * n) * math.log(2 * math.pi) + (n - 1) * math.log(math.pi / 2)
        + (2 * n - 4) * math.log(sqrt_s) - gammaln(n) - gammaln(n - 1)
    )


def check_physical(p, sqrt_s, masses, tol=1e-12):
    total = p.sum(axis=-2)
    np.testing.assert_allclose(total[..., 0], sqrt_s, rtol=tol)
    np.testing.assert_allclose(total[..., 1:], 0.0, atol=tol * sqrt_s)
    m2 = p[..., 0] ** 2 - (p[..., 1:] ** 2).sum(-1)
    # on-shell to tol relative to E^2 (E^2 - p^2 cancels digits for light particles)
    err = np.abs(m2 - np.asarray(masses) ** 2) / p[..., 0] ** 2
    assert err.max() < tol, err.max()
    assert np.all(p[..., 0] > 0)


@pytest.mark.parametrize("n", [2, 3, 4, 6])
def test_rambo_massless_flat_weight_and_conservation(n):
    pts = numhep.rambo(200, sqrt_s=1000.0, masses=[0.0] * (n + 2), seed=1)
    p, w = pts
    assert p.shape == (200, n + 2, 4)
    check_physical(p[:, 2:], 1000.0, [0.0] * n)
    np.testing.assert_allclose(p[:, 0], [[500.0, 0, 0, 500.0]] * 200)
    np.testing.assert_allclose(p[:, 1], [[500.0, 0, 0, -500.0]] * 200)
    np.testing.assert_allclose(w, massless_volume(n, 1000.0), rtol=1e-12)


@pytest.mark.parametrize("n", [3, 4, 6])
def test_rambo_on_diet_massless_weight_is_the_volume_and_inverse(n, rng):
    masses = [0.0] * n
    u = rng.uniform(size=(300, 3 * n - 4))
    p, w = numhep.rambo_on_diet(u, 1000.0, masses)
    check_physical(p, 1000.0, masses)
    np.testing.assert_allclose(w, massless_volume(n, 1000.0), rtol=1e-11)
    u_back, w_back = numhep.rambo_on_diet_inverse(p, masses)
    np.testing.assert_allclose(u_back, u, atol=1e-10)
    np.testing.assert_allclose(w_back, w, rtol=1e-10)


MASSIVE = [[173.0, 173.0], [173.0, 173.0, 0.0], [80.4, 4.7, 0.0, 91.2], [4.7, 0.0, 173.0, 0.0, 80.4, 125.0]]


@pytest.mark.parametrize("masses", MASSIVE)
def test_massive_maps_are_physical_and_invertible(masses, rng):
    n = len(masses)
    u = rng.uniform(size=(300, max(3 * n - 4, 2)))[:, : 3 * n - 4]
    p, w = numhep.rambo_on_diet(u, 1000.0, masses)
    check_physical(p, 1000.0, masses, tol=1e-11)
    u_back, w_back = numhep.rambo_on_diet_inverse(p, masses)
    np.testing.assert_allclose(u_back, u, atol=1e-10)
    np.testing.assert_allclose(w_back, w, rtol=1e-9)
    q, wq = numhep.rambo(300, 1000.0, [0.0, 0.0] + masses, seed=5)
    check_physical(q[:, 2:], 1000.0, masses, tol=1e-11)


def test_two_body_massive_volume_is_analytic():
    # Phi_2 = |p*| / (4 pi sqrt s): both maps must give it exactly
    m1, m2, rs = 173.0, 80.4, 700.0
    ps = math.sqrt((rs**2 - (m1 + m2) ** 2) * (rs**2 - (m1 - m2) ** 2)) / (2 * rs)
    u = np.random.default_rng(1).uniform(size=(50, 2))
    _, w = numhep.rambo_on_diet(u, rs, [m1, m2])
    np.testing.assert_allclose(w, ps / (4 * math.pi * rs), rtol=1e-13)
    _, w = numhep.rambo(50, rs, [0, 0, m1, m2], seed=2)
    np.testing.assert_allclose(w, ps / (4 * math.pi * rs), rtol=1e-12)


@pytest.mark.parametrize("masses", [[173.0, 173.0, 0.0], [80.4, 4.7, 0.0, 91.2]])
def test_massive_volumes_agree_between_independent_samplers(masses):
    # RAMBO (KSE, 4n uniforms) and RAMBO on diet are independent algorithms:
    # their mean weights must estimate the same volume
    n_ev = 400_000
    _, w1 = numhep.rambo(n_ev, 1000.0, [0.0, 0.0] + masses, seed=11)
    u = np.random.default_rng(12).uniform(size=(n_ev, 3 * len(masses) - 4))
    _, w2 = numhep.rambo_on_diet(u, 1000.0, masses)
    m1, e1 = w1.mean(), w1.std() / math.sqrt(n_ev)
    m2, e2 = w2.mean(), w2.std() / math.sqrt(n_ev)
    assert abs(m1 - m2) < 4.0 * math.hypot(e1, e2), (m1, e1, m2, e2)
    assert e2 < 5e-3 * m2


def test_rambo_on_diet_vjp_against_finite_differences(rng):
    for masses in ([0.0] * 4, [173.0, 80.4, 0.0, 4.7], [10.0, 20.0]):
        masses = np.array(masses)
        n = len(masses)
        u = rng.uniform(0.05, 0.95, size=(8, 3 * n - 4))
        rs = np.full(8, 1000.0) + rng.uniform(0, 100, 8)

        def f(u, rs):
            p, w = np.empty((len(u), n, 4)), np.empty(len(u))
            KD.rambo_on_diet.cpu(u, rs, masses, p, w)
            return p, w

        def vjp(inputs, cot):
            gu, gs = np.empty_like(inputs[0]), np.empty(len(inputs[0]))
            scratch = np.empty((len(inputs[0]), n, 9))
            gm = np.empty((len(inputs[0]), n))
            KD.rambo_on_diet.vjp.cpu(inputs[0], inputs[1], masses, cot[0], cot[1], scratch, gu, gs, gm)
            return gu, gs

        check_vjp(f, vjp, [u, rs], step=1e-7)


def test_rambo_on_diet_mass_cotangents_against_finite_differences(rng):
    """d(momenta, weight)/d(each final-state mass) at fixed u, one row per event."""
    for masses in ([173.0, 173.0], [173.0, 80.4, 3.0, 4.7], [10.0, 20.0, 5.0], [1.0, 2.0, 3.0, 4.0, 5.0]):
        m = np.array(masses)
        k = len(m)
        u = rng.uniform(0.05, 0.95, size=(6, 3 * k - 4))
        gp, gw = rng.normal(size=(6, k, 4)), rng.normal(size=6)
        g_mass = numhep.rambo_on_diet.vjp(u, 900.0, m, gp, gw)[2]
        assert g_mass.shape == (6, k)
        for l in range(k):
            h = 1e-6 * m[l]
            up, down = m.copy(), m.copy()
            up[l] += h
            down[l] -= h
            a, b = numhep.rambo_on_diet(u, 900.0, up), numhep.rambo_on_diet(u, 900.0, down)
            fd = (((a.momenta - b.momenta) * gp).sum(axis=(1, 2)) + (a.weight - b.weight) * gw) / (2 * h)
            scale = np.abs(gp).sum(axis=(1, 2)) + np.abs(gw * a.weight) / m[l]
            np.testing.assert_allclose(g_mass[:, l], fd, rtol=0, atol=1e-6 * scale.max())


def test_rambo_on_diet_inverse_vjp_against_finite_differences(rng):
    for masses in ([0.0] * 4, [173.0, 80.4, 0.0, 4.7], [10.0, 20.0], [0.0] * 6):
        masses = np.array(masses)
        n = len(masses)
        u0 = rng.uniform(0.05, 0.95, size=(8, 3 * n - 4))
        p0, _ = numhep.rambo_on_diet(u0, 1000.0, masses)

        def f(p):
            u, w = np.empty((len(p), 3 * n - 4)), np.empty(len(p))
            KD.rambo_on_diet_inverse.cpu(p, masses, u, w)
            return u, w

        def vjp(inputs, cot):
            gp = np.empty_like(inputs[0])
            scratch = np.empty((len(inputs[0]), n, 13))
            KD.rambo_on_diet_inverse.vjp.cpu(inputs[0], masses, cot[0], cot[1], scratch, gp)
            return (gp,)

        check_vjp(f, vjp, [p0], step=1e-9)
        # on the mass shell the inverse's Jacobian inverts the forward one: J_inv J_fwd = 1
        gp_cols = []
        for k in range(3 * n - 4):
            gu = np.zeros_like(u0)
            gu[:, k] = 1.0
            gp = np.empty_like(p0)
            KD.rambo_on_diet_inverse.vjp.cpu(p0, masses, gu, np.zeros(8), np.empty((8, n, 13)), gp)
            gp_cols.append(gp)
        for k in range(3 * n - 4):
            e = np.zeros_like(u0)
            e[:, k] = 1e-6
            dp = (numhep.rambo_on_diet(u0 + e, 1000.0, masses)[0] - numhep.rambo_on_diet(u0 - e, 1000.0, masses)[0]) / 2e-6
            row = np.array([(g * dp).sum(axis=(1, 2)) for g in gp_cols]).T
            np.testing.assert_allclose(row, np.eye(3 * n - 4)[k][None, :].repeat(8, 0), atol=1e-6)


def test_rambo_vjp_against_finite_differences(rng):
    for masses in ([0.0] * 3, [173.0, 80.4, 0.0]):
        masses = np.array(masses)
        r = rng.uniform(0.1, 0.9, size=(6, 3, 4))
        rs = np.full(6, 900.0)

        def f(r, rs):
            p, w = np.empty((len(r), 3, 4)), np.empty(len(r))
            KR.rambo.cpu(r, rs, masses, p, w)
            return p, w

        def vjp(inputs, cot):
            gr, gs = np.empty_like(inputs[0]), np.empty(len(inputs[0]))
            KR.rambo.vjp.cpu(inputs[0], inputs[1], masses, cot[0], cot[1], np.empty_like(inputs[0]), gr, gs)
            return gr, gs

        check_vjp(f, vjp, [r, rs], step=1e-7)


def test_rambo_map_vjp_covers_the_beams(rng):
    # the array-level VJP adds the beams' dependence on sqrt(s) (unequal incoming masses)
    legs = [5.0, 80.0, 173.0, 80.4, 0.0]
    r = rng.uniform(0.1, 0.9, size=(5, 3, 4))
    rs = rng.uniform(600.0, 900.0, 5)
    check_vjp(lambda r, rs: tuple(numhep.rambo_map(r, rs, legs)),
              lambda a, c: numhep.phasespace.flat.rambo_map.vjp(a[0], a[1], legs, *c), [r, rs], step=1e-7)


def test_cuda_builds_match_cpu(rng):
    masses = np.array([173.0, 80.4, 0.0])
    u = rng.uniform(size=(3, 5))
    rs = np.full(3, 1000.0)
    p, w = check_cuda_matches_cpu(KD.rambo_on_diet, [u, rs, masses], [np.empty((3, 3, 4)), np.empty(3)])
    check_cuda_matches_cpu(KD.rambo_on_diet_inverse, [p, masses], [np.empty((3, 5)), np.empty(3)], rtol=1e-12)
    check_cuda_matches_cpu(
        KD.rambo_on_diet_inverse.vjp, [p, masses, u, w, np.zeros((3, 3, 13))], [np.empty((3, 3, 4))]
    )
    check_cuda_matches_cpu(
        KD.rambo_on_diet.vjp, [u, rs, masses, p, w, np.zeros((3, 3, 9))],
        [np.empty((3, 5)), np.empty(3), np.empty((3, 3))]
    )
    r = rng.uniform(size=(3, 3, 4))
    p, w = check_cuda_matches_cpu(KR.rambo, [r, rs, masses], [np.empty((3, 3, 4)), np.empty(3)])
    check_cuda_matches_cpu(
        KR.rambo.vjp, [r, rs, masses, p, w, np.zeros((3, 3, 4))], [np.empty((3, 3, 4)), np.empty(3)]
    )


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="sqrt_s"):
        numhep.rambo(10, 100.0, [0, 0, 60.0, 60.0])
    with pytest.raises(ValueError, match="u"):
        numhep.rambo_on_diet(np.full((2, 2), 1.5), 100.0, [0, 0])
    with pytest.raises(ValueError, match="3n-4"):
        numhep.rambo_on_diet(np.full((2, 3), 0.5), 100.0, [0, 0])


def test_the_tabulated_mass_solve_equals_the_bracketed_newton():
    """RAMBO on diet's masses: Newton from the inverse-CDF table and from the asymptotes give
    the same root of (k+1) x^k - k x^(k+1) = u, to rounding, for every k and u (the ends included)."""
    from numhep.kernels import rambo_on_diet as R

    u = np.concatenate([np.random.default_rng(5).random(3000), np.linspace(1e-6, 1 - 1e-6, 3001),
                        np.geomspace(1e-300, 1e-2, 200), 1 - np.geomspace(1e-16, 1e-2, 200)])
    for k in range(2, R.TABLE_K + 3):
        fast = np.array([R.solve_mass_cdf(x, k) for x in u])
        slow = np.array([R.solve_mass_cdf_bracketed(x, k) for x in u])
        np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-14, err_msg=f"k = {k}")


def test_the_massless_weight_is_the_phase_space_volume():
    """Massless RAMBO on diet returns the n-body volume as its weight: equal to RAMBO's
    (Kleiss, Stirling & Ellis) and to the product of its own step factors (masses 1e-300)."""
    for n in (2, 3, 5, 8):
        u = np.random.default_rng(n).random((4, 3 * n - 4))
        _, w = numhep.rambo_on_diet(u, 700.0, [0.0] * n)
        _, w_steps = numhep.rambo_on_diet(u, 700.0, [1e-300] * n)
        _, w_kse = numhep.rambo(4, 700.0, [0.0] * (n + 2), seed=1)  # the incoming legs first
        np.testing.assert_allclose(w, w_steps, rtol=1e-14)
        np.testing.assert_allclose(w, w_kse, rtol=1e-14)
