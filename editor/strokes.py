"""Painting strokes: a stroke painted on the canvas becomes a `Stroke` in model pixels, the solver
runs on the job runner (progress, Cancel), the best candidate is applied and the others are offered
in the candidates panel. The solver runs through editing.edit.solve_strokes, as in `latent-edit edit`,
with the same default settings (editing.edit.solver_config: face models rank the candidates by
identity change from the photo's code); the strokes painted before are settled, or where each
lands the code that followed it, left out (stroke_constraints).

A stroke is clipped to the model's square (the outline on the canvas) without a question: the part
outside is left out and the status bar says so. The candidates follow the document (editor.offers):
they are shown while the document is at their stroke (or at a candidate chosen from them) and
hidden after an undo past it, coming back with redo.
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Callable, Iterator

import numpy as np
import torch
from PySide6.QtCore import QObject, Signal

from editing.edit import solve_strokes, solver_config
from editing.landing import BrushBand, lands_in_bands, moves_hair, object_reach
from editing.layers import MAX_LAYERS, layer_count
from editing.motion import Motion
from editing.offset import drawing
from editing.solver import (SETTLED, Constraints, SolverConfig, SolverStep, Stroke, build_constraints,
                            stroke_loss)
from editing.vectors import AttributeVector
from editing.warp import Warp, reach_strokes
from editor.brushbar import BrushBar
from editor.errors import describe
from editor.jobs import Job, JobRunner
from editor.offers import Offer, Offers
from editor.preview import Preview
from editor.render import (Ground, Outside, Renderer, candidate_views, frame_args, ground_of, outside_of,
                           slid_code)
from editor.state import Document, Moved, Snapshot
from training.modelfile import GANModel

FAR_SHORT = 0.5  # a stroke whose colour got less than this share of the way is said to fall short
ASKING = ("color", "sketch")  # the strokes' kinds that ask the picture for a change (not Preserve)
NOT_APPLIED = 0.1  # a stroke solved in the model's picture none of whose candidates gets this share of
# the way (shares_reached) is not applied: the solver changed the rest instead (walkthrough 51: a sketch
# line beside a dress got 4% of the way and narrowed and darkened the whole dress, its Preserve strokes too)


def stroke_constraints(model: GANModel, doc: Document, vectors: dict[str, AttributeVector],
                       stroke: Stroke) -> tuple[tuple[Stroke, ...], torch.Tensor, Constraints, tuple]:
    """(all strokes with this one, the current code, their constraints, the layers of the state it
    makes); StrokeError if refused. The strokes before it are settled: the picture keeps them as it
    shows them (build_constraints). Where each lands the code that followed it (an object's colour
    strokes, no drag: layered_bands), they ask nothing: the new stroke is solved alone, a Preserve
    stroke kept (a white stroke after a black one went 11 levels of the way settled, 47 alone:
    benchmarks.second_stroke); but when they would land more than MAX_LAYERS codes, all are asked
    again, solved together as the command line solves them, and land the new code (consolidates)."""
    state = doc.current
    strokes = state.strokes + (stroke,)
    z = doc.code(vectors)
    layers = state.painted_over if layered(state, strokes, doc.mapping) else ()
    again = consolidates(layers)
    with torch.no_grad():
        constraints = build_constraints(list(strokes), drawing(model, state.offset)(z[None])[0],
                                        settled=0 if again else len(state.strokes),
                                        weight=0.0 if layers else SETTLED)
    return strokes, z, constraints, () if again else layers


def layered(state: Snapshot, strokes: tuple[Stroke, ...], mapping) -> bool:
    """Whether `strokes` painted on `state` each land the code that followed them (layered_bands):
    an object's colour strokes (lands_in_bands), not after a drag (what it moved holds them)."""
    return state.moved is None and lands_in_bands(reach_strokes(strokes, state.warps), mapping)


def ends_bands(state: Snapshot, strokes: tuple[Stroke, ...], mapping) -> bool:
    """Whether `strokes` painted on `state` end the landing of its colour strokes within their bands
    (a sketch after stripes: layered no longer), so that their change would land everywhere."""
    return (any(s.kind == "color" for s in state.strokes) and layered(state, state.strokes, mapping)
            and not layered(state, strokes, mapping))


def held_still(state: Snapshot, vectors: dict[str, AttributeVector], z0: torch.Tensor,
               resolution: int) -> Snapshot:
    """`state` landing on its own frame, as a drag's state lands on the frame it started on
    (editor.state.Moved), by a motion that moves nothing: a stroke solved on it lands its change from
    the state's own picture on what the canvas showed (walkthrough 51: a sketch after two stripes on
    a dress landed everything the stripes' codes had changed beyond their bands, and the straps
    a Preserve stroke kept moved by 69 levels on average; now by 4, what the solver changed there)."""
    c = resolution / 2
    still = Motion((Warp((c, c), (c, c), 1.0),))
    return replace(state, moved=Moved(state, still, state.code(vectors, z0)), layers=())


def consolidates(layers: tuple) -> bool:
    """Whether a stroke painted with these layers would make them land more than MAX_LAYERS codes (its
    own one more): each code a carry-back in a slider's every frame. Merging the oldest would not do,
    for no later code shows their strokes (each solved with them left out)."""
    return layer_count(layers) >= MAX_LAYERS


