"""Where an unaligned photo's colour strokes land from compositing 16 on (editing.landing.BrushBand):
each brush's own width on the photo, drawn at the photo's resolution, erasers taking away what they
pass over; cached for the editor's frames. Split from editing.landing, which says which band lands
what."""
from __future__ import annotations

import threading
from collections import OrderedDict

import cv2
import numpy as np

from editing.solver import Stroke
from inversion.framing import DomainMapping

BRUSH_EDGE = 0.25  # compositing 16: a colour stroke lands whole within its brush's radius of its line
# less this share of it, and fades to nothing at the radius and this share (at least a pixel across),
# the brush's ring on the canvas at the middle of the fade; an eraser takes all it touches, to the same
# outer edge (a walkthrough: with the fade from 1 to 1.5 radii, a 24 px ring left a stripe 28 px tall
# and an eraser took 38 px)
BAND_WORK = 64  # compositing 16: the model's squares (R x R) the pieces of a band's strokes may cover in
# all (a stranger's file of thousands of strokes); beyond it, compositing 15's band (model pixels). Counted
# in model pixels, so that the preview (a display copy) and the export (the full photo) decide alike
PIECE = 8  # compositing 16: segments of a stroke drawn at a time (a box of its own: a long diagonal
# stroke's work follows its length and width, not its bounding box)
BANDS_KEPT = 64  # bands kept in brush_band's cache (four for each code an edit's strokes may land:
# editing.layers.MAX_LAYERS)
BAND_CACHED = 1 << 22  # photo pixels of a band kept in brush_band's cache (larger ones are drawn again)
BANDS_CACHED = 1 << 24  # photo pixels of all the bands kept (64 MB), at most BANDS_KEPT bands: a frame
# of an edit whose strokes land several codes asks for a band per code (with 9, a cache of 8 bands drew
# every one again in every frame)


def _photo_points(stroke: Stroke, inverse: np.ndarray) -> np.ndarray:
    """A stroke's points (model pixels) on the photo, (N, 2) float64, two at least."""
    pts = np.asarray(stroke.points, np.float64).reshape(-1, 2)
    pts = pts @ inverse[:2, :2].T + inverse[:2, 2]
    return pts if len(pts) > 1 else np.repeat(pts, 2, 0)


def _pieces(pts: np.ndarray, reach: float) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """A polyline (photo pixels) in pieces of PIECE segments, each with its box (top, bottom, left,
    right) reaching `reach` and a pixel beyond its points (not cut to the photo: the line itself
    may lie outside it, and its distance is still measured)."""
    out = []
    for i in range(0, max(1, len(pts) - 1), PIECE):
        piece = pts[i:i + PIECE + 1]
        (x0, y0), (x1, y1) = piece.min(0) - reach - 1, piece.max(0) + reach + 1
        out.append((piece, (int(np.floor(y0)), int(np.ceil(y1)), int(np.floor(x0)), int(np.ceil(x1)))))
    return out


