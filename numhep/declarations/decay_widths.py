"""Tree-level two-body decay widths from a model's own vertices.

For a particle X of mass M and every three-point vertex that holds it, the decay
X -> a b (masses m_a, m_b, M > m_a + m_b) has

    Gamma = S C / (2 J_X + 1) * sum |M|^2 * |p| / (8 pi M^2),
    |p| = sqrt(lambda(M^2, m_a^2, m_b^2)) / (2 M),

with S = 1/2 for identical a and b, C the colour sum of the vertex's colour tensor squared
over X's colour states (1, N_c = 3 for a delta of quarks, 8 for one of gluons, C_F N_c = 4 for
T, 24 for f, 40/3 for d, 6 for epsilon) divided by X's
colour dimension, and the helicity sums of the vertex kernels' Lorentz structures
(coefficients c_L, c_R of gamma^mu P_L,R or P_L,R; A = |c_L|^2 + |c_R|^2, R = Re c_L c_R*):

* vector -> f fbar' and fermion -> f' vector (FFV), with q1, q2 the fermions' momenta
  (both outgoing for a vector decay; outgoing and incoming for a fermion decay), k the
  vector's and M_V its mass:  sum |M|^2 = A [2 q1.q2 + 4 (k.q1)(k.q2) / M_V^2] + 12 m1 m2 R
  (the 1/M_V^2 term is absent for a massless vector, whose current is conserved);
* scalar -> f fbar' (FFS): sum |M|^2 = 2 A q1.q2 - 4 m1 m2 R; fermion -> f' scalar:
  2 A q1.q2 + 4 m1 m2 R;
* scalar -> V V and V -> V' S (VVS, coupling c g^{mu nu}): |c|^2 [2 + (k1.k2)^2 / (M1^2 M2^2)];
  through field strengths (VVS_EFF, c [k2^mu k1^nu - (k1.k2) g^{mu nu}], transverse to both
  momenta, so the k k / M^2 terms of the polarisation sums drop out):
  |c|^2 [2 (k1.k2)^2 + M1^2 M2^2], e.g. H -> g g in the heavy-top limit, G_F alpha_s^2
  M_H^3 / (36 sqrt 2 pi^3) at leading order (Spira, Djouadi, Graudenz & Zerwas,
  arXiv:hep-ph/9504378);
* vector -> V V (VVV, the Yang-Mills structure): |c|^2 times the polarisation sums
  P_ab(k) = -g_ab + k_a k_b / m^2 contracted with the vertex tensor, in the rest frame;
* scalar -> S S (SSS): |c|^2.

These are the textbook traces (e.g. Peskin & Schroeder, Sec. 20.2 and Problem 21.4 for
Z and W decays; the top width of Jezabek & Kuhn, Nucl. Phys. B314 (1989) 1 at tree level).
All of it runs on :class:`~numhep.declarations.dual_numbers.Dual` numbers, so the widths have
exact derivatives in the model's inputs.  It is how ``DECAY pdg auto`` in a param card is
filled, as MadGraph fills it (Alwall et al., arXiv:1402.1178).
"""

from __future__ import annotations

import math

from numhep.declarations.dual_numbers import Dual, sqrt
from numhep.declarations.ufo_expressions import complexconjugate, re

__all__ = ["partial_widths", "total_width"]

_COLOUR_SUM = {"none": 1.0, "T": 4.0, "f": 24.0, "d": 40.0 / 3.0, "eps": 6.0, "epsbar": 6.0}


def _colour_sum(vertex, model):
    """The sum over colours of the vertex's colour tensor squared (None for four-point ones): a
    delta sums to its legs' dimension, 3 for quarks and 8 for two gluons."""
    kind = vertex.colour.split(":")[0]
    if kind == "delta":
        return float(model.particle(vertex.particles[0]).colour)
    return _COLOUR_SUM.get(kind)


def _abs2(c):
    return re(c * complexconjugate(c))


def _value(x):
    return x.a if isinstance(x, Dual) else x


