"""Reverse mode through the amplitude program, vectorised across a block of events.

The VJP of :func:`numhep.kernels.amplitude_block.tape_me_block`: the same walk as
:mod:`numhep.adjoint.amplitude_tape` (see there for the cotangent rules, the Wirtinger
convention and why wavefunction cotangents are flushed only when their value changes),
each instruction run for ``BLOCK`` events at once under the layout and vectorisation rules
of :mod:`numhep.kernels.amplitude_block`: the vertex and propagator VJPs write their
results to scratch rows, and short loops add those rows to the cotangent slots.

The walk runs once per helicity group (configurations that differ in the reference leg
only, :func:`numhep.kernels.amplitude_block.helicity_group`): every current and every
diagram's vertex inputs are the same for the members and the VJPs are linear in their
seeds, so each diagram's vertex VJP is seeded with the sum of the members' cotangents
and runs once for the group.

Arrays beyond the forward's: stored currents ``V`` (nb, n_slots, 8 * BLOCK: real rows 0-3,
imaginary rows 4-7), the diagrams' currents summed per colour flow ``U`` (nb, n_jamp,
8 * BLOCK; see :func:`numhep.kernels.amplitude_block.run_tape_block`), the members' JAMP
seeds ``gJ`` (nb, MEMBERS * n_jamp, 2 * BLOCK), wavefunction and momentum cotangents
``G`` (nb, n_slots + MEMBERS, SLOT_ROWS * BLOCK, laid out as the slots of ``W``), coupling
cotangents ``GC`` (nb, n_rows, 8 * BLOCK: real rows 0-3, imaginary rows 4-7; no rows when
only the momentum gradient is wanted), mass and width cotangents ``greals`` (nb, n_reals
or 0, BLOCK), momentum gradient ``gp`` (nb, legs, 4, BLOCK); the scratch ``X`` has
X_ROWS_VJP rows.
"""

