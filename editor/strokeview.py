"""View > Show strokes (S): the current state's brush strokes outlined over the picture.

A painted stroke shows while it is solved and goes once its result is in; afterwards a user cannot
see what they asked of which part (a short stroke the model did not follow reads as nothing done).
With the switch on, every stroke of the state shown is drawn as the outline of the band its brush
covered, less what a later eraser took away (erasers' own strokes are not drawn), in dark and
light dashes (seen on any photo), where the model's mapping puts it on the photo: rotated with an
aligned face, scaled with the zoom; in split view on the After side only. Off by default;
remembered in the settings. The strokes come from the document's state, so undo, redo and
sessions show theirs; each state's outlines are made once.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QPainterPath, QPainterPathStroker, QPen

from editor.overlay import CanvasOverlay

SETTING = "view/show_strokes"
DASHES = {"color": Qt.PenStyle.DashLine, "sketch": Qt.PenStyle.DotLine,
          "preserve": Qt.PenStyle.DashDotLine}  # the brush each stroke was painted with


def stroke_band(points, radius: float) -> QPainterPath:
    """The outline (model pixels) of the band a brush of `radius` covered along `points`: round
    caps and joins, a dot for a click."""
    path = QPainterPath(QPointF(*points[0]))
    for x, y in points[1:]:
        path.lineTo(QPointF(x, y))
    if len(points) == 1 or path.length() == 0:
        path.lineTo(QPointF(points[0][0] + 0.01, points[0][1]))
    stroker = QPainterPathStroker()
    stroker.setWidth(2 * radius)
    stroker.setCapStyle(Qt.PenCapStyle.RoundCap)
    stroker.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return stroker.createStroke(path).simplified()


class StrokesOverlay(CanvasOverlay):
    def __init__(self, window):
        super().__init__(window.canvas)
        self.window = window
        self.shown = False
        self.drawn = 0  # strokes outlined by the last paint (for tests)
        self.action: QAction | None = None  # View > Show strokes (install)
        self._bands: tuple = ((), [])  # (strokes, [(kind, outline)]): outlined once per state

    def bands(self, strokes: tuple) -> list[tuple[str, QPainterPath]]:
        """(brush, outline in model pixels) of each stroke that asks for something, less the bands
        of the erasers painted after it (as editing.solver.build_constraints erases)."""
        known, bands = self._bands
        if known is strokes or known == strokes:
            return bands
        bands = []
        for stroke in strokes:
            band = stroke_band(stroke.points, stroke.radius)
            if stroke.kind == "erase":
                bands = [(kind, outline.subtracted(band)) for kind, outline in bands]
            elif stroke.kind in DASHES:
                bands.append((stroke.kind, band))
        bands = [(kind, outline) for kind, outline in bands if not outline.isEmpty()]
        self._bands = (strokes, bands)
        return bands

    def strokes(self) -> tuple:
        doc = self.window.doc
        return doc.current.strokes if doc is not None else ()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.drawn = 0
        renderer = self.window.renderer
        strokes = self.strokes() if self.shown and self.window.canvas.mode != "before" else ()
        if renderer is None or not strokes:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        canvas = self.window.canvas
        if canvas.mode == "split":  # the strokes belong to the After side
            rect = canvas.image_rect()
            edge = rect.x() + rect.width() * canvas.split
            p.setClipRect(QRectF(edge, 0, max(0.0, self.width() - edge), self.height()))
        p.setTransform(self.model_transform(renderer))
        for kind, band in self.bands(strokes):
            for pen in (QPen(QColor(0, 0, 0, 190), 2.5), QPen(QColor(255, 255, 255, 235), 1.2, DASHES[kind])):
                pen.setCosmetic(True)  # screen pixels wide, whatever the zoom
                p.setPen(pen)
                p.drawPath(band)
            self.drawn += 1
        p.end()


def install(window) -> StrokesOverlay:
    """The overlay and its View menu switch (S), on as the settings last had it."""
    overlay = StrokesOverlay(window)
    action = QAction("Show &strokes", window)
    action.setCheckable(True)
    action.setShortcut(QKeySequence("S"))
    action.setToolTip("Outline the strokes painted so far (dashes: colour, dots: sketch, dash-dots: "
                      "preserve)")

    def toggle(on: bool) -> None:
        overlay.shown = on
        window.settings.setValue(SETTING, on)
        overlay.update()

    action.toggled.connect(toggle)
    action.setChecked(window.settings.value(SETTING, False, type=bool))
    window.menus.view_menu.addAction(action)
    overlay.action = action
    return overlay