def partial_widths(model, particle, params: dict) -> dict:
    """The tree-level partial widths of ``particle`` into two particles.

    Parameters
    ----------
    model : Model
        The model (its particles, vertices and parameters).
    particle : str or int
        The decaying particle's name (as the model spells it) or PDG code.
    params : dict
        Every parameter of the model (``model.parameters()`` or, for derivatives,
        ``model.seeded(input)``), floats or dual numbers.

    Returns
    -------
    dict
        {(name of a, name of b): width in GeV} for each open channel, as floats or duals.

    Raises
    ------
    KeyError
        If the model has no such particle.
    ValueError
        For an open channel through a VVS vertex with a massless vector, which has no
        gauge-invariant width.
    """
    pdg = model.lookup(particle) if isinstance(particle, str) else int(particle)
    part = model.particle(pdg)
    anti = model.anti(pdg)

    def mass(q):
        name = model.particle(q).mass
        return params[name] if name else 0.0

    big_m = mass(pdg)
    out = {}
    if _value(big_m) <= 0:
        return out
    for vertex in model.vertices:
        legs = list(vertex.particles)
        if len(legs) != 3 or anti not in legs:
            continue
        seen = set()
        for x in [i for i, q in enumerate(legs) if q == anti]:
            rest = [i for i in range(3) if i != x]
            products = tuple(legs[i] for i in rest)
            if products in seen:
                continue
            seen.add(products)
            ma, mb = mass(products[0]), mass(products[1])
            if _value(big_m) <= _value(ma) + _value(mb):
                continue
            c = vertex.couplings(params)
            m2 = _helicity_sum(vertex.lorentz, x, legs, c, big_m, {rest[0]: ma, rest[1]: mb}, model)
            lam = (big_m * big_m - (ma + mb) ** 2) * (big_m * big_m - (ma - mb) ** 2)
            momentum = sqrt(lam) / (2.0 * big_m)
            colour = _colour_sum(vertex, model)
            if colour is None:  # ff: colour sums belong to four-point vertices only
                continue
            colour /= {1: 1, 3: 3, 8: 8}[part.colour]
            symmetry = 0.5 if products[0] == products[1] else 1.0
            spin = {1: 1.0, 2: 2.0, 3: 3.0}[part.spin]
            gamma = symmetry * colour / spin * m2 * momentum / (8.0 * math.pi * big_m * big_m)
            key = tuple(sorted((model.name_of(q) for q in products)))
            out[key] = out.get(key, 0.0) + gamma
    return out


def _helicity_sum(kind, x, legs, c, big_m, masses, model):
    """sum over all helicities of |M|^2 for the decay of leg ``x`` (see the module docstring)."""
    rest = [i for i in range(3) if i != x]
    m = {x: big_m, **masses}
    # the invariants, all positive: product.product and product.P with P the decaying momentum
    m1, m2 = m[rest[0]], m[rest[1]]
    p1p2 = (big_m * big_m - m1 * m1 - m2 * m2) / 2.0  # product . product
    pp = {frozenset(rest): p1p2}
    for i, mi, mj in ((rest[0], m1, m2), (rest[1], m2, m1)):
        pp[frozenset((i, x))] = (big_m * big_m + mi * mi - mj * mj) / 2.0  # product . P

    def dot(i, j):
        return pp[frozenset((i, j))]

    if kind in ("FFV", "FFS"):
        a = _abs2(c[0]) + _abs2(c[1])
        r = re(c[0] * complexconjugate(c[1]))
        f1, f2 = 0, 1  # the fermion legs; leg 2 the boson
        sign = 1.0 if 2 == x else -1.0  # both fermions outgoing, or one crossed in
        q1q2 = dot(f1, f2)
        mf1, mf2 = m[f1], m[f2]
        if kind == "FFS":
            return 2.0 * a * q1q2 - sign * 4.0 * mf1 * mf2 * r
        mv = m[2]
        total = 2.0 * a * q1q2 + 12.0 * mf1 * mf2 * r
        if _value(mv) > 0:
            total = total + 4.0 * a * dot(2, f1) * dot(2, f2) / (mv * mv)
        return total
    if kind == "VVS":
        v1, v2 = 0, 1
        if _value(m[v1]) <= 0 or _value(m[v2]) <= 0:
            # c g^{mu nu} with a massless vector is not gauge invariant: no physical width
            raise ValueError(f"a VVS vertex ({' '.join(map(str, legs))}) with a massless vector has no gauge-invariant "
                             "width")
        k1k2 = dot(v1, v2)
        return _abs2(c[0]) * (2.0 + k1k2 * k1k2 / (m[v1] * m[v1] * m[v2] * m[v2]))
    if kind == "VVS_EFF":
        k1k2 = dot(0, 1)
        return _abs2(c[0]) * (2.0 * k1k2 * k1k2 + m[0] * m[0] * m[1] * m[1])
    if kind == "VVV":
        return _abs2(c[0]) * _yang_mills_sum(x, rest, big_m, m)
    if kind == "SSS":
        return _abs2(c[0])
    raise ValueError(f"a {kind} vertex ({' '.join(map(str, legs))}) has four legs: no two-body decay")


