"""A grey model's change of a pixel toward a colour it cannot draw, landed as the model means it: the
pixel's luminance moves as the change moves it, no further than the colour's and never away from it,
and its tint fades toward the colour's by the levels moved out of the way there was to go, or
PAINT_SOFT levels where the way is shorter (soft_move). Far from the colour it is the share of the
way gone (compositing 18's strokes, 19's dye); near it the tint fades only as far as the luminance
moves, so the change goes to nothing with the way, with no step (18 greyed a brown bag's patches
whole under a grey of its own level; 19 added a change within FADE_APART levels of the background
whole, tint and all, and past the background's brightness: blobs whiter than a white backdrop). A
stroke's grey paint (editing.landing.BrushBand.painted, compositing 20) and a plain background
(editing.compositing.apply_change's dye, compositing 22) land by it.
"""
from __future__ import annotations

import numpy as np

PAINT_SOFT = 32.0  # photo levels of luminance a change moves a pixel by that take the whole of its tint
# at least (compositing 20's strokes, 22's dye)


def soft_move(moved: np.ndarray, gap: np.ndarray, past: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(the luminance moved, the share of the tint gone), float32 like `moved` (a change's luminance,
    levels) and `gap` (the target colour's luminance less the pixel's, levels): `moved` kept between
    0 and `gap`, and its size out of max(|gap|, PAINT_SOFT). The pixel's new colour is its own plus
    the first on every channel plus the second times the target's tint less its own. With `past`, the
    tint fades by the whole move toward the target, past it too, at most all of it: a plain
    background's dye, where a change that takes a pale pixel a few levels from its background 25
    levels lighter means the dye is gone, not a twelfth of it (a stroke's paint keeps to the part
    kept: a brown bag under a grey of its own level stays brown, compositing 20)."""
    kept = np.clip(moved, np.minimum(gap, 0), np.maximum(gap, 0))  # (between 0 and gap, either way)
    way = np.maximum(np.abs(gap), PAINT_SOFT)
    if not past:
        return kept, np.abs(kept) / way
    size = np.abs(moved)
    size[moved * gap <= 0] = 0  # away from the target: no fading
    size /= way
    return kept, np.minimum(size, 1, out=size)
