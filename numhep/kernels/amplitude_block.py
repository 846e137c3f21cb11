"""The amplitude program on the CPU, vectorised across a block of events.

The same tape as :mod:`numhep.kernels.amplitude_tape` (same opcodes, couplings, helicity
order and colour matrix; see that module for the program's meaning) run the way CUDACPP
runs MadGraph's amplitudes on a CPU: every instruction is executed for ``BLOCK`` events at
once, in a loop over the events of the block that LLVM turns into SIMD code.  The tape
interpreter's dispatch is paid once per block instead of once per event, and the vertex
algebra runs on AVX/AVX-512 lanes.

What makes the event loops vectorise (each condition was needed, found by LLVM's
vectorisation remarks):
  * the loop body holds no calls: the helicity algebra is inlined into it
    (:func:`numhep.kernels._target.inlined`);
  * real and imaginary parts are stored apart, with the event index innermost, so that
    every load is a unit-stride run of doubles;
  * the rows of a slot lie at compile-time-constant offsets from each other (a slot is
    one run of ``SLOT_ROWS * BLOCK`` doubles, ``BLOCK`` a constant): LLVM then treats a
    slot as one object and checks it once for overlap at run time.  With a row index of
    its own (a run-time stride) every row was checked against every other, about a
    hundred comparisons per loop of 64 events, which cost more than the loop itself;
  * a loop writes to the block's scratch ``X`` and to at most one slot: with two slots
    written LLVM gives up on the overlap checks and the loop stays scalar.  Results
    beyond that are copied from ``X`` to their slots afterwards.

Helicity groups (:mod:`numhep.kernels.amplitude_tape`, shared with the CUDA build): the
configurations that differ in the reference leg's helicity only run as one group.

Arrays (``nb`` blocks): wavefunctions and their momenta ``W`` (nb, n_slots + MEMBERS,
SLOT_ROWS * BLOCK: rows 0-3 real parts, 4-7 imaginary parts, 8-11 the momentum; the last
MEMBERS slots hold the reference wavefunction of each helicity state -1, 0, 1); partial
amplitudes ``J`` (nb, MEMBERS * n_jamp, 2 * BLOCK: real row, imaginary row, member by
member); scratch ``X`` (nb, X_ROWS * BLOCK); momenta ``p`` (nb, legs, 4, BLOCK); |M|^2
``out`` (nb, BLOCK).
The CUDA build of the tape is :mod:`numhep.kernels.amplitude_tape` (one thread per event);
both give the same |M|^2 to rounding (tested).  Adjoint: :mod:`numhep.adjoint.amplitude_block`.
"""

from numhep.kernels._target import device, inlined, kernel
from numhep.kernels.amplitude_tape import (
    amplitude_reference,
    contract,
    external_wavefunction,
    has_state,
    helicity_group,
    state_slot,
)
from numhep.kernels.isa import (
    EXT_GAUGE,
    FFS_PSI,
    FFS_PSIBAR,
    FFS_S,
    FFV_PSI,
    FFV_PSIBAR,
    FFV_V,
    KIND_PSI,
    KIND_PSIBAR,
    KIND_VECTOR,
    MEMBERS,
    SSSS_S,
    VVSS_S,
    VVSS_V,
    VVS_EFF_S,
    VVS_EFF_V,
    VVS_S,
    VVS_V,
    VVVV_V,
    VVV_V,
    four_point,
    output_kind,
)
from numhep.kernels.propagators import psi_propagator, psibar_propagator, scalar_propagator, vector_propagator
from numhep.kernels.vertices import (
    ffs_psi,
    ffs_psibar,
    ffs_scalar,
    ffv_psi,
    ffv_psibar,
    ffv_vector,
    vvs_eff_scalar,
    vvs_eff_vector,
    vvv_vector,
    vvvv_vector,
)

#: the helicity algebra is compiled with fast math (numhep.kernels._target)
FAST_MATH = True

#: events per block: 64 doubles are eight AVX-512 registers per row; 32 paid the loops'
#: set-up twice as often, 128 kept the reverse pass from vectorising
BLOCK = 64

#: rows of a wavefunction slot: real parts 0-3, imaginary parts 4-7, momentum 8-11
SLOT_ROWS = 12
ROW_MOM = 8

