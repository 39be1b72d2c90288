"""The constrained-edit solver: brush strokes become constraints on the generated image.

    z* = argmin_z  U(G(z); strokes) + H(G(z)) + l1 * ||z - z0||^2 / d - l2 * D(G(z))

(Zhu et al. 2016, "Generative Visual Manipulation on the Natural Image Manifold", iGAN): satisfy
the strokes (U), stay close to the current code z0, and stay realistic by the discriminator D.
H (`hold`, not in iGAN) keeps the picture as it is beyond the strokes' reach: closeness in code
space alone let a stroke repaint the whole picture (hold_outside).
Stroke kinds: "color" (a target level or colour under a soft brush), "sketch" (edges along the
stroke, compared with a Sobel edge map of G(z)), "preserve" (keep the region as it is now), and
"erase" (removes earlier strokes where it passes). K candidates start from z0 and perturbations of
it, run in one batch, and come back ranked by the objective. A generator of steps: stoppable, each
step carries the candidates' images as previews. The code is the model's own (z, or w for a style
generator, G then being its synthesis network); with the codes' spread per dimension given
(GANModel.code_spread), closeness and start noise are measured in its units.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Callable, Iterator

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from training.errors import UserError

KINDS = ("color", "sketch", "preserve", "erase")
SETTLED = 2.0  # weight of keeping a settled stroke's pixels as they are (build_constraints): on 12
# products, a second black stroke changed the first stripe by 21 levels at weight 1, 14 at 2 and 11 at
# 4, and drew its own 119, 102 and 96 levels darker (benchmarks.second_stroke before compositing 16's
# toward rule; 31 and 125 asked again)
HOLD_MARGIN = 1 / 16  # a stroke's reach: this share of the picture's side around what it paints
HOLD_REFERENCE = 0.5  # strokes' starting error (stroke_loss) past which the hold grows with it: about
# a colour 0.9 from the picture's on the model's -1..1 scale (115 of 255) under a soft brush
MAX_POINTS = 100_000  # points in one stroke
RASTER_BLOCK = 256  # segments rasterised at a time (bounds rasterize's memory)
REACH_POINTS = 20_000  # points of all strokes together that stroke_reach follows (longer ones thinned)


class StrokeError(UserError):
    """A stroke list that cannot be used; the message says which stroke and why."""


@dataclass(frozen=True)
class Stroke:
    kind: str  # one of KINDS
    points: tuple[tuple[float, float], ...]  # polyline (x, y) in model pixels, 0..resolution
    radius: float = 2.0  # brush radius in model pixels
    value: tuple[float, ...] = (1.0,)  # colour strokes: target level(s) in [-1, 1], 1 or C values
    strength: float = 1.0  # weight of the stroke's term

    def to_dict(self) -> dict:
        d = asdict(self)
        d["points"] = [list(p) for p in self.points]
        d["value"] = list(self.value)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Stroke":
        try:
            value = d.get("value", (1.0,))
            value = (float(value),) if isinstance(value, (int, float)) else tuple(map(float, value))
            stroke = cls(kind=str(d["kind"]), points=tuple((float(x), float(y)) for x, y in d["points"]),
                         radius=float(d.get("radius", 2.0)), value=value,
                         strength=float(d.get("strength", 1.0)))
            numbers = [stroke.radius, stroke.strength, *stroke.value, *(c for p in stroke.points for c in p)]
            if len(stroke.points) > MAX_POINTS or len(stroke.value) > 4:
                raise ValueError(f"more than {MAX_POINTS} points or 4 values")
            if not all(math.isfinite(v) and abs(v) <= 1e4 for v in numbers):
                raise ValueError("its numbers must be finite and within +-10000")
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise StrokeError(f"malformed stroke {repr(d)[:80]}: {e}") from None
        return stroke


def validate(strokes: list[Stroke], resolution: int | None, channels: int) -> None:
    """Raise StrokeError for an empty list, unknown kinds, points outside the image, bad values
    (resolution None: strokes not yet mapped into the model, whose points are not checked)."""
    if not strokes:
        raise StrokeError("no strokes: paint at least one stroke (or use sliders alone)")
    for i, s in enumerate(strokes, 1):
        if s.kind not in KINDS:
            raise StrokeError(f"stroke {i}: unknown kind {s.kind!r}; use one of {', '.join(KINDS)}")
        if not s.points:
            raise StrokeError(f"stroke {i}: has no points")
        if resolution is not None and not all(
                -s.radius <= x <= resolution + s.radius and -s.radius <= y <= resolution + s.radius
                for x, y in s.points):
            raise StrokeError(f"stroke {i}: lies outside the {resolution}x{resolution} image")
        if s.radius <= 0 or s.strength < 0:
            raise StrokeError(f"stroke {i}: radius must be positive and strength not negative")
        if s.kind == "color" and len(s.value) not in (1, channels):
            raise StrokeError(f"stroke {i}: a colour needs 1 or {channels} values, not {len(s.value)}")
        if s.kind == "color" and not all(-1.0 <= v <= 1.0 for v in s.value):
            raise StrokeError(f"stroke {i}: colour values must lie in [-1, 1]")


def rasterize(stroke: Stroke, resolution: int) -> torch.Tensor:
    """Soft brush mask (R, R) in [0, 1]: 1 within half the radius of the polyline, fading to 0 at
    1.5 radii (pixel centres at i + 0.5)."""
    c = torch.arange(resolution, dtype=torch.float32) + 0.5
    py, px = torch.meshgrid(c, c, indexing="ij")
    pts = torch.tensor(stroke.points, dtype=torch.float32)
    if len(pts) == 1:
        pts = torch.cat([pts, pts])
    p = torch.stack([px, py], -1).reshape(-1, 1, 2)  # (P, 1, 2)
    d = torch.full((p.shape[0],), float("inf"))
    # Segments in blocks: a stranger's stroke of 100,000 points would otherwise need (P, S, 2)
    # tensors of gigabytes; the minimum over blocks is the same number.
    starts, ends = pts[:-1], pts[1:]  # segments
    for i in range(0, len(starts), RASTER_BLOCK):
        a, b = starts[i:i + RASTER_BLOCK], ends[i:i + RASTER_BLOCK]  # (S, 2) each
        ab = b - a
        t = (((p - a) * ab).sum(-1) / (ab * ab).sum(-1).clamp_min(1e-12)).clamp(0, 1)  # (P, S)
        nearest = a + t[..., None] * ab
        d = torch.minimum(d, (p - nearest).norm(dim=-1).min(1).values)
    d = d.reshape(resolution, resolution)
    r = stroke.radius
    return ((1.5 * r - d) / r).clamp(0, 1)


@dataclass
class Constraints:
    """Strokes rasterised at the model's resolution; masks (R, R), targets (C, R, R)."""

    color_mask: torch.Tensor
    color_target: torch.Tensor
    sketch_mask: torch.Tensor
    preserve_mask: torch.Tensor
    preserve_target: torch.Tensor
    hold_mask: torch.Tensor | None = None  # where the picture is kept as it is (preserve_target) beyond
    # the strokes' reach (hold_outside, hold_loss); apart from the strokes' own error

    @property
    def empty(self) -> bool:
        return not (self.color_mask.any() or self.sketch_mask.any() or self.preserve_mask.any())

    @property
    def paints(self) -> bool:
        """Whether a colour or sketch stroke asks for a change (preserving and settled strokes,
        build_constraints', keep the picture: alone they give the solver nothing to do but drift)."""
        return bool(self.color_mask.any() or self.sketch_mask.any())


