"""The instruction set of numhep's amplitude programs: opcodes, current kinds, group size.

The compiler (:mod:`numhep.amplitudes.compiler.program`) writes programs in it and the
interpreters run them: :mod:`numhep.kernels.amplitude_tape` (one event per CUDA thread)
and :mod:`numhep.kernels.amplitude_block` (blocks of events on the CPU), with their adjoints.
An instruction is a row of ``ops`` (n_ops, 9) int64:

    [opcode, out, in1, in2, in3, coupling row, propagator, amplitude reference, leg mask]

* external wavefunctions (EXT_*): out = slot, in1 = leg, in2 = 1 if the leg is incoming,
  propagator = mass index into ``reals`` (-1 for massless); EXT_GAUGE puts k/E in place of
  a vector's polarisation (gauge invariance makes such amplitudes vanish);
* vertex currents (FFV_*, FFS_*, VVV_V, ...): inputs in the vertex's Lorentz order with the
  output leg last; amplitude reference -1: the current is propagated into slot ``out``;
  otherwise it is contracted with the wavefunction in that slot and is diagram ``out``.
"""

from numhep.kernels._target import device

# opcodes (the compiler emits the same numbers)
EXT_PSI = 0
EXT_PSIBAR = 1
EXT_VECTOR = 2
EXT_SCALAR = 3
EXT_GAUGE = 4  # a vector leg's polarisation replaced by k/E: Ward-identity checks
FFV_V = 10
FFV_PSIBAR = 11
FFV_PSI = 12
FFS_S = 20
FFS_PSIBAR = 21
FFS_PSI = 22
VVV_V = 30
VVVV_V = 31
VVS_V = 40
VVS_S = 41
VVS_EFF_V = 42  # c [k2^mu k1^nu - (k1.k2) g^munu] S: the vector current
VVS_EFF_S = 43  # and the scalar one
SSS_S = 50
VVSS_V = 60
VVSS_S = 61
SSSS_S = 70

#: output kind of each current opcode: 0 vector, 1 psibar, 2 psi, 3 scalar
KIND_VECTOR = 0
KIND_PSIBAR = 1
KIND_PSI = 2
KIND_SCALAR = 3

#: the most helicity states of one leg (a massive vector's three): configurations that
#: differ in the reference leg only are run as one group, sharing all but the contraction
MEMBERS = 3


@device(inline=True)
def output_kind(op):
    if op == FFV_PSIBAR or op == FFS_PSIBAR:
        return KIND_PSIBAR
    if op == FFV_PSI or op == FFS_PSI:
        return KIND_PSI
    if op == FFS_S or op == VVS_S or op == VVS_EFF_S or op == SSS_S or op == VVSS_S or op == SSSS_S:
        return KIND_SCALAR
    return KIND_VECTOR


@device(inline=True)
def four_point(op):
    return op == VVVV_V or op == VVSS_V or op == VVSS_S or op == SSSS_S
