"""The sliders panel: one slider per attribute vector, reacting to the document.

Dragging a slider previews at once (`previewed`, a Snapshot not yet recorded) and records the values
in the document's history when the drag or key presses settle; undo, redo and history jumps move
the sliders back through the document's notifications.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSlider,
                               QToolButton, QVBoxLayout, QWidget)

from editor.state import Document, Snapshot

SLIDER_LABEL_WIDTH = 130  # pixels for an attribute's name beside its slider
SLIDER_STEPS = 100  # slider ticks per unit; the range is -3..+3 units
COMMIT_MS = 400  # quiet time after a slider moves before its value enters the history


class SlidersPanel(QWidget):
    previewed = Signal(object)  # Snapshot: the current state with the sliders as they are now

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc: Document | None = None
        self.sliders: dict[str, QSlider] = {}
        self.value_labels: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Attributes</b>"))
        reset = QPushButton("Reset all")
        reset.clicked.connect(self.reset_all)
        head.addWidget(reset)
        layout.addLayout(head)
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        host = QWidget()
        self.form = QFormLayout(host)
        self.area.setWidget(host)
        layout.addWidget(self.area, 1)
        self.commit_timer = QTimer(self)
        self.commit_timer.setSingleShot(True)
        self.commit_timer.setInterval(COMMIT_MS)
        self.commit_timer.timeout.connect(self.commit)

    def set_attributes(self, names: list[str]) -> None:
        """One slider per attribute (a model's vectors), all at zero."""
        while self.form.rowCount():
            self.form.removeRow(0)
        self.sliders.clear()
        self.value_labels.clear()
        if not names:
            self.form.addRow(QLabel("This model has no attribute vectors\n"
                                    "(`latent-edit vectors --model NAME`)."))
        for name in names:
            row = QHBoxLayout()
            s = QSlider(Qt.Orientation.Horizontal)
            s.setMinimumWidth(90)
            s.setRange(-3 * SLIDER_STEPS, 3 * SLIDER_STEPS)
            s.setObjectName(f"slider:{name}")
            s.valueChanged.connect(lambda v, n=name: self._on_slider(n, v))
            value = QLabel("0.00")
            value.setMinimumWidth(36)
            reset = QToolButton()
            reset.setText("⟲")
            reset.setToolTip(f"Reset {name}")
            reset.clicked.connect(lambda _=False, n=name: self.set_value(n, 0.0, commit=True))
            row.addWidget(s, 1)
            row.addWidget(value)
            row.addWidget(reset)
            label = QLabel()  # long names ("Smiling (keep Male, Young)") are elided, whole in the tip
            label.setText(label.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle,
                                                         SLIDER_LABEL_WIDTH))
            label.setToolTip(name)
            self.form.addRow(label, row)
            self.sliders[name] = s
            self.value_labels[name] = value

    def set_document(self, doc: Document) -> None:
        self.commit_timer.stop()
        self.doc = doc
        doc.subscribe(self._show_document)
        self._show_document(doc)

    def values(self) -> dict[str, float]:
        return {n: s.value() / SLIDER_STEPS for n, s in self.sliders.items()}

    def set_value(self, name: str, value: float, commit: bool = False) -> None:
        self.sliders[name].setValue(int(round(value * SLIDER_STEPS)))
        if commit:
            self.commit()

    def commit(self) -> None:
        """Record the slider values in the history (after a drag or key presses settle)."""
        self.commit_timer.stop()
        if self.doc is None:
            return
        values, current = self.values(), self.doc.current.slider_dict
        if current == {k: v for k, v in values.items() if v}:
            return
        changed = [f"{k} {v:+.2f}" for k, v in values.items() if v != current.get(k, 0.0)]
        changed += [f"{k} reset" for k in current if values.get(k, 0) == 0]
        self.doc.push(self.doc.with_sliders(values, "slider " + ", ".join(changed)))

    def reset_all(self) -> None:
        if self.doc is None or not self.doc.current.sliders:
            return
        self.commit_timer.stop()
        self.doc.push(self.doc.with_sliders({}, "reset all sliders"))

    def _show_document(self, doc: Document) -> None:
        if doc is not self.doc:
            return  # a document this panel no longer shows
        values = doc.current.slider_dict
        for n, s in self.sliders.items():
            s.blockSignals(True)
            s.setValue(int(round(values.get(n, 0.0) * SLIDER_STEPS)))
            s.blockSignals(False)
            self.value_labels[n].setText(f"{values.get(n, 0.0):+.2f}")

    def _on_slider(self, name: str, value: int) -> None:
        self.value_labels[name].setText(f"{value / SLIDER_STEPS:+.2f}")
        if self.doc is None:
            return
        snap: Snapshot = self.doc.with_sliders(self.values(), "preview")
        self.previewed.emit(snap)
        self.commit_timer.start()
