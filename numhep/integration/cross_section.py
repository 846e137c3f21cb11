"""The cross section of a process in one call: its integrand and numhep's VEGAS.

    result = numhep.integrate("p p > t t~", 13000.0)                     # flat map, one grid
    result = numhep.integrate("g g > w+ d u~ g", 1000.0, pdf=None, channel="diagrams",
                              cuts={"ptj": 20.0, "drjj": 0.4}, client=client)

With ``channel="diagrams"`` the integral is :func:`numhep.multichannel_vegas` over the
diagram channels (a grid per channel group, Heimel, PhD thesis, Heidelberg 2024, Eqs.
2.47-2.55), else :func:`numhep.vegas_integrate` on RAMBO on diet's flat map (Eqs. 2.32-2.41).
``client`` (a ``distributed.Client``) evaluates the iterations' batches on a Dask cluster
with the same result as without it for the same seed (:mod:`numhep.integration.task_runners`).
"""

from __future__ import annotations

from numhep.integration.integrands import Integrand
from numhep.integration.multichannel import MultiChannelResult
from numhep.integration.vegas import VegasGrid, VegasResult, vegas_integrate

__all__ = ["integrate"]


def integrate(
    process=None,
    sqrt_s: float | None = None,
    *,
    integrand: Integrand | None = None,
    n_points: int = 100_000,
    n_iterations: int = 10,
    n_warmup: int = 2,
    bins: int = 64,
    seed: int = 1,
    progress: bool = False,
    checkpoint=None,
    client=None,
    batch_size: int = 10_000,
    **integrand_options,
) -> VegasResult | MultiChannelResult:
    """sigma in pb of ``process`` at ``sqrt_s`` (or of ``integrand``); the options are
    :func:`numhep.integrand`'s (pdf, cuts, scale, channel, ...)."""
    if integrand is None:
        if process is None or sqrt_s is None:
            raise ValueError("integrate: give a process and sqrt_s, or integrand=")
        integrand = Integrand(process, sqrt_s, **integrand_options)
    elif integrand_options:
        raise ValueError(f"integrate: integrand= is already made; {sorted(integrand_options)} would be ignored")
    opts = dict(n_points=n_points, n_iterations=n_iterations, n_warmup=n_warmup, seed=seed, progress=progress,
                checkpoint=checkpoint, client=client, batch_size=batch_size)
    if integrand.channels is None:
        return vegas_integrate(integrand, VegasGrid(integrand.dim, bins=bins), **opts)
    if integrand.channel != "diagrams":
        raise ValueError("integrate: a single diagram channel covers only its part of the cross section; "
                         "use channel='diagrams' or None")
    return integrand.multichannel_vegas(bins=bins, **opts)