from numhep.adjoint.amplitude_tape import external_wavefunction_vjp
from numhep.adjoint.propagators import psi_propagator_vjp, psibar_propagator_vjp, scalar_propagator_vjp, vector_propagator_vjp
from numhep.adjoint.vertices import (
    ffs_scalar_vjp,
    ffs_spinor_vjp,
    ffv_psi_vjp,
    ffv_psibar_vjp,
    ffv_vector_vjp,
    vvs_eff_scalar_vjp,
    vvs_eff_vector_vjp,
    vvv_vector_vjp,
    vvvv_vector_vjp,
)
from numhep.kernels import amplitude_block as fwd
from numhep.kernels._target import adjoint_of, aligned_spills, device, inlined
from numhep.kernels.amplitude_block import (
    BLOCK,
    MEMBERS,
    ROW_MOM,
    amplitude_reference,
    colour_row,
    has_state,
    helicity_group,
    load,
    load_row,
    momentum,
    reference_wavefunctions,
    run_tape_block,
    state_slot,
    store_row,
)
from numhep.kernels.isa import (
    EXT_GAUGE,
    FFS_PSI,
    FFS_PSIBAR,
    FFS_S,
    FFV_PSI,
    FFV_PSIBAR,
    FFV_V,
    KIND_PSIBAR,
    KIND_SCALAR,
    KIND_VECTOR,
    SSSS_S,
    SSS_S,
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

#: the helicity algebra is compiled with fast math (numhep.kernels._target)
FAST_MATH = True

# scratch rows (times BLOCK): the cotangent of a vertex current (re 0-3, im 4-7), the line
# momentum's cotangent (8-11), the mass's and width's (12, 13), an amplitude's (14, 15), the
# cotangents of the vertex inputs a and c (16-23, 24-31: re rows, then im rows), of the
# input momentum k_a (32-35) and of the coupling components (re 36-38, im 39-41).  Input b's
# cotangents are added to its slot inside the vertex's loop (add_to_slot_at).
ROW_T = 0
ROW_DK = 8
ROW_DM = 12
ROW_GA = 14
ROW_A = 16
ROW_C = 24
ROW_KA = 32
ROW_G = 36
X_ROWS_VJP = 42

_ffv_vector_vjp = inlined(ffv_vector_vjp)
_ffv_psibar_vjp = inlined(ffv_psibar_vjp)
_ffv_psi_vjp = inlined(ffv_psi_vjp)
_ffs_scalar_vjp = inlined(ffs_scalar_vjp)
_ffs_spinor_vjp = inlined(ffs_spinor_vjp)
_vvv_vector_vjp = inlined(vvv_vector_vjp)
_vvvv_vector_vjp = inlined(vvvv_vector_vjp)
_vvs_eff_scalar_vjp = inlined(vvs_eff_scalar_vjp)
_vvs_eff_vector_vjp = inlined(vvs_eff_vector_vjp)
_vector_propagator_vjp = inlined(vector_propagator_vjp)
_psi_propagator_vjp = inlined(psi_propagator_vjp)
_psibar_propagator_vjp = inlined(psibar_propagator_vjp)
_scalar_propagator_vjp = inlined(scalar_propagator_vjp)


@device(inline=True)
def add_to_slot(X, i, row, n, G, s):
    """Slot s of G += the complex vector in scratch rows row (re) and row + 4 (im): all four
    components (n = 4) or the first (n = 1, a scalar).  One loop for all the rows: each
    loop pays LLVM's overlap check and set-up once."""
    if n == 4:
        for e in range(BLOCK):
            for q in range(8):
                G[i, s, q * BLOCK + e] += X[i, (row + q) * BLOCK + e]
    elif n == 1:
        for e in range(BLOCK):
            G[i, s, e] += X[i, row * BLOCK + e]
            G[i, s, 4 * BLOCK + e] += X[i, (row + 4) * BLOCK + e]


@device(inline=True)
def add_momentum_to_slot(X, i, row, G, s):
    """The momentum rows of slot s of G += scratch rows row .. row + 3."""
    for e in range(BLOCK):
        for q in range(4):
            G[i, s, (ROW_MOM + q) * BLOCK + e] += X[i, (row + q) * BLOCK + e]


@device(inline=True)
def add_couplings(X, i, n, GC, row):
    """Coupling row ``row`` += the n coupling-component cotangents in scratch rows ROW_G."""
    for q in range(n):
        for e in range(BLOCK):
            GC[i, row, q * BLOCK + e] += X[i, (ROW_G + q) * BLOCK + e]
            GC[i, row, (4 + q) * BLOCK + e] += X[i, (ROW_G + 3 + q) * BLOCK + e]


@device(inline=True)
def store_couplings(X, i, e, track, g0, g1, g2):
    """The coupling cotangents, only when they are wanted: otherwise LLVM drops their
    arithmetic from the VJP as dead code."""
    if not track:
        return
    X[i, ROW_G * BLOCK + e] = g0.real
    X[i, (ROW_G + 1) * BLOCK + e] = g1.real
    X[i, (ROW_G + 2) * BLOCK + e] = g2.real
    X[i, (ROW_G + 3) * BLOCK + e] = g0.imag
    X[i, (ROW_G + 4) * BLOCK + e] = g1.imag
    X[i, (ROW_G + 5) * BLOCK + e] = g2.imag


@device(inline=True)
def add_to_slot_at(G, i, s, e, v0, v1, v2, v3):
    """Slot s of G += (v0, v1, v2, v3) at event e, from inside a vertex's loop: a loop may
    write one slot directly and still vectorise (with two, LLVM gives up on the overlap
    checks), so the second input's cotangent takes this path and the first's the scratch."""
    G[i, s, e] += v0.real
    G[i, s, BLOCK + e] += v1.real
    G[i, s, 2 * BLOCK + e] += v2.real
    G[i, s, 3 * BLOCK + e] += v3.real
    G[i, s, 4 * BLOCK + e] += v0.imag
    G[i, s, 5 * BLOCK + e] += v1.imag
    G[i, s, 6 * BLOCK + e] += v2.imag
    G[i, s, 7 * BLOCK + e] += v3.imag


@device(inline=True)
def add_scalar_to_slot_at(G, i, s, e, v):
    """Slot s of G (a scalar's: component 0) += v at event e, as add_to_slot_at."""
    G[i, s, e] += v.real
    G[i, s, 4 * BLOCK + e] += v.imag


@device(inline=True)
def add_row(X, i, row, e, v0, v1, v2, v3):
    """Scratch rows row (re) and row + 4 (im) += (v0, v1, v2, v3) at event e."""
    X[i, row * BLOCK + e] += v0.real
    X[i, (row + 1) * BLOCK + e] += v1.real
    X[i, (row + 2) * BLOCK + e] += v2.real
    X[i, (row + 3) * BLOCK + e] += v3.real
    X[i, (row + 4) * BLOCK + e] += v0.imag
    X[i, (row + 5) * BLOCK + e] += v1.imag
    X[i, (row + 6) * BLOCK + e] += v2.imag
    X[i, (row + 7) * BLOCK + e] += v3.imag


@device(inline=True)
def store_two_inputs(X, G, i, b, e, track, r):
    """(da0..da3, db0..db3, dc_L, dc_R) of an FFV or FFS vertex: da into the scratch rows,
    db added to slot b."""
    store_row(X, i, ROW_A, e, r[0], r[1], r[2], r[3])
    add_to_slot_at(G, i, b, e, r[4], r[5], r[6], r[7])
    store_couplings(X, i, e, track, r[8], r[9], complex(0.0, 0.0))


@device(inline=True)
def vjp_shape(op):
    """(components of the cotangents of inputs a and c, coupling components, whether input
    a's momentum gets a cotangent) of a vertex's VJP, in the scratch rows."""
    if op == FFS_PSI:
        return 1, 0, 2, False
    if op == FFV_V or op == FFV_PSIBAR or op == FFV_PSI or op == FFS_S or op == FFS_PSIBAR:
        return 4, 0, 2, False
    if op == VVV_V or op == VVS_EFF_V or op == VVS_EFF_S:
        return 4, 0, 1, True
    if op == VVVV_V:
        return 4, 4, 3, False
    if op == VVSS_V or op == VVSS_S:
        return 4, 1, 1, False
    if op == SSSS_S:
        return 1, 1, 1, False
    if op == SSS_S:
        return 1, 0, 1, False
    return 4, 0, 1, False  # VVS_V, VVS_S


@device
def block_vertex_vjp(i, op, a, b, c, c0, c1, c2, W, X, G, track):
    """The VJP of :func:`numhep.kernels.amplitude_block.block_vertex_current` for the
    cotangent in rows ROW_T: the cotangents of inputs a and c into rows ROW_A and ROW_C,
    input b's (and k_b's, 2 Re) added to its slot of G, k_a's (2 Re) into ROW_KA and the
    coupling cotangents into ROW_G."""
    aligned_spills()
    zero = complex(0.0, 0.0)
    if op == FFV_V:
        for e in range(BLOCK):
            r = _ffv_vector_vjp(load(W, i, a, 0, e), load(W, i, a, 1, e), load(W, i, a, 2, e), load(W, i, a, 3, e),
                                load(W, i, b, 0, e), load(W, i, b, 1, e), load(W, i, b, 2, e), load(W, i, b, 3, e),
                                c0, c1, load_row(X, i, ROW_T, 0, e), load_row(X, i, ROW_T, 1, e),
                                load_row(X, i, ROW_T, 2, e), load_row(X, i, ROW_T, 3, e))
            store_two_inputs(X, G, i, b, e, track, r)
    elif op == FFV_PSIBAR:
        for e in range(BLOCK):
            r = _ffv_psibar_vjp(load(W, i, a, 0, e), load(W, i, a, 1, e), load(W, i, a, 2, e), load(W, i, a, 3, e),
                                load(W, i, b, 0, e), load(W, i, b, 1, e), load(W, i, b, 2, e), load(W, i, b, 3, e),
                                c0, c1, load_row(X, i, ROW_T, 0, e), load_row(X, i, ROW_T, 1, e),
                                load_row(X, i, ROW_T, 2, e), load_row(X, i, ROW_T, 3, e))
            store_two_inputs(X, G, i, b, e, track, r)
    elif op == FFV_PSI:
        for e in range(BLOCK):
            r = _ffv_psi_vjp(load(W, i, a, 0, e), load(W, i, a, 1, e), load(W, i, a, 2, e), load(W, i, a, 3, e),
                             load(W, i, b, 0, e), load(W, i, b, 1, e), load(W, i, b, 2, e), load(W, i, b, 3, e),
                             c0, c1, load_row(X, i, ROW_T, 0, e), load_row(X, i, ROW_T, 1, e),
                             load_row(X, i, ROW_T, 2, e), load_row(X, i, ROW_T, 3, e))
            store_two_inputs(X, G, i, b, e, track, r)
    elif op == FFS_S:
        for e in range(BLOCK):
            r = _ffs_scalar_vjp(load(W, i, a, 0, e), load(W, i, a, 1, e), load(W, i, a, 2, e), load(W, i, a, 3, e),
                                load(W, i, b, 0, e), load(W, i, b, 1, e), load(W, i, b, 2, e), load(W, i, b, 3, e),
                                c0, c1, load_row(X, i, ROW_T, 0, e))
            store_two_inputs(X, G, i, b, e, track, r)
    elif op == FFS_PSIBAR:
        # psibar S: the spinor is input a
        for e in range(BLOCK):
            r = _ffs_spinor_vjp(load(W, i, a, 0, e), load(W, i, a, 1, e),
                                load(W, i, a, 2, e), load(W, i, a, 3, e),
                                load(W, i, b, 0, e), c0, c1,
                                load_row(X, i, ROW_T, 0, e), load_row(X, i, ROW_T, 1, e),
                                load_row(X, i, ROW_T, 2, e), load_row(X, i, ROW_T, 3, e))
            store_row(X, i, ROW_A, e, r[0], r[1], r[2], r[3])
            add_scalar_to_slot_at(G, i, b, e, r[4])
            store_couplings(X, i, e, track, r[5], r[6], zero)
    elif op == FFS_PSI:
        # S psi: the spinor is input b
        for e in range(BLOCK):
            r = _ffs_spinor_vjp(load(W, i, b, 0, e), load(W, i, b, 1, e),
                                load(W, i, b, 2, e), load(W, i, b, 3, e),
                                load(W, i, a, 0, e), c0, c1,
                                load_row(X, i, ROW_T, 0, e), load_row(X, i, ROW_T, 1, e),
                                load_row(X, i, ROW_T, 2, e), load_row(X, i, ROW_T, 3, e))
            add_to_slot_at(G, i, b, e, r[0], r[1], r[2], r[3])
            store_row(X, i, ROW_A, e, r[4], zero, zero, zero)
            store_couplings(X, i, e, track, r[5], r[6], zero)
    elif op == VVV_V:
        for e in range(BLOCK):
            r = _vvv_vector_vjp(load(W, i, a, 0, e), load(W, i, a, 1, e),
                                load(W, i, a, 2, e), load(W, i, a, 3, e),
                                load(W, i, b, 0, e), load(W, i, b, 1, e),
                                load(W, i, b, 2, e), load(W, i, b, 3, e),
                                momentum(W, i, a, 0, e), momentum(W, i, a, 1, e), momentum(W, i, a, 2, e), momentum(W, i, a, 3, e),
                                momentum(W, i, b, 0, e), momentum(W, i, b, 1, e), momentum(W, i, b, 2, e), momentum(W, i, b, 3, e), c0,
                                load_row(X, i, ROW_T, 0, e), load_row(X, i, ROW_T, 1, e),
                                load_row(X, i, ROW_T, 2, e), load_row(X, i, ROW_T, 3, e))
            store_row(X, i, ROW_A, e, r[0], r[1], r[2], r[3])
            add_to_slot_at(G, i, b, e, r[4], r[5], r[6], r[7])
            X[i, ROW_KA * BLOCK + e] = 2.0 * r[8].real
            X[i, (ROW_KA + 1) * BLOCK + e] = 2.0 * r[9].real
            X[i, (ROW_KA + 2) * BLOCK + e] = 2.0 * r[10].real
            X[i, (ROW_KA + 3) * BLOCK + e] = 2.0 * r[11].real
            G[i, b, ROW_MOM * BLOCK + e] += 2.0 * r[12].real
            G[i, b, (ROW_MOM + 1) * BLOCK + e] += 2.0 * r[13].real
            G[i, b, (ROW_MOM + 2) * BLOCK + e] += 2.0 * r[14].real
            G[i, b, (ROW_MOM + 3) * BLOCK + e] += 2.0 * r[15].real
            store_couplings(X, i, e, track, r[16], zero, zero)
    elif op == VVVV_V:
        for e in range(BLOCK):
            r = _vvvv_vector_vjp(load(W, i, a, 0, e), load(W, i, a, 1, e),
                                 load(W, i, a, 2, e), load(W, i, a, 3, e),
                                 load(W, i, b, 0, e), load(W, i, b, 1, e),
                                 load(W, i, b, 2, e), load(W, i, b, 3, e),
                                 load(W, i, c, 0, e), load(W, i, c, 1, e),
                                 load(W, i, c, 2, e), load(W, i, c, 3, e), c0, c1, c2,
                                 load_row(X, i, ROW_T, 0, e), load_row(X, i, ROW_T, 1, e),
                                 load_row(X, i, ROW_T, 2, e), load_row(X, i, ROW_T, 3, e))
            store_row(X, i, ROW_A, e, r[0], r[1], r[2], r[3])
            add_to_slot_at(G, i, b, e, r[4], r[5], r[6], r[7])
            store_row(X, i, ROW_C, e, r[8], r[9], r[10], r[11])
            store_couplings(X, i, e, track, r[12], r[13], r[14])
    # the vertices with scalars, written out (amplitude_tape.vertex_current_vjp)
    elif op == VVS_V:
        for e in range(BLOCK):
            g0 = load_row(X, i, ROW_T, 0, e)
            x0, x1, x2, x3 = load(W, i, a, 0, e), load(W, i, a, 1, e), load(W, i, a, 2, e), load(W, i, a, 3, e)
            # out = c S x
            s = load(W, i, b, 0, e)
            g1, g2, g3 = load_row(X, i, ROW_T, 1, e), load_row(X, i, ROW_T, 2, e), load_row(X, i, ROW_T, 3, e)
            gx = g0 * x0 + g1 * x1 + g2 * x2 + g3 * x3
            f = c0 * s
            store_row(X, i, ROW_A, e, f * g0, f * g1, f * g2, f * g3)
            add_scalar_to_slot_at(G, i, b, e, c0 * gx)
            store_couplings(X, i, e, track, s * gx, zero, zero)
    elif op == VVS_S:
        for e in range(BLOCK):
            g0 = load_row(X, i, ROW_T, 0, e)
            x0, x1, x2, x3 = load(W, i, a, 0, e), load(W, i, a, 1, e), load(W, i, a, 2, e), load(W, i, a, 3, e)
            # out = c (x.y)
            y0, y1, y2, y3 = load(W, i, b, 0, e), load(W, i, b, 1, e), load(W, i, b, 2, e), load(W, i, b, 3, e)
            f = c0 * g0
            store_row(X, i, ROW_A, e, f * y0, -f * y1, -f * y2, -f * y3)
            add_to_slot_at(G, i, b, e, f * x0, -f * x1, -f * x2, -f * x3)
            store_couplings(X, i, e, track, g0 * (x0 * y0 - x1 * y1 - x2 * y2 - x3 * y3), zero, zero)
    elif op == VVS_EFF_V:
        # out = c s [(q.k) y - (k.y) q], k = q + r: the vector y (momentum q) is input a,
        # the scalar s (momentum r) input b
        for e in range(BLOCK):
            r = _vvs_eff_vector_vjp(load(W, i, a, 0, e), load(W, i, a, 1, e), load(W, i, a, 2, e), load(W, i, a, 3, e),
                                    momentum(W, i, a, 0, e), momentum(W, i, a, 1, e),
                                    momentum(W, i, a, 2, e), momentum(W, i, a, 3, e),
                                    load(W, i, b, 0, e), momentum(W, i, b, 0, e), momentum(W, i, b, 1, e),
                                    momentum(W, i, b, 2, e), momentum(W, i, b, 3, e), c0,
                                    load_row(X, i, ROW_T, 0, e), load_row(X, i, ROW_T, 1, e),
                                    load_row(X, i, ROW_T, 2, e), load_row(X, i, ROW_T, 3, e))
            store_row(X, i, ROW_A, e, r[0], r[1], r[2], r[3])
            X[i, ROW_KA * BLOCK + e] = 2.0 * r[4].real
            X[i, (ROW_KA + 1) * BLOCK + e] = 2.0 * r[5].real
            X[i, (ROW_KA + 2) * BLOCK + e] = 2.0 * r[6].real
            X[i, (ROW_KA + 3) * BLOCK + e] = 2.0 * r[7].real
            add_scalar_to_slot_at(G, i, b, e, r[8])
            G[i, b, ROW_MOM * BLOCK + e] += 2.0 * r[9].real
            G[i, b, (ROW_MOM + 1) * BLOCK + e] += 2.0 * r[10].real
            G[i, b, (ROW_MOM + 2) * BLOCK + e] += 2.0 * r[11].real
            G[i, b, (ROW_MOM + 3) * BLOCK + e] += 2.0 * r[12].real
            store_couplings(X, i, e, track, r[13], zero, zero)
    elif op == VVS_EFF_S:
        # out = c [(x.q)(y.p) - (p.q)(x.y)]: x (momentum p) input a, y (momentum q) input b
        for e in range(BLOCK):
            r = _vvs_eff_scalar_vjp(load(W, i, a, 0, e), load(W, i, a, 1, e), load(W, i, a, 2, e), load(W, i, a, 3, e),
                                    load(W, i, b, 0, e), load(W, i, b, 1, e), load(W, i, b, 2, e), load(W, i, b, 3, e),
                                    momentum(W, i, a, 0, e), momentum(W, i, a, 1, e),
                                    momentum(W, i, a, 2, e), momentum(W, i, a, 3, e),
                                    momentum(W, i, b, 0, e), momentum(W, i, b, 1, e),
                                    momentum(W, i, b, 2, e), momentum(W, i, b, 3, e), c0,
                                    load_row(X, i, ROW_T, 0, e))
            store_row(X, i, ROW_A, e, r[0], r[1], r[2], r[3])
            add_to_slot_at(G, i, b, e, r[4], r[5], r[6], r[7])
            X[i, ROW_KA * BLOCK + e] = 2.0 * r[8].real
            X[i, (ROW_KA + 1) * BLOCK + e] = 2.0 * r[9].real
            X[i, (ROW_KA + 2) * BLOCK + e] = 2.0 * r[10].real
            X[i, (ROW_KA + 3) * BLOCK + e] = 2.0 * r[11].real
            G[i, b, ROW_MOM * BLOCK + e] += 2.0 * r[12].real
            G[i, b, (ROW_MOM + 1) * BLOCK + e] += 2.0 * r[13].real
            G[i, b, (ROW_MOM + 2) * BLOCK + e] += 2.0 * r[14].real
            G[i, b, (ROW_MOM + 3) * BLOCK + e] += 2.0 * r[15].real
            store_couplings(X, i, e, track, r[16], zero, zero)
    elif op == VVSS_V:
        for e in range(BLOCK):
            g0 = load_row(X, i, ROW_T, 0, e)
            x0, x1, x2, x3 = load(W, i, a, 0, e), load(W, i, a, 1, e), load(W, i, a, 2, e), load(W, i, a, 3, e)
            # out = c s1 s2 x
            s1 = load(W, i, b, 0, e)
            s2 = load(W, i, c, 0, e)
            g1, g2, g3 = load_row(X, i, ROW_T, 1, e), load_row(X, i, ROW_T, 2, e), load_row(X, i, ROW_T, 3, e)
            gx = g0 * x0 + g1 * x1 + g2 * x2 + g3 * x3
            f = c0 * s1 * s2
            store_row(X, i, ROW_A, e, f * g0, f * g1, f * g2, f * g3)
            add_scalar_to_slot_at(G, i, b, e, c0 * s2 * gx)
            store_row(X, i, ROW_C, e, c0 * s1 * gx, zero, zero, zero)
            store_couplings(X, i, e, track, s1 * s2 * gx, zero, zero)
    elif op == VVSS_S:
        for e in range(BLOCK):
            g0 = load_row(X, i, ROW_T, 0, e)
            x0, x1, x2, x3 = load(W, i, a, 0, e), load(W, i, a, 1, e), load(W, i, a, 2, e), load(W, i, a, 3, e)
            # out = c (x.y) s
            y0, y1, y2, y3 = load(W, i, b, 0, e), load(W, i, b, 1, e), load(W, i, b, 2, e), load(W, i, b, 3, e)
            s = load(W, i, c, 0, e)
            xy = x0 * y0 - x1 * y1 - x2 * y2 - x3 * y3
            f = c0 * s * g0
            store_row(X, i, ROW_A, e, f * y0, -f * y1, -f * y2, -f * y3)
            add_to_slot_at(G, i, b, e, f * x0, -f * x1, -f * x2, -f * x3)
            store_row(X, i, ROW_C, e, c0 * xy * g0, zero, zero, zero)
            store_couplings(X, i, e, track, xy * s * g0, zero, zero)
    elif op == SSSS_S:
        for e in range(BLOCK):
            g0 = load_row(X, i, ROW_T, 0, e)
            x0 = load(W, i, a, 0, e)
            s2 = load(W, i, b, 0, e)
            s3 = load(W, i, c, 0, e)
            store_row(X, i, ROW_A, e, c0 * g0 * s2 * s3, zero, zero, zero)
            add_scalar_to_slot_at(G, i, b, e, c0 * g0 * x0 * s3)
            store_row(X, i, ROW_C, e, c0 * g0 * x0 * s2, zero, zero, zero)
            store_couplings(X, i, e, track, g0 * x0 * s2 * s3, zero, zero)
    else:  # SSS_S
        for e in range(BLOCK):
            g0 = load_row(X, i, ROW_T, 0, e)
            x0 = load(W, i, a, 0, e)
            s2 = load(W, i, b, 0, e)
            store_row(X, i, ROW_A, e, c0 * g0 * s2, zero, zero, zero)
            add_scalar_to_slot_at(G, i, b, e, c0 * g0 * x0)
            store_couplings(X, i, e, track, g0 * x0 * s2, zero, zero)


@device
def block_vertex_vjp_accumulate(i, op, a, b, c, row, X, G, GC, track):
    """Add the scratch rows of :func:`block_vertex_vjp` to the cotangent slots."""
    na, nc, ncoup, moves = vjp_shape(op)
    add_to_slot(X, i, ROW_A, na, G, a)
    add_to_slot(X, i, ROW_C, nc, G, c)
    if moves:
        add_momentum_to_slot(X, i, ROW_KA, G, a)
    if track:
        add_couplings(X, i, ncoup, GC, row)


@device(inline=True)
def store_propagator_vjp(X, G, i, out, e, track, t0, t1, t2, t3, dk0, dk1, dk2, dk3, dm, dw):
    """The propagator VJP's results into the scratch rows, and the slot's cotangent, now
    consumed, reset for the next helicity (in this loop: a separate clear was a memset
    call per slot)."""
    for q in range(8):
        G[i, out, q * BLOCK + e] = 0.0
    store_row(X, i, ROW_T, e, t0, t1, t2, t3)
    X[i, ROW_DK * BLOCK + e] = 2.0 * dk0.real
    X[i, (ROW_DK + 1) * BLOCK + e] = 2.0 * dk1.real
    X[i, (ROW_DK + 2) * BLOCK + e] = 2.0 * dk2.real
    X[i, (ROW_DK + 3) * BLOCK + e] = 2.0 * dk3.real
    if not track:
        return  # the mass and width cotangents are dead code then
    X[i, ROW_DM * BLOCK + e] = 2.0 * dm.real
    X[i, (ROW_DM + 1) * BLOCK + e] = 2.0 * dw.real


@device
def block_propagator_vjp(i, kind, out, m, wd, V, W, G, X, track):
    """VJP of the propagator of slot ``out`` (its current before the propagator in V, its
    momentum in W, its cotangent in G): the current's cotangent into rows ROW_T,
    2 Re of the momentum's, mass's and width's into ROW_DK, ROW_DM, ROW_DM + 1."""
    aligned_spills()
    if kind == KIND_SCALAR:
        zero = complex(0.0, 0.0)
        for e in range(BLOCK):
            r = _scalar_propagator_vjp(load(V, i, out, 0, e), momentum(W, i, out, 0, e), momentum(W, i, out, 1, e),
                                       momentum(W, i, out, 2, e), momentum(W, i, out, 3, e), m, wd, load(G, i, out, 0, e))
            store_propagator_vjp(X, G, i, out, e, track, r[0], zero, zero, zero, r[1], r[2], r[3], r[4], r[5], r[6])
    elif kind == KIND_VECTOR:
        for e in range(BLOCK):
            r = _vector_propagator_vjp(
                load(V, i, out, 0, e), load(V, i, out, 1, e), load(V, i, out, 2, e), load(V, i, out, 3, e),
                momentum(W, i, out, 0, e), momentum(W, i, out, 1, e), momentum(W, i, out, 2, e), momentum(W, i, out, 3, e), m, wd,
                load(G, i, out, 0, e), load(G, i, out, 1, e), load(G, i, out, 2, e), load(G, i, out, 3, e))
            store_propagator_vjp(X, G, i, out, e, track, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9])
    elif kind == KIND_PSIBAR:
        for e in range(BLOCK):
            r = _psibar_propagator_vjp(
                load(V, i, out, 0, e), load(V, i, out, 1, e), load(V, i, out, 2, e), load(V, i, out, 3, e),
                momentum(W, i, out, 0, e), momentum(W, i, out, 1, e), momentum(W, i, out, 2, e), momentum(W, i, out, 3, e), m, wd,
                load(G, i, out, 0, e), load(G, i, out, 1, e), load(G, i, out, 2, e), load(G, i, out, 3, e))
            store_propagator_vjp(X, G, i, out, e, track, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9])
    else:
        for e in range(BLOCK):
            r = _psi_propagator_vjp(
                load(V, i, out, 0, e), load(V, i, out, 1, e), load(V, i, out, 2, e), load(V, i, out, 3, e),
                momentum(W, i, out, 0, e), momentum(W, i, out, 1, e), momentum(W, i, out, 2, e), momentum(W, i, out, 3, e), m, wd,
                load(G, i, out, 0, e), load(G, i, out, 1, e), load(G, i, out, 2, e), load(G, i, out, 3, e))
            store_propagator_vjp(X, G, i, out, e, track, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9])


