"""Paired (alpha, x_hard, x_reco) data sets of p p > t H j for the matrix-element method.

The data of Heimel, PhD thesis, Heidelberg 2024, Sec. 6.2, with numhep in place of MG5AMC:

1. **Hard process**: p p > t h j at 13 TeV in the model ``sm_cpv`` with a massless b (a
   five-flavour proton, MadGraph's no-b-mass restriction: the model ``sm_cpv_no_b_mass``),
   NNPDF3.1 LO, for each CP
   phase alpha, by :func:`numhep.generate` (unweighted, LHE + HDF5, resumable).  x_hard is
   the on-shell t, H and light quark (Eq. 6.7).
2. **Decays** in a second step, with the top's spin correlations: t > b W+ with W+ > mu+ vm
   (``"leptonic"``, Eq. 6.4) or W+ > u d~ (``"hadronic"``, Eq. 6.5), on-shell t and W (the
   narrow-width limit).  Decay angles are drawn flat and kept with probability
   ``|M_chain|^2 / (|M_prod|^2 r_max)``, where M_chain is numhep's amplitude of the decay chain
   ``<subprocess>, (t > b w+, w+ > mu+ vm)`` at the same alpha and M_prod the production
   amplitude: averaged over the angles the ratio is the same for every event (narrow width),
   so the kept angles follow the spin-correlated decay (the MadSpin method, Artoisenet,
   Frederix, Mattelaer & Rietkerk, arXiv:1212.3460).  H > a a is isotropic in the H rest frame
   (a scalar; its loop-induced rate is a branching ratio, not an amplitude).
3. **Reconstruction**: the partons as jets (or, with ``shower=True``, Pythia 8's final state
   through :func:`numhep.events.showering.shower` clustered by
   :func:`numhep.events.jets.anti_kt_jets`, R = 0.4) measured by the parametrised detector of
   :mod:`numhep.events.detector_smearing` and selected by the cuts of Table 6.1.

Everything goes to one HDF5 file, a group per alpha; a finished alpha is skipped when the
call is repeated (and :func:`numhep.generate` resumes an interrupted hard-process run), so an
interrupted build continues where it stopped and gives the same file.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from numhep.amplitudes.compiled_process import compile_process
from numhep.amplitudes.lookup import resolve_model
from numhep.amplitudes.matrix_element import me
from numhep.events.detector_smearing import DetectorResolution, select_thj, smear
from numhep.events.files import LHEWriter
from numhep.events.generation import generate
from numhep.events.jets import anti_kt_jets
from numhep.events.showering import shower as pythia_shower
from numhep.integration.integrands import Integrand
from numhep.phasespace.blocks import two_body_decay
from numhep.phasespace.kinematics import minkowski_dot, pseudorapidity

__all__ = ["ALPHAS_DEG", "THJDataset", "build_thj_dataset", "cp_odd_triple_product", "decay_thj", "fiducial_fit",
           "fiducial_basis", "hard_features", "load_thj_dataset", "reco_features", "thj_integrand", "visible_thj"]

#: the CP phases of the thesis's data sets, degrees (Sec. 6.2)
ALPHAS_DEG = (-180.0, -90.0, -45.0, 0.0, 22.5, 45.0, 90.0, 135.0, 180.0)
W_DECAYS = {"leptonic": ("w+ > mu+ vm", (-13, 14)), "hadronic": ("w+ > u d~", (2, -1))}
PROCESS = "p p > t h j"
#: final state after the decays: b, W products, a, a, light quark
_KINDS = {"leptonic": ("photon", "photon", "muon", "jet", "jet"),
          "hadronic": ("photon", "photon", "jet", "jet", "jet", "jet")}


def thj_integrand(alpha: float, *, sqrt_s: float = 13000.0, **options) -> Integrand:
    """The integrand of p p > t h j at the CP phase ``alpha`` (radians), five-flavour, massless b.

    Parameters
    ----------
    alpha : float
        The CP phase of the top Yukawa in radians (Heimel, PhD thesis, Heidelberg 2024, Eq. 6.2).
    sqrt_s : float, optional
        The collider energy in GeV (default 13000).
    **options
        Further options of :func:`numhep.integrand` (``pdf``, ``scale``, ``params``, ...).

    Returns
    -------
    Integrand
        The integrand (7 dimensions: luminosity and RAMBO on diet).

    Examples
    --------
    >>> from numhep.events.thj_dataset import thj_integrand
    >>> f = thj_integrand(0.0)
    >>> f.dim, len(f.group.subprocesses)
    (7, 12)
    """
    params = {**dict(options.pop("params", None) or {}), "alpha_cp": float(alpha)}
    return Integrand(PROCESS, sqrt_s, model="sm_cpv_no_b_mass", params=params, **options)


def _chain(sub, decay):
    text = f"{sub.process.name}, (t > b w+, {W_DECAYS[decay][0]})"
    return compile_process(text, model="sm_cpv_no_b_mass")


def _ordered(p, swapped):
    return p[:, [1, 0, *range(2, p.shape[1])]] if swapped else p


def decay_thj(momenta, subprocess, group, alpha: float, rng, *, decay: str = "leptonic", r_max=None,
              max_rounds: int = 1000):
    """Decay the t (spin-correlated) and the H (isotropic) of p p > t h j events.

    Parameters
    ----------
    momenta : array_like, shape ``(n, 5, 4)``
        Lab-frame momenta (in1, in2, t, h, j) of on-shell events in GeV.
    subprocess : array_like of int, shape ``(n,)``
        Each event's subprocess, an index into ``group.subprocesses``.
    group : ProcessGroup
        The process group of the events (``thj_integrand(alpha).group``).
    alpha : float
        The CP phase (radians) the spin correlations are computed at.
    rng : numpy.random.Generator
        The random stream.
    decay : str, optional
        ``"leptonic"`` (W+ > mu+ vm) or ``"hadronic"`` (W+ > u d~).
    r_max : float, optional
        The bound of ``|M_chain|^2/|M_prod|^2``; default: 1.5 times the largest of a pilot of 16
        angles for each of up to 256 events.
    max_rounds : int, optional
        Rejection rounds before giving up (default 1000).

    Returns
    -------
    final : ndarray, shape ``(n, 6, 4)``
        b, the W's two products (mu+ vm or u d~), a, a, the light quark.
    r_max : float
        The bound used (reuse it for further batches of the same run).
    overweight : float
        The fraction of kept decays whose ratio exceeded ``r_max`` (should be ~0).

    Raises
    ------
    ValueError
        If ``decay`` is unknown, the shapes do not fit, or events remain undecayed after
        ``max_rounds``.

    Examples
    --------
    >>> from numhep.events.thj_dataset import decay_thj, thj_integrand
    >>> f = thj_integrand(0.0)
    >>> pts = f.evaluate(np.random.default_rng(2).random((40, 7)))
    >>> ok = pts.weight > 0
    >>> sub = pts.subprocess_weight[ok].argmax(axis=1)
    >>> final, r_max, over = decay_thj(pts.momenta[ok][:3], sub[:3], f.group, 0.0, np.random.default_rng(1))
    >>> final.shape, bool(np.allclose(final[:, :3].sum(axis=1), pts.momenta[ok][:3, 2]))
    ((3, 6, 4), True)
    """
    if decay not in W_DECAYS:
        raise ValueError(f"decay: expected one of {sorted(W_DECAYS)}, got {decay!r}")
    p = np.asarray(momenta, dtype=np.float64)
    subprocess = np.asarray(subprocess, dtype=np.int64)
    if p.ndim != 3 or p.shape[1:] != (5, 4) or subprocess.shape != (p.shape[0],):
        raise ValueError(f"momenta, subprocess: expected shapes (n, 5, 4) and (n,), got {p.shape}, {subprocess.shape}")
    n = p.shape[0]
    model = resolve_model("sm_cpv_no_b_mass")
    mw2 = model.parameters()["MW"] ** 2
    params = {"alpha_cp": float(alpha)}

    def candidates(idx):
        b, w, _ = two_body_decay(p[idx, 2], 0.0, mw2, rng.random((idx.size, 2)))
        f1, f2, _ = two_body_decay(w, 0.0, 0.0, rng.random((idx.size, 2)))
        return b, f1, f2

    def ratios(idx, b, f1, f2):
        r = np.zeros(idx.size)
        for k in np.unique(subprocess[idx]):
            sel = subprocess[idx] == k
            sub = group.subprocesses[int(k)]
            prod = _ordered(p[idx[sel]], sub.swapped)
            chain = np.concatenate([p[idx[sel], :2], b[sel, None], f1[sel, None], f2[sel, None], p[idx[sel], 3:]],
                                   axis=1)
            num = me(_ordered(chain, sub.swapped), _chain(sub, decay), params=params, check=False)
            den = me(prod, sub.process, params=params, check=False)
            r[sel] = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        return r

    if r_max is None:
        pilot = np.repeat(np.arange(min(n, 256)), 16)
        r_max = 1.5 * float(ratios(pilot, *candidates(pilot)).max()) if pilot.size else 1.0
    final = np.zeros((n, 6, 4))
    pending = np.arange(n)
    kept_over = 0
    for _ in range(max_rounds):
        if pending.size == 0:
            break
        b, f1, f2 = candidates(pending)
        r = ratios(pending, b, f1, f2)
        keep = rng.random(pending.size) * r_max < r
        kept_over += int((r[keep] > r_max).sum())
        final[pending[keep], 0], final[pending[keep], 1], final[pending[keep], 2] = b[keep], f1[keep], f2[keep]
        pending = pending[~keep]
    if pending.size:
        raise ValueError(f"decay_thj: {pending.size} events found no decay in {max_rounds} rounds "
                         "(is |M_prod|^2 zero?)")
    a1, a2, _ = two_body_decay(p[:, 3], 0.0, 0.0, rng.random((n, 2)))
    final[:, 3], final[:, 4], final[:, 5] = a1, a2, p[:, 4]
    return final, float(r_max), kept_over / max(n, 1)


def _reco_parton_level(final, decay, rng, resolution):
    kinds = _KINDS[decay]
    if decay == "leptonic":  # photons, muon, b jet, light jet
        true = final[:, [3, 4, 1, 0, 5]]
    else:  # photons, b jet, the W's two jets, light jet
        true = final[:, [3, 4, 0, 1, 2, 5]]
    measured = smear(true, kinds, rng, resolution)
    photons = measured[:, :2]
    if decay == "leptonic":
        muons, jets = measured[:, 2:3], measured[:, 3:]
    else:
        muons, jets = np.zeros((final.shape[0], 0, 4)), measured[:, 2:]
    b_truth = np.zeros(jets.shape[:2], dtype=bool)
    b_truth[:, 0] = True
    return select_thj(photons, muons, jets, b_truth, rng, decay, resolution)


def _write_decayed_lhe(path, hard, final, decay, group, subprocess, params, rng, sqrt_s):
    """Decayed events as LHE for Pythia: the production's colour flow drawn by its partial
    amplitudes at the event, the top's colour going to its b; a W > u d~ gets its own line."""
    n = final.shape[0]
    w_pdgs = W_DECAYS[decay][1]
    legs = np.zeros((n, 8), dtype=np.int64)
    colours = np.zeros((n, 8, 2), dtype=np.int64)
    for k in np.unique(subprocess):
        sel = subprocess == k
        sub = group.subprocesses[int(k)]
        col = sub.colour_flows(hard[sel], rng, params)  # (m, 5, 2): in1, in2, t, h, j
        key = group.legs_table[int(k)]
        legs[sel] = [key[0], key[1], 5, w_pdgs[0], w_pdgs[1], 22, 22, key[4]]
        colours[sel, :2], colours[sel, 2], colours[sel, 7] = col[:, :2], col[:, 2], col[:, 4]
    if decay == "hadronic":
        colours[:, 3] = (601, 0)
        colours[:, 4] = (0, 601)
    momenta = np.concatenate([hard[:, :2], final], axis=1)
    writer = LHEWriter(path, beams=(2212, 2212), energies=(sqrt_s / 2, sqrt_s / 2), pdf_id=303600, sigma=1.0,
                       error=0.0, max_weight=1.0)
    fin = hard[:, 2:]
    scale = 0.5 * np.sqrt(np.maximum(fin[..., 0] ** 2 - fin[..., 3] ** 2, 0.0)).sum(axis=1)
    writer.write(momenta, np.zeros(8), legs, colours, np.ones(n), scale, 1.0 / 132.507, np.full(n, 0.118))
    writer.close()


