"""A product photo's clean plate: the photo with its object taken out, what the carry-back paints
where the object leaves (compositing 24; editing.silhouette.Fill.plate).

Before, where an edit took the object away (a dress made shorter, a strap gone), the photo became
its background's one colour, measured at the frame's edge: a smooth rectangle, lighter or darker
than the backdrop beside it and without its grain (walkthrough 48: "a smooth, noise-free, whiter
rectangle sits where the straps were"). The plate is the backdrop as it would be there: its light
filled in from around the object (a quadratic fitted to it, and what that leaves out by normalised
convolution, on a small copy, enlarged), and its grain, the photo's own fine texture, borrowed from
beside the object, mirrored across the edge of the object's bounding box (sideways, else up or
down; none where neither side has backdrop).

It depends on the photo patch alone: a slider's frames of one photo share it (editing.patch_cache),
and a large photo's export works it out a band of rows at a time, only where it is asked for.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np

from editing.patch_cache import CACHED_PIXELS, bands, per_patch
from editing.silhouette import object_colour

_PLATES: OrderedDict = OrderedDict()  # per patch and background colour
APART = 12.0  # levels (any channel, the photo smoothed) off the backdrop's light: the object's
GRAIN_SIGMA = 1.5  # photo pixels: what a Gaussian of this width smooths away is the grain
SMALL = 96  # the long side of the copy the backdrop's light is filled in on
MASK_SIDE = 256  # the long side the object's mask is found at (read at the patch's pixels, nearest)
GROW = 0.02  # of the mask's long side, at least 2 of its pixels: the object's mask grown past its soft edge
FILL_SIGMAS = (2.0, 4.0, 8.0, 16.0, 32.0, 64.0)  # small-copy pixels: the Gaussians that fill the light in
FILL_SUPPORT = 0.2  # the share of known pixels under a Gaussian that lets it fill a pixel
MARGIN = int(np.ceil(4 * GRAIN_SIGMA))  # rows beyond a band that its grain's smoothing reads (OpenCV's
# kernel reaches 4 sigma)
SPREAD = (0.05, 0.15)  # the spread (standard deviation, of the window's extent) the known pixels need
# along an axis for the light's line along it, and for its square
FEW_KNOWN = 64  # known pixels of the small copy under which the light is not told: no plate


def object_mask(patch: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(h, w) uint8, 1 on the object of a photo patch (H, W, 3) uint8 and around its soft edge,
    grown by GROW, on a copy of the patch at most MASK_SIDE pixels long (no full-size copies of a
    large photo; Plate reads it at the patch's pixels, nearest). First what lies surely off
    `background` (3,) (half as far as the object's mean colour, at least APART); then the
    backdrop's light fitted to the rest (light_fit: a backdrop lit unevenly, 30 levels darker at
    the frame's edge than beside a dark dress, is not the object); then every pixel more than APART
    off that light (an object's faint parts too)."""
    h, w = patch.shape[:2]
    scale = min(1.0, MASK_SIDE / max(h, w))
    small = patch if scale == 1 else cv2.resize(patch, (max(1, round(w * scale)), max(1, round(h * scale))),
                                                interpolation=cv2.INTER_AREA)
    smooth = cv2.GaussianBlur(small, (0, 0), max(0.5, 2.0 * scale)).astype(np.float32)
    far = max(APART, 0.5 * float(np.abs(object_colour(patch, background) - background).max()))
    sure = (np.abs(smooth - np.asarray(background, np.float32)).max(2) > far).astype(np.uint8)
    backdrop = ~cv2.dilate(sure, np.ones((5, 5), np.uint8)).astype(bool)
    light = light_fit(smooth, backdrop) if backdrop.sum() >= 6 else np.asarray(background, np.float32)
    mask = (np.abs(smooth - light).max(2) > APART).astype(np.uint8)
    grow = max(2, int(round(GROW * max(mask.shape))))
    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))


