"""Reverse mode through the amplitude program: d|M|^2/dp and d|M|^2/d(couplings, masses, widths).

Per helicity the tape runs forward (slots keep every wavefunction), the partial
amplitudes are seeded with the Wirtinger cotangent of sum conj(J) C J,
dL/dJ_k = g norm conj((C J)_k), and the instructions are walked backwards:
  amplitude  A_d = <current, w_ref>:  dA_d = sum_k J~_k coef_dk, then the contraction's
             and the vertex's VJPs;
  current    J = P(K) V(inputs), K = sum of the inputs' momenta: the propagator's VJP
             (input current, K, mass, width), K's cotangent to every input slot, then
             the vertex's VJP;
  external   the wavefunction's VJP to the leg's momentum and mass, plus the slot
             momentum k = +-p.
A wavefunction keeps its value over a run of helicity configurations (the forward
skips it while none of its legs change), and its VJP is linear in its cotangent: its
cotangent is therefore accumulated over the run and pushed through its VJP once,
just before its value changes (``flush``, the legs the next configuration changes;
everything at the last one).  Only the amplitudes are walked every helicity group
(:func:`numhep.kernels.amplitude_tape.helicity_group`): a diagram's vertex inputs are
the same for the members and its VJP is linear in its seed, so it runs once per group,
seeded with the members' summed cotangents.  The reference leg's wavefunctions meet the
diagrams only through U_j = sum_d c_dj V_d (J_mj = <U_j, w_m>), so their cotangents
come from U, accumulate over the whole helicity sum, and go through the wavefunction's
VJP once per helicity state at the end.
Complex cotangents are Wirtinger derivatives, real gradients 2 Re of the complex sums
(:mod:`numhep.adjoint.wavefunctions`).  Couplings keep complex cotangents gcoup (per
row and component); the caller chains them to model inputs: dL/dtheta =
sum 2 Re(gcoup dc/dtheta).  Masses and widths are real (greals, same index as reals).
"""

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
from numhep.adjoint.wavefunctions import external_psi_vjp, external_psibar_vjp, polarisation_vjp
from numhep.kernels import amplitude_tape as fwd
from numhep.kernels._target import adjoint_of, device
from numhep.kernels.amplitude_tape import (
    amplitude_reference,
    has_state,
    helicity_group,
    reference_states,
    run_tape,
    state_slot,
)
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


@device(inline=True)
def add4(gw, i, s, a0, a1, a2, a3):
    gw[i, s, 0] += a0
    gw[i, s, 1] += a1
    gw[i, s, 2] += a2
    gw[i, s, 3] += a3


@device(inline=True)
def external_wavefunction_vjp(op, e, px, py, pz, m, hel, inc, g0, g1, g2, g3):
    """VJP of :func:`numhep.kernels.amplitude_tape.external_wavefunction`: the Wirtinger
    cotangents of (E, px, py, pz, m)."""
    z = complex(0.0, 0.0)
    if op == EXT_PSI:
        return external_psi_vjp(e, px, py, pz, m, hel, inc, g0, g1, g2, g3)
    if op == EXT_PSIBAR:
        return external_psibar_vjp(e, px, py, pz, m, hel, inc, g0, g1, g2, g3)
    if op == EXT_VECTOR:
        return polarisation_vjp(e, px, py, pz, m, hel, inc, g0, g1, g2, g3)
    if op == EXT_GAUGE:
        # (1, p/E)
        return -(g1 * px + g2 * py + g3 * pz) / (e * e), g1 / e, g2 / e, g3 / e, z
    return z, z, z, z, z


