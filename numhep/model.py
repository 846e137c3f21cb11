"""Models as data: named input parameters and the quantities derived from them.

A :class:`Model` holds its input parameters (name -> default value) and a function
``derive(inputs) -> dict`` computing derived parameters.  ``jacobian`` gives
d(derived)/d(inputs) by forward-mode differentiation with dual numbers (exact, not
finite differences), which chains parameter gradients from couplings to inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable


class Dual:
    """a + b eps with eps^2 = 0: exact first derivatives of scalar formulas."""

    __slots__ = ("a", "b")

    def __init__(self, a, b=0.0):
        self.a, self.b = float(a), float(b)

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
        return Dual(r, self.b / (2.0 * r))


def sqrt(v):
    """Square root for floats and :class:`Dual` numbers (use it in ``derive``)."""
    return v.sqrt() if isinstance(v, Dual) else math.sqrt(v)


@dataclass
class Model:
    name: str
    inputs: dict
    derive: Callable[[dict], dict]
    description: str = ""
    units: dict = field(default_factory=dict)

    def parameters(self, overrides: dict | None = None) -> dict:
        """Inputs (with overrides) and every derived parameter, as floats."""
        values = dict(self.inputs)
        for key, val in (overrides or {}).items():
            if key not in self.inputs:
                raise KeyError(f"{self.name}: {key!r} is not an input parameter (inputs: {', '.join(self.inputs)})")
            values[key] = float(val)
        return {**values, **self.derive(values)}

    def jacobian(self, overrides: dict | None = None) -> dict:
        """{derived name: {input name: d derived / d input}} by dual numbers."""
        base = self.parameters(overrides)
        jac: dict = {}
        for wrt in self.inputs:
            seeded = {k: Dual(base[k], 1.0 if k == wrt else 0.0) for k in self.inputs}
            for name, val in self.derive(seeded).items():
                jac.setdefault(name, {})[wrt] = val.b if isinstance(val, Dual) else 0.0
        return jac