def build_constraints(strokes: list[Stroke], current: torch.Tensor, settled: int = 0,
                      weight: float = SETTLED) -> Constraints:
    """Rasterise strokes in order against the current image (C, R, R); erase strokes remove
    earlier strokes where they pass; later colour strokes win where colours overlap. The first
    `settled` strokes were solved before and `current` shows them as they came out (the editor's
    strokes before the one it solves now): their colour and sketch strokes keep the picture as it
    is there (as "preserve" does, weighed SETTLED) except where a later stroke paints, so that a
    new stroke does not redraw them (two black strokes across a product: solving the second
    darkened the first stripe by a median of 31 levels on 12 products, pushing it further toward
    its colour). `weight` 0: they ask nothing (an object's colour strokes that each land the code
    that followed them, editing.layers.layered_bands: the picture need not keep them); a Preserve
    stroke among them still keeps its part."""
    c, r, _ = current.shape
    validate(strokes, r, c)
    zeros = torch.zeros(r, r)
    cm, sm, pm, held = zeros.clone(), zeros.clone(), zeros.clone(), zeros.clone()
    target = torch.zeros(c, r, r)
    for i, s in enumerate(strokes):
        m = rasterize(s, r) * s.strength
        if s.kind == "erase":
            keep = (rasterize(s, r) <= 0).float()  # everything the eraser touches goes
            cm, sm, pm, held = cm * keep, sm * keep, pm * keep, held * keep
        elif i < settled and s.kind in ("color", "sketch"):
            held = torch.maximum(held, m * weight)
        elif s.kind == "color":
            value = torch.tensor(s.value).reshape(-1, 1, 1).expand(c, r, r)
            target = torch.where(m > 0, value, target)
            cm = torch.maximum(cm, m)
            held = held * (m <= 0).float()
        elif s.kind == "sketch":
            sm = torch.maximum(sm, m)
            held = held * (m <= 0).float()
        else:
            pm = torch.maximum(pm, m)
    return Constraints(cm, target, sm, torch.maximum(pm, held), current.detach().clone())


SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8


def edge_map(x: torch.Tensor) -> torch.Tensor:
    """Sobel gradient magnitude of the grey level of x (B, C, R, R) in [-1, 1] -> (B, R, R);
    a step from black to white gives about 1."""
    grey = x.mean(1, keepdim=True)
    k = torch.stack([SOBEL_X, SOBEL_X.T])[:, None].to(x)  # (2, 1, 3, 3)
    g = F.conv2d(F.pad(grey, (1, 1, 1, 1), mode="replicate"), k)
    return (g.pow(2).sum(1) + 1e-8).sqrt()


def _masked_mean(err: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B,) err (B, R, R) weighted by mask (R, R), divided by the painted area (mask > 0), not the
    mask's sum, so that a stroke's strength weighs it."""
    return (err * mask).flatten(1).sum(1) / (mask > 0).sum().clamp_min(1)


def stroke_errors(x: torch.Tensor, c: Constraints, sketch_target: float = 0.5,
                  kinds: tuple[str, ...] = ("color", "preserve", "sketch")
                  ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(per-pixel error (B, R, R), mask (R, R)) of each of the strokes' `kinds` that is painted, for
    images x (B, C, R, R): a colour's squared distance, a sketch's missing edge."""
    terms = []
    if "color" in kinds and c.color_mask.any():
        terms.append((((x - c.color_target.to(x)) ** 2).mean(1), c.color_mask.to(x)))
    if "preserve" in kinds and c.preserve_mask.any():
        terms.append((((x - c.preserve_target.to(x)) ** 2).mean(1), c.preserve_mask.to(x)))
    if "sketch" in kinds and c.sketch_mask.any():
        terms.append((F.relu(sketch_target - edge_map(x)) ** 2, c.sketch_mask.to(x)))
    return terms


def stroke_loss(x: torch.Tensor, c: Constraints, sketch_target: float = 0.5,
                kinds: tuple[str, ...] = ("color", "preserve", "sketch")) -> torch.Tensor:
    """(B,) how far images x (B, C, R, R) are from satisfying the strokes (0 = satisfied); `kinds`
    as stroke_errors."""
    loss = torch.zeros(x.shape[0], device=x.device)
    for err, mask in stroke_errors(x, c, sketch_target, kinds):
        loss = loss + _masked_mean(err, mask)
    return loss


def hold_loss(x: torch.Tensor, c: Constraints) -> torch.Tensor:
    """(B,) how far images x (B, C, R, R) moved from the picture before the strokes where it is held
    (c.hold_mask, from hold_outside): the mean squared change over the held area, weighted."""
    if c.hold_mask is None:
        return torch.zeros(x.shape[0], device=x.device)
    return _masked_mean(((x - c.preserve_target.to(x)) ** 2).mean(1), c.hold_mask.to(x))


def _painted(c: Constraints) -> np.ndarray:
    """(R, R) bool: where the colour and sketch strokes ask for a change."""
    return ((c.color_mask > 0) | (c.sketch_mask > 0)).numpy()


