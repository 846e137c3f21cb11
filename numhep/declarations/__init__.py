"""What numhep computes with: process declarations, models and the built-in Standard Model.

A :class:`Process` couples external legs with a matrix-element kernel and its adjoint
(:mod:`numhep.declarations.process`); a :class:`Model` holds particles, vertices and
parameters with their derivatives (:mod:`numhep.declarations.model`); the Standard Model in
MadGraph's ``sm`` conventions and its CP-violating extension are in
:mod:`numhep.declarations.standard_model`.  Plugins register more through the entry points
of :mod:`numhep.registry`.
"""

from numhep.declarations.model import Model, Particle, Vertex
from numhep.declarations.process import Process

__all__ = ["Model", "Particle", "Process", "Vertex"]
