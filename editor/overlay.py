"""A transparent layer over the canvas that tools paint their marks on (editor.canvas knows
nothing of them), and the one geometry they share: model pixels -> the canvas's widget."""
from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF, QTransform
from PySide6.QtWidgets import QWidget

from editor.canvas import Canvas
from editor.render import model_to_display


class CanvasOverlay(QWidget):
    """A transparent child of the canvas, its size, that the mouse passes through: tools (the Drag
    tool, the Warp brush) paint their marks on one so that the canvas knows nothing of them."""

    def __init__(self, canvas: Canvas):
        super().__init__(canvas)
        self.canvas = canvas
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        canvas.installEventFilter(self)  # follow the canvas's size
        self.resize(canvas.size())

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize:
            self.resize(self.canvas.size())
        return False

    def model_transform(self, renderer) -> QTransform:
        """Model pixels -> this widget: the renderer's mapping inverted, then the canvas's fit and zoom."""
        r = renderer.mapping.resolution
        (x0, y0), (x1, y1), (x2, y2) = (model_to_display(renderer, *q) for q in ((0, 0), (r, 0), (0, r)))
        rect, s = self.canvas.image_rect(), self.canvas.scale()
        return QTransform((x1 - x0) / r * s, (y1 - y0) / r * s, (x2 - x0) / r * s, (y2 - y0) / r * s,
                          rect.x() + x0 * s, rect.y() + y0 * s)

    def paint_model_mask(self, p: QPainter, mask, renderer, colour: QColor, outline: bool = False) -> None:
        """A mask (R, R) in model pixels tinted `colour` (its alpha where the mask is 1) over the
        model's square, wherever the renderer's mapping puts it on the canvas; with `outline`, its
        edge drawn in dark and light dashes too (seen on any photo, and through it the photo)."""
        r = mask.shape[-1]
        weights = np.asarray(mask, np.float32)
        p.setTransform(self.model_transform(renderer))
        if colour.alpha():
            rgba = np.zeros((r, r, 4), np.uint8)
            rgba[..., :3] = colour.red(), colour.green(), colour.blue()
            rgba[..., 3] = (weights * colour.alpha()).astype(np.uint8)
            p.drawImage(QRectF(0, 0, r, r), QImage(rgba.data, r, r, 4 * r, QImage.Format.Format_RGBA8888))
        if outline:
            k = 8  # contours traced on the mask enlarged k times: the edges of its model pixels
            big = cv2.resize((weights > 0.5).astype(np.uint8), (r * k, r * k), interpolation=cv2.INTER_NEAREST)
            contours, _ = cv2.findContours(big, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
            for pen in (QPen(QColor(0, 0, 0, 200), 2), QPen(QColor(255, 255, 255, 240), 1, Qt.PenStyle.DashLine)):
                pen.setCosmetic(True)  # screen pixels wide, whatever the transform
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                for c in contours:
                    p.drawPolygon(QPolygonF([QPointF((x + 0.5) / k, (y + 0.5) / k) for x, y in c[:, 0]]))
        p.resetTransform()
