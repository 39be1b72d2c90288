"""One loader for every photo the app opens; strangers' files cannot crash it.

Accepts JPEG, PNG, WebP, BMP, TIFF (and GIF, first frame). Applies EXIF orientation; converts
palette, grey, 16-bit and CMYK images to 8-bit RGB; composites transparency onto white; takes the
first frame of animations. Refuses, with a message naming the file and the reason: missing,
zero-byte, non-image, truncated or corrupt files, unsupported formats, and images with more than
`MAX_PIXELS` pixels (decompression bombs), before decoding them.
"""
from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from training.errors import UserError

MAX_PIXELS = 50_000_000  # 50 megapixels: larger than any camera photo a user edits here
FORMATS = {"JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF", "MPO"}  # MPO: JPEG from some cameras


class PhotoError(UserError):
    """The file cannot be opened as a photo; the message names it and says why."""


@dataclass(frozen=True)
class Photo:
    pixels: np.ndarray  # (H, W, 3) uint8 RGB, EXIF orientation applied
    path: Path
    source_mode: str  # PIL mode of the file, e.g. "RGB", "P", "I;16", "CMYK"
    source_format: str

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.pixels.shape[1], self.pixels.shape[0]


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any PIL mode -> 8-bit RGB; transparency composited onto white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        img = Image.fromarray((arr / top * 255).round().clip(0, 255).astype(np.uint8), "L")
    elif img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        top = 1.0 if arr.max() <= 1.0 else 255.0
        img = Image.fromarray((arr / top * 255).round().clip(0, 255).astype(np.uint8), "L")
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if has_alpha:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img if img.mode == "RGB" else img.convert("RGB")  # P, L, 1, CMYK, YCbCr, LAB, HSV


def _rgb_array(img: Image.Image) -> np.ndarray:
    """An RGB image's pixels as a writable (H, W, 3) uint8 array, copied over in bands of rows:
    numpy's own conversion goes through a full-size bytes copy (a third copy of a large photo)."""
    w, h = img.size
    out = np.empty((h, w, 3), np.uint8)
    band = max(1, (1 << 24) // (3 * w))  # about 16 MB at a time
    for y in range(0, h, band):
        out[y:y + band] = np.asarray(img.crop((0, y, w, min(h, y + band))))
    return out


def load_photo(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> Photo:
    """Open `path` as an RGB photo or raise PhotoError with a reason a user understands."""
    path = Path(path)
    name = path.name
    if not path.exists():
        raise PhotoError(f"{name}: file not found")
    if path.is_dir():
        raise PhotoError(f"{name}: is a folder, not an image file")
    if path.stat().st_size == 0:
        raise PhotoError(f"{name}: the file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            # Our own limit (MAX_PIXELS, below Pillow's) is checked on the size in the header, with
            # our own message; Pillow's warning would only repeat it in its words.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                fmt = img.format or "unknown"
                if fmt not in FORMATS:
                    raise PhotoError(f"{name}: {fmt} images are not supported; "
                                     f"use JPEG, PNG, WebP, BMP or TIFF")
                w, h = img.size
                if w * h > max_pixels:
                    raise PhotoError(f"{name}: {w}x{h} is {w * h / 1e6:.0f} megapixels, more than "
                                     f"the {max_pixels / 1e6:.0f} allowed; scale it down first")
                if w == 0 or h == 0:
                    raise PhotoError(f"{name}: the image has no pixels")
                mode = img.mode
                img.seek(0)  # animations: the first frame
                img.load()
                if img.getexif().get(0x0112, 1) != 1:  # EXIF orientation; otherwise no copy
                    img = ImageOps.exif_transpose(img) or img
                pixels = _rgb_array(_to_rgb(img))
    except PhotoError:
        raise
    except UnidentifiedImageError:
        raise PhotoError(f"{name}: not an image file (or a format this app cannot read)") from None
    except Image.DecompressionBombError as e:  # over twice Pillow's limit: refused inside open()
        pixels = re.search(r"\((\d+) pixels\)", str(e))
        said = f"{int(pixels[1]) / 1e6:.0f} megapixels" if pixels else "more pixels"
        raise PhotoError(f"{name}: the image has {said}, more than the {max_pixels / 1e6:.0f} "
                         f"allowed; scale it down first") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        reason = str(e) or type(e).__name__
        if "truncated" in reason.lower() or isinstance(e, EOFError):
            reason = "the file is truncated (incomplete download?)"
        raise PhotoError(f"{name}: cannot read the image: {reason}") from None
    return Photo(pixels, path, mode, fmt)