def _reco_showered(lhe_events, final, decay, rng, resolution, isr, seed, progress):
    """Pythia's final state clustered into anti-kT jets (R = 0.4); the hard photons and muon are
    the leading ones; a jet is a b jet within Delta R < 0.4 of the decay's b quark."""
    n = final.shape[0]
    photons = np.zeros((n, 2, 4))
    muons = np.zeros((n, 1, 4))
    jets = np.zeros((n, 8, 4))
    b_truth = np.zeros((n, 8), dtype=bool)
    b_true = final[:, 0]
    for e, ev in enumerate(pythia_shower(lhe_events, isr=isr, fsr=True, hadronisation=True, mpi=False, seed=seed,
                                  progress=progress)):
        if e >= n:
            break
        mom, pid = ev.momenta, ev.pid
        if mom.shape[0] == 0:
            continue
        pt = np.hypot(mom[:, 1], mom[:, 2])
        used = np.zeros(mom.shape[0], dtype=bool)
        gam = np.flatnonzero(pid == 22)
        gam = gam[np.argsort(-pt[gam])][:2]
        photons[e, :gam.size], used[gam] = mom[gam], True
        if decay == "leptonic":
            mu = np.flatnonzero(np.abs(pid) == 13)
            mu = mu[np.argsort(-pt[mu])][:1]
            muons[e, :mu.size], used[mu] = mom[mu], True
        found = anti_kt_jets(mom[~used], radius=0.4, pt_min=20.0)[:8]
        jets[e, :found.shape[0]] = found
        if found.shape[0]:
            jpt = np.hypot(found[:, 1], found[:, 2])
            jeta, jphi = np.arcsinh(found[:, 3] / jpt), np.arctan2(found[:, 2], found[:, 1])
            bpt = math.hypot(b_true[e, 1], b_true[e, 2])
            beta, bphi = math.asinh(b_true[e, 3] / bpt), math.atan2(b_true[e, 2], b_true[e, 1])
            dphi = (jphi - bphi + np.pi) % (2 * np.pi) - np.pi
            b_truth[e, :found.shape[0]] = np.hypot(jeta - beta, dphi) < 0.4
    kinds = ("photon", "photon")
    photons = smear(photons, kinds, rng, resolution)
    muons = smear(muons, ("muon",), rng, resolution) if decay == "leptonic" else np.zeros((n, 0, 4))
    jets = smear(jets, ("jet",) * 8, rng, resolution)
    return select_thj(photons, muons, jets, b_truth, rng, decay, resolution)


