"""Phase-space channels from Feynman diagrams (Heimel et al., arXiv:2408.01486, Sec. 4.1 and Appendix C).

Every tree diagram is a set of propagators.  Seen from the final state, a propagator is

* **s-channel** (time-like): it decays into a set F of final-state particles;
* **t-channel** (space-like): it separates the final-state particles F on beam 1's side
  from the rest (q = p_a - sum_F k).

A *topology* is the set of (kind, F, mass, width): diagrams that differ only by the
particle on a line with the same mass and width (gamma/Z do not; u/d quarks do) share a
channel.  The channel's map follows the decomposition of Heimel et al., arXiv:2408.01486, Eq. 70:

1. the final state is split into *blobs*: maximal s-channel clusters and lone
   particles, ordered along the t-channel line from beam 1 to beam 2 (one blob, the whole
   final state, when a propagator carries s_hat);
2. blob invariants are drawn with the Breit-Wigner map (Eq. 39) for propagators with a
   width, the power-law map (Eq. 40, nu = 1.4) for those without, each bounded by what
   the other blobs leave;
3. the t-channel line is cut into 2 -> 2 blocks (Eqs. 41-44) peeled off from beam 2's
   side, with flat pseudo-particle invariants (Eq. 45) for the blobs not yet emitted;
   a step whose propagator is missing (a four-point vertex) draws |t| flat;
4. every composite blob decays isotropically (Eq. 46), recursively (1 -> 3 vertices via a
   flat pseudo-particle invariant);
5. for hadron colliders (x1, x2) come from the luminosity map (Eqs. 47-48) or, when a
   propagator carries s_hat, from that propagator's map on s_hat and the split of tau.

A massless propagator whose invariant reaches zero gets its pole moved just below the
kinematic minimum (``POLE_OFFSET`` of the range), as in :mod:`numhep.kernels.t_channel`.
The weight is (2 pi)^(4 - 3n) / prod(g) with the block densities g (for dx1 dx2 dPhi_n
in hadron collisions), the normalisation of RAMBO on diet.

Channels related by a permutation of identical final-state particles, or by exchanging
identical beams (g g, or p p with both orders of each parton pair), are grouped: one map per
group (the *representative*); a member samples with it, exchanges the beams if it must
(:func:`exchange_beams`) and relabels the final state.  The beam exchange halves the groups of
g g > W+ d u~ g and the like, as MadGraph's channel symmetry does (Heimel, PhD thesis,
Heidelberg 2024, Table 5.3).  Channel weights (Heimel, PhD thesis, Heidelberg 2024, Sec. 2.2.4): ``"propagator"``, alpha_i = P_i / sum_j P_j with
P_i = prod 1/|q^2 - m^2 - i m Gamma|^2 (Eq. 2.60), and ``"sde"``, alpha_i =
sum_{d in i} |A_d|^2 / sum_d |A_d|^2 (Eq. 2.56), per subprocess, weighted by each
subprocess's share of the integrand in a process group.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np

from numhep import arrays as ab
from numhep.adjoint import invariant_maps as _inv_adjoint  # noqa: F401  (attaches .vjp)
from numhep.adjoint import luminosity as _lumi_adjoint  # noqa: F401
from numhep.adjoint import t_channel as _t_adjoint  # noqa: F401
from numhep.adjoint import two_body_decay as _decay_adjoint  # noqa: F401
from numhep.kernels import invariant_maps as _inv
from numhep.kernels import luminosity as _lumi
from numhep.kernels import t_channel as _t
from numhep.kernels import two_body_decay as _decay
from numhep.kernels.t_channel import POLE_OFFSET
from numhep.phasespace.cuts import bound_slopes, cluster_minimum
from numhep.phasespace.flat import beams
from numhep.phasespace.tape import Tape, Var

__all__ = ["Channel", "ChannelMap", "Propagator", "diagram_channels", "diagram_topologies", "exchange_beams"]

DEFAULT_NU = 1.4


@dataclass(frozen=True)
class Propagator:
    """One internal line of a diagram as seen from the final state.

    Parameters
    ----------
    final : frozenset of int
        For an s-channel line the final-state particles it decays into; for a t-channel
        line those on beam 1's side (its momentum is q = p_a - sum_F k).  Indices count
        final-state particles from 0.
    spacelike : bool
        True for a t-channel (space-like) line.
    mass : float
        Mass of the particle on the line in GeV.
    width : float
        Its width in GeV (0 for t-channel lines).

    Examples
    --------
    >>> from numhep.phasespace.diagram_channels import Propagator
    >>> z = Propagator(frozenset({0, 1}), False, 91.188, 2.441)
    >>> sorted(z.permuted((1, 2, 0)).final)
    [1, 2]
    """

    final: frozenset
    spacelike: bool
    mass: float
    width: float

    def permuted(self, perm) -> "Propagator":
        """The same line with its final-state particles relabelled.

        Parameters
        ----------
        perm : sequence of int
            ``perm[j]``: the new index of final-state particle j.

        Returns
        -------
        Propagator
            The relabelled line.
        """
        return Propagator(frozenset(perm[j] for j in self.final), self.spacelike, self.mass, self.width)

    def beams_exchanged(self, n_final: int) -> "Propagator":
        """The same line seen with the beams exchanged: a t-channel line with F on beam 1's
        side has q = p_b - sum_F k = -(p_a - sum over the other final-state particles), so the
        other n_final - |F| particles are on the new beam 1's side; s-channel lines stay.

        Parameters
        ----------
        n_final : int
            The number of final-state particles.

        Returns
        -------
        Propagator
            The line after the exchange.
        """
        if not self.spacelike:
            return self
        return Propagator(frozenset(range(n_final)) - self.final, True, self.mass, self.width)


def _crossed_final(mask: int, n_legs: int, swapped: bool) -> tuple[frozenset, bool]:
    """(F, spacelike) of a current over legs ``mask`` (all-outgoing numbering, legs 0 and 1
    incoming) in final-state indices; F is on beam 1's side for t-channel lines."""
    legs = {k for k in range(n_legs) if mask >> k & 1}
    finals = set(range(2, n_legs))
    a, b = (1, 0) if swapped else (0, 1)
    if a not in legs and b not in legs:
        side = legs
    elif a in legs and b in legs:
        side = finals - legs
    elif a in legs:
        side = legs - {a}
    else:
        side = finals - legs
    return frozenset(j - 2 for j in side), (a in legs) != (b in legs)


