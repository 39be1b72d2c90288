"""Region-limited sliders: a slider's change lands only inside a painted region.

Two parts, as for any edit:
1. The code: the stroke solver (editing.solver) starts from the slid code z_s and looks for the
   code whose image matches G(z_s) inside the region (a colour constraint whose target is G(z_s)
   itself) and G(z_before) outside it (a preserve constraint), near z_s, realistic by D.
2. The carry-back: the edit is carried onto the photo as usual (editing.export.render_edit) and
   then kept only inside the region, enlarged to the photo through the inverse of the mapping, so
   no change the code could not hold back lands outside.
The region is recorded in the recipe (model pixels), so the export is rebuilt from it bit for bit.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch

from editing.solver import Constraints, SolverConfig, solve
from inversion.framing import DomainMapping
from training.modelfile import GANModel

REGION_SOLVER = SolverConfig(steps=40, candidates=1)  # one start: the slid code itself


def region_constraints(before: torch.Tensor, slid: torch.Tensor, region: torch.Tensor) -> Constraints:
    """Inside `region` (R, R) look like `slid`, outside like `before` (images (C, R, R))."""
    zeros = torch.zeros_like(region)
    return Constraints(color_mask=region, color_target=slid.detach().clone(), sketch_mask=zeros,
                       preserve_mask=1.0 - region, preserve_target=before.detach().clone())


def limit_to_region(model: GANModel, z_before: torch.Tensor, z_slid: torch.Tensor,
                    region: torch.Tensor, cfg: SolverConfig = REGION_SOLVER) -> torch.Tensor:
    """The code (D,) whose image has the slid look inside `region` (R, R) and the old one outside."""
    with torch.no_grad():
        before = model.decode(z_before.reshape(1, -1))[0]
        slid = model.decode(z_slid.reshape(1, -1))[0]
    std = model.code_spread()[1] if model.latent_space == "w" else None
    last = None
    for last in solve(model.decode, model.discriminator, z_slid.reshape(-1),
                      region_constraints(before, slid, region.float()), cfg, std=std):
        pass
    return last.z[0].clone()


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
    weight = region_to_photo(region, mapping)[..., None]
    mixed = original + (edited.astype(np.float32) - original) * weight
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def region_record(region: torch.Tensor) -> list[list[float]]:
    """The region as the recipe holds it (rounded, so reading it back gives the same weights)."""
    return np.round(region.numpy().astype(np.float64), 4).tolist()