@device(inline=True)
def vertex_current_vjp(i, op, a, b, c, row, couplings, w, k, g0, g1, g2, g3, gw, gk, gcoup, track):
    """Accumulate the cotangents of the inputs, input momenta and (with ``track``) couplings of
    one vertex."""
    c0 = couplings[row, 0]
    c1 = couplings[row, 1]
    c2 = couplings[row, 2]
    if op == FFV_V or op == FFV_PSIBAR or op == FFV_PSI or op == FFS_S:
        # two spinor/vector inputs and (cL, cR): the VJPs share one layout
        if op == FFV_V:
            r = ffv_vector_vjp(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                               w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3], c0, c1, g0, g1, g2, g3)
        elif op == FFV_PSIBAR:
            r = ffv_psibar_vjp(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                               w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3], c0, c1, g0, g1, g2, g3)
        elif op == FFV_PSI:
            r = ffv_psi_vjp(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                            w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3], c0, c1, g0, g1, g2, g3)
        else:
            r = ffs_scalar_vjp(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                               w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3], c0, c1, g0)
        add4(gw, i, a, r[0], r[1], r[2], r[3])
        add4(gw, i, b, r[4], r[5], r[6], r[7])
        if track:
            gcoup[i, row, 0] += r[8]
            gcoup[i, row, 1] += r[9]
    elif op == FFS_PSIBAR:
        r = ffs_spinor_vjp(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3], w[i, b, 0], c0, c1, g0, g1, g2, g3)
        add4(gw, i, a, r[0], r[1], r[2], r[3])
        gw[i, b, 0] += r[4]
        if track:
            gcoup[i, row, 0] += r[5]
            gcoup[i, row, 1] += r[6]
    elif op == FFS_PSI:
        r = ffs_spinor_vjp(w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3], w[i, a, 0], c0, c1, g0, g1, g2, g3)
        add4(gw, i, b, r[0], r[1], r[2], r[3])
        gw[i, a, 0] += r[4]
        if track:
            gcoup[i, row, 0] += r[5]
            gcoup[i, row, 1] += r[6]
    elif op == VVV_V:
        r = vvv_vector_vjp(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                           w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3],
                           k[i, a, 0], k[i, a, 1], k[i, a, 2], k[i, a, 3],
                           k[i, b, 0], k[i, b, 1], k[i, b, 2], k[i, b, 3], c0, g0, g1, g2, g3)
        add4(gw, i, a, r[0], r[1], r[2], r[3])
        add4(gw, i, b, r[4], r[5], r[6], r[7])
        for q in range(4):
            gk[i, a, q] += 2.0 * r[8 + q].real
            gk[i, b, q] += 2.0 * r[12 + q].real
        if track:
            gcoup[i, row, 0] += r[16]
    elif op == VVVV_V:
        r = vvvv_vector_vjp(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                            w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3],
                            w[i, c, 0], w[i, c, 1], w[i, c, 2], w[i, c, 3], c0, c1, c2, g0, g1, g2, g3)
        add4(gw, i, a, r[0], r[1], r[2], r[3])
        add4(gw, i, b, r[4], r[5], r[6], r[7])
        add4(gw, i, c, r[8], r[9], r[10], r[11])
        if track:
            gcoup[i, row, 0] += r[12]
            gcoup[i, row, 1] += r[13]
            gcoup[i, row, 2] += r[14]
    elif op == VVS_V:
        # out = c S x
        s = w[i, b, 0]
        gx = g0 * w[i, a, 0] + g1 * w[i, a, 1] + g2 * w[i, a, 2] + g3 * w[i, a, 3]
        add4(gw, i, a, c0 * s * g0, c0 * s * g1, c0 * s * g2, c0 * s * g3)
        gw[i, b, 0] += c0 * gx
        if track:
            gcoup[i, row, 0] += s * gx
    elif op == VVS_S:
        # out = c (x.y)
        gw[i, a, 0] += c0 * g0 * w[i, b, 0]
        gw[i, a, 1] -= c0 * g0 * w[i, b, 1]
        gw[i, a, 2] -= c0 * g0 * w[i, b, 2]
        gw[i, a, 3] -= c0 * g0 * w[i, b, 3]
        gw[i, b, 0] += c0 * g0 * w[i, a, 0]
        gw[i, b, 1] -= c0 * g0 * w[i, a, 1]
        gw[i, b, 2] -= c0 * g0 * w[i, a, 2]
        gw[i, b, 3] -= c0 * g0 * w[i, a, 3]
        if track:
            gcoup[i, row, 0] += g0 * (w[i, a, 0] * w[i, b, 0] - w[i, a, 1] * w[i, b, 1]
                                      - w[i, a, 2] * w[i, b, 2] - w[i, a, 3] * w[i, b, 3])
    elif op == VVS_EFF_V:
        r = vvs_eff_vector_vjp(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                               k[i, a, 0], k[i, a, 1], k[i, a, 2], k[i, a, 3],
                               w[i, b, 0], k[i, b, 0], k[i, b, 1], k[i, b, 2], k[i, b, 3], c0, g0, g1, g2, g3)
        add4(gw, i, a, r[0], r[1], r[2], r[3])
        gw[i, b, 0] += r[8]
        for q in range(4):
            gk[i, a, q] += 2.0 * r[4 + q].real
            gk[i, b, q] += 2.0 * r[9 + q].real
        if track:
            gcoup[i, row, 0] += r[13]
    elif op == VVS_EFF_S:
        r = vvs_eff_scalar_vjp(w[i, a, 0], w[i, a, 1], w[i, a, 2], w[i, a, 3],
                               w[i, b, 0], w[i, b, 1], w[i, b, 2], w[i, b, 3],
                               k[i, a, 0], k[i, a, 1], k[i, a, 2], k[i, a, 3],
                               k[i, b, 0], k[i, b, 1], k[i, b, 2], k[i, b, 3], c0, g0)
        add4(gw, i, a, r[0], r[1], r[2], r[3])
        add4(gw, i, b, r[4], r[5], r[6], r[7])
        for q in range(4):
            gk[i, a, q] += 2.0 * r[8 + q].real
            gk[i, b, q] += 2.0 * r[12 + q].real
        if track:
            gcoup[i, row, 0] += r[16]
    elif op == SSS_S:
        gw[i, a, 0] += c0 * g0 * w[i, b, 0]
        gw[i, b, 0] += c0 * g0 * w[i, a, 0]
        if track:
            gcoup[i, row, 0] += g0 * w[i, a, 0] * w[i, b, 0]
    elif op == VVSS_V:
        # out = c s1 s2 x
        s1 = w[i, b, 0]
        s2 = w[i, c, 0]
        gx = g0 * w[i, a, 0] + g1 * w[i, a, 1] + g2 * w[i, a, 2] + g3 * w[i, a, 3]
        f = c0 * s1 * s2
        add4(gw, i, a, f * g0, f * g1, f * g2, f * g3)
        gw[i, b, 0] += c0 * s2 * gx
        gw[i, c, 0] += c0 * s1 * gx
        if track:
            gcoup[i, row, 0] += s1 * s2 * gx
    elif op == VVSS_S:
        # out = c (x.y) s
        s = w[i, c, 0]
        xy = (w[i, a, 0] * w[i, b, 0] - w[i, a, 1] * w[i, b, 1]
              - w[i, a, 2] * w[i, b, 2] - w[i, a, 3] * w[i, b, 3])
        f = c0 * s * g0
        add4(gw, i, a, f * w[i, b, 0], -f * w[i, b, 1], -f * w[i, b, 2], -f * w[i, b, 3])
        add4(gw, i, b, f * w[i, a, 0], -f * w[i, a, 1], -f * w[i, a, 2], -f * w[i, a, 3])
        gw[i, c, 0] += c0 * xy * g0
        if track:
            gcoup[i, row, 0] += xy * s * g0
    elif op == SSSS_S:
        s1 = w[i, a, 0]
        s2 = w[i, b, 0]
        s3 = w[i, c, 0]
        gw[i, a, 0] += c0 * g0 * s2 * s3
        gw[i, b, 0] += c0 * g0 * s1 * s3
        gw[i, c, 0] += c0 * g0 * s1 * s2
        if track:
            gcoup[i, row, 0] += g0 * s1 * s2 * s3


