"""Integrands on the unit hypercube: cross sections in pb for lepton and hadron colliders.

    f = numhep.integrand("p p > t t~", sqrt_s=13000.0)          # PDFs: NNPDF31_lo_as_0118
    f = numhep.integrand("e+ e- > u u~ g", sqrt_s=1000.0, cuts={"ycut": 0.01})
    w = f(u)              # u: (n, f.dim) in [0, 1]^dim  ->  (n,) weights in pb, mean = sigma

Hadron colliders (Heimel et al., arXiv:2408.01486, Eqs. 32, 47-48), summed over the subprocesses of a group:
    sigma = sum_ab int dx1 dx2 f_a(x1, mu_F) f_b(x2, mu_F) / (2 s_hat) int dPhi_n |M_ab|^2 (alpha_s(mu_R)) Theta_cuts,
with (x1, x2) from the luminosity map (u[:, :2], tau between the mass/cut threshold and 1),
dPhi_n from RAMBO on diet (u[:, 2:], 3n - 4 numbers) in the partonic centre-of-mass
frame, and momenta boosted to the lab frame (rapidity ln(x1/x2)/2) for cuts, scales and
events.  Lepton colliders (``pdf=None``, the default for non-coloured beams) use
u = RAMBO on diet's numbers at fixed sqrt(s) and the flux 2 sqrt(lambda(s, m1^2, m2^2)).

alpha_s: |M|^2 of a process of fixed QCD order n scales as alpha_s^n (n is measured
once per subprocess), so the matrix element computed with the model's aS is rescaled by
(alpha_s(mu_R)/aS)^n per event; ``alpha_s="pdf"`` (default with PDFs) runs with the PDF
set's alpha_s, a number fixes it, ``None`` keeps the model's value.
Scales: a number (GeV, fixed), ``"ht/2"`` (default: half the sum of final-state
transverse masses, MadGraph's dynamical choice 3), ``"ht"``, ``"shat"`` (sqrt of the
partonic s), or a callable of the lab-frame final-state momenta (n, k, 4) -> (n,).

The integrand is a plain batch function of numpy arrays: it works with numhep's VEGAS,
the ``vegas`` package (``vegas.batchintegrand``), scipy's samplers, and madnis (see
:meth:`Integrand.torch`).  :meth:`Integrand.evaluate` returns everything an event needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from numhep import arrays as ab
from numhep.arrays import module as arrays_module
from numhep.amplitudes.lookup import resolve
from numhep.amplitudes.matrix_element import me
from numhep.amplitudes.groups import ProcessGroup, Subprocess, is_group, process_group
from numhep.integration.multichannel import multichannel_vegas
from numhep.pdfsets.parton_density import pdf as open_pdf
from numhep.phasespace.blocks import luminosity_map, luminosity_map_inverse
from numhep.phasespace.cuts import Cuts, bound_slopes
from numhep.phasespace.diagram_channels import (
    ChannelMap,
    diagram_channels,
    exchange_beams,
    propagator_weights,
    propagator_weights_vjp,
)
from numhep.phasespace.flat import beams, rambo, rambo_on_diet, rambo_on_diet_inverse, resonance_momenta
from numhep.units import GEV2_TO_PB

__all__ = ["Integrand", "IntegrandPoints", "integrand"]

DEFAULT_PDF = "NNPDF31_lo_as_0118"
_SCALES = ("ht/2", "ht", "shat")


def _exchanged_fractions(x):
    """(x1, x2) -> (x2, x1) with the beams (None at lepton colliders), contiguous for the kernels."""
    return None if x is None else np.ascontiguousarray(x[:, ::-1])


@dataclass
class IntegrandPoints:
    """Everything :meth:`Integrand.evaluate` knows about a batch of points.

    Parameters
    ----------
    weight : ndarray, shape ``(n,)``
        The integrand's weights in pb (with diagram channels ``alpha_c f / g_c``); zero for
        points outside the cuts or the unit cube.
    momenta : ndarray, shape ``(n, legs, 4)``
        Lab-frame momenta in GeV, energy first, incoming partons first.
    subprocess_weight : ndarray, shape ``(n, n_subprocesses)``
        Each subprocess's part of ``weight`` in pb (summing to it), in the order of the
        integrand's process group.
    x : ndarray or None
        Shape (n, 2): the momentum fractions (x1, x2) at hadron colliders; None at lepton
        colliders.
    scale : ndarray, shape ``(n,)``
        The scale mu_F = mu_R in GeV (zero where the weight is zero).
    alpha_s : ndarray, shape ``(n,)``
        alpha_s(mu_R) the weight was computed with.
    channel_weights : ndarray, optional
        Shape (n, n_channels): the channel weights alpha_i with diagram channels (uniform
        where a point fails the cuts); None without.
    weight_without_alpha : ndarray, optional
        Shape (n,): ``f / g_c`` without the channel weight, what madnis multiplies by its
        own alpha; None without diagram channels.
    gradient : ndarray, optional
        Shape (n, dim): ``d weight / du``, from ``evaluate(..., gradient=True)``; else None.

    Examples
    --------
    >>> f = numhep.integrand("e+ e- > mu+ mu-", 91.188)
    >>> pts = f.evaluate(np.full((3, f.dim), 0.5))
    >>> pts.weight.shape, pts.momenta.shape, pts.subprocess_weight.shape, pts.x
    ((3,), (3, 4, 4), (3, 1), None)
    """

    weight: np.ndarray  # (n,) pb
    momenta: np.ndarray  # (n, legs, 4) lab frame (incoming partons first)
    subprocess_weight: np.ndarray  # (n, n_sub) pb, summing to weight
    x: np.ndarray | None  # (n, 2) momentum fractions (hadron colliders)
    scale: np.ndarray  # (n,) mu_F = mu_R, GeV
    alpha_s: np.ndarray  # (n,)
    channel_weights: np.ndarray | None = None  # (n, n_channels) alpha_i with diagram channels
    weight_without_alpha: np.ndarray | None = None  # (n,) f / g_c, what madnis multiplies by its alpha
    gradient: np.ndarray | None = None  # (n, dim) d weight / du, from evaluate(..., gradient=True)


def _is_parton(pdg: int) -> bool:
    return abs(pdg) <= 6 or pdg == 21


def as_group(process, model) -> ProcessGroup:
    """A process group from a group, a group string (``p p > e+ e-``) or anything
    :func:`numhep.amplitudes.lookup.resolve` takes (a group of one subprocess)."""
    if isinstance(process, ProcessGroup):
        return process
    if isinstance(process, str) and is_group(process):
        return process_group(process, model=model)
    proc = resolve(process, model)
    return ProcessGroup(proc.name, [Subprocess(proc, proc.legs, False)], proc.masses, proc.model)


def qcd_power(proc) -> int | None:
    """n with |M|^2 proportional to alpha_s^n (None when the process mixes QCD orders)."""
    if proc.model is None or "aS" not in proc.model.inputs:
        return 0

    m = proc.masses
    p = resonance_momenta(2, m, seed=7) if len(m) == 3 else rambo(2, sqrt_s=2.0 * sum(m) + 300.0, masses=m, seed=7)[0]
    a0 = proc.model.inputs["aS"]
    lo = me(p, proc, check=False)
    hi = me(p, proc, params={"aS": 2.0 * a0}, check=False)
    if not np.all(lo > 0):
        return 0
    n = np.log2(hi / lo)
    k = int(round(float(n[0])))
    return k if np.allclose(n, k, atol=1e-8) else None


class Integrand:
    r"""The cross section of a process as an integrand on the unit hypercube, in pb.

    ``f(u)`` maps points u (n, dim) of [0, 1]^dim to weights (n,) in pb whose mean over
    uniform u is the cross section sigma.  At hadron colliders (Heimel et al.,
    arXiv:2408.01486, Eqs. 32, 47-48), summed over the subprocesses ab of a process group,

    .. math::

        \sigma = \sum_{ab} \int dx_1 dx_2 \, f_a(x_1, \mu_F) f_b(x_2, \mu_F) \frac{1}{2 \hat s}
        \int d\Phi_n \, |M_{ab}|^2(\alpha_s(\mu_R)) \, \Theta_\mathrm{cuts},

    with (x1, x2) from the luminosity map (u[:, :2], tau between the mass or cut threshold
    and 1), dPhi_n from RAMBO on diet (u[:, 2:], 3n - 4 numbers) in the partonic
    centre-of-mass frame, and the momenta boosted to the lab frame (rapidity ln(x1/x2)/2)
    for cuts, scales and events.  Lepton colliders (``pdf=None``, the default for
    non-coloured beams) use u = RAMBO on diet's numbers at fixed sqrt(s) and the flux
    ``2 sqrt(lambda(s, m1^2, m2^2))``.  With ``channel="diagrams"`` the points of channel c come
    from its diagram's phase-space map (Heimel et al., arXiv:2408.01486, Sec. 4.1) and the
    weight is ``alpha_c f / g_c``, summing over channels to the cross section (multi-channel,
    Kleiss & Pittau, arXiv:hep-ph/9405257).

    alpha_s: ``|M|^2`` of a process of fixed QCD order n scales as alpha_s^n (n is measured
    once per subprocess), so the matrix element computed with the model's aS is rescaled by
    (alpha_s(mu_R)/aS)^n per event.

    The integrand is a plain batch function of numpy arrays: it works with numhep's VEGAS,
    the ``vegas`` package (``vegas.batchintegrand``), scipy's samplers, and madnis (see
    :meth:`torch`); torch tensors give tensors that autograd differentiates through numhep's
    adjoints.  :meth:`evaluate` returns everything an event needs.  :func:`numhep.integrand`
    is the same constructor.

    Parameters
    ----------
    process : str, Process or ProcessGroup
        The process: a registered name, a process string (``"g g > t t~"``), a group string
        with multiparticle labels (``"p p > t t~"``, summed over its subprocesses), a
        :class:`numhep.Process` or a :class:`~numhep.amplitudes.ProcessGroup`.
    sqrt_s : float
        The collider energy in GeV (hadronic at hadron colliders).
    pdf : str, PDFSet or None, optional
        The parton densities: ``"default"`` (NNPDF31_lo_as_0118 when both beams are
        partons, else None), an LHAPDF set name, a :class:`numhep.PDFSet`, or None for a
        lepton collider at fixed energy.
    cuts : dict or Cuts, optional
        Generator-level cuts with MadGraph's run-card names, e.g. ``{"ptj": 20.0,
        "drjj": 0.4}`` or ``{"ycut": 0.01}`` (see :class:`numhep.phasespace.Cuts`); default
        none.  A massless final state at a hadron collider needs a cut that bounds the
        partonic s from below.
    scale : float, str or callable, optional
        mu_F = mu_R: a number (GeV, fixed), ``"ht/2"`` (default: half the sum of final-state
        transverse masses, MadGraph's dynamical choice 3), ``"ht"``, ``"shat"`` (sqrt of the
        partonic s), or a callable of the lab-frame final-state momenta (n, k, 4) -> (n,).
    alpha_s : "default", "pdf", float or None, optional
        ``"pdf"`` runs with the PDF set's alpha_s (the default with PDFs), a number fixes
        it, None keeps the model's value (the default without PDFs).
    params : dict, str or os.PathLike, optional
        Model inputs overriding the model's values, ``{"MT": 172.5}``, or the path of a param
        card; a width may be ``"auto"`` (computed from the model's vertices).
    model : str, os.PathLike or Model, optional
        The model process strings are compiled in (default ``"sm"``; a UFO folder's path).
    clip_negative_pdf : bool, optional
        Set negative parton densities to zero (default False: used as they are).
    channel : None, "diagrams" or int, optional
        None (default): RAMBO on diet's flat map.  ``"diagrams"``: the diagram channels,
        each point's channel given at evaluation.  An integer: that one diagram channel
        (covers only its part of the cross section).
    channel_weights : {"propagator", "sde"}, optional
        The channel weights with diagram channels: ``"propagator"`` (default),
        ``alpha_i = P_i / sum_j P_j`` with ``P_i = prod 1/|q^2 - m^2 - i m Gamma|^2``, or
        ``"sde"``, single-diagram enhanced (Maltoni & Stelzer, arXiv:hep-ph/0208156),
        ``alpha_i = sum_{d in i} |A_d|^2 / sum_d |A_d|^2`` per subprocess, weighted by each
        subprocess's share of the integrand in a group.
    nu : float, optional
        The power of the channel maps' power-law map for massless propagators (default 1.4,
        Heimel et al., arXiv:2408.01486, Eq. 40).
    device : {"cpu", "cuda"}, optional
        Where ``|M|^2`` is evaluated: ``"cuda"`` runs the CUDA kernels on CuPy copies of the
        momenta (the current CuPy device), the rest stays on the CPU.  Default ``"cpu"``.

    Attributes
    ----------
    dim : int
        The dimension of the unit hypercube: 3 n_final - 4, plus 2 at hadron colliders.
    group : ProcessGroup
        The process as a group of subprocesses (one for a single process).
    hadronic : bool
        Whether the beams are protons (PDFs).
    masses : tuple of float
        The legs' masses in GeV.
    channels : list or None
        The diagram channels (None without).

    Raises
    ------
    ValueError
        If an option is invalid (``device``, ``alpha_s``, ``scale``, ``channel``,
        ``channel_weights``), ``alpha_s="pdf"`` is given without PDFs, ``sqrt_s`` is below
        the threshold, the process has fewer than two final-state particles, a hadronic
        massless final state has no cut bounding the partonic s, or a running alpha_s is
        asked of a process that mixes QCD orders.

    See Also
    --------
    numhep.integrate : its cross section with VEGAS.
    numhep.generate : its unweighted events.

    Examples
    --------
    >>> f = numhep.integration.Integrand("e+ e- > mu+ mu-", 91.188)
    >>> f.dim, f.hadronic
    (2, False)
    >>> w = f(np.random.default_rng(1).random((20_000, f.dim)))
    >>> w.shape, bool(abs(w.mean() / 2099.5 - 1) < 0.01)
    ((20000,), True)
    """

    def __init__(
        self,
        process,
        sqrt_s: float,
        *,
        pdf="default",
        cuts=None,
        scale="ht/2",
        alpha_s="default",
        params: dict | None = None,
        model="sm",
        clip_negative_pdf: bool = False,
        channel=None,
        channel_weights: str = "propagator",
        nu: float = 1.4,
        device: str = "cpu",
    ):
        if device not in ("cpu", "cuda"):
            raise ValueError(f"device: expected 'cpu' or 'cuda', got {device!r}")
        #: where ``|M|^2`` is evaluated: "cuda" runs the CUDA kernels on CuPy copies of the momenta
        #: (the current CuPy device: a Dask worker's GPU under dask-cuda), the rest stays on the CPU
        self.device = device
        self.group = as_group(process, model)
        self.sqrt_s = float(sqrt_s)
        model_of = self.group.subprocesses[0].process.model
        # a param card is read once here, so that the run's fingerprint holds its values
        self.params = model_of.as_overrides(params) if model_of is not None else dict(params or {})
        self.cuts = cuts if isinstance(cuts, Cuts) else Cuts(cuts)
        self.clip_negative_pdf = bool(clip_negative_pdf)
        first = self.group.subprocesses[0]
        initial = first.legs[:2]
        if pdf == "default":
            pdf = DEFAULT_PDF if all(_is_parton(q) for q in initial) else None
        if isinstance(pdf, str):
            pdf = open_pdf(pdf)
        self.pdf = pdf
        if alpha_s == "default":
            alpha_s = "pdf" if pdf is not None else None
        if alpha_s == "pdf" and pdf is None:
            raise ValueError("alpha_s='pdf' needs a PDF set; give a number or None")
        if not (alpha_s is None or alpha_s == "pdf" or (isinstance(alpha_s, (int, float)) and alpha_s > 0)):
            raise ValueError(f"alpha_s: expected 'pdf', a positive number or None, got {alpha_s!r}")
        self.alpha_s = alpha_s
        if not (callable(scale) or scale in _SCALES or (isinstance(scale, (int, float)) and scale > 0)):
            raise ValueError(f"scale: expected a positive number (GeV), one of {_SCALES} or a callable, got {scale!r}")
        self.scale = scale
        self.masses = self._leg_masses()
        self.final_masses = self.masses[2:]
        self.final_pdgs = first.legs[2:]
        nf = len(self.final_masses)
        if nf == 1:
            self._check_resonance(pdf, channel)
        elif nf < 1:
            raise ValueError(f"integrand: {self.group.text!r} has no final-state particle")
        threshold = sum(self.final_masses)
        if self.sqrt_s <= threshold:
            raise ValueError(f"sqrt_s: {sqrt_s} GeV is below the threshold of {self.group.text!r} ({threshold} GeV)")
        self.hadronic = pdf is not None
        if self.hadronic:
            lo = self.cuts.s_hat_range(self.final_pdgs, self.final_masses)[0]
            self.tau_min, self.tau_max = self._tau_range(self.final_masses)
            if lo <= 0.0:
                raise ValueError(
                    f"integrand: {self.group.text!r} has a massless final state; give a cut that bounds "
                    "the partonic s from below (e.g. mmll, mmjj, ptj or ptl)"
                )
            self.dim = 2 + 3 * nf - 4
        else:
            m1, m2 = self.masses[:2]
            s = self.sqrt_s**2
            if self.sqrt_s <= m1 + m2:
                raise ValueError(f"sqrt_s: {sqrt_s} GeV is below the incoming masses")
            self.flux = 2.0 * math.sqrt((s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2))
            self.dim = 3 * nf - 4
        powers = [qcd_power(sp.process) for sp in self.group.subprocesses]
        if self.alpha_s is not None and any(k is None for k in powers):
            raise ValueError(f"{self.group.text!r} mixes QCD orders: a running alpha_s cannot rescale it; use alpha_s=None")
        self.qcd_powers = powers
        self._setup_channels(channel, channel_weights, nu)
        model = first.process.model
        # the aS every subprocess's |M|^2 is computed with (None: the model has no alpha_s)
        self._model_alpha_s = (
            model.parameters(self.params or None)["aS"] if model is not None and "aS" in model.inputs else None
        )

    def _setup_channels(self, channel, channel_weights, nu):
        """Flat RAMBO on diet (channel=None) or the diagram channels (``"diagrams"`` for all,
        an integer for one)."""
        self.channel = channel
        self.channels = None
        if channel is None:
            return

        if channel_weights not in ("propagator", "sde"):
            raise ValueError(f"channel_weights: expected 'propagator' or 'sde', got {channel_weights!r}")
        self.channel_weights = channel_weights
        self.nu = float(nu)
        self.channels = diagram_channels(self.group, self.params or None)
        n = len(self.channels)
        if not (channel == "diagrams" or (isinstance(channel, (int, np.integer)) and 0 <= channel < n)):
            raise ValueError(f"channel: expected None, 'diagrams' or a channel index in [0, {n}), got {channel!r}")
        reps = sorted({c.representative for c in self.channels})
        self._maps = self._channel_maps(self.final_masses)
        self._maps_moved = None  # (final-state masses, maps) of the last call that moved them
        #: representatives and how many channels each stands for (permutations of identical
        #: particles, exchanged identical beams)
        self.representatives = reps
        self.multiplicity = {r: sum(c.representative == r for c in self.channels) for r in reps}

    def _pair_minima(self, final_masses):
        """(k, k) lower bounds on the pair invariants from the masses and the cuts, y_cut
        relative to the smallest total s of the final state."""
        s_total = self._tau_range(final_masses)[0] * self.sqrt_s**2 if self.hadronic else self.sqrt_s**2
        return self.cuts.pair_minima(self.final_pdgs, final_masses, s_total)

    def _channel_maps(self, final_masses):
        """{representative: ChannelMap} for these final-state masses (the propagators' masses
        and widths, which only shape the sampling, stay the integrand's)."""
        return {r: ChannelMap(self.channels[r].topology, final_masses, self.hadronic, self.nu, self._pair_minima)
                for r in sorted({c.representative for c in self.channels})}

    @property
    def n_channels(self) -> int:
        """The number of diagram channels (1 without diagram channels)."""
        return len(self.channels) if self.channels is not None else 1

    def _tau_range(self, final_masses):
        """(tau_min, tau_max) of the luminosity map: the partonic s allowed by the final-state
        masses and the cuts, over s; a strictly positive lower bound (massless final states
        need a cut on s_hat)."""
        lo, hi = self.cuts.s_hat_range(self.final_pdgs, final_masses)
        s = self.sqrt_s**2
        return max(lo, 1e-12 * s) / s, min(hi / s, 1.0)

    def _tau_bounds(self, final_masses):
        """The luminosity map's (tau_min, tau_max) for a call with these final-state masses:
        the integrand's own unless the masses moved."""
        if tuple(final_masses) == tuple(self.final_masses):
            return self.tau_min, self.tau_max
        return self._tau_range(final_masses)

    def _tau_min_slopes(self, final_masses):
        """d tau_min / d(each final-state mass) (:func:`numhep.phasespace.cuts.bound_slopes`)."""
        return bound_slopes(lambda m: self._tau_range(m)[0], final_masses)

    def _check_resonance(self, pdf, channel):
        """A 2 -> 1 process is integrable at a hadron collider only, on flat phase space, and
        needs a massive final particle."""
        text = self.group.text
        if pdf is None:
            raise ValueError(f"integrand: {text!r} is 2 -> 1: at a fixed sqrt_s its cross section is a delta "
                             "function in sqrt_s; integrate it at a hadron collider (a PDF)")
        if channel is not None:
            raise ValueError(f"channel: {text!r} is 2 -> 1 and has no phase space to map; use channel=None")
        if self.final_masses[0] <= 0.0:
            raise ValueError(f"integrand: {text!r} is 2 -> 1 into a massless particle, which has no phase space")

    def _resonance_points(self, u, m1, m2, big_m):
        """2 -> 1 at a hadron collider: the final particle on its mass shell, s_hat = M^2.

        sigma = sum_ab int dx1 dx2 f_a f_b |M|^2 / (2 s_hat) 2 pi delta(x1 x2 s - M^2); with
        x1,2 = sqrt(tau) e^(+-y), tau = M^2 / s and dx1 dx2 = dtau dy, the weight for
        dx1 dx2 dPhi_1 is 2 pi / s times the rapidity range 2 Y, Y = ln(sqrt s / M), over
        which y = (2 u - 1) Y runs.  Returns what :meth:`_flat_points` returns."""
        n = u.shape[0]
        s = self.sqrt_s**2
        y_max = math.log(self.sqrt_s / big_m)
        t = 2.0 * u[:, 0] - 1.0
        r = big_m / self.sqrt_s
        x = np.stack([r ** (1.0 - t), r ** (1.0 + t)], axis=1)  # r e^(+-t Y)
        rs = np.full(n, big_m)
        p = np.zeros((n, 3, 4))
        p[:, 0], p[:, 1] = beams.forward(np, rs, m1, m2)
        p[:, 2, 0] = big_m
        w = np.full(n, 4.0 * math.pi * y_max / s)

        def pullback(g_p, g_x, g_w):
            g_u = ((g_x[:, 0] * x[:, 0] - g_x[:, 1] * x[:, 1]) * 2.0 * y_max)[:, None]
            # x1 = r^(1-t), x2 = r^(1+t), w = 4 pi ln(sqrt s / M) / s, the beams at sqrt(s_hat) = M
            g_m = (g_x[:, 0] * (1.0 - t) * x[:, 0] + g_x[:, 1] * (1.0 + t) * x[:, 1]) / big_m
            g_m = g_m - g_w * 4.0 * math.pi / (big_m * s) + g_p[:, 2, 0]
            g_m = g_m + beams.vjp(rs, m1, m2, g_p[:, 0], g_p[:, 1])[0]
            return g_u, g_m[:, None]

        return x, p, w, np.ones(n, dtype=bool), pullback

    def _resonance_inverse(self, x):
        """The inverse of :meth:`_resonance_points`: u = (y / Y + 1) / 2 with y = ln(x1/x2)/2,
        the weight 4 pi Y / s, and the sweep g_u -> d/dx."""
        y_max = math.log(self.sqrt_s / self.final_masses[0])
        u = ((0.25 * np.log(x[:, 0] / x[:, 1]) / y_max + 0.5))[:, None]
        w = np.full(x.shape[0], 4.0 * math.pi * y_max / self.sqrt_s**2)

        def sweep(g_u):
            return np.stack([g_u[:, 0] / (4.0 * y_max * x[:, 0]), -g_u[:, 0] / (4.0 * y_max * x[:, 1])], axis=1)

        return u, w, sweep

    def _flat_points(self, u, masses=None):
        """Flat phase space by RAMBO on diet: (x, partonic momenta, phase-space weight for
        dx1 dx2 dPhi_n or dPhi_n, ok, pullback).  ``ok`` marks the points inside the physical
        region: a point on its boundary (s_hat at the threshold) is mapped at a valid s_hat
        instead and gets weight 0.  ``masses`` are the legs' masses of this call (the
        integrand's by default; only final-state ones may differ).  ``pullback(g_p, g_x, g_w)``
        gives (d/du, d/d(final-state masses) per event) of <g_p, p> + <g_x, x> + <g_w, w>
        through the maps' adjoints, the masses moving the luminosity map's threshold too."""
        n = u.shape[0]
        masses = self.masses if masses is None else masses
        m1, m2 = masses[:2]
        masses = tuple(masses[2:])
        if len(masses) == 1:
            return self._resonance_points(u, m1, m2, masses[0])
        msum = float(sum(masses))
        if self.hadronic:
            tau_min, tau_max = self._tau_bounds(masses)
            z, ur = np.ascontiguousarray(u[:, :2]), np.ascontiguousarray(u[:, 2:])
            x, g_lumi = luminosity_map.forward(np, z, tau_min, tau_max)
            rs = self.sqrt_s * np.sqrt(x[:, 0] * x[:, 1])
            ok = rs > msum
            rs = np.where(ok, rs, 1.5 * msum + 1.0)
        else:
            ur, x, ok = u, None, np.ones(n, dtype=bool)
            rs = np.full(n, self.sqrt_s)
        fin, w0 = rambo_on_diet.forward(np, ur, rs, masses)
        p = np.empty((n, len(self.masses), 4))
        p[:, 0], p[:, 1] = beams.forward(np, rs, m1, m2)
        p[:, 2:] = fin
        w_ps = w0 / g_lumi if self.hadronic else w0

        def pullback(g_p, g_x, g_w):
            if not self.hadronic:  # sqrt(s) is fixed: only the final state moves with u
                g_ur, _, g_m = rambo_on_diet.vjp(ur, self.sqrt_s, masses, g_p[:, 2:], g_w)
                return g_ur, g_m
            g_ur, g_rs, g_m = rambo_on_diet.vjp(ur, rs, masses, g_p[:, 2:], g_w / g_lumi)
            g_rs = g_rs + beams.vjp(rs, m1, m2, g_p[:, 0], g_p[:, 1])[0]
            # rs = sqrt(s x1 x2); w_ps = w0 / g_lumi
            g_x = g_x + (g_rs * rs / 2.0)[:, None] / x
            g_z, g_tau, _ = luminosity_map.vjp(z, tau_min, tau_max, g_x, -g_w * w_ps / g_lumi)
            g_m = g_m + g_tau[:, None] * self._tau_min_slopes(masses)
            return np.concatenate([g_z, g_ur], axis=1), g_m

        return x, p, w_ps, ok, pullback

    def _channel_points(self, u, channel, masses=None, track_masses=False):
        """The same from the diagram channel of every point (channel: (n,) indices), with the
        pullback through the channel maps' reverse sweeps; the rest as for
        :meth:`_flat_points` (the derivative in the masses only with ``track_masses``)."""
        n = u.shape[0]
        masses = self.masses if masses is None else masses
        final = tuple(masses[2:])
        if final == tuple(self.final_masses):
            maps = self._maps
        else:
            if self._maps_moved is None or self._maps_moved[0] != final:
                self._maps_moved = (final, self._channel_maps(final))
            maps = self._maps_moved[1]
        tau_min, tau_max = self._tau_bounds(final) if self.hadronic else (None, None)
        slopes = self._tau_min_slopes(final) if track_masses and self.hadronic else None
        p = np.empty((n, len(self.masses), 4))
        w = np.empty(n)
        x = np.empty((n, 2)) if self.hadronic else None
        pieces = []
        for c in np.unique(channel):
            ch = self.channels[c]
            idx = np.nonzero(channel == c)[0]
            xc, pc, wc, back = maps[ch.representative].generate_with_pullback(
                u[idx], self.sqrt_s**2, masses[:2], tau_min, tau_max, track_masses, slopes)
            if ch.beams_exchanged:
                pc, xc = exchange_beams(pc), _exchanged_fractions(xc)
            # the map's final-state particle j is the process's 2 + permutation[j]
            order = np.concatenate([[0, 1], 2 + np.argsort(ch.permutation)])
            p[idx], w[idx] = pc[:, order], wc
            if x is not None:
                x[idx] = xc
            pieces.append((idx, order, np.asarray(ch.permutation), ch.beams_exchanged, back))

        def pullback(g_p, g_x, g_w):
            g_u = np.zeros_like(u)
            g_m = np.zeros((n, len(final))) if track_masses else None
            for idx, order, permutation, exchanged, back in pieces:
                g_pc = g_p[idx][:, np.argsort(order)]
                g_xc = None if x is None else g_x[idx]
                if exchanged:  # the exchange is its own transpose
                    g_pc, g_xc = exchange_beams(g_pc), _exchanged_fractions(g_xc)
                result = back(g_xc, g_pc, g_w[idx])
                if track_masses:
                    g_u[idx], g_m[idx[:, None], permutation[None, :]] = result
                else:
                    g_u[idx] = result
            return g_u, g_m

        return x, p, w, np.ones(n, dtype=bool), pullback

    def fingerprint(self) -> dict:
        """Everything that sets this integrand's weights, as text.

        The process, energy, cuts, PDF, scale, alpha_s, parameters, channels, their weights
        and the maps' power nu, and which channels share a map: what a resumed generation or
        training checks it is continuing with.

        Returns
        -------
        dict of str to str
            One entry per setting.
        """
        run = {
            "process": self.group.text,
            "subprocesses": ", ".join(s.name for s in self.group.subprocesses),
            "sqrt_s": repr(self.sqrt_s),
            "cuts": repr(sorted(self.cuts.values.items())),
            "pdf": repr((getattr(self.pdf, "name", None), getattr(self.pdf, "member", None))),
            "scale": repr(self.scale) if not callable(self.scale) else getattr(self.scale, "__qualname__", "a function"),
            "alpha_s": repr(self.alpha_s),
            "params": repr(sorted(self.params.items())),
            "channel": repr(self.channel),
            "channel_weights": repr((getattr(self, "channel_weights", None), getattr(self, "nu", None))),
            "clip_negative_pdf": repr(self.clip_negative_pdf),
        }
        if self.channels is not None:  # which channels share a map (the groups of VEGAS grids and flows)
            run["channel_groups"] = repr([(c.representative, c.permutation, c.beams_exchanged) for c in self.channels])
        return run

    def channel_map(self, channel: int):
        """The :class:`~numhep.phasespace.diagram_channels.ChannelMap` that diagram channel
        ``channel`` samples with (its group representative's), and the keyword arguments of its
        ``generate``: ``s_lab``, ``beam_masses`` and, at hadron colliders, ``tau_min``, ``tau_max``.
        The map's final-state particle j is the process's 2 + permutation[j] of the channel,
        after :func:`~numhep.phasespace.diagram_channels.exchange_beams` for a channel with
        ``beams_exchanged``."""
        if self.channels is None:
            raise ValueError("channel_map: this integrand has no diagram channels (give channel='diagrams')")
        arguments = dict(s_lab=self.sqrt_s**2, beam_masses=tuple(self.masses[:2]))
        if self.hadronic:
            arguments.update(tau_min=self.tau_min, tau_max=self.tau_max)
        return self._maps[self.channels[channel].representative], arguments

    def inverse(self, momenta, channel=None, x=None):
        """(u, phase-space weight): the points of the unit hypercube that give these lab-frame
        momenta (n, legs, 4) (and, at hadron colliders, momentum fractions x (n, 2)), as
        :meth:`evaluate` returns them: the inverse of the flat map (luminosity and RAMBO on
        diet) or of diagram channel ``channel``'s map (a number or (n,) indices), exact to
        rounding.  The weight is the map's phase-space weight at u.  Torch tensors give
        tensors that autograd differentiates in the momenta (and x) through the inverse
        kernels' adjoints and the boost to the partonic frame."""
        if ab.kind(momenta, x) == "torch":
            return self._inverse_tensors(momenta, channel, x)
        return self._inverse(momenta, channel, x, False)[:2]

    def _inverse_tensors(self, momenta, channel, x):
        from numhep import autograd  # torch is an optional dependency: loaded with the first tensor

        c = autograd.as_array(channel) if ab.kind(channel) == "torch" else channel
        tensors = (momenta,) if x is None else (momenta, x)

        def linearize(arrays):
            xs = None if len(arrays) == 1 else np.asarray(arrays[1], dtype=np.float64)
            u, w, pullback = self._inverse(np.asarray(arrays[0], dtype=np.float64), c, xs, True)

            def cotangents(cot):
                g_p, g_x = pullback(cot[0], cot[1])
                return (g_p,) if x is None else (g_p, g_x)

            return (u, w), cotangents

        return autograd.apply(linearize, *tensors)

    def _inverse(self, momenta, channel, x, want_pullback):
        """(u, weight, pullback or None) of :meth:`inverse`; ``pullback(g_u, g_w)`` gives
        (d/d momenta, d/dx or None) of <g_u, u> + <g_w, weight>."""
        p = np.array(momenta, dtype=np.float64)
        n = p.shape[0]
        if p.ndim != 3 or p.shape[1:] != (len(self.masses), 4):
            raise ValueError(f"momenta: expected shape (n, {len(self.masses)}, 4), got {p.shape}")
        lab = p.copy()
        if self.hadronic:
            if x is None:
                raise ValueError("x: a hadron-collider integrand needs the momentum fractions of the events")
            x = np.ascontiguousarray(x, dtype=np.float64).reshape(n, 2)
            y = 0.5 * np.log(x[:, 0] / x[:, 1])  # back to the partonic centre-of-mass frame
            cosh_y, sinh_y = np.cosh(y)[:, None], np.sinh(y)[:, None]
            e, pz = p[..., 0].copy(), p[..., 3].copy()
            p[..., 0], p[..., 3] = cosh_y * e - sinh_y * pz, cosh_y * pz - sinh_y * e

        def boost_back(g_p, g_x):
            """The pullback through the boost E' = ch E - sh pz, pz' = ch pz - sh E, y = ln(x1/x2)/2."""
            if not self.hadronic:
                return g_p, None
            g_lab = g_p.copy()
            g_lab[..., 0] = cosh_y * g_p[..., 0] - sinh_y * g_p[..., 3]
            g_lab[..., 3] = cosh_y * g_p[..., 3] - sinh_y * g_p[..., 0]
            e, pz = lab[..., 0], lab[..., 3]
            g_y = ((sinh_y * e - cosh_y * pz) * g_p[..., 0] + (sinh_y * pz - cosh_y * e) * g_p[..., 3]).sum(axis=1)
            g_x = (np.zeros((n, 2)) if g_x is None else g_x) + np.stack([g_y / (2 * x[:, 0]), -g_y / (2 * x[:, 1])],
                                                                          axis=1)
            return g_lab, g_x

        if self.channels is None:
            if channel is not None:
                raise ValueError("channel: this integrand has no diagram channels (give channel='diagrams')")
            final = np.ascontiguousarray(p[:, 2:])
            if len(self.final_masses) == 1:
                u, w, sweep = self._resonance_inverse(x)
                return (u, w, None) if not want_pullback else (u, w, lambda g_u, g_w: boost_back(
                    np.zeros_like(p), sweep(np.asarray(g_u, dtype=np.float64))))
            ur, w0 = rambo_on_diet_inverse.forward(np, final, self.final_masses)
            if self.hadronic:
                z, g_lumi = luminosity_map_inverse.forward(np, x, self.tau_min, self.tau_max)
                u, w = np.concatenate([z, ur], axis=1), w0 / g_lumi
            else:
                u, w = ur, w0

            def sweep(g_u, g_w, g_p):
                """Fills g_p with the flat map's inverse cotangents; returns that of x."""
                if not self.hadronic:
                    g_p[:, 2:] = rambo_on_diet_inverse.vjp(final, self.final_masses, g_u, g_w)[0]
                    return None
                g_p[:, 2:] = rambo_on_diet_inverse.vjp(final, self.final_masses, g_u[:, 2:], g_w / g_lumi)[0]
                return luminosity_map_inverse.vjp(x, self.tau_min, self.tau_max, g_u[:, :2], -g_w * w / g_lumi)[0]
        else:
            u, w, sweep = self._inverse_channels(p, channel, x)
        if not want_pullback:
            return u, w, None

        def pullback(g_u, g_w):
            """Cotangents in the partonic frame from the map's sweep, then through the boost."""
            g_p = np.zeros_like(p)
            g_x = sweep(np.asarray(g_u, dtype=np.float64), np.broadcast_to(np.asarray(g_w, dtype=np.float64), (n,)),
                        g_p)
            return boost_back(g_p, g_x)

        return u, w, pullback

    def _inverse_channels(self, p, channel, x):
        """(u, weight, sweep) of the diagram channels' inverses at partonic momenta p;
        ``sweep(g_u, g_w, g_p)`` fills g_p and returns the cotangent of x (None at lepton colliders)."""
        n = p.shape[0]
        if channel is None:
            channel = self.channel if self.channel != "diagrams" else None
        if channel is None:
            raise ValueError(f"channel: give the channel of every event (0..{len(self.channels) - 1})")
        channel = np.broadcast_to(np.asarray(channel, dtype=np.int64), (n,))
        u, w = np.empty((n, self.dim)), np.empty(n)
        pieces = []
        for c in np.unique(channel):
            ch = self.channels[c]
            idx = np.nonzero(channel == c)[0]
            order = np.concatenate([[0, 1], 2 + np.argsort(ch.permutation)])
            pc = np.empty_like(p[idx])
            pc[:, order] = p[idx]  # the map's particle order (evaluate: p = pc[:, order])
            xc = None if x is None else x[idx]
            if ch.beams_exchanged:  # the exchange is its own inverse
                pc, xc = exchange_beams(pc), _exchanged_fractions(xc)
            u[idx], w[idx], back = self._maps[ch.representative].inverse_with_pullback(
                pc, xc, self.sqrt_s**2, getattr(self, "tau_min", None), getattr(self, "tau_max", None))
            pieces.append((idx, order, ch.beams_exchanged, back))

        def sweep(g_u, g_w, g_p):
            g_x = np.zeros((n, 2)) if self.hadronic else None
            for idx, order, exchanged, back in pieces:
                g_pc, g_xc = back(g_u[idx], g_w[idx])
                if exchanged:
                    g_pc, g_xc = exchange_beams(g_pc), _exchanged_fractions(g_xc)
                g_p[idx] = g_pc[:, order]
                if g_x is not None:
                    g_x[idx] = g_xc
            return g_x

        return u, w, sweep

    def channel_alphas(self, p, sub_w):
        """(n, n_channels) channel weights at partonic momenta p (Heimel, PhD thesis, Heidelberg 2024, Eqs. 2.56, 2.60)."""
        return self._channel_alphas(p, sub_w)[0]

    def _channel_alphas(self, p, sub_w, want_pullback=False):
        """(alphas, pullback or None): ``pullback(g_alpha)`` gives the cotangents (g_p (n, legs,
        4), g_sub (n, n_sub)) of <g_alpha, alphas> in the momenta and in the subprocess
        weights ``sub_w``.  Propagator weights depend on the momenta alone; single-diagram
        enhanced ones, alpha_c = sum_k |W_k| r_kc / sum_k |W_k| with r_kc = sum_{d in c} |A_d|^2 /
        sum_d |A_d|^2 of subprocess k, also on the subprocess weights W_k."""
        n, nc = p.shape[0], len(self.channels)
        if self.channel_weights == "propagator":
            alphas = propagator_weights(self.channels, p[:, 2:], p[:, 0])
            if not want_pullback:
                return alphas, None

            def pullback(g_alpha):
                g_final, g_a = propagator_weights_vjp(self.channels, p[:, 2:], p[:, 0], alphas, g_alpha)
                g_p = np.zeros(p.shape)
                g_p[:, 2:], g_p[:, 0] = g_final, g_a
                return g_p, np.zeros_like(sub_w)

            return alphas, pullback
        num = np.zeros((n, nc))
        f = np.abs(sub_w)
        parts = []
        for k, sp in enumerate(self.group.subprocesses):
            order = [1, 0, *range(2, p.shape[1])] if sp.swapped else list(range(p.shape[1]))
            wd = sp.process.diagram_weights(p[:, order], self.params or None)
            member = np.zeros((wd.shape[1], nc))  # diagram d of subprocess k lies in channel c
            for c, ch in enumerate(self.channels):
                member[list(ch.diagrams.get(k, ())), c] = 1.0
            per = wd @ member
            tot = per.sum(axis=1, keepdims=True)
            r = np.divide(per, tot, out=np.zeros_like(per), where=tot > 0)
            num += f[:, k : k + 1] * r
            parts.append((sp, order, member, tot, r))
        den = num.sum(axis=1, keepdims=True)
        alphas = np.divide(num, den, out=np.full_like(num, 1.0 / nc), where=den > 0)
        if not want_pullback:
            return alphas, None

        def pullback(g_alpha):
            # alpha = num / den with den = sum_c num_c; where den = 0 alpha is constant
            g_num = np.where(den > 0, (g_alpha - (g_alpha * alphas).sum(axis=1, keepdims=True))
                             / np.where(den > 0, den, 1.0), 0.0)
            g_p = np.zeros(p.shape)
            g_sub = np.zeros_like(sub_w)
            for k, (sp, order, member, tot, r) in enumerate(parts):
                g_sub[:, k] = (g_num * r).sum(axis=1) * np.sign(sub_w[:, k])
                g_r = f[:, k : k + 1] * g_num
                g_per = np.where(tot > 0, (g_r - (g_r * r).sum(axis=1, keepdims=True))
                                 / np.where(tot > 0, tot, 1.0), 0.0)
                g_q = sp.process.diagram_weights_vjp(p[:, order], g_per @ member.T, self.params or None)
                g_p[:, order] += g_q
            return g_p, g_sub

        return alphas, pullback

    def __repr__(self):
        kind = f"pp, {getattr(self.pdf, 'name', self.pdf)}" if self.hadronic else "fixed energy"
        # the scale and the cuts change sigma as much as the energy does: two integrands that
        # differ only there must not print alike
        scale = getattr(self.scale, "__qualname__", "a function") if callable(self.scale) else (
            f"{self.scale:g} GeV" if isinstance(self.scale, (int, float)) else self.scale)
        cuts = ", ".join(f"{k} {v:g}" for k, v in sorted(self.cuts.values.items())) or "none"
        return (f"<numhep integrand {self.group.text!r} at {self.sqrt_s:g} GeV ({kind}), scale {scale}, "
                f"cuts: {cuts}, dim {self.dim}>")

    def _leg_masses(self, params=None):
        """The legs' masses under ``params`` (the integrand's by default), in the group's order."""
        proc = self.group.subprocesses[0].process
        params = self.params if params is None else params
        mass_of = dict(zip(proc.legs, proc.leg_masses(params or None)))
        return tuple(mass_of[pdg] for pdg in self.group.subprocesses[0].legs)

    def _mass_slopes(self, params, names):
        """{input name: (final legs,) d(leg mass)/d(input)} under ``params`` (forward mode
        through the model's derived parameters: MW moves with MZ in the SM's scheme)."""
        proc = self.group.subprocesses[0].process
        mass_names = [proc.model.particle(pdg).mass for pdg in self.group.subprocesses[0].legs[2:]]
        out = {}
        for name in names:
            seeded = proc.model.seeded(name, params)
            out[name] = np.array([getattr(seeded[m], "b", 0.0) if m else 0.0 for m in mass_names])
        return out

    # ---- the pieces of a point ---------------------------------------------------------
    def _scale(self, lab, fin, shat):
        """mu (n,) and, for the scales that move with the point, d mu/d(partonic final momenta
        ``fin``) and d mu/d s_hat (None for fixed scales and callables, which are held fixed);
        a callable gets the lab-frame final-state momenta ``lab``."""
        if callable(self.scale):
            return np.asarray(self.scale(lab), dtype=np.float64), None, None
        if isinstance(self.scale, str):
            if self.scale == "shat":  # moves with the point at hadron colliders only
                mu = np.sqrt(shat)
                return mu, None, (0.5 / mu if self.hadronic else None)
            # transverse masses m_T = sqrt(E^2 - pz^2), the same in the lab and partonic frames
            mt = np.sqrt(np.maximum(fin[..., 0] ** 2 - fin[..., 3] ** 2, 0.0))
            c = 0.5 if self.scale == "ht/2" else 1.0
            d_fin = np.zeros_like(fin)
            safe = np.where(mt > 0, mt, 1.0)
            d_fin[..., 0] = np.where(mt > 0, c * fin[..., 0] / safe, 0.0)
            d_fin[..., 3] = np.where(mt > 0, -c * fin[..., 3] / safe, 0.0)
            return c * mt.sum(axis=1), d_fin, None
        return np.full(fin.shape[0], float(self.scale)), None, None

    def _check_points(self, u):
        u = np.atleast_2d(np.asarray(u, dtype=np.float64))
        if u.ndim != 2 or u.shape[1] != self.dim:
            raise ValueError(f"u: expected shape (n, {self.dim}), got {u.shape}")
        # NaN fails both comparisons: such a point, like one outside the cube, gets weight 0
        inside = np.all((u >= 0.0) & (u <= 1.0), axis=1)
        return np.where(inside[:, None], u, 0.5), inside

    def evaluate(self, u, channel=None, gradient: bool = False) -> IntegrandPoints:
        """Everything about the points u: weights, momenta, subprocess weights, scales.

        With diagram channels the weight is ``alpha_c f / g_c``, whose sum over channels
        integrates to the cross section.  Points outside the unit cube or on the boundary of
        the physical region get weight 0.

        Parameters
        ----------
        u : array_like, shape ``(n, dim)``
            Points of the unit hypercube.
        channel : int or array_like of int, optional
            With diagram channels: the channel whose map produced each point (a number or
            (n,) indices); required with ``channel="diagrams"``, not allowed without channels.
        gradient : bool, optional
            Also compute ``d weight / du`` per point through numhep's adjoints (as a torch
            tensor input would); default False.

        Returns
        -------
        IntegrandPoints
            The weights in pb, lab-frame momenta, subprocess weights, momentum fractions,
            scales, alpha_s, channel weights and (with ``gradient``) the gradient.

        Raises
        ------
        ValueError
            If ``u`` is not of shape (n, dim), or ``channel`` is missing, out of range or
            given to an integrand without diagram channels.
        """
        points, pullback = self._evaluate(u, channel, gradient)
        if gradient:
            points.gradient = pullback(np.ones(points.weight.shape[0]))
        return points

    def _evaluate(self, u, channel, want_pullback, params=None, param_names=()):
        """(IntegrandPoints, pullback or None).  ``params`` override the integrand's model
        parameters for this call (see :meth:`_call_params` for the masses they may move); the
        pullback then also returns d weight/d(each of ``param_names``) per point."""
        params = self._call_params(params)
        masses = self._leg_masses(params) if params is not self.params else self.masses
        u, inside = self._check_points(u)
        n = u.shape[0]
        if self.channels is None:
            if channel is not None:
                raise ValueError("channel: this integrand has no diagram channels (give channel='diagrams')")
            x, p, w_ps, ok, ps_pullback = self._flat_points(u, masses)
        else:
            if channel is None:
                if self.channel == "diagrams":
                    raise ValueError(f"channel: give the channel index of every point (0..{len(self.channels) - 1})")
                channel = self.channel
            channel = np.broadcast_to(np.asarray(channel, dtype=np.int64), (n,))
            if channel.size and not (0 <= channel.min() and channel.max() < len(self.channels)):
                raise ValueError(f"channel: indices must lie in [0, {len(self.channels)})")
            x, p, w_ps, ok, ps_pullback = self._channel_points(u, channel, masses,
                                                               want_pullback and bool(param_names))
        shat = self.sqrt_s**2 * x[:, 0] * x[:, 1] if self.hadronic else np.full(n, self.sqrt_s**2)
        lab = p.copy()
        if self.hadronic:
            y = 0.5 * np.log(x[:, 0] / x[:, 1])
            ch, sh = np.cosh(y)[:, None], np.sinh(y)[:, None]
            lab[..., 0] = ch * p[..., 0] + sh * p[..., 3]
            lab[..., 3] = sh * p[..., 0] + ch * p[..., 3]
        keep = inside & ok & (w_ps > 0) & np.isfinite(w_ps)
        keep[keep] = self.cuts.passes(lab[keep, 2:], self.final_pdgs)
        mu, a_s = np.zeros(n), np.zeros(n)
        idx = np.nonzero(keep)[0]
        sub_w = np.zeros((n, len(self.group.subprocesses)))
        pullback = None
        if idx.size:
            mu_k, d_mu_fin, d_mu_shat = self._scale(lab[idx, 2:], p[idx, 2:], shat[idx])
            mu[idx] = mu_k
            a_s[idx], d_as = self._alpha_s(mu_k, want_pullback)
            hard = self._hard_weights(p[idx], x[idx] if self.hadronic else None, w_ps[idx], mu_k, a_s[idx],
                                      d_as, want_pullback, params, param_names if want_pullback else ())
            sub_w[idx] = hard[0]
        alphas = bare = weight_of_channel = None
        if self.channels is not None:
            # points that fail the cuts keep a valid prior (uniform): samplers divide by it
            alphas = np.full((n, len(self.channels)), 1.0 / len(self.channels))
            if idx.size:
                alphas[idx], alpha_pullback = self._channel_alphas(p[idx], sub_w[idx], want_pullback)
            bare = sub_w.sum(axis=1)
            weight_of_channel = np.take_along_axis(alphas, channel[:, None], axis=1)[:, 0]
            sub_w *= weight_of_channel[:, None]
        if want_pullback:
            if not idx.size:  # no point inside the cuts
                pullback = self._no_gradient(n, param_names)
            else:
                channel_part = None
                if self.channels is not None:
                    channel_part = (weight_of_channel, self._channel_weight_pullback(idx, alpha_pullback, bare,
                                                                                     channel))
                pullback = self._pullback(n, idx, x, hard, mu_k, d_mu_fin, d_mu_shat, shat, ps_pullback, inside,
                                          channel_part, params)
        return IntegrandPoints(sub_w.sum(axis=1), lab, sub_w, x, mu, a_s, alphas, bare), pullback

    def _no_gradient(self, n, param_names):
        def pullback(g):
            g_u = np.zeros((n, self.dim))
            return (g_u, {name: np.zeros(n) for name in param_names}) if param_names else g_u

        return pullback

    def _call_params(self, params):
        """The model parameters of this call: the integrand's, with ``params`` on top.  A
        final-state mass may move (the phase space is built for the call's masses, at the
        same u); one that moves an incoming leg's mass is refused."""
        if not params:
            return self.params
        merged = {**self.params, **{k: float(v) for k, v in params.items()}}
        proc = self.group.subprocesses[0].process
        values = proc.parameter_values(merged)
        for leg, (pdg, mass) in enumerate(zip(self.group.subprocesses[0].legs, self.masses)):
            name = proc.model.particle(pdg).mass
            if not name or values[name] == mass:
                continue
            if leg < 2:
                raise ValueError(f"params: {name} = {values[name]} moves the mass of an incoming leg (it is {mass} "
                                 f"in this integrand); make an integrand with params={{{name!r}: ...}}")
        return merged

    def _channel_weight_pullback(self, idx, alpha_pullback, bare, channel):
        """g -> the cotangents (g_p (kept, legs, 4), g_sub (kept, n_sub)) of <g, alpha_c bare>
        through the channel weight alpha_c of each kept point ``idx``."""

        def pullback(g):
            g_alpha = np.zeros((idx.size, len(self.channels)))
            g_alpha[np.arange(idx.size), channel[idx]] = g[idx] * bare[idx]
            return alpha_pullback(g_alpha)

        return pullback

    def _alpha_s(self, mu, want_derivative=False):
        """alpha_s(mu) and, with the PDF set's running, d alpha_s/d mu^2 (else None)."""
        if self.alpha_s == "pdf":
            if want_derivative:
                return self.pdf.alphasQ2(mu * mu, grad=True)
            return self.pdf.alphasQ2(mu * mu), None
        value = (self._model_alpha_s or 0.0) if self.alpha_s is None else float(self.alpha_s)
        return np.full_like(mu, value), None

    def _parton_densities(self, x, mu, want_derivatives):
        """{(pid, k): (f, df/dx, df/dmu^2)} number densities f = xf/x of the partons of every
        subprocess at x_k, clipped at zero if asked (a clipped value has no derivative)."""
        q2 = mu * mu
        out = {}
        for sp in self.group.subprocesses:
            for k, pid in enumerate(sp.legs[:2]):
                if (pid, k) in out:
                    continue
                code = 0 if pid == 21 else pid
                xk = x[:, k]
                if want_derivatives:
                    xf, dxf_dx, dxf_dq2 = self.pdf.xfxQ2(code, xk, q2, grad=True)
                    f, df_dx, df_dq2 = xf / xk, (dxf_dx - xf / xk) / xk, dxf_dq2 / xk
                else:
                    f, df_dx, df_dq2 = self.pdf.xfxQ2(code, xk, q2) / xk, None, None
                if self.clip_negative_pdf:
                    negative = f < 0.0
                    f = np.where(negative, 0.0, f)
                    if want_derivatives:
                        df_dx, df_dq2 = np.where(negative, 0.0, df_dx), np.where(negative, 0.0, df_dq2)
                out[(pid, k)] = (f, df_dx, df_dq2)
        return out

    def _hard_weights(self, p, x, w_ps, mu, a_s, d_as, want_derivatives, params, param_names=()):
        """Per subprocess k of the kept points: W_k = |M_k|^2 (alpha_s/aS)^n_k L_k w_ps / flux
        in pb, with L_k = f_a(x1) f_b(x2) at hadron colliders and flux = 2 s_hat (else fixed);
        with derivatives also the factors the adjoint needs (and d|M_k|^2/d ``param_names``)."""
        model = self.group.subprocesses[0].process.model
        a0 = model.parameters(params or None)["aS"] if params is not self.params else self._model_alpha_s
        if self.hadronic:
            flux = 2.0 * self.sqrt_s**2 * x[:, 0] * x[:, 1]
            densities = self._parton_densities(x, mu, want_derivatives)
        else:
            flux = np.full(p.shape[0], self.flux)
        base = w_ps / flux * GEV2_TO_PB
        parts = []
        d_params = []
        on_device = self.device == "cuda" and not want_derivatives
        if on_device:  # one copy of the momenta to the device for every subprocess
            cupy = arrays_module("cupy")
            p_device = cupy.asarray(p)
        for k, sp in enumerate(self.group.subprocesses):
            if want_derivatives:
                m2, grads = sp.me(p, params or None, grad=("p", *param_names))
                dm2 = grads["p"]
                d_params.append({name: grads[name] for name in param_names})
            elif on_device:
                m2, dm2 = cupy.asnumpy(sp.me(p_device, params or None)), None
            else:
                m2, dm2 = sp.me(p, params or None), None
            power = self.qcd_powers[k] if self.alpha_s is not None else 0
            r = (a_s / a0) ** power if power else np.ones_like(m2)
            lum = fa = fb = None
            if self.hadronic:
                fa, fb = densities[(sp.legs[0], 0)], densities[(sp.legs[1], 1)]
                lum = fa[0] * fb[0]
            parts.append((m2, dm2, power, r, fa, fb, lum))
        weights = np.stack([m2 * r * (lum if lum is not None else 1.0) * base
                            for m2, _, _, r, _, _, lum in parts], axis=1)
        return weights, parts, base, a_s, d_as, (d_params, param_names, a0)

    def _pullback(self, n, idx, x, hard, mu, d_mu_fin, d_mu_shat, shat, ps_pullback, inside, channel_part=None,
                  params=None):
        """d/du of <g, weights> at the kept points ``idx``: the adjoint of :meth:`_hard_weights`
        (|M|^2, alpha_s, the PDFs, the flux and the scale) followed by the phase space's.
        Cuts are steps: where one applies the weight is zero, and so is its gradient.  With
        diagram channels ``channel_part`` = (alpha_c per point, the pullback through alpha_c)."""
        weights, parts, base, a_s, d_as, (d_params, param_names, a0) = hard

        def pullback(g_weight):
            g_weight = np.asarray(g_weight, dtype=np.float64).reshape(n)
            g = g_weight if channel_part is None else g_weight * channel_part[0]
            g = g[idx]
            m = idx.size
            g_p = np.zeros((m, len(self.masses), 4))
            # the cotangent of each subprocess weight: the channel weight may depend on them
            g_sub = np.repeat(g[:, None], len(parts), axis=1)
            if channel_part is not None:
                g_p_alpha, g_sub_alpha = channel_part[1](g_weight)
                g_sub += g_sub_alpha
            g_x = np.zeros((m, 2))
            g_mu2 = np.zeros(m)
            for (m2, dm2, power, r, fa, fb, lum), w, g in zip(parts, weights.T, g_sub.T):
                g_p += (g * r * (lum if lum is not None else 1.0) * base)[:, None, None] * dm2
                if power and d_as is not None:  # W ~ alpha_s^n
                    g_mu2 += g * w * power / a_s * d_as
                if lum is not None:
                    rest = g * m2 * r * base
                    g_x[:, 0] += rest * fa[1] * fb[0]
                    g_x[:, 1] += rest * fa[0] * fb[1]
                    g_mu2 += rest * (fa[2] * fb[0] + fa[0] * fb[2])
            g_total = (g_sub * weights).sum(axis=1)
            g_w = g_total / base * GEV2_TO_PB / (2.0 * shat[idx] if self.hadronic else self.flux)
            if self.hadronic:  # flux 2 s x1 x2
                g_x -= g_total[:, None] / x[idx]
            g_mu = 2.0 * mu * g_mu2
            if d_mu_fin is not None:
                g_p[:, 2:] += g_mu[:, None, None] * d_mu_fin
            if d_mu_shat is not None:  # mu = sqrt(s x1 x2)
                g_x += (g_mu * d_mu_shat * shat[idx])[:, None] / x[idx]
            full_p = np.zeros((n, len(self.masses), 4))
            full_x = np.zeros((n, 2))
            full_w = np.zeros(n)
            full_p[idx], full_x[idx], full_w[idx] = g_p, g_x, g_w
            if channel_part is not None:
                full_p[idx] += g_p_alpha
            g_u, g_masses = ps_pullback(full_p, full_x, full_w)
            g_u[~inside] = 0.0
            if not param_names:
                return g_u
            g_theta = {name: np.zeros(n) for name in param_names}
            if g_masses is not None:  # the phase space at fixed u moves with the final-state masses
                g_masses[~inside] = 0.0
                for name, slopes in self._mass_slopes(params or None, param_names).items():
                    g_theta[name] += g_masses @ slopes
            for (m2, dm2, power, r, fa, fb, lum), w, dk, g in zip(parts, weights.T, d_params, g_sub.T):
                rest = g * r * (lum if lum is not None else 1.0) * base
                for name in param_names:
                    g_theta[name][idx] += rest * dk[name]
                    if name == "aS" and power:  # the rescaling (alpha_s / aS)^n divides by the model's aS
                        g_theta[name][idx] -= g * w * power / a0
            return g_u, g_theta

        return pullback

    def __call__(self, u, channel=None, *, params=None):
        """The weights (n,) in pb at the points u (n, dim).  numpy in, numpy out; a torch
        tensor gives a tensor of its dtype and device, which autograd differentiates through
        numhep's adjoints: the flat map or the channel maps and their channel weights,
        |M|^2, the PDFs, alpha_s and the scale; cuts are steps with zero gradient.

        ``params`` override model inputs for this call (numbers, or 0-d tensors that receive
        d weight/d input).  An input that moves a final-state mass (MT for t t~, MZ through
        the derived MW) moves the phase space with it at the same u: its derivative runs
        through RAMBO on diet's mass cotangents or the channel maps' mass-dependent bounds, and
        the luminosity threshold tau_min(m).  One that moves an incoming mass is refused."""
        if ab.kind(u, *(params or {}).values()) == "torch":
            return self._weights_on_tensors(u, channel, params)
        return self._evaluate(u, channel, False, params)[0].weight

    def _weights_on_tensors(self, u, channel, params):
        from numhep import autograd  # torch is an optional dependency: loaded with the first tensor

        c = None if channel is None else autograd.as_array(channel) if ab.kind(channel) == "torch" else channel
        params = dict(params or {})
        names = [k for k, v in params.items() if ab.kind(v) == "torch"]
        fixed = {k: float(v) for k, v in params.items() if k not in names}
        self._call_params({**fixed, **{k: float(params[k].detach()) for k in names}})  # refused before autograd runs
        if ab.kind(u) != "torch":  # points given as numpy with parameter tensors
            import torch

            u = torch.as_tensor(np.asarray(u, dtype=np.float64))
        tensors = [u, *(params[k].reshape(()) for k in names)]
        if not autograd.needs_grad(*tensors):
            values = {**fixed, **{k: float(params[k].detach()) for k in names}}
            weights = self._evaluate(autograd.as_array(tensors[0]).astype(np.float64), c, False, values)[0].weight
            return autograd.apply(lambda arrays: ((weights,), None), tensors[0])[0]

        def linearize(arrays_in):
            values = {**fixed, **{k: float(v) for k, v in zip(names, arrays_in[1:])}}
            points, pullback = self._evaluate(np.asarray(arrays_in[0], dtype=np.float64), c, True, values, names)

            def cotangents(cot):
                if not names:
                    return (pullback(cot[0]),)
                g_u, g_theta = pullback(cot[0])
                return (g_u, *(g_theta[k] for k in names))

            return (points.weight,), cotangents

        return autograd.apply(linearize, *tensors)[0]

    def group_label(self, r: int) -> str:
        """Channel ``r``'s propagators, with the number of channels its group stands for."""
        m = self.multiplicity[r]
        return self.channels[r].describe() + (f" x{m}" if m > 1 else "")

    def multichannel_vegas(self, **options):
        """:func:`numhep.multichannel_vegas` over this integrand's diagram channels: one grid per
        group representative, weighted by the number of channels it stands for."""

        if self.channels is None:
            raise ValueError("multichannel_vegas: this integrand has no diagram channels (give channel='diagrams')")
        reps = self.representatives
        return multichannel_vegas(self, len(self.channels), self.dim, channels=reps,
                                  multiplicity=[self.multiplicity[c] for c in reps], **options)

    def torch(self):
        """The integrand as a function of torch tensors (madnis's ``Integrator(f, dims)``):
        without diagram channels the integrand itself, differentiable in x; with them,
        madnis's multi-channel signature (x, c) -> (f, y, alpha): f = f(x)/g_c without the
        channel weight, y the lab momenta / sqrt(s) flattened (the channel-weight network's
        input), alpha the (n, n_channels) prior weights, as tensors without gradients (madnis
        trains on them as data; ``f(u, c)`` is the differentiable weight)."""
        import torch

        def as_t(a, like):
            return torch.as_tensor(np.ascontiguousarray(a), dtype=like.dtype, device=like.device)

        if self.channels is None:
            return self

        def f_multi(x, c):
            pts = self.evaluate(x.detach().cpu().numpy().astype(np.float64), c.detach().cpu().numpy())
            y = pts.momenta.reshape(len(pts.weight), -1) / self.sqrt_s
            return as_t(pts.weight_without_alpha, x), as_t(y, x), as_t(pts.channel_weights, x)

        return f_multi

    def madnis(self):
        """A ``madnis.integrator.Integrand`` of this integrand (multi-channel with priors when it
        has diagram channels)."""
        from madnis.integrator import Integrand as MadnisIntegrand

        if self.channels is None:
            return MadnisIntegrand(self.torch(), input_dim=self.dim)
        from madnis.integrator import ChannelGrouping

        # channels that are permutations of identical particles share their representative's map
        grouping = ChannelGrouping([None if c.representative == k else c.representative
                                    for k, c in enumerate(self.channels)])
        return MadnisIntegrand(
            self.torch(), input_dim=self.dim, channel_count=len(self.channels),
            remapped_dim=len(self.masses) * 4, has_channel_weight_prior=True, channel_grouping=grouping,
        )


def integrand(process, sqrt_s: float, **options) -> Integrand:
    """A drop-in integrand for samplers on the unit hypercube: the cross section in pb.

    ``f = numhep.integrand(process, sqrt_s)`` is an :class:`~numhep.integration.Integrand`:
    ``f(u)`` maps points u (n, f.dim) of [0, 1]^dim to weights (n,) in pb whose mean is the
    cross section.  At hadron colliders the parton densities, luminosity map (x1, x2) and
    RAMBO on diet's partonic phase space are composed (Heimel et al., arXiv:2408.01486,
    Eqs. 32, 47-48) and summed over the subprocesses of a group; at lepton colliders
    (``pdf=None``, the default for non-coloured beams) u are RAMBO on diet's numbers at fixed
    sqrt(s).  ``channel="diagrams"`` samples the diagram channels instead (multi-channel,
    Kleiss & Pittau, arXiv:hep-ph/9405257), for :func:`numhep.multichannel_vegas`.  It works
    with numhep's VEGAS, the ``vegas`` package, scipy's samplers and madnis.

    Parameters
    ----------
    process : str, Process or ProcessGroup
        A registered name, a process string (``"g g > t t~"``), a group string with
        multiparticle labels (``"p p > t t~"``), a Process or a ProcessGroup.
    sqrt_s : float
        The collider energy in GeV.
    **options
        The keyword options of :class:`~numhep.integration.Integrand`: ``pdf``, ``cuts``,
        ``scale``, ``alpha_s``, ``params``, ``model``, ``clip_negative_pdf``, ``channel``,
        ``channel_weights``, ``nu``, ``device``.

    Returns
    -------
    Integrand
        The integrand, of dimension ``f.dim``, weights in pb.

    Raises
    ------
    ValueError
        As :class:`~numhep.integration.Integrand` raises it, e.g. for ``sqrt_s`` below the
        threshold or a hadronic massless final state without a cut on the partonic s.

    Examples
    --------
    >>> f = numhep.integrand("e+ e- > mu+ mu-", sqrt_s=91.188)
    >>> f.dim
    2
    >>> f(np.full((4, f.dim), 0.5)).shape
    (4,)
    >>> g = numhep.integrand("p p > t t~", 13000.0)   # PDFs: NNPDF31_lo_as_0118
    >>> g.dim, len(g.group.subprocesses)
    (4, 9)
    """
    return Integrand(process, sqrt_s, **options)
