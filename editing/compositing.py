"""Carry an edit made in the model's domain back onto the full-size photo.

`paste_back` maps a change `after - before` onto the photo at its own resolution under a soft
mask (`change_mask`: no change below MASK_THRESHOLD photo levels, unless it is part of a faint
change of one sign over an area), leaving every other pixel exactly as it was. The low-resolution
change is enlarged guided by the photo's own edges (the guided filter, He et al. 2010, with the
photo's luminance as the guide), so it follows the photo's edges instead of smearing a halo across
them. An aligned face's change is carried back by editing.face_paste, inside the face (and its
strokes' reach, and a hair colour slider's hair); an unaligned photo's colour strokes' change
within their bands, on top of its sliders' edit (editing.landing.object_reach).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import cv2
import numpy as np
import torch

from editing.outline_flow import move_patch, outline_flow
from editing.patch_cache import CACHED_PIXELS, bands, luminance, patch_luminance, per_patch
from editing.plate import clean_plate
from editing.silhouette import Fill, object_presence, silhouette_fill, without_specks
from editing.toward import beyond_background, dye_fading, kept_grey
from inversion.framing import DomainMapping
from inversion.geometry import affine_scale
from training.pixels import LUMA

MASK_THRESHOLD = 6.0  # photo levels below which a change is not carried back
COHERENT_THRESHOLD = 2.0  # photo levels: a change of one sign over an area, below MASK_THRESHOLD,
# that is carried back all the same (held "brightness +0.58" lightened a plain coat by 3.5 levels,
# all under the threshold: the export showed only its edges changed)
COHERENT_SIGMA = 1.5  # model pixels: the area over which such a change keeps its sign
GUIDE_EPS = 1e-3  # guided fit's regulariser on a [0, 1] guide: contrasts under ~8 levels count as flat


def linear_fit(guide: np.ndarray, src: np.ndarray, radius: int = 1, eps: float = GUIDE_EPS
               ) -> tuple[np.ndarray, np.ndarray]:
    """The guided filter's coefficients (He et al. 2010): per pixel, src (h, w, C) ~ a * guide + b
    (guide (h, w) in [0, 1]) fitted over (2r+1)^2 windows, averaged over the windows covering the
    pixel; returns (a, b), each (h, w, C)."""
    k = (2 * radius + 1, 2 * radius + 1)
    box = lambda x: cv2.boxFilter(x, -1, k, borderType=cv2.BORDER_REFLECT)  # noqa: E731
    g = guide.astype(np.float32)
    mean_g = box(g)
    var_g = box(g * g) - mean_g * mean_g
    a = np.empty(src.shape, np.float32)
    b = np.empty(src.shape, np.float32)
    for c in range(src.shape[2]):
        p = np.ascontiguousarray(src[..., c], dtype=np.float32)
        mean_p = box(p)
        a_c = (box(g * p) - mean_g * mean_p) / (var_g + eps)
        a[..., c], b[..., c] = box(a_c), box(mean_p - a_c * mean_g)
    return a, b


Enlarge = Callable[[np.ndarray, int], np.ndarray]  # (h, w, C) coarse -> (H, W, C) patch, cv2 flag
WHOLE = np.s_[:, :]  # all of a patch (rows, columns)
_GUIDES: OrderedDict = OrderedDict()  # the patch's luminance and its coarse view, per patch and grid
SHRINK_FIRST = 32.0  # patch pixels per coarse pixel past which the guide is area-shrunk before its blur


def _guide(patch: np.ndarray, to_coarse: np.ndarray, coarse_size: tuple[int, int]):
    """(luminance (H, W) in [0, 1], its view on the coarse grid (h, w)); they do not depend on the
    edit, so the editor's frames reuse them."""
    return per_patch(_GUIDES, patch, (to_coarse.tobytes(), coarse_size),
                      lambda: _guide_views(patch, to_coarse, coarse_size))


