"""Measured attributes of grey product images: brightness, area, height and width of the object.

They label the training images by a median split (editing.vector_sets) and are measured exactly on
edited images, which makes them the honest test of the sliders.
"""
from __future__ import annotations

import torch

MEASURED = ("brightness", "area", "height", "width")
OBJECT_LEVEL = -0.8  # model pixels above this level (in [-1, 1]) belong to the object


def measure(x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Measured attributes of images (B, C, H, W) in [-1, 1], light objects on black, each (B,).

    brightness: mean level of the object's pixels (0..1); area: share of the image the object
    covers; height, width: extent of the object's pixels as a share of the image side.
    """
    grey = x.float().mean(1)  # (B, H, W)
    obj = grey > OBJECT_LEVEL
    h, w = grey.shape[1:]
    level = (grey + 1) / 2
    area = obj.flatten(1).float().mean(1)
    brightness = (level * obj).flatten(1).sum(1) / obj.flatten(1).sum(1).clamp_min(1)
    rows, cols = obj.any(2), obj.any(1)  # (B, H), (B, W)

    def extent(mask: torch.Tensor, n: int) -> torch.Tensor:
        idx = torch.arange(n, device=mask.device)
        first = torch.where(mask, idx, n).min(1).values
        last = torch.where(mask, idx, -1).max(1).values
        return ((last - first + 1).clamp_min(0)).float() / n

    return {"brightness": brightness, "area": area, "height": extent(rows, h),
            "width": extent(cols, w)}

