"""Whether a face slider moved far changed what it names, as the shipped face-attribute classifier
reads the picture shown (walkthrough 49: Eyeglasses +2.67 added no glasses, Male +2 made the
astronaut no more masculine, and nothing said so, as "Ankle boot +2" on a sneaker did not before
editing.slider_notes.kind_notes said it). A slider moved STILL_FROM or further toward its attribute
(away from it, below 0) whose picture still reads as the reconstruction did says so in the status
bar: "Eyeglasses +2.67: the attribute classifier still reads no eyeglasses here (4%)". Read from
the model's own picture of each frame (the tuned generator's, when tuning is on), where the
model's sliders name the classifier's attributes and it frames faces; other models say nothing.
"""
from __future__ import annotations

import torch
from PySide6.QtCore import QObject

from editing.slider_notes import STILL_FROM
from editor.sliders import readable
from inversion.framing import DomainSpec
from training.classifier import CLASSIFIERS_DIR, at_classifier_side, load_classifier
from training.errors import UserError

FACE_CLASSIFIER = CLASSIFIERS_DIR / "celeba-64-attributes"  # its config.json names its attributes


class AttributeReader:
    """The face-attribute classifier (its attributes by name) reading model pictures."""

    def __init__(self, net: torch.nn.Module, names: list[str], resolution: int):
        self.net, self.names, self.resolution = net, list(names), resolution

    @classmethod
    def for_model(cls, model) -> "AttributeReader | None":
        """The shipped reader for a face model in colour whose pictures it can read (a multiple of its
        side); None otherwise, or where it cannot be loaded (a user's clone without it)."""
        side = model.gan.resolution
        if DomainSpec.for_model(model.config).kind != "face" or model.gan.channels != 3:
            return None
        try:
            net, config = load_classifier(FACE_CLASSIFIER)
        except (OSError, UserError):
            return None
        r = config["classifier"]["resolution"]
        return cls(net.eval(), config.get("attributes", []), r) if side % r == 0 else None

    @torch.no_grad()
    def read(self, x: torch.Tensor) -> dict[str, float]:
        """{attribute: probability} of a model picture x (1, 3, R, R) in [-1, 1], averaged down to
        the classifier's side in whole image levels, as it was trained."""
        read = torch.sigmoid(self.net(at_classifier_side(x, self.resolution)))[0]
        return dict(zip(self.names, read.tolist()))


def attribute_notes(values: dict[str, float], before: dict[str, float], now: dict[str, float],
                    sign=lambda name: 1.0) -> list[str]:
    """A note for each slider of `values` moved STILL_FROM or further toward its attribute (or away
    from it) whose reading `now` is still on the side of one half where the reconstruction's,
    `before`, was; a variant ("Male (keep Young)") is read by its attribute."""
    notes = []
    for name, value in values.items():
        attribute = name.partition(" (")[0]
        if abs(value) < STILL_FROM or attribute not in now or attribute not in before:
            continue
        p, was = now[attribute], before[attribute]
        if (value > 0 and p < 0.5 and was < 0.5) or (value < 0 and p >= 0.5 and was >= 0.5):
            what = readable(attribute).lower()
            notes.append(f"{readable(name)} {sign(name) * value + 0.0:+.2f}: the attribute classifier still "
                         f"reads {'no ' if value > 0 else ''}{what} here ({p:.0%})")
    return notes


class AttributeNotes(QObject):
    """Reads the frames the preview draws (their model picture) and says in the status bar, as the
    window's "attributes" tool, which far-moved face sliders left their attribute unchanged: once for
    each set of slider values (a review: said at every frame, it took the place of the edit's own
    messages, "4 candidates, the best applied", "Undone: ...")."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._reader: tuple[object, AttributeReader | None] = (None, None)  # (model, its reader)
        self._before: tuple[tuple, dict[str, float]] | None = None  # ((doc, drawing model), reading)
        self._said_for: tuple | None = None  # (doc, drawing model, slider values) said last
        window.preview.rendered.connect(self._on_render)

    def reader(self, model) -> AttributeReader | None:
        if self._reader[0] is not model:
            self._reader = (model, AttributeReader.for_model(model))
        return self._reader[1]

    def _on_render(self, _display, picture: torch.Tensor) -> None:
        w = self.window
        doc, shown, renderer = w.doc, w.preview.shown, w.preview.renderer
        reader = None if w.model is None else self.reader(w.model)
        values = {} if shown is None or reader is None else {
            n: v for n, v in shown.slider_dict.items() if abs(v) >= STILL_FROM}
        if not values or doc is None or renderer is None:
            self._said_for = None
            return w.tool_status("attributes", "")
        said_for, last = (doc, renderer.model, tuple(sorted(shown.slider_dict.items()))), self._said_for
        if last is not None and last[0] is doc and last[1] is renderer.model and last[2] == said_for[2]:
            return
        self._said_for = said_for
        key = (doc, renderer.model, doc.z0)
        if self._before is None or any(a is not b for a, b in zip(self._before[0], key)):
            self._before = (key, reader.read(renderer.model_image(doc.z0)[None]))
        notes = attribute_notes(values, self._before[1], reader.read(picture[None]),
                                w.sliders_panel.sign)
        w.tool_status("attributes", "; ".join(notes))
