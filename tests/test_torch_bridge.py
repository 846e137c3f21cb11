"""The torch bridge: gradcheck of every bridged function, one graph from random numbers
through the luminosity map, RAMBO on diet, the PDFs and |M|^2, numpy = torch to 1e-12,
dispatch from the generic entry points, and clear errors."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import numhep  # noqa: E402
import numhep.torch as nt  # noqa: E402
from numhep.phasespace import blocks as B  # noqa: E402
from numhep.autograd import as_array  # noqa: E402

MT = 173.0


def t64(a, grad=True):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def gg_tt_momenta(rng, n=3, sqrt_s=800.0):
    fin, _ = numhep.rambo_on_diet(rng.random((n, 2)), sqrt_s, [MT, MT])
    p = np.empty((n, 4, 4))
    p[:, 0] = [sqrt_s / 2, 0, 0, sqrt_s / 2]
    p[:, 1] = [sqrt_s / 2, 0, 0, -sqrt_s / 2]
    p[:, 2:] = fin
    return p


def scattering(rng, n=3):
    q = np.empty((n, 4))
    q[:, 1:] = rng.normal(0.0, 100.0, (n, 3))
    q[:, 0] = np.sqrt(600.0**2 + (q[:, 1:] ** 2).sum(1))
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1)[:, None]
    p1 = np.empty((n, 4))
    p1[:, 0] = 0.4 * q[:, 0]
    p1[:, 1:] = d * p1[:, :1]
    return p1, q - p1


def test_gradcheck_matrix_element_in_momenta_and_parameters(rng):
    p = t64(gg_tt_momenta(rng))
    assert torch.autograd.gradcheck(lambda p: nt.me(p, "gg_tt"), (p,))
    mt = t64(MT)
    assert torch.autograd.gradcheck(lambda p, mt: nt.me(p, "gg_tt", params={"MT": mt, "WT": 1.5}), (p, mt))
    # the generic entry point hands tensors to the bridge
    m2 = numhep.me(p, "gg_tt")
    assert isinstance(m2, torch.Tensor) and m2.grad_fn is not None
    np.testing.assert_allclose(m2.detach().numpy(), numhep.me(p.detach().numpy(), "gg_tt"), rtol=1e-12)


def test_gradcheck_rambo_on_diet_and_its_inverse(rng):
    masses = [MT, 0.0, 10.0]
    u, rs = t64(rng.random((3, 5))), t64(700.0)
    assert torch.autograd.gradcheck(lambda u, rs: tuple(nt.rambo_on_diet(u, rs, masses)), (u, rs))
    p, w = numhep.rambo_on_diet(u, rs, masses)  # dispatched
    ref = numhep.rambo_on_diet(u.detach().numpy(), 700.0, masses)
    np.testing.assert_allclose(p.detach().numpy(), ref.momenta, rtol=1e-12)
    np.testing.assert_allclose(w.detach().numpy(), ref.weight, rtol=1e-12)
    q = t64(ref.momenta)
    assert torch.autograd.gradcheck(lambda q: nt.rambo_on_diet_inverse(q, masses), (q,))


def test_gradcheck_rambo_map_and_the_vegas_map(rng):
    legs = [0.0, 0.0, MT, MT, 0.0]
    r, rs = t64(rng.uniform(0.05, 1.0, (3, 3, 4))), t64(900.0)
    assert torch.autograd.gradcheck(lambda r, rs: tuple(nt.rambo_map(r, rs, legs)), (r, rs))
    p, w = numhep.rambo_map(r, rs, legs)  # dispatched
    ref = numhep.rambo_map(r.detach().numpy(), 900.0, legs)
    np.testing.assert_allclose(p.detach().numpy(), ref.momenta, rtol=1e-12)
    np.testing.assert_allclose(w.detach().numpy(), ref.weight, rtol=1e-12)

    grid = numhep.VegasGrid(3, bins=8)
    grid.adapt(rng.uniform(0.1, 5.0, size=(3, 8)))
    u = t64(rng.uniform(size=(5, 3)))
    assert torch.autograd.gradcheck(lambda u: nt.vegas_map(grid, u)[0], (u,))
    x, jac = grid(u)  # dispatched
    x_ref, jac_ref = grid(u.detach().numpy())
    np.testing.assert_allclose(x.detach().numpy(), x_ref, rtol=1e-12)
    np.testing.assert_allclose(jac.numpy(), jac_ref, rtol=1e-12)


def test_gradcheck_phase_space_blocks(rng):
    n = 3
    z, lo, hi = t64(rng.uniform(0.05, 0.95, n)), t64(np.full(n, 60.0**2)), t64(np.full(n, 120.0**2))
    s = t64(rng.uniform(65.0**2, 115.0**2, n))
    checks = [
        (lambda z, lo, hi: nt.breit_wigner_map(z, 91.188, 2.4414, lo, hi), (z, lo, hi)),
        (lambda s, lo, hi: nt.breit_wigner_map_inverse(s, 91.188, 2.4414, lo, hi), (s, lo, hi)),
        (lambda z, lo, hi: nt.power_law_map(z, lo, hi, nu=1.4), (z, lo, hi)),
        (lambda s, lo, hi: nt.power_law_map_inverse(s, lo, hi, nu=1.4), (s, lo, hi)),
    ]
    p = np.tile([500.0, 30.0, -20.0, 100.0], (n, 1))
    z2 = t64(rng.uniform(0.05, 0.95, (n, 2)))
    k1, k2, _ = B.two_body_decay(p, [100.0**2] * n, [50.0**2] * n, z2.detach().numpy())
    checks += [
        (nt.two_body_decay, (t64(p), t64([100.0**2] * n), t64([50.0**2] * n), z2)),
        (nt.two_body_decay_inverse, (t64(k1), t64(k2))),
    ]
    p1, p2 = scattering(rng, n)
    s1, s2 = [90.0**2] * n, [60.0**2] * n
    j1, _, _ = B.t_channel_scattering(p1, p2, s1, s2, z2.detach().numpy(), mass=80.0)
    checks += [
        (lambda *a: nt.t_channel_scattering(*a, mass=80.0), (t64(p1), t64(p2), t64(s1), t64(s2), z2)),
        (lambda *a: nt.t_channel_scattering_inverse(*a, mass=80.0), (t64(p1), t64(p2), t64(j1))),
    ]
    x, _ = B.luminosity_map(z2.detach().numpy(), 1e-3, 1.0)
    checks += [
        (lambda z: nt.luminosity_map(z, 1e-3, 1.0), (z2,)),
        (lambda x: nt.luminosity_map_inverse(x, 1e-3, 1.0), (t64(x),)),
    ]
    for fn, args in checks:
        assert torch.autograd.gradcheck(fn, args), fn
    # torch and numpy agree to 1e-12, through the dispatching entry points
    for name, args in [("two_body_decay", checks[4][1]), ("t_channel_scattering", checks[6][1][:5])]:
        out_t = getattr(B, name)(*args)
        out_n = getattr(B, name)(*(a.detach().numpy() for a in args))
        for a, b in zip(out_t, out_n):
            np.testing.assert_allclose(a.detach().numpy(), b, rtol=1e-12)


def test_gradcheck_parton_densities():
    pdf = numhep.pdf()
    x, q2 = t64([1e-3, 0.05, 0.4]), t64([20.0, 173.0**2, 1e5])
    for pid in (21, 2, -1):
        assert torch.autograd.gradcheck(lambda x, q2, pid=pid: nt.xfxQ2(pdf, pid, x, q2), (x, q2))
    assert torch.autograd.gradcheck(lambda q2: nt.alphasQ2(pdf, q2), (q2,))
    np.testing.assert_allclose(pdf.xfxQ2(21, x, q2).detach().numpy(),
                               pdf.xfxQ2(21, x.detach().numpy(), q2.detach().numpy()), rtol=1e-12)
    assert pdf.alphasQ2(q2).grad_fn is not None


def test_gradcheck_dipoles_and_splitting_azimuths():
    from numhep.amplitudes import catani_seymour as cs

    p, _ = numhep.rambo(3, 1000.0, [0.0] * 7, seed=3)
    partons = t64(p[:, 2:])
    table, pairs = cs.relevant_dipoles([2, -2, 21, 21, 21])
    assert torch.autograd.gradcheck(lambda q: nt.dipoles(q, table), (partons,))
    assert torch.autograd.gradcheck(lambda q: nt.splitting_azimuths(q, pairs), (partons,))
    y, z, d = nt.dipoles(partons, table)
    for got, ref in zip((y, z, d), cs.dipoles(p[:, 2:], table)):
        np.testing.assert_allclose(got.detach().numpy(), ref, rtol=1e-12)


def test_gradcheck_minkowski_dot_with_broadcasting(rng):
    from numhep.phasespace import kinematics

    p, q = t64(rng.normal(size=(3, 2, 4))), t64(rng.normal(size=(1, 4)))
    assert torch.autograd.gradcheck(kinematics.minkowski_dot, (p, q))
    dot = kinematics.minkowski_dot(p, q)
    eta = torch.tensor([1.0, -1.0, -1.0, -1.0], dtype=torch.float64)
    assert dot.shape == (3, 2)
    torch.testing.assert_close(dot, (p * eta * q).sum(-1), rtol=1e-14, atol=0)
    # arrays: one cotangent per input after broadcasting (the gradient convention)
    gp, gq = kinematics.minkowski_dot.vjp(p.detach().numpy(), q.detach().numpy(), np.ones((3, 2)))
    assert gp.shape == gq.shape == (3, 2, 4)
    np.testing.assert_allclose(gq, np.broadcast_to(p.detach().numpy() * eta.numpy(), (3, 2, 4)), rtol=1e-15)


def test_one_graph_from_random_numbers_to_the_hadronic_weight(rng):
    """w(u) = f_g(x1) f_g(x2) |M|^2 dPhi / (g_lumi 2 s_hat) for g g > t t~ at 13 TeV:
    luminosity map -> RAMBO on diet -> PDFs -> |M|^2, differentiated by autograd."""
    pdf = numhep.pdf()
    s = 13000.0**2
    tau_min = (2 * MT + 1.0) ** 2 / s

    def weight(u):
        x, g_lumi = nt.luminosity_map(u[:, :2], tau_min, 1.0)
        shat = s * x[:, 0] * x[:, 1]
        rs = torch.sqrt(shat)
        fin, w_ps = nt.rambo_on_diet(u[:, 2:], rs, [MT, MT])
        half = rs[:, None] / 2
        zero = torch.zeros_like(half)
        pa = torch.cat([half, zero, zero, half], dim=1)
        pb = torch.cat([half, zero, zero, -half], dim=1)
        p = torch.cat([pa[:, None], pb[:, None], fin], dim=1)
        q2 = torch.full_like(shat, MT**2)
        lum = nt.xfxQ2(pdf, 21, x[:, 0], q2) * nt.xfxQ2(pdf, 21, x[:, 1], q2) / (x[:, 0] * x[:, 1])
        return lum * nt.me(p, "gg_tt") * w_ps / g_lumi / (2 * shat)

    u = t64(rng.uniform(0.1, 0.9, (3, 4)))
    assert torch.autograd.gradcheck(weight, (u,), rtol=1e-5)
    # the value is the integrand's flat-map weight in GeV^-2 at the same point
    f = numhep.integrand("g g > t t~", 13000.0, scale=MT, alpha_s=None)
    f.tau_min = tau_min
    ref = f(u.detach().numpy()) / numhep.units.GEV2_TO_PB
    np.testing.assert_allclose(weight(u).detach().numpy(), ref, rtol=1e-10)


def test_cpu_tensors_are_shared_not_copied_and_dtypes_are_kept(rng):
    t = torch.from_numpy(rng.random((4, 2)))
    assert np.shares_memory(as_array(t), t.numpy())
    p64 = gg_tt_momenta(rng, 4)
    p = torch.tensor(p64, dtype=torch.float32, requires_grad=True)
    m2 = nt.me(p, "gg_tt")
    assert m2.dtype == torch.float32
    # float32 in and out, and single precision inside: numpy's float32 mode exactly
    ref, ref_grad = numhep.me(p.detach().numpy(), "gg_tt", grad=True)
    assert ref.dtype == np.float32
    np.testing.assert_array_equal(m2.detach().numpy(), ref)
    m2.sum().backward()
    assert p.grad.dtype == torch.float32
    np.testing.assert_array_equal(p.grad.numpy(), ref_grad)
    # and within single-precision rounding of the float64 answer
    np.testing.assert_allclose(ref, numhep.me(p64, "gg_tt"), rtol=1e-5)


def test_bridge_errors():
    rng = np.random.default_rng(3)
    p = t64(gg_tt_momenta(rng))
    with pytest.raises(TypeError, match="different dtypes"):
        nt.me(p, "gg_tt", params={"MT": torch.tensor(173.0, dtype=torch.float32)})
    with pytest.raises(ValueError, match="different devices"):
        nt.me(p, "gg_tt", params={"MT": torch.tensor(173.0, dtype=torch.float64, device="meta")})
    with pytest.raises(ValueError, match="autograd"):
        numhep.me(p, "gg_tt", grad=True)
    with pytest.raises(ValueError, match="2 legs|4 legs|legs"):
        nt.me(p[:, :3], "gg_tt")
    loss = nt.me(p, "gg_tt").sum()
    (g,) = torch.autograd.grad(loss, p)
    ref_v, ref_g = numhep.me(p.detach().numpy(), "gg_tt", grad=True)
    np.testing.assert_allclose(g.numpy(), ref_g, rtol=1e-12)
    assert math.isfinite(float(loss.detach()))


def test_numpy_momenta_with_a_tensor_parameter():
    """The momenta a user holds as numpy, a parameter as a tensor: |M|^2 is a tensor whose
    gradient in the parameter is numhep's own."""
    p, _ = numhep.rambo(3, 200.0, [0.0] * 4, seed=1)
    mz = torch.tensor(91.188, dtype=torch.float64, requires_grad=True)
    m2 = numhep.me(p, "e+ e- > mu+ mu-", params={"MZ": mz})
    m2.sum().backward()
    _, grads = numhep.me(p, "e+ e- > mu+ mu-", grad=("MZ",))
    np.testing.assert_allclose(mz.grad.item(), grads["MZ"].sum(), rtol=1e-12)
