"""What the product sliders say where they do not do what their values ask: a slider held short of
its value (editing.keep.held_sliders, held_reason), a size slider pushed up on an item that already
fills the frame (editing.measure.filling_frame), one that reshaped its item without resizing it
(editing.measure.reshaped_only), and a class slider that made it a third kind (kind_notes). The
editor's status bar and `latent-edit edit` say the same, each in its own names and signs; several
notes at once are said in short, so that one line holds them."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Callable

import numpy as np
import torch

from editing.keep import held_sliders
from editing.measure import (FRAME_SIZES, RESHAPE_FROM, filling_frame, filling_words, reshaped_only,
                             reshaped_words)


HELD_WHY = {  # why a slider stops short, in the user's words (why_held)
    "class": "further, the item would turn into another kind of item",
    "reach": "the model takes this item no further along this slider",
    "together": "scaled back with the other held sliders, so that the item keeps its kind",
    "step": "as close as the item gets (its size changes in whole steps here, a pixel of the "
            "model's small picture each)",  # ("in steps of a model pixel" was jargon: walkthrough 48)
}


HELD_WHY_SHORT = {  # the same, where several sliders share one status bar line (a walkthrough saw
    # two held sliders' reasons cut off at the window's edge)
    "class": "further, it would change kind",
    "reach": "the model goes no further",
    "together": "scaled back with the others",
    "step": "as close as it gets",
}


def goes_to(asked: float, reached: float) -> str:
    """How a held slider's message says where it went: "goes only to" a value short of the one asked
    for, "lands at" one past it (a jump of the measure lands on the nearer reading: a T-shirt's
    "width -3 goes only to -3.14" said the opposite of what happened, and "Area +2.00 goes to +2.28"
    read oddly beside a box showing 2.00: walkthrough 45)."""
    return "goes only to" if abs(reached) < abs(asked) else "lands at"


def held_reason(vectors: dict, ref: torch.Tensor, name: str, value: float) -> str:
    """Why slider `name` at `value` stops short from the code `ref` (held_sliders says it does): a
    key of HELD_WHY."""
    walk = vectors.hold.walk(ref.reshape(-1), name)
    if abs(walk.to_steps(value)[1] - value) <= 1e-6:
        return "together"
    side = 0 if value > 0 else 1
    if walk.gain is not None and (np.sign(value) * walk.gain[side][:walk.run(side)] >= abs(value)).any():
        return "step"  # it goes further: a steered walk's jump (Walk.to_steps)
    return "class" if walk.run(side) < len(walk.steps) else "reach"


def why_held(vectors: dict, ref: torch.Tensor, name: str, value: float, short: bool = False) -> str:
    """held_reason in HELD_WHY's words (`short`: HELD_WHY_SHORT's)."""
    return (HELD_WHY_SHORT if short else HELD_WHY)[held_reason(vectors, ref, name, value)]


RESHAPE_SAYS_MORE = ("step", "reach")  # held reasons (HELD_WHY) that a reshaped
# item's note replaces: "as close as the item gets" of a slider that moved the item's outline, not
# its size, hid what happened; a class limit or sliders scaled back together are still said. Where
# it replaces "step", the value it went to is not said either: a jump of the typical extent lands
# past the value asked for ("goes to -3.56", outside the slider's range, told a walkthrough nothing)


@dataclass(frozen=True)
class Note:
    name: str  # the slider
    reached: float | None  # the value it is held at (model's sign); None: it goes where asked
    why: str
    says_where: bool = True  # whether the value it is held at is said (RESHAPE_SAYS_MORE)


def slider_notes(vectors: dict, z0: torch.Tensor, values: dict[str, float], content: float,
                 drawn: Callable[[], tuple[torch.Tensor, torch.Tensor]],
                 min_held: float = 0.0, cli: bool = False) -> list[Note]:
    """The notes for slider values `values` (the model's) from the document's code z0; `drawn`
    gives (the code the sliders start from, the code they reach), asked for once, only where a size
    slider reaches RESHAPE_FROM or a class slider is moved (kind_notes); `content` as
    filling_frame's; a slider held less than `min_held` short of its value is not said to be held;
    `cli`: said as `latent-edit edit` takes sliders (pair_words)."""
    drawn = cache(drawn)  # asked for once
    held = {n: v for n, v in held_sliders(vectors, z0, values).items() if abs(v - values[n]) >= min_held}
    filling = filling_frame(vectors, z0, values, content)
    reached = {n: held.get(n, v) for n, v in values.items()}
    reshaped = {}
    if any(abs(reached.get(n, 0.0)) >= RESHAPE_FROM for n in FRAME_SIZES):
        base, code = drawn()
        reshaped = {n: spans for n, spans in reshaped_only(vectors, base, code, reached, content).items()
                    if n not in filling}
    short = len(set(held) | set(filling) | set(reshaped)) > 1
    notes = []
    for n, v in held.items():
        reason = held_reason(vectors, z0, n, values[n])
        if n in filling:
            notes.append(Note(n, v, filling_words(n, short)))
        elif n in reshaped and reason in RESHAPE_SAYS_MORE:
            notes.append(Note(n, v, reshaped_words(n, reshaped[n], short), says_where=reason != "step"))
        elif reason == "class" and n in vectors.hold.pairs and _of_pair(vectors, z0, n):
            meta, read = vectors[n].meta, vectors.hold.read_class(z0, z0)
            toward = meta.get("to") if values[n] > 0 else meta.get("from")  # its class slider, unless the
            hint = toward in vectors and (read is None or toward != read[0])  # item is that kind already
            notes.append(Note(n, v, pair_words(meta, short, toward if hint else None, cli)))
        else:
            notes.append(Note(n, v, (HELD_WHY_SHORT if short else HELD_WHY)[reason]))
    notes += [Note(n, None, filling_words(n, short)) for n in filling if n not in held]
    notes += [Note(n, None, reshaped_words(n, spans, short))
              for n, spans in reshaped.items() if n not in held]
    return notes + kind_notes(vectors, z0, reached, lambda: drawn()[1])  # as far as each went: a pair held
    # short of STILL_FROM says why already, one held with another slider may still make a third kind


KIND_FROM = 0.5  # a class or class-pair slider moved this far or more is checked for a third kind
STILL_FROM = 2.0  # one moved this far toward a kind the item is not, and it still reads as its own,
# says so (at +2, 6-54% of 40 held-out test items, by the slider, still read as their own kind to the
# classifier: the encoder's codes, the model's pictures; at +1, 58-82%, an item on its way)
NAMED_FROM = 0.6  # a kind note names the kind the model draws only where the classifier gives it this
# probability or more and the model's own picture reads as it too; else it says which kind is not drawn
# (walkthroughs 53-54: "Bag +2: the model still draws a dress here" over a T-shirt the classifier read as
# a dress at 0.63. On 2,700 class-slider edits of 100 held-out product photos, the kind named agreed with
# a second classifier's reading of the export for 71% of notes before, 94% now; notes said where it reads
# the slider's kind 139 -> 42, edits at +2 and +3 it reads as another kind left unsaid 79 -> 112 of 494:
# benchmarks/kind_notes.py)


def kind_notes(vectors: dict, z0: torch.Tensor, values: dict[str, float],
               code: Callable[[], torch.Tensor]) -> list[Note]:
    """A note for each class slider moved up, and each class-pair slider moved either way,
    KIND_FROM or more, where the item now reads as neither the kind it was nor the one the slider
    turns it into, nor for a pair its other kind (a walkthrough's "Shirt -> dress" +2 drew trousers
    and nothing said so; a shirt the classifier reads as a T-shirt may read as a shirt on the way),
    and for one moved STILL_FROM or more where it still reads as the kind it was, not the slider's
    (walkthrough 48: "Ankle boot" +2 drew a darker sneaker, without a word): the
    classifier's reading of `code`'s picture (given the code the sliders reach), as the held
    sliders judge it (editing.keep.ClassHold.read_kind). None where either that reading or the
    model's own picture reads as the slider's kind; the kind drawn is named only where the two
    agree on it and the classifier is sure of it (NAMED_FROM). Several such sliders moved at once: a
    note for each."""
    hold = getattr(vectors, "hold", None)
    targets = kind_targets(vectors, values)
    if hold is None or not targets:
        return []
    read = hold.read_kind(z0, code())
    if read is None:
        return []
    notes = []
    for n, (target, kinds) in targets.items():
        still = read.now == read.was != target and abs(values[n]) >= STILL_FROM
        third = read.now != read.was and read.now not in kinds
        if target in (read.now, read.drawn) or not (still or third):
            continue
        if read.drawn == read.now and read.sure >= NAMED_FROM:
            words = f"the model {'still ' if still else ''}draws {_kind(read.now)} here, not {_kind(target)}"
        else:
            words = f"the model does not draw {_kind(target)} here"
        notes.append(Note(n, None, words))
    return notes


def name_words(text: str) -> str:
    """Underscores to spaces, words in lower case (acronyms such as "PCA" kept)."""
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in text.replace("_", " ").split())


def readable(name: str) -> str:
    """A vector's name as people write it: `Blond_Hair` -> "Blond hair", `sneaker->ankle_boot` ->
    "Sneaker → ankle boot", "Smiling (keep Male, Young)" -> "Smiling (keep male, young)"."""
    base, paren, rest = name.partition(" (")
    text = " → ".join(name_words(part) for part in base.split("->"))
    text = text[:1].upper() + text[1:]
    return text + " (" + name_words(rest) if paren else text


def kind_targets(vectors: dict | None, values) -> dict[str, tuple[str, tuple[str, ...]]]:
    """{slider: (the kind it turns the item into, the kinds it may read as on the way)} for each
    class slider of `vectors` moved up, and each class pair moved either way, KIND_FROM or more, of
    slider values `values` ({name: value} or its items)."""
    targets = {}
    for n, v in dict(values).items():
        meta = vectors[n].meta if vectors is not None and n in vectors else {}
        if abs(v) < KIND_FROM:
            continue
        if meta.get("kind") == "pair" and meta.get("from") and meta.get("to"):
            targets[n] = meta.get("to") if v > 0 else meta.get("from"), (meta.get("from"), meta.get("to"))
        elif meta.get("kind") == "class" and v > 0:
            targets[n] = n, (n,)
    return targets


def asks_kind(vectors: dict | None, values, z0: torch.Tensor | None = None) -> bool:
    """Whether slider values `values` ask for another kind of item: a class slider moved up or a
    class pair moved either way, KIND_FROM or more (kind_targets), toward a kind other than the
    item's own (as the hold of `vectors` reads z0's, where it reads one). Its distance from the photo
    is then the point (editor.quality.QualityMeter.too_far's `kind`: walkthrough 53 saw "Gone too
    far" at every class value tried on a dress, the clean boot of Ankle boot +3 among them); a
    review: not a slider moved a hair, nor one toward the kind the item is."""
    targets = kind_targets(vectors, values)
    hold = getattr(vectors, "hold", None)
    read = hold.read_class(z0, z0) if targets and hold is not None and z0 is not None else None
    return any(target != (read[0] if read else None) for target, _ in targets.values())


def _of_pair(vectors: dict, z0: torch.Tensor, name: str) -> bool:
    """Whether the item of z0 is one of class pair `name`'s two kinds (read as the hold reads it): the
    pair's hold keeps an item of a third kind its own kind, which pair_words would not name."""
    meta, read = vectors[name].meta, vectors.hold.read_class(z0, z0)
    return read is None or read[0] in (meta.get("from"), meta.get("to"))


def pair_words(meta: dict, short: bool = False, toward: str | None = None, cli: bool = False) -> str:
    """Why a class pair stops short (editing.keep.PAIR_KINDS), in the user's words: "further, the
    model would draw neither a sneaker nor an ankle boot" (short: "further, it would be neither
    kind"), and, where the model has a class slider `toward` the kind it was moved toward, to try
    that instead (walkthrough 53: Sneaker -> ankle boot stopped at +0.25 on a sneaker, its direction
    drawing T-shirts there, while Ankle boot turned it into a clean boot); `cli`, as `latent-edit
    edit` takes it ("try --attr ankle_boot=VALUE instead")."""
    if short:
        return "further, it would be neither kind"
    words = f"further, the model would draw neither {_kind(meta['from'])} nor {_kind(meta['to'])}"
    if toward and cli:
        words += f" (try --attr {toward}=VALUE instead)"
    elif toward:
        words += f" (try the {readable(toward)} slider instead)"  # as the sliders panel names it
    return words


def _kind(name: str) -> str:
    """A class name as words: "ankle_boot" -> "an ankle boot", "trouser" -> "trousers"."""
    words = name.replace("_", " ")
    if words == "trouser":
        return "trousers"
    return ("an " if words[:1] in "aeiou" else "a ") + words


def note_line(note: Note, label: str, asked: float, sign: float = 1.0) -> str:
    """A note in words: "Width +3.00 goes only to +2.18: further, ...", "Height -2.00: it reshapes
    ..."; `asked`, the model's value; `sign`, the user's sign of the slider (brightness is the
    photo's: reversed on a light background)."""
    where = ("" if note.reached is None or not note.says_where
             else f" {goes_to(asked, note.reached)} {sign * note.reached + 0.0:+.2f}")
    return f"{label} {sign * asked + 0.0:+.2f}{where}: {note.why}"