def diagram_topologies(process, swapped: bool = False, params=None) -> list[frozenset]:
    """The propagators of every diagram of a compiled process.

    Parameters
    ----------
    process : numhep.amplitudes.CompiledProcess
        The compiled process.
    swapped : bool, optional
        The process is evaluated with its beams exchanged (a mirrored subprocess of a
        group), so beam 1 is its second incoming leg (default False).
    params : dict, optional
        Model parameter overrides, for the propagators' masses and widths.

    Returns
    -------
    list of frozenset of Propagator
        Per diagram, in program order, its set of :class:`Propagator`.
    """
    ds = process.diagram_set()
    model = process.model
    values = model.parameters(params)
    n = len(ds.legs)

    def line(current):
        part = model.particle(current.particle)
        mass = values[part.mass] if part.mass else 0.0
        width = values[part.width] if part.width else 0.0
        final, spacelike = _crossed_final(current.mask, n, swapped)
        return Propagator(final, spacelike, float(mass), float(width) if not spacelike else 0.0)

    out = []
    for d in ds.diagrams:
        props = set()
        stack = list(d.children)
        while stack:
            c = ds.currents[stack.pop()]
            if c.vertex >= 0:
                props.add(line(c))
                stack.extend(c.children)
        out.append(frozenset(props))
    return out


# ---- the map of one topology ----------------------------------------------------------


@dataclass
class _Node:
    final: frozenset
    prop: Propagator | None  # None: an external particle or a pseudo-particle
    children: list


