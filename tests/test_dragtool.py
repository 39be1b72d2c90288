"""The editor's Drag tool, driven for real under QT_QPA_PLATFORM=offscreen with pytest-qt."""
import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from editing.drag import DragConfig
from editing.export import rebuild_from_recipe
from editor.dragtool import model_to_display
from editor.render import as_model_sees_it
from tests.conftest import make_editable_model, open_window
from tests.test_editor import canvas_pixels, settle


@pytest.fixture
def window(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path, str(make_editable_model(tmp_path / "tiny")))
    yield w
    w.close()


def photo_pixels(w) -> np.ndarray:
    """The canvas without the drag points drawn over it."""
    w.drag_tool.overlay.hide()
    try:
        return canvas_pixels(w)
    finally:
        w.drag_tool.overlay.show()


def click_model_point(qtbot, w, x: float, y: float) -> None:
    """Click the canvas where model pixel (x, y) is shown."""
    dx, dy = model_to_display(w.renderer, x, y)
    r, s = w.canvas.image_rect(), w.canvas.scale()
    qtbot.mouseClick(w.canvas, Qt.MouseButton.LeftButton,
                     pos=QPoint(int(round(r.x() + dx * s)), int(round(r.y() + dy * s))))


def test_a_handle_pressed_and_let_go_elsewhere_has_its_target_there(window, qtbot):
    """A walkthrough pressed on a handle and dragged to where it should go, and no target came:
    the tool took clicks only. Let go PULL_CLICK screen pixels or more away, the press's handle
    has its target there (drawn while the button is held); let go in place, the target's click is
    still to come."""
    from editor.dragtool import PULL_CLICK

    w = window
    w.new_from_model(2)
    settle(qtbot, w)
    tool = w.drag_tool
    tool.toggle.click()
    r, s = w.canvas.image_rect(), w.canvas.scale()

    def at(x, y):
        dx, dy = model_to_display(w.renderer, x, y)
        return QPoint(int(round(r.x() + dx * s)), int(round(r.y() + dy * s)))

    left = Qt.MouseButton.LeftButton
    qtbot.mousePress(w.canvas, left, pos=at(12.5, 20.5))
    qtbot.mouseMove(w.canvas, at(16.5, 20.5))
    assert tool.pulled_to == pytest.approx((16.5, 20.5), abs=0.3)  # drawn while held
    assert tool.display_pairs()[0][1] is not None and not tool.run_button.isEnabled()
    qtbot.mouseRelease(w.canvas, left, pos=at(17.5, 20.5))
    assert tool.handles[0] == pytest.approx((12.5, 20.5), abs=0.3)
    assert tool.targets == [pytest.approx((17.5, 20.5), abs=0.3)] and tool.run_button.isEnabled()
    assert tool.pulled_to is None
    near = at(8.5, 10.5)
    qtbot.mousePress(w.canvas, left, pos=near)  # a click in place: a handle, its target to come
    qtbot.mouseRelease(w.canvas, left, pos=near + QPoint(PULL_CLICK - 2, 0))
    assert len(tool.handles) == 2 and len(tool.targets) == 1
    click_model_point(qtbot, w, 8.5, 14.5)
    assert tool.targets[1] == pytest.approx((8.5, 14.5), abs=0.3)
    click_model_point(qtbot, w, 24.5, 10.5)  # a handle placed by a click, then pulled from (a press
    qtbot.mousePress(w.canvas, left, pos=at(24.5, 10.5))  # on it once set its target on itself)
    qtbot.mouseRelease(w.canvas, left, pos=at(24.5, 16.5))
    assert len(tool.handles) == 3 and tool.targets[2] == pytest.approx((24.5, 16.5), abs=0.3)
    qtbot.mousePress(w.canvas, left, pos=at(4.5, 4.5))
    tool.set_active(False)  # switched off with the button held: nothing is pulled
    assert tool.pulled_to is None and tool._pulling is None
    assert len(w.doc.history) == 1, "placing points is not an edit"


