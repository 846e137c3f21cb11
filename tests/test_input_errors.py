"""Inputs that used to give silent NaN, inf or a stray Python error: each is now refused
with an error naming the argument and the problem."""

import numpy as np
import pytest

import numhep


@pytest.mark.parametrize("params,named", [
    ({"MZ": 0.0}, "MZ=0.0"), ({"aS": -1.0}, "aS=-1.0"), ({"MT": float("nan")}, "params\\['MT'\\]: must be finite"),
    ({"WT": float("inf")}, "params\\['WT'\\]: must be finite"), ({"MT": -1.0}, "must not be negative"),
])
def test_unusable_model_inputs_are_named(params, named):
    p, _ = numhep.rambo(2, 500.0, numhep.process("gg_tt").masses, seed=1)
    with pytest.raises(ValueError, match=named):
        numhep.me(p, "gg_tt", params=params)


@pytest.mark.parametrize("n", [2.7, -1, True])
def test_rambo_wants_a_whole_number_of_events(n):
    with pytest.raises(ValueError, match="n_events"):
        numhep.rambo(n, 500.0, [0.0] * 4)


def test_an_infinite_energy_is_refused():
    with pytest.raises(ValueError, match="sqrt_s: must be finite"):
        numhep.rambo(2, np.inf, [0.0] * 4)


def test_pdg_codes_are_whole_numbers_and_alpha_s_stops_at_the_landau_pole():
    pdf = numhep.pdf()
    with pytest.raises(ValueError, match="pid"):
        pdf.xfxQ2(2.5, 0.1, 100.0)
    assert pdf.xfxQ2(2.0, 0.1, 100.0) == pdf.xfxQ2(2, 0.1, 100.0)
    with pytest.raises(ValueError, match="Landau pole"):
        pdf.alphasQ2(np.array([0.01, 100.0]))
    assert pdf.alphasQ2(2.0) > pdf.alphasQ2(100.0) > 0


def test_errors_point_the_right_way(capsys):
    from numhep.amplitudes import ProcessSyntaxError
    from numhep.cli import main

    with pytest.raises(ProcessSyntaxError, match="'p p > t t~~': unknown particle 't~~'"):
        numhep.integrand("p p > t t~~", 13000.0)
    with pytest.raises(ProcessSyntaxError, match="electric charge is not conserved"):
        numhep.process("g g > t t")
    with pytest.raises(LookupError, match="LHAPDF_DATA_PATH"):
        numhep.pdf("NoSuchSet_nlo")
    assert main(["integrate", "e+ e- > mu+ mu-", "--cut", "ptjj=3", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "unknown cut" in err and not err.startswith("numhep: error: '")


def test_integer_momenta_are_named_as_the_cause_of_a_broken_balance():
    # three final-state particles: rounding each component leaves a few GeV unbalanced
    p, _ = numhep.rambo(3, 500.0, numhep.process("gg_ttg").masses, seed=2)
    with pytest.raises(ValueError, match="the momenta are integers"):
        numhep.me(np.round(p).astype(np.int64), "gg_ttg")


def test_unphysical_momenta_are_named_instead_of_giving_nan_or_inf():
    proc = numhep.process("gg_tt")
    p, _ = numhep.rambo(3, sqrt_s=500.0, masses=proc.masses, seed=1)
    for bad, named in ((np.zeros((2, 4, 4)), "incoming energies must be positive"),
                       (-p, "incoming energies must be positive"),
                       (p * 1e-150, "leg 2 of event 0 is off its mass shell")):
        with pytest.raises(ValueError, match=named):
            numhep.me(bad, proc)
    # momenta made with another top mass: an error that says how to pass it, and with it the value
    heavy, _ = numhep.rambo(3, sqrt_s=500.0, masses=(0.0, 0.0, 175.0, 175.0), seed=1)
    with pytest.raises(ValueError, match=r"mass shell.*params"):
        numhep.me(heavy, proc)
    assert np.all(np.isfinite(numhep.me(heavy, proc, params={"MT": 175.0})))


def test_vegas_needs_an_iteration_after_the_warm_up():
    f = numhep.integrand("e+ e- > mu+ mu-", 91.188)
    with pytest.raises(ValueError, match=r"n_iterations \(--iterations\) must exceed n_warmup"):
        numhep.vegas_integrate(f, numhep.VegasGrid(f.dim), n_points=1000, n_iterations=3, n_warmup=3)
    g = numhep.integrand("e+ e- > u u~ g", 1000.0, cuts={"ycut": 0.01}, channel="diagrams")
    with pytest.raises(ValueError, match="leave none"):
        g.multichannel_vegas(n_points=1000, n_iterations=2, n_warmup=2)
