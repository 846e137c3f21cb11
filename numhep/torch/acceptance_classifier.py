r"""The acceptance classifier epsilon_psi(x_hard) of the matrix-element method.

Heimel, PhD thesis, Heidelberg 2024, Eqs. 6.11 and 6.20: a classifier trained with the binary
cross entropy on hard events labelled 1 (accepted: a reco-level event passing the cuts) or 0
(rejected) learns the acceptance probability epsilon(x_hard) = 1 - p_reject(x_hard), which
enters the three-network MEM integral (Eq. 6.39).
"""

from __future__ import annotations

import torch

from numhep.torch.minibatch_fit import fit_minibatch
from numhep.torch.transfer_network import standardisation

__all__ = ["AcceptanceClassifier"]


class AcceptanceClassifier(torch.nn.Module):
    """epsilon_psi(x_hard): a fully connected classifier with a sigmoid output.

    Parameters
    ----------
    hard : torch.Tensor
        Hard features of the training set, shape (n, d): they fix the standardisation.
    layers : int, optional
        Hidden layers (default 3).
    units : int, optional
        Width of each hidden layer (default 64).

    Examples
    --------
    >>> import torch
    >>> from numhep.torch.acceptance_classifier import AcceptanceClassifier
    >>> x = torch.randn(32, 3, dtype=torch.float64)
    >>> clf = AcceptanceClassifier(x, layers=1, units=8)
    >>> p = clf(x[:4])
    >>> p.shape, bool(((p > 0) & (p < 1)).all())
    (torch.Size([4]), True)
    """

    def __init__(self, hard, *, layers: int = 3, units: int = 64):
        super().__init__()
        hard = torch.as_tensor(hard, dtype=torch.float64)
        if hard.ndim != 2 or hard.shape[0] < 2:
            raise ValueError(f"hard: expected an (n, d) tensor with n >= 2, got {tuple(hard.shape)}")
        m, s = standardisation(hard)
        self.register_buffer("mean", m)
        self.register_buffer("std", s)
        dims = [hard.shape[1]] + [int(units)] * int(layers)
        mods = []
        for a, b in zip(dims[:-1], dims[1:]):
            mods += [torch.nn.Linear(a, b), torch.nn.SiLU()]
        mods.append(torch.nn.Linear(dims[-1], 1))
        self.net = torch.nn.Sequential(*mods).double()

    def logit(self, hard):
        """The classifier's logit log(epsilon / (1 - epsilon)), shape (n,).

        Parameters
        ----------
        hard : torch.Tensor
            Hard features, shape (n, d).

        Returns
        -------
        torch.Tensor
            The logits.
        """
        hard = torch.as_tensor(hard, dtype=torch.float64)
        if hard.ndim != 2 or hard.shape[1] != self.mean.numel():
            raise ValueError(f"hard: expected shape (n, {self.mean.numel()}), got {tuple(hard.shape)}")
        return self.net((hard - self.mean) / self.std)[:, 0]

    def forward(self, hard):
        """The acceptance probability epsilon_psi(x_hard), shape (n,).

        Parameters
        ----------
        hard : torch.Tensor
            Hard features, shape (n, d).

        Returns
        -------
        torch.Tensor
            Probabilities in (0, 1).
        """
        return torch.sigmoid(self.logit(hard))

    def fit(self, hard, accepted, **options) -> list:
        """Train with the binary cross entropy (Heimel, PhD thesis, Heidelberg 2024, Sec. 3.1.3).

        Parameters
        ----------
        hard : torch.Tensor
            Hard features of accepted and rejected events, shape (n, d).
        accepted : torch.Tensor
            Labels, 1 accepted and 0 rejected, shape (n,).
        **options
            Options of :func:`numhep.torch.minibatch_fit.fit_minibatch`.

        Returns
        -------
        list of float
            The loss of every epoch.
        """
        tensors = (torch.as_tensor(hard, dtype=torch.float64), torch.as_tensor(accepted, dtype=torch.float64))
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        return fit_minibatch(self, lambda net, h, y: bce(net.logit(h), y), tensors, **options)