def hard_features(x_hard) -> np.ndarray:
    """The seven hard features of Eq. 6.31 (Heimel, PhD thesis, Heidelberg 2024): (p_t, p_H) in x, y, z and p_j^z.

    On-shell masses and transverse momentum balance fix the rest of x_hard.

    Parameters
    ----------
    x_hard : array_like, shape ``(n, 3, 4)``
        The t, H and light quark (E, px, py, pz) in GeV.

    Returns
    -------
    ndarray, shape ``(n, 7)``
        The features in GeV.

    Raises
    ------
    ValueError
        If the shape is not (n, 3, 4).

    Examples
    --------
    >>> from numhep.events.thj_dataset import hard_features
    >>> hard_features(np.arange(12.0).reshape(1, 3, 4)).tolist()
    [[1.0, 2.0, 3.0, 5.0, 6.0, 7.0, 11.0]]
    """
    x = np.asarray(x_hard, dtype=np.float64)
    if x.ndim != 3 or x.shape[1:] != (3, 4):
        raise ValueError(f"x_hard: expected shape (n, 3, 4) (t, H, j), got {x.shape}")
    return np.concatenate([x[:, 0, 1:], x[:, 1, 1:], x[:, 2, 3:]], axis=1)


def reco_features(x_reco, names, *, jet_order: str = "pt") -> np.ndarray:
    """The reco features of Sec. 6.3 (Heimel, PhD thesis, Heidelberg 2024): photons and muons without E.

    17 numbers for the leptonic (a1, a2, b, mu, j1), 22 for the hadronic set.

    Parameters
    ----------
    x_reco : array_like, shape ``(n, k, 4)``
        The reconstructed objects (E, px, py, pz) in GeV.
    names : sequence of str
        Their names (``"a1"``, ``"mu"``, ``"b"``, ``"j1"``, ...): photons (``a``) and muons
        (``mu``) are massless, so their energies are left out.
    jet_order : {"pt", "w_pair"}, optional
        The order of the light jets: by p_T as reconstructed (``"pt"``, the default, the
        thesis's Eq. 6.8), or, with three of them (hadronic set), the pair whose invariant
        mass is nearest m_W first, by p_T, then the remaining jet, the candidate for the
        forward quark (``"w_pair"``): the transfer network then need not learn which jet is
        which.

    Returns
    -------
    ndarray, shape ``(n, d)``
        The features in GeV.

    Raises
    ------
    ValueError
        If the shape does not fit the names or ``jet_order`` is unknown.

    Examples
    --------
    >>> from numhep.events.thj_dataset import reco_features
    >>> reco_features(np.ones((2, 5, 4)), ("a1", "a2", "b", "mu", "j1")).shape
    (2, 17)
    """
    x = np.asarray(x_reco, dtype=np.float64)
    if x.ndim != 3 or x.shape[1:] != (len(names), 4):
        raise ValueError(f"x_reco: expected shape (n, {len(names)}, 4) for {tuple(names)}, got {x.shape}")
    if jet_order not in ("pt", "w_pair"):
        raise ValueError(f"jet_order: expected 'pt' or 'w_pair', got {jet_order!r}")
    light = [k for k, name in enumerate(names) if name.startswith("j")]
    if jet_order == "w_pair" and len(light) == 3:
        x = x.copy()
        jets = x[:, light]
        mw = resolve_model("sm_cpv_no_b_mass").parameters()["MW"]
        # the pairs (0, 1), (0, 2), (1, 2); the spectator is the jet left out
        pairs = ((0, 1, 2), (0, 2, 1), (1, 2, 0))
        mass = np.stack([np.sqrt(np.abs(minkowski_dot(jets[:, a] + jets[:, b], jets[:, a] + jets[:, b])))
                         for a, b, _ in pairs], axis=1)
        best = np.argmin(np.abs(mass - mw), axis=1)
        order = np.array(pairs)[best]
        x[:, light] = np.take_along_axis(jets, order[:, :, None], axis=1)
    cols = [x[:, k, 1:] if (name.startswith("a") or name == "mu") else x[:, k] for k, name in enumerate(names)]
    return np.concatenate(cols, axis=1)


