"""numhep's PyTorch layer: networks, losses and training loops on top of numhep's physics.

Every differentiable numhep function takes torch tensors and returns tensors that autograd
differentiates through the hand-derived adjoints (one autograd Function for all of them,
:mod:`numhep.autograd`, made from each operation's registration in :mod:`numhep.ops`); they
are re-exported here so that a training script finds them in one place::

    import numhep.torch as nt
    u = torch.rand(1000, 2, dtype=torch.float64, requires_grad=True)
    fin, w = nt.rambo_on_diet(u, 1000.0, [173.0, 173.0])        # t t~ in the centre-of-mass frame
    beams = torch.tensor([[500.0, 0, 0, 500.0], [500.0, 0, 0, -500.0]], dtype=torch.float64)
    p = torch.cat([beams.expand(1000, 2, 4), fin], dim=1)
    loss = -(nt.me(p, process="gg_tt") * w).log().mean(); loss.backward()   # d loss / du in u.grad

CPU tensors are shared with the kernels without copies, CUDA tensors go to the CUDA kernels
through DLPack and CuPy.  The networks: MadNIS neural importance sampling
(:class:`NeuralIntegrator` with its :class:`HypercubeFlow` flows, :class:`ChannelWeightNetwork`
and :mod:`numhep.torch.losses`), MADNIS-Lite's :class:`BilinearSplineFlow` in front of every
block of the diagram channels (:class:`TrainableChannelMaps`), the dipole emulator
(:class:`DipoleEmulator`, trained by :func:`train_emulator`) and likelihood-ratio estimators trained on joint ratios and scores (:class:`RatioEstimator`,
:class:`RatioTrainer`, :func:`likelihood_scan`) and flows for the density of events trained with
matrix-element gradients (:class:`DensityFlowTrainer`), and the generative surrogate of Z + jets
events: the (Bayesian) INN chain :class:`ZJetsGenerator` (:func:`train_generator`) with its
uncertainty bands (:func:`replica_histograms`) and the classifier metric
(:func:`train_classifier`).
"""

from numhep.amplitudes.catani_seymour import dipoles, splitting_azimuths
from numhep.amplitudes.matrix_element import me
from numhep.integration.vegas import vegas_map
from numhep.pdfsets.parton_density import alphas_q2 as alphasQ2
from numhep.pdfsets.parton_density import xfxq2 as xfxQ2
from numhep.phasespace.blocks import (
    breit_wigner_map,
    breit_wigner_map_inverse,
    luminosity_map,
    luminosity_map_inverse,
    power_law_map,
    power_law_map_inverse,
    t_channel_scattering,
    t_channel_scattering_inverse,
    two_body_decay,
    two_body_decay_inverse,
)
from numhep.phasespace.flat import rambo_map, rambo_on_diet, rambo_on_diet_inverse
from numhep.torch.bilinear_flows import BilinearSplineFlow
from numhep.torch.channel_weights import ChannelWeightNetwork
from numhep.torch.density_flow import DensityFlowTrainer
from numhep.torch.dipole_emulator import DipoleEmulator, EmulatedProcess, TrainingConfig, train_emulator
from numhep.torch.flows import HypercubeFlow
from numhep.torch.likelihood_ratio import RatioEstimator, RatioTrainer, ratio_loss
from numhep.torch.likelihood_scan import confidence_interval, likelihood_scan
from numhep.torch.neural_integrator import IntegrationResult, NeuralIntegrator
from numhep.torch.trainable_channel_maps import TrainableChannelMaps
from numhep.torch.acceptance_classifier import AcceptanceClassifier
from numhep.torch.mem_integral import MEMIntegral, MEMResult
from numhep.torch.sampling_network import MomentumSamplingNetwork, SamplingNetwork
from numhep.torch.transfer_network import TransferNetwork
from numhep.torch.transfer_cfm import TransferCFM
from numhep.torch.transfermer import Transfermer
from numhep.torch.bayesian_layers import BayesianLinear
from numhep.torch.classifier_metric import ClassifierResult, train_classifier
from numhep.torch.event_generator import GeneratorConfig, ZJetsGenerator, train_generator
from numhep.torch.event_preprocessing import EventPreprocessing
from numhep.torch.replica_histograms import histogram_uncertainties, replica_histograms
from numhep.torch.rotated_spline_flow import RotatedSplineFlow

__all__ = [
    "AcceptanceClassifier",
    "BayesianLinear",
    "BilinearSplineFlow",
    "ChannelWeightNetwork",
    "ClassifierResult",
    "DensityFlowTrainer",
    "DipoleEmulator",
    "EmulatedProcess",
    "EventPreprocessing",
    "GeneratorConfig",
    "HypercubeFlow",
    "IntegrationResult",
    "MEMIntegral",
    "MEMResult",
    "MomentumSamplingNetwork",
    "NeuralIntegrator",
    "RatioEstimator",
    "RatioTrainer",
    "RotatedSplineFlow",
    "SamplingNetwork",
    "TrainableChannelMaps",
    "TrainingConfig",
    "TransferCFM",
    "TransferNetwork",
    "Transfermer",
    "ZJetsGenerator",
    "alphasQ2",
    "breit_wigner_map",
    "breit_wigner_map_inverse",
    "confidence_interval",
    "dipoles",
    "histogram_uncertainties",
    "likelihood_scan",
    "luminosity_map",
    "luminosity_map_inverse",
    "me",
    "power_law_map",
    "power_law_map_inverse",
    "rambo_map",
    "rambo_on_diet",
    "rambo_on_diet_inverse",
    "ratio_loss",
    "replica_histograms",
    "splitting_azimuths",
    "t_channel_scattering",
    "t_channel_scattering_inverse",
    "train_classifier",
    "train_emulator",
    "train_generator",
    "two_body_decay",
    "two_body_decay_inverse",
    "vegas_map",
    "xfxQ2",
]
