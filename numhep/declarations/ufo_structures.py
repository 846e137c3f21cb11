"""A UFO vertex's Lorentz and colour structures, mapped onto numhep's vertex kernels.

UFO writes a vertex as sum_{c,l} G_{cl} C_c L_l with colour tensors C_c and Lorentz tensors
L_l given as strings (Degrande et al., arXiv:1108.2040, Secs. 2.3-2.5).  numhep's kernels
(:mod:`numhep.kernels.vertices`) take a fixed set of Lorentz shapes with a few coefficients
each, so a structure string is expanded into a polynomial in UFO's building blocks
(``Gamma``, ``ProjM``, ``ProjP``, ``Identity``, ``Metric``, ``P``) and matched:

======  ==============================================================  =========================
kernel  UFO structure                                                    coefficients
======  ==============================================================  =========================
FFV     ``Gamma(3,2,-1)*ProjM(-1,1)``, ``...ProjP(-1,1)``, ``Gamma(3,2,1)``  (c_L, c_R) of gamma^mu P_L,R
FFS     ``ProjM(2,1)``, ``ProjP(2,1)``, ``Identity(2,1)``                (c_L, c_R) of P_L, P_R
VVV     the Yang-Mills structure of MadGraph's ``VVV1``                   its multiple
VVVV    ``Metric(1,2)*Metric(3,4)``, ``Metric(1,3)*...``, ``Metric(1,4)*...``  (x_12,34, x_13,24, x_14,23)
VVS     ``Metric(1,2)``                                                   1
VVS_EFF ``P(1,2)*P(2,1) - P(-1,1)*P(-1,2)*Metric(1,2)`` (S F_munu F^munu)  its multiple
VVSS    ``Metric(1,2)``                                                   1
SSS     ``1``                                                             1
SSSS    ``1``                                                             1
======  ==============================================================  =========================

so FFV1-FFV5 (any chiral combination), FFS1-FFS4, VVV1, VVVV1-VVVV5, VVS1, VVSS1, SSS1,
SSSS1 and the effective scalar-vector-vector vertex of MadGraph's ``heft`` (its ``VVS3``, the
gluon-gluon-Higgs coupling of the heavy-top limit) all map, and a structure with another shape
(momenta in a fermion current, ``Epsilon``) is an error naming the vertex and the structure.
Colour: ``1``, ``Identity(1,2)`` (a quark pair or two gluons), ``T(3,2,1)``, ``f(a,b,c)``,
``d(a,b,c)``, ``Epsilon(i,j,k)`` and ``EpsilonBar(i,j,k)`` (three triplets or antitriplets, e.g.
the baryon-number-violating couplings of R-parity-violating SUSY) and products
``f(.,.,e)*f(.,.,e)`` (the four-gluon vertex), with the sign of a permuted ``f`` or epsilon
folded into the coupling.
"""

from __future__ import annotations

import ast
import itertools

from numhep.declarations.ufo_expressions import UFOError

__all__ = ["colour_structure", "lorentz_coefficients", "lorentz_kind", "refined_kind"]


def _polynomial(text: str, where: str) -> dict:
    """{monomial: coefficient}, a monomial a sorted tuple of (function, arguments) atoms."""
    try:
        tree = ast.parse(str(text).strip(), mode="eval").body
    except SyntaxError:
        raise UFOError(f"{where}: cannot read the structure {text!r}") from None

    def expand(node) -> dict:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return {(): float(node.value)}
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign = -1 if isinstance(node.op, ast.USub) else 1
            return {m: sign * c for m, c in expand(node.operand).items()}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            args = []
            for a in node.args:
                v = ast.literal_eval(a) if isinstance(a, (ast.Constant, ast.UnaryOp)) else None
                if not isinstance(v, (int, str)):
                    raise UFOError(f"{where}: cannot read the arguments of {ast.unparse(node)!r} in {text!r}")
                args.append(v)
            return {((node.func.id, tuple(args)),): 1.0}
        if isinstance(node, ast.Name) and node.id == "complex":
            raise UFOError(f"{where}: complex factors inside a structure are not supported: {text!r}")
        if isinstance(node, ast.BinOp):
            left, right = expand(node.left), expand(node.right)
            if isinstance(node.op, (ast.Add, ast.Sub)):
                sign = 1 if isinstance(node.op, ast.Add) else -1
                out = dict(left)
                for m, c in right.items():
                    out[m] = out.get(m, 0.0) + sign * c
                return out
            if isinstance(node.op, ast.Mult):
                out = {}
                for (m1, c1), (m2, c2) in itertools.product(left.items(), right.items()):
                    m = tuple(sorted(m1 + m2, key=repr))
                    out[m] = out.get(m, 0.0) + c1 * c2
                return out
            if isinstance(node.op, ast.Div) and set(right) == {()}:
                return {m: c / right[()] for m, c in left.items()}
        raise UFOError(f"{where}: cannot read {ast.unparse(node)!r} in the structure {text!r}")

    return {m: c for m, c in expand(tree).items() if c != 0}