def cp_odd_triple_product(top, higgs, jet) -> np.ndarray:
    """The parity-odd triple product O = eps_{mu nu rho sigma} n^mu t^nu H^rho j^sigma of the top,
    the Higgs and the light-quark jet, with n = (1, 0, 0, sign j_z) the beam the jet follows and
    eps_{0123} = +1 on contravariant components (O is the determinant of the four rows
    (E, p_x, p_y, p_z)).

    The CP-odd part of the top Yukawa, sin(alpha) (Heimel, PhD thesis, Heidelberg 2024, Sec. 6.2),
    enters |M|^2 of p p > t H j through terms linear in sin(alpha) that are odd in O, while the
    fiducial cross section hardly depends on the sign of alpha (Eq. 6.3, its D and E terms are
    small).  The mean sign of O therefore flips with alpha -> -alpha: it measures how much of the
    information on the sign of alpha a set of events, or a reconstruction, keeps.  A boost of
    rapidity y along the jet's beam scales O by e^-y (its sign stays); a mirror reflection
    changes its sign.

    Parameters
    ----------
    top, higgs, jet : array_like, shape ``(n, 4)``
        Four-momenta (E, px, py, pz) in GeV: the top (or its visible decay products), the Higgs
        (or the photon pair), the light jet.

    Returns
    -------
    ndarray, shape ``(n,)``
        O in GeV^3.

    Examples
    --------
    >>> from numhep.events.thj_dataset import cp_odd_triple_product
    >>> t, h, j = np.array([[200.0, 50, 0, 0]]), np.array([[150.0, 0, 60, 0]]), np.array([[100.0, 0, 0, 80]])
    >>> mirror = np.array([1.0, 1.0, -1.0, 1.0])  # y -> -y
    >>> [round(float(cp_odd_triple_product(*v)[0]), 6) for v in ((t, h, j), (t * mirror, h * mirror, j * mirror))]
    [-60000.0, 60000.0]
    """
    t, h, j = (np.asarray(v, dtype=np.float64) for v in (top, higgs, jet))
    if not t.shape == h.shape == j.shape or t.ndim != 2 or t.shape[1] != 4:
        raise ValueError(f"top, higgs, jet: expected three (n, 4) arrays, got {t.shape}, {h.shape}, {j.shape}")
    n = np.zeros_like(j)
    n[:, 0] = 1.0
    n[:, 3] = np.where(j[:, 3] < 0.0, -1.0, 1.0)
    return np.linalg.det(np.stack([n, t, h, j], axis=1))