class ChannelMap:
    """The phase-space map of one diagram topology: u in [0, 1]^dim to momenta and weight.

    The decomposition of Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Eq. 70
    (Sec. 4.1 and App. C): the final state is split into blobs along the t-channel line;
    blob invariants come from the Breit-Wigner map (Eq. 39) for propagators with a width and
    the power-law map (Eq. 40) for those without; the t-channel line is cut into 2 -> 2
    blocks (Eqs. 41-44); composite blobs decay isotropically (Eq. 46); at hadron colliders
    (x1, x2) come from the luminosity map (Eqs. 47-48).  The weight is
    (2 pi)^(4 - 3n) / prod(g) with the block densities g, the normalisation of RAMBO on diet.

    The final-state masses enter the map through the pair bounds and the legs' own
    invariants s_j = m_j^2 (and, at hadron colliders, tau_min); the propagators' masses and
    widths only shape the sampling.  :meth:`generate_with_pullback` with ``track_masses``
    also gives the derivative in the final-state masses at fixed u, the bounds' slopes from
    :func:`numhep.phasespace.cuts.bound_slopes`.

    Parameters
    ----------
    topology : frozenset of Propagator
        The channel's propagators (:attr:`Channel.topology`).
    masses : sequence of float, length ``k``
        Final-state masses in GeV.
    hadronic : bool
        Hadron collider: the first two numbers of u go to (x1, x2).
    nu : float, optional
        Power of the power-law maps (default 1.4).
    pair_minima : array_like of shape ``(k, k)`` or callable, optional
        Lower bounds on the pair invariants s_ij in GeV^2 (from the cuts,
        :meth:`numhep.phasespace.cuts.Cuts.pair_minima`; default (m_i + m_j)^2), or a
        function of the final-state masses giving them: every invariant of a cluster starts
        at the bound they imply (:func:`numhep.phasespace.cuts.cluster_minimum`).

    Attributes
    ----------
    dim : int
        Number of random numbers per event: 3k - 4, plus 2 when hadronic.
    n_final : int
        Number k of final-state particles.
    masses : numpy.ndarray
        The final-state masses.
    pair_minima : numpy.ndarray, shape ``(k, k)``
        The pair bounds at these masses.

    Raises
    ------
    ValueError
        If ``pair_minima`` does not have the shape (k, k).

    Examples
    --------
    >>> from numhep.phasespace import ChannelMap, diagram_channels
    >>> channels = diagram_channels(numhep.process_group("e+ e- > mu+ mu-"))
    >>> [c.describe() for c in channels]
    ['s12(0)', 's12(91.188)']
    >>> cmap = ChannelMap(channels[1].topology, [0.0, 0.0], hadronic=False)
    >>> u = np.random.default_rng(1).random((3, cmap.dim))
    >>> x, p, w = cmap.generate(u, 100.0**2)
    >>> x is None, p.shape, np.allclose(w, 1 / (8 * np.pi))
    (True, (3, 4, 4), True)
    >>> u_back, w_back = cmap.inverse(p)
    >>> np.allclose(u_back, u)
    True
    """

    def __init__(self, topology: frozenset, masses, hadronic: bool, nu: float = DEFAULT_NU, pair_minima=None):
        self.topology = topology
        self.masses = np.asarray(masses, dtype=np.float64)
        m = self.masses
        self._pair_minima_source = pair_minima if pair_minima is None or callable(pair_minima) else             np.asarray(pair_minima, dtype=np.float64)
        self.pair_minima = self._pair_minima_of(m)
        if self.pair_minima.shape != (len(m), len(m)):
            raise ValueError(f"pair_minima: expected shape {(len(m), len(m))}, got {self.pair_minima.shape}")
        self._cluster_min = {}
        self._cluster_slopes = {}
        self.hadronic = bool(hadronic)
        self.nu = float(nu)
        nf = len(self.masses)
        self.n_final = nf
        self.dim = 3 * nf - 4 + (2 if hadronic else 0)
        everything = frozenset(range(nf))
        s_props = {p.final: p for p in topology if not p.spacelike}
        t_props = {p.final: p for p in topology if p.spacelike}
        self.root = None
        if everything in s_props:
            self.root = self._node(everything, s_props)
            self.blobs = [self.root]
            self.t_lines = []
        else:
            blobs = self._children(everything, s_props)
            chain = sorted(t_props, key=len)

            def position(blob):
                return next((k for k, f in enumerate(chain) if blob.final <= f), len(chain))

            blobs.sort(key=lambda b: (position(b), min(b.final)))
            self.blobs = blobs
            self.t_lines = []
            acc = frozenset()
            for b in blobs[:-1]:
                acc = acc | b.final
                self.t_lines.append(t_props.get(acc))

    # -- structure --
    def _node(self, final, s_props):
        if len(final) == 1:
            return _Node(final, None, [])
        return _Node(final, s_props.get(final), self._children(final, s_props))

    def _children(self, final, s_props):
        inner = [f for f in s_props if f < final]
        maximal = [f for f in inner if not any(f < g for g in inner)]
        covered = frozenset().union(*maximal) if maximal else frozenset()
        parts = maximal + [frozenset([j]) for j in sorted(final - covered)]
        return [self._node(f, s_props) for f in sorted(parts, key=min)]

    def min_mass(self, final: frozenset) -> float:
        """The smallest invariant mass of a set of final-state particles that passes the cuts.

        Parameters
        ----------
        final : frozenset of int
            Final-state particle indices.

        Returns
        -------
        float
            The mass in GeV (cached per set).
        """
        if final not in self._cluster_min:
            self._cluster_min[final] = math.sqrt(cluster_minimum(self.pair_minima, self.masses, final))
        return self._cluster_min[final]

    def _pair_minima_of(self, masses):
        """The pair bounds at final-state masses ``masses``: (m_i + m_j)^2 without cuts, the
        function given, or the fixed array given (which then does not move with them)."""
        source = self._pair_minima_source
        if source is None:
            m = np.asarray(masses, dtype=np.float64)
            return (m[:, None] + m[None, :]) ** 2
        return np.asarray(source(masses) if callable(source) else source, dtype=np.float64)

    def _min_mass_on(self, tape, final: frozenset, n: int):
        """:meth:`min_mass` per event, on a tape that tracks the final-state masses
        (``tape.masses``, (n, k)) a value with its derivative in them."""
        value = np.full(n, self.min_mass(final))
        masses = getattr(tape, "masses", None)
        if masses is None:
            return value
        if final not in self._cluster_slopes:
            slopes = bound_slopes(lambda m: cluster_minimum(self._pair_minima_of(m), m, final), self.masses)
            # min_mass = sqrt(cluster minimum)
            root = self.min_mass(final)
            self._cluster_slopes[final] = slopes / (2.0 * root) if root > 0 else slopes * 0.0
        return tape.depending(value, masses, self._cluster_slopes[final])

    # -- sampling: every step on a tape, so that the map has its reverse sweep ---------------
    def _invariant(self, tape, prop, z, lo, hi):
        """(s, g) of a time-like invariant in [lo, hi] for propagator ``prop`` (None: flat)."""
        n = _events(z)
        per_event = (((n,), np.float64),) * 2
        hi = tape.maximum(hi, lo)
        if prop is not None and prop.width > 0.0:
            s, g = tape.kernel(_inv.breit_wigner_map, [z, prop.mass, prop.width, lo, hi], per_event, (0, 3, 4))
            return s, g
        nu = 0.0 if prop is None else self.nu
        pole = self._pole(tape, n, prop, lo, hi)
        s, g = tape.kernel(_inv.power_law_map, [z, 0.0, nu, tape.sub(lo, pole), tape.sub(hi, pole)], per_event,
                           (0, 3, 4))
        return tape.add(s, pole), g

    @staticmethod
    def _pole(tape, n, prop, lo, hi):
        """Where a power-law map puts its pole: the propagator's m^2 (0 without one), moved
        ``POLE_OFFSET`` of the range below ``lo`` when it would lie inside [lo, hi]."""
        m2 = 0.0 if prop is None else prop.mass**2
        return tape.minimum(np.full(n, m2), tape.sub(lo, tape.mul(POLE_OFFSET, tape.sub(hi, lo))))

    def _siblings(self, tape, nodes, sqrt_parent, invariant_in):
        """Invariants of sibling nodes inside a parent of mass sqrt_parent, with sequential
        bounds: node i lies in [m_i^2, (sqrt_parent - sum of the earlier roots - the later
        minima)^2].  ``invariant_in(node, lo, hi)`` gives a node's invariant within its bounds
        (drawn from the numbers going forward, read from the momenta going back)."""
        n = _events(sqrt_parent)
        out = []
        minima = [self._min_mass_on(tape, nd.final, n) for nd in nodes]
        rest = functools.reduce(tape.add, minima[1:], minima[0])
        used = np.zeros(n)
        for nd, mn in zip(nodes, minima):
            rest = tape.sub(rest, mn)
            if not nd.children:  # a final-state particle: its minimum is its mass
                s = tape.square(mn)
            else:
                hi = tape.square(tape.maximum(tape.sub(tape.sub(sqrt_parent, used), rest), mn))
                s = invariant_in(nd, tape.square(mn), hi)
            out.append(s)
            used = tape.add(used, tape.sqrt(s))
        return out

    def _drawn_invariants(self, tape, u, cursor, gs):
        """``invariant_in`` of :meth:`_siblings` going forward: each node's invariant from its number."""

        def invariant_in(nd, lo, hi):
            kind = "invariant massive" if nd.prop is not None and nd.prop.mass > 0 else "invariant massless"
            z = self._numbers(tape, u, cursor[0], 1, kind, lo, hi)
            s, g = self._invariant(tape, nd.prop, z, lo, hi)
            cursor[0] += 1
            gs.append(g)
            return s

        return invariant_in

    def _pseudo_bounds(self, tape, s_blob, s_outer, j):
        """[lo, hi] of the pseudo-particle of blobs 0..j-1 inside the one of blobs 0..j (s_outer)."""
        masses = np.zeros(_events(s_outer))
        for i in range(j):
            masses = tape.add(masses, tape.sqrt(s_blob[i]))
        inner = frozenset().union(*[self.blobs[i].final for i in range(j)])
        lo = tape.square(tape.maximum(masses, self._min_mass_on(tape, inner, _events(s_outer))))
        hi = tape.square(tape.maximum(tape.sub(tape.sqrt(s_outer), tape.sqrt(s_blob[j])), tape.sqrt(lo)))
        return lo, hi

    def _decay(self, tape, node, p, s_node, u, cursor, gs, final):
        kids = node.children
        if not kids:
            final[next(iter(node.final))] = p
            return
        if len(kids) > 2:  # 1 -> k vertex: a flat pseudo-particle for the first k - 1
            kids = [_Node(frozenset().union(*[c.final for c in kids[:-1]]), None, kids[:-1]), kids[-1]]
        s1, s2 = self._siblings(tape, kids, tape.sqrt(s_node), self._drawn_invariants(tape, u, cursor, gs))
        n = _events(u)
        z = self._numbers(tape, u, cursor[0], 2, "decay", s_node)
        k1, k2, g = tape.kernel(_decay.two_body_decay, [p, s1, s2, z],
                                (((n, 4), np.float64), ((n, 4), np.float64), ((n,), np.float64)), (0, 1, 2, 3))
        cursor[0] += 2
        gs.append(g)
        self._decay(tape, kids[0], k1, s1, u, cursor, gs, final)
        self._decay(tape, kids[1], k2, s2, u, cursor, gs, final)

    def _numbers(self, tape, u, start, width, kind, *invariants):
        """The ``width`` random numbers of a block of ``kind`` at ``start``, through
        ``tape.numbers``: a tape that transforms them (MADNIS-Lite's trainable maps,
        :mod:`numhep.torch.trainable_channel_maps`) gets the block's physical features
        sqrt(v / s_lab) for v = s_hat and the given ``invariants`` as its condition."""
        condition = None
        if tape.wants_conditions:
            shat, s_lab = tape.frame
            condition = [tape.sqrt(tape.mul(v, 1.0 / s_lab)) for v in (shat, *invariants)]
        return tape.numbers(u, start, start + width, kind, condition)

    def _run(self, u, s_lab: float, beam_masses, tau_min, tau_max, tape=None, tau_min_slopes=None):
        """The map on a tape (a fresh :class:`~numhep.phasespace.tape.Tape` unless given):
        (tape, u, x or None, momenta, weight), the last four as tape values.  A tape whose
        ``masses`` holds the final-state masses (n, k) gets the map's dependence on them,
        tau_min's through ``tau_min_slopes`` (d tau_min/d m, (k,))."""
        tape = Tape() if tape is None else tape
        u = tape.leaf(u)
        n = _events(u)
        gs = []
        cursor = [0]
        x = None
        if self.hadronic:
            lo = np.broadcast_to(np.asarray(tau_min, dtype=np.float64), (n,)).copy()
            if getattr(tape, "masses", None) is not None and tau_min_slopes is not None:
                lo = tape.depending(lo, tape.masses, np.asarray(tau_min_slopes, dtype=np.float64))
            hi = np.broadcast_to(np.asarray(tau_max, dtype=np.float64), (n,)).copy()
            shapes = (((n, 2), np.float64), ((n,), np.float64))
            z = tape.numbers(u, 0, 2, "luminosity", [] if tape.wants_conditions else None)
            if self.root is not None and self.root.prop is not None:
                shat, g_s = self._invariant(tape, self.root.prop, tape.column(z, 0), tape.mul(lo, s_lab),
                                            hi * s_lab)
                x, g = tape.kernel(_lumi.momentum_fractions, [tape.mul(shat, 1.0 / s_lab), tape.column(z, 1)],
                                   shapes, (0, 1))
                g = tape.mul(tape.mul(g, g_s), s_lab)
            else:
                x, g = tape.kernel(_lumi.luminosity_map, [z, lo, hi], shapes, (0, 1, 2))
            gs.append(g)
            cursor[0] = 2
            shat = tape.mul(tape.mul(tape.column(x, 0), tape.column(x, 1)), s_lab)
        else:
            shat = np.full(n, float(s_lab))
        tape.frame = (shat, s_lab)
        rs = tape.sqrt(shat)
        pa, pb = tape.operation(beams, rs, *beam_masses)
        final = {}
        if len(self.blobs) == 1:
            self._decay(tape, self.root, tape.add(pa, pb), shat, u, cursor, gs, final)
        else:
            self._t_chain(tape, pa, pb, rs, u, cursor, gs, final)
        if cursor[0] != self.dim:
            raise RuntimeError(f"channel map used {cursor[0]} of {self.dim} random numbers")
        p = tape.stack([pa, pb, *(final[j] for j in range(self.n_final))], axis=1)
        weight = tape.div((2.0 * math.pi) ** (4 - 3 * self.n_final), tape.product(gs))
        return tape, u, x, p, weight

    def generate(self, u, s_lab: float, beam_masses=(0.0, 0.0), tau_min=None, tau_max=None):
        """Momenta and weights from points of the unit hypercube.

        A torch tensor u gives tensors that autograd differentiates through the map's reverse
        sweep (one operation for the whole channel, its adjoint the chain of the blocks'
        adjoints).

        Parameters
        ----------
        u : array of float64 or torch.Tensor, shape ``(n, dim)``
            Points of [0, 1]^dim.
        s_lab : float
            Squared collision energy in GeV^2 (the partonic s_hat unless hadronic).
        beam_masses : tuple of float, optional
            Incoming masses in GeV (default massless); the beams are along +-z.
        tau_min, tau_max : float or array of float64, shape ``(n,)``, optional
            Bounds of tau = s_hat / s_lab, needed at hadron colliders.

        Returns
        -------
        x : array of float64, shape ``(n, 2)``, or None
            Momentum fractions (x1, x2); None unless hadronic.
        momenta : array of float64, shape ``(n, 2 + n_final, 4)``
            Every leg's momentum in GeV in the partonic centre-of-mass frame, incoming first.
        weight : array of float64, shape ``(n,)``
            The weight of dPhi_n (times dx1 dx2 when hadronic), in GeV^(2 n_final - 4).
        """
        if ab.kind(u) == "torch":
            return self._generate_tensors(u, s_lab, beam_masses, tau_min, tau_max)
        _, _, x, p, weight = self._run(u, s_lab, beam_masses, tau_min, tau_max)
        return (None if x is None else x.value), p.value, weight.value

    def _generate_tensors(self, u, s_lab, beam_masses, tau_min, tau_max):
        from numhep import autograd  # torch is an optional dependency: loaded with the first tensor

        def linearize(arrays):
            x, p, w, pullback = self.generate_with_pullback(np.asarray(arrays[0], dtype=np.float64), s_lab,
                                                            beam_masses, tau_min, tau_max)
            outputs = (np.zeros((p.shape[0], 2)) if x is None else x, p, w)
            return outputs, lambda cot: (pullback(cot[0] if x is not None else None, cot[1], cot[2]),)

        x, p, w = autograd.apply(linearize, u)
        return (x if self.hadronic else None), p, w

    def generate_with_pullback(self, u, s_lab: float, beam_masses=(0.0, 0.0), tau_min=None, tau_max=None,
                               track_masses: bool = False, tau_min_slopes=None):
        """:meth:`generate` together with its pullback.

        The pullback is the reverse sweep through every block's adjoint
        (:mod:`numhep.phasespace.tape`).

        Parameters
        ----------
        u, s_lab, beam_masses, tau_min, tau_max
            As for :meth:`generate` (u a numpy array).
        track_masses : bool, optional
            Also differentiate in the final-state masses at fixed u (default False).
        tau_min_slopes : array_like, shape ``(k,)``, optional
            d tau_min / d m_j, how tau_min moves with the masses when ``track_masses``.

        Returns
        -------
        x, momenta, weight
            As :meth:`generate`.
        pullback : callable
            ``pullback(g_x, g_p, g_w)``: d/du (n, dim) of <g_x, x> + <g_p, p> + <g_w, weight>;
            with ``track_masses`` the pair (d/du, d/d(final-state masses) (n, k)).
        """
        tape = Tape()
        u = np.ascontiguousarray(u, dtype=np.float64)
        if track_masses:
            tape.masses = tape.leaf(np.broadcast_to(self.masses, (u.shape[0], self.n_final)))
        tape, u_var, x, p, weight = self._run(u, s_lab, beam_masses, tau_min, tau_max, tape, tau_min_slopes)

        def pullback(g_x, g_p, g_w):
            tape.backward([(x, g_x), (p, g_p), (weight, g_w)])
            g_u = u_var.grad if u_var.grad is not None else np.zeros_like(u_var.value)
            if not track_masses:
                return g_u
            m = tape.masses
            return g_u, (m.grad if m.grad is not None else np.zeros_like(m.value))

        return (None if x is None else x.value), p.value, weight.value, pullback

    # -- the inverse: momenta -> u, block by block in the order the map used the numbers ------
    def inverse(self, p, x=None, s_lab: float | None = None, tau_min=None, tau_max=None):
        """The inverse of :meth:`generate`: the numbers u and the weight of given momenta.

        Every block is inverted by its inverse kernel (invariants from the momenta, angles
        from the decay and scattering products).  Momenta outside the map's region (below a
        cut's bound) give u outside [0, 1].  Torch tensors p (and x) give tensors that
        autograd differentiates through the inverse kernels' adjoints (one operation for the
        whole map).

        Parameters
        ----------
        p : array of float64 or torch.Tensor, shape ``(n, 2 + n_final, 4)``
            Partonic-frame momenta in GeV in this map's particle order (incoming along +-z,
            as :meth:`generate` makes them).
        x : array of float64, shape ``(n, 2)``, optional
            Momentum fractions, for hadron colliders.
        s_lab : float, optional
            Squared collision energy in GeV^2, for hadron colliders.
        tau_min, tau_max : float or array of float64, shape ``(n,)``, optional
            Bounds of tau, for hadron colliders.

        Returns
        -------
        u : array of float64, shape ``(n, dim)``
            The numbers that :meth:`generate` turns into these momenta.
        weight : array of float64, shape ``(n,)``
            Its weight there.

        Raises
        ------
        ValueError
            If ``p`` does not have the shape (n, 2 + n_final, 4).
        """
        if ab.kind(p, x) == "torch":
            return self._inverse_tensors(p, x, s_lab, tau_min, tau_max)
        _, _, _, u, weight = self._inverse_run(p, x, s_lab, tau_min, tau_max)
        return u.value, weight.value

    def inverse_with_pullback(self, p, x=None, s_lab: float | None = None, tau_min=None, tau_max=None):
        """:meth:`inverse` together with its pullback through the inverse kernels' adjoints.

        Parameters
        ----------
        p, x, s_lab, tau_min, tau_max
            As for :meth:`inverse` (numpy arrays).

        Returns
        -------
        u, weight
            As :meth:`inverse`.
        pullback : callable
            ``pullback(g_u, g_w)``: (d/dp, d/dx or None) of <g_u, u> + <g_w, weight>.
        """
        tape, p_var, x_var, u, weight = self._inverse_run(p, x, s_lab, tau_min, tau_max)

        def pullback(g_u, g_w):
            tape.backward([(u, g_u), (weight, g_w)])
            g_p = p_var.grad if p_var.grad is not None else np.zeros_like(p_var.value)
            if x_var is None:
                return g_p, None
            return g_p, x_var.grad if x_var.grad is not None else np.zeros_like(x_var.value)

        return u.value, weight.value, pullback

    def _inverse_tensors(self, p, x, s_lab, tau_min, tau_max):
        from numhep import autograd  # torch is an optional dependency: loaded with the first tensor

        tensors = (p,) if x is None else (p, x)

        def linearize(arrays):
            xs = np.asarray(arrays[1], dtype=np.float64) if len(arrays) > 1 else None
            u, w, pullback = self.inverse_with_pullback(np.asarray(arrays[0], dtype=np.float64), xs, s_lab,
                                                        tau_min, tau_max)
            return (u, w), lambda cot: tuple(g for g in pullback(cot[0], cot[1]) if g is not None)

        return autograd.apply(linearize, *tensors)

    def _inverse_run(self, p, x, s_lab, tau_min, tau_max):
        """The inverse on a :class:`~numhep.phasespace.tape.Tape`: (tape, p, x or None, u, weight)."""
        p = np.ascontiguousarray(p, dtype=np.float64)
        if p.ndim != 3 or p.shape[1:] != (2 + self.n_final, 4):
            raise ValueError(f"p: expected shape (n, {2 + self.n_final}, 4), got {p.shape}")
        n = p.shape[0]
        tape = Tape()
        p_var, x_var = tape.leaf(p), None
        parts, gs = [], []

        def momentum(final):
            return tape.legs_sum(p_var, [2 + k for k in final])

        def invariant(final):
            return tape.minkowski_square(momentum(final))

        if self.hadronic:
            if x is None or s_lab is None or tau_min is None or tau_max is None:
                raise ValueError("inverse: a hadron-collider map needs x, s_lab, tau_min and tau_max")
            x_var = tape.leaf(x)
            lo = np.broadcast_to(np.asarray(tau_min, dtype=np.float64), (n,)).copy()
            hi = np.broadcast_to(np.asarray(tau_max, dtype=np.float64), (n,)).copy()
            x1, x2 = tape.column(x_var, 0), tape.column(x_var, 1)
            tau = tape.mul(x1, x2)
            shat = tape.mul(tau, float(s_lab))
            if self.root is not None and self.root.prop is not None:
                z_s, g_s = self._invariant_inverse(tape, self.root.prop, shat, lo * s_lab, hi * s_lab)
                log_tau = tape.log(tau)
                parts += [z_s, tape.div(tape.log(x1), log_tau)]
                # dx1 dx2 = -ln(tau) dtau dz_x: the weight's share of the luminosity
                gs.append(tape.mul(tape.div(g_s, log_tau), -float(s_lab)))
            else:
                z, g = tape.kernel(_lumi.luminosity_map_inverse, [x_var, lo, hi],
                                   (((n, 2), np.float64), ((n,), np.float64)), (0, 1, 2))
                parts.append(z)
                gs.append(g)
        else:
            shat = np.full(n, float(s_lab if s_lab is not None else (p[0, 0, 0] + p[0, 1, 0]) ** 2))
        if len(self.blobs) == 1:
            self._decay_inverse(tape, self.root, shat, momentum, invariant, parts, gs)
        else:
            pa, pb = tape.legs_sum(p_var, [0]), tape.legs_sum(p_var, [1])
            self._t_chain_inverse(tape, pa, pb, shat, momentum, invariant, parts, gs)
        u = tape.concat(parts)
        weight = tape.div((2.0 * math.pi) ** (4 - 3 * self.n_final), tape.product(gs))
        return tape, p_var, x_var, u, weight

    def _invariant_inverse(self, tape, prop, s, lo, hi):
        """(z, g) of :meth:`_invariant` at the invariant s."""
        n = _events(s)
        shapes = (((n,), np.float64),) * 2
        hi = tape.maximum(hi, lo)
        if prop is not None and prop.width > 0.0:
            return tape.kernel(_inv.breit_wigner_map_inverse, [s, prop.mass, prop.width, lo, hi], shapes, (0, 3, 4))
        nu = 0.0 if prop is None else self.nu
        pole = self._pole(tape, n, prop, lo, hi)
        return tape.kernel(_inv.power_law_map_inverse,
                           [tape.sub(s, pole), 0.0, nu, tape.sub(lo, pole), tape.sub(hi, pole)], shapes, (0, 3, 4))

    def _read_invariants(self, tape, invariant, parts, gs):
        """``invariant_in`` of :meth:`_siblings` going back: each node's invariant from the
        momenta, and the number that gives it."""

        def invariant_in(nd, lo, hi):
            s = invariant(nd.final)
            z, g = self._invariant_inverse(tape, nd.prop, s, lo, hi)
            parts.append(z)
            gs.append(g)
            return s

        return invariant_in

    def _decay_inverse(self, tape, node, s_node, momentum, invariant, parts, gs):
        kids = node.children
        if not kids:
            return
        if len(kids) > 2:
            kids = [_Node(frozenset().union(*[c.final for c in kids[:-1]]), None, kids[:-1]), kids[-1]]
        s1, s2 = self._siblings(tape, kids, tape.sqrt(s_node), self._read_invariants(tape, invariant, parts, gs))
        n = _events(s_node)
        z, g = tape.kernel(_decay.two_body_decay_inverse, [momentum(kids[0].final), momentum(kids[1].final)],
                           (((n, 2), np.float64), ((n,), np.float64)), (0, 1))
        parts.append(z)
        gs.append(g)
        self._decay_inverse(tape, kids[0], s1, momentum, invariant, parts, gs)
        self._decay_inverse(tape, kids[1], s2, momentum, invariant, parts, gs)

    def _t_chain_inverse(self, tape, pa, pb, shat, momentum, invariant, parts, gs):
        blobs = self.blobs
        k = len(blobs)
        n = _events(pa)
        s_blob = self._siblings(tape, blobs, tape.sqrt(shat), self._read_invariants(tape, invariant, parts, gs))
        s_pseudo = {k: shat}
        for j in range(k - 1, 1, -1):
            lo, hi = self._pseudo_bounds(tape, s_blob, s_pseudo[j + 1], j)
            s_pseudo[j] = invariant(frozenset().union(*[blobs[i].final for i in range(j)]))
            z, g = self._invariant_inverse(tape, None, s_pseudo[j], lo, hi)
            parts.append(z)
            gs.append(g)
        q = pb
        shapes = (((n, 2), np.float64), ((n,), np.float64))
        for j in range(k - 1, 0, -1):
            line = self.t_lines[j - 1]
            m2 = line.mass**2 if line is not None else 0.0
            nu = self.nu if line is not None else 0.0
            k1 = momentum(frozenset().union(*[blobs[i].final for i in range(j)]))
            z, g = tape.kernel(_t.t_channel_scattering_inverse, [pa, q, k1, m2, nu], shapes, (0, 1, 2))
            parts.append(z)
            gs.append(g)
            q = tape.sub(k1, pa)
        for b, s in zip(blobs, s_blob):
            self._decay_inverse(tape, b, s, momentum, invariant, parts, gs)

    def _t_chain(self, tape, pa, pb, rs, u, cursor, gs, final):
        blobs = self.blobs
        k = len(blobs)
        n = _events(u)
        s_blob = self._siblings(tape, blobs, rs, self._drawn_invariants(tape, u, cursor, gs))
        # pseudo-particles P_j = blobs 1..j for j = k-1 .. 2, each inside P_{j+1}
        s_pseudo = {k: tape.square(rs)}
        for j in range(k - 1, 1, -1):
            lo, hi = self._pseudo_bounds(tape, s_blob, s_pseudo[j + 1], j)
            z = self._numbers(tape, u, cursor[0], 1, "pseudo", lo, hi)
            s, g = self._invariant(tape, None, z, lo, hi)
            cursor[0] += 1
            gs.append(g)
            s_pseudo[j] = s
        s_pseudo[1] = s_blob[0]
        q = pb
        momenta = [None] * k
        shapes = (((n, 4), np.float64), ((n, 4), np.float64), ((n,), np.float64))
        for j in range(k - 1, 0, -1):
            line = self.t_lines[j - 1]
            m2 = line.mass**2 if line is not None else 0.0
            nu = self.nu if line is not None else 0.0
            z = self._numbers(tape, u, cursor[0], 2, "scattering", s_pseudo[j + 1], s_pseudo[j], s_blob[j])
            k1, k2, g = tape.kernel(_t.t_channel_scattering, [pa, q, s_pseudo[j], s_blob[j], z, m2, nu], shapes,
                                    (0, 1, 2, 3, 4))
            cursor[0] += 2
            gs.append(g)
            momenta[j] = k2
            q = tape.sub(k1, pa)
            if j == 1:
                momenta[0] = k1
        for b, p, s in zip(blobs, momenta, s_blob):
            self._decay(tape, b, p, s, u, cursor, gs, final)


