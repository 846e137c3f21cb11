"""Param cards: the SUSY Les Houches Accord files MadGraph, Pythia and UFO restrictions use for
a model's external parameters (Skands et al., arXiv:hep-ph/0311123, Sec. 2).

A card is a list of blocks, ``BLOCK MASS`` followed by lines ``code value # comment``
(``i j value`` for matrices), and ``DECAY pdg width`` lines; a width may be ``auto``, which asks
for it to be computed (MadGraph's convention, Alwall, Duhr, Fuks, Mattelaer, Ozturk & Shen,
arXiv:1402.1178).  A model maps each external parameter to a block and its codes
(``Model.lha``), so a card reads into a dict of parameter values and a model's values write
back into a card.
"""

from __future__ import annotations

import math
from pathlib import Path

from numhep.storage import atomic_write

__all__ = ["AUTO", "read_param_card", "write_param_card"]

#: the value of a width given as ``DECAY pdg auto``: to be computed from the model
AUTO = "auto"


def _entries(path: Path):
    """Yield (block, codes, value, line number) of a card; value a float or AUTO."""
    block = None
    for number, raw in enumerate(path.read_text(errors="replace").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        head = words[0].lower()
        if head == "block":
            if len(words) < 2:
                raise ValueError(f"{path}: line {number}: a BLOCK without a name")
            block = words[1].lower()
            continue
        if head == "decay":
            if len(words) < 3:
                raise ValueError(f"{path}: line {number}: DECAY needs a PDG code and a width")
            block = "decay-branchings"  # the branching-ratio lines that may follow
            yield "decay", (int(words[1]),), _number(words[2], path, number), number
            continue
        if block is None:
            raise ValueError(f"{path}: line {number}: an entry outside any BLOCK: {raw.strip()!r}")
        if block == "decay-branchings":
            continue
        *codes, value = words
        try:
            codes = tuple(int(c) for c in codes)
        except ValueError:
            raise ValueError(f"{path}: line {number}: cannot read the codes of {raw.strip()!r}") from None
        yield block, codes, _number(value, path, number), number


def _number(text, path, number):
    if text.lower() == AUTO:
        return AUTO
    try:
        value = float(text.replace("d", "e").replace("D", "e"))
    except ValueError:
        raise ValueError(f"{path}: line {number}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{path}: line {number}: {text!r} is not finite")
    return value


def read_param_card(path, lha: dict) -> dict:
    """The parameter values a param card gives.

    Parameters
    ----------
    path : str or os.PathLike
        The card.
    lha : dict
        {parameter name: (block, codes)} of the model (``Model.lha``); blocks in lower case.

    Returns
    -------
    dict
        {parameter name: value} for every parameter of ``lha`` the card holds; a width given
        as ``auto`` has the value :data:`AUTO`.  Entries the model does not know are ignored,
        as MadGraph ignores them.

    Raises
    ------
    FileNotFoundError
        If there is no card at ``path``.
    ValueError
        For a line that cannot be read, naming the file and the line.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such param card")
    where = {(block, codes): name for name, (block, codes) in lha.items()}
    return {where[(block, codes)]: value for block, codes, value, _ in _entries(path) if (block, codes) in where}


def write_param_card(path, lha: dict, values: dict, title: str = "") -> None:
    """Write the parameters of ``lha`` with their ``values`` as a param card (atomically).

    Parameters
    ----------
    path : str or os.PathLike
        Where to write.
    lha : dict
        {parameter name: (block, codes)}.
    values : dict
        {parameter name: value}; a parameter without a value is left out.
    title : str, optional
        A comment line at the top.

    Returns
    -------
    None
    """
    blocks: dict = {}
    for name, (block, codes) in lha.items():
        if name in values:
            blocks.setdefault(block, []).append((codes, name, values[name]))
    lines = [f"# {title}" if title else "# param card written by numhep"]
    for block in sorted(b for b in blocks if b != "decay"):
        lines.append(f"BLOCK {block.upper()}")
        for codes, name, value in sorted(blocks[block]):
            lines.append("  " + " ".join(f"{c:>4d}" for c in codes) + f" {float(value):.10e} # {name}")
    for codes, name, value in sorted(blocks.get("decay", [])):
        shown = AUTO if value == AUTO else f"{float(value):.10e}"
        lines.append(f"DECAY {codes[0]:>6d} {shown} # {name}")
    with atomic_write(path) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n")
