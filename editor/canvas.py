"""The canvas: shows the edited photo, before/after, split view; zooms under the cursor and pans;
draws the editable region's outline; turns drags into strokes.

Geometry: the image (display pixels) is drawn at `scale()` screen pixels per image pixel with its
top-left corner at `image_rect().topLeft()`. Fitted (zoom None) it is centred; zoomed, the corner
is kept in `_origin` and moved by zooming under a point (that point stays put) and by panning.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPixmap, QPolygonF,
                           QWheelEvent)
from PySide6.QtWidgets import QWidget

MIN_ZOOM, MAX_ZOOM = 0.05, 32.0  # screen pixels per image pixel
WHEEL_STEP = 1.25  # zoom factor per wheel notch
PAN_STEP = 0.125  # share of the view an arrow key pans by
SPLIT_GRAB = 6  # screen pixels either side of the split line that grab it
EMPTY = ("Open a photo (Ctrl+O), drop one here, or start from the model (Ctrl+N)\n"
         "Open a saved session (Ctrl+Shift+O)")  # (walkthrough 50: where sessions were, it did not say)
DROPPED = "Stroke let go: nothing painted"  # what the status bar says when Escape lets go of a stroke


def to_qimage(pixels: np.ndarray) -> QImage:
    """(H, W, 3) uint8 -> QImage that owns a copy of the pixels, as 32-bit RGB: the format Qt's
    painter draws from without converting (a smoothly scaled RGB888 frame took 2.1 ms, this 1.7)."""
    pixels = np.ascontiguousarray(pixels)
    h, w = pixels.shape[:2]
    return QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888).convertToFormat(
        QImage.Format.Format_RGB32)


def thumbnail(pixels: np.ndarray, side: int) -> QPixmap:
    """(H, W, 3) uint8 -> a pixmap at most `side` pixels square, smoothly scaled."""
    return QPixmap.fromImage(to_qimage(pixels).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                                      Qt.TransformationMode.SmoothTransformation))


def erases(event) -> bool:
    """Whether a mask brush's press erases: the right button, or Ctrl with the left."""
    return (event.button() == Qt.MouseButton.RightButton
            or bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier))


