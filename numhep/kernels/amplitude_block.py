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
  * real and imaginary parts are stored apart (``wr``, ``wi``), with the event index
    innermost, so that every load is a unit-stride run of doubles;
  * a loop writes only to the block's scratch ``X`` at rows that are compile-time
    constants (``BLOCK`` is a constant): LLVM then needs one run-time overlap check per
    input slot, instead of one per pair of input and output slots, which is more than it
    is willing to emit.  The results are copied from ``X`` to their slots afterwards.

Arrays (``nb`` blocks): wavefunctions ``wr``, ``wi`` and momenta ``k`` (nb, n_slots, 4,
BLOCK); partial amplitudes ``jr``, ``ji`` (nb, n_jamp, BLOCK); scratch ``X`` (nb,
X_ROWS * BLOCK); momenta ``p`` (nb, legs, 4, BLOCK); |M|^2 ``out`` (nb, BLOCK).
The CUDA build of the tape is :mod:`numhep.kernels.amplitude_tape` (one thread per event);
both give the same |M|^2 to rounding (tested).  Adjoint: :mod:`numhep.adjoint.amplitude_block`.
"""

from numhep.kernels._target import device, inlined, kernel
from numhep.kernels.amplitude_tape import (
    EXT_GAUGE,
    FFS_PSI,
    FFS_PSIBAR,
    FFS_S,
    FFV_PSI,
    FFV_PSIBAR,
    FFV_V,
    KIND_PSI,
    KIND_PSIBAR,
    KIND_SCALAR,
    KIND_VECTOR,
    SSSS_S,
    VVS_S,
    VVSS_S,
    VVSS_V,
    VVS_V,
    VVV_V,
    VVVV_V,
    external_wavefunction,
    four_point,
    output_kind,
)
from numhep.kernels.propagators import psi_propagator, psibar_propagator, scalar_propagator, vector_propagator
from numhep.kernels.vertices import ffs_psi, ffs_psibar, ffs_scalar, ffv_psi, ffv_psibar, ffv_vector, vvv_vector, vvvv_vector

#: the helicity algebra is compiled with fast math (numhep.kernels._target)
FAST_MATH = True

#: events per block: 32 doubles are four AVX-512 registers per row; larger blocks gained
#: little in the prototype and cost cache (a slot is 12 rows of BLOCK doubles)
BLOCK = 64

# rows of the scratch X (times BLOCK): the vertex current (re 0-3, im 4-7), the propagated
# current (re 8-11, im 12-15), the line's momentum (16-19), an amplitude (20, 21) and a
# colour-sum accumulator (22, 23)
ROW_V = 0
ROW_P = 8
ROW_K = 16
ROW_A = 20
ROW_S = 22
X_ROWS = 24

_ffv_vector = inlined(ffv_vector)
_ffv_psibar = inlined(ffv_psibar)
_ffv_psi = inlined(ffv_psi)
_ffs_scalar = inlined(ffs_scalar)
_ffs_psibar = inlined(ffs_psibar)
_ffs_psi = inlined(ffs_psi)
_vvv_vector = inlined(vvv_vector)
_vvvv_vector = inlined(vvvv_vector)
_vector_propagator = inlined(vector_propagator)
_psi_propagator = inlined(psi_propagator)
_psibar_propagator = inlined(psibar_propagator)
_scalar_propagator = inlined(scalar_propagator)


@device(inline=True)
def load(wr, wi, i, s, q, e):
    return complex(wr[i, s, q, e], wi[i, s, q, e])


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
def copy_to_slot(X, i, row, dst_r, dst_i, s):
    """Slot s of (dst_r, dst_i) = the complex 4-vector in scratch rows row (re) and row + 4 (im).
    One loop for all eight rows: each loop pays LLVM's overlap checks and set-up once."""
    for e in range(dst_r.shape[3]):
        dst_r[i, s, 0, e] = X[i, row * BLOCK + e]
        dst_r[i, s, 1, e] = X[i, (row + 1) * BLOCK + e]
        dst_r[i, s, 2, e] = X[i, (row + 2) * BLOCK + e]
        dst_r[i, s, 3, e] = X[i, (row + 3) * BLOCK + e]
        dst_i[i, s, 0, e] = X[i, (row + 4) * BLOCK + e]
        dst_i[i, s, 1, e] = X[i, (row + 5) * BLOCK + e]
        dst_i[i, s, 2, e] = X[i, (row + 6) * BLOCK + e]
        dst_i[i, s, 3, e] = X[i, (row + 7) * BLOCK + e]


