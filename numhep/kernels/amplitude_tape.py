"""The amplitude program interpreter: |M|^2 of any compiled process from its tape.

A process compiles (:mod:`numhep.amplitudes.compiled_process`) to plain arrays, and this one kernel runs
them for every process, one event per thread on CUDA; on the CPU the same program runs
vectorised across blocks of events (:mod:`numhep.kernels.amplitude_block`, which shares
the opcodes of :mod:`numhep.kernels.isa` and this module's external wavefunctions):

``ops`` (n_ops, 9) int64, one instruction per row:
    [opcode, out, in1, in2, in3, coupling row, propagator, amplitude reference, leg mask]
  * external wavefunctions: out = slot, in1 = leg, in2 = 1 if the leg is incoming,
    propagator = mass index (into ``reals``, -1 for massless); EXT_GAUGE puts k/E in
    place of a vector's polarisation (gauge invariance makes such amplitudes vanish);
  * vertex currents: inputs in the vertex's Lorentz order with the output leg last;
    amplitude reference = -1: the current is propagated (mass reals[prop], width
    reals[prop + 1]) into slot ``out``; otherwise the current is contracted with the
    wavefunction in slot ``amplitude reference`` and the result is diagram ``out``,
    added to the partial amplitudes (JAMPs) with the diagram's colour coefficients
    (CSR rows ``diag_ptr``/``diag_jamp``/``diag_coef``, fermion sign included).
``couplings`` (n_rows, 4) complex: (cL, cR) or (c) or (c x1, c x2, c x3), see
:mod:`numhep.kernels.vertices`.  ``helicities`` (n_hel, legs + 1): the helicity
configurations left after removing the vanishing ones, in an order where few legs
change from one to the next, with a last column marking the legs that changed: a
wavefunction or current none of whose legs changed keeps its value (the reference
leg is in no current, so all currents carry over when only it changes).

Helicity groups (what MadGraph calls helicity recycling): every diagram is contracted with
one leg's wavefunction (the reference: the compiler picks a leg with as many helicity states
as any, :class:`numhep.amplitudes.compiled_process.CompiledProcess`), and no current depends
on that leg, so the configurations that differ in its helicity only (consecutive in the
order above, at most MEMBERS of them) share every current and every diagram's vertex
current. They run as one group: the vertex currents once, the contraction and the colour sum
once per member. The reference's wavefunction for each of its helicity states sits in one of
MEMBERS extra slots, computed once per event.

|M|^2 = norm * sum_h sum_kl conj(J_k) C_kl J_l with the colour matrix C and
norm = 1 / (initial spins x initial colours x identical-particle factor).  The tape kernels
take C flattened row-major (:func:`tape_arrays`): the CUDA build copies it into each block's
shared memory as it lies, and a flat copy needs no reshape, whose size check numba compiles
to a float64 comparison of two integers.
Slots hold 4 complex components and the outgoing momentum of their subset of legs; the
workspaces' shapes are :func:`workspace_shapes`.
Adjoint: :mod:`numhep.adjoint.amplitude_tape`.
"""

import numpy as np

