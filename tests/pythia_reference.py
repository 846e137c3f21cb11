"""Cross sections from Pythia 8 (PyPI ``pythia8mc``) for checking numhep's integrands.

Pythia runs its own 2 -> 2 matrix elements (``Top:gg2ttbar``, ``Top:qqbar2ttbar``,
``WeakSingleBoson:ffbar2gmZ`` ...) at the process level only, with the same LHAPDF6 grid
read by its own LHAGrid1 reader, fixed scales and alpha_s, and on-shell masses
(``PhaseSpace:useBreitWigners = off``).  Its PDF reader clips negative x f(x) to zero
(``refdata/pdf/README.md``): compare with ``numhep.integrand(..., clip_negative_pdf=True)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from numhep.pdfsets import lhapdf_grid as lhapdf_grid

__all__ = ["PythiaCrossSection", "pythia_cross_section"]

MB_TO_PB = 1e9


@dataclass
class PythiaCrossSection:
    sigma: float  # pb
    error: float  # pb
    n_events: int


def pythia_cross_section(
    processes,
    sqrt_s: float,
    *,
    pdf: str = "NNPDF31_lo_as_0118",
    alpha_s: float = 0.118,
    scale: float = 173.0,
    top_mass: float = 173.0,
    n_quark_in: int = 5,
    n_events: int = 20000,
    seed: int = 1,
    extra: tuple = (),
) -> PythiaCrossSection:
    """sigma of Pythia's ``processes`` (setting names switched on) at the process level."""
    import pythia8mc

    path = lhapdf_grid.locate(pdf).member(0)
    py = pythia8mc.Pythia("", False)
    py.readString("Print:quiet = on")
    for flag in ([processes] if isinstance(processes, str) else processes):
        py.readString(f"{flag} = on")
    settings = [
        f"Beams:eCM = {sqrt_s}",
        f"PDF:pSet = LHAGrid1:{path}",
        f"PDFinProcess:nQuarkIn = {n_quark_in}",
        f"SigmaProcess:alphaSvalue = {alpha_s}",
        "SigmaProcess:alphaSorder = 0",
        "SigmaProcess:renormScale2 = 5",  # 5: the fixed scale below (4 is s_hat)
        "SigmaProcess:factorScale2 = 5",
        f"SigmaProcess:renormFixScale = {scale**2}",
        f"SigmaProcess:factorFixScale = {scale**2}",
        f"6:m0 = {top_mass}",
        "PhaseSpace:useBreitWigners = off",
        "PartonLevel:all = off",
        "HadronLevel:all = off",
        "ProcessLevel:resonanceDecays = off",
        "Check:event = off",
        "Next:numberCount = 0",
        "Random:setSeed = on",
        f"Random:seed = {seed}",
        *extra,
    ]
    for line in settings:
        if not py.readString(line):
            raise RuntimeError(f"Pythia rejected the setting {line!r}")
    if not py.init():
        raise RuntimeError("Pythia failed to initialise (see its output above)")
    for _ in range(n_events):
        if not py.next():
            raise RuntimeError("Pythia failed to generate an event")
    info = py.infoPython()
    return PythiaCrossSection(info.sigmaGen() * MB_TO_PB, info.sigmaErr() * MB_TO_PB, n_events)
