"""The preview: renders states of the document on a worker thread, only the latest request counting
(a dragged slider never builds a queue). Rendering itself is editor.render's, without Qt.

While a slider moves, each frame is a draft that skips following an object's moved outline
(editing.outline_flow, a few milliseconds a frame); REFINE_MS after the last draft is shown the same
state is drawn again in full, as it exports.

When a document starts, a second thread walks its held sliders out from its code (editing.keep:
about half a second each for a product's steered sliders), so that a slider's first move draws at
once, and the window, which reads the same walks to say where a slider holds, seldom waits for one
(a walk is made once, whichever thread asks first).
"""
from __future__ import annotations

import threading

import torch
from PySide6.QtCore import QObject, QTimer, Signal

from editing.vectors import AttributeVector
from editor.errors import describe
from editor.render import Renderer, frame_args
from editor.state import Document, Snapshot
from editor.workers import LatestWorker, one_torch_thread
from training.modelfile import GANModel

REFINE_MS = 150  # after the last draft is shown, its state is drawn again in full


class Preview(QObject):
    rendered = Signal(object, object)  # display pixels (h, w, 3) uint8, G(z) (C, R, R) in [-1, 1]
    drawn_in_full = Signal(object, object)  # (the state, its display frame): a frame as exported, which
    # the quality line measures where what lands is not the generator's picture (not drawn twice)
    failed = Signal(str)  # what to tell the user

    def __init__(self):
        super().__init__()
        self.renderer: Renderer | None = None
        self.vectors: dict[str, AttributeVector] = {}
        self.worker = LatestWorker("render")
        self.worker.done.connect(self._on_done)
        self.worker.error.connect(lambda _, e: self._on_failed(e))
        self._id, self._drawing = 0, (None, True)  # the latest request's (state, draft)
        self.shown: Snapshot | None = None  # the state of the frame shown last
        self._warm_stop = threading.Event()
        self._warm_thread: threading.Thread | None = None
        self._warmed: torch.Tensor | None = None  # the code whose walks were started last
        self._refine = QTimer(self)
        self._refine.setSingleShot(True)
        self._refine.setInterval(REFINE_MS)
        self._refine.timeout.connect(self._draw_final)
        self._final: Snapshot | None = None  # the state a draft showed, to be drawn in full

    @property
    def busy(self) -> bool:
        """A frame is being rendered, or a draft's final frame is still to come."""
        return self.worker.busy or self._final is not None

    @property
    def rendering(self) -> bool:
        """A frame is being rendered: a request now would drop it (a draft's final frame still to
        come is no reason to skip a drag's step)."""
        return self.worker.busy

    def start(self, model: GANModel, vectors: dict[str, AttributeVector], doc: Document,
              warm: bool = True) -> Renderer:
        """Render `doc` from now on (its photo at display size; the edit from G(doc.z0)); with
        `warm`, walk its held sliders now (not for a first guess that an inversion will replace:
        its walks would only slow the inversion down, and the final code's are made anyway)."""
        self._refine.stop()  # a draft of the last document is not drawn again on this one
        self._final = None
        self.shown = None  # nothing drawn with this renderer yet (a status message of the document's
        # state waits for its first frame's notes: editor.menus.Menus.show_tool_message)
        self.vectors = vectors
        self.renderer = Renderer(model, doc.pixels, doc.mapping, doc.z0)
        if warm:
            self.warm(doc.z0)
        else:
            self._warm_stop.set()  # a previous document's walks stop after their current slider
            self._warmed = None
        return self.renderer

    def warm_once(self, z0: torch.Tensor) -> None:
        """warm(z0) unless the walks from z0 were started already."""
        if self._warmed is None or not torch.equal(self._warmed, z0.reshape(-1)):
            self.warm(z0)

    def warm(self, z0: torch.Tensor) -> None:
        """Walk the held sliders from z0 on a thread of their own, the measured ones first, then the
        class sliders held when lowered (their first move walked on the spot: a review) and the class
        pairs; the walk of a previous document stops after its current slider."""
        self._warm_stop.set()
        self._warmed = z0.reshape(-1).clone()
        hold = getattr(self.vectors, "hold", None)
        if hold is None:
            return
        stop = self._warm_stop = threading.Event()

        def walks() -> None:
            one_torch_thread()
            for name in (*hold.names, *hold.lowered, *hold.pairs):
                if stop.is_set():
                    return
                try:
                    hold.walk(z0, name)
                except Exception:  # noqa: BLE001 - the render worker walks it again and reports
                    return
        self._warm_thread = threading.Thread(target=walks, name="slider walks", daemon=True)
        self._warm_thread.start()

    def follow(self, doc: Document) -> None:
        """Measure the edit from the document's z0, if it was rebased since."""
        if not torch.equal(doc.z0, self.renderer.z0):
            self.renderer = self.renderer.rebased(doc.z0)

    def request(self, snap: Snapshot, draft: bool = False) -> None:
        """Draw `snap`; a `draft` (a slider's move) at once where drafts differ (Renderer.drafts),
        then in full REFINE_MS after the last draft is shown (unless another request comes first).
        Other requests (an edit done, undo, a stroke's result) are drawn in full at once."""
        draft = draft and self.renderer.drafts
        self._submit(snap, draft)
        self._final = snap if draft else None
        self._refine.stop()  # started again when this draft is shown: while a slider moves, drafts

    def _draw_final(self) -> None:
        snap, self._final = self._final, None
        if snap is not None and self.renderer is not None:
            self._submit(snap, False)

    def _submit(self, snap: Snapshot, draft: bool) -> None:
        renderer, vectors = self.renderer, self.vectors
        # The code too is found on the worker: a slider's first move walks it out (editing.keep).
        self._id = self.worker.submit(
            lambda: renderer.render(*frame_args(snap, vectors, renderer.z0), draft=draft))
        self._drawing = (snap, draft)

    def _on_done(self, job_id: int, result) -> None:
        if job_id == self._id:  # else a newer request superseded this one
            snap, draft = self._drawing
            self.shown = snap  # (the window's badge: whether it is the photo as opened)
            self.rendered.emit(*result)
            if not draft:
                self.drawn_in_full.emit(snap, result[0])
            if self._final is not None:  # a draft: drawn in full REFINE_MS after it is shown (a
                self._refine.start()  # draft slower than that would else be superseded unseen)

    def _on_failed(self, error: BaseException) -> None:
        self._final = None  # no final frame of a state that could not be drawn
        self._refine.stop()
        self.failed.emit(describe(error, logged=True))

    def shutdown(self) -> None:
        self._refine.stop()
        self._final = None
        self._warm_stop.set()
        if self._warm_thread is not None:
            self._warm_thread.join(timeout=2.0)  # at most the walk it is in; a daemon after that
        self.worker.shutdown()
