"""The classifier metric of a generative network: a classifier trained on generated (label 0)
against truth (label 1) events learns the weight (T. Heimel, The Flow of LHC Events, PhD thesis,
Heidelberg 2024, Sec. 4.4; Das, Favaro, Heimel, Krause, Plehn, Shih, arXiv:2305.16774)

    w(x) = p_data(x) / p_model(x) = C(x) / (1 - C(x))                         (Eq. 4.16),

its ROC curve and AUC say how well the two can be told apart, the weight distributions on both
sets show the failure modes, and reweighting the generated events by w corrects them.  With a
Bayesian generator's density mean mu(x) and spread sigma(x) the mixed pull (Eq. 4.18)

    t(x) = mu(x) [1 - w(x)] / sigma(x)

compares the two uncertainty estimates.  The classifier is a fully connected network with
leaky ReLU and dropout trained with the binary cross-entropy, the classes balanced by weights
(thesis Tab. A.2 at a smaller scale by default); the inputs of Z + jets events are those of
Eq. 4.17 (:func:`classifier_inputs`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from numhep.events.collider_coordinates import delta_phi

__all__ = ["ClassifierResult", "classifier_inputs", "mixed_pull", "roc_auc", "train_classifier", "weight_spread"]


def classifier_inputs(events, n_jets: int, *, dr_cutoff: float = 0.2):
    """The classifier inputs of k-jet events (thesis Eq. 4.17).

    p_T, eta of every particle, Delta phi to the leading muon for the others, the jet masses,
    M_mumu, and 1 / max(Delta R_jj, ``dr_cutoff``) of every jet pair (the inverse focuses the
    classifier on small Delta R; the cutoff keeps it finite).

    Parameters
    ----------
    events : ZJetsEvents
        The events; only those with ``n_jets`` jets are used.
    n_jets : int
        The multiplicity, 1 to 3.
    dr_cutoff : float, optional
        The smallest Delta R inverted (default 0.2).

    Returns
    -------
    numpy.ndarray
        (n_k, 6 + 4 k + k (k - 1) / 2) inputs, float64.

    Examples
    --------
    >>> from numhep.torch.classifier_metric import classifier_inputs
    >>> from numhep.events.zjets_dataset import ZJetsEvents
    >>> q = np.zeros((2, 5, 4)); q[:, :3] = [[40, 0, 0, 0.1], [30, 1, 2, 0.1], [25, -1, 3, 6]]
    >>> classifier_inputs(ZJetsEvents(q, np.array([1, 1])), 1).shape
    (2, 10)
    """
    if n_jets not in (1, 2, 3):
        raise ValueError(f"classifier_inputs: n_jets must be 1, 2 or 3, got {n_jets}")
    sel = events.select(int(n_jets))
    q = sel.particles
    obs = sel.observables()
    cols = [q[:, 0, 0], q[:, 0, 1]]
    for i in range(1, 2 + n_jets):
        cols += [q[:, i, 0], q[:, i, 1], delta_phi(q[:, i, 2], q[:, 0, 2])]
        if i >= 2:
            cols.append(q[:, i, 3])
    cols.append(obs["m_mumu"])
    for a, b in ((1, 2), (2, 3), (1, 3)):
        if b <= n_jets:
            cols.append(1.0 / np.maximum(obs[f"dr_j{a}j{b}"], dr_cutoff))
    return np.stack(cols, axis=1)


def roc_auc(scores, labels, weights=None):
    """The ROC curve and the area under it of a score separating label 1 from label 0.

    The AUC is the (weighted) probability that a label-1 point scores above a label-0 point,
    ties counted half (the Mann-Whitney statistic).

    Parameters
    ----------
    scores : array_like
        (n,) classifier outputs.
    labels : array_like
        (n,) 0 or 1.
    weights : array_like, optional
        (n,) event weights (default ones).

    Returns
    -------
    tuple
        False-positive rates, true-positive rates (both rising from 0 to 1) and the AUC.

    Examples
    --------
    >>> from numhep.torch.classifier_metric import roc_auc
    >>> fpr, tpr, auc = roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    >>> auc
    0.75
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    w = np.ones_like(s) if weights is None else np.asarray(weights, dtype=np.float64)
    if s.shape != y.shape or s.shape != w.shape or s.ndim != 1:
        raise ValueError("roc_auc: scores, labels and weights must be (n,) arrays of one length")
    if not (y.any() and (~y).any()):
        raise ValueError("roc_auc: both labels must occur")
    order = np.argsort(-s, kind="stable")
    s, y, w = s[order], y[order], w[order]
    tp, fp = np.cumsum(w * y), np.cumsum(w * ~y)
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # one point per distinct score
    tpr = np.r_[0.0, tp[last] / tp[-1]]
    fpr = np.r_[0.0, fp[last] / fp[-1]]
    auc = float(np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2))  # trapezoids count ties half
    return fpr, tpr, auc


