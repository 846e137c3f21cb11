"""MadGraph's process syntax: ``"g g > t t~"``, coupling orders, decay chains.

    initial > final [ORDER=n | ORDER<=n ...] [, (X > a b [, a > c d]) ...]

``ORDER=n`` means at most n (as in MadGraph).  A decay ``(t > b w+, w+ > u d~)`` replaces
the first undecayed ``t`` of the final state by its products, in place, and requires an
s-channel ``t`` carrying exactly those products; inside the parentheses later decays
apply to the products of earlier ones.  The legs of the compiled process are the
initial particles followed by the fully expanded final state in this order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ORDER = re.compile(r"^([A-Za-z]+)(<=|==|=)(\d+)$")


class ProcessSyntaxError(ValueError):
    """A process string numhep cannot read or compile.

    Raised by :func:`numhep.process`, :func:`numhep.amplitudes.compile_process` and
    :func:`numhep.process_group` for a string that is not MadGraph syntax
    (``initial > final [ORDER=n ...] [, (X > a b, ...)]``, 2 -> n), that names a particle
    the model does not know, or whose process has no tree-level diagrams in the model (the
    message says which conservation law forbids it, where one does).  A subclass of
    ValueError.

    Examples
    --------
    >>> try:
    ...     numhep.process("e+ e- > mu+ mu+")
    ... except numhep.amplitudes.ProcessSyntaxError as exc:
    ...     print(exc)
    'e+ e- > mu+ mu+': no tree-level diagrams in model 'sm': electric charge is not conserved (final minus initial: +2)
    """


@dataclass
class Node:
    name: str
    children: list = field(default_factory=list)

    def leaves(self):
        if not self.children:
            return [self]
        return [leaf for c in self.children for leaf in c.leaves()]


@dataclass
class ParsedProcess:
    initial: list  # names
    final: list  # Node trees
    orders: dict  # name -> max
    text: str

    def final_names(self) -> list[str]:
        return [leaf.name for n in self.final for leaf in n.leaves()]

    def resonances(self):
        """(resonance name, indices of its final-state leaves) for every decayed node."""
        out = []
        offset = 0

        def walk(node, start):
            count = len(node.leaves())
            if node.children:
                out.append((node.name, list(range(start, start + count))))
                pos = start
                for c in node.children:
                    walk(c, pos)
                    pos += len(c.leaves())
            return count

        for n in self.final:
            offset += walk(n, offset)
        return out


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ProcessSyntaxError(f"unbalanced ')' in {text!r}")
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if depth != 0:
        raise ProcessSyntaxError(f"unbalanced '(' in {text!r}")
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _decay(text: str) -> tuple[str, list[str]]:
    if ">" not in text:
        raise ProcessSyntaxError(f"a decay needs '>': {text!r}")
    left, right = text.split(">", 1)
    mother = left.split()
    if len(mother) != 1:
        raise ProcessSyntaxError(f"a decay has one mother particle: {text!r}")
    products = right.split()
    if len(products) < 2:
        raise ProcessSyntaxError(f"a decay needs at least two products: {text!r}")
    return mother[0], products


def _apply(nodes: list, mother: str, products: list[str], text: str):
    for node in nodes:
        for leaf in node.leaves():
            if leaf.name == mother and not leaf.children:
                leaf.children = [Node(p) for p in products]
                return leaf
    raise ProcessSyntaxError(f"decay {text!r}: no undecayed {mother!r} to decay")


def parse(text: str) -> ParsedProcess:
    parts = _split_top(" ".join(text.replace(">", " > ").split()))
    if not parts or ">" not in parts[0]:
        raise ProcessSyntaxError(f"expected 'initial > final', got {text!r}")
    core = parts[0]
    left, right = core.split(">", 1)
    initial = left.split()
    orders = {}
    final_names = []
    for tok in right.split():
        m = ORDER.match(tok)
        if m:
            orders[m.group(1).upper()] = int(m.group(3))
        elif "=" in tok:
            raise ProcessSyntaxError(f"cannot read coupling order {tok!r} (write e.g. QCD=0 or QED<=4)")
        else:
            final_names.append(tok)
    if len(initial) != 2:
        raise ProcessSyntaxError(f"numhep compiles 2 -> n processes; got initial state {initial}")
    if not final_names:
        raise ProcessSyntaxError(f"no final state in {text!r}")
    final = [Node(n) for n in final_names]
    for part in parts[1:]:
        if not (part.startswith("(") and part.endswith(")")):
            # MadGraph also allows an unbracketed decay after the core
            mother, products = _decay(part)
            _apply(final, mother, products, part)
            continue
        chain = _split_top(part[1:-1])
        mother, products = _decay(chain[0])
        root = _apply(final, mother, products, chain[0])
        for sub in chain[1:]:
            m2, p2 = _decay(sub)
            _apply([root], m2, p2, sub)
    return ParsedProcess(initial, final, orders, text)
