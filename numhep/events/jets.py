"""Jets at hadron colliders: the anti-k_t algorithm (Cacciari, Salam, Soyez, arXiv:0802.1189)
through FastJet (Cacciari, Salam, Soyez, arXiv:1111.6097)."""

from __future__ import annotations

import numpy as np

__all__ = ["anti_kt_jets"]


def _fastjet():
    try:
        import fastjet
    except ImportError:
        raise ImportError(
            "anti-k_t jets are clustered with FastJet: pip install 'numhep[emulator]' (PyPI fastjet)"
        ) from None
    return fastjet


def anti_kt_jets(momenta, *, radius: float = 0.4, pt_min: float = 20.0):
    """Anti-k_t jets of one event's particles, sorted by descending transverse momentum.

    The anti-k_t distances d_ij = min(p_T,i^-2, p_T,j^-2) Delta R_ij^2 / R^2 and
    d_iB = p_T,i^-2 (Cacciari, Salam, Soyez, arXiv:0802.1189, Eq. 2 with p = -1), with
    Delta R^2 = Delta y^2 + Delta phi^2 in rapidity, and the E recombination scheme (four-momenta
    add); jets with p_T >= ``pt_min`` are kept.

    Parameters
    ----------
    momenta : array_like
        (n, 4) particle momenta (E, px, py, pz) in GeV; n may be 0.
    radius : float, optional
        The jet radius R (default 0.4).
    pt_min : float, optional
        The smallest jet transverse momentum kept, GeV (default 20).

    Returns
    -------
    numpy.ndarray
        (n_jets, 4) float64 jet momenta (E, px, py, pz), descending in p_T.

    Raises
    ------
    ValueError
        If ``momenta`` is not (n, 4), holds a non-finite number, or ``radius`` is not positive.
    ImportError
        If FastJet is not installed (``pip install 'numhep[emulator]'``).

    Examples
    --------
    >>> from numhep.events.jets import anti_kt_jets
    >>> p = np.array([[50.0, 30.0, 0.0, 40.0], [10.0, 0.0, 6.0, 8.0], [100.0, -60.0, 0.0, -80.0]])
    >>> jets = anti_kt_jets(p, radius=0.4, pt_min=20.0)
    >>> jets[:, 1].tolist()   # the 6 GeV particle makes no jet
    [-60.0, 30.0]
    """
    p = np.asarray(momenta, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 4:
        raise ValueError(f"anti_kt_jets: momenta must have shape (n, 4) as (E, px, py, pz), got {p.shape}")
    if not np.isfinite(p).all():
        raise ValueError("anti_kt_jets: momenta hold a non-finite number")
    if not radius > 0:
        raise ValueError(f"anti_kt_jets: the radius must be positive, got {radius}")
    fastjet = _fastjet()
    if len(p) == 0:
        return np.zeros((0, 4))
    particles = [fastjet.PseudoJet(float(q[1]), float(q[2]), float(q[3]), float(q[0])) for q in p]
    sequence = fastjet.ClusterSequence(particles, fastjet.JetDefinition(fastjet.antikt_algorithm, float(radius)))
    jets = fastjet.sorted_by_pt(sequence.inclusive_jets(float(pt_min)))
    return np.array([[j.E(), j.px(), j.py(), j.pz()] for j in jets], dtype=np.float64).reshape(-1, 4)
