"""Drags given in photo pixels (the CLI's input, `latent-edit edit --drag`): parsed, carried into
the model's pixels through the photo's mapping, with an optional mask image, and run by
editing.drag with a record for the export's recipe."""
from __future__ import annotations

import os
import re

import cv2
import numpy as np
import torch

from editing.drag import DragConfig, DragError, DragPoint, run_drag
from editing.offset import FeatureOffset
from inversion.framing import DomainMapping
from training.modelfile import GANModel

_DRAG = re.compile(r"^\s*([-+]?[\d.]+)\s*,\s*([-+]?[\d.]+)\s*->\s*([-+]?[\d.]+)\s*,\s*([-+]?[\d.]+)\s*$")


def parse_drag(text: str, option: str = "--drag") -> DragPoint:
    """"x0,y0->x1,y1" (photo pixels) -> DragPoint, still in photo pixels."""
    m = _DRAG.match(text)
    if not m:
        raise DragError(f"{option} {text!r}: write FROM->TO as x0,y0->x1,y1 in photo pixels, "
                        f"e.g. 120,80->128,70")
    x0, y0, x1, y1 = map(float, m.groups())
    return DragPoint((x0, y0), (x1, y1))


def to_model(points: list[DragPoint], mapping: DomainMapping) -> list[DragPoint]:
    """Drag points in photo pixels -> model pixels, through the photo's mapping."""
    return [DragPoint(mapping.to_model_point(*p.handle), mapping.to_model_point(*p.target))
            for p in points]


def read_mask(path: str | os.PathLike, mapping: DomainMapping, what: str = "drag mask") -> torch.Tensor:
    """A mask image at the photo's size (white: may change) -> (R, R) in [0, 1] in model pixels."""
    from PIL import Image, UnidentifiedImageError

    name = os.path.basename(path)
    try:
        with Image.open(path) as img:
            grey = np.asarray(img.convert("L"), np.float32) / 255.0
    except (OSError, UnidentifiedImageError) as e:
        raise DragError(f"cannot read the {what} {name}: {e}") from e
    w, h = mapping.photo_size
    if grey.shape != (h, w):
        raise DragError(f"the {what} {name} is {grey.shape[1]}x{grey.shape[0]}, but the photo is "
                        f"{w}x{h}; paint the mask on a copy of the photo")
    r = mapping.resolution
    model = cv2.warpAffine(grey, mapping.matrix, (r, r), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if not (model > 0.5).any():
        raise DragError(f"the {what} {name} has no white inside the framed object; paint white "
                        f"where things may change")
    return torch.from_numpy(np.clip(model, 0, 1))


def check_on_part(points: list[DragPoint], mapping: DomainMapping, mask: torch.Tensor) -> None:
    """DragError unless every handle (photo pixels) lies on the mask's painted part: a part moved
    whole moves what the mask paints, and a handle off it neither moves nor moves the part."""
    from editing.region import covers

    for i, p in enumerate(to_model(points, mapping), 1):
        if not covers(mask, p.handle):
            x, y = points[i - 1].handle
            raise DragError(f"drag {i}: its handle ({x:g}, {y:g}) is not on the part --drag-mask "
                            f"paints; --drag-whole moves that part: put each handle on it")


def drag_photo(model: GANModel, code: torch.Tensor, points: list[DragPoint], mapping: DomainMapping,
               mask: torch.Tensor | None, cfg: DragConfig, mask_path: str | None = None
               ) -> tuple[torch.Tensor, FeatureOffset | None, dict]:
    """Drag with points in photo pixels: (the resulting code (D,), its feature offset, the recipe's
    record of the drag: the points in photo and model pixels, the mask file, the settings, the
    steps and where the handles ended). The export is rebuilt from the recipe's code and offset,
    so it needs no drag to run again."""
    from training.fileio import sha256_file

    model_points = to_model(points, mapping)
    last = run_drag(model, code, model_points, mask, cfg)
    record = {"points": [p.to_dict() for p in points], "space": "photo",
              "model_points": [p.to_dict() for p in model_points],
              "mask": {"path": os.path.abspath(mask_path), "sha256": sha256_file(mask_path)}
              if mask_path else None,
              "config": cfg.to_dict(), "steps": last.step, "distance": last.distance,
              "handles": [list(h) for h in last.handles], "start_code": code.reshape(-1).tolist()}
    return last.code, last.offset, record
