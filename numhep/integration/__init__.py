"""Integration: integrands on the unit hypercube, VEGAS and multi-channel VEGAS, and the integrand of a
CP-violating process factorised in its CP phase (one pass for every alpha of a scan)."""

from numhep.integration.cp_factorised_integrand import CPFactorisedIntegrand
from numhep.integration.integrands import Integrand, IntegrandPoints, integrand
from numhep.integration.metrics import SamplerQuality, sampler_quality
from numhep.integration.multichannel import MultiChannelResult, multichannel_vegas
from numhep.integration.vegas import VegasGrid, VegasResult, vegas_integrate

__all__ = ["CPFactorisedIntegrand", "Integrand", "IntegrandPoints", "MultiChannelResult", "SamplerQuality", "VegasGrid", "VegasResult", "integrand",
           "multichannel_vegas", "sampler_quality", "vegas_integrate"]
