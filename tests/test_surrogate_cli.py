"""The surrogate's command line: train a generator from an HDF5 file (resumable), generate into the
same layout."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from numhep import cli
from numhep.events.zjets_dataset import ZJetsEvents
from numhep.torch.event_generator import ZJetsGenerator
from numhep.torch.surrogate_cli import main

sys.path.insert(0, str(Path(__file__).parent))
from test_event_generator import toy_events


def test_train_then_generate(tmp_path, capsys):
    toy_events(150).save(tmp_path / "train.h5")
    args = ["train", str(tmp_path / "train.h5"), str(tmp_path / "inn.pt"), "--epochs", "2", "--blocks", "1",
            "--bins", "4", "--units", "8", "--batch-size", "30", "--quiet"]
    assert main(args) == 0
    assert (tmp_path / "inn.pt").exists() and (tmp_path / "inn.pt.ckpt").exists()
    first = ZJetsGenerator.load(tmp_path / "inn.pt").generate(30, seed=3)
    assert main(args) == 0  # the finished checkpoint resumes at its end: the same generator
    np.testing.assert_array_equal(ZJetsGenerator.load(tmp_path / "inn.pt").generate(30, seed=3).particles,
                                  first.particles)
    assert main(["generate", str(tmp_path / "inn.pt"), str(tmp_path / "gen.h5"), "-n", "40", "--quiet"]) == 0
    events = ZJetsEvents.load(tmp_path / "gen.h5")
    assert len(events) == 40 and np.isfinite(events.particles).all() and events.attrs["blocks"] == 1
    assert "gen.h5: 40 events" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["generate", str(tmp_path / "inn.pt"), str(tmp_path / "x.h5"), "-n", "0", "--quiet"])


def test_numhep_surrogate_runs_this_command_line(tmp_path, capsys):
    toy_events(120).save(tmp_path / "train.h5")
    tiny = ["--epochs", "1", "--blocks", "1", "--bins", "4", "--units", "8", "--batch-size", "30", "--quiet"]
    assert cli.main(["surrogate", "train", str(tmp_path / "train.h5"), str(tmp_path / "a.pt"), *tiny]) == 0
    assert main(["train", str(tmp_path / "train.h5"), str(tmp_path / "b.pt"), *tiny]) == 0
    assert cli.main(["surrogate", "generate", str(tmp_path / "a.pt"), str(tmp_path / "a.h5"), "-n", "25",
                     "--seed", "4", "--quiet"]) == 0
    assert main(["generate", str(tmp_path / "b.pt"), str(tmp_path / "b.h5"), "-n", "25", "--seed", "4", "--quiet"]) == 0
    a, b = ZJetsEvents.load(tmp_path / "a.h5"), ZJetsEvents.load(tmp_path / "b.h5")
    assert len(a) == 25 and np.isfinite(a.particles).all()
    np.testing.assert_array_equal(a.particles, b.particles)  # the same training and generation
    np.testing.assert_array_equal(a.weight, b.weight)
    assert "a.h5: 25 events" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        cli.main(["surrogate", "generate", str(tmp_path / "a.pt"), str(tmp_path / "c.h5"), "-n", "0"])
    assert done.value.code == 2 and "numhep surrogate: error: --events must be positive" in capsys.readouterr().err


def test_numhep_help_lists_the_surrogate_and_its_help_lists_its_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "surrogate" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        cli.main(["surrogate", "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and out.startswith("usage: numhep surrogate")
    assert "{data,train,generate}" in out and "``" not in out  # plain text, no reStructuredText


def test_numhep_surrogate_without_torch_names_the_extra():
    # numhep.cli does not import torch; the surrogate command says what to install
    script = """
import sys

class NoTorch:  # as if torch were not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoTorch())
from numhep.cli import main
print("exit", main(["surrogate", "train", "train.h5", "inn.pt"]))
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert run.stdout.strip() == "exit 2", run.stderr
    assert "numhep: error: numhep surrogate needs PyTorch: pip install 'numhep[torch]'" in run.stderr
