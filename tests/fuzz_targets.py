"""Property-based fuzzing of numhep's public functions (hypothesis): the strategies, the calls
and the classification of what a call did, shared by ``tests/test_fuzz.py`` (a bounded number
of examples in CI) and ``benchmarks/fuzz.py`` (long runs and the table).

Every call must end in one of two ways: ``ok`` (a result with no NaN or inf, unless the input
itself was not finite and the function was told not to check it) or ``error`` (a ValueError,
TypeError or KeyError whose message names one of the call's arguments).  Anything else is
counted: ``silent nan`` (a non-finite result from finite input), ``crash`` (any other
exception, a numba typing error say), ``unnamed`` (a clear exception type whose message names
no argument) or ``wrong`` (a result that disagrees with a reference: float32 against float64).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import numhep

OUTCOMES = ("ok", "error", "silent nan", "crash", "unnamed", "wrong")

# values that break naive code: zeros, signs, huge and tiny magnitudes, NaN, inf
SPECIAL = [0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, 1e300, -1e300, np.nan, np.inf, -np.inf, 0.5, 2.0]
floats = st.one_of(st.sampled_from(SPECIAL), st.floats(allow_nan=True, allow_infinity=True, width=64),
                   st.floats(-1e4, 1e4))


def _finite(*arrays) -> bool:
    return all(np.all(np.isfinite(np.asarray(a, dtype=np.float64))) for a in arrays if a is not None)


def classify(call, names, *, finite_input: bool, tolerate_nonfinite: bool = False, reference=None):
    """(outcome, detail) of ``call()`` (see the module docstring); ``names`` are the words an
    error message may name the problem by; the detail says what was called and what came out."""
    what = getattr(call, "description", "")
    try:
        out = call()
    except (ValueError, TypeError, KeyError) as exc:
        text = str(exc).lower()
        outcome = "error" if any(n.lower() in text for n in names) else "unnamed"
        return outcome, f"{what}: {type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - anything else is what the fuzzing looks for
        return "crash", f"{what}: {type(exc).__name__}: {exc}"
    values = out if isinstance(out, tuple) else (out,)
    arrays = [np.asarray(v, dtype=np.float64) for v in values if isinstance(v, (np.ndarray, float, int))]
    if not _finite(*arrays) and finite_input and not tolerate_nonfinite:
        return "silent nan", f"{what}: {values}"
    if reference is not None and _finite(*arrays) and not reference(out):
        return "wrong", f"{what}: {values}"
    return "ok", what


def _described(fn, text):
    fn.description = text
    return fn


def _describe(text):
    return lambda fn: _described(fn, text)


# -- the targets -------------------------------------------------------------------------------

PROCESSES = {"gg_tt": 4, "e+ e- > mu+ mu-": 4, "e+ e- > u u~ g": 5}


@st.composite
def me_calls(draw):
    """numhep.me with momenta of any shape, dtype and values, grad, check and params."""
    process = draw(st.sampled_from(sorted(PROCESSES)))
    # mostly valid calls, so that the valid paths get as many examples as the broken ones
    legs = draw(st.sampled_from([PROCESSES[process]] * 6 + [3, 6]))
    n = draw(st.integers(0, 4))
    shape = draw(st.sampled_from([(n, legs, 4)] * 6 + [(n, legs, 3), (legs, 4), (n, legs, 4, 1)]))
    kind = draw(st.sampled_from(["physical"] * 4 + ["scaled", "random"]))
    dtype = draw(st.sampled_from([np.float64, np.float64, np.float32, np.int64]))
    if kind == "random" or len(shape) != 3 or shape[2] != 4 or legs != PROCESSES[process]:
        values = np.array(draw(st.lists(floats, min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))),
                          dtype=np.float64).reshape(shape)
    else:
        masses = [173.0] * 4 if process == "gg_tt" else [0.0] * legs
        p = numhep.rambo(n, draw(st.sampled_from([400.0, 1000.0, 14000.0])), masses, seed=draw(st.integers(0, 9)))[0]
        values = p * (draw(st.sampled_from([1e-150, 1e-8, 0.0, -1.0, 1e150])) if kind == "scaled" else 1.0)
    with np.errstate(over="ignore", invalid="ignore"):  # 1e150 as int64 is meant to be nonsense
        p = values.astype(dtype) if np.all(np.isfinite(values)) or dtype != np.int64 else values
    grad = draw(st.sampled_from([False, True, ("p",), ("MZ",)]))
    check = draw(st.booleans())
    params = draw(st.sampled_from([None] * 4 + [{"MZ": 91.0}, {"MZ": np.nan}, {"MZ": -1.0}, {"aS": 0.0},
                                                 {"Nope": 1.0}]))
    finite = _finite(values) and (params is None or _finite(*params.values()))
    # unchecked momenta may be anything: what comes out of them is the caller's business
    tolerate = not check or kind == "scaled"

    @_describe(f"me(p {p.dtype} {p.shape} ({kind}), {process!r}, params={params}, grad={grad}, check={check})")
    def call():
        return numhep.me(p, process, params=params, grad=grad, check=check)

    reference = None
    if p.dtype == np.float32 and grad is False:
        def reference(out):  # float32 against float64 at the same (rounded) momenta
            exact = numhep.me(p.astype(np.float64), process, params=params, check=False)
            return bool(np.all(np.abs(np.asarray(out, dtype=np.float64) - exact) <= 1e-3 * np.abs(exact) + 1e-300))

    call.reference = reference
    return call, ("p", "momenta", "process", "params", "grad", "MZ", "aS", "Nope", "leg", "event", "dtype",
                  "shape", "mass", "energ", "conserv"), finite, tolerate


@st.composite
def phase_space_calls(draw):
    """rambo, rambo_on_diet and its inverse with arbitrary arguments."""
    which = draw(st.sampled_from(["rambo", "rambo_on_diet", "rambo_on_diet_inverse"]))
    sqrt_s = draw(st.one_of(st.sampled_from([1000.0] * 4 + [0.0, -5.0, np.nan, np.inf, 100.0]), st.floats(0, 1e5)))
    masses = draw(st.sampled_from([[0.0, 0.0, 0.0, 0.0]] * 3 + [[0.0, 0.0, 173.0, 173.0]] * 2
                                  + [[0.0, 0.0, 10.0, 0.0, 5.0], [0.0, 0.0, -1.0, 2.0], [0.0, 0.0, np.nan, 1.0],
                                     [0.0, 0.0, 600.0, 600.0], [0.0]]))
    if which == "rambo":
        n = draw(st.sampled_from([0, 3, 3, 3, 2.7, -1, True, "3"]))
        finite = _finite(sqrt_s, masses)
        return (_described(lambda: numhep.rambo(n, sqrt_s, masses, seed=1), f"rambo({n!r}, {sqrt_s!r}, {masses})"),
                ("n_events", "sqrt_s", "masses"), finite, False)
    k = max(len(masses) - 2, 1)
    if which == "rambo_on_diet":
        dim = draw(st.sampled_from([3 * k - 4] * 4 + [3 * k - 3, 0]))
        numbers = st.floats(0, 1) if draw(st.booleans()) else floats
        u = np.array(draw(st.lists(numbers, min_size=2 * max(dim, 1), max_size=2 * max(dim, 1))))[: 2 * dim]
        u = u.reshape(2, dim) if dim else np.zeros((2, 0))
        finite = _finite(u, sqrt_s, masses)
        return (_described(lambda: numhep.rambo_on_diet(u, sqrt_s, masses[2:]),
                           f"rambo_on_diet(u {u.tolist()}, {sqrt_s!r}, {masses[2:]})"), ("u", "sqrt_s", "masses"),
                finite, False)
    p = numhep.rambo(2, 1000.0, [0.0] * 4, seed=2)[0][:, 2:]
    p = p * draw(st.sampled_from([1.0] * 4 + [0.0, np.nan, -1.0]))
    finite = _finite(p)
    return (_described(lambda: numhep.rambo_on_diet_inverse(p, masses[2:]),
                       f"rambo_on_diet_inverse(p {p.tolist()}, {masses[2:]})"), ("p", "masses", "momenta"), finite, False)


@st.composite
def pdf_calls(draw):
    """xfxQ2 and alphasQ2 of the default set with arbitrary x, Q^2 and parton codes."""
    pdf = numhep.pdf()
    valid = draw(st.booleans())
    x = np.array(draw(st.lists(st.floats(1e-9, 1.0) if valid else floats, min_size=1, max_size=3)))
    q2 = np.array(draw(st.lists(st.floats(2.0, 1e8) if valid else floats, min_size=1, max_size=3)))
    if draw(st.booleans()):
        q2 = q2[: x.size] if q2.size >= x.size else np.resize(q2, x.size)
    pid = draw(st.sampled_from([21, 0, 1, -2, 5, 21, 1, -2, 7, 2.5, 22, "u"]))
    finite = _finite(x, q2)
    if draw(st.booleans()):
        return (_described(lambda: pdf.alphasQ2(q2), f"alphasQ2({q2.tolist()})"), ("q2", "Q^2", "landau", "alpha"),
                finite, False)
    return (_described(lambda: pdf.xfxQ2(pid, x, q2), f"xfxQ2({pid!r}, {x.tolist()}, {q2.tolist()})"),
            ("x", "q2", "Q^2", "pid", "parton", "shape", "broadcast"), finite, False)


_INTEGRANDS = {}


def _integrand(text):
    if text not in _INTEGRANDS:
        options = {"cuts": {"ycut": 0.01}} if "g" in text.split(">")[1] else {}
        _INTEGRANDS[text] = numhep.integrand(text, 13000.0 if text.startswith("p") else 1000.0, **options)
    return _INTEGRANDS[text]


@st.composite
def integrand_calls(draw):
    """An integrand at arbitrary points: weight 0 for a bad point, never an error for the batch."""
    f = _integrand(draw(st.sampled_from(["p p > t t~", "e+ e- > u u~ g"])))
    n = draw(st.integers(1, 4))
    u = np.array(draw(st.lists(floats, min_size=n * f.dim, max_size=n * f.dim))).reshape(n, f.dim)
    if draw(st.booleans()):  # mostly inside the cube, a few special values
        with np.errstate(invalid="ignore"):  # np.where computes inf % 1 too, then drops it
            u = np.where(np.isfinite(u), np.abs(u) % 1.0, u)

    @_describe(f"{f!r}(u {u.tolist()})")
    def call():
        w = f(u)
        return np.where(np.isfinite(w), w, np.nan)

    return call, ("u",), True, False


@st.composite
def generate_options(draw):
    """numhep.generate's numeric options: a clear error or a run."""
    options = dict(n_events=draw(st.sampled_from([1, 0, -3, 2.5])), n_points=draw(st.sampled_from([500, 0, -1, 50])),
                   n_iterations=draw(st.sampled_from([2, 0, 1, -1])), n_warmup=draw(st.sampled_from([1, 0, 5, -1])),
                   pilot_points=draw(st.sampled_from([500, 0, -10])), batch_size=draw(st.sampled_from([500, 0, -2])))
    sqrt_s = draw(st.sampled_from([1000.0, 10.0, -1.0, np.nan]))
    return options, sqrt_s


TARGETS = {"me": me_calls(), "phase space": phase_space_calls(), "pdf": pdf_calls(), "integrand": integrand_calls()}