def mixed_pull(mu, sigma, w):
    """The mixed pull t(x) = mu(x) [1 - w(x)] / sigma(x) of a Bayesian generator's density and a
    classifier weight (thesis Eq. 4.18).

    Parameters
    ----------
    mu : array_like
        Mean density over network replicas.
    sigma : array_like
        Its standard deviation.
    w : array_like
        Classifier weights.

    Returns
    -------
    numpy.ndarray
        t, NaN where sigma is 0.

    Examples
    --------
    >>> from numhep.torch.classifier_metric import mixed_pull
    >>> mixed_pull([2.0, 1.0], [0.5, 0.0], [0.5, 1.0]).tolist()
    [2.0, nan]
    """
    mu, sigma, w = (np.asarray(a, dtype=np.float64) for a in (mu, sigma, w))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sigma > 0, mu * (1 - w) / sigma, np.nan)


def weight_spread(w):
    """The width of a classifier weight distribution (thesis Sec. 4.4, Figs. 4.8, 4.10): half the
    16-84 % range of log w, the Gaussian-equivalent sigma of log w for a good generator (0 for a
    perfect one), and the share of events with |log w| > 1 (w outside 1/e .. e), the tails of the
    failure modes.

    Parameters
    ----------
    w : array_like
        Classifier weights w(x) = C / (1 - C) (Eq. 4.16), all positive.

    Returns
    -------
    tuple of float
        The 16-84 % half-width of log w and the share with |log w| > 1.

    Examples
    --------
    >>> from numhep.torch.classifier_metric import weight_spread
    >>> half, tail = weight_spread(np.exp([-2.0, -0.1, 0.0, 0.1, 0.3]))
    >>> round(half, 3), tail
    (0.478, 0.2)
    """
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 1 or len(w) == 0 or not (np.isfinite(w).all() and (w > 0).all()):
        raise ValueError("weight_spread: w must be a non-empty (n,) array of positive finite weights")
    lw = np.log(w)
    q16, q84 = np.quantile(lw, [0.16, 0.84])
    return float(q84 - q16) / 2, float(np.mean(np.abs(lw) > 1))


