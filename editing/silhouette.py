"""Where an object's silhouette moves under an edit (a product on a plain background whose
outline changes), what the carry-back paints there instead of adding the change: the photo's
background where the object left, the generator's new object in the photo's tint where it grew
(editing.compositing.apply_change paints it). Adding the grey change there would leave a ghost of
the old object under the new one."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import cv2
import numpy as np
import torch

from editing.patch_cache import per_patch
from inversion.framing import DomainMapping
from training.pixels import LUMA

if TYPE_CHECKING:
    from editing.plate import Backdrop, Plate

_TINTS: OrderedDict = OrderedDict()  # a grey model's object colour, per patch and background
TINT_MOST = 1.0  # compositing 19: the most of the object's tint a grown pixel takes (darker than its mean: all)
FADE_APART = 20.0  # compositing 19: photo levels of luminance between the object and its background
# under which the tint is added whole (a share of a small difference would be noise)


@dataclass
class Fill:
    """Where an object's silhouette moved, on a photo patch: what `apply_change` paints there."""

    left: np.ndarray  # (H, W) uint8, 255 where the object was and is no more
    grew: np.ndarray  # (H, W) uint8, 255 where it is now and was not
    background: np.ndarray  # (3,) the photo's background colour, painted where it left
    rendered: np.ndarray  # (H, W, C) uint8, the generator's new object in photo levels
    tint: np.ndarray  # (3,) added to `rendered` (a grey model's object takes the photo's tint)
    fade: tuple[float, float] | None = None  # (the background's luminance, the object's): the tint
    # added in proportion to how far a pixel's level lies from the background's toward the object's
    # (compositing 19: a lavender boot's new white sole came out saturated lilac); None, whole
    plate: Backdrop | None = None  # painted where it left, not `background` (plate[rows, cols]:
    # (h, w, 3) uint8): the photo's clean plate over where the fill moved (compositing 24, editing.plate)

    def tint_share(self, rendered: np.ndarray) -> np.ndarray | float:
        """How much of the tint a grown pixel of `rendered` ((h, w, C) uint8) takes: (h, w) float32 in
        [0, TINT_MOST], as a dye over the background would colour it (none at the background's
        level, all of it at the object's mean level), or 1 without `fade`."""
        if self.fade is None:
            return 1.0
        background, item = self.fade
        level = rendered[..., 0] if rendered.shape[2] == 1 else rendered.astype(np.float32) @ LUMA
        share = (background - level.astype(np.float32)) / np.float32(background - item)
        return np.clip(share, 0.0, TINT_MOST).astype(np.float32)

    def cropped(self, window: tuple[slice, slice]) -> "Fill":
        """The fill of the part `window` (rows, columns) of its patch (views, not copies)."""
        return Fill(self.left[window], self.grew[window], self.background, self.rendered[window], self.tint,
                    self.fade, None if self.plate is None else self.plate.cropped(window))

    def moved(self) -> tuple[slice, slice] | None:
        """The bounding box (rows, columns) of where `left` or `grew` is not 0; None: nowhere.
        Found from which rows and columns hold any (not every pixel's coordinates: on a large
        photo those took more memory than the float band)."""
        rows = np.flatnonzero(self.left.any(axis=1) | self.grew.any(axis=1))
        if rows.size == 0:
            return None
        band = slice(int(rows[0]), int(rows[-1]) + 1)
        cols = np.flatnonzero(self.left[band].any(axis=0) | self.grew[band].any(axis=0))
        return band, slice(int(cols[0]), int(cols[-1]) + 1)


def _off_background(x: torch.Tensor, background: np.ndarray) -> np.ndarray:
    """(R, R): how far each model pixel of x (C, R, R) is from the background level (C,), its
    farthest channel."""
    return np.abs(x.detach().float().cpu().numpy() - background.reshape(-1, 1, 1)).max(0)


def object_presence(x: torch.Tensor, background: np.ndarray) -> np.ndarray:
    """(R, R) in [0, 1]: how surely each model pixel of x (C, R, R) in [-1, 1] is the object, not
    the background level `background` (C,): 0 within 0.1 levels of it, 1 beyond 0.3."""
    t = np.clip((_off_background(x, background) - 0.1) / 0.2, 0.0, 1.0)
    return (t * t * (3 - 2 * t)).astype(np.float32)


