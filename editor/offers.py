"""The candidates a stroke or a warp offered, shown while the document is at one of them.

A stroke's or a warp's solve ends with K candidates: the best is applied, the others wait in the
candidates panel for a click. Which candidates the panel shows follows the document, for every tool
alike: the offer that made the state shown, with the candidate applied highlighted and named in the
status bar, after undo and redo too (undoing a later stroke back to "candidate 2" shows that
stroke's candidates again); nothing while the state shown was made otherwise (a slider, a drag,
the photo as opened), so a click never applies candidates of a state the user has left.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import torch
from PySide6.QtCore import QObject, Signal

from editor.panels import CandidatesPanel
from editor.render import judged_by
from editor.state import Document, Snapshot

KEPT = 32  # states made from offers remembered for undo and redo (each offer holds K small images)


@dataclass(eq=False)
class Offer:
    codes: torch.Tensor  # (K, D) the candidates' codes, best first
    images: torch.Tensor  # (K, C, R, R) their images
    views: list | None  # each candidate's edit on the photo (editor.render.Renderer.view), or None
    apply: Callable[[int], Snapshot]  # candidate k -> the state choosing it makes (Offers.choose)
    name: str  # "Candidate": how the status bar names one
    qualities: list | None = None  # what the panel measured of them when first shown (editor.quality)
    seen: torch.Tensor | None = None  # (K, C, R, R) what lands of each as the model sees it, measured
    # instead of the images where that is not the generator's picture (editor.strokes.with_views)


class Offers(QObject):
    status = Signal(str)

    def __init__(self, panel: CandidatesPanel):
        super().__init__()
        self.panel = panel
        self.doc: Document | None = None
        self._states: OrderedDict[int, tuple[Snapshot, Offer, int]] = OrderedDict()  # id(state) ->
        # (the state, the offer it came from, its candidate)
        self._shown: tuple[Offer, int] | None = None  # what the panel shows now

    def set_document(self, doc: Document) -> None:
        self.doc, self._shown = doc, None
        self._states.clear()
        self.panel.clear()
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
            offer.qualities = self.panel.show_candidates(
                offer.codes, offer.images, offer.views, lambda i, offer=offer: self.choose(offer, i),
                offer.qualities,  # measured once: undo and redo show the offer again
                seen=offer.seen, **judged_by(doc.current, doc.mapping))  # judged as the quality line
        self.panel.gallery.setCurrentRow(k)
        if shown is not None and shown[0] is offer and shown[1] != k:  # another of the same offer
            # chosen (not an undo or redo from another stroke's: it said "Candidate 1 applied" there)
            self.status.emit(f"{offer.name} {k + 1} applied; click another to choose it (Ctrl+Z undoes the "
                             f"edit itself, not the choice)")  # "to go back" read as to the last one
        self._shown = (offer, k)
