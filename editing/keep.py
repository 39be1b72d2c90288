"""Keep what it is: a product's measured sliders (size, brightness) stop before the item turns into
another kind of item.

A slider moves the code along its class's own direction (editing.vectors.ClassDirections), which
keeps the class for most items and values; far out (a dress made three spreads wider) the
generator may still draw a coat or a bag. `ClassHold` walks each measured slider out from 0 in
steps of HOLD_STEP, in one batch of the generator and the classifier that knows the model's classes,
and finds how far it can go each way with the classifier still naming the item's class; a value
beyond that is held at the last one that kept it. Class sliders and class pairs are meant to change
the class and are never held.

The limits are those of one reference code (the document's z0 in the editor, `ref` in
apply_sliders), so that the sliders' offset is the same from every base: they are computed when a
slider first moves (one batch of 25 images of 32 px through the generator and the classifier) and
kept for the last few codes. Several held sliders moving at once are scaled back together where
their sum would still change the class.

`model_vectors` hands the hold to everything that moves a slider, inside `SliderSet` (the model's
vectors, plus what holds them): the editor's preview and export, `latent-edit edit`, sessions.
Strokes keep the class too: the classifier's cross-entropy joins the solver's objective
(`class_term`), and a candidate the classifier names another class ranks after every candidate
that kept it (`class_penalty`).
"""
from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

HOLD_STEP = 0.25  # slider units between the values the hold tries
HOLD_REACH = 3.0  # the sliders' range, each way
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


class ClassHold:
    """How far each measured slider can go from a code with the item staying of its class."""

    def __init__(self, decode, classifier: torch.nn.Module, vectors: dict):
        self.decode, self.classifier = decode, classifier
        self.names = [n for n, v in vectors.items() if v.meta.get("kind") in HELD_KINDS]
        self._vectors = vectors
        self._limits: OrderedDict[tuple[bytes, str], tuple[float, float]] = OrderedDict()
        self._shares: OrderedDict[tuple[bytes, tuple], float] = OrderedDict()

    @classmethod
    def for_model(cls, model, vectors: dict) -> "ClassHold | None":
        """The hold for a model whose classes a shipped classifier knows (model_classifier), when
        it has measured sliders; None otherwise."""
        if not any(v.meta.get("kind") in HELD_KINDS for v in vectors.values()):
            return None
        classifier = model_classifier(model)
        return None if classifier is None else cls(model.decode, classifier, vectors)

    @torch.no_grad()
    def limits(self, z0: torch.Tensor, name: str) -> tuple[float, float]:
        """(lowest, highest) value of slider `name` that keeps z0's class, walking out from 0."""
        key = (z0.detach().float().cpu().numpy().tobytes(), name)
        if key in self._limits:
            self._limits.move_to_end(key)
            return self._limits[key]
        from editing.vectors import apply_sliders

        steps = np.arange(1, int(round(HOLD_REACH / HOLD_STEP)) + 1) * HOLD_STEP
        codes = [z0.reshape(-1)] + [apply_sliders(z0.reshape(-1), self._vectors, {name: float(a)})
                                    for a in np.concatenate([steps, -steps])]
        classes = self.classifier(self.decode(torch.stack(codes))).argmax(1)
        kept = (classes[1:] == classes[0]).reshape(2, len(steps)).numpy()
        up, down = (len(k) if k.all() else int(np.argmin(k)) for k in kept)  # steps kept in a row

        def limit(n: int) -> float:  # no change of class as far as the walk went: no limit
            return math.inf if n == len(steps) else (float(steps[n - 1]) if n else 0.0)
        out = (-limit(down), limit(up))
        self._limits[key] = out
        if len(self._limits) > CACHED_LIMITS:
            self._limits.popitem(last=False)
        return out

    def clamp(self, z0: torch.Tensor, values: dict[str, float]) -> dict[str, float]:
        """The slider values with each held one brought within its limits for z0; where several
        held sliders move at once and together would still change the class, they are scaled back
        together to the largest share (in eighths) that keeps it."""
        out = dict(values)
        for n, a in values.items():
            if a and n in self.names:
                lo, hi = self.limits(z0, n)
                out[n] = min(max(a, lo), hi)
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
        if key in self._shares:
            return self._shares[key]
        shares = np.arange(TOGETHER_STEPS, -1, -1) / TOGETHER_STEPS
        codes = [z0.reshape(-1)] + [apply_sliders(z0.reshape(-1), self._vectors,
                                                  {n: a * f for n, a in values.items()})
                                    for f in shares[:-1]]
        classes = self.classifier(self.decode(torch.stack(codes))).argmax(1)
        kept = (classes[1:] == classes[0]).numpy()
        share = float(shares[int(np.argmax(kept))]) if kept.any() else 0.0
        self._shares[key] = share
        if len(self._shares) > CACHED_LIMITS:
            self._shares.popitem(last=False)
        return share


def held_sliders(vectors: dict, ref: torch.Tensor, values: dict[str, float]) -> dict[str, float]:
    """{slider: the value it is held at} for the sliders of `values` the hold brings in (limits
    from the code `ref`, as apply_sliders takes them)."""
    hold = getattr(vectors, "hold", None)
    if hold is None:
        return {}
    clamped = hold.clamp(ref.reshape(-1), values)
    return {n: clamped[n] for n in values if clamped[n] != values[n]}
