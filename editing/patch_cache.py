"""What depends only on a photo patch, computed once per patch and kept for the editor's frames
(the guided carry-back's luminance guide, a grey model's object tint): a slider's frames of one
photo reuse it instead of computing it again every frame."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

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
