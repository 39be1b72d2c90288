"""Keep what it is, and move by what is asked: a product's measured sliders (size, brightness)
change the item by the measured amount their value names, and stop before it turns into another
kind of item.

A slider moves the code along its class's own direction (editing.vectors.ClassDirections), which
keeps the class for most items and values; far out (a dress made three spreads wider) the
generator may still draw a coat or a bag. `ClassHold` walks each measured slider out from the code
both ways in steps of HOLD_STEP spread units (one batch of the generator, the classifier that knows
the model's classes and editing.measure), and finds how far it can go with the classifier still
naming the item's class. Along the same walk it reads the measured attribute, and places slider
value a where the attribute has changed by a units (editing.measure.UNITS: Width +2 is two model
pixels wider, on a boot as on a dress, where a spread unit widened one item by a pixel and another by
five). A value the item cannot reach in its class is held at the largest change the walk found.
Class sliders and class pairs are meant to change the class and are never held.

The walk starts from one reference code (the document's z0 in the editor, `ref` in apply_sliders),
so that the sliders' offset is the same from every base: it is made when a slider first moves (49
images of 32 px) and kept for the last few codes. Several held sliders moving at once are scaled
back together where their sum would still change the class.

`model_vectors` hands the hold to everything that moves a slider, inside `SliderSet` (the model's
vectors, plus what holds them): the editor's preview and export, `latent-edit edit`, sessions.
Strokes keep the class too: the classifier's cross-entropy joins the solver's objective
(`class_term`), and a candidate the classifier names another class ranks after every candidate
that kept it (`class_penalty`).
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

HOLD_STEP = 0.25  # spread units between the distances the walk tries
HOLD_REACH = 3.0  # how far the walk goes each way: no further than an uncalibrated slider at 3, where
# the generator's pictures start to fall apart (streaks, a dress darkened)
HELD_KINDS = ("measured",)  # AttributeVector.meta["kind"] of the sliders held
CLASS_PENALTY = 1000.0  # added to a stroke candidate's objective when it changed class: ranks it
# after every candidate that kept it (objectives are a few units at most)
CACHED_LIMITS = 32  # (code, slider) pairs whose limits are kept, and as many shares
TOGETHER_STEPS = 8  # shares tried when several held sliders move at once


class SliderSet(dict):
    """A model's attribute vectors by name, and the ClassHold that keeps its items' class (or None)."""

    def __init__(self, vectors: dict | None = None, hold: "ClassHold | None" = None):
        super().__init__(vectors or {})
        self.hold = hold


_CLASSIFIERS: dict[str, torch.nn.Module | None] = {}  # model_classifier's, by generator hash


def model_classifier(model) -> torch.nn.Module | None:
    """The shipped classifier of the model's training data (same dataset, size and classes), or
    None for a model without classes or without one; read once per model, frozen."""
    key = model.generator_sha256
    if key not in _CLASSIFIERS:
        _CLASSIFIERS[key] = _read_model_classifier(model)
    return _CLASSIFIERS[key]


def _read_model_classifier(model) -> torch.nn.Module | None:
    from training.classifier import CLASSIFIERS_DIR, load_classifier

    data = model.config.get("data", {})
    folder = CLASSIFIERS_DIR / str(data.get("name", "")).split("/")[0]
    if not data.get("classes") or not data.get("name") or not Path(folder).is_dir():
        return None
    classifier, config = load_classifier(folder)
    known = config.get("data", {})
    if (known.get("classes") != data["classes"] or known.get("resolution") != model.gan.resolution
            or known.get("channels") != model.gan.channels):
        return None
    return classifier.requires_grad_(False)


def class_penalty(model, z_ref: torch.Tensor, weight: float = CLASS_PENALTY):
    """images (K, C, R, R) -> (K,) `weight` for each image the model's classifier names another
    class than G(z_ref)'s, for ranking solver candidates; None when the model has no classifier."""
    classifier = model_classifier(model)
    if classifier is None:
        return None
    with torch.no_grad():
        c0 = classifier(model.decode(z_ref.reshape(1, -1))).argmax(1)

    def penalty(images: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return weight * (classifier(images).argmax(1) != c0).float()
    return penalty


def class_term(model, z_ref: torch.Tensor):
    """images (K, C, R, R) -> (K,) the model's classifier's cross-entropy against G(z_ref)'s class
    (differentiable: the solver's class-keeping term); None when the model has no classifier."""
    classifier = model_classifier(model)
    if classifier is None:
        return None
    with torch.no_grad():
        c0 = classifier(model.decode(z_ref.reshape(1, -1))).argmax(1)

    def term(images: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(classifier(images), c0.expand(len(images)),
                                                 reduction="none")
    return term


@dataclass(frozen=True)
class Walk:
    """One slider walked out from a code both ways, in steps of HOLD_STEP spread units."""

    steps: np.ndarray  # (N,) HOLD_STEP, 2 HOLD_STEP, ... HOLD_REACH: distances from the code
    kept: np.ndarray  # (2, N) bool: the class is kept at +steps (row 0) and at -steps (row 1)
    gain: np.ndarray | None  # (2, N) the measured change there in slider units (signed), or None

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
        value a: measured sliders go to where the measured change first reaches a units (linear
        between the walk's steps, never back past a larger change), or as far as they go without
        changing the class; other sliders are only clamped to the class limits."""
        side, sign = (0, 1.0) if a > 0 else (1, -1.0)
        if self.gain is None:
            t = min(abs(a), self.limit(side))
            return sign * t, sign * t
        want, best, best_t = abs(a), 0.0, 0.0
        for t, g in zip(self.steps[:self.run(side)], sign * self.gain[side]):
            if g >= want:
                return sign * (best_t + (want - best) / (g - best) * (t - best_t)), a
            if g > best:
                best, best_t = float(g), float(t)
        return sign * best_t, sign * best


class ClassHold:
    """How far each measured slider can go from a code with the item staying of its class, and,
    given `measure`, how far along its direction each slider value goes (calibration)."""

    def __init__(self, decode, classifier: torch.nn.Module, vectors: dict,
                 measure: Callable[[torch.Tensor], dict[str, torch.Tensor]] | None = None,
                 units: dict[str, float] | None = None, read_as: dict[str, str] | None = None):
        self.decode, self.classifier = decode, classifier
        self.names = [n for n, v in vectors.items() if v.meta.get("kind") in HELD_KINDS]
        self.measure, self.units, self.read_as = measure, dict(units or {}), dict(read_as or {})
        self._vectors = vectors
        self._walks: OrderedDict[tuple[bytes, str], Walk] = OrderedDict()
        self._shares: OrderedDict[tuple[bytes, tuple], float] = OrderedDict()
        self._lock = threading.Lock()  # the editor's render worker and its window share the caches

    @classmethod
    def for_model(cls, model, vectors: dict, calibrate: bool = True) -> "ClassHold | None":
        """The hold for a model whose classes a shipped classifier knows (model_classifier), when
        it has measured sliders; None otherwise. With `calibrate`, the measured sliders move in
        measured units (editing.measure.UNITS)."""
        from editing.measure import CALIBRATED_BY, UNITS, measure

        if not any(v.meta.get("kind") in HELD_KINDS for v in vectors.values()):
            return None
        classifier = model_classifier(model)
        if classifier is None:
            return None
        return cls(model.decode, classifier, vectors, *((measure, UNITS, CALIBRATED_BY) if calibrate else ()))

    def calibrated(self, name: str) -> bool:
        return self.measure is not None and name in self.units

    @torch.no_grad()
    def walk(self, z0: torch.Tensor, name: str) -> Walk:
        """Slider `name` walked out from z0 (one batch of the generator, the classifier and the
        measure), kept for the last CACHED_LIMITS (code, slider) pairs."""
        key = (z0.detach().float().cpu().numpy().tobytes(), name)
        with self._lock:
            if key in self._walks:
                self._walks.move_to_end(key)
                return self._walks[key]
        steps = np.arange(1, int(round(HOLD_REACH / HOLD_STEP)) + 1) * HOLD_STEP
        unit, spread = self._vectors[name].direction(z0.reshape(-1))
        distances = torch.tensor(np.concatenate([[0.0], steps, -steps]), dtype=z0.dtype)
        codes = z0.reshape(1, -1) + distances[:, None] * spread * unit.to(z0)[None]
        images = self.decode(codes)
        classes = self.classifier(images).argmax(1)
        kept = (classes[1:] == classes[0]).reshape(2, len(steps)).numpy()
        gain = None
        if self.calibrated(name):
            m = self.measure(images)[self.read_as.get(name, name)].double().numpy()
            gain = ((m[1:] - m[0]) / self.units[name]).reshape(2, len(steps))
        walk = Walk(steps, kept, gain)
        with self._lock:
            self._walks[key] = walk
            if len(self._walks) > CACHED_LIMITS:
                self._walks.popitem(last=False)
        return walk

    def limits(self, z0: torch.Tensor, name: str) -> tuple[float, float]:
        """(lowest, highest) distance along slider `name`'s direction, in spread units, that keeps
        z0's class."""
        walk = self.walk(z0, name)
        return -walk.limit(1), walk.limit(0)

    def reached(self, z0: torch.Tensor, values: dict[str, float]) -> dict[str, float]:
        """{slider: the value it reaches} for each held slider of `values` from z0 (the value
        itself where nothing stops it)."""
        return {n: self.walk(z0, n).to_steps(a)[1] for n, a in values.items() if a and n in self.names}

    def clamp(self, z0: torch.Tensor, values: dict[str, float]) -> dict[str, float]:
        """The slider values as distances along their directions in spread units: each held one
        calibrated (see Walk.to_steps) and brought within its class limits for z0; where several
        held sliders move at once and together would still change the class, they are scaled back
        together to the largest share (in eighths) that keeps it."""
        out = dict(values)
        for n, a in values.items():
            if a and n in self.names:
                out[n] = self.walk(z0, n).to_steps(a)[0]
        held = [n for n in self.names if out.get(n)]
        if len(held) < 2:
            return out
        share = self._together(z0, {n: out[n] for n in held})
        return {n: (a * share if n in held else a) for n, a in out.items()}

    @torch.no_grad()
    def _together(self, z0: torch.Tensor, values: dict[str, float]) -> float:
        """The largest share in 1, 7/8, ..., 0 of `values` (held sliders, each within its limits)
        that, applied together, keeps z0's class."""
        from editing.vectors import apply_sliders

        key = (z0.detach().float().cpu().numpy().tobytes(), tuple(sorted(values.items())))
        with self._lock:
            if key in self._shares:
                return self._shares[key]
        shares = np.arange(TOGETHER_STEPS, -1, -1) / TOGETHER_STEPS
        codes = [z0.reshape(-1)] + [apply_sliders(z0.reshape(-1), self._vectors,
                                                  {n: a * f for n, a in values.items()})
                                    for f in shares[:-1]]
        classes = self.classifier(self.decode(torch.stack(codes))).argmax(1)
        kept = (classes[1:] == classes[0]).numpy()
        share = float(shares[int(np.argmax(kept))]) if kept.any() else 0.0
        with self._lock:
            self._shares[key] = share
            if len(self._shares) > CACHED_LIMITS:
                self._shares.popitem(last=False)
        return share


def uncalibrated(vectors: dict) -> "SliderSet | None":
    """The same sliders held but not calibrated (values in spread units, as before calibration),
    or None when `vectors` calibrate nothing: what sessions saved before calibration meant."""
    hold = getattr(vectors, "hold", None)
    if hold is None or hold.measure is None:
        return None
    plain = dict(vectors)
    return SliderSet(plain, ClassHold(hold.decode, hold.classifier, plain))


HELD_WHY = {  # why a slider stops short, in the user's words (why_held)
    "class": "further, the item would turn into another kind of item",
    "reach": "the model takes this item no further along this slider",
    "together": "scaled back with the other held sliders, so that the item keeps its kind",
}


def why_held(vectors: dict, ref: torch.Tensor, name: str, value: float) -> str:
    """Why slider `name` at `value` stops short from the code `ref` (held_sliders says it does)."""
    walk = vectors.hold.walk(ref.reshape(-1), name)
    if abs(walk.to_steps(value)[1] - value) <= 1e-6:
        return HELD_WHY["together"]
    side = 0 if value > 0 else 1
    return HELD_WHY["class" if walk.run(side) < len(walk.steps) else "reach"]


def held_sliders(vectors: dict, ref: torch.Tensor, values: dict[str, float]) -> dict[str, float]:
    """{slider: the value it is held at} for the sliders of `values` that stop short of it (from
    the code `ref`, as apply_sliders takes it): at the class limit, where a measured slider cannot
    change the item further, or scaled back with other held sliders."""
    hold = getattr(vectors, "hold", None)
    if hold is None:
        return {}
    ref = ref.reshape(-1)
    distances = hold.clamp(ref, values)
    out = {}
    for n, reached in hold.reached(ref, values).items():
        t = hold.walk(ref, n).to_steps(values[n])[0]
        value = reached * distances[n] / t if t else reached  # scaled back with others: in proportion
        if abs(value - values[n]) > 1e-6:
            out[n] = value
    return out
