"""The example plugin numhep-zprime, installed as a user installs a plugin: its UFO model is
found through the ``numhep.models`` entry point, and its hand-written process, with its
hand-written adjoint, gives what numhep's compiler gives from the UFO's Feynman rules."""

import numpy as np
import pytest

import numhep

pytest.importorskip("numhep_zprime", reason="the example plugin (pip install -e plugins/numhep-zprime) is not installed")


@pytest.fixture(scope="module")
def processes():
    return numhep.process("ee_ll_zprime"), numhep.process("e+ e- > mu+ mu-", model=numhep.model("sm_zp"))


def test_the_ufo_model_comes_through_its_entry_point():
    assert "sm_zp" in numhep.models()
    model = numhep.model("sm_zp")
    assert model.particle(32).name == "Zp" and model.inputs["MZp"] == 1500.0


@pytest.mark.parametrize("sqrt_s", [91.188, 500.0, 1480.0, 1500.0, 1530.0])
def test_the_hand_written_process_equals_the_compiled_ufo_process(processes, sqrt_s):
    analytic, compiled = processes
    p, _ = numhep.rambo(6, sqrt_s, [0.0] * 4, seed=4)
    for params in (None, {"gzp": 0.5, "MZp": 1510.0, "WZp": 20.0}):
        np.testing.assert_allclose(numhep.me(p, analytic, params=params), numhep.me(p, compiled, params=params),
                                   rtol=1e-12)


def test_the_hand_written_adjoint_against_finite_differences_and_the_compiler(processes):
    analytic, compiled = processes
    p, _ = numhep.rambo(4, 1490.0, [0.0] * 4, seed=7)
    names = ("gzp", "MZp", "WZp", "MZ", "aEWM1")
    me, grads = numhep.me(p, analytic, grad=("p", *names))
    _, ref = numhep.me(p, compiled, grad=("p", *names))
    model = numhep.model("sm_zp")
    for name in names:
        np.testing.assert_allclose(grads[name], ref[name], rtol=1e-9, err_msg=name)
        x = model.inputs[name]
        h = 1e-6 * x
        fd = (numhep.me(p, analytic, params={name: x + h}) - numhep.me(p, analytic, params={name: x - h})) / (2 * h)
        np.testing.assert_allclose(grads[name], fd, rtol=1e-5, atol=1e-9 * np.abs(me).max() / h, err_msg=name)
    # in the momenta the kernel's gradient is that of its own formula (in s, p2.p3, p2.p4), off
    # the mass shell a different function from the compiler's: check it against its own differences
    v = np.random.default_rng(1).standard_normal(p.shape)
    h = 1e-6 * np.abs(p).max()
    fd = (numhep.me(p + h * v, analytic, check=False) - numhep.me(p - h * v, analytic, check=False)) / (2 * h)
    np.testing.assert_allclose((grads["p"] * v).sum(axis=(1, 2)), fd, rtol=1e-6)
