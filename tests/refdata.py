"""Reference values for the tests: ``tests/data/`` in the repository, so that a clone tests
itself.  The files are copies of the project's reference data (MadGraph 5 standalone output
with the parameter card beside it, LHAPDF 6 evaluations of the PDF set), each folder's README
saying how they were made."""

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


def refdata(*parts) -> Path:
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"reference data tests/data/{'/'.join(parts)} is missing from the checkout")
    return path
