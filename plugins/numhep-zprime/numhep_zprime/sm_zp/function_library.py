# The functions UFO expressions may call, for running this folder as Python (numhep's reader
# has its own, dual-number aware copies).
import cmath

def complexconjugate(z): return z.conjugate()
def re(z): return z.real
def im(z): return z.imag
def sec(z): return 1. / cmath.cos(z)
def csc(z): return 1. / cmath.sin(z)
def asec(z): return cmath.acos(1. / z)
def acsc(z): return cmath.asin(1. / z)
def cot(z): return 1. / cmath.tan(z)
