"""Phase space: RAMBO and RAMBO on diet, the differentiable phase-space blocks, diagram-based
multi-channel maps, Lorentz kinematics and generator-level cuts."""

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
from numhep.phasespace.cuts import Cuts
from numhep.phasespace.diagram_channels import Channel, ChannelMap, diagram_channels
from numhep.phasespace.flat import PhaseSpacePoints, rambo, rambo_map, rambo_on_diet, rambo_on_diet_inverse, resonance_momenta
from numhep.phasespace.momentum_coordinates import momentum_coordinates, momentum_coordinates_map

__all__ = [
    "Channel", "ChannelMap", "Cuts", "PhaseSpacePoints", "breit_wigner_map", "breit_wigner_map_inverse",
    "diagram_channels", "luminosity_map", "luminosity_map_inverse", "momentum_coordinates", "momentum_coordinates_map",
    "power_law_map", "power_law_map_inverse",
    "rambo", "rambo_map", "rambo_on_diet", "rambo_on_diet_inverse", "resonance_momenta", "t_channel_scattering",
    "t_channel_scattering_inverse", "two_body_decay", "two_body_decay_inverse",
]
