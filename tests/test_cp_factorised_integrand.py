"""The integrand factorised in the CP phase: dsigma/du and sigma at every alpha from one pass."""

import numpy as np
import pytest

from numhep.amplitudes.cp_factorised import cp_monomials
from numhep.events.thj_dataset import thj_integrand
from numhep.integration.cp_factorised_integrand import CPFactorisedIntegrand


@pytest.fixture(scope="module")
def integrand():
    return CPFactorisedIntegrand("p p > t h j", 13000.0, model="sm_cpv_no_b_mass")


def test_weights_equal_numhep_integrand_at_every_alpha(integrand):
    u = np.random.default_rng(5).random((120, integrand.dim))
    pts = integrand.evaluate(u)
    for deg in (-90.0, 45.0):
        direct = thj_integrand(np.radians(deg))(u)
        np.testing.assert_allclose(pts.weight(np.radians(deg)), direct, rtol=1e-11, atol=1e-300)
    assert pts.inside.sum() == (thj_integrand(0.0)(u) != 0).sum()


def test_sigma_components_are_exact_for_one_phase(integrand):
    # one phase: every event's term g.f(alpha0)/q equals sigma(alpha0), whatever the points
    u = np.random.default_rng(6).random((200, integrand.dim))
    u = u[integrand.evaluate(u).inside]
    alpha0 = np.radians(45.0)
    s = integrand.sigma_components(u, np.full(len(u), alpha0), {alpha0: 0.04})
    assert s @ cp_monomials(alpha0) == pytest.approx(0.04, rel=1e-12)
    # and the hard likelihood is normalised by that sigma
    ll = integrand.log_likelihood(u[:3], [alpha0], s)
    np.testing.assert_allclose(np.exp(ll[:, 0]) * 0.04, integrand.evaluate(u[:3]).weight(alpha0), rtol=1e-12)


def test_cp_inputs_cannot_be_overridden():
    with pytest.raises(ValueError, match="alpha_cp"):
        CPFactorisedIntegrand("p p > t h j", 13000.0, model="sm_cpv_no_b_mass", params={"alpha_cp": 1.0})
