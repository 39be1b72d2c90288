"""Carry an edit made in the model's domain back onto the full-size photo.

`paste_back` maps a change `after - before` onto the photo at its own resolution under a soft
mask (`change_mask`: no change below MASK_THRESHOLD photo levels), leaving every other pixel
exactly as it was. For an aligned face the change is warped back through the inverse of the
alignment and faded out towards the edge of the aligned square (`edge_fade`), so the seam at the
face's border is never hard.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch

from inversion.framing import DomainMapping
from inversion.geometry import square_region

MASK_THRESHOLD = 6.0  # photo levels below which a change is not carried back


def change_in_levels(before: torch.Tensor, after: torch.Tensor) -> np.ndarray:
    """The change between two model images (C, R, R) in [-1, 1] as (R, R, C) photo levels (0..255 scale)."""
    return (after - before).detach().float().cpu().permute(1, 2, 0).numpy() * 127.5


def change_mask(delta: np.ndarray, threshold: float = MASK_THRESHOLD, feather: float = 0.7) -> np.ndarray:
    """Soft mask (h, w) in [0, 1] of a change (h, w, C) in photo levels: 0 where |delta| is below
    `threshold`, rising smoothly to 1 at twice it, blurred by `feather` pixels (no hard edge)."""
    mag = np.abs(delta).max(axis=2)
    t = np.clip((mag - threshold) / threshold, 0.0, 1.0)
    mask = (t * t * (3 - 2 * t)).astype(np.float32)
    return cv2.GaussianBlur(mask, (0, 0), feather) if feather > 0 else mask


def paste_back(pixels: np.ndarray, mapping: DomainMapping, before: torch.Tensor,
               after: torch.Tensor, threshold: float = MASK_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """Apply the model-domain change `after - before` ((C, R, R) in [-1, 1]) to the photo.

    Returns (edited photo (H, W, 3) uint8, soft mask (H, W) of where it changed). The change and
    its mask are computed at the model's resolution (with a rim for the mask's feathering) and
    enlarged onto the crop box only, so the cost follows the object's size on screen, not the
    photo's. Pixels where the mask is 0 are the original's, bit for bit (adding 0 changes nothing).
    """
    if mapping.affine:
        return _paste_back_affine(pixels, mapping, before, after, threshold)
    pad = 2  # model pixels of rim around the content, where the feathered mask may spill
    delta = change_in_levels(before, after)  # (R, R, C)
    off = (mapping.resolution - mapping.content) // 2
    delta = delta[off:off + mapping.content, off:off + mapping.content]
    h, w = pixels.shape[:2]
    mask_full = np.zeros((h, w), np.float32)
    if not np.any(delta):
        return pixels.copy(), mask_full
    delta = delta / mapping.gain * (-1.0 if mapping.invert else 1.0)
    small = np.pad(delta, ((pad, pad), (pad, pad), (0, 0)))
    small_mask = change_mask(small, threshold)
    x0, y0, x1, _ = (int(round(v)) for v in mapping.box)
    scale = (x1 - x0) / mapping.content
    bx0, by0 = x0 - int(round(pad * scale)), y0 - int(round(pad * scale))
    side = (x1 - x0) + 2 * int(round(pad * scale))
    rx0, ry0, rx1, ry1 = max(0, bx0), max(0, by0), min(w, bx0 + side), min(h, by0 + side)
    if rx1 <= rx0 or ry1 <= ry0:
        return pixels.copy(), mask_full
    big = cv2.resize(small, (side, side), interpolation=cv2.INTER_CUBIC).reshape(side, side, -1)
    big_mask = cv2.resize(small_mask, (side, side), interpolation=cv2.INTER_LINEAR)
    sl = (slice(ry0 - by0, ry1 - by0), slice(rx0 - bx0, rx1 - bx0))
    change, mask = big[sl], big_mask[sl]
    # A grey change (one channel) moves every channel alike: luminance changes, hue stays.
    patch = pixels[ry0:ry1, rx0:rx1]
    out = pixels.copy()
    out[ry0:ry1, rx0:rx1] = np.clip(np.rint(patch + change * mask[..., None]), 0, 255)
    mask_full[ry0:ry1, rx0:rx1] = mask
    return out, mask_full


def edge_fade(resolution: int, width: float = 3.0) -> np.ndarray:
    """(R, R) weights: 1 inside, falling smoothly to 0 over `width` pixels at the square's edge."""
    c = np.arange(resolution, dtype=np.float64) + 0.5
    d = np.minimum(c, resolution - c)
    t = np.clip(d / width, 0.0, 1.0)
    ramp = t * t * (3 - 2 * t)
    return np.minimum.outer(ramp, ramp).astype(np.float32)


def _paste_back_affine(pixels: np.ndarray, mapping: DomainMapping, before: torch.Tensor,
                       after: torch.Tensor, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """paste_back for an aligned (rotated, scaled) face: the change is warped back into the part
    of the photo the aligned square covers, faded out towards the square's edge."""
    r = mapping.resolution
    delta = change_in_levels(before, after)  # (R, R, C)
    h, w = pixels.shape[:2]
    mask_full = np.zeros((h, w), np.float32)
    if not np.any(delta):
        return pixels.copy(), mask_full
    if mapping.grey:
        delta = delta.mean(axis=2, keepdims=True)
    small_mask = change_mask(delta, threshold) * edge_fade(r)
    found = square_region(mapping.matrix, r, (w, h))
    if found is None:
        return pixels.copy(), mask_full
    (rx0, ry0, rx1, ry1), shifted = found  # shifted: photo-region pixels -> model pixels
    size = (rx1 - rx0, ry1 - ry0)
    flags = cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP
    change = cv2.warpAffine(delta.astype(np.float32), shifted, size, flags=flags,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0).reshape(size[1], size[0], -1)
    mask = cv2.warpAffine(small_mask, shifted, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    mask = np.clip(mask, 0.0, 1.0)
    patch = pixels[ry0:ry1, rx0:rx1]
    out = pixels.copy()
    out[ry0:ry1, rx0:rx1] = np.clip(np.rint(patch + change * mask[..., None]), 0, 255)
    mask_full[ry0:ry1, rx0:rx1] = mask
    return out, mask_full
