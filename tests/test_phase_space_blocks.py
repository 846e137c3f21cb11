"""Phase-space blocks: exact inverses, normalised densities, adjoints, CUDA builds."""

import math

import numpy as np
import pytest
from kernel_checks import check_cuda_matches_cpu, check_vjp
from scipy import integrate

import numhep
from numhep.phasespace import blocks as B
from numhep.kernels import invariant_maps as KI
from numhep.kernels import luminosity as KL
from numhep.kernels import t_channel as KS
from numhep.kernels import two_body_decay as KT

# (name, forward(z, lo, hi), inverse(s, lo, hi), kernel arguments between z/s and the bounds)
MAPS = [
    ("bw", lambda z, lo, hi: B.breit_wigner_map(z, 91.188, 2.4414, lo, hi),
     lambda s, lo, hi: B.breit_wigner_map_inverse(s, 91.188, 2.4414, lo, hi),
     KI.breit_wigner_map, (91.188, 2.4414)),
]
for _nu, _pole in [(0.0, 0.0), (0.5, -10.0), (1.0, 0.0), (1.4, 0.0), (2.0, -30.0)]:
    MAPS.append((
        f"nu={_nu}",
        lambda z, lo, hi, nu=_nu, pole=_pole: B.power_law_map(z, lo, hi, nu=nu, pole=pole),
        lambda s, lo, hi, nu=_nu, pole=_pole: B.power_law_map_inverse(s, lo, hi, nu=nu, pole=pole),
        KI.power_law_map, (_pole, _nu),
    ))


def bounds(rng, n):
    lo = rng.uniform(50.0**2, 85.0**2, n)
    return lo, lo + rng.uniform(10.0**2, 60.0**2, n)


@pytest.mark.parametrize("name, fwd, inv, kern, extra", MAPS, ids=[m[0] for m in MAPS])
def test_invariant_map_inverse_density_and_normalisation(name, fwd, inv, kern, extra, rng):
    n = 400
    z = rng.uniform(size=n)
    lo, hi = bounds(rng, n)
    s, g = fwd(z, lo, hi)
    assert np.all((s >= lo * (1 - 1e-12)) & (s <= hi * (1 + 1e-12)))
    z_back, g_back = inv(s, lo, hi)
    np.testing.assert_allclose(z_back, z, atol=1e-10)
    np.testing.assert_allclose(g_back, g, rtol=1e-10)
    # the density of z integrates to one over [s_min, s_max], and ds/dz = 1/g
    for k in range(3):
        total, _ = integrate.quad(lambda t: inv(np.array([t]), lo[k], hi[k])[1][0], lo[k], hi[k], limit=200)
        assert abs(total - 1.0) < 1e-9
    h = 1e-6
    sp, _ = fwd(np.clip(z + h, 0, 1), lo, hi)
    sm, _ = fwd(np.clip(z - h, 0, 1), lo, hi)
    inside = (z > h) & (z < 1 - h)
    np.testing.assert_allclose(((sp - sm) / (2 * h))[inside], 1.0 / g[inside], rtol=1e-6)


