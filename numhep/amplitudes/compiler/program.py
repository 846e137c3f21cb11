"""From diagrams to the amplitude program: the arrays :mod:`numhep.kernels.amplitude_tape` runs.

One instruction per external leg, per used current and per diagram (see the kernel's
docstring for the encoding).  Couplings, masses and widths are *rows* recomputed from
the model parameters on every call, so parameter overrides need no recompilation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numhep.kernels import isa as T

_PAIRINGS = {
    frozenset({frozenset({0, 1}), frozenset({2, 3})}): 0,
    frozenset({frozenset({0, 2}), frozenset({1, 3})}): 1,
    frozenset({frozenset({0, 3}), frozenset({1, 2})}): 2,
}


def _vvvv_order(out_pos):
    """Input positions (ascending) and which original coefficient each kernel slot takes."""
    a, b, c = [q for q in range(4) if q != out_pos]
    d = out_pos
    perm = tuple(
        _PAIRINGS[frozenset({frozenset(x), frozenset(y)})] for x, y in (({a, b}, {c, d}), ({a, c}, {b, d}), ({a, d}, {b, c}))
    )
    return (a, b, c), perm


def _layout(vertex, out_pos):
    """(opcode, input positions in kernel order, coupling permutation or None)."""
    lor = vertex.lorentz
    if lor in ("FFV", "FFS"):
        base = {"FFV": (T.FFV_V, T.FFV_PSIBAR, T.FFV_PSI), "FFS": (T.FFS_S, T.FFS_PSIBAR, T.FFS_PSI)}[lor]
        if out_pos == 2:
            return base[0], (1, 0), None
        if out_pos == 0:
            return base[1], (1, 2), None
        return base[2], (2, 0), None
    if lor == "VVV":
        return T.VVV_V, ((out_pos + 1) % 3, (out_pos + 2) % 3), None
    if lor == "VVVV":
        order, perm = _vvvv_order(out_pos)
        return T.VVVV_V, order, perm
    if lor == "VVS":
        if out_pos == 2:
            return T.VVS_S, (0, 1), None
        return T.VVS_V, (1 - out_pos, 2), None
    if lor == "VVS_EFF":
        if out_pos == 2:
            return T.VVS_EFF_S, (0, 1), None
        return T.VVS_EFF_V, (1 - out_pos, 2), None
    if lor == "SSS":
        return T.SSS_S, tuple(q for q in range(3) if q != out_pos), None
    if lor == "VVSS":
        # positions (V, V, S, S)
        if out_pos in (0, 1):
            return T.VVSS_V, (1 - out_pos, 2, 3), None
        return T.VVSS_S, (0, 1, 5 - out_pos), None
    if lor == "SSSS":
        return T.SSSS_S, tuple(q for q in range(4) if q != out_pos), None
    raise ValueError(f"no kernel for Lorentz structure {lor!r}")


def gray_order(states_per_leg):
    """All helicity configurations, each differing from the previous one in a single leg
    (a reflected mixed-radix Gray code), the last leg changing fastest."""
    seq = [()]
    for states in states_per_leg:
        nxt = []
        for k, prefix in enumerate(seq):
            order = states if k % 2 == 0 else states[::-1]
            nxt.extend(prefix + (h,) for h in order)
        seq = nxt
    return seq


def with_change_masks(hel: np.ndarray) -> np.ndarray:
    """Append a column: bit l set where leg l's helicity differs from the previous row (all
    bits in the first row).  The tape recomputes only what depends on changed legs."""
    n_hel, n_legs = hel.shape
    mask = np.zeros(n_hel, dtype=np.int64)
    mask[0] = (1 << n_legs) - 1
    for h in range(1, n_hel):
        diff = np.flatnonzero(hel[h] != hel[h - 1])
        mask[h] = int(sum(1 << int(leg) for leg in diff))
    return np.ascontiguousarray(np.column_stack([hel, mask]))


def helicity_states(model, pdg: int):
    p = model.particle(pdg)
    if p.spin == 1:
        return (0,)
    if p.spin == 2:
        return (-1, 1)
    return (-1, 0, 1) if p.mass else (-1, 1)


@dataclass
class Program:
    ops: np.ndarray
    n_slots: int
    coupling_rows: list  # (vertex index, coefficient permutation or None)
    mass_rows: list  # (mass parameter, width parameter or None)
    helicities: np.ndarray
    colour: np.ndarray
    diag_ptr: np.ndarray
    diag_jamp: np.ndarray
    diag_coef: np.ndarray
    norm: float

    def couplings(self, model, params: dict) -> np.ndarray:
        rows = np.zeros((max(len(self.coupling_rows), 1), 4), dtype=complex)
        cache = {}
        for r, (vi, perm) in enumerate(self.coupling_rows):
            if vi not in cache:
                cache[vi] = model.vertices[vi].couplings(params)
            c = cache[vi]
            vals = [c[q] for q in perm] if perm is not None else list(c)
            rows[r, : len(vals)] = vals
        return rows

    def coupling_derivatives(self, model, seeded: dict) -> np.ndarray:
        """d(coupling rows)/d(input) from parameters seeded as dual numbers."""
        rows = np.zeros((max(len(self.coupling_rows), 1), 4), dtype=complex)
        cache = {}
        for r, (vi, perm) in enumerate(self.coupling_rows):
            if vi not in cache:
                cache[vi] = model.vertices[vi].couplings(seeded)
            c = cache[vi]
            vals = [c[q] for q in perm] if perm is not None else list(c)
            rows[r, : len(vals)] = [v.b if hasattr(v, "b") else 0.0 for v in vals]
        return rows

    def real_derivatives(self, seeded: dict) -> np.ndarray:
        out = [0.0]
        for mass, width in self.mass_rows:
            m = seeded[mass]
            w = seeded[width] if width else 0.0
            out += [getattr(m, "b", 0.0), getattr(w, "b", 0.0)]
        return np.array(out, dtype=float)

    def reals(self, params: dict) -> np.ndarray:
        out = [self.norm]
        for mass, width in self.mass_rows:
            out += [params[mass], params[width] if width else 0.0]
        return np.array(out)


def build(model, ds, used, colour, n_incoming: int) -> Program:
    legs = ds.legs
    n = len(legs)
    slot_of = {}
    ops = []
    rows = {}
    masses = {}

    def coupling_row(vi, perm):
        key = (vi, perm)
        if key not in rows:
            rows[key] = len(rows)
        return rows[key]

    def mass_row(pdg):
        p = model.particle(pdg)
        if not p.mass:
            return -1
        key = (p.mass, p.width)
        if key not in masses:
            masses[key] = 1 + 2 * len(masses)
        return masses[key]

    leg_mask = {}

    def ext_op(leg, slot):
        pdg = legs[leg]
        part = model.particle(pdg)
        incoming = 1 if leg < n_incoming else 0
        if part.spin == 2:
            # outgoing-equivalent fermion particle -> psibar row; antifermion -> psi column
            psibar = pdg > 0 and not part.self_conjugate
            op = T.EXT_PSIBAR if psibar else T.EXT_PSI
        elif part.spin == 3:
            op = T.EXT_VECTOR
        else:
            op = T.EXT_SCALAR
        return [op, slot, leg, incoming, 0, 0, mass_row(pdg), -1, 1 << leg]

    for leg in range(n):
        slot_of[("leg", leg)] = leg
        leg_mask[leg] = 1 << leg
        ops.append(ext_op(leg, leg))
    nslots = n
    for cid in used:
        c = ds.currents[cid]
        if c.vertex < 0:
            slot_of[cid] = c.leg
            continue
        v = model.vertices[c.vertex]
        code, order, perm = _layout(v, c.out_pos)
        at = dict(zip(c.positions, c.children))
        ins = [slot_of[at[q]] for q in order] + [0] * (3 - len(order))
        slot_of[cid] = nslots
        leg_mask[nslots] = c.mask
        ops.append([code, nslots, *ins, coupling_row(c.vertex, perm), mass_row(c.particle), -1, c.mask])
        nslots += 1
    for d_index, d in enumerate(ds.diagrams):
        v = model.vertices[d.vertex]
        code, order, perm = _layout(v, d.ref_pos)
        at = dict(zip(d.positions, d.children))
        ins = [slot_of[at[q]] for q in order] + [0] * (3 - len(order))
        ops.append([code, d_index, *ins, coupling_row(d.vertex, perm), -1, ds.reference, (1 << n) - 1])
    coef = colour.coef
    ptr = [0]
    jamp, values = [], []
    for row in coef:
        for k, val in enumerate(row):
            if val != 0:
                jamp.append(k)
                values.append(val)
        ptr.append(len(jamp))
    # the reference leg changes fastest: configurations that differ in it only come
    # together, and the tape runs them as one helicity group
    order = [leg for leg in range(n) if leg != ds.reference] + [ds.reference]
    seq = gray_order([helicity_states(model, legs[leg]) for leg in order])
    hel = np.zeros((len(seq), n), dtype=np.int64)
    hel[:, order] = np.array(seq, dtype=np.int64)
    hel = with_change_masks(hel)
    # averaging: initial helicities (2 for every fermion and massless vector, 3 massive
    # vector) and colours, identical final-state particles
    norm = 1.0
    for leg in range(n_incoming):
        part = model.particle(legs[leg])
        norm *= (2 if part.spin == 2 else len(helicity_states(model, legs[leg]))) * abs(
            {1: 1, 3: 3, -3: 3, 8: 8}[part.colour]
        )
    counts = {}
    for pdg in legs[n_incoming:]:
        counts[pdg] = counts.get(pdg, 0) + 1
    for c in counts.values():
        norm *= float(np.prod(np.arange(1, c + 1)))
    return Program(
        ops=np.array(ops, dtype=np.int64),
        n_slots=nslots,
        coupling_rows=[k for k, _ in sorted(rows.items(), key=lambda kv: kv[1])],
        mass_rows=[k for k, _ in sorted(masses.items(), key=lambda kv: kv[1])],
        helicities=hel,
        colour=np.ascontiguousarray(colour.matrix),  # real when the basis allows (colour.real_phases)
        diag_ptr=np.array(ptr, dtype=np.int64),
        diag_jamp=np.array(jamp, dtype=np.int64),
        diag_coef=np.array(values, dtype=complex),
        norm=1.0 / norm,
    )