def reach(painted: np.ndarray, margin: float) -> np.ndarray:
    """(R, R) float32 weights: 1 within `margin` model pixels of a painted pixel, falling smoothly
    to 0 at twice that; all 0 when nothing is painted."""
    if not painted.any():
        return np.zeros(painted.shape, np.float32)
    dist = cv2.distanceTransform((~painted).astype(np.uint8), cv2.DIST_L2, 5)  # to the nearest painted pixel
    t = np.clip((dist - margin) / max(margin, 1e-6), 0.0, 1.0)
    return (1.0 - t * t * (3 - 2 * t)).astype(np.float32)


def asked(c: Constraints) -> float:
    """How much the strokes ask of the picture they are painted on (c.preserve_target): their error,
    as stroke_loss weighs it, over the painted pixels that do not have it yet, so that earlier
    strokes the picture already satisfies do not dilute a new one's."""
    total, missing = 0.0, 0
    for err, mask in stroke_errors(c.preserve_target[None], c, kinds=("color", "sketch")):
        lacking = (mask > 0) & (err[0] > 1e-3)
        total, missing = total + float((err[0] * mask)[lacking].sum()), missing + int(lacking.sum())
    return total / max(missing, 1)


def hold_outside(c: Constraints, weight: float, margin: float) -> Constraints:
    """The constraints plus keeping the picture as it is (c.preserve_target) beyond the strokes'
    reach (`reach`, `margin` model pixels): weight 0 within it, `weight` beyond, times the strokes'
    starting error over HOLD_REFERENCE when it is larger. A stroke then changes what is under and
    near it, not the whole picture (a white stroke on a face model's hair whitened the face: the
    code's easiest way to a lighter patch is a lighter picture), and a stroke that asks for more (a
    black line on a light dress, which the generator cannot draw) may not repaint more for it."""
    painted = _painted(c)
    if weight <= 0 or not painted.any():
        return c
    weight *= max(1.0, asked(c) / HOLD_REFERENCE)
    return replace(c, hold_mask=torch.from_numpy(weight * (1.0 - reach(painted, margin))))