@device
def block_amplitude_seed(i, out, h, nk, ref_leg, helicities, kind, diag_ptr, diag_jamp, diag_coef, gJ, W, X):
    """The cotangent of diagram ``out``'s vertex current for the whole helicity group,
    T = sum_k ga_k (w_k0, s w_k1, s w_k2, s w_k3) (w_k the reference wavefunction of
    configuration h + k in its state slot, s = -1 for vectors, +1 for spinors, scalars
    only the first component), into rows ROW_T: the members share the vertex's inputs and the VJP is
    linear in T, so one VJP serves the group.  ga_k = sum_j J~_kj c_dj goes to rows ROW_GA
    first (its first colour flow's term written, not added to zeros: a zeroing loop
    became two memset calls per diagram).  The reference's own cotangent comes from
    :func:`block_reference_vjp`, once for all diagrams."""
    nj = gJ.shape[1] // MEMBERS
    s = -1.0 if kind == KIND_VECTOR else 1.0
    first = diag_ptr[out]
    for k in range(nk):
        if first == diag_ptr[out + 1]:
            for e in range(2 * BLOCK):
                X[i, ROW_GA * BLOCK + e] = 0.0
        else:
            j = k * nj + diag_jamp[first]
            cr = diag_coef[first].real
            ci = diag_coef[first].imag
            for e in range(BLOCK):
                X[i, ROW_GA * BLOCK + e] = gJ[i, j, e] * cr - gJ[i, j, BLOCK + e] * ci
                X[i, (ROW_GA + 1) * BLOCK + e] = gJ[i, j, e] * ci + gJ[i, j, BLOCK + e] * cr
        for q in range(first + 1, diag_ptr[out + 1]):
            j = k * nj + diag_jamp[q]
            cr = diag_coef[q].real
            ci = diag_coef[q].imag
            if ci == 0.0:  # QCD's coefficients are +-1 or +-i: two of the four multiplications
                for e in range(BLOCK):
                    X[i, ROW_GA * BLOCK + e] += gJ[i, j, e] * cr
                    X[i, (ROW_GA + 1) * BLOCK + e] += gJ[i, j, BLOCK + e] * cr
            elif cr == 0.0:
                for e in range(BLOCK):
                    X[i, ROW_GA * BLOCK + e] -= gJ[i, j, BLOCK + e] * ci
                    X[i, (ROW_GA + 1) * BLOCK + e] += gJ[i, j, e] * ci
            else:
                for e in range(BLOCK):
                    X[i, ROW_GA * BLOCK + e] += gJ[i, j, e] * cr - gJ[i, j, BLOCK + e] * ci
                    X[i, (ROW_GA + 1) * BLOCK + e] += gJ[i, j, e] * ci + gJ[i, j, BLOCK + e] * cr
        w = state_slot(W, helicities[h + k, ref_leg])
        if k == 0:
            for e in range(BLOCK):
                ga = complex(X[i, ROW_GA * BLOCK + e], X[i, (ROW_GA + 1) * BLOCK + e])
                gs = s * ga
                store_row(X, i, ROW_T, e, ga * load(W, i, w, 0, e), gs * load(W, i, w, 1, e),
                          gs * load(W, i, w, 2, e), gs * load(W, i, w, 3, e))
        else:
            for e in range(BLOCK):
                ga = complex(X[i, ROW_GA * BLOCK + e], X[i, (ROW_GA + 1) * BLOCK + e])
                gs = s * ga
                add_row(X, i, ROW_T, e, ga * load(W, i, w, 0, e), gs * load(W, i, w, 1, e),
                        gs * load(W, i, w, 2, e), gs * load(W, i, w, 3, e))