def _events(a) -> int:
    return (a.value if isinstance(a, Var) else a).shape[0]


# ---- channels of a process and their weights -------------------------------------------


@dataclass
class Channel:
    """One phase-space channel of a process group: a diagram topology and its diagrams.

    Channels related by a permutation of identical final-state particles, or by exchanging
    identical beams, share one map (:class:`ChannelMap` of the representative's topology); a
    member samples with it, exchanges the beams if it must (:func:`exchange_beams`) and
    relabels the final state.

    Parameters
    ----------
    topology : frozenset of Propagator
        The propagators that define the channel.
    representative : int
        Index of the channel whose map this one uses (its own index for a representative).
    permutation : tuple of int
        ``permutation[j]``: where the representative map's final-state particle j goes.
    diagrams : dict of int to list of int
        Subprocess index -> indices of its diagrams with this topology.
    beams_exchanged : bool, optional
        The member's points are the representative's with the beams exchanged, then
        relabelled (default False).

    Examples
    --------
    >>> from numhep.phasespace import diagram_channels
    >>> channel = diagram_channels(numhep.process_group("e+ e- > mu+ mu-"))[1]
    >>> channel.describe(), channel.representative, channel.diagrams
    ('s12(91.188)', 1, {0: [1]})
    """

    topology: frozenset
    representative: int
    permutation: tuple
    diagrams: dict  # subprocess index -> diagram indices with this topology
    beams_exchanged: bool = False

    def describe(self) -> str:
        """A short text naming the channel's propagators.

        Returns
        -------
        str
            ``s`` or ``t``, the final-state particles (counted from 1) and the mass per
            propagator, e.g. ``"s12(91.188)"``; ``"contact"`` for none.
        """
        parts = []
        for p in sorted(self.topology, key=lambda p: (p.spacelike, sorted(p.final))):
            kind = "t" if p.spacelike else "s"
            parts.append(f"{kind}{''.join(str(j + 1) for j in sorted(p.final))}({p.mass:g})")
        return " ".join(parts) or "contact"


