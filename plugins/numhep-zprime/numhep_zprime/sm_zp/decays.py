# The analytic tree-level two-body widths of numhep's test model, in UFO's decays.py format
# (Degrande et al., arXiv:1108.2040): numhep computes the same widths from the vertices
# (model.partial_widths), and model.partial_widths(..., source="ufo") evaluates these.
from object_library import all_decays, Decay
import particles as P


Decay_Zp = Decay(name = 'Decay_Zp',
                 particle = P.Zp,
                 partial_widths = {(P.e__minus__,P.e__plus__):'(1*(gzp)**2*MZp)/(12.*cmath.pi)',
                                   (P.mu__minus__,P.mu__plus__):'(1*(gzp)**2*MZp)/(12.*cmath.pi)',
                                   (P.ta__minus__,P.ta__plus__):'(1*(gzp)**2*(MZp**2 + 2*MTA**2)*cmath.sqrt(MZp**2 - 4*MTA**2))/(12.*cmath.pi*MZp**2)',
                                   (P.u,P.u__tilde__):'(3*(gzp*xq)**2*MZp)/(12.*cmath.pi)',
                                   (P.c,P.c__tilde__):'(3*(gzp*xq)**2*(MZp**2 + 2*MC**2)*cmath.sqrt(MZp**2 - 4*MC**2))/(12.*cmath.pi*MZp**2)',
                                   (P.t,P.t__tilde__):'(3*(gzp*xq)**2*(MZp**2 + 2*MT**2)*cmath.sqrt(MZp**2 - 4*MT**2))/(12.*cmath.pi*MZp**2)',
                                   (P.d,P.d__tilde__):'(3*(gzp*xq)**2*MZp)/(12.*cmath.pi)',
                                   (P.s,P.s__tilde__):'(3*(gzp*xq)**2*MZp)/(12.*cmath.pi)',
                                   (P.b,P.b__tilde__):'(3*(gzp*xq)**2*(MZp**2 + 2*MB**2)*cmath.sqrt(MZp**2 - 4*MB**2))/(12.*cmath.pi*MZp**2)',
                                   (P.ve,P.ve__tilde__):'(gzp**2*MZp)/(24.*cmath.pi)',
                                   (P.vm,P.vm__tilde__):'(gzp**2*MZp)/(24.*cmath.pi)',
                                   (P.vt,P.vt__tilde__):'(gzp**2*MZp)/(24.*cmath.pi)'})

Decay_t = Decay(name = 'Decay_t',
                particle = P.t,
                partial_widths = {(P.W__plus__,P.b):'(ee**2/sw**2)*cmath.sqrt((MT**2 - (MB + MW)**2)*(MT**2 - (MB - MW)**2))*((MT**2 - MB**2)**2 + MW**2*(MT**2 + MB**2) - 2*MW**4)/(64.*cmath.pi*MW**2*MT**3)'})
