"""How kernels are built and launched (numhep.kernels._target): the per-kernel CUDA block
size and the choice of precision from the arrays."""

import numpy as np
import pytest

from numhep.kernels import _target


def _resident_blocks(regs_per_thread, regs_per_sm=65536, max_threads=2048, max_blocks=32):
    """A multiprocessor's resident blocks of a kernel limited by registers (allocated per
    warp in units of 256), threads and blocks: the CUDA occupancy rules of an H100."""

    def active(size):
        warps = size // 32
        per_warp = -(-regs_per_thread * 32 // 256) * 256
        by_registers = regs_per_sm // (per_warp * warps)
        return min(by_registers, max_threads // size, max_blocks)

    return active


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
    light = _resident_blocks(32, max_blocks=16)
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
