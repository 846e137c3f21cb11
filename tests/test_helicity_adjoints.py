"""Hand-derived VJPs of the helicity kernels (wavefunctions, propagators, vertices)
against central finite differences, with the Wirtinger conventions of
numhep.adjoint.wavefunctions: for L = 2 Re(sum_j g_j w_j), dL/dRe z = 2 Re z~ and
dL/dIm z = -2 Im z~ for complex inputs, dL/dx = 2 Re G_x for real ones."""

import numpy as np
import pytest

import numhep.adjoint.propagators as AP
import numhep.adjoint.vertices as AV
import numhep.adjoint.wavefunctions as AW
import numhep.kernels.propagators as P
import numhep.kernels.vertices as V
import numhep.kernels.wavefunctions as W


def assert_vjp(f, cin, rin, cot, grads, h=1e-6, rtol=1e-6):
    """grads: complex cotangents of cin, then complex sums G of rin (in that order)."""
    cot = np.asarray(cot)

    def objective(ci, ri):
        out = np.atleast_1d(np.array(f(*ci, *ri), dtype=complex))
        return 2.0 * np.real(np.sum(cot[: len(out)] * out))

    grads = np.asarray(grads, dtype=complex)
    checks = []
    for j in range(len(cin)):
        for unit, pick in ((1.0, lambda z: 2 * z.real), (1j, lambda z: -2 * z.imag)):
            plus, minus = list(cin), list(cin)
            plus[j] += h * unit
            minus[j] -= h * unit
            checks.append((pick(grads[j]), (objective(plus, rin) - objective(minus, rin)) / (2 * h)))
    for j in range(len(rin)):
        plus, minus = list(rin), list(rin)
        plus[j] += h
        minus[j] -= h
        checks.append((2 * grads[len(cin) + j].real, (objective(cin, plus) - objective(cin, minus)) / (2 * h)))
    an, fd = np.array(checks).T
    np.testing.assert_allclose(an, fd, rtol=rtol, atol=rtol * np.abs(fd).max())


rng = np.random.default_rng(7)


def cplx(n):
    return list(rng.normal(size=n) + 1j * rng.normal(size=n))


def momentum(mass, zsign):
    p3 = rng.normal(size=3) * 300
    p3[2] = zsign * abs(p3[2]) if zsign else 0.0
    if zsign == 0:
        p3 = np.array([0.0, 0.0, -250.0])  # on the beam axis
    return [float(np.sqrt(mass * mass + p3 @ p3)), *p3]


@pytest.mark.parametrize("zsign", [1, -1, 0])
@pytest.mark.parametrize("mass", [0.0, 173.0])
@pytest.mark.parametrize("incoming", [True, False])
def test_wavefunction_vjps(zsign, mass, incoming):
    p = momentum(mass, zsign)
    for hel in (-1, 1):
        for f, fv in ((W.external_psi, AW.external_psi_vjp), (W.external_psibar, AW.external_psibar_vjp)):
            g = cplx(4)
            rin = p + [mass] if mass else p
            grads = fv(*p, mass, hel, incoming, *g)
            fun = (lambda *x: f(*x, hel, incoming)) if mass else (lambda *x: f(*x, 0.0, hel, incoming))
            assert_vjp(fun, [], rin, g, grads if mass else grads[:4], h=1e-5)
    for hel in ((-1, 0, 1) if mass else (-1, 1)):
        g = cplx(4)
        grads = AW.polarisation_vjp(*p, mass or 80.0, hel, incoming, *g)
        assert_vjp(lambda *x: W.polarisation(*x, hel, incoming), [], p + [mass or 80.0], g, grads, h=1e-5)


def test_propagator_vjps():
    k = [400.0, *(rng.normal(size=3) * 100)]
    for f, fv, n_in, extra in (
        (P.vector_propagator, AP.vector_propagator_vjp, 4, [91.2, 2.4]),
        (P.psi_propagator, AP.psi_propagator_vjp, 4, [173.0, 1.5]),
        (P.psibar_propagator, AP.psibar_propagator_vjp, 4, [173.0, 1.5]),
    ):
        cin, g = cplx(n_in), cplx(4)
        assert_vjp(f, cin, k + extra, g, fv(*cin, *k, *extra, *g))
    cin, g = cplx(4), cplx(4)
    assert_vjp(lambda *a: P.vector_propagator(*a, 0.0, 0.0), cin, k, g, AP.vector_propagator_vjp(*cin, *k, 0.0, 0.0, *g)[:8])
    s, g = cplx(1), cplx(1)
    assert_vjp(P.scalar_propagator, s, k + [125.0, 0.4], g, AP.scalar_propagator_vjp(*s, *k, 125.0, 0.4, *g))


def test_vertex_vjps():
    for f, fv, n_in, n_out in (
        (V.ffv_vector, AV.ffv_vector_vjp, 10, 4),
        (V.ffv_psibar, AV.ffv_psibar_vjp, 10, 4),
        (V.ffv_psi, AV.ffv_psi_vjp, 10, 4),
        (V.ffs_scalar, AV.ffs_scalar_vjp, 10, 1),
        (V.ffs_psibar, AV.ffs_spinor_vjp, 7, 4),
        (V.vvvv_vector, AV.vvvv_vector_vjp, 15, 4),
    ):
        cin, g = cplx(n_in), cplx(n_out)
        assert_vjp(f, cin, [], g, fv(*cin, *g))
    # VVV: couplings last among the complex inputs, then the two real momenta
    x, c, pq, g = cplx(8), cplx(1), list(rng.normal(size=8) * 100), cplx(4)
    r = AV.vvv_vector_vjp(*x, *pq, *c, *g)
    assert_vjp(lambda *a: V.vvv_vector(*a[:8], *a[9:], a[8]), x + c, pq, g, list(r[:8]) + [r[16]] + list(r[8:16]))


def test_effective_vertex_vjps():
    """The S F_munu F^munu vertex (VVS_EFF): complex inputs first, then the real momenta."""
    x, y, c, g = cplx(4), cplx(4), cplx(1), cplx(1)
    pq = list(rng.normal(size=8) * 100)
    r = AV.vvs_eff_scalar_vjp(*x, *y, *pq, *c, *g)
    assert_vjp(lambda *a: V.vvs_eff_scalar(*a[:8], *a[9:], a[8]), x + y + c, pq, g,
               list(r[:8]) + [r[16]] + list(r[8:16]))
    y, s, c, g = cplx(4), cplx(1), cplx(1), cplx(4)
    q, k = list(rng.normal(size=4) * 100), list(rng.normal(size=4) * 100)
    r = AV.vvs_eff_vector_vjp(*y, *q, *s, *k, *c, *g)
    assert_vjp(lambda *a: V.vvs_eff_vector(*a[:4], *a[6:10], a[4], *a[10:], a[5]), y + s + c, q + k, g,
               list(r[:4]) + [r[8], r[13]] + list(r[4:8]) + list(r[9:13]))
