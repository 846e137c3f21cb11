"""Tree-level diagrams as shared off-shell currents over subsets of external legs.

Legs are crossed to all-outgoing (an incoming X becomes an outgoing anti-X).  For a
subset S of legs (a bitmask) not containing the reference leg (the last one unless the
compiler picks another, see :func:`generate`), a
*current* is one sub-tree: a vertex joining currents of a split S = S1 + S2 (or
S1 + S2 + S3 for four-point vertices) whose remaining leg, seen from the rest of the
diagram, makes S look like one outgoing particle c(S) = anti(vertex leg).  Every
diagram is a vertex joining currents that cover all legs but the reference with the
reference leg's wavefunction; identical sub-trees are built once and shared, as
MadGraph's wavefunctions are.

Fermion lines: a psibar-type current (c(S) a fermion) or psi-type one (an
antifermion) remembers the external leg where its open line starts; a vertex that
closes the line records the pair (psibar leg, psi leg).  A diagram's sign is the parity
of the permutation that lists its pairs (psibar, psi) one after another.

Coupling orders: explicit maxima (``QCD=0``, ``QED<=4``) prune currents as they are
built; without any, MadGraph's default keeps the diagrams of minimal
WEIGHTED = 2 QED + QCD.  Decay chains require s-channel currents over given leg sets:
currents whose set partially overlaps a resonance's are never built.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from numhep.declarations.ufo_expressions import UFOError


@dataclass
class Current:
    id: int
    mask: int
    particle: int  # c(S): the subset as one outgoing particle
    vertex: int = -1  # index into model.vertices; -1 for an external leg
    out_pos: int = -1  # vertex position of the new line
    children: tuple = ()  # current ids
    positions: tuple = ()  # vertex positions of the children
    orders: tuple = ()
    open_leg: int = -1
    pairs: tuple = ()
    leg: int = -1


@dataclass
class Diagram:
    vertex: int
    ref_pos: int  # vertex position of the reference leg
    children: tuple
    positions: tuple
    orders: tuple
    pairs: tuple
    sign: int = 1


@dataclass
class DiagramSet:
    legs: tuple  # outgoing-equivalent PDG codes
    reference: int = -1  # the leg every diagram is contracted with
    currents: list = field(default_factory=list)
    diagrams: list = field(default_factory=list)


def _add_orders(*orders):
    total = defaultdict(int)
    for o in orders:
        for k, v in o:
            total[k] += v
    return tuple(sorted(total.items()))


def _weighted(orders, hierarchy) -> int:
    """MadGraph's WEIGHTED: sum of hierarchy x order (QCD 1 and QED 2 unless the model says)."""
    return sum(hierarchy.get(k, 2 if k == "QED" else 1) * v for k, v in orders)


def _order_limits(model, max_orders):
    """The orders' upper limits: the user's, and each model order's expansion order (HIG <= 1
    in MadGraph's heft) where the user gives none."""
    limits = {k: e for k, (_, e) in model.coupling_orders.items() if e < 99}
    limits.update(max_orders or {})
    return limits or None


def _parity(seq) -> int:
    seq = list(seq)
    inv = sum(1 for a in range(len(seq)) for b in range(a + 1, len(seq)) if seq[a] > seq[b])
    return -1 if inv % 2 else 1


class _VertexIndex:
    """(sorted input particles) -> [(vertex index, output position, input positions)]."""

    def __init__(self, vertex_particles):
        self.vertex_particles = list(vertex_particles)
        self.by_inputs = defaultdict(list)
        for vi, particles in enumerate(self.vertex_particles):
            seen_out = set()
            for o, out in enumerate(particles):
                if out in seen_out:
                    continue  # identical legs: the Feynman rule is already symmetric
                seen_out.add(out)
                rest = [q for q in range(len(particles)) if q != o]
                key = tuple(sorted(particles[q] for q in rest))
                self.by_inputs[key].append((vi, o, tuple(rest)))

    def matches(self, children_particles):
        """[(vertex, output position, positions of the children in their given order)]."""
        key = tuple(sorted(children_particles))
        out = []
        for vi, o, rest in self.by_inputs.get(key, ()):
            parts = self.vertex_particles[vi]
            for perm in itertools.permutations(rest):
                if all(parts[pos] == x for pos, x in zip(perm, children_particles)):
                    out.append((vi, o, perm))
                    break
        return out


