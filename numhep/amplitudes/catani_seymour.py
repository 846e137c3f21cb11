"""Catani-Seymour final-state dipoles on the caller's arrays (Catani & Seymour, arXiv:hep-ph/9605323;
as used by Maitre & Truong, arXiv:2107.06625, Sec. 2).

    table, gluon_pairs = relevant_dipoles([2, -2, 21, 21, 21])   # Maitre & Truong, arXiv:2107.06625, Sec. 2.4.2
    y, z, d = dipoles(p, table)              # y_ij,k (Eq. 2.3), z_i, D_ij,k = <V_ij,k>/s_ij (Eq. 2.2)
    sc = splitting_azimuths(p, gluon_pairs)  # (sin 2phi_ij, cos 2phi_ij), App. A and Eq. 2.4
    s = dipole_sum(p, "e+ e- > u u~ g g")    # sum of colour-correlated dipoles x Born

``p`` holds the final-state partons' momenta (n, m, 4) for :func:`dipoles` and
:func:`splitting_azimuths` (torch tensors go to :mod:`numhep.torch`, whose results autograd
differentiates through :mod:`numhep.adjoint.catani_seymour`), and every leg of the real
process for :func:`dipole_sum`.  :func:`reduced_momenta` is the Catani-Seymour map to the
Born phase space and :func:`emission_momenta` its inverse, which builds a real-emission
point at chosen (y, z, phi) from a Born point: soft and collinear limits are reached by
sending y -> 0 (collinear) or y, 1 - z -> 0 together (soft).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from numhep import arrays as ab
from numhep import ops
from numhep.adjoint import catani_seymour as _adjoint  # noqa: F401  (attaches .vjp)
from numhep.amplitudes.compiler import ProcessSyntaxError
from numhep.amplitudes.lookup import resolve
from numhep.kernels import catani_seymour as _cs
from numhep.phasespace.kinematics import minkowski_dot as _mdot

__all__ = [
    "dipole_sum",
    "dipoles",
    "emission_momenta",
    "reduced_momenta",
    "relevant_dipoles",
    "splitting_azimuths",
]

GLUON = 21

#: alpha_s of the emulator study of Maitre & Truong, arXiv:2107.06625 (and MadGraph's sm default)
ALPHA_S = 0.118


def _is_quark(pdg: int) -> bool:
    return 1 <= abs(pdg) <= 6


def _check_partons(partons):
    partons = [int(x) for x in partons]
    bad = [x for x in partons if not (_is_quark(x) or x == GLUON)]
    if bad:
        raise ValueError(f"relevant_dipoles: partons must be quarks (1..6, signed) or gluons (21), got {bad}")
    return partons


def relevant_dipoles(partons):
    """The dipoles of Maitre & Truong, arXiv:2107.06625, Sec. 2.4.2 for final-state partons with PDG codes ``partons``.

    The emitted parton j is a gluon (soft quarks give no singularity here); i and k run over
    every other parton; of (i, j) and (j, i) with both gluons only i < j is kept, as
    D_ij,k = D_ji,k.  For q q~ + 1, 2, 3 gluons this gives the 2, 10 and 27 rows of
    Maitre & Truong, arXiv:2107.06625, Table 1.

    Parameters
    ----------
    partons : sequence of int
        PDG codes of the final-state partons: quarks (1..6, signed) or gluons (21).

    Returns
    -------
    table : ndarray of int64
        Shape (r, 4): rows (i, j, k, kind), indices into ``partons`` and the splitting kind
        (q -> q g or g -> g g), what :func:`dipoles` takes.
    gluon_pairs : ndarray of int64
        Shape (q, 2): every pair of gluons (the phi terms of Eq. 2.4), what
        :func:`splitting_azimuths` takes.

    Raises
    ------
    ValueError
        If a code is neither a quark nor a gluon.

    Examples
    --------
    >>> table, pairs = numhep.catani_seymour.relevant_dipoles([2, -2, 21])
    >>> table.tolist(), pairs.shape
    ([[0, 2, 1, 0], [1, 2, 0, 0]], (0, 2))
    >>> table, pairs = numhep.catani_seymour.relevant_dipoles([2, -2, 21, 21, 21])
    >>> table.shape, pairs.tolist()
    ((27, 4), [[2, 3], [2, 4], [3, 4]])
    """
    partons = _check_partons(partons)
    m = len(partons)
    rows = []
    for i in range(m):
        for j in range(m):
            if j == i or partons[j] != GLUON:
                continue
            if partons[i] == GLUON and i > j:
                continue
            kind = _cs.G_TO_GG if partons[i] == GLUON else _cs.Q_TO_QG
            rows.extend((i, j, k, kind) for k in range(m) if k not in (i, j))
    gluons = [a for a in range(m) if partons[a] == GLUON]
    pairs = [(a, b) for ia, a in enumerate(gluons) for b in gluons[ia + 1:]]
    return np.array(rows, dtype=np.int64).reshape(-1, 4), np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _table(table, m):
    t = np.ascontiguousarray(np.asarray(table, dtype=np.int64))
    if t.ndim != 2 or t.shape[1] != 4:
        raise ValueError(f"table: expected rows (i, j, k, kind) of shape (r, 4), got {t.shape}")
    if t.size and (t[:, :3].min() < 0 or t[:, :3].max() >= m):
        raise ValueError(f"table: parton indices must lie in [0, {m}), the momenta hold {m} partons")
    if t.size and ((t[:, 0] == t[:, 1]) | (t[:, 0] == t[:, 2]) | (t[:, 1] == t[:, 2])).any():
        raise ValueError("table: i, j and k of a dipole must be three different partons")
    if t.size and not np.isin(t[:, 3], (_cs.Q_TO_QG, _cs.G_TO_GG, _cs.G_TO_QQ)).all():
        raise ValueError("table: kind must be 0 (q -> q g), 1 (g -> g g) or 2 (g -> q q~)")
    return t


def _pairs(pairs, m):
    q = np.ascontiguousarray(np.asarray(pairs, dtype=np.int64))
    if q.ndim != 2 or q.shape[1] != 2:
        raise ValueError(f"pairs: expected shape (q, 2), got {q.shape}")
    if q.size and (q.min() < 0 or q.max() >= m or (q[:, 0] == q[:, 1]).any()):
        raise ValueError(f"pairs: two different parton indices in [0, {m}) per row")
    return q


def _partons(p, xp):
    p = ab.momenta(p, "p", xp)
    if p.ndim != 3:
        raise ValueError(f"p: expected parton momenta of shape (n, partons, 4), got {tuple(p.shape)}")
    return p


def _dipoles(xp, p, table, alpha_s: float = ALPHA_S):
    """Spin-averaged Catani-Seymour final-state dipoles of massless partons.

    For emitter i, emitted parton j and spectator k, with a = p_i.p_j, b = p_i.p_k and
    c = p_j.p_k: the recoil y_ij,k = a / (a + b + c), the momentum fraction
    z_i = b / (b + c), and D_ij,k = <V_ij,k> / s_ij with s_ij = 2a (Maitre & Truong,
    arXiv:2107.06625, Eqs. 2.2-2.3), where <V> is the four-dimensional spin-averaged
    splitting function of Catani & Seymour (arXiv:hep-ph/9605323, Eqs. 5.7-5.9):
    8 pi alpha_s C_F [2/(1 - z_i (1 - y)) - (1 + z_i)] for q -> q g,
    16 pi alpha_s C_A [1/(1 - z_i (1 - y)) + 1/(1 - z_j (1 - y)) - 2 + z_i z_j] for g -> g g
    and 8 pi alpha_s T_R [1 - 2 z_i z_j] for g -> q q~.  Colour correlations are not part of
    D.  Differentiable in the parton momenta.

    Parameters
    ----------
    p : array of float64, shape ``(n, m, 4)``
        Momenta of the m final-state partons in GeV.
    table : array_like of int, shape ``(r, 4)``
        Rows (i, j, k, kind): parton indices into ``p`` (three different ones) and the
        splitting kind, 0 (q -> q g), 1 (g -> g g) or 2 (g -> q q~); as
        :func:`relevant_dipoles` builds it.
    alpha_s : float, optional
        The strong coupling (default 0.118).

    Returns
    -------
    y : array of float64, shape ``(n, r)``
        The recoil variables y_ij,k.
    z : array of float64, shape ``(n, r)``
        The momentum fractions z_i.
    d : array of float64, shape ``(n, r)``
        The dipoles D_ij,k in GeV^-2.

    Raises
    ------
    ValueError
        If ``p`` is not of shape (n, m, 4) or not finite, or ``table`` is not of shape
        (r, 4) with valid indices and kinds.

    Examples
    --------
    >>> from numhep.amplitudes.catani_seymour import dipoles, relevant_dipoles
    >>> table, gluon_pairs = relevant_dipoles([2, -2, 21])
    >>> table.tolist()
    [[0, 2, 1, 0], [1, 2, 0, 0]]
    >>> u = np.random.default_rng(0).random((2, 5))
    >>> p, _ = numhep.rambo_on_diet(u, 100.0, [0.0, 0.0, 0.0])
    >>> y, z, d = dipoles(p, table)
    >>> y.shape, y[0].round(6)
    ((2, 2), array([0.44491 , 0.397473]))
    >>> (g_p,) = dipoles.vjp(p, table, 0.0, 0.0, 1.0)
    >>> g_p.shape
    (2, 3, 4)
    """
    p = _partons(p, xp)
    return (p, xp.asarray(_table(table, p.shape[1])), xp.full(1, float(alpha_s))), {"p": 0}


def _dipole_shapes(a):
    shape = (a[0].shape[0], a[1].shape[0])
    return ((shape, np.float64),) * 3


dipoles = ops.kernel_op(_cs.catani_seymour_dipoles, signature=_dipoles, outputs=("y", "z", "d"),
                        shapes=_dipole_shapes, differentiable=("p",))


def _splitting_azimuths(xp, p, pairs):
    """The azimuths of gluon splittings, as (sin 2 phi, cos 2 phi) per pair of partons.

    The angle phi_ab of Maitre & Truong, arXiv:2107.06625, App. A (Eqs. A.1-A.5), which the
    spin-correlation terms of their Eq. 2.4 depend on through sin 2 phi and cos 2 phi.  With
    P = p_a + p_b (three-vectors) and r_a, r_z the projections of p_a and of the z axis on
    the plane normal to P, X = r_a . r_z and Y = P^ . (r_a x r_z):
    cos 2 phi = (X^2 - Y^2) / (X^2 + Y^2) and sin 2 phi = 2 X Y / (X^2 + Y^2).
    Differentiable in the parton momenta.

    Parameters
    ----------
    p : array of float64, shape ``(n, m, 4)``
        Momenta of the m final-state partons in GeV.
    pairs : array_like of int, shape ``(q, 2)``
        Two different parton indices per row, as :func:`relevant_dipoles` returns the
        gluon pairs.

    Returns
    -------
    array of float64, shape (n, q, 2)
        (sin 2 phi_ab, cos 2 phi_ab) for each event and pair.

    Raises
    ------
    ValueError
        If ``p`` is not of shape (n, m, 4) or not finite, or ``pairs`` is not of shape
        (q, 2) with two different indices in [0, m).

    Examples
    --------
    >>> from numhep.amplitudes.catani_seymour import relevant_dipoles, splitting_azimuths
    >>> _, gluon_pairs = relevant_dipoles([2, -2, 21, 21])
    >>> gluon_pairs.tolist()
    [[2, 3]]
    >>> u = np.random.default_rng(0).random((2, 8))
    >>> p, _ = numhep.rambo_on_diet(u, 100.0, [0.0, 0.0, 0.0, 0.0])
    >>> sc = splitting_azimuths(p, gluon_pairs)
    >>> sc.shape, np.allclose((sc ** 2).sum(axis=-1), 1.0)
    ((2, 1, 2), True)
    """
    p = _partons(p, xp)
    return (p, xp.asarray(_pairs(pairs, p.shape[1]))), {"p": 0}


splitting_azimuths = ops.kernel_op(_cs.splitting_azimuth, signature=_splitting_azimuths, outputs=("azimuth",),
                                   shapes=lambda a: (((a[0].shape[0], a[1].shape[0], 2), np.float64),),
                                   differentiable=("p",), result=None)


def reduced_momenta(p, i: int, j: int, k: int):
    """The Born momenta of the final-state dipole (ij, k): the Catani-Seymour map.

    ``p~_k = p_k/(1 - y)``, ``p~_ij = p_i + p_j - y/(1 - y) p_k`` with ``y = y_ij,k``
    (Catani & Seymour, arXiv:hep-ph/9605323, Eq. 5.3); p~_ij takes leg i's place and leg j
    is removed.  Momentum conservation and the mass shells (massless partons) are kept.

    Parameters
    ----------
    p : array_like
        Shape (n, legs, 4): momenta in GeV, energy first, of every leg.
    i, j, k : int
        The emitter, the emitted parton and the spectator, indices counting every leg of
        ``p``.

    Returns
    -------
    ndarray
        Shape (n, legs - 1, 4): the Born momenta, float64.

    Examples
    --------
    >>> p, _ = numhep.rambo(2, 1000.0, [0.0] * 5, seed=1)
    >>> born = numhep.catani_seymour.reduced_momenta(p, 2, 4, 3)
    >>> born.shape, bool(np.allclose(born[:, :2].sum(axis=1), born[:, 2:].sum(axis=1)))
    ((2, 4, 4), True)
    """
    p = np.asarray(p, dtype=np.float64)
    a, b, c = _mdot(p[:, i], p[:, j]), _mdot(p[:, i], p[:, k]), _mdot(p[:, j], p[:, k])
    y = (a / (a + b + c))[:, None]
    out = p.copy()
    out[:, k] = p[:, k] / (1.0 - y)
    out[:, i] = p[:, i] + p[:, j] - y / (1.0 - y) * p[:, k]
    return np.delete(out, j, axis=1)


def _transverse_basis(a, b):
    """Two space-like unit vectors (n, 4) orthogonal to the light-like a and b."""
    ab_dot = _mdot(a, b)[:, None]
    cands = []
    for axis in (1, 2, 3):
        v = np.zeros_like(a)
        v[:, axis] = 1.0
        cands.append(v - (_mdot(v, b)[:, None] / ab_dot) * a - (_mdot(v, a)[:, None] / ab_dot) * b)
    norms = np.stack([-_mdot(v, v) for v in cands], axis=1)  # >= 0
    order = np.argsort(-norms, axis=1)
    pick = lambda r: np.take_along_axis(np.stack(cands, axis=1), order[:, r, None, None], axis=1)[:, 0]
    e1 = pick(0)
    e1 = e1 / np.sqrt(-_mdot(e1, e1))[:, None]
    e2 = pick(1)
    e2 = e2 + _mdot(e2, e1)[:, None] * e1
    e2 = e2 / np.sqrt(-_mdot(e2, e2))[:, None]
    return e1, e2


def emission_momenta(p_born, ij: int, k: int, y, z, phi, emitted_at: int | None = None):
    """A real-emission point from a Born point at chosen (y, z, phi): the inverse of :func:`reduced_momenta`.

    With ``Q^2 = 2 p~_ij.p~_k`` and ``k_T^2 = z(1 - z) y Q^2`` (Catani & Seymour,
    arXiv:hep-ph/9605323, Sec. 5.1)::

        p_i = z p~_ij + (1 - z) y p~_k + k_T,   p_j = (1 - z) p~_ij + z y p~_k - k_T,
        p_k = (1 - y) p~_k,

    k_T space-like, orthogonal to p~_ij and p~_k, at azimuth ``phi`` in a fixed transverse
    basis; then y_ij,k = y and z_i = z exactly, and every other momentum is unchanged.
    Soft and collinear limits are reached by sending y -> 0 (collinear) or y, 1 - z -> 0
    together (soft).

    Parameters
    ----------
    p_born : array_like
        Shape (n, legs, 4): the Born momenta in GeV, energy first, massless partons.
    ij : int
        The emitter's leg; p_i takes its place.
    k : int
        The spectator's leg.
    y, z, phi : float or array_like
        The recoil variable y_ij,k in (0, 1), the momentum fraction z_i in (0, 1) and the
        azimuth in radians, scalars or (n,) each.
    emitted_at : int, optional
        Where p_j is inserted among the legs (default: last).

    Returns
    -------
    ndarray
        Shape (n, legs + 1, 4): the real-emission momenta, float64.

    Examples
    --------
    >>> cs = numhep.catani_seymour
    >>> born, _ = numhep.rambo(3, 1000.0, [0.0] * 4, seed=2)
    >>> real = cs.emission_momenta(born, 2, 3, y=1e-6, z=0.3, phi=0.0)
    >>> real.shape, bool(np.allclose(cs.reduced_momenta(real, 2, 4, 3), born))
    ((3, 5, 4), True)
    """
    p_born = np.asarray(p_born, dtype=np.float64)
    n = p_born.shape[0]
    y, z, phi = (np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))[:, None] for v in (y, z, phi))
    a, b = p_born[:, ij], p_born[:, k]
    q2 = 2.0 * _mdot(a, b)[:, None]
    e1, e2 = _transverse_basis(a, b)
    kt = np.sqrt(z * (1.0 - z) * y * q2) * (np.cos(phi) * e1 + np.sin(phi) * e2)
    out = p_born.copy()
    out[:, ij] = z * a + (1.0 - z) * y * b + kt
    out[:, k] = (1.0 - y) * b
    pj = (1.0 - z) * a + z * y * b - kt
    at = p_born.shape[1] if emitted_at is None else emitted_at
    return np.insert(out, at, pj, axis=1)


# ---- the dipole sum -------------------------------------------------------------------------

def _identical_factor(legs, n_incoming=2):
    """MadGraph's final-state symmetry factor 1/prod(n_f!) for the final legs."""
    return 1.0 / math.prod(math.factorial(c) for c in Counter(legs[n_incoming:]).values())