@device(inline=True)
def copy_momentum_to_slot(X, i, row, k, s):
    for e in range(k.shape[3]):
        k[i, s, 0, e] = X[i, row * BLOCK + e]
        k[i, s, 1, e] = X[i, (row + 1) * BLOCK + e]
        k[i, s, 2, e] = X[i, (row + 2) * BLOCK + e]
        k[i, s, 3, e] = X[i, (row + 3) * BLOCK + e]


@device
def block_vertex_current(i, op, a, b, c, c0, c1, c2, wr, wi, k, X):
    """The colour-stripped current of the output leg (no propagator) for every event of
    block i, into scratch rows ROW_V (the vertices of :mod:`numhep.kernels.vertices`;
    the scalar ones written out as in :func:`numhep.kernels.amplitude_tape.vertex_current`)."""
    zero = complex(0.0, 0.0)
    if op == FFV_V:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _ffv_vector(load(wr, wi, i, a, 0, e), load(wr, wi, i, a, 1, e),
                                         load(wr, wi, i, a, 2, e), load(wr, wi, i, a, 3, e),
                                         load(wr, wi, i, b, 0, e), load(wr, wi, i, b, 1, e),
                                         load(wr, wi, i, b, 2, e), load(wr, wi, i, b, 3, e), c0, c1)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == FFV_PSIBAR:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _ffv_psibar(load(wr, wi, i, a, 0, e), load(wr, wi, i, a, 1, e),
                                         load(wr, wi, i, a, 2, e), load(wr, wi, i, a, 3, e),
                                         load(wr, wi, i, b, 0, e), load(wr, wi, i, b, 1, e),
                                         load(wr, wi, i, b, 2, e), load(wr, wi, i, b, 3, e), c0, c1)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == FFV_PSI:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _ffv_psi(load(wr, wi, i, a, 0, e), load(wr, wi, i, a, 1, e),
                                      load(wr, wi, i, a, 2, e), load(wr, wi, i, a, 3, e),
                                      load(wr, wi, i, b, 0, e), load(wr, wi, i, b, 1, e),
                                      load(wr, wi, i, b, 2, e), load(wr, wi, i, b, 3, e), c0, c1)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == VVV_V:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _vvv_vector(load(wr, wi, i, a, 0, e), load(wr, wi, i, a, 1, e),
                                         load(wr, wi, i, a, 2, e), load(wr, wi, i, a, 3, e),
                                         load(wr, wi, i, b, 0, e), load(wr, wi, i, b, 1, e),
                                         load(wr, wi, i, b, 2, e), load(wr, wi, i, b, 3, e),
                                         k[i, a, 0, e], k[i, a, 1, e], k[i, a, 2, e], k[i, a, 3, e],
                                         k[i, b, 0, e], k[i, b, 1, e], k[i, b, 2, e], k[i, b, 3, e], c0)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == VVVV_V:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _vvvv_vector(load(wr, wi, i, a, 0, e), load(wr, wi, i, a, 1, e),
                                          load(wr, wi, i, a, 2, e), load(wr, wi, i, a, 3, e),
                                          load(wr, wi, i, b, 0, e), load(wr, wi, i, b, 1, e),
                                          load(wr, wi, i, b, 2, e), load(wr, wi, i, b, 3, e),
                                          load(wr, wi, i, c, 0, e), load(wr, wi, i, c, 1, e),
                                          load(wr, wi, i, c, 2, e), load(wr, wi, i, c, 3, e), c0, c1, c2)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == FFS_S:
        for e in range(BLOCK):
            s = _ffs_scalar(load(wr, wi, i, a, 0, e), load(wr, wi, i, a, 1, e),
                            load(wr, wi, i, a, 2, e), load(wr, wi, i, a, 3, e),
                            load(wr, wi, i, b, 0, e), load(wr, wi, i, b, 1, e),
                            load(wr, wi, i, b, 2, e), load(wr, wi, i, b, 3, e), c0, c1)
            store_row(X, i, ROW_V, e, s, zero, zero, zero)
    elif op == FFS_PSIBAR:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _ffs_psibar(load(wr, wi, i, a, 0, e), load(wr, wi, i, a, 1, e),
                                         load(wr, wi, i, a, 2, e), load(wr, wi, i, a, 3, e),
                                         load(wr, wi, i, b, 0, e), c0, c1)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == FFS_PSI:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _ffs_psi(load(wr, wi, i, a, 0, e), load(wr, wi, i, b, 0, e),
                                      load(wr, wi, i, b, 1, e), load(wr, wi, i, b, 2, e),
                                      load(wr, wi, i, b, 3, e), c0, c1)
            store_row(X, i, ROW_V, e, v0, v1, v2, v3)
    elif op == VVS_V:
        for e in range(BLOCK):
            f = c0 * load(wr, wi, i, b, 0, e)
            store_row(X, i, ROW_V, e, f * load(wr, wi, i, a, 0, e), f * load(wr, wi, i, a, 1, e),
                      f * load(wr, wi, i, a, 2, e), f * load(wr, wi, i, a, 3, e))
    elif op == VVS_S:
        for e in range(BLOCK):
            s = c0 * (load(wr, wi, i, a, 0, e) * load(wr, wi, i, b, 0, e)
                      - load(wr, wi, i, a, 1, e) * load(wr, wi, i, b, 1, e)
                      - load(wr, wi, i, a, 2, e) * load(wr, wi, i, b, 2, e)
                      - load(wr, wi, i, a, 3, e) * load(wr, wi, i, b, 3, e))
            store_row(X, i, ROW_V, e, s, zero, zero, zero)
    elif op == VVSS_V:
        for e in range(BLOCK):
            f = c0 * load(wr, wi, i, b, 0, e) * load(wr, wi, i, c, 0, e)
            store_row(X, i, ROW_V, e, f * load(wr, wi, i, a, 0, e), f * load(wr, wi, i, a, 1, e),
                      f * load(wr, wi, i, a, 2, e), f * load(wr, wi, i, a, 3, e))
    elif op == VVSS_S:
        for e in range(BLOCK):
            s = c0 * load(wr, wi, i, c, 0, e) * (
                load(wr, wi, i, a, 0, e) * load(wr, wi, i, b, 0, e)
                - load(wr, wi, i, a, 1, e) * load(wr, wi, i, b, 1, e)
                - load(wr, wi, i, a, 2, e) * load(wr, wi, i, b, 2, e)
                - load(wr, wi, i, a, 3, e) * load(wr, wi, i, b, 3, e))
            store_row(X, i, ROW_V, e, s, zero, zero, zero)
    elif op == SSSS_S:
        for e in range(BLOCK):
            s = c0 * load(wr, wi, i, a, 0, e) * load(wr, wi, i, b, 0, e) * load(wr, wi, i, c, 0, e)
            store_row(X, i, ROW_V, e, s, zero, zero, zero)
    else:  # SSS_S
        for e in range(BLOCK):
            s = c0 * load(wr, wi, i, a, 0, e) * load(wr, wi, i, b, 0, e)
            store_row(X, i, ROW_V, e, s, zero, zero, zero)


