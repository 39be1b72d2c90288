"""Point drag: move what lies under a handle point to a target point by optimising the code and
an offset on one of the generator's feature maps.

DragGAN (Pan et al., SIGGRAPH 2023, "Drag Your GAN"), made small enough for a CPU. Each step:

1. Motion supervision on an intermediate feature map F of the generator (read by a forward hook,
   at half the output resolution by default): the features in a disk of radius r1 around each
   handle p_i are pulled one pixel towards its target, d_i = (t_i - p_i) / |t_i - p_i|, against
   their own values held fixed (detached); every |.| a mean over its elements:
       L = mean_i mean_{q in disk(p_i, r1)} |F(q + d_i) - sg(F(q))| + hold * |(F - F_start) * (1 - M)|
   F(q + d_i) is sampled bilinearly, so sub-pixel moves pull too. M is the mask of what may move
   (no mask: everything may, and the hold term is off).
2. Point tracking: each handle moves to the position, within a (2 r2 + 1)^2 window around it, whose
   features are nearest (L1) to the handle's features in the start image: by default the features of
   the disk of radius `track_radius` around it against the disk around the handle at the start (a
   patch of features; DragGAN compares the single point's, which on these small feature maps lets
   a handle slide along look-alike neighbours).

Adam moves u = (code - mean) / std as the stroke solver does (editing.solver), so one learning rate
suits z and w. One decode and one backward per step: the features a step's tracking needs come from
the decode that the next step's loss uses. The steps are a generator: it stops when every handle is
within `tolerance` pixels of its target, at the step limit, or when the caller stops asking.
Points are (x, y) in model pixels, pixel centres at i + 0.5, as strokes are (editing.solver).
Two optional terms, off by default because neither helped on the shipped models
(benchmarks/drag.py): closeness to the start code, and FreeDrag's template (Ling et al. 2023: the
disk one pixel further along should look like the handle's disk did at the start).

Room to move (the default since issue 18). A DCGAN's single code z (100-128 numbers) has little room
for a local move: the drag above got its tracked handle to the target in most drags while the
picture's content had hardly moved (an image patch search and the optical flow found it there in
2-26% of the drags). DragGAN's freedom comes from w+ (a code per layer); here, as its analogue, the
drag optimises an additive offset on a coarse feature map (FeatureOffset: 1/4 of the output size,
the generator's later layers keep it looking like the model's pictures), confined to what may move
(the mask, or without one the reach of the warp below), with the code held. Alone, the offset made
the feature tracker declare arrivals within ten steps while nothing moved (the offset makes the
features at the target look like the handle's); three more changes make the arrival honest and
the move a move:
- the handles are tracked in the image (the start image's disk of pixels around each handle),
  not in the feature map that the loss shapes;
- an arrival is confirmed (`confirm`): the start's look is searched for within 12 px of where the
  handle started, and the drag goes on while its best match is not at the target either (a
  cross-fade leaves the old look in place while the tracker already sees the new one);
- a warp term: the image near the drag path should match the start image warped from handle to
  target (editing.warp's liquify warp, reach `warp_radius`, whole within `warp_core` of the path),
  the content carried, not copied:
      L += warp * sum_p k(p) mean_c (G(p) - warp(G_start)(p))^2 / sum_p k(p)
The offset is part of the edit: it joins the history, sessions and recipes beside the code, and
everything that draws an edited state decodes with it (decode). On a photo the drag lands as the
motion it made (editing.motion), not as the change of the generator's picture. `DragConfig.code_only()` is the
drag as it was (the code alone, tracked in features), `latent-edit edit --drag-code-only`.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, replace
from typing import Iterator

import torch
import torch.nn.functional as F

from editing.drag_terms import (disk_offsets, hold_loss, mask_outside, motion_loss, sample, template_loss, track,
                                warp_loss)
from editing.offset import DragError, FeatureOffset, OffsetAdder, decode, feature_module
from training.modelfile import GANModel


@dataclass(frozen=True)
class DragPoint:
    handle: tuple[float, float]  # (x, y) model pixels: what to move
    target: tuple[float, float]  # (x, y) model pixels: where it should go

    def to_dict(self) -> dict:
        return {"handle": list(self.handle), "target": list(self.target)}

    @classmethod
    def from_dict(cls, d: dict) -> "DragPoint":
        try:
            return cls(tuple(map(float, d["handle"])), tuple(map(float, d["target"])))
        except (KeyError, TypeError, ValueError) as e:
            raise DragError(f"malformed drag point {d!r}: {e}") from e


@dataclass(frozen=True)
class DragConfig:
    steps: int = 150  # step limit
    lr: float = 0.0  # Adam's learning rate on u = (code - mean) / std (0: the code stays; with an
    # offset, moving it too changed more outside the mask for no better moves: benchmarks/drag.py)
    radius: float = 3.0  # r1: model pixels around a handle whose features are pulled
    search: int = 2  # r2: tracking looks this many model pixels each way around a handle (in the
    # features, wider windows let the handle jump to look-alikes; in the image, with `confirm`,
    # 2 arrived as often as 1 in fewer steps: benchmarks/drag.py)
    hold: float = 0.1  # weight of keeping the features outside the mask as they were
    tolerance: float = 1.0  # done when every handle is this close to its target (model pixels)
    closeness: float = 0.0  # weight of ||u - u_start||^2 / D: stay near the start code
    template: float = 0.0  # weight of the start's look at the handle, one pixel further along
    depth: int = 1  # features from the generator's block at 1 / 2**depth of the output size
    track_radius: float = 3.0  # tracking compares the features within this many model pixels of
    # a place with the start's around the handle (0: the handle's own features alone, as DragGAN;
    # the disk tracks more often to the target with less change outside: benchmarks/drag.py)
    offset_depth: int = 2  # the drag's offset goes on the feature map at 1 / 2**offset_depth of the
    # output size (0: no offset, the code alone moves)
    offset_lr: float = 0.05  # Adam's learning rate on the offset, in units of that map's spread
    # (0.1 arrived as often, with more coloured blotches on faces)
    track_in: str = "image"  # "image": track the start's pixels around each handle; "features":
    # the start's features (as DragGAN), which the loss itself reshapes
    warp: float = 1.0  # weight of matching the start image warped from handle to target
    warp_radius: float = 1 / 4  # the warp's reach from the drag path, a fraction of the image side
    # (1/6 folded the warp of the longer drags: the optical flow followed less often)
    warp_core: float = 3.0  # model pixels around the drag path that the warp carries whole (k = 1),
    # the disk that motion supervision pulls (0: the warp falls off from the path itself, squeezing
    # what lies beside the handle; 3 on 100 random drags each: the start's look found at the target
    # 0.64 -> 0.73 (products), 0.78 -> 0.80 (faces): benchmarks/results/drag.md)
    confirm: int = 12  # when the handles arrive, look for each one's reference this many pixels
    # around where it started; done only if that best match is within tolerance too (0: no check;
    # the local tracker alone stopped mid-move, the start's look still where it was)

    def __post_init__(self) -> None:
        if self.track_in not in ("image", "features"):
            raise DragError(f"drags track in the image or in the features, not {self.track_in!r}")
        if self.offset_depth < 0 or self.warp_radius <= 0 or self.warp_core < 0:
            raise DragError("a drag's offset depth and warp core must be 0 or more and its warp radius "
                            "positive")

    @classmethod
    def code_only(cls, **changes) -> "DragConfig":
        """The drag as it was before feature offsets (issue 18): the code alone moves, tracked in
        the features, no warp term; faster to record (no offset) but it rarely moves the content."""
        return replace(cls(lr=0.02, search=1, offset_depth=0, track_in="features", warp=0.0,
                           confirm=0), **changes)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DragStep:
    step: int  # optimiser updates applied so far (0: the start)
    code: torch.Tensor  # (D,) the code now
    offset: FeatureOffset | None  # what the drags added to the feature map now (None: nothing)
    image: torch.Tensor  # (C, R, R) its image (decode(model, code, offset))
    handles: tuple[tuple[float, float], ...]  # where the handles are now (tracked), model pixels
    distance: float  # the largest distance of a handle from its target, model pixels
    done: bool  # the last step: reached, or the step limit


def validate_points(points: list[DragPoint], resolution: int) -> None:
    """DragError for no points, or a handle or target outside the model's image."""
    if not points:
        raise DragError("no drag points: place at least one handle and its target")
    for i, p in enumerate(points, 1):
        for name, (x, y) in (("handle", p.handle), ("target", p.target)):
            if not (0 <= x <= resolution and 0 <= y <= resolution):
                raise DragError(f"drag {i}: its {name} ({x:.1f}, {y:.1f}) lies outside the "
                                f"{resolution}x{resolution} model image; drag within the framed "
                                f"object")


