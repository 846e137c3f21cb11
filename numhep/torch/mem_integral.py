r"""The matrix-element-method integral with three networks, single-pass over the CP phase.

Heimel, PhD thesis, Heidelberg 2024, Eq. 6.39 (three networks) and Eq. 6.29 (its Monte Carlo
form with the sampling network):

.. math::

    p(x_\text{reco} | \alpha) = \frac{1}{\sigma_\text{fid}(\alpha)} \Big\langle
        \frac{1}{q_\varphi(u | x_\text{reco}, \alpha^{(j)})}
        \frac{d\sigma(\alpha)}{du}\, \epsilon_\psi(x_\text{hard}(u))\,
        p_\theta(x_\text{reco} | x_\text{hard}(u)) \Big\rangle_{u \sim q_\varphi(\cdot | x_\text{reco}, \alpha^{(j)})}

evaluated single-pass (Sec. 6.4.1): every sample draws its alpha^{(j)} from the scan's grid,
and the same samples give the integral at every alpha of the grid through the factorised
dsigma/du = sum_i f_i(alpha) g_i(u) (Eqs. 6.33-6.35), which numhep computes
(:class:`~numhep.integration.cp_factorised_integrand.CPFactorisedIntegrand`); the networks
give q, p_theta and epsilon only.  Batches are added until the integral's relative error is
below a target at every alpha (iterative integration); bootstrap replicas of the samples give
the correlated integration error of the likelihood curve.  With an acceptance network the same
samples also give the two-network integral of Eq. 6.30 (epsilon left out), so that the two
setups are compared on equal terms, and also the mean of epsilon over each event's posterior
p(x_hard | x_reco, alpha) ~ dsigma/du epsilon p_theta (the three networks' integrand): averaged
over accepted events at their true alpha it equals the mean of epsilon at their true x_hard
(the law of total expectation), a closure test of the networks' posterior.  The ratio of the
three- to the two-network likelihood is instead the mean of epsilon over the posterior
without epsilon, which is lower than that by E[Var(epsilon)] / E[epsilon] per event
(Cauchy-Schwarz) even for exact networks.

VEGAS refinement of the latent space (Sec. 6.4, ``vegas_refine=True``): the sampling
network's latent points z, uniform on the unit cube, are drawn instead through a VEGAS grid
of their own per event, z = V(y) with y uniform, so the flow's proposal becomes
p_V(G(u)) g_phi(u) (Eq. 6.28 with p_latent = p_V).  The grid is shared by all alphas; after
every iteration it adapts to the squared weights at the middle of the alpha interval, and the
iterations are combined weighted by their inverse variances there (one set of weights for all
alphas, so the estimate keeps the factorised form of Eq. 6.35), each predicted by the
iteration before, which keeps the combination unbiased.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from numhep.amplitudes.cp_factorised import cp_monomials
from numhep.events.thj_dataset import hard_features as thj_hard_features
from numhep.integration.vegas import VegasGrid
from numhep.torch.likelihood_scan import confidence_interval

__all__ = ["MEMIntegral", "MEMResult", "pull"]


@dataclass
class MEMResult:
    """Per-event reco-level log-likelihoods on a grid of CP phases.

    Parameters
    ----------
    alphas : ndarray, shape ``(k,)``
        The grid (radians).
    log_likelihood : ndarray, shape ``(n, k)``
        log p(x_reco | alpha) of every event (three networks, or two without an acceptance network).
    replicas : ndarray, shape ``(n, m, k)``
        Bootstrap replicas of ``log_likelihood``.
    relative_error : ndarray, shape ``(n, k)``
        The Monte Carlo integral's relative standard error.
    samples : ndarray, shape ``(n,)``
        Samples used per event.
    seconds : float
        Wall-clock time of the integration.
    log_likelihood_two_networks : ndarray, optional
        Shape (n, k): the same samples without the acceptance (Eq. 6.30); None without an acceptance network.
    replicas_two_networks : ndarray, optional
        Its bootstrap replicas, shape (n, m, k).
    posterior_acceptance : ndarray, optional
        Shape (n, k): the mean of epsilon(x_hard) over each event's three-network posterior
        p(x_hard | x_reco, alpha) ~ dsigma/du epsilon p_theta, from the same samples; None
        without an acceptance network.
    posterior_observables : ndarray, optional
        Shape (n, m, k): the means of the ``observables`` passed to the integral over the same
        posterior (the two-network one without an acceptance network); None without them.

    Examples
    --------
    >>> from numhep.torch.mem_integral import MEMResult
    >>> r = MEMResult(np.array([0.0, 1.0, 2.0]), np.log([[0.2, 0.5, 0.3]]), np.zeros((1, 2, 3)), np.zeros((1, 3)),
    ...               np.array([100]), 1.0)
    >>> r.q().round(3).tolist()
    [1.833, 0.0, 1.022]
    """

    alphas: np.ndarray
    log_likelihood: np.ndarray
    replicas: np.ndarray
    relative_error: np.ndarray
    samples: np.ndarray
    seconds: float
    log_likelihood_two_networks: np.ndarray | None = None
    replicas_two_networks: np.ndarray | None = None
    posterior_acceptance: np.ndarray | None = None
    posterior_observables: np.ndarray | None = None

    def q(self, events=None, *, two_networks: bool = False) -> np.ndarray:
        """q(alpha) = -2 sum_events log p(x_reco | alpha), minus its minimum over the grid.

        Parameters
        ----------
        events : array_like, optional
            Indices (or a mask) of the events to combine (default all).
        two_networks : bool, optional
            Use the two-network likelihood (default False).

        Returns
        -------
        ndarray, shape ``(k,)``
            The test statistic of :func:`numhep.torch.confidence_interval`.
        """
        ll = self.log_likelihood_two_networks if two_networks else self.log_likelihood
        if ll is None:
            raise ValueError("q: no two-network likelihood (integrate with an acceptance network)")
        total = -2.0 * (ll if events is None else ll[events]).sum(axis=0)
        return total - total.min()

    def q_error(self, events=None, *, two_networks: bool = False) -> np.ndarray:
        """The bootstrap standard deviation of :meth:`q` at every alpha, shape (k,).

        Parameters
        ----------
        events : array_like, optional
            Indices (or a mask) of the events to combine (default all).
        two_networks : bool, optional
            Use the two-network likelihood (default False).

        Returns
        -------
        ndarray
            The integration error of q.
        """
        reps = self.replicas_two_networks if two_networks else self.replicas
        total = -2.0 * (reps if events is None else reps[events]).sum(axis=0)  # (m, k)
        total = total - total.min(axis=1, keepdims=True)
        return total.std(axis=0)


def pull(alphas, q, truth: float, *, fold: bool = False):
    """The pull (alpha_hat - alpha_truth) / sigma of a likelihood curve (Heimel, PhD thesis, Heidelberg 2024, Fig. 6.14).

    alpha_hat and the 68 % interval come from :func:`numhep.torch.confidence_interval`; sigma
    is the interval's half on the side of the truth.

    With ``fold`` the pull is that of |alpha|: the curve is folded onto alpha >= 0,
    q_fold(|alpha|) = min(q(alpha), q(-alpha)), and compared with |alpha_truth|.  A CP phase
    whose sign the data resolve only weakly (the CP-odd terms of t H j are small beside the
    CP-even ones, Heimel, PhD thesis, Sec. 6.3: "the absolute value is still well-calibrated")
    has a likelihood with two minima near +-alpha_truth; a set of events that prefers the
    wrong one gives a signed pull of about 2 alpha_truth / sigma, a statement about the sign,
    not about the interval.  The folded pull measures the interval alone; the fraction of sets
    with sign(alpha_hat) != sign(alpha_truth) measures the sign.

    Parameters
    ----------
    alphas : array_like, shape ``(k,)``
        The grid, increasing; with ``fold`` it holds -a for every a > 0 it holds.
    q : array_like, shape ``(k,)``
        The test statistic.
    truth : float
        The true value.
    fold : bool, optional
        The pull of |alpha| (default False).

    Returns
    -------
    tuple of float
        (pull, alpha_hat, sigma); the pull is nan when the interval does not close on that
        side.  With ``fold``, alpha_hat is the best |alpha|.

    Raises
    ------
    ValueError
        With ``fold``, if the grid is not symmetric about 0.

    Examples
    --------
    >>> from numhep.torch.mem_integral import pull
    >>> a = np.linspace(-2, 2, 81)
    >>> [round(v, 3) for v in pull(a, (a - 0.5) ** 2 / 0.25, 0.0)]
    [1.0, 0.5, 0.5]
    >>> mirror = np.minimum((a + 1.0) ** 2 / 0.04, (a - 1.0) ** 2 / 0.04 + 0.5)  # prefers -1, truth +1
    >>> round(pull(a, mirror, 1.0)[0], 3), round(pull(a, mirror, 1.0, fold=True)[0], 3)
    (-10.0, 0.0)
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if fold:
        if not np.allclose(np.sort(-alphas), alphas, rtol=0.0, atol=1e-9 * max(1.0, np.abs(alphas).max())):
            raise ValueError("pull(fold=True): the grid must hold -a for every a it holds")
        half = alphas >= -1e-12
        alphas, q = alphas[half], np.minimum(q[half], q[::-1][half])
        truth = abs(truth)
    low, best, high = confidence_interval(alphas, q)
    sigma = (high - best) if truth > best else (best - low)
    if not np.isfinite(sigma) or sigma <= 0:
        return math.nan, best, sigma
    return (best - truth) / sigma, best, sigma