@dataclass
class ClassifierResult:
    """A trained classifier metric: the network, its input scaling, and its verdict on held-out
    events.

    Parameters
    ----------
    network : torch.nn.Module
        The classifier (logit output).
    mean : numpy.ndarray
        The inputs' means (standardisation).
    std : numpy.ndarray
        The inputs' standard deviations.
    auc : float
        Area under the ROC curve on the held-out events.
    fpr : numpy.ndarray
        False-positive rates of the ROC curve.
    tpr : numpy.ndarray
        True-positive rates.
    weights_generated : numpy.ndarray
        w(x) on the held-out generated events.
    weights_truth : numpy.ndarray
        w(x) on the held-out truth events.
    test_generated : numpy.ndarray
        Indices of the held-out generated events in the input array.
    test_truth : numpy.ndarray
        Indices of the held-out truth events.
    losses : numpy.ndarray
        Validation loss per epoch.

    Examples
    --------
    >>> from numhep.torch.classifier_metric import train_classifier
    >>> rng = np.random.default_rng(1)
    >>> res = train_classifier(rng.normal(size=(400, 1)), rng.normal(size=(400, 1)), epochs=2, progress=False)
    >>> res.weights(np.zeros((1, 1))).shape
    (1,)
    """

    network: torch.nn.Module
    mean: np.ndarray
    std: np.ndarray
    auc: float
    fpr: np.ndarray
    tpr: np.ndarray
    weights_generated: np.ndarray
    weights_truth: np.ndarray
    test_generated: np.ndarray
    test_truth: np.ndarray
    losses: np.ndarray

    def weights(self, x):
        """w(x) = C(x) / (1 - C(x)) = exp(logit) for inputs x (thesis Eq. 4.16).

        Parameters
        ----------
        x : array_like
            (n, d) classifier inputs.

        Returns
        -------
        numpy.ndarray
            (n,) weights.

        Examples
        --------
        >>> from numhep.torch.classifier_metric import train_classifier
        >>> rng = np.random.default_rng(1)
        >>> res = train_classifier(rng.normal(size=(200, 2)), rng.normal(size=(200, 2)), epochs=1, progress=False)
        >>> bool((res.weights(rng.normal(size=(5, 2))) > 0).all())
        True
        """
        z = torch.as_tensor((np.asarray(x, dtype=np.float64) - self.mean) / self.std, dtype=torch.float32)
        self.network.eval()
        with torch.no_grad():
            return np.exp(np.clip(self.network(z)[:, 0].double().numpy(), -30, 30))


def _network(n_in, layers, units, dropout):
    mods, width = [], n_in
    for _ in range(layers - 1):
        mods += [torch.nn.Linear(width, units), torch.nn.LeakyReLU(), torch.nn.Dropout(dropout)]
        width = units
    return torch.nn.Sequential(*mods, torch.nn.Linear(width, 1))