# rows of the scratch X (times BLOCK): the vertex current (re 0-3, im 4-7), an amplitude
# (8, 9) and a colour-sum accumulator (10, 11)
ROW_V = 0
ROW_A = 8
ROW_S = 10
X_ROWS = 12

_ffv_vector = inlined(ffv_vector)
_ffv_psibar = inlined(ffv_psibar)
_ffv_psi = inlined(ffv_psi)
_ffs_scalar = inlined(ffs_scalar)
_ffs_psibar = inlined(ffs_psibar)
_ffs_psi = inlined(ffs_psi)
_vvv_vector = inlined(vvv_vector)
_vvvv_vector = inlined(vvvv_vector)
_vvs_eff_scalar = inlined(vvs_eff_scalar)
_vvs_eff_vector = inlined(vvs_eff_vector)
_vector_propagator = inlined(vector_propagator)
_psi_propagator = inlined(psi_propagator)
_psibar_propagator = inlined(psibar_propagator)
_scalar_propagator = inlined(scalar_propagator)


@device(inline=True)
def load(W, i, s, q, e):
    """Component q of the complex 4-vector in slot s (rows q and 4 + q)."""
    return complex(W[i, s, q * BLOCK + e], W[i, s, (4 + q) * BLOCK + e])


@device(inline=True)
def momentum(W, i, s, q, e):
    """Component q of the momentum of slot s."""
    return W[i, s, (ROW_MOM + q) * BLOCK + e]


@device(inline=True)
def load_row(X, i, row, q, e):
    """Component q of the complex 4-vector stored at scratch rows row (re) and row + 4 (im)."""
    return complex(X[i, (row + q) * BLOCK + e], X[i, (row + 4 + q) * BLOCK + e])


@device(inline=True)
def store_row(X, i, row, e, v0, v1, v2, v3):
    X[i, row * BLOCK + e] = v0.real
    X[i, (row + 1) * BLOCK + e] = v1.real
    X[i, (row + 2) * BLOCK + e] = v2.real
    X[i, (row + 3) * BLOCK + e] = v3.real
    X[i, (row + 4) * BLOCK + e] = v0.imag
    X[i, (row + 5) * BLOCK + e] = v1.imag
    X[i, (row + 6) * BLOCK + e] = v2.imag
    X[i, (row + 7) * BLOCK + e] = v3.imag


@device(inline=True)
def copy_to_slot(X, i, row, n, dst, s):
    """The first n rows of slot s of dst = scratch rows row .. row + n - 1.  One loop for
    all the rows: each loop pays LLVM's overlap check and set-up once."""
    for e in range(BLOCK):
        for q in range(n):
            dst[i, s, q * BLOCK + e] = X[i, (row + q) * BLOCK + e]