#: the scalar coupling to two field strengths, S F_munu F^munu: k2^mu1 k1^mu2 - (k1.k2) g^mu1mu2
_VVS_EFF = _polynomial("P(1,2)*P(2,1) - P(-1,1)*P(-1,2)*Metric(1,2)", "VVS_EFF")

#: the Yang-Mills structure of three vectors (all momenta outgoing), MadGraph's VVV1
_VVV1 = _polynomial("P(3,1)*Metric(1,2) - P(3,2)*Metric(1,2) - P(2,1)*Metric(1,3) + P(2,3)*Metric(1,3)"
                    " + P(1,2)*Metric(2,3) - P(1,3)*Metric(2,3)", "VVV1")


def lorentz_kind(spins) -> str | None:
    """numhep's kernel family for a vertex of these UFO spins (2s+1), or None."""
    return {(2, 2, 3): "FFV", (2, 2, 1): "FFS", (3, 3, 3): "VVV", (3, 3, 3, 3): "VVVV", (3, 3, 1): "VVS",
            (3, 3, 1, 1): "VVSS", (1, 1, 1): "SSS", (1, 1, 1, 1): "SSSS"}.get(tuple(spins))


def refined_kind(kind: str, structure: str, where: str) -> str:
    """The kernel for a structure of the spin family ``kind``: ``"VVS_EFF"`` for a VVS
    vertex through field strengths (momenta in it), else ``kind``."""
    if kind == "VVS" and any(f == "P" for mono in _polynomial(structure, where) for f, _ in mono):
        return "VVS_EFF"
    return kind


def _metric(a, b):
    return ("Metric", (min(a, b), max(a, b)))


def _canonical(poly: dict) -> dict:
    """Metric is symmetric: order its indices so that equal tensors compare equal."""
    out = {}
    for mono, c in poly.items():
        atoms = tuple(sorted((_metric(*args) if f == "Metric" else (f, args) for f, args in mono), key=repr))
        out[atoms] = out.get(atoms, 0.0) + c
    return out


def lorentz_coefficients(kind: str, structure: str, where: str) -> tuple:
    """The coefficients of a UFO Lorentz structure in numhep's kernel ``kind`` (see the table).

    Parameters
    ----------
    kind : str
        The kernel family, from :func:`lorentz_kind`.
    structure : str
        The UFO structure string.
    where : str
        Names the file, the vertex and the structure in errors.

    Returns
    -------
    tuple of complex
        (c_L, c_R) for FFV and FFS; (x_12,34, x_13,24, x_14,23) for VVVV; (k,) otherwise.

    Raises
    ------
    UFOError
        If numhep has no kernel for this structure.
    """
    poly = _canonical(_polynomial(structure, where))

    def fail():
        return UFOError(f"{where}: numhep has no vertex kernel for the Lorentz structure {structure!r} ({kind})")

    if kind == "FFV":
        cl = cr = 0.0
        for mono, c in poly.items():
            if mono == (("Gamma", (3, 2, 1)),):
                cl, cr = cl + c, cr + c
                continue
            fs = dict(mono)
            if len(mono) != 2 or "Gamma" not in fs:
                raise fail()
            g = fs["Gamma"]
            proj = [(f, args) for f, args in mono if f in ("ProjM", "ProjP", "Identity")]
            if len(g) != 3 or g[:2] != (3, 2) or len(proj) != 1 or proj[0][1] != (g[2], 1) or g[2] >= 0:
                raise fail()
            if proj[0][0] == "ProjM":
                cl += c
            elif proj[0][0] == "ProjP":
                cr += c
            else:
                cl, cr = cl + c, cr + c
        return cl, cr
    if kind == "FFS":
        cl = cr = 0.0
        for mono, c in poly.items():
            if len(mono) != 1 or mono[0][1] != (2, 1) or mono[0][0] not in ("ProjM", "ProjP", "Identity"):
                raise fail()
            f = mono[0][0]
            cl += c if f in ("ProjM", "Identity") else 0.0
            cr += c if f in ("ProjP", "Identity") else 0.0
        return cl, cr
    if kind == "VVV":
        ref = _canonical(_VVV1)
        if set(poly) != set(ref):
            raise fail()
        ratios = {poly[m] / ref[m] for m in ref}
        if max(abs(r - next(iter(ratios))) for r in ratios) > 1e-12:
            raise fail()
        return (next(iter(ratios)),)
    if kind == "VVVV":
        slots = {(_metric(1, 2), _metric(3, 4)): 0, (_metric(1, 3), _metric(2, 4)): 1,
                 (_metric(1, 4), _metric(2, 3)): 2}
        x = [0.0, 0.0, 0.0]
        for mono, c in poly.items():
            if mono not in slots:
                raise fail()
            x[slots[mono]] += c
        return tuple(x)
    if kind == "VVS_EFF":
        ref = _canonical(_VVS_EFF)
        if set(poly) != set(ref):
            raise fail()
        ratios = [poly[m] / ref[m] for m in ref]
        if max(abs(r - ratios[0]) for r in ratios) > 1e-12 * abs(ratios[0]):
            raise fail()
        return (ratios[0],)
    if kind in ("VVS", "VVSS"):
        if poly.keys() != {(_metric(1, 2),)}:
            raise fail()
        return (poly[(_metric(1, 2),)],)
    if kind in ("SSS", "SSSS"):
        if poly.keys() != {()}:
            raise fail()
        return (poly[()],)
    raise fail()


