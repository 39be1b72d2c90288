"""The Region tool: paint where the sliders' change may land; the rest of the photo stays as it was.

Press R (or Region, beside Drag and Warp) and drag on the canvas: the left button paints the region,
the right button (or Ctrl + left) erases it, at the brush bar's size; each press-drag-release is one
step of the history (undo, redo, sessions). The region shows as a translucent tint. While the
document's state has a region (editing.region says what it does):
- a dragged slider previews the plain slider result kept inside the region (the preview draws every
  state through editing.region.confine, as the export does);
- when the slider settles, the region solver (editing.region.region_steps: a code that keeps the
  outside as it was) runs on the job runner with progress and Cancel; its code enters the history;
- the export keeps the edit inside the region and records it in the recipe (`region`), which
  `latent-edit edit --recipe` rebuilds bit for bit.
Clear region (the button, or Edit > Clear region) is a step too. What was done before the region
was painted stays outside it (the state it was painted on is shown there: Snapshot.under; the
region once masked the whole edit, and earlier strokes and sliders vanished outside it:
walkthrough); what sliders, strokes, drags and warps change afterwards shows only inside it.
"""
from __future__ import annotations

import torch
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import QToolButton

from editing.region import REGION_SOLVER, BrushStroke, as_recorded, region_steps
from editing.solver import SolverConfig
from editor.canvas import erases
from editor.overlay import CanvasOverlay
from editor.jobs import Job
from editor.state import Snapshot

TINT = QColor(255, 80, 30, 40)  # the region over the canvas while the tool is in use (and outlined; at
# 70 of 255 a walkthrough could not see a slider darken the item under it)
TINT_IDLE = QColor(255, 80, 30, 0)  # while another tool is: its outline only, the photo seen through
PREVIEW_EVERY = 5  # solver steps between previews of the region solve


class RegionOverlay(CanvasOverlay):
    """Paints the region (the one being painted, or the document's) and the brush's circle."""

    def __init__(self, canvas, tool: "RegionTool"):
        super().__init__(canvas)
        self.tool = tool

    def paintEvent(self, event) -> None:  # noqa: N802
        region, renderer = self.tool.shown_region(), self.tool.window.renderer
        if renderer is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if region is not None:
            self.paint_model_mask(p, region, renderer, TINT if self.tool.active else TINT_IDLE, outline=True)
        hover = self.tool.hover
        if self.tool.active and hover is not None:
            radius = self.tool.window.brush_bar.size_slider.value()
            for colour, width in ((QColor(0, 0, 0, 150), 3), (QColor(255, 255, 255, 220), 1)):
                p.setPen(QPen(colour, width))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawEllipse(hover, radius, radius)


