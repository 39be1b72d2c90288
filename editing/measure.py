"""Measured attributes of grey product images: brightness, area, height and width of the object.

They label the training images by a median split (editing.vector_sets) and are measured exactly on
edited images, which makes them the honest test of the sliders. They also tell when an item already
fills the model's frame, so a size slider cannot grow it (filling_frame).
"""
from __future__ import annotations

import torch

MEASURED = ("brightness", "area", "height", "width")
# One slider unit of each measured attribute: a measured slider at value a changes the attribute by
# a units in the model's image (editing.keep calibrates it along the slider's path), so that Width +2
# is two model pixels wider on every item. Chosen so that +-3 is a clear edit that most held-out
# items can still make without turning into another kind of item (benchmarks/product_edits.py).
UNITS = {"brightness": 0.04, "area": 0.012, "height": 1 / 32, "width": 1 / 32}
# What the calibration reads for each slider: a size slider by the object's typical extent, which
# follows the whole silhouette (the overall extent jumps when one faint pixel appears at the side).
CALIBRATED_BY = {"brightness": "brightness", "area": "area", "height": "typical_height",
                 "width": "typical_width"}
UNIT_WORDS = {"brightness": "4% of full brightness", "area": "1.2% of the picture's area",
              "height": "one pixel of the model's 32", "width": "one pixel of the model's 32"}
OBJECT_LEVEL = -0.8  # model pixels above this level (in [-1, 1]) belong to the object


def measure(x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Measured attributes of images (B, C, H, W) in [-1, 1], light objects on black, each (B,).

    brightness: mean level of the object's pixels (0..1); area: share of the image the object
    covers; height, width: extent of the object's pixels as a share of the image side;
    typical_height, typical_width: the same, the mean over the image's columns or rows.
    """
    grey = x.float().mean(1)  # (B, H, W)
    obj = grey > OBJECT_LEVEL
    h, w = grey.shape[1:]
    level = (grey + 1) / 2
    area = obj.flatten(1).float().mean(1)
    brightness = (level * obj).flatten(1).sum(1) / obj.flatten(1).sum(1).clamp_min(1)
    rows, cols = obj.any(2), obj.any(1)  # (B, H), (B, W)

    def extent(mask: torch.Tensor, n: int) -> torch.Tensor:
        idx = torch.arange(n, device=mask.device)
        first = torch.where(mask, idx, n).min(1).values
        last = torch.where(mask, idx, -1).max(1).values
        return ((last - first + 1).clamp_min(0)).float() / n

    return {"brightness": brightness, "area": area, "height": extent(rows, h),
            "width": extent(cols, w), "typical_height": typical_extent(obj, 1),
            "typical_width": typical_extent(obj, 2)}


def typical_extent(obj: torch.Tensor, dim: int) -> torch.Tensor:
    """The mean over the image's lines that hold the object of its extent along `dim` (2: each
    row's width, 1: each column's height), as a share of the image side, (B,): a dress grows in it
    when its shoulders or its hem widen, and one stray pixel beside the object moves it by a
    fraction of a pixel, where the overall extent jumps by the whole gap."""
    n = obj.shape[dim]
    idx = torch.arange(n, device=obj.device).view([1, n, 1] if dim == 1 else [1, 1, n])
    first = torch.where(obj, idx, n).amin(dim)
    last = torch.where(obj, idx, -1).amax(dim)
    span = (last - first + 1).float()
    span[~obj.any(dim)] = float("nan")  # lines without the object
    return torch.nan_to_num(span.nanmean(1), nan=0.0) / n


# Steering a measured slider (editing.keep's path): what each slider holds still while it changes
# its own attribute. Without it, the gradient of a size finds the cheap way to move the measure:
# brightening faint edge pixels over OBJECT_LEVEL (or darkening them under it) instead of growing
# the silhouette, and noise on a patterned shirt (detail) where its outline cannot move.
# Brightness holds the item's width and height too (a walkthrough: "Brightness +2" squared a dress's
# neckline and tapered jeans; held, 50 photos at +-2: the silhouette's IoU 0.940 -> 0.954 at the
# median, 26% fewer pixels coming or going, the same brightness reached, the class kept for all:
# benchmarks/results/brightness_hold.md); sessions before version 11 held area and detail alone
# (editing.keep_versions.BRIGHTNESS_HELD_BEFORE).
HOLD_STILL = {"brightness": ("area", "detail", "width", "height"), "area": ("brightness", "detail"),
              "height": ("brightness", "width", "detail"), "width": ("brightness", "height", "detail")}
SOFT_EDGE = 0.15  # the soft object level's width, in [-1, 1] levels: wide enough that the pixels
# just outside the silhouette pull the gradient too


def soft_measure(x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Differentiable stand-ins of `measure` for images (B, C, H, W) in [-1, 1], each (B,): the
    object is a soft mask (a sigmoid SOFT_EDGE wide around OBJECT_LEVEL, rescaled so that black is
    0); a line's extent is the soft count of pixels between its first and its last object pixel
    (running maxima from each end), so that it grows where a pixel beside the silhouette lights up. `detail`: the mean
    absolute Laplacian, which noise and streaks raise."""
    grey = x.float().mean(1)
    background = torch.sigmoid(torch.tensor((-1.0 - OBJECT_LEVEL) / SOFT_EDGE))  # black: 0.21
    p = ((torch.sigmoid((grey - OBJECT_LEVEL) / SOFT_EDGE) - background) / (1 - background)).clamp_min(0)

    def typical(q: torch.Tensor) -> torch.Tensor:  # extent along the last dim, mean over the lines
        inside = torch.minimum(torch.cummax(q, 2).values, torch.cummax(q.flip(2), 2).values.flip(2))
        present = inside.amax(2)
        return (inside.sum(2) * present).sum(1) / present.sum(1).clamp_min(1e-3) / q.shape[2]

    level = (grey + 1) / 2
    laplacian = (4 * grey[:, 1:-1, 1:-1] - grey[:, :-2, 1:-1] - grey[:, 2:, 1:-1]
                 - grey[:, 1:-1, :-2] - grey[:, 1:-1, 2:]).abs()
    return {"brightness": (level * p).flatten(1).sum(1) / p.flatten(1).sum(1).clamp_min(1e-3),
            "area": p.flatten(1).mean(1), "width": typical(p), "height": typical(p.transpose(1, 2)),
            "detail": laplacian.flatten(1).mean(1)}


