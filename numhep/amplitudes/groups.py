"""Process groups: ``"p p > t t~"`` as the sum of its partonic subprocesses.

MadGraph's default multiparticle labels (four light flavours; the b is massive in the
``sm`` model and so not a parton of the proton; with a massless b, as in the model
``sm_no_b_mass``, p and j also hold b b~, as in MadGraph):

    p = j = g u c d s u~ c~ d~ s~,   l+ = e+ mu+,   l- = e- mu-,   vl = ve vm vt,   vl~ = ...

Every assignment of the labels is a candidate subprocess; those without tree-level
diagrams are dropped, final states that differ only by order are kept once, and a
subprocess whose initial state is the mirror of a compiled one (``u~ u`` of ``u u~``) is
evaluated by that one with the two incoming momenta exchanged, as MadGraph does.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from numhep.amplitudes.colour_flow import colour_flows
from numhep.amplitudes.compiled_process import compile_process
from numhep.amplitudes.compiler.process_syntax import ORDER, ProcessSyntaxError
from numhep.amplitudes.lookup import resolve_model
from numhep.amplitudes.matrix_element import me

__all__ = ["MULTIPARTICLES", "ProcessGroup", "Subprocess", "process_group"]

_LIGHT = ("g", "u", "c", "d", "s", "u~", "c~", "d~", "s~")
MULTIPARTICLES = {
    "p": _LIGHT,
    "j": _LIGHT,
    "l+": ("e+", "mu+"),
    "l-": ("e-", "mu-"),
    "vl": ("ve", "vm", "vt"),
    "vl~": ("ve~", "vm~", "vt~"),
}


@dataclass
class Subprocess:
    """One partonic subprocess of a :class:`ProcessGroup`.

    ``process`` is evaluated with the two incoming momenta exchanged when ``swapped``: a
    subprocess whose initial state mirrors a compiled one (``u~ u`` of ``u u~``) reuses
    that one's program, as MadGraph does.

    Parameters
    ----------
    process : Process
        The compiled process that evaluates this subprocess.
    legs : tuple of int
        PDG codes in the group's leg order (the incoming two exchanged with respect to
        ``process.legs`` when ``swapped``).
    swapped : bool
        Whether the incoming legs are exchanged with respect to ``process``.

    Examples
    --------
    >>> group = numhep.process_group("p p > t t~")
    >>> sub = group.subprocesses[5]
    >>> sub.name, sub.legs, sub.swapped
    ('u u~ > t t~ (beams exchanged)', (-2, 2, 6, -6), True)
    >>> p, _ = numhep.rambo(2, 1000.0, group.masses, seed=1)
    >>> sub.me(p).shape
    (2,)
    """

    process: object
    legs: tuple
    swapped: bool

    @property
    def name(self) -> str:
        """The process's name, with ``" (beams exchanged)"`` when ``swapped``."""
        return self.process.name if not self.swapped else f"{self.process.name} (beams exchanged)"

    def me(self, p, params=None, grad=False):
        """``|M|^2`` at momenta ``p`` in the group's leg order (the momenta are not checked).

        Parameters
        ----------
        p : array_like, shape ``(n, legs, 4)``
            Momenta in GeV, energy first, in the group's leg order.
        params : dict, optional
            Model inputs overriding the model's values.
        grad : bool, str or tuple of str, optional
            As :func:`numhep.me` takes it; gradients in the momenta come in the group's leg
            order too.

        Returns
        -------
        me : ndarray, shape ``(n,)``
            ``|M|^2``.
        gradient : ndarray or dict
            With ``grad``: ``d|M|^2/dp`` (n, legs, 4), or a dict of the gradients named in
            ``grad``, as :func:`numhep.me` returns them.
        """
        order = [1, 0, *range(2, p.shape[1])] if self.swapped else slice(None)
        if grad is False:
            return me(p[:, order], self.process, params=params, check=False)
        value, g = me(p[:, order], self.process, params=params, grad=grad, check=False)
        if isinstance(g, dict):  # exchanging two legs is its own inverse
            return value, {name: (d[:, order] if name == "p" else d) for name, d in g.items()}
        return value, g[:, order]

    def colour_flows(self, p, rng, params=None) -> np.ndarray:
        """Les Houches colour tags of events at momenta ``p`` (group's leg order): one
        leading-colour flow per event, drawn with probability proportional to its squared
        partial amplitude ``|A_f|^2`` at the event
        (:meth:`numhep.amplitudes.compiled_process.CompiledProcess.colour_flow_weights`).

        Parameters
        ----------
        p : array_like, shape ``(n, legs, 4)``
            Momenta in GeV, energy first, in the group's leg order.
        rng : numpy.random.Generator
            The random stream.
        params : dict, optional
            Model inputs overriding the model's values.

        Returns
        -------
        ndarray, shape ``(n, legs, 2)``
            (colour, anticolour) tags per leg, in the group's leg order.
        """
        p = np.asarray(p, dtype=np.float64)
        order = [1, 0, *range(2, p.shape[1])] if self.swapped else slice(None)
        weights = self.process.colour_flow_weights(p[:, order], params) if p.shape[0] else None
        tags = colour_flows(self.process.legs, p.shape[0], rng, weights)
        return tags[:, order]