@device
def block_line_momentum(i, a, b, c, four, k, X):
    """K = k_a + k_b (+ k_c at a four-point vertex) into scratch rows ROW_K."""
    if four:
        for e in range(k.shape[3]):
            for q in range(4):
                X[i, (ROW_K + q) * BLOCK + e] = k[i, a, q, e] + k[i, b, q, e] + k[i, c, q, e]
    else:
        for e in range(k.shape[3]):
            for q in range(4):
                X[i, (ROW_K + q) * BLOCK + e] = k[i, a, q, e] + k[i, b, q, e]


@device
def block_propagate(i, kind, m, wd, X):
    """The propagator of the line (momentum in rows ROW_K) applied to the current in rows
    ROW_V, into rows ROW_P."""
    if kind == KIND_VECTOR:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _vector_propagator(
                load_row(X, i, ROW_V, 0, e), load_row(X, i, ROW_V, 1, e),
                load_row(X, i, ROW_V, 2, e), load_row(X, i, ROW_V, 3, e),
                X[i, ROW_K * BLOCK + e], X[i, (ROW_K + 1) * BLOCK + e],
                X[i, (ROW_K + 2) * BLOCK + e], X[i, (ROW_K + 3) * BLOCK + e], m, wd)
            store_row(X, i, ROW_P, e, v0, v1, v2, v3)
    elif kind == KIND_PSIBAR:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _psibar_propagator(
                load_row(X, i, ROW_V, 0, e), load_row(X, i, ROW_V, 1, e),
                load_row(X, i, ROW_V, 2, e), load_row(X, i, ROW_V, 3, e),
                X[i, ROW_K * BLOCK + e], X[i, (ROW_K + 1) * BLOCK + e],
                X[i, (ROW_K + 2) * BLOCK + e], X[i, (ROW_K + 3) * BLOCK + e], m, wd)
            store_row(X, i, ROW_P, e, v0, v1, v2, v3)
    elif kind == KIND_PSI:
        for e in range(BLOCK):
            v0, v1, v2, v3 = _psi_propagator(
                load_row(X, i, ROW_V, 0, e), load_row(X, i, ROW_V, 1, e),
                load_row(X, i, ROW_V, 2, e), load_row(X, i, ROW_V, 3, e),
                X[i, ROW_K * BLOCK + e], X[i, (ROW_K + 1) * BLOCK + e],
                X[i, (ROW_K + 2) * BLOCK + e], X[i, (ROW_K + 3) * BLOCK + e], m, wd)
            store_row(X, i, ROW_P, e, v0, v1, v2, v3)
    else:
        zero = complex(0.0, 0.0)
        for e in range(BLOCK):
            s = _scalar_propagator(
                load_row(X, i, ROW_V, 0, e),
                X[i, ROW_K * BLOCK + e], X[i, (ROW_K + 1) * BLOCK + e],
                X[i, (ROW_K + 2) * BLOCK + e], X[i, (ROW_K + 3) * BLOCK + e], m, wd)
            store_row(X, i, ROW_P, e, s, zero, zero, zero)


