"""numhep's MadNIS as the point source of :func:`numhep.generate` (``sampler="madnis"``).

:func:`train_event_sampler` trains a :class:`~numhep.torch.neural_integrator.NeuralIntegrator`
on the generation's integrand with the integrand calls VEGAS would have had, keeping it in a
checkpoint beside the events (a killed training resumes from it), and returns a
:class:`NeuralEventSampler`: it draws the points, their channels and 1 / (g_r P_r / m_r) from
numhep's random generator (so that a resumed generation draws the same points), and weighs the
evaluated points with the integrator's learned channel weights.  It reaches event generation,
a layer below, through the ``numhep.samplers`` entry point :func:`event_sampler_training`.
"""

from __future__ import annotations

import numpy as np
import torch

from numhep.integration.integrands import Integrand
from numhep.torch.neural_integrator import NeuralIntegrator

__all__ = ["NeuralEventSampler", "event_sampler_training", "train_event_sampler"]


class NeuralEventSampler:
    """A trained NeuralIntegrator as :func:`numhep.generate`'s source of points."""

    own_calls = 0  # the integrand is evaluated by the event loop only

    def __init__(self, integrator: NeuralIntegrator):
        self.integrator = integrator

    def draw(self, rng, n):
        """(u, channel or None, m_r / (g_r P_r)) for n points, drawn from ``rng``'s stream."""
        ni = self.integrator
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        u, channel, group, q, frac = ni.draw(n, gen, allocation="unweighting")
        return u, channel if ni.target.multi else None, ni.target.sizes[group] / (q * frac)

    def weigh(self, pts, channel, factor):
        """The weights of the evaluated points: with diagram channels, the learned alpha_c
        replaces the integrand's prior one."""
        ni = self.integrator
        if not ni.target.multi:
            return pts.weight * factor
        as_t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=ni.dtype, device=ni.device)  # noqa: E731
        with torch.no_grad():
            alpha = ni.channel_weights(as_t(ni.target.features(pts)), as_t(pts.channel_weights)).cpu().numpy()
        return alpha[np.arange(channel.size), channel] * pts.weight_without_alpha * factor

    def arrays(self) -> dict:
        return {}


def train_event_sampler(f: Integrand, path, *, calls: int, seed: int, progress: bool = False, **options):
    """A NeuralIntegrator on ``f`` trained with about ``calls`` integrand calls and kept at
    ``path``, as a :class:`NeuralEventSampler`.  Returns (sampler, integrand calls spent)."""
    batch = int(options.pop("batch_size", 1024))
    ni = NeuralIntegrator(f, steps=max(calls // batch, 1), batch_size=batch, seed=seed, checkpoint=path, **options)
    ni.train(progress=progress)
    return NeuralEventSampler(ni), ni.integrand_calls


def event_sampler_training():
    """The ``numhep.samplers`` entry point ``madnis``: returns :func:`train_event_sampler`."""
    return train_event_sampler