def mirrored(n: int, start: int, stop: int) -> np.ndarray:
    """(n,) int: for each index in [start, stop), its mirror across the nearer end of that range
    (outside it); -1 where that falls outside 0..n-1; other indices map to themselves."""
    index = np.arange(n)
    inside = (index >= start) & (index < stop)
    low = inside & (index < (start + stop) / 2)
    index[low] = 2 * start - 1 - index[low]
    high = inside & ~low
    index[high] = 2 * stop - 1 - index[high]
    index[(index < 0) | (index >= n)] = -1
    return index


def light_fit(image: np.ndarray, known: np.ndarray, step: int = 4) -> np.ndarray:
    """(h, w, C) float32: a quadratic in x and y fitted to each channel of `image` (h, w, C) where
    `known` (h, w) bool (every `step`-th row and column of it): a backdrop's light falling off from
    a lamp or toward the frame's edges, which an average of the pixels around an object cannot rise
    to inside it. Along an axis the known pixels barely spread over (a strip of backdrop beside an
    item that fills the frame), a line or nothing instead of the square (SPREAD), and never beyond
    the known pixels' own range (a quadratic on a 20 px strip put a slab 64 levels too dark under
    the item: a review)."""
    h, w = known.shape
    x = np.broadcast_to((np.arange(w, dtype=np.float32) / max(w - 1, 1) - 0.5)[None, :], (h, w))
    y = np.broadcast_to((np.arange(h, dtype=np.float32) / max(h - 1, 1) - 0.5)[:, None], (h, w))
    sub = known[::step, ::step]
    if sub.sum() < 6:
        sub, step = known, 1
    xs, ys = x[::step, ::step][sub], y[::step, ::step][sub]
    wide, tall = float(xs.std()), float(ys.std())
    terms = [np.ones_like(x)]
    terms += [x] if wide > SPREAD[0] else []
    terms += [y] if tall > SPREAD[0] else []
    terms += [x * x] if wide > SPREAD[1] else []
    terms += [x * y] if wide > SPREAD[1] and tall > SPREAD[1] else []
    terms += [y * y] if tall > SPREAD[1] else []
    basis = np.stack([t[::step, ::step][sub] for t in terms], -1)
    values = image[::step, ::step][sub].astype(np.float32)
    coef, *_ = np.linalg.lstsq(basis, values, rcond=None)
    out = np.zeros((h, w, image.shape[2]), np.float32)
    for t, c in zip(terms, coef):
        out += t[..., None] * c.astype(np.float32)
    return np.clip(out, values.min(0), values.max(0))


