"""Preprocessing of Z + jets events for a generative network, and the "magic transformation"
(T. Heimel, The Flow of LHC Events, PhD thesis, Heidelberg 2024, Eqs. 4.3-4.9; Butter, Heimel,
Hummerich, Krebs, Plehn, Rousselot, Vent, arXiv:2110.13632).

Each muon and jet (p_T, eta, phi, m) (Eq. 4.3) becomes

    log(p_T - p_T,min)                      (Eq. 4.4; p_T,min = 20 GeV for jets, 0 for muons)
    eta
    artanh(Delta phi / pi)                  (Eq. 4.5; Delta phi relative to the leading muon)
    m                                       (jets only: the muons are on shell)

and every feature is standardised, (q - <q>) / sigma(q) (Eq. 4.6).  The leading muon's azimuth is
not a feature (the density does not depend on it); it comes back uniform at generation.  The
"standard" preprocessing of arXiv:2110.13632 also whitens each network's features per jet
multiplicity (``whiten=True``); the thesis's improved generator drops that step.

The feature vector has 17 entries: 9 for the muons and the first jet (network 0 of the thesis's
Fig. 4.1), then 4 per further jet; entries of missing jets are zero.
"""

from __future__ import annotations

import numpy as np

from numhep.events.zjets_dataset import ZJetsEvents

__all__ = ["EventPreprocessing", "inverse_magic_weights", "magic_weights"]

#: the feature slices of the three networks: muons + j1, j2, j3
BLOCKS = (slice(0, 9), slice(9, 13), slice(13, 17))
_MUON_MASS = 0.1056583755
_EDGE = 1.0 - 1e-15


def _smoothing(dr, r_minus, r_plus):
    return np.clip((dr - r_minus) / (r_plus - r_minus), 0.0, 1.0)


def _jet_pairs(events):
    obs = events.observables()
    return [(obs["dr_j1j2"], 2), (obs["dr_j2j3"], 3), (obs["dr_j1j3"], 3)]


def magic_weights(events, *, r_minus: float = 0.2, r_plus: float = 1.5):
    """Training weights of the magic transformation, a product of f(Delta R_jj) over jet pairs.

    ``f(Delta R) = 0`` below ``R_-``, ``(Delta R - R_-)/(R_+ - R_-)`` on ``[R_-, R_+]``, 1 above (thesis Eq. 4.7);
    w = 1 for one jet, f(Delta R_j1j2) for two, f(Delta R_j1j2) f(Delta R_j2j3) f(Delta R_j1j3)
    for three.

    Parameters
    ----------
    events : ZJetsEvents
        The training events.
    r_minus : float, optional
        ``R_-`` (default 0.2, below the jet separation 0.4 so that no event gets weight 0).
    r_plus : float, optional
        ``R_+`` (default 1.5).

    Returns
    -------
    numpy.ndarray
        (n,) weights in [0, 1].

    Examples
    --------
    >>> from numhep.torch.event_preprocessing import magic_weights
    >>> from numhep.events.zjets_dataset import ZJetsEvents
    >>> q = np.zeros((1, 5, 4)); q[0, 2:4] = [[30, 0, 0, 5], [30, 0.85, 0, 5]]
    >>> magic_weights(ZJetsEvents(q, np.array([2]))).round(6).tolist()
    [0.5]
    """
    w = np.ones(len(events))
    for dr, needed in _jet_pairs(events):
        has = events.n_jets >= needed
        w[has] *= _smoothing(dr[has], r_minus, r_plus)
    return w