@pytest.mark.parametrize("name, fwd, inv, kern, extra", MAPS, ids=[m[0] for m in MAPS])
def test_invariant_map_adjoints_and_cuda(name, fwd, inv, kern, extra, rng):
    n = 40
    z = rng.uniform(0.02, 0.98, n)
    lo, hi = bounds(rng, n)

    def forward(z, lo, hi):
        s, g = np.empty(n), np.empty(n)
        kern.cpu(z, *extra, lo, hi, s, g)
        return s, g

    def vjp(inputs, cot):
        out = [np.empty(n) for _ in range(3)]
        kern.vjp.cpu(inputs[0], *extra, inputs[1], inputs[2], *cot, *out)
        return tuple(out)

    check_vjp(forward, vjp, [z, lo, hi])
    s, _ = forward(z, lo, hi)
    inverse = KI.breit_wigner_map_inverse if kern is KI.breit_wigner_map else KI.power_law_map_inverse

    def backward(s, lo, hi):
        zz, g = np.empty(n), np.empty(n)
        inverse.cpu(s, *extra, lo, hi, zz, g)
        return zz, g

    def backward_vjp(inputs, cot):
        out = [np.empty(n) for _ in range(3)]
        inverse.vjp.cpu(inputs[0], *extra, inputs[1], inputs[2], *cot, *out)
        return tuple(out)

    check_vjp(backward, backward_vjp, [s, lo, hi])
    e = slice(0, 8)
    cot8 = (rng.normal(size=8), rng.normal(size=8))
    check_cuda_matches_cpu(kern, (z[e], *extra, lo[e], hi[e]), (np.empty(8), np.empty(8)))
    check_cuda_matches_cpu(kern.vjp, (z[e], *extra, lo[e], hi[e], *cot8), [np.empty(8) for _ in range(3)])
    check_cuda_matches_cpu(inverse, (s[e], *extra, lo[e], hi[e]), (np.empty(8), np.empty(8)))
    check_cuda_matches_cpu(inverse.vjp, (s[e], *extra, lo[e], hi[e], *cot8), [np.empty(8) for _ in range(3)])
    # the array API's inverse VJP is the kernel's
    cot = (rng.normal(size=n), rng.normal(size=n))
    if kern is KI.breit_wigner_map:
        api = B.breit_wigner_map_inverse.vjp(s, *extra, lo, hi, *cot)
    else:
        api = B.power_law_map_inverse.vjp(s, lo, hi, *cot, nu=extra[1], pole=extra[0])
    for a, b in zip(api, backward_vjp([s, lo, hi], cot)):
        np.testing.assert_allclose(a, b)


def decay_inputs(rng, n):
    p = np.empty((n, 4))
    m = rng.uniform(200.0, 500.0, n)
    p[:, 1:] = rng.normal(0.0, 300.0, (n, 3))
    p[:, 0] = np.sqrt(m**2 + (p[:, 1:] ** 2).sum(1))
    s1 = (rng.uniform(0.0, 0.45, n) * m) ** 2
    s2 = (rng.uniform(0.0, 0.45, n) * m) ** 2
    s2[:5] = 0.0
    return p, s1, s2, rng.uniform(0.01, 0.99, (n, 2))


def minkowski_square(k):
    return k[:, 0] ** 2 - (k[:, 1:] ** 2).sum(1)


def test_two_body_decay_is_physical_invertible_and_normalised(rng):
    p, s1, s2, z = decay_inputs(rng, 300)
    k1, k2, g = B.two_body_decay(p, s1, s2, z)
    np.testing.assert_allclose(k1 + k2, p, rtol=1e-13, atol=1e-10)
    scale = p[:, 0] ** 2
    assert np.max(np.abs(minkowski_square(k1) - s1) / scale) < 1e-12
    assert np.max(np.abs(minkowski_square(k2) - s2) / scale) < 1e-12
    z_back, g_back = B.two_body_decay_inverse(k1, k2)
    np.testing.assert_allclose(z_back, z, atol=1e-10)
    np.testing.assert_allclose(g_back, g, rtol=1e-10)
    # 1/g is the two-body volume pi sqrt(lambda)/(2 S), which is RAMBO on diet's 2-body
    # weight without its (2 pi)^-2
    big_s = minkowski_square(p)
    lam = (big_s - s1 - s2) ** 2 - 4 * s1 * s2
    np.testing.assert_allclose(1 / g, math.pi * np.sqrt(lam) / (2 * big_s), rtol=1e-12)
    u = rng.uniform(size=(3, 2))
    _, w = numhep.rambo_on_diet(u, np.sqrt(big_s[:3]), [np.sqrt(s1[0]), np.sqrt(s2[0])])
    np.testing.assert_allclose(w[0] * (2 * math.pi) ** 2, 1 / g[0], rtol=1e-12)


