"""The preview's frames: drafts while a slider moves, the state drawn in full once it rests."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from tests.conftest import open_window


def image_array(img) -> np.ndarray:
    """A QImage as an (h, w, 3) uint8 array."""
    img = img.convertToFormat(img.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    arr = arr.reshape(img.height(), img.bytesPerLine())
    return arr[:, :img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def test_a_slider_s_frames_are_drafts_while_it_moves_and_its_last_state_is_drawn_in_full(
        qtbot, tmp_path, monkeypatch):
    """A dress widened with the shipped product model: while the slider moves its frames skip
    following the moved outline (a few ms each: benchmarks/results/outline_flow.md); once the last
    draft is shown (REFINE_MS later; fired by hand here) the state is drawn in full, and that,
    not the draft, is what the canvas shows, as the export carries it back. A recorded edit is
    drawn in full at once (a stroke's result waited REFINE_MS for its final frame)."""
    from benchmarks.editing import fake_photo
    from editing.outline_flow import outline_flow
    from editor.render import Renderer, frame_args

    drawn = []
    real = Renderer.render

    def spy(self, *args, draft=False, **kwargs):
        drawn.append(draft)
        return real(self, *args, draft=draft, **kwargs)

    monkeypatch.setattr(Renderer, "render", spy)
    dress = np.asarray(Image.open(Path(__file__).parent / "fixtures" / "fashion-mnist" / "00013_dress.png"))
    Image.fromarray(fake_photo(dress, (110, 70, 40))).save(tmp_path / "dress.png")
    w = open_window(qtbot, tmp_path)
    assert w.open_photo(tmp_path / "dress.png")
    qtbot.waitUntil(lambda: w.idle, timeout=60_000)
    preview = w.preview
    assert preview.renderer.drafts  # a product on a plain background
    preview._refine.setInterval(600_000)  # fired by hand below, not by the clock
    w.sliders_panel.commit_timer.setInterval(600_000)  # the move is not recorded meanwhile
    drawn.clear()
    for value in (1.0, 2.0, 3.0):
        w.set_slider("width", value)
        qtbot.waitUntil(lambda: not preview.worker.busy, timeout=60_000)
    qtbot.waitUntil(preview._refine.isActive, timeout=10_000)  # started when the last draft showed
    assert w.preview.busy, "the full frame is still to come"
    draft = image_array(w.canvas._after)
    preview._refine.stop()
    preview._draw_final()
    qtbot.waitUntil(lambda: w.idle, timeout=60_000)
    assert drawn == [True] * 3 + [False]
    renderer = preview.renderer
    args = frame_args(w.sliders_panel.doc.with_sliders(w.sliders_panel.values(), "preview"), w.vectors,
                      renderer.z0)
    final = real(renderer, *args)[0]
    assert outline_flow(renderer.before, renderer.model_image(args[0])) is not None, "the outline moved"
    assert np.array_equal(image_array(w.canvas._after), final) and not np.array_equal(draft, final)
    w.commit_sliders()  # an edit recorded: drawn in full at once, no draft
    qtbot.waitUntil(lambda: w.idle, timeout=60_000)
    assert drawn[4:] == [False]
    w.close()


def test_the_canvas_is_painted_once_a_preview_frame(qtbot, tmp_path, photo, monkeypatch):
    """Each frame repainted the Region tool's overlay too, and with it the canvas under it a second
    time (3 ms or more of the GUI thread's time a frame, a profile of benchmarks/editor_latency.py)."""
    from editor.canvas import Canvas
    from tests.conftest import make_editable_model

    paints = []
    real = Canvas.paintEvent
    monkeypatch.setattr(Canvas, "paintEvent", lambda self, e: (paints.append(1), real(self, e)))
    w = open_window(qtbot, tmp_path, str(make_editable_model(tmp_path / "tiny")))  # after the patch
    assert w.open_photo(photo)
    qtbot.waitUntil(lambda: w.idle, timeout=30_000)
    qtbot.wait(50)
    paints.clear()
    for value in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0):
        w.set_slider("first", value)
        qtbot.waitUntil(lambda: w._slider_t0 is None, timeout=30_000)  # its frame painted
        qtbot.wait(20)  # what else the event loop paints after it
    assert 6 <= len(paints) <= 6 + 1, len(paints)
    w.close()


def test_the_held_sliders_are_walked_from_the_inverted_code_not_from_the_first_guess(
        qtbot, tmp_path, monkeypatch):
    """The encoder's first guess is shown while the inversion refines it, with editing off: walks
    from it (half a second each for a product) would only slow the inversion down."""
    from benchmarks.editing import fake_photo
    from editing.keep import ClassHold

    walked = []
    real = ClassHold.walk

    def spy(self, z0, name):
        walked.append(z0.reshape(-1).clone())
        return real(self, z0, name)

    monkeypatch.setattr(ClassHold, "walk", spy)
    dress = np.asarray(Image.open(Path(__file__).parent / "fixtures" / "fashion-mnist" / "00013_dress.png"))
    Image.fromarray(fake_photo(dress, (110, 70, 40))).save(tmp_path / "dress.png")
    w = open_window(qtbot, tmp_path)
    assert w.open_photo(tmp_path / "dress.png")
    guess = w.doc.z0.clone()
    qtbot.waitUntil(lambda: w.idle, timeout=60_000)
    w.preview._warm_thread.join(timeout=60)
    final = w.doc.z0
    assert not torch.equal(guess, final), "the inversion moved the code"
    assert len(walked) >= len(w.vectors.hold.names) + len(w.vectors.hold.lowered) > len(w.vectors.hold.names)
    assert all(torch.equal(z, final) for z in walked)

    # An inversion that fails leaves the first guess to edit: its sliders are walked then.
    from inversion.invert import Inverter

    def fails(*args, **kwargs):
        raise ValueError("no inversion today")
        yield

    monkeypatch.setattr(Inverter, "run", fails)
    walked.clear()
    assert w.open_photo(tmp_path / "dress.png")
    guess = w.doc.z0.clone()
    qtbot.waitUntil(lambda: w.idle and "no inversion today" in w.last_error, timeout=60_000)
    w.preview._warm_thread.join(timeout=60)
    assert len(walked) >= len(w.vectors.hold.names)
    assert all(torch.equal(z, guess) for z in walked)
    w.close()