def _permutation_sign(seq) -> int:
    seq, sign = list(seq), 1
    for i in range(len(seq)):
        while seq[i] != sorted(seq)[i]:
            j = sorted(seq).index(seq[i])
            seq[i], seq[j] = seq[j], seq[i]
            sign = -sign
    return sign


def colour_structure(text: str, colours: tuple, where: str) -> tuple[str, float]:
    """numhep's colour code for a UFO colour string, and the sign it carries.

    Parameters
    ----------
    text : str
        The UFO colour structure, e.g. ``'T(3,2,1)'`` or ``'f(-1,1,2)*f(3,4,-1)'``.
    colours : tuple of int
        The vertex particles' colour representations (1, 3, -3, 8) in the vertex's order.
    where : str
        Names the file and the vertex in errors.

    Returns
    -------
    tuple
        ``(code, sign)`` with code one of ``"none"``, ``"delta"``, ``"T"``, ``"f"``, ``"d"``,
        ``"eps"``, ``"epsbar"``, ``"ff:ab,cd"``; the coupling is multiplied by ``sign``.

    Raises
    ------
    UFOError
        For a colour structure numhep does not support (sextets, products other than the
        four-gluon vertex's ...).
    """
    poly = _polynomial(text, where)

    def fail():
        return UFOError(f"{where}: colour structure {text!r} is not supported (numhep has 1, Identity(1,2), "
                        "T(3,2,1), f(a,b,c), d(a,b,c), Epsilon(i,j,k), EpsilonBar(i,j,k) and f(a,b,e)*f(c,d,e))")

    if len(poly) != 1:
        raise fail()
    ((mono, coefficient),) = poly.items()
    coefficient = coefficient.real
    if mono == ():
        if any(c != 1 for c in colours):
            raise fail()
        return "none", coefficient
    names = [f for f, _ in mono]
    if mono == (("Identity", (1, 2)),) and (sorted(colours[:2]) in ([-3, 3], [8, 8])) and all(
            c == 1 for c in colours[2:]):
        return "delta", coefficient
    if mono == (("T", (3, 2, 1)),) and len(colours) == 3 and colours[2] == 8:
        return "T", coefficient
    if names == ["f"] and len(colours) == 3 and sorted(mono[0][1]) == [1, 2, 3]:
        return "f", coefficient * _permutation_sign(mono[0][1])
    if names == ["d"] and colours == (8, 8, 8) and sorted(mono[0][1]) == [1, 2, 3]:
        return "d", coefficient  # totally symmetric
    if names in (["Epsilon"], ["EpsilonBar"]) and len(colours) == 3 and sorted(mono[0][1]) == [1, 2, 3]:
        triplet = 3 if names == ["Epsilon"] else -3
        if colours != (triplet,) * 3:
            raise fail()
        return ("eps" if triplet == 3 else "epsbar"), coefficient * _permutation_sign(mono[0][1])
    if names == ["f", "f"] and len(colours) == 4:
        first, second = (args for _, args in mono)
        dummies = [i for i in first if i in second and not (isinstance(i, int) and i > 0)]
        if len(dummies) != 1:
            raise fail()
        e = dummies[0]

        def rotate(args):  # f is cyclic: move the summed index last
            k = args.index(e)
            return args[k + 1:] + args[:k]

        (p, q), (r, s) = rotate(first), rotate(second)
        if sorted((p, q, r, s)) != [1, 2, 3, 4]:
            raise fail()
        return f"ff:{p}{q},{r}{s}", coefficient
    raise fail()