from numhep.kernels._target import device, kernel
from numhep.kernels.isa import (
    EXT_GAUGE,
    EXT_PSI,
    EXT_PSIBAR,
    EXT_VECTOR,
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
from numhep.kernels.wavefunctions import external_psi, external_psibar, polarisation

#: the helicity algebra is compiled with fast math (numhep.kernels._target)
FAST_MATH = True

@device(inline=True)
def external_wavefunction(op, e, px, py, pz, m, hel, inc):
    """The wavefunction of an external leg (opcodes EXT_*), 4 complex numbers."""
    if op == EXT_PSI:
        return external_psi(e, px, py, pz, m, hel, inc)
    if op == EXT_PSIBAR:
        return external_psibar(e, px, py, pz, m, hel, inc)
    if op == EXT_VECTOR:
        return polarisation(e, px, py, pz, m, hel, inc)
    if op == EXT_GAUGE:
        return complex(1.0, 0.0), complex(px / e, 0.0), complex(py / e, 0.0), complex(pz / e, 0.0)
    return complex(1.0, 0.0), complex(0.0, 0.0), complex(0.0, 0.0), complex(0.0, 0.0)


@device(inline=True)
def vertex_current(i, op, a, b, c, c0, c1, c2, w, k):
    """The colour-stripped current of the output leg (no propagator), 4 complex numbers."""
    zero = complex(0.0, 0.0)
    if op == FFV_V:
        return ffv_vector(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                          w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3], c0, c1)
    if op == FFV_PSIBAR:
        return ffv_psibar(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                          w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3], c0, c1)
    if op == FFV_PSI:
        return ffv_psi(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                       w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3], c0, c1)
    if op == FFS_S:
        s = ffs_scalar(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                       w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3], c0, c1)
        return s, zero, zero, zero
    if op == FFS_PSIBAR:
        return ffs_psibar(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3], w[i, b, 0], c0, c1)
    if op == FFS_PSI:
        return ffs_psi(w[i, a, 0], w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3], c0, c1)
    if op == VVV_V:
        return vvv_vector(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                          w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3],
                          k[i, a, 0], k[i, a, 1], k[i, a, 2], k[i, a, 3],
                          k[i, b, 0], k[i, b, 1], k[i, b, 2], k[i, b, 3], c0)
    if op == VVVV_V:
        return vvvv_vector(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                           w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3],
                           w[i, c, 0], w[i, c, 1], w[i, c, 2], w[i, c, 3], c0, c1, c2)
    if op == VVS_V:
        f = c0 * w[i, b, 0]
        return f * w[i, a, 0], f * w[i, a, 1], f * w[i, a, 2], f * w[i, a, 3]
    if op == VVS_S:
        s = c0 * (w[i, a, 0] * w[i, b, 0] - w[i, a, 1] * w[i, b, 1]
                     - w[i, a, 2] * w[i, b, 2] - w[i, a, 3] * w[i, b, 3])
        return s, zero, zero, zero
    if op == VVS_EFF_V:
        return vvs_eff_vector(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                              k[i, a, 0], k[i, a, 1], k[i, a, 2], k[i, a, 3],
                              w[i, b, 0], k[i, b, 0], k[i, b, 1], k[i, b, 2], k[i, b, 3], c0)
    if op == VVS_EFF_S:
        s = vvs_eff_scalar(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                           w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3],
                           k[i, a, 0], k[i, a, 1], k[i, a, 2], k[i, a, 3],
                           k[i, b, 0], k[i, b, 1], k[i, b, 2], k[i, b, 3], c0)
        return s, zero, zero, zero
    if op == VVSS_V:
        # c S S V: the vector a, the scalars b and c
        f = c0 * w[i, b, 0] * w[i, c, 0]
        return f * w[i, a, 0], f * w[i, a, 1], f * w[i, a, 2], f * w[i, a, 3]
    if op == VVSS_S:
        s = c0 * w[i, c, 0] * (w[i, a, 0] * w[i, b, 0] - w[i, a, 1] * w[i, b, 1]
                               - w[i, a, 2] * w[i, b, 2] - w[i, a, 3] * w[i, b, 3])
        return s, zero, zero, zero
    if op == SSSS_S:
        return c0 * w[i, a, 0] * w[i, b, 0] * w[i, c, 0], zero, zero, zero
    # SSS_S
    return c0 * w[i, a, 0] * w[i, b, 0], zero, zero, zero


@device(inline=True)
def contract(kind, x0, x1, x2, x3, w0, w1, w2, w3):
    """<x, w> for a current x meeting the wavefunction w: the Minkowski product for vectors,
    a plain sum for spinors, the first components' product for scalars."""
    if kind == KIND_SCALAR:
        return x0 * w0
    s = -1.0 if kind == KIND_VECTOR else 1.0
    return x0 * w0 + s * (x1 * w1 + x2 * w2 + x3 * w3)


@device
def amplitude_reference(ops):
    """(slot, kind, leg, instruction) of the reference wavefunction every diagram is
    contracted with: the program builds all diagrams against one leg
    (numhep.amplitudes.compiler.diagrams), and no current depends on it."""
    ref, kind, leg, row = 0, KIND_SCALAR, 0, 0
    for n in range(ops.shape[0]):
        if ops[n, 7] >= 0:
            ref, kind = ops[n, 7], output_kind(ops[n, 0])
            break
    for n in range(ops.shape[0]):
        if ops[n, 1] == ref and ops[n, 0] <= EXT_GAUGE:
            leg, row = ops[n, 2], n
    return ref, kind, leg, row