def visible_thj(x_reco, names):
    """The visible top, the photon pair and the spectator jet of reconstructed tHj events:
    the b jet plus the muon (leptonic set) or plus the light jets other than the most forward
    one (hadronic set), a1 + a2, and the most forward light jet.

    Parameters
    ----------
    x_reco : array_like, shape ``(n, k, 4)``
        The reconstructed objects (E, px, py, pz) in GeV.
    names : sequence of str
        Their names (``"a1"``, ``"a2"``, ``"b"``, ``"mu"``, ``"j1"``, ...).

    Returns
    -------
    top, photons, jet : ndarray, each of shape ``(n, 4)``

    Examples
    --------
    >>> from numhep.events.thj_dataset import visible_thj
    >>> x = np.arange(20.0).reshape(1, 5, 4)
    >>> [v.tolist() for v in visible_thj(x, ("a1", "a2", "b", "mu", "j1"))]
    [[[20.0, 22.0, 24.0, 26.0]], [[4.0, 6.0, 8.0, 10.0]], [[16.0, 17.0, 18.0, 19.0]]]
    """
    x = np.asarray(x_reco, dtype=np.float64)
    names = list(names)
    if x.ndim != 3 or x.shape[1:] != (len(names), 4):
        raise ValueError(f"x_reco: expected shape (n, {len(names)}, 4) for {tuple(names)}, got {x.shape}")
    photons = sum(x[:, names.index(a)] for a in ("a1", "a2"))
    light = [k for k, name in enumerate(names) if name.startswith("j")]
    p = x[:, light]
    # rejected events are zero rows: their eta is nan, and any jet of them will do
    forward = np.argmax(np.nan_to_num(np.abs(pseudorapidity(p))), axis=1)
    jet = p[np.arange(len(x)), forward]
    top = x[:, names.index("b")] + p.sum(axis=1) - jet
    if "mu" in names:
        top = top + x[:, names.index("mu")]
    return top, photons, jet


