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
    """The cross section sigma in pb of ``process`` at ``sqrt_s`` (or of ``integrand``) with VEGAS.

    Without diagram channels the integral is :func:`numhep.vegas_integrate` (VEGAS, Lepage,
    J. Comput. Phys. 27 (1978) 192, with VEGAS+ stratification, arXiv:2009.05112) on one
    grid over RAMBO on diet's flat map; with ``channel="diagrams"`` it is
    :func:`numhep.multichannel_vegas` over the diagram channels, a grid per channel group
    (Kleiss & Pittau, arXiv:hep-ph/9405257).  Iterations after the warm-up are combined by
    their inverse variances.

    Parameters
    ----------
    process : str, Process or ProcessGroup, optional
        The process, as :func:`numhep.integrand` takes it; not with ``integrand``.
    sqrt_s : float, optional
        The collider energy in GeV; not with ``integrand``.
    integrand : Integrand, optional
        An integrand already made, instead of ``process``, ``sqrt_s`` and the options.
    n_points : int, optional
        Integrand calls per iteration (default 100000; per iteration over all channels).
    n_iterations : int, optional
        Iterations in all, warm-up included (default 10).
    n_warmup : int, optional
        Iterations that only adapt the grid(s) and are left out of the result (default 2).
    bins : int, optional
        VEGAS bins per dimension (default 64).
    seed : int, optional
        Seed of the random streams (default 1): the same seed gives the same result.
    progress : bool, optional
        Show a progress bar (tqdm); default False.
    checkpoint : str or path-like, optional
        A file that holds the grid(s) and the iterations' results after every iteration; a
        later call with the same path resumes.
    client : distributed.Client, optional
        Evaluate the iterations' batches on a Dask cluster, with the same result as without
        it for the same seed.
    batch_size : int, optional
        Points per task (default 10000); the result depends on it (with the seed).
    **integrand_options
        Options of :func:`numhep.integrand` (``pdf``, ``cuts``, ``scale``, ``alpha_s``,
        ``channel``, ``params``, ...); not with ``integrand``.

    Returns
    -------
    VegasResult or MultiChannelResult
        ``mean`` and ``sdev`` in pb and ``chi2_dof``; a :class:`numhep.MultiChannelResult`
        (with the per-channel results) with ``channel="diagrams"``.

    Raises
    ------
    ValueError
        If neither ``process`` and ``sqrt_s`` nor ``integrand`` are given, if integrand
        options are given with ``integrand``, if the integrand samples a single diagram
        channel, or if ``n_iterations`` does not exceed ``n_warmup``.

    See Also
    --------
    numhep.generate : unweighted events, with the same integration first.

    Examples
    --------
    >>> result = numhep.integrate("e+ e- > mu+ mu-", 91.188, n_points=2000, n_iterations=4, n_warmup=1)
    >>> f"{result.mean:.4g} pb"
    '2100 pb'
    >>> bool(result.sdev < 0.01 * result.mean), len(result.iterations)
    (True, 4)
    """
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