@device
def block_reference_vjp(i, kind, ref, U, gJ, first, G):
    """The reference wavefunction's cotangent from every diagram at once: with
    J_j = <U_j, w_ref>, G_ref += sum_j J~_j (U_j0, s U_j1, s U_j2, s U_j3) (J~_j in row
    first + j of gJ; s = -1 for vectors, +1 for spinors; a scalar has only the first
    component)."""
    s = -1.0 if kind == KIND_VECTOR else 1.0
    nq = 1 if kind == KIND_SCALAR else 4
    for j in range(U.shape[1]):
        for e in range(BLOCK):
            gr = gJ[i, first + j, e]
            gi = gJ[i, first + j, BLOCK + e]
            for q in range(nq):
                f = 1.0 if q == 0 else s
                ur = U[i, j, q * BLOCK + e]
                ui = U[i, j, (4 + q) * BLOCK + e]
                G[i, ref, q * BLOCK + e] += f * (gr * ur - gi * ui)
                G[i, ref, (4 + q) * BLOCK + e] += f * (gr * ui + gi * ur)


@device(inline=True)
def clear_slot(G, i, s):
    for e in range(G.shape[2]):
        G[i, s, e] = 0.0


@device
def block_external_vjp(i, op, leg, inc, pm, hel, p, reals, G, out, gp, greals, track):
    """The cotangent in slot out of external leg ``leg``'s wavefunction (helicity hel) and
    of its momentum, into the momentum gradient gp (and the mass's into greals); the slot
    is then cleared."""
    m = reals[pm] if pm >= 0 else 0.0
    sgn = -1.0 if inc else 1.0
    for e in range(BLOCK):
        r = external_wavefunction_vjp(op, p[i, leg, 0, e], p[i, leg, 1, e], p[i, leg, 2, e], p[i, leg, 3, e],
                                      m, hel, inc, load(G, i, out, 0, e), load(G, i, out, 1, e),
                                      load(G, i, out, 2, e), load(G, i, out, 3, e))
        for q in range(4):
            gp[i, leg, q, e] += 2.0 * r[q].real + sgn * G[i, out, (ROW_MOM + q) * BLOCK + e]
        if pm >= 0 and track:
            greals[i, pm, e] += 2.0 * r[4].real
    clear_slot(G, i, out)


