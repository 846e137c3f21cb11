"""Generator-level cuts with MadGraph's run-card names.

    Cuts({"ptj": 20, "etaj": 5, "drjj": 0.4, "mmll": 60, "mmllmax": 120})
    Cuts({"ycut": 0.001})           # e+ e- jets: Durham y_ij = 2 min(E_i, E_j)^2 (1 - cos th_ij)/s

Jets are gluons and light quarks (|PDG| <= 4), leptons the charged leptons, photons
PDG 22.  Names: ``ptj ptl pta`` (minimum pT, GeV), ``etaj etal etaa`` (maximum |eta|),
``drjj drll drjl`` (minimum Delta R), ``mmjj mmll`` / ``mmjjmax mmllmax`` (invariant-mass
window of every pair of that kind), ``ycut`` (minimum Durham y_ij of every pair of jets,
with s the squared total energy of the final state).  Cuts act on lab-frame momenta;
they are step functions, so they have no adjoint: gradients are those of the integrand
where it is not cut away.

Phase-space maps start their invariants where the cuts allow the first events
(:meth:`Cuts.pair_minima`, :func:`cluster_minimum`), as MadEvent does: a channel whose
massless propagator 1/s_ij is mapped from s_ij = 0 would put most of its points below a
y_cut or an m_jj cut and waste them.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Cuts", "bound_slopes", "cluster_minimum", "particle_class"]

_KNOWN = {
    "ptj", "ptl", "pta", "etaj", "etal", "etaa", "drjj", "drll", "drjl",
    "mmjj", "mmll", "mmjjmax", "mmllmax", "ycut",
}


def particle_class(pdg: int) -> str:
    """The class of a particle that the cuts act on.

    Parameters
    ----------
    pdg : int
        PDG code.

    Returns
    -------
    str
        ``'j'`` (gluon, light quark: ``|PDG|`` <= 4), ``'l'`` (charged lepton), ``'a'``
        (photon) or ``''`` (anything else, which no cut touches).

    Examples
    --------
    >>> from numhep.phasespace.cuts import particle_class
    >>> [particle_class(p) for p in (21, -2, 11, 22, 6)]
    ['j', 'j', 'l', 'a', '']
    """
    a = abs(int(pdg))
    if a == 21 or 1 <= a <= 4:
        return "j"
    if a in (11, 13, 15):
        return "l"
    if a == 22:
        return "a"
    return ""


def cluster_minimum(pair_min, masses, members) -> float:
    """A lower bound on the invariant mass squared of a cluster of final-state particles.

    s_S = (sum_{i in S} p_i)^2 = sum_i m_i^2 + sum_{i<j} (s_ij - m_i^2 - m_j^2), each s_ij
    at least ``pair_min[i, j]``; the bound is never below (sum_i m_i)^2.

    Parameters
    ----------
    pair_min : array of float64, shape ``(k, k)``
        Lower bounds on the pair invariants s_ij in GeV^2 (:meth:`Cuts.pair_minima`).
    masses : sequence of float, length ``k``
        Final-state masses in GeV.
    members : iterable of int
        Indices of the cluster's particles.

    Returns
    -------
    float
        The lower bound on s_S in GeV^2.

    Examples
    --------
    >>> from numhep.phasespace.cuts import cluster_minimum
    >>> float(cluster_minimum(np.full((3, 3), 100.0), [0.0, 0.0, 0.0], [0, 1, 2]))
    300.0
    """
    idx = sorted(members)
    m = np.asarray(masses, dtype=np.float64)
    lo = float(sum(m[i] for i in idx)) ** 2
    bound = float(sum(m[i] ** 2 for i in idx))
    for a, i in enumerate(idx):
        for j in idx[a + 1 :]:
            bound += pair_min[i, j] - m[i] ** 2 - m[j] ** 2
    return max(lo, bound)


def bound_slopes(bound, masses) -> np.ndarray:
    """The derivatives of a phase-space bound with respect to each mass.

    The bound is computed from the masses (a threshold, a cluster minimum).  Such bounds are
    piecewise quadratic in the masses (sums of masses and cut bounds, squared, under max),
    so a central difference is exact to rounding away from the kinks where two pieces meet;
    a mass at 0 takes a one-sided difference.

    Parameters
    ----------
    bound : callable
        ``bound(masses)``: the bound (GeV^2) as a function of an array of masses.
    masses : sequence of float
        The masses in GeV at which to differentiate.

    Returns
    -------
    numpy.ndarray of float64, shape (len(masses),)
        d bound / d m_l in GeV.

    Examples
    --------
    >>> from numhep.phasespace.cuts import bound_slopes
    >>> bound_slopes(lambda m: (m[0] + m[1]) ** 2, [1.0, 2.0]).round(9)
    array([6., 6.])
    """
    m = np.asarray(masses, dtype=np.float64)
    slopes = np.zeros(m.size)
    for l in range(m.size):
        h = 1e-4 * max(m[l], 1.0)
        up, down = m.copy(), m.copy()
        up[l] += h
        down[l] = max(m[l] - h, 0.0)
        slopes[l] = (bound(up) - bound(down)) / (up[l] - down[l])
    return slopes


class Cuts:
    """Generator-level cuts with MadGraph's run-card names.

    Jets are gluons and light quarks (``|PDG|`` <= 4), leptons the charged leptons, photons
    PDG 22.  The names: ``ptj ptl pta`` (minimum pT, GeV), ``etaj etal etaa`` (maximum
    ``|eta|``), ``drjj drll drjl`` (minimum Delta R), ``mmjj mmll`` and ``mmjjmax mmllmax``
    (invariant-mass window of every pair of that kind, GeV), ``ycut`` (minimum Durham
    y_ij = 2 min(E_i, E_j)^2 (1 - cos theta_ij) / s of every pair of jets, with s the
    squared total energy of the final state).  Cuts act on lab-frame momenta; they are step
    functions, so they have no adjoint.  Phase-space maps start their invariants where the
    cuts allow the first events (:meth:`pair_minima`), as MadEvent does.  A ``Cuts`` is
    false when it holds no cut.

    Parameters
    ----------
    cuts : dict, optional
        ``{name: value}`` with the names above and non-negative finite values (default: no
        cuts).

    Attributes
    ----------
    values : dict of str to float
        The cuts given.

    Raises
    ------
    KeyError
        If a name is not one of the known cuts.
    ValueError
        If a value is not a non-negative finite number.

    Examples
    --------
    >>> from numhep.phasespace import Cuts
    >>> cuts = Cuts({"ptj": 20.0, "etaj": 5.0, "drjj": 0.4})
    >>> p = np.array([[[50.0, 30.0, 0.0, 40.0], [50.0, -30.0, 0.0, -40.0]],
    ...               [[50.0, 14.0, 0.0, 48.0], [50.0, -14.0, 0.0, -48.0]]])
    >>> cuts.passes(p, [21, 21]).tolist()
    [True, False]
    >>> bool(Cuts())
    False
    """

    def __init__(self, cuts: dict | None = None):
        cuts = dict(cuts or {})
        unknown = set(cuts) - _KNOWN
        if unknown:
            raise KeyError(f"cuts: unknown cut(s) {sorted(unknown)}; known: {' '.join(sorted(_KNOWN))}")
        for key, val in cuts.items():
            if not (isinstance(val, (int, float)) and math.isfinite(val) and val >= 0):
                raise ValueError(f"cuts: {key} must be a non-negative number, got {val!r}")
        self.values = {k: float(v) for k, v in cuts.items()}

    def __bool__(self):
        return bool(self.values)

    def __repr__(self):
        return f"Cuts({self.values})"

    def s_hat_range(self, final_pdgs, final_masses) -> tuple[float, float]:
        """Bounds on the partonic s implied by the masses and the cuts.

        Exact for a lone pair of jets or leptons (whose invariant-mass window it is); a pT cut
        on any final particle gives s_hat >= (2 pT_min)^2, since sqrt(s_hat) >= sum_i pT_i >=
        2 max_i pT_i.

        Parameters
        ----------
        final_pdgs : sequence of int
            PDG codes of the final state.
        final_masses : sequence of float
            Their masses in GeV.

        Returns
        -------
        lo, hi : float
            Lower and upper bound on s_hat in GeV^2 (``hi`` is inf without an upper cut).
        """
        lo = cluster_minimum(self.pair_minima(final_pdgs, final_masses), final_masses, range(len(final_pdgs)))
        hi = math.inf
        classes = [particle_class(p) for p in final_pdgs]
        # sqrt(s_hat) >= sum_i E_i >= sum_i pT_i >= 2 max_i pT_i (the transverse momenta balance),
        # so a pT cut on any final particle bounds s_hat: W production with a lepton pT cut
        pt_cuts = [self.values.get(f"pt{c}", 0.0) for c in set(classes) if c]
        lo = max(lo, (2.0 * max(pt_cuts, default=0.0)) ** 2)
        if len(classes) == 2 and classes[0] == classes[1] and classes[0] in ("j", "l"):
            kind = classes[0]
            hi = self.values.get(f"mm{kind}{kind}max", math.inf) ** 2
        return lo, hi

    def pair_minima(self, final_pdgs, final_masses, s_total: float = 0.0) -> np.ndarray:
        """Lower bounds on s_ij = (p_i + p_j)^2 that every event passing the cuts obeys.

        (m_i + m_j)^2 always; mm_jj^2 (mm_ll^2) for pairs of jets (leptons); for massless
        pairs with a Delta R cut, s_ij = 2 pT_i pT_j (cosh d_eta - cos d_phi) >=
        2 pT_i^min pT_j^min (1 - cos R), the minimum over Delta R >= R (R <= pi) lying at
        d_eta = 0; y_cut for massless jets: s_ij = 2 E_i E_j (1 - cos th) >= y_ij s >= y_cut s.

        Parameters
        ----------
        final_pdgs : sequence of int
            PDG codes of the k final-state particles.
        final_masses : sequence of float
            Their masses in GeV.
        s_total : float, optional
            The smallest total s of the final state in GeV^2, for ``ycut`` (0 when it is
            not fixed).

        Returns
        -------
        numpy.ndarray of float64, shape (k, k)
            The bounds in GeV^2 (symmetric; the diagonal is (2 m_i)^2 and unused).
        """
        m = np.asarray(final_masses, dtype=np.float64)
        k = len(m)
        out = (m[:, None] + m[None, :]) ** 2
        v = self.values
        classes = [particle_class(p) for p in final_pdgs]
        for a in range(k):
            for b in range(a + 1, k):
                ca, cb = classes[a], classes[b]
                if not ca or not cb:
                    continue
                pair = "".join(sorted((ca, cb), key="jla".index))
                bound = out[a, b]
                if pair in ("jj", "ll"):
                    bound = max(bound, v.get(f"mm{pair}", 0.0) ** 2)
                if m[a] == 0.0 and m[b] == 0.0:
                    r = v.get(f"dr{pair}", 0.0)
                    if 0.0 < r <= math.pi:
                        bound = max(bound, 2.0 * v.get(f"pt{ca}", 0.0) * v.get(f"pt{cb}", 0.0) * (1.0 - math.cos(r)))
                    if pair == "jj":
                        bound = max(bound, v.get("ycut", 0.0) * s_total)
                out[a, b] = out[b, a] = bound
        return out

    def passes(self, p, final_pdgs, xp=np):
        """Which events pass the cuts.

        Parameters
        ----------
        p : array of float64, shape ``(n, k, 4)``
            Final-state momenta in the lab frame, in GeV.
        final_pdgs : sequence of int
            PDG codes of the k final-state particles.
        xp : module, optional
            The array module of ``p`` (numpy, default, or cupy).

        Returns
        -------
        array of bool, shape (n,)
            True for the events that pass every cut.
        """
        n = p.shape[0]
        keep = xp.ones(n, dtype=bool)
        if not self.values:
            return keep
        v = self.values
        classes = [particle_class(q) for q in final_pdgs]
        pt = xp.sqrt(p[..., 1] ** 2 + p[..., 2] ** 2)
        pabs = xp.sqrt(pt**2 + p[..., 3] ** 2)
        with np.errstate(divide="ignore"):  # along the beam |eta| is infinite, and fails any eta cut
            eta = xp.arctanh(xp.clip(p[..., 3] / xp.maximum(pabs, 1e-300), -1.0, 1.0))
        phi = xp.arctan2(p[..., 2], p[..., 1])
        for k, c in enumerate(classes):
            if not c:
                continue
            if f"pt{c}" in v:
                keep &= pt[:, k] >= v[f"pt{c}"]
            if f"eta{c}" in v:
                keep &= xp.abs(eta[:, k]) <= v[f"eta{c}"]
        if "ycut" in v:
            total = p.sum(axis=1)
            s_tot = total[:, 0] ** 2 - (total[:, 1:] ** 2).sum(axis=1)
        for a in range(len(classes)):
            for b in range(a + 1, len(classes)):
                pair = "".join(sorted((classes[a], classes[b]), key="jla".index))
                if not classes[a] or not classes[b]:
                    continue
                if f"dr{pair}" in v:
                    dphi = xp.abs(phi[:, a] - phi[:, b])
                    dphi = xp.minimum(dphi, 2 * math.pi - dphi)
                    keep &= xp.sqrt((eta[:, a] - eta[:, b]) ** 2 + dphi**2) >= v[f"dr{pair}"]
                if pair in ("jj", "ll") and (f"mm{pair}" in v or f"mm{pair}max" in v):
                    q = p[:, a] + p[:, b]
                    m = xp.sqrt(xp.maximum(q[:, 0] ** 2 - (q[:, 1:] ** 2).sum(axis=1), 0.0))
                    keep &= (m >= v.get(f"mm{pair}", 0.0)) & (m <= v.get(f"mm{pair}max", math.inf))
                if pair == "jj" and "ycut" in v:
                    ea, eb = p[:, a, 0], p[:, b, 0]
                    cos = (p[:, a, 1:] * p[:, b, 1:]).sum(axis=1) / (pabs[:, a] * pabs[:, b])
                    y = 2 * xp.minimum(ea, eb) ** 2 * (1 - cos) / s_tot
                    keep &= y >= v["ycut"]
        return keep
