"""benchmarks/cudacpp_check.py: reading what MadGraph's CUDACPP check executables print
(a captured gg -> tt~gg output) and running one (a stand-in script; no MadGraph needed)."""

import importlib.util
import os
import stat
import sys
from pathlib import Path

import pytest
from refdata import refdata

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "cudacpp_check.py"
_SPEC = importlib.util.spec_from_file_location("cudacpp_check", _PATH)
cudacpp_check = importlib.util.module_from_spec(_SPEC)
sys.modules["cudacpp_check"] = cudacpp_check  # dataclasses look their module up there
_SPEC.loader.exec_module(cudacpp_check)

KNOWN = {"gg_tt", "gg_ttgg", "gg_ttggg", "ee_mumu"}


def captured():
    return refdata("cudacpp", "check_gg_ttgg_512z.txt").read_text()


def test_parse_real_output():
    t = cudacpp_check.parse_check_output(captured())
    assert (t.process, t.backend, t.precision) == ("gg_ttxgg", "512z", "double")
    assert (t.events, t.iterations) == (131072, 8)
    # the printout's EvtsPerSec[MatrixElems] is 2.042565e+04 /s and its fastest of 8
    # iterations of 16384 events took 7.815753e-01 s
    assert t.us_per_event == pytest.approx(1e6 / 2.042565e4, rel=1e-12)
    assert t.best_us_per_event == pytest.approx(7.815753e-01 / 16384 * 1e6, rel=1e-12)
    assert t.best_us_per_event <= t.us_per_event
    assert t.wall_s is None


def test_parse_refuses_other_output():
    with pytest.raises(ValueError, match="one point and prints no timing"):
        cudacpp_check.parse_check_output(" Phase space point:\n Matrix element =   2.9E-01 GeV^-4\n")
    with pytest.raises(ValueError, match="EvtsPerSec"):
        cudacpp_check.parse_check_output("Usage: check_cpp.exe [--verbose|-v] ...")
    no_count = "\n".join(line for line in captured().splitlines() if "TotalEventsComputed" not in line)
    with pytest.raises(ValueError, match="TotalEventsComputed"):
        cudacpp_check.parse_check_output(no_count)
    with pytest.raises(ValueError, match="throughput of 0.0"):
        cudacpp_check.parse_check_output(captured().replace("( 2.042565e+04", "( 0.000000e+00"))


@pytest.mark.parametrize("label, tag", [
    ("P1_Sigma_sm_gg_ttxgg", "gg_ttxgg"),
    ("P1_gg_ttxggg", "gg_ttxggg"),  # MG5 standalone directory
    ("P0_Sigma_sm_ckm_no_b_mass_bbx_epemddxbbx", "bbx_epemddxbbx"),  # model name with underscores
    ("SIGMA_SM_GG_TTX_CPP", "gg_ttx"),  # the Process line of the printout
    ("SIGMA_SM_GG_TTX_CUDA", "gg_ttx"),
])
def test_process_from_label(label, tag):
    assert cudacpp_check.process_from_label(label) == tag


def test_process_names_from_paths(tmp_path):
    exe = tmp_path / "gg_ttgg.sa" / "SubProcesses" / "P1_Sigma_sm_gg_ttxgg" / "build.512z_d_inl0_hrd0" / "check_cpp.exe"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    assert cudacpp_check.process_from_path(exe) == "gg_ttxgg"
    assert cudacpp_check.peer_arguments(str(exe), KNOWN) == ("gg_ttgg", exe)
    assert cudacpp_check.peer_arguments(f"gg_ttggg={exe}", KNOWN) == ("gg_ttggg", exe)
    with pytest.raises(ValueError, match="NAME=PATH"):
        cudacpp_check.numhep_name("epem_mupmum", KNOWN)
    with pytest.raises(ValueError, match="unknown numhep process 'gg_tttt'"):
        cudacpp_check.peer_arguments(f"gg_tttt={exe}", KNOWN)
    with pytest.raises(ValueError, match="not an executable"):
        cudacpp_check.peer_arguments(str(exe.parent / "missing.exe"), KNOWN)
    bare = tmp_path / "check.exe"
    bare.write_text("#!/bin/sh\n")
    bare.chmod(bare.stat().st_mode | stat.S_IXUSR)
    assert cudacpp_check.process_from_path(bare) is None
    with pytest.raises(ValueError, match="give it as NAME="):
        cudacpp_check.peer_arguments(str(bare), KNOWN)


def test_run_check_arguments_and_directory(tmp_path):
    """run_check asks for whole blocks of 32 events, runs where ../../Cards/param_card.dat
    is (as a real check reads it), on one core, with one OpenMP thread."""
    proc = tmp_path / "SubProcesses" / "P1_Sigma_sm_gg_ttxgg"
    (tmp_path / "Cards").mkdir()
    (tmp_path / "Cards" / "param_card.dat").write_text("")
    (proc / "build").mkdir(parents=True)
    fixture = refdata("cudacpp", "check_gg_ttgg_512z.txt")
    exe = proc / "build" / "check_cpp.exe"
    exe.write_text(
        "#!/bin/sh\n"
        '[ "$*" = "-p 4 32 3" ] || { echo "args $*" >&2; exit 2; }\n'
        '[ -f ../../Cards/param_card.dat ] || { echo "cwd $(pwd)" >&2; exit 3; }\n'
        '[ "$OMP_NUM_THREADS" = 1 ] || exit 4\n'
        f'grep Cpus_allowed_list /proc/self/status > "{tmp_path}/affinity"\n'
        f'cat "{fixture}"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    t = cudacpp_check.run_check(exe, events=100, iterations=3)
    assert t.process == "gg_ttxgg" and t.wall_s > 0
    assert t.us_per_event == pytest.approx(1e6 / 2.042565e4)
    core = max(os.sched_getaffinity(0))
    assert (tmp_path / "affinity").read_text().split()[-1] == str(core)
    exe.write_text("#!/bin/sh\necho broken >&2\nexit 1\n")
    with pytest.raises(RuntimeError, match="exited with 1:\nbroken"):
        cudacpp_check.run_check(exe, events=100, iterations=3)
