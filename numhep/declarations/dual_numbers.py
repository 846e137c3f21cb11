"""Dual numbers: a + b eps with eps^2 = 0, so that a formula evaluated on them carries its
exact first derivative (forward-mode differentiation).  Models evaluate their derived
parameters, UFO expressions and decay widths on them, which is how parameter gradients reach
a model's inputs; :func:`sqrt`, :func:`cos` and :func:`sin` work on floats and duals alike.
"""

from __future__ import annotations

import math

__all__ = ["Dual", "cos", "sin", "sqrt"]


class Dual:
    """a + b eps with eps^2 = 0: exact first derivatives of scalar formulas (real or complex).

    Arithmetic follows f(a + b eps) = f(a) + f'(a) b eps, so a formula evaluated on
    ``Dual(x, 1)`` returns its value and its derivative in x.

    Parameters
    ----------
    a : float or complex
        The value.
    b : float or complex, optional
        The derivative (default 0: a constant).

    Examples
    --------
    >>> from numhep.plugin import Dual, sqrt
    >>> y = sqrt(Dual(4.0, 1.0)) * 3.0 + 1.0     # 3 sqrt(x) + 1 at x = 4
    >>> y.a, y.b                                 # its value and 3 / (2 sqrt(x))
    (7.0, 0.75)
    """

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
    """Square root for floats and :class:`Dual` numbers (use it in a model's ``derive``).

    Parameters
    ----------
    v : float or Dual
        The argument.

    Returns
    -------
    float or Dual
        The square root, with its derivative for a dual number.

    Examples
    --------
    >>> from numhep.plugin import Dual, sqrt
    >>> sqrt(Dual(9.0, 1.0)).b
    0.16666666666666666
    """
    return v.sqrt() if isinstance(v, Dual) else math.sqrt(v)


def cos(v):
    """Cosine for floats and :class:`Dual` numbers (use it in a model's ``derive``).

    Parameters
    ----------
    v : float or Dual
        The argument.

    Returns
    -------
    float or Dual
        The cosine, with its derivative for a dual number.

    Examples
    --------
    >>> from numhep.plugin import Dual, cos
    >>> cos(Dual(0.0, 1.0)).a
    1.0
    """
    return v.cos() if isinstance(v, Dual) else math.cos(v)


def sin(v):
    """Sine for floats and :class:`Dual` numbers (use it in a model's ``derive``).

    Parameters
    ----------
    v : float or Dual
        The argument.

    Returns
    -------
    float or Dual
        The sine, with its derivative for a dual number.

    Examples
    --------
    >>> from numhep.plugin import Dual, sin
    >>> sin(Dual(0.0, 1.0)).b
    1.0
    """
    return v.sin() if isinstance(v, Dual) else math.sin(v)
