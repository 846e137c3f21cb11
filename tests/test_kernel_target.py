"""How kernels are built and launched (numhep.kernels._target): the per-kernel CUDA block
size, the choice of precision from the arrays, read-only arrays, and the vector width asked of
numba on AVX-512 CPUs."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numba.core.codegen import get_host_cpu_features

from numhep.kernels import _cuda_offline, _target


def _resident_blocks(registers, **limits):
    """A multiprocessor's resident blocks of a kernel with ``registers`` a thread, by CUDA's
    occupancy rules (an H100's limits unless ``limits`` change them)."""
    sm = dataclasses.replace(_cuda_offline.HOPPER_SM, **limits)
    return lambda size: _cuda_offline.resident_blocks(registers, size, sm=sm)


def test_block_size_follows_each_kernels_occupancy():
    # a register-heavy kernel (the amplitude tape): 255 registers allow 8 warps per
    # multiprocessor whatever the block size, and blocks beyond 256 threads cannot launch
    heavy = _resident_blocks(255)
    assert _target.best_block_size(256, heavy) == 64
    assert heavy(64) * 64 == heavy(256) * 256 == 256
    # 80 registers: 24 warps fit; blocks of 64 or 128 or 256 reach 768 threads but 512 only
    # 512, and 1024 none
    mid = _resident_blocks(80)
    assert _target.best_block_size(1024, mid) == 64
    assert mid(512) * 512 < mid(256) * 256
    # a light kernel on a device with at most 16 resident blocks per multiprocessor: blocks
    # of 64 threads fill half of it, blocks of 128 all of it
    light = _resident_blocks(32, blocks=16)
    assert _target.best_block_size(1024, light) == 128
    assert light(64) * 64 == 1024 and light(128) * 128 == 2048


def test_precision_follows_the_floating_arrays():
    f32, f64 = np.zeros(2, np.float32), np.zeros(2)
    ints = np.zeros(2, np.int64)
    assert _target.precision_of([f32, np.zeros(2, np.complex64), ints]) == _target.SINGLE
    assert _target.precision_of([f64, np.zeros(2, complex), ints]) == _target.DOUBLE
    assert _target.precision_of([ints]) == _target.DOUBLE
    with pytest.raises(TypeError, match="mixed"):
        _target.precision_of([f32, np.zeros(2, complex)])


@_target.kernel(shared="matrix")
def quadratic_form(i, x, matrix, out):
    """out[i] = Re sum_kl conj(x_ik) M_kl x_il with M flattened row-major: every event reads
    all of M, like a colour sum."""
    size = x.shape[1]
    total = 0.0
    for k in range(size):
        for m in range(size):
            total += (x[i, k].conjugate() * matrix[k * size + m] * x[i, m]).real
    out[i] = total


@pytest.mark.parametrize("size, dtype, strided, staged", [
    (5, np.float64, False, True),
    (4, np.complex128, False, True),
    (5, np.float64, True, False),  # a strided view is read where it lies
    (46, np.float64, False, False),  # 16.5 KiB: more than a block stages
])
def test_a_shared_argument_is_staged_when_it_fits(size, dtype, strided, staged, rng):
    # 300 events: three blocks of 128 threads under the simulator, the last one partly
    # beyond the events (those threads still help copy the matrix and reach the barrier)
    n = 300 if size < 10 else 40
    x = rng.normal(size=(n, size)) + 1j * rng.normal(size=(n, size))
    matrix = rng.normal(size=(size, size)).astype(dtype)
    if dtype is np.complex128:
        matrix = matrix + 1j * rng.normal(size=(size, size))
    flat = matrix.reshape(-1)
    if strided:  # a device view (the simulator copies only contiguous host arrays)
        from numba import cuda

        flat = cuda.to_device(np.repeat(flat, 2))[::2]
    args = (x, flat, np.empty(n))
    assert quadratic_form.staged_bytes(args) == (flat.nbytes if staged else 0)
    quadratic_form.cuda(*args)
    np.testing.assert_allclose(args[-1], np.einsum("nk,kl,nl->n", x.conj(), matrix, x).real, rtol=1e-12)


def test_a_shared_argument_must_exist():
    def event(i, x, out):
        out[i] = x[i]

    with pytest.raises(ValueError, match="no argument 'colour'"):
        _target.kernel(event, shared="colour")


def test_the_first_compilation_is_announced_once(tmp_path):
    # a newcomer's first call compiles for a while: numhep says so, once, and not when cached
    import os
    import subprocess
    import sys

    code = ("import numpy as np; from numhep.phasespace import kinematics as k; "
            "p = np.array([[5.0, 1.0, 2.0, 3.0]]); k.invariant_mass(p); k.transverse_momentum(p)")
    env = {**os.environ, "NUMHEP_CACHE_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert first.stderr.count("numhep: compiling kernels for this machine, once") == 1
    assert str(tmp_path) in first.stderr
    again = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "compiling" not in again.stderr


# numhep asks numba for full-width AVX-512 vectors where the CPU has them, and only then:
# never over a user's own NUMBA_CPU_FEATURES, never after numba built its CPU target
_ROOT = Path(__file__).resolve().parent.parent
AVX512 = "+avx512f" in get_host_cpu_features().split(",")


def features_after(code, **env):
    environ = {k: v for k, v in os.environ.items() if k != "NUMBA_CPU_FEATURES"}
    environ.update(env, PYTHONPATH=str(_ROOT))
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


def test_read_only_inputs_run_and_a_read_only_output_is_an_error():
    from numhep.kernels.lorentz import minkowski_dot

    p = np.broadcast_to(np.array([2.0, 1.0, 0.0, 0.0]), (3, 4))  # a read-only broadcast
    out = np.empty(3)
    minkowski_dot(p, p, out)
    assert out.tolist() == [3.0, 3.0, 3.0]
    frozen = np.zeros(3)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="argument 3 is read-only"):
        minkowski_dot(p, p, frozen)
