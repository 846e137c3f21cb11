"""Integration: integrands on the unit hypercube, VEGAS and multi-channel VEGAS."""

from numhep.integration.integrands import Integrand, IntegrandPoints, integrand
from numhep.integration.metrics import SamplerQuality, sampler_quality
from numhep.integration.multichannel import MultiChannelResult, multichannel_vegas
from numhep.integration.vegas import VegasGrid, VegasResult, vegas_integrate

__all__ = ["Integrand", "IntegrandPoints", "MultiChannelResult", "SamplerQuality", "VegasGrid", "VegasResult", "integrand",
           "multichannel_vegas", "sampler_quality", "vegas_integrate"]
