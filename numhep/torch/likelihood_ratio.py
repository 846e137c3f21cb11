"""Parametrised likelihood-ratio estimators trained on joint ratios and scores.

An estimator learns log r_hat(x | theta) ~ log p(x | theta) / p(x | theta_ref) as a network of
the observables x and the parameter theta; its score t_hat(x | theta) = d log r_hat/d theta
comes from autograd.  The labels are the joint ratio r(x, z | theta, theta_ref) and joint
score t(x, z | theta) of :func:`numhep.joint_likelihood_data` (from numhep's |M|^2 and its
parameter derivative), and the losses of Brehmer, Cranmer, Louppe & Pavez, "A guide to
constraining effective field theories with machine learning", arXiv:1805.00020 (Eqs. 15-20;
Brehmer, Louppe, Pavez & Cranmer, "Mining gold", arXiv:1805.12244), and Stoye et al., ALICES,
arXiv:1808.00973 (Eq. 11).  With
y = 0 for events drawn at theta and y = 1 for those drawn at theta_ref, and the decision
function s_hat = 1 / (1 + r_hat):

    CARL:   -(1 - y) log(1 - s_hat) - y log s_hat
    ROLR:   (1 - y) |r_hat - r|^2 + y |1/r_hat - 1/r|^2
    ALICES: -s log s_hat - (1 - s) log(1 - s_hat),   s = 1 / (1 + r)
    + alpha (1 - y) |t_hat - t|^2  (CASCAL = CARL + score, RASCAL = ROLR + score, ALICES with alpha > 0)

All of them are minimised by the marginal ratio (and score): the joint labels are unbiased
"noisy" versions of the marginal ones.  The score term is measured in units of ``theta_scale``
(the spread of the training thetas), so that alpha is dimensionless.

:class:`RatioTrainer` trains with Adam and a cosine schedule, holds out a validation share,
records the training loss and the validation loss of the ratio term alone (the quantity
with and without the score term have in common), shows a tqdm bar, plots its curves
(:meth:`RatioTrainer.plot`), and with ``checkpoint=path`` resumes an interrupted training bit
for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from numhep.torch.training_checkpoint import load_training_state, save_training_state
from numhep.torch.training_curves import save_training_curves

__all__ = ["METHODS", "RatioEstimator", "RatioTrainer", "ratio_loss"]

#: method -> (ratio term, whether it has the score term)
METHODS = {"carl": ("carl", False), "rolr": ("rolr", False), "alices": ("alices", False),
           "cascal": ("carl", True), "rascal": ("rolr", True), "alices+score": ("alices", True)}


class RatioEstimator(nn.Module):
    """A parametrised likelihood-ratio estimator: log r_hat(x | theta) as an MLP of the standardised x and theta.

    The network learns log r_hat(x | theta) ~ log p(x | theta) / p(x | theta_ref) from the
    observables x and the parameter theta; its score t_hat(x | theta) = d log r_hat/d theta
    comes from autograd (:meth:`log_ratio_and_score`).  Trained on joint ratios and scores by
    :class:`RatioTrainer` (Brehmer, Louppe, Pavez & Cranmer, "Mining gold from implicit
    models", arXiv:1805.12244).  The inputs are standardised, (x - x_mean) / x_std and
    (theta - theta_mean) / theta_std, with the statistics of the training data; smooth
    activations (SiLU) keep the score and its training derivative smooth.  The network
    computes in float64.

    Parameters
    ----------
    n_features : int
        The number d of observables per event.
    hidden : sequence of int, optional
        The widths of the hidden layers (default (64, 64, 64)).
    x_mean, x_std : array_like, optional
        Mean and standard deviation of every observable, shape (d,) (default 0 and 1).
    theta_mean, theta_std : float, optional
        Mean and standard deviation of the parameter (default 0 and 1).

    See Also
    --------
    RatioTrainer : trains it.
    likelihood_scan : the test statistic over a parameter grid from it.

    Examples
    --------
    >>> import torch
    >>> import numhep.torch as nt
    >>> estimator = nt.RatioEstimator(2, hidden=(8,))
    >>> x, theta = torch.zeros(5, 2, dtype=torch.float64), torch.zeros(5, dtype=torch.float64)
    >>> estimator(x, theta).shape
    torch.Size([5])
    >>> log_r, score = estimator.log_ratio_and_score(x, theta)
    >>> score.shape
    torch.Size([5])
    >>> estimator.log_ratio(np.zeros((5, 2)), [0.0, 0.5, 1.0]).shape  # numpy, (thetas, events)
    (3, 5)
    """

    def __init__(self, n_features: int, hidden=(64, 64, 64), x_mean=None, x_std=None, theta_mean=0.0,
                 theta_std=1.0):
        super().__init__()
        layers, width = [], n_features + 1
        for h in hidden:
            layers += [nn.Linear(width, h), nn.SiLU()]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers).double()
        self.register_buffer("x_mean", torch.as_tensor(np.zeros(n_features) if x_mean is None else x_mean,
                                                       dtype=torch.float64))
        self.register_buffer("x_std", torch.as_tensor(np.ones(n_features) if x_std is None else x_std,
                                                      dtype=torch.float64))
        self.register_buffer("theta_mean", torch.tensor(float(theta_mean), dtype=torch.float64))
        self.register_buffer("theta_std", torch.tensor(float(theta_std), dtype=torch.float64))

    def forward(self, x, theta):
        """The log ratio log r_hat(x | theta).

        Parameters
        ----------
        x : torch.Tensor
            Observables, shape (n, d), float64.
        theta : torch.Tensor
            Parameters, shape (n,), float64.

        Returns
        -------
        torch.Tensor
            log r_hat, shape (n,).
        """
        z = torch.cat([(x - self.x_mean) / self.x_std, ((theta - self.theta_mean) / self.theta_std)[:, None]], dim=1)
        return self.net(z)[:, 0]

    def log_ratio_and_score(self, x, theta, create_graph: bool = False):
        """The log ratio and its score t_hat = d log r_hat/d theta.

        Parameters
        ----------
        x : torch.Tensor
            Observables, shape (n, d), float64.
        theta : torch.Tensor
            Parameters, shape (n,), float64.
        create_graph : bool, optional
            Keep the score's graph, so that a loss of the score can be differentiated in the
            network's parameters (default False).

        Returns
        -------
        log_r : torch.Tensor
            log r_hat, shape (n,).
        score : torch.Tensor
            t_hat, shape (n,).
        """
        theta = theta.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            log_r = self(x, theta)
            (score,) = torch.autograd.grad(log_r.sum(), theta, create_graph=create_graph)
        return log_r, score

    @torch.no_grad()
    def log_ratio(self, x, theta):
        """The log ratio of every observation at every parameter of a grid, as numpy.

        Parameters
        ----------
        x : array_like
            Observations, shape (n, d), or (n,) for one observable.
        theta : float or array_like
            The parameter grid, shape (k,).

        Returns
        -------
        numpy.ndarray
            log r_hat, shape (k, n).
        """
        x = np.asarray(x, dtype=np.float64)
        x = torch.as_tensor(x[:, None] if x.ndim == 1 else x)
        return torch.stack([self(x, torch.full((x.shape[0],), float(t), dtype=torch.float64))
                            for t in np.atleast_1d(theta)]).numpy()


def ratio_loss(method: str, log_r_hat, y, log_r, score_hat=None, score=None, alpha: float = 0.0,
               theta_scale: float = 1.0):
    r"""The loss of a likelihood-ratio estimator on joint ratios and scores.

    The losses of Brehmer, Louppe, Pavez & Cranmer ("Mining gold from implicit models",
    arXiv:1805.12244) and of Stoye et al. (ALICES, arXiv:1808.00973, Eq. 11).  With y = 0 for
    events drawn at theta and y = 1 for those drawn at theta_ref, the decision function
    :math:`\hat s = 1 / (1 + \hat r)` and the joint ratio r:

    .. math::

        L_\text{CARL} &= -(1 - y) \log(1 - \hat s) - y \log \hat s, \\
        L_\text{ROLR} &= (1 - y) (\hat r - r)^2 + y (1/\hat r - 1/r)^2, \\
        L_\text{ALICES} &= -s \log \hat s - (1 - s) \log(1 - \hat s), \qquad s = 1 / (1 + r),

    averaged over the batch, plus the score term
    :math:`\alpha (1 - y) ((\hat t - t) \theta_\text{scale})^2`, averaged over the events with
    y = 0, for the methods that have it (CASCAL = CARL + score, RASCAL = ROLR + score,
    ALICES + score).  All of them are minimised by the marginal ratio (and score): the joint
    labels are unbiased "noisy" versions of the marginal ones.

    Parameters
    ----------
    method : str
        A key of ``METHODS``: ``"carl"``, ``"rolr"``, ``"alices"``, ``"cascal"``,
        ``"rascal"`` or ``"alices+score"``.
    log_r_hat : torch.Tensor
        The estimator's log r_hat, shape (n,).
    y : torch.Tensor
        The labels, 0 (drawn at theta) or 1 (drawn at theta_ref), shape (n,).
    log_r : torch.Tensor
        The joint log ratios log r(x, z | theta, theta_ref), shape (n,).
    score_hat : torch.Tensor, optional
        The estimator's score t_hat, shape (n,); needed by the score term.
    score : torch.Tensor, optional
        The joint scores t(x, z | theta), shape (n,); needed by the score term.
    alpha : float, optional
        The weight of the score term (default 0: none).
    theta_scale : float, optional
        The unit in which the score term measures the scores' difference (the spread of the
        training thetas), so that alpha is dimensionless (default 1).

    Returns
    -------
    total : torch.Tensor
        The loss, a scalar.
    ratio : torch.Tensor
        Its ratio term alone, a scalar (``total`` without the score term).

    Raises
    ------
    ValueError
        If ``method`` is unknown, or the score term is asked for without ``score_hat`` and
        ``score``.

    Examples
    --------
    >>> import torch
    >>> import numhep.torch as nt
    >>> zeros = torch.zeros(4, dtype=torch.float64)
    >>> total, ratio = nt.ratio_loss("carl", zeros, torch.tensor([0, 1, 0, 1]), zeros)
    >>> round(float(total), 4)  # log 2 for r_hat = 1
    0.6931
    >>> total, ratio = nt.ratio_loss("rascal", zeros[:2], torch.tensor([0, 1]), zeros[:2], score_hat=zeros[:2],
    ...                              score=torch.ones(2, dtype=torch.float64), alpha=0.5)
    >>> float(total), float(ratio)
    (0.5, 0.0)
    """
    if method not in METHODS:
        raise ValueError(f"method: expected one of {sorted(METHODS)}, got {method!r}")
    term, with_score = METHODS[method]
    y = y.to(log_r_hat.dtype)
    if term == "carl":  # log s_hat = logsigmoid(-log r_hat), log(1 - s_hat) = logsigmoid(log r_hat)
        ratio = -((1 - y) * F.logsigmoid(log_r_hat) + y * F.logsigmoid(-log_r_hat))
    elif term == "alices":
        s = torch.sigmoid(-log_r)
        ratio = -(s * F.logsigmoid(-log_r_hat) + (1 - s) * F.logsigmoid(log_r_hat))
    else:
        ratio = (1 - y) * (torch.exp(log_r_hat) - torch.exp(log_r)) ** 2 \
            + y * (torch.exp(-log_r_hat) - torch.exp(-log_r)) ** 2
    ratio = ratio.mean()
    if not with_score or alpha == 0.0:
        return ratio, ratio
    if score_hat is None or score is None:
        raise ValueError(f"method {method!r}: the score term needs score_hat and score")
    weight = 1 - y
    score_term = (weight * ((score_hat - score) * theta_scale) ** 2).sum() / weight.sum().clamp(min=1.0)
    return ratio + alpha * score_term, ratio


@dataclass
class TrainingHistory:
    step: list = field(default_factory=list)  # steps of the validation points
    train_loss: list = field(default_factory=list)  # per step
    validation_ratio_loss: list = field(default_factory=list)  # ratio term on the held-out events
    monitor: list = field(default_factory=list)  # what train(monitor=...) returned at those steps


class RatioTrainer:
    """Train a :class:`RatioEstimator` on joint likelihood ratios and scores.

    The labels are the joint ratio r(x, z | theta, theta_ref) and joint score t(x, z | theta)
    of :func:`numhep.joint_likelihood_data` (from numhep's ``|M|^2`` and its parameter
    derivative), and the loss is one of :func:`ratio_loss` (Brehmer, Louppe, Pavez & Cranmer,
    "Mining gold from implicit models", arXiv:1805.12244; Stoye et al., ALICES,
    arXiv:1808.00973).  The score term is measured in units of the spread of the training
    thetas, so that alpha is dimensionless.

    The trainer holds out a validation share, trains with Adam and a cosine schedule
    (:meth:`train`), records the training loss and the validation loss of the ratio term alone
    (the quantity with and without the score term have in common), shows a tqdm bar, plots its
    curves (:meth:`plot`), and with ``checkpoint`` resumes an interrupted training bit for bit.

    Parameters
    ----------
    x : array_like
        Observables, shape (n, d), or (n,) for one observable; finite.
    theta : array_like
        The parameter of every event, shape (n,).
    label : array_like
        y = 0 for events drawn at theta, 1 for those drawn at theta_ref, shape (n,).
    log_r : array_like
        The joint log ratios, shape (n,).
    score : array_like
        The joint scores, shape (n,).
    method : str, optional
        The loss, a key of ``METHODS`` (see :func:`ratio_loss`; default ``"alices+score"``).
    alpha : float, optional
        The weight of the score term (default 1).
    hidden : sequence of int, optional
        The estimator's hidden widths (default (64, 64, 64)).
    lr : float, optional
        Adam's initial learning rate (default 1e-3).
    batch_size : int, optional
        Events per step (default 256).
    validation : float, optional
        The share of the events held out for validation (default 0.2).
    seed : int, optional
        Seed of the split, the initial weights and the batches (default 0).
    checkpoint : str or pathlib.Path, optional
        A file that saves the training every ``checkpoint_every`` steps and at the end; a
        trainer with the same settings and path resumes from it.
    checkpoint_every : int, optional
        Steps between checkpoints (default 500).

    Attributes
    ----------
    estimator : RatioEstimator
        The estimator being trained.
    history : TrainingHistory
        Per step the training loss (``train_loss``); at the validation steps (``step``) the
        validation ratio loss (``validation_ratio_loss``) and the monitor's values
        (``monitor``).

    Raises
    ------
    ValueError
        If ``method`` is unknown, the arrays' shapes do not fit, a value is not finite, or the
        checkpoint holds a training of other settings.

    Examples
    --------
    >>> import numhep.torch as nt
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.uniform(-1.0, 1.0, 200)
    >>> x = rng.normal(theta[:, None], 1.0, (200, 2))
    >>> label, log_r, score = rng.integers(0, 2, 200), rng.normal(0.0, 0.1, 200), rng.normal(0.0, 1.0, 200)
    >>> trainer = nt.RatioTrainer(x, theta, label, log_r, score, hidden=(8,), batch_size=32)
    >>> history = trainer.train(3, validate_every=1, progress=False)
    >>> len(history.train_loss), history.step
    (3, [0, 1, 2, 3])
    """

    def __init__(self, x, theta, label, log_r, score, *, method: str = "alices+score", alpha: float = 1.0,
                 hidden=(64, 64, 64), lr: float = 1e-3, batch_size: int = 256, validation: float = 0.2,
                 seed: int = 0, checkpoint=None, checkpoint_every: int = 500):
        if method not in METHODS:
            raise ValueError(f"method: expected one of {sorted(METHODS)}, got {method!r}")
        x = np.asarray(x, dtype=np.float64)
        x = x[:, None] if x.ndim == 1 else x
        columns = [np.asarray(a, dtype=np.float64).reshape(-1) for a in (theta, label, log_r, score)]
        n = x.shape[0]
        if x.ndim != 2 or any(c.shape[0] != n for c in columns):
            raise ValueError(f"x, theta, label, log_r, score: expected (n, d) and four (n,) arrays with one n, got "
                             f"{x.shape} and {[c.shape for c in columns]}")
        if not (np.all(np.isfinite(x)) and all(np.all(np.isfinite(c)) for c in columns)):
            raise ValueError("x, theta, label, log_r, score: must be finite (drop events without observables)")
        self.method, self.alpha = method, float(alpha)
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        order = np.random.default_rng(seed).permutation(n)
        n_val = int(round(validation * n))
        self._val, self._train = order[:n_val], order[n_val:]
        as_t = torch.as_tensor
        self._x = as_t(x)
        self._theta, self._y, self._log_r, self._score = (as_t(c) for c in columns)
        tr = self._train
        self.theta_scale = float(np.std(columns[0][tr])) or 1.0
        torch.manual_seed(seed)
        self.estimator = RatioEstimator(x.shape[1], hidden, x[tr].mean(0), x[tr].std(0) + 1e-12,
                                        columns[0][tr].mean(), self.theta_scale)
        self.optimizer = torch.optim.Adam(self.estimator.parameters(), lr=lr)
        self.lr = lr
        self.step = 0
        self.history = TrainingHistory()
        self._rng = torch.Generator().manual_seed(seed)
        self.checkpoint = None if checkpoint is None else Path(checkpoint)
        self.checkpoint_every = int(checkpoint_every)
        self._settings = {"method": method, "alpha": self.alpha, "hidden": list(hidden), "lr": lr,
                          "batch_size": self.batch_size, "validation": validation, "seed": self.seed, "n": n}
        if self.checkpoint is not None and self.checkpoint.exists():
            self._load(self.checkpoint)

    def _loss(self, rows, create_graph):
        x, theta = self._x[rows], self._theta[rows]
        with_score = METHODS[self.method][1] and self.alpha > 0
        if with_score:
            log_r_hat, score_hat = self.estimator.log_ratio_and_score(x, theta, create_graph=create_graph)
        else:
            log_r_hat, score_hat = self.estimator(x, theta), None
        return ratio_loss(self.method, log_r_hat, self._y[rows], self._log_r[rows], score_hat, self._score[rows],
                          self.alpha, self.theta_scale)

    def validation_ratio_loss(self) -> float:
        """The ratio term of the loss on the held-out events.

        Returns
        -------
        float
            The validation ratio loss.
        """
        rows = torch.as_tensor(self._val)
        with torch.no_grad():
            term = METHODS[self.method][0]
            log_r_hat = self.estimator(self._x[rows], self._theta[rows])
            return float(ratio_loss(term, log_r_hat, self._y[rows], self._log_r[rows])[0])

    def train(self, steps: int, validate_every: int = 50, progress: bool = True, monitor=None) -> TrainingHistory:
        """Train up to ``steps`` steps in all (a resumed training does the rest).

        Parameters
        ----------
        steps : int
            The total number of steps.
        validate_every : int, optional
            Every so many steps (and at the start and the end) the history records the
            validation ratio loss and the monitor's value (default 50).
        progress : bool, optional
            Show a progress bar (default True).
        monitor : callable, optional
            A function of the estimator giving a number (the distance to a known ratio, say).

        Returns
        -------
        TrainingHistory
            The history: ``step``, ``train_loss``, ``validation_ratio_loss`` and ``monitor``.
        """
        total = int(steps)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, initial=self.step, desc=f"ratio ({self.method})", unit="step")
        train = torch.as_tensor(self._train)

        def validate():
            self.history.step.append(self.step)
            self.history.validation_ratio_loss.append(self.validation_ratio_loss())
            if monitor is not None:
                self.history.monitor.append(float(monitor(self.estimator)))

        if self.step == 0 and not self.history.step:
            validate()  # the untrained estimator: where the curves start
        try:
            while self.step < total:
                pick = torch.randint(0, train.numel(), (self.batch_size,), generator=self._rng)
                loss, _ = self._loss(train[pick], create_graph=True)
                for group in self.optimizer.param_groups:  # cosine schedule, in closed form: resumable
                    group["lr"] = self.lr * 0.5 * (1.0 + np.cos(np.pi * self.step / max(total, 1)))
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                self.step += 1
                self.history.train_loss.append(loss.item())
                if self.step % validate_every == 0 or self.step == total:
                    validate()
                    if bar is not None:
                        bar.set_postfix(loss=f"{loss.item():.4g}", val=f"{self.history.validation_ratio_loss[-1]:.4g}")
                if self.checkpoint is not None and self.step % self.checkpoint_every == 0:
                    self._save(self.checkpoint)
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        if self.checkpoint is not None:
            self._save(self.checkpoint)
        return self.history

    def plot(self, path) -> Path:
        """Save the training curves as a PNG.

        The training loss per step and the validation ratio loss (and the monitor, when one
        was given).

        Parameters
        ----------
        path : str or pathlib.Path
            The PNG file to write.

        Returns
        -------
        pathlib.Path
            The file.
        """
        h = self.history
        panels = [("training loss", np.arange(1, len(h.train_loss) + 1), h.train_loss, False),
                  ("validation ratio loss", h.step, h.validation_ratio_loss, False)]
        if h.monitor:
            panels.append(("monitor", h.step, h.monitor, True))
        return save_training_curves(path, panels, "training step")

    def _save(self, path):
        save_training_state(path, self._settings, step=self.step, estimator=self.estimator.state_dict(),
                            optimizer=self.optimizer.state_dict(), rng=self._rng.get_state(),
                            history=self.history.__dict__)

    def _load(self, path):
        state = load_training_state(path, self._settings)
        self.step = int(state["step"])
        self.estimator.load_state_dict(state["estimator"])
        self.optimizer.load_state_dict(state["optimizer"])
        self._rng.set_state(state["rng"])
        self.history = TrainingHistory(**state["history"])