def _identical_permutations(pdgs):
    """All permutations of final-state indices that exchange identical particles only."""
    groups = {}
    for j, q in enumerate(pdgs):
        groups.setdefault(q, []).append(j)
    blocks = [g for g in groups.values() if len(g) > 1]
    for choice in itertools.product(*[itertools.permutations(g) for g in blocks]):
        perm = list(range(len(pdgs)))
        for g, img in zip(blocks, choice):
            for a, b in zip(g, img):
                perm[a] = b
        yield tuple(perm)


def diagram_channels(group, params=None) -> list[Channel]:
    """The phase-space channels of a process group, one per diagram topology.

    Heimel, Mattelaer, Plehn & Winterhalder, arXiv:2408.01486, Sec. 4.1: a topology is the
    set of propagators (kind, final-state particles, mass, width) of a diagram; diagrams
    that differ only by a particle with the same mass and width share a channel, over all
    subprocesses.  Channels related by a permutation of identical final-state particles, or
    by exchanging the beams of a beam-symmetric group, are grouped under one representative.

    Parameters
    ----------
    group : numhep.amplitudes.ProcessGroup
        The process group (:func:`numhep.process_group`).
    params : dict, optional
        Model parameter overrides, for the propagators' masses and widths.

    Returns
    -------
    list of Channel
        The channels, in order of first appearance.

    Examples
    --------
    >>> from numhep.phasespace import diagram_channels
    >>> channels = diagram_channels(numhep.process_group("e+ e- > mu+ mu-"))
    >>> [(c.describe(), c.representative) for c in channels]
    [('s12(0)', 0), ('s12(91.188)', 1)]
    """
    index = {}
    channels: list[Channel] = []
    per_subprocess = [diagram_topologies(sp.process, swapped=sp.swapped, params=params) for sp in group.subprocesses]
    # a tree of 2 -> n with three-point vertices has n - 1 propagators; a four-point vertex
    # takes one away, and such a topology's propagator weight, a product with a factor
    # 1/|q^2|^2 fewer, would outweigh every full channel.  MadGraph builds no channel for
    # these diagrams (Heimel, PhD thesis, Heidelberg 2024, Sec. 5.3.2): their points come from
    # the other channels, which cover the whole phase space
    full = len(group.subprocesses[0].legs) - 3
    keep_short = not any(len(top) == full for tops in per_subprocess for top in tops)
    for k, tops in enumerate(per_subprocess):
        for d, top in enumerate(tops):
            if len(top) < full and not keep_short:
                continue
            if top not in index:
                index[top] = len(channels)
                channels.append(Channel(top, -1, (), {}))
            channels[index[top]].diagrams.setdefault(k, []).append(d)
    pdgs = group.subprocesses[0].legs[2:]
    perms = list(_identical_permutations(pdgs))
    exchanges = (False, True) if _symmetric_beams(group) else (False,)
    for c, ch in enumerate(channels):
        if ch.representative >= 0:
            continue
        ch.representative, ch.permutation = c, tuple(range(len(pdgs)))
        for exchange in exchanges:
            seen = (frozenset(p.beams_exchanged(len(pdgs)) for p in ch.topology) if exchange else ch.topology)
            for perm in perms:
                other = index.get(frozenset(p.permuted(perm) for p in seen))
                if other is not None and channels[other].representative < 0:
                    channels[other].representative = c
                    channels[other].permutation = perm
                    channels[other].beams_exchanged = exchange
    return channels


