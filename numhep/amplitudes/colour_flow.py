"""Colour flows for event records (Les Houches ICOLUP tags).

A parton shower needs each event's colour connections.  In the all-outgoing picture
(incoming partons crossed: an incoming quark is an outgoing antiquark), every colour
tag appears once as a colour (quarks, gluons) and once as an anticolour (antiquarks,
gluons).  :func:`colour_flows` draws such a pairing per event, uniformly among the
leading-colour ones (with quarks, every gluon sits on a quark line: no closed gluon
loops; without quarks, all gluons form one loop, a single trace), and uncrosses the
incoming legs.

The pairing is not weighted by the leading-colour partial amplitudes (as MadGraph
does); for the shower it fixes only the colour dipoles between which radiation starts.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

__all__ = ["colour_flows"]

FIRST_TAG = 501


def _representation(pdg: int) -> int:
    """3 (quark), -3 (antiquark), 8 (gluon) or 1 (colourless)."""
    a = abs(pdg)
    if a == 21:
        return 8
    if 1 <= a <= 6:
        return 3 if pdg > 0 else -3
    return 1


def colour_flows(legs, n_events: int, rng) -> np.ndarray:
    """(n_events, legs, 2) colour and anticolour tags (0 = none) for PDG codes ``legs``,
    the first two incoming."""
    reps = [_representation(-q if k < 2 else q) for k, q in enumerate(legs)]
    colours = [k for k, r in enumerate(reps) if r in (3, 8)]
    anticolours = [k for k, r in enumerate(reps) if r in (-3, 8)]
    if len(colours) != len(anticolours):
        raise ValueError(f"legs {tuple(legs)}: colour cannot be conserved")
    out = np.zeros((n_events, len(legs), 2), dtype=np.int64)
    if not colours:
        return out
    pairings = _leading_pairings(tuple(colours), tuple(anticolours), any(r == 3 for r in reps))
    chosen = pairings[rng.integers(len(pairings), size=n_events)]  # (n_events, slots)
    tags = FIRST_TAG + np.arange(len(colours))
    out[:, colours, 0] = tags
    rows = np.arange(n_events)[:, None]
    out[rows, chosen, 1] = tags
    # uncross the incoming legs: their colour is the crossed leg's anticolour
    out[:, :2] = out[:, :2, ::-1]
    return out


@functools.lru_cache(maxsize=None)
def _leading_pairings(colours: tuple, anticolours: tuple, has_quarks: bool) -> np.ndarray:
    """Every leading-colour pairing: row r gives, per colour slot, the leg carrying its anticolour.

    With quarks no closed gluon loop is allowed, without quarks exactly one (a single trace).
    """
    wanted_loops = 0 if has_quarks else 1
    rows = [perm for perm in itertools.permutations(anticolours) if _gluon_loops(colours, perm) == wanted_loops]
    return np.array(rows, dtype=np.int64)


def _gluon_loops(cols, acols) -> int:
    """Closed cycles of the map (colour of leg c) -> (leg carrying the matching anticolour)."""
    nxt = dict(zip(cols, acols))
    seen, loops = set(), 0
    for start in nxt:
        if start in seen:
            continue
        k, path = start, []
        while k in nxt and k not in seen and k not in path:
            path.append(k)
            k = nxt[k]
        if k in path:
            loops += 1
        seen.update(path)
    return loops
