"""Where a carried-back edit lands on the photo besides its changed pixels, by the carry-back's version
(COMPOSITING): an aligned face's edit within its face region and its strokes' reach, on the hair for a
hair colour slider; an unaligned photo's colour strokes within their bands, on top of its sliders'
edit, which lands wherever it changed. The export, the recipes, the editor's preview and the
animations all ask here.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import cv2
import numpy as np

from editing.brush_band import BRUSH_EDGE, brush_band
from editing.solver import Stroke, rasterize, stroke_reach
from editing.toward import soft_move
from inversion.framing import DomainMapping
from training.pixels import LUMA

COMPOSITING = 26  # 26: an aligned face's edit of colour strokes alone lands within their reach, on the
# colours they cover, not over the whole face region (face_region_lands: a dark red stroke across the
# astronaut's lips darkened her whole face, blotchy, walkthrough 55); 25: a speck of new object apart from the
# item is not carried back, the backdrop stays (editing.silhouette.without_specks: Area +2.11 on a red dress
# drew a one-pixel dot beside it, a red blob on the backdrop, walkthrough 55); 24: where an object left, the
# photo's clean plate, its backdrop's light and grain (editing.plate: the background's one colour left a
# smooth, lighter rectangle where a dress's straps were, walkthrough 48); 23: a colour model's stroke lands
# where the edit brings the pixel's colour nearer its paint's, not its luminance alone (BrushBand.toward: a
# red stroke across dark hair left jagged patches of the hair wherever the orange it painted was lighter than
# the red, walkthrough 47); 22: a grey model's change toward a plain background lands as a stroke's toward its
# paint (editing.toward.soft_move: 19's dye added a change within FADE_APART levels of the background whole,
# past the background's brightness: blobs whiter than a white backdrop beside a shrunk bag, a walkthrough; and
# switched there from the tint kept whole to all of it lost); 21: an export keeps its photo's colour profile
# and dpi, a grey photo's written with one channel (editing.export.encode_image's `source`: a greyscale photo
# came back as RGB); 20: a grey model's stroke fades the tint by the levels moved out of the way or PAINT_SOFT
# (BrushBand.painted: a grey near a brown bag's level made hard-edged grey patches), and where an object left
# the photo is cleared two model pixels out (silhouette_fill's `clear`: a sleeve's soft edge stayed as a grey
# line); 19: where an object grows, a grey model's new part takes the photo's tint as a dye over the
# background would colour it, in proportion to its level (editing.silhouette.Fill.tint_share: the whole tint
# added to every level painted a lavender boot's new white sole saturated lilac); 18: a grey model's colour
# stroke moves a pixel's colour toward its paint's as far as it moves its luminance (BrushBand.painted: a
# white stroke kept the item's tint whole, pale blue on a navy pullover, tan on brown trousers), and which way
# a stroke's colour lies is judged on the photo beneath it (BrushBand.toward: a grey stroke across an earlier
# white stripe, judged on z0's picture, left the white on top); 17: an object's colour strokes each land the
# picture of the code that followed them (`layers`: the code of the state the next stroke was painted on),
# later strokes on top (layered_bands: a white stroke below a black stripe on a pullover lightened the whole
# item, and the stripe broke into grey segments); 16: an object's colour strokes land within each brush's own
# width, drawn at the photo's resolution, only where they move the photo toward their colours (BrushBand: a 12
# px brush across trousers landed as a blocky band 48 px tall, a model pixel around what it painted and the
# falloff, each model pixel 10 photo pixels; a black stripe's end came out lighter); 15: an object's colour
# strokes land within their bands on top of its sliders' edit (paste_back's `under`; object_reach: a slider
# moved after a stroke brought the stroke's change back over the whole item: black strokes, then "brightness
# +0.5" darkened a pullover); 14: an object's colour strokes (without sketches) land within their bands
# (object_reach: a white stroke across brown trousers, which the model cannot draw, paled a whole leg from hip
# to hem); 13: an object's faint change of one sign over an area, under the threshold, is carried back too
# (editing.compositing.change_mask's `coherent`: held "brightness +0.58" lightened a plain coat by 3.5 levels
# and the export showed only its edges changed); 12: beside a face's region, its colour strokes' edit lands
# only on what looks like what they cover inside it (editing.face_paste.stroke_colours: a black stroke across
# the astronaut's hair that ran onto the wall left hard-edged dark blocks there); 11: where an object's
# picture is background before and after, the photo's background stays (editing.compositing.paste_back's
# `plain`: the generator's faint noise showed as grey smudges beside the item); 10: where an edit moves an
# object's outline, the photo's own pixels move with it (editing.outline_flow: widened jeans took a
# translucent second leg); 9: a hair slider's edit on a face lands on the photo's hair, not only on the fringe
# inside the face region (editing.face_paste.hair_reach; `hair` in an edit's entry); 8: warps widen where a
# face edit lands as strokes do (a warp on the hair landed nowhere near it: the face region cut its change
# away; `warps` in the recipe, Warp.band); 7: a face edit lands beside the face region only within a pixel or
# two of its strokes' bands (BAND_SHARE); 6: faint growth beside an object keeps the photo's background; 5: a
# face edit also lands within its strokes' reach; 4: the silhouette's grown region with its rim; 3: objects'
# silhouettes repainted; 2: guided enlargement, faces inside their landmark hull; recipes without it: 1
REACH_SHARE = 1 / 16  # compositing 5: a stroke's reach, this share of the model's side around what it
# paints (the solver's HOLD_MARGIN when it was made; frozen here, so that recipes rebuild as exported)
BAND_SHARE = 1 / 64  # compositing 7: the reach outside the face region, this share of the model's side
# around what the strokes paint (one pixel of the 64 px face model, then the falloff to two): with
# REACH_SHARE, a light stroke on a face's hair carried a pale fog into the background above the head
# (a walkthrough on the astronaut): the generator's change around the stroke, not what it asked for
OBJECT_BAND_SHARE = 1 / 32  # compositing 14: an unaligned photo's colour strokes land within this
# share of the model's side around what they paint (a pixel of the 32 px product model, then the falloff)
HAIR_COLOUR = {"blond_hair", "black_hair", "brown_hair", "gray_hair", "grey_hair"}  # sliders (lower
# case) that colour the hair, whose edit lands on the photo's hair: not Wavy_Hair or Receding_Hairline,
# which move its shape (carried onto the hair, the generator's shapes smudge it)


def moves_sliders(sliders) -> bool:
    """Whether slider values ({name: value} or its items) move any slider: an unaligned photo's edit
    then lands on its sliders' edit, which lands wherever it changed (object_reach)."""
    return any(v for _, v in dict(sliders).items())