@device(inline=True)
def contract_vjp(kind, g, x0, x1, x2, x3):
    """VJP of :func:`numhep.kernels.amplitude_tape.contract` with respect to either side:
    g d<x, w>/dw = (g x0, s g x1, s g x2, s g x3), s = -1 for vectors and +1 for spinors; a
    scalar has the first component only."""
    zero = complex(0.0, 0.0)
    if kind == KIND_SCALAR:
        return g * x0, zero, zero, zero
    sg = -g if kind == KIND_VECTOR else g
    return g * x0, sg * x1, sg * x2, sg * x3


@device(inline=True)
def external_vjp(i, op, leg, inc, pm, hel, p, reals, gw, gk, out, gp, greals, track):
    """Push the cotangent of the external wavefunction in slot out (helicity hel) and of its
    slot momentum +-p into the leg's momentum and mass, and clear it."""
    e, px, py, pz = p[i, leg, 0], p[i, leg, 1], p[i, leg, 2], p[i, leg, 3]
    m = reals[pm] if pm >= 0 else 0.0
    r = external_wavefunction_vjp(op, e, px, py, pz, m, hel, inc, gw[i, out, 0], gw[i, out, 1], gw[i, out, 2], gw[i, out, 3])
    sgn = -1.0 if inc else 1.0
    for q in range(4):
        gw[i, out, q] = complex(0.0, 0.0)
        gp[i, leg, q] += 2.0 * r[q].real
    if out < gk.shape[1]:  # the reference's state slots have no line momentum
        for q in range(4):
            gp[i, leg, q] += sgn * gk[i, out, q]
            gk[i, out, q] = 0.0
    if pm >= 0 and track:
        greals[i, pm] += 2.0 * r[4].real


