"""numhep asks numba for full-width AVX-512 vectors where the CPU has them, and only then:
never over a user's own NUMBA_CPU_FEATURES, never after numba built its CPU target."""

import os
import subprocess
import sys
from pathlib import Path

from numba.core.codegen import get_host_cpu_features

ROOT = Path(__file__).resolve().parent.parent
AVX512 = "+avx512f" in get_host_cpu_features().split(",")


def features_after(code, **env):
    environ = {k: v for k, v in os.environ.items() if k != "NUMBA_CPU_FEATURES"}
    environ.update(env, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code + "; import numba; print(numba.config.CPU_FEATURES)"],
                         capture_output=True, text=True, env=environ, check=True)
    return out.stdout.strip().splitlines()[-1]


def test_512_bit_vectors_exactly_where_the_cpu_has_avx512():
    features = features_after("import numhep")
    if AVX512:
        assert features.endswith(",-prefer-256-bit")
        assert features[: -len(",-prefer-256-bit")] == get_host_cpu_features()
    else:
        assert features == "None"


def test_a_users_numba_cpu_features_are_left_alone():
    assert features_after("import numhep", NUMBA_CPU_FEATURES="+sse2") == "+sse2"


def test_nothing_changes_after_numba_built_its_cpu_target():
    assert features_after("import numba; numba.njit(lambda x: x)(1); import numhep") == "None"
