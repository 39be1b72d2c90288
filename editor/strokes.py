"""Painting strokes: a stroke painted on the canvas becomes a `Stroke` in model pixels, the solver
runs on the job runner (progress, Cancel), the best candidate is applied and the others are offered
in the candidates panel. The solver runs through editing.edit.solve_strokes, as in `latent-edit edit`.

A stroke is clipped to the model's square (the outline on the canvas) without a question: the part
outside is left out and the status bar says so. The candidates follow the document: they are shown
while the document is at their stroke (or at a candidate chosen from them) and hidden after an undo
past it, coming back with redo.
"""
from __future__ import annotations

from typing import Iterator

from PySide6.QtCore import QObject, Signal

from editing.edit import solve_strokes, solver_config
from editing.solver import Constraints, SolverConfig, SolverStep, Stroke, stroke_loss
from editing.vectors import AttributeVector
from editor import session
from editor.brushbar import BrushBar
from editor.errors import describe
from editor.jobs import Job, JobRunner
from editor.panels import CandidatesPanel
from editor.preview import Preview
from editor.render import Renderer
from editor.state import Document, Snapshot
from training.modelfile import GANModel

FAR_SHORT = 0.5  # a stroke whose colour got less than this share of the way is said to fall short


def reached(step: SolverStep, constraints: Constraints) -> str:
    """A note on how far the best candidate got to the strokes' colours, when it fell short: the
    hold keeps the picture beyond the strokes' reach, so a stroke the generator cannot draw there
    (a white line across a dark dress) changes little, and the user should know it is the model."""
    asked = float(stroke_loss(constraints.preserve_target[None], constraints)[0])
    if asked <= 0:
        return ""
    share = 1.0 - float(step.stroke_error[0]) / asked
    if share >= FAR_SHORT:
        return ""
    return (f"; the strokes got {100 * max(share, 0.0):.0f}% of the way: the model cannot draw them "
            f"there without changing the rest")


def with_views(steps: Iterator[SolverStep], renderer: Renderer | None, state: Snapshot,
               strokes: tuple[Stroke, ...]) -> Iterator:
    """The solver's steps, then (last step, each candidate's edit on the photo): the candidates as
    the canvas would show them in `state` (its region and drags) with `strokes`, cropped to the
    model's square (Renderer.view), rendered here on the worker rather than on the GUI thread."""
    last = None
    for last in steps:
        yield last
    if last is not None:
        views = None if renderer is None else [renderer.view(z, state.region, state.offset, strokes)
                                               for z in last.z]
        yield last, views