def inverse_magic_weights(events, *, r_min: float = 0.4, r_minus: float = 0.2, r_plus: float = 1.5):
    """Weights that undo the magic transformation on generated events (thesis Eq. 4.9).

    ``f_bar(Delta R) = 0`` below ``R_min`` (the jet separation is enforced), ``(R_+ - R_-)/(Delta R - R_-)``
    on ``[R_min, R_+]``, 1 above; a product over the jet pairs as in :func:`magic_weights`, so that
    ``magic_weights * inverse_magic_weights`` is 1 wherever every pair has Delta R >= R_min.

    Parameters
    ----------
    events : ZJetsEvents
        The generated events.
    r_min : float, optional
        The jet separation R_min (default 0.4).
    r_minus : float, optional
        ``R_-`` of the training weights (default 0.2).
    r_plus : float, optional
        ``R_+`` of the training weights (default 1.5).

    Returns
    -------
    numpy.ndarray
        (n,) weights.

    Examples
    --------
    >>> from numhep.torch.event_preprocessing import inverse_magic_weights
    >>> from numhep.events.zjets_dataset import ZJetsEvents
    >>> q = np.zeros((2, 5, 4)); q[:, 2:4] = [[30, 0, 0, 5], [30, 0.85, 0, 5]]
    >>> q[1, 3, 1] = 0.3   # closer than R_min
    >>> inverse_magic_weights(ZJetsEvents(q, np.array([2, 2]))).round(6).tolist()
    [2.0, 0.0]
    """
    if not r_minus < r_min <= r_plus:
        raise ValueError(f"inverse_magic_weights: need r_minus < r_min <= r_plus, got {r_minus}, {r_min}, {r_plus}")
    w = np.ones(len(events))
    for dr, needed in _jet_pairs(events):
        has = events.n_jets >= needed
        d = dr[has]
        w[has] *= np.where(d < r_min, 0.0, 1.0 / _smoothing(np.maximum(d, r_min), r_minus, r_plus))
    return w