NOTHING_ASKED = {  # what the status bar says of a stroke that asks the solver for nothing
    "erase": "Erased: the strokes it passed over no longer show there",
    "erase whole": "Erased: the strokes it passed over are taken away (what they changed stays: the "
                   "picture is not solved again)",
    "preserve": "Preserved: later strokes keep this part as it is",
    "color": "The stroke asks for no change here (strength 0, or erased)",
}


def reached(step: SolverStep, constraints: Constraints, landed: float | None | bool = False) -> str:
    """A note on how far the best candidate got to the strokes' colours, when it fell short: the
    hold keeps the picture beyond the strokes' reach, so a stroke the generator cannot draw there
    (a white line across a dark dress) changes little, and the user should know it is the model.
    `landed`: where a colour stroke lands within its band, how far what lands on the photo got
    (BrushBand.reached; None: no pixel under it had far to go), which is what the user sees; the
    solver's share in the model's picture said 0% of a stroke that cut a boot's toe off (a
    walkthrough)."""
    if landed is not False:
        share = 1.0 if landed is None else landed
    else:
        shares = shares_reached(step, constraints)
        if shares is None:
            return ""
        share = float(shares[0])
    if share >= FAR_SHORT:
        return ""
    return (f"; the strokes got {100 * max(share, 0.0):.0f}% of the way: the model cannot draw them "
            f"there without changing the rest")


def shares_reached(step: SolverStep, constraints: Constraints) -> np.ndarray | None:
    """(K,) how far each candidate got in the model's picture to what the strokes ask (their colour
    and sketch terms: 1 all the way, 0 not at all), or None where they ask nothing. What Preserve
    strokes and the strokes before keep is left out: its drift is not the new stroke falling short
    (counted in, a stroke that landed exactly read "0% of the way": a review)."""
    asked = float(stroke_loss(constraints.preserve_target[None], constraints, kinds=ASKING)[0])
    if asked <= 0:
        return None
    return 1.0 - (stroke_loss(step.images, constraints, kinds=ASKING) / asked).numpy()


def with_views(steps: Iterator[SolverStep], renderer: Renderer | None, state: Snapshot,
               strokes: tuple[Stroke, ...], outside: Outside | None = None,
               ground: Ground | None = None, z_slid: torch.Tensor | None = None, layers: tuple = (),
               landed: Callable[[np.ndarray], float | None] | None = None) -> Iterator:
    """The solver's steps, then (last step, each candidate's edit on the photo, what lands as the
    model sees it, how far the best one's strokes got on the photo: `landed` of its frame, or False
    without it): the candidates as the canvas would show them in `state` (its region, what is
    `outside` it, its drags and what they moved, its `ground`, the code its sliders alone reach:
    `z_slid`, editor.render.slid_code; the codes the strokes before land: `layers`) with `strokes`,
    cropped to the model's square
    (Renderer.view), and where the generator's picture is not what lands (after a drag, or on a
    photo the model sees unaligned: editor.render.judges_landing) the frames as the model sees them
    (K, C, R, R), which the candidates' quality measures instead (None elsewhere); rendered here
    on the worker rather than on the GUI thread."""
    last = None
    for last in steps:
        yield last
    if last is not None:
        hair = moves_hair(state.sliders)
        views = seen = None
        share = False
        if renderer is not None:
            frames = [renderer.render(z, state.region, state.offset, strokes, outside, ground, hair,
                                      z_slid, layers)[0] for z in last.z]
            views, seen = candidate_views(renderer, frames, state)  # as the quality line judges
            if landed is not None and frames:
                share = landed(frames[0])
        yield last, views, seen, share


CLICK_REACH = 0.5  # a stroke whose points all lie within this share of the brush's radius of its
# first point is a click, not a stroke
CLICK_REFUSED = ("color", "sketch")  # brushes whose click is not taken: its dot asks the whole item
# to change at one spot, and the solver changes it all (a walkthrough's stray click with the colour
# brush whitened a whole T-shirt); a Preserve or Eraser click only keeps or frees a spot


def is_click(points: list, radius: float) -> bool:
    """Whether a painted path (image points, the brush's radius in image pixels) is a click rather
    than a stroke."""
    x0, y0 = points[0]
    return all((x - x0) ** 2 + (y - y0) ** 2 <= (CLICK_REACH * radius) ** 2 for x, y in points)


