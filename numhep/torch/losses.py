"""Training losses of neural importance sampling, from samples of a sampling density q.

Every loss takes, per point of a batch drawn from q: ``f`` the integrand's share alpha_i f of
the point's channel (it may carry gradients of the channel weights), ``g`` the density of the
trainable flow of that channel at the point (with gradients), ``q`` the density the point was
drawn from (q = g, detached, in online training; the density of an earlier flow in buffered
training) and ``channel`` the point's channel (None: one channel).  With f normalised by the
integral estimate I_i = <f / q> of its channel (detached), the f-divergences of Heimel,
Mattelaer, Plehn & Winterhalder (arXiv:2408.01486, Eq. 20) are

    L_F = < (g / q) F(f / g) >_q,    F(t) = (t - 1)^2  (variance, Eq. 27),
                                       F(t) = t log t    (KL, Eq. 28),
                                       F(t) = -log t     (reverse KL, Eq. 29),

summed over channels weighted by their share I_i / sum_j I_j of the integral.  The channel
variances sigma_i^2 = < f^2 / (g q) >_q - < f / q >_q^2 of the same paper (Eq. 13, the thesis
Heimel, PhD thesis, Heidelberg 2024, Eq. 5.13) give the multi-channel variance loss
sum_i (N / N_i) sigma_i^2 for N_i of the batch's N points in channel i, and the stratified
MadNIS loss (sum_i sigma_i)^2 (Eq. 14 / the thesis Eq. 5.20), the variance with the optimal
N_i proportional to sigma_i.  The variance losses are divided by (sum_i I_i)^2 so that their
value is (sigma/I)^2 of one weight and independent of the integrand's units.

Forward training passes q detached; inverse training (points x = G^-1(z) with gradients
through the map and the integrand, the same paper's Eq. 22) passes q = g itself, so that
g / q = 1 and the gradient flows through f and g.  ``integral`` fixes I instead of estimating
it from the batch (one channel), which makes every point's term independent of the others.

Points with f = 0 (outside the cuts) enter every loss: the variance losses push g away from
them, the KL losses through their normalisation.
"""

from __future__ import annotations

import torch

__all__ = ["LOSSES", "kl_divergence", "multichannel_variance", "reverse_kl_divergence", "stratified_variance",
           "variance"]


def _per_channel(channel):
    if channel is None:
        return [slice(None)]
    return [channel == i for i in torch.unique(channel)]


def _sigma2(f, g, q):
    """sigma^2 of Eq. 13 from points of q."""
    return torch.mean(f * f / (g * q)) - torch.mean(f / q) ** 2


def _integrals(f, q, parts, integral=None):
    """I_i = <f / q> per channel (detached), or the given integral of a single channel."""
    if integral is not None:
        return torch.as_tensor(integral, dtype=f.dtype, device=f.device).reshape(1).expand(len(parts))
    return torch.stack([torch.mean(f[m].detach() / q[m].detach()) for m in parts])


def multichannel_variance(f, g, q, channel=None, integral=None):
    """sum_i (N / N_i) sigma_i^2 / I^2 (Eq. 13); with one channel sigma^2 / I^2."""
    parts = _per_channel(channel)
    total = _integrals(f, q, parts, integral).abs().sum()
    n = f.shape[0]
    terms = [n / f[m].shape[0] * _sigma2(f[m], g[m], q[m]) for m in parts]
    return torch.stack(terms).sum() / total.clamp_min(torch.finfo(f.dtype).tiny) ** 2


def stratified_variance(f, g, q, channel=None, integral=None):
    """(sum_i sigma_i)^2 / I^2 (Eq. 14)."""
    parts = _per_channel(channel)
    total = _integrals(f, q, parts, integral).abs().sum()
    eps = torch.finfo(f.dtype).eps
    sig = torch.stack([torch.sqrt(_sigma2(f[m], g[m], q[m]).clamp_min(0.0) + eps * total.detach() ** 2)
                       for m in parts])
    return sig.sum() ** 2 / total.clamp_min(torch.finfo(f.dtype).tiny) ** 2


def _divergence(F):
    def loss(f, g, q, channel=None, integral=None):
        parts = _per_channel(channel)
        ints = _integrals(f, q, parts, integral)
        share = ints.abs() / ints.abs().sum().clamp_min(torch.finfo(f.dtype).tiny)
        terms = []
        for m, integral in zip(parts, ints):
            fn = f[m] / integral.abs().clamp_min(torch.finfo(f.dtype).tiny)
            terms.append(torch.mean(g[m] / q[m] * F(fn, g[m])))
        return (share * torch.stack(terms)).sum()

    return loss


def _variance_f(fn, g):
    return (fn / g - 1.0) ** 2


def _kl_f(fn, g):
    t = fn / g
    return torch.xlogy(t, t)


def _rkl_f(fn, g):
    # -log(f/g) with f = 0 (a point outside the cuts) held finite: its g is what the loss removes
    return torch.log(g) - torch.log(fn + torch.finfo(fn.dtype).eps)


variance = _divergence(_variance_f)
variance.__doc__ = "The variance divergence < (g/q) (f/g - 1)^2 > (Eq. 27), per channel weighted by I_i / I."
kl_divergence = _divergence(_kl_f)
kl_divergence.__doc__ = "The KL divergence < (f/q) log(f/g) > (Eq. 28), per channel weighted by I_i / I."
reverse_kl_divergence = _divergence(_rkl_f)
reverse_kl_divergence.__doc__ = "The reverse KL divergence < (g/q) log(g/f) > (Eq. 29), per channel weighted by I_i / I."

#: the losses by the names the trainer takes
LOSSES = {
    "stratified": stratified_variance,
    "multichannel_variance": multichannel_variance,
    "variance": variance,
    "kl": kl_divergence,
    "rkl": reverse_kl_divergence,
}
