"""The side panels besides the sliders: the model (choice and what it draws), the solver's
candidates, and the history. The history panel reacts to the document on its own.
"""
from __future__ import annotations

import html
from typing import Callable
from pathlib import Path

import torch
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (QComboBox, QDockWidget, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QVBoxLayout, QWidget)

from editor.canvas import thumbnail
from editor.quality import CLOSENESS, UNREALISTIC, QualityMeter
from editor.render import rgb_pixels
from editor.state import Document
from training.modelfile import MODELS_DIR, shipped_models

MODEL_VIEW_SIDE = 128  # pixels of the G(z) view
CANDIDATE_SIDE = 64  # pixels of a candidate's icon
SIDE_WIDTH = 380  # pixels of the side panel: room for a slider track of about 300 pixels


def quality_tip(faces: bool) -> str:
    """The quality line's tooltip (rich text, which Qt wraps: as plain text it ran 1,500 px past the
    window's sides), a paragraph a measure, in words first (walkthrough 55 read a block of "LPIPS ...
    discriminator score" as jargon); the person's distance and the hair only for a face model (a
    walkthrough on a product read of dlib and hair colours)."""
    except_for = ("a hair colour on a face, which the same-person distance judges" if faces else
                  "colour strokes alone, which paint within the brush, and a class slider raised or a "
                  "class pair moved toward another kind, which asks for another item")
    words = ", ".join(f"{w.split(' ')[0]} under {limit:g}" for limit, w in CLOSENESS[:-1])
    person = ("<p><b>The same person</b> (faces): a face-recognition distance (dlib's) between the "
              "picture's face and the photo's; the same person under 0.6.</p>" if faces else "")
    return ("<p><b>How far from the photo</b> (the number in brackets): a perceptual distance (LPIPS) "
            f"between the picture and the photo as the model sees it, 0 when they are the same: {words}, "
            "much changed beyond. An edit that takes the picture about 0.1 further from the photo than "
            f"the model's first picture of it has gone too far (except for {except_for}).</p>" + person +
            "<p><b>Realistic</b>: where the picture ranks among pictures the model draws itself, by the "
            "model's own judge of realism (its discriminator), the photo's rank beside it. A photo often "
            f"ranks low (the model knows its own pictures best); below all but {UNREALISTIC:.0%} of them, "
            "where the model's first picture of the photo was not, the edit has gone too far.</p>")


VIEW_TIP = ("What the model draws (G(z)), smoothly enlarged: the edit is what changed in it, carried back "
            "onto the photo. On a product photo a colour stroke lands only within its brush, so the "
            "model's picture may change far more than the canvas.")


CAPTION = "The model's own picture"
BANDED = ": strokes land only where painted"


class ModelPanel(QWidget):
    """The model chooser, and G(z) of the current code, smoothly enlarged."""

    model_chosen = Signal(str)  # a model's folder

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.combo = QComboBox()
        self.combo.activated.connect(lambda i: self.model_chosen.emit(self.combo.itemData(i)))
        row.addWidget(QLabel("Model"))
        row.addWidget(self.combo, 1)
        layout.addLayout(row)
        self.view = QLabel()
        self.view.setFixedSize(MODEL_VIEW_SIDE, MODEL_VIEW_SIDE)
        self.view.setToolTip(VIEW_TIP)
        layout.addWidget(self.view, 0, Qt.AlignmentFlag.AlignHCenter)
        self.caption = caption = QLabel(CAPTION)  # it had no label, and after a stroke on a product
        caption.setToolTip(VIEW_TIP)  # it can differ much from the canvas (a walkthrough)
        caption.setStyleSheet("font-size: small")  # (greyed, it read as disabled: walkthrough 46)
        caption.setWordWrap(True)
        caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(caption)

    def set_models(self, added: list[str], current: str | None) -> None:
        """The shipped models and the folders the user `added`; `current`: the model in use."""
        self.combo.clear()
        for name in shipped_models():
            self.combo.addItem(name, str(MODELS_DIR / name))
        for folder in added:
            if Path(folder).is_dir():
                self.combo.addItem(Path(folder).name + " (added)", folder)
        i = self.combo.findData(current) if current else -1
        if current and i < 0:  # a model opened by its path: listed too, so the box shows it
            self.combo.addItem(Path(current).name, current)
            i = self.combo.count() - 1
        if i >= 0:
            self.combo.setCurrentIndex(i)

    def show_image(self, x: torch.Tensor, reversed_: bool = False, banded: bool = False) -> None:
        """G(z), (C, R, R) in [-1, 1]; `reversed_`: the photo reaches the model reversed (a light
        background), so the picture is shown reversed back, as the photo's (else a brighter item
        on the photo shows darker here); `banded`: the picture's strokes land only within their
        bands, which the caption says (walkthrough 48: a dark stroke landed as a bar on the canvas
        while this picture showed the whole item darker, two answers to one stroke)."""
        self.caption.setText(CAPTION + (BANDED if banded else ""))
        self.view.setPixmap(thumbnail(rgb_pixels(-x if reversed_ else x), MODEL_VIEW_SIDE))
        self.view.setToolTip(VIEW_TIP + (" Its levels are reversed as the photo's (the model sees this "
                                         "light-background photo light on black)." if reversed_ else ""))


