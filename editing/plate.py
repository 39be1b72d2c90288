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

import cv2
import numpy as np

from editing.patch_cache import CACHED_PIXELS, bands, per_patch
from editing.silhouette import object_colour

_PLATES: OrderedDict = OrderedDict()  # per patch and background colour
APART = 12.0  # levels (any channel, the photo smoothed) off the backdrop's light: the object's
GRAIN_SIGMA = 1.5  # photo pixels: what a Gaussian of this width smooths away is the grain
SMALL = 96  # the long side of the copy the backdrop's light is filled in on
MASK_SIDE = 256  # the long side the object's mask is found at (a large photo's, then enlarged)
GROW = 0.02  # of the patch's long side, at least 3 px: the object's mask grown past its soft edge
FILL_SIGMAS = (2.0, 4.0, 8.0, 16.0, 32.0, 64.0)  # small-copy pixels: the Gaussians that fill the light in
FILL_SUPPORT = 0.2  # the share of known pixels under a Gaussian that lets it fill a pixel
MARGIN = 5  # rows beyond a band that its grain's smoothing reads


def object_mask(patch: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(H, W) uint8, 1 on the object of a photo patch (H, W, 3) uint8 and around its soft edge,
    grown by GROW; found on a copy at most MASK_SIDE pixels long (no full-size signed copies of a
    large photo). First what lies surely off `background` (3,) (half as far as the object's mean
    colour, at least APART); then the backdrop's light fitted to the rest (light_fit: a backdrop
    lit unevenly, 30 levels darker at the frame's edge than beside a dark dress, is not the object);
    then every pixel more than APART off that light (an object's faint parts too)."""
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
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    return mask if scale == 1 else cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)


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
    to inside it."""
    h, w = known.shape
    x = (np.arange(w, dtype=np.float32) / max(w - 1, 1) - 0.5)[None, :]
    y = (np.arange(h, dtype=np.float32) / max(h - 1, 1) - 0.5)[:, None]

    def terms(xs, ys):
        return [np.ones_like(xs * ys), xs + 0 * ys, ys + 0 * xs, xs * xs + 0 * ys, xs * ys, ys * ys + 0 * xs]

    sub = known[::step, ::step]
    if sub.sum() < 6:
        sub, step = known, 1
    basis = np.stack([t[sub] for t in terms(x[:, ::step], y[::step])], -1)
    coef, *_ = np.linalg.lstsq(basis, image[::step, ::step][sub].astype(np.float32), rcond=None)
    out = np.zeros((h, w, image.shape[2]), np.float32)
    for t, c in zip(terms(x, y), coef):
        out += t[..., None] * c.astype(np.float32)
    return out


def filled_in(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(h, w, 3) float32: `image` with the pixels where `mask` is not 0 filled in from around them:
    the light's quadratic (light_fit) plus what it leaves out, filled in by normalised convolution,
    the narrowest of FILL_SIGMAS whose Gaussian reaches enough known pixels (a flat backdrop stays
    flat to the level: OpenCV's Telea inpainting put 5-level ripples in it)."""
    known = (mask == 0).astype(np.float32)
    if known.sum() < 6:
        return image.astype(np.float32)
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


class Plate:
    """The clean plate of a photo patch (H, W, 3) uint8 on a plain `background` (3,), read by parts:
    plate[rows, cols] -> (h, w, 3) uint8, worked out a band of rows at a time where the object's
    mask is, the patch itself elsewhere. `cropped` gives the plate of a part of the patch."""

    def __init__(self, patch: np.ndarray, background: np.ndarray, origin: tuple[int, int] = (0, 0),
                 parts: dict | None = None):
        self.origin = origin  # this plate's (row, column) in the patch it was made for
        if parts is not None:
            self._parts = parts
            return
        mask = object_mask(patch, background)
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        self._parts = {"patch": patch, "mask": mask, "box": None}
        if rows.size == 0:
            return
        y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        h, w = mask.shape  # the light, from the box grown by its own size each way (a mirror's reach)
        wy = slice(max(0, 2 * y0 - y1), min(h, 2 * y1 - y0))
        wx = slice(max(0, 2 * x0 - x1), min(w, 2 * x1 - x0))
        part = patch[wy, wx]
        scale = min(1.0, SMALL / max(part.shape[:2]))
        size = (max(1, round(part.shape[1] * scale)), max(1, round(part.shape[0] * scale)))
        small = cv2.resize(part, size, interpolation=cv2.INTER_AREA)  # (an average: the object's colour
        # stays within the grown mask, where a blur first spread it onto the backdrop the light is from)
        small_mask = cv2.dilate(cv2.resize(mask[wy, wx], size, interpolation=cv2.INTER_NEAREST),
                                np.ones((3, 3), np.uint8))
        self._parts.update(box=(y0, y1, x0, x1), window=(wy.start, wx.start), scale=(
            size[0] / part.shape[1], size[1] / part.shape[0]), light=filled_in(small, small_mask),
            across=mirrored(w, x0, x1), along=mirrored(h, y0, y1))

    def cropped(self, window: tuple[slice, slice]) -> "Plate":
        """The plate of the part `window` (rows, columns) of this one's patch."""
        return Plate(None, None, (self.origin[0] + (window[0].start or 0),
                                  self.origin[1] + (window[1].start or 0)), self._parts)

    def __getitem__(self, part: tuple[slice, slice]) -> np.ndarray:
        p = self._parts
        patch, mask = p["patch"], p["mask"]
        (r0, r1), (c0, c1) = (((s.start or 0) + o, n if s.stop is None else s.stop + o)
                              for s, o, n in zip(part, self.origin, mask.shape))
        if p.get("full") is not None:
            return p["full"][r0:r1, c0:c1]
        out = patch[r0:r1, c0:c1].copy()
        if p["box"] is None:
            return out
        for band in bands(out, 1 << 17):
            rows = slice(r0 + band.start, r0 + band.stop)
            inside = mask[rows, c0:c1].astype(bool)
            if not inside.any():
                continue
            filled = self._light(rows, slice(c0, c1))[inside] + self._grain(rows, slice(c0, c1), inside)
            out[band][inside] = np.clip(np.rint(filled), 0, 255).astype(np.uint8)
        return out

    def _light(self, rows: slice, cols: slice) -> np.ndarray:
        """(h, w, 3) float32: the filled-in light over `rows`, `cols` of the patch (bilinear)."""
        p = self._parts
        (wy, wx), (sx, sy) = p["window"], p["scale"]
        matrix = np.float32([[sx, 0, (cols.start - wx + 0.5) * sx - 0.5],
                             [0, sy, (rows.start - wy + 0.5) * sy - 0.5]])
        return cv2.warpAffine(p["light"], matrix, (cols.stop - cols.start, rows.stop - rows.start),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)

    def _grain_rows(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), W, 3) float32: the patch's grain on the given contiguous rows."""
        patch = self._parts["patch"]
        lo, hi = max(0, int(rows[0]) - MARGIN), min(patch.shape[0], int(rows[-1]) + 1 + MARGIN)
        block = patch[lo:hi].astype(np.float32)
        grain = block - cv2.GaussianBlur(block, (0, 0), GRAIN_SIGMA)
        return grain[rows - lo]

    def _grain(self, rows: slice, cols: slice, inside: np.ndarray) -> np.ndarray:
        """(N, 3) float32: the grain borrowed for the `inside` pixels of `rows`, `cols`: from the
        mirror across the object's box sideways where that pixel is backdrop, else up or down."""
        p = self._parts
        mask = p["mask"]
        y, x = np.nonzero(inside)
        y += rows.start
        x += cols.start
        out = np.zeros((y.size, 3), np.float32)
        todo = np.ones(y.size, bool)
        for sy, sx in ((y, p["across"][x]), (p["along"][y], x)):
            ok = todo & (sy >= 0) & (sx >= 0)
            ok[ok] = mask[sy[ok], sx[ok]] == 0
            if ok.any():
                span = np.arange(sy[ok].min(), sy[ok].max() + 1)
                grain = self._grain_rows(span)
                out[ok] = grain[sy[ok] - span[0], sx[ok]]
                todo &= ~ok
        return out


def clean_plate(patch: np.ndarray, background: np.ndarray) -> Plate:
    """The clean plate of a photo patch (H, W, 3) uint8 on a plain `background` (3,): a Plate, kept
    per patch (a slider's frames of one photo), worked out whole at once where the patch is small
    enough to be kept, else by parts as they are asked for (a large photo's export)."""
    def made() -> Plate:
        plate = Plate(patch, background)
        plate._parts["full"] = plate[:, :] if patch.shape[0] * patch.shape[1] <= CACHED_PIXELS else None
        return plate

    return per_patch(_PLATES, patch, np.asarray(background, np.float32).tobytes(), made)