@dataclass
class ProcessGroup:
    """A process string with multiparticle labels as the sum of its partonic subprocesses.

    Made by :func:`process_group`; every subprocess shares the final-state masses, so that
    one phase-space point serves them all (:func:`numhep.integrand` sums them, weighted by
    their parton luminosities).

    Parameters
    ----------
    text : str
        The process string, e.g. ``"p p > t t~"``.
    subprocesses : list of Subprocess
        The partonic subprocesses with tree-level diagrams, each final state once.
    masses : tuple of float
        The legs' masses in GeV, common to every subprocess.
    model : Model
        The model the subprocesses are compiled in.

    Examples
    --------
    >>> group = numhep.process_group("p p > t t~")
    >>> group
    <numhep process group 'p p > t t~': 9 subprocesses>
    >>> group.n_legs, group.legs_table.shape
    (4, (9, 4))
    >>> group.select(lambda sub: sub.legs[0] == 21).subprocesses[0].name
    'g g > t t~'
    """

    text: str
    subprocesses: list
    masses: tuple  # per leg, common to every subprocess
    model: object

    def __repr__(self):
        return f"<numhep process group {self.text!r}: {len(self.subprocesses)} subprocesses>"

    @property
    def n_legs(self) -> int:
        """The number of legs, the two incoming included."""
        return len(self.masses)

    def select(self, keep) -> "ProcessGroup":
        """The group restricted to the subprocesses for which ``keep(subprocess)`` holds.

        Parameters
        ----------
        keep : callable
            ``keep(subprocess) -> bool`` for each :class:`Subprocess`.

        Returns
        -------
        ProcessGroup
            A new group of the same text, masses and model.

        Raises
        ------
        ValueError
            If no subprocess is kept.
        """
        subs = [s for s in self.subprocesses if keep(s)]
        if not subs:
            raise ValueError(f"{self.text!r}: no subprocess left after the selection")
        return ProcessGroup(self.text, subs, self.masses, self.model)

    @property
    def legs_table(self) -> np.ndarray:
        """(n_sub, legs) PDG codes of every subprocess, in the group's leg order."""
        return np.array([s.legs for s in self.subprocesses], dtype=np.int64)


def _split(text: str):
    if "," in text or "(" in text:
        raise ProcessSyntaxError(f"{text!r}: decay chains cannot be combined with a process group here")
    left, right = " ".join(text.replace(">", " > ").split()).split(">", 1)
    final, orders = [], []
    for tok in right.split():
        (orders if (ORDER.match(tok) or "=" in tok) else final).append(tok)
    return left.split(), final, orders


