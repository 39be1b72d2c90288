"""A measured slider's own path for each item (the default since issue 16): where
editing.keep walks a slider out from a code to find how far it goes in its class and where each
value lands, a steered walk goes, step by step, along the gradient of the slider's attribute
(editing.measure.soft_measure) rather than the class's one straight direction.

Each step goes HOLD_STEP spreads along that gradient, with the gradients of what the slider holds
still projected out (editing.measure.HOLD_STILL: a size keeps its brightness, its level of detail
and its other size; brightness keeps the area), the class's log-probability never falling to first
order, and a lean back towards the class where the classifier grows unsure (CONFIDENT). A class's
shared direction widens one item and only brightens another; the item's own gradient widens each,
so more items reach +-3 in their class (benchmarks/product_edits.py). The path is read STEER_READS
times a step, and a value lands on the nearer reading where the measure jumps (`Walk.to_steps`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

HOLD_STEP = 0.25  # spread units between the distances the walk tries
SMOOTH_SPAN = 0.5  # slider units: readings further apart than this are a jump of the measure,
# not a slope to place a value on
CONFIDENT = 0.5  # a steered walk keeps the classifier's probability of the class at least this
STEER_READS = 4  # a steered walk is measured this many times a step


@dataclass(frozen=True)
class Calibration:
    """How ClassHold calibrates the measured sliders, and whether it steers them."""

    measure: Callable[[torch.Tensor], dict[str, torch.Tensor]]  # images -> {attribute: (B,)}
    units: dict[str, float]  # one slider unit of each calibrated slider's attribute
    read_as: dict[str, str] = field(default_factory=dict)  # the attribute `measure` reads a slider by
    steer: Callable[[torch.Tensor], dict[str, torch.Tensor]] | None = None  # differentiable
    # stand-ins of `measure`: walk each item's own path along their gradient; None: a straight line
    still: dict[str, tuple[str, ...]] = field(default_factory=dict)  # what each steered slider holds still
    neighbours: bool = True  # a steered walk's value lands between the two neighbouring readings
    # that straddle it (Walk.to_steps); False: from the largest change before, as before session
    # version 12

    @classmethod
    def shipped(cls, steer: bool = True) -> "Calibration":
        """The product sliders' calibration (editing.measure), steered unless `steer` is False (as
        sessions of versions 2 to 4 were made)."""
        from editing.measure import CALIBRATED_BY, HOLD_STILL, UNITS, measure, soft_measure

        return cls(measure, UNITS, CALIBRATED_BY, soft_measure if steer else None, HOLD_STILL)


@dataclass(frozen=True)
class Walk:
    """One slider walked out from a code both ways, in steps of HOLD_STEP spread units."""

    steps: np.ndarray  # (N,) HOLD_STEP, 2 HOLD_STEP, ... HOLD_REACH: distances from the code (a
    # steered walk: every HOLD_STEP / STEER_READS)
    kept: np.ndarray  # (2, N) bool: the class is kept at +steps (row 0) and at -steps (row 1)
    gain: np.ndarray | None  # (2, N) the measured change there in slider units (signed), or None
    path: np.ndarray | None = None  # (2, N, D) a steered walk's codes less the start; None: straight
    neighbours: bool = True  # Calibration.neighbours

    def run(self, side: int) -> int:
        """How many steps in a row keep the class on `side` (0 up, 1 down)."""
        k = self.kept[side]
        return len(k) if k.all() else int(np.argmin(k))

    def limit(self, side: int) -> float:
        """The farthest distance on `side` with the class kept, inf if the walk never lost it."""
        n = self.run(side)
        return math.inf if n == len(self.steps) else (float(self.steps[n - 1]) if n else 0.0)

    def to_steps(self, a: float) -> tuple[float, float]:
        """(distance along the direction in spread units, the slider value it reaches) for slider
        value a: measured sliders go to where the measured change first reaches a units, or as far
        as they go without changing the class; other sliders are only clamped to the class limits.
        A steered walk lands as _between_neighbours says; a straight one (and a steered one of a
        session before version 12, `neighbours` False) linear between the walk's steps from the
        largest change before, never back past it (a steered one of those takes the nearer of two
        neighbouring readings where the measure jumps by more than SMOOTH_SPAN between them, and
        reaches the change that reading shows)."""
        side, sign = (0, 1.0) if a > 0 else (1, -1.0)
        if self.gain is None:
            t = min(abs(a), self.limit(side))
            return sign * t, sign * t
        if self.path is not None and self.neighbours:
            return self._between_neighbours(a)
        want, best, best_t, previous_t = abs(a), 0.0, 0.0, 0.0
        for t, g in zip(self.steps[:self.run(side)], sign * self.gain[side]):
            if g >= want and self.path is not None and g - best > SMOOTH_SPAN and best_t == previous_t:
                # The measure jumps between two neighbouring readings (a line of the silhouette
                # crosses the object level; only a steered walk reads finely enough to tell a jump
                # from a slope): the nearer reading, and the change it shows.
                nearer = g - want <= want - best
                return sign * (t if nearer else best_t), sign * (float(g) if nearer else best)
            if g >= want:
                return sign * (best_t + (want - best) / (g - best) * (t - best_t)), a
            if g > best:
                best, best_t = float(g), float(t)
            previous_t = float(t)
        return sign * best_t, sign * best

    def _between_neighbours(self, a: float) -> tuple[float, float]:
        """to_steps for a steered walk: the first reading whose change reaches a, and the one before
        it. Across a jump of the measure (more than SMOOTH_SPAN between them) the value goes to the
        nearer of that reading and the largest change before it, and reaches the change it shows;
        on a slope, linear between the two. Before session version 12 a slope was read from the
        largest change before instead of the reading before: where the measure dipped in between
        (a width change of 0, 0, -0.25, then 1.4), "Width +1" landed inside the dip and narrowed
        the item (the distilled product model's test samples)."""
        side, sign = (0, 1.0) if a > 0 else (1, -1.0)
        want, best, best_t, previous, previous_t = abs(a), 0.0, 0.0, 0.0, 0.0
        for t, g in zip(self.steps[:self.run(side)], sign * self.gain[side]):
            t, g = float(t), float(g)
            if g >= want and g - previous > SMOOTH_SPAN:
                nearer = g - want <= want - best
                return sign * (t if nearer else best_t), sign * (g if nearer else best)
            if g >= want:
                return sign * (previous_t + (want - previous) / (g - previous) * (t - previous_t)), a
            if g > best:
                best, best_t = g, t
            previous, previous_t = g, t
        return sign * best_t, sign * best

    def at(self, t: float) -> np.ndarray:
        """A steered walk's offset from its start at distance t (signed, spread units along the
        path), linear between its steps; the end of the path beyond it."""
        side = 0 if t > 0 else 1
        points = np.concatenate([np.zeros((1, self.path.shape[2]), self.path.dtype), self.path[side]])
        s = min(abs(t) / self.steps[0], len(points) - 1.0)
        i = min(int(s), len(points) - 2)
        return points[i] + (s - i) * (points[i + 1] - points[i])


@torch.enable_grad()
def steered_path(decode, classifier: torch.nn.Module, calibration: Calibration, vector, z0: torch.Tensor,
                 name: str, n: int) -> torch.Tensor:
    """(2, n, D) a steered walk's codes less z0 (1, D), up then down: each step HOLD_STEP
    spreads along the gradient of the slider's attribute (the calibration's `steer`), less its
    components along the gradients of what the slider holds still and, where it would lower it,
    along the class's log-probability; where the class's probability has fallen under
    min(CONFIDENT, its start), the class's gradient joins it at equal length. Both sides and all
    the gradients in one batch: one forward and one backward a step. `decode`: codes -> images;
    `vector`: the slider's AttributeVector (its spread at z0)."""
    c = calibration
    still = c.still.get(name, ())
    _, spread = vector.direction(z0[0])
    cls = classifier(decode(z0)).argmax(1).item()
    signs = torch.tensor([1.0, -1.0], dtype=z0.dtype)
    z, out, floor = z0.expand(2, -1).clone(), [], None
    copies = 2 + len(still)  # the attribute, what it holds still, the class
    for _ in range(n):
        zz = z.repeat_interleave(copies, 0).requires_grad_(True)
        images = decode(zz)
        soft = c.steer(images)
        measured = torch.stack([soft[name]] + [soft[k] for k in still], 1).reshape(2, copies, -1)
        own = measured[:, :-1].diagonal(dim1=1, dim2=2).sum()  # each copy's own attribute
        logp = torch.log_softmax(classifier(images[copies - 1::copies]), 1)[:, cls]
        grads = torch.autograd.grad(own + logp.sum(), zz)[0].reshape(2, copies, -1)
        confidence = logp.detach().exp()
        if floor is None:
            floor = min(CONFIDENT, confidence[0].item())
        for side in range(2):
            g, h = signs[side] * grads[side, 0], grads[side, -1]
            basis = []
            for q in grads[side, 1:-1]:
                size = q.norm()
                for b in basis:
                    q = q - (q @ b) * b
                if q.norm() > 1e-3 * size:  # else it lies along the basis already: nothing new
                    basis.append(q / q.norm())
            for b in basis:
                g, h = g - (g @ b) * b, h - (h @ b) * b
            if g @ h < 0:
                g = g - (g @ h) / (h @ h).clamp_min(1e-12) * h
            if confidence[side] < floor:  # losing its class: lean back towards it
                g = g / g.norm().clamp_min(1e-12) + h / h.norm().clamp_min(1e-12)
            norm = g.norm()
            if norm > 1e-12:  # else: nothing moves the attribute with the rest held; stay
                z[side] = z[side] + HOLD_STEP * spread * g / norm
        out.append(z.detach().clone())
    return (torch.stack(out, 1) - z0).detach()
