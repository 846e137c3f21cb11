"""Collider coordinates of four-momenta: (p_T, eta, phi, m) and back, and the angular distance
Delta R = sqrt(Delta eta^2 + Delta phi^2), as event records of reconstructed objects use them."""

from __future__ import annotations

import numpy as np

from numhep.phasespace import kinematics

__all__ = ["delta_phi", "delta_r", "four_momenta", "pt_eta_phi_m"]


def pt_eta_phi_m(p):
    """(p_T, eta, phi, m) of four-momenta (E, px, py, pz).

    p_T = sqrt(px^2 + py^2), the pseudorapidity eta = artanh(pz / |p|), phi = atan2(py, px)
    in (-pi, pi] and the mass m = sqrt(max(p^2, 0)).

    Parameters
    ----------
    p : array_like
        (..., 4) four-momenta (E, px, py, pz) in GeV.

    Returns
    -------
    numpy.ndarray
        (..., 4) float64 (p_T, eta, phi, m).

    Examples
    --------
    >>> from numhep.events.collider_coordinates import pt_eta_phi_m
    >>> q = pt_eta_phi_m(np.array([[5.0, 3.0, 0.0, 0.0]]))
    >>> q.tolist()
    [[3.0, 0.0, 0.0, 4.0]]
    """
    p = np.asarray(p, dtype=np.float64)
    if p.shape[-1:] != (4,):
        raise ValueError(f"pt_eta_phi_m: momenta must have shape (..., 4), got {p.shape}")
    flat = p.reshape(-1, 4)
    out = np.empty_like(flat)
    if len(flat):
        out[:, 0] = kinematics.transverse_momentum(flat)
        out[:, 1] = kinematics.pseudorapidity(flat)
        out[:, 2] = np.arctan2(flat[:, 2], flat[:, 1])
        out[:, 3] = np.maximum(kinematics.invariant_mass(flat), 0.0)
    return out.reshape(p.shape)


def four_momenta(q):
    """Four-momenta (E, px, py, pz) of (p_T, eta, phi, m): px = p_T cos phi, py = p_T sin phi,
    pz = p_T sinh eta, E = sqrt(p_T^2 cosh^2 eta + m^2).

    Parameters
    ----------
    q : array_like
        (..., 4) (p_T, eta, phi, m), GeV and radians.

    Returns
    -------
    numpy.ndarray
        (..., 4) float64 (E, px, py, pz).

    Examples
    --------
    >>> from numhep.events.collider_coordinates import four_momenta
    >>> four_momenta(np.array([[3.0, 0.0, 0.0, 4.0]])).tolist()
    [[5.0, 3.0, 0.0, 0.0]]
    """
    q = np.asarray(q, dtype=np.float64)
    if q.shape[-1:] != (4,):
        raise ValueError(f"four_momenta: (p_T, eta, phi, m) must have shape (..., 4), got {q.shape}")
    pt, eta, phi, m = np.moveaxis(q, -1, 0)
    pz = pt * np.sinh(eta)
    return np.stack([np.sqrt((pt * np.cosh(eta)) ** 2 + m**2), pt * np.cos(phi), pt * np.sin(phi), pz], axis=-1)


def delta_phi(phi1, phi2):
    """The azimuthal difference phi1 - phi2 wrapped into [-pi, pi).

    Parameters
    ----------
    phi1 : array_like
        Azimuths in radians.
    phi2 : array_like
        Azimuths in radians (broadcast against ``phi1``).

    Returns
    -------
    numpy.ndarray
        phi1 - phi2 in [-pi, pi).

    Examples
    --------
    >>> from numhep.events.collider_coordinates import delta_phi
    >>> float(delta_phi(3.0, -3.0))
    -0.28318530717958623
    """
    return np.mod(np.asarray(phi1, dtype=np.float64) - phi2 + np.pi, 2 * np.pi) - np.pi


def delta_r(q1, q2):
    """Delta R = sqrt(Delta eta^2 + Delta phi^2) between objects given as (p_T, eta, phi, m).

    Parameters
    ----------
    q1 : array_like
        (..., 4) (p_T, eta, phi, m) of the first objects.
    q2 : array_like
        (..., 4) of the second objects (broadcast against ``q1``).

    Returns
    -------
    numpy.ndarray
        (...) the angular distances.

    Examples
    --------
    >>> from numhep.events.collider_coordinates import delta_r
    >>> round(float(delta_r([30.0, 0.0, 0.0, 0.0], [40.0, 0.3, 0.4, 0.0])), 12)
    0.5
    """
    q1, q2 = np.asarray(q1, dtype=np.float64), np.asarray(q2, dtype=np.float64)
    return np.hypot(q1[..., 1] - q2[..., 1], delta_phi(q1[..., 2], q2[..., 2]))
