"""What depends only on a photo patch, computed once per patch and kept for the editor's frames
(the guided carry-back's luminance guide, a grey model's object tint, the patch's luminance): a
slider's frames of one photo reuse it instead of computing it again every frame. And how a large
photo is worked on, a band of rows at a time (`bands`, `luminance`)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

from training.pixels import LUMA

CACHED_PIXELS = 4_000_000  # larger patches (exports of large photos) are not kept
KEPT = 4  # patches kept per cache
_LOCK = threading.Lock()  # the render worker and an export's thread may both be here


def per_patch(cache: OrderedDict, patch: np.ndarray, extra, compute: Callable[[], object]):
    """compute(), which depends only on `patch` and `extra` (hashable), kept in `cache` for the last
    KEPT patches. A patch's memory may hold another picture later, so a hit is checked against a
    copy of the patch; a patch of a large photo, which only an export sees, is not kept."""
    if patch.shape[0] * patch.shape[1] > CACHED_PIXELS:
        return compute()
    key = (patch.__array_interface__["data"][0], patch.shape, patch.strides, extra)
    with _LOCK:
        hit = cache.get(key)
    if hit is not None and np.array_equal(hit[1], patch):
        with _LOCK:
            if key in cache:
                cache.move_to_end(key)
        return hit[0]
    value = compute()
    with _LOCK:
        cache[key] = (value, patch.copy())
        cache.move_to_end(key)
        while len(cache) > KEPT:
            cache.popitem(last=False)
    return value


_LEVELS: OrderedDict = OrderedDict()  # a patch's luminance in levels (compositing 19's dye), per patch


def patch_luminance(patch: np.ndarray) -> np.ndarray:
    """(H, W) float32: the luminance of an (H, W, 3) uint8 patch in levels, kept per patch (a
    slider's frames of one photo compute it once)."""
    return per_patch(_LEVELS, patch, None, lambda: luminance(patch) * np.float32(255))


def luminance(patch: np.ndarray) -> np.ndarray:
    """(H, W) float32 luminance in [0, 1] of an (H, W, 3) uint8 patch, in bands of rows (no float
    copy of a large photo's three channels)."""
    weights = LUMA.astype(np.float32)
    out = np.empty(patch.shape[:2], np.float32)
    for rows in bands(patch):
        out[rows] = (patch[rows].astype(np.float32) @ weights) / 255.0
    return out


def bands(image: np.ndarray, pixels: int = 1 << 20) -> list[slice]:
    """Slices of rows of about `pixels` pixels each: large images are worked on a band at a time."""
    h, w = image.shape[:2]
    step = max(1, pixels // max(1, w))
    return [slice(y, min(h, y + step)) for y in range(0, h, step)]
