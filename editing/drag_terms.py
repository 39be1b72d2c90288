"""A drag step's pieces (editing.drag): what it optimises (DragGAN's motion supervision,
FreeDrag's template, the hold on what may not move, the warp term) and how the handles are followed
(point tracking), on feature maps or images read bilinearly at model-pixel points."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def sample(features: torch.Tensor, points: torch.Tensor, resolution: int) -> torch.Tensor:
    """Features (1, C, h, h) read bilinearly at points (N, 2) given in model pixels (x, y) of an
    R x R image -> (N, C); the map is seen as the image's own grid enlarged (align_corners=False)."""
    grid = (points / resolution * 2 - 1).reshape(1, 1, -1, 2)  # pixel centres line up at any h
    out = F.grid_sample(features, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return out[0, :, 0].T  # (N, C)


def disk_offsets(radius: float) -> torch.Tensor:
    """(K, 2) integer offsets (x, y) within `radius` of 0."""
    r = int(radius)
    d = torch.arange(-r, r + 1, dtype=torch.float32)
    dy, dx = torch.meshgrid(d, d, indexing="ij")
    keep = dx ** 2 + dy ** 2 <= radius ** 2
    return torch.stack([dx[keep], dy[keep]], 1)


def motion_loss(features: torch.Tensor, handles: torch.Tensor, targets: torch.Tensor,
                disk: torch.Tensor, resolution: int) -> torch.Tensor:
    """Pull the features around each handle one pixel towards its target: mean over handles and
    disk points of |F(q + d) - sg(F(q))|_1, d the unit direction (the rest of the way, if closer)."""
    loss = features.new_zeros(())
    for p, t in zip(handles, targets):
        gap = t - p
        d = gap / gap.norm().clamp_min(1.0)  # at most one pixel
        q = p + disk  # (K, 2)
        here = sample(features, q, resolution).detach()
        loss = loss + (sample(features, q + d, resolution) - here).abs().mean()
    return loss / len(handles)


def template_loss(features: torch.Tensor, handles: torch.Tensor, targets: torch.Tensor,
                  disk: torch.Tensor, templates: torch.Tensor, resolution: int) -> torch.Tensor:
    """Make the disk one pixel further along look like the disk around the handle did at the start
    (templates (N, K, C)): mean |F(p + d + o) - F_start(h + o)|_1 (after FreeDrag's templates,
    Ling et al. 2023): the same thing moves, rather than a look-alike appearing."""
    loss = features.new_zeros(())
    for p, t, tpl in zip(handles, targets, templates):
        gap = t - p
        d = gap / gap.norm().clamp_min(1.0)
        loss = loss + (sample(features, p + d + disk, resolution) - tpl).abs().mean()
    return loss / len(handles)


def hold_loss(features: torch.Tensor, start: torch.Tensor, outside: torch.Tensor) -> torch.Tensor:
    """Mean |F - F_start| where `outside` (1, 1, h, h) is 1: what must not move."""
    return ((features - start).abs() * outside).mean()


def warp_loss(image: torch.Tensor, target: torch.Tensor, reach: torch.Tensor) -> torch.Tensor:
    """The squared difference (mean over channels) of image and target (1, C, R, R), averaged with
    the weights `reach` (R, R): the warp's falloff, 1 on the drag path, 0 beyond its radius."""
    return (((image - target) ** 2).mean(1)[0] * reach).sum() / reach.sum().clamp_min(1e-6)


def track(features: torch.Tensor, handles: torch.Tensor, reference: torch.Tensor, search: int,
          resolution: int, around: torch.Tensor | None = None) -> torch.Tensor:
    """Each handle (N, 2) moved to the pixel centre within `search` pixels of it whose features
    are nearest (L1) to its reference features: (N, C) at the point, or with `around` (K, 2)
    offsets, (N, K, C) at the point plus each offset (a patch of features, harder to mistake)."""
    d = torch.arange(-search, search + 1, dtype=torch.float32)
    dy, dx = torch.meshgrid(d, d, indexing="ij")
    window = torch.stack([dx.reshape(-1), dy.reshape(-1)], 1)  # (W, 2)
    offsets = torch.zeros(1, 2) if around is None else around  # (K, 2)
    out = []
    for p, f in zip(handles, reference):
        centre = torch.floor(p) + 0.5  # the pixel the handle lies in
        cand = (centre + window).clamp(0.5, resolution - 0.5)
        at = (cand[:, None] + offsets[None]).reshape(-1, 2)  # (W * K, 2)
        here = sample(features, at, resolution).reshape(len(cand), len(offsets), -1)  # (W, K, C)
        cost = (here - f.reshape(1, len(offsets), -1)).abs().sum(2).mean(1)  # (W,)
        out.append(cand[cost.argmin()])
    return torch.stack(out)


def mask_outside(mask: torch.Tensor | None, side: int) -> torch.Tensor | None:
    """What must stay, (1, 1, side, side) in [0, 1], from a mask (R, R) of what may move."""
    if mask is None:
        return None
    m = F.adaptive_avg_pool2d(mask.float().reshape(1, 1, *mask.shape[-2:]), side)
    return 1.0 - m.clamp(0, 1)