def _guide_views(patch: np.ndarray, to_coarse: np.ndarray, coarse_size: tuple[int, int]):
    """(luminance (H, W) in [0, 1], its view on the coarse grid (h, w)), blurred before sampling in
    proportion to the shrink (no aliasing). A shrink over SHRINK_FIRST is first done in part by area
    averaging over f x f blocks, so the blur stays small (a full-size blur 70 pixels wide took
    half a minute on a 49-megapixel photo)."""
    luma = luminance(patch)
    upscale = 1.0 / affine_scale(to_coarse)  # patch pixels per coarse pixel
    seen, m = luma, to_coarse
    if upscale > SHRINK_FIRST:
        f = int(upscale // 4)  # block side: leaves a shrink of about 4 for the blur
        h, w = luma.shape
        seen = cv2.resize(luma, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
        m = to_coarse.copy()  # shrunk pixel q covers patch pixels f q .. f q + f - 1
        m[:, 2] = to_coarse[:, 2] + to_coarse[:, :2] @ np.full(2, (f - 1) / 2)
        m[:, :2] *= f
        upscale /= f
    if upscale > 1.5:
        seen = cv2.GaussianBlur(seen, (0, 0), 0.45 * upscale)
    coarse = cv2.warpAffine(seen, m, coarse_size, flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    return luma, coarse


def apply_change(out: np.ndarray, patch: np.ndarray, change: np.ndarray, mask: np.ndarray,
                 fill: "Fill | None" = None, dye: tuple[np.ndarray, np.ndarray | None] | None = None,
                 soft: bool = False, beyond: int = 0) -> None:
    """out = clip(rint(patch + change * mask)) as uint8, in bands of rows (the float sum of a large
    photo patch would otherwise be several copies of it); `out` may be a view of the photo. Where
    `fill` says the object's silhouette moved, its background or new object replaces that.
    Worked one colour plane at a time: numpy's loops over (H, W, 3) arrays broadcast against
    (H, W, 1) masks run three values at a time, and took 2.9 ms of a 306 px product's slider frame
    (1.6 ms by planes, the same bytes: benchmarks/editor_latency.py). `dye`, (the photo's
    background colour (3,), the patch's luminance (H, W) in levels, patch_luminance's, or None:
    a band's at a time), a grey model's change of an object on a plain background: a change toward
    the background's luminance moves the pixel's colour toward it (compositing 19: the change added
    to every channel kept a lavender boot's tint whole where a sneaker's white sole lightened it, a
    lilac haze); `soft` and `beyond` (compositing 22) land it as editing.toward.dye_fading says."""
    moved = fill.moved() if fill is not None else None  # (rows, columns) the fill touches
    channels = patch.shape[2]
    if change.shape[2] not in (1, channels):
        raise ValueError(f"a change of {change.shape[2]} channels cannot apply to a {channels}-channel patch")
    for rows in bands(patch, 1 << 20 if dye is None else 1 << 18):  # (the dye's sums: smaller bands)
        band = np.empty((channels,) + patch[rows].shape[:2], np.float32)  # one float plane each
        masked = change[rows] * mask[rows][..., None]  # (h, w, 1) for a grey model: every plane alike
        blend = None
        if moved is not None:  # the same sums as everywhere, but only where the fill is not 0
            top, bottom = max(moved[0].start, rows.start), min(moved[0].stop, rows.stop)
            if top < bottom:
                part = (slice(top, bottom), moved[1])
                left = fill.left[part] / np.float32(255)
                grew = fill.grew[part] / np.float32(255)
                share = fill.tint_share(fill.rendered[part])  # of the tint, each grown pixel's
                backdrop = None if fill.plate is None else fill.plate[part]  # compositing 24's clean plate
                blend = ((slice(top - rows.start, bottom - rows.start), moved[1]), part, left, grew, share,
                         backdrop)
        fading = None
        if dye is not None and masked.shape[2] == 1:
            colour, levels = dye
            here = luminance(patch[rows]) * np.float32(255) if levels is None else levels[rows]
            fading = dye_fading(masked[..., 0], here, float(LUMA.astype(np.float32) @ colour), soft, beyond)
        for c in range(channels):
            plane = band[c]
            plane[:] = patch[rows][..., c]
            if fading is None:
                plane += masked[..., c if masked.shape[2] > 1 else 0]
            else:  # toward the background: as far toward its colour; elsewhere the change added
                gone, added, lifted = fading
                faded = colour[c] - plane
                if lifted is not None:  # soft: the colour's tint less the pixel's (h + (c - l) - p)
                    faded += lifted
                faded *= gone
                plane += added
                plane += faded
            if blend is not None:
                sub, part, left, grew, share, backdrop = blend
                blended = plane[sub]  # a view: blended in place
                blended *= 1 - left
                blended += (fill.background[c] if backdrop is None else backdrop[..., c]) * left
                blended *= 1 - grew
                rendered = fill.rendered[part]
                blended += (rendered[..., c if rendered.shape[2] > 1 else 0] + fill.tint[c] * share) * grew
        np.rint(band, out=band)
        np.clip(band, 0, 255, out=band)
        out[rows] = band.transpose(1, 2, 0)


def guided_upsample(change: np.ndarray, patch: np.ndarray, to_coarse: np.ndarray,
                    enlarge: Enlarge, part: tuple[slice, slice] = WHOLE) -> np.ndarray:
    """Enlarge a change (h, w, C) made on a coarse grid onto a photo patch (H, W, 3) so that it
    follows the patch's own edges (fast guided upsampling, He and Sun 2015): on the coarse grid,
    fit change ~ a * luma + b to the patch's luminance seen at that grid; carry a and b to the patch
    (bilinear) and apply them to its full-resolution luminance; what the fit leaves out (structure
    the photo has no edge for: a new shadow, a longer sleeve) is added back, enlarged bicubically,
    so it stays as sharp as before. `to_coarse`: 2x3, patch pixels -> coarse pixels; `enlarge`
    carries coarse arrays onto the patch. Returns (H, W, C) float32, or only its `part` (rows,
    columns): the same values there, every pixel's its own."""
    h, w = change.shape[:2]
    change = change.reshape(h, w, -1).astype(np.float32)
    luma, coarse = _guide(patch, to_coarse, (w, h))
    a, b = linear_fit(coarse, change)
    residual = change - (a * coarse[..., None] + b)
    out = enlarge(a, cv2.INTER_LINEAR)[part]  # summed in place: one full-size array, not four
    out *= luma[part][..., None]
    out += enlarge(b, cv2.INTER_LINEAR)[part]
    out += enlarge(residual, cv2.INTER_CUBIC)[part]
    return out


def change_in_levels(before: torch.Tensor, after: torch.Tensor) -> np.ndarray:
    """The change between two model images (C, R, R) in [-1, 1] as (R, R, C) photo levels (0..255 scale)."""
    return (after - before).detach().float().cpu().permute(1, 2, 0).numpy() * 127.5


def _rise(magnitude: np.ndarray, threshold: float) -> np.ndarray:
    """0 below `threshold`, rising smoothly (smoothstep) to 1 at twice it; float32."""
    t = np.clip((magnitude - threshold) / threshold, 0.0, 1.0)
    return (t * t * (3 - 2 * t)).astype(np.float32)


def change_mask(delta: np.ndarray, threshold: float = MASK_THRESHOLD, feather: float = 0.7,
                coherent: bool = False) -> np.ndarray:
    """Soft mask (h, w) in [0, 1] of a change (h, w, C) in photo levels: 0 where |delta| is below
    `threshold`, rising smoothly to 1 at twice it, blurred by `feather` pixels (no hard edge).

    `coherent`: also where the pixel's own change and the change's Gaussian average around it
    (sigma COHERENT_SIGMA pixels) agree in sign and both reach COHERENT_THRESHOLD levels (the mask
    rising from 0 there to 1 at twice it: a 3-level change lands as 1.5): a faint change of one sign
    over an area (an item lightened a little) is an edit a user sees; flicker of either sign from
    pixel to pixel averages away (a faint blotch a few pixels across does not), and a pixel that
    does not change is not reached by its neighbours' change."""
    mask = _rise(np.abs(delta).max(axis=2), threshold)
    if coherent:
        delta = delta.astype(np.float32)
        smooth = cv2.GaussianBlur(delta, (0, 0), COHERENT_SIGMA).reshape(delta.shape)  # cv2 drops a lone axis
        both = np.where(delta * smooth > 0, np.minimum(np.abs(delta), np.abs(smooth)), 0)
        np.maximum(mask, _rise(both.max(axis=2), COHERENT_THRESHOLD), out=mask)
    return cv2.GaussianBlur(mask, (0, 0), feather) if feather > 0 else mask


PLAIN_BELOW = 0.25  # object_presence under which a model pixel is the background's, not the object's
# faint rim: 0.165 of the model's -1..1 off the background level, about 21 photo levels (the
# generator's background noise reaches 0.1)


def near_object(mapping: DomainMapping, *pictures: torch.Tensor) -> np.ndarray:
    """(R, R) bool: the model pixels within one pixel of the object (object_presence PLAIN_BELOW or
    more) in any of `pictures` (C, R, R): the rest is background in all of them."""
    bg_model = np.array(mapping.model_colour(mapping.background), np.float64)
    solid = np.zeros(pictures[0].shape[1:], np.uint8)
    for picture in pictures:
        solid |= (object_presence(picture, bg_model) >= PLAIN_BELOW).astype(np.uint8)
    return cv2.dilate(solid, np.ones((3, 3), np.uint8)).astype(bool)


def paste_back(pixels: np.ndarray, mapping: DomainMapping, before: torch.Tensor,
               after: torch.Tensor, threshold: float = MASK_THRESHOLD, guided: bool = True,
               in_place: bool = False, silhouette: bool = True, rim: bool = True,
               reach=None, faint: bool = True, hair: bool = False,
               outline: bool = True, plain: bool = True, colour_reaches: tuple = (),
               coherent: bool = True, under: torch.Tensor | None = None, layers: tuple = (),
               keep_beneath: bool = False, window: tuple[int, int, int, int] | None = None,
               fade: bool = True, clear: bool = True, soft: bool = True,
               plate: bool = True, apart: bool = True, face: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Apply the model-domain change `after - before` ((C, R, R) in [-1, 1]) to the photo.

    Returns (edited photo (H, W, 3) uint8, soft mask (H, W) of where it changed). The change and
    its mask are computed at the model's resolution (with a rim for the mask's feathering) and
    enlarged onto the crop box only, so the cost follows the object's size on screen, not the
    photo's. Pixels where the mask is 0 are the original's, bit for bit (adding 0 changes nothing).
    `guided=False` enlarges bicubically, as exports were made before guided enlargement.
    `in_place=True` writes into `pixels` (and returns it): an export that no longer needs the
    original keeps one full-size copy of a large photo, not two.

    An object on a plain background (the box crop of an object model) whose silhouette changes
    is repainted, not blended (`silhouette`, see `silhouette_fill`): where the object leaves, the
    photo's background colour; where it grows, the generator's object in the photo's tint. Adding
    the grey change there would leave a ghost of the old object (its tint) under the new one.
    `fade`: the grown region takes a grey model's tint as a dye over the background would (in
    proportion to its level: editing.silhouette.Fill.tint_share); False, the tint whole, as exports
    were made before. `clear`: where the object left, the photo's background two model pixels out
    (silhouette_fill); False, one, as exports were made before. `soft`: a grey change toward the
    background lands as editing.toward.soft_move lands it, and none past a background that is the
    model's black (apply_change); False, as exports were made before. `plate`: where the object left,
    the photo's clean plate (editing.plate: the backdrop's light and grain) instead of its background's
    one colour; False, as exports were made before. `apart`: a speck of new object apart from the item
    is not carried back (silhouette.without_specks); False, as exports were made before. `face`: an
    aligned face's edit lands over its face region; False, within `reach` and `colour_reaches` alone
    (editing.landing.face_region_lands). `rim=False` repaints the grown
    region without its rim, as exports were made before; `faint=False` paints faint growth beside
    the object too (silhouette.solidity), as exports were made before.
    `reach` (R, R), the strokes' reach (editing.solver.stroke_reach): where an aligned face's edit
    may land besides the face region (a stroke painted on the hair beside it); on a photo the model
    sees unaligned, where the edit lands at all (editing.landing.object_reach: colour strokes paint
    where they are drawn), the photo as it was elsewhere, bit for bit, or with `under` (C, R, R), the
    model's picture of the edit's sliders alone, that picture's edit carried back whole (the
    strokes' change lands within their bands, the sliders' wherever it changed), and with `layers`,
    ((band, picture), ...), the strokes before each landing its own picture's edit within its band,
    oldest first, `after`'s on top (editing.layers.layered_bands), what lies beneath `after`'s
    kept for the next call with `keep_beneath` (the editor's candidates of one stroke share it);
    `colour_reaches`,
    each colour stroke's (R, R), there only on what looks like what it covers inside the region
    (editing.face_paste.stroke_colours; editing.landing.face_reaches); `hair`, a hair
    slider's edit: an aligned face's lands on the photo's hair too (hair_reach). `outline`: where
    the edit moves such an object's outline, the photo's own pixels move with it and only what the
    motion leaves out is added (editing.outline_flow); False, as exports were made before.
    `plain`: where such an object's picture is background before and after, a pixel or more from
    the object (near_object), the photo's background stays as it is; False, as exports were made
    before (the generator's faint background noise, up to 12 levels, showed as grey smudges beside
    jeans).
    `coherent`: an object's faint change of one sign over an area is carried back too (change_mask);
    False, as exports were made before. Not where the model sees the whole image (its faint drift
    of light over all of it) nor on an aligned face (faint tone is what a face edit should not carry).
    `window` (top, left, bottom, right), photo pixels: what is asked for, the same there bit for bit,
    the mask whole; beyond it the photo (its pixels moved where the outline moved). A reach's edits
    are asked for only within its box (a layered slider frame of 16 codes carried 16 whole patches
    back: 70 ms, now 47).
    """
    if mapping.affine:
        from editing.face_paste import paste_back_face  # it uses this module's parts

        return kept_grey(mapping, *paste_back_face(pixels, mapping, before, after, threshold, guided,
                                                    in_place, reach, hair, colour_reaches, face))
    if reach is not None:  # the whole change carried back, then kept within the reach
        from editing.within import paste_within  # it uses this module's parts

        def carry(picture: torch.Tensor, into: bool = False, window=None) -> tuple[np.ndarray, np.ndarray]:
            return paste_back(pixels, mapping, before, picture, threshold, guided, into, silhouette, rim,
                              None, faint, hair, outline, plain, (), coherent, window=window, fade=fade,
                              clear=clear, soft=soft, plate=plate, apart=apart)

        flags = (threshold, guided, silhouette, rim, faint, hair, outline, plain, coherent, fade, clear, soft,
                 plate, apart)
        return paste_within(pixels, mapping, before, after, reach, carry, flags, under, layers, keep_beneath,
                            in_place)
    pad = 2  # model pixels of rim around the content, where the feathered mask may spill
    if apart and silhouette and not mapping.whole_image:  # the generator's specks beside the item: none
        after = without_specks(mapping, before, after)
    flow, unmoved = None, before
    if outline and silhouette and not mapping.whole_image:
        found = outline_flow(before, after)
        if found is not None:
            flow, before = found  # what is left to add: after - before moved
    delta = change_in_levels(before, after)  # (R, R, C)
    if plain and silhouette and not mapping.whole_image:
        delta[~near_object(mapping, unmoved, before, after)] = 0  # background before and after
    off = (mapping.resolution - mapping.content) // 2
    delta = delta[off:off + mapping.content, off:off + mapping.content]
    h, w = pixels.shape[:2]
    mask_full = np.zeros((h, w), np.float32)
    if flow is None and not np.any(delta):
        return (pixels if in_place else pixels.copy()), mask_full
    delta = delta / mapping.gain * (-1.0 if mapping.invert else 1.0)
    small = np.pad(delta, ((pad, pad), (pad, pad), (0, 0)))
    small_mask = change_mask(small, threshold, coherent=coherent and not mapping.whole_image)
    x0, y0, x1, _ = (int(round(v)) for v in mapping.box)
    scale = (x1 - x0) / mapping.content
    bx0, by0 = x0 - int(round(pad * scale)), y0 - int(round(pad * scale))
    side = (x1 - x0) + 2 * int(round(pad * scale))
    rx0, ry0, rx1, ry1 = max(0, bx0), max(0, by0), min(w, bx0 + side), min(h, by0 + side)
    if rx1 <= rx0 or ry1 <= ry0:
        return (pixels if in_place else pixels.copy()), mask_full
    part = WHOLE  # of the patch, what is asked for
    if window is not None:
        top, left, bottom, right = window
        wy0, wx0, wy1, wx1 = max(ry0, top), max(rx0, left), min(ry1, bottom), min(rx1, right)
        part = (np.s_[0:0], np.s_[0:0]) if wy1 <= wy0 or wx1 <= wx0 else \
            (slice(wy0 - ry0, wy1 - ry0), slice(wx0 - rx0, wx1 - rx0))
    big_mask = cv2.resize(small_mask, (side, side), interpolation=cv2.INTER_LINEAR)
    sl = (slice(ry0 - by0, ry1 - by0), slice(rx0 - bx0, rx1 - bx0))
    patch, mask = pixels[ry0:ry1, rx0:rx1], big_mask[sl]
    clean = None  # compositing 24: the photo's clean plate, made of the photo before an outline's flow
    if plate and silhouette and not mapping.whole_image:  # moves it (the same for every frame of a
        clean = clean_plate(patch, np.asarray(mapping.background, np.float32))  # photo: kept per patch)
    out = pixels if in_place else pixels.copy()
    mask_full[ry0:ry1, rx0:rx1] = mask
    if flow is not None:  # the photo's own pixels moved as the picture moved; the change lands on them
        moved = move_patch(pixels, mapping.matrix, flow, (rx0, ry0, rx1, ry1), mask_full[ry0:ry1, rx0:rx1])
        out[ry0:ry1, rx0:rx1] = moved  # (in place, the photo's crop: its copy goes at once)
        del moved
        patch = out[ry0:ry1, rx0:rx1]  # apply_change reads each band of it before writing it
    if guided:
        k = small.shape[0] / side  # model pixels per photo pixel; pixel centres as cv2.resize has them
        to_small = np.array([[k, 0.0, (rx0 - bx0 + 0.5) * k - 0.5], [0.0, k, (ry0 - by0 + 0.5) * k - 0.5]])

        def enlarge(arr: np.ndarray, flag: int) -> np.ndarray:
            return cv2.resize(arr, (side, side), interpolation=flag).reshape(side, side, -1)[sl]

        change = guided_upsample(small, patch, to_small, enlarge, part)
    else:  # recipes written before guided enlargement: as they were exported
        change = cv2.resize(small, (side, side), interpolation=cv2.INTER_CUBIC).reshape(side, side, -1)
        change = change[sl][part]
    # A grey change (one channel) moves every channel alike: luminance changes, hue stays.
    fill = None
    if silhouette and not mapping.whole_image:
        def enlarge_small(arr: np.ndarray) -> np.ndarray:  # (R, R) uint8 -> the patch, uint8
            padded = np.pad(arr[off:off + mapping.content, off:off + mapping.content], pad)
            return cv2.resize(padded, (side, side), interpolation=cv2.INTER_LINEAR)[sl]

        fill = silhouette_fill(patch, mapping, before, after, enlarge_small, rim, faint, fade, clear, clean)
    dye = None  # compositing 19: a grey model's change of an object toward its background fades its tint
    if fade and silhouette and mapping.grey and not mapping.whole_image and change.shape[2] == 1:
        levels = patch_luminance(patch)[part] if patch.shape[0] * patch.shape[1] <= CACHED_PIXELS else None
        dye = np.asarray(mapping.background, np.float32), levels  # (a large photo's export: in bands)
    apply_change(out[ry0:ry1, rx0:rx1][part], patch[part], change, mask[part],
                 None if fill is None else fill.cropped(part), dye, soft, beyond_background(mapping))
    if fill is not None:  # the repainted parts changed too (in bands: no float copy of a large crop)
        region = mask_full[ry0:ry1, rx0:rx1]
        for rows in bands(region):
            moved = np.maximum(fill.left[rows], fill.grew[rows]) / np.float32(255)
            np.maximum(region[rows], moved, out=region[rows])
    return kept_grey(mapping, out, mask_full)
