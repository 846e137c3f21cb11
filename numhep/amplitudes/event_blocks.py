"""Running an amplitude program on the CPU in blocks of events (SIMD across events).

The host lowering of the tape: :mod:`numhep.kernels.amplitude_block` and its adjoint
:mod:`numhep.adjoint.amplitude_block` run every instruction for ``BLOCK`` events at once.
This module moves events into that layout (event index innermost, the last block padded
with copies of the last event, whose results are dropped) and back, and sizes the
workspace so that a chunk of blocks stays within ``workspace_bytes``.

The workspace is carved from one buffer per thread that lives as long as the thread:
arrays of this size come from fresh ``mmap`` pages on every call otherwise, and faulting
them in can cost more than the gradient itself.
"""

from __future__ import annotations

import threading

import numpy as np

from numhep.adjoint.amplitude_block import X_ROWS_VJP
from numhep.arrays import event_ranges
from numhep.kernels.amplitude_block import BLOCK, MEMBERS, SLOT_ROWS, X_ROWS, tape_me_block
from numhep.kernels.isa import EXT_GAUGE

__all__ = ["contract_parameters", "value", "value_and_gradients"]


_ARENA = threading.local()


def _workspace(dtype, *shapes):
    """Arrays of ``dtype`` and the given shapes, carved from this thread's buffer (64-byte
    aligned; valid until the next call from the same thread)."""
    dtype = np.dtype(dtype)
    sizes = [int(np.prod(shape)) * dtype.itemsize for shape in shapes]
    offsets = np.cumsum([0] + [-(-n // 64) * 64 for n in sizes])
    buf = getattr(_ARENA, "buf", None)
    if buf is None or buf.size < offsets[-1] + 64:
        buf = _ARENA.buf = np.empty(int(offsets[-1]) + 64, dtype=np.uint8)
    base = (-buf.ctypes.data) % 64
    return [buf[base + o: base + o + n].view(dtype).reshape(shape)
            for o, n, shape in zip(offsets[:-1], sizes, shapes)]


def _blocks(p):
    """(n, legs, 4) -> (n_blocks, legs, 4, BLOCK), padded with the last event."""
    n, legs, _ = p.shape
    nb = -(-n // BLOCK)
    pad = nb * BLOCK - n
    if pad:
        p = np.concatenate([p, np.repeat(p[-1:], pad, axis=0)])
    return np.ascontiguousarray(p.reshape(nb, BLOCK, legs, 4).transpose(0, 2, 3, 1))


def _events(x, n):
    """(n_blocks, ..., BLOCK) -> (n, ...): the block layout back to one row per event."""
    x = np.moveaxis(x, -1, 1)
    return x.reshape((-1,) + x.shape[2:])[:n]


def _chunks(n, shapes, workspace_bytes, itemsize):
    """Event ranges of whole blocks whose workspace, ``shapes(n_blocks)``, fits the budget."""
    per_block = sum(itemsize * int(np.prod(shape)) for shape in shapes(1))
    return event_ranges(n, max(1, workspace_bytes // per_block) * BLOCK)


def _check_reference(program):
    """The block kernels run the configurations that differ in the reference leg only as
    one group, which is exact only when every diagram meets the same reference
    wavefunction and no current depends on its leg (how numhep.amplitudes.compiler.program builds
    them); say so instead of returning wrong numbers if a program breaks that."""
    ops = program.ops
    diagrams = ops[:, 7] >= 0
    refs = np.unique(ops[diagrams, 7])
    if len(refs) != 1:
        raise RuntimeError(f"amplitude program: diagrams contracted with {len(refs)} different reference slots")
    external = (ops[:, 1] == refs[0]) & (ops[:, 0] <= EXT_GAUGE)
    leg = int(ops[external, 2][0])
    currents = (ops[:, 0] > EXT_GAUGE) & ~diagrams
    if np.any(ops[currents, 8] & (1 << leg)):
        raise RuntimeError(f"amplitude program: a current depends on the reference leg {leg}")


def value_shapes(program, nb):
    """Shapes of the value kernel's arrays after the program, for nb blocks: W, X, J, out."""
    nj = program.colour.shape[0]
    slots = program.n_slots + MEMBERS
    return ((nb, slots, SLOT_ROWS * BLOCK), (nb, X_ROWS * BLOCK), (nb, MEMBERS * nj, 2 * BLOCK), (nb, BLOCK))


def vjp_shapes(program, nb, legs, n_rows, n_reals):
    """Shapes of the VJP kernel's arrays after the program, for nb blocks: g, W, X, J, U, V,
    gJ, G, GC, greals, out, gp (n_rows coupling rows and n_reals masses and widths, 0 when
    only d/dp is wanted)."""
    slots = program.n_slots + MEMBERS
    nj = program.colour.shape[0]
    return ((nb, BLOCK), (nb, slots, SLOT_ROWS * BLOCK), (nb, X_ROWS_VJP * BLOCK), (nb, MEMBERS * nj, 2 * BLOCK),
            (nb, nj, 8 * BLOCK), (nb, program.n_slots, 8 * BLOCK), (nb, MEMBERS * nj, 2 * BLOCK),
            (nb, slots, SLOT_ROWS * BLOCK),
            (nb, n_rows, 8 * BLOCK), (nb, n_reals, BLOCK), (nb, BLOCK), (nb, legs, 4, BLOCK))


def value(p, arrays, program, workspace_bytes):
    """|M|^2 of every event of p (numpy, (n, legs, 4)); ``arrays`` as the tape kernel takes them,
    in the precision of p (float32 momenta with single-precision arrays run in float32)."""
    _check_reference(program)
    n = p.shape[0]
    out = np.empty(n, dtype=p.dtype)
    for start, stop in _chunks(n, lambda nb: value_shapes(program, nb), workspace_bytes, p.itemsize):
        pb = _blocks(p[start:stop])
        ws = _workspace(p.dtype, *value_shapes(program, pb.shape[0]))
        tape_me_block(pb, *arrays, *ws)
        out[start:stop] = ws[-1].reshape(-1)[: stop - start]
    return out


def contract_parameters(gcoup, dc, greals, dr):
    """d|M|^2/dtheta = 2 Re sum_rows,q gcoup dc/dtheta + sum_k greals_k dr_k/dtheta per event,
    from the coupling cotangents ``gcoup`` (..., rows, 4) and the masses' and widths'
    cotangents ``greals`` (..., n_reals), given dc/dtheta (rows, 4) and dr/dtheta (n_reals,).
    A product and a sum, not a matrix product: on a device that would need cuBLAS."""
    return 2.0 * (gcoup * dc).real.sum(axis=(-2, -1)) + (greals * dr).sum(axis=-1)


def coupling_cotangents(GC):
    """The complex coupling cotangents (nb, rows, 4, BLOCK) from the kernel's GC rows."""
    rows = GC.reshape(GC.shape[0], GC.shape[1], 2, 4, BLOCK)
    return rows[:, :, 0] + 1j * rows[:, :, 1]


def value_and_gradients(p, arrays, program, chains, workspace_bytes, n_parameters):
    """(|M|^2, d|M|^2/dp, d|M|^2/d(inputs)) through the blocked reverse tape.

    ``chains`` lists (column, dc/dtheta (rows, 4) complex, dreals/dtheta) for the wanted
    inputs; with none, the kernel skips the coupling, mass and width cotangents.
    """
    _check_reference(program)
    n, legs, _ = p.shape
    n_rows = arrays[1].shape[0] if chains else 0
    n_reals = arrays[2].shape[0] if chains else 0

    def shapes(nb):
        return vjp_shapes(program, nb, legs, n_rows, n_reals)

    out = np.empty(n, dtype=p.dtype)
    gp = np.empty_like(p)
    gpar = np.zeros((n, n_parameters), dtype=p.dtype)
    for start, stop in _chunks(n, shapes, workspace_bytes, p.itemsize):
        m = stop - start
        pb = _blocks(p[start:stop])
        ws = _workspace(p.dtype, *shapes(pb.shape[0]))
        ws[0][...] = 1.0
        GC, greals, res, gpb = ws[-4:]
        tape_me_block.vjp(pb, *arrays, *ws)
        out[start:stop] = res.reshape(-1)[:m]
        gp[start:stop] = _events(gpb, m)
        if chains:  # events of a block innermost -> one row per event
            gc = np.moveaxis(coupling_cotangents(GC), -1, 1)
            gr = np.moveaxis(greals, -1, 1)
        for col, dc, dr in chains:
            gpar[start:stop, col] = contract_parameters(gc, dc, gr, dr).reshape(-1)[:m]
    return out, gp, gpar