def fiducial_basis(alpha) -> np.ndarray:
    """The five functions of Eq. 6.3 (Heimel, PhD thesis, Heidelberg 2024): (1, 1 - cos, sin^2, sin, sin cos).

    O(alpha) = A + B (1 - cos alpha) + sin alpha (C sin alpha + D + E cos alpha) is
    ``fiducial_basis(alpha) @ (A, B, C, D, E)``.

    Parameters
    ----------
    alpha : float or array_like
        CP phases in radians.

    Returns
    -------
    ndarray, shape ``(..., 5)``
        The functions.

    Examples
    --------
    >>> from numhep.events.thj_dataset import fiducial_basis
    >>> fiducial_basis(np.pi).round(12).tolist()
    [1.0, 2.0, 0.0, 0.0, -0.0]
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    s, c = np.sin(alpha), np.cos(alpha)
    return np.stack([np.ones_like(s), 1.0 - c, s * s, s, s * c], axis=-1)


def fiducial_fit(alphas, sigma, error=None) -> np.ndarray:
    """Fit Eq. 6.3 (Heimel, PhD thesis, Heidelberg 2024) to cross sections at several CP phases.

    Parameters
    ----------
    alphas : array_like, shape ``(k,)``
        CP phases in radians (at least five different ones).
    sigma : array_like, shape ``(k,)``
        The cross sections.
    error : array_like, shape ``(k,)``, optional
        Their errors (weighted least squares); default: unweighted.

    Returns
    -------
    ndarray, shape ``(5,)``
        (A, B, C, D, E), in the units of ``sigma``.

    Raises
    ------
    ValueError
        If fewer than five different phases are given.

    Examples
    --------
    >>> from numhep.events.thj_dataset import fiducial_basis, fiducial_fit
    >>> a = np.radians([-180, -90, -45, 0, 22.5, 45, 90, 135, 180])
    >>> truth = np.array([0.4, 2.4, -1.2, 0.01, -0.003])
    >>> bool(np.allclose(fiducial_fit(a, fiducial_basis(a) @ truth), truth))
    True
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    if np.unique(np.round(np.mod(alphas, 2 * np.pi), 12)).size < 5:
        raise ValueError("fiducial_fit: Eq. 6.3 has five parameters; give at least five different phases")
    w = np.ones_like(sigma) if error is None else 1.0 / np.maximum(np.asarray(error, dtype=np.float64), 1e-300)
    design = fiducial_basis(alphas) * w[:, None]
    coef, *_ = np.linalg.lstsq(design, sigma * w, rcond=None)
    return coef