def test_two_body_decay_adjoint_and_cuda(rng):
    n = 30
    p, s1, s2, z = decay_inputs(rng, n)
    s1[:5] = 0.0

    def forward(p, s1, s2, z):
        k1, k2, g = np.empty((n, 4)), np.empty((n, 4)), np.empty(n)
        KT.two_body_decay.cpu(p, s1, s2, z, k1, k2, g)
        return k1, k2, g

    def vjp(inputs, cot):
        out = (np.empty((n, 4)), np.empty(n), np.empty(n), np.empty((n, 2)))
        KT.two_body_decay.vjp.cpu(*inputs, *cot, *out)
        return out

    check_vjp(forward, vjp, [p, s1, s2, z], wrt=[0, 3])
    # virtualities: perturb only where they are non-zero (s >= 0 is a boundary)
    nz = slice(5, n)
    check_vjp(lambda a, b: _decay_sub(p[nz], a, b, z[nz]),
              lambda inputs, cot: _decay_sub_vjp(p[nz], inputs[0], inputs[1], z[nz], cot),
              [s1[nz], s2[nz]])
    check_cuda_matches_cpu(KT.two_body_decay, (p[:6], s1[:6], s2[:6], z[:6]),
                           (np.empty((6, 4)), np.empty((6, 4)), np.empty(6)))
    cot = (rng.normal(size=(6, 4)), rng.normal(size=(6, 4)), rng.normal(size=6))
    check_cuda_matches_cpu(KT.two_body_decay.vjp, (p[:6], s1[:6], s2[:6], z[:6], *cot),
                           (np.empty((6, 4)), np.empty(6), np.empty(6), np.empty((6, 2))), rtol=1e-12)
    check_cuda_matches_cpu(KT.two_body_decay_inverse, (p[:6] * 0.5, p[:6] * 0.5 + 1.0),
                           (np.empty((6, 2)), np.empty(6)))


def test_two_body_decay_inverse_adjoint_and_cuda(rng):
    n = 30
    p, s1, s2, z = decay_inputs(rng, n)
    k1, k2, _ = B.two_body_decay(p, s1, s2, z)

    def inverse(k1, k2):
        zz, g = np.empty((n, 2)), np.empty(n)
        KT.two_body_decay_inverse.cpu(k1, k2, zz, g)
        return zz, g

    def vjp(inputs, cot):
        out = (np.empty((n, 4)), np.empty((n, 4)))
        KT.two_body_decay_inverse.vjp.cpu(*inputs, *cot, *out)
        return out

    check_vjp(inverse, vjp, [k1, k2])
    cot = (rng.normal(size=(n, 2)), rng.normal(size=n))
    for a, b in zip(B.two_body_decay_inverse.vjp(k1, k2, *cot), vjp([k1, k2], cot)):
        np.testing.assert_allclose(a, b)
    check_cuda_matches_cpu(KT.two_body_decay_inverse.vjp, (k1[:6], k2[:6], cot[0][:6], cot[1][:6]),
                           (np.empty((6, 4)), np.empty((6, 4))), rtol=1e-12)


def _decay_sub(p, s1, s2, z):
    m = p.shape[0]
    k1, k2, g = np.empty((m, 4)), np.empty((m, 4)), np.empty(m)
    KT.two_body_decay.cpu(p, s1, s2, z, k1, k2, g)
    return k1, k2, g


def _decay_sub_vjp(p, s1, s2, z, cot):
    m = p.shape[0]
    out = (np.empty((m, 4)), np.empty(m), np.empty(m), np.empty((m, 2)))
    KT.two_body_decay.vjp.cpu(p, s1, s2, z, *cot, *out)
    return out[1], out[2]


def scattering_inputs(rng, n):
    """p1 massless (massive in a few events), p2 = Q - p1 of either signature, as inside
    a t-channel chain; s1, s2 below threshold."""
    q = np.empty((n, 4))
    m = rng.uniform(300.0, 1000.0, n)
    q[:, 1:] = rng.normal(0.0, 300.0, (n, 3))
    q[:, 0] = np.sqrt(m**2 + (q[:, 1:] ** 2).sum(1))
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1)[:, None]
    p1 = np.empty((n, 4))
    p1[:, 0] = rng.uniform(0.2, 0.8, n) * q[:, 0]
    p1[:, 1:] = d * p1[:, :1]
    p1[:4, 0] *= 1.05
    s1 = (rng.uniform(0.0, 0.45, n) * m) ** 2
    s2 = (rng.uniform(0.0, 0.45, n) * m) ** 2
    return p1, q - p1, s1, s2, rng.uniform(0.01, 0.99, (n, 2))


