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
    """One partonic channel of a group: ``process`` evaluated with the incoming legs
    exchanged when ``swapped``; ``legs`` are the PDG codes in the group's leg order."""

    process: object
    legs: tuple
    swapped: bool

    @property
    def name(self) -> str:
        return self.process.name if not self.swapped else f"{self.process.name} (beams exchanged)"

    def me(self, p, params=None, grad=False):
        """|M|^2 at momenta ``p`` in the group's leg order; ``grad`` as :func:`numhep.me` takes
        it, with d|M|^2/dp in the same leg order."""
        order = [1, 0, *range(2, p.shape[1])] if self.swapped else slice(None)
        if grad is False:
            return me(p[:, order], self.process, params=params, check=False)
        value, g = me(p[:, order], self.process, params=params, grad=grad, check=False)
        if isinstance(g, dict):  # exchanging two legs is its own inverse
            return value, {name: (d[:, order] if name == "p" else d) for name, d in g.items()}
        return value, g[:, order]


@dataclass
class ProcessGroup:
    text: str
    subprocesses: list
    masses: tuple  # per leg, common to every subprocess
    model: object

    def __repr__(self):
        return f"<numhep process group {self.text!r}: {len(self.subprocesses)} subprocesses>"

    @property
    def n_legs(self) -> int:
        return len(self.masses)

    def select(self, keep) -> "ProcessGroup":
        """The group restricted to the subprocesses for which ``keep(subprocess)`` holds."""
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
    """Expand ``text`` over its multiparticle labels and compile every subprocess."""
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