@device(inline=True)
def state_slot(W, hel):
    """The slot of the reference wavefunction with helicity hel: one per state -1, 0, 1,
    the last MEMBERS slots of W (and of its cotangent G)."""
    return W.shape[1] - MEMBERS + hel + 1


@device(inline=True)
def has_state(helicities, leg, hel):
    """Whether some configuration gives leg ``leg`` helicity hel."""
    for h in range(helicities.shape[0]):
        if helicities[h, leg] == hel:
            return True
    return False


@device
def helicity_group(helicities, h, ref_leg):
    """How many configurations from h on differ from h in the reference leg only (at most
    MEMBERS): they share every current and every diagram's vertex current, and are run
    as one group."""
    col = helicities.shape[1] - 1
    k = 1
    while k < MEMBERS and h + k < helicities.shape[0] and helicities[h + k, col] == (1 << ref_leg):
        k += 1
    return k


@device
def reference_states(i, reference, p, ops, reals, helicities, w):
    """The reference leg's wavefunction for each of its helicity states in the program, into
    its state slot (:func:`state_slot`): they depend on the momenta only, so once per event."""
    leg, row = reference[2], reference[3]
    m = reals[ops[row, 6]] if ops[row, 6] >= 0 else 0.0
    e, px, py, pz = p[i, leg, 0], p[i, leg, 1], p[i, leg, 2], p[i, leg, 3]
    for hel in range(-1, 2):
        if has_state(helicities, leg, hel):
            s = state_slot(w, hel)
            c0, c1, c2, c3 = external_wavefunction(ops[row, 0], e, px, py, pz, m, hel, ops[row, 3] == 1)
            w[i, s, 0] = c0
            w[i, s, 1] = c1
            w[i, s, 2] = c2
            w[i, s, 3] = c3