@pytest.mark.parametrize("mass", [0.0, 173.0, 1000.0])
def test_t_channel_block_is_physical_invertible_and_normalised(mass, rng):
    p1, p2, s1, s2, z = scattering_inputs(rng, 300)
    k1, k2, g = B.t_channel_scattering(p1, p2, s1, s2, z, mass=mass)
    np.testing.assert_allclose(k1 + k2, p1 + p2, rtol=1e-12, atol=1e-9)
    scale = ((p1 + p2)[:, 0]) ** 2
    assert np.max(np.abs(minkowski_square(k1) - s1) / scale) < 1e-12
    assert np.max(np.abs(minkowski_square(k2) - s2) / scale) < 1e-11
    z_back, g_back = B.t_channel_scattering_inverse(p1, p2, k1, mass=mass)
    np.testing.assert_allclose(z_back, z, atol=1e-10)
    np.testing.assert_allclose(g_back, g, rtol=1e-10)
    # |t| grows with z_t, and the volume int dz / g is the two-body phase space
    # pi sqrt(lambda(S, s1, s2)) / (2 S) (Gauss-Legendre in z_t, z_phi)
    t_of = lambda k: -minkowski_square(p1 - k)  # noqa: E731
    k_hi, _, _ = B.t_channel_scattering(p1, p2, s1, s2, np.clip(z + [1e-3, 0.0], 0, 1), mass=mass)
    assert np.all(t_of(k_hi) >= t_of(k1))
    t, wt = np.polynomial.legendre.leggauss(120)
    zz = np.array(np.meshgrid((t + 1) / 2, (t + 1) / 2)).reshape(2, -1).T
    ww = np.outer(wt, wt).ravel() / 4
    for k in range(3):
        rep = lambda a: np.repeat(a[k : k + 1], zz.shape[0], axis=0)  # noqa: E731
        _, _, gq = B.t_channel_scattering(rep(p1), rep(p2), rep(s1), rep(s2), zz, mass=mass)
        big_s = minkowski_square(p1[k : k + 1] + p2[k : k + 1])[0]
        lam = (big_s - s1[k] - s2[k]) ** 2 - 4 * s1[k] * s2[k]
        np.testing.assert_allclose((ww / gq).sum(), math.pi * math.sqrt(lam) / (2 * big_s), rtol=1e-6)


@pytest.mark.parametrize("mass", [0.0, 173.0, 1000.0])
def test_t_channel_block_adjoint_and_cuda(mass, rng):
    n = 30
    p1, p2, s1, s2, z = scattering_inputs(rng, n)
    m2 = mass**2

    def forward(p1, p2, s1, s2, z):
        k1, k2, g = np.empty((n, 4)), np.empty((n, 4)), np.empty(n)
        KS.t_channel_scattering.cpu(p1, p2, s1, s2, z, m2, 1.4, k1, k2, g)
        return k1, k2, g

    def vjp(inputs, cot):
        out = (np.empty((n, 4)), np.empty((n, 4)), np.empty(n), np.empty(n), np.empty((n, 2)))
        KS.t_channel_scattering.vjp.cpu(*inputs, m2, 1.4, *cot, *out)
        return out

    check_vjp(forward, vjp, [p1, p2, s1, s2, z])
    # the array API returns the same cotangents
    cot = (rng.normal(size=(n, 4)), rng.normal(size=(n, 4)), rng.normal(size=n))
    np.testing.assert_allclose(B.t_channel_scattering.vjp(p1, p2, s1, s2, z, *cot, mass=mass)[4],
                               vjp([p1, p2, s1, s2, z], cot)[4])
    check_cuda_matches_cpu(KS.t_channel_scattering, (p1[:6], p2[:6], s1[:6], s2[:6], z[:6], m2, 1.4),
                           (np.empty((6, 4)), np.empty((6, 4)), np.empty(6)), rtol=1e-12)
    six = (p1[:6], p2[:6], s1[:6], s2[:6], z[:6], m2, 1.4) + tuple(c[:6] for c in cot)
    check_cuda_matches_cpu(KS.t_channel_scattering.vjp, six,
                           (np.empty((6, 4)), np.empty((6, 4)), np.empty(6), np.empty(6), np.empty((6, 2))), rtol=1e-11)
    k1, _, _ = forward(p1, p2, s1, s2, z)
    check_cuda_matches_cpu(KS.t_channel_scattering_inverse, (p1[:6], p2[:6], k1[:6], m2, 1.4),
                           (np.empty((6, 2)), np.empty(6)), rtol=1e-12)


