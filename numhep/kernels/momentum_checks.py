"""Whether momenta can be given to the amplitudes: one pass over each event's legs.

A predicate, not a map: its outputs are flags that ``numhep.me`` turns into errors naming
the event and leg, or counts in a warning.  Like the generator cuts it is a step function of
the momenta, so it has no adjoint (its derivative is zero wherever it is defined).

Flags (bits of ``flags[i]``):

* :data:`ENERGY`: an incoming energy is not positive (or is NaN);
* :data:`CONSERVATION`: max_mu |sum_in p^mu - sum_out p^mu| exceeds the tolerance times the
  sum of the incoming energies (or is NaN);
* :data:`SHELL`: a leg has |p^2 - m^2| > tolerance (E^2 + m^2) (``leg[i]``: the first one);
* :data:`NEAR_LIMIT`: the smallest pair invariant |2 p_a.p_b| over all pairs of legs lies
  below ``limit`` |s| (s of the incoming momenta): a soft or collinear limit, where the
  momenta's rounding costs digits of |M|^2.

``settings`` = (number of incoming legs, conservation tolerance, shell tolerance, limit),
in the precision of ``p``.
"""

from numhep.kernels._target import kernel

ENERGY = 1
CONSERVATION = 2
SHELL = 4
NEAR_LIMIT = 8


@kernel
def momentum_flags(i, p, masses, settings, flags, leg):
    legs = p.shape[1]
    k = int(settings[0])
    f = 0
    # the incoming momenta's sum: its energy scales the conservation test, its square is s
    e0 = 0.0
    e1 = 0.0
    e2 = 0.0
    e3 = 0.0
    for a in range(k):
        if not p[i, a, 0] > 0.0:
            f |= ENERGY
        e0 += p[i, a, 0]
        e1 += p[i, a, 1]
        e2 += p[i, a, 2]
        e3 += p[i, a, 3]
    for c in range(4):
        balance = 0.0
        for a in range(legs):
            if a < k:
                balance += p[i, a, c]
            else:
                balance -= p[i, a, c]
        if not abs(balance) <= settings[1] * e0:  # a NaN fails too
            f |= CONSERVATION
    leg[i] = -1
    for a in range(legs):
        e = p[i, a, 0]
        p2 = e * e - p[i, a, 1] * p[i, a, 1] - p[i, a, 2] * p[i, a, 2] - p[i, a, 3] * p[i, a, 3]
        m2 = masses[a] * masses[a]
        if not abs(p2 - m2) <= settings[2] * (e * e + m2):
            if leg[i] < 0:
                leg[i] = a
            f |= SHELL
    s = abs(e0 * e0 - e1 * e1 - e2 * e2 - e3 * e3)
    smallest = s
    for a in range(legs):
        for b in range(a + 1, legs):
            d = 2.0 * abs(p[i, a, 0] * p[i, b, 0] - p[i, a, 1] * p[i, b, 1] - p[i, a, 2] * p[i, b, 2]
                          - p[i, a, 3] * p[i, b, 3])
            if d < smallest:
                smallest = d
    if smallest < settings[3] * s:
        f |= NEAR_LIMIT
    flags[i] = f
