"""Models as data: parameters, particles and vertices.

A :class:`Model` holds its input parameters (name -> default value) and a function
``derive(inputs) -> dict`` computing derived parameters.  ``jacobian`` gives
d(derived)/d(inputs) by forward-mode differentiation with dual numbers (exact, not
finite differences), which chains parameter gradients from couplings to inputs.

For the process compiler a model also lists its particles (:class:`Particle`) and
vertices (:class:`Vertex`).  A vertex names its particles as all *outgoing* PDG codes, a
Lorentz structure from a closed list (FFV, FFS, VVV, VVVV, VVS, VVSS, SSS, SSSS; see
:mod:`numhep.kernels.vertices`), a colour structure, its coupling orders and a
function of the parameters returning its couplings (which include the i of the
Feynman rule).
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from typing import Callable

from numhep.declarations.decay_widths import partial_widths, total_width
from numhep.declarations.dual_numbers import Dual
from numhep.declarations.slha import AUTO, read_param_card
from numhep.declarations.ufo_expressions import compile_expression, evaluate


@dataclass(frozen=True)
class Particle:
    """A particle species of a model.

    Its antiparticle has PDG code -pdg unless it is self-conjugate (``name == antiname``).

    Parameters
    ----------
    pdg : int
        PDG code of the particle (positive).
    name : str
        Name in MadGraph's spelling (``"u"``, ``"e-"``, ``"w+"``).
    antiname : str
        Name of the antiparticle (equal to ``name`` for a self-conjugate particle).
    spin : int
        2s + 1: 1 scalar, 2 fermion, 3 vector.
    colour : int
        Colour representation: 1, 3 (the antiparticle 3bar) or 8.
    mass : str or None, optional
        Name of the model parameter holding its mass (None: massless).
    width : str or None, optional
        Name of the model parameter holding its width (None: stable).
    charge : float, optional
        Electric charge in units of e (default 0).

    Examples
    --------
    >>> top = numhep.model("sm").particle(6)
    >>> top.name, top.antiname, top.mass, top.width, top.self_conjugate
    ('t', 't~', 'MT', 'WT', False)
    """

    pdg: int
    name: str
    antiname: str
    spin: int  # 2s + 1: 1 scalar, 2 fermion, 3 vector
    colour: int  # 1, 3 (antiparticle 3bar) or 8
    mass: str | None = None  # parameter names
    width: str | None = None
    charge: float = 0.0

    @property
    def self_conjugate(self) -> bool:
        """bool: Whether the particle is its own antiparticle."""
        return self.name == self.antiname


@dataclass(frozen=True)
class Vertex:
    """An interaction vertex of a model: its particles, Lorentz and colour structure, couplings.

    Parameters
    ----------
    particles : tuple of int
        Outgoing PDG codes in the Lorentz structure's leg order.
    lorentz : str
        ``"FFV"`` (antifermion, fermion, vector), ``"FFS"``, ``"VVV"``, ``"VVVV"``,
        ``"VVS"``, ``"VVS_EFF"`` (a scalar coupled to two field strengths, the effective
        g g H vertex), ``"VVSS"`` (vectors first), ``"SSS"`` or ``"SSSS"``
        (:mod:`numhep.kernels.vertices`).
    colour : str
        ``"none"``, ``"delta"`` (delta_ij of the fermion and antifermion, or delta^ab of two gluons), ``"T"``
        (T^a_ij: vector a, fermion i, antifermion j), ``"f"`` (f^abc in leg order), or
        ``"ff:abe,cde"``-style products for four gluons.
    orders : tuple of (str, int)
        Coupling orders, e.g. ``(("QCD", 1),)``.
    couplings : callable
        ``couplings(params) -> tuple of complex`` (including the i of the Feynman rule):
        (cL, cR) for FFV and FFS; (c,) for VVV, VVS, VVS_EFF and SSS; (c x1, c x2, c x3) for VVVV with
        x the coefficients of g12 g34, g13 g24, g14 g23.
    name : str, optional
        A name for messages.

    Examples
    --------
    >>> sm = numhep.model("sm")
    >>> vertex = sm.vertices[0]
    >>> vertex.name, vertex.particles, vertex.lorentz, vertex.colour, vertex.orders
    ('ddg', (-1, 1, 21), 'FFV', 'T', (('QCD', 1),))
    >>> len(vertex.couplings(sm.parameters()))
    2
    """

    particles: tuple
    lorentz: str
    colour: str
    orders: tuple  # e.g. (("QCD", 1),)
    couplings: Callable[[dict], tuple]
    name: str = ""


@dataclass
class Model:
    """A model as data: input parameters, derived parameters, particles and vertices.

    The derived parameters are computed by ``derive`` from the inputs; :meth:`jacobian` gives
    d(derived)/d(inputs) exactly, by forward-mode differentiation with :class:`Dual`
    numbers, which chains parameter gradients from couplings to inputs.  The Standard Model
    in MadGraph's ``sm`` conventions is ``numhep.model("sm")``.

    Parameters
    ----------
    name : str
        The model's name.
    inputs : dict of str to float
        Input parameters and their default values (GeV for masses and widths).
    derive : callable
        ``derive(values) -> dict`` of derived parameters from a dict of inputs; written with
        :func:`sqrt`, :func:`cos`, :func:`sin` and arithmetic, so that it also takes
        :class:`Dual` numbers.
    description : str, optional
        One line of text.
    units : dict, optional
        Units of parameters, for display.
    particles : dict of int to Particle, optional
        The particles by positive PDG code, for the process compiler.
    vertices : tuple of Vertex, optional
        The vertices, for the process compiler.
    lha : dict, optional
        ``{input name: (block, codes)}``: where each input sits in a param card (SLHA), so
        that ``params="param_card.dat"`` works and cards can be written.
    couplings : dict, optional
        A UFO model's couplings, ``{name: (expression, where)}``, for :meth:`value`.
    coupling_orders : dict, optional
        ``{order: (hierarchy, expansion order)}`` as a UFO's ``coupling_orders.py`` declares
        them: MadGraph's default for a process keeps the diagrams of least
        WEIGHTED = sum of hierarchy x order, each order at most its expansion order.  Empty
        means QCD 1 and QED 2, the SM's.
    decays : dict, optional
        A UFO folder's ``decays.py``: ``{pdg: {(name, name): (expression, where)}}``, the
        analytic partial widths it declares (:meth:`partial_widths` with ``source="ufo"``).
    unsupported_vertices : tuple, optional
        ``(particles, orders, message)`` of each vertex the model declares but numhep has
        no kernel for; a process that could use one is refused with its message.

    Examples
    --------
    >>> from numhep.declarations import Model
    >>> toy = Model("toy", {"M": 2.0}, lambda v: {"M2": v["M"] ** 2})
    >>> toy.parameters()
    {'M': 2.0, 'M2': 4.0}
    >>> toy.parameters({"M": 3.0})["M2"]
    9.0
    >>> toy.jacobian()
    {'M2': {'M': 4.0}}
    """

    name: str
    inputs: dict
    derive: Callable[[dict], dict]
    description: str = ""
    units: dict = field(default_factory=dict)
    particles: dict = field(default_factory=dict)  # pdg -> Particle (positive codes)
    vertices: tuple = ()
    lha: dict = field(default_factory=dict)  # input name -> (SLHA block, codes), for param cards
    couplings: dict = field(default_factory=dict)  # a UFO model's couplings: name -> (expression, where)
    coupling_orders: dict = field(default_factory=dict)  # order -> (hierarchy, expansion order)
    decays: dict = field(default_factory=dict)  # a UFO's decays.py: pdg -> {(a, b): (expression, where)}
    unsupported_vertices: tuple = ()  # (particles, orders, message)

    def particle(self, pdg: int) -> Particle:
        """The particle with PDG code ``pdg`` (or its antiparticle, -pdg).

        Parameters
        ----------
        pdg : int
            PDG code, of either sign.

        Returns
        -------
        Particle
            The particle species (listed under its positive code).

        Raises
        ------
        KeyError
            If the model has no such particle.
        """
        return self.particles[abs(pdg)]

    def lookup(self, name: str) -> int:
        """The PDG code of a particle named in MadGraph's spelling.

        Parameters
        ----------
        name : str
            A particle or antiparticle name (``u``, ``u~``, ``w+``, ``a``); when no name matches
            exactly, a match regardless of case (MadGraph's ``W+`` for a model's ``w+``).

        Returns
        -------
        int
            Its PDG code (negative for an antiparticle).

        Raises
        ------
        KeyError
            If no particle has that name; the message lists the known names.
        """
        for exact, spelling in ((True, name), (False, name.lower())):
            for p in self.particles.values():
                names = (p.name, p.antiname) if exact else (p.name.lower(), p.antiname.lower())
                if spelling == names[0]:
                    return p.pdg
                if spelling == names[1]:
                    return p.pdg if p.self_conjugate else -p.pdg
        known = sorted({p.name for p in self.particles.values()} | {p.antiname for p in self.particles.values()})
        raise KeyError(f"unknown particle {name!r} in model {self.name!r}; known: {' '.join(known)}")

    def name_of(self, pdg: int) -> str:
        """The name of the particle with PDG code ``pdg``.

        Parameters
        ----------
        pdg : int
            PDG code, negative for an antiparticle.

        Returns
        -------
        str
            The particle's or antiparticle's name.
        """
        p = self.particle(pdg)
        return p.name if pdg > 0 or p.self_conjugate else p.antiname

    def anti(self, pdg: int) -> int:
        """The PDG code of the antiparticle.

        Parameters
        ----------
        pdg : int
            PDG code.

        Returns
        -------
        int
            -pdg, or pdg for a self-conjugate particle.
        """
        return pdg if self.particle(pdg).self_conjugate else -pdg

    def parameters(self, overrides: dict | None = None) -> dict:
        """The inputs (with overrides) and every derived parameter, as floats.

        Parameters
        ----------
        overrides : dict, optional
            New values of input parameters; each must be finite, and masses and widths (the
            particles' parameters) non-negative.

        Returns
        -------
        dict of str to float
            Every input and derived parameter.

        Raises
        ------
        KeyError
            If an override names no input parameter.
        ValueError
            If an override is not finite, a mass or width is negative, or the derived
            parameters cannot be computed from the inputs (or are not finite).
        """
        overrides = self.as_overrides(overrides)
        values = dict(self.inputs)
        for key, val in overrides.items():
            if key not in self.inputs:
                raise KeyError(f"{self.name}: {key!r} is not an input parameter (inputs: {', '.join(self.inputs)})")
            if isinstance(val, str) and val.lower() == AUTO:
                if key not in self._width_of:
                    raise ValueError(f"params[{key!r}]: 'auto' computes a particle's width; {key} is not one")
                values[key] = 0.0
                continue
            value = float(val)
            if not math.isfinite(value):
                raise ValueError(f"params[{key!r}]: must be finite, got {value}")
            if key in self._masses_and_widths and value < 0:
                raise ValueError(f"params[{key!r}]: a mass or width must not be negative, got {value}")
            values[key] = value
        full = self._derived(values, overrides)
        auto = self._auto(overrides)
        if auto:  # the widths follow from the other parameters, which do not depend on them
            for key in auto:
                values[key] = float(total_width(self, self._width_of[key], full))
            full = self._derived(values, overrides)
        return full

    def _derived(self, values: dict, overrides: dict) -> dict:
        try:
            derived = self.derive(values)
        except (ArithmeticError, ValueError) as exc:
            changed = ", ".join(f"{k}={v}" for k, v in overrides.items())
            raise ValueError(f"{self.name}: the derived parameters cannot be computed from {changed} "
                             f"({type(exc).__name__}: {exc})") from None
        bad = [k for k, v in derived.items() if isinstance(v, (int, float)) and not math.isfinite(v)]
        if bad:
            raise ValueError(f"{self.name}: the inputs give non-finite derived parameters {', '.join(bad)}")
        return {**values, **derived}

    def _auto(self, overrides: dict) -> list:
        return [k for k, v in overrides.items() if isinstance(v, str) and v.lower() == AUTO]

    @functools.cached_property
    def _width_of(self) -> dict:
        """{width parameter: PDG code of its particle}."""
        return {p.width: p.pdg for p in self.particles.values() if p.width}

    def as_overrides(self, params) -> dict:
        """``params`` as a dict of input overrides: a dict as it is, a param card's path read.

        Parameters
        ----------
        params : dict, str, os.PathLike or None
            Overrides by name, or the path of a param card (SLHA) whose blocks this model's
            ``lha`` maps to its inputs; a width may be ``auto`` in either.

        Returns
        -------
        dict
            The overrides.

        Raises
        ------
        ValueError
            If a card is given to a model that knows no SLHA blocks, or cannot be read.
        """
        if params is None:
            return {}
        if isinstance(params, (str, os.PathLike)):
            if not self.lha:
                raise ValueError(f"params={str(params)!r}: model {self.name!r} maps no input to a param card block")
            return read_param_card(params, self.lha)
        return dict(params)

    def value(self, name: str, params=None):
        """The value of any parameter or coupling of the model.

        Parameters
        ----------
        name : str
            An input (``MZ``), a derived parameter (``MW``, ``sw2``) or, for a UFO model, a
            coupling (``GC_11``).
        params : dict, str or os.PathLike, optional
            Input overrides or a param card, as for :meth:`parameters`.

        Returns
        -------
        float or complex
            The value.

        Raises
        ------
        KeyError
            If the model has nothing of that name.

        Examples
        --------
        >>> sm = numhep.model("sm")
        >>> round(sm.value("MW"), 4), round(sm.value("MW", {"MZ": 91.0}), 4)
        (80.419, 80.1866)
        """
        values = self.parameters(params)
        if name in values:
            return values[name]
        if name in self.couplings:
            text, where = self.couplings[name]
            return evaluate(compile_expression(text, where)[0], values, where)
        raise KeyError(f"{self.name}: no parameter or coupling named {name!r}")

    def partial_widths(self, particle, params=None, source: str = "vertices") -> dict:
        """The tree-level two-body partial widths of a particle, computed from the vertices.

        See :mod:`numhep.declarations.decay_widths` for the formulas.

        Parameters
        ----------
        particle : str or int
            The particle's name or PDG code.
        params : dict, str or os.PathLike, optional
            Input overrides or a param card, as for :meth:`parameters`.
        source : str, optional
            ``"vertices"`` (default): computed by numhep from the model's vertices;
            ``"ufo"``: the analytic expressions of a UFO folder's ``decays.py``, evaluated at
            the same parameters (channels the restriction closes give 0), a cross-check of the
            first.

        Returns
        -------
        dict
            ``{(name, name): width in GeV}`` for every open channel (names sorted).

        Raises
        ------
        ValueError
            For ``source="ufo"`` when the model has no ``decays.py`` entry for the particle,
            or an unknown ``source``.

        Examples
        --------
        >>> numhep.model("sm").partial_widths("t")
        {('b', 'w+'): 1.4914721439113912}
        """
        if source == "vertices":
            return {k: float(v) for k, v in partial_widths(self, particle, self.parameters(params)).items()}
        if source != "ufo":
            raise ValueError(f"source: expected 'vertices' or 'ufo', got {source!r}")
        pdg = abs(self.lookup(particle) if isinstance(particle, str) else int(particle))
        if pdg not in self.decays:
            raise ValueError(f"{self.name}: no decays.py widths for {self.particle(pdg).name!r}")
        values = self.parameters(params)
        out = {}
        for products, (text, where) in self.decays[pdg].items():
            width = evaluate(compile_expression(text, where)[0], values, where)
            width = float(width.real if isinstance(width, complex) else width)
            if width != 0.0:
                out[products] = width
        return out

    def width(self, particle, params=None, grad: tuple = ()):
        """The tree-level two-body width of a particle (GeV), and its derivatives.

        What ``DECAY pdg auto`` in a param card, or ``params={"WT": "auto"}``, puts in the
        width parameter.

        Parameters
        ----------
        particle : str or int
            The particle's name or PDG code.
        params : dict, str or os.PathLike, optional
            Input overrides or a param card, as for :meth:`parameters`.
        grad : tuple of str, optional
            Inputs to differentiate in.

        Returns
        -------
        float or tuple
            The width; with ``grad``, ``(width, {input: d width / d input})``.

        Examples
        --------
        >>> sm = numhep.model("sm")
        >>> round(sm.width("z"), 6)
        2.441755
        >>> gamma, d = sm.width("t", grad=("MT",))
        >>> round(d["MT"], 5)
        0.03023
        """
        gamma = float(total_width(self, particle, self.parameters(params)))
        if not grad:
            return gamma
        return gamma, {wrt: float(Dual.lift(total_width(self, particle, self.seeded(wrt, params))).b) for wrt in grad}

    @functools.cached_property
    def _masses_and_widths(self) -> frozenset:
        """The names of the parameters that are a particle's mass or width."""
        return frozenset(name for p in self.particles.values() for name in (p.mass, p.width) if name)

    def seeded(self, wrt: str, overrides: dict | None = None) -> dict:
        """Every parameter as a :class:`Dual` carrying its derivative in one input.

        Parameters
        ----------
        wrt : str
            The input parameter to differentiate in.
        overrides : dict, optional
            New values of input parameters, as for :meth:`parameters`.

        Returns
        -------
        dict
            Inputs and derived parameters as :class:`Dual` (or plain numbers for derived
            parameters that do not depend on the inputs).

        Raises
        ------
        ValueError
            If the derivative cannot be taken at these parameters.
        """
        return self._seeded(wrt, self.as_overrides(overrides))

    def _seeded(self, wrt: str, overrides: dict, base: dict | None = None) -> dict:
        base = self.parameters(overrides) if base is None else base
        seeded = {k: Dual(base[k], 1.0 if k == wrt else 0.0) for k in self.inputs}
        try:
            full = {**seeded, **self.derive(seeded)}
            auto = self._auto(overrides)
            if auto:  # an automatic width moves with what it is computed from
                for key in auto:
                    seeded[key] = Dual.lift(total_width(self, self._width_of[key], full))
                full = {**seeded, **self.derive(seeded)}
            return full
        except (ArithmeticError, ValueError) as exc:
            raise ValueError(f"{self.name}: the derivative in {wrt} cannot be taken at these parameters "
                             f"({type(exc).__name__}: {exc})") from None

    def jacobian(self, overrides: dict | None = None) -> dict:
        """The derivatives of the derived parameters in the inputs, by dual numbers.

        Parameters
        ----------
        overrides : dict, optional
            New values of input parameters, as for :meth:`parameters`.

        Returns
        -------
        dict
            ``{derived name: {input name: d derived / d input}}``.

        Raises
        ------
        ValueError
            If a derivative cannot be taken at these parameters.
        """
        overrides = self.as_overrides(overrides)
        auto = set(self._auto(overrides))
        base = self.parameters(overrides)
        jac: dict = {}
        for wrt in self.inputs:
            full = self._seeded(wrt, overrides, base)
            for name, val in full.items():
                if name not in self.inputs or name in auto:
                    jac.setdefault(name, {})[wrt] = val.b if isinstance(val, Dual) else 0.0
        return jac