class StrokeTool(QObject):
    status = Signal(str)  # progress to show in the status bar; "" when it no longer holds
    error = Signal(str)  # a refused stroke, or a bug (logged)
    settled = Signal(bool)  # a painted stroke's end: True its result is applied, False not taken

    def __init__(self, brushes: BrushBar, offers: Offers, jobs: JobRunner, preview: Preview):
        super().__init__()
        self.brushes, self.offers, self.jobs, self.preview = brushes, offers, jobs, preview
        self.model: GANModel | None = None
        self.vectors: dict[str, AttributeVector] = {}
        self.doc: Document | None = None

    def set_document(self, model: GANModel, vectors: dict[str, AttributeVector], doc: Document) -> None:
        self.model, self.vectors, self.doc = model, vectors, doc

    def painted(self, points: list, radius: float) -> None:
        """A stroke on the canvas: display points and radius (display pixels). The part outside the
        model's square is left out; a stroke painted while another is solved is not taken."""
        renderer = self.preview.renderer
        if self.doc is None or self.brushes.brush is None or renderer is None:
            return self.settled.emit(False)
        if self.jobs.busy:
            self.status.emit("Still working on the last stroke: wait for it, or Cancel it")
            return self.settled.emit(False)
        if self.brushes.brush in CLICK_REFUSED and is_click(points, radius):
            self.status.emit("A click paints nothing: drag to paint a stroke")
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
        settings default to `editing.edit.solver_config` (face models rank by identity too; a
        product's colour strokes, which land only within their bands, are held less)."""
        doc, model, vectors = self.doc, self.model, self.vectors
        label = self.brushes.stroke_label(stroke.kind)
        try:
            strokes, z, constraints, layers = stroke_constraints(model, doc, vectors, stroke)
        except Exception as e:  # noqa: BLE001 - a StrokeError is shown; a bug is logged; the state stays
            self.settled.emit(False)
            return self.error.emit(describe(e))
        banded = lands_in_bands(reach_strokes(strokes, doc.current.warps), doc.mapping)
        cfg = cfg or solver_config(model, banded=banded)
        if not constraints.paints:  # an eraser, or a Preserve stroke: nothing new to solve (solved,
            # the strokes before, settled, gave it nothing but the critic to follow: a walkthrough's
            # eraser turned the trousers black); the code stays, and what an eraser passed over no
            # longer lands where strokes land within their bands (editing.landing)
            doc.push(replace(doc.current, label=label, strokes=strokes))  # its region and what lies
            # under it, its drags, stay
            self.status.emit(NOTHING_ASKED.get(stroke.kind, NOTHING_ASKED["color"]) if stroke.kind != "erase"
                             else NOTHING_ASKED["erase" if banded else "erase whole"])
            return self.settled.emit(True)

        if banded and doc.current.moved is None and consolidates(doc.current.painted_over):
            note += f" (all {len(strokes)} strokes solved together again: {MAX_LAYERS} codes at most)"
        began = doc.current
        state = held_still(began, vectors, doc.z0, model.gan.resolution) if ends_bands(
            began, strokes, doc.mapping) else began  # lands on the frame it is painted on

        def finish(result) -> None:
            step, views, seen, share = result
            shares = shares_reached(step, constraints) if share is False else None
            got = None if shares is None else float(shares.max())  # (the first is ranked best by more
            # than its stroke: a face's identity, an item's class; another may get further)
            if got is not None and got < NOT_APPLIED:  # (a colour stroke landing within its band changes
                # nothing beyond it: judged on the photo, `share`, and applied)
                self.status.emit(f"Not applied: the model's best try got {100 * max(got, 0.0):.0f}% of the "
                                 f"way to the stroke and changed the rest instead; it cannot draw it there")
                return self.settled.emit(False)
            snap = state.showing(step.z[0], vectors, doc.z0, label=label, strokes=strokes, layers=layers)
            self.offers.offered(Offer(step.z, step.images, views, lambda k: doc.with_candidate(
                step.z[k], strokes, vectors, f"{label} (candidate {k + 1})", layers=layers), "Candidate",
                seen=seen), snap)
            doc.push(snap)
            short = reached(step, constraints, share)  # the panel's title says "click to choose": a note
            # that the strokes fell short fits the status bar of a window 1200 px wide after this
            self.status.emit(f"{len(step.z)} candidates, the best applied" + (
                short or ", click another to choose it") + note)
            self.settled.emit(True)

        def cancelled(_) -> None:
            self.status.emit("Stroke cancelled")
            self.settled.emit(False)

        self.status.emit("Solving the stroke…" + note)
        offset = doc.current.offset  # an earlier drag's: the stroke is solved on the picture shown
        renderer = self.preview.renderer
        outside, ground = outside_of(state, vectors, doc.z0), ground_of(state, vectors, doc.z0)
        z_slid = slid_code(state, vectors, doc.z0)  # a candidate keeps the state's sliders
        lower = replace(state, layers=layers).layer_codes(vectors, doc.z0)  # as the candidates land
        band = None  # a colour stroke that lands within its band: how far it got is judged on the photo
        if renderer is not None and banded and stroke.kind == "color":
            band = object_reach((stroke,), renderer.display_mapping, model.gan.channels)

        def work() -> Iterator:
            landed = None
            if isinstance(band, BrushBand):
                before = renderer.render(*frame_args(state, vectors, doc.z0))[0]  # the canvas painted on
                landed = partial(band.reached, renderer.display_mapping, before)
            return with_views(solve_strokes(model, doc.z0, z, constraints, cfg, offset, doc.target),
                              renderer, state, reach_strokes(strokes, state.warps), outside, ground, z_slid,
                              lower, landed)

        self.jobs.run(Job(work, cfg.steps + 1, on_done=finish, on_cancel=cancelled))
