"""The Drag tool: click a handle, click its target (or press on the handle and let go on its target),
as many pairs as you like, then Run; the drag
(editing.drag) runs on the job runner with a live preview of every step and the handles following
on the canvas; Stop keeps what it reached. The result joins the history like a stroke (undo, redo,
sessions, export): its code and its feature offset (editing.offset.FeatureOffset), which later edits
keep and a later drag goes on from, and its motion (editing.motion): on the photo, the drag moves
the photo's own pixels from each handle to where the drag left it, and later edits land on that
moved photo. Clear points removes the pairs (clicked again with none left, the mask).

With Mask on, pressing and dragging on the canvas paints what may move (the brush bar's size); the
right button or Ctrl + drag erases (as in the Region tool). Outside the painted mask the drag holds
the picture as it was. With Move whole on, the painted part moves on the photo as one piece and what
lies around it stretches (editing.motion: an eyebrow rises without the eye below it), and the mask
goes with it (and back with undo).

The tool listens to the canvas's mouse through an event filter while it is active and draws its
points and mask on a transparent overlay (editor.dragoverlay), so the canvas itself knows nothing of it.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from PySide6.QtCore import QEvent, QObject, Qt, Signal

from editing.drag import DragConfig, DragPoint, drag
from editing.export import add_to_recipe, recipe_path
from editing.motion import drag_motion
from editing.region import BrushStroke, covers, shifted
from editing.vectors import AttributeVector
from editor.canvas import Canvas, erases
from editor.dragbar import build_bar
from editor.dragnotes import raised_reach, to_go, unconfirmed
from editor.dragoverlay import DragOverlay
from editor.jobs import Job, JobRunner
from editor.preview import Preview
from editor.render import model_to_display
from editor.state import Document, Moved, Snapshot
from training.modelfile import GANModel


PULL_CLICK = 6  # screen pixels: a press let go this far from where it placed a handle sets its target


class DragTool(QObject):
    status = Signal(str)  # progress for the status bar
    error = Signal(str)  # a refused drag, or a bug (logged)
    activated = Signal()  # the tool took over the canvas's clicks: brushes step aside

    def __init__(self, canvas: Canvas, jobs: JobRunner, preview: Preview, brush_size=None,
                 cfg: DragConfig = DragConfig()):
        super().__init__()
        self.canvas, self.jobs, self.preview, self.cfg = canvas, jobs, preview, cfg
        self.model: GANModel | None = None
        self.vectors: dict[str, AttributeVector] = {}
        self.doc: Document | None = None
        self.handles: list[tuple[float, float]] = []  # model pixels, where each handle is now
        self.targets: list[tuple[float, float]] = []  # model pixels; one fewer while a target is due
        self.mask: torch.Tensor | None = None  # (R, R) model pixels: what may move (with Move whole,
        # the part that moves); None: anything
        self._mask_follows = False  # the mask is a part moved whole's, as undo and redo left it
        self._mask_stroke = BrushStroke()  # the mask brush's stroke in progress
        self.brush_size = brush_size or (lambda: 12.0)  # mask brush radius, screen pixels
        self.records: dict[int, tuple] = {}  # id(snapshot) -> (the snapshot, kept alive so that its
        # id is not reused; what the drag that made it did)
        self.running = False
        self._shown = False  # the points shown are a drag's in the history (not placed since)
        self.frames = 0  # live previews asked for during the last drag (tests read it)
        self._pulling: tuple[float, float] | None = None  # display pixels: the handle a press placed
        # or was on, while the button is held (let go far enough away: the target, there)
        self.pulled_to: tuple[float, float] | None = None  # model pixels: the target so far (the
        # overlay draws it)
        self.active = False
        self.overlay = DragOverlay(canvas, self)
        canvas.installEventFilter(self)
        jobs.finished.connect(self._job_ended)  # done, stopped, failed or replaced
        build_bar(self)
        self._update_buttons()

    def _mask_toggled(self, on: bool) -> None:
        """Mask on takes the canvas for the mask brush, the Drag tool on with it (with a brush
        chosen, Mask only lit up and the next stroke was a sketch stroke: a walkthrough); the
        status says what a click does now."""
        self.overlay.update()
        self._pulling, self.pulled_to = None, None
        if on and not self.active:
            self.set_active(True)  # deselects the brush (activated), and says what a click does
        elif self.active:
            self._say_what_a_click_does()

    def _say_what_a_click_does(self) -> None:
        self.status.emit(("Mask: paint what may move, right drag or Ctrl + drag erases; M again to "
                          "place handles") if self.mask_button.isChecked() else
                         "Drag: click a handle, then where it should go (or drag from the handle to "
                         "there); Run when ready")

    def _whole_toggled(self, on: bool) -> None:
        self.status.emit("Move whole: paint just the part (Mask, M): it moves as one piece and what is not "
                         "painted around it stretches (paint a heel or a brow, not what lies below it)" if on
                         else "Move whole off: the mask says what may move, the rest is held")

    # ------------------------------------------------------------------ state

    def set_document(self, model: GANModel, vectors: dict[str, AttributeVector], doc: Document) -> None:
        self.model, self.vectors, self.doc = model, vectors, doc
        self.records = {}
        self.clear()
        doc.subscribe(self._follow)

    def _follow(self, doc: Document) -> None:
        """Undo and redo take the points along while they are a drag's (walkthrough: after undo
        the handles stayed where the drag left them, and Run again did next to nothing): a
        drag's state shows its handles where it left them, the state it started on where they
        were placed; points placed since stay as they are. A part moved whole takes its mask along
        (a second Move whole goes on from where the first left it)."""
        if self.running or doc is not self.doc or not (self._shown or self._mask_follows):
            return
        for snap, record in reversed(self.records.values()):  # the latest drag from a state first
            if snap is doc.current or snap.moved is not None and snap.moved.start is doc.current:
                ended = snap is doc.current
                if self._shown:
                    self.handles = [tuple(h) for h in record["handles"]] if ended else \
                        [tuple(p["handle"]) for p in record["points"]]
                    self.targets = [tuple(p["target"]) for p in record["points"]]
                if self._mask_follows and snap.moved.motion.whole:  # whatever points were placed since
                    motion = snap.moved.motion
                    self.mask = shifted(motion.mask, *motion.shift) if ended else motion.mask
                return self._update_buttons()

    def set_active(self, on: bool) -> None:
        """Take the canvas's clicks (on) or leave them to the brushes (off)."""
        if on == self.active:
            return
        self.active = on
        self.toggle.blockSignals(True)
        self.toggle.setChecked(on)
        self.toggle.blockSignals(False)
        self._pulling, self.pulled_to = None, None  # a press held across the switch pulls nothing
        if not on:  # another tool takes the canvas: Mask goes off too (lit, it said it painted)
            self.mask_button.blockSignals(True)
            self.mask_button.setChecked(False)
            self.mask_button.blockSignals(False)
            self.status.emit("")  # what a click did is no more (the window takes it back if shown)
        self.overlay.update()  # the points show only while the tool is on
        if on:
            self.activated.emit()
            self._say_what_a_click_does()

    def clear(self) -> None:
        if self.running:
            return
        self.handles, self.targets, self.mask, self._shown = [], [], None, False
        self._mask_follows, self._pulling, self.pulled_to = False, None, None
        self._update_buttons()

    def clear_points(self) -> None:
        """The button: the points, keeping the mask (it was cleared too, and had to be painted
        again: walkthrough); with no points left, the mask."""
        if self.running:
            return
        self._pulling, self.pulled_to = None, None
        if self.handles:
            self.handles, self.targets, self._shown = [], [], False
            self._update_buttons()
            return self.status.emit("Points cleared" + (" (the mask stays: Clear points again "
                                                        "clears it)" if self.mask is not None else ""))
        self.clear()
        self.status.emit("Mask cleared")

    @property
    def points(self) -> list[DragPoint]:
        return [DragPoint(h, t) for h, t in zip(self.handles, self.targets)]

    def _update_buttons(self) -> None:
        self.run_button.setEnabled(bool(self.targets) and not self.running)
        self.stop_button.setEnabled(self.running)
        self.clear_button.setEnabled((bool(self.handles) or self.mask is not None) and not self.running)
        self.overlay.update()

    # ------------------------------------------------------------------ points

    def display_pairs(self) -> list[tuple[tuple[float, float], tuple[float, float] | None]]:
        """(handle, target or None) in display pixels, for the overlay."""
        renderer = self.preview.renderer
        if renderer is None:
            return []
        to = lambda p: model_to_display(renderer, *p)  # noqa: E731
        targets = self.targets + ([self.pulled_to] if self.pulled_to is not None else [])
        return [(to(h), to(targets[i]) if i < len(targets) else None) for i, h in enumerate(self.handles)]

    def click(self, x: float, y: float) -> None:
        """A click at display pixel (x, y): a new handle, or the target of the last one."""
        renderer = self.preview.renderer
        if self.doc is None or renderer is None or self.running:
            return
        point = renderer.display_point_to_model(x, y)
        r = self.model.gan.resolution
        if not (0 <= point[0] <= r and 0 <= point[1] <= r):
            return self.status.emit("Drag points go on the framed object (outside it nothing moves)")
        self._shown = False  # points of the user's now, not of a drag in the history
        if len(self.handles) == len(self.targets):
            self.handles.append(point)
            self.status.emit("Now click where this handle should go (or drag to it)")
        else:
            self.targets.append(point)
            self.status.emit(f"{len(self.targets)} drag point(s); Run to drag, or add another handle")
        self._update_buttons()

    def paint_mask(self, x: float, y: float, radius: float) -> None:
        """Add a disk at display pixel (x, y), `radius` display pixels, to the mask, joined to the
        stroke's last one (or take it away, if the stroke erases; an emptied mask is no mask)."""
        renderer = self.preview.renderer
        if self.doc is None or renderer is None or self.running:
            return
        mx, my = renderer.display_point_to_model(x, y)
        self._mask_follows = False  # the user's mask now, not a drag's to put back on undo
        erase = self._mask_stroke.erase
        if erase and self.mask is None:
            return
        self.mask = self._mask_stroke.paint(self.mask, self.model.gan.resolution, mx, my,
                                            renderer.model_radius(radius))
        if erase and not self.mask.any():
            self.mask = None
        self._update_buttons()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if self.canvas.takes_split(event):  # the split line moves whichever tool is on
            return False
        if not (self.active and self.bar.isEnabled()):
            return False
        kind, left, right = event.type(), Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton
        pressed = kind == QEvent.Type.MouseButtonPress and event.button() == left
        if self.mask_button.isChecked():
            held = event.buttons() if kind == QEvent.Type.MouseMove else Qt.MouseButton.NoButton
            press = kind == QEvent.Type.MouseButtonPress and event.button() in (left, right)
            if press or held & (left | right):
                if press:  # a new stroke of the mask brush: it paints or erases to its end
                    self._mask_stroke = BrushStroke(erases(event))
                p = self.canvas.to_image(event.position())
                self.paint_mask(p.x(), p.y(), self.brush_size() / self.canvas.scale())
                return True
            return kind == QEvent.Type.MouseButtonRelease
        if pressed:
            p = self.canvas.to_image(event.position())
            if self._on_pending_handle(p.x(), p.y()):  # pressed on the handle whose target is due:
                self._pulling = self.display_pairs()[-1][0]  # pulled from it (a press there set the
                return True  # target on the handle itself)
            placing = len(self.handles) == len(self.targets)
            self.click(p.x(), p.y())
            self._pulling = (p.x(), p.y()) if placing and len(self.handles) > len(self.targets) else None
            return True  # the click is the tool's, not a brush's
        if self._pulling is not None and kind in (QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease):
            p = self.canvas.to_image(event.position())
            let_go = kind == QEvent.Type.MouseButtonRelease or not event.buttons() & left  # (released
            return self._pull(p.x(), p.y(), let_go)  # where the tool did not see it)
        return False

    def _on_pending_handle(self, x: float, y: float) -> bool:
        """Whether display pixel (x, y) lies on the last handle, its target still to come."""
        if len(self.handles) <= len(self.targets):
            return False
        hx, hy = self.display_pairs()[-1][0]
        return np.hypot(x - hx, y - hy) * self.canvas.scale() < PULL_CLICK

    def _pull(self, x: float, y: float, released: bool) -> bool:
        """The mouse at display pixel (x, y) while a press that placed a handle, or was on one whose
        target is due, is held: let go PULL_CLICK screen pixels or more away, its target is there (a
        walkthrough pressed on a handle and dragged to its target, and nothing came of it); a click
        in place waits for the target's click."""
        far = np.hypot(x - self._pulling[0], y - self._pulling[1]) * self.canvas.scale() >= PULL_CLICK
        self.pulled_to = self.preview.renderer.display_point_to_model(x, y) if far else None
        if released:
            self._pulling, self.pulled_to = None, None
            if far:
                self.click(x, y)
        self.overlay.update()
        return True

    # ------------------------------------------------------------------ running

    def run(self) -> None:
        """Drag the current code in the background; each step shows on the canvas."""
        doc, model, vectors, points = self.doc, self.model, self.vectors, self.points
        if doc is None or not points or self.running or self.jobs.busy:
            return
        strokes, start, mask = doc.current.strokes, doc.code(vectors), self.mask
        whole = self.whole_button.isChecked()
        if whole and mask is None:
            return self.status.emit("Move whole moves the painted part: paint it first (Mask, M)")
        if whole and not all(covers(mask, p.handle) for p in points):  # else it ran to the step
            # limit, the handle held where it was, and nothing moved (walkthrough)
            return self.status.emit("Put each handle on the painted part: Move whole moves what the "
                                    "mask paints")
        offset = doc.current.offset  # an earlier drag's: this one goes on from it
        counted = f"{len(points)} point{'s' if len(points) > 1 else ''}"
        label = f"move part ({counted})" if whole else f"drag {counted}"
        self.running, self.frames = True, 0
        self.targets = self.targets[:len(points)]
        self.handles = self.handles[:len(points)]
        self._update_buttons()

        began, r = doc.current, model.gan.resolution  # the state the drag starts on
        reach = self.reach.value() * doc.mapping.scale or None  # model pixels; None: auto

        def dragged(step) -> Snapshot:
            """The state a step shows: its code and its feature offset, the sliders kept, landing on
            the photo moved as far as the handles have come (editing.motion), its change measured
            from its own code (the sliders' offset added back is not bit for bit the step's)."""
            snap = replace(began.showing(step.code, vectors, doc.z0, label=label, strokes=strokes),
                           offset=step.offset)
            motion = drag_motion([p.handle for p in points], step.handles, r, mask, reach, whole)
            return replace(snap, moved=Moved(began, motion, snap.code(vectors, doc.z0)), layers=())

        def show(step) -> None:
            self.handles = list(step.handles)
            if not self.preview.rendering:  # else the frame being rendered would be dropped for this one,
                self.frames += 1  # and the next, so that none reached the screen
                self.preview.request(dragged(step))
            self.overlay.update()
            self.status.emit(f"Dragging… step {step.step}, {to_go(step, self.targets, doc.mapping)} to go")

        def finish(step) -> bool:
            """Push the drag's state; False if the document changed meanwhile (not kept)."""
            self.handles = list(step.handles)
            if doc.current is not began:  # undone or changed meanwhile: it no longer rests on that
                self._update_buttons()
                self.status.emit("The picture changed while dragging (undo, or another edit); the "
                                 "drag was not kept: Run again")
                return False
            if step.step > 0:
                snapshot = dragged(step)
                self.records[id(snapshot)] = snapshot, {
                    "label": label, "space": "model", "points": [p.to_dict() for p in points],
                    "mask": None if mask is None else np.round(mask.numpy().astype(np.float64), 4).tolist(),
                    "whole": whole, "config": self.cfg.to_dict(), "steps": step.step,
                    "distance": step.distance,
                    "handles": [list(h) for h in step.handles], "start_code": start.tolist(),
                    "code": step.code.tolist()}
                self._shown = True  # undo and redo take these points along (_follow) ...
                self._mask_follows = whole  # ... and a part moved whole's mask
                doc.push(snapshot)
            raised = raised_reach(doc.current, reach, doc.mapping) if step.step > 0 else ""
            if step.distance <= self.cfg.tolerance:
                self.status.emit(f"Drag reached: {step.step} steps" + raised)
            else:
                self.status.emit(f"Drag stopped at the step limit: {step.step} steps, "
                                 f"{to_go(step, self.targets, doc.mapping)} to go"
                                 + unconfirmed(step, self.targets, self.cfg.tolerance) + raised)
            self._update_buttons()
            return True

        def stopped(step) -> None:
            if step is None:
                return self.preview.request(doc.current)
            if finish(step):
                self.status.emit(f"Drag stopped at step {step.step}; kept "
                                 f"({to_go(step, self.targets, doc.mapping)} to go)")

        self.jobs.run(Job(lambda: drag(model, start, points, mask, self.cfg, offset), self.cfg.steps,
                          on_done=finish, on_step=show, on_cancel=stopped))

    def history_records(self, doc: Document) -> list[dict]:
        """What each drag in the document's history up to now did, oldest first (for recipes;
        drags of a reopened session are not known)."""
        return [self.records[id(s)][1] for s in doc.history[:doc.index + 1] if id(s) in self.records]

    def record_in_recipe(self, doc: Document, export_path) -> None:
        """Add what the document's drags did to the recipe of its export at `export_path` (a
        photo's export has one; a model sample's has none)."""
        drags = self.history_records(doc)
        if drags and doc.photo_path is not None:
            add_to_recipe(recipe_path(export_path), {"drags": drags})

    def _job_ended(self) -> None:
        if self.running:  # the only job that runs while the tool's runs is the tool's
            self.running = False
            self._update_buttons()

    def stop(self) -> None:
        if self.running:
            self.jobs.cancel()
