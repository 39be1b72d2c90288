"""The preview's frames: drafts while a slider moves, the state drawn in full once it rests."""
from __future__ import annotations

import numpy as np

from tests.test_editor import model_dir, settle, window  # noqa: F401 - the fixtures


def image_array(img) -> np.ndarray:
    """A QImage as an (h, w, 3) uint8 array."""
    img = img.convertToFormat(img.Format.Format_RGB888)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    return arr[:, :img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def test_a_slider_s_frames_are_drafts_while_it_moves_and_its_last_state_is_drawn_in_full(
        window, qtbot, photo, monkeypatch):  # noqa: F811
    """A product's frames while a slider moves skip following the moved outline (a few ms each:
    benchmarks/results/editor_latency_ab.md); REFINE_MS after the last move the state is drawn in
    full; a recorded edit is drawn in full at once (a stroke's result waited REFINE_MS for its
    final frame), and that is what the canvas shows, as the export carries it back."""
    from editor.render import Renderer, frame_args

    drawn = []
    real = Renderer.render

    def spy(self, *args, draft=False, **kwargs):
        drawn.append(draft)
        return real(self, *args, draft=draft, **kwargs)

    monkeypatch.setattr(Renderer, "render", spy)
    w = window
    assert w.open_photo(photo)
    settle(qtbot, w)
    assert w.preview.renderer.drafts  # a product on a plain background
    drawn.clear()
    w.sliders_panel.commit_timer.setInterval(60_000)  # the move is not recorded meanwhile
    for value in (0.5, 1.0, 1.5, 2.0):
        w.set_slider("first", value)
        qtbot.waitUntil(lambda: not w.preview.worker.busy)
    assert w.preview.busy, "the full frame is still to come"
    settle(qtbot, w)
    assert drawn == [True] * 4 + [False]
    w.commit_sliders()  # an edit recorded: drawn in full at once, no draft
    settle(qtbot, w)
    assert drawn[5:] == [False]
    renderer = w.preview.renderer
    final = real(renderer, *frame_args(w.doc.current, w.vectors, renderer.z0))[0]
    assert np.array_equal(image_array(w.canvas._after), final)
