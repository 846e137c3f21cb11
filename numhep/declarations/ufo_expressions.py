"""The expressions of a UFO model (parameter values, couplings, partial widths) as safe,
differentiable Python.

UFO stores every internal parameter and coupling as a string of Python syntax over the
model's names, ``cmath``, ``complex(0,1)`` and a small function library
(``complexconjugate``, ``re``, ``im``, ``sec``, ``csc``, ``asec``, ``acsc``, ``cot``, ``cond``,
``reglog``, ...), see Degrande, Duhr, Fuks, Grellscheid, Mattelaer & Reiter, "UFO - The
Universal FeynRules Output", arXiv:1108.2040, Sec. 3.  numhep never executes a UFO file: an
expression is parsed with :mod:`ast`, checked to hold only numbers, names, arithmetic and calls
of that library (anything else is an error naming the file and the item), and evaluated on
floats, complex numbers or :class:`~numhep.declarations.dual_numbers.Dual` numbers.  On duals each
function carries its derivative, f(a + b eps) = f(a) + f'(a) b eps, which is how parameter
gradients reach the inputs through the model's expressions.
"""

from __future__ import annotations

import ast
import cmath
import math

from numhep.declarations.dual_numbers import Dual

__all__ = ["UFOError", "compile_expression", "evaluate"]


class UFOError(ValueError):
    """A UFO folder that cannot be read: the message names the file and the item.

    Examples
    --------
    >>> from numhep.plugin import UFOError, load_ufo
    >>> try:
    ...     load_ufo("no/such/folder")
    ... except UFOError as exc:
    ...     print(exc)
    no/such/folder: not a UFO folder (no such directory)
    """


def _unary(f, df):
    def apply(x):
        if isinstance(x, Dual):
            return Dual(f(x.a), df(x.a) * x.b)
        return f(x)

    return apply


def _real_part(z):
    return z.real if isinstance(z, complex) else z


def _conj(z):
    return z.conjugate() if isinstance(z, complex) else z


def complexconjugate(x):
    """z* (on a dual: conj(a) + conj(b) eps, the derivative in a real input)."""
    if isinstance(x, Dual):
        return Dual(_conj(x.a), _conj(x.b))
    return _conj(x)


def re(x):
    if isinstance(x, Dual):
        return Dual(_real_part(x.a), _real_part(x.b))
    return _real_part(x)


def im(x):
    if isinstance(x, Dual):
        return Dual(complex(x.a).imag, complex(x.b).imag)
    return complex(x).imag


def _abs(x):
    if isinstance(x, Dual):
        r = abs(x.a)
        return Dual(r, (_conj(x.a) * x.b).real / r if isinstance(x.a, complex) else math.copysign(1.0, x.a) * x.b)
    return abs(x)


def cond(condition, if_zero, otherwise):
    """UFO's ``cond(c, a, b)``: a where c == 0, else b."""
    c = condition.a if isinstance(condition, Dual) else condition
    return if_zero if c == 0 else otherwise


class _CMath:
    """``cmath`` (and ``math``) inside an expression: complex-valued, dual-aware."""

    pi = math.pi
    e = math.e
    sqrt = staticmethod(_unary(cmath.sqrt, lambda a: 0.5 / cmath.sqrt(a)))
    exp = staticmethod(_unary(cmath.exp, cmath.exp))
    log = staticmethod(_unary(cmath.log, lambda a: 1.0 / a))
    sin = staticmethod(_unary(cmath.sin, cmath.cos))
    cos = staticmethod(_unary(cmath.cos, lambda a: -cmath.sin(a)))
    tan = staticmethod(_unary(cmath.tan, lambda a: 1.0 / cmath.cos(a) ** 2))
    asin = staticmethod(_unary(cmath.asin, lambda a: 1.0 / cmath.sqrt(1 - a * a)))
    acos = staticmethod(_unary(cmath.acos, lambda a: -1.0 / cmath.sqrt(1 - a * a)))
    atan = staticmethod(_unary(cmath.atan, lambda a: 1.0 / (1 + a * a)))
    sinh = staticmethod(_unary(cmath.sinh, cmath.cosh))
    cosh = staticmethod(_unary(cmath.cosh, cmath.sinh))
    tanh = staticmethod(_unary(cmath.tanh, lambda a: 1.0 / cmath.cosh(a) ** 2))


