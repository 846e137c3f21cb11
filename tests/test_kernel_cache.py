"""The compiled-kernel cache never stops numhep: a damaged numba entry (an unreadable index, a
truncated object file) is removed with a warning naming it and compiled again; a cache that
cannot be written (``NUMHEP_CACHE_DIR`` a file, a read-only directory) gives one warning and a
session cache, seeded with what a read-only cache holds.  Each case runs in a fresh
interpreter with its own ``NUMHEP_CACHE_DIR``, as a user would meet it."""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from numhep.kernels import _target

CALL = ("import numhep; "
        "print(repr(float(numhep.rambo_on_diet([[0.2, 0.3, 0.4, 0.5, 0.6]], 1000.0, [0, 0, 0]).weight[0])))")
ROOT = Path(__file__).resolve().parent.parent


def run(cache):
    env = {**os.environ, "NUMHEP_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CALL], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    return float(done.stdout.strip().splitlines()[-1]), done.stderr


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    cache = tmp_path_factory.mktemp("kernels")
    value, _ = run(cache)
    return cache, value


def entries(cache, suffix):
    return sorted(cache.glob(f"launchers/*/__pycache__/*rambo_on_diet*{suffix}"))


@pytest.mark.parametrize("damage", ["garbage index", "truncated object file", "empty index"])
def test_a_damaged_numba_entry_is_compiled_again_with_a_warning(filled, damage):
    cache, value = filled
    targets = entries(cache, ".nbi" if "index" in damage else ".nbc")
    assert targets
    for f in targets:
        if damage == "garbage index":
            f.write_bytes(b"garbage\n")
        elif damage == "empty index":
            f.write_bytes(b"")
        else:
            f.write_bytes(f.read_bytes()[:200])
    again, err = run(cache)
    assert again == value
    assert "could not be read" in err and str(targets[0].parent) in err
    healed, err = run(cache)  # the entry was written again: no warning the next time
    assert healed == value and "could not be read" not in err


def test_a_file_in_place_of_the_cache_directory(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    value, err = run(blocker)
    assert value > 0
    assert "cannot be written" in err and str(blocker) in err


def test_a_read_only_cache_is_copied_into_a_session_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMHEP_CACHE_DIR", str(tmp_path))
    launchers = tmp_path / "launchers" / _target._source_hash()
    (launchers / "__pycache__").mkdir(parents=True)
    (launchers / "__pycache__" / "compiled.nbi").write_bytes(b"kept")
    real_write = Path.write_bytes

    def read_only(self, data):
        if self.name.startswith(".probe"):  # what the directory's permissions would refuse
            raise PermissionError(13, "Permission denied", str(self))
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", read_only)
    monkeypatch.setattr(_target, "_SESSION_CACHE", [])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        session = _target._cache_dir()
    assert session != launchers and (session / "__pycache__" / "compiled.nbi").read_bytes() == b"kept"
    assert any("cannot be written" in str(w.message) for w in caught)
    assert _target._cache_dir() == session  # one warning, one session directory
