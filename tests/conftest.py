"""Test configuration: CUDA kernels run under numba's simulator without a GPU.

Under the simulator every CUDA launch is also recorded (kernel, precision, numba types of
its arrays), and ``tests/test_cuda_builds.py``, run last, compiles each recorded launch's
real CUDA build for the H100 in a process without the simulator: the simulator checks a
build's arithmetic, the compile checks that numba's CUDA target accepts it."""

import os
import shutil
from pathlib import Path

# must happen before numba.cuda is first imported anywhere
if "NUMBA_ENABLE_CUDASIM" not in os.environ and shutil.which("nvidia-smi") is None:
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import simulated_cupy  # noqa: E402
from numhep.kernels import _cuda_offline, _target  # noqa: E402

#: every CUDA launch of this session, as _cuda_offline.signature records it
CUDA_LAUNCHES = set()

_LAST = "test_cuda_builds.py"

#: test modules of this session: those with selected tests and those skipped as a whole
SESSION_MODULES = set()


@pytest.fixture(scope="session", autouse=True)
def record_cuda_launches():
    if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":  # on a GPU every launch compiles for real
        yield
        return
    launch = _target.Kernel.cuda

    def recorded(kernel, *args, **kwargs):
        host = tuple(_host_buffer(a) for a in args)
        CUDA_LAUNCHES.add(_cuda_offline.signature(kernel, kernel._check(host), host))
        return launch(kernel, *args, **kwargs)

    _target.Kernel.cuda = recorded
    yield
    _target.Kernel.cuda = launch


def _host_buffer(a):
    """The host array under a simulated device array (simulated_cupy's, or numba's simulator
    device arrays), which has the device array's layout; anything else unchanged."""
    if isinstance(a, simulated_cupy.ndarray):
        return simulated_cupy.host_view(a)
    return getattr(a, "_ary", a)


def pytest_collection_modifyitems(session, config, items):
    # the compile check needs every other test's launches first
    items.sort(key=lambda item: item.path.name == _LAST)


def pytest_collectreport(report):
    if report.skipped and report.nodeid.endswith(".py"):
        SESSION_MODULES.add(Path(report.nodeid).name)


def pytest_collection_finish(session):
    SESSION_MODULES.update(item.path.name for item in session.items)


def whole_suite() -> bool:
    """Whether this session runs every test module (no file or -k selection)."""
    return {path.name for path in Path(__file__).parent.glob("test_*.py")} <= SESSION_MODULES


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)
