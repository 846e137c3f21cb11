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
    cols = np.array(colours)
    acols = np.array(anticolours)
    wanted_loops = 0 if any(r == 3 for r in reps) else 1
    for e in range(n_events):
        while True:
            perm = rng.permutation(len(acols))
            if _gluon_loops(cols, acols[perm]) == wanted_loops:
                break
        for t, (c, a) in enumerate(zip(cols, acols[perm])):
            out[e, c, 0] = FIRST_TAG + t
            out[e, a, 1] = FIRST_TAG + t
    # uncross the incoming legs: their colour is the crossed leg's anticolour
    out[:, :2] = out[:, :2, ::-1]
    return out


def _gluon_loops(cols, acols) -> int:
    """Closed cycles of the map (colour of leg c) -> (leg carrying the matching anticolour)."""
    nxt = dict(zip(cols.tolist(), acols.tolist()))
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