@pytest.mark.parametrize("mass", [0.0, 173.0, 1000.0])
def test_t_channel_inverse_adjoint_and_cuda(mass, rng):
    """The inverse's z and density, differentiated in p1, p2 and k1 (its own k1^2 and
    (p1 + p2 - k1)^2 enter the bounds of |t|)."""
    n = 30
    p1, p2, s1, s2, z = scattering_inputs(rng, n)
    k1, _, _ = B.t_channel_scattering(p1, p2, s1, s2, z, mass=mass)
    m2 = mass**2

    def inverse(p1, p2, k1):
        zz, g = np.empty((n, 2)), np.empty(n)
        KS.t_channel_scattering_inverse.cpu(p1, p2, k1, m2, 1.4, zz, g)
        return zz, g

    def vjp(inputs, cot):
        out = (np.empty((n, 4)), np.empty((n, 4)), np.empty((n, 4)))
        KS.t_channel_scattering_inverse.vjp.cpu(*inputs, m2, 1.4, *cot, *out)
        return out

    check_vjp(inverse, vjp, [p1, p2, k1])
    cot = (rng.normal(size=(n, 2)), rng.normal(size=n))
    for a, b in zip(B.t_channel_scattering_inverse.vjp(p1, p2, k1, *cot, mass=mass), vjp([p1, p2, k1], cot)):
        np.testing.assert_allclose(a, b)
    check_cuda_matches_cpu(KS.t_channel_scattering_inverse.vjp,
                           (p1[:6], p2[:6], k1[:6], m2, 1.4, cot[0][:6], cot[1][:6]),
                           (np.empty((6, 4)), np.empty((6, 4)), np.empty((6, 4))), rtol=1e-11)


def test_t_channel_block_rejects_closed_phase_space():
    p1 = np.array([[50.0, 0, 0, 50.0]])
    p2 = np.array([[50.0, 0, 0, -50.0]])
    with pytest.raises(ValueError, match="sqrt\\(s1\\)"):
        B.t_channel_scattering(p1, p2, [60.0**2], [50.0**2], [[0.5, 0.5]])


@pytest.mark.parametrize("tau_min, tau_max", [(1e-4, 1.0), (0.0021, 0.0085)])
def test_luminosity_map_inverse_and_volume(tau_min, tau_max, rng):
    z = rng.uniform(size=(500, 2))
    x, g = B.luminosity_map(z, tau_min, tau_max)
    tau = x.prod(1)
    assert np.all((tau >= tau_min * (1 - 1e-12)) & (tau <= tau_max * (1 + 1e-12)) & (x <= 1).all(1))
    z_back, g_back = B.luminosity_map_inverse(x, tau_min, tau_max)
    np.testing.assert_allclose(z_back, z, atol=1e-10)
    np.testing.assert_allclose(g_back, g, rtol=1e-10)
    # int dz / g = area of {tau_min < x1 x2 < tau_max} in the unit square, by Gauss-Legendre
    t, wt = np.polynomial.legendre.leggauss(60)
    zz = np.array(np.meshgrid((t + 1) / 2, (t + 1) / 2)).reshape(2, -1).T
    ww = np.outer(wt, wt).ravel() / 4
    _, gq = B.luminosity_map(zz, tau_min, tau_max)
    area = lambda a: a - a * math.log(a)  # noqa: E731  int over x1 x2 < a
    np.testing.assert_allclose((ww / gq).sum(), area(tau_max) - area(tau_min), rtol=1e-10)


