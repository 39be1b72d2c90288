"""The main window: puts the canvas, the panels and the brush bar together; opens photos (export,
sessions and the autosave: editor.files; the model switch: editor.models).

The window holds the document (editor.state, no Qt) and wires the views to it: the panels react to
the document's changes on their own; the window renders the current state and autosaves. Model work
runs off the GUI thread: slider previews on a LatestWorker (latest request only), inversion and the
stroke solver as Jobs (editor.jobs) with progress and Cancel. The GUI thread only paints. Opening a
photo (faces looked for, framing, the inversion) is editor.opening.

A photo's generator can be tuned to it after the inversion (editor.tuning, Edit > Tune generator to
photo); `drawing_model` is then the model with the tuned generator, and it draws every edit.

Switching models is one undoable step: the same photo is framed and inverted with the new model
(or the switch is refused with a message, and nothing changes); undo past the new document's first
line brings the previous model and its document back, redo goes forward again. Replacing or closing
an edit that is not saved asks first (Save / Discard / Cancel); the autosave stays until then.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QLabel, QMainWindow

from editing.landing import lands_in_bands
from editing.solver import SolverConfig, Stroke
from editing.vectors import AttributeVector
from editor import animation, attribute_notes, opening, regiontool, session, strokeview
from editor import tuning as generator_tuning
from editor.brushbar import BrushBar
from editor.canvas import DROPPED, Canvas
from editor.dragtool import DragTool
from editor.files import DocumentFiles, default_autosave
from editor.jobs import JobRunner, JobStatus
from editor.menus import Menus
from editor.models import Edition, ModelSwitching
from editor.offers import Offers
from editor.panels import CandidatesPanel, HistoryPanel, ModelPanel, side_dock
from editor.preview import Preview
from editor.quality import QualityMeter
from editor.render import Renderer, judged_by, judges_landing
from editor.sliders import SlidersPanel
from editor.state import Document, Snapshot
from editor.strokes import StrokeTool
from editor.warptool import WarpTool
from editor.workers import import_early, one_torch_thread
from inversion.invert import Inverter
from inversion.perceptual import LPIPS
from inversion.tuning import TuneConfig
from training.modelfile import DEFAULT_MODEL, GANModel

log = logging.getLogger(__name__)


STALE_AFTER_AN_EDIT = ("Exported ", "Session saved", "The stroke lies outside", "Generator tuned to ",
                       "Tuning cancelled", "Ready to edit", "Stopped finding", "Opened session ",
                       "A click paints nothing", "Region cleared", "Region erased")  # status messages
# that the next edit takes away (walkthroughs saw "Generator tuned to ..." stay through slider edits,
# "Inversion done" (now "Ready to edit") beside a slider's edit, "Region cleared: ..." after Reset all)

class MainWindow(DocumentFiles, ModelSwitching, QMainWindow):
    def __init__(self, model: str | None = None, settings: QSettings | None = None,
                 autosave_path: Path | None = None, ask_recovery: bool = True,
                 tune_config: TuneConfig = TuneConfig()):
        super().__init__()
        one_torch_thread()  # as the workers (editor.workers)
        import_early()  # what the first inversion would wait for
        self.settings = settings or QSettings("latent-editor", "latent-editor")
        self.tune_config = tune_config  # per-photo generator tuning (editor.tuning)
        self.autosave_path = autosave_path or default_autosave()
        self.model: GANModel | None = None
        self.vectors: dict[str, AttributeVector] = {}
        self.inverter: Inverter | None = None
        self.lpips: LPIPS | None = None
        self.doc: Document | None = None
        self.last_error = ""
        self.preview = Preview()
        self.preview.rendered.connect(self._on_render)
        self.preview.drawn_in_full.connect(self._show_quality)
        self.preview.failed.connect(self.show_error)
        self.jobs = JobRunner("jobs")
        self.frame_times: list[float] = []  # seconds from slider change to painted frame
        self._slider_t0: float | None = None
        self._refining = False  # an inversion is showing its progress (not saved, not measured)
        self._undo_switches: list[Edition] = []  # the models and documents switched away from
        self._redo_switches: list[Edition] = []  # the ones undone, for redo
        self._saved: tuple[Document, Snapshot] | None = None  # the state last saved as a session,
        # with its document (another document may hold an equal state: a sample of the same seed)
        self._exported: tuple[Document, Snapshot, str] | None = None  # the state last exported, and
        # the file's name: an export keeps the picture, not the edits (the question says so)
        self._session_file: tuple[Document, Path] | None = None  # the session file a document was
        # opened from or saved to (DocumentFiles.session_file)
        self._settle_on_render = False  # the next frame shows a stroke's result
        self._said: dict[str, str] = {}  # what each tool last put in the status bar (tool_status)
        self._build_ui()
        self.setAcceptDrops(True)
        self.resize(1200, 800)
        if model is not None or not self._start_with_last_model():
            self.switch_model(model or DEFAULT_MODEL)
        self.set_editing_enabled(False)  # nothing to edit until a photo is open
        if ask_recovery:
            QTimer.singleShot(0, self.offer_recovery)

    # ================================================================== UI

    def _build_ui(self) -> None:
        self.canvas = Canvas()
        self.setCentralWidget(self.canvas)
        self.model_panel = ModelPanel()
        self.model_panel.model_chosen.connect(self.switch_model)
        self.sliders_panel = SlidersPanel()
        self.sliders_panel.previewed.connect(self._on_preview)
        self.sliders_panel.held.connect(lambda m: self.tool_status("sliders", m))  # where they hold
        self.attribute_notes = attribute_notes.AttributeNotes(self)  # a face slider far, nothing changed
        self.sliders_panel.previews.draw = lambda codes: self.drawing_model.decode(codes)
        self.candidates_panel = CandidatesPanel()
        self.history_panel = HistoryPanel(around=self.rows_around_switch)
        self.history_panel.back.connect(self.back_before_switch)
        self.history_panel.forward.connect(self.redo_switch)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, side_dock(
            self, (self.model_panel, 0), (self.sliders_panel, 5), (self.candidates_panel, 0),
            (self.history_panel, 1)))
        self.brush_bar = BrushBar(self)
        self.brush_bar.brush_changed.connect(lambda _: self._follow_brush())
        self.brush_bar.colour_changed.connect(lambda _: self._follow_brush())
        self.brush_bar.radius_changed.connect(lambda r: setattr(self.canvas, "brush_radius", r))
        self.brush_bar.remember(self.settings)
        self.canvas.brush_radius = float(self.brush_bar.size_slider.value())
        self.addToolBar(Qt.ToolBarArea.LeftToolBarArea, self.brush_bar)
        self.offers = Offers(self.candidates_panel)  # which candidates the panel shows: the state's
        self.offers.status.connect(lambda m: self.tool_status("strokes", m))  # its candidates
        self.strokes = StrokeTool(self.brush_bar, self.offers, self.jobs, self.preview)
        self.canvas.stroke_painted.connect(self.strokes.painted)
        self.canvas.idle_press.connect(self._no_tool)
        self.canvas.stroke_dropped.connect(lambda: self.tool_status("strokes", DROPPED))
        self.strokes.status.connect(lambda m: self.tool_status("strokes", m))
        self.strokes.error.connect(self.show_error)
        self.strokes.settled.connect(self._on_stroke_settled)
        self.drag_tool = DragTool(self.canvas, self.jobs, self.preview,
                                  lambda: float(self.brush_bar.size_slider.value()))
        self.drag_tool.status.connect(lambda m: self.tool_status("drag", m))
        self.drag_tool.activated.connect(lambda: self.brush_bar.set_brush(None))
        self.brush_bar.brush_changed.connect(lambda k: k is None or self.drag_tool.set_active(False))
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.drag_tool.bar)
        self.warp_tool = WarpTool(self.canvas, self.jobs, self.preview, self.brush_bar, self.drag_tool)
        self.warp_tool.status.connect(self.statusBar().showMessage)
        self.menus = Menus(self, self.settings)
        animation.install(self)  # File > Export animation…
        self.region_tool = regiontool.install(self)  # paint where the sliders may change the photo
        self.strokes_view = strokeview.install(self)  # View > Show strokes
        self.tuning = generator_tuning.GeneratorTuning(self, self.settings, self.tune_config)
        self.jobs.failed.connect(self._on_job_failed)
        self.model_label = QLabel()  # set apart: a long message is cut where it begins
        self.model_label.setStyleSheet("QLabel { border-left: 1px solid palette(mid); padding-left: 8px; }")
        self.statusBar().addPermanentWidget(JobStatus(self.jobs))
        self.statusBar().addPermanentWidget(self.model_label)
        # The whole message on hovering (a narrow window cuts it); an export puts its file list there after.
        self.statusBar().messageChanged.connect(lambda text: self.statusBar().setToolTip(text))

    # Short names the tests and benchmarks drive the window by.
    @property
    def sliders(self):
        return self.sliders_panel.sliders

    @property
    def gallery(self):
        return self.candidates_panel.gallery

    def set_slider(self, name: str, value: float, commit: bool = False) -> None:
        self.sliders_panel.set_value(name, value, commit)

    def commit_sliders(self) -> None:
        self.sliders_panel.commit()

    def reset_all_sliders(self) -> None:
        self.sliders_panel.reset_all()

    def set_brush(self, kind: str | None) -> None:
        self.brush_bar.set_brush(kind)

    def set_brush_colour(self, rgb: tuple[int, int, int]) -> None:
        self.brush_bar.set_colour(rgb)

    @property
    def drawing_model(self) -> GANModel | None:
        """The model that draws the document: the model in use, or its generator tuned to the photo."""
        return self.tuning.drawing_model(self.model, self.doc)

    def get_inverter(self) -> Inverter:
        if self.inverter is None:
            self.lpips = self.lpips or LPIPS()
            self.inverter = Inverter.for_model(self.model, self.lpips)
        return self.inverter

    # ================================================================== the document

    def _start_document(self, doc: Document, switching: bool = False, inverting: bool = False) -> None:
        """Show and edit `doc` with the model in use; a document that is not a model switch (or
        its undo) starts the switches' history afresh; one `inverting` is a first guess."""
        self.jobs.abandon()  # its callbacks belong to the document being replaced
        if not switching:
            self._undo_switches.clear()
            self._redo_switches.clear()
        self.doc = doc
        hold = getattr(self.vectors, "hold", None)  # what it holds, for the version a session is written as
        doc.held_lowered, doc.held_pairs = (frozenset(getattr(hold, k, ())) for k in ("lowered", "pairs"))
        doc.own_units = frozenset(n for n, v in (self.vectors or {}).items() if "inverted_spread" in v.meta)
        self.tuning.follow_model(self.model, doc)  # as remembered, off where its tuning stopped
        model = self.drawing_model
        session.take_photo(self.vectors, doc.z0, doc.target)  # before a slider moves (editing.keep)
        renderer = self.preview.start(model, self.vectors, doc, warm=not inverting)
        self.set_editing_enabled(not inverting)  # after the preview: it walks the new code (warm_once)
        self.canvas.settle_strokes()
        self.canvas.set_images(renderer.display_pixels, renderer.display_pixels)
        self.canvas.unedited = True  # the photo, until the state's frame comes
        self.canvas.photo_factor = renderer.factor
        self.canvas.set_outline(renderer.editable_outline())
        self.canvas.zoom_fit()
        self.offers.set_document(doc, self.vectors)
        self.strokes.set_document(model, self.vectors, doc)
        self.drag_tool.set_document(model, self.vectors, doc)
        self.warp_tool.set_document(model, self.vectors, doc)
        doc.subscribe(self._on_document_changed)
        self.sliders_panel.set_document(doc)
        self.history_panel.set_document(doc)
        self.menus.set_document(doc)
        self.lpips = self.lpips or LPIPS()
        self._measure_with(model, doc, settled=not inverting)
        self._update_model_label()
        self._update_title()
        self._on_document_changed(doc)

    def _measure_with(self, model: GANModel, doc: Document, settled: bool = True) -> None:
        """The quality shown is measured with `model` against `doc`'s photo and reconstruction
        (`settled`: its z0 is no inversion's first guess)."""
        renderer = self.preview.renderer
        shown = renderer.as_model_sees(renderer.display_pixels) if doc.target is None else None
        self.candidates_panel.set_meter(QualityMeter(model, self.lpips, doc.target, doc.z0, settled=settled,
                                                     aligned=bool(doc.mapping.affine), shown=shown))

    def redraw(self) -> None:
        """Draw the document with `drawing_model` again (a tuning done, the switch turned): the
        same edits, the picture of the other generator; the history, tools and view stay."""
        doc, model = self.doc, self.drawing_model
        if doc is None:
            return
        self.preview.start(model, self.vectors, doc, warm=self.sliders_panel.isEnabled())  # else
        # when editing is enabled (set_editing_enabled)
        for tool in (self.strokes, self.drag_tool, self.warp_tool):
            tool.model = model  # what their solvers decode with
        self._measure_with(model, doc)
        self._update_model_label()
        self.sliders_panel.previews.show(doc, self.vectors)  # drawn by the other generator now
        self._on_document_changed(doc)

    def _on_document_changed(self, doc: Document) -> None:
        if doc is not self.doc:
            return
        if self.statusBar().currentMessage().startswith(STALE_AFTER_AN_EDIT):
            self.statusBar().clearMessage()  # about the picture before this edit (walkthroughs)
        self.setWindowModified(self.unsaved)  # the title's mark (DocumentFiles._update_title)
        self.preview.follow(doc)
        self.preview.request(doc.current)
        if not self._refining:
            if self.candidates_panel.meter is not None:
                self.candidates_panel.meter.rebase(doc.z0)  # the refined inversion, once it is in
            self._show_quality(doc.current)
            self.autosave()

    def _show_quality(self, snap: Snapshot, display: np.ndarray | None = None) -> None:
        """The quality line of the state shown: its generator's picture, or where what lands is
        measured (judges_landing) the preview's frame of it as the model sees it, once drawn."""
        doc, panel = self.doc, self.candidates_panel
        if (doc is not None and snap is doc.current and not self._refining and panel.meter is not None
                and judges_landing(self.renderer, snap) == (display is not None)):
            seen = None if display is None else self.renderer.as_model_sees(display)
            panel.show_quality(doc.code(self.vectors), snap.offset, seen, snap.shows_same(doc.history[0]),
                               **judged_by(snap, doc.mapping, self.vectors, doc.z0))

    def set_editing_enabled(self, enabled: bool) -> None:
        """Sliders and brushes work while a document is open and no inversion is running."""
        enabled = enabled and self.doc is not None
        if enabled:  # its held sliders walked, if they were not (an inversion cancelled or failed)
            self.preview.warm_once(self.doc.z0)
        self.sliders_panel.setEnabled(enabled)
        self.menus.follow_sliders()  # Ctrl+R as the panel's button (it stayed on during an inversion)
        self.brush_bar.setEnabled(enabled)
        self.drag_tool.bar.setEnabled(enabled)
        self._follow_brush()

    def _no_tool(self) -> None:
        """A press on the picture that nothing takes: say how to pick a brush or a tool (a drag
        did nothing, silently, after a tool was turned off: walkthrough)."""
        if self.doc is not None and self.brush_bar.isEnabled():
            self.statusBar().showMessage("No brush or tool is on: press B (colour), K (sketch), D (drag), "
                                         "W (warp) or R (region)")

    def _follow_brush(self) -> None:
        self.canvas.brush_enabled = self.brush_bar.isEnabled() and self.brush_bar.brush is not None
        self.canvas.stroke_colour = self.brush_bar.preview_colour

    def tool_status(self, tool: str, message: str) -> None:
        """A tool's message (the stroke tool's, the Drag tool's, where the sliders hold); an empty
        one takes back its last, if it is still shown, never another message (after another tool
        took the canvas, "Drag: click a handle" stayed: a walkthrough)."""
        if message:
            self._said[tool] = message
            self.menus.show_tool_message(message)  # (after "Undone: ..." where it speaks of its state)
        elif self._said.get(tool):
            self.menus.take_back(self._said.pop(tool))  # (no longer said: _say_step)

    def _on_stroke_settled(self, applied: bool) -> None:
        """A painted stroke stays on the canvas until its result is painted, or goes if not taken."""
        if applied:
            self._settle_on_render = True
        else:
            self.canvas.drop_last_stroke()

    # ================================================================== rendering

    @property
    def renderer(self) -> Renderer | None:
        return self.preview.renderer

    def _on_preview(self, snap: Snapshot) -> None:
        self._slider_t0 = time.perf_counter()
        self.preview.request(snap, draft=True)

    def _on_render(self, display: np.ndarray, model_img: torch.Tensor) -> None:
        shown, doc = self.preview.shown, self.doc  # the badge: "Unedited" where it is the photo as opened
        self.canvas.unedited = doc is not None and shown is not None and shown.shows_same(doc.history[0])
        self.canvas.set_images(display)
        if self._settle_on_render:
            self._settle_on_render = False
            self.canvas.settle_strokes()
        banded = doc is not None and shown is not None and lands_in_bands(shown.reach_strokes, doc.mapping)
        self.model_panel.show_image(model_img, bool(doc is not None and doc.mapping.invert), banded)
        self.canvas.repaint()
        if self._slider_t0 is not None:
            self.frame_times.append(time.perf_counter() - self._slider_t0)
            self._slider_t0 = None

    @property
    def idle(self) -> bool:
        return not self.preview.busy and not self.jobs.busy

    # ================================================================== long jobs

    def cancel_job(self) -> None:
        self.jobs.cancel()

    def _on_job_failed(self, message: str) -> None:
        self.set_editing_enabled(True)
        self.canvas.settle_strokes()
        self.show_error(message)

    # ================================================================== opening

    def open_photo(self, path: str | Path, whole_image: bool = False, face: int | None = None) -> bool:
        """Load a photo and start its inversion in the background (editor.opening.open_photo)."""
        return opening.open_photo(self, path, whole_image, face)

    def ask_which_face(self, pixels: np.ndarray, faces: list, name: str) -> int | None:
        """The user clicks one of a photo's faces in a dialog; None if they cancel."""
        return opening.ask_which_face(self, pixels, faces, name)

    def new_from_model(self, seed: int) -> None:
        self._start_document(session.new_document(self.model, seed))
        self.statusBar().showMessage(f"New from {self.model.name}, seed {seed}")

    # ================================================================== strokes

    def apply_stroke(self, stroke: Stroke, cfg: SolverConfig | None = None) -> None:
        self.strokes.apply(stroke, cfg)

    def choose_candidate(self, k: int) -> None:
        """Apply candidate k of those the panel shows (as a click on it does)."""
        shown = self.offers.current()
        if shown is not None:
            self.offers.choose(shown[0], k)

    def set_view_mode(self, mode: str) -> None:
        if self.renderer is not None:
            self.canvas.set_images(None, self.renderer.display_pixels)
        self.canvas.set_mode(mode)

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.confirm_discard("closing"):
            event.ignore()  # Cancel: the window, the edit and its autosave stay
            return
        self.preview.shutdown()
        self.jobs.shutdown()
        self.autosave_path.unlink(missing_ok=True)  # a clean exit: nothing to recover
        session.session_weights_path(self.autosave_path).unlink(missing_ok=True)
        super().closeEvent(event)
