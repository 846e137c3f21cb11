"""Events: unweighted event generation, Les Houches and HDF5 files, plots, and the dipole
emulator's training data sets."""

from numhep.events.generation import GenerationResult, generate

__all__ = ["GenerationResult", "generate"]
