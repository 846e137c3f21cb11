"""Catani-Seymour dipoles and splitting azimuths on torch tensors (backward: their adjoints).

Same arguments as :func:`numhep.catani_seymour.dipoles` and
:func:`numhep.catani_seymour.splitting_azimuths`; the parton momenta may require grad.
"""

from __future__ import annotations

from numhep import catani_seymour as _cs
from numhep.torch._bridge import apply

__all__ = ["dipoles", "splitting_azimuths"]


def dipoles(p, table, alpha_s: float = _cs.ALPHA_S):
    """(y_ij,k, z_i, D_ij,k), each (n, r), differentiable in the momenta (n, m, 4)."""
    return apply(lambda q: _cs.dipoles(q, table, alpha_s),
                 lambda a, c: (_cs.dipoles_vjp(a[0], table, alpha_s, *c),), p)


def splitting_azimuths(p, pairs):
    """(n, q, 2) = (sin 2phi, cos 2phi) per pair, differentiable in the momenta."""
    return apply(lambda q: (_cs.splitting_azimuths(q, pairs),),
                 lambda a, c: (_cs.splitting_azimuths_vjp(a[0], pairs, c[0]),), p)[0]
