"""Events: unweighted event generation, Les Houches and HDF5 files, plots, the dipole
emulator's training data sets and the joint likelihood-ratio data of simulation-based inference, the showering hand-off to
Pythia 8 and anti-k_t jets, and the Z + jets data set of generative surrogates."""

from numhep.events.dipole_dataset import DipoleDataset, generate_dipole_dataset, jet_selection, pair_invariants
from numhep.events.generation import GenerationResult, generate
from numhep.events.jets import anti_kt_jets
from numhep.events.joint_likelihood import JointLikelihoodData, joint_likelihood_data, load_joint_likelihood_data
from numhep.events.showering import ShoweredEvent, shower
from numhep.events.detector_smearing import DetectorResolution
from numhep.events.thj_dataset import THJDataset, build_thj_dataset, fiducial_fit, load_thj_dataset
from numhep.events.zjets_dataset import ZJetsEvents, generate_zjets_dataset

__all__ = [
    "DetectorResolution",
    "DipoleDataset",
    "GenerationResult",
    "JointLikelihoodData",
    "ShoweredEvent",
    "THJDataset",
    "ZJetsEvents",
    "anti_kt_jets",
    "build_thj_dataset",
    "fiducial_fit",
    "generate",
    "generate_dipole_dataset",
    "generate_zjets_dataset",
    "jet_selection",
    "joint_likelihood_data",
    "load_joint_likelihood_data",
    "load_thj_dataset",
    "pair_invariants",
    "shower",
]