def _splits(mask: int, parts: int):
    """Unordered splits of mask into `parts` non-empty submasks (lowest bit in the first)."""
    low = mask & -mask
    rest = mask ^ low
    sub = rest
    while True:
        first = sub | low
        other = mask ^ first
        if other:
            if parts == 2:
                yield (first, other)
            else:
                for tail in _splits(other, parts - 1):
                    yield (first,) + tail
        if sub == 0:
            break
        sub = (sub - 1) & rest


def generate(model, legs, *, max_orders=None, resonances=(), reference=None):
    """All tree diagrams for outgoing-equivalent ``legs``.

    max_orders: {"QCD": n, ...} or None for MadGraph's minimal-WEIGHTED default.
    resonances: [(mask, particle as c(S))] s-channel lines a diagram must contain.
    reference: the leg every diagram is contracted with (default: the last).  The diagrams
    are the same whichever leg it is, only built from other currents; the amplitude tape
    runs the helicity configurations that differ in the reference leg only as one group,
    so the compiler picks a leg with as many helicity states as any.
    """
    n = len(legs)
    ref = n - 1 if reference is None else int(reference)
    if not 0 <= ref < n:
        raise ValueError(f"reference leg {reference} is not one of the {n} legs")
    # vertices the model has but numhep cannot run take part in the generation; a diagram
    # that keeps one after the order selection refuses the process, others are dropped
    vertices = list(model.vertices) + [_Unsupported(*u) for u in model.unsupported_vertices]
    for particles, _, message in model.unsupported_vertices:
        if len(particles) > 4 and n >= len(particles):  # the recursion builds 3- and 4-point vertices only
            raise UFOError(f"{message}; a process with {n} legs could need this {len(particles)}-point vertex")
    index = _VertexIndex(v.particles for v in vertices)
    ds = DiagramSet(tuple(legs), ref)
    fermion = {p: model.particle(p).spin == 2 for p in set(legs) | {q for v in vertices for q in v.particles}}
    full = (1 << n) - 1
    # a resonance containing the reference leg is the same line seen from its complement
    res = []
    for mask, part in resonances:
        if mask >> ref & 1:
            res.append((full ^ mask, model.anti(part)))
        else:
            res.append((mask, part))

    def allowed(mask, particle):
        for rmask, rpart in res:
            inter = mask & rmask
            if inter and inter != mask and inter != rmask:
                return False  # crosses a resonance
            if mask == rmask and particle != rpart:
                return False
        return True

    limits = _order_limits(model, max_orders)
    hierarchy = {k: h for k, (h, _) in model.coupling_orders.items()}

    def within(orders):
        if limits is None:
            return True
        d = dict(orders)
        return all(d.get(k, 0) <= v for k, v in limits.items())

    currents_of = defaultdict(lambda: defaultdict(list))  # mask -> particle -> ids
    for leg in (q for q in range(n) if q != ref):
        c = Current(len(ds.currents), 1 << leg, legs[leg], leg=leg, open_leg=leg if fermion[legs[leg]] else -1)
        ds.currents.append(c)
        currents_of[1 << leg][legs[leg]].append(c.id)

    def combine(vi, o, positions, child_ids, mask):
        v = vertices[vi]
        kids = [ds.currents[c] for c in child_ids]
        orders = _add_orders(v.orders, *[k.orders for k in kids])
        if not within(orders):
            return None
        pairs = tuple(p for k in kids for p in k.pairs)
        open_leg = -1
        if v.lorentz in ("FFV", "FFS"):
            by_pos = dict(zip(positions, kids))
            if o == 2:
                pairs += ((by_pos[1].open_leg, by_pos[0].open_leg),)
            elif o == 0:
                open_leg = by_pos[1].open_leg
            else:
                open_leg = by_pos[0].open_leg
        return orders, pairs, open_leg

    sizes = sorted(range(1, (full ^ (1 << ref)) + 1), key=lambda m: bin(m).count("1"))
    for mask in sizes:
        if mask >> ref & 1 or bin(mask).count("1") < 2:
            continue
        for nparts in (2, 3):
            for split in _splits(mask, nparts):
                pools = [currents_of[s] for s in split]
                if not all(pools):
                    continue
                for parts in itertools.product(*[list(p) for p in pools]):
                    for vi, o, positions in index.matches(parts):
                        new = model.anti(vertices[vi].particles[o])
                        if not allowed(mask, new):
                            continue
                        for ids in itertools.product(*[pool[x] for pool, x in zip(pools, parts)]):
                            got = combine(vi, o, positions, ids, mask)
                            if got is None:
                                continue
                            orders, pairs, open_leg = got
                            c = Current(len(ds.currents), mask, new, vi, o, ids, positions, orders, open_leg, pairs)
                            ds.currents.append(c)
                            currents_of[mask][new].append(c.id)
    # diagrams: vertices joining a split of all-but-reference with the reference leg
    rest = full ^ (1 << ref)
    ref_particle = legs[ref]
    diagrams = []
    for nparts in (2, 3):
        for split in _splits(rest, nparts):
            pools = [currents_of[s] for s in split]
            if not all(pools):
                continue
            for parts in itertools.product(*[list(p) for p in pools]):
                for vi, o, positions in index.matches(parts):
                    if vertices[vi].particles[o] != ref_particle:
                        continue
                    for ids in itertools.product(*[pool[x] for pool, x in zip(pools, parts)]):
                        got = combine(vi, o, positions, ids, rest)
                        if got is None:
                            continue
                        orders, pairs, open_leg = got
                        if vertices[vi].lorentz in ("FFV", "FFS") and o != 2:
                            pairs += ((open_leg, ref) if o == 0 else (ref, open_leg),)
                        diagrams.append(Diagram(vi, o, ids, positions, orders, pairs))
    if res:
        diagrams = [d for d in diagrams if _realises(ds, d, res)]
    if max_orders is None and diagrams:
        best = min(_weighted(d.orders, hierarchy) for d in diagrams)
        diagrams = [d for d in diagrams if _weighted(d.orders, hierarchy) == best]
    if model.unsupported_vertices:
        for d in diagrams:
            for vi in (d.vertex, *(ds.currents[c].vertex for c in _tree(ds, d))):
                if vi >= len(model.vertices):
                    raise UFOError(f"{vertices[vi].message}; a diagram of this process needs it")
    for d in diagrams:
        seq = [leg for pair in d.pairs for leg in pair]
        d.sign = _parity(seq)
    ds.diagrams = diagrams
    return ds


@dataclass(frozen=True)
class _Unsupported:
    """A vertex of the model numhep has no kernel for, standing in the diagram generation."""

    particles: tuple
    orders: tuple
    message: str
    lorentz: str = "unsupported"


def _tree(ds, diagram):
    """Ids of the currents below a diagram."""
    seen, stack = set(), list(diagram.children)
    while stack:
        c = stack.pop()
        if c not in seen:
            seen.add(c)
            stack.extend(ds.currents[c].children)
    return seen


def _realises(ds, diagram, res) -> bool:
    seen = {(ds.currents[c].mask, ds.currents[c].particle) for c in _tree(ds, diagram)}
    return all(r in seen for r in res)


def used_currents(ds) -> list[int]:
    """Ids of the currents some diagram needs, children before parents."""
    need = set()
    stack = [c for d in ds.diagrams for c in d.children]
    while stack:
        c = stack.pop()
        if c in need:
            continue
        need.add(c)
        stack.extend(ds.currents[c].children)
    return sorted(need)
