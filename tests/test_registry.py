import importlib.metadata

import numpy as np
import pytest

import numhep
from numhep.registry import PluginWarning, Registry, UnknownNameError
from numhep.registry import entry_points as ep_module


def test_builtin_model_and_plugin_process_are_discovered():
    assert "sm" in numhep.models()
    assert "ee_mumu_analytic" in numhep.processes()
    proc = numhep.process("ee_mumu_analytic")
    assert proc.legs == (-11, 11, -13, 13)
    assert proc.masses == (0.0,) * 4


def test_unknown_name_lists_close_matches():
    with pytest.raises(UnknownNameError, match="ee_mumu_analytic"):
        numhep.process("ee_mumu_analytik")


def test_broken_plugin_warns_and_the_others_still_load(monkeypatch):
    real = importlib.metadata.entry_points

    def with_broken(group):
        good = list(real(group=group))
        bad = importlib.metadata.EntryPoint(
            name="broken_proc", value="numhep_no_such_module:thing", group=group
        )
        return [bad, *good]

    monkeypatch.setattr(ep_module.importlib.metadata, "entry_points", with_broken)
    from numhep.registry import validate_process

    reg = Registry("numhep.processes", "process", validate_process)
    with pytest.warns(PluginWarning, match="broken_proc"):
        names = reg.names()
    assert "ee_mumu_analytic" in names and "broken_proc" not in names
    with pytest.raises(UnknownNameError, match="failed to load"):
        reg.get("broken_proc")


def test_a_plugin_that_exits_at_import_is_skipped_and_clashing_plugins_are_refused(monkeypatch, tmp_path):
    (tmp_path / "numhep_exiting_plugin.py").write_text("import sys\nsys.exit(3)\n")
    (tmp_path / "numhep_rival_plugin.py").write_text(
        "import numhep\n\ndef ee_mumu_analytic():\n    return numhep.process('e+ e- > e+ e-')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    real = importlib.metadata.entry_points

    def with_rivals(group):
        good = list(real(group=group))
        extra = [importlib.metadata.EntryPoint(name="exits", value="numhep_exiting_plugin:thing", group=group),
                 importlib.metadata.EntryPoint(name="ee_mumu_analytic", value="numhep_rival_plugin:ee_mumu_analytic",
                                               group=group)]
        return [*extra, *good, good[0]]  # a declaration seen twice is one provider

    monkeypatch.setattr(ep_module.importlib.metadata, "entry_points", with_rivals)
    from numhep.registry import validate_process

    reg = Registry("numhep.processes", "process", validate_process)
    with pytest.warns(PluginWarning) as caught:
        names = reg.names()
    text = " ".join(str(w.message) for w in caught)
    assert "'exits'" in text and "SystemExit" in text and "several plugins" in text
    assert "ee_mumu_analytic" not in names and "exits" not in names and len(names) > 1
    with pytest.raises(UnknownNameError, match=r"several plugins.*numhep_rival_plugin:ee_mumu_analytic"):
        reg.get("ee_mumu_analytic")
    assert reg.register(numhep.process("e+ e- > mu+ mu-"), "ee_mumu_analytic") is not None  # the user decides


def test_register_process_in_a_session():
    base = numhep.process("ee_mumu_analytic")
    mine = numhep.Process(
        name="my_ee_mumu",
        legs=base.legs,
        masses=base.masses,
        kernel=base.kernel,
        model=base.model,
        parameters=base.parameters,
    )
    numhep.register_process(mine)
    assert "my_ee_mumu" in numhep.processes()
    with pytest.raises(ValueError, match="already registered"):
        numhep.register_process(mine)
    p, _ = numhep.rambo(5, 300.0, base.masses, seed=1)
    np.testing.assert_array_equal(numhep.me(p, "my_ee_mumu"), numhep.me(p, "ee_mumu_analytic"))


def test_process_without_adjoint_is_rejected():
    from numhep.kernels.lorentz import invariant_mass

    class NoVJP:
        vjp = None

    with pytest.raises(ValueError, match="adjoint"):
        numhep.Process(name="x", legs=(1, 2, 3, 4), masses=(0, 0, 0, 0), kernel=NoVJP())
    assert invariant_mass.vjp is not None


def test_model_jacobian_is_exact():
    sm = numhep.model("sm")
    jac = sm.jacobian()
    h = 1e-6
    for name in ("MZ", "Gf", "aEWM1"):
        up = sm.parameters({name: sm.inputs[name] * (1 + h)})
        dn = sm.parameters({name: sm.inputs[name] * (1 - h)})
        for derived in ("MW", "sw2", "ee", "vev", "yt"):
            fd = (up[derived] - dn[derived]) / (2 * h * sm.inputs[name])
            rounding = 1e-14 * abs(up[derived]) / (h * sm.inputs[name])
            assert jac[derived][name] == pytest.approx(fd, rel=1e-6, abs=rounding), (derived, name)
    with pytest.raises(KeyError, match="input parameter"):
        sm.parameters({"MW": 80.0})


def test_process_strings_compile_through_numhep_process():
    zh = numhep.process("e+ e- > z h")
    assert zh.legs == (-11, 11, 23, 25)
    p, _ = numhep.rambo(3, 500.0, zh.masses, seed=1)
    assert np.all(numhep.me(p, zh) > 0)
    assert numhep.process("b u > t h d", model="sm_cpv").model.name == "sm_cpv"
