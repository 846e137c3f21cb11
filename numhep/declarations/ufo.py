"""UFO models: a folder in the Universal FeynRules Output format read into a numhep :class:`Model`.

A UFO folder (Degrande, Duhr, Fuks, Grellscheid, Mattelaer & Reiter, arXiv:1108.2040) holds
``particles.py``, ``parameters.py``, ``couplings.py``, ``lorentz.py``, ``vertices.py``,
``coupling_orders.py`` and, where present, ``decays.py``: Python modules whose statements build
UFO objects, ``MZ = Parameter(name='MZ', nature='external', value=91.188, lhablock='MASS',
lhacode=[23])``.  numhep reads them without executing them and without MadGraph: each file is
parsed with :mod:`ast`, each ``X = Class(keyword=literal, ...)`` statement becomes a record, and
the expressions in it are checked and compiled by :mod:`numhep.declarations.ufo_expressions`.

What the model becomes:

* external parameters are the model's inputs (``params=`` may override them, by name or by a
  param card); internal parameters are evaluated in the file's order by the model's ``derive``,
  on floats or dual numbers, so that parameter gradients run through the UFO expressions;
* particles keep their UFO names and PDG codes; ghosts and Goldstone bosons are dropped with
  every vertex that holds one (numhep works in unitary gauge);
* each vertex becomes one numhep vertex per kernel, colour structure and coupling order, its
  Lorentz structures mapped onto numhep's kernels by :mod:`numhep.declarations.ufo_structures`;
  a vertex numhep has no kernel for is kept aside (``Model.unsupported_vertices``) and refuses
  only the processes whose diagrams need it;
* ``coupling_orders.py`` gives each order its hierarchy and expansion order, used by the
  default (least WEIGHTED) choice of diagrams;
* ``decays.py``, where present, gives analytic partial widths, evaluated by
  ``model.partial_widths(particle, source="ufo")`` beside numhep's own from the vertices.

Restrictions are applied as MadGraph applies them when it imports a model: by default the
folder's ``restrict_default.dat`` (when it has one) sets the external parameters' values;
those set to exactly 0 or 1 there are fixed, the couplings that vanish at those values are
dropped, and so is every vertex left without a coupling.  ``restrict=None`` reads the full
model, another file name picks another restriction.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

from numhep.declarations.dual_numbers import Dual
from numhep.declarations.model import Model, Particle, Vertex
from numhep.declarations.slha import AUTO, read_param_card
from numhep.declarations.ufo_expressions import UFOError, compile_expression, evaluate
from numhep.declarations.ufo_structures import colour_structure, lorentz_coefficients, lorentz_kind, refined_kind

__all__ = ["UFOError", "load_ufo"]

_FILES = ("particles", "parameters", "couplings", "lorentz", "vertices", "coupling_orders")


@dataclass(frozen=True)
class _Ref:
    """A reference inside a UFO file to an object of a file (``P.u``, ``Param.MZ``, ``u``)."""

    module: str | None
    name: str
    anti: bool = False


class _Record(dict):
    """The keyword arguments of one UFO object, with where it was defined."""

    def __init__(self, kind, name, where, fields):
        super().__init__(fields)
        self.kind, self.name, self.where = kind, name, where


def _read_file(folder: Path, stem: str, required: bool = True) -> dict:
    """{assigned name: _Record} of one UFO file, in the file's order."""
    path = folder / f"{stem}.py"
    if not path.is_file():
        if required:
            raise UFOError(f"{path}: missing; a UFO folder has {', '.join(f + '.py' for f in _FILES)}")
        return {}
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"), filename=str(path))
    except SyntaxError as exc:
        raise UFOError(f"{path}: line {exc.lineno}: {exc.msg}") from None
    aliases = {}
    records = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name] = a.name
            continue
        if isinstance(node, ast.ImportFrom) or isinstance(node, ast.Expr):
            continue
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue  # helper code (loops, functions) carries no UFO object
        target, value = node.targets[0].id, node.value
        where = f"{path.name}: {target} (line {node.lineno})"
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "anti"
                and isinstance(value.func.value, ast.Name)):
            records[target] = _Ref(None, value.func.value.id, anti=True)
            continue
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)):
            continue
        if value.args:
            raise UFOError(f"{where}: UFO objects take keyword arguments only")
        fields = {kw.arg: _literal(kw.value, aliases, where) for kw in value.keywords}
        records[target] = _Record(value.func.id, fields.get("name", target), where, fields)
    return records