@device
def block_vertex_current(i, op, a, b, c, c0, c1, c2, W, X):
    """The colour-stripped current of the output leg (no propagator) for every event of
    block i, into scratch rows ROW_V (the vertices of :mod:`numhep.kernels.vertices`;
    the scalar ones written out as in :func:`numhep.kernels.amplitude_tape.vertex_current`)."""
    zero = complex(0.0, 0.0)
    if op == FFV_V:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _ffv_vector(load(W, i, a, 0, e), load(W, i, a, 1, e),
                                         load(W, i, a, 2, e), load(W, i, a, 3, e),
                                         load(W, i, b, 0, e), load(W, i, b, 1, e),
                                         load(W, i, b, 2, e), load(W, i, b, 3, e), c0, c1)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == FFV_PSIBAR:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _ffv_psibar(load(W, i, a, 0, e), load(W, i, a, 1, e),
                                         load(W, i, a, 2, e), load(W, i, a, 3, e),
                                         load(W, i, b, 0, e), load(W, i, b, 1, e),
                                         load(W, i, b, 2, e), load(W, i, b, 3, e), c0, c1)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == FFV_PSI:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _ffv_psi(load(W, i, a, 0, e), load(W, i, a, 1, e),
                                      load(W, i, a, 2, e), load(W, i, a, 3, e),
                                      load(W, i, b, 0, e), load(W, i, b, 1, e),
                                      load(W, i, b, 2, e), load(W, i, b, 3, e), c0, c1)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == VVV_V:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _vvv_vector(load(W, i, a, 0, e), load(W, i, a, 1, e),
                                         load(W, i, a, 2, e), load(W, i, a, 3, e),
                                         load(W, i, b, 0, e), load(W, i, b, 1, e),
                                         load(W, i, b, 2, e), load(W, i, b, 3, e),
                                         momentum(W, i, a, 0, e), momentum(W, i, a, 1, e), momentum(W, i, a, 2, e), momentum(W, i, a, 3, e),
                                         momentum(W, i, b, 0, e), momentum(W, i, b, 1, e), momentum(W, i, b, 2, e), momentum(W, i, b, 3, e), c0)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == VVVV_V:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _vvvv_vector(load(W, i, a, 0, e), load(W, i, a, 1, e),
                                          load(W, i, a, 2, e), load(W, i, a, 3, e),
                                          load(W, i, b, 0, e), load(W, i, b, 1, e),
                                          load(W, i, b, 2, e), load(W, i, b, 3, e),
                                          load(W, i, c, 0, e), load(W, i, c, 1, e),
                                          load(W, i, c, 2, e), load(W, i, c, 3, e), c0, c1, c2)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == FFS_S:
        for e in range(BLOCK):
            s = _ffs_scalar(load(W, i, a, 0, e), load(W, i, a, 1, e),
                            load(W, i, a, 2, e), load(W, i, a, 3, e),
                            load(W, i, b, 0, e), load(W, i, b, 1, e),
                            load(W, i, b, 2, e), load(W, i, b, 3, e), c0, c1)
            store_row(X, i, ROW_V, e, s, zero, zero, zero)
    elif op == FFS_PSIBAR:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _ffs_psibar(load(W, i, a, 0, e), load(W, i, a, 1, e),
                                         load(W, i, a, 2, e), load(W, i, a, 3, e),
                                         load(W, i, b, 0, e), c0, c1)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == FFS_PSI:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _ffs_psi(load(W, i, a, 0, e), load(W, i, b, 0, e),
                                      load(W, i, b, 1, e), load(W, i, b, 2, e),
                                      load(W, i, b, 3, e), c0, c1)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == VVS_V:
        for e in range(BLOCK):
            f = c0 * load(W, i, b, 0, e)
            store_row(X, i, ROW_V, e, f * load(W, i, a, 0, e), f * load(W, i, a, 1, e),
                      f * load(W, i, a, 2, e), f * load(W, i, a, 3, e))
    elif op == VVS_S:
        for e in range(BLOCK):
            s = c0 * (load(W, i, a, 0, e) * load(W, i, b, 0, e)
                      - load(W, i, a, 1, e) * load(W, i, b, 1, e)
                      - load(W, i, a, 2, e) * load(W, i, b, 2, e)
                      - load(W, i, a, 3, e) * load(W, i, b, 3, e))
            store_row(X, i, ROW_V, e, s, zero, zero, zero)
    elif op == VVS_EFF_V:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _vvs_eff_vector(load(W, i, a, 0, e), load(W, i, a, 1, e),
                                             load(W, i, a, 2, e), load(W, i, a, 3, e),
                                             momentum(W, i, a, 0, e), momentum(W, i, a, 1, e),
                                             momentum(W, i, a, 2, e), momentum(W, i, a, 3, e),
                                             load(W, i, b, 0, e), momentum(W, i, b, 0, e), momentum(W, i, b, 1, e),
                                             momentum(W, i, b, 2, e), momentum(W, i, b, 3, e), c0)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == VVS_EFF_S:
        for e in range(BLOCK):
            s = _vvs_eff_scalar(load(W, i, a, 0, e), load(W, i, a, 1, e), load(W, i, a, 2, e), load(W, i, a, 3, e),
                                load(W, i, b, 0, e), load(W, i, b, 1, e), load(W, i, b, 2, e), load(W, i, b, 3, e),
                                momentum(W, i, a, 0, e), momentum(W, i, a, 1, e), momentum(W, i, a, 2, e), momentum(W, i, a, 3, e),
                                momentum(W, i, b, 0, e), momentum(W, i, b, 1, e), momentum(W, i, b, 2, e), momentum(W, i, b, 3, e), c0)
            store_row(X, i, ROW_V, e, s, zero, zero, zero)
    elif op == VVSS_V:
        for e in range(BLOCK):
            f = c0 * load(W, i, b, 0, e) * load(W, i, c, 0, e)
            store_row(X, i, ROW_V, e, f * load(W, i, a, 0, e), f * load(W, i, a, 1, e),
                      f * load(W, i, a, 2, e), f * load(W, i, a, 3, e))
    elif op == VVSS_S:
        for e in range(BLOCK):
            s = c0 * load(W, i, c, 0, e) * (
                load(W, i, a, 0, e) * load(W, i, b, 0, e)
                - load(W, i, a, 1, e) * load(W, i, b, 1, e)
                - load(W, i, a, 2, e) * load(W, i, b, 2, e)
                - load(W, i, a, 3, e) * load(W, i, b, 3, e))
            store_row(X, i, ROW_V, e, s, zero, zero, zero)
    elif op == SSSS_S:
        for e in range(BLOCK):
            s = c0 * load(W, i, a, 0, e) * load(W, i, b, 0, e) * load(W, i, c, 0, e)
            store_row(X, i, ROW_V, e, s, zero, zero, zero)
    else:  # SSS_S
        for e in range(BLOCK):
            s = c0 * load(W, i, a, 0, e) * load(W, i, b, 0, e)
            store_row(X, i, ROW_V, e, s, zero, zero, zero)


