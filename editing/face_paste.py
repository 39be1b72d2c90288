"""Where an aligned face's edit lands on the photo, and the carry-back that puts it there
(editing.compositing.paste_back hands an aligned face's mapping to `paste_back_face`).

The change is warped back through the inverse of the alignment and lands only inside the face: an
ellipse grown around the five landmarks (`face_region`), faded out at its rim, never the aligned
square, whose edges would otherwise show as a faint box; besides it, within its strokes' reach
(editing.landing.strokes_reach; a colour stroke's only on the colours it covers inside the face
region: `stroke_colours`), and a hair colour slider's on the photo's hair (`hair_reach`): the
ellipse grown, weighted to the colours of the hair it changed above the brows.
"""
from __future__ import annotations

from collections import OrderedDict

import cv2
import numpy as np
import torch

from editing.compositing import MASK_THRESHOLD, apply_change, change_in_levels, change_mask, guided_upsample
from editing.patch_cache import per_patch
from inversion.framing import DomainMapping
from inversion.geometry import affine_scale, square_region

FACE_REGION = (1.0, 1.5, 1.3)  # face ellipse's semi-axes in eye-corner spans: across, up (over the
# forehead and the fringe to the hairline), down (to the chin)
HAIR_GROWTH = 1.5  # a hair slider's region: the face ellipse's semi-axes this many times as long
HAIR_COLOURS = 1.5  # ... weighted exp(-d^2 / 2 s^2), d the Mahalanobis distance in Lab of the photo's
# colour to its hair's, s this: at 2.5 the light wall behind the astronaut's hair took a third of
# Black hair's change, a dark shadow above her head; at 1.5 none showed
HAIR_ABOVE = 0.75  # the hair's colours are read above this many eye-corner spans over the face's
# centre: above the brows
_LAB: OrderedDict = OrderedDict()  # the photo as the model's square sees it, in Lab, per patch
HAIR_SEEDS = 4.0  # model pixels' worth of hair changed inside the face: fewer, no colour to follow