class FeatureTap:
    """Decodes codes and keeps the feature map (1, C, h, h) of `feature_module` from the same pass.
    Only this thread's passes count: the editor's preview decodes with the same generator meanwhile."""

    def __init__(self, model: GANModel, depth: int = 1):
        self.model = model
        self.features: torch.Tensor | None = None
        self._thread = threading.get_ident()
        self._hook = feature_module(model.generator, depth).register_forward_hook(self._keep)

    def _keep(self, module, inputs, output) -> None:
        if threading.get_ident() == self._thread:
            self.features = output

    def __call__(self, code: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(image (1, C, R, R), features (1, Cf, h, h)) of a code (D,)."""
        self._thread = threading.get_ident()
        image = self.model.decode(code.reshape(1, -1))
        return image, self.features

    def close(self) -> None:
        self._hook.remove()


class OffsetVariable:
    """The offset a drag optimises on the map at 1 / 2**depth: an earlier drag's (`base`) plus
    scale * extra * allowed, `extra` (1, C, h, h) the parameter in units of the map's spread at
    the start (so one learning rate suits every map), `allowed` (1, 1, h, h) where it may be
    non-zero (room: the mask's cells, or without a mask the warp's `reach`)."""

    def __init__(self, model: GANModel, code: torch.Tensor, depth: int, base: FeatureOffset | None,
                 mask: torch.Tensor | None, reach: torch.Tensor):
        module = feature_module(model.generator, depth)
        self.depth = depth
        self.base = base.values[None] if base is not None else 0.0
        self.adder = OffsetAdder(module, self.base)
        box = {}
        peek = module.register_forward_hook(lambda m, i, o: box.update(map=o.detach()))
        try:
            with torch.no_grad():
                model.decode(code.reshape(1, -1))
        finally:
            peek.remove()
        self.scale = box["map"].std()
        self.allowed = room(mask, reach, box["map"].shape[-1])
        self.extra = torch.zeros_like(box["map"], requires_grad=True)

    def apply(self) -> None:
        """Put the offset as `extra` now makes it on the map (before each decode)."""
        self.adder.values = self.base + self.scale * self.extra * self.allowed

    def current(self) -> FeatureOffset:
        return FeatureOffset(self.depth, self.adder.values.detach()[0].clone())

    def close(self) -> None:
        self.adder.close()


def warped_start(start: torch.Tensor, points: list[DragPoint], radius: float, core: float = 0.0
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """The start image (1, C, R, R) warped from each handle to its target one after another
    (editing.warp's liquify warp) and the largest falloff (R, R): what the warp term matches."""
    from editing.warp import Warp, warp_image

    target, reach = start[0], torch.zeros(start.shape[-2:])
    for p in points:
        target, k = warp_image(target, Warp(p.handle, p.target, radius), core)
        reach = torch.maximum(reach, k)
    return target[None], reach


def room(mask: torch.Tensor | None, reach: torch.Tensor, side: int) -> torch.Tensor:
    """Where the offset may be non-zero, (1, 1, side, side) of 0 and 1: the cells that the mask
    (or without one, the warp's reach) touches, and their neighbours (the later layers' kernels
    spread a cell's change to the next)."""
    area = (mask if mask is not None else reach).float().reshape(1, 1, *reach.shape)
    touched = (F.adaptive_max_pool2d(area, side) > 0).float()
    return F.max_pool2d(touched, 3, 1, 1)


def drag(model: GANModel, code: torch.Tensor, points: list[DragPoint],
         mask: torch.Tensor | None = None, cfg: DragConfig = DragConfig(),
         offset: FeatureOffset | None = None) -> Iterator[DragStep]:
    """Drag from `code` (D,) drawn with `offset` (an earlier drag's, or None): yields the start
    (step 0), then one DragStep per update, the last with done=True. `mask` (R, R) in [0, 1]:
    where things may move (None: anywhere)."""
    r = model.gan.resolution
    validate_points(points, r)
    if offset is not None and cfg.offset_depth not in (0, offset.depth):
        raise DragError(f"this state's drag offset lies at 1/{2 ** offset.depth} of the image, but "
                        f"the drag settings put it at 1/{2 ** cfg.offset_depth}; drag with the same "
                        f"settings, or undo the earlier drag")
    mean, std = model.code_spread()
    code = code.reshape(-1).detach().float()
    u_start = (code - mean) / std
    u = u_start.clone().requires_grad_(cfg.lr > 0)
    handles = torch.tensor([p.handle for p in points], dtype=torch.float32)
    targets = torch.tensor([p.target for p in points], dtype=torch.float32)
    disk = disk_offsets(cfg.radius)
    around = disk_offsets(cfg.track_radius) if cfg.track_radius else None
    variable, fixed, tap = None, None, None
    try:
        with torch.no_grad():
            start_image = decode(model, code[None], offset)
        warp_target, reach = warped_start(start_image, points, cfg.warp_radius * r, cfg.warp_core)
        if cfg.offset_depth:  # registered before the tap: the tap sees the offset
            variable = OffsetVariable(model, code, cfg.offset_depth, offset, mask, reach)
        elif offset is not None:  # an earlier drag's offset stays as it is
            fixed = OffsetAdder(feature_module(model.generator, offset.depth), offset.values[None])
        tap = FeatureTap(model, cfg.depth)
        with torch.no_grad():
            _, start = tap(code)
        start = start.detach().clone()
        with torch.no_grad():
            seen = start_image if cfg.track_in == "image" else start
            reference = (sample(seen, handles, r) if around is None
                         else torch.stack([sample(seen, h + around, r) for h in handles]))  # (N, [K,] C)
            templates = torch.stack([sample(start, h + disk, r) for h in handles])  # (N, K, C)
        params = ([{"params": [u], "lr": cfg.lr}] if cfg.lr > 0 else []) + \
                 ([{"params": [variable.extra], "lr": cfg.offset_lr}] if variable is not None else [])
        opt = torch.optim.Adam(params) if params else None
        outside = mask_outside(mask, start.shape[-1])
        starts = handles.clone()
        for step in range(cfg.steps + 1):
            now = mean + std * u
            if variable is not None:
                variable.apply()
            image, features = tap(now)
            if step:
                with torch.no_grad():
                    seen = image if cfg.track_in == "image" else features
                    handles = track(seen.detach(), handles, reference, cfg.search, r, around)
            distance = float((targets - handles).norm(dim=1).max())
            if distance <= cfg.tolerance and cfg.confirm and step:
                with torch.no_grad():  # the best match anywhere near: a look-alike left behind?
                    best = track(seen.detach(), starts, reference, cfg.confirm, r, around)
                distance = max(distance, float((targets - best).norm(dim=1).max()))
            done = distance <= cfg.tolerance or step == cfg.steps or opt is None
            total = variable.current() if variable is not None else offset
            yield DragStep(step, now.detach().clone(), total, image.detach()[0],
                           tuple((float(x), float(y)) for x, y in handles), distance, done)
            if done:
                return
            loss = motion_loss(features, handles, targets, disk, r)
            if cfg.warp:
                loss = loss + cfg.warp * warp_loss(image, warp_target, reach)
            if cfg.closeness:
                loss = loss + cfg.closeness * ((u - u_start) ** 2).mean()
            if cfg.template:
                loss = loss + cfg.template * template_loss(features, handles, targets, disk, templates, r)
            if outside is not None:
                loss = loss + cfg.hold * hold_loss(features, start, outside)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    finally:
        for hook in (tap, variable, fixed):
            if hook is not None:
                hook.close()


def run_drag(model: GANModel, code: torch.Tensor, points: list[DragPoint],
             mask: torch.Tensor | None = None, cfg: DragConfig = DragConfig(),
             offset: FeatureOffset | None = None) -> DragStep:
    """The drag's last step (the CLI's and the recipes' way to run one)."""
    last = None
    for last in drag(model, code, points, mask, cfg, offset):
        pass
    return last