@device
def block_line_momentum(i, a, b, c, four, W, out):
    """K = k_a + k_b (+ k_c at a four-point vertex) into the momentum rows of slot out."""
    if four:
        for e in range(BLOCK):
            for q in range(4):
                W[i, out, (ROW_MOM + q) * BLOCK + e] = momentum(W, i, a, q, e) + momentum(W, i, b, q, e) + momentum(W, i, c, q, e)
    else:
        for e in range(BLOCK):
            for q in range(4):
                W[i, out, (ROW_MOM + q) * BLOCK + e] = momentum(W, i, a, q, e) + momentum(W, i, b, q, e)


@device(inline=True)
def store_slot(W, i, s, e, v0, v1, v2, v3):
    """Slot s of W = (v0, v1, v2, v3) at event e (its momentum rows untouched)."""
    W[i, s, e] = v0.real
    W[i, s, BLOCK + e] = v1.real
    W[i, s, 2 * BLOCK + e] = v2.real
    W[i, s, 3 * BLOCK + e] = v3.real
    W[i, s, 4 * BLOCK + e] = v0.imag
    W[i, s, 5 * BLOCK + e] = v1.imag
    W[i, s, 6 * BLOCK + e] = v2.imag
    W[i, s, 7 * BLOCK + e] = v3.imag


@device
def block_propagate(i, kind, m, wd, X, W, out):
    """The propagator of the line of slot out (its momentum already in the slot) applied to
    the current in scratch rows ROW_V, written into the slot in place (a loop may write one
    slot) rather than through scratch rows and a copy."""
    if kind == KIND_VECTOR:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _vector_propagator(
                load_row(X, i, ROW_V, 0, e), load_row(X, i, ROW_V, 1, e),
                load_row(X, i, ROW_V, 2, e), load_row(X, i, ROW_V, 3, e),
                momentum(W, i, out, 0, e), momentum(W, i, out, 1, e),
                momentum(W, i, out, 2, e), momentum(W, i, out, 3, e), m, wd)
            store_slot(W, i, out, e, v0, v1, v2, v3)
    elif kind == KIND_PSIBAR:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _psibar_propagator(
                load_row(X, i, ROW_V, 0, e), load_row(X, i, ROW_V, 1, e),
                load_row(X, i, ROW_V, 2, e), load_row(X, i, ROW_V, 3, e),
                momentum(W, i, out, 0, e), momentum(W, i, out, 1, e),
                momentum(W, i, out, 2, e), momentum(W, i, out, 3, e), m, wd)
            store_slot(W, i, out, e, v0, v1, v2, v3)
    elif kind == KIND_PSI:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _psi_propagator(
                load_row(X, i, ROW_V, 0, e), load_row(X, i, ROW_V, 1, e),
                load_row(X, i, ROW_V, 2, e), load_row(X, i, ROW_V, 3, e),
                momentum(W, i, out, 0, e), momentum(W, i, out, 1, e),
                momentum(W, i, out, 2, e), momentum(W, i, out, 3, e), m, wd)
            store_slot(W, i, out, e, v0, v1, v2, v3)
    else:
        zero = complex(0.0, 0.0)
        for e in range(BLOCK):
            s = _scalar_propagator(
                load_row(X, i, ROW_V, 0, e),
                momentum(W, i, out, 0, e), momentum(W, i, out, 1, e),
                momentum(W, i, out, 2, e), momentum(W, i, out, 3, e), m, wd)
            store_slot(W, i, out, e, s, zero, zero, zero)


