"""Where a carried-back edit lands on the photo besides its changed pixels, by the carry-back's version
(COMPOSITING): an aligned face's edit within its face region and its strokes' reach, on the hair for a
hair colour slider; an unaligned photo's colour strokes within their bands, on top of its sliders'
edit, which lands wherever it changed. The export, the recipes, the editor's preview and the
animations all ask here.
"""
from __future__ import annotations

import numpy as np

from editing.solver import stroke_reach
from inversion.framing import DomainMapping

COMPOSITING = 15  # 15: an object's colour strokes land within their bands on top of its sliders'
# edit (paste_back's `under`; object_reach: a slider moved after a stroke brought the stroke's
# change back over the whole item: black strokes, then "brightness +0.5" darkened a pullover);
# 14: an object's colour strokes (without sketches) land within their bands
# (object_reach: a white stroke across brown trousers, which the model cannot draw, paled a whole leg
# from hip to hem); 13: an object's faint change of one sign over an area, under the threshold,
# is carried back too (editing.compositing.change_mask's `coherent`: held "brightness +0.58"
# lightened a plain coat by 3.5 levels and the export showed only its edges changed); 12: beside
# a face's region, its colour strokes' edit lands only on what looks like what they cover inside
# it (editing.face_paste.stroke_colours: a black stroke across the astronaut's hair that ran onto
# the wall left hard-edged dark blocks there); 11: where an
# object's picture is background before and after, the photo's background stays
# (editing.compositing.paste_back's `plain`: the generator's faint noise showed as grey smudges
# beside the item); 10: where an edit moves an object's outline, the photo's own
# pixels move with it (editing.outline_flow: widened jeans took a translucent second leg); 9: a
# hair slider's edit on a face lands on the photo's hair, not only on the fringe inside the face region
# (editing.face_paste.hair_reach; `hair` in an edit's entry); 8: warps widen where a face edit lands
# as strokes do (a warp on the hair landed nowhere near it: the face region cut its change away;
# `warps` in the recipe, Warp.band); 7: a face edit lands beside the face region only within a pixel
# or two of its strokes' bands (BAND_SHARE); 6: faint growth beside an object keeps the photo's
# background; 5: a face edit also lands within its strokes' reach; 4: the silhouette's grown
# region with its rim; 3: objects' silhouettes repainted; 2: guided enlargement, faces inside their
# landmark hull; recipes without it: 1
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
                 sliders_moved: bool = False) -> np.ndarray | None:
    """Where a colour strokes' edit lands on a photo the model sees unaligned (an object's box crop,
    or the whole image), from compositing 14 on: within the strokes' bands (OBJECT_BAND_SHARE), for
    a brush paints where it is drawn (a white stroke across brown trousers, which the model cannot
    draw, paled a whole leg from hip to hem; the model's change beyond the band is not what the
    stroke asked for). Beyond the bands: the photo, or from compositing 15 on the edit of the
    sliders alone (paste_back's `under`), which lands wherever it changed; in compositing 14 an
    edit that moves sliders (`sliders_moved`) landed whole. None, the whole change, for a sketch
    among the strokes (it moves an outline, which the change beyond it follows; a warp's band is
    one), no colour stroke, an aligned face (face_reaches) or an older recipe."""
    if compositing < 14 or mapping.affine or not strokes or (sliders_moved and compositing < 15):
        return None
    kinds = {s.kind for s in strokes}
    if "color" not in kinds or "sketch" in kinds:
        return None
    return stroke_reach(tuple(strokes), mapping.resolution, channels, OBJECT_BAND_SHARE)


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
