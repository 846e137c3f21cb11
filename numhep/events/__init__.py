"""Events: unweighted event generation, Les Houches and HDF5 files, plots, the dipole
emulator's training data sets and the joint likelihood-ratio data of simulation-based inference."""

from numhep.events.dipole_dataset import DipoleDataset, generate_dipole_dataset, jet_selection, pair_invariants
from numhep.events.generation import GenerationResult, generate
from numhep.events.joint_likelihood import JointLikelihoodData, joint_likelihood_data, load_joint_likelihood_data

__all__ = ["DipoleDataset", "GenerationResult", "JointLikelihoodData", "generate", "generate_dipole_dataset",
           "jet_selection", "joint_likelihood_data", "load_joint_likelihood_data", "pair_invariants"]
