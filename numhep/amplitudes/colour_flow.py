"""Colour flows for event records (Les Houches ICOLUP tags).

A parton shower needs each event's colour connections.  In the all-outgoing picture
(incoming partons crossed: an incoming quark is an outgoing antiquark), every colour
tag appears once as a colour (quarks, gluons) and once as an anticolour (antiquarks,
gluons).  The leading-colour flows are the pairings of colours with anticolours in which,
with quarks, every gluon sits on a quark line (no closed gluon loops) and, without quarks,
all gluons form one loop (a single trace); :func:`leading_colour_flows` lists them with the
incoming legs uncrossed.

Each event gets one of them, drawn as MadGraph draws it: with probability proportional to
the squared leading-colour partial amplitude ``|A_f|^2`` of flow f at the event's momenta, the
colour-ordered amplitude of the colour-flow decomposition M = sum_f A_f T_f + subleading
(Maltoni, Paul, Stelzer & Willenbrock, hep-ph/0209271, Sec. 2; Alwall et al.,
arXiv:1405.0301, Sec. 2.3.3).  :func:`flow_projections` expresses A_f in the partial
amplitudes of a compiled process's colour basis, so that the amplitude runtime gives ``|A_f|^2``
through a rank-one colour matrix (:meth:`numhep.amplitudes.compiled_process.CompiledProcess.colour_flow_weights`).
A flow whose partial amplitude vanishes, such as the one joining the two incoming quarks of a
t-channel W exchange, is never drawn.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

__all__ = ["colour_flows", "flow_projections", "leading_colour_flows"]

FIRST_TAG = 501
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _representation(pdg: int) -> int:
    """3 (quark), -3 (antiquark), 8 (gluon) or 1 (colourless)."""
    a = abs(pdg)
    if a == 21:
        return 8
    if 1 <= a <= 6:
        return 3 if pdg > 0 else -3
    return 1


def _slots(legs):
    """(representations all-outgoing, legs with a colour, legs with an anticolour, pairings)."""
    reps = [_representation(-q if k < 2 else q) for k, q in enumerate(legs)]
    colours = [k for k, r in enumerate(reps) if r in (3, 8)]
    anticolours = [k for k, r in enumerate(reps) if r in (-3, 8)]
    if len(colours) != len(anticolours):
        raise ValueError(f"legs {tuple(legs)}: colour cannot be conserved")
    pairings = (_leading_pairings(tuple(colours), tuple(anticolours), any(r == 3 for r in reps)) if colours
                else np.zeros((1, 0), dtype=np.int64))
    return reps, colours, anticolours, pairings


def leading_colour_flows(legs) -> np.ndarray:
    """Every leading-colour flow of a process as Les Houches colour tags.

    Parameters
    ----------
    legs : sequence of int
        PDG codes, the first two incoming.

    Returns
    -------
    ndarray, shape ``(m, legs, 2)``
        (colour, anticolour) tags of every leg (0 = none) for each of the m flows; one
        all-zero flow for a colourless process.

    Raises
    ------
    ValueError
        If the legs cannot conserve colour.

    Examples
    --------
    >>> from numhep.amplitudes.colour_flow import leading_colour_flows
    >>> leading_colour_flows((2, -2, 21, 21)).tolist()  # u u~ > g g: the gluons in either order
    [[[503, 0], [0, 501], [502, 501], [503, 502]], [[502, 0], [0, 501], [502, 503], [503, 501]]]
    """
    reps, colours, anticolours, pairings = _slots(legs)
    out = np.zeros((pairings.shape[0], len(legs), 2), dtype=np.int64)
    if not colours:
        return out
    tags = FIRST_TAG + np.arange(len(colours))
    out[:, colours, 0] = tags
    out[np.arange(pairings.shape[0])[:, None], pairings, 1] = tags
    # uncross the incoming legs: their colour is the crossed leg's anticolour
    out[:, :2] = out[:, :2, ::-1]
    return out


def _flow_tensor(reps, colours, anticolours, pairing, generators):
    """The colour tensor of one flow over the legs' indices (all outgoing; a triplet or
    antitriplet index of 3, an octet index of 8, a colourless leg an axis of 1): a Kronecker
    delta joining each colour to its anticolour, a gluon's pair of indices projected on the
    octet by (T^a)_{anticolour, colour}."""
    letters = iter(_LETTERS)
    col = {k: next(letters) for k in colours}
    anti = {k: next(letters) for k in anticolours}
    operands, subscripts, result = [], [], ""
    for c, a in zip(colours, pairing):
        operands.append(np.eye(3))
        subscripts.append(col[c] + anti[a])
    shape = []
    for k, r in enumerate(reps):
        if r == 8:
            octet = next(letters)
            operands.append(generators)
            subscripts.append(octet + anti[k] + col[k])
            result += octet
        elif r == 3:
            result += col[k]
        elif r == -3:
            result += anti[k]
        shape.append({8: 8, 3: 3, -3: 3, 1: 1}[r])
    if not operands:  # a colourless process: one flow, the number 1
        return np.ones(shape)
    return np.einsum(",".join(subscripts) + "->" + result, *operands, optimize="greedy").reshape(shape)


def flow_projections(legs, basis, generators) -> np.ndarray:
    """The matrix W with A_f = sum_k J_k W_kf: the leading-colour partial amplitudes of the
    flows of :func:`leading_colour_flows` in the partial amplitudes J_k of a colour basis B_k.

    M = sum_k J_k B_k is projected by least squares onto the span of the flows' tensors T_f,
    M ~ sum_f A_f T_f; what the flows cannot hold is subleading in colour.

    Parameters
    ----------
    legs : sequence of int
        PDG codes, the first two incoming.
    basis : ndarray, shape ``(n_basis, ...)``
        The basis tensors over the legs' colour indices, legs all outgoing in the order of
        ``legs`` (a triplet or antitriplet index of 3, an octet index of 8, a colourless leg an
        axis of 1), with the generators' convention of ``generators``.
    generators : ndarray, shape ``(8, 3, 3)``
        T^a = lambda^a / 2.

    Returns
    -------
    ndarray, shape ``(n_basis, m)``
        W.

    Raises
    ------
    ValueError
        If the basis does not fit the legs.
    """
    reps, colours, anticolours, pairings = _slots(legs)
    basis = np.asarray(basis)
    flat = basis.reshape(basis.shape[0], -1)
    tensors = np.array([_flow_tensor(reps, colours, anticolours, p, generators).reshape(-1) for p in pairings])
    if tensors.shape[1] != flat.shape[1]:
        raise ValueError(f"basis: tensors of {flat.shape[1]} entries do not fit the legs {tuple(legs)} "
                         f"({tensors.shape[1]})")
    # pinv(T) = T^H pinv(T T^H): the SVD of the small Gram matrix instead of that of T, whose
    # long axis (gg > tt~ggg: 120 flows of 294912 entries) made pinv(T) a minute's work
    gram = tensors @ tensors.conj().T
    return (flat @ tensors.conj().T) @ np.linalg.pinv(gram, hermitian=True)


def colour_flows(legs, n_events: int, rng, weights=None) -> np.ndarray:
    """(n_events, legs, 2) colour and anticolour tags (0 = none) for PDG codes ``legs``,
    the first two incoming: one leading-colour flow per event.

    Parameters
    ----------
    legs : sequence of int
        PDG codes, the first two incoming.
    n_events : int
        The number of events.
    rng : numpy.random.Generator
        The random stream.
    weights : array_like, shape ``(n_events, m)``, optional
        Each event's ``|A_f|^2`` for the m flows of :func:`leading_colour_flows`; a flow is drawn
        with probability ``|A_f|^2 / sum_g |A_g|^2``.  None (the default), or a row without a
        positive finite total, draws the flows uniformly.

    Returns
    -------
    ndarray, shape ``(n_events, legs, 2)``
        The tags.

    Raises
    ------
    ValueError
        If the legs cannot conserve colour, or the weights' shape does not fit.
    """
    flows = leading_colour_flows(legs)
    m = flows.shape[0]
    u = rng.random(n_events)
    if weights is None:
        choice = np.minimum((u * m).astype(np.int64), m - 1)
        return flows[choice]
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n_events, m):
        raise ValueError(f"weights: expected shape ({n_events}, {m}) (events, flows), got {w.shape}")
    w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    total = w.sum(axis=1)
    w = np.where(total[:, None] > 0, w, 1.0)
    cdf = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
    choice = np.minimum((u[:, None] > cdf).sum(axis=1), m - 1)
    return flows[choice]


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
