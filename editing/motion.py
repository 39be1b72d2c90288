"""A drag carried back onto a photo as motion: the photo's own pixels moved as the drag moved the
model's picture, not the generator's repaint of them.

A point drag (editing.drag) ends with a code and a feature offset whose picture, at 64 px on a CPU,
blurs what it moves: carried back as a change (editing.compositing), a drag of the astronaut's mouth
corner left grey-blue blotches on the cheek while the mouth hardly moved. So a drag lands on the
photo as a liquify warp from each handle to where the drag's tracking left it: the photo's own
pixels, sharp, moved as far as the generator moved the point. The generator's picture after the
drag stays what later edits are measured from (a slider after a drag changes the moved photo by
G(z) - G(drag's end)), so the drag's own repaint never reaches the photo.

`drag_motion` sets the warp: each move reaches REACH times its length around its path (within
REACH_SIDE of the model's side, never so little that the picture folds), carried whole within CORE
of it; several moves apply together, each carrying what lies near its own handle once. A drag's
mask holds what it leaves out, the motion fading out across its edge (over MASK_EDGE, or MASK_FADE
times the move). Pixels the motion does not reach are the photo's, bit for bit.

A drag can instead move what its mask paints as a whole (`whole`): the painted part is carried
rigidly by the handles' mean move and what lies around it stretches, over WHOLE_REACH times the
move (or the Reach set), most right beside the part, so that an eyebrow rises without the eye
below it. A brush-shaped falloff cannot do that: moving a feature 3 model px away from one that
must stay is a shear, and a mask that holds the rest pulls the lid into the brow's lower edge.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from editing.region import as_recorded, check_region, region_record
from editing.warp import MAX_WARP, Warp, WarpError, falloff_at
from inversion.framing import DomainMapping
from training.validate import Fields

MAX_MOVES = 64  # moves in one drag read from a file (the editor's drags have a handful)
REACH = 3.0  # a drag's motion reaches this many times its length around the path (twice bent a
# mouth corner's lips into an S, four moved as far as a quarter of the side did) ...
REACH_SIDE = (1 / 10, 1 / 2)  # ... and at least / at most these shares of the model's side ...
UNFOLDED = 1.6  # ... but never under this many times the move beyond the core: under 1.5 the
# smoothstep's slope times the move passes 1 and the picture folds over itself
CORE = 1.0  # model pixels around the path carried whole (k = 1)
MASK_EDGE = 2.0  # model pixels across a drag mask's edge over which the motion fades to 0 ...
MASK_FADE = 2.0  # ... or this many times the longest move, if more (no fold: see Motion.fade) ...
MASK_OUTSIDE = 0.25  # ... this share of it outside the mask (centred, 3 times the move, a brow's
# mask let the eye below it move 3 px of the brow's 3)
WHOLE_REACH = 2.0  # a part moved as a whole: what lies around it stretches over this many times the
# move (and CORE) beyond it, at least (the carry falls as (1 - d / reach)^2, steepest at the part's
# edge: 2 / reach times the move, under 1 there, so no fold) ...
WHOLE_FAR = 2.0  # ... and a Reach set larger reaches at most this many model sides beyond the part;
# the move itself at most the side along each axis (a file's is refused past it)
MASK_UP = 8  # the mask's fade is found on a grid this many times finer than the model's
WHOLE_GRID = 2048  # ... the grid a part moved whole is found on: at most this many cells a side (a
# 128 px model with a wide reach asked 5216^2, 1.1 GB and 2.7 s each frame of the live preview: a
# review), MASK_UP times finer than the model's where that fits
TILE = 512  # photo pixels on a side of the tiles a motion is applied in (memory; OpenCV's remap
# takes at most 32767 pixels a side)


def drag_motion(handles, ends, resolution: int, mask: torch.Tensor | None = None,
                reach: float | None = None, whole: bool = False) -> "Motion":
    """How a drag moves the photo: each handle ((x, y) model pixels) to where the drag left it
    (`ends`), reaching REACH times the move's length around its path (within REACH_SIDE of the
    model's side), or `reach` model pixels if the user set it, never so little that the picture
    folds; whole within CORE; only inside `mask` (R, R), if the drag had one. `whole`: what the
    mask paints moves as one piece by the handles' mean move, what lies around it stretching over
    WHOLE_REACH times that move (or `reach`) beyond it."""
    if whole and mask is None:
        raise WarpError("a drag moves a part as a whole only when a mask paints the part")
    low, high = (share * resolution for share in REACH_SIDE)

    def around(length: float) -> float:
        wanted = reach if reach else min(high, max(low, REACH * length + CORE))
        return max(UNFOLDED * length + CORE, wanted)

    moves = [(tuple(map(float, h)), tuple(map(float, e))) for h, e in zip(handles, ends)]
    if whole:  # one reach for the part, from its mean move
        shift = np.mean([np.subtract(e, h) for h, e in moves], axis=0)
        if np.abs(shift).max() > resolution:
            raise WarpError("a part moved whole moves at most the model's side along each axis")
        radius = whole_reach(shift, resolution, reach)
        return Motion(tuple(Warp(h, e, radius) for h, e in moves), CORE, as_recorded(mask), True)
    return Motion(tuple(Warp(h, e, float(around(math.dist(h, e)))) for h, e in moves), CORE,
                  None if mask is None else as_recorded(mask))


def brush_motion(warps) -> "Motion":
    """How Warp brush strokes (editing.warp.Warp, model px) move the photo: each pushes what lies
    within its radius along its path, as a drag's handle does within its reach (never so little
    that the picture folds), one after another. Before, a warp landed as the generator's repaint of
    the warped picture: a hem pushed down stayed where it was, the dress darkened and showed ghosts
    (a walkthrough)."""
    return Motion(tuple(Warp(w.start, w.end, max(UNFOLDED * math.dist(w.start, w.end) + CORE, w.radius))
                        for w in warps), CORE)


def whole_reach(shift, resolution: int, wanted: float | None = None) -> float:
    """Model px beyond a part moved whole by `shift` over which what lies around it stretches:
    `wanted` (the Reach set; None: the least), within WHOLE_REACH times the move and CORE (less
    folds the picture) and WHOLE_FAR sides, or that least if more."""
    least = WHOLE_REACH * float(np.hypot(*shift)) + CORE
    return float(min(max(wanted or 0.0, least), max(WHOLE_FAR * resolution, least)))


@dataclass(frozen=True, eq=False)
class Motion:
    """What one drag moved: each handle from where it was to where the drag left it (Warp's start
    and end, model pixels), within `radius` model pixels of its path, whole within `core`; the
    moves apply one after another, as the drag's warp target does (editing.drag.warped_start).
    With the drag's `mask` (R, R) in [0, 1], only what it paints moves (as the drag held the rest);
    `whole`: what it paints moves as one piece by the moves' mean shift, and what lies around it
    within the moves' radius stretches (`carried`)."""

    moves: tuple[Warp, ...]
    core: float = 0.0
    mask: torch.Tensor | None = None  # as recorded (editing.region.as_recorded)
    whole: bool = False

    def to_dict(self) -> dict:
        d = {"moves": [w.to_dict() for w in self.moves], "core": self.core}
        if self.mask is not None:
            d["mask"] = region_record(self.mask)
        if self.whole:
            d["whole"] = True
        return d

    @classmethod
    def from_dict(cls, d) -> "Motion":
        """The motion a session or recipe holds; WarpError naming what is wrong otherwise."""
        if not isinstance(d, dict) or not isinstance(d.get("moves"), list):
            raise WarpError(f"malformed drag motion {d!r}: moves (warps) and a core")
        if not 0 < len(d["moves"]) <= MAX_MOVES:
            raise WarpError(f"a drag motion moves 1 to {MAX_MOVES} points, not {len(d['moves'])}")
        moves = tuple(Warp.from_dict(m) for m in d["moves"])
        core = d.get("core", 0.0)
        if isinstance(core, bool) or not isinstance(core, (int, float)) or not math.isfinite(core) \
                or not 0 <= core <= MAX_WARP:
            raise WarpError(f"malformed drag motion: core {core!r} is not a number of model pixels")
        mask = d.get("mask")
        if mask is not None:
            try:
                check_region(Fields("the drag motion's mask", WarpError), mask, "mask")
            except WarpError as e:
                raise WarpError(f"malformed drag motion: {e}") from None
            mask = torch.tensor(mask, dtype=torch.float32)
        whole = d.get("whole", False)
        if not isinstance(whole, bool) or (whole and mask is None):
            raise WarpError(f"malformed drag motion: whole {whole!r} (true or false, and true only "
                            f"with a mask)")
        motion = cls(moves, float(core), mask, whole)
        if whole:  # what drag_motion makes, never less: a smaller reach folds or tears the picture
            r, shift = mask.shape[-1], motion.shift
            least = whole_reach(shift, r)
            if np.abs(shift).max() > r or min(w.radius for w in moves) < least - 1e-6:
                raise WarpError(f"malformed drag motion: a part moved whole by {shift.tolist()} model "
                                f"px moves at most {r} along each axis, within at least {least:.2f}")
        return motion

    def sources(self, qx: torch.Tensor, qy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Where each model point (qx, qy) reads from before the motion. The moves apply together:
        each point moves by its moves' shifts weighted by their falloffs k, divided by their sum
        where that passes 1, so two handles side by side carry what lies between them once (one
        after the other, the second carried again what the first had brought). Moved as a whole,
        each point by the mean shift times how much of it is carried (`carry_at`)."""
        if self.whole:
            g = self.carry_at(qx, qy)
            return qx - g * float(self.shift[0]), qy - g * float(self.shift[1])
        held = 1.0 if self.mask is None else self.mask_at(qx, qy)
        dx, dy, total = torch.zeros_like(qx), torch.zeros_like(qy), torch.zeros_like(qx)
        for w in self.moves:
            k = falloff_at(w, qx, qy, self.core)
            dx, dy, total = dx + k * (w.end[0] - w.start[0]), dy + k * (w.end[1] - w.start[1]), total + k
        scale = held / total.clamp_min(1.0)
        return qx - dx * scale, qy - dy * scale

    @property
    def shift(self) -> np.ndarray:
        """(dx, dy) model px: the moves' mean shift (how far a part moved as a whole goes)."""
        return np.mean([np.subtract(w.end, w.start) for w in self.moves], axis=0)

    @property
    def falloff(self) -> float:
        """Model px beyond a part moved as a whole over which what lies around it stretches (a
        file's radius held to whole_reach's bounds, as drag_motion makes it)."""
        return whole_reach(self.shift, self.mask.shape[-1], max(w.radius for w in self.moves))

    @property
    def margin(self) -> int:
        """Model px the carried grid reaches beyond the model's square on each side: the falloff
        and the shift (at most the side along each axis: drag_motion and from_dict see to it)."""
        return int(math.ceil(self.falloff + float(np.abs(self.shift).max()))) + 1

    @property
    def up(self) -> int:
        """Cells of the carried grid a model pixel: MASK_UP, fewer where the grid would pass
        WHOLE_GRID cells a side."""
        return max(1, min(MASK_UP, WHOLE_GRID // (self.mask.shape[-1] + 2 * self.margin)))

    @cached_property
    def carried(self) -> torch.Tensor:
        """((R + 2 margin) up, ...) in [0, 1]: how much of the mean shift each place takes, from
        the model's square less `margin` on: 1 where the mask's part lands (the mask, moved),
        falling as (1 - d / falloff)^2 at d model px beyond it (found on a grid `up` times finer
        than the model's, so the part's outline follows the mask's bilinear contour, not its pixels).
        The square puts the stretch right beside the part, the brow's own skin: a smoothstep put its
        steepest in the middle, where a raised brow's eye lies, and stretched the eye to twice its
        height (a walkthrough; benchmarks/results/drag_whole.md)."""
        r, pad, up = self.mask.shape[-1], self.margin, self.up
        side = (r + 2 * pad) * up
        fine = cv2.resize(self.mask.numpy(), (r * up, r * up), interpolation=cv2.INTER_LINEAR)
        dx, dy = (float(v) * up for v in self.shift)
        at = np.float32([[1, 0, pad * up + dx], [0, 1, pad * up + dy]])
        landed = cv2.warpAffine(fine, at, (side, side), flags=cv2.INTER_LINEAR, borderValue=0.0)
        outside = (landed <= 0.5).astype(np.uint8)
        d = cv2.distanceTransform(outside, cv2.DIST_L2, 5) / up  # model px to the landed part
        t = np.clip(1.0 - d / self.falloff, 0.0, 1.0)
        return torch.from_numpy((t * t).astype(np.float32))

    def carry_at(self, qx: torch.Tensor, qy: torch.Tensor) -> torch.Tensor:
        """How much of the mean shift the model points (qx, qy) take (`carried`, bilinear; 0
        beyond it)."""
        pad = self.margin
        return _sample(self.carried, qx + pad, qy + pad, self.mask.shape[-1] + 2 * pad)

    @cached_property
    def held(self) -> torch.Tensor:
        """(MASK_UP R, MASK_UP R) in [0, 1]: how freely each place may move, rising smoothly
        across the mask's edge (over a half) from 0 to 1 over `fade` model px, MASK_OUTSIDE of
        them outside it."""
        r = self.mask.shape[-1]
        fine = cv2.resize(self.mask.numpy(), (r * MASK_UP, r * MASK_UP), interpolation=cv2.INTER_LINEAR)
        inside = np.pad((fine > 0.5).astype(np.uint8), 1)  # the border counts as outside
        depth = cv2.distanceTransform(inside, cv2.DIST_L2, 5)  # fine px to the outside ...
        out = cv2.distanceTransform(1 - inside, cv2.DIST_L2, 5)  # ... and to the inside
        signed = (depth - out)[1:-1, 1:-1] / MASK_UP  # model px, > 0 inside the mask
        t = np.clip(signed / self.fade + MASK_OUTSIDE, 0.0, 1.0)
        return torch.from_numpy((t * t * (3 - 2 * t)).astype(np.float32))

    @property
    def fade(self) -> float:
        """Model px over which a mask's hold gives way: MASK_EDGE, or more for a longer move (the
        fade's slope and the reach's add up; steeper than 1 / length, the picture folds over
        itself: a crease where the lips met the mask's edge; tests/test_motion.py checks a move of
        3 px against an edge)."""
        longest = max(math.dist(w.start, w.end) for w in self.moves)
        return max(MASK_EDGE, MASK_FADE * longest)

    def mask_at(self, qx: torch.Tensor, qy: torch.Tensor) -> torch.Tensor:
        """How freely the model points (qx, qy) may move (`held`, sampled bilinearly; 0 beyond it)."""
        return _sample(self.held, qx, qy, self.mask.shape[-1])

    def photo_box(self, mapping: DomainMapping) -> tuple[int, int, int, int] | None:
        """(x0, y0, x1, y1) photo pixels that the motion may change (its reach around every path,
        beyond the model's square too), or None for none."""
        if self.whole:  # where the carried grid is not 0, and half a cell more (bilinear)
            rows, cols = (np.flatnonzero(self.carried.numpy().any(axis=a)) for a in (1, 0))
            if not len(rows):
                return None
            up, pad = self.up, self.margin
            mx0, mx1 = (cols[0] - 0.5) / up - pad, (cols[-1] + 1.5) / up - pad
            my0, my1 = (rows[0] - 0.5) / up - pad, (rows[-1] + 1.5) / up - pad
        else:
            xs = [c for w in self.moves for c in (w.start[0], w.end[0])]
            ys = [c for w in self.moves for c in (w.start[1], w.end[1])]
            reach = max(w.radius for w in self.moves)
            mx0, mx1, my0, my1 = min(xs) - reach, max(xs) + reach, min(ys) - reach, max(ys) + reach
        inverse = np.linalg.inv(mapping.matrix[:, :2])
        corners = np.array([(mx0, my0), (mx1, my0), (mx1, my1), (mx0, my1)]) - mapping.matrix[:, 2]
        photo = corners @ inverse.T
        w, h = mapping.photo_size
        x0, y0 = (max(0, int(math.floor(v)) - 2) for v in photo.min(0))
        x1, y1 = (min(side, int(math.ceil(v)) + 2) for side, v in zip((w, h), photo.max(0)))
        return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None

    def move(self, pixels: np.ndarray, mapping: DomainMapping) -> np.ndarray:
        """The photo (H, W, 3) uint8, whose model square `mapping` frames, with the motion applied
        to its own pixels (a new array; pixels beyond the motion's reach unchanged). Tile by tile,
        each reading only the window it samples: a large photo costs what the motion reaches."""
        out = pixels.copy()
        box = self.photo_box(mapping)
        if box is not None:
            x0, y0, x1, y1 = box
            for ty in range(y0, y1, TILE):
                for tx in range(x0, x1, TILE):
                    self._move_tile(pixels, out, mapping, tx, ty, min(x1, tx + TILE), min(y1, ty + TILE))
        return out

    def _move_tile(self, pixels: np.ndarray, out: np.ndarray, mapping: DomainMapping,
                   x0: int, y0: int, x1: int, y1: int) -> None:
        """Write the moved photo's tile [y0:y1, x0:x1] into `out`."""
        m = torch.tensor(mapping.matrix, dtype=torch.float64)
        ys, xs = torch.meshgrid(torch.arange(y0, y1, dtype=torch.float64) + 0.5,
                                torch.arange(x0, x1, dtype=torch.float64) + 0.5, indexing="ij")
        qx = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]  # each photo pixel's centre in model pixels
        qy = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
        sx, sy = self.sources(qx, qy)
        moved = (((sx - qx).abs() + (sy - qy).abs()) > 1e-9).numpy()
        if not moved.any():
            return
        inverse = torch.linalg.inv(m[:, :2])
        dx, dy = sx - m[0, 2], sy - m[1, 2]
        px = (inverse[0, 0] * dx + inverse[0, 1] * dy - 0.5).numpy()  # photo pixels, index coordinates
        py = (inverse[1, 0] * dx + inverse[1, 1] * dy - 0.5).numpy()
        h, w = pixels.shape[:2]  # the window the tile reads, with the cubic's reach
        wx0, wy0 = max(0, int(np.floor(px.min())) - 3), max(0, int(np.floor(py.min())) - 3)
        wx1, wy1 = min(w, int(np.ceil(px.max())) + 4), min(h, int(np.ceil(py.max())) + 4)
        if wx1 <= wx0 or wy1 <= wy0:  # it reads only beyond the photo: its edge, reflected
            wx0, wy0, wx1, wy1 = min(wx0, w - 1), min(wy0, h - 1), max(wx1, wx0 + 1), max(wy1, wy0 + 1)
        warped = cv2.remap(pixels[wy0:wy1, wx0:wx1], (px - wx0).astype(np.float32),
                           (py - wy0).astype(np.float32), cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        region = out[y0:y1, x0:x1]
        region[moved] = warped[moved]


def _sample(grid: torch.Tensor, qx: torch.Tensor, qy: torch.Tensor, side: float) -> torch.Tensor:
    """A fine grid covering `side` model px from 0, sampled bilinearly at the model points (qx, qy)
    (0 beyond it)."""
    at = torch.stack([qx / side * 2 - 1, qy / side * 2 - 1], -1).reshape(1, -1, 1, 2).float()
    values = F.grid_sample(grid[None, None], at, mode="bilinear", padding_mode="zeros", align_corners=False)
    return values.reshape(qx.shape).to(qx.dtype)