def _distance(pts: np.ndarray, top: int, left: int, shape: tuple[int, int]) -> np.ndarray:
    """(h, w) float32: each photo pixel's distance (pixel centres at i + 0.5) from the polyline
    `pts` (photo pixels) as drawn on the pixel grid (within half a pixel), in the box at (top, left),
    which holds the line."""
    canvas = np.full(shape, 255, np.uint8)
    line = np.rint((pts - (left + 0.5, top + 0.5)) * 16).astype(np.int32)  # cv2's shift=4: 1/16 pixel
    cv2.polylines(canvas, [line], False, 0, 1, cv2.LINE_8, shift=4)
    return cv2.distanceTransform(canvas, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


_BANDS: "OrderedDict[tuple, tuple[int, int, np.ndarray] | None]" = OrderedDict()  # brush_band's cache
_BANDS_LOCK = threading.Lock()


def brush_band(strokes: tuple[Stroke, ...], mapping: DomainMapping, resolution: int, channels: int
               ) -> tuple[int, int, np.ndarray] | None:
    """(top, left, weights (h, w) float32, read-only): the colour strokes' band on the photo of
    `mapping`, 1 within each brush's radius of its line less BRUSH_EDGE of it, fading smoothly to 0
    at the radius and BRUSH_EDGE, in order, an eraser taking away all it touches (as far; all 0
    where erasers took everything); None where no colour stroke lies on the
    photo. Past BAND_WORK, compositing 15's band at the model's resolution. Cached (each BAND_CACHED
    pixels at most, BANDS_CACHED in all): the editor's frames ask for the same strokes many times."""
    key = (strokes, mapping, resolution, channels)
    with _BANDS_LOCK:
        if key in _BANDS:
            _BANDS.move_to_end(key)
            return _BANDS[key]
    found = _draw_band(strokes, mapping, resolution, channels)
    if found is None or found[2].size <= BAND_CACHED:
        with _BANDS_LOCK:
            _BANDS[key] = found
            while len(_BANDS) > BANDS_KEPT or sum(b[2].size for b in _BANDS.values() if b) > BANDS_CACHED:
                _BANDS.popitem(last=False)
    return found


def forget_bands() -> None:
    """Empty brush_band's cache (benchmarks timing the drawing; tests)."""
    with _BANDS_LOCK:
        _BANDS.clear()


def _draw_band(strokes: tuple[Stroke, ...], mapping: DomainMapping, resolution: int, channels: int
               ) -> tuple[int, int, np.ndarray] | None:
    """brush_band, drawn."""
    inverse = np.linalg.inv(np.vstack([mapping.matrix, (0.0, 0.0, 1.0)]))
    width, height = mapping.photo_size
    parts = []  # (colour?, whole within, reach, pieces), photo pixels
    for s in strokes:
        if s.kind in ("color", "erase"):
            radius = s.radius / mapping.scale
            fade = max(BRUSH_EDGE * radius, 0.5)
            full, reach = radius - fade, radius + fade
            parts.append((s.kind == "color", full, reach, _pieces(_photo_points(s, inverse), reach)))
    work = sum((b - t) * (r - l) for *_, pieces in parts for _, (t, b, l, r) in pieces)
    if work * mapping.scale ** 2 > BAND_WORK * resolution ** 2:
        return _model_band(strokes, mapping, resolution, channels)
    boxes = [box for colour, *_, pieces in parts if colour for _, box in pieces]
    if not boxes:
        return None
    top, bottom = max(0, min(b[0] for b in boxes)), min(height, max(b[1] for b in boxes))
    left, right = max(0, min(b[2] for b in boxes)), min(width, max(b[3] for b in boxes))
    if top >= bottom or left >= right:
        return None
    band = np.zeros((bottom - top, right - left), np.float32)
    for colour, full, reach, pieces in parts:
        for piece, (t, b, l, r) in pieces:
            d = _distance(piece, t, l, (b - t, r - l))  # the whole piece's box: its line is in it
            ct, cb, cl, cr = max(t, top), min(b, bottom), max(l, left), min(r, right)
            if ct >= cb or cl >= cr:
                continue
            d = d[ct - t:cb - t, cl - l:cr - l]
            part = band[ct - top:cb - top, cl - left:cr - left]
            if colour:
                w = np.clip((reach - d) / (reach - full), 0.0, 1.0)
                np.maximum(part, w * w * (3 - 2 * w), out=part)
            else:  # all it touches goes, as build_constraints erases (a softer edge left thin lines of
                # a stripe along an eraser drawn over it: a walkthrough), the last pixel smoothed
                part *= np.clip(d - reach, 0.0, 1.0)
    band.flags.writeable = False
    return top, left, band


def _model_band(strokes, mapping: DomainMapping, resolution: int, channels: int
                ) -> tuple[int, int, np.ndarray] | None:
    """Compositing 15's band (model pixels) on the photo, as brush_band gives its own."""
    from editing.landing import object_reach, on_photo  # it draws its bands here

    found = on_photo(object_reach(strokes, mapping, channels, 15), mapping)
    if found is None:
        return None
    band = found[2].copy()  # not a view of the whole photo's weights, which it would keep alive
    band.flags.writeable = False
    return found[0], found[1], band
