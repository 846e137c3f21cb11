"""One resumable minibatch training loop for the matrix-element-method networks.

Adam over shuffled minibatches for a fixed number of epochs; the model, the optimiser, the
shuffling generator and the loss history go to a checkpoint after every epoch
(:func:`numhep.torch.training_checkpoint.save_training_state`), so a killed training resumes
at the next epoch and ends where an uninterrupted one ends (same seed, same result).
"""

from __future__ import annotations

import torch

from numhep.torch.training_checkpoint import load_training_state, save_training_state

__all__ = ["fit_minibatch"]


def fit_minibatch(module, loss, tensors, *, epochs: int = 20, batch_size: int = 1024, lr: float = 1e-3,
                  seed: int = 1, checkpoint=None, refresh=None, progress: bool = False) -> list:
    """Minimise ``loss(module, *batch)`` over minibatches of ``tensors`` with Adam.

    Parameters
    ----------
    module : torch.nn.Module
        The network (trained in place).
    loss : callable
        ``loss(module, *batch) -> scalar tensor``.
    tensors : sequence of torch.Tensor
        The training data, the same length in the first dimension.
    epochs : int, optional
        Passes over the data (default 20).
    batch_size : int, optional
        Rows per step (default 1024).
    lr : float, optional
        Adam's learning rate (default 1e-3), cosine-annealed to zero over the epochs.
    seed : int, optional
        Seed of the shuffling (default 1).
    checkpoint : str or path-like, optional
        Resume from and save to this file after every epoch.
    refresh : callable, optional
        ``refresh(epoch, tensors) -> tensors`` at the start of every epoch (e.g. re-sampled
        training targets, Heimel, PhD thesis, Heidelberg 2024, Eq. 6.38).
    progress : bool, optional
        Show a tqdm bar over the epochs (default False).

    Returns
    -------
    list of float
        The mean loss of every epoch.

    Raises
    ------
    ValueError
        If the tensors are empty or of different lengths, or a loss is not finite.

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.minibatch_fit import fit_minibatch
    >>> lin = torch.nn.Linear(1, 1).double()
    >>> x = torch.linspace(-1, 1, 64, dtype=torch.float64)[:, None]
    >>> history = fit_minibatch(lin, lambda m, a, b: ((m(a) - b) ** 2).mean(), (x, 3 * x), epochs=30,
    ...                         batch_size=16, lr=0.05)
    >>> history[-1] < history[0]
    True
    """
    tensors = tuple(tensors)
    n = tensors[0].shape[0] if tensors else 0
    if n == 0 or any(t.shape[0] != n for t in tensors):
        raise ValueError(f"tensors: expected a non-empty set of equally long tensors, got lengths "
                         f"{[t.shape[0] for t in tensors]}")
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(int(epochs), 1))
    gen = torch.Generator().manual_seed(int(seed))
    settings = {"epochs": int(epochs), "batch_size": int(batch_size), "lr": float(lr), "seed": int(seed), "rows": n}
    history, start = [], 0
    if checkpoint is not None:
        from pathlib import Path

        if Path(checkpoint).exists():
            st = load_training_state(checkpoint, settings)
            module.load_state_dict(st["module"])
            opt.load_state_dict(st["optimiser"])
            sched.load_state_dict(st["scheduler"])
            gen.set_state(st["generator"])
            history, start = list(st["history"]), int(st["epoch"])
    epochs_range = range(start, int(epochs))
    if progress:
        from tqdm.auto import tqdm

        epochs_range = tqdm(epochs_range, desc="training", initial=start, total=int(epochs))
    for epoch in epochs_range:
        data = refresh(epoch, tensors) if refresh is not None else tensors
        order = torch.randperm(n, generator=gen)
        total = 0.0
        for lo in range(0, n, int(batch_size)):
            idx = order[lo:lo + int(batch_size)]
            value = loss(module, *(t[idx] for t in data))
            if not torch.isfinite(value):
                raise ValueError(f"fit_minibatch: the loss is not finite at epoch {epoch} (lower lr?)")
            opt.zero_grad()
            value.backward()
            opt.step()
            total += float(value.detach()) * idx.numel()
        sched.step()
        history.append(total / n)
        if checkpoint is not None:
            save_training_state(checkpoint, settings, module=module.state_dict(), optimiser=opt.state_dict(),
                                scheduler=sched.state_dict(), generator=gen.get_state(), history=history,
                                epoch=epoch + 1)
    return history
