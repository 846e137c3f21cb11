"""A parametrised detector in place of Delphes: Gaussian resolutions, b-tagging and the tHj cuts.

Objects are four-momenta (E, px, py, pz) in GeV with a kind: ``"photon"``, ``"muon"`` or
``"jet"`` (a jet also carries whether it came from a b quark).  The resolutions
(:class:`DetectorResolution`, ATLAS-like numbers of the Delphes ATLAS card's form):

* photons: sigma_E / E = a / sqrt(E / GeV) (+) c, a = 0.10, c = 0.007 (direction exact);
* muons: sigma_pT / pT = c (+) b pT, c = 0.01, b = 1e-4 / GeV (direction exact);
* jets: sigma_E / E = a / sqrt(E / GeV) (+) c, a = 0.5, c = 0.05, and the direction smeared
  by sigma_eta = sigma_phi = 0.02; the jet mass is kept (E and |p| scale together);
* b-tagging: a jet with pT > 25 GeV in |eta| < 2.4 from a b is tagged with probability 0.7,
  a light one with 0.01.

(+) adds in quadrature.  :func:`select_thj` applies the cuts of Table 6.1 of Heimel, PhD
thesis, Heidelberg 2024 (photons and muons pT > 20 GeV, |eta| < 2.4; the b jet and the light
jets counted pT > 25 GeV, |eta| < 2.4; jets pT > 20 GeV, |eta| < 4.5) and orders the
reconstructed event as the thesis's Eq. 6.8: (gamma_1, gamma_2, b, mu, j_1, ...) or
(gamma_1, gamma_2, b, j_1, j_2, j_3, ...), photons and light jets each by pT.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DetectorResolution", "RecoEvents", "select_thj", "smear"]

KINDS = ("photon", "muon", "jet")


@dataclass(frozen=True)
class DetectorResolution:
    """Resolutions and tagging rates of the parametrised detector (see the module text).

    Parameters
    ----------
    photon_stochastic, photon_constant : float, optional
        sigma_E/E = a/sqrt(E) (+) c of photons (defaults 0.10 and 0.007).
    muon_constant, muon_slope : float, optional
        sigma_pT/pT = c (+) b pT of muons (defaults 0.01 and 1e-4 per GeV).
    jet_stochastic, jet_constant : float, optional
        sigma_E/E of jets (defaults 0.5 and 0.05).
    jet_angle : float, optional
        sigma of a jet's eta and phi (default 0.02).
    b_tag, mistag : float, optional
        Tagging probability of a b jet and of a light jet (defaults 0.7 and 0.01).

    Examples
    --------
    >>> from numhep.events.detector_smearing import DetectorResolution
    >>> DetectorResolution().relative_sigma("photon", np.array([100.0]), np.array([50.0])).round(4)
    array([0.0122])
    """

    photon_stochastic: float = 0.10
    photon_constant: float = 0.007
    muon_constant: float = 0.01
    muon_slope: float = 1.0e-4
    jet_stochastic: float = 0.5
    jet_constant: float = 0.05
    jet_angle: float = 0.02
    b_tag: float = 0.7
    mistag: float = 0.01

    def relative_sigma(self, kind: str, energy, pt):
        """The relative resolution of E (photons, jets) or of pT (muons).

        Parameters
        ----------
        kind : str
            ``"photon"``, ``"muon"`` or ``"jet"``.
        energy, pt : ndarray
            Energies and transverse momenta in GeV.

        Returns
        -------
        ndarray
            sigma/E or sigma/pT.
        """
        energy = np.maximum(np.asarray(energy, dtype=np.float64), 1e-12)
        if kind == "photon":
            return np.hypot(self.photon_stochastic / np.sqrt(energy), self.photon_constant)
        if kind == "muon":
            return np.hypot(self.muon_constant, self.muon_slope * np.asarray(pt, dtype=np.float64))
        if kind == "jet":
            return np.hypot(self.jet_stochastic / np.sqrt(energy), self.jet_constant)
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")


def _pt_eta_phi(p):
    """(p_T, eta, phi) of momenta that may hold empty (zero or padded) slots: no validation, so
    that a missing object gives p_T = 0 instead of an error (numhep.events.collider_coordinates
    checks its input)."""
    pt = np.hypot(p[..., 1], p[..., 2])
    eta = np.arcsinh(p[..., 3] / np.maximum(pt, 1e-300))
    return pt, eta, np.arctan2(p[..., 2], p[..., 1])


def smear(momenta, kinds, rng, resolution: DetectorResolution | None = None):
    """Smear objects with the detector's Gaussian resolutions.

    Parameters
    ----------
    momenta : array_like, shape ``(n, k, 4)``
        The true objects' four-momenta in GeV (E, px, py, pz).
    kinds : sequence of str
        The kind of each of the k objects: ``"photon"``, ``"muon"`` or ``"jet"``.
    rng : numpy.random.Generator
        The random stream.
    resolution : DetectorResolution, optional
        The resolutions (default :class:`DetectorResolution()`).

    Returns
    -------
    ndarray, shape ``(n, k, 4)``
        The measured momenta; photons and muons stay massless, jets keep their mass.  A
        fluctuation below zero energy gives a zero momentum (the object is lost).

    Raises
    ------
    ValueError
        If the shapes do not fit or a momentum is not finite.

    Examples
    --------
    >>> from numhep.events.detector_smearing import smear
    >>> p = np.array([[[100.0, 60.0, 0.0, 80.0]]])
    >>> smear(p, ["photon"], np.random.default_rng(1)).shape
    (1, 1, 4)
    """
    res = resolution or DetectorResolution()
    p = np.asarray(momenta, dtype=np.float64)
    if p.ndim != 3 or p.shape[2] != 4 or p.shape[1] != len(kinds):
        raise ValueError(f"momenta: expected shape (n, {len(kinds)}, 4) for kinds {list(kinds)}, got {p.shape}")
    if not np.isfinite(p).all():
        raise ValueError("momenta: not finite")
    out = np.zeros_like(p)
    for j, kind in enumerate(kinds):
        q = p[:, j]
        pt, eta, phi = _pt_eta_phi(q)
        sigma = res.relative_sigma(kind, q[:, 0], pt)
        factor = np.maximum(1.0 + sigma * rng.standard_normal(q.shape[0]), 0.0)
        if kind == "jet":
            eta = eta + res.jet_angle * rng.standard_normal(q.shape[0])
            phi = phi + res.jet_angle * rng.standard_normal(q.shape[0])
            energy = q[:, 0] * factor
            # the direction moves, the mass stays: |p| from E and m
            mass2 = np.maximum(q[:, 0] ** 2 - (q[:, 1:] ** 2).sum(axis=1), 0.0)
            mom = np.sqrt(np.maximum(energy**2 - mass2, 0.0))
            pt_new = mom / np.cosh(eta)
            out[:, j] = np.stack([energy, pt_new * np.cos(phi), pt_new * np.sin(phi), pt_new * np.sinh(eta)], axis=1)
        else:
            pt_new = pt * factor
            out[:, j] = np.stack([pt_new * np.cosh(eta), pt_new * np.cos(phi), pt_new * np.sin(phi),
                                  pt_new * np.sinh(eta)], axis=1)
    return out


@dataclass
class RecoEvents:
    """Reconstructed tHj events after the cuts of Table 6.1 (Heimel, PhD thesis, Heidelberg 2024).

    Parameters
    ----------
    accepted : ndarray of bool, shape ``(n,)``
        Whether each event passes the cuts.
    objects : ndarray, shape ``(n, k, 4)``
        The thesis's x_reco (Eq. 6.8) for accepted events, zeros for rejected ones.
    extra_jets : ndarray, shape ``(n, 4, 4)``
        Up to four further light jets by pT, zero-padded.
    names : tuple of str
        The names of the k objects.

    Examples
    --------
    >>> from numhep.events.detector_smearing import RecoEvents
    >>> r = RecoEvents(np.array([True]), np.zeros((1, 5, 4)), np.zeros((1, 4, 4)), ("a1", "a2", "b", "mu", "j1"))
    >>> r.fraction
    1.0
    """

    accepted: np.ndarray
    objects: np.ndarray
    extra_jets: np.ndarray
    names: tuple

    @property
    def fraction(self) -> float:
        """The accepted fraction."""
        return float(np.mean(self.accepted)) if self.accepted.size else 0.0


def select_thj(photons, muons, jets, b_truth, rng, decay: str = "leptonic",
               resolution: DetectorResolution | None = None) -> RecoEvents:
    """Tag b jets and apply the cuts of Table 6.1 (Heimel, PhD thesis, Heidelberg 2024).

    Parameters
    ----------
    photons : array_like, shape ``(n, kp, 4)``
        Measured photons (zero rows for none).
    muons : array_like, shape ``(n, km, 4)``
        Measured muons (km may be 0).
    jets : array_like, shape ``(n, kj, 4)``
        Measured jets (zero rows for none).
    b_truth : array_like of bool, shape ``(n, kj)``
        Whether each jet comes from a b quark (tagged with probability ``b_tag``, else ``mistag``).
    rng : numpy.random.Generator
        The random stream of the tagging.
    decay : str, optional
        ``"leptonic"`` (>= 2 photons, >= 1 muon, >= 2 jets, exactly one b tag, >= 1 light
        jet with pT > 25 GeV in |eta| < 2.4) or ``"hadronic"`` (>= 2 photons, >= 4 jets,
        exactly one b tag, >= 3 light jets).
    resolution : DetectorResolution, optional
        The tagging rates (default :class:`DetectorResolution()`).

    Returns
    -------
    RecoEvents
        The selection and the ordered objects of Eq. 6.8.

    Raises
    ------
    ValueError
        If ``decay`` is neither ``"leptonic"`` nor ``"hadronic"`` or the shapes do not fit.

    Examples
    --------
    >>> from numhep.events.detector_smearing import select_thj
    >>> a = np.array([[[100.0, 100.0, 0, 0], [80.0, -80.0, 0, 0]]])
    >>> mu = np.array([[[50.0, 0, 50.0, 0]]])
    >>> j = np.array([[[90.0, 0, -90.0, 0], [60.0, 0, 0, 60.0]]])
    >>> select_thj(a, mu, j, np.array([[True, False]]), np.random.default_rng(3)).accepted.shape
    (1,)
    """
    res = resolution or DetectorResolution()
    if decay not in ("leptonic", "hadronic"):
        raise ValueError(f"decay: expected 'leptonic' or 'hadronic', got {decay!r}")
    photons, muons, jets = (np.asarray(a, dtype=np.float64) for a in (photons, muons, jets))
    b_truth = np.asarray(b_truth, dtype=bool)
    n = photons.shape[0]
    if b_truth.shape != jets.shape[:2] or muons.shape[0] != n or jets.shape[0] != n:
        raise ValueError(f"shapes: photons {photons.shape}, muons {muons.shape}, jets {jets.shape}, "
                         f"b_truth {b_truth.shape} do not describe the same events")
    central = 2.4

    def good(objs, pt_min, eta_max):
        pt, eta, _ = _pt_eta_phi(objs)
        return (objs[..., 0] > 0) & (pt > pt_min) & (np.abs(eta) < eta_max), pt

    ok_a, pt_a = good(photons, 20.0, central)
    ok_m, pt_m = good(muons, 20.0, central) if muons.shape[1] else (np.zeros((n, 0), bool), np.zeros((n, 0)))
    ok_j, pt_j = good(jets, 20.0, 4.5)
    hard_j, _ = good(jets, 25.0, central)
    tag_p = np.where(b_truth, res.b_tag, res.mistag)
    # b tags need the tracker: only jets with pT > 25 GeV in |eta| < 2.4 are tagged
    tagged = ok_j & hard_j & (rng.random(jets.shape[:2]) < tag_p)
    light = ok_j & ~tagged
    n_light_hard = (light & hard_j).sum(axis=1)
    passed = (ok_a.sum(axis=1) >= 2) & (tagged.sum(axis=1) == 1)
    if decay == "leptonic":
        passed &= (ok_m.sum(axis=1) >= 1) & (ok_j.sum(axis=1) >= 2) & (n_light_hard >= 1)
        n_light, names = 1, ("a1", "a2", "b", "mu", "j1")
    else:
        passed &= (ok_j.sum(axis=1) >= 4) & (n_light_hard >= 3)
        n_light, names = 3, ("a1", "a2", "b", "j1", "j2", "j3")

    def leading(objs, ok, pt, k):
        order = np.argsort(-np.where(ok, pt, -1.0), axis=1)[:, :k]
        picked = np.take_along_axis(objs, order[..., None], axis=1)
        keep = np.take_along_axis(ok, order, axis=1)
        picked = np.where(keep[..., None], picked, 0.0)
        if picked.shape[1] < k:
            picked = np.concatenate([picked, np.zeros((n, k - picked.shape[1], 4))], axis=1)
        return picked

    parts = [leading(photons, ok_a, pt_a, 2), leading(jets, tagged, pt_j, 1)]
    if decay == "leptonic":
        parts.append(leading(muons, ok_m, pt_m, 1))
    all_light = leading(jets, light, pt_j, n_light + 4)
    parts.append(all_light[:, :n_light])
    objects = np.concatenate(parts, axis=1)
    objects[~passed] = 0.0
    extra = all_light[:, n_light:].copy()
    extra[~passed] = 0.0
    return RecoEvents(passed, objects, extra, names)
