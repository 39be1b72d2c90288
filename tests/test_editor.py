"""The editor window, driven for real under QT_QPA_PLATFORM=offscreen with pytest-qt."""
import json

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QSettings, Qt

from editor.window import MainWindow
from tests.conftest import make_editable_model


@pytest.fixture
def model_dir(tmp_path):
    """A tiny model with an encoder and two attribute vectors."""
    return make_editable_model(tmp_path / "tiny")


@pytest.fixture
def window(qtbot, tmp_path, model_dir):
    w = MainWindow(str(model_dir), settings=QSettings(str(tmp_path / "settings.ini"),
                                                      QSettings.Format.IniFormat),
                   autosave_path=tmp_path / "autosave.json", ask_recovery=False)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


@pytest.fixture
def photo(tmp_path):
    img = np.full((240, 180, 3), 246, np.uint8)
    img[30:210, 50:130] = (70, 50, 40)
    Image.fromarray(img).save(tmp_path / "coat.png")
    return tmp_path / "coat.png"


def canvas_pixels(w) -> np.ndarray:
    img = w.canvas.grab().toImage().convertToFormat(w.canvas.grab().toImage().Format.Format_RGB888)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    return arr[:, :img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def settle(qtbot, w):
    qtbot.waitUntil(lambda: w.idle, timeout=30_000)
    qtbot.wait(50)


def test_open_slide_stroke_undo_export_and_survive_a_bad_file(window, qtbot, photo, tmp_path):
    w = window
    assert "tiny" in w.windowTitle() and "32px" in w.windowTitle()
    assert w.open_photo(photo)
    settle(qtbot, w)
    assert w.doc is not None and w.doc.history[0].label == "open"
    opened = canvas_pixels(w)

    w.set_slider("first", 2.5)
    w.commit_sliders()
    settle(qtbot, w)
    slid = canvas_pixels(w)
    assert np.abs(slid.astype(int) - opened).sum() > 0, "the slider did not change the canvas"
    assert w.doc.current.slider_dict == {"first": 2.5}

    w.set_brush("color")
    w.set_brush_value((1.0,))
    rect = w.canvas.image_rect()
    y = int(rect.y() + rect.height() * 0.5)
    x0, x1 = int(rect.x() + rect.width() * 0.35), int(rect.x() + rect.width() * 0.65)
    qtbot.mousePress(w.canvas, Qt.MouseButton.LeftButton, pos=QPoint(x0, y))
    for x in range(x0, x1, 5):
        qtbot.mouseMove(w.canvas, QPoint(x, y))
    qtbot.mouseRelease(w.canvas, Qt.MouseButton.LeftButton, pos=QPoint(x1, y))
    settle(qtbot, w)
    stroked = canvas_pixels(w)
    assert w.doc.current.label == "color stroke" and w.gallery.count() == 4
    inside = np.abs(stroked.astype(int) - slid)[y - 3:y + 3, x0:x1]
    assert inside.sum() > 0, "the stroke did not change the canvas under it"

    w.undo()
    settle(qtbot, w)
    assert np.array_equal(canvas_pixels(w), slid), "undo must restore the canvas pixel for pixel"
    w.redo()
    settle(qtbot, w)
    assert np.array_equal(canvas_pixels(w), stroked)

    out = tmp_path / "coat-edited.png"
    assert w.export_to(out)
    assert Image.open(out).size == (180, 240)
    recipe = json.loads((tmp_path / "coat-edited.png.recipe.json").read_text())
    assert recipe["sliders"] == {"first": 2.5} and len(recipe["strokes"]) == 1

    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    before_state = (w.doc, w.doc.index)
    assert not w.open_photo(bad)
    assert "broken.jpg" in w.last_error
    assert (w.doc, w.doc.index) == before_state
    assert np.array_equal(canvas_pixels(w), stroked), "a refused file must leave the edit intact"


def test_reset_new_from_model_and_sessions(window, qtbot, tmp_path):
    w = window
    w.new_from_model(7)
    settle(qtbot, w)
    assert "seed 7" in w.windowTitle()
    start = canvas_pixels(w)
    w.set_slider("second", -1.5)
    w.commit_sliders()
    settle(qtbot, w)
    assert not np.array_equal(canvas_pixels(w), start)
    assert (tmp_path / "autosave.json").is_file()
    session = tmp_path / "edit.session.json"
    assert w.save_session(session)
    w.reset_all_sliders()
    settle(qtbot, w)
    assert np.array_equal(canvas_pixels(w), start) and w.doc.current.label == "reset all sliders"
    assert w.open_session(session)
    settle(qtbot, w)
    assert w.doc.current.slider_dict == {"second": -1.5} and len(w.doc.history) == 2
    assert w.sliders["second"].value() == -150


def test_refused_model_keeps_the_current_one(window, tmp_path):
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(b"\x80\x04K\x01.")
    name = window.model.name
    assert not window.switch_model(str(evil))
    assert "refused" in window.last_error and window.model.name == name


def test_shipped_model_inverts_a_product_photo_and_its_sliders_work(qtbot, tmp_path):
    """The real thing: the shipped product model, its encoder and its attribute vectors."""
    from benchmarks.editing import fake_photo
    from training.data import load_fashion_mnist

    test = load_fashion_mnist("test", 32)
    Image.fromarray(fake_photo(test.images[1, 2:30, 2:30, 0].numpy())).save(tmp_path / "pullover.png")
    w = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                   autosave_path=tmp_path / "autosave.json", ask_recovery=False)
    qtbot.addWidget(w)
    w.show()
    assert w.model.name == "fashion-mnist-32" and {"area", "brightness", "coat"} <= set(w.sliders)
    assert w.open_photo(tmp_path / "pullover.png")
    settle(qtbot, w)
    opened = canvas_pixels(w)
    w.set_slider("area", 2.0, commit=True)
    settle(qtbot, w)
    assert np.abs(canvas_pixels(w).astype(int) - opened).mean() > 0.5
    assert w.export_to(tmp_path / "out.jpg")
    assert Image.open(tmp_path / "out.jpg").size == Image.open(tmp_path / "pullover.png").size
    w.close()