def test_drag_tool_places_points_runs_with_a_live_preview_and_undoes_exactly(window, qtbot, photo,
                                                                            tmp_path):
    w = window
    w.new_from_model(2)
    settle(qtbot, w)
    tool = w.drag_tool
    tool.cfg = DragConfig(steps=60, lr=0.2, template=0.0, depth=1)  # as in tests/test_drag.py
    w.set_brush("color")
    tool.toggle.click()
    assert tool.active and w.brush_bar.brush is None, "the drag tool takes the clicks from the brushes"
    assert not tool.run_button.isEnabled()
    click_model_point(qtbot, w, 12.5, 25.5)
    click_model_point(qtbot, w, 17.5, 25.5)
    assert len(tool.handles) == 1 and len(tool.targets) == 1 and tool.run_button.isEnabled()
    assert tool.handles[0] == pytest.approx((12.5, 25.5), abs=0.3)
    # On this tiny untrained generator, tracking from a point a few hundredths of a pixel off the
    # grid (where a click lands after the canvas's fit) sticks; the drag itself is tested on the
    # exact points, as in tests/test_drag.py.
    tool.handles[0], tool.targets[0] = (12.5, 25.5), (17.5, 25.5)
    assert len(w.doc.history) == 1, "placing points is not an edit"
    before = photo_pixels(w)
    quality = w.candidates_panel.quality.text()

    tool.run_button.click()
    assert tool.running and tool.stop_button.isEnabled()
    settle(qtbot, w)
    assert not tool.running and tool.frames > 0
    assert w.doc.current.label == "drag 1 point" and len(w.doc.history) == 2
    dragged = photo_pixels(w)
    assert np.abs(dragged.astype(int) - before).sum() > 0, "the drag did not change the canvas"
    assert tool.handles[0] != pytest.approx((12.5, 25.5)), "the handle did not follow the drag"
    # the quality shown is the dragged picture's (it measured the code alone: walkthrough): the
    # photo the drag moved (editing.motion), as the model sees it
    meter = w.candidates_panel.meter
    shown = meter.said(meter.measure(as_model_sees_it(w.renderer, w.doc, w.vectors))[0])
    assert shown in w.candidates_panel.quality.text() != quality

    assert w.doc.current.offset is not None, "the drag's feature offset is part of the state"
    w.undo()
    settle(qtbot, w)
    assert np.array_equal(photo_pixels(w), before), "undo must restore the canvas pixel for pixel"
    w.redo()
    settle(qtbot, w)
    assert np.array_equal(photo_pixels(w), dragged)

    session = tmp_path / "drag.session.json"
    assert w.save_session(session)
    assert len(json.loads(session.read_text())["offsets"]) == 1
    assert w.open_session(session)
    settle(qtbot, w)
    assert np.array_equal(photo_pixels(w), dragged), "the session brings the drag back"
    w.undo()
    settle(qtbot, w)
    assert np.array_equal(photo_pixels(w), before)

    out = tmp_path / "dragged.png"
    assert w.open_photo(photo)  # a photo's export has a recipe: it records the drag
    settle(qtbot, w)
    tool.click(*model_to_display(w.renderer, 14.5, 16.5))
    tool.click(*model_to_display(w.renderer, 18.5, 16.5))
    tool.run()
    settle(qtbot, w)
    assert w.export_to(out)
    recipe = json.loads((tmp_path / "dragged.png.recipe.json").read_text())
    assert len(recipe["drags"]) == 1 and recipe["drags"][0]["points"][0]["handle"] == [14.5, 16.5]
    assert recipe["drags"][0]["code"] == recipe["z_edit"] and recipe["feature_offset"]["depth"] == 2
    again = tmp_path / "again.png"
    rebuild_from_recipe(recipe, again)
    assert again.read_bytes() == out.read_bytes()

    # the points show while the tool is on, not under another tool's brush (walkthrough)
    tool.set_active(True)
    tool.click(*model_to_display(w.renderer, 14.5, 16.5))
    tool.click(*model_to_display(w.renderer, 18.5, 16.5))
    assert not np.array_equal(canvas_pixels(w), photo_pixels(w))
    w.set_brush("color")
    assert np.array_equal(canvas_pixels(w), photo_pixels(w)) and len(tool.handles) == 2
    tool.set_active(True)
    assert not np.array_equal(canvas_pixels(w), photo_pixels(w)), "the points wait for the tool"

    tool.clear_button.click()
    assert tool.handles == [] and not tool.run_button.isEnabled()
    w.set_brush("sketch")
    assert not tool.active, "choosing a brush leaves the drag tool"