def filled_in(image: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """(h, w, 3) float32: `image` with the pixels where `mask` is not 0 filled in from around them:
    the light's quadratic (light_fit) plus what it leaves out, filled in by normalised convolution,
    the narrowest of FILL_SIGMAS whose Gaussian reaches enough known pixels (a flat backdrop stays
    flat to the level: OpenCV's Telea inpainting put 5-level ripples in it); None where too little
    is known (FEW_KNOWN)."""
    known = (mask == 0).astype(np.float32)
    if known.sum() < FEW_KNOWN:
        return None
    fit = light_fit(image, known.astype(bool))
    values = (image.astype(np.float32) - fit) * known[..., None]
    out, todo = image.astype(np.float32) - fit, ~known.astype(bool)
    for sigma in FILL_SIGMAS:
        if not todo.any():
            break
        weight = cv2.GaussianBlur(known, (0, 0), sigma)
        near = todo & (weight > FILL_SUPPORT) if sigma < FILL_SIGMAS[-1] else todo & (weight > 0)
        if near.any():
            out[near] = cv2.GaussianBlur(values, (0, 0), sigma)[near] / weight[near][:, None]
            todo &= ~near
    return out + fit


@dataclass(frozen=True)
class Backdrop:
    """A part of a clean plate, worked out: `pixels` (h, w, 3) uint8 lying at `origin` (row, column)
    of the patch it was made for; read as the patch's parts, plate[rows, cols] (explicit bounds),
    and cropped as the patch is (Fill.cropped)."""

    pixels: np.ndarray
    origin: tuple[int, int] = (0, 0)

    def __getitem__(self, part: tuple[slice, slice]) -> np.ndarray:
        (r0, r1), (c0, c1) = ((s.start - o, s.stop - o) for s, o in zip(part, self.origin))
        if min(r0, c0) < 0 or r1 > self.pixels.shape[0] or c1 > self.pixels.shape[1]:
            raise IndexError(f"{part} lies beyond the plate worked out at {self.origin}")
        return self.pixels[r0:r1, c0:c1]

    def cropped(self, window: tuple[slice, slice]) -> "Backdrop":
        """The plate of the part `window` (rows, columns) of its patch, read in that part's
        coordinates."""
        return Backdrop(self.pixels, (self.origin[0] - (window[0].start or 0),
                                      self.origin[1] - (window[1].start or 0)))


class Plate:
    """How to work out the clean plate of a photo patch (H, W, 3) uint8 on a plain `background`
    (3,): the object's mask and the backdrop's light filled in, found at once (small copies); the
    plate itself by parts (`over`), a band of rows at a time, the patch itself beyond the mask."""

    def __init__(self, patch: np.ndarray, background: np.ndarray):
        self.patch = patch
        self.mask = object_mask(patch, background)  # (h, w): read at the patch's pixels by `_at`
        h, w = patch.shape[:2]
        self.rows = np.minimum((np.arange(h) * self.mask.shape[0]) // h, self.mask.shape[0] - 1)
        self.cols = np.minimum((np.arange(w) * self.mask.shape[1]) // w, self.mask.shape[1] - 1)
        rows, cols = np.flatnonzero(self.mask.any(1)[self.rows]), np.flatnonzero(self.mask.any(0)[self.cols])
        self.light = None  # the light filled in, on a small copy of `window`; None: no plate
        self.whole: Backdrop | None = None  # the whole plate, where it is worked out at once
        if rows.size == 0:  # nothing off the backdrop: nothing to take away
            return
        self.box = y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        wy = slice(max(0, 2 * y0 - y1), min(h, 2 * y1 - y0))  # the light: from the box grown by its own
        wx = slice(max(0, 2 * x0 - x1), min(w, 2 * x1 - x0))  # size each way (a mirror's reach)
        part = patch[wy, wx]
        scale = min(1.0, SMALL / max(part.shape[:2]))
        size = (max(1, round(part.shape[1] * scale)), max(1, round(part.shape[0] * scale)))
        # (an average, not a blur: the object's colour stays within the grown mask)
        small = cv2.resize(part, size, interpolation=cv2.INTER_AREA)
        grid = self.mask[np.ix_(self.rows[wy][np.linspace(0, part.shape[0] - 1, size[1]).astype(int)],
                                self.cols[wx][np.linspace(0, part.shape[1] - 1, size[0]).astype(int)])]
        self.window = (wy.start, wx.start)
        self.scale = (size[0] / part.shape[1], size[1] / part.shape[0])
        self.light = filled_in(small, cv2.dilate(grid, np.ones((3, 3), np.uint8)))
        self.across, self.along = mirrored(w, x0, x1), mirrored(h, y0, y1)

    def _at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The mask at the patch's pixels (rows, cols): index arrays, broadcast."""
        return self.mask[self.rows[rows], self.cols[cols]]

    def over(self, rows: slice, cols: slice, source: np.ndarray | None = None) -> Backdrop | None:
        """The plate over `rows`, `cols` (explicit bounds) of the patch, worked out now, its grain
        borrowed from `source` (the patch as it is now: an outline's flow may have moved it; None:
        the patch it was made of); None where there is none (nothing off the backdrop, or too
        little backdrop to tell its light)."""
        if self.light is None:
            return None
        source = self.patch if source is None else source
        if self.whole is not None and (source is self.patch or np.array_equal(source, self.patch)):
            return self.whole
        out = source[rows, cols].copy()
        for band in bands(out, 1 << 17):
            band_rows = slice(rows.start + band.start, rows.start + band.stop)
            inside = self._at(np.arange(band_rows.start, band_rows.stop)[:, None],
                              np.arange(cols.start, cols.stop)[None, :]).astype(bool)
            if inside.any():
                filled = self._light(band_rows, cols)[inside] + self._grain(band_rows, cols, inside, source)
                out[band][inside] = np.clip(np.rint(filled), 0, 255).astype(np.uint8)
        return Backdrop(out, (rows.start, cols.start))

    def _light(self, rows: slice, cols: slice) -> np.ndarray:
        """(h, w, 3) float32: the filled-in light over `rows`, `cols` of the patch (bilinear), each
        pixel's the same whatever part it is asked with (a part of the plate is its whole's)."""
        (wy, wx), (sx, sy) = self.window, self.scale
        x = ((np.arange(cols.start, cols.stop) - wx + 0.5) * sx - 0.5).astype(np.float32)
        y = ((np.arange(rows.start, rows.stop) - wy + 0.5) * sy - 0.5).astype(np.float32)
        map_x = np.ascontiguousarray(np.broadcast_to(x[None, :], (y.size, x.size)))
        map_y = np.ascontiguousarray(np.broadcast_to(y[:, None], (y.size, x.size)))
        return cv2.remap(self.light, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    @staticmethod
    def _grain_rows(source: np.ndarray, first: int, last: int) -> np.ndarray:
        """(last - first + 1, W, 3) float32: the grain of `source` on rows first..last."""
        lo, hi = max(0, first - MARGIN), min(source.shape[0], last + 1 + MARGIN)
        block = source[lo:hi].astype(np.float32)
        grain = block - cv2.GaussianBlur(block, (0, 0), GRAIN_SIGMA)
        return grain[first - lo:last + 1 - lo]

    def _grain(self, rows: slice, cols: slice, inside: np.ndarray, source: np.ndarray) -> np.ndarray:
        """(N, 3) float32: the grain borrowed from `source` for the `inside` pixels of `rows`, `cols`:
        from the mirror across the object's box sideways where that pixel is backdrop, else up or
        down; read from each run of source rows on its own (a band across the box's middle row
        mirrors to rows above it and below it: one block spanning both was nearly the photo)."""
        y, x = np.nonzero(inside)
        y, x = y + rows.start, x + cols.start
        out = np.zeros((y.size, 3), np.float32)
        todo = np.ones(y.size, bool)
        y0, y1 = self.box[0], self.box[1]
        for sy, sx in ((y, self.across[x]), (self.along[y], x)):
            ok = todo & (sy >= 0) & (sx >= 0)
            ok[ok] = self._at(sy[ok], sx[ok]) == 0
            for run in (ok & (sy < y0), ok & (sy >= y0) & (sy < y1), ok & (sy >= y1)):
                if run.any():
                    first = int(sy[run].min())
                    out[run] = self._grain_rows(source, first, int(sy[run].max()))[sy[run] - first, sx[run]]
            todo &= ~ok
        return out


def clean_plate(patch: np.ndarray, background: np.ndarray) -> Plate:
    """How to work out the clean plate of a photo patch (H, W, 3) uint8 on a plain `background`
    (3,) (Plate), kept per patch (a slider's frames of one photo); a patch small enough to be kept
    has its whole plate worked out at once and kept with it."""
    def made() -> Plate:
        plate = Plate(patch, background)
        if plate.light is not None and patch.shape[0] * patch.shape[1] <= CACHED_PIXELS:
            plate.whole = plate.over(slice(0, patch.shape[0]), slice(0, patch.shape[1]))
        return plate

    return per_patch(_PLATES, patch, np.asarray(background, np.float32).tobytes(), made)
