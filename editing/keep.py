"""Keep what it is, and move by what is asked: a product's measured sliders (size, brightness)
change the item by the measured amount their value names, and stop before it turns into another
kind of item.

An uncalibrated slider moves the code along its class's own direction
(editing.vectors.ClassDirections), which keeps the class for most items and values; far out (a dress
made three spreads wider) the generator may still draw a coat or a bag. `ClassHold` walks each
measured slider out from the code both ways in steps of HOLD_STEP spread units and finds how far it
can go with the classifier (the one that knows the model's classes) still naming the item's class.
Calibrated (`Calibration`), it reads the measured attribute along the same walk and places slider
value a where the attribute has changed by a units (editing.measure.UNITS: Width +2 is two model
pixels wider, on a boot as on a dress, where a spread unit widened one item by a pixel and another by
five). A value the item cannot reach in its class is held at the largest change the walk found.
Steered (the default), the walk is not a straight line but this item's own path along the
gradient of the attribute (editing.steer). Class sliders raised are meant to change the class and are
not held; a class slider lowered is (session version 14: Sandal -2 turned a sneaker into a shirt,
quietly, and Sneaker -2 did too: a walkthrough), as an uncalibrated slider is, where the classifier is
still sure of the item's class (as a steered walk keeps it: CONFIDENT). A class pair ("Sneaker → ankle
boot") is held both ways where the item would read as neither of its two kinds nor its own (session
version 15: walkthroughs saw "Shirt → dress" +2 draw trousers and "Sneaker → ankle boot" +1 a T-shirt;
on the product photos of 200 held-out items, 14-54% of each pair's exports at 0.5 to 3 read as a third
kind to a second classifier the hold never reads, 0-28% held: benchmarks/pair_hold.py).

The walk starts from one reference code (the document's z0 in the editor, `ref` in apply_sliders),
so that the sliders' offset is the same from every base: it is made when a slider first moves (49
images of 32 px, and for a steered walk first 12 steps of gradients: about half a second on one
core) and kept for the last few codes. Several held sliders moving at once are scaled back together
where their sum would still change the class.

`model_vectors` hands the hold to everything that moves a slider, inside `SliderSet` (the model's
vectors, plus what holds them): the editor's preview and export, `latent-edit edit`, sessions.
Strokes keep the class too (editing.class_terms).
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from editing.class_terms import with_change
from editing.steer import CONFIDENT, HOLD_STEP, STEER_READS, Calibration, Walk, steered_path
from training.classifier import model_classifier

HOLD_REACH = 3.0  # how far the walk goes each way: no further than an uncalibrated slider at 3, where
# the generator's pictures start to fall apart (streaks, a dress darkened)
HELD_KINDS = ("measured",)  # AttributeVector.meta["kind"] of the sliders held
LOWERED_KINDS = ("class",)  # those held when moved below 0 only (raised, they change the class)
PAIR_KINDS = ("pair",)  # those held both ways where the item would read as neither kind of the pair
CACHED_LIMITS = 32  # (code, slider) pairs whose limits are kept, and as many shares
CACHED_PHOTOS = 256  # codes whose photo the class is judged on (ClassHold.on_photo; a few KB each)
TOGETHER_STEPS = 8  # shares tried when several held sliders move at once


class SliderSet(dict):
    """A model's attribute vectors by name, and the ClassHold that keeps its items' class (or None)."""

    def __init__(self, vectors: dict | None = None, hold: "ClassHold | None" = None):
        super().__init__(vectors or {})
        self.hold = hold


@dataclass(frozen=True)
class KindReading:
    """What the classifier reads of an edit's item (ClassHold.read_kind)."""
    was: str  # the class of z0's item, on its photo (as the held sliders judge it)
    now: str  # the edit's, on the photo with the edit's change added (the same)
    sure: float  # the classifier's probability of `now`
    drawn: str  # the edit's by the model's own picture alone (what the thumbnail shows)