def test_luminosity_adjoints_and_cuda(rng):
    n = 30
    z = rng.uniform(0.02, 0.98, (n, 2))
    lo = rng.uniform(1e-5, 1e-3, n)
    hi = rng.uniform(0.2, 1.0, n)

    def forward(z, lo, hi):
        x, g = np.empty((n, 2)), np.empty(n)
        KL.luminosity_map.cpu(z, lo, hi, x, g)
        return x, g

    def vjp(inputs, cot):
        out = (np.empty((n, 2)), np.empty(n), np.empty(n))
        KL.luminosity_map.vjp.cpu(*inputs, *cot, *out)
        return out

    check_vjp(forward, vjp, [z, lo, hi], step=1e-8)
    x, _ = forward(z, lo, hi)

    def backward(x, lo, hi):
        zz, g = np.empty((n, 2)), np.empty(n)
        KL.luminosity_map_inverse.cpu(x, lo, hi, zz, g)
        return zz, g

    def backward_vjp(inputs, cot):
        out = (np.empty((n, 2)), np.empty(n), np.empty(n))
        KL.luminosity_map_inverse.vjp.cpu(*inputs, *cot, *out)
        return out

    check_vjp(backward, backward_vjp, [x, lo, hi], step=1e-9)
    cot = (rng.normal(size=(n, 2)), rng.normal(size=n))
    for a, b in zip(B.luminosity_map_inverse.vjp(x, lo, hi, *cot), backward_vjp([x, lo, hi], cot)):
        np.testing.assert_allclose(a, b)
    tau = x.prod(1)

    def split(tau, zx):
        xx, g = np.empty((n, 2)), np.empty(n)
        KL.momentum_fractions.cpu(tau, zx, xx, g)
        return xx, g

    def split_vjp(inputs, cot):
        out = (np.empty(n), np.empty(n))
        KL.momentum_fractions.vjp.cpu(*inputs, *cot, *out)
        return out

    check_vjp(split, split_vjp, [tau, z[:, 1].copy()], step=1e-9)
    check_cuda_matches_cpu(KL.luminosity_map, (z[:6], lo[:6], hi[:6]), (np.empty((6, 2)), np.empty(6)))
    check_cuda_matches_cpu(KL.luminosity_map_inverse, (x[:6], lo[:6], hi[:6]), (np.empty((6, 2)), np.empty(6)))
    cot6 = tuple(c[:6] for c in cot)
    for k in (KL.luminosity_map.vjp, KL.luminosity_map_inverse.vjp):
        check_cuda_matches_cpu(k, ((z if k is KL.luminosity_map.vjp else x)[:6], lo[:6], hi[:6], *cot6),
                               (np.empty((6, 2)), np.empty(6), np.empty(6)))
    check_cuda_matches_cpu(KL.momentum_fractions, (tau[:6], z[:6, 1].copy()), (np.empty((6, 2)), np.empty(6)))
    check_cuda_matches_cpu(KL.momentum_fractions.vjp, (tau[:6], z[:6, 1].copy(), *cot6), (np.empty(6), np.empty(6)))


def test_blocks_reject_bad_input():
    with pytest.raises(ValueError, match="unit|\\[0, 1\\]"):
        B.power_law_map(np.array([1.5]), 1.0, 2.0)
    with pytest.raises(ValueError, match="pole"):
        B.power_law_map(np.array([0.5]), 0.0, 2.0, nu=1.4, pole=0.0)
    with pytest.raises(ValueError, match="s_max must exceed"):
        B.breit_wigner_map(np.array([0.5]), 91.0, 2.0, 10.0, 5.0)
    with pytest.raises(ValueError, match="sqrt\\(s1\\)"):
        B.two_body_decay(np.array([[10.0, 0, 0, 0]]), 30.0, 30.0, np.array([[0.5, 0.5]]))
    with pytest.raises(ValueError, match="tau_min"):
        B.luminosity_map(np.array([[0.5, 0.5]]), 0.0)
