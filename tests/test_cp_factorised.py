"""|M|^2 factorised in the top Yukawa's CP phase (Heimel, PhD thesis, Heidelberg 2024, Eqs. 6.2, 6.33)."""

import numpy as np
import pytest

import numhep
from numhep.amplitudes.cp_factorised import (
    components_from_values,
    cp_components,
    me_components,
    me_from_components,
    thesis_basis,
    thesis_components,
)

ALPHAS = np.radians([-180.0, -90.0, -45.0, 0.0, 22.5, 45.0, 90.0, 135.0, 180.0])

# five-flavour partonic subprocesses of p p > t h j, and one with the top's decay chain
PROCESSES = ["u b > t h d", "u d~ > t h b~", "u b > t h d, (t > b w+, w+ > mu+ vm)"]


@pytest.fixture(scope="module")
def model():
    return numhep.model("sm_cpv_no_b_mass")


@pytest.mark.parametrize("text", PROCESSES)
def test_factorised_me_equals_numhep_at_every_alpha(model, text):
    proc = numhep.process(text, model=model)
    p, _ = numhep.rambo(20, 1500.0, proc.masses, seed=11)
    components = me_components(p, proc)
    for kappa_a, kappa_b in ((1.0, 2.0 / 3.0), (0.7, 1.4)):
        values = me_from_components(components, ALPHAS, kappa_a, kappa_b)
        for k, alpha in enumerate(ALPHAS):
            direct = numhep.me(p, proc, params={"alpha_cp": alpha, "kappa_a": kappa_a, "kappa_b": kappa_b})
            np.testing.assert_allclose(values[:, k], direct, rtol=1e-12, atol=0)


def test_massless_b_model_is_five_flavour(model):
    assert model.parameters()["MB"] == 0.0
    group = numhep.process_group("p p > t h j", model=model)
    assert any(5 in sub.legs[:2] for sub in group.subprocesses)
    assert numhep.process("u b > t h d", model=model).masses[1] == 0.0


def test_thesis_form_equals_the_quadratic_form(model):
    proc = numhep.process("u b > t h d", model=model)
    p, _ = numhep.rambo(5, 1000.0, proc.masses, seed=2)
    c = me_components(p, proc)
    g = thesis_components(c)
    np.testing.assert_allclose(g @ thesis_basis(ALPHAS).T, me_from_components(c, ALPHAS), rtol=1e-12)


def test_components_of_a_known_quadratic_form():
    truth = np.array([2.0, -1.0, 0.5, 3.0, 0.25, -2.0])

    def value(v):
        e, o = v["kappa_a"] * np.cos(v["alpha_cp"]), v["kappa_b"] * np.sin(v["alpha_cp"])
        return np.array(truth @ [1.0, e, o, e * e, o * o, e * o])

    np.testing.assert_allclose(cp_components(value), truth, rtol=0, atol=1e-13)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="alpha_cp"):
        cp_components(lambda v: np.zeros(2), {"alpha_cp": 0.3})
    with pytest.raises(ValueError, match="sm_cpv"):
        proc = numhep.process("u u~ > t t~")
        me_components(numhep.rambo(1, 1000.0, proc.masses, seed=1)[0], proc)
    with pytest.raises(ValueError, match="shape"):
        components_from_values(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="components"):
        me_from_components(np.zeros((2, 5)), 0.0)