@device
def run_tape(i, h, nk, reference, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
             w, k, jamp, keep, wv, u):
    """Run every instruction for the helicity group h .. h + nk - 1 of event i (configurations
    that differ in the reference leg only, :func:`helicity_group`): every current and every
    diagram's vertex current is computed once for the group, and member m's JAMPs go to
    columns m n_jamp .. (m + 1) n_jamp - 1 of jamp[i], each diagram contracted with the
    member's reference wavefunction (in its state slot, :func:`reference_states`).

    With ``keep`` (the reverse pass follows) every current before its propagator is also
    stored in wv[i], and the diagrams' vertex currents are summed per colour flow,
    U_j = sum_d c_dj V_d into u[i, j], instead of being contracted one by one: every
    diagram meets the reference wavefunction, so J_j = <U_j, w_ref> for each member, and
    the reverse pass needs only U for the reference's cotangent, not one stored current
    per diagram.
    """
    ref_slot, kind_ref, ref_leg = reference[0], reference[1], reference[2]
    nj = u.shape[1] if keep else jamp.shape[1] // MEMBERS
    for j in range(nk * nj):
        jamp[i, j] = complex(0.0, 0.0)
    if keep:
        for j in range(nj):
            for q in range(4):
                u[i, j, q] = complex(0.0, 0.0)
    changed = helicities[h, helicities.shape[1] - 1]
    for n in range(ops.shape[0]):
        op = ops[n, 0]
        out = ops[n, 1]
        if out == ref_slot and op <= EXT_GAUGE:
            continue  # in its state slots already (reference_states)
        if (ops[n, 8] & changed) == 0:
            continue  # no leg of this wavefunction changed helicity: its slot is still valid
        if op <= EXT_GAUGE:
            leg = ops[n, 2]
            inc = ops[n, 3] == 1
            e, px, py, pz = p[i, leg, 0], p[i, leg, 1], p[i, leg, 2], p[i, leg, 3]
            m = reals[ops[n, 6]] if ops[n, 6] >= 0 else 0.0
            c0, c1, c2, c3 = external_wavefunction(op, e, px, py, pz, m, helicities[h, leg], inc)
            sgn = -1.0 if inc else 1.0
            w[i, out, 0] = c0
            w[i, out, 1] = c1
            w[i, out, 2] = c2
            w[i, out, 3] = c3
            k[i, out, 0] = sgn * e
            k[i, out, 1] = sgn * px
            k[i, out, 2] = sgn * py
            k[i, out, 3] = sgn * pz
            continue
        a = ops[n, 2]
        b = ops[n, 3]
        c = ops[n, 4]
        row = ops[n, 5]
        v0, v1, v2, v3 = vertex_current(i, op, a, b, c, couplings[row, 0], couplings[row, 1], couplings[row, 2], w, k)
        if ops[n, 7] >= 0:  # a diagram: its vertex current meets the reference wavefunction
            if keep:
                for q in range(diag_ptr[out], diag_ptr[out + 1]):
                    j = diag_jamp[q]
                    cf = diag_coef[q]
                    u[i, j, 0] += cf * v0
                    u[i, j, 1] += cf * v1
                    u[i, j, 2] += cf * v2
                    u[i, j, 3] += cf * v3
            else:
                for mb in range(nk):
                    s = state_slot(w, helicities[h + mb, ref_leg])
                    amp = contract(kind_ref, v0, v1, v2, v3, w[i, s, 0], w[i, s, 1], w[i, s, 2], w[i, s, 3])
                    for q in range(diag_ptr[out], diag_ptr[out + 1]):
                        jamp[i, mb * nj + diag_jamp[q]] += diag_coef[q] * amp
            continue
        if keep:
            wv[i, out, 0] = v0
            wv[i, out, 1] = v1
            wv[i, out, 2] = v2
            wv[i, out, 3] = v3
        kind = output_kind(op)
        k0 = k[i, a, 0] + k[i, b, 0]
        k1 = k[i, a, 1] + k[i, b, 1]
        k2 = k[i, a, 2] + k[i, b, 2]
        k3 = k[i, a, 3] + k[i, b, 3]
        if four_point(op):
            k0 += k[i, c, 0]
            k1 += k[i, c, 1]
            k2 += k[i, c, 2]
            k3 += k[i, c, 3]
        pm = ops[n, 6]
        m = reals[pm] if pm >= 0 else 0.0
        wd = reals[pm + 1] if pm >= 0 else 0.0
        if kind == KIND_VECTOR:
            v0, v1, v2, v3 = vector_propagator(v0, v1, v2, v3, k0, k1, k2, k3, m, wd)
        elif kind == KIND_PSIBAR:
            v0, v1, v2, v3 = psibar_propagator(v0, v1, v2, v3, k0, k1, k2, k3, m, wd)
        elif kind == KIND_PSI:
            v0, v1, v2, v3 = psi_propagator(v0, v1, v2, v3, k0, k1, k2, k3, m, wd)
        else:
            v0 = scalar_propagator(v0, k0, k1, k2, k3, m, wd)
        w[i, out, 0] = v0
        w[i, out, 1] = v1
        w[i, out, 2] = v2
        w[i, out, 3] = v3
        k[i, out, 0] = k0
        k[i, out, 1] = k1
        k[i, out, 2] = k2
        k[i, out, 3] = k3
    if keep:
        for mb in range(nk):
            s = state_slot(w, helicities[h + mb, ref_leg])
            for j in range(nj):
                jamp[i, mb * nj + j] = contract(kind_ref, u[i, j, 0], u[i, j, 1], u[i, j, 2], u[i, j, 3],
                                               w[i, s, 0], w[i, s, 1], w[i, s, 2], w[i, s, 3])


@device
def colour_sum(i, colour, nj, jamp, first):
    """sum_kl conj(J_k) C_kl J_l = sum_k C_kk |J_k|^2 + 2 Re sum_{k<l} conj(J_k) C_kl J_l
    (C is Hermitian: half the matrix suffices), J_k in column first + k of jamp[i], C_kl in
    colour[k * nj + l]."""
    total = 0.0
    for a in range(nj):
        ja = jamp[i, first + a]
        s = complex(0.0, 0.0)
        for b in range(a + 1, nj):
            s += colour[a * nj + b] * jamp[i, first + b]
        total += colour[a * nj + a].real * (ja.real * ja.real + ja.imag * ja.imag) + 2.0 * (ja.conjugate() * s).real
    return total