def face_frame(landmarks, resolution: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Each model pixel's place on the face from dlib's five landmarks (eye corners and nose base):
    (across, along), (R, R) each, in pixels from the face's centre (between the eyes, 0.3 of the
    eye-corner span below them) across the face and towards the chin, and that span."""
    pts = np.asarray(landmarks, np.float64)  # (5, 2): right eye outer, inner, left outer, inner, nose
    across = pts[0] - pts[2]
    span = float(np.linalg.norm(across))
    u = across / max(span, 1e-6)
    v = np.array([-u[1], u[0]])
    if (pts[4] - pts[:4].mean(0)) @ v < 0:
        v = -v  # v points from the eyes down to the nose
    centre = pts[:4].mean(0) + 0.3 * span * v
    yy, xx = np.mgrid[0:resolution, 0:resolution] + 0.5
    d = np.stack([xx - centre[0], yy - centre[1]], -1)
    return d @ u, d @ v, span


def face_region(landmarks, resolution: int, feather: float = 0.25, grow: float = 1.0) -> np.ndarray:
    """(R, R) weights in [0, 1] in model pixels: 1 inside an ellipse grown around dlib's five
    landmarks to take in the hair above, brows, cheeks, mouth and chin, falling smoothly to 0 over
    its outer `feather` share. Where it is 0 a face edit lands only where its strokes reach and a
    hair slider's on the hair (hair_reach): hair beside the face, the neck and the background keep
    the photo's pixels. `grow`: the ellipse's semi-axes that many times as long."""
    across, along, span = face_frame(landmarks, resolution)
    reach = np.where(along > 0, FACE_REGION[2], FACE_REGION[1]) * span * grow
    rho = np.sqrt((across / (FACE_REGION[0] * span * grow)) ** 2 + (along / reach) ** 2)
    t = np.clip((1.0 - rho) / feather, 0.0, 1.0)
    return (t * t * (3 - 2 * t)).astype(np.float32)


def aligned_photo(patch: np.ndarray, to_model: np.ndarray, resolution: int) -> np.ndarray:
    """The photo's `patch` (uint8) as the model's square sees it, (R, R, 3) float32 in [0, 1]
    (`to_model`: patch pixels -> model pixels): a large face first area-shrunk by whole blocks, then
    blurred in proportion to what shrink is left (no aliasing), so that a face 3000 px across costs
    what a 200 px one does."""
    shrink = 1.0 / affine_scale(to_model)  # patch pixels per model pixel
    m, seen = np.asarray(to_model, np.float64), patch
    if shrink > 4:
        f = int(shrink // 2)  # block side: leaves a shrink of about 2 for the blur
        h, w = patch.shape[:2]
        seen = cv2.resize(patch, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
        m = m.copy()  # shrunk pixel q covers patch pixels f q .. f q + f - 1
        m[:, 2] = m[:, 2] + m[:, :2] @ np.full(2, (f - 1) / 2)
        m[:, :2] *= f
        shrink /= f
    seen = seen.astype(np.float32) / 255.0
    if shrink > 1.5:
        seen = cv2.GaussianBlur(seen, (0, 0), 0.45 * shrink)
    return cv2.warpAffine(seen, m, (resolution, resolution), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def hair_reach(patch: np.ndarray, to_model: np.ndarray, landmarks, resolution: int, delta: np.ndarray,
               threshold: float = MASK_THRESHOLD) -> np.ndarray | None:
    """(R, R) weights in [0, 1]: where a hair slider's change (`delta`, (R, R, C) photo levels) may
    land on an aligned face besides the face region (`patch`, the photo's part around the aligned
    square, `to_model` its pixels -> model pixels; `landmarks` in model pixels): the face ellipse
    grown HAIR_GROWTH times, weighted by how near the photo's colour there lies to the hair's. The
    hair's colours are the photo's above the brows inside the face region (the fringe, or the
    hairline), weighted by how much the slider changes each pixel there (over twice the threshold);
    below the brows a hair slider may change the skin as much (Blond hair greys a face), and skin's
    colours would take in the neck. None when too few pixels there change to tell a colour by.
    A walkthrough's Blond hair +2 made a platinum streak across the fringe with the rest of the
    hair as it was: the face region ends at the fringe; grown alone, the change lit the wall behind
    the hair in a glow."""
    r = resolution
    _, along, span = face_frame(landmarks, r)
    above_brows = (along < -HAIR_ABOVE * span).astype(np.float32)
    seeds = (change_mask(delta, 2 * threshold, feather=0) * face_region(landmarks, r) * above_brows
             ).reshape(-1)
    if seeds.sum() < HAIR_SEEDS:
        return None
    return face_region(landmarks, r, grow=HAIR_GROWTH) * colour_likeness(patch, to_model, r, seeds)


def colour_likeness(patch: np.ndarray, to_model: np.ndarray, resolution: int, seeds: np.ndarray
                    ) -> np.ndarray:
    """(R, R) in [0, 1]: how near each model pixel's colour in the photo (`patch`, `to_model` as in
    hair_reach) lies to the colours of the `seeds` ((R * R,) weights, summing to more than 0):
    exp(-d^2 / 2 HAIR_COLOURS^2), d the Mahalanobis distance in Lab to their weighted mean."""
    r = resolution
    lab = per_patch(_LAB, patch, (np.asarray(to_model).tobytes(), r),  # the same for every frame
                    lambda: cv2.cvtColor(aligned_photo(patch, to_model, r), cv2.COLOR_RGB2Lab).reshape(-1, 3))
    mean = (seeds[:, None] * lab).sum(0) / seeds.sum()
    centred = lab - mean
    cov = (seeds[:, None] * centred).T @ centred / seeds.sum() + np.eye(3) * 4.0  # a floor of 2 Lab units
    d2 = np.einsum("ij,jk,ik->i", centred, np.linalg.inv(cov), centred).reshape(r, r)  # as hair_reach had it
    return np.exp(-0.5 * d2 / HAIR_COLOURS ** 2).astype(np.float32)


_GATED: OrderedDict = OrderedDict()  # stroke_colours per patch: the same for every frame of a stroke


def stroke_colours(patch: np.ndarray, to_model: np.ndarray, landmarks, resolution: int,
                   reach: np.ndarray) -> np.ndarray:
    """One colour stroke's `reach` (R, R), where a face edit lands besides the face region, kept
    only on what looks like what the stroke covers inside it: beyond the face region the reach is
    weighted by how near the photo's colour there lies to the colours under the stroke inside the
    region (colour_likeness). A black stroke across the astronaut's hair that ran onto the wall
    left hard-edged dark blocks on the wall at its ends (a walkthrough): the face model drew a
    smudge there it cannot make a wall of. The colours are matched tightly (HAIR_COLOURS): the
    hair beside her face, darker than under the stroke inside, takes a fifth to a third of the
    change, the wall none (benchmarks/results/stroke_ends.md). A stroke that covers less than
    HAIR_SEEDS model pixels of the face region keeps its reach: nothing inside tells what it was
    painting."""
    def compute() -> np.ndarray:
        region = face_region(landmarks, resolution)
        seeds = (reach * region).reshape(-1)
        if seeds.sum() < HAIR_SEEDS:
            return reach
        return reach * np.maximum(region, colour_likeness(patch, to_model, resolution, seeds))

    key = (np.asarray(to_model).tobytes(), tuple(map(tuple, landmarks)), resolution, reach.tobytes())
    return per_patch(_GATED, patch, key, compute)


def edge_fade(resolution: int, width: float = 3.0) -> np.ndarray:
    """(R, R) weights: 1 inside, falling smoothly to 0 over `width` pixels at the square's edge."""
    c = np.arange(resolution, dtype=np.float64) + 0.5
    d = np.minimum(c, resolution - c)
    t = np.clip(d / width, 0.0, 1.0)
    ramp = t * t * (3 - 2 * t)
    return np.minimum.outer(ramp, ramp).astype(np.float32)