class CandidatesPanel(QWidget):
    """The solver's candidates for the last stroke, best first; a click chooses one (the
    tool that showed them applies it). Above them, the quality of the current picture
    (editor.quality); each candidate's in its tooltip."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.codes: torch.Tensor | None = None  # (K, D) the candidates' codes
        self._on_choose: Callable[[int], None] | None = None  # the showing tool's: candidate k chosen
        self.meter: QualityMeter | None = None
        self.warning: str | None = None  # the quality line's warning ("Gone too far: ..."), if it shows one
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.quality = QLabel()
        self.quality.setTextFormat(Qt.TextFormat.RichText)  # html-escaped text, a warning in red
        self.quality.setWordWrap(True)
        # Room for the summary and a warning from the start: a warning that appears must not push
        # the sliders above it (a click meant for a value box then missed); five lines, a face's
        # three of summary and two of warning at 1200 px (walkthrough 50 saw four move the sliders).
        self.quality.setMinimumHeight(5 * self.quality.fontMetrics().lineSpacing())
        self.quality.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.quality.setToolTip(quality_tip(faces=True))
        layout.addWidget(self.quality)
        self.heading = QLabel("<b>Candidates</b> (click to choose)")
        layout.addWidget(self.heading)
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(CANDIDATE_SIDE, CANDIDATE_SIDE))
        self.gallery.setFixedHeight(96)
        self.gallery.itemClicked.connect(self._clicked)
        layout.addWidget(self.gallery)
        # Shown only while there are candidates: empty, the box took the room of two sliders (at
        # 1200x800 three and a half of a product model's nineteen sliders showed). It sits below
        # the sliders: coming, it shortens their list from below and moves none of them.
        self._show_gallery(False)

    def _show_gallery(self, shown: bool) -> None:
        self.heading.setVisible(shown)
        self.gallery.setVisible(shown)

    def set_meter(self, meter: QualityMeter | None) -> None:
        self.meter, self.warning = meter, None
        self.quality.clear()
        self.quality.setToolTip(quality_tip(meter is None or meter.spec.kind == "face"))

    def show_quality(self, z: torch.Tensor, offset=None, shown: torch.Tensor | None = None,
                     unedited: bool = False, hair: bool = False, painted: bool = False,
                     kind: bool = False) -> None:
        """The quality of the current picture: code z (D,), drawn with a drag's `offset` if any,
        or `shown` (1, C, R, R), the picture on screen as the model sees it, when given; `unedited`:
        the state is the photo as opened, and where the generator's picture is measured (no `shown`)
        the line says it is the picture edits start from (walkthrough 55: the badge said "Unedited"
        over the photo and the line "Now: changed from the photo (0.077) · another person"); `hair`:
        it moves a hair colour slider; `painted`: its colour strokes land within their bands; `kind`:
        it asks for another kind of item (QualityMeter.too_far)."""
        if self.meter is not None:
            q = self.meter.measure_code(z, offset) if shown is None else self.meter.measure(shown)[0]
            warning = self.warning = self.meter.warning(q, hair, landed=shown is not None, painted=painted,
                                                        kind=kind)
            start = unedited and shown is None and self.meter.target is not None  # (not a model sample)
            text = ("The model's picture of the photo, which edits start from: " if start else "Now: ") + \
                html.escape(self.meter.said(q))
            poor = self.meter.poor_fit(short=True)  # (said once the inversion is done, and kept)
            if poor:
                text += f'<br><span style="color:#a0522d">{html.escape(poor)}</span>'
            self.quality.setText(text if warning is None else
                                 f'<b style="color:#c0392b">{html.escape(warning)}</b> (undo: Ctrl+Z)<br>{text}')

    def show_candidates(self, codes: torch.Tensor, images: torch.Tensor, views: list | None = None,
                        on_choose: Callable[[int], None] | None = None,
                        qualities: list | None = None, hair: bool = False,
                        seen: torch.Tensor | None = None, painted: bool = False, kind: bool = False) -> list:
        """codes (K, D) and their images (K, C, R, R) in [-1, 1]; `views`, each candidate's edit
        on the photo ((h, w, 3) uint8, editor.render.Renderer.view), shown instead of the images;
        `on_choose(k)`, what a click on candidate k does (the showing tool applies it); `qualities`,
        their measures if known; `hair`: they move a hair colour slider, `painted`: their colour
        strokes land within their bands, `kind`: they ask for another kind of item (QualityMeter.too_far);
        `seen` (K, C, R, R), what lands of each as the model sees it, measured instead of the
        images where that is not the generator's picture (editor.strokes.with_views). Returns the
        measures shown."""
        self.clear()
        self.codes, self._on_choose = codes, on_choose
        if qualities is None:
            measured = images if seen is None else seen
            qualities = self.meter.measure(measured) if self.meter is not None else [None] * len(images)
        shown = views if views is not None else [rgb_pixels(img) for img in images]
        for k, (pixels, q) in enumerate(zip(shown, qualities)):
            pixmap = thumbnail(pixels, CANDIDATE_SIDE)
            icon = QIcon(pixmap)
            icon.addPixmap(pixmap, QIcon.Mode.Selected)  # untinted: the chosen candidate looked
            # colour-cast under the selection's blue (walkthrough)
            item = QListWidgetItem(icon, f"{k + 1}")
            item.setData(Qt.ItemDataRole.UserRole, k)
            if q is not None:
                warning = self.meter.warning(q, hair, landed=seen is not None, painted=painted, kind=kind)
                said = html.escape(f"Candidate {k + 1}: {self.meter.said(q)}")
                # rich text, which Qt wraps: as one plain line it ran past the window's left edge
                item.setToolTip(f"<p>{said}" + (f"<br><b>{html.escape(warning)}</b>" if warning else "")
                                + "</p>")
            self.gallery.addItem(item)
        self._show_gallery(bool(codes.shape[0]))
        return qualities

    def _clicked(self, item: QListWidgetItem) -> None:
        if self._on_choose is not None:
            self._on_choose(item.data(Qt.ItemDataRole.UserRole))

    def clear(self) -> None:
        self.codes, self._on_choose = None, None
        self.gallery.clear()
        self._show_gallery(False)


BACK_ROW, FORWARD_ROW = -1, -2  # HistoryPanel's rows around a model switch (its `_rows`)


class HistoryPanel(QWidget):
    """The document's history; undone steps are grey, a click jumps to a step. Around a model
    switch (`around`: the window's (row above, row below) labels, either None) a row above the
    document's steps stands for the document the switch left, a click going back to it (`back`),
    and a grey row just below the current step for a switch that was undone, a click redoing it
    (`forward`), as Redo does before the document's own undone steps below it: the switch vanished
    from the list when undone, and the earlier steps with it (a walkthrough); the row stood after
    the document's undone steps, where Redo would take those first (a review)."""

    back = Signal()
    forward = Signal()

    def __init__(self, parent=None, around: Callable[[], tuple[str | None, str | None]] | None = None):
        super().__init__(parent)
        self.doc: Document | None = None
        self.around = around or (lambda: (None, None))
        self._rows: list[int] = []  # each row's step, BACK_ROW above them, FORWARD_ROW an undone switch
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>History</b>"))
        self.list = QListWidget()
        self.list.setMinimumHeight(80)
        self.list.itemClicked.connect(self._on_click)
        layout.addWidget(self.list)

    def set_document(self, doc: Document) -> None:
        self.doc = doc
        doc.subscribe(self._show_document)
        self._show_document(doc)

    def _on_click(self, item: QListWidgetItem) -> None:
        if self.doc is None:
            return
        step = self._rows[self.list.row(item)]
        if step == BACK_ROW:
            self.back.emit()
        elif step == FORWARD_ROW:
            self.forward.emit()
        else:
            self.doc.jump(step)

    def _show_document(self, doc: Document) -> None:
        if doc is not self.doc:
            return
        self.list.clear()
        above, below = self.around()
        self._rows = []

        def add(text: str, step: int, grey: int | None = None, tip: str = "") -> None:
            item = QListWidgetItem(text)
            if grey is not None:
                item.setForeground(QColor(grey, grey, grey))
            item.setToolTip(tip)
            self.list.addItem(item)
            self._rows.append(step)

        if above is not None:
            add(above, BACK_ROW, 110, "Click to go back to it (or Undo from the first step below)")
        for i, s in enumerate(doc.history):
            add(f"{i}. {s.label}", i, 150 if i > doc.index else None)
            if i == doc.index and below is not None:
                add(f"↓ {below} (undone)", FORWARD_ROW, 150, "Click (or Redo) to switch again")
        self.list.setCurrentRow(self._rows.index(doc.index))


def side_dock(window, *panels: tuple[QWidget, int]) -> QDockWidget:
    """The panels, stacked with their stretch factors, in a fixed dock without a title bar (each
    panel has its own heading; a dock title would only repeat the menu)."""
    side = QWidget()
    layout = QVBoxLayout(side)
    for panel, stretch in panels:
        layout.addWidget(panel, stretch)
    side.setMinimumWidth(SIDE_WIDTH)
    dock = QDockWidget("Side panel", window)
    dock.setTitleBarWidget(QWidget())  # an empty widget in place of the title bar
    dock.setWidget(side)
    dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
    return dock