FAINT = (0.3, 0.5)  # shares of the object's typical contrast over which new object pixels become solid
FAINT_PART = 0.05  # object presence from which a pixel counts as part of the object for specks
SPECK_PIXELS = 4  # compositing 25: new object apart from the item, this many model pixels or fewer, is a
# speck of the generator's (walkthrough 55: Area +2.11 on a red dress drew a dark dot beside it, one model
# pixel, and the carry-back painted it on the backdrop as a red blob)


def specks(was: np.ndarray, now: np.ndarray) -> np.ndarray:
    """(R, R) in [0, 1]: the specks of `now` (object presence): its parts, faint edges and all
    (eight-connected over FAINT_PART), of SPECK_PIXELS model pixels or fewer, that come within two
    model pixels of nothing of the object as it was, faint parts too (a review: a sandal's faint heel
    and a bag's handle, moved by Height +2, read as specks where only the solid object was looked at);
    none where the object as it was is of separate parts itself (a sandal's straps)."""
    if cv2.connectedComponents((was > FAINT_PART).astype(np.uint8), connectivity=8)[0] > 2:
        return np.zeros_like(now)  # an item of separate parts (a sandal's straps): a small one may be its own
    count, labels, stats, _ = cv2.connectedComponentsWithStats((now > FAINT_PART).astype(np.uint8),
                                                               connectivity=8)
    near = cv2.dilate((was > FAINT_PART).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    small = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] <= SPECK_PIXELS
             and not near[labels == i].any()]
    if not small:
        return np.zeros_like(now)
    return np.isin(labels, small).astype(np.float32)


