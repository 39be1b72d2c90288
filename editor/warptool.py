"""The Warp brush: press on the canvas, drag, release; what was under the brush is pushed along to
where it was released: the photo's own pixels, as a drag moves them (editing.motion.brush_motion),
while the solver looks on the job runner (progress, Cancel) for the code whose picture looks like
the warped one (editing.warp), from which later edits' change is measured. The brush size is the
brush bar's. Its button sits on the Drag tool's bar; it takes the
canvas's mouse through an event filter while active, as the Drag tool does. While the button is
held, an overlay shows the brush where the press was, an arrow to the pointer and the brush there.
"""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QLineF, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import QToolButton

from editing.edit import solver_config
from editing.motion import brush_motion
from editing.solver import SolverConfig
from editing.vectors import AttributeVector
from editing.warp import Warp, solve_warps
from editor.brushbar import BrushBar
from editor.canvas import Canvas
from editor.dragtool import DragTool
from editor.jobs import Job, JobRunner
from editor.overlay import CanvasOverlay
from editor.preview import Preview
from editor.state import Document, Moved
from training.modelfile import GANModel


class WarpOverlay(CanvasOverlay):
    """Paints the warp in progress over the canvas: the brush at the press, an arrow to the
    pointer, the brush there; after the release the same while the warp is solved."""

    def __init__(self, canvas: Canvas, tool: "WarpTool"):
        super().__init__(canvas)
        self.tool = tool

    def paintEvent(self, event) -> None:  # noqa: N802
        line = self.tool.line()
        if line is None:
            return
        start, end = (self.canvas.to_screen(QPointF(*q)) for q in line)
        radius = self.tool.brushes.size_slider.value()  # screen pixels, as the brushes' cursor
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for colour, width in ((QColor(0, 0, 0, 160), 4), (QColor(255, 255, 255, 230), 2)):
            p.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(start, radius, radius)
            p.drawEllipse(end, radius, radius)
            shaft = QLineF(start, end)
            p.drawLine(shaft)
            if shaft.length() > 6:  # an arrow head at the pointer
                for turn in (150, -150):
                    head = QLineF.fromPolar(min(12.0, shaft.length() / 2), shaft.angle() + turn)
                    p.drawLine(QLineF(end, end + head.p2()))


class WarpTool(QObject):
    status = Signal(str)

    def __init__(self, canvas: Canvas, jobs: JobRunner, preview: Preview, brushes: BrushBar,
                 drag_tool: DragTool):
        super().__init__()
        self.canvas, self.jobs, self.preview = canvas, jobs, preview
        self.brushes, self.drag_tool = brushes, drag_tool
        self.model: GANModel | None = None
        self.vectors: dict[str, AttributeVector] = {}
        self.doc: Document | None = None
        self.active = False
        self._start: tuple[float, float] | None = None  # display pixels of the press
        self._now: tuple[float, float] | None = None  # display pixels of the pointer while held
        self._solving: tuple | None = None  # (press, release) of the warp being solved, shown meanwhile
        self.button = QToolButton()
        self.button.setText("Warp")
        self.button.setToolTip("Warp brush: press, drag and release to push pixels along (W)")
        self.button.setCheckable(True)
        self.button.setShortcut(QKeySequence("W"))
        self.button.toggled.connect(self.set_active)
        drag_tool.bar.addWidget(self.button)
        canvas.installEventFilter(self)
        self.overlay = WarpOverlay(canvas, self)
        brushes.brush_changed.connect(lambda k: k is None or self.set_active(False))
        drag_tool.activated.connect(lambda: self.set_active(False))
        jobs.finished.connect(self._solved)  # a failed solve too

    def set_document(self, model: GANModel, vectors: dict[str, AttributeVector], doc: Document) -> None:
        self.model, self.vectors, self.doc = model, vectors, doc
        self._solved()

    def _solved(self) -> None:
        """The warp being solved is no more (done, cancelled, failed, or another document)."""
        if self._solving is not None:
            self._solving = None
            self.overlay.update()

    def set_active(self, on: bool) -> None:
        if on == self.active:
            return
        self.active = on
        self._start = self._now = None  # a warp being drawn is dropped
        self.overlay.update()
        self.button.blockSignals(True)
        self.button.setChecked(on)
        self.button.blockSignals(False)
        if on:
            self.brushes.set_brush(None)
            self.drag_tool.set_active(False)
            self.status.emit("Warp: press where the pixels are, drag, and release where they should go")

    def line(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """(press, pointer) in display pixels while a warp is being drawn, (press, release) while it
        is solved, else None."""
        if self._start is not None and self._now is not None:
            return self._start, self._now
        return self._solving

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if self.canvas.takes_split(event):  # the split line moves whichever tool is on
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseMove and self.active and self._start is not None:
            p = self.canvas.to_image(event.position())
            self._now = (p.x(), p.y())
            self.overlay.update()
            return True
        mouse = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease)
        if not self.active or kind not in mouse or event.button() != Qt.MouseButton.LeftButton:
            return False
        p = self.canvas.to_image(event.position())
        if kind == QEvent.Type.MouseButtonRelease:
            if self._start is None:
                return False  # its press went to the canvas
            start, self._start, self._now = self._start, None, None  # ends the warp being drawn,
            self.overlay.update()  # even when editing was turned off meanwhile
            if self.button.isEnabled():
                self.warped(start, (p.x(), p.y()), self.brushes.size_slider.value() / self.canvas.scale())
            return True
        if not self.button.isEnabled():
            return False
        self._start = self._now = (p.x(), p.y())
        return True

    def warped(self, start: tuple[float, float], end: tuple[float, float], radius: float) -> None:
        """A warp on the canvas: display pixels and radius."""
        renderer = self.preview.renderer
        if self.doc is None or renderer is None or self.jobs.busy:
            return
        self._solving = (start, end)  # its arrow stays while it is solved (walkthrough: none showed)
        self.overlay.update()
        self.apply(Warp(renderer.display_point_to_model(*start), renderer.display_point_to_model(*end),
                        max(1.0, renderer.model_radius(radius))))

    def apply(self, warp: Warp, cfg: SolverConfig | None = None) -> None:
        doc, model, vectors = self.doc, self.model, self.vectors
        cfg = cfg or solver_config(model)
        z, strokes, offset = doc.code(vectors), doc.current.strokes, doc.current.offset

        warps = doc.current.warps + (warp,)  # kept in the state: a face edit lands where they warped
        began = doc.current  # the state the warp pushes the photo of

        def finish(step) -> None:
            """The photo's pixels pushed along the warp (editing.motion.brush_motion), as a drag's;
            the solver's code, the generator's picture of the warp, is what later edits' change is
            measured from. One result: every candidate's photo would be the same pushed photo."""
            self._solved()
            if doc.current is not began:  # undone or changed meanwhile: it no longer rests on that
                return self.status.emit("The picture changed while the warp was solved; it was not "
                                        "kept: warp again")
            snap = replace(doc.with_candidate(step.z[0], strokes, vectors, "warp"), warps=warps)
            doc.push(replace(snap, moved=Moved(began, brush_motion([warp]), snap.code(vectors, doc.z0)),
                             layers=()))  # the frame it started on holds its strokes' layers
            self.status.emit("Warped: the photo's pixels pushed along (Ctrl+Z takes it back)")

        self.status.emit("Solving the warp…")
        self.jobs.run(Job(lambda: solve_warps(model, doc.z0, z, [warp], replace(cfg, candidates=1), offset,
                                              doc.target), cfg.steps + 1, on_done=finish,
                          on_cancel=lambda _: (self._solved(), self.status.emit("Warp cancelled"))))