def moves_hair(sliders) -> bool:
    """Whether slider values ({name: value} or its items) move a slider of hair colour (HAIR_COLOUR,
    or a variant of one, "Blond_Hair (keep Male, Young)"): its edit on a face lands on the photo's
    hair too (compositing 9: editing.face_paste.hair_reach)."""
    return any(v and name.split(" (")[0].lower() in HAIR_COLOUR for name, v in dict(sliders).items())


def lands_near_strokes(mapping: DomainMapping, compositing: int) -> bool:
    """Whether an edit's strokes decide where it lands on the photo: an aligned face's (besides its
    face region), from compositing 5 on; an unaligned photo's (object_reach), from 14 on."""
    return compositing >= 5 and bool(mapping.affine) or compositing >= 14


TOWARD_SLACK = (-2.0, -6.0)  # compositing 16: luminance levels a stroke's edit may move a pixel away
# from the stroke's colour and still land whole, and from which it lands not at all (BrushBand.toward)
PAINT_FAR = 20.0  # photo levels from its paint past which a pixel under a brush is said to have a way to
# go (BrushBand.reached: how far a stroke got, in the status bar)
PAINT_NEAR = 4.0  # compositing 18 and 19: photo levels within which a stroke's paint is a pixel's own
# level: the edit lands as carried back there (BrushBand.painted)