@device
def reverse_tape_block(i, h, nk, reference, flush, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
                       W, V, X, gJ, G, GC, greals, gp):
    """Walk the tape backwards once for the helicity group h .. h + nk - 1 on block i
    (forward values in W and V, JAMP seeds of the members in gJ); wavefunctions with no
    leg in ``flush`` keep accumulating.  The reference leg's cotangents are taken before
    (:func:`block_reference_vjp`), so its instruction is passed over."""
    track = GC.shape[1] > 0
    ref_slot, ref_leg = reference[0], reference[2]
    for n in range(ops.shape[0] - 1, -1, -1):
        op = ops[n, 0]
        out = ops[n, 1]
        ref = ops[n, 7]
        if ref < 0 and (ops[n, 8] & flush) == 0:
            continue  # value unchanged at the next helicity: propagate later, once
        pm = ops[n, 6]
        if op <= EXT_GAUGE:
            if out != ref_slot:
                leg = ops[n, 2]
                block_external_vjp(i, op, leg, ops[n, 3] == 1, pm, helicities[h, leg], p, reals, G, out, gp, greals, track)
            continue
        a = ops[n, 2]
        b = ops[n, 3]
        c = ops[n, 4]
        row = ops[n, 5]
        kind = output_kind(op)
        if ref >= 0:
            block_amplitude_seed(i, out, h, nk, ref_leg, helicities, kind, diag_ptr, diag_jamp, diag_coef, gJ, W, X)
        else:
            m = reals[pm] if pm >= 0 else 0.0
            wd = reals[pm + 1] if pm >= 0 else 0.0
            block_propagator_vjp(i, kind, out, m, wd, V, W, G, X, track)
            if pm >= 0 and track:
                for e in range(BLOCK):
                    greals[i, pm, e] += X[i, ROW_DM * BLOCK + e]
                    greals[i, pm + 1, e] += X[i, (ROW_DM + 1) * BLOCK + e]
            # the line momentum K = k_a + k_b (+ k_c): its whole cotangent to each input
            for e in range(BLOCK):
                for q in range(4):
                    X[i, (ROW_DK + q) * BLOCK + e] += G[i, out, (ROW_MOM + q) * BLOCK + e]
                    G[i, out, (ROW_MOM + q) * BLOCK + e] = 0.0
            add_momentum_to_slot(X, i, ROW_DK, G, a)
            add_momentum_to_slot(X, i, ROW_DK, G, b)
            if four_point(op):
                add_momentum_to_slot(X, i, ROW_DK, G, c)
        block_vertex_vjp(i, op, a, b, c, couplings[row, 0], couplings[row, 1], couplings[row, 2], W, X, G, track)
        block_vertex_vjp_accumulate(i, op, a, b, c, row, X, G, GC, track)


