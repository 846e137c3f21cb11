"""numhep on PyTorch tensors: autograd Functions whose forward runs numhep's kernels and
whose backward runs their hand-derived adjoints.

    import numhep.torch as nt
    u = torch.rand(1000, 8, dtype=torch.float64, requires_grad=True)
    p, w = nt.rambo_on_diet(u, 13000.0 ** 0.5 * 10, [173.0, 173.0, 0.0, 0.0])
    loss = nt.me(p_full, process="gg_tt").log().mean(); loss.backward()

Gradients flow through RAMBO on diet, the phase-space blocks, the PDFs, alpha_s and the
matrix element in one graph; CPU tensors are shared with the kernels without copies, CUDA
tensors go to the CUDA kernels through DLPack and CuPy (see :mod:`numhep.torch._bridge`).
``numhep.me``, ``numhep.rambo_on_diet`` and the other array functions send torch
tensors here by themselves.
"""

from numhep.torch.catani_seymour import dipoles, splitting_azimuths
from numhep.torch.matrix_element import me
from numhep.torch.parton_density import alphasQ2, xfxQ2
from numhep.torch.phase_space import (
    breit_wigner_map,
    breit_wigner_map_inverse,
    luminosity_map,
    luminosity_map_inverse,
    power_law_map,
    power_law_map_inverse,
    rambo_map,
    rambo_on_diet,
    rambo_on_diet_inverse,
    t_channel_scattering,
    t_channel_scattering_inverse,
    two_body_decay,
    two_body_decay_inverse,
)
from numhep.torch.vegas import vegas_map

__all__ = [
    "alphasQ2",
    "breit_wigner_map",
    "breit_wigner_map_inverse",
    "dipoles",
    "luminosity_map",
    "luminosity_map_inverse",
    "me",
    "power_law_map",
    "power_law_map_inverse",
    "rambo_map",
    "rambo_on_diet",
    "rambo_on_diet_inverse",
    "splitting_azimuths",
    "t_channel_scattering",
    "t_channel_scattering_inverse",
    "two_body_decay",
    "two_body_decay_inverse",
    "vegas_map",
    "xfxQ2",
]