def is_group(text: str) -> bool:
    """Whether a process string uses multiparticle labels."""
    if ">" not in text or "," in text or "(" in text:
        return False
    initial, final, _ = _split(text)
    return any(tok in MULTIPARTICLES for tok in initial + final)


def process_group(text: str, model="sm") -> ProcessGroup:
    """Expand ``text`` over its multiparticle labels and compile every subprocess.

    MadGraph's default labels: ``p = j = g u c d s u~ c~ d~ s~`` (four light flavours; with
    a massless b, as in the model ``sm_no_b_mass``, also ``b b~``), ``l+ = e+ mu+``,
    ``l- = e- mu-``, ``vl = ve vm vt``, ``vl~ = ve~ vm~ vt~``.  Every assignment of the
    labels is a candidate subprocess; those without tree-level diagrams are dropped, final
    states that differ only by order are kept once, and a subprocess whose initial state
    mirrors a compiled one (``u~ u`` of ``u u~``) is evaluated by that one with the incoming
    momenta exchanged, as MadGraph does.

    Parameters
    ----------
    text : str
        A 2 -> n process string with multiparticle labels and optional coupling orders, e.g.
        ``"p p > t t~"`` or ``"p p > e+ e- QCD=0"`` (decay chains are not supported here).
    model : str or Model, optional
        The model: a registered name (default ``"sm"``) or a :class:`numhep.Model`.

    Returns
    -------
    ProcessGroup
        The group of every subprocess with tree-level diagrams.

    Raises
    ------
    ProcessSyntaxError
        If ``text`` holds a decay chain, cannot be read, or no subprocess has tree-level
        diagrams.
    ValueError
        If the subprocesses have different final-state masses (integrate them separately).

    Examples
    --------
    >>> group = numhep.process_group("p p > t t~")
    >>> [sub.name for sub in group.subprocesses[:3]]
    ['g g > t t~', 'u u~ > t t~', 'c c~ > t t~']
    >>> group.masses
    (0.0, 0.0, 173.0, 173.0)
    """
    mdl = resolve_model(model)
    labels = dict(MULTIPARTICLES)
    if mdl.parameters()[mdl.particle(5).mass] == 0.0:
        labels["p"] = labels["j"] = _LIGHT + ("b", "b~")
    initial, final, orders = _split(text)
    choices = [labels.get(tok, (tok,)) for tok in initial + final]
    suffix = (" " + " ".join(orders)) if orders else ""
    compiled: dict = {}
    subs, seen = [], set()
    masses = None
    for combo in itertools.product(*choices):
        a, b, fin = combo[0], combo[1], combo[2:]
        key = (a, b, tuple(sorted(fin)))
        if key in seen:
            continue
        seen.add(key)
        mirror = (b, a, tuple(sorted(fin)))
        swapped = mirror in compiled
        if swapped:
            proc = compiled[mirror]
        else:
            try:
                proc = compile_process(f"{a} {b} > {' '.join(fin)}{suffix}", model=mdl)
            except ProcessSyntaxError as exc:
                if "no tree-level diagrams" in str(exc):
                    continue
                # say it of what the user wrote, not of the subprocess it expanded to
                raise ProcessSyntaxError(f"{text!r}: {str(exc).split(': ', 1)[-1]}") from None
            compiled[key] = proc
        legs = (proc.legs[1], proc.legs[0], *proc.legs[2:]) if swapped else proc.legs
        m = (proc.masses[1], proc.masses[0], *proc.masses[2:]) if swapped else proc.masses
        if masses is None:
            masses = m
        elif not np.allclose(m[2:], masses[2:]):
            raise ValueError(
                f"{text!r}: subprocesses have different final-state masses ({m[2:]} and {masses[2:]}); "
                "integrate them separately"
            )
        subs.append(Subprocess(proc, legs, swapped))
    if not subs:
        raise ProcessSyntaxError(f"{text!r}: no subprocess has tree-level diagrams")
    return ProcessGroup(text, subs, tuple(masses), subs[0].process.model)
