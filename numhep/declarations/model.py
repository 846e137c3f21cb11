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
from dataclasses import dataclass, field
from typing import Callable


class Dual:
    """a + b eps with eps^2 = 0: exact first derivatives of scalar formulas (real or complex)."""

    __slots__ = ("a", "b")

    def __init__(self, a, b=0.0):
        self.a, self.b = a, b

    @staticmethod
    def lift(v):
        return v if isinstance(v, Dual) else Dual(v)

    def __add__(self, o):
        o = Dual.lift(o)
        return Dual(self.a + o.a, self.b + o.b)

    __radd__ = __add__

    def __sub__(self, o):
        o = Dual.lift(o)
        return Dual(self.a - o.a, self.b - o.b)

    def __rsub__(self, o):
        return Dual.lift(o) - self

    def __mul__(self, o):
        o = Dual.lift(o)
        return Dual(self.a * o.a, self.a * o.b + self.b * o.a)

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = Dual.lift(o)
        return Dual(self.a / o.a, (self.b * o.a - self.a * o.b) / (o.a * o.a))

    def __rtruediv__(self, o):
        return Dual.lift(o) / self

    def __neg__(self):
        return Dual(-self.a, -self.b)

    def __pow__(self, k):
        if isinstance(k, Dual):
            raise TypeError("Dual ** Dual is not supported")
        return Dual(self.a**k, k * self.a ** (k - 1) * self.b)

    def sqrt(self):
        r = math.sqrt(self.a)
        if self.b == 0:  # a constant, even at 0 (aS = 0 while differentiating in MZ)
            return Dual(r, 0.0)
        if r == 0:
            raise ValueError("the derivative of sqrt at 0 is infinite")
        return Dual(r, self.b / (2.0 * r))

    def __float__(self):
        return float(self.a)

    def cos(self):
        return Dual(math.cos(self.a), -math.sin(self.a) * self.b)

    def sin(self):
        return Dual(math.sin(self.a), math.cos(self.a) * self.b)


def sqrt(v):
    """Square root for floats and :class:`Dual` numbers (use it in ``derive``)."""
    return v.sqrt() if isinstance(v, Dual) else math.sqrt(v)


def cos(v):
    """Cosine for floats and :class:`Dual` numbers (use it in ``derive``)."""
    return v.cos() if isinstance(v, Dual) else math.cos(v)


def sin(v):
    """Sine for floats and :class:`Dual` numbers (use it in ``derive``)."""
    return v.sin() if isinstance(v, Dual) else math.sin(v)


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
        ``"VVS"``, ``"VVSS"`` (vectors first), ``"SSS"`` or ``"SSSS"``
        (:mod:`numhep.kernels.vertices`).
    colour : str
        ``"none"``, ``"delta"`` (delta_ij of the fermion and antifermion), ``"T"``
        (T^a_ij: vector a, fermion i, antifermion j), ``"f"`` (f^abc in leg order), or
        ``"ff:abe,cde"``-style products for four gluons.
    orders : tuple of (str, int)
        Coupling orders, e.g. ``(("QCD", 1),)``.
    couplings : callable
        ``couplings(params) -> tuple of complex`` (including the i of the Feynman rule):
        (cL, cR) for FFV and FFS; (c,) for VVV, VVS and SSS; (c x1, c x2, c x3) for VVVV with
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
            A particle or antiparticle name (``u``, ``u~``, ``w+``, ``a``).

        Returns
        -------
        int
            Its PDG code (negative for an antiparticle).

        Raises
        ------
        KeyError
            If no particle has that name; the message lists the known names.
        """
        for p in self.particles.values():
            if name == p.name:
                return p.pdg
            if name == p.antiname:
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
        values = dict(self.inputs)
        for key, val in (overrides or {}).items():
            if key not in self.inputs:
                raise KeyError(f"{self.name}: {key!r} is not an input parameter (inputs: {', '.join(self.inputs)})")
            value = float(val)
            if not math.isfinite(value):
                raise ValueError(f"params[{key!r}]: must be finite, got {value}")
            if key in self._masses_and_widths and value < 0:
                raise ValueError(f"params[{key!r}]: a mass or width must not be negative, got {value}")
            values[key] = value
        try:
            derived = self.derive(values)
        except (ArithmeticError, ValueError) as exc:
            changed = ", ".join(f"{k}={v}" for k, v in (overrides or {}).items())
            raise ValueError(f"{self.name}: the derived parameters cannot be computed from {changed} "
                             f"({type(exc).__name__}: {exc})") from None
        bad = [k for k, v in derived.items() if isinstance(v, (int, float)) and not math.isfinite(v)]
        if bad:
            raise ValueError(f"{self.name}: the inputs give non-finite derived parameters {', '.join(bad)}")
        return {**values, **derived}

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
        base = self.parameters(overrides)
        seeded = {k: Dual(base[k], 1.0 if k == wrt else 0.0) for k in self.inputs}
        try:
            return {**seeded, **self.derive(seeded)}
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
        base = self.parameters(overrides)
        jac: dict = {}
        for wrt in self.inputs:
            seeded = {k: Dual(base[k], 1.0 if k == wrt else 0.0) for k in self.inputs}
            try:
                derived = self.derive(seeded)
            except (ArithmeticError, ValueError) as exc:
                raise ValueError(f"{self.name}: the derivative in {wrt} cannot be taken at these parameters "
                                 f"({type(exc).__name__}: {exc})") from None
            for name, val in derived.items():
                jac.setdefault(name, {})[wrt] = val.b if isinstance(val, Dual) else 0.0
        return jac
