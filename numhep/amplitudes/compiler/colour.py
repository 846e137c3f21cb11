"""Exact colour sums through a colour basis and a colour matrix, computed numerically.

No symbolic colour algebra: every vertex's colour factor is an explicit SU(3) tensor
(delta_ij, T^a_ij = lambda^a_ij / 2 with the Gell-Mann matrices, f^abc, d^abc, epsilon_ijk,
f^abe f^cde),
internal lines identify indices (delta propagators), and a diagram's colour factor is
the contraction of its vertices' tensors, a tensor over the external legs' indices.

1. Fingerprints: contracting a diagram's tensor with one random complex vector per
   external leg gives a number; m such probes give a vector that is linear in the
   tensor, so linear relations between diagrams' colour factors are kept.  Sub-trees
   are contracted once and shared, like the currents.
2. Basis: walking the diagrams in order, a diagram whose fingerprint is not in the span
   of the basis so far becomes a basis element; every diagram's colour factor is then
   sum_k c_dk B_k with c_dk found by least squares and rounded to exact rationals
   (checked to 1e-9).
3. Colour matrix: C_kl = sum over all external indices of conj(B_k) B_l, from the basis
   elements' full tensors, rounded to rationals likewise.  Basis elements are rephased
   so that C is real where that is possible (:func:`real_phases`); a real C is kept as a
   real array, and the kernels' colour sums then multiply reals by complex numbers.
Then |M|^2 = sum_kl conj(J_k) C_kl J_l with the partial amplitudes
J_k = sum_d c_dk A_d (MadGraph's JAMPs).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def su3():
    """Generators T^a (8, 3, 3) and structure constants f^abc (8, 8, 8)."""
    lam = np.zeros((8, 3, 3), dtype=complex)
    lam[0][0, 1] = lam[0][1, 0] = 1
    lam[1][0, 1], lam[1][1, 0] = -1j, 1j
    lam[2][0, 0], lam[2][1, 1] = 1, -1
    lam[3][0, 2] = lam[3][2, 0] = 1
    lam[4][0, 2], lam[4][2, 0] = -1j, 1j
    lam[5][1, 2] = lam[5][2, 1] = 1
    lam[6][1, 2], lam[6][2, 1] = -1j, 1j
    lam[7][0, 0] = lam[7][1, 1] = 1 / np.sqrt(3)
    lam[7][2, 2] = -2 / np.sqrt(3)
    t = lam / 2
    # [T^a, T^b] = i f^abc T^c  ->  f^abc = -2 i Tr([T^a, T^b] T^c)
    comm = np.einsum("aij,bjk->abik", t, t) - np.einsum("bij,ajk->abik", t, t)
    f = (-2j * np.einsum("abik,cki->abc", comm, t)).real
    return t, f


def leg_dim(model, pdg: int) -> int:
    return {1: 1, 3: 3, -3: 3, 8: 8}[model.particle(pdg).colour]


@lru_cache(maxsize=None)
def _vertex_tensor(kind: str, dims: tuple):
    t, f = su3()
    if kind == "none":
        return np.ones(dims, dtype=complex)
    if kind == "delta":
        # positions (antifermion j, fermion i, colourless...): delta_ij, or delta^ab of two
        # gluons (the effective gluon-gluon-Higgs vertex)
        d = dims[0]
        return np.eye(d, dtype=complex).T.reshape((d, d) + (1,) * (len(dims) - 2))
    if kind == "T":
        return np.einsum("aij->jia", t)  # positions (j, i, a)
    if kind == "f":
        return f.astype(complex)
    if kind == "d":
        # d^abc = 2 Tr({T^a, T^b} T^c)
        return 2.0 * (np.einsum("aij,bjk,cki->abc", t, t, t) + np.einsum("bij,ajk,cki->abc", t, t, t))
    if kind in ("eps", "epsbar"):
        # epsilon_ijk of three triplets (epsilon^ijk of three antitriplets: the same numbers)
        eps = np.zeros((3, 3, 3), dtype=complex)
        for (i, j, k), sign in (((0, 1, 2), 1), ((1, 2, 0), 1), ((2, 0, 1), 1),
                                ((0, 2, 1), -1), ((2, 1, 0), -1), ((1, 0, 2), -1)):
            eps[i, j, k] = sign
        return eps
    if kind.startswith("ff:"):
        (p, q), (r, s) = kind[3:].split(",")
        letters = "abcd"
        sub = f"{letters[int(p) - 1]}{letters[int(q) - 1]}e,{letters[int(r) - 1]}{letters[int(s) - 1]}e->abcd"
        return np.einsum(sub, f, f).astype(complex)
    raise ValueError(f"unknown colour structure {kind!r}")


def vertex_tensor(model, vertex):
    dims = tuple(leg_dim(model, p) for p in vertex.particles)
    tensor = _vertex_tensor(vertex.colour, dims)
    if tensor.shape != dims:
        raise ValueError(f"colour {vertex.colour!r} does not fit the legs of vertex {vertex.name}")
    return tensor


def _contract(tensor, children, positions, out_pos):
    """einsum of a vertex tensor with per-probe child vectors (m, dim); output axis out_pos or none."""
    letters = "abcd"[: tensor.ndim]
    ins = [letters] + ["z" + letters[p] for p in positions]
    out = "z" + (letters[out_pos] if out_pos is not None else "")
    return np.einsum(",".join(ins) + "->" + out, tensor, *children)


def real_phases(matrix):
    """Phases u_k (|u_k| = 1) that make conj(u_k) C_kl u_l real for the Hermitian colour
    matrix C, where such phases exist (C's basis elements are then rephased by them).

    f^abc = -2i Tr([T^a, T^b] T^c) puts factors of i into basis elements built from
    structure constants; rephasing them away makes the colour matrix real, which halves
    the multiplications of every colour sum (a real times a complex number instead of two
    complex numbers).  Walking the non-zero entries from element 0 (and from the first
    element of every part not linked to it), u_l = u_k conj(C_kl) / |C_kl| makes each
    entry reached real and positive, conj(u_k) u_l C_kl = |C_kl|; the caller checks all entries."""
    n = matrix.shape[0]
    phases = np.zeros(n, dtype=complex)
    scale = np.abs(matrix).max() if n else 0.0
    for root in range(n):
        if phases[root] != 0:
            continue
        phases[root] = 1.0
        todo = [root]
        while todo:
            k = todo.pop()
            for l in np.nonzero(np.abs(matrix[k]) > 1e-12 * scale)[0]:
                if phases[l] == 0:
                    phases[l] = phases[k] * np.conj(matrix[k, l]) / abs(matrix[k, l])
                    todo.append(l)
    return phases


def _real_if_real(matrix):
    """The matrix as a real array when its imaginary parts vanish (to rounding), else as is."""
    if matrix.size and np.abs(matrix.imag).max() <= 1e-12 * np.abs(matrix).max():
        return np.ascontiguousarray(matrix.real)
    return matrix


class ColourDecomposition:
    """Basis, per-diagram coefficients (fermion signs included) and the colour matrix."""

    def __init__(self, model, diagrams, used, probes: int = 64, seed: int = 12345):
        # the fingerprints must outnumber the basis elements, or every vector lies in the
        # span once the basis fills the probe space: double the probes until they do
        while True:
            basis, prints = self._fingerprint_basis(model, diagrams, used, probes, seed)
            if len(basis) <= probes // 2:
                break
            probes *= 2
        self._finish(model, diagrams, basis, prints)

    def _fingerprint_basis(self, model, diagrams, used, probes, seed):
        ds = diagrams
        rng = np.random.default_rng(seed)
        probe = [rng.normal(size=(probes, leg_dim(model, p))) + 1j * rng.normal(size=(probes, leg_dim(model, p)))
                 for p in ds.legs]
        fp = {}
        for cid in used:
            c = ds.currents[cid]
            if c.vertex < 0:
                fp[cid] = probe[c.leg]
                continue
            v = model.vertices[c.vertex]
            fp[cid] = _contract(vertex_tensor(model, v), [fp[k] for k in c.children], c.positions, c.out_pos)
        prints = []
        for d in ds.diagrams:
            v = model.vertices[d.vertex]
            kids = [fp[k] for k in d.children] + [probe[ds.reference]]
            prints.append(_contract(vertex_tensor(model, v), kids, list(d.positions) + [d.ref_pos], None))
        prints = np.array(prints)  # (n_diagrams, probes)
        # independence test against an orthonormal basis kept up to date (Gram-Schmidt,
        # orthogonalised twice for stability): O(probes x basis) per diagram
        basis = []
        ortho = np.zeros((0, prints.shape[1]), dtype=complex)
        for k, vec in enumerate(prints):
            norm = np.linalg.norm(vec)
            if norm == 0:
                continue
            r = vec - ortho.T @ (ortho.conj() @ vec)
            r = r - ortho.T @ (ortho.conj() @ r)
            rn = np.linalg.norm(r)
            if rn <= 1e-9 * norm:
                continue
            basis.append(k)
            ortho = np.vstack([ortho, r / rn])
        return basis, prints

    def _finish(self, model, ds, basis, prints):
        self.basis = basis
        if not basis:
            self.coef = np.zeros((len(ds.diagrams), 0), dtype=complex)
            self.matrix = np.zeros((0, 0), dtype=complex)
            self.phases = np.zeros(0, dtype=complex)
            return
        mat = prints[basis].T
        coef, *_ = np.linalg.lstsq(mat, prints.T, rcond=None)
        coef = coef.T  # (n_diagrams, n_basis)
        resid = np.abs(coef @ mat.T - prints).max() / max(np.abs(prints).max(), 1e-300)
        if resid > 1e-8:
            raise RuntimeError(f"colour decomposition failed (residual {resid:.2e}); use more probes")
        self.coef = _rationalise(coef)
        signs = np.array([d.sign for d in ds.diagrams], dtype=float)
        self.coef = self.coef * signs[:, None]
        full = [self._full_tensor(model, ds, ds.diagrams[b]) for b in basis]
        flat = np.array([t.reshape(-1) for t in full])
        matrix = _rationalise(flat.conj() @ flat.T)
        # B'_k = u_k B_k: C'_kl = conj(u_k) u_l C_kl and c'_dk = c_dk conj(u_k)
        self.phases = real_phases(matrix)
        matrix = self.phases.conj()[:, None] * matrix * self.phases[None, :]
        self.coef = _rationalise(self.coef * self.phases.conj()[None, :])
        self.matrix = _real_if_real(matrix)

    def correlation_matrices(self, model, ds):
        """Colour-correlated matrices {(a, b): C^ab} with C^ab_kl = sum conj(B_k) T_a.T_b B_l
        over the external indices, for every pair of coloured legs a < b (legs in the order
        of the diagram set, all outgoing).  <M|T_a.T_b|M> = sum_kl conj(J_k) C^ab_kl J_l is
        what Catani-Seymour dipoles need of the Born (hep-ph/9605323 Eq. 5.2).

        Generators act on an outgoing leg as t^c on a triplet index, -(t^c)^T on an
        antitriplet index and (F^c)_ab = -i f_cab on an octet index; colour conservation,
        sum_a T_a B = 0 for every basis tensor, is checked here and fixes these signs."""
        tensors = self.basis_tensors(model, ds)
        legs = list(ds.legs)
        reps = [_representation(model, p) for p in legs]
        coloured = [a for a, r in enumerate(reps) if r != 1]
        gens = _leg_generators(reps)
        acted = {a: [[_act(gens[a][c], t, a) for t in tensors] for c in range(8)] for a in coloured}
        for k, t in enumerate(tensors):
            scale = max(np.abs(t).max(), 1e-300)
            for c in range(8):
                total = sum(acted[a][c][k] for a in coloured)
                if np.abs(total).max() > 1e-9 * scale:
                    raise RuntimeError("colour is not conserved by a basis tensor: generator signs are wrong")
        flat = {a: [np.array([x.reshape(-1) for x in acted[a][c]]) for c in range(8)] for a in coloured}
        out = {}
        for ia, a in enumerate(coloured):
            for b in coloured[ia + 1:]:
                # T_a.T_b is hermitian and the generators are: <T_a^c B_k | T_b^c B_l>
                m = sum(flat[a][c].conj() @ flat[b][c].T for c in range(8))
                out[(a, b)] = _real_if_real(_rationalise(m))
        return out

    def basis_tensors(self, model, ds):
        """The basis tensors B_k over every external index (legs in the order of the diagram
        set, all outgoing), with the phases that make the colour matrix real: |M|^2 =
        sum_kl conj(J_k) C_kl J_l for M = sum_k J_k B_k."""
        return [u * self._full_tensor(model, ds, ds.diagrams[b]) for u, b in zip(self.phases, self.basis)]

    @staticmethod
    def _full_tensor(model, ds, diagram):
        """The diagram's colour tensor over every external index, legs in order."""

        def build(cid):
            c = ds.currents[cid]
            if c.vertex < 0:
                d = leg_dim(model, ds.legs[c.leg])
                return np.eye(d, dtype=complex), [c.leg]  # axes: (leg index, open)
            v = model.vertices[c.vertex]
            parts = [build(k) for k in c.children]
            return _join(vertex_tensor(model, v), parts, c.positions, c.out_pos)

        v = model.vertices[diagram.vertex]
        parts = [build(k) for k in diagram.children]
        d = leg_dim(model, ds.legs[ds.reference])
        parts.append((np.eye(d, dtype=complex), [ds.reference]))
        tensor, legs = _join(vertex_tensor(model, v), parts, list(diagram.positions) + [diagram.ref_pos], None)
        order = np.argsort(legs)
        return np.transpose(tensor, order)


def _representation(model, pdg):
    """1, 3, -3 (antitriplet) or 8 for an outgoing leg of PDG code ``pdg``."""
    c = model.particle(pdg).colour
    return -3 if c == 3 and pdg < 0 else c


def _leg_generators(reps):
    """Per leg, the 8 colour generators acting on its index (None for colourless legs)."""
    t, f = su3()
    adj = -1j * f  # (F^c)_ab = -i f_cab
    out = []
    for r in reps:
        if r == 3:
            out.append(t)
        elif r == -3:
            out.append(-np.transpose(t, (0, 2, 1)))
        elif r == 8:
            out.append(adj)
        else:
            out.append(None)
    return out


def _act(gen, tensor, axis):
    """gen (d, d) applied to ``axis`` of ``tensor``: (gen)_{ab} X_{..b..}."""
    moved = np.tensordot(gen, tensor, axes=([1], [axis]))
    return np.moveaxis(moved, 0, axis)


def _join(tensor, parts, positions, out_pos):
    """Contract child tensors (leg axes..., open axis) into a vertex tensor."""
    letters = iter("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    vert = "abcd"[: tensor.ndim]
    subs, legs = [], []
    for (arr, arr_legs), pos in zip(parts, positions):
        leg_letters = "".join(next(letters) for _ in arr_legs)
        subs.append(leg_letters + vert[pos])
        legs.extend(arr_legs)
    out = "".join(s[:-1] for s in subs) + (vert[out_pos] if out_pos is not None else "")
    result = np.einsum(",".join([vert] + subs) + "->" + out, tensor, *[p[0] for p in parts], optimize="greedy")
    return result, legs


#: denominators tried when rounding colour factors (products of the 2s and 3s SU(3) gives)
_DENOMINATORS = sorted({2**a * 3**b for a in range(8) for b in range(7) if 2**a * 3**b <= 20000})


def _rationalise(arr, tol: float = 1e-9):
    """Round real and imaginary parts to p/q (q = 2^a 3^b) when they are that close."""
    out = np.array(arr, dtype=complex)
    scale = max(np.abs(out).max(), 1.0)
    for part in ("real", "imag"):
        x = getattr(out, part).ravel().copy()
        todo = np.abs(x) > tol * scale
        x[~todo] = 0.0
        for q in _DENOMINATORS:
            if not todo.any():
                break
            approx = np.round(x[todo] * q) / q
            hit = np.abs(approx - x[todo]) <= tol * scale
            idx = np.flatnonzero(todo)[hit]
            x[idx] = approx[hit]
            todo[idx] = False
        x = x.reshape(out.shape)
        if part == "real":
            out = x + 1j * out.imag
        else:
            out = out.real + 1j * x
    return out