@kernel(shared="colour")
def tape_me(i, p, ops, couplings, reals, helicities, colour, diag_ptr, diag_jamp, diag_coef, w, k, jamp, out):
    """out[i] = norm * sum over helicities of the colour-summed |M_h|^2 (norm = reals[0]);
    ``colour`` is the (nj x nj) colour matrix flattened row-major (:func:`tape_arrays`)."""
    reference = amplitude_reference(ops)
    reference_states(i, reference, p, ops, reals, helicities, w)
    nj = jamp.shape[1] // MEMBERS
    total = 0.0
    h = 0
    while h < helicities.shape[0]:
        nk = helicity_group(helicities, h, reference[2])
        run_tape(i, h, nk, reference, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
                 w, k, jamp, False, w, w)
        for mb in range(nk):
            total += colour_sum(i, colour, nj, jamp, mb * nj)
        h += nk
    out[i] = reals[0] * total


@kernel
def tape_diagram_weights(i, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef, w, k, amp, out):
    """out[i, d] = sum over helicities of |A_d|^2, the squared amplitude of diagram d alone
    (no colour factor), MadGraph's single-diagram enhancement weights (Heimel, PhD thesis, Heidelberg 2024, Eq. 2.56).
    Called with the identity CSR rows (diagram d -> column d, coefficient 1) so that run_tape
    leaves every diagram's amplitude in its own column of ``amp`` (MEMBERS x n_diagrams)."""
    nd = out.shape[1]
    for d in range(nd):
        out[i, d] = 0.0
    reference = amplitude_reference(ops)
    reference_states(i, reference, p, ops, reals, helicities, w)
    h = 0
    while h < helicities.shape[0]:
        nk = helicity_group(helicities, h, reference[2])
        run_tape(i, h, nk, reference, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
                 w, k, amp, False, w, w)
        for mb in range(nk):
            for d in range(nd):
                a = amp[i, mb * nd + d]
                out[i, d] += a.real * a.real + a.imag * a.imag
        h += nk


@kernel(shared="flows")
def tape_colour_flow_weights(i, p, ops, couplings, reals, helicities, flows, diag_ptr, diag_jamp, diag_coef, w, k,
                             jamp, out):
    """out[i, f] = norm * sum over helicities of |A_f|^2 with the partial amplitude of colour flow f
    A_f = sum_k J_k W_kf (Maltoni, Paul, Stelzer & Willenbrock, hep-ph/0209271), every flow from
    one run of the tape; ``flows`` is W (nj x nf) flattened row-major, W_kf in flows[k * nf + f].
    It is tape_me with the rank-one colour matrices conj(W_kf) W_lf, summed per flow."""
    nj = jamp.shape[1] // MEMBERS
    nf = out.shape[1]
    for f in range(nf):
        out[i, f] = 0.0
    reference = amplitude_reference(ops)
    reference_states(i, reference, p, ops, reals, helicities, w)
    h = 0
    while h < helicities.shape[0]:
        nk = helicity_group(helicities, h, reference[2])
        run_tape(i, h, nk, reference, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
                 w, k, jamp, False, w, w)
        for mb in range(nk):
            for f in range(nf):
                a = complex(0.0, 0.0)
                for j in range(nj):
                    a += jamp[i, mb * nj + j] * flows[j * nf + f]
                out[i, f] += a.real * a.real + a.imag * a.imag
        h += nk
    for f in range(nf):
        out[i, f] *= reals[0]


def tape_arrays(arrays):
    """The program arrays (``Process._arrays``: ops, couplings, reals, helicities, colour,
    diagram rows) as the tape kernels take them: the colour matrix flattened row-major (a
    view, on the host or a device)."""
    arrays = tuple(arrays)
    return arrays[:4] + (arrays[4].reshape(-1),) + arrays[5:]


def workspace_shapes(n, n_slots, n_jamp, grad=False, real=np.float64):
    """(shape, dtype) of the workspaces :func:`tape_me` (and with ``grad`` its VJP) takes for
    n events, in the order of their arguments: wavefunctions (the reference leg's states in
    MEMBERS extra slots), line momenta, and JAMPs of the MEMBERS of a helicity group; for the
    VJP also the stored currents, the colour-flow currents U, the JAMP seeds and the
    wavefunction and momentum cotangents."""
    cplx = np.result_type(real, np.complex64)
    slots = ((n, n_slots + MEMBERS, 4), cplx)
    line = ((n, n_slots, 4), real)
    jamps = ((n, MEMBERS * n_jamp), cplx)
    if not grad:
        return [slots, line, jamps]
    return [slots, line, ((n, n_slots, 4), cplx), ((n, n_jamp, 4), cplx), jamps, jamps, slots, line]
