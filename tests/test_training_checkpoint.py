"""Training checkpoints come back as they were written, numpy arrays included, and a file
that would run code when unpickled is refused instead of executed."""

import pickle

import numpy as np
import pytest
import torch

from numhep.torch.training_checkpoint import load_state, load_training_state, save_state, save_training_state


def test_a_state_round_trips_with_its_numpy_arrays_and_scalars(tmp_path):
    state = {"weights": torch.arange(6.0).reshape(2, 3), "moments": np.array([[1.0, 2.0]]),
             "scale": np.array(3.5), "mask": np.array([True, False]), "step": np.int64(7),
             "rng": np.random.default_rng(3).bit_generator.state, "history": [(0, 1.5), (1, 1.25)]}
    save_state(tmp_path / "state.pt", state)
    back = load_state(tmp_path / "state.pt")
    assert torch.equal(back["weights"], state["weights"])
    for key in ("moments", "scale", "mask"):
        assert isinstance(back[key], np.ndarray) and back[key].shape == state[key].shape
        np.testing.assert_array_equal(back[key], state[key])
    assert back["step"] == 7 and back["history"] == state["history"]
    rng = np.random.default_rng()
    rng.bit_generator.state = back["rng"]
    assert rng.random() == np.random.default_rng(3).random()


class _RunsCode:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('ran').write_text('yes')",))


def test_a_checkpoint_that_would_run_code_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    torch.save({"settings": {}, "payload": _RunsCode()}, tmp_path / "evil.pt")
    with pytest.raises(pickle.UnpicklingError):
        load_training_state(tmp_path / "evil.pt", {})
    assert not (tmp_path / "ran").exists()


def test_a_checkpoint_of_other_settings_names_them(tmp_path):
    save_training_state(tmp_path / "c.pt", {"lr": 1e-3, "steps": 10}, step=3)
    assert load_training_state(tmp_path / "c.pt", {"lr": 1e-3, "steps": 10}) == {"step": 3}
    with pytest.raises(ValueError, match="steps"):
        load_training_state(tmp_path / "c.pt", {"lr": 1e-3, "steps": 20})