@device
def block_contract(i, kind, ref, W, X):
    """The amplitude: the current in rows ROW_V contracted with the wavefunction in slot
    ``ref``, into rows ROW_A."""
    for e in range(BLOCK):
        amp = contract(kind, load_row(X, i, ROW_V, 0, e), load_row(X, i, ROW_V, 1, e),
                       load_row(X, i, ROW_V, 2, e), load_row(X, i, ROW_V, 3, e),
                       load(W, i, ref, 0, e), load(W, i, ref, 1, e), load(W, i, ref, 2, e), load(W, i, ref, 3, e))
        X[i, ROW_A * BLOCK + e] = amp.real
        X[i, (ROW_A + 1) * BLOCK + e] = amp.imag


@device
def reference_wavefunctions(i, reference, p, ops, reals, helicities, W):
    """The reference leg's wavefunction for each of its helicity states in the program,
    into its state slot: they depend on the momenta only, so once per block."""
    leg, row = reference[2], reference[3]
    m = reals[ops[row, 6]] if ops[row, 6] >= 0 else 0.0
    for hel in range(-1, 2):
        if has_state(helicities, leg, hel):
            block_external(i, ops[row, 0], leg, ops[row, 3] == 1, m, hel, p, W, state_slot(W, hel))


@device
def block_external(i, op, leg, inc, m, hel, p, W, out):
    """The wavefunction of external leg ``leg`` with helicity hel, and its momentum (signed
    as flowing into the vertices), into slot out."""
    sgn = -1.0 if inc else 1.0
    for e in range(BLOCK):
        en, px, py, pz = p[i, leg, 0, e], p[i, leg, 1, e], p[i, leg, 2, e], p[i, leg, 3, e]
        c0, c1, c2, c3 = external_wavefunction(op, en, px, py, pz, m, hel, inc)
        store_slot(W, i, out, e, c0, c1, c2, c3)
        W[i, out, ROW_MOM * BLOCK + e] = sgn * en
        W[i, out, (ROW_MOM + 1) * BLOCK + e] = sgn * px
        W[i, out, (ROW_MOM + 2) * BLOCK + e] = sgn * py
        W[i, out, (ROW_MOM + 3) * BLOCK + e] = sgn * pz


@device
def block_jamps(i, kind, ref, W, U, J, first):
    """J_(first + j) = <U_j, w_ref> for every colour flow j."""
    for j in range(U.shape[1]):
        for e in range(BLOCK):
            amp = contract(kind, load(U, i, j, 0, e), load(U, i, j, 1, e), load(U, i, j, 2, e), load(U, i, j, 3, e),
                           load(W, i, ref, 0, e), load(W, i, ref, 1, e), load(W, i, ref, 2, e), load(W, i, ref, 3, e))
            J[i, first + j, e] = amp.real
            J[i, first + j, BLOCK + e] = amp.imag


@device(inline=True)
def accumulate_jamp(i, j, c, X, J):
    """J_j += c A (the amplitude A in scratch rows ROW_A).  Colour-flow coefficients of QCD
    are +-1 or +-i, which need two of the four multiplications."""
    cr = c.real
    ci = c.imag
    if ci == 0.0:
        for e in range(BLOCK):
            J[i, j, e] += cr * X[i, ROW_A * BLOCK + e]
            J[i, j, BLOCK + e] += cr * X[i, (ROW_A + 1) * BLOCK + e]
    elif cr == 0.0:
        for e in range(BLOCK):
            J[i, j, e] -= ci * X[i, (ROW_A + 1) * BLOCK + e]
            J[i, j, BLOCK + e] += ci * X[i, ROW_A * BLOCK + e]
    else:
        for e in range(BLOCK):
            ar = X[i, ROW_A * BLOCK + e]
            ai = X[i, (ROW_A + 1) * BLOCK + e]
            J[i, j, e] += cr * ar - ci * ai
            J[i, j, BLOCK + e] += cr * ai + ci * ar


