"""The documentation: every public object has a numpy-style docstring whose parameters match
its signature and which shows an example; the Sphinx build (user guide and API reference)
passes with warnings as errors; and every example in it runs and prints what it says."""

import importlib
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the docs extra (pip install -e '.[docs]') is not installed")
validate = pytest.importorskip("numpydoc.validate", reason="the docs extra is not installed").validate

DOCS = Path(__file__).resolve().parent.parent / "docs"

#: numpydoc's checks that numhep's docstrings pass: a docstring with a one-line summary, every
#: parameter documented and none that is not there, a Returns section, an Examples section
REQUIRED = {"GL08", "SS01", "PR01", "PR02", "RT01", "EX01"}


def public_objects():
    """The public functions and classes, each once (data such as the registries is described
    by its class and its ``#:`` comment)."""
    seen, names = set(), []
    for package, _ in runpy.run_path(str(DOCS / "conf.py"))["PUBLIC"]:
        module = importlib.import_module(package)
        for attr in module.__all__:
            obj = getattr(module, attr)
            if callable(obj) and id(obj) not in seen:
                seen.add(id(obj))
                names.append(f"{package}.{attr}")
    return names


def test_every_public_object_has_a_numpy_style_docstring():
    problems = []
    for name in public_objects():
        for code, message in validate(name)["errors"]:
            if code in REQUIRED:
                problems.append(f"{name}: {code} {message}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("builder", ["html", "doctest"])
def test_the_documentation_builds_and_its_examples_run(tmp_path, builder):
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder, str(DOCS),
                           str(tmp_path / builder), "-d", str(tmp_path / "doctrees")],
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-6000:]
