"""The two conversions every package needs, written once: model images (tensors in [-1, 1],
channels first) to 8-bit pixels (channels last) and back, and the luma weights of a grey image.
"""
from __future__ import annotations

import numpy as np
import torch

LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, as PIL's convert("L")


def to_uint8(x: torch.Tensor, squeeze_grey: bool = False) -> np.ndarray:
    """Model images (..., C, H, W) in [-1, 1] -> pixels (..., H, W, C) uint8 (clamped, rounded);
    `squeeze_grey`: one-channel images as (..., H, W), as PIL and .npy files want them."""
    arr = ((x.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    arr = arr.movedim(-3, -1).numpy()
    return arr[..., 0] if squeeze_grey and arr.shape[-1] == 1 else arr


def from_uint8(pixels: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Pixels (..., H, W, C) in 0..255 (any number type; clipped) -> float (..., C, H, W) in [-1, 1]."""
    if torch.is_tensor(pixels):
        x = pixels.float().clamp(0, 255) / 127.5 - 1.0
    else:  # numpy arrays are scaled in double precision, then stored as float
        x = torch.from_numpy(np.clip(np.asarray(pixels, np.float64), 0, 255) / 127.5 - 1.0).float()
    return x.movedim(-1, -3)
