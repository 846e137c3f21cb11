"""Test configuration: CUDA kernels run under numba's simulator without a GPU."""

import os
import shutil

# must happen before numba.cuda is first imported anywhere
if "NUMBA_ENABLE_CUDASIM" not in os.environ and shutil.which("nvidia-smi") is None:
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)