@dataclass
class THJDataset:
    """Paired (alpha, x_hard, x_reco) events of p p > t H j (Heimel, PhD thesis, Heidelberg 2024, Sec. 6.2).

    Parameters
    ----------
    alpha : ndarray, shape ``(n,)``
        The CP phase of each event (radians).
    x_hard : ndarray, shape ``(n, 3, 4)``
        The on-shell t, H and light quark (lab frame, GeV): Eq. 6.7.
    u_hard : ndarray, shape ``(n, 7)``
        x_hard's point of the unit hypercube of :func:`thj_integrand`'s flat map.
    x : ndarray, shape ``(n, 2)``
        The momentum fractions.
    subprocess : ndarray, shape ``(n,)``
        Index into ``thj_integrand(alpha).group.subprocesses``.
    accepted : ndarray of bool, shape ``(n,)``
        Whether the event passes the cuts of Table 6.1.
    x_reco : ndarray, shape ``(n, k, 4)``
        The reconstructed objects of Eq. 6.8 (zeros where rejected).
    extra_jets : ndarray, shape ``(n, 4, 4)``
        Further light jets, zero-padded.
    reco_names : tuple of str
        The names of the k objects.
    sigma : dict
        ``{alpha_deg: (sigma_pb, error_pb, accepted_fraction)}``: the cross section of the
        hard process and the fraction passing the cuts (with the decays, before branching ratios).
    decay : str
        ``"leptonic"`` or ``"hadronic"``.

    Examples
    --------
    >>> from numhep.events.thj_dataset import THJDataset
    >>> d = THJDataset(np.zeros(2), np.zeros((2, 3, 4)), np.zeros((2, 7)), np.zeros((2, 2)), np.zeros(2, int),
    ...                np.array([True, False]), np.zeros((2, 5, 4)), np.zeros((2, 4, 4)), ("a1",), {}, "leptonic")
    >>> d.select(d.accepted).alpha.shape
    (1,)
    """

    alpha: np.ndarray
    x_hard: np.ndarray
    u_hard: np.ndarray
    x: np.ndarray
    subprocess: np.ndarray
    accepted: np.ndarray
    x_reco: np.ndarray
    extra_jets: np.ndarray
    reco_names: tuple
    sigma: dict
    decay: str

    _ROWS = ("alpha", "x_hard", "u_hard", "x", "subprocess", "accepted", "x_reco", "extra_jets")

    def select(self, rows) -> "THJDataset":
        """The events ``rows`` (a boolean mask or indices) of this set.

        Parameters
        ----------
        rows : array_like
            Boolean mask or integer indices.

        Returns
        -------
        THJDataset
            The selected events, same ``sigma`` table.
        """
        picked = {name: getattr(self, name)[rows] for name in self._ROWS}
        return THJDataset(**picked, reco_names=self.reco_names, sigma=self.sigma, decay=self.decay)

    def fiducial_sigma(self) -> tuple:
        """(alphas in radians, fiducial cross sections in pb, their errors): sigma times the accepted fraction.

        Returns
        -------
        tuple of ndarray
            Three arrays of the same length, one entry per CP phase of the set.
        """
        degs = sorted(self.sigma)
        sig = np.array([self.sigma[d][0] * self.sigma[d][2] for d in degs])
        n = np.array([max(np.sum(np.isclose(np.degrees(self.alpha), d)), 1) for d in degs])
        frac = np.array([self.sigma[d][2] for d in degs])
        err = np.hypot(np.array([self.sigma[d][1] * self.sigma[d][2] for d in degs]),
                       np.array([self.sigma[d][0] for d in degs]) * np.sqrt(np.maximum(frac * (1 - frac), 1e-12) / n))
        return np.radians(degs), sig, err


def _group_name(deg: float) -> str:
    return f"alpha_{deg:+.3f}"