def without_specks(mapping: DomainMapping, before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
    """`after` (C, R, R) with its specks (`specks`, against `before`) taken back to `before`: what the
    carry-back takes for the edit's picture (compositing 25), so that neither its change nor its
    outline paints them on the photo. `after` itself where there are none."""
    background = np.array(mapping.model_colour(mapping.background), np.float64)
    speck = specks(object_presence(before, background), object_presence(after, background))
    if not speck.any():
        return after
    share = torch.from_numpy(speck).to(after.dtype)[None]
    return after * (1 - share) + before.to(after.dtype) * share


def solidity(before: torch.Tensor, after: torch.Tensor, background: np.ndarray,
             was: np.ndarray) -> np.ndarray:
    """(R, R) in [0, 1]: how surely each pixel of `after` is solid object rather than a faint wisp:
    its distance from the background level against the typical (75th percentile) distance of the
    object in `before` (where `was`, its presence, is over a half), 0 under FAINT[0] of it, 1 over
    FAINT[1]."""
    far_before = _off_background(before, background)
    inside = was > 0.5
    if not inside.any():
        return np.ones_like(was)
    typical = max(float(np.percentile(far_before[inside], 75)), 1e-3)
    far_after = _off_background(after, background)
    t = np.clip((far_after / typical - FAINT[0]) / (FAINT[1] - FAINT[0]), 0.0, 1.0)
    return (t * t * (3 - 2 * t)).astype(np.float32)


def silhouette_fill(patch: np.ndarray, mapping: DomainMapping, before: torch.Tensor,
                    after: torch.Tensor, enlarge: Callable[[np.ndarray], np.ndarray],
                    rim: bool = True, faint: bool = True, fade: bool = True,
                    clear: bool = True, plate: Plate | None = None) -> Fill | None:
    """Where an object's silhouette moved between `before` and `after` (model images), what to
    paint on the photo patch instead of the change, or None where it did not move.

    `enlarge` carries an (R, R) uint8 model-grid array onto the patch. Where the object was and is
    no more, the patch becomes the photo's background colour; where it appears, the generator's
    new object rendered in photo colours (its level through the inverse of the photo's levels and
    polarity, plus the photo object's own tint for a grey model). Both replace the pixels, so
    nothing of the old object shows through. Everything full-size is uint8: a large photo's patch
    costs a few bytes a pixel more, not a float copy. `rim=False`: the grown region is not grown
    by a pixel (exports made before; they showed grey lines along the old edges). `faint`: growth
    fainter than FAINT of the object's typical contrast is not the object but the generator's wisps
    beside it; where the reconstruction shows background, the photo keeps its background there
    (before, such wisps were painted as a faint object in the photo's tint: pink "ghost sleeves"
    beside a dark red dress). `fade` (compositing 19): a grown pixel takes the tint in proportion to
    how far its level lies from the background's toward the object's mean (Fill.tint_share), as a
    dye over the background would colour it: the whole tint added to every level painted a lavender
    boot's new white sole saturated lilac (a walkthrough). `clear` (compositing 20): where the object
    left, the photo is cleared two model pixels out, not one, where the object is not within a
    model pixel now: the photo's soft edge of a sleeve the model drew thinner stayed beside a shirt
    made a T-shirt, a thin grey line with one hard edge (a walkthrough). `plate` (compositing 24),
    the photo's clean plate (editing.plate.clean_plate of the patch before an outline's flow moved
    it), worked out where the object left something: painted there instead of the background's
    one colour (a smooth, lighter rectangle without the backdrop's grain where a dress's straps
    were: walkthrough 48)."""
    bg_model = np.array(mapping.model_colour(mapping.background), np.float64)
    was, now = object_presence(before, bg_model), object_presence(after, bg_model)
    # Each grown by a model pixel, so that the old edge's soft rim goes too: where the object is
    # not now (else a ghost of the old edge stays), and where it is now (else the rim, half
    # background in the photo, takes only the change of level and shows as a grey line inside the
    # new object); differences below 5% are anti-aliasing, not a moved silhouette.
    grow = np.ones((3, 3), np.uint8)
    left = np.clip(was - now, 0, 1)
    gone = cv2.dilate(left, grow) * (1 - now)
    if clear:  # a model pixel further, where the object is not within a model pixel now (its new
        # edge's soft rim stays the photo's)
        gone = np.maximum(gone, cv2.dilate(left, np.ones((5, 5), np.uint8)) * (1 - cv2.dilate(now, grow)))
    came = np.clip(now - was, 0, 1)
    if faint:
        solid = solidity(before, after, bg_model, was)
        gone = np.maximum(gone, came * (1 - solid))  # wisps: the photo's background stays
        came = came * solid
    if rim:
        came = cv2.dilate(came, grow) * now
    gone[gone < 0.05], came[came < 0.05] = 0, 0
    if not gone.any() and not came.any():
        return None

    def to_u8(arr: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(arr * 255), 0, 255).astype(np.uint8)

    level = after.detach().float().cpu().permute(1, 2, 0).numpy().astype(np.float64)
    photo_level = (level + 1) * 127.5 / mapping.gain + mapping.black_point
    if mapping.invert:
        photo_level = 255.0 - photo_level
    channels = [enlarge(to_u8(photo_level[..., c] / 255)) for c in range(level.shape[2])]
    rendered = channels[0][..., None] if len(channels) == 1 else np.stack(channels, -1)
    background = np.array(mapping.background, np.float32)
    tint, shades = np.zeros(3, np.float32), None
    if mapping.grey:  # the model knows luminance only: the photo's object lends its tint
        colour = per_patch(_TINTS, patch, background.tobytes(), lambda: object_colour(patch, background))
        tint = (colour - LUMA @ colour).astype(np.float32)
        apart = float(LUMA @ background), float(LUMA @ colour)
        if fade and abs(apart[0] - apart[1]) >= FADE_APART:
            shades = apart
    fill = Fill(enlarge(to_u8(gone)), enlarge(to_u8(came)), background, rendered, tint, shades)
    if plate is not None and gone.any():  # worked out now, over where it moved: before the carry-back
        # writes the photo (in place, an export's), which a plate read later by parts would then read
        moved = fill.moved()
        fill.plate = None if moved is None else plate.over(*moved, source=patch)
    return fill


def object_colour(patch: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(3,) float32: the mean colour of the object on a photo patch (its pixels off the plain
    `background`); less its luminance, it is the tint a grey model's object takes on."""
    step = max(1, min(patch.shape[:2]) // 128)  # a sample of the patch is enough for a mean
    sample = patch[::step, ::step].astype(np.float32)
    inside = np.abs(sample - background).max(-1) > 30  # the object: off the plain background
    return (sample[inside].mean(0) if inside.any() else np.asarray(background, np.float32)).astype(np.float32)
