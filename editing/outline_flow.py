"""Where an edit moves an object's outline, the photo's own pixels move with it.

A slider that widens trousers (or a stroke that lengthens a sleeve) moves the object's outline.
Carried back as a change (editing.compositing), the new outline came as the generator's blurred
repaint in the photo's tint while the photo's own edges, seams and print stayed where they were:
jeans widened by a translucent second leg beside the first, a dress by a pale stripe where its old
edge had been (looked at: benchmarks/results/outline_flow.md). So the carry-back first moves the
photo as the generator's picture moved: the optical flow from the edited picture back to the
unedited one (OpenCV's DIS, Kroeger et al. 2016, on the two pictures' luminance enlarged UP times)
says where each point of the edited picture came from; the photo's crop is resampled along it
(`move_patch`), and only what the motion does not explain, after - before moved (`warp_model`), is
carried back as a change. A flow that leaves most of the change unexplained (a brightness slider
changes the picture without moving it) or moves nothing is not used (`outline_flow` says None),
and the change is carried back as before.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch

from training.pixels import LUMA

UP = 4  # the pictures are enlarged this many times for the flow: sub-pixel moves of a 32 px model
SMOOTH = 1.0  # model px: the flow is blurred this much, so that a print or a logo inside the item
# stretches instead of swirling or tearing where the flow of a blurred 32 px picture is noisy (a
# walkthrough saw jeans narrowed by "Width -2" swirl; on that edit the share of the change the flow
# leaves unexplained rose from 0.47 to 0.53, scratch measurement)
UNEXPLAINED = 0.7  # the flow is used when the moved unedited picture differs from the edited one by
# at most this share of what the unmoved one does (mean absolute levels): it explains 30% or more
LEAST_MOVE = 0.25  # model px: a flow whose longest move is shorter moves nothing worth resampling
STILL = 0.05  # model px: a point the flow moves less than this stays where it is (a twentieth of a
# model pixel, a fraction of a photo pixel: the flow's noise over the plain background)
BAND = 1 << 18  # photo pixels resampled at a time (the maps of a large export's crop: 8 bytes each)


def _luminance(image: torch.Tensor) -> np.ndarray:
    """(R UP, R UP) uint8: a model picture (C, R, R) in [-1, 1] as luminance, enlarged UP times."""
    x = image.detach().float().cpu().numpy()
    grey = x[0] if x.shape[0] == 1 else np.tensordot(LUMA.astype(np.float32), x[:3], axes=1)
    levels = np.clip(np.rint((grey + 1) * 127.5), 0, 255).astype(np.uint8)
    r = levels.shape[0]
    return cv2.resize(levels, (r * UP, r * UP), interpolation=cv2.INTER_CUBIC)


def outline_flow(before: torch.Tensor, after: torch.Tensor) -> tuple[np.ndarray, torch.Tensor] | None:
    """(flow, `before` moved along it (warp_model)), or None where the edit moved nothing or the
    motion leaves more than UNEXPLAINED of the change (it is carried back as a change alone then).
    The flow, (R UP, R UP, 2) float32: for each point of `after` (C, R, R) on the grid UP times
    finer than the model's, how far (in fine pixels) its source lies in `before`. The same pictures
    give the same flow, whatever OpenCV's threads (recipes rebuild bit for bit on the same build of
    OpenCV; another build's arithmetic may differ in the last bits, as the guided carry-back's)."""
    if torch.equal(before, after):
        return None  # nothing changed: no flow to find (an unedited frame)
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(
        _luminance(after), _luminance(before), None)
    flow = cv2.GaussianBlur(flow, (0, 0), SMOOTH * UP)  # no tears inside a print (walkthrough)
    length = cv2.magnitude(flow[..., 0], flow[..., 1])
    if float(length.max()) < LEAST_MOVE * UP:
        return None
    flow[length < STILL * UP] = 0.0  # the background stays the photo's, bit for bit
    moved = warp_model(before, flow)
    if float((after - moved).abs().mean()) > UNEXPLAINED * float((after - before).abs().mean()):
        return None
    return flow, moved


def warp_model(image: torch.Tensor, flow: np.ndarray) -> torch.Tensor:
    """The model picture `image` (C, R, R) moved along `flow` (outline_flow's): what the edited
    picture shows of it, on the model's grid."""
    x = image.detach().float().cpu().numpy()
    r = x.shape[-1]
    fine = np.mgrid[0:r * UP, 0:r * UP].astype(np.float32)
    map_x, map_y = fine[1] + flow[..., 0], fine[0] + flow[..., 1]
    planes = []
    for plane in x:
        big = cv2.resize(plane, (r * UP, r * UP), interpolation=cv2.INTER_CUBIC)
        moved = cv2.remap(big, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        planes.append(cv2.resize(moved, (r, r), interpolation=cv2.INTER_AREA))
    return torch.from_numpy(np.stack(planes)).to(dtype=image.dtype, device=image.device)


def move_patch(pixels: np.ndarray, matrix: np.ndarray, flow: np.ndarray,
               box: tuple[int, int, int, int], moved: np.ndarray | None = None) -> np.ndarray:
    """The photo's crop `box` (x0, y0, x1, y1) of `pixels` (H, W, 3) uint8 with its pixels moved
    along `flow` (outline_flow's); `moved` (the crop's (H', W') float32), if given, set to 1 where
    they moved (a large photo's carry-back keeps no mask of its own for it). Read from the whole photo
    (what moves in may come from beyond the crop); `matrix` 2x3 takes photo pixels to model pixels
    (DomainMapping.matrix). A photo pixel p reads from p + A^-1 F(M p), A the matrix's linear part
    and F the flow in model px: the flow is turned into photo pixels on its own fine grid and
    carried onto the crop by one affine resample. A new array; pixels the flow does not move are
    the photo's, bit for bit; in bands of rows, so a large photo's crop costs a band's maps at a
    time."""
    x0, y0, x1, y1 = box
    h, w = pixels.shape[:2]
    out = pixels[y0:y1, x0:x1].copy()
    shift = (flow / UP) @ np.linalg.inv(matrix[:, :2]).T.astype(np.float32)  # photo px, fine grid
    columns = np.arange(x0, x1, dtype=np.float32)[None]
    step = max(1, BAND // max(1, x1 - x0))
    for top in range(y0, y1, step):
        rows = min(y1, top + step) - top
        # band pixel (i, j) -> fine grid index: UP * (M (x0 + j + 0.5, top + i + 0.5) + t) - 0.5
        to_fine = UP * np.hstack([matrix[:, :2], matrix[:, :2] @ [[x0 + 0.5], [top + 0.5]] + matrix[:, 2:]])
        to_fine[:, 2] -= 0.5
        dx, dy = (cv2.warpAffine(np.ascontiguousarray(shift[..., k]), to_fine, (x1 - x0, rows),
                                 flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                 borderMode=cv2.BORDER_REPLICATE) for k in (0, 1))
        band = (dx != 0) | (dy != 0)
        if not band.any():
            continue
        dx += columns
        dy += np.arange(top, top + rows, dtype=np.float32)[:, None]  # source index coordinates
        wx0, wy0 = max(0, int(np.floor(dx.min())) - 3), max(0, int(np.floor(dy.min())) - 3)
        wx1, wy1 = min(w, int(np.ceil(dx.max())) + 4), min(h, int(np.ceil(dy.max())) + 4)
        dx -= wx0
        dy -= wy0
        warped = cv2.remap(pixels[wy0:wy1, wx0:wx1], dx, dy, cv2.INTER_CUBIC,
                           borderMode=cv2.BORDER_REFLECT).reshape(rows, x1 - x0, -1)
        np.copyto(out[top - y0:top - y0 + rows], warped, where=band[..., None])
        if moved is not None:
            np.putmask(moved[top - y0:top - y0 + rows], band, np.float32(1))
    return out
