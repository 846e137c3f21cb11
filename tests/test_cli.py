"""The numhep command's own conventions."""

import importlib.metadata

import numpy as np
import pytest

import numhep
from numhep.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"numhep {importlib.metadata.version('numhep')}"


def test_help_cites_the_channel_weights_by_paper(capsys):
    with pytest.raises(SystemExit):
        main(["integrate", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps the help text
    assert "Heimel, PhD thesis" in out and "Eqs. 2.60 and 2.56" in out


def test_the_energy_defaults_to_13_tev_for_hadron_colliders(capsys):
    quick = ["--points", "2000", "--iterations", "3", "--warmup", "1", "--quiet"]
    assert main(["integrate", "p p > t t~", *quick]) == 0
    assert "13000 GeV" in capsys.readouterr().out
    assert main(["integrate", "e+ e- > mu+ mu-", *quick]) == 0
    assert "91.188 GeV" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["integrate", "--help"])
    assert "13000 for hadron colliders" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("sampler", ["vegas", "sobol", "madnis"])
def test_generate_from_another_sampler(tmp_path, capsys, sampler):
    pytest.importorskip("vegas" if sampler == "vegas" else "madnis" if sampler == "madnis" else "scipy")
    lhe = tmp_path / "ee.lhe"
    code = main(["generate", "e+ e- > mu+ mu-", "-n", "200", "-o", str(lhe), "--points", "4000",
                 "--iterations", "4", "--quiet", "--sampler", sampler])
    assert code == 0 and lhe.read_text().count("</event>") == 200
    out = capsys.readouterr().out
    assert "pilot sample" in out and "chi2/dof" not in out
    if sampler == "madnis":
        assert "numhep's MadNIS" in out and (tmp_path / "ee.lhe.madnis.pt").exists()


def test_too_few_points_are_refused(capsys):
    assert main(["integrate", "e+ e- > mu+ mu-", "--points", "10", "--quiet"]) == 2
    assert "--points 10" in capsys.readouterr().err


def test_help_shows_the_defaults_and_how_to_resume(capsys):
    for command in ("integrate", "generate"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "(default: 10)" in text and "(default: ht/2)" in text and "(default: None)" not in text
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "resumes when rerun with the same output file" in " ".join(capsys.readouterr().out.split())


def test_the_main_command_says_it_compiles_before_its_first_progress_bar(tmp_path):
    """A newcomer's first run, in a fresh cache: the compile notice comes before any progress bar,
    and a second run, on the cached kernels, writes the same events."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, NUMHEP_CACHE_DIR=str(tmp_path / "cache"))

    def main_job(out):
        run = subprocess.run([sys.executable, "-m", "numhep", "-n", "200", "--points", "2000", "--iterations", "4",
                              "-o", str(tmp_path / out)], capture_output=True, text=True, env=env, cwd=tmp_path,
                             timeout=900)
        assert run.returncode == 0, run.stderr[-2000:]
        return run

    run = main_job("first.lhe")
    assert "compiling" in run.stderr and run.stderr.index("compiling") < run.stderr.index("VEGAS")
    assert "unweighting efficiency" in run.stdout
    # the process that compiled the kernels and one that loads them from the cache run the same
    # machine code: the same seed gives the same file to the last digit
    again = main_job("again.lhe")
    assert "compiling" not in again.stderr
    assert (tmp_path / "again.lhe").read_bytes() == (tmp_path / "first.lhe").read_bytes()


def test_results_that_cannot_be_trusted_say_so(tmp_path, capsys):
    """Too few points for the soft region of e+ e- -> u u~ g: a 27 % error and a heavy weight
    tail, both flagged beside the number; a well-sampled run carries no such flag."""
    small = ["e+ e- > u u~ g", "--sqrt-s", "500", "--cut", "ptj=1", "--iterations", "3", "--warmup", "1", "--quiet"]
    assert main(["integrate", *small, "--points", "100"]) == 0
    assert "not to be trusted: relative error above 10 %" in capsys.readouterr().out
    assert main(["generate", *small, "--points", "200", "--events", "200", "-o", str(tmp_path / "tail.lhe")]) == 0
    out = capsys.readouterr().out
    assert "of the events come from capped weights, a heavy tail" in out
    assert main(["integrate", "e+ e- > mu+ mu-", "--points", "4000", "--iterations", "4", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "not to be trusted" not in out and "iterations disagree" not in out


def test_a_ufo_model_and_a_param_card_from_the_command_line(tmp_path, capsys):
    from pathlib import Path

    from numhep.declarations.slha import write_param_card

    folder = Path(__file__).resolve().parent.parent / "plugins" / "numhep-zprime" / "numhep_zprime" / "sm_zp"
    model = numhep.model(folder)
    card = tmp_path / "param_card.dat"
    write_param_card(card, model.lha, {**model.inputs, "MZp": 2000.0, "WZp": "auto"})
    assert main(["integrate", "p p > Zp", "--model", str(folder), "--params", str(card), "--points", "1000",
                 "--iterations", "3", "--warmup", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    sigma = float(out.split("sigma (numhep VEGAS)")[1].split()[0])
    heavier = numhep.integrand("p p > Zp", 13000.0, model=model, params=card)
    lighter = numhep.integrand("p p > Zp", 13000.0, model=model)
    u = np.linspace(0.01, 0.99, 99)[:, None]
    assert sigma == pytest.approx(heavier(u).mean(), rel=0.02) and sigma < 0.5 * lighter(u).mean()


def test_chi2_per_dof_is_printed_with_its_p_value():
    """The main job once printed chi2/dof 2.84 over 7 iterations: a 1-in-110 fluctuation of a
    fixed seed (benchmarks/vegas_peer.py --chi2: numhep's chi2/dof averages 1.04 over 200 seeds).
    Q says how rare it is; only a Q below 1e-3 is called a disagreement."""
    from numhep.cli import _chi2_text

    assert "Q = 0.0091" in _chi2_text(2.84, 7) and "disagree" not in _chi2_text(2.84, 7)
    assert "iterations disagree beyond chance" in _chi2_text(6.0, 7)
    assert "no test" in _chi2_text(0.0, 1)


def test_the_help_describes_the_main_job_in_plain_text(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "With no command, numhep runs the main job" in text and "ttbar.lhe" in text
    assert "``" not in text  # no raw reStructuredText


def test_every_printed_number_says_what_it_is(tmp_path, capsys):
    assert main(["generate", "e+ e- > mu+ mu-", "--sqrt-s", "91.188", "-n", "200", "--points", "2000",
                 "--iterations", "4", "--warmup", "1", "--quiet", "-o", str(tmp_path / "z.lhe")]) == 0
    out = capsys.readouterr().out
    assert "sigma (numhep VEGAS)" in out and "Q = " in out
    # the subprocess rows come from the event sample, not from the VEGAS sigma above them
    assert "their share of the events' sample (statistically independent of sigma above)" in out
    assert "unweighting efficiency" in out and "overweight fraction" in out
    assert "(sampler setup, pilot sample and trials)" in out


def test_precompile_runs_its_jobs_in_parallel_and_names_a_failed_one(monkeypatch, capsys):
    from numhep import cli

    monkeypatch.setattr(cli, "_PRECOMPILE_JOBS", (("a job", ["-c", "open('{tmp}/a', 'w').write('x')"]),
                                                  ("another", ["-c", "import sys; print('boom'); sys.exit(3)"])))
    assert cli.main(["precompile"]) == 1
    assert "precompiling failed in another (exit 3):\nboom" in capsys.readouterr().err
    monkeypatch.setattr(cli, "_PRECOMPILE_JOBS", cli._PRECOMPILE_JOBS[:1])
    assert cli.main(["precompile"]) == 0
    assert "kernels compiled in" in capsys.readouterr().out
