"""A dialog that shows a photo's faces as numbered boxes: click one (or press its number) to edit it."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from inversion.faces import Face

MAX_SIDE = 720  # the photo is shown at most this large


class FacePicture(QWidget):
    """The photo with the faces' boxes; a click inside a box picks that face."""

    def __init__(self, pixels: np.ndarray, faces: list[Face], on_pick, parent=None):
        super().__init__(parent)
        h, w = pixels.shape[:2]
        self.scale = min(1.0, MAX_SIDE / max(h, w))
        image = QImage(np.ascontiguousarray(pixels).data, w, h, 3 * w, QImage.Format.Format_RGB888)
        self.pixmap = QPixmap.fromImage(image.copy()).scaled(
            int(w * self.scale), int(h * self.scale), Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation)
        self.faces, self.on_pick = faces, on_pick
        self.setFixedSize(self.pixmap.size())
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.drawPixmap(0, 0, self.pixmap)
        font = QFont()
        font.setBold(True)
        font.setPointSize(14)
        p.setFont(font)
        for i, f in enumerate(self.faces):
            x0, y0, x1, y1 = (v * self.scale for v in f.box)
            p.setPen(QPen(QColor(255, 210, 0), 3))
            p.drawRect(QRectF(x0, y0, x1 - x0, y1 - y0))
            p.drawText(QPointF(x0 + 4, y0 - 6 if y0 > 24 else y1 + 20), str(i + 1))
        p.end()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        x, y = event.position().x() / self.scale, event.position().y() / self.scale
        for i, f in enumerate(self.faces):
            if f.contains(x, y):
                self.on_pick(i)
                return


class FaceChooser(QDialog):
    """Modal choice among a photo's faces; `chosen` is the index (largest face = 0) or None."""

    def __init__(self, pixels: np.ndarray, faces: list[Face], name: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Choose a face — {name}")
        self.chosen: int | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{len(faces)} faces found. Click the face to edit "
                                f"(or press its number)."))
        self.picture = FacePicture(pixels, faces, self.pick, self)
        layout.addWidget(self.picture)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def pick(self, index: int) -> None:
        self.chosen = index
        self.accept()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        text = event.text()
        if text.isdigit() and 1 <= int(text) <= len(self.picture.faces):
            self.pick(int(text) - 1)
        else:
            super().keyPressEvent(event)
