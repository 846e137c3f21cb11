"""Running an amplitude program on the caller's events, forward and in reverse.

The compiler (:mod:`numhep.amplitudes.compiler`) turns a process into a program, plain
arrays; this module runs it where the events are.  On the host the program runs SIMD across
blocks of events (:mod:`numhep.amplitudes.event_blocks` with
:mod:`numhep.kernels.amplitude_block`); on a device it runs one event per CUDA thread
(:mod:`numhep.kernels.amplitude_tape`).  Both go through the events in chunks whose
workspaces fit a byte budget (:func:`numhep.arrays.event_ranges`): small on the host, where a
chunk stays in cache, large on a device, where a launch needs many events to fill the GPU
but 1e7 events of a 6-leg process would not fit in one piece.

Parameter gradients: the reverse sweep gives the cotangents of the program's couplings c and
of its masses and widths r; a model input theta then gets

    d|M|^2/dtheta = 2 Re sum_rows,q gc * dc/dtheta + sum_k gr_k * dr_k/dtheta,

(:func:`numhep.amplitudes.event_blocks.contract_parameters`), chunk by chunk, so the coupling cotangents never exist for
all events at once.
"""

from __future__ import annotations

import numpy as np

from numhep import arrays
from numhep.amplitudes import event_blocks
from numhep.amplitudes.event_blocks import contract_parameters
from numhep.kernels import amplitude_tape as _tape

__all__ = [
    "DEVICE_WORKSPACE_BYTES",
    "WORKSPACE_BYTES",
    "events_per_chunk",
    "program_arrays",
    "single_precision",
    "value",
    "value_and_gradients",
]

#: bytes of workspace per kernel call on the host and on a device (see the module docstring)
WORKSPACE_BYTES = 64 * 2**20
DEVICE_WORKSPACE_BYTES = 2 * 2**30


def single_precision(a):
    """A program array in single precision (integer arrays unchanged)."""
    if a.dtype == np.float64:
        return a.astype(np.float32)
    if a.dtype == np.complex128:
        return a.astype(np.complex64)
    return a


def program_arrays(program, model, params=None, dtype=np.float64):
    """The tape kernels' program arrays for the model parameters ``params`` (overrides of the
    model's inputs): ops, couplings, reals (masses and widths), helicities, colour matrix and
    the diagrams' colour rows; with ``dtype`` float32 the real and complex ones in single
    precision."""
    values = model.parameters(params)
    out = (
        program.ops,
        program.couplings(model, values),
        program.reals(values),
        program.helicities,
        program.colour,
        program.diag_ptr,
        program.diag_jamp,
        program.diag_coef,
    )
    return out if np.dtype(dtype) == np.float64 else tuple(single_precision(a) for a in out)


def _budget(xp):
    return WORKSPACE_BYTES if xp is np else DEVICE_WORKSPACE_BYTES


def events_per_chunk(program, xp=np, grad=False, coupling_rows=0, dtype=np.float64) -> int:
    """Events per CUDA tape launch: the workspaces (wavefunctions, momenta, JAMPs, and for the
    gradient the stored currents and the cotangents) within the budget, counted in reals of
    ``dtype`` (a complex number is two)."""
    shapes = _tape.workspace_shapes(1, program.n_slots, max(program.colour.shape[0], 1), grad)
    reals = sum(int(np.prod(shape)) * (2 if np.dtype(kind).kind == "c" else 1) for shape, kind in shapes)
    if grad:
        reals += coupling_rows * 4 * 2
    return max(1, _budget(xp) // (reals * np.dtype(dtype).itemsize))


def value(program, p, xp, program_arrays_on):
    """|M|^2 of every event of ``p`` (n, legs, 4), on the host or the device ``xp`` names,
    in the precision of ``p``; ``program_arrays_on`` as :func:`program_arrays` gives them,
    already where ``p`` is."""
    if xp is np:
        return event_blocks.value(p, program_arrays_on, program, WORKSPACE_BYTES)
    n = p.shape[0]
    out = xp.empty(n, dtype=p.dtype)
    nj = max(program.colour.shape[0], 1)
    tape = _tape.tape_arrays(program_arrays_on)
    for start, stop in arrays.event_ranges(n, events_per_chunk(program, xp, dtype=p.dtype)):
        shapes = _tape.workspace_shapes(stop - start, program.n_slots, nj, real=p.dtype)
        ws = tuple(arrays.workspace(xp, shape, kind) for shape, kind in shapes)
        _tape.tape_me(xp.ascontiguousarray(p[start:stop]), *tape, *ws, out[start:stop])
    return out


def value_and_gradients(program, p, xp, program_arrays_on, chains, n_parameters):
    """(|M|^2, d|M|^2/dp, d|M|^2/d(inputs) (n, n_parameters)) through the reverse sweep.

    ``chains`` lists (column, dc/dtheta, dr/dtheta) of the wanted inputs, already on the
    events' device; the other columns stay zero, and with no chains the sweep skips the
    coupling, mass and width cotangents."""
    if xp is np:
        return event_blocks.value_and_gradients(p, program_arrays_on, program, chains, WORKSPACE_BYTES,
                                                n_parameters)
    n = p.shape[0]
    nj = max(program.colour.shape[0], 1)
    nrows = program_arrays_on[1].shape[0] if chains else 0
    nreals = program_arrays_on[2].shape[0] if chains else 0
    real = p.dtype
    cplx = np.result_type(real, np.complex64)
    out = xp.empty(n, dtype=real)
    gp = xp.empty_like(p)
    gpar = xp.zeros((n, n_parameters), dtype=real)
    tape = _tape.tape_arrays(program_arrays_on)
    chunk = events_per_chunk(program, xp, grad=True, coupling_rows=nrows, dtype=real)
    for start, stop in arrays.event_ranges(n, chunk):
        m = stop - start
        shapes = _tape.workspace_shapes(m, program.n_slots, nj, grad=True, real=real)
        ws = tuple(arrays.workspace(xp, shape, kind) for shape, kind in shapes)
        gcoup = arrays.workspace(xp, (m, nrows, 4), cplx)
        greals = arrays.workspace(xp, (m, nreals), real)
        _tape.tape_me.vjp(xp.ascontiguousarray(p[start:stop]), *tape, xp.ones(m, dtype=real), *ws,
                          gcoup, greals, out[start:stop], gp[start:stop])
        for col, dc, dr in chains:
            gpar[start:stop, col] = contract_parameters(gcoup, dc, greals, dr)
    return out, gp, gpar
