"""The warp brush (iGAN, Zhu et al. 2016, section 5): drag pixels along a stroke, then find the code
whose image matches the warped image inside the brushed region.

The warp is a smooth local displacement (a "forward warp" as in image editors' liquify tools): an
output pixel p takes its value from p - k(p) * (end - start), where k falls from 1 on the segment
from start to end to 0 at `radius` from it, so what lay under the brush at the start is carried
along to the end and its surroundings stretch to follow. The solver (editing.solver, with the
model's settings, candidates ranked as for strokes) then minimises the distance to the warped image
where k > 0 (a colour constraint whose target is the warped image), plus the usual closeness and
realism terms and the strokes' hold (the picture kept as it is beyond the warp's reach,
editing.solver.hold_outside). A warp applies once: its result is a code, recorded in the history
and the recipe. On the photo the warp lands as motion (editing.motion.brush_motion): the photo's own
pixels pushed along, the code being what later edits' change is measured from.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import torch
import torch.nn.functional as F

from editing.offset import FeatureOffset, drawing
from editing.solver import Constraints, SolverConfig, SolverStep, Stroke
from training.errors import UserError
from training.modelfile import GANModel


MAX_WARP = 10_000.0  # model pixels: a warp's points and radius in a file (the models are 32-64 px)


class WarpError(UserError):
    """A warp that cannot be used; the message says why."""


@dataclass(frozen=True)
class Warp:
    start: tuple[float, float]  # (x, y) model pixels: where the brush was pressed
    end: tuple[float, float]  # (x, y) model pixels: where it was released
    radius: float = 4.0  # model pixels around the path that move along

    def to_dict(self) -> dict:
        return {"start": list(self.start), "end": list(self.end), "radius": self.radius}

    @classmethod
    def from_dict(cls, d: dict) -> "Warp":
        try:
            warp = cls(tuple(map(float, d["start"])), tuple(map(float, d["end"])), float(d["radius"]))
        except (KeyError, TypeError, ValueError) as e:
            raise WarpError(f"malformed warp {d!r}: {e}") from e
        numbers = (*warp.start, *warp.end, warp.radius)
        if len(warp.start) != 2 or len(warp.end) != 2 or not all(map(math.isfinite, numbers)) or \
                not 0 < warp.radius <= MAX_WARP or max(map(abs, numbers)) > MAX_WARP:
            raise WarpError(f"malformed warp {d!r}: two points and a positive radius, model pixels")
        return warp

    def band(self) -> Stroke:
        """The band the warp moved things in, as a stroke: where a face edit lands besides the face
        region (editing.landing.strokes_reach), as a stroke's band does."""
        return Stroke("sketch", (self.start, self.end), self.radius)


def reach_strokes(strokes, warps) -> tuple[Stroke, ...]:
    """The strokes and the warps' bands (Warp.band): what a face edit lands near besides the face
    region (editing.landing.strokes_reach)."""
    return tuple(strokes) + tuple(w.band() for w in warps)


def falloff(warp: Warp, resolution: int, core: float = 0.0) -> torch.Tensor:
    """k (R, R): 1 on the segment start-end and within `core` of it, smoothly 0 at `radius` from it
    (pixel centres i + 0.5)."""
    c = torch.arange(resolution, dtype=torch.float32) + 0.5
    py, px = torch.meshgrid(c, c, indexing="ij")
    return falloff_at(warp, px, py, core)


def falloff_at(warp: Warp, px: torch.Tensor, py: torch.Tensor, core: float = 0.0) -> torch.Tensor:
    """k at the model points (px, py) (any shape, model pixels), as `falloff`."""
    a = torch.tensor(warp.start, dtype=px.dtype)
    ab = torch.tensor(warp.end, dtype=px.dtype) - a
    p = torch.stack([px, py], -1)
    t = (((p - a) * ab).sum(-1) / (ab @ ab).clamp_min(1e-9)).clamp(0, 1)
    d = (p - (a + t[..., None] * ab)).norm(dim=-1)
    core = min(max(core, 0.0), warp.radius)  # whole within the core, never beyond the radius
    s = (1 - (d - core).clamp_min(0) / max(warp.radius - core, 1e-6)).clamp(0, 1)
    return s * s * (3 - 2 * s)


def warp_image(image: torch.Tensor, warp: Warp, core: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(the warped image (C, R, R), k (R, R)) for an image (C, R, R); `core` as in falloff."""
    r = image.shape[-1]
    if warp.radius <= 0:
        raise WarpError("a warp's radius must be positive")
    k = falloff(warp, r, core)
    c = torch.arange(r, dtype=torch.float32) + 0.5
    py, px = torch.meshgrid(c, c, indexing="ij")
    shift = torch.tensor(warp.end) - torch.tensor(warp.start)
    src = torch.stack([px - k * shift[0], py - k * shift[1]], -1)  # (R, R, 2) where each pixel reads
    grid = (src / r * 2 - 1)[None]
    warped = F.grid_sample(image[None], grid, mode="bilinear", padding_mode="border", align_corners=False)
    return warped[0], k


def warp_constraints(current: torch.Tensor, warps: list[Warp]) -> Constraints:
    """The warps applied one after another to the current image (C, R, R), as the solver's
    constraints: the warped image where any warp moved things (the largest k)."""
    if not warps:
        raise WarpError("no warps: drag along the image with the warp brush")
    target, region = current.detach().clone(), torch.zeros(current.shape[-2:])
    for w in warps:
        target, k = warp_image(target, w)
        region = torch.maximum(region, k)
    zeros = torch.zeros_like(region)
    return Constraints(color_mask=region, color_target=target, sketch_mask=zeros,
                       preserve_mask=zeros, preserve_target=current.detach().clone())


def solve_warps(model: GANModel, z_ref: torch.Tensor, z: torch.Tensor, warps: list[Warp],
                cfg: SolverConfig, offset: FeatureOffset | None = None,
                photo: torch.Tensor | None = None) -> Iterator[SolverStep]:
    """The solver's steps towards the warped image of code z (D,) (drawn with an earlier drag's
    `offset`, if any; the class read on `photo` with the change added); as
    editing.edit.solve_strokes."""
    from editing.edit import solve_strokes

    with torch.no_grad():
        current = drawing(model, offset)(z.reshape(1, -1))[0]
    yield from solve_strokes(model, z_ref, z, warp_constraints(current, warps), cfg, offset, photo)


def warp_code(model: GANModel, z_ref: torch.Tensor, z: torch.Tensor, warps: list[Warp],
              cfg: SolverConfig, candidate: int = 0, photo: torch.Tensor | None = None) -> torch.Tensor:
    """The chosen candidate's code (D,) after the warps (the CLI's way to run them)."""
    last = None
    for last in solve_warps(model, z_ref, z, warps, cfg, photo=photo):
        pass
    if not 0 <= candidate < len(last.z):
        raise WarpError(f"candidate {candidate} does not exist; the solver made {len(last.z)}")
    return last.z[candidate].clone()


def photo_warp(point, mapping, radius: float | None = None) -> Warp:
    """A warp given in photo pixels (an editing.drag.DragPoint: handle = start, target = end;
    radius in photo pixels, None: 4 model pixels) -> a Warp in model pixels."""
    return Warp(mapping.to_model_point(*point.handle), mapping.to_model_point(*point.target),
                radius * mapping.scale if radius else 4.0)
