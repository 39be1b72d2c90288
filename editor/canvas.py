"""The canvas: shows the edited photo, before/after, split view; zooms; turns drags into strokes."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import QWidget


def to_qimage(pixels: np.ndarray) -> QImage:
    """(H, W, 3) uint8 -> QImage that owns a copy of the pixels."""
    pixels = np.ascontiguousarray(pixels)
    h, w = pixels.shape[:2]
    return QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def thumbnail(pixels: np.ndarray, side: int) -> QPixmap:
    """(H, W, 3) uint8 -> a pixmap at most `side` pixels square, smoothly scaled."""
    return QPixmap.fromImage(to_qimage(pixels).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                                      Qt.TransformationMode.SmoothTransformation))


class Canvas(QWidget):
    """Paints one image (display pixels) fitted or zoomed; emits strokes in image coordinates."""

    stroke_painted = Signal(list, float)  # [(x, y) image pixels], brush radius in image pixels
    MODES = ("after", "before", "split")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(320, 240)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._after: QImage | None = None
        self._before: QImage | None = None
        self.mode = "after"
        self.zoom: float | None = None  # None = fit to the window
        self.brush_enabled = False
        self.brush_radius = 12.0  # in screen pixels
        self._path: list[QPointF] = []  # current stroke, image coordinates

    # ------------------------------------------------------------------ content

    def set_images(self, after: np.ndarray | None, before: np.ndarray | None = None) -> None:
        if after is not None:
            self._after = to_qimage(after)
        if before is not None:
            self._before = to_qimage(before)
        self.update()

    def clear(self) -> None:
        self._after = self._before = None
        self.update()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.update()

    def image_size(self) -> tuple[int, int]:
        img = self._after or self._before
        return (img.width(), img.height()) if img else (0, 0)

    # ------------------------------------------------------------------ geometry

    def scale(self) -> float:
        w, h = self.image_size()
        if not w:
            return 1.0
        if self.zoom is None:
            return min(self.width() / w, self.height() / h)
        return self.zoom

    def image_rect(self) -> QRectF:
        w, h = self.image_size()
        s = self.scale()
        return QRectF((self.width() - w * s) / 2, (self.height() - h * s) / 2, w * s, h * s)

    def to_image(self, p: QPointF) -> QPointF:
        r, s = self.image_rect(), self.scale()
        return QPointF((p.x() - r.x()) / s, (p.y() - r.y()) / s)

    def zoom_fit(self) -> None:
        self.zoom = None
        self.update()

    def zoom_actual(self) -> None:
        self.zoom = 1.0
        self.update()

    def zoom_by(self, factor: float) -> None:
        self.zoom = max(0.05, min(32.0, self.scale() * factor))
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt's name)
        self.zoom_by(1.25 if event.angleDelta().y() > 0 else 0.8)

    # ------------------------------------------------------------------ painting strokes

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if self.brush_enabled and event.button() == Qt.MouseButton.LeftButton and self._after:
            self._path = [self.to_image(event.position())]
            self.update()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._path:
            self._path.append(self.to_image(event.position()))
            self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._path:
            points = [(p.x(), p.y()) for p in self._path]
            self._path = []
            self.update()
            self.stroke_painted.emit(points, self.brush_radius / self.scale())

    # ------------------------------------------------------------------ drawing

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(48, 48, 48))
        shown = self._before if self.mode == "before" else self._after
        if shown is None:
            p.setPen(QColor(200, 200, 200))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                       "Open a photo (Ctrl+O), drop one here, or start from the model (Ctrl+N)")
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        target = self.image_rect()
        p.drawImage(target, shown)
        if self.mode == "split" and self._before is not None:
            half = QRectF(target.x(), target.y(), target.width() / 2, target.height())
            src = QRectF(0, 0, self._before.width() / 2, self._before.height())
            p.drawImage(half, self._before, src)
            p.setPen(QPen(QColor(255, 200, 0), 2))
            p.drawLine(half.topRight(), half.bottomRight())
        if self._path:
            s, r = self.scale(), self.image_rect()
            path = QPainterPath(QPointF(r.x() + self._path[0].x() * s, r.y() + self._path[0].y() * s))
            for q in self._path[1:]:
                path.lineTo(QPointF(r.x() + q.x() * s, r.y() + q.y() * s))
            pen = QPen(QColor(255, 120, 0, 140), 2 * self.brush_radius)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            p.setPen(pen)
            p.drawPath(path)