class StrokeTool(QObject):
    status = Signal(str)  # progress to show in the status bar; "" when it no longer holds
    error = Signal(str)  # a refused stroke, or a bug (logged)
    settled = Signal(bool)  # a painted stroke's end: True its result is applied, False not taken

    def __init__(self, brushes: BrushBar, candidates: CandidatesPanel, jobs: JobRunner, preview: Preview):
        super().__init__()
        self.brushes, self.candidates, self.jobs, self.preview = brushes, candidates, jobs, preview
        self.model: GANModel | None = None
        self.vectors: dict[str, AttributeVector] = {}
        self.doc: Document | None = None
        self.offer: tuple | None = None  # (codes, images, [(a snapshot made from them, its candidate)],
        # their views on the photo) of the last stroke
        self._shown = False  # the offer is in the candidates panel
        self._at: int | None = None  # the candidate the document shows, highlighted in the panel

    def set_document(self, model: GANModel, vectors: dict[str, AttributeVector], doc: Document) -> None:
        self.model, self.vectors, self.doc = model, vectors, doc
        self.offer, self._shown, self._at = None, False, None
        self.candidates.clear()
        doc.subscribe(self._follow)

    def _follow(self, doc: Document) -> None:
        """Show the last stroke's candidates only while the document is at one of them, the one it
        shows highlighted and named in the status bar (after undo and redo too)."""
        if doc is not self.doc or self.offer is None:
            return
        codes, images, chosen, views = self.offer
        at = next((k for s, k in chosen if doc.current is s), None)
        if self._shown and self.candidates.codes is not codes:  # another tool's (a warp's) are shown
            self._shown = False
            if at is None:
                self._at = None
                return
        if at is not None:
            if not self._shown:
                self.candidates.show_candidates(codes, images, views, self.choose)
            self.candidates.gallery.setCurrentRow(at)
            if at != self._at:
                self.status.emit(f"Candidate {at + 1} applied; click another to choose it, Ctrl+Z to go back")
        elif self._shown:
            self.candidates.clear()
            self.status.emit("")
        self._shown, self._at = at is not None, at

    def painted(self, points: list, radius: float) -> None:
        """A stroke on the canvas: display points and radius (display pixels). The part outside the
        model's square is left out; a stroke painted while another is solved is not taken."""
        renderer = self.preview.renderer
        if self.doc is None or self.brushes.brush is None or renderer is None:
            return self.settled.emit(False)
        if self.jobs.busy:
            self.status.emit("Still working on the last stroke: wait for it, or Cancel it")
            return self.settled.emit(False)
        model_points, clipped = renderer.stroke_to_model(points)
        if not model_points:
            self.status.emit("The stroke lies outside the editable region (the dashed outline)")
            return self.settled.emit(False)
        value = self.doc.mapping.model_colour(self.brushes.rgb)  # the photo's colour, as the model sees it
        self.apply(Stroke(self.brushes.brush, tuple(model_points), max(0.5, renderer.model_radius(radius)),
                          value, self.brushes.strength),
                   note=" (the part outside the dashed outline was left out)" if clipped else "")

    def apply(self, stroke: Stroke, cfg: SolverConfig | None = None, note: str = "") -> None:
        """Solve for the strokes so far plus this one, in the background; candidates follow. The
        settings default to `editing.edit.solver_config` (face models rank by identity too)."""
        doc, model, vectors = self.doc, self.model, self.vectors
        cfg = cfg or solver_config(model)
        label = self.brushes.stroke_label(stroke.kind)
        try:
            strokes, z, constraints = session.stroke_constraints(model, doc, vectors, stroke)
        except Exception as e:  # noqa: BLE001 - a StrokeError is shown; a bug is logged; the state stays
            self.settled.emit(False)
            return self.error.emit(describe(e))
        if constraints.empty:  # an eraser that removed everything: back to the code as it is
            doc.push(Snapshot(label, doc.current.z_base, doc.current.sliders, strokes, doc.current.region,
                              doc.current.offset))
            return self.settled.emit(True)

        def finish(result) -> None:
            step, views = result
            snap = doc.with_candidate(step.z[0], strokes, vectors, label)
            self.offer, self._shown, self._at = (step.z, step.images, [(snap, 0)], views), True, 0
            self.candidates.show_candidates(step.z, step.images, views, self.choose)
            doc.push(snap)
            short = reached(step, constraints)  # the panel's title says "click to choose": a note
            # that the strokes fell short fits the status bar of a window 1200 px wide after this
            self.status.emit(f"{len(step.z)} candidates, the best applied" + (
                short or ", click another to choose it") + note)
            self.settled.emit(True)

        def cancelled(_) -> None:
            self.status.emit("Stroke cancelled")
            self.settled.emit(False)

        self.status.emit("Solving the stroke…" + note)
        offset = doc.current.offset  # an earlier drag's: the stroke is solved on the picture shown
        renderer, state = self.preview.renderer, doc.current

        def work() -> Iterator:
            return with_views(solve_strokes(model, doc.z0, z, constraints, cfg, offset, doc.target),
                              renderer, state, strokes)

        self.jobs.run(Job(work, cfg.steps + 1, on_done=finish, on_cancel=cancelled))

    def choose(self, k: int) -> None:
        """Apply candidate k of the last stroke instead (a click in the panel showing them)."""
        if self.doc is None or self.offer is None:
            return
        snap = self.doc.with_candidate(self.offer[0][k], self.doc.current.strokes, self.vectors,
                                       f"candidate {k + 1}")
        self.offer[2].append((snap, k))
        self.doc.push(snap)  # _follow highlights it and says so
