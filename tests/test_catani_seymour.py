"""Catani-Seymour dipoles: formulas, adjoints, colour correlations and the soft and
collinear limits of numhep's own matrix elements (Maitre & Truong, arXiv:2107.06625, Sec. 2)."""

import math

import numpy as np
import pytest
from kernel_checks import check_cuda_matches_cpu, check_vjp

import numhep
from numhep.amplitudes import catani_seymour as cs
from numhep.kernels import catani_seymour as kern

AS = 0.118


def _mercedes():
    """Three massless partons of energy 1 at 120 degrees: every p_a.p_b = 3/2."""
    ang = 2 * np.pi * np.arange(3) / 3
    return np.stack([np.ones(3), np.cos(ang), np.sin(ang), np.zeros(3)], axis=1)[None]


def test_relevant_dipoles_match_seed_004_table_1():
    for n_gluons, rows, pairs in [(1, 2, 0), (2, 10, 1), (3, 27, 3)]:
        table, gluon_pairs = cs.relevant_dipoles([2, -2] + [21] * n_gluons)
        assert (len(table), len(gluon_pairs)) == (rows, pairs)
        n_jets = 2 + n_gluons
        # input and output nodes of Table 1
        assert (4 * n_jets + rows, rows + 2 * pairs) == {3: (14, 2), 4: (26, 12), 5: (47, 33)}[n_jets]
        assert all(t[1] >= 2 for t in table)  # only gluons are emitted
    with pytest.raises(ValueError, match="quarks"):
        cs.relevant_dipoles([2, -2, 22])


def test_dipoles_at_a_hand_computed_point():
    # y = 3/2 / (9/2) = 1/3 and z = 1/2 for every (i, j, k)
    p = _mercedes()
    y, z, d = cs.dipoles(p, [(0, 1, 2, 0), (0, 1, 2, 1), (0, 1, 2, 2)], AS)
    np.testing.assert_allclose(y, 1 / 3, rtol=1e-14)
    np.testing.assert_allclose(z, 1 / 2, rtol=1e-14)
    # q -> qg: 8 pi as C_F [2/(2/3) - 3/2] / 3 = 16 pi as / 3; g -> gg: 48 pi as [3 - 2 + 1/4] / 3;
    # g -> qq~: 4 pi as [1 - 1/2] / 3
    np.testing.assert_allclose(d[0], [16 * math.pi * AS / 3, 20 * math.pi * AS, 2 * math.pi * AS / 3], rtol=1e-14)


def test_azimuth_matches_seed_004_appendix_a(rng):
    p, _ = numhep.rambo(50, 1000.0, [0.0] * 7, seed=4)
    f = np.ascontiguousarray(p[:, 2:])
    pairs = np.array([[2, 3], [4, 2], [0, 1]])
    out = cs.splitting_azimuths(f, pairs)
    ez = np.array([0.0, 0.0, 1.0])
    for r, (a, b) in enumerate(pairs):
        pa, pij = f[:, a, 1:], f[:, a, 1:] + f[:, b, 1:]
        p2 = (pij**2).sum(1, keepdims=True)
        rz = ez - (pij @ ez)[:, None] / p2 * pij                     # A.2
        ri = pa - (pij * pa).sum(1, keepdims=True) / p2 * pij         # A.3
        unit = lambda v: v / np.linalg.norm(v, axis=1, keepdims=True)
        sin = (unit(pij) * np.cross(unit(ri), unit(rz))).sum(1)        # A.4
        cos = (unit(ri) * unit(rz)).sum(1)
        phi = np.arctan2(sin, cos)
        np.testing.assert_allclose(out[:, r, 0], np.sin(2 * phi), atol=1e-12)
        np.testing.assert_allclose(out[:, r, 1], np.cos(2 * phi), atol=1e-12)


def _parton_points(n=12, seed=3):
    p, _ = numhep.rambo(n, 1000.0, [0.0] * 7, seed=seed)
    return np.ascontiguousarray(p[:, 2:])


def test_dipole_adjoint_against_finite_differences():
    table = np.array([[0, 2, 1, 0], [1, 2, 0, 0], [2, 3, 0, 1], [3, 4, 1, 1], [2, 0, 4, 2]])

    def forward(p):
        return cs.dipoles(p, table, AS)

    def vjp(inputs, cot):
        return cs.dipoles.vjp(inputs[0], table, AS, *cot)

    check_vjp(forward, vjp, [_parton_points()])


def test_azimuth_adjoint_against_finite_differences():
    pairs = np.array([[2, 3], [3, 4], [0, 2]])
    check_vjp(lambda p: cs.splitting_azimuths(p, pairs),
              lambda inputs, cot: cs.splitting_azimuths.vjp(inputs[0], pairs, cot[0]),
              [_parton_points()])


