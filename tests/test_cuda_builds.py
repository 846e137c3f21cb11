"""Every CUDA launch the suite makes under the simulator, compiled for real.

The simulator runs a kernel's CUDA source as Python and checks its numbers; it does not
check that numba's CUDA target can type and lower that source for the argument types a
launch passes (layouts, dtypes, single precision).  This module runs last
(``conftest.pytest_collection_modifyitems``) and compiles, in a process without the
simulator, each recorded launch to PTX for the H100 (sm_90) with NVVM: no GPU needed."""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CUDA_LAUNCHES, whole_suite


def test_every_recorded_cuda_launch_compiles_for_the_h100(tmp_path):
    if not CUDA_LAUNCHES:
        pytest.skip("no simulator launches recorded: this check runs after the rest of the suite")
    launches = tmp_path / "launches.pkl"
    launches.write_bytes(pickle.dumps(sorted(CUDA_LAUNCHES, key=repr)))
    # kernels defined in test modules compile too: the tests folder is importable there
    path_entries = [str(Path(__file__).parent)] + os.environ.get("PYTHONPATH", "").split(os.pathsep)
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0", PYTHONPATH=os.pathsep.join(filter(None, path_entries)))
    run = subprocess.run([sys.executable, "-m", "numhep.kernels._cuda_offline", str(launches)],
                         capture_output=True, text=True, env=env)
    if run.returncode == 3:
        pytest.skip(run.stderr.strip())
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]


#: kernels whose CUDA build is never launched: the CPU's event-block layout of the amplitude
#: tape (SIMD across events); on a GPU the per-event tape_me and its VJP run instead
CPU_ONLY = {"numhep.kernels.amplitude_block.tape_me_block", "numhep.adjoint.amplitude_block.tape_me_block_vjp"}


def _numhep_kernels():
    import importlib
    import pkgutil

    import numhep.adjoint
    import numhep.kernels
    from numhep.kernels._target import Kernel

    for package in (numhep.kernels, numhep.adjoint):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for value in vars(module).values():
                if isinstance(value, Kernel) and value.__module__ == module.__name__:
                    yield f"{module.__name__}.{value.__name__}"


def test_every_kernel_has_a_cuda_launch_under_the_simulator():
    # the kernel tests run each CUDA build (numba's simulator in CI) against its CPU build;
    # a kernel that no test launches has an untested CUDA build
    if not whole_suite() or not CUDA_LAUNCHES:
        pytest.skip("needs the simulator launches of the whole suite")
    launched = {f"{module}.{name}" for module, name, *_ in CUDA_LAUNCHES}
    kernels = set(_numhep_kernels())
    assert CPU_ONLY <= kernels
    assert sorted(kernels - CPU_ONLY - launched) == []
