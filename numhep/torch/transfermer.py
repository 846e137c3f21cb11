r"""The transfer probability as an autoregressive transformer over reco-level particles (Transfermer).

Heimel, PhD thesis, Heidelberg 2024, Sec. 6.5.2: a transformer reads the hard-scattering
particles (encoder) and the reco-level particles before the i-th (decoder, causal mask), and
its i-th output c^(i) conditions a small flow for the i-th particle's components, Eq. 6.40:

.. math::

    p(x_\text{reco} | x_\text{hard}) = \prod_{i=1}^n
        p\big(x_\text{reco}^{(i)} \,\big|\, c^{(i)}(e_\text{reco}^{(0)}, \dots,
        e_\text{reco}^{(i-1)}, e_\text{hard})\big).

The attention decides which reco jet belongs to which parton, the jet combinatorics that a
flow on a fixed feature order must learn as a multi-modal density.  The particle flow follows
Eq. 6.42: the first three components of a particle by one conditional spline flow, a fourth
(a jet's energy, what a massless object lacks) by a second one conditioned on the first three
too, both shared by all particles (the position is in c^(i)).  As in
:class:`numhep.torch.TransferNetwork` the features are standardised, z = (x - m)/s, and mapped
to the unit cube by the Gaussian CDF, y = Phi(z):

.. math::

    \log p_\theta(x | x_\text{hard}) = \sum_i \log g_\theta(y^{(i)} | c^{(i)})
        + \sum_k \log \varphi(z_k) - \sum_k \log s_k .

Embeddings (Eq. 6.40's e): a particle's standardised components, zero-padded to four, and
its one-hot position, zero-padded to the model width; the start token e^(0) is the position
one-hot of its own.  The density needs one transformer pass, a sample n of them (Eq. 6.41).
It has the interface of :class:`numhep.torch.TransferNetwork` (``log_prob``, ``sample``,
``fit``): the MEM integral takes either.  Untrained, the flows are the identity: a standard
normal in z.
"""

from __future__ import annotations

import torch

from numhep.torch.flows import HypercubeFlow
from numhep.torch.transfer_network import (TransferDensity, gaussian_cdf, gaussian_quantile,
                                          standard_normal_log_prob)

__all__ = ["Transfermer"]

_COMPONENTS = 4


def _split_sizes(sizes, total: int, what: str):
    sizes = [int(k) for k in sizes]
    if not sizes or any(k < 1 or k > _COMPONENTS for k in sizes) or sum(sizes) != total:
        raise ValueError(f"{what}: expected particles of 1 to {_COMPONENTS} components adding up to the {total} "
                         f"features, got {tuple(sizes)}")
    return sizes


