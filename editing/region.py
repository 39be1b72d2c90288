"""Region-limited sliders: a slider's change lands only inside a painted region.

Two parts, as for any edit:
1. The code: the stroke solver (editing.solver) starts from the slid code z_s and looks for the
   code whose image matches G(z_s) inside the region (a colour constraint whose target is G(z_s)
   itself) and G(z_before) outside it (a preserve constraint), near z_s, realistic by D.
2. The carry-back: the edit is carried onto the photo as usual (editing.export.render_edit) and
   then kept only inside the region, enlarged to the photo through the inverse of the mapping, so
   no change the code could not hold back lands outside.
The region is recorded in the recipe (model pixels), so the export is rebuilt from it bit for bit.
In the editor a region keeps, outside it, the edit it was painted on (strokes, sliders and drags
made before it): the recipe records that edit too (`region_under`: its code, drag offset and
strokes), and the export outside the region is that edit's; without it, the photo as it was.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch

from typing import Iterator

from editing.offset import FeatureOffset, drawing
from editing.solver import Constraints, SolverConfig, SolverStep, solve
from inversion.framing import DomainMapping
from training.modelfile import GANModel
from training.validate import Fields

REGION_SOLVER = SolverConfig(steps=40, candidates=1)  # one start: the slid code itself
MAX_REGION_SIDE = 1024  # model pixels on a region's side in a file (the models are 32 and 64 px)


def region_constraints(before: torch.Tensor, slid: torch.Tensor, region: torch.Tensor) -> Constraints:
    """Inside `region` (R, R) look like `slid`, outside like `before` (images (C, R, R))."""
    zeros = torch.zeros_like(region)
    return Constraints(color_mask=region, color_target=slid.detach().clone(), sketch_mask=zeros,
                       preserve_mask=1.0 - region, preserve_target=before.detach().clone())


def region_steps(model: GANModel, z_before: torch.Tensor, z_slid: torch.Tensor, region: torch.Tensor,
                 cfg: SolverConfig = REGION_SOLVER, offset: FeatureOffset | None = None
                 ) -> Iterator[SolverStep]:
    """The solver's steps towards the code with the slid look inside `region` (R, R) and the old
    one outside, every code drawn with an earlier drag's `offset` if any; the last step's z[0] is
    the result (the editor runs this as a job)."""
    draw = drawing(model, offset)
    with torch.no_grad():
        before = draw(z_before.reshape(1, -1))[0]
        slid = draw(z_slid.reshape(1, -1))[0]
    std = model.code_spread()[1] if model.latent_space == "w" else None
    yield from solve(draw, model.critic, z_slid.reshape(-1),
                     region_constraints(before, slid, region.float()), cfg, std=std)


def limit_to_region(model: GANModel, z_before: torch.Tensor, z_slid: torch.Tensor,
                    region: torch.Tensor, cfg: SolverConfig = REGION_SOLVER) -> torch.Tensor:
    """The code (D,) whose image has the slid look inside `region` (R, R) and the old one outside."""
    last = None
    for last in region_steps(model, z_before, z_slid, region, cfg):
        pass
    return last.z[0].clone()


def paint_disk(region: torch.Tensor | None, resolution: int, x: float, y: float, radius: float,
               erase: bool = False, since: tuple[float, float] | None = None) -> torch.Tensor:
    """`region` (R, R) (None: empty) with a disk at model pixel (x, y), `radius` model pixels,
    added (or, `erase`, taken away); a new tensor, so that history states stay as they were. With
    `since` (the brush's last point), every disk along the way from there too: a quick drag, whose
    mouse moves come far apart, painted separate blots (walkthrough)."""
    c = torch.arange(resolution, dtype=torch.float32) + 0.5
    px, py = c[None, :], c[:, None]
    if since is not None:  # the distance to the segment from `since` to (x, y)
        ax, ay = since
        dx, dy = x - ax, y - ay
        t = (((px - ax) * dx + (py - ay) * dy) / max(dx * dx + dy * dy, 1e-9)).clamp(0, 1)
        px, py, x, y = px - t * dx, py - t * dy, ax, ay
    disk = (((px - x) ** 2 + (py - y) ** 2).sqrt() <= max(0.75, radius)).float()
    region = torch.zeros(resolution, resolution) if region is None else region
    return region * (1.0 - disk) if erase else torch.maximum(region, disk)


class BrushStroke:
    """One press-to-release stroke of a mask brush (the region tool's, the drag mask's): whether it
    erases, decided at its press, and where it painted last, so that each disk joins the one
    before (paint_disk's `since`)."""

    def __init__(self, erase: bool = False):
        self.erase, self.last = erase, None

    def paint(self, region: torch.Tensor | None, resolution: int, x: float, y: float,
              radius: float) -> torch.Tensor:
        region = paint_disk(region, resolution, x, y, radius, self.erase, self.last)
        self.last = (x, y)
        return region


def covers(region: torch.Tensor, point) -> bool:
    """Whether the model point (x, y) lies on the region's painted part (its pixel over half, as a
    part moved whole counts it: editing.motion)."""
    r = region.shape[-1]
    x, y = (min(r - 1, max(0, int(c))) for c in point)
    return bool(region[y, x] > 0.5)


def shifted(region: torch.Tensor, dx: float, dy: float) -> torch.Tensor:
    """The region (R, R) moved by (dx, dy) model pixels rounded to whole ones: a part moved whole
    again and again keeps its size and shape (a bilinear copy wore away a quarter of a brow's band
    in four moves: a review). Nothing comes in at the edges."""
    r = region.shape[-1]
    sx, sy = int(round(dx)), int(round(dy))
    out = torch.zeros_like(region)
    if abs(sx) < r and abs(sy) < r:
        out[max(0, sy):r + min(0, sy), max(0, sx):r + min(0, sx)] = \
            region[max(0, -sy):r - max(0, sy), max(0, -sx):r - max(0, sx)]
    return out


def region_to_photo(region: np.ndarray, mapping: DomainMapping) -> np.ndarray:
    """A region (R, R) in model pixels -> (H, W) float32 weights on the photo (0 outside the crop)."""
    w, h = mapping.photo_size
    photo = cv2.warpAffine(np.asarray(region, np.float32), mapping.matrix, (w, h),
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return np.clip(photo, 0.0, 1.0)


def confine(original: np.ndarray, edited: np.ndarray, region: np.ndarray,
            mapping: DomainMapping) -> np.ndarray:
    """The edited photo (H, W, 3) uint8 kept only inside the region (R, R); the original elsewhere,
    bit for bit."""
    weight = region_to_photo(region, mapping)
    out = original.copy()
    rows, cols = np.flatnonzero(weight.any(1)), np.flatnonzero(weight.any(0))
    if rows.size == 0:
        return out
    # Only the region's bounding box is mixed (a slider preview at 1024 px: ~10x faster); outside
    # it the weight is 0 and the original is kept as is.
    box = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    before = original[box].astype(np.float32)
    mixed = before + (edited[box].astype(np.float32) - before) * weight[box][..., None]
    out[box] = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    return out


def region_record(region: torch.Tensor) -> list[list[float]]:
    """The region as the recipe holds it (rounded, so reading it back gives the same weights)."""
    return np.round(region.numpy().astype(np.float64), 4).tolist()


def as_recorded(region: torch.Tensor) -> torch.Tensor:
    """The region (R, R) float32 exactly as reading its record back gives it (the editor keeps
    this one, so that the screen, the export and `latent-edit --recipe` use the same weights)."""
    return torch.tensor(region_record(region), dtype=torch.float32)


def check_region(f: Fields, region, where: str) -> list:
    """A region as sessions and recipes hold it: a square of rows of numbers in [0, 1]."""
    rows = f.list(region, where, MAX_REGION_SIDE)
    if not rows:
        f.fail(where, "a region (rows of numbers from 0 to 1)", region)
    for i, row in enumerate(rows):
        f.numbers(row, f"{where}[{i}]", len(rows), 0.0, 1.0)
    return rows
