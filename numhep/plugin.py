"""What a plugin writes numhep's extensions with: processes with their own kernels and
adjoints, and models, hand-written or read from UFO.

A process kernel is an *event function* decorated with :func:`kernel`; numhep builds a
parallel CPU loop and a CUDA kernel from it.  Its adjoint is a second event function
decorated with ``@adjoint_of(the_kernel)``, taking the same arguments followed by the
output's cotangent and the arrays the input cotangents are written to::

    from numhep.plugin import Process, adjoint_of, kernel, mdot

    @kernel
    def my_me(i, p, params, out):                  # out[i] = |M|^2 of event i
        ...

    @adjoint_of(my_me)
    def my_me_vjp(i, p, params, g, gp, gparams):   # gp[i] = g d|M|^2/dp, gparams[i, k] = g d|M|^2/dparams[k]
        ...

    def my_process():
        return Process(name="my_process", legs=(-11, 11, -13, 13), masses=(0, 0, 0, 0), kernel=my_me,
                       model=numhep.model("sm"), parameters=("ee", "sw2", "MZ", "WZ"))

and the plugin's ``setup.cfg`` declares ``my_process`` under the entry-point group
``numhep.processes``.  Small scalar helpers shared by kernels are marked :func:`device`;
import them by name (the CUDA build re-links names it sees as globals).  A model is a
:class:`Model` of :class:`Particle` and :class:`Vertex` records, or a UFO folder: an
entry point in ``numhep.models`` may name a :class:`~pathlib.Path` to the folder, which
:func:`load_ufo` reads.  ``plugins/numhep-zprime`` in numhep's repository does both, and the
README's "Write your own process" and "Add a model" sections walk through it.
"""

from numhep.declarations.dual_numbers import Dual, cos, sin, sqrt
from numhep.declarations.model import Model, Particle, Vertex
from numhep.declarations.process import Process
from numhep.declarations.ufo import UFOError, load_ufo
from numhep.kernels._target import adjoint_of, device, kernel
from numhep.kernels.lorentz import mdot

__all__ = ["Dual", "Model", "Particle", "Process", "UFOError", "Vertex", "adjoint_of", "cos", "device", "kernel",
           "load_ufo", "mdot", "sin", "sqrt"]