def test_stop_keeps_the_drag_so_far(window, qtbot):
    w = window
    w.new_from_model(2)
    settle(qtbot, w)
    tool = w.drag_tool
    tool.cfg = DragConfig(steps=10_000, lr=0.05, tolerance=0.0)  # only Stop ends it
    tool.set_active(True)
    click_model_point(qtbot, w, 12.5, 25.5)
    click_model_point(qtbot, w, 17.5, 25.5)
    tool.run()
    qtbot.waitUntil(lambda: tool.frames >= 3, timeout=30_000)
    tool.stop_button.click()
    settle(qtbot, w)
    assert not tool.running
    assert w.doc.current.label == "drag 1 point", "Stop keeps what the drag reached"


def test_export_animation_sweeps_a_slider_in_the_background(window, qtbot, tmp_path, monkeypatch):
    from PIL import Image

    from editor import animation

    w = window
    texts = [a.text() for a in w.menuBar().actions()[0].menu().actions()]
    assert texts.index("Export &animation…") == texts.index("&Export…") + 1
    assert texts.index("Export m&orph…") == texts.index("&Export…") + 2
    w.new_from_model(2)
    settle(qtbot, w)
    out = tmp_path / "sweep.gif"
    assert animation.export_sweep(w, "first", out, frames=8)
    settle(qtbot, w)
    with Image.open(out) as img:
        assert img.n_frames == 8
    assert not animation.export_sweep(w, "first", tmp_path / "sweep.png")
    assert ".webp, .gif or .mp4" in w.last_error
    folder = tmp_path / "animations"
    folder.mkdir()
    monkeypatch.setattr(animation.QInputDialog, "getItem", lambda *a, **k: (a[3][0], True))
    monkeypatch.setattr(animation.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(folder / "again.gif"), ""))
    animation.export_animation_dialog(w)
    settle(qtbot, w)
    assert Path(w.menus.last_dir("saved")) == folder, "the next export starts where the animation went"
    assert Path(w.menus.last_dir()) != folder, "opening a photo starts where photos were"


