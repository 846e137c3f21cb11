"""The layer contract of numhep's package, read off the source (no import runs).

numhep is a stack of layers (README, "Layout"); a module imports only from its own layer and
the layers below.  This test parses every module under numhep/, resolves each import of a
numhep module (at module level or inside a function) and fails on

* an import that goes up the stack;
* an import circle between modules;
* ``import numhep`` / ``from numhep import <name defined in __init__>`` inside the package
  (``numhep/__init__.py`` only re-exports);
* a private name (``_x``) taken from another module;
* an import of a numhep module inside a function, except of the modules that load an
  optional dependency (torch) and are imported where they are used.

Run it with ``-s`` to see the figures: ``python -m pytest -s tests/test_layers.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "numhep"

#: bottom to top; a module belongs to the first entry that is it or a package above it
LAYERS = (
    ("numhep.units", "numhep.storage", "numhep.arrays"),
    ("numhep.kernels",),
    ("numhep.adjoint",),
    ("numhep.ops", "numhep.autograd"),
    ("numhep.declarations",),
    ("numhep.registry", "numhep.plugin"),
    ("numhep.phasespace",),
    ("numhep.pdfsets",),
    ("numhep.amplitudes",),
    ("numhep.integration",),
    ("numhep.events",),
    ("numhep.torch",),
    ("numhep.cli", "numhep.__main__"),
    ("numhep",),
)

#: modules that import an optional dependency at their top: imported inside the functions
#: that need them, so that numhep imports without the extra
OPTIONAL = {"numhep.autograd": "torch", "numhep.torch.surrogate_cli": "torch"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def layer_of(module: str) -> int:
    for rank, units in enumerate(LAYERS):
        for unit in units:
            if module == unit or (unit != "numhep" and module.startswith(unit + ".")):
                return rank
    raise AssertionError(f"{module} is in no layer: add it to tests/test_layers.py LAYERS")


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def imports(module: str):
    """(target module, names taken, inside a function, line) of every numhep import."""
    tree = ast.parse(MODULES[module].read_text())
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(id(n) for n in ast.walk(node) if n is not node)
    package = module if _is_package(module) else module.rpartition(".")[0]
    for node in ast.walk(tree):
        nested = id(node) in inside
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "numhep" or alias.name.startswith("numhep."):
                    yield alias.name, (), nested, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if not (base == "numhep" or base.startswith("numhep.")):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in MODULES:  # ``from package import module``
                    yield sub, (), nested, node.lineno
                else:
                    yield base, (alias.name,), nested, node.lineno


def _graph():
    return {m: list(imports(m)) for m in MODULES}


GRAPH = _graph()


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w, *_ in graph[v]:
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def violations(graph, modules=MODULES):
    """The contract's breaches in an import graph {module: [(target, names, nested, line)]}."""
    found = {"upward": [], "package init": [], "private": [], "in function": [], "unknown": []}
    for module, edges in graph.items():
        for target, names, nested, line in edges:
            where = f"{module}:{line} -> {target}"
            if target not in modules:
                found["unknown"].append(where)
                continue
            if target == "numhep" and module != "numhep":
                found["package init"].append(where + (f" ({', '.join(names)})" if names else ""))
                continue
            if layer_of(target) > layer_of(module):
                found["upward"].append(where)
            private = [n for n in names if n.startswith("_") and target != module]
            if private:
                found["private"].append(f"{where}: {', '.join(private)}")
            if nested and target not in OPTIONAL:
                found["in function"].append(where)
    found["circle"] = [" -> ".join(c) for c in _cycles(graph)]
    return found


VIOLATIONS = violations(GRAPH)


def test_print_the_import_graph_figures(capsys):
    edges = sum(len(e) for e in GRAPH.values())
    with capsys.disabled():
        print(f"\nnumhep import graph: {len(MODULES)} modules, {edges} imports of numhep modules, "
              f"{len(LAYERS)} layers")
        for kind, items in VIOLATIONS.items():
            print(f"  {kind:>13}: {len(items)}")
    assert edges > 0


@pytest.mark.parametrize("kind", ["upward", "circle", "package init", "private", "in function", "unknown"])
def test_layer_contract(kind):
    assert not VIOLATIONS[kind], f"{kind} imports:\n" + "\n".join(VIOLATIONS[kind])


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def test_the_checker_flags_each_kind_of_breach():
    graph = {
        "numhep.kernels.rambo": [("numhep.integration.vegas", ("VegasGrid",), False, 3)],
        "numhep.phasespace.flat": [("numhep.phasespace.blocks", ("_per_event",), True, 5),
                                   ("numhep", ("me",), False, 6)],
        "numhep.phasespace.blocks": [("numhep.phasespace.flat", (), False, 9)],
        "numhep.integration.vegas": [],
        "numhep": [],
    }
    found = violations(graph, modules=set(graph))
    assert found["upward"] == ["numhep.kernels.rambo:3 -> numhep.integration.vegas"]
    assert found["private"] == ["numhep.phasespace.flat:5 -> numhep.phasespace.blocks: _per_event"]
    assert found["in function"] == ["numhep.phasespace.flat:5 -> numhep.phasespace.blocks"]
    assert found["package init"] == ["numhep.phasespace.flat:6 -> numhep (me)"]
    assert found["circle"] == ["numhep.phasespace.blocks -> numhep.phasespace.flat"]