def _literal(node, aliases, where):
    """A keyword argument's value: numbers, strings, lists, dicts and references."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e, aliases, where) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {_key(_literal(k, aliases, where)): _literal(v, aliases, where) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return _Ref(aliases.get(node.value.id, node.value.id), node.attr)
    if isinstance(node, ast.Name):
        return {"True": True, "False": False, "None": None}.get(node.id, _Ref(None, node.id))
    try:  # arithmetic on numbers (charge = -1/3)
        value = ast.literal_eval(node) if not isinstance(node, ast.BinOp) else eval(  # noqa: S307
            compile(ast.Expression(node), where, "eval"), {"__builtins__": {}}, {})
    except Exception:  # noqa: BLE001 - anything else is not a UFO literal
        raise UFOError(f"{where}: cannot read {ast.unparse(node)!r}") from None
    if not isinstance(value, (int, float, complex, str)):
        raise UFOError(f"{where}: cannot read {ast.unparse(node)!r}")
    return value


def _key(k):
    return tuple(k) if isinstance(k, list) else k


class UFODerivedParameters:
    """A UFO model's internal parameters, evaluated in order (the model's ``derive``).

    Picklable (it keeps the expressions' text and compiles them on first use), so that a UFO
    model travels to Dask workers like any other."""

    def __init__(self, expressions, fixed):
        self.expressions = tuple(expressions)  # (name, text, real, where)
        self.fixed = dict(fixed)
        self._code = None

    def __getstate__(self):
        return {"expressions": self.expressions, "fixed": self.fixed}

    def __setstate__(self, state):
        self.__init__(state["expressions"], state["fixed"])

    def compiled(self):
        if self._code is None:
            self._code = [(name, compile_expression(text, where)[0], real, where)
                          for name, text, real, where in self.expressions]
        return self._code

    def __call__(self, inputs: dict) -> dict:
        values = {**self.fixed, **inputs}
        out = dict(self.fixed)
        for name, code, real, where in self.compiled():
            v = evaluate(code, values, where)
            if real:
                v = Dual(_real(v.a), _real(v.b)) if isinstance(v, Dual) else _real(v)
            values[name] = out[name] = v
        return out


def _real(z):
    return z.real if isinstance(z, complex) else z


class UFOVertexCouplings:
    """A numhep vertex's couplings from UFO couplings: slot k is sum_t coefficient_t[k] G_t."""

    def __init__(self, terms, couplings):
        self.terms = tuple(terms)  # (coupling name, coefficients)
        self.couplings = couplings  # name -> (text, where)
        self._code = None

    def __getstate__(self):
        return {"terms": self.terms, "couplings": self.couplings}

    def __setstate__(self, state):
        self.__init__(state["terms"], state["couplings"])

    def __call__(self, v: dict) -> tuple:
        if self._code is None:
            self._code = {name: compile_expression(*self.couplings[name])[0] for name, _ in self.terms}
        width = len(self.terms[0][1])
        out = [0.0] * width
        for name, coefficients in self.terms:
            g = evaluate(self._code[name], v, self.couplings[name][1])
            for k in range(width):
                if coefficients[k] != 0:
                    out[k] = out[k] + coefficients[k] * g
        return tuple(out)


def load_ufo(path, restrict="default") -> Model:
    """Read the UFO model in folder ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The UFO folder.
    restrict : str, os.PathLike or None, optional
        ``"default"`` (the default) applies the folder's ``restrict_default.dat`` when it has
        one, as MadGraph's ``import model`` does; a file name (in the folder or a path) applies
        that restriction; ``None`` reads the full model.

    Returns
    -------
    Model
        The model, named after the folder (and the restriction, ``name-no_masses``), with
        ``lha`` (each external parameter's SLHA block and code) and ``couplings`` (the UFO
        couplings that survive the restriction, by name).

    Raises
    ------
    UFOError
        For a missing file, an expression that cannot be read, a name no file defines, a
        Lorentz or colour structure numhep has no kernel for: the message names the file
        and the item.

    Examples
    --------
    >>> from numhep_zprime import SM_ZP       # the example plugin's UFO folder
    >>> from numhep.plugin import load_ufo
    >>> zp = load_ufo(SM_ZP)
    >>> zp.name, zp.particle(32).name, sorted(zp.inputs)[:3]
    ('sm_zp', 'Zp', ['Gf', 'MB', 'MH'])
    >>> "MC" in load_ufo(SM_ZP, restrict=None).inputs    # fixed at 0 by restrict_default.dat
    True
    """
    folder = Path(path)
    if not folder.is_dir():
        raise UFOError(f"{folder}: not a UFO folder (no such directory)")
    files = {stem: _read_file(folder, stem) for stem in _FILES}
    files["decays"] = _read_file(folder, "decays", required=False)

    # ---- parameters ------------------------------------------------------------------------
    external, internal, lha = {}, [], {}
    defined = set()
    for rec in files["parameters"].values():
        if not isinstance(rec, _Record) or rec.kind != "Parameter":
            continue
        name = rec.get("name")
        if rec.get("nature") == "external":
            value = rec.get("value")
            if not isinstance(value, (int, float)):
                raise UFOError(f"parameters.py: {name}: an external parameter needs a number, got {value!r}")
            external[name] = float(value)
            code = rec.get("lhacode", [])
            lha[name] = (str(rec.get("lhablock", "")).lower(), tuple(int(c) for c in code))
        else:
            where = f"parameters.py: {name}"
            text = str(rec.get("value"))
            _, names = compile_expression(text, where)
            missing = sorted(names - defined - set(external))
            if missing:
                raise UFOError(f"{where}: refers to {', '.join(repr(m) for m in missing)}, which no parameter "
                               "defines before it")
            internal.append((name, text, rec.get("type", "real") == "real", where))
        defined.add(name)

    restriction, model_name = _restriction(folder, restrict)
    fixed = {}
    if restriction is not None:
        card = read_param_card(restriction, lha)
        for name, value in card.items():
            if name in external and value != AUTO:  # an automatic width keeps the folder's value
                external[name] = value
        fixed = {name: external.pop(name) for name in list(external) if external[name] in (0.0, 1.0)}
    derive = UFODerivedParameters(internal, fixed)

    # ---- couplings ---------------------------------------------------------------------------
    couplings = {}
    for rec in files["couplings"].values():
        if isinstance(rec, _Record) and rec.kind == "Coupling":
            where = f"couplings.py: {rec['name']}"
            _, names = compile_expression(str(rec["value"]), where)
            missing = sorted(names - defined)
            if missing:
                raise UFOError(f"{where}: refers to {', '.join(repr(m) for m in missing)}, which no parameter defines")
            couplings[rec["name"]] = (str(rec["value"]), where, tuple(sorted(rec.get("order", {}).items())))
    values = {**external, **derive(external)}
    if restriction is not None:  # what vanishes at the restriction's values is dropped, as MadGraph does
        couplings = {k: c for k, c in couplings.items()
                     if abs(evaluate(compile_expression(c[0], c[1])[0], values, c[1])) > 1e-300}

    # ---- particles -----------------------------------------------------------------------------
    zero_names = {n for n, v in {**fixed, **derive(external)}.items() if isinstance(v, (int, float)) and v == 0}
    particles, by_object, dropped = {}, {}, set()
    for obj, rec in files["particles"].items():
        if not isinstance(rec, _Record):
            continue
        where = rec.where
        spin = int(rec.get("spin", 0))
        if spin < 0 or rec.get("GhostNumber", 0) or rec.get("goldstone") or rec.get("GoldstoneBoson"):
            dropped.add(obj)
            continue
        pdg = int(rec["pdg_code"])
        colour = int(rec.get("color", 1))
        if colour not in (1, 3, -3, 8):
            raise UFOError(f"{where}: colour representation {colour} is not supported (1, 3, 8)")
        mass, width = (_param_name(rec.get(k), zero_names) for k in ("mass", "width"))
        name, anti = str(rec["name"]), str(rec.get("antiname", rec["name"]))
        if pdg < 0 or colour == -3:  # declared as the antiparticle: numhep keeps the particle
            pdg, name, anti, colour = -pdg, anti, name, abs(colour)
        particles[pdg] = Particle(pdg, name, anti, spin, abs(colour), mass, width, float(rec.get("charge", 0.0)))
        by_object[obj] = pdg if int(rec["pdg_code"]) > 0 else -pdg
    for obj, rec in files["particles"].items():
        if isinstance(rec, _Ref) and rec.anti:
            if rec.name in dropped:
                dropped.add(obj)
            elif rec.name in by_object:
                base = by_object[rec.name]
                by_object[obj] = base if particles[abs(base)].self_conjugate else -base
            else:
                raise UFOError(f"particles.py: {obj} is the antiparticle of {rec.name!r}, which is not defined")

    # ---- vertices ------------------------------------------------------------------------------
    lorentz = {obj: rec for obj, rec in files["lorentz"].items() if isinstance(rec, _Record)}
    lorentz.update({rec["name"]: rec for rec in list(lorentz.values())})
    vertices, unsupported = [], []
    for rec in files["vertices"].values():
        if not isinstance(rec, _Record) or rec.kind != "Vertex":
            continue
        try:
            vertices.extend(_vertices(rec, by_object, dropped, particles, lorentz, couplings))
        except _UnsupportedVertex as exc:
            unsupported.append((exc.particles, exc.orders, str(exc)))
    decays = _decays(files["decays"], by_object, dropped, particles, defined)
    orders = {}
    for rec in files["coupling_orders"].values():
        if isinstance(rec, _Record) and rec.kind == "CouplingOrder":
            orders[str(rec["name"])] = (int(rec.get("hierarchy", 1)), int(rec.get("expansion_order", 99)))

    numhep_couplings = {k: (text, where) for k, (text, where, _) in couplings.items()}
    model = Model(name=model_name, inputs=external, derive=derive,
                  description=f"UFO model {folder.resolve()}" + (f", restricted by {restriction.name}" if restriction
                                                                else ""),
                  particles=particles, vertices=tuple(vertices), lha=lha, couplings=numhep_couplings,
                  coupling_orders=orders, unsupported_vertices=tuple(unsupported), decays=decays)
    return model


def _decays(records, by_object, dropped, particles, defined) -> dict:
    """decays.py: {pdg: {(name, name): (expression, where)}} of the particles numhep keeps."""

    def name(ref, where):
        if ref.name not in by_object:
            raise UFOError(f"{where}: particle {ref.name!r} is not defined in particles.py")
        q = by_object[ref.name]
        part = particles[abs(q)]
        return part.name if q > 0 or part.self_conjugate else part.antiname

    out = {}
    for rec in records.values():
        if not isinstance(rec, _Record) or rec.kind != "Decay" or rec["particle"].name in dropped:
            continue
        where = rec.where
        name(rec["particle"], where)  # an undefined particle is an error naming it
        pdg = abs(by_object[rec["particle"].name])
        for products, text in rec.get("partial_widths", {}).items():
            refs = products if isinstance(products, tuple) else (products,)
            if any(r.name in dropped for r in refs):
                continue
            _, names = compile_expression(str(text), where)
            missing = sorted(names - defined)
            if missing:
                raise UFOError(f"{where}: a width refers to {', '.join(repr(m) for m in missing)}, which no parameter "
                               "defines")
            out.setdefault(pdg, {})[tuple(sorted(name(r, where) for r in refs))] = (str(text), where)
    return out


def _restriction(folder: Path, restrict):
    if restrict is None:
        return None, folder.name
    if restrict == "default":
        path = folder / "restrict_default.dat"
        return (path if path.is_file() else None), folder.name
    path = Path(restrict)
    if not path.is_absolute() and not path.exists():
        path = folder / path
    if not path.is_file():
        raise UFOError(f"{path}: no such restriction card")
    label = path.stem.removeprefix("restrict_")
    return path, folder.name if label == "default" else f"{folder.name}-{label}"


def _param_name(ref, zero_names):
    if ref is None:
        return None
    name = ref.name if isinstance(ref, _Ref) else str(ref)
    return None if name in zero_names or name == "ZERO" else name


class _UnsupportedVertex(UFOError):
    """A vertex whose Lorentz or colour structure (or number of legs) numhep has no kernel
    for.  The model still loads: the vertex is kept in ``Model.unsupported_vertices``, and
    compiling a process that could use it is refused with this message (MadGraph's heft, for
    one, has ggg H and gggg H vertices beside the gg H one that ``p p > h`` needs)."""

    def __init__(self, message, particles, orders):
        super().__init__(message)
        self.particles, self.orders = particles, orders


def _vertices(rec, by_object, dropped, particles, lorentz, couplings):
    """numhep vertices for one UFO vertex: one per kernel, colour structure and coupling order."""
    refs = rec["particles"]
    if any(r.name in dropped for r in refs):
        return []
    missing = [r.name for r in refs if r.name not in by_object]
    if missing:
        raise UFOError(f"{rec.where}: particle {missing[0]!r} is not defined in particles.py")
    pdgs = tuple(by_object[r.name] for r in refs)
    live = {}
    for key, gref in rec["couplings"].items():
        gname = gref.name if isinstance(gref, _Ref) else str(gref)
        if gname in couplings:  # else it vanishes under the restriction
            live[key] = gname
    if not live:
        return []
    all_orders = tuple(sorted({o for g in live.values() for o in couplings[g][2]}))
    spins = tuple(particles[abs(p)].spin for p in pdgs)
    family = lorentz_kind(spins)
    if family is None:
        raise _UnsupportedVertex(f"{rec.where}: numhep has no vertex kernel for particles of spins {spins} "
                                f"({', '.join(r.name for r in refs)})", pdgs, all_orders)
    if family in ("FFV", "FFS") and not (pdgs[0] < 0 < pdgs[1]):
        # numhep's fermion lines run from a fermion to its antifermion partner; two fermions (or
        # a Majorana one) at a vertex need charge-conjugate spinors, which it does not have
        raise _UnsupportedVertex(f"{rec.where}: a vertex of two fermions or two antifermions, or of a Majorana "
                                 f"fermion ({', '.join(r.name for r in refs)}): numhep's fermion flow has no "
                                 "charge-conjugate spinors", pdgs, all_orders)
    colours = tuple(particles[abs(p)].colour * (-1 if p < 0 and particles[abs(p)].colour == 3 else 1) for p in pdgs)
    groups = {}
    for (ci, li), gname in live.items():
        lref = rec["lorentz"][li]
        lname = lref.name if isinstance(lref, _Ref) else str(lref)
        if lname not in lorentz:
            raise UFOError(f"{rec.where}: Lorentz structure {lname!r} is not defined in lorentz.py")
        structure = lorentz[lname]["structure"]
        where = f"{rec.where}, {lname}"
        try:
            kind = refined_kind(family, structure, where)
            coeffs = lorentz_coefficients(kind, structure, where)
            colour, sign = colour_structure(str(rec["color"][ci]), colours,
                                            f"{rec.where}, colour {rec['color'][ci]!r}")
        except UFOError as exc:
            if "cannot read" in str(exc):
                raise
            raise _UnsupportedVertex(str(exc), pdgs, all_orders) from None
        orders = couplings[gname][2]
        groups.setdefault((kind, colour, orders), []).append((gname, tuple(sign * c for c in coeffs)))
    out = []
    for (kind, colour, orders), terms in groups.items():
        text_terms = {g: couplings[g][:2] for g, _ in terms}
        out.append(Vertex(pdgs, kind, colour, orders, UFOVertexCouplings(terms, text_terms),
                          f"{rec['name']}" + (f" ({kind}, {colour})" if len(groups) > 1 else "")))
    return out


def is_ufo_folder(path) -> bool:
    """Whether ``path`` is a folder holding a UFO model (it has ``particles.py``)."""
    try:
        return os.path.isdir(path) and os.path.isfile(os.path.join(path, "particles.py"))
    except TypeError:
        return False
