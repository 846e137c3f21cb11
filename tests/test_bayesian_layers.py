"""Bayesian linear layers: the KL term of the ELBO equals its closed form, and replicas are fixed draws."""

import math

import pytest
import torch

from numhep.torch.bayesian_layers import (
    BayesianLinear,
    bayesian_kl,
    draw_replica,
    set_bayesian_mode,
)


def test_kl_equals_the_closed_form_and_a_monte_carlo_estimate():
    torch.manual_seed(0)
    layer = BayesianLinear(3, 2, prior_sigma=0.7, initial_log_sigma2=-1.0).double()
    with torch.no_grad():
        layer.weight_log_sigma2.uniform_(-2.0, 0.5)
        layer.bias_log_sigma2.uniform_(-2.0, 0.5)
    mu = torch.cat([layer.weight_mu.flatten(), layer.bias_mu])
    sigma = torch.cat([layer.weight_log_sigma2.flatten(), layer.bias_log_sigma2]).mul(0.5).exp()
    closed = (torch.log(0.7 / sigma) + (sigma**2 + mu**2) / (2 * 0.7**2) - 0.5).sum()   # thesis Eq. 3.65
    assert layer.kl().item() == pytest.approx(closed.item(), rel=1e-12)
    # KL = E_q[log q(theta) - log p(theta)]
    g = torch.Generator().manual_seed(1)
    theta = mu + sigma * torch.randn(400_000, len(mu), generator=g, dtype=torch.float64)
    log_q = torch.distributions.Normal(mu, sigma).log_prob(theta).sum(1)
    log_p = torch.distributions.Normal(0.0, 0.7).log_prob(theta).sum(1)
    assert (log_q - log_p).mean().item() == pytest.approx(closed.item(), abs=0.02)
    net = torch.nn.Sequential(layer, torch.nn.ReLU(), BayesianLinear(2, 1).double())
    assert bayesian_kl(net).item() == pytest.approx(layer.kl().item() + net[2].kl().item())
    assert bayesian_kl(torch.nn.Linear(2, 2)).item() == 0.0


def test_weight_draws_sample_replicas_and_means():
    layer = BayesianLinear(4, 3, initial_log_sigma2=0.0)
    x = torch.randn(10, 4)
    assert not torch.equal(layer(x), layer(x))
    draw_replica(layer, torch.Generator().manual_seed(3))
    a = layer(x)
    assert torch.equal(a, layer(x))
    draw_replica(layer, torch.Generator().manual_seed(3))
    assert torch.equal(a, layer(x))
    set_bayesian_mode(layer, "mean")
    torch.testing.assert_close(layer(x), torch.nn.functional.linear(x, layer.weight_mu, layer.bias_mu))
    # a training step moves both the means and the widths (reparameterisation, Eq. 3.66)
    set_bayesian_mode(layer, "sample")
    layer(x).pow(2).sum().backward()
    assert layer.weight_mu.grad.abs().sum() > 0 and layer.weight_log_sigma2.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="mode"):
        set_bayesian_mode(layer, "map")
    with pytest.raises(ValueError, match="prior_sigma"):
        BayesianLinear(2, 2, prior_sigma=0.0)
    assert math.isfinite(layer.kl().item())
