"""The candidates a stroke or a warp offered, shown while the document is at one of them.

A stroke's or a warp's solve ends with K candidates: the best is applied, the others wait in the
candidates panel for a click. Which candidates the panel shows follows the document, for every tool
alike: the offer that made the state shown, with the candidate applied highlighted and named in the
status bar, after undo and redo too (undoing a later stroke back to "candidate 2" shows that
stroke's candidates again); nothing while the state shown was made otherwise (a slider, a drag,
the photo as opened), so a click never applies candidates of a state the user has left.

A session keeps the offers behind its history's states (`saved`: each offer's codes and which of its
candidates each state applies); reopened (`restore`), their pictures are drawn again the first time
the panel shows them.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import torch
from PySide6.QtCore import QObject, Signal

from editor.errors import log_bug
from editor.panels import CandidatesPanel
from editor.render import Renderer, candidate_views, frame_args, judged_by
from editor.state import Document, Snapshot

KEPT = 32  # states made from offers remembered for undo and redo (each offer holds K small images)
SAME_CODE = 1e-4  # a restored state shows its candidate's code within this (float rounding of sliders)
CHOSEN = re.compile(r" \(candidate \d+\)$")  # how a chosen candidate's state is labelled after its stroke


@dataclass(eq=False)
class Offer:
    codes: torch.Tensor  # (K, D) the candidates' codes, best first
    images: torch.Tensor | None  # (K, C, R, R) their images; None until `redraw` draws them
    views: list | None  # each candidate's edit on the photo (editor.render.Renderer.view), or None
    apply: Callable[[int], Snapshot]  # candidate k -> the state choosing it makes (Offers.choose)
    name: str  # "Candidate": how the status bar names one
    qualities: list | None = None  # what the panel measured of them when first shown (editor.quality)
    seen: torch.Tensor | None = None  # (K, C, R, R) what lands of each as the model sees it, measured
    # instead of the images where that is not the generator's picture (editor.strokes.with_views)
    redraw: Callable[["Offer"], None] | None = None  # sets images, views and seen: an offer a session
    # kept, drawn again when first shown (restore)


class Offers(QObject):
    status = Signal(str)

    def __init__(self, panel: CandidatesPanel):
        super().__init__()
        self.panel = panel
        self.doc: Document | None = None
        self.vectors: dict | None = None  # the document's model's sliders (editor.render.judged_by)
        self._states: OrderedDict[int, tuple[Snapshot, Offer, int]] = OrderedDict()  # id(state) ->
        # (the state, the offer it came from, its candidate)
        self._shown: tuple[Offer, int] | None = None  # what the panel shows now

    def set_document(self, doc: Document, vectors: dict | None = None) -> None:
        self.doc, self._shown, self.vectors = doc, None, vectors  # the states remembered stay (KEPT):
        self.panel.clear()  # an undone model switch goes back to a document whose offers a session then keeps
        doc.subscribe(self.follow)

    def offered(self, offer: Offer, state: Snapshot) -> None:
        """`state` (about to be pushed) applies the offer's best candidate."""
        self._remember(state, offer, 0)

    def choose(self, offer: Offer, k: int) -> None:
        """A click on candidate k: the state it makes takes the place of the offer's candidate shown
        (one undo goes back before the stroke, not through every candidate tried: a walkthrough
        pressed Ctrl+Z four times), or is pushed after a later state; follow highlights and names it."""
        if self.doc is None:
            return
        shown = self._states.get(id(self.doc.current))
        if shown is not None and shown[0] is self.doc.current and shown[1:] == (offer, k):
            return  # the candidate shown already: nothing changes (not a step, not unsaved)
        state = offer.apply(k)
        self._remember(state, offer, k)
        if shown is not None and shown[0] is self.doc.current and shown[1] is offer:
            self.doc.replace(state)
        else:
            self.doc.push(state)

    def current(self) -> tuple[Offer, int] | None:
        """(offer, candidate) of the state shown, or None."""
        return self._shown

    def saved(self, doc: Document) -> list[dict]:
        """The offers behind `doc`'s states as a session keeps them: each offer's codes (K lists, best
        first) and its "states", [history index, candidate] pairs (walkthrough 48: reopened, the
        candidates of the last stroke were gone, and no undo or redo brought them back)."""
        place = {id(s): i for i, s in enumerate(doc.history)}
        kept: dict[int, dict] = {}  # id(offer) -> what the session holds of it
        for state, offer, k in self._states.values():
            i = place.get(id(state))
            if i is not None and doc.history[i] is state:
                entry = kept.setdefault(id(offer), {"codes": offer.codes.tolist(), "states": []})
                entry["states"].append([i, k])
        return list(kept.values())

    def restore(self, doc: Document, saved: list[dict], vectors: dict,
                renderer: Callable[[], Renderer]) -> None:
        """The offers a session kept (`saved`, checked by editor.session_check) behind `doc`'s
        states again, as the stroke made them: a click applies candidate k to the state shown (its
        strokes, region, drags and sliders), the views drawn by `renderer()` the first time they
        show. A state whose code is not its candidate's (a stranger's file) is left without it."""
        if doc is not self.doc:
            return
        for entry in saved:
            codes = torch.tensor(entry["codes"], dtype=doc.z0.dtype)
            states = [(doc.history[i], k) for i, k in entry["states"]
                      if torch.allclose(doc.history[i].code(vectors, doc.z0), codes[k], atol=SAME_CODE)]
            if not states:
                continue
            base = states[0][0]  # any of them: they differ in their code alone

            def apply(k: int, codes=codes) -> Snapshot:  # (the state shown is the offer's: follow)
                label = CHOSEN.sub("", doc.current.label)
                return doc.current.showing(codes[k], vectors, doc.z0, label=f"{label} (candidate {k + 1})")

            def redraw(offer: Offer, base=base) -> None:
                draw = renderer()
                shown = [base.showing(z, vectors, doc.z0) for z in offer.codes]
                frames = [draw.render(*frame_args(s, vectors, doc.z0))[0] for s in shown]
                offer.views, offer.seen = candidate_views(draw, frames, base)
                offer.images = torch.stack([draw.model_image(z, base.offset) for z in offer.codes])

            offer = Offer(codes, None, None, apply, "Candidate", redraw=redraw)
            for state, k in states:
                self._remember(state, offer, k)
        self.follow(doc)

    def _remember(self, state: Snapshot, offer: Offer, k: int) -> None:
        self._states[id(state)] = (state, offer, k)
        while len(self._states) > KEPT:
            self._states.popitem(last=False)

    def follow(self, doc: Document) -> None:
        if doc is not self.doc:
            return
        entry = self._states.get(id(doc.current))
        if entry is None or entry[0] is not doc.current:
            if self._shown is not None:
                self.panel.clear()
                self.status.emit("")
            self._shown = None
            return
        _, offer, k = entry
        shown = self._shown
        if shown is None or shown[0] is not offer:
            if offer.images is None:
                try:
                    offer.redraw(offer)
                except Exception as e:  # noqa: BLE001 - a bug drawing a kept offer: shown without it
                    log_bug(e)
                    self.panel.clear()
                    self._shown = None
                    return
            offer.qualities = self.panel.show_candidates(
                offer.codes, offer.images, offer.views, lambda i, offer=offer: self.choose(offer, i),
                offer.qualities,  # measured once: undo and redo show the offer again
                seen=offer.seen, **judged_by(doc.current, doc.mapping, self.vectors, doc.z0))  # as the
                # quality line
        self.panel.gallery.setCurrentRow(k)
        if shown is not None and shown[0] is offer and shown[1] != k:  # another of the same offer
            # chosen (not an undo or redo from another stroke's: it said "Candidate 1 applied" there)
            self.status.emit(f"{offer.name} {k + 1} applied; click another to choose it (Ctrl+Z undoes the "
                             f"edit itself, not the choice)")  # "to go back" read as to the last one
        self._shown = (offer, k)