@device(inline=True)
def clear(dst, i):
    for s in range(dst.shape[1]):
        for e in range(dst.shape[2]):
            dst[i, s, e] = 0.0


@adjoint_of(fwd.tape_me_block)
def tape_me_block_vjp(i, p, ops, couplings, reals, helicities, colour, diag_ptr, diag_jamp, diag_coef, g,
                      W, X, J, U, V, gJ, G, GC, greals, out, gp):
    """out[i] = |M|^2 (as the forward), gp[i] = g d|M|^2/dp, GC[i] the (Wirtinger) coupling
    cotangents and greals[i] the mass and width ones (pass GC with no rows and greals with
    none when only gp is wanted)."""
    for leg in range(gp.shape[1]):
        for q in range(4):
            for e in range(BLOCK):
                gp[i, leg, q, e] = 0.0
    clear(GC, i)
    clear(G, i)
    clear(greals, i)
    for e in range(BLOCK):
        out[i, e] = 0.0
    track = GC.shape[1] > 0
    nj = colour.shape[0]
    nh = helicities.shape[0]
    last = helicities.shape[1] - 1
    norm = reals[0]
    reference = amplitude_reference(ops)
    ref_kind, ref_leg, ref_op = reference[1], reference[2], reference[3]
    reference_wavefunctions(i, reference, p, ops, reals, helicities, W)
    h = 0
    while h < nh:
        nk = helicity_group(helicities, h, ref_leg)
        run_tape_block(i, h, nk, reference, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
                       W, X, J, True, V, U)
        for k in range(nk):
            # one pass over the colour matrix: S = C J gives sum conj(J) S and the seeds
            # dL/dJ_a = g norm conj(S_a)
            f = k * nj
            for a in range(nj):
                colour_row(i, colour, J, f, a, 0, X, ROW_GA)
                for e in range(BLOCK):
                    sr = X[i, ROW_GA * BLOCK + e]
                    si = X[i, (ROW_GA + 1) * BLOCK + e]
                    out[i, e] += J[i, f + a, e] * sr + J[i, f + a, BLOCK + e] * si
                    gJ[i, f + a, e] = g[i, e] * norm * sr
                    gJ[i, f + a, BLOCK + e] = -g[i, e] * norm * si
            # the state slot's cotangent accumulates over the whole helicity sum
            block_reference_vjp(i, ref_kind, state_slot(W, helicities[h + k, ref_leg]), U, gJ, f, G)
        flush = helicities[h + nk, last] if h + nk < nh else -1
        reverse_tape_block(i, h, nk, reference, flush, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
                           W, V, X, gJ, G, GC, greals, gp)
        h += nk
    # the reference wavefunctions' cotangents, once per helicity state
    for hel in range(-1, 2):
        if has_state(helicities, ref_leg, hel):
            block_external_vjp(i, ops[ref_op, 0], ref_leg, ops[ref_op, 3] == 1, ops[ref_op, 6], hel, p, reals,
                               G, state_slot(W, hel), gp, greals, track)
    for e in range(BLOCK):
        out[i, e] *= norm