def _symmetric_beams(group) -> bool:
    """Whether exchanging the beams maps the process group onto itself: every subprocess's
    incoming pair (a, b) has its mirror (b, a) among them as often, with equal beam masses
    (g g, or p p with both orders of each parton pair; not u d~ alone, nor e+ e-)."""
    pairs = [tuple(sp.legs[:2]) for sp in group.subprocesses]
    if sorted(pairs) != sorted((b, a) for a, b in pairs):
        return False
    return all(sp.process.masses[0] == sp.process.masses[1] for sp in group.subprocesses)


def exchange_beams(p) -> np.ndarray:
    """Momenta (n, legs, 4) in the partonic centre-of-mass frame with the beams exchanged:
    legs 0 and 1 swapped and every momentum turned by pi about the x axis (p_y, p_z -> -p_y,
    -p_z), so that beam 1 still runs along +z.  A rotation and a relabelling of identical
    beams: the phase-space weight and |M|^2 summed over a symmetric process group are
    unchanged, and the map is its own inverse and its own transpose (the same map takes
    momentum cotangents back).  At hadron colliders the momentum fractions swap with it.

    Parameters
    ----------
    p : ndarray, shape ``(n, legs, 4)``
        Momenta (E, px, py, pz).

    Returns
    -------
    ndarray, shape ``(n, legs, 4)``
        A new array.

    Examples
    --------
    >>> from numhep.phasespace.diagram_channels import exchange_beams
    >>> p = np.array([[[5.0, 0, 0, 5], [5, 0, 0, -5], [5, 1, 2, 3], [5, -1, -2, -3]]])
    >>> exchange_beams(p)[0].tolist()
    [[5.0, 0.0, 0.0, 5.0], [5.0, 0.0, 0.0, -5.0], [5.0, 1.0, -2.0, -3.0], [5.0, -1.0, 2.0, 3.0]]
    """
    out = np.array(p, dtype=np.float64)
    out[:, [0, 1]] = out[:, [1, 0]]
    out[..., 2:] = 0.0 - out[..., 2:]  # 0.0 - x: no negative zeros
    return out