FRAME_SIZES = {"height": "taller", "width": "wider"}  # size sliders an item may already fill the frame in


def filling_frame(vectors: dict, ref: torch.Tensor, values: dict[str, float], content: float) -> list[str]:
    """The size sliders of `values` pushed up whose item, drawn from the code `ref`, already spans
    the model's frame that way (`content`: the share of the model's side its training items may
    fill): no code makes it taller or wider, and the slider fills it out instead (Fashion-MNIST draws
    every dress from the frame's top to its bottom: a walkthrough's Height +3 made a dress boxier and
    nothing said why)."""
    hold = getattr(vectors, "hold", None)
    up = [n for n in FRAME_SIZES if values.get(n, 0.0) > 0]
    if hold is None or not up:
        return []
    with torch.no_grad():
        image = hold.decode(ref.reshape(1, -1))
    extent = measure(image)
    return [n for n in up if float(extent[n][0]) >= content - 1.0 / image.shape[-1]]


RESHAPE_FROM = 1.0  # size slider values from which reshaped_only looks at the item's overall extent
AS_FAR = {"height": "tall", "width": "wide"}  # how filling_words and DRAWN_FULL say the frame's limit:
# not "fills the frame side to side" (walkthrough 54: the tan bag, at the model's 28 of 32 pixels, shows a
# margin inside the canvas's dashed square, which is the model's whole frame)
DRAWN_FULL = {n: f"the model draws such items as {AS_FAR[n]} as anything it draws" for n in AS_FAR}


def reshaped_only(vectors: dict, ref: torch.Tensor, code: torch.Tensor, reached: dict[str, float],
                  content: float) -> dict[str, bool]:
    """{size slider: whether its item spans the model's frame that way} for the size sliders of
    `reached` (the values they reach) at RESHAPE_FROM or more whose item, drawn from `code` against
    `ref`, moved its typical extent at least half a model pixel their way and its overall extent
    (the box) less than that: the slider reshaped the item without resizing it (`content` as
    filling_frame's). Fashion-MNIST draws trousers the frame's full height: Height -3 narrows their
    waist."""
    hold = getattr(vectors, "hold", None)
    moved = [n for n in FRAME_SIZES if abs(reached.get(n, 0.0)) >= RESHAPE_FROM]
    if hold is None or not moved:
        return {}
    with torch.no_grad():
        images = hold.decode(torch.stack([ref.reshape(-1), code.reshape(-1)]))
    m, side = measure(images), images.shape[-1]
    out = {}
    for n in moved:
        way = side * (1.0 if reached[n] > 0 else -1.0)
        typical = m[CALIBRATED_BY[n]]
        if way * float(m[n][1] - m[n][0]) < 0.5 <= way * float(typical[1] - typical[0]):
            out[n] = float(m[n][0]) >= content - 1.0 / side
    return out


def reshaped_words(name: str, spans: bool, short: bool = False) -> str:
    """What is said of a size slider that reshaped_only finds (`spans`: its item spans the frame
    that way); `short` where several sliders share one line."""
    if short:
        return f"reshaped, overall {name} kept"
    return f"it reshapes the item but keeps its overall {name}" + (f" ({DRAWN_FULL[name]})" if spans else "")


def filling_words(name: str, short: bool = False) -> str:
    """What is said of a size slider pushed up on an item that already fills the frame that way
    (filling_frame); `short` where several sliders share one line."""
    if short:
        return f"it is already as {AS_FAR[name]} as the model draws"
    return (f"this item is already as {AS_FAR[name]} as the model draws anything, so it fills out instead "
            f"of growing {FRAME_SIZES[name]}")
