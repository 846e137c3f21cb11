"""The resumable minibatch training loop of the MEM networks."""

import pytest

torch = pytest.importorskip("torch")

from numhep.torch.minibatch_fit import fit_minibatch  # noqa: E402


def _problem():
    torch.manual_seed(0)
    x = torch.linspace(-1, 1, 40, dtype=torch.float64)[:, None]
    return torch.nn.Linear(1, 1).double(), (x, 2 * x + 1)


def _mse(m, a, b):
    return ((m(a) - b) ** 2).mean()


def test_loss_falls_and_a_resumed_training_ends_where_an_uninterrupted_one_does(tmp_path):
    net, data = _problem()
    full = fit_minibatch(net, _mse, data, epochs=6, batch_size=8, lr=0.05, seed=3)
    assert full[-1] < 0.5 * full[0]
    net2, _ = _problem()
    ckpt = tmp_path / "fit.pt"
    fit_minibatch(net2, _mse, data, epochs=6, batch_size=8, lr=0.05, seed=3, checkpoint=ckpt)
    # "kill" after 3 epochs: train a fresh model for 3 epochs of the same 6-epoch schedule
    net3, _ = _problem()
    state = torch.load(ckpt, weights_only=True)
    assert state["epoch"] == 6
    net4, _ = _problem()
    part = tmp_path / "part.pt"

    class Stop(Exception):
        pass

    def stop_after_three(epoch, tensors):
        if epoch == 3:
            raise Stop
        return tensors

    with pytest.raises(Stop):
        fit_minibatch(net4, _mse, data, epochs=6, batch_size=8, lr=0.05, seed=3, checkpoint=part,
                      refresh=stop_after_three)
    net5, _ = _problem()
    resumed = fit_minibatch(net5, _mse, data, epochs=6, batch_size=8, lr=0.05, seed=3, checkpoint=part)
    assert resumed == pytest.approx(full, rel=1e-12)
    assert torch.allclose(net5.weight, net.weight, rtol=1e-12)
    del net3


def test_bad_data_is_refused():
    net, (x, y) = _problem()
    with pytest.raises(ValueError, match="equally long"):
        fit_minibatch(net, _mse, (x, y[:5]))