def _propagator_momentum(prop, p_final, p_a):
    q = p_final[:, sorted(prop.final)].sum(axis=1)
    return p_a - q if prop.spacelike else q


def _denominators(channels, p_final, p_a):
    """{propagator: |q^2 - m^2 + i m Gamma|^2} of every propagator of the channels."""
    out = {}
    for ch in channels:
        for prop in ch.topology:
            if prop not in out:
                q = _propagator_momentum(prop, p_final, p_a)
                q2 = q[:, 0] ** 2 - (q[:, 1:] ** 2).sum(axis=1)
                out[prop] = (q2 - prop.mass**2) ** 2 + (prop.mass * prop.width) ** 2
    return out


def propagator_weights(channels, p_final, p_a):
    """Channel weights from the channels' propagators.

    alpha_i = P_i / sum_j P_j with P_i the product of channel i's propagators
    ``1/|q^2 - m^2 + i m Gamma|^2`` (Heimel, PhD thesis, Heidelberg 2024, Eq. 2.60),
    computed in log space.

    Parameters
    ----------
    channels : list of Channel
        The channels.
    p_final : numpy.ndarray, shape ``(n, k, 4)``
        Final-state momenta in GeV.
    p_a : numpy.ndarray, shape ``(n, 4)``
        The momentum of beam 1 in GeV (for t-channel lines).

    Returns
    -------
    numpy.ndarray, shape (n, n_channels)
        The weights alpha_i, summing to one per event.
    """
    d = _denominators(channels, p_final, p_a)
    logs = np.zeros((p_final.shape[0], len(channels)))
    for c, ch in enumerate(channels):
        for prop in ch.topology:
            logs[:, c] -= np.log(np.maximum(d[prop], 1e-300))
    logs -= logs.max(axis=1, keepdims=True)
    w = np.exp(logs)
    return w / w.sum(axis=1, keepdims=True)