class EventPreprocessing:
    """The map between Z + jets events and the networks' features (thesis Eqs. 4.3-4.6), exact
    both ways.

    Parameters
    ----------
    jet_pt_min : float, optional
        p_T,min of the jets in Eq. 4.4 (default 20 GeV).
    whiten : bool, optional
        Also whiten each network's features per multiplicity (the "standard" preprocessing of
        arXiv:2110.13632; default False, the thesis's improved generator).

    Examples
    --------
    >>> from numhep.torch.event_preprocessing import EventPreprocessing
    >>> from numhep.events.zjets_dataset import ZJetsEvents
    >>> rng = np.random.default_rng(1)
    >>> q = np.zeros((50, 5, 4)); q[..., 0] = 25 + rng.exponential(20, (50, 5)); q[..., 1] = rng.normal(0, 1, (50, 5))
    >>> q[..., 2] = rng.uniform(-np.pi, np.pi, (50, 5)); q[:, 2:, 3] = 5.0; q[:, :2, 3] = 0.1056583755
    >>> events = ZJetsEvents(q, np.full(50, 3))
    >>> pre = EventPreprocessing().fit(events)
    >>> x, phi = pre.transform(events)
    >>> bool(np.allclose(pre.inverse(x, phi, events.n_jets).particles, q))
    True
    """

    def __init__(self, jet_pt_min: float = 20.0, whiten: bool = False):
        self.jet_pt_min = float(jet_pt_min)
        self.whiten = bool(whiten)
        self.mean = None
        self.std = None
        self.whitening = {}

    def _raw(self, events):
        q, n = events.particles, events.n_jets
        phi1 = q[:, 0, 2]
        cols = []
        for i in range(5):
            pt_min = 0.0 if i < 2 else self.jet_pt_min
            present = np.ones(len(n), bool) if i < 2 else n >= i - 1
            with np.errstate(divide="ignore", invalid="ignore"):
                pt = np.where(present, np.log(np.where(present, q[:, i, 0] - pt_min, 1.0)), 0.0)
            cols += [pt, np.where(present, q[:, i, 1], 0.0)]
            if i > 0:
                dphi = np.mod(q[:, i, 2] - phi1 + np.pi, 2 * np.pi) - np.pi
                cols.append(np.where(present, np.arctanh(np.clip(dphi / np.pi, -_EDGE, _EDGE)), 0.0))
            if i > 1:
                cols.append(np.where(present, q[:, i, 3], 0.0))
        x = np.stack(cols, axis=1)
        if not np.isfinite(x).all():
            raise ValueError("EventPreprocessing: an event has a p_T at or below p_T,min (log(p_T - p_T,min) "
                             "is not finite)")
        return x, phi1

    @staticmethod
    def _mask(n_jets):
        mask = np.zeros((len(n_jets), 17), bool)
        mask[:, BLOCKS[0]] = True
        mask[:, BLOCKS[1]] = (n_jets >= 2)[:, None]
        mask[:, BLOCKS[2]] = (n_jets >= 3)[:, None]
        return mask

    def fit(self, events):
        """Fix the means, standard deviations (and whitening matrices) from training events.

        Parameters
        ----------
        events : ZJetsEvents
            The training events (all multiplicities).

        Returns
        -------
        EventPreprocessing
            self.

        Examples
        --------
        >>> from numhep.torch.event_preprocessing import EventPreprocessing
        >>> from numhep.events.zjets_dataset import ZJetsEvents
        >>> q = np.ones((3, 5, 4)) * [30.0, 0.1, 0.2, 5.0]; q[:, 2, 0] = [25.0, 30.0, 40.0]
        >>> EventPreprocessing().fit(ZJetsEvents(q, np.array([1, 1, 1]))).std.shape
        (17,)
        """
        x, _ = self._raw(events)
        mask = self._mask(events.n_jets)
        count = np.maximum(mask.sum(0), 1)
        self.mean = np.where(mask, x, 0.0).sum(0) / count
        var = np.where(mask, (x - self.mean) ** 2, 0.0).sum(0) / count
        self.std = np.where(var > 0, np.sqrt(var), 1.0)
        self.whitening = {}
        if self.whiten:
            z = (x - self.mean) / self.std
            for k in (1, 2, 3):
                rows = events.n_jets == k
                for b, block in enumerate(BLOCKS[:k]):
                    zk = z[rows][:, block]
                    if len(zk) > zk.shape[1]:
                        cov = np.cov(zk, rowvar=False) + 1e-9 * np.eye(zk.shape[1])
                        self.whitening[(k, b)] = (zk.mean(0), np.linalg.cholesky(cov))
        return self

    def _check_fitted(self):
        if self.mean is None:
            raise ValueError("EventPreprocessing: call fit(training events) first")

    def transform(self, events):
        """Features of events: (n, 17) with zeros for missing jets, and the leading muon's azimuth.

        Parameters
        ----------
        events : ZJetsEvents
            The events.

        Returns
        -------
        tuple of numpy.ndarray
            Features (n, 17) and phi of the leading muon (n,).

        Examples
        --------
        >>> from numhep.torch.event_preprocessing import EventPreprocessing
        >>> from numhep.events.zjets_dataset import ZJetsEvents
        >>> q = np.ones((2, 5, 4)) * [30.0, 0.1, 0.2, 5.0]; q[:, 2, 0] = [25.0, 40.0]
        >>> events = ZJetsEvents(q, np.array([1, 1]))
        >>> x, phi = EventPreprocessing().fit(events).transform(events)
        >>> x[:, 5].round(6).tolist(), float(x[:, 9:].max())   # the first jet's log(pT - 20), standardised
        ([-1.0, 1.0], 0.0)
        """
        self._check_fitted()
        x, phi1 = self._raw(events)
        mask = self._mask(events.n_jets)
        z = np.where(mask, (x - self.mean) / self.std, 0.0)
        for (k, b), (mu, chol) in self.whitening.items():
            rows = events.n_jets == k
            z[np.ix_(rows, np.arange(17)[BLOCKS[b]])] = np.linalg.solve(chol, (z[rows][:, BLOCKS[b]] - mu).T).T
        return z, phi1

    def inverse(self, features, phi1, n_jets):
        """Events of features: the exact inverse of :meth:`transform`.

        Parameters
        ----------
        features : array_like
            (n, 17) features (entries of missing jets are ignored).
        phi1 : array_like
            (n,) azimuth of the leading muon.
        n_jets : array_like
            (n,) jet multiplicities.

        Returns
        -------
        ZJetsEvents
            The events (muon masses set to the muon mass, zeros for missing jets).

        Examples
        --------
        >>> from numhep.torch.event_preprocessing import EventPreprocessing
        >>> from numhep.events.zjets_dataset import ZJetsEvents
        >>> q = np.ones((2, 5, 4)) * [30.0, 0.1, 0.2, 5.0]; q[:, 2, 0] = [25.0, 40.0]
        >>> pre = EventPreprocessing().fit(ZJetsEvents(q, np.array([1, 1])))
        >>> pre.inverse(np.zeros((1, 17)), np.full(1, 0.2), np.array([1])).particles[0, 2].round(4).tolist()
        [30.0, 0.1, 0.2, 5.0]
        """
        self._check_fitted()
        z = np.array(features, dtype=np.float64)
        n_jets = np.asarray(n_jets, dtype=np.int64)
        if z.shape != (len(n_jets), 17):
            raise ValueError(f"EventPreprocessing.inverse: features must have shape ({len(n_jets)}, 17), got {z.shape}")
        for (k, b), (mu, chol) in self.whitening.items():
            rows = n_jets == k
            z[np.ix_(rows, np.arange(17)[BLOCKS[b]])] = z[rows][:, BLOCKS[b]] @ chol.T + mu
        x = z * self.std + self.mean
        phi1 = np.asarray(phi1, dtype=np.float64)
        q = np.zeros((len(n_jets), 5, 4))
        col = 0
        for i in range(5):
            pt_min = 0.0 if i < 2 else self.jet_pt_min
            q[:, i, 0] = np.exp(x[:, col]) + pt_min
            q[:, i, 1] = x[:, col + 1]
            col += 2
            if i == 0:
                q[:, i, 2] = phi1
            else:
                q[:, i, 2] = np.mod(phi1 + np.pi * np.tanh(x[:, col]) + np.pi, 2 * np.pi) - np.pi
                col += 1
            if i > 1:
                q[:, i, 3] = x[:, col]
                col += 1
            else:
                q[:, i, 3] = _MUON_MASS
        q[:, 2:][np.arange(3)[None, :] >= n_jets[:, None]] = 0.0
        return ZJetsEvents(q, n_jets)

    def state(self):
        """The fitted parameters as plain arrays (for checkpoints).

        Returns
        -------
        dict
            ``jet_pt_min``, ``whiten``, ``mean``, ``std`` and the whitening matrices.

        Examples
        --------
        >>> from numhep.torch.event_preprocessing import EventPreprocessing
        >>> from numhep.events.zjets_dataset import ZJetsEvents
        >>> q = np.ones((2, 5, 4)) * [30.0, 0.1, 0.2, 5.0]; q[:, 2, 0] = [25.0, 40.0]
        >>> pre = EventPreprocessing().fit(ZJetsEvents(q, np.array([1, 1])))
        >>> back = EventPreprocessing.from_state(pre.state())
        >>> bool(np.array_equal(back.mean, pre.mean))
        True
        """
        self._check_fitted()
        white = {f"{k}_{b}": np.concatenate([mu[:, None], chol], axis=1)
                 for (k, b), (mu, chol) in self.whitening.items()}
        return {"jet_pt_min": self.jet_pt_min, "whiten": self.whiten, "mean": self.mean, "std": self.std,
                "whitening": white}

    @classmethod
    def from_state(cls, state):
        """A preprocessing from :meth:`state`.

        Parameters
        ----------
        state : dict
            What :meth:`state` returned.

        Returns
        -------
        EventPreprocessing
            The fitted preprocessing.

        Examples
        --------
        >>> from numhep.torch.event_preprocessing import EventPreprocessing
        >>> EventPreprocessing.from_state({"jet_pt_min": 20.0, "whiten": False, "mean": np.zeros(17),
        ...                                "std": np.ones(17), "whitening": {}}).jet_pt_min
        20.0
        """
        pre = cls(state["jet_pt_min"], state["whiten"])
        pre.mean, pre.std = np.asarray(state["mean"]), np.asarray(state["std"])
        for key, m in state["whitening"].items():
            k, b = (int(v) for v in key.split("_"))
            m = np.asarray(m)
            pre.whitening[(k, b)] = (m[:, 0], m[:, 1:])
        return pre