def _thinned(stroke: Stroke, keep: int) -> Stroke:
    """The stroke with at most about `keep` of its points (every k-th and the last), as is when shorter."""
    if len(stroke.points) <= keep:
        return stroke
    step = -(-len(stroke.points) // keep)  # ceil
    return replace(stroke, points=stroke.points[::step] + stroke.points[-1:])


@lru_cache(maxsize=16)
def stroke_reach(strokes: tuple[Stroke, ...], resolution: int, channels: int = 1,
                 share: float = HOLD_MARGIN) -> np.ndarray:
    """(R, R) float32: the reach of the strokes' colour and sketch strokes (after erasing), `share`
    of the picture's side around what they paint, as the solver holds it. The carry-back lets a
    face edit land within such a reach too, outside the face region (a stroke on the hair; its
    share: editing.landing.strokes_reach). Cached: the editor's frames ask for the same strokes
    many times; treat the result as read-only."""
    if strokes:
        keep = max(2, REACH_POINTS // len(strokes))  # a stranger's file: bounded work on every frame
        blank = torch.zeros(channels, resolution, resolution)
        c = build_constraints([_thinned(s, keep) for s in strokes], blank)
        out = reach(_painted(c), share * resolution)
    else:
        out = np.zeros((resolution, resolution), np.float32)
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class SolverConfig:
    steps: int = 25  # Adam steps
    lr: float = 0.08
    l1: float = 0.05  # weight of closeness to z0, ||z - z0||^2 / d
    l2: float = 0.02  # weight of realism, the discriminator's logit
    candidates: int = 4  # K starts, ranked at the end
    start_noise: float = 0.4  # std of the perturbations of z0 for starts 2..K
    seed: int = 0
    identity: float = 0.0  # face models: weight of identity change when ranking the candidates
    identity_loss: float = 0.0  # face models: weight of the differentiable identity term (gradient)
    class_loss: float = 0.0  # product models: weight of the classifier's cross-entropy against the
    # item's class (gradient), so that a stroke changes the item rather than what kind of item it is
    hold: float = 0.0  # weight of keeping the picture as it is beyond the strokes' reach: built into the
    # constraints' hold_mask by hold_outside, which editing.edit.solve_strokes applies (solve alone does not)
    hold_margin: float = HOLD_MARGIN  # the reach: this share of the picture's side around what is painted


@dataclass(frozen=True)
class SolverStep:
    step: int
    z: torch.Tensor  # (K, D) candidates, best first
    images: torch.Tensor  # (K, C, R, R) G(z) of the candidates
    objective: torch.Tensor  # (K,) total objective, ascending
    stroke_error: torch.Tensor  # (K,) U alone
    realism: torch.Tensor  # (K,) D(G(z))
    done: bool


def objective_terms(G: Callable[[torch.Tensor], torch.Tensor], D: nn.Module, z: torch.Tensor,
                    z0: torch.Tensor, c: Constraints, cfg: SolverConfig,
                    std: torch.Tensor | None = None,
                    identity: Callable[[torch.Tensor], torch.Tensor] | None = None,
                    classes: Callable[[torch.Tensor], torch.Tensor] | None = None):
    """(images, total objective, stroke error, realism), each per candidate; `identity`, images ->
    (K,) identity distances to the face being edited, joins with weight cfg.identity_loss;
    `classes`, images -> (K,) how far each is from the item's class, with weight cfg.class_loss."""
    x = G(z)
    u = stroke_loss(x, c)
    realism = D(x)
    closeness = (((z - z0) if std is None else (z - z0) / std) ** 2).mean(1)
    total = u + hold_loss(x, c) + cfg.l1 * closeness - cfg.l2 * realism
    if identity is not None and cfg.identity_loss:
        total = total + cfg.identity_loss * identity(x)
    if classes is not None and cfg.class_loss:
        total = total + cfg.class_loss * classes(x)
    return x, total, u, realism


def solve(G: Callable[[torch.Tensor], torch.Tensor], D: nn.Module, z0: torch.Tensor,
          constraints: Constraints, cfg: SolverConfig = SolverConfig(),
          rank_penalty: Callable[[torch.Tensor], torch.Tensor] | None = None,
          std: torch.Tensor | None = None,
          identity: Callable[[torch.Tensor], torch.Tensor] | None = None,
          classes: Callable[[torch.Tensor], torch.Tensor] | None = None) -> Iterator[SolverStep]:
    """Optimise K candidates from z0 (D,); yields every step, candidates ranked best first.

    `rank_penalty`, images (K, C, R, R) -> (K,), is added to the objective when the final
    candidates are ranked: a term with no gradient, such as identity change (inversion.faces).
    With `std`, the codes' spread per dimension, Adam moves v = (z - z0) / std, so learning rate,
    start noise and closeness mean the same in w as in z; without it, z itself.
    """
    g = torch.Generator().manual_seed(cfg.seed)
    noise = torch.randn(cfg.candidates, z0.shape[-1], generator=g) * cfg.start_noise
    noise[0] = 0
    z0 = z0.reshape(1, -1)
    if std is None:
        v = (z0 + noise).requires_grad_(True)
        code = lambda v: v  # noqa: E731
    else:
        v = noise.requires_grad_(True)
        code = lambda v: z0 + std * v  # noqa: E731
    opt = torch.optim.Adam([v], lr=cfg.lr)
    for step in range(1, cfg.steps + 1):
        z = code(v)
        x, total, u, realism = objective_terms(G, D, z, z0, constraints, cfg, std, identity, classes)
        opt.zero_grad(set_to_none=True)
        total.sum().backward()
        opt.step()
        with torch.no_grad():
            z = code(v)  # where the candidates are now
        done = step == cfg.steps
        if done:  # score where the candidates ended, not where they were before the last step
            with torch.no_grad():
                x, total, u, realism = objective_terms(G, D, z, z0, constraints, cfg, std, identity, classes)
                if rank_penalty is not None:
                    total = total + torch.as_tensor(rank_penalty(x), dtype=total.dtype)
        order = total.detach().argsort()
        yield SolverStep(step, z.detach()[order].clone(), x.detach()[order], total.detach()[order],
                         u.detach()[order], realism.detach()[order], done)