@device
def block_contract(i, kind, ref, wr, wi, X):
    """The amplitude: the current in rows ROW_V contracted with the wavefunction in slot
    ``ref`` (Minkowski product for vectors, plain sum for spinors), into rows ROW_A."""
    if kind == KIND_SCALAR:
        for e in range(BLOCK):
            amp = load_row(X, i, ROW_V, 0, e) * load(wr, wi, i, ref, 0, e)
            X[i, ROW_A * BLOCK + e] = amp.real
            X[i, (ROW_A + 1) * BLOCK + e] = amp.imag
        return
    s = -1.0 if kind == KIND_VECTOR else 1.0
    for e in range(BLOCK):
        amp = (load_row(X, i, ROW_V, 0, e) * load(wr, wi, i, ref, 0, e)
               + s * (load_row(X, i, ROW_V, 1, e) * load(wr, wi, i, ref, 1, e)
                      + load_row(X, i, ROW_V, 2, e) * load(wr, wi, i, ref, 2, e)
                      + load_row(X, i, ROW_V, 3, e) * load(wr, wi, i, ref, 3, e)))
        X[i, ROW_A * BLOCK + e] = amp.real
        X[i, (ROW_A + 1) * BLOCK + e] = amp.imag


@device
def run_tape_block(i, h, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
                   wr, wi, k, X, jr, ji, keep, vr, vi):
    """Every instruction for helicity configuration h on block i; JAMPs into jr, ji.
    With ``keep`` the vertex currents before their propagators are also stored in vr, vi
    (slot index for currents, n_slots + diagram for amplitudes) for the reverse pass."""
    nslots = wr.shape[1]
    for j in range(jr.shape[1]):
        for e in range(jr.shape[2]):
            jr[i, j, e] = 0.0
            ji[i, j, e] = 0.0
    changed = helicities[h, helicities.shape[1] - 1]
    for n in range(ops.shape[0]):
        if (ops[n, 8] & changed) == 0:
            continue  # no leg of this wavefunction changed helicity: its slot is still valid
        op = ops[n, 0]
        out = ops[n, 1]
        if op <= EXT_GAUGE:
            leg = ops[n, 2]
            inc = ops[n, 3] == 1
            m = reals[ops[n, 6]] if ops[n, 6] >= 0 else 0.0
            hel = helicities[h, leg]
            sgn = -1.0 if inc else 1.0
            for e in range(BLOCK):
                en, px, py, pz = p[i, leg, 0, e], p[i, leg, 1, e], p[i, leg, 2, e], p[i, leg, 3, e]
                c0, c1, c2, c3 = external_wavefunction(op, en, px, py, pz, m, hel, inc)
                wr[i, out, 0, e] = c0.real
                wr[i, out, 1, e] = c1.real
                wr[i, out, 2, e] = c2.real
                wr[i, out, 3, e] = c3.real
                wi[i, out, 0, e] = c0.imag
                wi[i, out, 1, e] = c1.imag
                wi[i, out, 2, e] = c2.imag
                wi[i, out, 3, e] = c3.imag
                k[i, out, 0, e] = sgn * en
                k[i, out, 1, e] = sgn * px
                k[i, out, 2, e] = sgn * py
                k[i, out, 3, e] = sgn * pz
            continue
        a = ops[n, 2]
        b = ops[n, 3]
        c = ops[n, 4]
        row = ops[n, 5]
        ref = ops[n, 7]
        kind = output_kind(op)
        block_vertex_current(i, op, a, b, c, couplings[row, 0], couplings[row, 1], couplings[row, 2], wr, wi, k, X)
        if keep:
            at = out + nslots if ref >= 0 else out
            copy_to_slot(X, i, ROW_V, vr, vi, at)
        if ref >= 0:
            block_contract(i, kind, ref, wr, wi, X)
            for q in range(diag_ptr[out], diag_ptr[out + 1]):
                j = diag_jamp[q]
                cr = diag_coef[q].real
                ci = diag_coef[q].imag
                for e in range(jr.shape[2]):
                    ar = X[i, ROW_A * BLOCK + e]
                    ai = X[i, (ROW_A + 1) * BLOCK + e]
                    jr[i, j, e] += cr * ar - ci * ai
                    ji[i, j, e] += cr * ai + ci * ar
            continue
        pm = ops[n, 6]
        m = reals[pm] if pm >= 0 else 0.0
        wd = reals[pm + 1] if pm >= 0 else 0.0
        block_line_momentum(i, a, b, c, four_point(op), k, X)
        block_propagate(i, kind, m, wd, X)
        copy_to_slot(X, i, ROW_P, wr, wi, out)
        copy_momentum_to_slot(X, i, ROW_K, k, out)


