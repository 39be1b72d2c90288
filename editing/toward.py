"""A grey model's change of a pixel toward a colour it cannot draw, landed as the model means it: the
pixel's luminance moves as the change moves it, no further than the colour's and never away from it,
and its tint fades toward the colour's by the levels moved out of the way there was to go, or
PAINT_SOFT levels where the way is shorter (soft_move). Far from the colour it is the share of the
way gone (compositing 18's strokes, 19's dye); near it the tint fades only as far as the luminance
moves, so the change goes to nothing with the way, with no step (18 greyed a brown bag's patches
whole under a grey of its own level; 19 added a change within FADE_APART levels of the background
whole, tint and all, and past the background's brightness: blobs whiter than a white backdrop). A
stroke's grey paint (editing.landing.BrushBand.painted, compositing 20) and a plain background
(editing.compositing.apply_change's dye, compositing 22: dye_fading, beyond_background) land by it.
A colour model's change on a grey photo lands grey (kept_grey).
"""
from __future__ import annotations

import numpy as np

from editing.patch_cache import bands, luminance
from editing.silhouette import FADE_APART
from inversion.framing import DomainMapping
from training.pixels import LUMA

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


def dye_fading(masked: np.ndarray, here: np.ndarray, level: float, soft: bool, beyond: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """How a grey model's change `masked` (h, w) in levels lands on coloured pixels of luminance `here`
    (h, w) beside a plain background of luminance `level` (editing.compositing.apply_change's dye):
    (the share of each pixel's tint gone toward the background's, the luminance added, and with
    `soft` the pixel's luminance less the background's), or None where nothing fades. The pixel's new
    colour on channel c: p + added + gone * (colour[c] - p + lifted), lifted 0 without `soft`.
    Without `soft` (compositing 19), a change toward the background fades the tint by the share of
    the way to it gone, from FADE_APART levels away; with it (22), by soft_move's share, and
    `beyond` (beyond_background's side) keeps a pixel from ending further past the background than
    it was."""
    gap = level - here  # each pixel's to the background
    if soft:  # new = p + kept + gone (colour's tint - p's), kept and gone by soft_move
        toward = masked * gap > 0
        if beyond:  # from the object's side only: a white print lighter than the backdrop is
            toward &= gap * beyond > 0  # no dye on it (its darkening stopped at the backdrop)
        kept, gone = soft_move(masked, gap, past=True)
        gone[~toward] = 0
        added = np.where(toward, kept, masked)
        if beyond:  # past the background: no further than the pixel was
            over = (here + added - level) * beyond - np.maximum((here - level) * beyond, 0)
            added -= np.maximum(over, 0) * beyond
        return gone, added, here - level
    toward = (masked * gap > 0) & (np.abs(gap) >= FADE_APART)
    if not toward.any():
        return None
    gone = 1 - np.clip((gap - masked) / np.where(toward, gap, 1), 0, 1)  # the share of the way gone
    return np.where(toward, gone, 0).astype(np.float32), np.where(toward, 0, masked), None


def beyond_background(mapping: DomainMapping) -> int:
    """The side past a photo's background its model cannot draw, where the background is the model's
    black (light_on_dark models, inversion.framing.to_model's levels): +1 (lighter) on a light
    background the model sees inverted, -1 (darker) on a dark one; 0 where it is not."""
    level = float(LUMA @ np.asarray(mapping.background, np.float64))
    black = 255 - level if mapping.invert else level
    if mapping.black_point <= 0 or abs(mapping.black_point - black) > 0.5:
        return 0
    return 1 if mapping.invert else -1


def kept_grey(mapping: DomainMapping, out: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(out, mask), out made grey where the mask is not 0 when the photo is grey and the model draws
    in colour (mapping.grey_photo): each pixel its luminance on every channel, which leaves a grey
    pixel as it was (a colour model's change tinted a greyscale portrait pink, brown and teal, and
    its export came out in colour: a walkthrough)."""
    if not mapping.grey_photo or mapping.grey:
        return out, mask
    rows, columns = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size:
        box = out[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]  # a view: made grey in place
        for band in bands(box):
            level = np.clip(np.rint(luminance(box[band]) * np.float32(255)), 0, 255).astype(np.uint8)
            box[band] = level[..., None]
    return out, mask