_METRIC = (1.0, -1.0, -1.0, -1.0)


def _yang_mills_sum(x, rest, big_m, m):
    """sum over polarisations of |V^{abc} e_a e_b e_c|^2 for the Yang-Mills vertex
    V^{abc} = g^{ab} (k1 - k2)^c + g^{bc} (k2 - k3)^a + g^{ca} (k3 - k1)^b (all momenta
    outgoing, legs in the vertex's order), contracted with the polarisation sums
    P_ab(k) = -g_ab + k_a k_b / m^2 (-g_ab for a massless leg), in the decaying leg's rest
    frame with the products along +-z; runs on dual numbers."""
    ma, mb = m[rest[0]], m[rest[1]]
    e_a = (big_m * big_m + ma * ma - mb * mb) / (2.0 * big_m)
    e_b = (big_m * big_m + mb * mb - ma * ma) / (2.0 * big_m)
    q = sqrt((big_m * big_m - (ma + mb) ** 2) * (big_m * big_m - (ma - mb) ** 2)) / (2.0 * big_m)
    k = {x: (-big_m, 0.0, 0.0, 0.0), rest[0]: (e_a, 0.0, 0.0, q), rest[1]: (e_b, 0.0, 0.0, -q)}

    def vertex(a, b, c):  # upper indices
        out = 0.0
        for (i, j, l, u, v) in ((a, b, c, 0, 1), (b, c, a, 1, 2), (c, a, b, 2, 0)):
            if i == j:
                out = out + _METRIC[i] * (k[u][l] - k[v][l])
        return out

    def polarisation_sum(leg):  # lower indices
        mass = m[leg]
        kl = [_METRIC[i] * k[leg][i] for i in range(4)]
        return [[(-_METRIC[i] if i == j else 0.0) + (kl[i] * kl[j] / (mass * mass) if _value(mass) > 0 else 0.0)
                 for j in range(4)] for i in range(4)]

    p0, p1, p2 = (polarisation_sum(leg) for leg in range(3))
    v = {(a, b, c): vertex(a, b, c) for a in range(4) for b in range(4) for c in range(4)}
    total = 0.0
    for (a, b, c), vabc in v.items():
        if _value(vabc) == 0:
            continue
        for (a2, b2, c2), v2 in v.items():
            w = p0[a][a2]
            if _value(v2) == 0 or _value(w) == 0:
                continue
            w = w * p1[b][b2]
            if _value(w) == 0:
                continue
            total = total + vabc * v2 * w * p2[c][c2]
    return total


def total_width(model, particle, params: dict):
    """The sum of :func:`partial_widths` (GeV), a float or a dual number."""
    total = 0.0
    for gamma in partial_widths(model, particle, params).values():
        total = total + gamma
    return total