def propagator_weights_vjp(channels, p_final, p_a, alpha, grad_alpha):
    """Reverse-mode derivative of :func:`propagator_weights`.

    With l_i = log P_i, dL/dl_i = alpha_i (g_i - sum_j alpha_j g_j), and each denominator
    d = (q^2 - m^2)^2 + (m Gamma)^2 feeds back through q^2 = q.q into its momenta.

    Parameters
    ----------
    channels, p_final, p_a
        As for :func:`propagator_weights`.
    alpha : numpy.ndarray, shape ``(n, n_channels)``
        The weights :func:`propagator_weights` returned.
    grad_alpha : numpy.ndarray, shape ``(n, n_channels)``
        Cotangent of the weights.

    Returns
    -------
    g_final : numpy.ndarray, shape ``(n, k, 4)``
        d/dp_final of <grad_alpha, alpha>.
    g_a : numpy.ndarray, shape ``(n, 4)``
        d/dp_a of <grad_alpha, alpha>.
    """
    g_log = alpha * (grad_alpha - (alpha * grad_alpha).sum(axis=1, keepdims=True))
    d = _denominators(channels, p_final, p_a)
    g_d = {prop: np.zeros(p_final.shape[0]) for prop in d}
    for c, ch in enumerate(channels):
        for prop in ch.topology:
            g_d[prop] -= np.where(d[prop] > 1e-300, g_log[:, c] / np.maximum(d[prop], 1e-300), 0.0)
    g_final, g_a = np.zeros_like(p_final), np.zeros_like(p_a)
    metric = np.array([1.0, -1.0, -1.0, -1.0])
    for prop, gd in g_d.items():
        q = _propagator_momentum(prop, p_final, p_a)
        q2 = q[:, 0] ** 2 - (q[:, 1:] ** 2).sum(axis=1)
        g_q = (gd * 2.0 * (q2 - prop.mass**2) * 2.0)[:, None] * q * metric
        idx = sorted(prop.final)
        if prop.spacelike:
            g_a += g_q
            g_final[:, idx] -= g_q[:, None]
        else:
            g_final[:, idx] += g_q[:, None]
    return g_final, g_a