@device(inline=True)
def accumulate_flow_current(i, j, c, X, U):
    """U_j += c V (the vertex current V in scratch rows ROW_V), with the +-1 / +-i
    coefficients of QCD in two multiplications of the four (:func:`accumulate_jamp`)."""
    cr = c.real
    ci = c.imag
    if ci == 0.0:
        for e in range(BLOCK):
            for r in range(4):
                U[i, j, r * BLOCK + e] += cr * X[i, (ROW_V + r) * BLOCK + e]
                U[i, j, (4 + r) * BLOCK + e] += cr * X[i, (ROW_V + 4 + r) * BLOCK + e]
    elif cr == 0.0:
        for e in range(BLOCK):
            for r in range(4):
                U[i, j, r * BLOCK + e] -= ci * X[i, (ROW_V + 4 + r) * BLOCK + e]
                U[i, j, (4 + r) * BLOCK + e] += ci * X[i, (ROW_V + r) * BLOCK + e]
    else:
        for e in range(BLOCK):
            for r in range(4):
                vr = X[i, (ROW_V + r) * BLOCK + e]
                vi = X[i, (ROW_V + 4 + r) * BLOCK + e]
                U[i, j, r * BLOCK + e] += cr * vr - ci * vi
                U[i, j, (4 + r) * BLOCK + e] += cr * vi + ci * vr


@device
def run_tape_block(i, h, nk, reference, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
                   W, X, J, keep, V, U):
    """Every instruction for the nk helicity configurations h .. h + nk - 1, which differ in
    the reference leg only, on block i: the currents and each diagram's vertex current
    are computed once for the group, contracted with the reference wavefunction of
    configuration h + k (in its state slot, :func:`reference_wavefunctions`), and its
    JAMPs go to rows k n_jamp .. (k + 1) n_jamp - 1 of J (``reference``:
    :func:`amplitude_reference`).

    With ``keep`` (the reverse pass follows) the vertex currents before their propagators
    are also stored in V, and the diagrams' currents are summed per colour flow,
    U_j = sum_d c_dj V_d, instead of being contracted one by one: every diagram meets the
    reference wavefunction, so J_j = <U_j, w_ref> for each member of the group, and the
    reverse pass needs only U for the reference's cotangent, sum_j J~_j U_j, not one
    stored current per diagram (which for gg -> tt~gg did not fit the cache)."""
    nj = U.shape[1] if keep else J.shape[1] // MEMBERS
    if keep:
        for j in range(U.shape[1]):
            for e in range(8 * BLOCK):
                U[i, j, e] = 0.0
    else:
        for j in range(nk * nj):
            for e in range(2 * BLOCK):
                J[i, j, e] = 0.0
    ref_slot, kind_ref, ref_leg = reference[0], reference[1], reference[2]
    changed = helicities[h, helicities.shape[1] - 1]
    for n in range(ops.shape[0]):
        op = ops[n, 0]
        out = ops[n, 1]
        if out == ref_slot and op <= EXT_GAUGE:
            continue  # in its state slots already (reference_wavefunctions)
        if (ops[n, 8] & changed) == 0:
            continue  # no leg of this wavefunction changed helicity: its slot is still valid
        if op <= EXT_GAUGE:
            leg = ops[n, 2]
            m = reals[ops[n, 6]] if ops[n, 6] >= 0 else 0.0
            block_external(i, op, leg, ops[n, 3] == 1, m, helicities[h, leg], p, W, out)
            continue
        a = ops[n, 2]
        b = ops[n, 3]
        c = ops[n, 4]
        row = ops[n, 5]
        ref = ops[n, 7]
        kind = output_kind(op)
        block_vertex_current(i, op, a, b, c, couplings[row, 0], couplings[row, 1], couplings[row, 2], W, X)
        if ref >= 0 and keep:
            for q in range(diag_ptr[out], diag_ptr[out + 1]):
                accumulate_flow_current(i, diag_jamp[q], diag_coef[q], X, U)
            continue
        if ref >= 0:
            for k in range(nk):
                block_contract(i, kind, state_slot(W, helicities[h + k, ref_leg]), W, X)
                for q in range(diag_ptr[out], diag_ptr[out + 1]):
                    accumulate_jamp(i, k * nj + diag_jamp[q], diag_coef[q], X, J)
            continue
        if keep:
            copy_to_slot(X, i, ROW_V, 8, V, out)
        pm = ops[n, 6]
        m = reals[pm] if pm >= 0 else 0.0
        wd = reals[pm + 1] if pm >= 0 else 0.0
        if h == 0:  # a line's momentum does not depend on helicities: the first group sets it
            block_line_momentum(i, a, b, c, four_point(op), W, out)
        block_propagate(i, kind, m, wd, X, W, out)
    if keep:
        for k in range(nk):
            block_jamps(i, kind_ref, state_slot(W, helicities[h + k, ref_leg]), W, U, J, k * nj)