def _thj_features(points, u):
    return thj_hard_features(points.momenta[:, 2:5])


def _blocks(stored, refine: bool):
    """The blocks of weights an estimate combines: each iteration's with refinement, else all pooled."""
    return list(stored) if refine else [np.concatenate(stored)]


def _combination(blocks, mid: int, refine: bool):
    """The iterations' blocks of weights (n_i, k) to combine and their shares c_i.

    Without refinement the iterations draw from the same proposal: their samples are pooled
    (one block).  With it, the iterations are combined weighted by their inverse variances at
    the middle alpha (Heimel, PhD thesis, Heidelberg 2024, Sec. 6.4), each iteration's variance
    predicted by the one before it (the first by its own): a weight from the iteration's own
    variance favours the iterations that missed the integrand's peaks and biases the
    estimate low (by 0.9 standard errors on a toy of 6 x 2000 samples; the predicted ones
    leave no visible bias).  A prediction of zero spread (no weight off zero) gets no share,
    unless all are zero.
    """
    blocks = _blocks(blocks, refine)
    if not refine:
        return blocks, np.ones(1)
    var = np.array([b[:, mid].var() / b.shape[0] for b in blocks])
    predicted = np.concatenate([var[:1], var[:-1]])
    inverse = np.where(predicted > 0, 1.0 / np.where(predicted > 0, predicted, 1.0), 0.0)
    if not inverse.sum() > 0:
        inverse = np.array([float(b.shape[0]) for b in blocks])
    return blocks, inverse / inverse.sum()