def train_classifier(generated, truth, *, generated_weights=None, layers: int = 4, units: int = 128,
                     dropout: float = 0.1, epochs: int = 30, batch_size: int = 1024, lr: float = 1e-3,
                     test_fraction: float = 0.5, validation_fraction: float = 0.1, patience: int = 5,
                     seed: int = 1, progress: bool = True):
    """Train a classifier on generated (label 0) versus truth (label 1) inputs and evaluate it on
    held-out events (thesis Sec. 4.4).

    Binary cross-entropy with class weights N / (2 N_class), so that the optimum is
    C = p_data / (p_data + p_model) whatever the sample sizes and w = C / (1 - C) is the density
    ratio (Eq. 4.16); generated events may carry weights (e.g. the magic transformation's).  Adam
    with the learning rate cut by 10 when the validation loss stalls for ``patience`` epochs
    (5, Tab. A.2); the network of the best validation epoch is kept.

    Parameters
    ----------
    generated : array_like
        (n_g, d) inputs of generated events.
    truth : array_like
        (n_t, d) inputs of truth events.
    generated_weights : array_like, optional
        (n_g,) weights of the generated events.
    layers : int, optional
        Linear layers (default 4; thesis 5).
    units : int, optional
        Hidden units (default 128; thesis 256).
    dropout : float, optional
        Dropout rate (default 0.1).
    epochs : int, optional
        Epochs (default 30).
    batch_size : int, optional
        Batch size (default 1024).
    lr : float, optional
        Learning rate (default 1e-3).
    test_fraction : float, optional
        Share of each set held out for the ROC curve and the weights (default 0.5).
    validation_fraction : float, optional
        Share of each set used for the validation loss (default 0.1).
    patience : int, optional
        Epochs without a better validation loss before the learning rate is cut by 10
        (default 5, the thesis's).  The thesis's epochs have many steps; a small set with few
        batches an epoch wants more patience, or it cuts the rate before the network learned.
    seed : int, optional
        Seed of the split, weights and batches (default 1).
    progress : bool, optional
        Show a progress bar (default True).

    Returns
    -------
    ClassifierResult
        The network, the AUC and ROC curve and the weights on the held-out events.

    Examples
    --------
    >>> from numhep.torch.classifier_metric import train_classifier
    >>> rng = np.random.default_rng(2)
    >>> res = train_classifier(rng.normal(0, 1, (2000, 1)), rng.normal(1, 1, (2000, 1)), epochs=5, progress=False)
    >>> bool(res.auc > 0.65)
    True
    """
    from tqdm.auto import tqdm

    xg, xt = np.asarray(generated, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    if xg.ndim != 2 or xt.ndim != 2 or xg.shape[1] != xt.shape[1]:
        raise ValueError(f"train_classifier: inputs must be (n, d) arrays of one d, got {xg.shape} and {xt.shape}")
    wg = np.ones(len(xg)) if generated_weights is None else np.asarray(generated_weights, dtype=np.float64)
    if wg.shape != (len(xg),):
        raise ValueError(f"train_classifier: generated_weights must have shape ({len(xg)},)")
    if not (np.isfinite(xg).all() and np.isfinite(xt).all()):
        raise ValueError("train_classifier: the inputs hold a non-finite number")
    if patience < 0:
        raise ValueError(f"train_classifier: patience must be a number of epochs >= 0, got {patience}")
    rng = np.random.default_rng([seed, 44])

    def split(n):
        order = rng.permutation(n)
        n_test, n_val = int(test_fraction * n), int(validation_fraction * n)
        return order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]

    (gte, gva, gtr), (tte, tva, ttr) = split(len(xg)), split(len(xt))
    if min(len(gtr), len(ttr), len(gva), len(tva), len(gte), len(tte)) == 0:
        raise ValueError("train_classifier: too few events for the training, validation and test splits")
    mean = np.concatenate([xg[gtr], xt[ttr]]).mean(0)
    std = np.concatenate([xg[gtr], xt[ttr]]).std(0)
    std = np.where(std > 0, std, 1.0)

    def tensors(gi, ti):
        x = np.concatenate([xg[gi], xt[ti]])
        y = np.r_[np.zeros(len(gi)), np.ones(len(ti))]
        w = np.r_[wg[gi] / wg[gi].sum(), np.ones(len(ti)) / len(ti)] * (len(gi) + len(ti)) / 2
        return (torch.as_tensor((x - mean) / std, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32),
                torch.as_tensor(w, dtype=torch.float32))

    x_tr, y_tr, w_tr = tensors(gtr, ttr)
    x_va, y_va, w_va = tensors(gva, tva)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = _network(xg.shape[1], layers, units, dropout)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=patience)
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        best, best_state, losses = math.inf, None, []
        for _ in tqdm(range(epochs), desc="train classifier", disable=not progress):
            net.train()
            order = torch.as_tensor(rng.permutation(len(x_tr)))
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                loss = bce(net(x_tr[idx])[:, 0], y_tr[idx], weight=w_tr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            net.eval()
            with torch.no_grad():
                val = float(bce(net(x_va)[:, 0], y_va, weight=w_va))
            losses.append(val)
            sched.step(val)
            if val < best:
                best, best_state = val, {k: v.clone() for k, v in net.state_dict().items()}
        net.load_state_dict(best_state)
    result = ClassifierResult(net, mean, std, 0.0, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), gte, tte,
                              np.asarray(losses))
    w_gen, w_truth = result.weights(xg[gte]), result.weights(xt[tte])
    fpr, tpr, auc = roc_auc(np.log(np.r_[w_gen, w_truth]), np.r_[np.zeros(len(gte)), np.ones(len(tte))],
                            np.r_[wg[gte] / wg[gte].mean(), np.ones(len(tte))])
    result.auc, result.fpr, result.tpr = auc, fpr, tpr
    result.weights_generated, result.weights_truth = w_gen, w_truth
    return result