class ClassHold:
    """How far each measured slider (and each class slider, lowered, and each class pair) can go
    from a code with the item staying of its class (a pair's: of its own or either of the pair's),
    and, given `measure`, how far along its direction each slider value goes (calibration)."""

    def __init__(self, decode, classifier: torch.nn.Module, vectors: dict,
                 calibration: Calibration | None = None, on_photos: bool = True,
                 class_names: list[str] | None = None, lowered: bool = True, pairs: bool = True):
        self.decode, self.classifier, self.calibration = decode, classifier, calibration
        self.names = [n for n, v in vectors.items() if v.meta.get("kind") in HELD_KINDS]
        # the class sliders held when lowered (False: none, as sessions before version 14 meant)
        self.lowered = [n for n, v in vectors.items() if lowered and v.meta.get("kind") in LOWERED_KINDS]
        self._vectors = vectors
        self.on_photos = on_photos  # False: photos are not taken (as sessions before version 6)
        self._photos: OrderedDict[bytes, tuple[torch.Tensor, torch.Tensor, bytes]] = OrderedDict()
        self._walks: OrderedDict[tuple[bytes, str, bytes], Walk] = OrderedDict()  # (code, slider, photo)
        self._shares: OrderedDict[tuple[bytes, tuple, bytes], float] = OrderedDict()
        self._starts: OrderedDict[tuple[bytes, bytes], torch.Tensor] = OrderedDict()  # (code, photo)
        self._running: dict[tuple[bytes, str, bytes], Future] = {}  # walks being made, by key
        self._lock = threading.Lock()  # the editor's render worker and its window share the caches
        self.class_names = list(class_names or [])  # the classifier's classes, by index (read_class)
        # the class pairs held, with their two kinds' indices (False: none, as sessions before version
        # 15 meant; a classifier without class names holds none)
        self.pairs = {n: (self.class_names.index(v.meta["from"]), self.class_names.index(v.meta["to"]))
                      for n, v in vectors.items() if pairs and v.meta.get("kind") in PAIR_KINDS
                      and {v.meta.get("from"), v.meta.get("to")} <= set(self.class_names)}
        self._read: OrderedDict[tuple[bytes, bytes, bytes], KindReading] = OrderedDict()  # read_kind

    @classmethod
    def for_model(cls, model, vectors: dict, calibrate: bool = True, steer: bool = True) -> "ClassHold | None":
        """The hold for a model whose classes a shipped classifier knows (model_classifier), when
        it has measured sliders; None otherwise. With `calibrate`, the measured sliders move in
        measured units (editing.measure.UNITS), along each item's own path with `steer`."""
        if not any(v.meta.get("kind") in HELD_KINDS for v in vectors.values()):
            return None
        classifier = model_classifier(model)
        if classifier is None:
            return None
        return cls(model.decode, classifier, vectors, Calibration.shipped(steer) if calibrate else None,
                   class_names=model.config.get("data", {}).get("classes"))

    def holds(self, name: str, a: float) -> bool:
        """Whether slider `name` at value `a` may be held: a measured slider or a class pair moved, a
        class slider lowered (held_in says which of several are)."""
        return bool(a) and (name in self.names or name in self.pairs or (a < 0 and name in self.lowered))

    def held_in(self, values: dict[str, float]) -> list[str]:
        """The sliders of `values` held, in the order they are summed: the measured ones and the class
        pairs moved, and the class sliders lowered unless a slider that changes the class on purpose
        moves too (a class slider raised, a class pair: "Sneaker +2, Sandal -2" on a sandal is meant
        to leave it)."""
        changing = any(a and self._vectors[n].meta.get("kind") in ("class", "pair")
                       and not (a < 0 and n in self.lowered) for n, a in values.items() if n in self._vectors)
        names = (*self.names, *self.pairs, *(() if changing else self.lowered))
        return [n for n in names if self.holds(n, values.get(n, 0.0))]

    def calibrated(self, name: str) -> bool:
        return self.calibration is not None and name in self.calibration.units

    def steered(self, name: str) -> bool:
        return self.calibrated(name) and self.calibration.steer is not None

    def on_photo(self, z0: torch.Tensor, photo: torch.Tensor | None) -> None:
        """Judge the class of z0's edits on `photo` ((1, C, R, R) in [-1, 1]: the photo z0 was
        inverted from, as the model sees it) with the edit's change added, as the export carries
        it back, rather than on the generator's picture alone: the item keeps what the photo shows
        (the classifier's reading of the photo) even where the reconstruction reads as a
        neighbouring class. Set before the first slider of that code moves (the editor: when the
        document starts); None, or a hold made with on_photos=False: the generator's picture."""
        if photo is None or not self.on_photos:
            return
        photo = photo.detach().float().cpu().reshape(1, *photo.shape[-3:]).clone()
        digest = hashlib.sha256(photo.numpy().tobytes()).digest()
        with torch.no_grad():
            start = self.decode(z0.detach().reshape(1, -1))
        key = self._code_key(z0)
        with self._lock:
            self._photos[key] = photo, start, digest
            self._photos.move_to_end(key)
            if len(self._photos) > CACHED_PHOTOS:
                self._photos.popitem(last=False)

    @staticmethod
    def _code_key(z0: torch.Tensor) -> bytes:
        return z0.detach().float().cpu().reshape(-1).numpy().tobytes()

    def _judged(self, z0: torch.Tensor) -> tuple[Callable[[torch.Tensor], torch.Tensor], bytes]:
        """(images -> what the classifier reads of them, a key for it): the photo registered for
        z0 (on_photo) with each image's change from G(z0) added, or the images themselves."""
        key = self._code_key(z0)
        with self._lock:
            entry = self._photos.get(key)
            if entry is not None:
                self._photos.move_to_end(key)
        if entry is None:
            return (lambda images: images), b""
        photo, start, digest = entry
        return with_change(photo, start), digest

    def walk(self, z0: torch.Tensor, name: str) -> Walk:
        """Slider `name` walked out from z0 (one batch of the generator, the classifier and the
        measure; a steered one's path first), kept for the last CACHED_LIMITS (code, slider)
        pairs; safe to call from several threads (each walk is made once)."""
        judged, digest = self._judged(z0)
        key = (self._code_key(z0), name, digest)
        with self._lock:
            if key in self._walks:
                self._walks.move_to_end(key)
                return self._walks[key]
            running = self._running.get(key)
            if running is None:
                future = self._running[key] = Future()
        if running is not None:  # another thread walks it (the editor's warm-up, its render
            return running.result()  # worker): its walk, or its error
        try:
            walk = self._walk(z0.detach(), name, judged)
        except BaseException as e:
            with self._lock:
                self._running.pop(key)
            future.set_exception(e)
            raise
        with self._lock:
            self._walks[key] = walk
            if len(self._walks) > CACHED_LIMITS:
                self._walks.popitem(last=False)
            self._running.pop(key)
        future.set_result(walk)
        return walk

    @torch.no_grad()
    def _walk(self, z0: torch.Tensor, name: str, judged: Callable[[torch.Tensor], torch.Tensor]) -> Walk:
        steps = np.arange(1, int(round(HOLD_REACH / HOLD_STEP)) + 1) * HOLD_STEP
        z0 = z0.detach().reshape(1, -1)
        path = None
        if self.steered(name):
            coarse = steered_path(self.decode, lambda images: self.classifier(judged(images)),
                                  self.calibration, self._vectors[name], z0, name, len(steps))
            # Read every quarter step, straight between the path's points: the measure jumps (a
            # row of the silhouette appears), and a slider value placed between two readings far
            # apart would land short of it.
            points = torch.cat([torch.zeros_like(coarse[:, :1]), coarse], 1)
            f = torch.arange(1, STEER_READS + 1, dtype=z0.dtype)[None, None, :, None] / STEER_READS
            path = (points[:, :-1, None] + f * (points[:, 1:, None] - points[:, :-1, None])).flatten(1, 2)
            steps = np.arange(1, path.shape[1] + 1) * (HOLD_STEP / STEER_READS)
            codes = torch.cat([z0, z0 + path.reshape(2 * len(steps), -1)])
        else:
            unit, spread = self._vectors[name].direction(z0[0])
            distances = torch.tensor(np.concatenate([[0.0], steps, -steps]), dtype=z0.dtype)
            codes = z0 + distances[:, None] * spread * unit.to(z0)[None]
        images = self.decode(codes)
        if path is None:  # a class slider lowered keeps the classifier sure too: its walk leaves items
            # barely of their class, smeared (a sneaker at Sandal -0.75 read 0.29 a sneaker, its
            # realism under 99% of the model's own pictures; at -0.5, 0.96)
            logits = self.classifier(judged(images))
            kept = self._keeps(logits, confident=name in self.lowered or name in self.pairs,
                               kinds=self.pairs.get(name, ())).reshape(2, len(steps))
        else:  # the classifier costs more than the generator: read at the path's own points, and
            # a reading between two of them keeps the class where the next point does
            coarse = torch.cat([images[:1], images[1:].reshape(2, -1, STEER_READS, *images.shape[1:])
                                [:, :, -1].flatten(0, 1)])
            kept = np.repeat(self._keeps(self.classifier(judged(coarse)), confident=True).reshape(2, -1),
                             STEER_READS, 1)
        gain = None
        if self.calibrated(name):
            c = self.calibration
            m = c.measure(images)[c.read_as.get(name, name)].double().numpy()
            gain = ((m[1:] - m[0]) / c.units[name]).reshape(2, len(steps))
        neighbours = self.calibration is None or self.calibration.neighbours
        return Walk(steps, kept, gain, None if path is None else path.numpy(), neighbours)

    @torch.no_grad()
    def _start_logits(self, z0: torch.Tensor, judged: Callable[[torch.Tensor], torch.Tensor],
                      digest: bytes) -> torch.Tensor:
        """(1, classes): what the classifier reads of z0's own picture (on its photo, as `judged`),
        read once per code and photo: every combination of held sliders starts from it."""
        key = (self._code_key(z0), digest)
        with self._lock:
            if key in self._starts:
                self._starts.move_to_end(key)
                return self._starts[key]
        logits = self.classifier(judged(self.decode(z0.reshape(1, -1))))
        with self._lock:
            self._starts[key] = logits
            if len(self._starts) > CACHED_PHOTOS:
                self._starts.popitem(last=False)
        return logits

    @torch.no_grad()
    def read_class(self, z0: torch.Tensor, code: torch.Tensor) -> tuple[str, str] | None:
        """(the class the classifier reads of z0's item, of `code`'s), each judged as the sliders
        judge it (on z0's photo with the edit's change added, on_photo); None where the classes
        have no names (read_kind)."""
        read = self.read_kind(z0, code)
        return None if read is None else (read.was, read.now)

    @torch.no_grad()
    def read_kind(self, z0: torch.Tensor, code: torch.Tensor) -> KindReading | None:
        """What the classifier reads of z0's item and of `code`'s (KindReading); None where the
        classes have no names. Kept for the last few codes: the editor asks at every change of its
        document while a class slider stands moved."""
        if not self.class_names:
            return None
        judged, digest = self._judged(z0.reshape(-1))
        key = (self._code_key(z0), self._code_key(code), digest)
        with self._lock:
            if key in self._read:
                self._read.move_to_end(key)
                return self._read[key]
        start = int(self._start_logits(z0.reshape(-1), judged, digest).argmax(1))
        picture = self.decode(code.reshape(1, -1))
        p = torch.softmax(self.classifier(torch.cat([judged(picture), picture])), 1)
        now, drawn = (int(i) for i in p.argmax(1))
        if max(start, now, drawn) >= len(self.class_names):
            return None
        read = KindReading(*(self.class_names[i] for i in (start, now)), float(p[0, now]),
                           self.class_names[drawn])
        with self._lock:
            self._read[key] = read
            if len(self._read) > CACHED_LIMITS:
                self._read.popitem(last=False)
        return read

    @staticmethod
    def _keeps(logits: torch.Tensor, confident: bool, kinds: tuple[int, ...] = ()) -> np.ndarray:
        """(B - 1,) bool: whether each image after the first (the start) keeps its class, or reads as
        one of `kinds` (a class pair's two). Steered walks and pairs (`confident`) go far, and an item
        they leave barely of its class (the classifier hesitating) is read as another by a second
        look, or once carried back onto its photo: they also keep the classifier's confidence (in
        those classes together) at CONFIDENT or, for an item less sure to begin with, at its own."""
        allowed = torch.tensor(sorted({int(logits[0].argmax()), *kinds}))
        kept = torch.isin(logits[1:].argmax(1), allowed)
        if confident:
            p = torch.softmax(logits, 1)[:, allowed].sum(1)
            kept &= p[1:] >= min(CONFIDENT, p[0].item())
        return kept.numpy()

    def offset(self, z0: torch.Tensor, name: str, t: float) -> torch.Tensor:
        """The code's offset from z0 for held slider `name` at distance t (spread units, signed):
        along this item's steered path, or along the slider's direction."""
        walk = self.walk(z0.reshape(-1), name)
        if walk.path is not None:
            return torch.from_numpy(walk.at(t)).to(z0)
        unit, spread = self._vectors[name].direction(z0.reshape(-1))
        return float(t) * spread * unit.to(z0)

    def limits(self, z0: torch.Tensor, name: str) -> tuple[float, float]:
        """(lowest, highest) distance along slider `name`'s direction, in spread units, that keeps
        z0's class (a class pair's: its own or either of the pair's)."""
        walk = self.walk(z0, name)
        return -walk.limit(1), walk.limit(0)

    def reached(self, z0: torch.Tensor, values: dict[str, float]) -> dict[str, float]:
        """{slider: the value it reaches} for each held slider of `values` from z0 (the value
        itself where nothing stops it)."""
        return {n: self.walk(z0, n).to_steps(values[n])[1] for n in self.held_in(values)}

    def clamp(self, z0: torch.Tensor, values: dict[str, float]) -> dict[str, float]:
        """The slider values as distances along their directions in spread units: each held one
        calibrated (see Walk.to_steps) and brought within its class limits for z0; where several
        held sliders (class pairs aside) move at once and together would still change the class,
        they are scaled back together to the largest share (in eighths) that keeps it."""
        out = dict(values)
        held = self.held_in(values)
        for n in held:
            out[n] = self.walk(z0, n).to_steps(values[n])[0]
        held = [n for n in held if out[n] and n not in self.pairs]  # (a pair changes the class: not
        # scaled back to keep it, as a class slider raised is not)
        if len(held) < 2:
            return out
        share = self._together(z0, {n: out[n] for n in held})
        return {n: (a * share if n in held else a) for n, a in out.items()}

    @torch.no_grad()
    def _together(self, z0: torch.Tensor, values: dict[str, float]) -> float:
        """The largest share in 1, 7/8, ..., 0 of `values` (held sliders, each within its limits)
        that, applied together, keeps z0's class."""
        judged, digest = self._judged(z0)
        key = (self._code_key(z0), tuple(sorted(values.items())), digest)
        with self._lock:
            if key in self._shares:
                return self._shares[key]
        shares = np.arange(TOGETHER_STEPS - 1, 0, -1) / TOGETHER_STEPS  # 7/8 .. 1/8
        z0 = z0.reshape(-1)
        confident = any(self.steered(n) for n in values)

        start = self._start_logits(z0, judged, digest)

        def keeps(fractions) -> np.ndarray:  # for each share, whether z0's class is kept
            codes = [z0 + sum(self.offset(z0, n, a * f) for n, a in values.items()) for f in fractions]
            logits = self.classifier(judged(self.decode(torch.stack(codes))))
            return self._keeps(torch.cat([start, logits]), confident)

        # The whole move first: it mostly keeps the class, and one image costs a third of eight
        # (the slider frame's tail: 7 ms of the generator and the classifier at batch 9, 2.9 at 2;
        # the start's reading is kept per code: 1.4 ms at batch 1 against 2.1 at 2, on 2 threads).
        if keeps([1.0])[0]:
            share = 1.0
        else:
            kept = keeps(shares)
            share = float(shares[int(np.argmax(kept))]) if kept.any() else 0.0
        with self._lock:
            self._shares[key] = share
            if len(self._shares) > CACHED_LIMITS:
                self._shares.popitem(last=False)
        return share


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
