"""Locate ../shared/refdata from a checkout or a CI clone (both sit beside shared/)."""

from pathlib import Path

import pytest


def refdata(*parts) -> Path:
    here = Path(__file__).resolve()
    for base in here.parents:
        candidate = base / "shared" / "refdata"
        if candidate.is_dir():
            path = candidate.joinpath(*parts)
            if path.exists():
                return path
    pytest.skip(f"reference data {'/'.join(parts)} not found beside the checkout")
