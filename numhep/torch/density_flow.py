"""A flow for the density of events on the unit hypercube of a phase-space map, trained with
the likelihood and, through numhep's matrix-element gradients, reverse KL and force matching
(Heinrich & Kagan, MadJax, arXiv:2203.00057, Sec. 3.2, Eqs. 1-3):

    L = L_NLL + w_k L_RKL + w_f L_FM,
    L_NLL = -E_{u ~ p}[log q(u)],
    L_RKL = E_{u ~ q}[log q(u) - log p(u)],
    L_FM  = E_{u ~ p}[|d log p(u)/du - d log q(u)/du|^2],

with p(u) = f(u) / sigma the density of a numhep integrand's points (for a flat integrand at
a lepton collider, |M|^2 times RAMBO on diet's weight over the flux), q a
:class:`~numhep.torch.HypercubeFlow`, the training points u ~ p the events mapped back by the
integrand's inverse.  log p and d log p/du come from the integrand (|M|^2 and the map through
their adjoints); the flow's samples in L_RKL carry their gradient through the integrand's
torch path.  sigma only shifts L_RKL by a constant: ``log_sigma`` makes it the reverse KL
divergence itself.

Force matching in practice: d log p/du diverges towards faces of the cube where a map's
Jacobian does (RAMBO on diet's mass numbers near 1), by orders of magnitude more than a spline
flow's slopes can follow, and a few such points would dominate L_FM.  So the target forces
are capped at the ``fm_quantile`` quantile of their norms over the training points (their
direction kept), and L_FM is measured in units of the mean squared capped force, which makes
w_f dimensionless.

:class:`DensityFlowTrainer` trains by epochs over the training points with Adam, the first
``warmup_epochs`` on L_NLL alone (as MadJax does), records the held-out negative
log-likelihood and reverse KL per epoch (:meth:`DensityFlowTrainer.plot` draws them), and
resumes an interrupted training bit for bit from ``checkpoint``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from numhep.torch.flows import HypercubeFlow
from numhep.torch.training_checkpoint import load_training_state, save_training_state
from numhep.torch.training_curves import save_training_curves

__all__ = ["DensityFlowTrainer"]


@dataclass
class DensityFlowHistory:
    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)  # mean total loss of the epoch's batches
    test_nll: list = field(default_factory=list)  # -<log q(u)> over the held-out points
    test_rkl: list = field(default_factory=list)  # <log q - log p> over fresh flow samples


class DensityFlowTrainer:
    r"""Train a flow to the density of an integrand's points, with the likelihood and matrix-element gradients.

    The loss of Heinrich & Kagan (MadJax, arXiv:2203.00057, Sec. 3.2, Eqs. 1-3),

    .. math::

        L &= L_\text{NLL} + w_k L_\text{RKL} + w_f L_\text{FM}, \\
        L_\text{NLL} &= -E_{u \sim p}[\log q(u)], \\
        L_\text{RKL} &= E_{u \sim q}[\log q(u) - \log p(u)], \\
        L_\text{FM} &= E_{u \sim p}\left[\left\| \frac{\partial \log p(u)}{\partial u}
                       - \frac{\partial \log q(u)}{\partial u} \right\|^2\right],

    with p(u) = f(u) / sigma the density of a numhep integrand's points (for a flat integrand
    at a lepton collider, ``|M|^2`` times RAMBO on diet's weight over the flux), q a
    :class:`HypercubeFlow`, the training points u ~ p the events mapped back by the
    integrand's inverse.  log p and d log p/du come from the integrand (``|M|^2`` and the map
    through their adjoints); the flow's samples in L_RKL carry their gradient through the
    integrand's torch path, and samples of weight 0 (cut away) are left out of it.  sigma only
    shifts L_RKL by a constant: ``log_sigma`` makes it the reverse KL divergence itself.

    Force matching in practice: d log p/du diverges towards faces of the cube where a map's
    Jacobian does (RAMBO on diet's mass numbers near 1), by orders of magnitude more than a
    spline flow's slopes can follow, and a few such points would dominate L_FM.  So the target
    forces are capped at the ``fm_quantile`` quantile of their norms over the training points
    (their direction kept), and L_FM is measured in units of the mean squared capped force,
    which makes w_f dimensionless.

    The trainer trains by epochs over the training points with Adam, the first
    ``warmup_epochs`` on L_NLL alone (as MadJax does), records the held-out negative
    log-likelihood and reverse KL per epoch (:meth:`plot` draws them), and resumes an
    interrupted training bit for bit from ``checkpoint``.

    Parameters
    ----------
    integrand : Integrand
        A flat numhep :class:`~numhep.integration.integrands.Integrand` (``channel=None``).
    train_points : array_like
        Training points of the unit cube drawn from the integrand's density (events through
        ``integrand.inverse``), shape (n, dim); those of weight 0 are dropped.
    test_points : array_like
        Held-out points of the same density, shape (m, dim).
    rkl_weight : float, optional
        w_k, the weight of the reverse KL term (default 0).
    fm_weight : float, optional
        w_f, the weight of the force-matching term (default 0).
    fm_quantile : float, optional
        The quantile of the target forces' norms where they are capped (default 0.95).
    log_sigma : float, optional
        The log of the integrand's integral, for the reverse KL's value (default 0).
    lr : float, optional
        Adam's learning rate (default 5e-5).
    batch_size : int, optional
        Training points per batch (default 100).
    warmup_epochs : int, optional
        The first epochs, trained on L_NLL alone (default 10).
    rkl_batch : int, optional
        Flow samples per batch in L_RKL (default: ``batch_size``).
    seed : int, optional
        Seed of the flow's initial weights and the batches (default 0).
    checkpoint : str or pathlib.Path, optional
        A file that saves the training after every epoch; a trainer with the same settings and
        path resumes from it.
    **flow_options
        Go to :class:`HypercubeFlow` (``bins``, ``layers``, ``units``, ...).

    Attributes
    ----------
    flow : HypercubeFlow
        The flow being trained.
    history : DensityFlowHistory
        Per epoch: ``epoch``, ``train_loss`` (the mean total loss of its batches), ``test_nll``
        (-<log q(u)> over the held-out points) and ``test_rkl`` (<log q - log p> over fresh
        flow samples).

    Raises
    ------
    ValueError
        If the integrand has channels, the points have the wrong shape, fewer than two training
        points have a positive weight, or the checkpoint holds a training of other settings.

    Examples
    --------
    >>> import numhep.torch as nt
    >>> f = numhep.integrand("e+ e- > mu+ mu-", 91.188)
    >>> u = np.random.default_rng(1).random((300, f.dim))  # in practice: events mapped back
    >>> trainer = nt.DensityFlowTrainer(f, u[:200], u[200:], rkl_weight=0.1, fm_weight=0.1, lr=1e-3,
    ...                                 batch_size=50, warmup_epochs=1, bins=4, layers=1, units=8)
    >>> history = trainer.train(2, progress=False)
    >>> history.epoch, len(history.test_nll), bool(np.isfinite(history.test_rkl).all())
    ([1, 2], 2, True)
    """

    def __init__(self, integrand, train_points, test_points, *, rkl_weight: float = 0.0, fm_weight: float = 0.0,
                 fm_quantile: float = 0.95, log_sigma: float = 0.0, lr: float = 5e-5, batch_size: int = 100,
                 warmup_epochs: int = 10, rkl_batch: int | None = None, seed: int = 0, checkpoint=None,
                 **flow_options):
        if integrand.channels is not None:
            raise ValueError("integrand: a density flow learns the flat map's cube (channel=None)")
        u = np.ascontiguousarray(train_points, dtype=np.float64)
        u_test = np.ascontiguousarray(test_points, dtype=np.float64)
        for name, a in (("train_points", u), ("test_points", u_test)):
            if a.ndim != 2 or a.shape[1] != integrand.dim:
                raise ValueError(f"{name}: expected shape (n, {integrand.dim}), got {a.shape}")
        self.integrand = integrand
        # d log p/du at the training points, from the integrand's adjoints; points of weight 0
        # (outside the cuts or the cube) have no density to match and are dropped
        pts = integrand.evaluate(u, gradient=True)
        keep = pts.weight > 0
        if keep.sum() < 2:
            raise ValueError("train_points: fewer than two points with a positive weight")
        self._u = torch.as_tensor(u[keep])
        force = pts.gradient[keep] / pts.weight[keep, None]
        norm = np.linalg.norm(force, axis=1)
        cap = np.quantile(norm, fm_quantile)
        force *= np.minimum(1.0, cap / np.where(norm > 0, norm, 1.0))[:, None]
        self._force = torch.as_tensor(force)
        self._force_scale = float(np.mean(np.sum(force**2, axis=1))) or 1.0
        self._u_test = torch.as_tensor(u_test)
        self.rkl_weight, self.fm_weight = float(rkl_weight), float(fm_weight)
        self.log_sigma = float(log_sigma)
        self.batch_size = int(batch_size)
        self.rkl_batch = int(rkl_batch or batch_size)
        self.warmup_epochs = int(warmup_epochs)
        torch.manual_seed(seed)
        self.flow = HypercubeFlow(integrand.dim, **flow_options)
        self.optimizer = torch.optim.Adam(self.flow.parameters(), lr=lr)
        self._rng = torch.Generator().manual_seed(seed)
        self._eval_rng = torch.Generator().manual_seed(seed + 10_000)
        self.epoch = 0
        self.history = DensityFlowHistory()
        self.checkpoint = None if checkpoint is None else Path(checkpoint)
        self._settings = {"rkl_weight": self.rkl_weight, "fm_weight": self.fm_weight, "fm_quantile": fm_quantile, "lr": lr,
                          "batch_size": self.batch_size, "warmup_epochs": self.warmup_epochs, "seed": seed,
                          "n_train": int(self._u.shape[0]), "flow": repr(sorted(flow_options.items()))}
        if self.checkpoint is not None and self.checkpoint.exists():
            self._load(self.checkpoint)

    def _log_p(self, u):
        """log f(u) - log sigma at flow samples, differentiable through the integrand, and the
        mask of the samples with a positive weight.  Samples of weight 0 (cut away) are left
        out of L_RKL: with cuts it is the divergence of the flow within the cuts' region."""
        w = self.integrand(u)
        ok = w > 0
        return torch.log(torch.where(ok, w, torch.ones_like(w))) - self.log_sigma, ok

    def _rkl(self, n, generator):
        u, log_det = self.flow.inverse(torch.rand((n, self.integrand.dim), generator=generator,
                                                  dtype=torch.float64))
        log_q = -log_det
        log_p, ok = self._log_p(u)
        if not bool(ok.any()):
            return log_q.mean() * 0.0
        return (log_q - log_p)[ok].mean()

    def _batch_loss(self, rows, nll_only):
        u = self._u[rows]
        if self.fm_weight > 0 and not nll_only:
            u = u.clone().requires_grad_(True)
            log_q = self.flow.log_prob(u)
            (grad_q,) = torch.autograd.grad(log_q.sum(), u, create_graph=True)
            fm = ((self._force[rows] - grad_q) ** 2).sum(dim=1).mean() / self._force_scale
        else:
            log_q = self.flow.log_prob(u)
            fm = 0.0
        loss = -log_q.mean()
        if not nll_only:
            loss = loss + self.fm_weight * fm
            if self.rkl_weight > 0:
                loss = loss + self.rkl_weight * self._rkl(self.rkl_batch, self._rng)
        return loss

    def test_nll(self) -> float:
        """The held-out negative log-likelihood -<log q(u)> over the test points.

        Returns
        -------
        float
            The mean of -log q over the test points.
        """
        with torch.no_grad():
            return float(-self.flow.log_prob(self._u_test).mean())

    def test_rkl(self, n: int = 2000) -> float:
        """The reverse KL divergence <log q - log p> over flow samples (the same latent points every epoch).

        Parameters
        ----------
        n : int, optional
            The number of flow samples (default 2000).

        Returns
        -------
        float
            The mean of log q - log p over the samples of positive weight (up to log sigma
            when ``log_sigma`` is not given).
        """
        self._eval_rng.manual_seed(12345)
        with torch.no_grad():
            return float(self._rkl(n, self._eval_rng))

    def train(self, epochs: int, progress: bool = True) -> DensityFlowHistory:
        """Train up to ``epochs`` epochs in all (a resumed training does the rest).

        Parameters
        ----------
        epochs : int
            The total number of epochs.
        progress : bool, optional
            Show a progress bar (default True).

        Returns
        -------
        DensityFlowHistory
            The history: ``epoch``, ``train_loss``, ``test_nll`` and ``test_rkl``.
        """
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=int(epochs), initial=self.epoch, desc="density flow", unit="epoch")
        n = self._u.shape[0]
        try:
            while self.epoch < int(epochs):
                order = torch.randperm(n, generator=self._rng)
                nll_only = self.epoch < self.warmup_epochs
                losses = []
                for start in range(0, n - self.batch_size + 1, self.batch_size):
                    loss = self._batch_loss(order[start:start + self.batch_size], nll_only)
                    self.optimizer.zero_grad()
                    loss.backward()
                    self.optimizer.step()
                    losses.append(loss.item())
                self.epoch += 1
                self.history.epoch.append(self.epoch)
                self.history.train_loss.append(float(np.mean(losses)))
                self.history.test_nll.append(self.test_nll())
                self.history.test_rkl.append(self.test_rkl())
                if self.checkpoint is not None:
                    self._save(self.checkpoint)
                if bar is not None:
                    bar.set_postfix(nll=f"{self.history.test_nll[-1]:.3f}", rkl=f"{self.history.test_rkl[-1]:.3f}")
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        return self.history

    def plot(self, path) -> Path:
        """Save the training curves as a PNG.

        The training loss and the held-out negative log-likelihood and reverse KL per epoch.

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
        return save_training_curves(path, [("training loss", h.epoch, h.train_loss, False),
                                           ("held-out NLL", h.epoch, h.test_nll, False),
                                           ("reverse KL", h.epoch, h.test_rkl, False)], "epoch")

    def _save(self, path):
        save_training_state(path, self._settings, epoch=self.epoch, flow=self.flow.state_dict(),
                            optimizer=self.optimizer.state_dict(), rng=self._rng.get_state(),
                            history=self.history.__dict__)

    def _load(self, path):
        state = load_training_state(path, self._settings)
        self.epoch = int(state["epoch"])
        self.flow.load_state_dict(state["flow"])
        self.optimizer.load_state_dict(state["optimizer"])
        self._rng.set_state(state["rng"])
        self.history = DensityFlowHistory(**state["history"])
