import json

import numpy as np
import pytest
from kernel_checks import check_cuda_matches_cpu, check_vjp
from refdata import refdata

import numhep
import numhep.phasespace.kinematics


@pytest.fixture(scope="module")
def mg5():
    return np.load(refdata("mg5", "ee_mumu.npz"))


@pytest.fixture(scope="module")
def proc():
    return numhep.process("ee_mumu_analytic")


def test_agrees_with_madgraph_standalone(mg5):
    me = numhep.me(mg5["p"], process="ee_mumu_analytic")
    np.testing.assert_allclose(me, mg5["me"], rtol=1e-10)


def test_derived_parameters_match_madgraph(mg5):
    internal = json.loads(str(mg5["params"]))["internal_params"]
    ours = numhep.model("sm").parameters()
    for ours_name, mg_name in [("MW", "mdl_MW"), ("sw2", "mdl_sw2"), ("ee", "mdl_ee"), ("vev", "mdl_vev"),
                               ("yt", "mdl_yt"), ("lam", "mdl_lam"), ("g1", "mdl_g1"), ("gw", "mdl_gw")]:
        assert ours[ours_name] == pytest.approx(internal[mg_name], rel=1e-14), ours_name


def test_parameter_gradients_against_madgraph_shifted_inputs(mg5):
    p = mg5["p"]
    _, g = numhep.me(p, process="ee_mumu_analytic", grad=("MZ", "Gf"))
    fd_mz = (mg5["me_MZp"] - mg5["me_MZm"]) / 0.02
    fd_gf = (mg5["me_Gfp"] - mg5["me_Gfm"]) / 2e-8
    # central differences with MadGraph's steps (0.01 GeV, 1e-8): truncation ~ (h/Gamma_Z)^2,
    # largest on the Z pole where d|M|^2/dMZ passes through zero
    pole = np.isclose(mg5["sqrt_s"], 91.188)
    np.testing.assert_allclose(g["MZ"][~pole], fd_mz[~pole], rtol=2e-4)
    np.testing.assert_allclose(g["MZ"][pole], fd_mz[pole], rtol=2e-3)
    np.testing.assert_allclose(g["Gf"], fd_gf, rtol=1e-5, atol=1e-6 * np.abs(fd_gf).max())


def test_parameter_gradients_against_fine_differences(mg5):
    p = mg5["p"][::7]
    _, g = numhep.me(p, process="ee_mumu_analytic", grad=("p", "MZ", "Gf", "aEWM1", "WZ"))
    sm = numhep.model("sm")
    me = numhep.me(p, process="ee_mumu_analytic")
    # WZ moves |M|^2 by ~1e-4 off the pole: a larger step keeps rounding below the signal
    for name, rel_step in (("MZ", 1e-6), ("Gf", 1e-6), ("aEWM1", 1e-6), ("WZ", 1e-4)):
        h = rel_step * sm.inputs[name]
        up = numhep.me(p, process="ee_mumu_analytic", params={name: sm.inputs[name] + h})
        dn = numhep.me(p, process="ee_mumu_analytic", params={name: sm.inputs[name] - h})
        rounding = 8 * np.finfo(float).eps * np.abs(me) / h
        np.testing.assert_allclose(g[name], (up - dn) / (2 * h), rtol=1e-6, atol=rounding.max(), err_msg=name)


def test_momentum_adjoint_against_finite_differences(mg5, proc):
    p = mg5["p"][::9]
    pv = proc.parameter_vector()

    def f(p, pv):
        out = np.empty(len(p))
        proc.kernel.cpu(p, np.ascontiguousarray(pv[0]), out)
        return out

    def vjp(inputs, cot):
        gp, gpar = np.empty_like(inputs[0]), np.empty((len(inputs[0]), 4))
        proc.kernel.vjp.cpu(inputs[0], np.ascontiguousarray(inputs[1][0]), cot[0], gp, gpar)
        return gp, None

    check_vjp(f, vjp, [p, np.tile(pv, (len(p), 1))], wrt=[0])
    me, dp = numhep.me(p, process="ee_mumu_analytic", grad=True)
    assert dp.shape == p.shape


def test_lorentz_invariance_and_crossing_symmetry(mg5):
    p = mg5["p"][:40]
    beta = np.array([0.3, -0.2, 0.5])
    q = numhep.phasespace.kinematics.boost(p, np.broadcast_to(beta, p.shape[:-1] + (3,)))
    np.testing.assert_allclose(numhep.me(q, "ee_mumu_analytic"), numhep.me(p, "ee_mumu_analytic"), rtol=1e-11)
    # C: exchanging particles and antiparticles of both pairs leaves |M|^2 unchanged
    swapped = p[:, [1, 0, 3, 2]]
    np.testing.assert_allclose(numhep.me(swapped, "ee_mumu_analytic"), numhep.me(p, "ee_mumu_analytic"), rtol=1e-12)


def test_cuda_build_matches(mg5, proc):
    p = mg5["p"][:3]
    pv = proc.parameter_vector()
    check_cuda_matches_cpu(proc.kernel, [p, pv], [np.empty(3)])
    check_cuda_matches_cpu(proc.kernel.vjp, [p, pv, np.ones(3)], [np.empty_like(p), np.empty((3, 4))])


def test_bad_momenta_are_named(mg5):
    p = mg5["p"][:4].copy()
    with pytest.raises(ValueError, match="4 legs"):
        numhep.me(p[:, :3], process="ee_mumu_analytic")
    with pytest.raises(ValueError, match="shape"):
        numhep.me(p[:, :, :3], process="ee_mumu_analytic")
    p[1, 2, 1] += 1.0
    with pytest.raises(ValueError, match="conserve"):
        numhep.me(p, process="ee_mumu_analytic")
    with pytest.raises(KeyError, match="input parameter"):
        numhep.me(mg5["p"][:2], process="ee_mumu_analytic", grad=("MW",))
