"""Property-based fuzzing in CI (hypothesis, a bounded number of examples; the long run and its
table are ``benchmarks/fuzz.py``): every call of ``numhep.me`` (value and gradients, both
precisions, checked and unchecked), RAMBO and RAMBO on diet and its inverse, the PDFs and
alpha_s, an integrand and ``generate``'s options ends in a finite result, weight 0 or an
error naming the argument; never an abort, a numba error or an unwarned NaN."""

import numpy as np
import pytest

pytest.importorskip("hypothesis")
from fuzz_targets import TARGETS, classify, generate_options  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

import numhep  # noqa: E402

CI = settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_call_ends_in_a_result_or_a_clear_error(name):
    @CI
    @given(TARGETS[name])
    def run(case):
        call, names, finite, tolerate = case
        outcome, detail = classify(call, names, finite_input=finite, tolerate_nonfinite=tolerate,
                                   reference=getattr(call, "reference", None))
        assert outcome in ("ok", "error"), f"{outcome}: {detail}"

    run()


def test_generate_options_end_in_events_or_a_clear_error(tmp_path):
    names = ("n_events", "n_points", "n_iterations", "n_warmup", "pilot_points", "batch_size", "sqrt_s", "iteration",
             "warm")

    @settings(max_examples=12, deadline=None, derandomize=True, database=None)
    @given(generate_options())
    def run(case):
        options, sqrt_s = case
        lhe = tmp_path / f"e{abs(hash(repr(case)))}.lhe"

        def call():
            return numhep.generate("e+ e- > mu+ mu-", sqrt_s, lhe=lhe, progress=False, **options).sigma

        outcome, detail = classify(call, names, finite_input=bool(np.isfinite(sqrt_s)))
        assert outcome in ("ok", "error"), f"{outcome}: {options}, sqrt_s={sqrt_s}: {detail}"

    run()