class Canvas(QWidget):
    """Paints one image (display pixels) fitted or zoomed; emits strokes in image coordinates."""

    stroke_painted = Signal(list, float)  # [(x, y) image pixels], brush radius in image pixels
    idle_press = Signal()  # a left press on the picture with no brush (and no tool took it)
    stroke_dropped = Signal()  # Escape while a stroke was being drawn: it was let go
    MODES = ("after", "before", "split")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(320, 240)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._after: QImage | None = None
        self._before: QImage | None = None
        self.mode = "after"
        self.split = 0.5  # where the split line stands, as a share of the image's width
        self.unedited = False  # the frame shown is the photo as opened: "After" would say an edit
        self.zoom: float | None = None  # screen pixels per image pixel; None = fit to the window
        self._origin = QPointF()  # the image's top-left corner on screen while zoomed
        self.photo_factor = 1.0  # image (display) pixels per photo pixel: big photos are shown smaller
        self.outline: list[tuple[float, float]] = []  # the editable region, image pixels
        self.brush_enabled = False
        self.brush_radius = 12.0  # in screen pixels
        self.stroke_colour = QColor(255, 120, 0)  # the brush's colour, for its preview
        self._path: list[QPointF] = []  # current stroke, image coordinates
        self._pending: list[tuple[list[QPointF], float, QColor]] = []  # painted, result not yet in
        self._pan_from: QPointF | None = None  # a pan in progress: the last mouse position
        self._space = False  # Space is held: a left drag pans
        self._moving_split = False
        self._hover: QPointF | None = None  # the mouse, for the brush's circle

    # ------------------------------------------------------------------ content

    def set_images(self, after: np.ndarray | None, before: np.ndarray | None = None) -> None:
        if after is not None:
            self._after = to_qimage(after)
        if before is not None:
            self._before = to_qimage(before)
        self.update()

    def clear(self) -> None:
        self._after = self._before = None
        self._pending.clear()
        self.update()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.update()

    def set_outline(self, points: list[tuple[float, float]]) -> None:
        """The editable region (the model's square on the photo), image pixels; [] for none."""
        self.outline = list(points)
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
        if self.zoom is None:
            return QRectF((self.width() - w * s) / 2, (self.height() - h * s) / 2, w * s, h * s)
        return QRectF(self._origin.x(), self._origin.y(), w * s, h * s)

    def to_image(self, p: QPointF) -> QPointF:
        r, s = self.image_rect(), self.scale()
        return QPointF((p.x() - r.x()) / s, (p.y() - r.y()) / s)

    def to_screen(self, q: QPointF) -> QPointF:
        r, s = self.image_rect(), self.scale()
        return QPointF(r.x() + q.x() * s, r.y() + q.y() * s)

    def zoom_percent(self) -> float:
        """Screen pixels per photo pixel, in percent."""
        return 100.0 * self.scale() * self.photo_factor

    def zoom_to(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom to `scale` keeping the image point under `anchor` (default: the view's centre) there."""
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        q = self.to_image(anchor)
        self.zoom = max(MIN_ZOOM, min(MAX_ZOOM, scale))
        self._origin = QPointF(anchor.x() - q.x() * self.zoom, anchor.y() - q.y() * self.zoom)
        self._keep_in_view()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.zoom_to(self.scale() * factor, anchor)

    def zoom_fit(self) -> None:
        self.zoom = None
        self.update()

    def zoom_actual(self) -> None:
        """One photo pixel per screen pixel."""
        self.zoom_to(1.0 / self.photo_factor)

    def pan(self, dx: float, dy: float) -> None:
        """Move the image by (dx, dy) screen pixels, as far as it reaches past the view."""
        if self.zoom is None:
            self.zoom, self._origin = self.scale(), self.image_rect().topLeft()
        self._origin += QPointF(dx, dy)
        self._keep_in_view()

    def _keep_in_view(self) -> None:
        """Centre the image along an axis where it fits; elsewhere leave no gap at its edges."""
        r = self.image_rect()
        x, y = r.x(), r.y()
        x = (self.width() - r.width()) / 2 if r.width() <= self.width() else \
            min(0.0, max(self.width() - r.width(), x))
        y = (self.height() - r.height()) / 2 if r.height() <= self.height() else \
            min(0.0, max(self.height() - r.height(), y))
        self._origin = QPointF(x, y)
        self.update()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.zoom is not None:
            self._keep_in_view()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        notches = event.angleDelta().y() / 120
        if notches:
            self.zoom_by(WHEEL_STEP ** notches, event.position())

    # ------------------------------------------------------------------ mouse and keys

    def _near_split(self, p: QPointF) -> bool:
        if self.mode != "split" or self._before is None:
            return False
        r = self.image_rect()
        return abs(p.x() - (r.x() + r.width() * self.split)) <= SPLIT_GRAB and r.top() <= p.y() <= r.bottom()

    def takes_split(self, event) -> bool:
        """Whether a mouse event is the split line's (a left press on it, or anything while it is
        moved): the tools that filter the canvas's clicks (Drag, Warp, Region) leave it to the
        canvas, so that the line moves whichever tool is on."""
        if self._moving_split:
            return event.type() in (QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease)
        return (event.type() == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton
                and self._near_split(event.position()))

    def mousePressEvent(self, event) -> None:  # noqa: N802
        p, button = event.position(), event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space):
            self._pan_from = p
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif button == Qt.MouseButton.LeftButton and self._near_split(p):
            self._moving_split = True
        elif self.brush_enabled and button == Qt.MouseButton.LeftButton and self._after:
            self._path = [self.to_image(p)]
            self.update()
        elif button == Qt.MouseButton.LeftButton and self._after:
            self.idle_press.emit()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        p = event.position()
        self._hover = p
        if self._pan_from is not None:
            d = p - self._pan_from
            self._pan_from = p
            self.pan(d.x(), d.y())
        elif self._moving_split:
            r = self.image_rect()
            self.split = max(0.0, min(1.0, (p.x() - r.x()) / max(1.0, r.width())))
            self.update()
        elif self._path:
            self._path.append(self.to_image(p))
            self.update()
        else:
            self._update_cursor(p)
            if self.brush_enabled:
                self.update()  # the brush's circle follows the mouse

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._pan_from is not None:
            self._pan_from = None
            self._update_cursor(event.position())
        elif self._moving_split:
            self._moving_split = False
        elif self._path:
            points = [(p.x(), p.y()) for p in self._path]
            self._pending.append((self._path, self.brush_radius / self.scale(), QColor(self.stroke_colour)))
            self._path = []
            self.update()
            self.stroke_painted.emit(points, self.brush_radius / self.scale())

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._hover = None
        self.update()

    def _update_cursor(self, p: QPointF) -> None:
        if self._space:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        elif self._near_split(p):
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif self.brush_enabled and self._after is not None:
            self.setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.unsetCursor()

    @property
    def space_held(self) -> bool:
        """Space is held: a left drag pans (tools leave such drags to the canvas)."""
        return self._space

    def keyPressEvent(self, event) -> None:  # noqa: N802
        key = event.key()
        step_x, step_y = self.width() * PAN_STEP, self.height() * PAN_STEP
        arrows = {Qt.Key.Key_Left: (step_x, 0), Qt.Key.Key_Right: (-step_x, 0),
                  Qt.Key.Key_Up: (0, step_y), Qt.Key.Key_Down: (0, -step_y)}
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        elif key in arrows:
            self.pan(*arrows[key])
        elif key == Qt.Key.Key_Escape and self._path:  # the stroke being drawn is let go, nothing painted
            self._path = []  # (it went on and was solved whole: a walkthrough)
            self.update()
            self.stroke_dropped.emit()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.unsetCursor()
        else:
            super().keyReleaseEvent(event)

    # ------------------------------------------------------------------ strokes waiting for their result

    def settle_strokes(self) -> None:
        """The painted strokes' result is on screen (or they were cancelled): stop showing them."""
        self._pending.clear()
        self.update()

    def drop_last_stroke(self) -> None:
        """The last painted stroke was not taken (a stroke is still being solved, or it missed)."""
        if self._pending:
            self._pending.pop()
            self.update()

    # ------------------------------------------------------------------ drawing

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(48, 48, 48))
        shown = self._before if self.mode == "before" else self._after
        if shown is None:
            p.setPen(QColor(200, 200, 200))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, EMPTY)
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        target = self.image_rect()
        p.drawImage(target, shown)
        if self.mode == "split" and self._before is not None:
            left = QRectF(target.x(), target.y(), target.width() * self.split, target.height())
            src = QRectF(0, 0, self._before.width() * self.split, self._before.height())
            p.drawImage(left, self._before, src)
            p.setPen(QPen(QColor(255, 200, 0), 2))
            p.drawLine(left.topRight(), left.bottomRight())
            top = max(target.top(), 0.0) + 8
            self._label(p, "Before", QPointF(left.right() - 8, top), Qt.AlignmentFlag.AlignRight)
            self._label(p, "After", QPointF(left.right() + 8, top), Qt.AlignmentFlag.AlignLeft)
        else:
            self._label(p, self.badge(), QPointF(8, 8), Qt.AlignmentFlag.AlignLeft)
        if self.outline and self.mode != "before":  # dark and light dashes: seen on any photo
            square = QPolygonF([self.to_screen(QPointF(x, y)) for x, y in self.outline])
            # within the photo: an object's square or a face's aligned one may reach past its edge
            square = square.intersected(QPolygonF(target.adjusted(0, 0, -1, -1)))  # 1-px lines: the
            # rectangle's right and bottom edges drew a pixel past the photo
            p.setBrush(Qt.BrushStyle.NoBrush)
            # One-pixel lines without antialiasing: antialiased dashes took 4.6 ms of every frame
            # (two polygons), a third of the GUI thread's share of a slider move.
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            p.setPen(QPen(QColor(0, 0, 0, 170), 1))
            p.drawPolygon(square)
            p.setPen(QPen(QColor(255, 255, 255, 230), 1, Qt.PenStyle.DashLine))
            p.drawPolygon(square)
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for points, radius, colour in self._pending:
            self._draw_path(p, points, radius * self.scale(), colour)
        if self._path:
            self._draw_path(p, self._path, self.brush_radius, self.stroke_colour)
        elif self.brush_enabled and self._hover is not None and self._pan_from is None and not self._space:
            p.setBrush(Qt.BrushStyle.NoBrush)
            for pen, width in ((QColor(0, 0, 0, 140), 3), (QColor(255, 255, 255, 200), 1)):  # seen on a
                p.setPen(QPen(pen, width))  # product's white background too (white alone: a walkthrough)
                p.drawEllipse(self._hover, self.brush_radius, self.brush_radius)
        fit = "Fit · " if self.zoom is None else ""
        self._label(p, f"{fit}{self.zoom_percent():.0f}%", QPointF(self.width() - 8, self.height() - 28),
                    Qt.AlignmentFlag.AlignRight)

    def _draw_path(self, p: QPainter, points: list[QPointF], width_radius: float, colour: QColor) -> None:
        path = QPainterPath(self.to_screen(points[0]))
        for q in points[1:]:
            path.lineTo(self.to_screen(q))
        if len(points) == 1 or path.length() == 0:  # a click: the round cap of a tiny segment is its dot
            path.lineTo(self.to_screen(points[0]) + QPointF(0.01, 0.0))
        c = QColor(colour)
        c.setAlpha(170)
        pen = QPen(c, 2 * width_radius)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)

    def badge(self) -> str:
        """The word on the picture outside split view: which side is shown, "Unedited" while the frame
        shown is of a state that shows the photo as opened (sliders set back to 0 too; a region
        alone is an edit step: "After"). "After" on an untouched photo read as if an edit were
        shown (a walkthrough)."""
        return "Before" if self.mode == "before" else "Unedited" if self.unedited else "After"

    def _label(self, p: QPainter, text: str, at: QPointF, align: Qt.AlignmentFlag) -> None:
        """A small dark pill with `text`, its top corner at `at` (left or right aligned)."""
        font = QFont(self.font())
        font.setBold(True)
        p.setFont(font)
        m = p.fontMetrics()
        w, h = m.horizontalAdvance(text) + 12, m.height() + 6
        x = at.x() - w if align == Qt.AlignmentFlag.AlignRight else at.x()
        box = QRectF(x, at.y(), w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(box, 4, 4)
        p.setPen(QColor(255, 255, 255))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
