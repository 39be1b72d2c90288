"""Writing image grids and loss curves (PNG, atomically)."""
from __future__ import annotations

import os

import numpy as np
import torch
from PIL import Image
from torchvision.utils import make_grid

from training.fileio import atomic_path
from training.pixels import to_uint8


def grid_image(x: torch.Tensor, nrow: int = 8, padding: int = 2) -> Image.Image:
    """(B, C, H, W) in [-1, 1] -> one PIL image with `nrow` images per row."""
    grid = make_grid(x.detach().float().cpu(), nrow=nrow, padding=padding, pad_value=-1.0)
    return Image.fromarray(to_uint8(grid, squeeze_grey=True))


def save_png(img: Image.Image, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")


def save_loss_curve(history: list[tuple[int, float, float]], path: str | os.PathLike,
                    title: str = "") -> None:
    """Plot discriminator and generator losses (smoothed) against the step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = np.asarray(history, dtype=np.float64).reshape(-1, 3)
    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    k = max(1, len(h) // 50)
    smooth = np.ones(k) / k
    for col, label in ((1, "discriminator"), (2, "generator")):
        if len(h) >= k:
            ax.plot(h[k - 1:, 0], np.convolve(h[:, col], smooth, mode="valid"), label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
