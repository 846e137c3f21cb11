"""MADNIS-Lite's trainable channel maps: numhep's diagram-channel maps with a bilinear spline
flow in front of every block (Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486,
Sec. 4.2, Fig. 4, Table 1).

A channel map (:class:`~numhep.phasespace.diagram_channels.ChannelMap`) turns u in [0, 1]^dim
into momenta block by block: time-like invariants (Breit-Wigner or power-law), pseudo-particle
invariants of t-channel chains, 2 -> 2 scatterings, 1 -> 2 decays and the luminosity.  Here the
same composition runs on torch tensors (every block is numhep's kernel with its hand-derived
adjoint, bridged to autograd), and the numbers r a block takes pass first through a
:class:`~numhep.torch.bilinear_flows.BilinearSplineFlow` of the block's kind, conditioned on the
block's physical features computed during the map (Table 1): sqrt(v / s_lab) of s_hat and

* invariants (massless and massive propagators apart) and pseudo-particle invariants: their
  lower and upper bounds;
* 2 -> 2 scatterings: the scattering's (p1 + p2)^2 and the virtualities k1^2, k2^2 (z_t and
  z_phi correlated);
* decays: the decaying invariant (z_theta and z_phi correlated);
* the luminosity: nothing (z_tau and z_x correlated).

The flows are shared between channels and between the blocks of one kind, so that their
parameters do not grow with the process (and a map trained on one process can serve another).
The block numbers are x = G^-1(r; W c_hat); the map's weight gains |dx/dr|, so that for points r
drawn uniformly the weight stays the phase-space measure of the point.  Zero flows (the start)
reproduce numhep's map exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from numhep import autograd
from numhep.ops import call_kernel, call_vjp
from numhep.torch.bilinear_flows import BilinearSplineFlow

__all__ = ["KINDS", "ChannelMapFlow", "TrainableChannelMaps"]

#: the block kinds with (numbers, conditions) of their flows (Table 1)
KINDS = {
    "invariant massless": (1, 3),
    "invariant massive": (1, 3),
    "pseudo": (1, 3),
    "scattering": (2, 4),
    "decay": (2, 2),
    "luminosity": (2, 0),
}


class _TorchTape:
    """A channel map's composition run on torch tensors: the interface of numhep's phase-space
    tape (:class:`numhep.phasespace.tape.Tape`), every kernel through its adjoint, and the block
    numbers through the flows: ``sample`` maps latent numbers r to the block numbers x = G^-1(r)
    and records x (:attr:`numbers_used`) and log |dx/dr|; ``density`` takes block numbers x as
    they are and accumulates log |dr/dx| = log g(x); ``collect`` takes them as they are and
    only keeps (kind, x, conditions) of every block in :attr:`blocks`, for the flows to be
    evaluated later, all blocks of a kind at once."""

    wants_conditions = True

    def __init__(self, flows, direction: str = "sample", record: dict | None = None):
        self.flows = flows
        self.direction = direction
        self.frame = None
        self.log_jacobian = 0.0
        self.numbers_used = {}
        #: kind -> list of (n, conditions) arrays: the conditions each block kind saw
        self.record = record
        #: (kind, numbers, conditions) of every block, in the ``collect`` direction
        self.blocks = []

    def _t(self, a):
        return a if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a, dtype=np.float64))

    def leaf(self, value):
        return self._t(value)

    def numbers(self, u, start, stop, kind, condition):
        r = u[:, start:stop]
        flow = self.flows[kind]
        cond = torch.stack([self._t(c).expand(r.shape[0]) for c in condition], dim=1) if condition else None
        if self.record is not None and cond is not None:
            self.record.setdefault(kind, []).append(cond.detach().cpu().numpy())
        if self.direction == "collect":
            self.blocks.append((kind, r, cond))
            x, log_jac = r, 0.0
        elif self.direction == "sample":
            x, log_jac = flow.inverse(r, cond)
        else:
            x, (_, log_jac) = r, flow(r, cond)
        self.numbers_used[start] = x
        self.log_jacobian = self.log_jacobian + log_jac
        return x[:, 0] if stop == start + 1 else x

    def kernel(self, kernel, inputs, outputs, differentiable):
        positions = [k for k in differentiable if isinstance(inputs[k], torch.Tensor)]
        values = [np.ascontiguousarray(a.detach().numpy()) if isinstance(a, torch.Tensor)
                  else (np.ascontiguousarray(a) if isinstance(a, np.ndarray) else a) for a in inputs]
        if not positions or not torch.is_grad_enabled():
            return [torch.as_tensor(o) for o in call_kernel(kernel, np, values, outputs)]

        def linearize(arrays):
            for k, a in zip(positions, arrays):
                values[k] = np.ascontiguousarray(a)
            outs = call_kernel(kernel, np, values, outputs)

            def pullback(cots):  # the kernel's adjoint gives every differentiable input; keep the tensors'
                grads = call_vjp(kernel, np, values, [np.ascontiguousarray(g) for g in cots], differentiable)
                return [grads[list(differentiable).index(k)] for k in positions]

            return outs, pullback

        return list(autograd.apply(linearize, *(inputs[k] for k in positions)))

    def operation(self, op, *args):
        return op(*(self._t(a) for a in args))

    def add(self, a, b):
        return self._t(a) + self._t(b)

    def sub(self, a, b):
        return self._t(a) - self._t(b)

    def mul(self, a, b):
        return self._t(a) * self._t(b)

    def div(self, a, b):
        return self._t(a) / self._t(b)

    def sqrt(self, a):
        return torch.sqrt(self._t(a))

    def square(self, a):
        return self._t(a) ** 2

    def maximum(self, a, b):
        a, b = torch.broadcast_tensors(self._t(a), self._t(b))
        return torch.where(a >= b, a, b)

    def minimum(self, a, b):
        a, b = torch.broadcast_tensors(self._t(a), self._t(b))
        return torch.where(a <= b, a, b)

    def column(self, a, j):
        return a[:, j]

    def columns(self, a, start, stop):
        return a[:, start:stop]

    def stack(self, parts, axis=1):
        return torch.stack([self._t(p) for p in parts], dim=axis)

    def product(self, parts):
        out = self._t(parts[0])
        for p in parts[1:]:
            out = out * self._t(p)
        return out


class TrainableChannelMaps(torch.nn.Module):
    """MADNIS-Lite's trainable channel maps: a bilinear spline flow in front of every block of numhep's channel maps.

    One :class:`BilinearSplineFlow` per block kind (Heimel, Mattelaer, Plehn & Winterhalder,
    arXiv:2408.01486, Sec. 4.2, Fig. 4, Table 1), shared by every channel map it is applied to
    and by the blocks of one kind, so that the parameters do not grow with the process (and a
    map trained on one process can serve another).  The kinds, with the numbers each flow
    transforms and the conditions it sees (the block's physical features, computed during the
    map, each invariant v entering as sqrt(v / s_lab)), are

    - time-like invariants with massless and with massive propagators and the pseudo-particle
      invariants of t-channel chains: one number, conditioned on s_hat and the invariant's
      lower and upper bounds;
    - 2 -> 2 scatterings: z_t and z_phi correlated, conditioned on s_hat, the scattering's
      (p1 + p2)^2 and the virtualities k1^2, k2^2;
    - 1 -> 2 decays: z_theta and z_phi correlated, conditioned on s_hat and the decaying
      invariant;
    - the luminosity: z_tau and z_x correlated, without conditions.

    A channel map (:class:`~numhep.phasespace.diagram_channels.ChannelMap`) turns numbers in
    [0, 1]^dim into momenta block by block; :meth:`generate` runs the same composition on
    torch tensors (every block is numhep's kernel with its hand-derived adjoint, bridged to
    autograd), the numbers r a block takes first passing through its kind's flow: the block
    numbers are x = G^-1(r; W c_hat) and the map's weight gains the Jacobian of r -> x, so that
    for r drawn uniformly the weight stays the phase-space measure of the point.  Zero flows
    (the start) reproduce numhep's map exactly.

    Parameters
    ----------
    bins : int, optional
        Spline bins of every flow (default 6, as in MADNIS-Lite).
    dtype : torch.dtype, optional
        Floating-point type of the flows' weights (default ``torch.float64``).

    See Also
    --------
    NeuralIntegrator : trains them with ``flows="bilinear"``.

    Examples
    --------
    >>> import torch
    >>> import numhep.torch as nt
    >>> maps = nt.TrainableChannelMaps()
    >>> maps.n_parameters  # 3 x 190 + 798 + 380 + 114, Table 1
    1862
    >>> f = numhep.integrand("e+ e- > mu+ mu-", 91.188, channel="diagrams")
    >>> channel_map, arguments = f.channel_map(1)  # the Z-propagator channel
    >>> x, p, weight = maps.generate(channel_map, torch.rand(4, f.dim, dtype=torch.float64), arguments["s_lab"])
    >>> x is None, p.shape, weight.shape  # no parton momentum fractions at a lepton collider
    (True, torch.Size([4, 4, 4]), torch.Size([4]))
    """

    def __init__(self, bins: int = 6, dtype=torch.float64):
        super().__init__()
        self.flows = torch.nn.ModuleDict({kind.replace(" ", "_"): BilinearSplineFlow(d, c, bins, dtype)
                                          for kind, (d, c) in KINDS.items()})

    @property
    def n_parameters(self) -> int:
        """The number of trainable parameters of all the flows."""
        return sum(p.numel() for p in self.parameters())

    def generate(self, channel_map, r, s_lab: float, beam_masses=(0.0, 0.0), tau_min=None, tau_max=None):
        """Run ``channel_map`` at latent numbers r with the flows in front of its blocks.

        The result is differentiable in r and in the flows' parameters.

        Parameters
        ----------
        channel_map : ChannelMap
            A numhep :class:`~numhep.phasespace.diagram_channels.ChannelMap`.
        r : torch.Tensor or numpy.ndarray
            Latent numbers in [0, 1], shape (n, dim).
        s_lab : float
            The squared collider energy, GeV^2.
        beam_masses : tuple of float, optional
            The masses of the two beam particles, GeV (default massless).
        tau_min, tau_max : float or numpy.ndarray, optional
            Bounds of tau = s_hat / s_lab for the luminosity block, numbers or (n,) arrays;
            needed at hadron colliders.

        Returns
        -------
        x : torch.Tensor or None
            The partons' momentum fractions, shape (n, 2), at a hadron collider; None otherwise.
        momenta : torch.Tensor
            The momenta in the partonic frame, beams first, shape (n, 2 + n_final, 4), GeV.
        weight : torch.Tensor
            The phase-space weight of every point, shape (n,).
        """
        if not isinstance(r, torch.Tensor):
            r = torch.as_tensor(np.asarray(r, dtype=np.float64))
        tape = _TorchTape({kind: self.flows[kind.replace(" ", "_")] for kind in KINDS})
        _, _, x, p, weight = channel_map._run(r, s_lab, beam_masses, tau_min, tau_max, tape=tape)
        return (x if channel_map.hadronic else None), p, weight * torch.exp(tape.log_jacobian)


class ChannelMapFlow(torch.nn.Module):
    """Trainable channel maps as a flow on the unit hypercube of each channel group, the interface
    of :class:`~numhep.torch.flows.HypercubeFlow` that :class:`~numhep.torch.NeuralIntegrator`
    trains (``flows="bilinear"``): for group r (its representative channel's map) a point u of
    the cube is the vector of block numbers; it is drawn by running the map on uniform r with the
    flows in front of the blocks, and its density is the product of the blocks' flow densities
    under the conditions the map computes from u, exp(sum log |dr/dx|)."""

    def __init__(self, maps: TrainableChannelMaps, channel_maps, arguments):
        super().__init__()
        self.maps = maps
        self.channel_maps = list(channel_maps)
        self.arguments = dict(arguments)
        self.dim = self.channel_maps[0].dim
        self.channels = len(self.channel_maps) if len(self.channel_maps) > 1 else None

    def _run(self, cm, v, direction, record=None):
        tape = _TorchTape({kind: self.maps.flows[kind.replace(" ", "_")] for kind in KINDS}, direction, record)
        a = self.arguments
        cm._run(v, a["s_lab"], a["beam_masses"], a.get("tau_min"), a.get("tau_max"), tape=tape)
        return tape

    def _per_channel(self, v, channel, direction):
        n = v.shape[0]
        channel = torch.zeros(n, dtype=torch.long) if channel is None else torch.as_tensor(channel).reshape(-1).expand(n)
        out_u, out_lj = torch.empty_like(v), v.new_empty(n)
        for c in torch.unique(channel).tolist():
            sel = torch.nonzero(channel == c)[:, 0]
            cm = self.channel_maps[c]
            tape = self._run(cm, v[sel], direction)
            used = torch.empty_like(v[sel])
            for start, x in tape.numbers_used.items():
                used[:, start: start + (x.shape[1] if x.ndim == 2 else 1)] = x if x.ndim == 2 else x[:, None]
            out_u = out_u.index_put((sel,), used)
            out_lj = out_lj.index_put((sel,), tape.log_jacobian + v.new_zeros(sel.shape[0]))
        return out_u, out_lj

    def log_prob(self, u, channel=None, condition=None):
        """log g(u) of the trainable maps at cube points u (n, dim) of their channel groups."""
        if isinstance(u, torch.Tensor) and u.requires_grad:
            return self._per_channel(u, channel, "density")[1]
        return self._batched_log_prob(u, channel)

    def _batched_log_prob(self, u, channel):
        """log g(u) for points that carry no gradient.  In the density direction the block numbers
        are u itself, and each block's conditions come from the kinematics of u alone, not from
        the flows; so the maps run once per group without autograd, and each flow then meets all
        the blocks of its kind, in every group, in one call.  A flow's transform acts row by row,
        so the result is the sum of :meth:`_per_channel`'s terms; what changes is the count of
        small tensor operations, which for hundreds of channels cost far more than the
        arithmetic."""
        u = torch.as_tensor(u)
        n = u.shape[0]
        channel = torch.zeros(n, dtype=torch.long) if channel is None else torch.as_tensor(channel).reshape(-1).expand(n)
        blocks = {}
        with torch.no_grad():
            for c in torch.unique(channel).tolist():
                sel = torch.nonzero(channel == c)[:, 0]
                for kind, x, cond in self._run(self.channel_maps[c], u[sel], "collect").blocks:
                    blocks.setdefault(kind, []).append((sel, x if x.ndim == 2 else x[:, None], cond))
        total = u.new_zeros(n)
        for kind, parts in blocks.items():
            rows = torch.cat([sel for sel, _, _ in parts])
            x = torch.cat([x for _, x, _ in parts])
            cond = None if parts[0][2] is None else torch.cat([c for _, _, c in parts])
            total = total.index_add(0, rows, self.maps.flows[kind.replace(" ", "_")](x, cond)[1])
        return total

    def sample(self, n: int, channel=None, condition=None, generator: torch.Generator | None = None):
        """(u, g(u)) for n uniform latent points pushed through the maps' flows."""
        param = next(self.parameters())
        r = torch.rand((n, self.dim), generator=generator, dtype=param.dtype)
        u, log_jac = self.inverse(r, channel)
        return u, torch.exp(-log_jac)

    def inverse(self, z, channel=None, condition=None):
        """(u, log |du/dz|): the latent points z pushed through the maps' flows."""
        return self._per_channel(z, channel, "sample")

    def block_conditions(self, n: int, generator: torch.Generator | None = None) -> dict:
        """kind -> (m, conditions) array of the conditions (Table 1's features over sqrt(s_lab))
        that the blocks of every channel group meet for n points each, drawn from the maps."""
        record = {}
        param = next(self.parameters())
        with torch.no_grad():
            for cm in self.channel_maps:
                self._run(cm, torch.rand((n, self.dim), generator=generator, dtype=param.dtype), "sample", record)
        return {kind: np.concatenate(parts) for kind, parts in record.items()}

    def learned_map(self, kind: str, condition, r):
        """The block numbers x = G^-1(r; c) of ``kind``'s flow at latent r (n, numbers) under the
        condition c (n, conditions), as numpy; the identity before training."""
        flow = self.maps.flows[kind.replace(" ", "_")]
        param = next(flow.parameters())
        with torch.no_grad():
            x, _ = flow.inverse(torch.as_tensor(r, dtype=param.dtype), torch.as_tensor(condition, dtype=param.dtype))
        return x.cpu().numpy()

    def plot_learned_maps(self, path, n: int = 2000, seed: int = 0):
        """MADNIS-Lite Fig. 6 (arXiv:2408.01486): the learned map of the time-like invariant of
        massless propagators, z_s against r, with sqrt(s_hat) at the 2.5, 25, 50, 75 and 97.5 %
        quantiles of what the blocks meet in n points per channel group (the other conditions at
        their medians), and that of the t-invariant of 2 -> 2 scatterings, z_t against r_t (r_phi =
        1/2), with the scattering's sqrt(p^2) varied alike.  Saved as a PNG at ``path``."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError("plots need matplotlib: pip install 'numhep[plots]'") from exc
        seen = self.block_conditions(n, torch.Generator().manual_seed(seed))
        panels = [("invariant massless", 0, r"$\sqrt{\hat s}$", "z_s", "time-like invariant, massless propagator"),
                  ("scattering", 1, r"$\sqrt{p^2}$", "z_t", r"$t$-invariant of $2 \to 2$ scatterings")]
        panels = [panel for panel in panels if panel[0] in seen]
        if not panels:
            raise ValueError("plot_learned_maps: these channels have neither massless s-channel invariants nor 2 -> 2 blocks")
        scale = float(np.sqrt(self.arguments["s_lab"]))
        r = np.linspace(0.0, 1.0, 201)
        fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.4), squeeze=False)
        for ax, (kind, index, name, label, title) in zip(axes[0], panels, strict=True):
            cond = seen[kind]
            median = np.median(cond, axis=0)
            numbers = KINDS[kind][0]
            latent = np.full((r.size, numbers), 0.5)
            latent[:, 0] = r
            for q, colour in zip((2.5, 25, 50, 75, 97.5), plt.cm.viridis(np.linspace(0.0, 0.9, 5)), strict=True):
                c = np.tile(median, (r.size, 1))
                c[:, index] = np.percentile(cond[:, index], q)
                ax.plot(r, self.learned_map(kind, c, latent)[:, 0], color=colour,
                        label=f"{name} = {c[0, index] * scale:.4g} GeV ({q:g} %)")
            ax.plot(r, r, color="grey", ls=":", lw=1, label="untrained (identity)")
            ax.set_xlabel("$r$ (uniform)")
            ax.set_ylabel(f"${label}$")
            ax.set_title(title, fontsize=10)
            ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return Path(path)

    def init_from_vegas(self, grids):
        raise ValueError("vegas_init: MADNIS-Lite's trainable maps start from numhep's channel maps; "
                         "run VEGAS on top of the trained maps instead")
