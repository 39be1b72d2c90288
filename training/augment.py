"""Differentiable augmentation (DiffAugment, Zhao et al. 2020, arXiv:2006.10738).

The same random transforms are applied to real and generated images before the discriminator sees
them; gradients flow through to the generator. Helps on small data sets (a few thousand images).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from training.errors import OptionError

AUGMENTS = ("translation", "cutout", "color")


def brightness_contrast(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    b = x.shape[0]
    x = x + (torch.rand(b, 1, 1, 1, generator=g) - 0.5).to(x)  # brightness +-0.5
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(b, 1, 1, 1, generator=g) + 0.5).to(x) + mean  # contrast x0.5..1.5


def translation(x: torch.Tensor, g: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to `ratio` of its size, filling with zeros (black)."""
    b, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sh, sh + 1, (b, 1, 1), generator=g).to(x.device)
    dx = torch.randint(-sw, sw + 1, (b, 1, 1), generator=g).to(x.device)
    iy, ix = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device),
                            indexing="ij")
    yy = (iy[None] + dy + 1).clamp(0, h + 1)  # (B, H, W) rows in the padded image
    xx = (ix[None] + dx + 1).clamp(0, w + 1)
    padded = F.pad(x, (1, 1, 1, 1))  # (B, C, H+2, W+2)
    flat = padded.flatten(2)  # (B, C, (H+2)(W+2))
    idx = (yy * (w + 2) + xx).flatten(1)[:, None].expand(-1, x.shape[1], -1)
    return flat.gather(2, idx).view_as(x)


def cutout(x: torch.Tensor, g: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    """Zero a random square of `ratio` of the image size in each image."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    y0 = torch.randint(0, h - ch + 1, (b, 1, 1), generator=g).to(x.device)  # top-left corner
    x0 = torch.randint(0, w - cw + 1, (b, 1, 1), generator=g).to(x.device)
    iy = torch.arange(h, device=x.device)[None, :, None]
    ix = torch.arange(w, device=x.device)[None, None, :]
    keep = ~((iy >= y0) & (iy < y0 + ch) & (ix >= x0) & (ix < x0 + cw))  # (B, H, W)
    return x * keep[:, None].to(x)


def check_augment(policy: tuple[str, ...]) -> None:
    unknown = set(policy) - set(AUGMENTS)
    if unknown:
        raise OptionError(f"unknown augmentation {sorted(unknown)}; choose from {', '.join(AUGMENTS)}")


def diff_augment(x: torch.Tensor, policy: tuple[str, ...], g: torch.Generator) -> torch.Tensor:
    """Apply the named augmentations in a fixed order: color, translation, cutout."""
    check_augment(policy)
    if "color" in policy:
        x = brightness_contrast(x, g)
    if "translation" in policy:
        x = translation(x, g)
    if "cutout" in policy:
        x = cutout(x, g)
    return x
