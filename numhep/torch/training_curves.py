"""Training curves of a training loop as a PNG: one panel per quantity against the step or
epoch (matplotlib, the ``plots`` extra)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["save_training_curves"]


def save_training_curves(path, panels, xlabel: str) -> Path:
    """Write ``panels`` (a list of (label, x, y, log scale)) one above the other to ``path``."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("plots need matplotlib: pip install 'numhep[plots]'") from exc
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(len(panels), 1, figsize=(6, 2.4 * len(panels)), sharex=True, squeeze=False)
    for ax, (label, x, y, log) in zip(axes[:, 0], panels):
        ax.plot(x, y, lw=0.9)
        ax.set_ylabel(label)
        if log:
            ax.set_yscale("log")
    axes[-1, 0].set_xlabel(xlabel)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