def build_thj_dataset(path, *, alphas_deg=ALPHAS_DEG, n_events: int = 10_000, decay: str = "leptonic",
                      shower: bool = False, isr: bool = False, resolution: DetectorResolution | None = None,
                      seed: int = 1, sqrt_s: float = 13000.0, progress: bool = True, **generate_options) -> THJDataset:
    """Generate, decay, reconstruct and select p p > t H j events at each CP phase into one HDF5 file.

    See the module text for the steps (Heimel, PhD thesis, Heidelberg 2024, Sec. 6.2).  The
    hard events of each alpha go to ``<path>.alpha<deg>.lhe/.h5`` (resumable by
    :func:`numhep.generate`); a finished alpha's group in ``path`` is kept when called again.

    Parameters
    ----------
    path : str or path-like
        The HDF5 data set to write.
    alphas_deg : sequence of float, optional
        The CP phases in degrees (default :data:`ALPHAS_DEG`, the thesis's nine).
    n_events : int, optional
        Hard events per phase (default 10000).
    decay : str, optional
        ``"leptonic"`` or ``"hadronic"`` (default ``"leptonic"``).
    shower : bool, optional
        Shower and hadronise with Pythia 8 and cluster anti-kT jets (default False: the
        partons are the jets).
    isr : bool, optional
        With ``shower``: initial-state radiation too (the thesis's third set).
    resolution : DetectorResolution, optional
        The detector (default :class:`DetectorResolution()`).
    seed : int, optional
        The seed of every random stream (default 1).
    sqrt_s : float, optional
        Collider energy in GeV (default 13000).
    progress : bool, optional
        Show progress bars (default True).
    **generate_options
        Options of :func:`numhep.generate` (``n_points``, ``n_iterations``, ``pilot_points``, ...).

    Returns
    -------
    THJDataset
        The whole file, loaded.

    Raises
    ------
    ValueError
        If ``decay`` is unknown or the file holds a set of other settings.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from numhep.events.thj_dataset import build_thj_dataset
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> data = build_thj_dataset(d / "thj.h5", alphas_deg=(0.0,), n_events=20, n_points=1000, n_iterations=3,
    ...                          n_warmup=1, pilot_points=1000, batch_size=1000, progress=False)
    >>> data.x_hard.shape, data.x_reco.shape[1:], data.reco_names
    ((20, 3, 4), (5, 4), ('a1', 'a2', 'b', 'mu', 'j1'))
    """
    import h5py

    if decay not in W_DECAYS:
        raise ValueError(f"decay: expected one of {sorted(W_DECAYS)}, got {decay!r}")
    res = resolution or DetectorResolution()
    path = Path(path)
    settings = {"decay": decay, "shower": bool(shower), "isr": bool(isr), "seed": int(seed), "n_events": int(n_events),
                "sqrt_s": float(sqrt_s), "resolution": repr(asdict(res))}
    mode = "a" if path.exists() else "w"
    with h5py.File(path, mode) as fh:
        for key, value in settings.items():
            if key in fh.attrs and fh.attrs[key] != value:
                raise ValueError(f"{path}: holds a data set with {key}={fh.attrs[key]!r}, not {value!r}; "
                                 "use another file")
            fh.attrs[key] = value
    for index, deg in enumerate(alphas_deg):
        name = _group_name(float(deg))
        with h5py.File(path, "r") as fh:
            if name in fh and fh[name].attrs.get("finished", False):
                continue
        alpha = math.radians(float(deg))
        f = thj_integrand(alpha, sqrt_s=sqrt_s)
        stem = f"{path.stem}.alpha{deg:+.1f}"
        hard_h5 = path.with_name(stem + ".h5")
        result = generate(None, n_events=n_events, lhe=path.with_name(stem + ".lhe"), hdf5=hard_h5,
                          integrand=f, seed=seed + 1000 * index, progress=progress, **generate_options)
        with h5py.File(hard_h5, "r") as hard:
            momenta, subprocess = hard["momenta"][:], hard["subprocess"][:].astype(np.int64)
            u, x = hard["u"][:], hard["x"][:]
        rng = np.random.default_rng([int(seed), index, 7])
        final, r_max, over = decay_thj(momenta, subprocess, f.group, alpha, rng, decay=decay)
        if shower:
            lhe = path.with_name(stem + ".decayed.lhe")
            _write_decayed_lhe(lhe, momenta, final, decay, f.group, subprocess, f.params or None, rng, sqrt_s)
            reco = _reco_showered(lhe, final, decay, rng, res, isr, seed, progress)
        else:
            reco = _reco_parton_level(final, decay, rng, res)
        with h5py.File(path, "a") as fh:
            if name in fh:
                del fh[name]
            g = fh.create_group(name)
            for key, value in (("x_hard", momenta[:, 2:]), ("u_hard", u), ("x", x), ("subprocess", subprocess),
                               ("decayed", final), ("accepted", reco.accepted), ("x_reco", reco.objects),
                               ("extra_jets", reco.extra_jets)):
                g.create_dataset(key, data=value)
            g.attrs.update({"alpha": alpha, "alpha_deg": float(deg), "sigma_pb": result.sigma,
                            "sigma_error_pb": result.error, "accepted_fraction": reco.fraction, "r_max": r_max,
                            "decay_overweight": over, "reco_names": list(reco.names), "finished": True})
    return load_thj_dataset(path)


def load_thj_dataset(path) -> THJDataset:
    """Read a data set written by :func:`build_thj_dataset`.

    Parameters
    ----------
    path : str or path-like
        The HDF5 file.

    Returns
    -------
    THJDataset
        Every finished CP phase's events, concatenated in file order.

    Raises
    ------
    ValueError
        If the file holds no finished phase.

    Examples
    --------
    >>> from numhep.events.thj_dataset import load_thj_dataset
    >>> try:
    ...     load_thj_dataset("/nonexistent.h5")
    ... except FileNotFoundError:
    ...     print("no file")
    no file
    """
    import h5py

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load_thj_dataset: no file at {path}")
    cols = {name: [] for name in THJDataset._ROWS}
    sigma, names = {}, ()
    with h5py.File(path, "r") as fh:
        decay = str(fh.attrs["decay"])
        for key in fh:
            g = fh[key]
            if not g.attrs.get("finished", False):
                continue
            n = g["x_hard"].shape[0]
            cols["alpha"].append(np.full(n, float(g.attrs["alpha"])))
            for name in THJDataset._ROWS[1:]:
                cols[name].append(g[name][:])
            sigma[float(g.attrs["alpha_deg"])] = (float(g.attrs["sigma_pb"]), float(g.attrs["sigma_error_pb"]),
                                                  float(g.attrs["accepted_fraction"]))
            names = tuple(str(v) for v in g.attrs["reco_names"])
    if not sigma:
        raise ValueError(f"load_thj_dataset: {path} holds no finished CP phase")
    return THJDataset(**{k: np.concatenate(v) for k, v in cols.items()}, reco_names=names, sigma=sigma, decay=decay)
