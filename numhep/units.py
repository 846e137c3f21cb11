"""Unit conversions used across numhep (energies in GeV)."""

#: (hbar c)^2 in GeV^2 pb: sigma[pb] = GEV2_TO_PB * sigma[GeV^-2]  (PDG 2024)
GEV2_TO_PB = 0.3893793721e9
