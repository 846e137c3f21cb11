"""Other people's samplers as sources of weighted points for :func:`numhep.generate`.

A point sampler is a function ``draw(rng, n) -> (u, density)``: n points u (n, dim) in the
unit hypercube and the density g(u) they were drawn from, so that f(u) / g(u) are
integration weights whose mean is the integral.  ``rng`` is numhep's numpy Generator: a
sampler that draws from it (or seeds itself from it) gives the same points again after a
resume, which is what makes event generation from it resumable.

:func:`point_sampler` turns what a user holds into one:

* a trained madnis ``Integrator`` (single channel): its flow samples the points, torch
  seeded from ``rng`` for every batch, and ``q_sample`` is the density;
* a ``vegas.Integrator`` after its adaptation: whole iterations of its stratified sampling,
  at least n points (its ``ran_array_generator`` drawing from ``rng``), with the density
  1 / (N w) from its integration weights w over the N points of an iteration;
* any callable with the signature above.

A draw function that calls the integrand itself says how often per point in its attribute
``own_calls`` (madnis's does, once), so that the calls of a run are counted in full.
"""

from __future__ import annotations

import numpy as np

__all__ = ["point_sampler"]


def point_sampler(sampler):
    """A ``draw(rng, n) -> (u, density)`` function for ``sampler`` (see the module docstring)."""
    kind = type(sampler).__module__.split(".")[0]
    if kind == "madnis":
        return _madnis_points(sampler)
    if kind == "vegas" and hasattr(sampler, "random_batch"):
        return _vegas_points(sampler)
    if callable(sampler):
        return sampler
    raise TypeError(f"sampler: expected a madnis Integrator, a vegas.Integrator or a function (rng, n) -> "
                    f"(u, density), got {type(sampler).__name__}")


def _madnis_points(integrator):
    import torch

    def draw(rng, n):
        torch.manual_seed(int(rng.integers(2**62)))
        with torch.no_grad():
            batch = integrator.sample(n)
        if batch.channels is not None:
            raise ValueError("sampler: a multi-channel madnis Integrator weights its channels with its own "
                             "learned alphas; generate from a single-channel one")
        return batch.x.double().cpu().numpy(), batch.q_sample.double().cpu().numpy()

    draw.own_calls = 1  # madnis evaluates the integrand on what it samples
    return draw


def _vegas_points(integrator):
    def draw(rng, n):
        own = integrator.ran_array_generator
        integrator.ran_array_generator = rng.random  # numhep's generator, for resumable runs
        points, weights = [], []
        try:
            while sum(len(w) for w in weights) < n:  # whole iterations: the weights refer to them
                batch_x, batch_w = [], []
                for x, w in integrator.random_batch():
                    batch_x.append(np.array(x, dtype=np.float64))
                    batch_w.append(np.array(w, dtype=np.float64))
                w = np.concatenate(batch_w)
                points.append(np.concatenate(batch_x))
                weights.append(w * w.size)  # N w: the mean of f N w is the integral
        finally:
            integrator.ran_array_generator = own  # the user's integrator is left as it was
        # all the points of whole iterations: a part of one would cover only some hypercubes
        return np.concatenate(points), 1.0 / np.concatenate(weights)

    return draw