@device(inline=True)
def colour_row(i, colour, J, first, a, start, X, row):
    """Scratch rows row (re) and row + 1 (im) = sum_{b >= start} C_ab J_b, the JAMPs in rows
    first + b of J.  QCD colour matrices are real: four real columns are added in one pass
    over the rows (one load and store of the accumulator for four terms instead of one, and
    two multiplications a term instead of four); complex entries take one column a pass."""
    for e in range(BLOCK):
        X[i, row * BLOCK + e] = 0.0
        X[i, (row + 1) * BLOCK + e] = 0.0
    n = colour.shape[0]
    b = start
    while b < n:
        if (b + 4 <= n and colour[a, b].imag == 0.0 and colour[a, b + 1].imag == 0.0
                and colour[a, b + 2].imag == 0.0 and colour[a, b + 3].imag == 0.0):
            c0 = colour[a, b].real
            c1 = colour[a, b + 1].real
            c2 = colour[a, b + 2].real
            c3 = colour[a, b + 3].real
            j = first + b
            for e in range(BLOCK):
                X[i, row * BLOCK + e] += (c0 * J[i, j, e] + c1 * J[i, j + 1, e]
                                          + c2 * J[i, j + 2, e] + c3 * J[i, j + 3, e])
                X[i, (row + 1) * BLOCK + e] += (c0 * J[i, j, BLOCK + e] + c1 * J[i, j + 1, BLOCK + e]
                                                + c2 * J[i, j + 2, BLOCK + e] + c3 * J[i, j + 3, BLOCK + e])
            b += 4
        else:
            cr = colour[a, b].real
            ci = colour[a, b].imag
            for e in range(BLOCK):
                X[i, row * BLOCK + e] += cr * J[i, first + b, e] - ci * J[i, first + b, BLOCK + e]
                X[i, (row + 1) * BLOCK + e] += cr * J[i, first + b, BLOCK + e] + ci * J[i, first + b, e]
            b += 1


@device
def colour_sum_block(i, colour, J, first, X, out):
    """out[i] += sum_kl conj(J_k) C_kl J_l per event (J_k in row first + k), as
    sum_k C_kk |J_k|^2 + 2 Re sum_k conj(J_k) sum_{l>k} C_kl J_l (C is Hermitian)."""
    for a in range(colour.shape[0]):
        caa = colour[a, a].real
        colour_row(i, colour, J, first, a, a + 1, X, ROW_S)
        for e in range(BLOCK):
            xr = J[i, first + a, e]
            xi = J[i, first + a, BLOCK + e]
            out[i, e] += caa * (xr * xr + xi * xi) + 2.0 * (
                xr * X[i, ROW_S * BLOCK + e] + xi * X[i, (ROW_S + 1) * BLOCK + e])


@kernel
def tape_me_block(i, p, ops, couplings, reals, helicities, colour, diag_ptr, diag_jamp, diag_coef,
                  W, X, J, out):
    """out[i, e] = norm * sum over helicities of the colour-summed |M_h|^2 of event e of
    block i (norm = reals[0]); the CPU twin of amplitude_tape.tape_me."""
    for e in range(BLOCK):
        out[i, e] = 0.0
    nj = J.shape[1] // MEMBERS
    reference = amplitude_reference(ops)
    reference_wavefunctions(i, reference, p, ops, reals, helicities, W)
    h = 0
    while h < helicities.shape[0]:
        nk = helicity_group(helicities, h, reference[2])
        run_tape_block(i, h, nk, reference, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
                       W, X, J, False, W, W)
        for k in range(nk):
            colour_sum_block(i, colour, J, k * nj, X, out)
        h += nk
    for e in range(BLOCK):
        out[i, e] *= reals[0]