@device
def reverse_tape(i, h, nk, reference, flush, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
                 w, k, wv, gjamp, gw, gk, gcoup, greals, gp):
    """Walk the tape backwards once for the helicity group h .. h + nk - 1 (forward values in
    w, k, wv; the members' JAMP seeds in gjamp); wavefunctions with no leg in ``flush`` keep
    accumulating their cotangents.  Every diagram's vertex inputs are the same for the
    members and its VJP is linear in its seed, so the vertex VJP runs once, seeded with the
    sum over members of dA_m/dV.  The reference leg's cotangents are taken by the caller
    (from U), so its instruction is passed over.  Coupling and mass/width cotangents are
    accumulated only when gcoup has rows (parameter gradients wanted): the momentum
    gradient alone skips that work."""
    track = gcoup.shape[1] > 0
    ref_slot, kind_ref, ref_leg = reference[0], reference[1], reference[2]
    nj = gjamp.shape[1] // MEMBERS
    zero = complex(0.0, 0.0)
    for n in range(ops.shape[0] - 1, -1, -1):
        op = ops[n, 0]
        out = ops[n, 1]
        ref = ops[n, 7]
        if ref < 0 and (ops[n, 8] & flush) == 0:
            continue  # value unchanged at the next helicity: propagate later, once
        if op <= EXT_GAUGE:
            if out != ref_slot:
                external_vjp(i, op, ops[n, 2], ops[n, 3] == 1, ops[n, 6], helicities[h, ops[n, 2]], p, reals,
                             gw, gk, out, gp, greals, track)
            continue
        a = ops[n, 2]
        b = ops[n, 3]
        c = ops[n, 4]
        row = ops[n, 5]
        if ref >= 0:
            # A_m = <V, w_m>: dL/dV = sum_m (sum_j J~_mj c_dj) dA_m/dV
            t0 = t1 = t2 = t3 = zero
            for mb in range(nk):
                gamp = zero
                for q in range(diag_ptr[out], diag_ptr[out + 1]):
                    gamp += gjamp[i, mb * nj + diag_jamp[q]] * diag_coef[q]
                s = state_slot(w, helicities[h + mb, ref_leg])
                d0, d1, d2, d3 = contract_vjp(kind_ref, gamp, w[i, s, 0], w[i, s, 1], w[i, s, 2], w[i, s, 3])
                t0 += d0
                t1 += d1
                t2 += d2
                t3 += d3
            vertex_current_vjp(i, op, a, b, c, row, couplings, w, k, t0, t1, t2, t3, gw, gk, gcoup, track)
            continue
        kind = output_kind(op)
        v0, v1, v2, v3 = wv[i, out, 0], wv[i, out, 1], wv[i, out, 2], wv[i, out, 3]
        k0 = k[i, out, 0]
        k1 = k[i, out, 1]
        k2 = k[i, out, 2]
        k3 = k[i, out, 3]
        pm = ops[n, 6]
        m = reals[pm] if pm >= 0 else 0.0
        wd = reals[pm + 1] if pm >= 0 else 0.0
        g0, g1, g2, g3 = gw[i, out, 0], gw[i, out, 1], gw[i, out, 2], gw[i, out, 3]
        if kind == KIND_VECTOR:
            r = vector_propagator_vjp(v0, v1, v2, v3, k0, k1, k2, k3, m, wd, g0, g1, g2, g3)
            t0, t1, t2, t3 = r[0], r[1], r[2], r[3]
            dk0, dk1, dk2, dk3, dm, dw = r[4], r[5], r[6], r[7], r[8], r[9]
        elif kind == KIND_PSIBAR:
            r = psibar_propagator_vjp(v0, v1, v2, v3, k0, k1, k2, k3, m, wd, g0, g1, g2, g3)
            t0, t1, t2, t3 = r[0], r[1], r[2], r[3]
            dk0, dk1, dk2, dk3, dm, dw = r[4], r[5], r[6], r[7], r[8], r[9]
        elif kind == KIND_PSI:
            r = psi_propagator_vjp(v0, v1, v2, v3, k0, k1, k2, k3, m, wd, g0, g1, g2, g3)
            t0, t1, t2, t3 = r[0], r[1], r[2], r[3]
            dk0, dk1, dk2, dk3, dm, dw = r[4], r[5], r[6], r[7], r[8], r[9]
        else:
            r7 = scalar_propagator_vjp(v0, k0, k1, k2, k3, m, wd, g0)
            t0, t1, t2, t3 = r7[0], complex(0.0, 0.0), complex(0.0, 0.0), complex(0.0, 0.0)
            dk0, dk1, dk2, dk3, dm, dw = r7[1], r7[2], r7[3], r7[4], r7[5], r7[6]
        if pm >= 0 and track:
            greals[i, pm] += 2.0 * dm.real
            greals[i, pm + 1] += 2.0 * dw.real
        gk0 = gk[i, out, 0] + 2.0 * dk0.real
        gk1 = gk[i, out, 1] + 2.0 * dk1.real
        gk2 = gk[i, out, 2] + 2.0 * dk2.real
        gk3 = gk[i, out, 3] + 2.0 * dk3.real
        for q in range(4):
            gw[i, out, q] = complex(0.0, 0.0)
            gk[i, out, q] = 0.0
        gk[i, a, 0] += gk0
        gk[i, a, 1] += gk1
        gk[i, a, 2] += gk2
        gk[i, a, 3] += gk3
        gk[i, b, 0] += gk0
        gk[i, b, 1] += gk1
        gk[i, b, 2] += gk2
        gk[i, b, 3] += gk3
        if four_point(op):
            gk[i, c, 0] += gk0
            gk[i, c, 1] += gk1
            gk[i, c, 2] += gk2
            gk[i, c, 3] += gk3
        vertex_current_vjp(i, op, a, b, c, row, couplings, w, k, t0, t1, t2, t3, gw, gk, gcoup, track)


