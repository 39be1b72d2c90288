"""Find the object a product photo shows: what stands out from the colour along the photo's border.

A product photo is an item on a (usually light) plain background at any size. `find_object` boxes
what differs from the border colour by Otsu's threshold (cleaned by morphology, specks dropped),
grown by the item's faint parts in a colour of their own; inversion.framing frames that box as the
model's training images are framed.
"""
from __future__ import annotations

import cv2
import numpy as np

from training.errors import UserError


class NoObjectError(UserError):
    """No object stands out from a plain background; the caller may offer the whole image."""


DETECT_SIDE = 1024  # larger photos are searched for their object on a copy this large
FAINT_SHARE = 1 / 3  # of the Otsu threshold: faint parts joined to the object above it are the object's
# too (a bag's strap end, a T-shirt's pale sleeves: Fashion-MNIST's items fill the frame with them)
FAINT_COLOUR = 0.1  # share of a faint pixel's difference from the background across the background's
# colour (not along it, as a darker background's is) that makes it the object's: a shadow is not


def border_colour(pixels: np.ndarray, width_frac: float = 0.03) -> tuple[np.ndarray, float]:
    """Median colour of a strip along the image border, and the strip's spread (plainness); a photo
    larger than DETECT_SIDE is measured on a copy shrunk to it."""
    pixels = _shrunk(pixels)[0]
    h, w = pixels.shape[:2]
    b = max(1, int(round(min(h, w) * width_frac)))
    strip = np.concatenate([pixels[:b].reshape(-1, 3), pixels[-b:].reshape(-1, 3),
                            pixels[:, :b].reshape(-1, 3), pixels[:, -b:].reshape(-1, 3)]).astype(np.float64)
    return np.median(strip, axis=0), float(np.median(np.abs(strip - np.median(strip, 0)).max(1)))


def find_object(pixels: np.ndarray) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1) of what stands out from the border colour, or NoObjectError.
    A photo larger than DETECT_SIDE is searched on a copy shrunk to it (the box is scaled back,
    widened to whole photo pixels): a 49-megapixel photo then costs what a 1-megapixel one does."""
    h, w = pixels.shape[:2]
    small, shrunk = _shrunk(pixels)
    if not shrunk:
        return _find_object(pixels)
    x0, y0, x1, y1 = _find_object(small)
    sx, sy = w / small.shape[1], h / small.shape[0]
    return (max(0, int(x0 * sx)), max(0, int(y0 * sy)), min(w, int(np.ceil(x1 * sx))),
            min(h, int(np.ceil(y1 * sy))))


def _shrunk(pixels: np.ndarray) -> tuple[np.ndarray, bool]:
    """(the photo shrunk to DETECT_SIDE on its longer side by area averaging, True), or
    (the photo itself, False) when it is no larger."""
    h, w = pixels.shape[:2]
    if max(h, w) <= DETECT_SIDE:
        return pixels, False
    scale = DETECT_SIDE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), True


def _find_object(pixels: np.ndarray) -> tuple[int, int, int, int]:
    """find_object's box on a photo no larger than DETECT_SIDE: what stands out from the border
    colour by Otsu's threshold (cleaned by morphology, specks dropped), grown by the faint parts
    joined to it that stand out by FAINT_SHARE of that threshold in a colour of their own
    (_coloured: not a shadow). Otsu's alone left a bag's faint strap end outside the box (a
    walkthrough: out of the model's reach, it stayed when the bag shrank) and framed one in eight
    Fashion-MNIST test items 5% or more of its side off its own box."""
    h, w = pixels.shape[:2]
    bg, spread = border_colour(pixels)
    diff = np.abs(pixels.astype(np.float64) - bg).max(axis=2)
    diff8 = np.clip(diff, 0, 255).astype(np.uint8)
    otsu, _ = cv2.threshold(diff8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    floor = 3 * spread + 12  # never split noise or texture of the background
    thresh = max(otsu, floor)
    k = max(1, int(round(min(h, w) / 200)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))

    def cleaned(mask: np.ndarray) -> np.ndarray:
        mask = mask.astype(np.uint8)
        return cv2.morphologyEx(cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel), cv2.MORPH_CLOSE, kernel)

    n, labels, stats, _ = cv2.connectedComponentsWithStats(cleaned(diff8 > thresh), connectivity=8)
    if n <= 1:
        raise NoObjectError("no object stands out from a plain background")
    areas = stats[1:, cv2.CC_STAT_AREA]
    kept = np.flatnonzero(areas >= max(areas.max() * 0.02, h * w * 1e-4)) + 1
    keep = stats[kept]
    if keep[:, cv2.CC_STAT_AREA].sum() < h * w * 0.002:
        raise NoObjectError("the only things found are specks, not an object")
    faint = max(floor, otsu * FAINT_SHARE)
    if faint < thresh:  # the faint parts touching what was kept, coloured as a shadow is not
        wider_mask = diff8 > thresh
        candidates = (diff8 > faint) & ~wider_mask
        wider_mask[candidates] = _coloured(pixels[candidates], bg)
        n, wider, grown, _ = cv2.connectedComponentsWithStats(cleaned(wider_mask), connectivity=8)
        joined = np.unique(wider[np.isin(labels, kept)])
        keep = np.concatenate([keep, grown[joined[joined > 0]]])
    x0 = keep[:, cv2.CC_STAT_LEFT].min()
    y0 = keep[:, cv2.CC_STAT_TOP].min()
    x1 = (keep[:, cv2.CC_STAT_LEFT] + keep[:, cv2.CC_STAT_WIDTH]).max()
    y1 = (keep[:, cv2.CC_STAT_TOP] + keep[:, cv2.CC_STAT_HEIGHT]).max()
    if (x1 - x0) * (y1 - y0) > 0.98 * h * w and spread > 20:
        raise NoObjectError("the background is not plain")
    return int(x0), int(y0), int(x1), int(y1)


def _coloured(pixels: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """(...) bool for pixels (..., 3): where a pixel differs from the background colour `bg` by
    FAINT_COLOUR of the way or more across the background's own colour rather than along it. A
    shadow, or a darker or lighter stretch of the background, is the background's colour scaled:
    along it (a review found soft drop shadows, a floor's reflection and a cast shadow taken into
    the box); a faint part of a coloured item is its colour thinned: across it. A grey item's faint
    parts are not told from a shadow, and stay out as before."""
    norm = float(np.linalg.norm(bg))
    axis = bg / norm if norm >= 30 else np.full(3, 1 / np.sqrt(3))  # a near-black background: grey
    off = pixels.astype(np.float32) - bg.astype(np.float32)  # (..., 3)
    along = off @ axis.astype(np.float32)
    across = np.linalg.norm(off - along[..., None] * axis.astype(np.float32), axis=-1)
    return across >= FAINT_COLOUR * np.linalg.norm(off, axis=-1)