@dataclass(frozen=True)
class BrushBand:
    """Where an unaligned photo's colour strokes land from compositing 16 on: within each brush's
    own width on the photo, drawn at the photo's resolution (brush_band), erasers taking away what
    they pass over. Compositing 14 and 15 drew the band at the model's resolution, a model pixel
    around what the strokes paint: a 12 px brush across trousers landed as a blocky band 48 px tall."""

    strokes: tuple[Stroke, ...]  # the edit's strokes, model pixels (its colour strokes and erasers draw)
    resolution: int  # the model's side
    channels: int
    paint: bool = False  # compositing 18: which way a stroke's colour lies is judged on the photo beneath
    # it (toward), and a grey model's stroke moves the colour toward its paint (painted)
    soft: bool = False  # compositing 20: painted's tint fades by the levels moved, out of PAINT_SOFT at least
    colour: bool = False  # compositing 23: a colour model's stroke is judged by its paint's colour (toward)

    def on_photo(self, mapping: DomainMapping) -> tuple[int, int, np.ndarray] | None:
        """(top, left, weights (h, w) float32, read-only) on the photo of `mapping`; None where
        no colour stroke lies on the photo."""
        return brush_band(self.strokes, mapping, self.resolution, self.channels)

    def toward(self, mapping: DomainMapping, before, edited: np.ndarray, base: np.ndarray, top: int,
               left: int) -> np.ndarray:
        """(h, w) float32 in [0, 1]: how much of the edit lands at each pixel of the box at (top,
        left) on the photo (`edited` and `base`, (h, w, 3) uint8, the photo there with the whole
        edit and without it), by whether it moves the pixel's luminance toward its stroke's colour
        (compositing 16): a brush only moves what it paints toward its colour. Where the generator
        moved an item's edge under a black stroke, the stripe's end was lighter than the photo, a
        white notch or halo (a walkthrough). From compositing 18 on, by how much nearer its paint it
        brings the pixel from what lies beneath on the photo (`base`: with layers, a stroke over an
        earlier stripe judged from z0's picture moved the wrong way there, and the stripe stayed on
        top); before, by which way the colour lies from `before` (C, R, R), the model's picture the
        strokes were painted on. The last stroke painting a pixel decides, as build_constraints
        decides; full within 2 levels the wrong way, nothing from 6. From compositing 23 on, a colour
        model's also where it brings the pixel's colour nearer its paint's (`colour`): by luminance
        alone, a dark red stroke's orange across dark hair moved its lighter strands away from the
        red's luminance and left them in grey, jagged patches (walkthrough 47); by colour alone, a
        strand the model drew darker than the photo's went (the two agree on a black stroke's
        lighter edge: neither lands it)."""
        h, w = base.shape[:2]
        luma = np.asarray(LUMA, np.float32)
        whole, none = TOWARD_SLACK
        if self.paint:  # how much nearer the paint the edit brings the pixel's luminance, past it counting
            # as reaching it (painted stops it there); a pixel that is the paint's already (the white
            # background under a white stroke) moves only away from it
            paint, inside = self._paint_here(mapping, top, left, (h, w))
            was, now = base.astype(np.float32) @ luma - paint, edited.astype(np.float32) @ luma - paint
            nearer = np.abs(was) - np.where(was * now < 0, 0.0, np.abs(now))
            if self.colour and self.channels == 3:
                paint = self._paint_here(mapping, top, left, (h, w), colour=True)[0]
                np.maximum(nearer, np.linalg.norm(base.astype(np.float32) - paint, axis=2)
                           - np.linalg.norm(edited.astype(np.float32) - paint, axis=2), out=nearer)
            return np.where(inside, np.clip((nearer - none) / (whole - none), 0, 1), 1).astype(np.float32)
        r = self.resolution
        level = np.asarray(before, np.float32).mean(0)
        way = np.zeros((r, r), np.float32)  # model pixels: +1 the stroke asks for lighter, -1 darker
        for s in self.strokes:
            if s.kind == "color":
                under = _brushed(s, r)
                way[under] = np.sign(float(np.mean(s.value)) - level[under])
        if mapping.invert:
            way = -way  # the photo is the model's negative: lighter in the model is darker here
        way_here = cv2.warpAffine(way, _box_to_model(mapping, top, left), (w, h),
                                  flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        moved = (edited.astype(np.float32) - base.astype(np.float32)) @ luma * np.sign(way_here)
        return np.clip((moved - none) / (whole - none), 0.0, 1.0)

    def reached(self, mapping: DomainMapping, before: np.ndarray, after: np.ndarray) -> float | None:
        """The share of the way to their paint that the edit takes the photo's pixels (`before` and
        `after`, (H, W, 3) uint8, the photo of `mapping` without the edit and with it) where the
        band's weight is full and the paint lies PAINT_FAR levels or more from the pixel, in luminance,
        a pixel past it counting as there; None where no pixel is that far from it. What lands, as
        the user sees it: the solver's own share, in the model's picture, said 0% of a stroke that cut
        a boot's toe off (a walkthrough)."""
        found = self.on_photo(mapping)
        if found is None:
            return None
        top, left, weight = found
        box = np.s_[top:top + weight.shape[0], left:left + weight.shape[1]]
        paint, inside = self._paint_here(mapping, top, left, weight.shape)
        luma = np.asarray(LUMA, np.float32)
        was, now = before[box].astype(np.float32) @ luma, after[box].astype(np.float32) @ luma
        far = inside & (weight >= 1.0) & (np.abs(paint - was) >= PAINT_FAR)
        if not far.any():
            return None
        return float(np.clip((now - was)[far] / (paint - was)[far], 0.0, 1.0).mean())

    def _paint_here(self, mapping: DomainMapping, top: int, left: int, shape: tuple[int, int],
                    colour: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """((h, w) float32 the luminance of each pixel's paint in photo levels, or with `colour`
        (h, w, 3) its colour, (h, w) bool: a colour stroke's brush reaches it) in the box at (top,
        left) of `shape` on the photo (_paint_levels)."""
        level, covered = _paint_levels(self.strokes, self.resolution, colour)
        photo = (level + 1.0) * 127.5 / mapping.gain + mapping.black_point  # model levels -> the photo's
        if mapping.invert:
            photo = 255.0 - photo
        m, (h, w) = _box_to_model(mapping, top, left), shape
        flags = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP  # each pixel its stroke's paint, not a blend
        paint = cv2.warpAffine(np.clip(photo, 0, 255).astype(np.float32), m, (w, h), flags=flags,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        inside = cv2.warpAffine(covered.astype(np.uint8), m, (w, h), flags=flags,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
        return paint, inside

    def painted(self, mapping: DomainMapping, edited: np.ndarray, base: np.ndarray, top: int,
                left: int) -> np.ndarray:
        """(h, w, 3) uint8: the box at (top, left) on the photo with each pixel's colour moved toward
        its stroke's paint, a grey level, as far as the edit moved its luminance (compositing 18, a
        grey model): base + a (paint - base), a = (its luminance in `edited` less in `base`) /
        (the paint's less the pixel's), in [0, 1]. The luminance is the carry-back's, as before;
        the photo's tint fades in proportion instead of staying whole (a white stroke on a navy
        pullover came out pale blue, on brown trousers tan: walkthroughs; a black one, deep blue
        rather than black). Where its paint lies within PAINT_NEAR levels of the pixel, the edit as
        carried back (where no brush reaches, the band lands nothing). With `soft` (compositing 20),
        see _painted_softly."""
        h, w = base.shape[:2]
        paint, inside = self._paint_here(mapping, top, left, (h, w))
        luma = np.asarray(LUMA, np.float32)
        b = base.astype(np.float32)
        was = b @ luma
        gap, moved = paint - was, edited.astype(np.float32) @ luma - was
        if self.soft:
            return _painted_softly(b, was, moved, gap, inside, edited)
        apart = inside & (np.abs(gap) >= PAINT_NEAR)
        share = np.zeros((h, w), np.float32)
        share[apart] = np.clip(moved[apart] / gap[apart], 0.0, 1.0)
        mixed = np.clip(np.rint(b + share[..., None] * (paint[..., None] - b)), 0, 255).astype(np.uint8)
        return np.where(apart[..., None], mixed, edited)


def _painted_softly(base: np.ndarray, was: np.ndarray, moved: np.ndarray, gap: np.ndarray,
                    inside: np.ndarray, edited: np.ndarray) -> np.ndarray:
    """BrushBand.painted from compositing 20, (h, w, 3) uint8: where `inside`, `base` ((h, w, 3)
    float32, luminance `was`) moved toward its paint's grey (`gap` levels of luminance away) by the
    edit's change of luminance `moved` as editing.toward.soft_move lands it; `edited` elsewhere."""
    moved, fade = soft_move(moved, gap)
    mixed = base + moved[..., None] + fade[..., None] * (was[..., None] - base)
    mixed = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    return np.where(inside[..., None], mixed, edited)


def _box_to_model(mapping: DomainMapping, top: int, left: int) -> np.ndarray:
    """2x3: the pixels of a box at (top, left) on the photo -> model pixels."""
    m = mapping.matrix.copy()
    m[:, 2] += m[:, :2] @ (left, top)
    return m


@lru_cache(maxsize=64)
def _paint_levels(strokes: tuple[Stroke, ...], resolution: int, colour: bool = False
                  ) -> tuple[np.ndarray, np.ndarray]:
    """((R, R) float32 the luminance of the paint on each model pixel, in model levels, or with
    `colour` (R, R, 3) its colour, (R, R) bool: a colour stroke's brush reaches it), the last stroke
    reaching a pixel deciding; each brush widened to its band's outer edge (BRUSH_EDGE) and a pixel
    more, so that every photo pixel of the band finds its paint (a thin brush's band reached past its
    model pixels, and half its pixels kept the tint). Erasers take nothing here: the band says where
    strokes land. Read-only, cached."""
    level = np.zeros((resolution, resolution, 3) if colour else (resolution, resolution), np.float32)
    covered = np.zeros((resolution, resolution), bool)
    for s in strokes:
        if s.kind == "color":
            under = _brushed(replace(s, radius=s.radius * (1 + BRUSH_EDGE) + 1.0), resolution)
            value = np.asarray(s.value, np.float64)
            if colour:
                level[under] = value if value.size == 3 else float(value[0])
            else:
                level[under] = float(value[0] if value.size == 1 else LUMA @ value)
            covered[under] = True
    level.flags.writeable = covered.flags.writeable = False
    return level, covered


@lru_cache(maxsize=256)
def _brushed(stroke: Stroke, resolution: int) -> np.ndarray:
    """(R, R) bool, read-only: the model pixels the stroke's brush touches (editing.solver.rasterize).
    Cached: the editor's every frame asks for each stroke (20 strokes took 17 ms a frame)."""
    out = rasterize(stroke, resolution).numpy() > 0
    out.flags.writeable = False
    return out


def on_photo(reach, mapping: DomainMapping) -> tuple[int, int, np.ndarray] | None:
    """(top, left, weights (h, w) float32) of where a reach lands on the photo of `mapping`: a
    BrushBand's, or an (R, R) reach in model pixels enlarged (editing.region.region_to_photo),
    cut to the box where it is not 0; None where it is 0 everywhere."""
    if isinstance(reach, BrushBand):
        return reach.on_photo(mapping)
    from editing.region import region_to_photo  # it uses the solver, as this module does

    weight = region_to_photo(reach, mapping)
    rows, cols = np.flatnonzero(weight.any(1)), np.flatnonzero(weight.any(0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(cols[0]), weight[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


PAINTING = ("color", "sketch")  # the stroke kinds with a reach (editing.solver.stroke_reach)


def strokes_reach(strokes, mapping: DomainMapping, channels: int, compositing: int = COMPOSITING
                  ) -> np.ndarray | None:
    """Where a face edit may land besides its face region: the reach of its `strokes` (model
    pixels; editing.solver.stroke_reach), for an aligned face's mapping from compositing 5 on
    (from 7 on, their bands and a pixel: BAND_SHARE); None where nothing needs it (no strokes, an
    object's box crop, an older recipe, strokes that paint nothing)."""
    if not strokes or not mapping.affine or not lands_near_strokes(mapping, compositing):
        return None
    if not any(s.kind in PAINTING for s in strokes):
        return None
    share = REACH_SHARE if compositing < 7 else BAND_SHARE
    return stroke_reach(tuple(strokes), mapping.resolution, channels, share)


def object_reach(strokes, mapping: DomainMapping, channels: int, compositing: int = COMPOSITING,
                 sliders_moved: bool = False) -> np.ndarray | BrushBand | None:
    """Where a colour strokes' edit lands on a photo the model sees unaligned (an object's box crop,
    or the whole image), from compositing 14 on: within the strokes' bands (OBJECT_BAND_SHARE; from
    16 on each brush's own width on the photo, a BrushBand), for a brush paints where it is drawn
    (a white stroke across brown trousers, which the model cannot draw, paled a whole leg from hip
    to hem; the model's change beyond the band is not what the stroke asked for). Beyond the
    bands: the photo, or from compositing 15 on the edit of the sliders alone (paste_back's
    `under`), which lands wherever it changed; in compositing 14 an edit that moves sliders
    (`sliders_moved`) landed whole. None, the whole change, for a sketch
    among the strokes (it moves an outline, which the change beyond it follows; a warp's band is
    one), no colour stroke, an aligned face (face_reaches) or an older recipe."""
    if compositing < 14 or mapping.affine or not strokes or (sliders_moved and compositing < 15):
        return None
    kinds = {s.kind for s in strokes}
    if "color" not in kinds or "sketch" in kinds:
        return None
    if compositing >= 16:
        return BrushBand(tuple(strokes), mapping.resolution, channels, paint=compositing >= 18,
                         soft=compositing >= 20, colour=compositing >= 23)
    return stroke_reach(tuple(strokes), mapping.resolution, channels, OBJECT_BAND_SHARE)


def face_region_lands(strokes, mapping: DomainMapping, compositing: int = COMPOSITING,
                      sliders_moved: bool = False) -> bool:
    """Whether an aligned face's edit lands over its face region (paste_back's `face`), as sliders'
    edits do, or, from compositing 26 on, for colour strokes alone (no slider moved, no sketch or
    warp's band among the strokes), only within the strokes' reach (face_reaches; beside the face
    region on the colours they cover inside it, as since compositing 12): a stroke asks for its
    colour where it is painted, and the generator's change of the rest of the face is not what it
    asked for (walkthrough 55: a dark red stroke across the astronaut's lips left the lips hardly
    changed and the whole face darker and blotchy)."""
    if compositing < 26 or not mapping.affine or sliders_moved:
        return True
    kinds = {s.kind for s in strokes}
    return "color" not in kinds or "sketch" in kinds


def lands_in_bands(strokes, mapping: DomainMapping) -> bool:
    """Whether the change of `strokes` on this photo lands only within their bands (object_reach:
    colour strokes without a sketch, the model seeing the photo unaligned), so that the solver's hold
    of the model's picture beyond them need not be as firm (editing.edit.BAND_HOLD)."""
    return object_reach(tuple(strokes), mapping, 1) is not None


def layered(reach: np.ndarray | None, mapping: DomainMapping, z_slid):
    """The code whose picture an edit's strokes land on within `reach` (paste_back's `under`): the
    code its sliders alone reach (`z_slid`), where an unaligned photo's colour strokes are kept within
    their bands (object_reach, from compositing 15 on); None where nothing is layered (no slider
    moved, no such reach, an aligned face: its reach is where it lands besides the face region)."""
    return z_slid if reach is not None and not mapping.affine else None


def face_reaches(strokes, mapping: DomainMapping, channels: int, compositing: int = COMPOSITING,
                 sliders_moved: bool = False) -> tuple[np.ndarray | None, tuple[np.ndarray, ...]]:
    """(reach, colour reaches) for paste_back: where a face edit lands besides its face region.
    From compositing 12 on each colour stroke's reach comes apart (with the erasing after it), for
    it holds only on what looks like what that stroke covers inside the face region
    (editing.face_paste.stroke_colours; one stroke's colours do not decide another's); the
    sketches' and the warps' bands (which move the hair onto the wall) keep theirs. Before: all in
    one. On a photo the model sees unaligned: (object_reach, ()), where the edit lands at all."""
    if not mapping.affine:
        return object_reach(strokes, mapping, channels, compositing, sliders_moved), ()
    if compositing < 12:
        return strokes_reach(strokes, mapping, channels, compositing), ()
    strokes = list(strokes)
    others = [s for s in strokes if s.kind != "color"]  # sketches, warps' bands, preserving, erasing
    colours = []
    for i, s in enumerate(strokes):
        if s.kind == "color":
            erased = [e for e in strokes[i + 1:] if e.kind == "erase"]
            found = strokes_reach([s, *erased], mapping, channels, compositing)
            if found is not None and found.any():
                colours.append(found)
    return strokes_reach(others, mapping, channels, compositing), tuple(colours)
