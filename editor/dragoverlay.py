"""The Drag tool's overlay: its handles, targets, the lines between them and its mask, painted
over the canvas (editor.dragtool)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from editor.canvas import Canvas
from editor.overlay import CanvasOverlay

if TYPE_CHECKING:
    from editor.dragtool import DragTool

HANDLE, TARGET = QColor(255, 60, 60), QColor(60, 140, 255)
MASK = QColor(0, 200, 0, 90)  # the mask's tint


class DragOverlay(CanvasOverlay):
    """Paints the tool's handles, targets and the lines between them over the canvas."""

    def __init__(self, canvas: Canvas, tool: "DragTool"):
        super().__init__(canvas)
        self.tool = tool

    def to_widget(self, x: float, y: float) -> QPointF:
        r, s = self.canvas.image_rect(), self.canvas.scale()
        return QPointF(r.x() + x * s, r.y() + y * s)

    def paintEvent(self, event) -> None:  # noqa: N802
        if not (self.tool.active or self.tool.running):  # another tool's turn: the points wait, unseen
            return
        pairs = self.tool.display_pairs()
        mask = self.tool.mask
        if not pairs and mask is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if mask is not None and self.tool.preview.renderer is not None:
            if self.tool.mask_button.isChecked():  # painting it: tinted
                self.paint_model_mask(p, mask, self.tool.preview.renderer, MASK)
            else:  # outlined only, so that what the drag did inside it can be judged (walkthrough)
                self.paint_model_mask(p, mask, self.tool.preview.renderer, QColor(0, 0, 0, 0), outline=True)
        for handle, target in pairs:
            h = self.to_widget(*handle)
            if target is not None:
                t = self.to_widget(*target)
                for pen, width in ((QColor(0, 0, 0, 150), 3), (QColor(255, 255, 255, 200), 1)):  # seen on
                    p.setPen(QPen(pen, width))  # white and on dark (white alone vanished on a product's
                    p.drawLine(h, t)  # white background: a walkthrough), as the markers are
                self.marker(p, t, TARGET)
            self.marker(p, h, HANDLE)

    @staticmethod
    def marker(p: QPainter, at: QPointF, colour: QColor) -> None:
        """A ring with a dot at its centre: what lies under the point shows through (a filled disk
        hid the eyebrow being dragged: walkthrough)."""
        p.setBrush(Qt.BrushStyle.NoBrush)
        for pen, width in ((QColor(0, 0, 0, 150), 4), (colour, 2)):
            p.setPen(QPen(pen, width))
            p.drawEllipse(at, 6, 6)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawEllipse(at, 1.5, 1.5)