class RegionTool(QObject):
    status = Signal(str)

    def __init__(self, window, cfg: SolverConfig = REGION_SOLVER):
        super().__init__()
        self.window, self.cfg = window, cfg
        self.active = False
        self.solving = False  # the job running is this tool's region solve
        self._job: Job | None = None  # the region solve it ran last
        self.hover: QPointF | None = None  # the mouse on the canvas, for the brush's circle
        self._painting: torch.Tensor | None = None  # the region as the press in progress leaves it
        self._pressed = False
        self._stroke = BrushStroke()  # the brush's stroke in progress
        self._doc = None  # the document whose changes this tool follows
        self._drawn: tuple = (None, None)  # (region, renderer) the overlay last drew
        bar = window.drag_tool.bar
        self.button = QToolButton()
        self.button.setText("Region")
        self.button.setToolTip("Region: paint where the sliders' change may land, the rest stays as "
                               "it is (R). Left drag paints, right drag or Ctrl + drag erases")
        self.button.setCheckable(True)
        self.button.setShortcut(QKeySequence("R"))
        self.button.toggled.connect(self.set_active)
        bar.addWidget(self.button)
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear region")
        self.clear_button.setToolTip("Let the edit land everywhere again (an undoable step)")
        self.clear_button.clicked.connect(self.clear)
        bar.addWidget(self.clear_button)
        self.clear_action = QAction("Clear re&gion", window)
        self.clear_action.triggered.connect(self.clear)
        window.menus.edit_menu.addAction(self.clear_action)
        self.overlay = RegionOverlay(window.canvas, self)
        window.canvas.installEventFilter(self)
        window.brush_bar.brush_changed.connect(lambda k: k is None or self.set_active(False))
        window.drag_tool.activated.connect(lambda: self.set_active(False))
        window.warp_tool.button.toggled.connect(lambda on: on and self.set_active(False))
        window.preview.rendered.connect(lambda *_: self._follow())  # a state shown: its region too
        window.jobs.finished.connect(self._job_ended)
        window.sliders_panel.record = self.record_sliders
        self._follow()

    # ------------------------------------------------------------------ state

    def set_active(self, on: bool) -> None:
        """Take the canvas's left and right drags (on) or leave them to the other tools (off)."""
        if on == self.active:
            return
        self.active = on
        self._painting, self._pressed = None, False  # a region being painted is dropped
        self.button.blockSignals(True)
        self.button.setChecked(on)
        self.button.blockSignals(False)
        if on:
            self.window.brush_bar.set_brush(None)
            self.window.drag_tool.set_active(False)
            self.window.warp_tool.set_active(False)
            self.status.emit("Region: drag to paint where the sliders may change the photo; right "
                             "drag (or Ctrl + drag) erases")
        self.overlay.update()

    @property
    def region(self) -> torch.Tensor | None:
        """The document's region now (model pixels), or None."""
        doc = self.window.doc
        return None if doc is None else doc.current.region

    def shown_region(self) -> torch.Tensor | None:
        return self._painting if self._pressed else self.region

    def _follow(self) -> None:
        """Show the document's region, and Clear region only when there is one; a document seen for
        the first time (opened, a session, a model switch) is followed from then on."""
        doc = self.window.doc
        if doc is not None and doc is not self._doc:
            self._doc = doc
            doc.subscribe(self._on_document)  # once per document: a bound method is one listener
        has = self.region is not None
        self.clear_button.setEnabled(has)
        self.clear_action.setEnabled(has)
        drawn = (self.shown_region(), self.window.renderer)
        if drawn[0] is not self._drawn[0] or drawn[1] is not self._drawn[1]:
            self._drawn = drawn  # every preview frame repainted it, and the canvas under it twice
            self.overlay.update()  # (3 ms of the GUI thread a frame)

    def _on_document(self, doc) -> None:
        if doc is self.window.doc:
            self._follow()

    def _refused(self) -> bool:
        """Whether the region cannot change now (no document, or work in progress), saying why."""
        if self.window.doc is None or self.window.renderer is None:
            return True
        if self.window.jobs.busy:
            self.status.emit("The region waits for the work in progress to end (or Cancel it)")
            return True
        return False

    # ------------------------------------------------------------------ painting

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if self.window.canvas.takes_split(event):  # the split line moves whichever tool is on
            return False
        if not self.active:
            return False
        kind = event.type()
        if kind == QEvent.Type.Leave:
            self.hover = None
            self.overlay.update()
            return False
        if kind == QEvent.Type.MouseMove:
            self.hover = event.position()
            if self._pressed:
                self._paint_at(event.position())
            self.overlay.update()
            return self._pressed
        buttons = (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton)
        if kind == QEvent.Type.MouseButtonPress and event.button() in buttons:
            if self.window.canvas.space_held or not self.button.isEnabled() or self._refused():
                return False if self.window.canvas.space_held else True  # Space + drag pans
            self._stroke = BrushStroke(erases(event))
            self._pressed, self._painting = True, self.region
            self._paint_at(event.position())
            return True
        if kind == QEvent.Type.MouseButtonRelease and self._pressed and event.button() in buttons:
            region, self._painting, self._pressed = self._painting, None, False
            if self.button.isEnabled():  # editing turned off meanwhile: the painting is dropped
                self.painted(region, self._stroke.erase)
            self.overlay.update()
            return True
        return False

    def _paint_at(self, pos: QPointF) -> None:
        renderer, canvas = self.window.renderer, self.window.canvas
        p = canvas.to_image(pos)
        x, y = renderer.display_point_to_model(p.x(), p.y())
        radius = renderer.model_radius(self.window.brush_bar.size_slider.value() / canvas.scale())
        self._painting = self._stroke.paint(self._painting, renderer.mapping.resolution, x, y, radius)

    def painted(self, region: torch.Tensor | None, erased: bool = False) -> None:
        """A painted region (model pixels) becomes the document's: one step of the history; an
        empty one is no region."""
        doc = self.window.doc
        if doc is None:
            return
        if region is not None and not bool((region > 0).any()):
            region = None
        if region is None and doc.current.region is None:
            if not erased:
                self.status.emit("The region goes on the framed object (inside the dashed outline)")
            return
        if region is not None:
            region = as_recorded(region)  # as the recipe will hold it
            if doc.current.region is not None and torch.equal(region, doc.current.region):
                return  # nothing changed: no step
        doc.push(doc.with_region(region, "erase region" if erased else "paint region"))
        self.status.emit("Region erased: the edit lands everywhere again" if region is None else
                         ("Part of the region erased" if erased else "Region painted") +
                         ": the sliders now change only inside its outline")

    def clear(self) -> None:
        if self.region is None or self._refused():
            return
        self.window.doc.push(self.window.doc.with_region(None, "clear region"))
        self.status.emit("Region cleared: the edit lands everywhere again (Ctrl+Z keeps it in the region)")

    # ------------------------------------------------------------------ sliders in the region

    def record_sliders(self, snap: Snapshot) -> None:
        """The sliders settled at `snap`: recorded at once without a region; with one, the region
        solver finds the code first (a job: progress, Cancel), and that code is recorded."""
        doc, window = self.window.doc, self.window
        if snap.region is None:
            return doc.push(snap)
        solving = self.solving and window.jobs.current is self._job  # not replaced by other work
        if window.jobs.busy and not solving:
            self.status.emit("The slider waits for the work in progress to end (or Cancel it): "
                             "not applied")
            window.sliders_panel.show_document()
            return window.preview.request(doc.current)
        model, vectors, start = window.drawing_model, window.vectors, doc.current
        z_before, z_slid = doc.code(vectors), snap.code(vectors, doc.z0)

        def state(z: torch.Tensor) -> Snapshot:  # the state whose code is z, the sliders as they are
            return snap.showing(z, vectors, doc.z0, label=f"{snap.label} in the region")

        def show(step) -> None:
            if step.step % PREVIEW_EVERY == 0 and not window.preview.rendering:
                window.preview.request(state(step.z[0]))
            self.status.emit(f"Keeping the slider inside the region… step {step.step}/{self.cfg.steps}")

        def finish(step) -> None:
            if doc is not window.doc or doc.current is not start:
                return self.status.emit("The document changed during the region solve: not applied")
            doc.push(state(step.z[0].clone()))
            self.status.emit("The slider's change is kept inside the region")

        def cancelled(_) -> None:
            window.sliders_panel.show_document()
            window.preview.request(doc.current)
            self.status.emit("Region slider cancelled: the sliders are back where they were")

        self.solving = True
        self._job = Job(lambda: region_steps(model, z_before, z_slid, snap.region, self.cfg, start.offset),
                        self.cfg.steps, on_done=finish, on_step=show, on_cancel=cancelled)
        window.jobs.run(self._job)

    def _job_ended(self) -> None:
        """Any job ended (done, cancelled, failed): after a region solve that failed, the sliders
        and the canvas show the document's state again, not the values that were never recorded."""
        was, self.solving = self.solving, False
        if was and self.window.doc is not None:
            self.window.sliders_panel.show_document()
            self.window.preview.request(self.window.doc.current)


def install(window) -> RegionTool:
    """The Region tool on the Drag tool's bar, Edit > Clear region, and the sliders' recorder."""
    tool = RegionTool(window)
    tool.status.connect(window.statusBar().showMessage)
    return tool