def test_warp_brush_pushes_pixels_and_joins_the_history(window, qtbot):
    w = window
    w.new_from_model(2)
    settle(qtbot, w)
    w.drag_tool.set_active(True)
    w.warp_tool.button.click()
    assert w.warp_tool.active and not w.drag_tool.active and w.brush_bar.brush is None
    before = photo_pixels(w)
    dx0, dy0 = model_to_display(w.renderer, 12.5, 25.5)
    dx1, dy1 = model_to_display(w.renderer, 17.5, 25.5)
    r, s = w.canvas.image_rect(), w.canvas.scale()
    press = QPoint(int(r.x() + dx0 * s), int(r.y() + dy0 * s))
    release = QPoint(int(r.x() + dx1 * s), int(r.y() + dy1 * s))
    mid = QPoint((press.x() + release.x()) // 2, (press.y() + release.y()) // 2)

    def around_mid():
        image = w.canvas.grab().toImage()
        return np.array([[image.pixelColor(mid.x() + i, mid.y() + j).getRgb()[:3]
                          for i in range(-2, 3)] for j in range(-2, 3)], int)

    plain = around_mid()
    qtbot.mousePress(w.canvas, Qt.MouseButton.LeftButton, pos=press)
    qtbot.mouseMove(w.canvas, release)
    assert w.warp_tool.line() is not None
    assert np.abs(around_mid() - plain).max() > 60, "the arrow from the press to the pointer shows"
    qtbot.mouseRelease(w.canvas, Qt.MouseButton.LeftButton, pos=release)
    assert w.jobs.busy and w.warp_tool.line() is not None, "the arrow stays while the warp is solved"
    assert np.abs(around_mid() - plain).max() > 60
    settle(qtbot, w)
    assert w.warp_tool.line() is None
    assert w.doc.current.label == "warp" and w.gallery.count() == 0, "one result: the photo pushed"
    moved = w.doc.current.moved
    assert moved is not None and moved.start.label == "open" and len(moved.motion.moves) == 1
    move = moved.motion.moves[0]
    assert np.allclose(move.start, (12.5, 25.5), atol=0.5) and np.allclose(move.end, (17.5, 25.5), atol=0.5)
    after = photo_pixels(w)
    assert np.abs(after.astype(int) - before).sum() > 0
    # the photo's own pixels pushed along: what lay at the press now lies at the release
    assert np.abs(before[release.y(), release.x()].astype(int) - before[press.y(), press.x()]).max() > 30
    assert np.abs(after[release.y(), release.x()].astype(int) - before[press.y(), press.x()]).max() <= 12
    w.undo()
    settle(qtbot, w)
    assert np.array_equal(photo_pixels(w), before)
    qtbot.mousePress(w.canvas, Qt.MouseButton.LeftButton, pos=press)
    w.set_editing_enabled(False)  # e.g. a tuning starts between press and release
    qtbot.mouseRelease(w.canvas, Qt.MouseButton.LeftButton, pos=release)
    assert w.warp_tool.line() is None and w.doc.current.label == "open", "no arrow left behind"
    w.set_editing_enabled(True)
    w.set_brush("color")
    assert not w.warp_tool.active


def test_a_warp_after_a_stroke_lands_as_motion_and_the_strokes_candidates_come_back(window, qtbot, tmp_path):
    """A warp pushes the photo's pixels (one result, no candidates of its own); undoing it shows the
    earlier stroke's candidates again, and a click chooses among them (the stroke tool once cleared
    a warp's candidates, and a click applied the stroke's candidate of that number instead)."""
    from editing.warp import Warp
    from tests.test_editor import white_stroke_across

    w = window
    w.new_from_model(2)
    settle(qtbot, w)
    white_stroke_across(qtbot, w, 5)
    settle(qtbot, w)
    stroke_codes = w.candidates_panel.codes
    stroke = w.doc.current
    w.warp_tool.apply(Warp((12.5, 25.5), (17.5, 25.5), 4.0))
    settle(qtbot, w)
    assert w.doc.current.label == "warp" and w.gallery.count() == 0
    assert w.statusBar().currentMessage().startswith("Warped: the photo's pixels pushed along")
    assert w.doc.current.moved.start is stroke, "pushed on the photo as the stroke left it"
    # the state keeps its warp (where a face edit lands: compositing 8), through sessions too
    assert w.doc.current.warps == (Warp((12.5, 25.5), (17.5, 25.5), 4.0),)
    from editor.state import Snapshot

    again = Snapshot.from_dict(w.doc.current.to_dict(), earlier=[])
    assert again.warps == w.doc.current.warps and again.reach_strokes[-1].kind == "sketch"

    w.undo()
    settle(qtbot, w)
    assert w.doc.current.label == "intensity stroke"  # the stroke's own candidates come back
    assert w.candidates_panel.codes is stroke_codes and w.gallery.currentRow() == 0
    w.undo()
    settle(qtbot, w)
    assert w.gallery.count() == 0 and w.doc.index == 0  # before any: none to click

    # Undoing a later stroke back to a chosen candidate of an earlier one shows that one's again.
    w.redo()
    settle(qtbot, w)
    item = w.gallery.item(2)
    qtbot.mouseClick(w.gallery.viewport(), Qt.MouseButton.LeftButton,
                     pos=w.gallery.visualItemRect(item).center())
    settle(qtbot, w)
    assert w.doc.current.label == "intensity stroke (candidate 3)"
    white_stroke_across(qtbot, w, 9)
    settle(qtbot, w)
    assert w.candidates_panel.codes is not stroke_codes
    w.undo()
    settle(qtbot, w)
    assert w.doc.current.label == "intensity stroke (candidate 3)"
    assert w.candidates_panel.codes is stroke_codes and w.gallery.currentRow() == 2
    w.warp_tool.apply(Warp((12.5, 25.5), (17.5, 25.5), 4.0))  # a session brings a warp's push back
    settle(qtbot, w)
    shown = photo_pixels(w)
    session = tmp_path / "warped.session.json"
    assert w.save_session(session) and json.loads(session.read_text())["version"] == 9
    assert w.open_session(session)
    settle(qtbot, w)
    assert w.doc.current.moved is not None and np.array_equal(photo_pixels(w), shown)


def test_the_drag_mask_is_painted_on_the_canvas_and_holds_the_rest(window, qtbot, monkeypatch):
    import editor.dragtool as dragtool

    w = window
    w.new_from_model(2)
    settle(qtbot, w)
    tool = w.drag_tool
    tool.cfg = DragConfig(steps=5, lr=0.05, search=3)
    said = []
    tool.status.connect(said.append)
    w.brush_bar.set_brush("sketch")
    tool.mask_button.click()  # with a brush chosen: the mask brush takes the canvas, not the sketch
    assert tool.active and w.brush_bar.brush is None and said[-1].startswith("Mask: paint what may move")
    dx, dy = model_to_display(w.renderer, 14.5, 25.5)
    r, s = w.canvas.image_rect(), w.canvas.scale()
    at = QPoint(int(r.x() + dx * s), int(r.y() + dy * s))
    qtbot.mousePress(w.canvas, Qt.MouseButton.LeftButton, pos=at)
    qtbot.mouseRelease(w.canvas, Qt.MouseButton.LeftButton, pos=at)
    assert tool.mask is not None and tool.mask[25, 14] == 1 and tool.mask[5, 5] == 0
    assert tool.handles == [], "painting the mask places no points"
    y, x = at.y(), at.x()
    assert (canvas_pixels(w)[y, x] != photo_pixels(w)[y, x]).any(), "tinted while it is painted"
    tool.mask_button.click()
    assert said[-1].startswith("Drag: click a handle"), "the status says a click places handles again"
    tool.mask_button.click()
    w.brush_bar.set_brush("color")  # another tool takes the canvas: Mask goes off with the Drag tool
    assert not tool.active and not tool.mask_button.isChecked()
    assert not w.statusBar().currentMessage().startswith("Mask:"), "what a click did is taken back"
    tool.set_active(True)
    # then outlined only: what the drag does inside it can be judged (walkthrough)
    assert (canvas_pixels(w)[y, x] == photo_pixels(w)[y, x]).all()
    click_model_point(qtbot, w, 12.5, 25.5)
    click_model_point(qtbot, w, 17.5, 25.5)
    seen = {}
    real = dragtool.drag

    def spy(model, code, points, mask, cfg, offset):
        seen["mask"] = mask
        return real(model, code, points, mask, cfg, offset)

    monkeypatch.setattr(dragtool, "drag", spy)
    tool.run()
    settle(qtbot, w)
    assert seen["mask"] is not None and seen["mask"].sum() == tool.mask.sum()
    assert w.doc.current.label == "drag 1 point"
    tool.clear_button.click()  # the points go, the mask stays (it had to be painted again: walkthrough)
    assert tool.handles == [] and tool.mask is not None and tool.clear_button.isEnabled()
    tool.clear_button.click()  # then the mask
    assert tool.mask is None and tool.handles == [] and not tool.clear_button.isEnabled()


def test_export_morph_inverts_the_other_photo_and_morphs_onto_this_one(window, qtbot, photo, tmp_path):
    from PIL import Image

    from editor import animation

    w = window
    other = np.full((200, 200, 3), 30, np.uint8)
    other[40:170, 60:140] = (220, 220, 230)  # a light item on a dark background
    Image.fromarray(other).save(tmp_path / "other.png")
    assert w.open_photo(photo)
    settle(qtbot, w)
    out = tmp_path / "morph.webp"
    assert animation.export_morph(w, tmp_path / "other.png", out, frames=5)
    settle(qtbot, w)
    with Image.open(out) as img:
        assert img.n_frames == 5 and img.size == (180, 240)


def test_export_animation_offers_the_sliders_by_the_names_the_panel_shows(window, qtbot, monkeypatch):
    """Walkthrough: the dialog listed raw names ("Black_Hair", "Mouth_Slightly_Open (keep Male,
    Young)"); the file name it suggests is made of the name's words."""
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    from editor import animation

    w = window
    w.new_from_model(2)
    settle(qtbot, w)
    w.vectors = {"Black_Hair": w.vectors["first"], "Smiling (keep Male, Young)": w.vectors["second"]}
    seen = {}
    chosen = ("Smiling (keep male, young)", True)
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a: (seen.update(items=a[3]), chosen)[1])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (seen.update(path=a[2]), ("", ""))[1])
    animation.export_animation_dialog(w)
    assert seen["items"] == ["Black hair", "Smiling (keep male, young)"]
    assert seen["path"].endswith("sample-smiling-keep-male-young.webp")
