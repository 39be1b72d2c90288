"""Small pictures beside each main-direction slider: the photo as the model sees it with the edit
moved to -2 and to +2 along it. A model trained on a user's own unlabelled images has sliders named
"Direction 1" to "Direction 10" (GANSpace's principal directions, `latent-edit vectors` without
attributes), and nothing said what any of them does before it was moved (a walkthrough with a model
trained on a folder of photos). The pictures are the photo as the model sees it with the change
added, near what the canvas carries back (without its masks: at 44 px they would hardly show),
not the model's own picture: that showed a woman for a man's photo (walkthrough 46). No other
slider kind has them: their names say what they do."""
from __future__ import annotations

from typing import Callable

import torch
from PySide6.QtWidgets import QHBoxLayout, QLabel

from editing.vectors import AttributeVector, apply_sliders
from editor.canvas import thumbnail
from editor.render import rgb_pixels
from editor.state import Document

PREVIEWED_KINDS = ("principal",)  # AttributeVector.meta["kind"] of the sliders that get pictures
PREVIEW_AT = 2.0  # the slider values the two pictures show, - and +
PREVIEW_SIDE = 44  # screen pixels of each picture (36 read as too small: walkthrough 46)


def previewed(vector: AttributeVector | None) -> bool:
    return vector is not None and vector.meta.get("kind") in PREVIEWED_KINDS


class DirectionPreviews:
    """The pictures of a sliders panel's main-direction sliders, drawn again whenever the document
    changes (a step, an undo, another document), with the other sliders where they stand."""

    def __init__(self):
        self.draw: Callable[[torch.Tensor], torch.Tensor] | None = None  # codes (K, D) -> pictures
        # (K, C, R, R) in [-1, 1]: the generator drawing the document (tuned to its photo, if it is)
        self.labels: dict[str, tuple[QLabel, QLabel]] = {}

    def clear(self) -> None:
        self.labels.clear()

    def add(self, name: str, row: QHBoxLayout, title: str) -> None:
        """Put slider `name`'s two pictures (empty until `show`) on its title's row, marked − and +."""
        pair = []
        for sign, word in ((-1, "−"), (1, "+")):
            label = QLabel()
            label.setFixedSize(PREVIEW_SIDE, PREVIEW_SIDE)
            label.setObjectName(f"preview:{name}:{word}")
            label.setToolTip(f"{title} at {word}{PREVIEW_AT:g}, the other sliders as they are")
            mark = QLabel(word)
            row.addWidget(mark)
            row.addWidget(label)
            pair.append(label)
        self.labels[name] = (pair[0], pair[1])

    @torch.no_grad()
    def show(self, doc: Document, vectors: dict[str, AttributeVector]) -> None:
        """Draw every previewed slider's pictures from the document's current state, in one batch:
        the photo as the model sees it plus the change from the document's start (a model sample's
        document: the model's pictures)."""
        if not self.labels or self.draw is None:
            return
        state = doc.current
        values = state.slider_dict
        names = list(self.labels)
        codes = torch.stack([apply_sliders(state.z_base, vectors, {**values, n: sign * PREVIEW_AT},
                                           ref=doc.z0) for n in names for sign in (-1.0, 1.0)])
        pictures = self.draw(torch.cat([codes, doc.z0.reshape(1, -1).to(codes)]))
        pictures, start = pictures[:-1], pictures[-1:]
        if doc.target is not None:
            pictures = (doc.target.to(pictures) + pictures - start).clamp(-1, 1)
        if doc.mapping.invert:  # a light-background photo reaches the model reversed: shown as the photo's
            pictures = -pictures
        for i, n in enumerate(names):
            for j, label in enumerate(self.labels[n]):
                label.setPixmap(thumbnail(rgb_pixels(pictures[2 * i + j]), PREVIEW_SIDE))