@adjoint_of(fwd.tape_me, shared="colour")
def tape_me_vjp(i, p, ops, couplings, reals, helicities, colour, diag_ptr, diag_jamp, diag_coef, g,
                w, k, wv, u, jamp, gjamp, gw, gk, gcoup, greals, out, gp):
    """out[i] = |M|^2 (as the forward), gp[i] = g d|M|^2/dp, gcoup[i] (Wirtinger) and greals[i]
    (pass gcoup with no rows, shape (n, 0, 4), and greals (n, 0) when only gp is wanted).

    wv (n, n_slots, 4) keeps the forward's currents for the reverse pass, u (n, n_jamp, 4)
    the diagrams' vertex currents summed per colour flow (:func:`run_tape`); the workspaces'
    shapes are :func:`numhep.kernels.amplitude_tape.workspace_shapes`.
    """
    for leg in range(gp.shape[1]):
        for q in range(4):
            gp[i, leg, q] = 0.0
    for r in range(gcoup.shape[1]):
        for q in range(4):
            gcoup[i, r, q] = complex(0.0, 0.0)
    for r in range(greals.shape[1]):
        greals[i, r] = 0.0
    for s in range(gw.shape[1]):
        for q in range(4):
            gw[i, s, q] = complex(0.0, 0.0)
    for s in range(gk.shape[1]):
        for q in range(4):
            gk[i, s, q] = 0.0
    track = gcoup.shape[1] > 0
    nj = u.shape[1]  # colour is the flat (nj x nj) matrix of tape_arrays
    nh = helicities.shape[0]
    last = helicities.shape[1] - 1
    scale = g[i] * reals[0]
    reference = amplitude_reference(ops)
    kind_ref, ref_leg, ref_op = reference[1], reference[2], reference[3]
    reference_states(i, reference, p, ops, reals, helicities, w)
    total = 0.0
    h = 0
    while h < nh:
        nk = helicity_group(helicities, h, ref_leg)
        run_tape(i, h, nk, reference, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
                 w, k, jamp, True, wv, u)
        for mb in range(nk):
            # one pass over the colour matrix gives both sum_a conj(J_a) (C J)_a and the seeds
            f = mb * nj
            for a in range(nj):
                sa = complex(0.0, 0.0)
                for b in range(nj):
                    sa += colour[a * nj + b] * jamp[i, f + b]
                ja = jamp[i, f + a]
                total += ja.real * sa.real + ja.imag * sa.imag
                gjamp[i, f + a] = scale * sa.conjugate()
            # J_mj = <U_j, w_m>: the state slot's cotangent accumulates over the whole sum
            s = state_slot(w, helicities[h + mb, ref_leg])
            for j in range(nj):
                d0, d1, d2, d3 = contract_vjp(kind_ref, gjamp[i, f + j], u[i, j, 0], u[i, j, 1], u[i, j, 2], u[i, j, 3])
                add4(gw, i, s, d0, d1, d2, d3)
        flush = helicities[h + nk, last] if h + nk < nh else -1
        reverse_tape(i, h, nk, reference, flush, p, ops, couplings, reals, helicities, diag_ptr, diag_jamp, diag_coef,
                     w, k, wv, gjamp, gw, gk, gcoup, greals, gp)
        h += nk
    # the reference wavefunctions' cotangents, once per helicity state
    for hel in range(-1, 2):
        if has_state(helicities, ref_leg, hel):
            external_vjp(i, ops[ref_op, 0], ref_leg, ops[ref_op, 3] == 1, ops[ref_op, 6], hel, p, reals,
                         gw, gk, state_slot(w, hel), gp, greals, track)
    out[i] = reals[0] * total
