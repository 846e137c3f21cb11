"""The integrand as MadNIS training sees it.

:class:`TrainingTarget` takes what a user trains on: a numhep
:class:`~numhep.integration.integrands.Integrand` (flat, or with ``channel="diagrams"``), or a
plain function of points in the unit hypercube, ``f(u)`` for one channel and
``f(u, channel)`` for several, returning the values f (the weight without channel weight),
``(f, prior)`` or ``(f, features, prior)``.  A plain function may compute with numpy or with
torch.  For points (n, dim) and their channels it gives the weight without channel weight,
the prior channel weights, the features of the channel-weight network (numhep: the lab
momenta over sqrt(s)) and, on request, the score d log(alpha_c f / g_c) / du (derivative
matching, Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Eq. 30); and for inverse
training the weight alpha_c f / g_c as a tensor that torch differentiates.  Channels that are
permutations of identical particles share a group (numhep's representatives), and a point
that is broken (a non-finite value, prior or feature) gets weight 0.
"""

from __future__ import annotations

import numpy as np
import torch

from numhep.integration.integrands import Integrand

__all__ = ["TrainingTarget"]


class TrainingTarget:
    """The integrand as training sees it: points (n, dim) and channels (n,) -> (f without
    channel weight, prior channel weights (n, channels) or None, features (n, k) or None)."""

    def __init__(self, f, dim, channels, groups):
        self.f = f
        self.numhep = isinstance(f, Integrand)
        if self.numhep:
            self.dim = f.dim
            if f.channels is None:
                self.n_channels, group_of = 1, [0]
            else:
                self.n_channels = len(f.channels)
                index = {r: k for k, r in enumerate(f.representatives)}
                group_of = [index[c.representative] for c in f.channels]
        else:
            self.dim = dim if dim is not None else getattr(f, "dim", None)
            if self.dim is None:
                raise ValueError("dim: give the number of dimensions of a plain function integrand")
            self.n_channels = 1 if channels is None else int(channels)
            group_of = list(range(self.n_channels)) if groups is None else [int(g) for g in groups]
        self.dim = int(self.dim)
        self.group_of = np.asarray(group_of, dtype=np.int64)
        if self.group_of.shape != (self.n_channels,):
            raise ValueError(f"groups: expected a group index for each of the {self.n_channels} channels")
        self.n_groups = int(self.group_of.max()) + 1
        if sorted(set(self.group_of.tolist())) != list(range(self.n_groups)):
            raise ValueError("groups: the group indices must be 0, 1, ... without gaps")
        self.members = [np.nonzero(self.group_of == r)[0] for r in range(self.n_groups)]
        self.sizes = np.array([m.size for m in self.members])
        #: the channels of each group, padded: member_table[r, k] is group r's k-th channel
        self.member_table = np.zeros((self.n_groups, self.sizes.max()), dtype=np.int64)
        for r, m in enumerate(self.members):
            self.member_table[r, : m.size] = m
        self.multi = self.n_channels > 1
        #: whether a plain function computes with torch (None until its first call)
        self.takes_tensors = None

    def __call__(self, u, channel, score: bool = False):
        """(f, prior, features, score) as float64 arrays (non-finite values become weight 0);
        the score d log(alpha_c f / g_c) / du only when asked for, else None."""
        if self.numhep:
            pts = self.f.evaluate(u, channel if self.multi else None, gradient=score)
            grad = _score(pts.weight, pts.gradient) if score else None
            if not self.multi:
                return pts.weight, None, None, grad
            return pts.weight_without_alpha, pts.channel_weights, self.features(pts), grad
        out = self._call_plain(u, channel)
        prior = feats = None
        if self.multi and isinstance(out, tuple):
            if len(out) == 3:
                out, feats, prior = out
            elif len(out) == 2:
                out, prior = out
            else:
                raise ValueError("integrand: a multi-channel function returns f, (f, prior) or (f, features, prior)")
        values = _as_numpy(out).reshape(-1)
        if values.shape[0] != u.shape[0]:
            raise ValueError(f"integrand: returned {values.shape[0]} values for {u.shape[0]} points")
        bad = ~np.isfinite(values)
        if bad.any():
            values = np.where(bad, 0.0, values)
        prior = None if prior is None else _as_numpy(prior).reshape(u.shape[0], self.n_channels)
        feats = None if feats is None else _as_numpy(feats).reshape(u.shape[0], -1)
        if bad.any() or (prior is not None and not np.all(np.isfinite(prior))) or (
                feats is not None and not np.all(np.isfinite(feats))):
            # a broken point keeps weight 0 and harmless features and priors (even weights)
            bad |= ~np.all(np.isfinite(prior), axis=1) if prior is not None else False
            bad |= ~np.all(np.isfinite(feats), axis=1) if feats is not None else False
            values = np.where(bad, 0.0, values)
            if prior is not None:
                prior = np.where(bad[:, None], 1.0, prior)
            if feats is not None:
                feats = np.where(bad[:, None], 0.0, feats)
        return values, prior, feats, self._plain_score(u, channel) if score else None


    def features(self, points):
        """The channel-weight network's input at evaluated numhep points: the lab-frame
        momenta over sqrt(s), flattened (n, 4 legs)."""
        return points.momenta.reshape(points.momenta.shape[0], -1) / self.f.sqrt_s

    def prior_weighted(self, u, channel: int):
        """alpha_c f / g_c with the prior channel weight at points u of one channel."""
        bare, prior, _, _ = self(u, np.full(u.shape[0], channel, dtype=np.int64))
        return bare if prior is None else bare * prior[:, channel]

    def _plain_score(self, u, channel):
        """The score of a plain function, through torch (a second call of it)."""
        ut = torch.as_tensor(u).requires_grad_(True)
        values = self.differentiable(ut, channel)
        (grad,) = torch.autograd.grad(values.sum(), ut)
        return _score(_as_numpy(values), _as_numpy(grad))

    def _call_plain(self, u, channel):
        """A plain function of numpy points, or of torch tensors (found out on the first call,
        which a torch function answers with a TypeError on numpy input)."""
        args = (channel,) if self.multi else ()
        if self.takes_tensors is None:  # the first call decides, once
            try:
                out = self.f(u, *args)
                self.takes_tensors = False
                return out
            except TypeError:
                self.takes_tensors = True
        if not self.takes_tensors:
            return self.f(u, *args)
        with torch.no_grad():
            return self.f(torch.as_tensor(u), *args)

    def differentiable(self, u, channel):
        """alpha_c f / g_c at flow points u (a tensor with gradients) as a tensor that torch
        differentiates (inverse training): numhep's integrands through their adjoints, a plain
        function through whatever torch operations it uses."""
        if self.numhep:
            values = self.f(u, channel if self.multi else None)
        else:
            try:
                out = self.f(u, channel) if self.multi else self.f(u)
            except TypeError as exc:  # a numpy function given a tensor
                raise ValueError(_NOT_DIFFERENTIABLE + f" ({exc})") from exc
            values, prior = (out[0], out[-1]) if isinstance(out, tuple) else (out, None)
            if self.multi and prior is not None:
                prior = torch.as_tensor(_as_numpy(prior), dtype=u.dtype, device=u.device)
                idx = torch.as_tensor(channel, device=u.device)[:, None]
                values = values * (prior.gather(1, idx)[:, 0] / prior.sum(1).clamp_min(1e-300))
        if not (isinstance(values, torch.Tensor) and values.requires_grad):
            raise ValueError(_NOT_DIFFERENTIABLE)
        return torch.where(torch.isfinite(values), values, torch.zeros_like(values))


_NOT_DIFFERENTIABLE = ("training='inverse': the integrand must return a torch tensor that depends on its input "
                       "(numhep integrands do; a plain function must compute with torch)")


def _score(weight, gradient):
    """d log w / du = (dw/du) / w, zero where w is zero or the gradient is not finite."""
    ok = (weight > 0) & np.all(np.isfinite(gradient), axis=1)
    return np.where(ok[:, None], gradient / np.where(ok, weight, 1.0)[:, None], 0.0)


def _as_numpy(a):
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)