def _process_text(model, incoming, outgoing):
    names = lambda pdgs: " ".join(model.name_of(x) for x in pdgs)
    return f"{names(incoming)} > {names(outgoing)}"


def _resolved(p, partons, y_cut):
    """Whether every pair of the given legs has 2 p_a.p_b >= y_cut Q^2 (Q the final state's total)."""
    if y_cut <= 0:
        return np.ones(p.shape[0], dtype=bool)
    q = p[:, 2:].sum(axis=1)
    q2 = _mdot(q, q)
    ok = np.ones(p.shape[0], dtype=bool)
    for ia, a in enumerate(partons):
        for b in partons[ia + 1:]:
            ok &= 2.0 * _mdot(p[:, a], p[:, b]) >= y_cut * q2
    return ok


def dipole_sum(p, process, alpha_s: float | None = None, params=None, born_y_cut: float = 0.0):
    """The sum of the colour-correlated final-state Catani-Seymour dipoles of a real-emission process.

    The sum over singular pairs {i, j} and spectators k (Catani & Seymour,
    arXiv:hep-ph/9605323, Eq. 5.2)::

        D_ij,k = -1/s_ij <M_n(p~)| T_k.T_ij / T_ij^2 <V_ij,k> |M_n(p~)>

    with the spin-averaged ``<V>`` of :mod:`numhep.kernels.catani_seymour`, p~ from
    :func:`reduced_momenta` and the Born's colour correlations from
    :meth:`numhep.amplitudes.CompiledProcess.colour_correlation`.  Pairs are q g (i the
    quark), g g and q q~ of one flavour; a pair whose Born has no tree diagram is skipped.
    The identical-particle factors of the real process and of the Born are those MadGraph
    puts in ``|M|^2``, so the sum tends to numhep's ``|M_{n+1}|^2`` in every soft and
    collinear limit (after averaging the azimuth of g -> g g splittings, whose spin
    correlations the spin average drops).  Final-state emitters and spectators only.

    A dipole whose Born point is itself unresolved (another pair of partons soft or
    collinear) is as singular as ``|M_{n+1}|^2`` there, so the sum tends to ``|M_{n+1}|^2``
    only with a jet function on the Born, as in a subtraction: ``born_y_cut`` > 0 keeps a
    dipole only where every pair of its Born's coloured partons has
    ``2 p~_a.p~_b >= born_y_cut Q^2``.

    Parameters
    ----------
    p : array_like
        Shape (n, legs, 4): momenta in GeV, energy first, of every leg of ``process``.
    process : str or Process
        The real-emission process with colourless incoming legs, e.g.
        ``"e+ e- > u u~ g g"``, as :func:`numhep.process` takes it.
    alpha_s : float, optional
        The strong coupling of the dipoles (default: the model's aS under ``params``).
    params : dict, optional
        Model inputs overriding the model's values.
    born_y_cut : float, optional
        The Born jet function's cut (default 0: every dipole kept).

    Returns
    -------
    ndarray
        Shape (n,): the dipole sum, in the units of ``|M_{n+1}|^2``.

    Raises
    ------
    ValueError
        If the process has coloured incoming legs, or ``p`` is not of shape (n, legs, 4).

    Examples
    --------
    Towards the collinear limit of the gluon and the u quark the sum tends to ``|M|^2``:

    >>> cs = numhep.catani_seymour
    >>> born, _ = numhep.rambo(1, 1000.0, [0.0] * 4, seed=2)
    >>> real = cs.emission_momenta(np.repeat(born, 3, axis=0), 2, 3, y=[1e-3, 1e-5, 1e-7], z=0.3, phi=0.0)
    >>> ratio = cs.dipole_sum(real, "e+ e- > u u~ g") / numhep.me(real, "e+ e- > u u~ g", check=False)
    >>> np.round(ratio, 4).tolist()
    [1.001, 1.0001, 1.0]
    """
    real = resolve(process)
    model = real.model
    legs = list(real.legs)
    colour = [model.particle(x).colour for x in legs]
    if any(c != 1 for c in colour[:2]):
        raise ValueError(f"dipole_sum: {real.name!r} has coloured incoming legs; only final-state dipoles exist here")
    p = ab.momenta(p, "p")
    if p.ndim != 3 or p.shape[1] != len(legs):
        raise ValueError(f"p: expected shape (n, {len(legs)}, 4) for {real.name!r}, got {p.shape}")
    if alpha_s is None:
        alpha_s = real.parameter_values(params)["aS"]
    coloured = [a for a in range(2, len(legs)) if colour[a] != 1]
    total = np.zeros(p.shape[0])
    for ia, a in enumerate(coloured):
        for b in coloured[ia + 1:]:
            fa, fb = legs[a], legs[b]
            if fa == GLUON and fb == GLUON:
                i, j, kind, parent = a, b, _cs.G_TO_GG, GLUON
            elif fb == GLUON and _is_quark(fa):
                i, j, kind, parent = a, b, _cs.Q_TO_QG, fa
            elif fa == GLUON and _is_quark(fb):
                i, j, kind, parent = b, a, _cs.Q_TO_QG, fb
            elif _is_quark(fa) and fa == -fb:
                i, j, kind, parent = a, b, _cs.G_TO_QQ, GLUON
            else:
                continue
            born_legs = list(legs)
            born_legs[i] = parent
            del born_legs[j]
            try:
                born = resolve(_process_text(model, legs[:2], born_legs[2:]), model)
            except ProcessSyntaxError:
                continue  # no Born, no singularity of this pair
            shift = lambda x: x - (x > j)
            casimir = _cs.C_A if parent == GLUON else _cs.C_F
            sym = _identical_factor(legs) / _identical_factor(born_legs)
            for k in coloured:
                if k in (i, j):
                    continue
                pt = reduced_momenta(p, i, j, k)
                keep = _resolved(pt, [shift(x) for x in coloured if x != j], born_y_cut)
                if not keep.any():
                    continue
                cc = born.colour_correlation(pt[keep], shift(k), shift(i), params)
                _, _, d = dipoles(p[keep], [(i, j, k, kind)], alpha_s)
                total[keep] -= d[:, 0] / casimir * cc * sym
    return total