def face_change_mask(delta: np.ndarray, mapping: DomainMapping, threshold: float = MASK_THRESHOLD,
                     reach: np.ndarray | None = None, face: bool = True) -> np.ndarray:
    """(R, R) in [0, 1]: where an aligned face's change `delta` ((R, R, C) photo levels) is carried
    back, at the model's size: over the threshold (change_mask), inside the face region (and the
    strokes' or the hair's `reach`; without `face`, inside `reach` alone), faded at the square's edge."""
    r = mapping.resolution
    region = face_region(mapping.landmarks, r) if mapping.landmarks else np.ones((r, r), np.float32)
    if not face:
        region = np.zeros((r, r), np.float32)
    if reach is not None:
        region = np.maximum(region, reach)
    return change_mask(delta, threshold) * edge_fade(r) * region


def paste_back_face(pixels: np.ndarray, mapping: DomainMapping, before: torch.Tensor,
                       after: torch.Tensor, threshold: float, guided: bool = True,
                       in_place: bool = False, reach: np.ndarray | None = None, hair: bool = False,
                       colour_reaches: tuple = (), face: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """paste_back for an aligned (rotated, scaled) face: the change is warped back into the part
    of the photo the aligned square covers, inside the face region when the mapping knows the
    landmarks (older sessions: faded out towards the square's edge), inside `reach`, and with
    `hair` on the photo's hair (hair_reach), and inside each of `colour_reaches` (a colour
    stroke's) where the photo looks like what that stroke covers inside the face region
    (stroke_colours); without `face`, not over the face region (editing.landing.face_region_lands)."""
    r = mapping.resolution
    delta = change_in_levels(before, after)  # (R, R, C)
    h, w = pixels.shape[:2]
    mask_full = np.zeros((h, w), np.float32)
    if not np.any(delta):
        return (pixels if in_place else pixels.copy()), mask_full
    if mapping.grey:
        delta = delta.mean(axis=2, keepdims=True)
    found = square_region(mapping.matrix, r, (w, h))
    if found is None:
        return (pixels if in_place else pixels.copy()), mask_full
    (rx0, ry0, rx1, ry1), shifted = found  # shifted: photo-region pixels -> model pixels
    patch = pixels[ry0:ry1, rx0:rx1]
    for colour_reach in colour_reaches:
        gated = stroke_colours(patch, shifted, mapping.landmarks, r, colour_reach) \
            if mapping.landmarks else colour_reach
        reach = gated if reach is None else np.maximum(reach, gated)
    if hair and mapping.landmarks:
        on_hair = hair_reach(patch, shifted, mapping.landmarks, r, delta, threshold)
        if on_hair is not None:
            reach = on_hair if reach is None else np.maximum(reach, on_hair)
    small_mask = face_change_mask(delta, mapping, threshold, reach, face)
    size = (rx1 - rx0, ry1 - ry0)
    mask = cv2.warpAffine(small_mask, shifted, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    mask = np.clip(mask, 0.0, 1.0)

    def enlarge(arr: np.ndarray, flag: int) -> np.ndarray:
        return cv2.warpAffine(arr, shifted, size, flags=flag | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0).reshape(size[1], size[0], -1)

    change = guided_upsample(delta, patch, shifted, enlarge) if guided else \
        enlarge(delta.astype(np.float32), cv2.INTER_CUBIC)
    out = pixels if in_place else pixels.copy()
    apply_change(out[ry0:ry1, rx0:rx1], patch, change, mask)
    mask_full[ry0:ry1, rx0:rx1] = mask
    return out, mask_full
