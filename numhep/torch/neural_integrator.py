"""MadNIS: neural multi-channel importance sampling of numhep's integrands.

    f = numhep.integrand("u d~ > w+ w+ w-", 13000.0, channel="diagrams")
    ni = NeuralIntegrator(f, steps=2000, vegas_init=True, buffered_steps=2, uniform_fraction=0.3)
    ni.train()                        # progress bar: loss, sigma/I, unweighting efficiency
    result = ni.integrate(100_000)    # result.mean, result.error, result.quality
    u, channel, weight = ni.sample(10_000)

The integral is split over channels i with channel weights alpha_i(x) and each channel gets
its own flow g_i (T. Heimel, PhD thesis, Heidelberg 2024, Eq. 5.11):

    I = sum_i < alpha_i(x) f(x) / g_i(x) >_{x ~ g_i}.

The flows (:class:`~numhep.torch.flows.HypercubeFlow`) live on the unit hypercube in front of
the integrand's channel maps, so that f / g_i is numhep's weight without channel weight
divided by the flow density.  Channels that are permutations of identical particles form a
group with one flow and one sigma in the loss (the thesis Sec. 5.1.2); a point of group r
picks one of the group's m_r channels uniformly and carries the factor m_r.  The channel
weights are numhep's prior (propagator or SDE weights), or that prior corrected by the
channel-weight network (:class:`~numhep.torch.channel_weights.ChannelWeightNetwork`, Eq. 5.8).

Training (the thesis Sec. 5.1.2), one step at a time:

* online: draw ``batch_size`` points from the flows, evaluate the integrand, take an
  optimiser step on the loss (:mod:`numhep.torch.losses`; default the stratified loss, Eq.
  5.20) and keep the points with their density in a buffer;
* buffered: after each online step, ``buffered_steps`` more optimiser steps on batches replayed
  from the buffer with their stored densities q (Eq. 5.13): R = 1 + ``buffered_steps`` times the
  updates per integrand call; ``buffer_prior_channels=m`` stores only each point's m largest
  prior channel weights (its own channel always among them), the thesis's memory saving for
  processes with many channels;
* stratified: a fraction ``uniform_fraction`` of every batch spread evenly over the groups,
  the rest in proportion to their running sigma_r (Eq. 5.19), after ``stratified_after`` steps;
* channel dropping: every ``drop_interval`` steps, groups whose share of the integral is below
  ``drop_threshold`` are switched off (their weight goes to the others, so the integral stays
  unbiased);
* VEGAS initialisation (``vegas_init``): numhep's multi-channel VEGAS adapts a grid per group
  first and the flows start from them (Eqs. 5.21-5.23);
* derivative matching (``derivative_matching=lambda``, MADNIS-Lite Eq. 30): forward training
  adds lambda < |d log f/du - d log g/du|^2 > over the points inside the cuts, d log f/du from
  numhep's adjoints (the integrand with its prior channel weights);
* inverse training (``training="inverse"``, MADNIS-Lite, arXiv:2408.01486, Eq. 22): the
  points x = G^-1(z) keep their gradient, and the loss is differentiated through the flows, the
  channel maps and the integrand (numhep's adjoints) with the prior channel weights;
* MADNIS-Lite (``flows="bilinear"``, arXiv:2408.01486 Sec. 4.2): instead of a coupling flow
  per group, bilinear spline flows in front of every block of numhep's channel maps, shared by
  all channels (:mod:`numhep.torch.trainable_channel_maps`); trained like the coupling flows;
* defensive sampling (``defensive_share=a``): a share a of every batch, of training, integration
  and events alike, is drawn uniformly on the cube and every point's density is the mixture
  (1 - a) g + a, which caps the weights where a flow has starved a region (Hesterberg's
  defensive importance sampling);
* the learning rate falls from ``learning_rate`` to ``learning_rate * final_lr_ratio`` on a
  cosine over all optimiser steps.

``checkpoint=path`` saves everything (networks, optimiser and schedule, buffer, running
sigmas, active groups, histories, the random generator) every ``checkpoint_every`` steps and at
the end; a new NeuralIntegrator with the same settings and path resumes from it and ends with
the same parameters, bit for bit, as a run that was never interrupted.  A checkpoint of other
settings is refused with the settings that differ.

Integration allocates points as training does: group r gets points in proportion to sigma_r
(at least ``min_share`` of an even share), which makes the error of the integral smallest.
Unweighted events are drawn with P_r proportional to the group's largest weight W_r
(``allocation="unweighting"``): the sample's largest weight max_r W_r / P_r is then smallest,
and the efficiency sum_r I_r / sum_r W_r is the average of the groups' efficiencies weighted by
their W_r, never below the worst group's as with P_r ~ I_r, and without the well-learned groups'
weights towering over the rest as with P_r ~ sigma_r.  W_r is the median of replica maxima
(Heimel, PhD thesis, Heidelberg 2024, Sec. 2.2.5) of the group's weights in the training buffer,
evaluated with the final channel weights.  Either way a point's weight m_r alpha_c f / (g_r P_r),
P_r its group's fraction of the points, estimates the whole integral, so that sigma/I and the
unweighting efficiency (:func:`numhep.integration.metrics.sampler_quality`) compare with every
other sampler numhep drives.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from numhep.integration.integrands import Integrand
from numhep.integration.metrics import SamplerQuality, max_weight, sampler_quality
from numhep.integration.multichannel import multichannel_vegas
from numhep.integration.vegas import allocate_points
from numhep.torch.channel_weights import ChannelWeightNetwork, normalised_weights
from numhep.torch.flows import HypercubeFlow
from numhep.torch.losses import LOSSES
from numhep.torch.trainable_channel_maps import ChannelMapFlow, TrainableChannelMaps
from numhep.torch.training_checkpoint import load_state, save_state
from numhep.torch.training_target import TrainingTarget

__all__ = ["IntegrationResult", "NeuralIntegrator"]


@dataclass
class IntegrationResult:
    """The integral that :meth:`NeuralIntegrator.integrate` estimates from the trained flows.

    The points are stratified over the channel groups: group r gets a fraction P_r of them
    (in proportion to its running sigma_r), its estimate of its own integral m_r I_r is the
    mean of its weights times P_r, and the integral is the sum of the groups' estimates with
    their errors added in quadrature.  ``quality`` measures the weights of the whole sample,
    each an estimate of the whole integral (:func:`numhep.integration.metrics.sampler_quality`),
    so that sigma/I and the unweighting efficiency compare with every other sampler numhep
    drives.

    Parameters
    ----------
    mean : float
        The integral, in the integrand's units (pb for numhep's cross sections).
    error : float
        Its standard error (stratified over the groups).
    quality : SamplerQuality
        sigma/I and unweighting efficiency of the sample's weights
        (:class:`~numhep.integration.metrics.SamplerQuality`).
    groups : list of tuple of float, optional
        Per channel group: (m_r I_r, error), its share of the integral and that share's error;
        (0.0, 0.0) for a dropped group or one without points.
    n_points : int, optional
        The number of points of the estimate.
    group_quality : list of SamplerQuality or None, optional
        Per channel group: sigma/I and unweighting efficiency of its weights (None for a
        dropped group or one with fewer than two points).

    Examples
    --------
    >>> from numhep.integration import sampler_quality
    >>> import numhep.torch as nt
    >>> result = nt.IntegrationResult(1.0, 0.01, sampler_quality(np.ones(4)), n_points=4)
    >>> print(result)
    1 +- 0.01 (I = 1 +- 0, sigma/I = 0, unweighting efficiency 100 % (4 points))
    """

    mean: float
    error: float
    quality: SamplerQuality  # sigma/I and unweighting efficiency of the sample's weights
    groups: list = field(default_factory=list)  # per channel group: (m_r I_r, error)
    n_points: int = 0
    group_quality: list = field(default_factory=list)  # per channel group: sigma/I and efficiency of its weights

    def __str__(self):
        """The integral with its error and the sample's quality, as one line."""
        return f"{self.mean:.6g} +- {self.error:.2g} ({self.quality})"


