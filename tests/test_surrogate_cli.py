"""The surrogate's command line: train a generator from an HDF5 file (resumable), generate into the
same layout."""

import sys
from pathlib import Path

import numpy as np
import pytest

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