def _combined_estimate(blocks, shares):
    """sum_i c_i <w>_i and its standard error sqrt(sum_i c_i^2 s_i^2 / n_i), shape (k,) each."""
    mean = sum(c * b.mean(axis=0) for c, b in zip(shares, blocks))
    var = sum(c * c * b.var(axis=0) / b.shape[0] for c, b in zip(shares, blocks))
    return mean, np.sqrt(var)


class MEMIntegral:
    """The single-pass MEM integral of Eqs. 6.29/6.39 (see the module text).

    Parameters
    ----------
    integrand : CPFactorisedIntegrand
        numhep's factorised dsigma/du of the hard process.
    sampler : SamplingNetwork or object
        ``sampler.sample(reco, alpha, generator) -> (u, q(u))`` (torch tensors); the VEGAS
        refinement needs ``sampler.sample_latent`` and ``sampler.dim`` too.
    transfer : TransferNetwork or object
        ``transfer.log_prob(reco, hard_features) -> log p_theta`` (torch tensors).
    sigma_fid : array_like, shape ``(6,)``
        The fiducial cross section's components (pb): sigma_fid(alpha) = sigma_fid . f(alpha).
    acceptance : AcceptanceClassifier or callable, optional
        ``acceptance(hard_features) -> epsilon`` (torch); None for the two-network setup.
    hard_features : callable, optional
        ``hard_features(points, u) -> (n, d)`` numpy features of the hard events the transfer
        and acceptance networks take (default: Eq. 6.31's seven features of t, H, j).
    kappa_a, kappa_b : float, optional
        The CP-even and CP-odd strengths (defaults 1 and 2/3).

    Examples
    --------
    >>> from numhep.torch.mem_integral import MEMIntegral
    >>> MEMIntegral.__name__
    'MEMIntegral'
    """

    def __init__(self, integrand, sampler, transfer, sigma_fid, *, acceptance=None, hard_features=None,
                 kappa_a: float = 1.0, kappa_b: float = 2.0 / 3.0):
        self.integrand, self.sampler, self.transfer, self.acceptance = integrand, sampler, transfer, acceptance
        self.sigma_fid = np.asarray(sigma_fid, dtype=np.float64)
        if self.sigma_fid.shape != (6,):
            raise ValueError(f"sigma_fid: expected the six components, shape (6,), got {self.sigma_fid.shape}")
        self.hard_features = hard_features or _thj_features
        self.kappa = (float(kappa_a), float(kappa_b))

    def _integrand_values(self, reco_rows, alpha_rows, basis, gen, grids=None, observables=None):
        """(n_rows, k) values of the MEM integrand without and with epsilon, for one batch, and the
        rows' posterior moments (n_rows, m): epsilon (with an acceptance network) and the observables.

        With ``grids`` (one VEGAS grid per event, the rows in equal blocks per event) the latent
        points are drawn through the grids; then also the rows' bins (n_rows, dim) and whether
        they came from the flow (not from the uniform share) are returned, for the adaptation.
        """
        bins = from_flow = None
        with torch.no_grad():
            if grids is None:
                u, q = self.sampler.sample(reco_rows, alpha_rows, generator=gen)
            else:
                rows = reco_rows.shape[0] // len(grids)
                y = torch.rand((reco_rows.shape[0], grids[0].dims), generator=gen, dtype=torch.float64).numpy()
                z, bins = np.empty_like(y), np.empty(y.shape, dtype=np.int64)
                for e, grid in enumerate(grids):
                    z[e * rows:(e + 1) * rows], _, bins[e * rows:(e + 1) * rows] = grid.map(y[e * rows:(e + 1) * rows])

                def latent_density(points):  # grid e holds rows e * rows .. (e + 1) * rows - 1
                    z_np = points.detach().cpu().numpy()
                    dens = [g.density(z_np[e * rows:(e + 1) * rows]) for e, g in enumerate(grids)]
                    return torch.from_numpy(np.concatenate(dens)).to(points)

                u, q, flow = self.sampler.sample_latent(torch.from_numpy(z), reco_rows, alpha_rows,
                                                        latent_density=latent_density, generator=gen)
                from_flow = flow.cpu().numpy()
        u_np = u.detach().cpu().numpy()
        pts = self.integrand.evaluate(u_np)
        weights = pts.components @ basis.T  # (n, k) dsigma/du at every alpha
        feats = np.asarray(self.hard_features(pts, u_np), dtype=np.float64)
        feats = np.where(pts.inside[:, None], feats, 0.0)
        with torch.no_grad():
            hard = torch.from_numpy(feats)
            log_t = self.transfer.log_prob(reco_rows, hard).cpu().numpy()
            eps = (self.acceptance(hard).cpu().numpy() if self.acceptance is not None else None)
        q_np = q.detach().cpu().numpy()
        ok = pts.inside & np.isfinite(log_t) & (q_np > 0) & np.isfinite(q_np)
        factor = np.where(ok, np.exp(np.where(ok, log_t, 0.0)) / np.where(ok, q_np, 1.0), 0.0)
        two = weights * factor[:, None]
        three = two * eps[:, None] if eps is not None else None
        columns = [] if eps is None else [eps[:, None]]
        if observables is not None:
            values = np.asarray(observables(pts, u_np), dtype=np.float64)
            if values.ndim not in (1, 2) or values.shape[0] != u_np.shape[0]:
                raise ValueError(f"observables: expected values of shape ({u_np.shape[0]},) or ({u_np.shape[0]}, m) "
                                 f"for {u_np.shape[0]} points, got {values.shape}")
            values = values.reshape(u_np.shape[0], -1)
            columns.append(np.where(ok[:, None], values, 0.0))  # where the weight is zero
        moments = np.concatenate(columns, axis=1) if columns else np.zeros((u_np.shape[0], 0))
        return two, three, moments, bins, from_flow

    def __call__(self, reco, alphas, *, batch_size: int = 1000, min_iterations: int = 2, max_iterations: int = 10,
                 target: float = 0.02, bootstrap: int = 50, chunk: int = 8, seed: int = 1,
                 vegas_refine: bool = False, vegas_bins: int = 16, progress: bool = False,
                 observables=None) -> MEMResult:
        """log p(x_reco | alpha) of every event at every alpha of the grid.

        Parameters
        ----------
        reco : array_like, shape ``(n, d)``
            The events' reco features (what the transfer and sampling networks take).
        alphas : array_like, shape ``(k,)``
            The CP phases of the scan (radians).
        batch_size : int, optional
            Samples per event and iteration (default 1000; the thesis's 10000).
        min_iterations, max_iterations : int, optional
            Iterations at least and at most (defaults 2 and 10; the thesis's 2 and 15).
        target : float, optional
            The relative error at which an event stops (default 0.02, the thesis's 2 %).
        bootstrap : int, optional
            Bootstrap replicas (default 50).
        chunk : int, optional
            Events integrated together (default 8).
        seed : int, optional
            The seed of the samples and the replicas (default 1).
        vegas_refine : bool, optional
            Refine the sampling network's latent space with a VEGAS grid per event (Heimel, PhD
            thesis, Heidelberg 2024, Sec. 6.4; see the module text), adapted after every
            iteration; the iterations are combined weighted by their (predicted) inverse
            variances.  Needs a sampler with ``sample_latent`` and ``dim``
            (:class:`~numhep.torch.sampling_network.SamplingNetwork`,
            :class:`~numhep.torch.sampling_network.MomentumSamplingNetwork`).  Default False.
        vegas_bins : int, optional
            Bins per latent dimension of the VEGAS grids (default 16).
        progress : bool, optional
            Show a tqdm bar over the events (default False).
        observables : callable, optional
            ``observables(points, u) -> (n_rows,)`` or ``(n_rows, m)``: functions of the hard
            event (``points`` as from the integrand's ``evaluate(u)``, e.g. ``points.momenta``)
            whose means over each event's posterior p(x_hard | x_reco, alpha), the integrand
            of the likelihood normalised, are returned in ``posterior_observables`` from the
            same samples.  Averaged over events drawn at alpha they equal the observables'
            mean at the events' true x_hard: a closure test of the networks.

        Returns
        -------
        MEMResult
            The log-likelihoods, their replicas and errors.

        Raises
        ------
        ValueError
            If the shapes or counts are invalid, or ``observables`` returns values of the wrong shape.
        """
        reco = torch.as_tensor(np.asarray(reco, dtype=np.float64))
        alphas = np.asarray(alphas, dtype=np.float64)
        if reco.ndim != 2 or alphas.ndim != 1 or alphas.size < 1:
            raise ValueError(f"reco, alphas: expected (n, d) and (k,), got {tuple(reco.shape)}, {alphas.shape}")
        if not (1 <= min_iterations <= max_iterations) or batch_size < 2 or bootstrap < 1:
            raise ValueError("need 1 <= min_iterations <= max_iterations, batch_size >= 2 and bootstrap >= 1")
        if vegas_refine and not (hasattr(self.sampler, "sample_latent") and hasattr(self.sampler, "dim")):
            raise ValueError("vegas_refine: the sampler needs sample_latent(z, reco, alpha, latent_density, generator) "
                             "and dim, as SamplingNetwork has; this one only samples")
        if vegas_refine and int(vegas_bins) < 2:
            raise ValueError(f"vegas_bins: expected at least 2 bins, got {vegas_bins}")
        n, k = reco.shape[0], alphas.size
        basis = cp_monomials(alphas, *self.kappa)
        log_sigma = np.log(basis @ self.sigma_fid)
        # the point in the middle of the alpha interval, where the grids adapt and the iterations are weighted
        mid = int(np.argmin(np.abs(alphas - 0.5 * (alphas.min() + alphas.max()))))
        with_eps = self.acceptance is not None
        out = {name: np.zeros((n, k)) for name in ("ll", "err", "ll2")}
        reps = np.zeros((n, bootstrap, k))
        reps2 = np.zeros((n, bootstrap, k)) if with_eps else None
        posterior = None  # (n, m, k), m known from the first batch: epsilon and the observables
        samples = np.zeros(n, dtype=np.int64)
        gen = torch.Generator().manual_seed(int(seed))
        rng = np.random.default_rng(int(seed))
        start = time.perf_counter()
        chunks = range(0, n, int(chunk))
        if progress:
            from tqdm.auto import tqdm

            chunks = tqdm(chunks, desc="MEM integral", unit="chunk")
        for lo in chunks:
            idx = np.arange(lo, min(n, lo + int(chunk)))
            store_two = [[] for _ in idx]
            store_three = [[] for _ in idx]
            store_moments = [[] for _ in idx]  # per iteration: sum over its samples of moment x weight, (m, k)
            active = idx.copy()
            grids = {e: VegasGrid(int(self.sampler.dim), int(vegas_bins)) for e in idx} if vegas_refine else None
            for it in range(int(max_iterations)):
                reco_rows = reco[np.repeat(active, batch_size)]
                alpha_rows = torch.from_numpy(alphas[rng.integers(k, size=active.size * batch_size)])
                two, three, moments, bins, from_flow = self._integrand_values(
                    reco_rows, alpha_rows, basis, gen, [grids[e] for e in active] if vegas_refine else None,
                    observables)
                for pos, e in enumerate(active):
                    rows = slice(pos * batch_size, (pos + 1) * batch_size)
                    store_two[e - lo].append(two[rows])
                    if with_eps:
                        store_three[e - lo].append(three[rows])
                    store_moments[e - lo].append(moments[rows].T @ (three if with_eps else two)[rows])
                    if vegas_refine:
                        # VEGAS on the latent cube: the squared weights of the flow's points, by their bins
                        main = (three if with_eps else two)[rows, mid]
                        flow = from_flow[rows]
                        grids[e].adapt(grids[e].bin_sums(np.ascontiguousarray(bins[rows][flow]), main[flow] ** 2))
                still = []
                for e in active:
                    blocks, shares = _combination((store_three if with_eps else store_two)[e - lo], mid, vegas_refine)
                    mean, err = _combined_estimate(blocks, shares)
                    rel = np.where(mean > 0, err / np.where(mean > 0, mean, 1.0), np.inf)
                    if it + 1 < min_iterations or rel.max() > target:
                        still.append(e)
                active = np.array(still, dtype=np.int64)
                if active.size == 0:
                    break
            for e in idx:
                blocks, shares = _combination((store_three if with_eps else store_two)[e - lo], mid, vegas_refine)
                m = sum(b.shape[0] for b in blocks)
                samples[e] = m
                # bootstrap within every block, combined with the blocks' shares
                counts = [c * rng.multinomial(b.shape[0], np.full(b.shape[0], 1.0 / b.shape[0]), size=bootstrap)
                          / b.shape[0] for c, b in zip(shares, blocks)]  # (bootstrap, n_i) each
                mean, err = _combined_estimate(blocks, shares)
                out["err"][e] = np.where(mean > 0, err / np.where(mean > 0, mean, 1.0), np.inf)
                with np.errstate(divide="ignore"):
                    out["ll"][e] = np.log(mean) - log_sigma
                    reps[e] = np.log(sum(c @ b for c, b in zip(counts, blocks))) - log_sigma
                    if with_eps:
                        second = _blocks(store_two[e - lo], vegas_refine)
                        out["ll2"][e] = np.log(_combined_estimate(second, shares)[0]) - log_sigma
                        reps2[e] = np.log(sum(c @ b for c, b in zip(counts, second))) - log_sigma
                # the posterior means: the same combination of the moments' sums as of the weights
                sums = store_moments[e - lo]
                moment = (sum(sums) / m if not vegas_refine else
                          sum(c * t / b.shape[0] for c, t, b in zip(shares, sums, blocks)))
                if posterior is None:
                    posterior = np.full((n,) + moment.shape, np.nan)
                with np.errstate(invalid="ignore", divide="ignore"):
                    posterior[e] = np.where(mean > 0, moment / np.where(mean > 0, mean, 1.0), np.nan)
        if posterior is None:  # no events
            posterior = np.zeros((0, int(with_eps), k))
        return MEMResult(alphas, out["ll"], reps, out["err"], samples, time.perf_counter() - start,
                         out["ll2"] if with_eps else None, reps2, posterior[:, 0] if with_eps else None,
                         posterior[:, int(with_eps):] if observables is not None else None)