class NeuralIntegrator:
    r"""MadNIS: neural multi-channel importance sampling of an integrand.

    The integral is split over channels i with channel weights :math:`\alpha_i(x)` and each
    channel gets its own flow :math:`g_i` (Heimel, Winterhalder, Butter, Isaacson, Krause,
    Maltoni, Mattelaer & Plehn, arXiv:2212.06172 and arXiv:2311.01548; T. Heimel, "The Flow of
    LHC Events", PhD thesis, Heidelberg 2024, Eq. 5.11):

    .. math::

        I = \sum_i \left\langle \frac{\alpha_i(x) f(x)}{g_i(x)} \right\rangle_{x \sim g_i}.

    The flows (:class:`HypercubeFlow`) live on the unit hypercube in front of the integrand's
    channel maps, so that f / g_i is numhep's weight without channel weight divided by the flow
    density.  Channels that are permutations of identical particles form a group with one flow
    and one sigma in the loss (the thesis Sec. 5.1.2); a point of group r picks one of the
    group's m_r channels uniformly and carries the factor m_r.  The channel weights are
    numhep's prior (propagator or SDE weights), or that prior corrected by the channel-weight
    network (:class:`ChannelWeightNetwork`, the thesis Eq. 5.8).

    Training (the thesis Sec. 5.1.2) goes one step at a time: draw ``batch_size`` points from
    the flows, evaluate the integrand, take an optimiser step on the loss and keep the points
    with their density in a buffer for buffered training; the parameters below switch on the
    refinements of MadNIS and MADNIS-Lite (Heimel, Mattelaer, Plehn & Winterhalder,
    arXiv:2408.01486).  The learning rate falls from ``learning_rate`` to
    ``learning_rate * final_lr_ratio`` on a cosine over all optimiser steps.

    Integration (:meth:`integrate`) allocates points as training does: group r gets points in
    proportion to sigma_r (at least ``min_share`` of an even share), which makes the error of
    the integral smallest.  Unweighted events are drawn with P_r proportional to the group's
    largest weight W_r (``allocation="unweighting"`` in :meth:`draw` and :meth:`sample`): the
    sample's largest weight max_r W_r / P_r is then smallest, and the efficiency
    sum_r I_r / sum_r W_r is the average of the groups' efficiencies weighted by their W_r,
    never below the worst group's as with P_r ~ I_r, and without the well-learned groups'
    weights towering over the rest as with P_r ~ sigma_r.  W_r is the median of replica
    maxima (the thesis Sec. 2.2.5) of the group's weights in the training buffer, evaluated
    with the final channel weights (:meth:`peak_weights`).  Either way a point's weight
    m_r alpha_c f / (g_r P_r), P_r its group's fraction of the points, estimates the whole
    integral, so that sigma/I and the unweighting efficiency
    (:func:`numhep.integration.metrics.sampler_quality`) compare with every other sampler numhep
    drives.

    Parameters
    ----------
    f : Integrand or callable
        A numhep :class:`~numhep.integration.integrands.Integrand` (flat, or with
        ``channel="diagrams"``), or a function of numpy points u (n, dim) in the unit
        hypercube: ``f(u)`` for one channel, ``f(u, channel)`` returning f, (f, prior) or
        (f, features, prior) for several (f the weight without channel weight, (n,); prior
        (n, channels); features (n, k)).
    dim : int, optional
        The number of dimensions of a plain function (a numhep integrand knows its own).
    channels : int, optional
        The number of channels of a plain function (None: one).
    groups : sequence of int, optional
        A plain function's group index per channel, 0, 1, ... without gaps (default: every
        channel its own group).
    steps : int, optional
        The number of online training steps (default 1000).
    batch_size : int, optional
        Points per online step, at least 2 (default 1024).
    loss : str, optional
        The training loss, a key of :data:`numhep.torch.losses.LOSSES`: ``"stratified"`` (the
        default; (sum_r sigma_r)^2, the thesis Eq. 5.20), ``"multichannel_variance"``,
        ``"variance"``, ``"kl"`` or ``"rkl"``.
    learning_rate : float, optional
        Adam's initial learning rate (default 3e-3).
    final_lr_ratio : float, optional
        The final learning rate over the initial one, reached on a cosine (default 0.01).
    learn_channel_weights : bool, optional
        Whether a :class:`ChannelWeightNetwork` learns the channel weights (default: yes with
        several channels and forward training; inverse training needs False).
    training : {"forward", "inverse"}, optional
        Forward training (the default) on points drawn without gradient, or inverse training
        (MADNIS-Lite, arXiv:2408.01486, Eq. 22): the points x = G^-1(z) keep their gradient,
        and the loss is differentiated through the flows, the channel maps and the integrand
        (numhep's adjoints) with the prior channel weights.
    derivative_matching : float, optional
        The weight lambda of derivative matching (MADNIS-Lite Eq. 30): forward training adds
        lambda < (d log f/du - d log g/du)^2 > over the points inside the cuts, d log f/du from
        numhep's adjoints (the integrand with its prior channel weights).  Default 0: off.
    flows : {"coupling", "bilinear"}, optional
        ``"coupling"`` (the default): a :class:`HypercubeFlow` per group.  ``"bilinear"``
        (MADNIS-Lite, arXiv:2408.01486, Sec. 4.2): bilinear spline flows in front of every
        block of numhep's channel maps, shared by all channels
        (:class:`TrainableChannelMaps`); needs a numhep integrand with
        ``channel="diagrams"`` and the CPU.
    defensive_share : float, optional
        A share a in [0, 1) of every batch, of training, integration and events alike, drawn
        uniformly on the cube, every point's density the mixture (1 - a) g + a, which caps the
        weights where a flow has starved a region (Hesterberg's defensive importance sampling).
        Default 0.
    bins : int, optional
        Spline bins of the coupling flows (default 10).
    layers : int, optional
        Layers of the flows' sub-networks and of the channel-weight network (default 3).
    units : int, optional
        Width of their hidden layers (default 32).
    vegas_init : bool, optional
        Whether numhep's multi-channel VEGAS adapts a grid per group first and the flows start
        from them (the thesis Eqs. 5.21-5.23).  Default False.
    vegas_points : int, optional
        Points per VEGAS iteration of the initialisation (default 10000).
    vegas_iterations : int, optional
        VEGAS iterations of the initialisation (default 5).
    buffered_steps : int, optional
        Optimiser steps on batches replayed from the buffer after each online step, with their
        stored densities q (the thesis Eq. 5.13): R = 1 + ``buffered_steps`` times the updates
        per integrand call.  Default 0.
    buffer_batches : int, optional
        The buffer's capacity in batches (default 20).
    buffer_prior_channels : int, optional
        Keep only the m largest prior channel weights of a buffered point, with their channel
        indices, the point's own channel always among them (the thesis Sec. 5.1.2): replayed
        points get zero prior weight elsewhere and the channel weights are normalised over
        what is kept.  It cuts the buffer's memory from (points x channels) to (points x 2m)
        and touches only buffered steps, never online training, integration or sampling, so
        no bias.  Default None: all channels.
    uniform_fraction : float, optional
        The fraction in [0, 1] of every batch spread evenly over the groups, the rest in
        proportion to their running sigma_r (stratified training, the thesis Eq. 5.19).
        Default 1: all evenly.
    stratified_after : int, optional
        The step from which batches are stratified (default 20).
    drop_threshold : float, optional
        Groups whose share of the integral is below it are switched off every
        ``drop_interval`` steps (their weight goes to the others, so that the integral stays
        unbiased).  Default 0: none.
    drop_interval : int, optional
        Steps between channel dropping (default 100).
    min_share : float, optional
        The least share of an even share of the points that every active group gets in
        :meth:`integrate`, :meth:`draw` and :meth:`sample` (default 0.1).
    seed : int, optional
        Seed of the networks' initial weights and of the random generator (default 0).
    device : str or torch.device, optional
        Where the networks live (default ``"cpu"``).
    dtype : torch.dtype, optional
        Floating-point type of the networks (default ``torch.float64``).
    checkpoint : str or pathlib.Path, optional
        A file that saves everything (networks, optimiser and schedule, buffer, running sigmas,
        active groups, histories, the random generator) every ``checkpoint_every`` steps and at
        the end.  A new NeuralIntegrator with the same settings and path resumes from it and
        ends with the same parameters, bit for bit, as a run that was never interrupted.
    checkpoint_every : int, optional
        Steps between checkpoints (default 50).

    Raises
    ------
    ValueError
        If an option is out of range or options contradict each other (inverse training with
        learned channel weights, buffered training, channel dropping, derivative matching or
        defensive sampling; bilinear flows without a diagram-channel numhep integrand, off the
        CPU or with ``vegas_init``), if a plain function's ``dim`` or ``groups`` is missing or
        invalid, or if ``checkpoint`` holds a training of other settings (the message names the
        settings that differ).

    See Also
    --------
    IntegrationResult : what :meth:`integrate` returns.
    numhep.multichannel_vegas : multi-channel VEGAS, which :meth:`vegas_on_top` runs on the
        trained flows.

    Examples
    --------
    >>> import numhep.torch as nt
    >>> ni = nt.NeuralIntegrator(lambda u: 3.0 * u[:, 0] ** 2, dim=2, steps=3, batch_size=256, bins=4,
    ...                          layers=1, units=8)
    >>> ni.train(progress=False).step
    3
    >>> result = ni.integrate(4000)
    >>> result.n_points, abs(result.mean - 1.0) < 5 * result.error
    (4000, True)
    >>> u, channel, weight = ni.sample(10)
    >>> u.shape, channel, weight.shape
    ((10, 2), None, (10,))
    """

    def __init__(
        self,
        f,
        *,
        dim: int | None = None,
        channels: int | None = None,
        groups=None,
        steps: int = 1000,
        batch_size: int = 1024,
        loss: str = "stratified",
        learning_rate: float = 3e-3,
        final_lr_ratio: float = 0.01,
        learn_channel_weights: bool | None = None,
        training: str = "forward",
        derivative_matching: float = 0.0,
        flows: str = "coupling",
        defensive_share: float = 0.0,
        bins: int = 10,
        layers: int = 3,
        units: int = 32,
        vegas_init: bool = False,
        vegas_points: int = 10_000,
        vegas_iterations: int = 5,
        buffered_steps: int = 0,
        buffer_batches: int = 20,
        buffer_prior_channels: int | None = None,
        uniform_fraction: float = 1.0,
        stratified_after: int = 20,
        drop_threshold: float = 0.0,
        drop_interval: int = 100,
        min_share: float = 0.1,
        seed: int = 0,
        device="cpu",
        dtype=torch.float64,
        checkpoint=None,
        checkpoint_every: int = 50,
    ):
        if loss not in LOSSES:
            raise ValueError(f"loss: expected one of {sorted(LOSSES)}, got {loss!r}")
        if training not in ("forward", "inverse"):
            raise ValueError(f"training: expected 'forward' or 'inverse', got {training!r}")
        if flows not in ("coupling", "bilinear"):
            raise ValueError(f"flows: expected 'coupling' (MadNIS) or 'bilinear' (MADNIS-Lite), got {flows!r}")
        if flows == "bilinear" and not (isinstance(f, Integrand) and f.channels is not None):
            raise ValueError("flows='bilinear': MADNIS-Lite's trainable maps need a numhep integrand with "
                             "channel='diagrams'")
        if flows == "bilinear" and torch.device(device).type != "cpu":
            raise ValueError("flows='bilinear': MADNIS-Lite's trainable maps run numhep's CPU kernels block by block; "
                             "train them with device='cpu'")
        if flows == "bilinear" and vegas_init:
            raise ValueError("vegas_init: MADNIS-Lite's trainable maps start from numhep's channel maps; "
                             "run VEGAS on top of the trained maps instead")
        if training == "inverse":
            # the gradient flows through the integrand's own prior channel weights; replayed
            # points have no gradient path to the flow's parameters
            if learn_channel_weights or buffered_steps or drop_threshold > 0:
                raise ValueError("training='inverse' trains the flows through the integrand with its prior channel "
                                 "weights: learned channel weights, buffered training and channel dropping are "
                                 "forward-training features")
            learn_channel_weights = False
            if derivative_matching:
                raise ValueError("derivative_matching: a term of forward training (MADNIS-Lite Eq. 30)")
        elif learn_channel_weights is None:
            learn_channel_weights = True
        if not 0.0 <= defensive_share < 1.0:
            raise ValueError(f"defensive_share: expected a number in [0, 1), got {defensive_share}")
        if defensive_share and training == "inverse":
            raise ValueError("defensive_share: inverse training differentiates through the flow's own samples")
        if not 0.0 <= uniform_fraction <= 1.0:
            raise ValueError(f"uniform_fraction: expected a number in [0, 1], got {uniform_fraction}")
        if steps < 1 or batch_size < 2 or buffered_steps < 0 or buffer_batches < 1:
            raise ValueError(f"steps >= 1, batch_size >= 2, buffered_steps >= 0 and buffer_batches >= 1 are needed, "
                             f"got {steps}, {batch_size}, {buffered_steps}, {buffer_batches}")
        self.target = TrainingTarget(f, dim, channels, groups)
        t = self.target
        if buffer_prior_channels is not None and not 1 <= int(buffer_prior_channels):
            raise ValueError(f"buffer_prior_channels: expected a positive number of channels, got {buffer_prior_channels}")
        top_m = None if buffer_prior_channels is None or int(buffer_prior_channels) >= t.n_channels else int(
            buffer_prior_channels)
        self.settings = dict(
            integrand=f.fingerprint() if t.numhep else getattr(f, "__qualname__", type(f).__name__),
            dim=t.dim, channels=t.n_channels, groups=t.group_of.tolist(), steps=int(steps),
            batch_size=int(batch_size), loss=loss, learning_rate=float(learning_rate),
            final_lr_ratio=float(final_lr_ratio), learn_channel_weights=bool(learn_channel_weights and t.multi),
            training=training, derivative_matching=float(derivative_matching), flows=flows,
            defensive_share=float(defensive_share),
            bins=int(bins), layers=int(layers), units=int(units), vegas_init=bool(vegas_init),
            vegas_points=int(vegas_points), vegas_iterations=int(vegas_iterations),
            buffered_steps=int(buffered_steps), buffer_batches=int(buffer_batches),
            **({} if top_m is None else {"buffer_prior_channels": top_m}),
            uniform_fraction=float(uniform_fraction), stratified_after=int(stratified_after),
            drop_threshold=float(drop_threshold), drop_interval=int(drop_interval), min_share=float(min_share),
            seed=int(seed), dtype=str(dtype),
        )
        s = self.settings
        self.device, self.dtype = torch.device(device), dtype
        self.integrand_calls = 0
        torch.manual_seed(s["seed"])  # the networks' initial weights
        if flows == "bilinear":
            # MADNIS-Lite: one bilinear spline flow per block kind, shared by every group's channel map
            group_maps = [f.channel_map(int(m[0])) for m in t.members]
            self.flow = ChannelMapFlow(TrainableChannelMaps(dtype=dtype), [cm for cm, _ in group_maps],
                                       group_maps[0][1]).to(self.device)
        else:
            self.flow = HypercubeFlow(t.dim, channels=t.n_groups if t.n_groups > 1 else None, bins=bins,
                                      layers=layers, units=units, dtype=dtype).to(self.device)
        self.cwnet = None
        if s["learn_channel_weights"]:
            n_feat = self._feature_count()
            self.cwnet = ChannelWeightNetwork(n_feat, t.n_channels, layers=layers, units=units, dtype=dtype)
            self.cwnet.to(self.device)
        params = list(self.flow.parameters()) + (list(self.cwnet.parameters()) if self.cwnet is not None else [])
        self.optimizer = torch.optim.Adam(params, lr=learning_rate)
        updates = s["steps"] * (1 + s["buffered_steps"])
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lambda k: final_lr_ratio + (1 - final_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(k, updates) / updates)))
        self.generator = torch.Generator().manual_seed(s["seed"])
        self.step = 0
        self.vegas_done = not s["vegas_init"]
        self.active = np.ones(t.n_groups, dtype=bool)
        #: running (exponentially averaged) mean and second moment of each group's weights
        self.moments = np.zeros((t.n_groups, 2))
        self._peaks = None  # (step, W_r) of the last unweighting allocation
        self.history = {"loss": [], "relative_std": [], "efficiency": [], "learning_rate": []}
        self.buffer: dict | None = None
        self.checkpoint = None if checkpoint is None else Path(checkpoint)
        self.checkpoint_every = int(checkpoint_every)
        if self.checkpoint is not None and self.checkpoint.exists():
            try:
                self.load(self.checkpoint)
            except ValueError as exc:
                raise ValueError(f"{self.checkpoint}: {exc}; continue with the same settings, or remove it to "
                                 "train afresh") from None

    # ------------------------------------------------------------------ the pieces of a step

    def _feature_count(self) -> int:
        t = self.target
        if t.numhep:
            return len(t.f.masses) * 4
        _, _, feats, _ = t(np.full((1, t.dim), 0.5), np.zeros(1, dtype=np.int64))
        self.integrand_calls += 1
        return t.dim if feats is None else feats.shape[1]

    def _tensor(self, a, dtype=None):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype or self.dtype, device=self.device)

    def _group_sigma(self) -> np.ndarray:
        m1, m2 = self.moments.T
        return np.sqrt(np.maximum(m2 - m1 * m1, 0.0))

    def _allocation(self, n: int, uniform: float) -> np.ndarray:
        """Points per group: ``uniform`` of them spread evenly over the active groups, the rest
        in proportion to their running sigma (Eq. 5.19)."""
        active = np.nonzero(self.active)[0]
        counts = np.zeros(self.target.n_groups, dtype=np.int64)
        sigma = self._group_sigma()[active]
        if self.step < self.settings["stratified_after"] or not np.any(sigma > 0):
            uniform = 1.0
        share = sigma if np.any(sigma > 0) else np.ones(active.size)
        counts[active] = allocate_points(share, n, int(uniform * n / active.size))
        return counts

    def peak_weights(self) -> np.ndarray | None:
        """The largest weight W_r of every channel group, for the unweighting allocation.

        W_r is the median of replica maxima (T. Heimel, PhD thesis, Heidelberg 2024,
        Sec. 2.2.5) of the group's weights m_r alpha_c f / g in the training buffer, with the
        current channel weights.

        Returns
        -------
        numpy.ndarray or None
            W_r per group, shape (groups,); None without a buffer.
        """
        if self.buffer is None:
            return None
        if self._peaks is not None and self._peaks[0] == self.step:
            return self._peaks[1]
        u, group, channel, q, bare, prior, feats, _ = self._expanded(self.buffer)
        with torch.no_grad():
            w = (self._integrand_share(bare, prior, feats, channel, group) / q).cpu().numpy()
        g = group.cpu().numpy()
        peaks = np.zeros(self.target.n_groups)
        for r in np.unique(g):
            wr = w[g == r]
            peaks[r] = max_weight(wr, min(20, max(wr.size // 10, 1)))
        self._peaks = (self.step, peaks)
        return peaks

    def _event_allocation(self, n: int) -> np.ndarray:
        """Points per group for unweighting, P_r ~ W_r (at least ``min_share`` of an even share);
        the sigma allocation where no buffer tells the W_r."""
        peaks = self.peak_weights()
        active = np.nonzero(self.active)[0]
        if peaks is None or not np.any(peaks[active] > 0):
            return self._allocation(n, self.settings["min_share"])
        counts = np.zeros(self.target.n_groups, dtype=np.int64)
        counts[active] = allocate_points(peaks[active], n, int(self.settings["min_share"] * n / active.size))
        return counts

    def _draw(self, counts, generator, grad: bool = False):
        """Points of the flows, ``counts[r]`` of group r: (u, group, channel, q) as tensors
        (u and q with gradients in the flows' parameters when ``grad``)."""
        t = self.target
        group = torch.repeat_interleave(torch.arange(t.n_groups), torch.as_tensor(counts))
        pick = torch.rand(group.shape[0], generator=generator, dtype=torch.float64).numpy()
        g = group.numpy()
        sizes = t.sizes[g]
        channel = t.member_table[g, np.minimum((pick * sizes).astype(np.int64), sizes - 1)]
        flow_group = group.to(self.device) if self.flow.channels else None
        with torch.set_grad_enabled(grad):
            u, q = self.flow.sample(group.shape[0], flow_group, generator=generator)
        share = self.settings["defensive_share"]
        if share and not grad:
            # defensive sampling: a share of the points uniform on the cube, every density the
            # mixture (1 - a) g + a, so that no weight exceeds f / a where the flow starves
            flat = torch.rand(group.shape[0], generator=generator, dtype=torch.float64) < share
            if bool(flat.any()):
                u_flat = torch.rand((int(flat.sum()), u.shape[1]), generator=generator, dtype=u.dtype).to(self.device)
                idx = torch.nonzero(flat)[:, 0].to(self.device)
                with torch.no_grad():
                    g_flat = torch.exp(self.flow.log_prob(u_flat, None if flow_group is None else flow_group[idx]))
                u, q = u.index_put((idx,), u_flat), q.index_put((idx,), g_flat)
            q = (1.0 - share) * q + share
        return u, group.to(self.device), torch.as_tensor(channel, device=self.device), q

    def _evaluate(self, u, channel, with_score: bool = False):
        """The integrand at flow points: (bare f, prior, features) as tensors."""
        want_score = bool(with_score and self.settings["derivative_matching"])
        bare, prior, feats, score = self.target(u.detach().cpu().numpy().astype(np.float64), channel.cpu().numpy(),
                                                score=want_score)
        self.integrand_calls += u.shape[0] * (2 if want_score and not self.target.numhep else 1)
        n = u.shape[0]
        bare = self._tensor(bare)
        prior = self._tensor(prior) if prior is not None else (
            torch.ones((n, self.target.n_channels), dtype=self.dtype, device=self.device) if self.target.multi else None)
        feats = self._tensor(feats) if feats is not None else (u.detach() if self.target.multi else None)
        return bare, prior, feats, None if score is None else self._tensor(score)

    def _channel_mask(self):
        return torch.as_tensor(self.active[self.target.group_of], device=self.device)

    def channel_weights(self, features, prior):
        """The channel weights alpha: the network's (the thesis Eq. 5.8) or the prior's, over the active channels.

        Parameters
        ----------
        features : torch.Tensor
            The points' features, shape (n, k).
        prior : torch.Tensor
            The prior channel weights, shape (n, channels).

        Returns
        -------
        torch.Tensor
            alpha, shape (n, channels), summing to one over the active channels.
        """
        if self.cwnet is not None:
            return self.cwnet(features, prior, self._channel_mask())
        return normalised_weights(prior, self._channel_mask())

    def _integrand_share(self, bare, prior, feats, channel, group):
        """m_r alpha_c f per point: what the group's flow should learn."""
        if not self.target.multi:
            return bare
        mult = self._tensor(self.target.sizes)[group]
        alpha = self.channel_weights(feats, prior).gather(1, channel[:, None])[:, 0]
        return mult * alpha * bare

    def _loss(self, batch):
        u, group, channel, q, bare, prior, feats, score = batch
        lam = self.settings["derivative_matching"]
        if lam:
            u = u.detach().requires_grad_(True)
        log_g = self.flow.log_prob(u, group if self.flow.channels else None)
        f = self._integrand_share(bare, prior, feats, channel, group)
        loss = LOSSES[self.settings["loss"]](f, torch.exp(log_g), q, group if self.target.n_groups > 1 else None)
        if lam:
            # derivative (score) matching, MADNIS-Lite Eq. 30, where the integrand lives
            (score_g,) = torch.autograd.grad(log_g.sum(), u, create_graph=True)
            live = f.detach() != 0
            if live.any():
                loss = loss + lam * torch.sum((score[live] - score_g[live]) ** 2, dim=1).mean()
        return loss, f.detach()

    def _optimise(self, batch) -> float:
        self.optimizer.zero_grad()
        return self._step(*self._loss(batch))

    def _step(self, loss, f):
        """Backward pass and optimiser step on ``loss`` (skipped when it is not finite);
        returns (loss, f detached)."""
        finite = bool(torch.isfinite(loss))
        if finite:
            loss.backward()
            # a gradient that overflowed would turn every weight into NaN: skip its step
            params = [p for group in self.optimizer.param_groups for p in group["params"] if p.grad is not None]
            finite = bool(torch.isfinite(torch.nn.utils.clip_grad_norm_(params, float("inf"))))
        if finite:
            self.optimizer.step()
        else:
            warnings.warn(f"step {self.step}: the loss or its gradient is not finite; the batch is skipped",
                          RuntimeWarning, stacklevel=3)
        with warnings.catch_warnings():  # a skipped first batch: torch warns of the order of the two steps
            warnings.simplefilter("ignore", UserWarning)
            self.scheduler.step()
        return float(loss.detach()), f

    def _remember(self, batch):
        cap = self.settings["buffer_batches"] * self.settings["batch_size"]
        batch = list(batch)
        m = self.settings.get("buffer_prior_channels")
        if m is not None and batch[5] is not None:
            batch[5:6] = _top_prior(batch[5], batch[2], m)
        if self.buffer is None:
            self.buffer = batch
        else:
            self.buffer = [torch.cat([b, x])[-cap:] if b is not None else None for b, x in zip(self.buffer, batch)]

    def _replay(self):
        n_buf = self.buffer[0].shape[0]
        idx = torch.randint(n_buf, (min(self.settings["batch_size"], n_buf),), generator=self.generator)
        idx = idx.to(self.device)
        return self._expanded([None if b is None else b[idx] for b in self.buffer])

    def _expanded(self, batch):
        """A buffered batch with its prior as (n, channels) again: zero where not kept."""
        if len(batch) > 8:  # the prior as the m largest weights and their channels
            values, index = batch[5], batch[6]
            prior = torch.zeros((values.shape[0], self.target.n_channels), dtype=values.dtype, device=values.device)
            batch = batch[:5] + [prior.scatter(1, index, values)] + batch[7:]
        return batch

    def _update_moments(self, w, group, counts):
        """Running mean and second moment of each group's estimate of its integral (groups
        with at least two points in the batch)."""
        rate = 0.1 if self.step > 0 else 1.0
        k = self.target.n_groups
        n = np.maximum(counts, 1)
        batch = np.stack([np.bincount(group, w, k) / n, np.bincount(group, w * w, k) / n], axis=1)
        seen = counts >= 2
        self.moments[seen] = (1 - rate) * self.moments[seen] + rate * batch[seen]

    def _drop_channels(self):
        share = np.abs(self.moments[:, 0]) * self.active
        if share.sum() <= 0:
            return
        weak = self.active & (share / share.sum() < self.settings["drop_threshold"])
        if weak.any() and weak.sum() < self.active.sum():
            self.active &= ~weak
            if self.buffer is not None:
                keep = torch.as_tensor(self.active, device=self.device)[self.buffer[1]]
                self.buffer = [None if b is None else b[keep] for b in self.buffer]

    def _vegas_start(self):
        """Adapt a VEGAS grid per group and start the flows from them (Eqs. 5.21-5.23)."""
        t = self.target
        reps = [int(m[0]) for m in t.members]

        res = multichannel_vegas(t.prior_weighted, t.n_channels, t.dim, n_points=self.settings["vegas_points"],
                                 n_iterations=self.settings["vegas_iterations"], n_warmup=0, channels=reps,
                                 multiplicity=t.sizes, seed=self.settings["seed"])
        self.integrand_calls += res.n_evaluations
        self.flow.init_from_vegas(res.grids if self.flow.channels else res.grids[0])
        self.vegas_done = True

    # ------------------------------------------------------------------ training

    def _inverse_step(self, counts):
        """Inverse training (MADNIS-Lite, arXiv:2408.01486, Eq. 22): the loss of points
        x = G^-1(z) differentiated through the flow, the channel maps and the integrand."""
        u, group, channel, g = self._draw(counts, self.generator, grad=True)
        self.optimizer.zero_grad()
        f = self.target.differentiable(u, channel.cpu().numpy()) * self._tensor(self.target.sizes)[group]
        self.integrand_calls += u.shape[0]
        loss = LOSSES[self.settings["loss"]](f, g, g, group if self.target.n_groups > 1 else None)
        loss, f = self._step(loss, f.detach())
        return loss, f, g.detach(), group

    def train_step(self) -> float:
        """Take one online training step and its buffered replays.

        Returns
        -------
        float
            The online step's loss.
        """
        s = self.settings
        counts = self._allocation(s["batch_size"], s["uniform_fraction"])
        if s["training"] == "inverse":
            loss, f, q, group = self._inverse_step(counts)
        else:
            u, group, channel, q = self._draw(counts, self.generator)
            batch = (u, group, channel, q, *self._evaluate(u, channel, with_score=True))
            loss, f = self._optimise(batch)
            self._remember(batch)
        g_np = group.cpu().numpy()
        w = (f / q).cpu().numpy()
        self._update_moments(w, g_np, counts)
        for _ in range(s["buffered_steps"]):
            self._optimise(self._replay())
        self.step += 1
        if s["drop_threshold"] > 0 and self.step % s["drop_interval"] == 0 and self.step >= s["stratified_after"]:
            self._drop_channels()
        # the batch's weights as estimates of the whole integral: m_r alpha f / (g_r N_r / N)
        frac = counts / counts.sum()
        quality = sampler_quality(w / frac[g_np]) if np.any(w != 0) else None
        self.history["loss"].append(loss)
        self.history["relative_std"].append(quality.relative_std if quality else float("nan"))
        self.history["efficiency"].append(quality.efficiency if quality else float("nan"))
        self.history["learning_rate"].append(self.optimizer.param_groups[0]["lr"])
        return loss

    def train(self, progress: bool = True, callback=None) -> "NeuralIntegrator":
        """Train up to ``steps`` steps (from a checkpoint: the steps left).

        Runs the VEGAS initialisation first when ``vegas_init`` asks for it, and saves the
        checkpoint at the end.

        Parameters
        ----------
        progress : bool, optional
            Show a progress bar with the loss, sigma/I and unweighting efficiency (default True).
        callback : callable, optional
            ``callback(integrator)`` runs after every step.

        Returns
        -------
        NeuralIntegrator
            The integrator itself.
        """
        if not self.vegas_done:
            self._vegas_start()
            self.save_checkpoint()
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.settings["steps"], initial=self.step, desc="MadNIS training", unit="step")
        try:
            while self.step < self.settings["steps"]:
                loss = self.train_step()
                if self.checkpoint is not None and self.step % self.checkpoint_every == 0:
                    self.save_checkpoint()
                if bar is not None:
                    h = self.history
                    bar.set_postfix_str(f"loss {loss:.3g}, sigma/I {_recent(h['relative_std']):.3g}, "
                                        f"eff {100 * _recent(h['efficiency']):.2g}%")
                    bar.update(1)
                if callback is not None:
                    callback(self)
        finally:
            if bar is not None:
                bar.close()
        self.save_checkpoint()
        return self

    # ------------------------------------------------------------------ using the trained flows

    def draw(self, n: int, generator: torch.Generator | None = None, allocation: str = "sigma"):
        """Draw n points of the trained flows, without evaluating the integrand.

        The groups get their points by their running sigma or, with
        ``allocation="unweighting"``, by their largest weights (:meth:`peak_weights`), at least
        ``min_share`` of an even share each; each point is one of its group's channels,
        picked uniformly.

        Parameters
        ----------
        n : int
            Number of points.
        generator : torch.Generator, optional
            The random generator (default: the integrator's own).
        allocation : {"sigma", "unweighting"}, optional
            How the points are shared among the groups (default ``"sigma"``).

        Returns
        -------
        u : numpy.ndarray
            The points, shape (n, dim).
        channel : numpy.ndarray
            Their channels, shape (n,).
        group : numpy.ndarray
            Their groups, shape (n,).
        q : numpy.ndarray
            The density they were drawn from, shape (n,).
        fraction : numpy.ndarray
            P, the fraction of the points in the point's group, shape (n,).

        Raises
        ------
        ValueError
            If ``allocation`` is neither ``"sigma"`` nor ``"unweighting"``.
        """
        if allocation not in ("sigma", "unweighting"):
            raise ValueError(f"allocation: expected 'sigma' or 'unweighting', got {allocation!r}")
        counts = (self._event_allocation(n) if allocation == "unweighting"
                  else self._allocation(n, self.settings["min_share"]))
        with torch.no_grad():
            u, group, channel, q = self._draw(counts, self.generator if generator is None else generator)
        g = group.cpu().numpy()
        return u.cpu().numpy(), channel.cpu().numpy(), g, q.cpu().numpy(), (counts / counts.sum())[g]

    def sample(self, n: int, generator: torch.Generator | None = None, allocation: str = "sigma"):
        """Draw n weighted points of the trained flows.

        Parameters
        ----------
        n : int
            Number of points.
        generator : torch.Generator, optional
            The random generator (default: the integrator's own).
        allocation : {"sigma", "unweighting"}, optional
            How the points are shared among the groups, as in :meth:`draw`.

        Returns
        -------
        u : numpy.ndarray
            The points, shape (n, dim).
        channel : numpy.ndarray or None
            Their channels, shape (n,); None with one channel.
        weight : numpy.ndarray
            Their weights m_r alpha_c f / (g_r P_r), shape (n,), whose mean is the integral.
        """
        u, channel, group, q, frac = self.draw(n, generator, allocation)
        bare, prior, feats, _ = self._evaluate(self._tensor(u), torch.as_tensor(channel))
        with torch.no_grad():
            f = self._integrand_share(bare, prior, feats, torch.as_tensor(channel, device=self.device),
                                      torch.as_tensor(group, device=self.device))
        w = f.cpu().numpy() / (q * frac)
        return u, channel if self.target.multi else None, w

    def integrate(self, n: int = 100_000, generator: torch.Generator | None = None) -> IntegrationResult:
        """Estimate the integral from n points of the trained flows, stratified over the groups.

        Parameters
        ----------
        n : int, optional
            Number of points (default 100000).
        generator : torch.Generator, optional
            The random generator (default: the integrator's own).

        Returns
        -------
        IntegrationResult
            The integral, its error and the sample's quality, in total and per group.
        """
        u, channel, w = self.sample(n, generator)
        counts = self._allocation(n, self.settings["min_share"])
        frac = counts / counts.sum()
        group = self.target.group_of[channel] if channel is not None else np.zeros(w.size, dtype=np.int64)
        per, quality = [], []
        for r in range(self.target.n_groups):
            wr = w[group == r] * frac[r]  # group r's estimate of its own integral
            if wr.size >= 2:
                per.append((float(wr.mean()), float(wr.std(ddof=1) / np.sqrt(wr.size))))
                quality.append(sampler_quality(wr))
            else:
                per.append((0.0, 0.0))
                quality.append(None)  # dropped, or no point in it
        mean = sum(m for m, _ in per)
        error = math.sqrt(sum(e * e for _, e in per))
        return IntegrationResult(mean, error, sampler_quality(w), per, int(w.size), quality)

    def latent_weights(self, z, channel):
        """The integrand on the flows' latent cube, which VEGAS refines on top of the flows.

        That is alpha_c f / g_c at u = G_r^-1(z) times the Jacobian ``|du/dz|``, with the prior
        channel weights, r the channel's group.

        Parameters
        ----------
        z : numpy.ndarray
            Latent points, shape (n, dim).
        channel : int
            The channel (one index).

        Returns
        -------
        numpy.ndarray
            The weights, shape (n,).
        """
        t = self.target
        c = int(channel)
        with torch.no_grad():
            u, log_jac = self.flow.inverse(self._tensor(z), torch.full((z.shape[0],), int(t.group_of[c]))
                                           if self.flow.channels is not None else None)
        self.integrand_calls += z.shape[0]
        return t.prior_weighted(u.cpu().numpy(), c) * np.exp(log_jac.cpu().numpy())

    def vegas_on_top(self, **options):
        """Run numhep's multi-channel VEGAS on the latent cube of the trained flows.

        MADNIS-Lite's "trained + VEGAS" (arXiv:2408.01486); with no training, VEGAS on the
        flows' starting point.  VEGAS integrates :meth:`latent_weights` with a grid per group's
        representative channel, weighted by the group's size.

        Parameters
        ----------
        **options
            Go to :func:`numhep.multichannel_vegas` (``n_points``, ``n_iterations``, ...).

        Returns
        -------
        MultiChannelResult
            The result of :func:`numhep.multichannel_vegas`.
        """
        t = self.target
        reps = [int(m[0]) for m in t.members]
        return multichannel_vegas(self.latent_weights, t.n_channels, t.dim, channels=reps, multiplicity=t.sizes,
                                  **options)

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict:
        return {
            "settings": self.settings, "step": self.step, "integrand_calls": self.integrand_calls,
            "vegas_done": self.vegas_done, "active": self.active.copy(), "moments": self.moments.copy(),
            "history": {k: list(v) for k, v in self.history.items()},
            "flow": self.flow.state_dict(), "cwnet": None if self.cwnet is None else self.cwnet.state_dict(),
            "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
            "generator": self.generator.get_state(),
            "buffer": None if self.buffer is None else [None if b is None else b.cpu() for b in self.buffer],
        }

    def load_state_dict(self, state: dict) -> None:
        differ = [k for k in self.settings if state["settings"].get(k) != self.settings[k]]
        if differ:
            detail = "; ".join(f"{k}: {state['settings'].get(k)} there, {self.settings[k]} here" for k in differ)
            raise ValueError(f"checkpoint: it belongs to a training with other settings ({detail})")
        self.step, self.integrand_calls = int(state["step"]), int(state["integrand_calls"])
        self.vegas_done = bool(state["vegas_done"])
        self.active, self.moments = np.array(state["active"], dtype=bool), np.array(state["moments"])
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.flow.load_state_dict(state["flow"])
        if self.cwnet is not None:
            self.cwnet.load_state_dict(state["cwnet"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.generator.set_state(state["generator"])
        buf = state["buffer"]
        self.buffer = None if buf is None else [None if b is None else b.to(self.device) for b in buf]

    def save(self, path) -> None:
        """Write the whole training state to ``path`` (atomically).

        Parameters
        ----------
        path : str or pathlib.Path
            The file to write.
        """
        save_state(path, self.state_dict())

    def load(self, path) -> "NeuralIntegrator":
        """Continue from a state written by :meth:`save`.

        Parameters
        ----------
        path : str or pathlib.Path
            The file that :meth:`save` wrote.

        Returns
        -------
        NeuralIntegrator
            The integrator itself.

        Raises
        ------
        ValueError
            If the state belongs to a training with other settings.
        """
        self.load_state_dict(load_state(path, self.device))
        return self

    def save_checkpoint(self) -> None:
        if self.checkpoint is not None:
            self.save(self.checkpoint)

    def plot(self, directory) -> list[Path]:
        """Save the training curves and the weight distribution of a fresh sample as PNG files.

        The curves are the loss, sigma/I, efficiency and learning rate against the step
        (``training.png``); the weights those of 20 batches of a fresh sample over their mean
        (``weights.png``).

        Parameters
        ----------
        directory : str or pathlib.Path
            Where the files go (created if needed).

        Returns
        -------
        list of pathlib.Path
            The two files.

        Raises
        ------
        ImportError
            Without matplotlib.
        """
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError("plots need matplotlib: pip install 'numhep[plots]'") from exc
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        h = self.history
        fig, axes = plt.subplots(4, 1, figsize=(6, 9), sharex=True)
        for ax, key, label in zip(axes, ("loss", "relative_std", "efficiency", "learning_rate"),
                                  ("loss", r"$\sigma/I$ (batch)", "unweighting efficiency (batch)", "learning rate")):
            ax.plot(np.arange(1, len(h[key]) + 1), h[key], lw=0.8)
            ax.set_ylabel(label)
            ax.set_yscale("log")
        axes[-1].set_xlabel("training step")
        fig.tight_layout()
        curves = directory / "training.png"
        fig.savefig(curves, dpi=120)
        plt.close(fig)
        _, _, w = self.sample(20 * self.settings["batch_size"], torch.Generator().manual_seed(self.settings["seed"] + 1))
        w = w[w > 0] / w[w > 0].mean()
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.hist(w, bins=np.logspace(np.log10(w.min()), np.log10(w.max()), 60), histtype="step")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"$w / \langle w \rangle$")
        ax.set_ylabel("points")
        q = sampler_quality(w)
        ax.set_title(rf"$\sigma/I$ = {q.relative_std:.3g}, unweighting efficiency {100 * q.efficiency:.3g} %")
        fig.tight_layout()
        weights = directory / "weights.png"
        fig.savefig(weights, dpi=120)
        plt.close(fig)
        return [curves, weights]


def _recent(values, k: int = 20) -> float:
    tail = [v for v in values[-k:] if np.isfinite(v)]
    return float(np.mean(tail)) if tail else float("nan")


def _top_prior(prior, channel, m):
    """[values, channels] of the m largest prior weights of each point (n, m), the point's own
    channel always among them (the thesis Sec. 5.1.2)."""
    rank = prior.clone()
    rank.scatter_(1, channel[:, None], torch.inf)
    index = torch.topk(rank, m, dim=1).indices
    return [prior.gather(1, index), index]