class Transfermer(TransferDensity):
    """p_theta(x_reco | x_hard) autoregressive over reco particles with a transformer (see the module text).

    Parameters
    ----------
    reco : torch.Tensor
        Reco features of the training set, shape (n, d_reco), particle after particle: they
        fix the standardisation.
    hard : torch.Tensor
        Hard features of the training set, shape (n, d_hard), particle after particle.
    reco_particles : sequence of int
        The number of features of each reco particle, in order (3 or 4 for a flow particle:
        the fourth is the one the second flow adds); they add up to d_reco.
    hard_particles : sequence of int
        The same for the hard particles (1 to 4 each); they add up to d_hard.
    width : int, optional
        The transformer's model width (default 64).
    heads : int, optional
        Attention heads (default 4).
    encoder_layers, decoder_layers : int, optional
        Transformer layers (default 2 each; the thesis's Table A.10 has 6 and 8).
    feedforward : int, optional
        The transformer's feed-forward width (default 128).
    bins : int, optional
        Spline bins of the particle flows (default 10).
    layers, units : int, optional
        Sub-network layers and width of the particle flows (default 2 and 64).

    Raises
    ------
    ValueError
        If the shapes or the particle sizes do not fit, or the embeddings would not fit ``width``.

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.transfermer import Transfermer
    >>> hard = torch.randn(64, 4, dtype=torch.float64)
    >>> reco = torch.cat([hard, hard[:, :3]], dim=1) + 0.1 * torch.randn(64, 7, dtype=torch.float64)
    >>> net = Transfermer(reco, hard, reco_particles=(4, 3), hard_particles=(4,), width=16, heads=2,
    ...                   encoder_layers=1, decoder_layers=1, feedforward=16, units=8)
    >>> net.log_prob(reco[:3], hard[:3]).shape
    torch.Size([3])
    >>> net.sample(hard[:5], generator=torch.Generator().manual_seed(1)).shape
    torch.Size([5, 7])
    """

    def __init__(self, reco, hard, *, reco_particles, hard_particles, width: int = 64, heads: int = 4,
                 encoder_layers: int = 2, decoder_layers: int = 2, feedforward: int = 128, bins: int = 10,
                 layers: int = 2, units: int = 64):
        super().__init__(reco, hard)
        d_reco, d_hard = self.reco_dim, int(self.hard_mean.numel())
        self.reco_sizes = _split_sizes(reco_particles, d_reco, "reco_particles")
        self.hard_sizes = _split_sizes(hard_particles, d_hard, "hard_particles")
        if any(k < 3 for k in self.reco_sizes):
            raise ValueError(f"reco_particles: a reco particle has 3 or 4 features, got {tuple(self.reco_sizes)}")
        n_reco, n_hard = len(self.reco_sizes), len(self.hard_sizes)
        if _COMPONENTS + n_reco + 1 > width or _COMPONENTS + n_hard > width:
            raise ValueError(f"width: the embeddings need {_COMPONENTS + max(n_reco + 1, n_hard)} entries, got {width}")
        self.width = int(width)
        self.transformer = torch.nn.Transformer(
            d_model=self.width, nhead=int(heads), num_encoder_layers=int(encoder_layers),
            num_decoder_layers=int(decoder_layers), dim_feedforward=int(feedforward), dropout=0.0,
            batch_first=True, dtype=torch.float64)
        self.first = HypercubeFlow(3, features=self.width, bins=bins, layers=layers, units=units)
        self.fourth = HypercubeFlow(1, features=self.width + 3, bins=bins, layers=layers, units=units)
        # a reco particle's features as columns of a (particles, 4) grid, absent ones pointing
        # past the end (a zero column): one gather per batch
        index, start = [], 0
        for k in self.reco_sizes:
            index.append([start + c if c < k else d_reco for c in range(_COMPONENTS)])
            start += k
        self.register_buffer("_reco_index", torch.tensor(index))
        self.register_buffer("_has_fourth", torch.tensor([k == _COMPONENTS for k in self.reco_sizes]))
        index, start = [], 0
        for k in self.hard_sizes:
            index.append([start + c if c < k else d_hard for c in range(_COMPONENTS)])
            start += k
        self.register_buffer("_hard_index", torch.tensor(index))

    def _grid(self, z, index):
        """(n, particles, 4) components from flat (n, d) features, zeros where a particle has fewer."""
        padded = torch.cat([z, torch.zeros_like(z[:, :1])], dim=1)
        return padded[:, index]

    def _embed(self, grid, offset: int):
        n, k = grid.shape[:2]
        position = torch.zeros(n, k, self.width - _COMPONENTS, dtype=grid.dtype, device=grid.device)
        position[:, torch.arange(k), offset + torch.arange(k)] = 1.0
        return torch.cat([grid, position], dim=2)

    def _memory(self, condition):
        return self.transformer.encoder(self._embed(self._grid(condition, self._hard_index), 0))

    def _conditions(self, memory, z_grid, m: int):
        """c^(1..m) from the reco particles before each (z_grid holds at least the first m - 1)."""
        n = memory.shape[0]
        start = torch.zeros(n, 1, self.width, dtype=memory.dtype, device=memory.device)
        start[:, 0, _COMPONENTS] = 1.0  # the start token: position 0; particle i sits at position i
        tokens = torch.cat([start, self._embed(z_grid, 1)], dim=1)[:, :m]
        mask = torch.nn.Transformer.generate_square_subsequent_mask(m, device=memory.device, dtype=memory.dtype)
        return self.transformer.decoder(tokens, memory, tgt_mask=mask, tgt_is_causal=True)

    def standard_log_prob(self, z, condition):
        """log p(z | condition), Eq. 6.40: one transformer pass, then the particle flows on
        y = Phi(z) with the Gaussian's density of z."""
        y = gaussian_cdf(z)
        normal = standard_normal_log_prob(z)
        z_grid = self._grid(z, self._reco_index)
        y_grid = self._grid(y, self._reco_index)
        c = self._conditions(self._memory(condition), z_grid, z_grid.shape[1])
        n, k = z_grid.shape[:2]
        out = self.first.log_prob(y_grid[:, :, :3].reshape(n * k, 3), condition=c.reshape(n * k, -1)).reshape(n, k)
        out = out.sum(dim=1)
        if bool(self._has_fourth.any()):
            sel = self._has_fourth
            cond = torch.cat([c[:, sel], z_grid[:, sel, :3]], dim=2).reshape(-1, self.width + 3)
            fourth = self.fourth.log_prob(y_grid[:, sel, 3:].reshape(-1, 1), condition=cond)
            out = out + fourth.reshape(n, -1).sum(dim=1)
        return out + normal

    def standard_sample(self, condition, generator=None):
        """z ~ p(z | condition) particle after particle, one transformer pass each (Eq. 6.41)."""
        memory = self._memory(condition)
        n, device = condition.shape[0], condition.device
        z_grid = torch.zeros(n, 0, _COMPONENTS, dtype=torch.float64, device=device)
        for i, size in enumerate(self.reco_sizes):
            c = self._conditions(memory, z_grid, i + 1)[:, i]
            y3, _ = self.first.sample(n, condition=c, generator=generator)
            z3 = gaussian_quantile(y3)
            z4 = torch.zeros(n, 1, dtype=torch.float64, device=device)
            if size == _COMPONENTS:
                y4, _ = self.fourth.sample(n, condition=torch.cat([c, z3], dim=1), generator=generator)
                z4 = gaussian_quantile(y4)
            z_grid = torch.cat([z_grid, torch.cat([z3, z4], dim=1)[:, None]], dim=1)
        return torch.cat([z_grid[:, i, :size] for i, size in enumerate(self.reco_sizes)], dim=1)