@device
def colour_sum_block(i, colour, jr, ji, X, out):
    """out[i] += sum_kl conj(J_k) C_kl J_l per event, as
    sum_k C_kk |J_k|^2 + 2 Re sum_k conj(J_k) sum_{l>k} C_kl J_l (C is Hermitian)."""
    nj = jr.shape[1]
    for a in range(nj):
        caa = colour[a, a].real
        for e in range(jr.shape[2]):
            X[i, ROW_S * BLOCK + e] = 0.0
            X[i, (ROW_S + 1) * BLOCK + e] = 0.0
        for b in range(a + 1, nj):
            cr = colour[a, b].real
            ci = colour[a, b].imag
            for e in range(jr.shape[2]):
                X[i, ROW_S * BLOCK + e] += cr * jr[i, b, e] - ci * ji[i, b, e]
                X[i, (ROW_S + 1) * BLOCK + e] += cr * ji[i, b, e] + ci * jr[i, b, e]
        for e in range(jr.shape[2]):
            xr = jr[i, a, e]
            xi = ji[i, a, e]
            out[i, e] += caa * (xr * xr + xi * xi) + 2.0 * (
                xr * X[i, ROW_S * BLOCK + e] + xi * X[i, (ROW_S + 1) * BLOCK + e])


@kernel
def tape_me_block(i, p, ops, couplings, reals, helicities, colour, diag_ptr, diag_jamp, diag_coef,
                  wr, wi, k, X, jr, ji, out):
    """out[i, e] = norm * sum over helicities of the colour-summed |M_h|^2 of event e of
    block i (norm = reals[0]); the CPU twin of amplitude_tape.tape_me."""
    for e in range(out.shape[1]):
        out[i, e] = 0.0
    for h in range(helicities.shape[0]):
        run_tape_block(i, h, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
                       wr, wi, k, X, jr, ji, False, wr, wi)
        colour_sum_block(i, colour, jr, ji, X, out)
    for e in range(out.shape[1]):
        out[i, e] *= reals[0]
