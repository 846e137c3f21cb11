"""Parametrised likelihood-ratio estimators trained on joint ratios and scores.

An estimator learns log r_hat(x | theta) ~ log p(x | theta) / p(x | theta_ref) as a network of
the observables x and the parameter theta; its score t_hat(x | theta) = d log r_hat/d theta
comes from autograd.  The labels are the joint ratio r(x, z | theta, theta_ref) and joint
score t(x, z | theta) of :func:`numhep.joint_likelihood_data` (from numhep's |M|^2 and its
parameter derivative), and the losses of Brehmer, Louppe, Pavez & Cranmer, "Mining gold",
arXiv:1805.00020 (Eqs. 15-20), and Stoye et al., ALICES, arXiv:1808.00973 (Eq. 11).  With
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
    """log r_hat(x | theta): an MLP of the standardised observables and parameter.

    ``x_mean``, ``x_std``, ``theta_mean``, ``theta_std`` standardise the inputs (from the
    training data); smooth activations (SiLU) keep the score and its training derivative smooth."""

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
        """log r_hat (n,) at observables x (n, d) and parameters theta (n,)."""
        z = torch.cat([(x - self.x_mean) / self.x_std, ((theta - self.theta_mean) / self.theta_std)[:, None]], dim=1)
        return self.net(z)[:, 0]

    def log_ratio_and_score(self, x, theta, create_graph: bool = False):
        """(log r_hat, t_hat = d log r_hat/d theta), both (n,)."""
        theta = theta.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            log_r = self(x, theta)
            (score,) = torch.autograd.grad(log_r.sum(), theta, create_graph=create_graph)
        return log_r, score

    @torch.no_grad()
    def log_ratio(self, x, theta):
        """log r_hat for every observation x (n, d), or (n,) for one observable, at every theta
        of a grid (k,): (k, n)."""
        x = np.asarray(x, dtype=np.float64)
        x = torch.as_tensor(x[:, None] if x.ndim == 1 else x)
        return torch.stack([self(x, torch.full((x.shape[0],), float(t), dtype=torch.float64))
                            for t in np.atleast_1d(theta)]).numpy()


def ratio_loss(method: str, log_r_hat, y, log_r, score_hat=None, score=None, alpha: float = 0.0,
               theta_scale: float = 1.0):
    """(total, ratio term) of ``method`` (a key of :data:`METHODS`) averaged over the batch;
    the score term, when the method has one, is alpha (1 - y) |(t_hat - t) theta_scale|^2."""
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
    """Train a :class:`RatioEstimator` on observables ``x`` (n, d) with the columns of a
    joint-likelihood data set (``theta``, ``label``, ``log_r``, ``score``, each (n,)); see the
    module docstring.  ``method`` is a key of :data:`METHODS`, ``alpha`` weighs the score
    term."""

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
        """The ratio term of the loss on the held-out events."""
        rows = torch.as_tensor(self._val)
        with torch.no_grad():
            term = METHODS[self.method][0]
            log_r_hat = self.estimator(self._x[rows], self._theta[rows])
            return float(ratio_loss(term, log_r_hat, self._y[rows], self._log_r[rows])[0])

    def train(self, steps: int, validate_every: int = 50, progress: bool = True, monitor=None) -> TrainingHistory:
        """Train up to ``steps`` steps in all (a resumed training does the rest).  Every
        ``validate_every`` steps the history records the validation ratio loss and, with
        ``monitor`` (a function of the estimator giving a number: the distance to a known
        ratio, say), its value."""
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
        """Save the training loss per step and the validation ratio loss (and the monitor,
        when one was given) as a PNG at ``path``."""
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