def test_the_editable_outline_is_drawn_within_the_photo(qtbot):
    """An object's square (or a face's aligned one) may reach past the photo's edge: its outline
    is drawn along the edge there, not over the grey around the photo (a walkthrough saw it stick
    out 18 px past a bag photo's right edge)."""
    from editor.canvas import Canvas

    c = Canvas()
    qtbot.addWidget(c)
    photo = np.full((100, 100, 3), 120, np.uint8)
    c.set_images(photo, photo)
    c.show()
    past = {"left": [(-30.0, 20.0), (80.0, 20.0), (80.0, 80.0), (-30.0, 80.0)],
            "right": [(20.0, 20.0), (130.0, 20.0), (130.0, 80.0), (20.0, 80.0)],
            "top": [(20.0, -30.0), (80.0, -30.0), (80.0, 80.0), (20.0, 80.0)],
            "bottom": [(20.0, 20.0), (80.0, 20.0), (80.0, 130.0), (20.0, 130.0)]}
    for edge, outline in past.items():
        c.resize(*((600, 200) if edge in ("left", "right") else (200, 600)))  # room beside that edge
        r = c.image_rect()
        x0, y0 = int(round(r.left())), int(round(r.top()))
        x1, y1 = int(round(r.right())), int(round(r.bottom()))
        c.set_outline(outline)
        shot = image_array(c.grab().toImage())
        around = np.ones(shot.shape[:2], bool)
        around[y0:y1, x0:x1] = False
        around[:30, :100] = False  # the "After" label, top left; the zoom's, bottom right
        around[-30:, -120:] = False
        assert (shot[around] == 48).all(), f"something drawn beside the photo's {edge} edge"
        inside = shot[y0:y1, x0:x1]
        assert (inside != 120).any(axis=2).sum() > 100, "the outline is drawn on the photo"


def test_main_direction_sliders_show_the_picture_at_minus_and_plus_two(qtbot, tmp_path, photo):
    """A model trained on unlabelled images has sliders named "Direction 1" to "Direction 10", and
    nothing said what any of them does before it was moved (a walkthrough): each shows the picture
    moved to -2 and +2 along it, drawn again as the document changes; for a photo, the photo with
    the change added (the model's own picture showed a woman for a man's photo: walkthrough 46)."""
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QLabel

    from editing.vector_sets import principal_directions
    from editing.vectors import save_vectors
    from editor.canvas import thumbnail
    from editor.direction_previews import PREVIEW_AT, PREVIEW_SIDE
    from editor.render import rgb_pixels
    from tests.conftest import make_editable_model
    from training.modelfile import ATTRIBUTES_FILE, load_model

    folder = make_editable_model(tmp_path / "mine")
    model = load_model(folder)
    directions = principal_directions(model.generator, model.gan.latent_dim, k=3, n=600)
    save_vectors(folder / ATTRIBUTES_FILE, directions, {"source": "test"})
    w = open_window(qtbot, tmp_path, str(folder))
    w.new_from_model(5)
    qtbot.waitUntil(lambda: w.idle, timeout=30_000)

    def pixels(pixmap) -> np.ndarray:
        image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
        return np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine()).copy()

    def shown(name: str, word: str) -> np.ndarray:
        return pixels(w.sliders_panel.findChild(QLabel, f"preview:{name}:{word}").pixmap())

    assert set(w.sliders_panel.previews.labels) == {"Direction 1", "Direction 2", "Direction 3"}
    before = shown("Direction 1", "+")
    assert np.abs(before.astype(int) - shown("Direction 1", "−")).max() > 20, "the two ends differ"
    z, vector = w.doc.code(w.vectors), w.vectors["Direction 1"]
    with torch.no_grad():
        expected = rgb_pixels(model.decode((z + PREVIEW_AT * vector.spread * vector.unit)[None])[0])
    assert np.abs(pixels(thumbnail(expected, PREVIEW_SIDE)).astype(int) - before).max() <= 1
    w.set_slider("Direction 2", 2.5, commit=True)
    qtbot.waitUntil(lambda: w.idle, timeout=30_000)
    assert np.abs(shown("Direction 1", "+").astype(int) - before).max() > 0, "drawn again after a step"
    assert "−2 and +2" in w.sliders_panel.titles["Direction 1"].toolTip()

    assert w.open_photo(photo)  # a light-background coat: the model sees it reversed
    qtbot.waitUntil(lambda: w.idle, timeout=60_000)
    doc, vector = w.doc, w.vectors["Direction 3"]
    with torch.no_grad():
        moved = model.decode(torch.stack([doc.code(w.vectors) - PREVIEW_AT * vector.spread * vector.unit,
                                          doc.z0.reshape(-1)]))
    landed = (doc.target[0] + moved[0] - moved[1]).clamp(-1, 1)
    assert doc.mapping.invert
    expected = pixels(thumbnail(rgb_pixels(-landed), PREVIEW_SIDE)).astype(int)
    assert np.abs(expected - shown("Direction 3", "−")).max() <= 1
