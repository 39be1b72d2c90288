"""Painting strokes: a stroke painted on the canvas becomes a `Stroke` in model pixels, the solver
runs on the job runner (progress, Cancel), the best candidate is applied and the others are offered
in the candidates panel. The solver runs through editing.edit.solve_strokes, as in `latent-edit edit`.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from editing.edit import solve_strokes, solver_config
from editing.solver import SolverConfig, Stroke
from editing.vectors import AttributeVector
from editor import session
from editor.brushbar import BrushBar
from editor.errors import describe
from editor.jobs import Job, JobRunner
from editor.panels import CandidatesPanel
from editor.preview import Preview
from editor.state import Document, Snapshot
from training.modelfile import GANModel


class StrokeTool(QObject):
    status = Signal(str)  # progress to show in the status bar
    error = Signal(str)  # a refused stroke, or a bug (logged)

    def __init__(self, brushes: BrushBar, candidates: CandidatesPanel, jobs: JobRunner, preview: Preview):
        super().__init__()
        self.brushes, self.candidates, self.jobs, self.preview = brushes, candidates, jobs, preview
        self.candidates.chosen.connect(self.choose)
        self.model: GANModel | None = None
        self.vectors: dict[str, AttributeVector] = {}
        self.doc: Document | None = None

    def set_document(self, model: GANModel, vectors: dict[str, AttributeVector], doc: Document) -> None:
        self.model, self.vectors, self.doc = model, vectors, doc
        self.candidates.clear()

    def painted(self, points: list, radius: float) -> None:
        """A stroke on the canvas: display points and radius (display pixels)."""
        renderer = self.preview.renderer
        if self.doc is None or self.brushes.brush is None or self.jobs.busy:
            return
        model_points = tuple(renderer.display_point_to_model(x, y) for x, y in points)
        value = self.doc.mapping.model_colour(self.brushes.colour)  # the photo's colour, as the model sees it
        self.apply(Stroke(self.brushes.brush, model_points, max(0.5, renderer.model_radius(radius)),
                          value, self.brushes.strength))

    def apply(self, stroke: Stroke, cfg: SolverConfig | None = None) -> None:
        """Solve for the strokes so far plus this one, in the background; candidates follow. The
        settings default to `editing.edit.solver_config` (face models rank by identity too)."""
        doc, model, vectors = self.doc, self.model, self.vectors
        cfg = cfg or solver_config(model)
        label = f"{stroke.kind} stroke"
        try:
            strokes, z, constraints = session.stroke_constraints(model, doc, vectors, stroke)
        except Exception as e:  # noqa: BLE001 - a StrokeError is shown; a bug is logged; the state stays
            return self.error.emit(describe(e))
        if constraints.empty:  # an eraser that removed everything: back to the code as it is
            return doc.push(Snapshot(label, doc.current.z_base, doc.current.sliders, strokes))

        def finish(step) -> None:
            self.candidates.show_candidates(step.z, step.images)
            doc.push(doc.with_candidate(step.z[0], strokes, vectors, label))
            self.status.emit(f"{len(step.z)} candidates; the best is applied, click another to choose it")

        self.status.emit("Solving the stroke…")
        self.jobs.run(Job(lambda: solve_strokes(model, doc.z0, z, constraints, cfg), cfg.steps,
                          on_done=finish, on_cancel=lambda _: self.status.emit("Stroke cancelled")))

    def choose(self, k: int) -> None:
        """Apply candidate k of the last stroke instead."""
        codes = self.candidates.codes
        if codes is None or self.doc is None:
            return
        self.doc.push(self.doc.with_candidate(codes[k], self.doc.current.strokes, self.vectors,
                                              f"candidate {k + 1}"))