def test_dipole_kernels_under_cuda_match_cpu():
    p = _parton_points(4)
    table, pairs = cs.relevant_dipoles([2, -2, 21, 21, 21])
    r = len(table)
    check_cuda_matches_cpu(kern.catani_seymour_dipoles, (p, table, np.array([AS])),
                           [np.zeros((4, r)), np.zeros((4, r)), np.zeros((4, r))])
    check_cuda_matches_cpu(kern.splitting_azimuth, (p, pairs), [np.zeros((4, len(pairs), 2))])
    ga = np.random.default_rng(2).standard_normal((4, len(pairs), 2))
    check_cuda_matches_cpu(kern.splitting_azimuth.vjp, (p, pairs, ga), [np.zeros_like(p)])
    g = [np.random.default_rng(1).standard_normal((4, r)) for _ in range(3)]
    check_cuda_matches_cpu(kern.catani_seymour_dipoles.vjp, (p, table, np.array([AS]), *g), [np.zeros_like(p)])


def test_colour_correlations_obey_casimirs_and_conservation():
    born = numhep.process("e+ e- > u u~ g g")
    p, _ = numhep.rambo(3, 1000.0, list(born.masses), seed=5)
    cc = born.colour_correlations(p)
    me = numhep.me(p, process=born)
    # the diagonal comes from colour conservation (-sum of the row); it must be the Casimir
    np.testing.assert_allclose(np.diagonal(cc, axis1=1, axis2=2) / me[:, None],
                               [[0, 0, 4 / 3, 4 / 3, 3, 3]] * 3, atol=1e-12)
    np.testing.assert_allclose(cc, np.transpose(cc, (0, 2, 1)), rtol=1e-12)
    # three partons: T_a.T_b = (C_c - C_a - C_b)/2 exactly
    three = numhep.process("e+ e- > u u~ g")
    p3, _ = numhep.rambo(2, 1000.0, list(three.masses), seed=6)
    c3 = three.colour_correlations(p3) / numhep.me(p3, process=three)[:, None, None]
    np.testing.assert_allclose(c3[:, 2, 3], (3 - 8 / 3) / 2, rtol=1e-12)
    np.testing.assert_allclose(c3[:, 2, 4], -3 / 2, rtol=1e-12)


def test_emission_momenta_invert_the_catani_seymour_map():
    born = numhep.process("e+ e- > u u~ g")
    pb, _ = numhep.rambo(5, 1000.0, list(born.masses), seed=8)
    y, z = np.linspace(0.1, 0.5, 5), np.linspace(0.2, 0.9, 5)
    pr = cs.emission_momenta(pb, 4, 2, y, z, 1.1)
    np.testing.assert_allclose(pr[:, 2:].sum(1), pb[:, 2:].sum(1), atol=1e-9)
    m2 = pr[..., 0] ** 2 - (pr[..., 1:] ** 2).sum(-1)
    np.testing.assert_allclose(m2[:, 2:], 0.0, atol=1e-7)
    yy, zz, _ = cs.dipoles(pr, [(4, 5, 2, 1)])
    np.testing.assert_allclose(yy[:, 0], y, rtol=1e-12)
    np.testing.assert_allclose(zz[:, 0], z, rtol=1e-12)
    np.testing.assert_allclose(cs.reduced_momenta(pr, 4, 5, 2), pb, atol=1e-9)


def _resolved_born_point(born, seed):
    rng = np.random.default_rng(seed)
    while True:
        pb, _ = numhep.rambo(1, 1000.0, list(born.masses), seed=int(rng.integers(1 << 30)))
        f = pb[0, 2:]
        s = 2 * (f[:, None, 0] * f[None, :, 0] - (f[:, None, 1:] * f[None, :, 1:]).sum(-1))
        if (s[np.triu_indices(len(f), 1)] > 0.05 * 1000.0**2).all():
            return pb


@pytest.mark.parametrize("born_text", ["e+ e- > u u~", "e+ e- > u u~ g", "e+ e- > u u~ g g"])
def test_dipoles_reproduce_soft_and_collinear_limits(born_text):
    """Approach every soft limit (the emitted gluon soft next to each parton) and every
    collinear limit (the emitted gluon along the quark, the antiquark and each gluon) over
    four decades: sum of dipoles / |M_{n+1}|^2 -> 1 linearly.  The azimuth is averaged over
    phi + k pi/2 (spin correlations of g -> g g and terms odd in k_T drop out)."""
    born = numhep.process(born_text)
    real = numhep.process(born_text + " g")
    pb = _resolved_born_point(born, seed=len(born.legs))
    phis = 0.7 + np.arange(4) * np.pi / 2
    for ij in range(2, len(born.legs)):
        k = 2 if ij != 2 else 3
        for limit in ("soft", "collinear"):
            dev = []
            for lam in (1e-3, 1e-6):
                y, z = (0.3 * lam, 1 - lam) if limit == "soft" else (lam, 0.35)
                pr = np.concatenate([cs.emission_momenta(pb, ij, k, y, z, ph) for ph in phis])
                ratio = cs.dipole_sum(pr, real, born_y_cut=0.01).mean() / numhep.me(pr, process=real).mean()
                dev.append(abs(ratio - 1))
            assert dev[1] < 1e-4 and (dev[1] < dev[0] / 50 or dev[1] < 1e-6), (born_text, ij, limit, dev)


def test_dipole_sum_rejects_coloured_initial_states():
    p, _ = numhep.rambo(2, 1000.0, [0.0, 0.0, 173.0, 173.0], seed=1)
    with pytest.raises(ValueError, match="incoming"):
        cs.dipole_sum(p, "g g > t t~")
