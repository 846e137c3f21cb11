"""The host's SIMD lowering of the amplitude tape (event blocks) against the per-event tape.

Both run the same program; the blocked one stores real and imaginary parts apart, lays a
slot's rows out as one run, pads the last block, accumulates cotangents through scratch
rows and runs the configurations that differ in the reference leg only as one group
(pairs for a gluon or a massive fermion, triples for a massive vector, lone members for a
massless fermion or a scalar), so every opcode, every group size, the padding and the
parameter cotangents are compared here, value and reverse pass."""

import numpy as np
import pytest

import numhep
from numhep.amplitudes.compiled_process import compile_process
from numhep.amplitudes import event_blocks as EB
from numhep.kernels import amplitude_block as AB
from numhep.kernels import amplitude_tape as T
from numhep.kernels import isa

# between them every vertex opcode: FFV (all three currents), VVV, VVVV, FFS, VVS, VVSS, SSS,
# SSSS (h h > h h h: with an internal scalar line into it, so its input cotangents count)
PROCESSES = ["g g > t t~ g g", "u d~ > w+ w+ w-", "b u > t h d", "u d~ > w+ h h", "h h > h h", "h h > h h h", "z z > h h",
             "e+ e- > u u~ g"]


def per_event(proc, p):
    """Value, momentum gradient and coupling/real cotangents from the per-event tape."""
    n = p.shape[0]
    arrays = T.tape_arrays(proc.program_arrays(None))
    prog = proc.program
    nr, nre = arrays[1].shape[0], arrays[2].shape[0]
    work = [np.zeros(s, d) for s, d in T.workspace_shapes(n, prog.n_slots, prog.colour.shape[0], grad=True)]
    gcoup, greals, out, gp = np.zeros((n, nr, 4), complex), np.zeros((n, nre)), np.zeros(n), np.zeros_like(p)
    T.tape_me.vjp.cpu(p, *arrays, np.ones(n), *work, gcoup, greals, out, gp)
    return out, gp, gcoup, greals


def blocked(proc, p):
    n, legs, _ = p.shape
    arrays = proc.program_arrays(None)
    pb = EB._blocks(p)
    ws = [np.zeros(shape) for shape in EB.vjp_shapes(proc.program, pb.shape[0], legs, arrays[1].shape[0],
                                                       arrays[2].shape[0])]
    ws[0][...] = 1.0
    AB.tape_me_block.vjp(pb, *arrays, *ws)
    GC, greals, out, gpb = ws[-4:]
    return (out.reshape(-1)[:n], EB._events(gpb, n), EB._events(EB.coupling_cotangents(GC), n),
            EB._events(greals, n))


@pytest.mark.parametrize("text", PROCESSES)
def test_blocks_reproduce_the_per_event_tape(text):
    proc = compile_process(text)
    # not a multiple of the block: the last block is padded
    n = AB.BLOCK + 5
    p, _ = numhep.rambo(n, 1000.0, proc.masses, seed=21)
    ref = per_event(proc, p)
    value = EB.value(p, proc.program_arrays(None), proc.program, 2**26)
    np.testing.assert_allclose(value, ref[0], rtol=1e-11)
    got = blocked(proc, p)
    for name, a, b in zip(("|M|^2", "d/dp", "d/dcouplings", "d/dreals"), got, ref):
        scale = np.abs(b).max(axis=tuple(range(1, b.ndim)), keepdims=True) if b.ndim > 1 else np.abs(b)
        worst = np.max(np.abs(a - b) / (scale + 1e-300))
        assert worst < 1e-10, f"{name}: largest difference {worst:.2e} of the event's scale"


def test_padding_events_do_not_leak():
    # one event repeated to fill its block must give that event's value alone, and a chunk
    # boundary inside the events must not change any of them
    proc = compile_process("g g > t t~ g")
    p, _ = numhep.rambo(3, 1000.0, proc.masses, seed=22)
    arrays = proc.program_arrays(None)
    whole = EB.value(p, arrays, proc.program, 2**26)
    one_block = EB.value(p, arrays, proc.program, 1)
    np.testing.assert_array_equal(whole, one_block)
    for k in range(3):
        np.testing.assert_array_equal(EB.value(p[k:k + 1], arrays, proc.program, 2**26), whole[k:k + 1])


def test_a_program_whose_current_uses_the_reference_leg_is_refused():
    # helicity groups share every current between configurations that differ in the
    # reference leg only; a program breaking that must be refused, not evaluated
    import dataclasses

    proc = compile_process("e+ e- > u u~ g")
    prog = proc.program
    ops = prog.ops.copy()
    ref = ops[ops[:, 7] >= 0, 7][0]
    leg = ops[(ops[:, 1] == ref) & (ops[:, 0] <= isa.EXT_GAUGE), 2][0]
    current = np.flatnonzero((ops[:, 0] > isa.EXT_GAUGE) & (ops[:, 7] < 0))[0]
    ops[current, 8] |= 1 << leg
    broken = dataclasses.replace(prog, ops=ops)
    p, _ = numhep.rambo(2, 1000.0, proc.masses, seed=23)
    with pytest.raises(RuntimeError, match="reference leg"):
        EB.value(p, proc.program_arrays(None), broken, 2**26)