_LIBRARY = {
    "cmath": _CMath, "math": _CMath, "complex": complex, "complexconjugate": complexconjugate,
    "re": re, "im": im, "abs": _abs, "cond": cond, "sqrt": _CMath.sqrt, "exp": _CMath.exp, "log": _CMath.log,
    "sec": _unary(lambda a: 1 / cmath.cos(a), lambda a: cmath.sin(a) / cmath.cos(a) ** 2),
    "csc": _unary(lambda a: 1 / cmath.sin(a), lambda a: -cmath.cos(a) / cmath.sin(a) ** 2),
    "cot": _unary(lambda a: 1 / cmath.tan(a), lambda a: -1 / cmath.sin(a) ** 2),
    "asec": _unary(lambda a: cmath.acos(1 / a), lambda a: 1 / (a * a * cmath.sqrt(1 - 1 / (a * a)))),
    "acsc": _unary(lambda a: cmath.asin(1 / a), lambda a: -1 / (a * a * cmath.sqrt(1 - 1 / (a * a)))),
    "reglog": _unary(lambda a: 0.0 if a == 0 else cmath.log(a), lambda a: 0.0 if a == 0 else 1.0 / a),
    "arg": _unary(lambda a: cmath.phase(a), lambda a: 0.0),
}

_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Attribute, ast.Constant, ast.Load,
          ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


def compile_expression(text: str, where: str):
    """Parse a UFO expression and check that it holds only arithmetic, numbers, names and calls
    of the UFO function library.

    Parameters
    ----------
    text : str
        The expression, e.g. ``'cmath.sqrt(MZ**2/2. + cmath.sqrt(MZ**4/4. - aEW*cmath.pi*MZ**2/(Gf*sqrt__2)))'``.
    where : str
        Names the file and the item in errors, e.g. ``"parameters.py: MW"``.

    Returns
    -------
    tuple
        ``(code, names)``: the compiled expression and the model names it reads.

    Raises
    ------
    UFOError
        If the text is not an expression of that form.
    """
    try:
        tree = ast.parse(str(text).strip(), mode="eval")
    except SyntaxError as exc:
        raise UFOError(f"{where}: cannot read the expression {text!r} ({exc.msg})") from None
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise UFOError(f"{where}: {type(node).__name__} is not allowed in a UFO expression: {text!r}")
        if isinstance(node, ast.Attribute):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("cmath", "math")
                    and hasattr(_CMath, node.attr)):
                raise UFOError(f"{where}: unknown function {ast.unparse(node)!r} in {text!r}")
        elif isinstance(node, ast.Name) and node.id not in _LIBRARY:
            names.add(node.id)
        elif isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, complex)):
            raise UFOError(f"{where}: the constant {node.value!r} is not a number in {text!r}")
    return compile(tree, where, "eval"), frozenset(names)


def evaluate(code, values: dict, where: str):
    """Evaluate a compiled UFO expression on ``values`` (floats, complex numbers or duals).

    Parameters
    ----------
    code : code object
        From :func:`compile_expression`.
    values : dict
        The model's names and their values.
    where : str
        Names the file and the item in errors.

    Returns
    -------
    float, complex or Dual
        The value.

    Raises
    ------
    UFOError
        If the expression names something the model does not define.
    ValueError
        If it cannot be evaluated at these values (a division by zero, a logarithm of 0).
    """
    try:
        return eval(code, {"__builtins__": {}, **_LIBRARY}, values)  # noqa: S307 - checked by compile_expression
    except NameError as exc:
        raise UFOError(f"{where}: {exc}") from None
    except (ArithmeticError, TypeError) as exc:
        raise ValueError(f"{where}: {type(exc).__name__}: {exc}") from None
