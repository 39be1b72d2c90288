"""The editor's Region tool, driven for real under QT_QPA_PLATFORM=offscreen with pytest-qt: paint a
region, move a slider, and the change lands only there (screen, export, recipe, session, undo)."""
import json

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from editing.cli import main as latent_edit
from editing.export import render_edit
from editing.region import region_to_photo
from editing.solver import SolverConfig, Stroke
from editor.render import model_to_display
from tests.conftest import make_editable_model, open_window
from tests.test_editor import canvas_pixels, settle


@pytest.fixture
def window(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path, str(make_editable_model(tmp_path / "tiny")))
    yield w
    w.close()


def at_model(w, x: float, y: float) -> QPoint:
    """Where model pixel (x, y) is on the canvas widget."""
    dx, dy = model_to_display(w.renderer, x, y)
    r, s = w.canvas.image_rect(), w.canvas.scale()
    return QPoint(int(round(r.x() + dx * s)), int(round(r.y() + dy * s)))


def drag_on_canvas(qtbot, w, points, button=Qt.MouseButton.LeftButton,
                   modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Press at the first model point, move through the others, release at the last."""
    qtbot.mousePress(w.canvas, button, modifier, at_model(w, *points[0]))
    for p in points[1:]:
        qtbot.mouseMove(w.canvas, at_model(w, *p))
    qtbot.mouseRelease(w.canvas, button, modifier, at_model(w, *points[-1]))


def photo_pixels(w) -> np.ndarray:
    """The canvas without the tools' overlays drawn over it."""
    overlays = (w.region_tool.overlay, w.drag_tool.overlay)
    for o in overlays:
        o.hide()
    try:
        return canvas_pixels(w)
    finally:
        for o in overlays:
            o.show()


def outside_on_canvas(w, region: torch.Tensor) -> tuple[slice, slice, np.ndarray]:
    """(rows, columns) of the photo on the canvas, and where in them the region's weight is 0,
    shrunk by 3 screen pixels (the canvas scales the display image)."""
    weight = region_to_photo(region.numpy(), w.renderer.display_mapping)
    r = w.canvas.image_rect()
    x0, y0, width, height = (int(round(v)) for v in (r.x(), r.y(), r.width(), r.height()))
    on_screen = cv2.resize((weight == 0).astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    return slice(y0, y0 + height), slice(x0, x0 + width), cv2.erode(on_screen, np.ones((7, 7), np.uint8)) > 0


def rebuilt(export):
    """The export rebuilt from its recipe by `latent-edit edit --recipe` (its path)."""
    again = export.with_name("again.png")
    assert latent_edit(["edit", "--recipe", str(export) + ".recipe.json", "--out", str(again)]) == 0
    return again


def paint_left_half(qtbot, w) -> None:
    """Paint a band down the model's left side (model pixels x < ~12), brush radius 4 model px."""
    w.brush_bar.size_slider.setValue(int(round(4 * w.canvas.scale() / w.renderer.model_radius(1.0))))
    drag_on_canvas(qtbot, w, [(6, 3), (6, 10), (6, 18), (6, 26), (6, 30)])


def sample_with_painted_region(qtbot, w) -> None:
    """A new document from the model's sample 2, its left band painted as the region."""
    w.new_from_model(2)
    settle(qtbot, w)
    w.region_tool.set_active(True)
    paint_left_half(qtbot, w)
    settle(qtbot, w)


def test_region_tool_paints_limits_a_slider_exports_rebuilds_and_undoes_exactly(window, qtbot, photo,
                                                                             tmp_path):
    w = window
    tool = w.region_tool
    assert "(R)" in tool.button.toolTip() and not tool.clear_button.isEnabled()
    assert w.open_photo(photo)
    settle(qtbot, w)
    opened = photo_pixels(w)
    w.set_brush("color")
    tool.button.click()
    assert tool.active and w.brush_bar.brush is None, "the region tool takes the drags from the brushes"

    shown = canvas_pixels(w)
    paint_left_half(qtbot, w)
    region = w.doc.current.region
    assert w.doc.current.label == "paint region" and len(w.doc.history) == 2
    assert region.shape == (32, 32) and region[16, 6] == 1 and region[16, 28] == 0 and region[0, 6] == 1
    settle(qtbot, w)
    assert tool.clear_button.isEnabled()
    assert np.abs(canvas_pixels(w).astype(int) - shown).sum() > 0, "the region's tint shows on the canvas"
    below_badge = np.s_[40:]  # the badge at the top left says "After" now: an edit step was taken
    assert np.array_equal(photo_pixels(w)[below_badge], opened[below_badge]), "a region changes no pixel"

    w.set_slider("first", 3.0)  # dragging: the plain slider result, kept inside the region
    settle(qtbot, w)
    previewed = photo_pixels(w)
    w.commit_sliders()  # released: the region solver runs as a job
    assert w.jobs.busy and tool.solving
    settle(qtbot, w)
    assert w.doc.current.label == "slider First +3.00 in the region" and len(w.doc.history) == 3
    assert w.doc.current.slider_dict == {"first": 3.0} and w.doc.current.region is region
    slid = photo_pixels(w)
    assert np.abs(slid.astype(int) - opened).sum() > 0 and np.abs(previewed.astype(int) - opened).sum() > 0
    rows, cols, outside = outside_on_canvas(w, region)
    assert outside.sum() > 1000  # most of the photo lies outside the band
    for shown_now in (previewed, slid):  # the screen keeps the edit inside the region, both times
        assert np.array_equal(shown_now[rows, cols][outside], opened[rows, cols][outside])

    out = tmp_path / "coat-region.png"
    assert w.export_to(out)
    exported = np.asarray(Image.open(out), int)
    original = np.asarray(Image.open(photo), int)
    weight = region_to_photo(region.numpy(), w.doc.mapping)
    # Outside the region, grown by the bilinear enlargement's one model pixel (the carry-back's only
    # feathering here), the export is the photo bit for bit; a plain slider changes pixels there.
    outside = weight == 0
    assert outside.sum() > 0.3 * outside.size
    assert np.array_equal(exported[outside], original[outside]), "the change landed outside the region"
    inside = weight == 1
    assert np.abs(exported[inside] - original[inside]).sum() > 0, "nothing changed inside the region"
    plain, _ = render_edit(w.model, np.asarray(Image.open(photo).convert("RGB")), w.doc.mapping,
                           w.doc.z0, w.doc.code(w.vectors))
    assert np.abs(plain.astype(int)[outside] - original[outside]).sum() > 0, \
        "the test means nothing: the unlimited edit does not reach outside the region either"

    recipe = json.loads((tmp_path / "coat-region.png.recipe.json").read_text())
    assert torch.equal(torch.tensor(recipe["region"], dtype=torch.float32), region)
    assert rebuilt(out).read_bytes() == out.read_bytes(), "the CLI rebuilds the GUI's export bit for bit"

    session = tmp_path / "region.session.json"
    assert w.save_session(session)
    saved = json.loads(session.read_text())
    assert len(saved["regions"]) == 1, "the states that share the region share one copy of it"
    assert w.open_session(session)
    assert w.statusBar().currentMessage().endswith("; it has a region: later edits change only inside it "
                                                   "(Clear region)")  # walkthrough 55
    settle(qtbot, w)
    assert torch.equal(w.doc.current.region, region) and w.doc.history[1].region is w.doc.current.region
    assert np.array_equal(photo_pixels(w), slid), "the session brings the region edit back"

    w.undo()
    settle(qtbot, w)
    assert np.array_equal(photo_pixels(w)[below_badge], opened[below_badge]), "undo restores the canvas"
    assert w.sliders["first"].value() == 0.0 and w.doc.current.region is not None
    w.undo()
    settle(qtbot, w)
    assert w.doc.current.region is None and not tool.clear_button.isEnabled()
    w.redo()
    w.redo()
    settle(qtbot, w)
    assert np.array_equal(photo_pixels(w), slid)


def test_erase_and_clear_are_steps_and_a_slider_without_a_region_lands_at_once(window, qtbot):
    w = window
    tool = w.region_tool
    sample_with_painted_region(qtbot, w)
    painted = w.doc.current.region.clone()
    drag_on_canvas(qtbot, w, [(6, 24), (6, 30)], Qt.MouseButton.RightButton)
    assert w.doc.current.label == "erase region"
    assert w.doc.current.region[28, 6] == 0 and w.doc.current.region[8, 6] == 1
    drag_on_canvas(qtbot, w, [(6, 3), (6, 8)], modifier=Qt.KeyboardModifier.ControlModifier)
    assert w.doc.current.region[4, 6] == 0, "Ctrl + drag erases too"
    w.undo()
    w.undo()
    assert torch.equal(w.doc.current.region, painted)
    tool.clear_button.click()
    assert w.doc.current.label == "clear region" and w.doc.current.region is None
    w.undo()
    assert torch.equal(w.doc.current.region, painted)
    w.redo()
    w.set_slider("first", 1.5, commit=True)  # no region: recorded at once, no job
    assert w.doc.current.label == "slider First +1.50" and not tool.solving
    w.set_brush("sketch")
    assert not tool.active, "choosing a brush leaves the region tool"


def test_cancelling_a_region_solve_puts_the_sliders_back(window, qtbot):
    w = window
    tool = w.region_tool
    sample_with_painted_region(qtbot, w)
    steps = len(w.doc.history)
    tool.cfg = SolverConfig(steps=100_000, candidates=1)  # long enough to be cancelled mid-way
    w.set_slider("first", 2.0, commit=True)
    qtbot.waitUntil(lambda: "step" in w.statusBar().currentMessage(), timeout=30_000)
    w.cancel_job()
    settle(qtbot, w)
    assert len(w.doc.history) == steps and w.sliders["first"].value() == 0.0
    assert "cancelled" in w.statusBar().currentMessage()


def test_a_region_solve_replaced_by_other_work_does_not_let_a_slider_replace_that_work(window, qtbot):
    """Other work (an animation export, say) started while a region solve runs takes its place; a
    slider settled then must wait for that work, not silently replace it."""
    import threading

    from editor.jobs import Job

    w = window
    sample_with_painted_region(qtbot, w)
    w.set_slider("first", 2.0)
    w.commit_sliders()
    assert w.region_tool.solving
    release = threading.Event()

    def other_work():
        yield 0
        release.wait(10)
        yield 1
    other = Job(other_work, 2, on_done=lambda _: None)
    w.jobs.run(other)  # replaces the region solve (its callbacks are not called)
    w.set_slider("first", 3.0)
    w.commit_sliders()
    assert w.jobs.current is other, "the settled slider replaced the other work"
    assert "waits for the work in progress" in w.statusBar().currentMessage()
    release.set()
    settle(qtbot, w)


def test_what_was_done_before_the_region_stays_outside_it(window, qtbot, photo, tmp_path):
    """Walkthrough: painting a region threw away every earlier edit outside it (the hair's stroke,
    the sliders), on screen and in the export. The region keeps, outside it, the state it was
    painted on; a slider moved afterwards lands only inside; export, recipe, session and Clear."""
    w = window
    assert w.open_photo(photo)
    settle(qtbot, w)
    opened = photo_pixels(w)
    w.set_slider("second", -3.0)  # the edit made before the region
    w.commit_sliders()
    settle(qtbot, w)
    before_region = photo_pixels(w)
    assert np.abs(before_region.astype(int) - opened).sum() > 0

    w.region_tool.set_active(True)
    paint_left_half(qtbot, w)
    settle(qtbot, w)
    region = w.doc.current.region
    assert w.doc.current.under is w.doc.history[1]
    assert np.array_equal(photo_pixels(w), before_region), "painting a region changes no pixel"
    rows, cols, outside = outside_on_canvas(w, region)

    w.set_slider("first", 3.0)
    w.commit_sliders()
    settle(qtbot, w)
    slid = photo_pixels(w)
    assert w.doc.current.under is w.doc.history[1], "a slider in the region keeps what lies under it"
    assert np.array_equal(slid[rows, cols][outside], before_region[rows, cols][outside])
    assert not np.array_equal(slid[rows, cols][outside], opened[rows, cols][outside])
    w.strokes.apply(Stroke("erase", ((5.0, 5.0),), 2.0))  # an eraser with nothing to erase: a step
    settle(qtbot, w)
    assert w.doc.current.label.endswith("stroke") and w.doc.current.under is w.doc.history[1]
    assert np.array_equal(photo_pixels(w), slid), "an eraser lost what lies under the region (review)"
    w.undo()
    settle(qtbot, w)

    out = tmp_path / "coat-region.png"
    assert w.export_to(out)
    exported = np.asarray(Image.open(out), int)
    weight = region_to_photo(region.numpy(), w.doc.mapping)
    earlier, _ = render_edit(w.model, np.asarray(Image.open(photo).convert("RGB")), w.doc.mapping,
                             w.doc.z0, w.doc.history[1].code(w.vectors, w.doc.z0))
    assert np.array_equal(exported[weight == 0], earlier.astype(int)[weight == 0])
    recipe = json.loads((tmp_path / "coat-region.png.recipe.json").read_text())
    under = recipe["edits"][recipe["region_under"]]  # listed once (editing.edits)
    assert recipe["version"] == 3 and len(under["z_edit"]) == len(recipe["z0"])
    assert rebuilt(out).read_bytes() == out.read_bytes(), "the recipe rebuilds the export bit for bit"

    session = tmp_path / "region.session.json"
    assert w.save_session(session)
    assert json.loads(session.read_text())["history"][-1]["under"] == 1
    assert w.open_session(session)
    settle(qtbot, w)
    assert w.doc.current.under is w.doc.history[1]
    assert np.array_equal(photo_pixels(w), slid), "the session brings the region edit back"

    w.region_tool.clear()
    settle(qtbot, w)
    assert w.doc.current.region is None and w.doc.current.under is None
    assert w.doc.current.slider_dict == {"first": 3.0, "second": -3.0}  # both edits everywhere again


def test_a_quick_drag_paints_the_whole_way_for_the_region_and_the_drag_mask(window, qtbot):
    """The mouse's moves come far apart on a quick drag: the brush paints the way between them, not
    separate blots (walkthrough: bars and boxes where a line was drawn)."""
    w = window
    w.new_from_model(2)
    settle(qtbot, w)
    w.region_tool.set_active(True)
    w.brush_bar.size_slider.setValue(int(round(1.5 * w.canvas.scale() / w.renderer.model_radius(1.0))))
    drag_on_canvas(qtbot, w, [(4, 16), (28, 16)])  # one move from one end to the other
    settle(qtbot, w)
    row = w.doc.current.region[16]
    assert (row[5:28] == 1).all() and w.doc.current.region[10].sum() == 0
    w.region_tool.set_active(False)
    tool = w.drag_tool
    tool.set_active(True)
    tool.mask_button.click()
    drag_on_canvas(qtbot, w, [(16, 4), (16, 28)])
    assert (tool.mask[5:28, 16] == 1).all() and tool.mask[:, 10].sum() == 0
    drag_on_canvas(qtbot, w, [(16, 8), (16, 20)], Qt.MouseButton.RightButton)  # and erases the way
    assert tool.mask[9:20, 16].sum() == 0 and tool.mask[24, 16] == 1


def test_a_sweep_with_a_region_says_it_lands_inside_it(window, qtbot, tmp_path):
    from editor import animation

    w = window
    sample_with_painted_region(qtbot, w)
    assert animation.export_sweep(w, "first", tmp_path / "sweep.gif", frames=2)
    assert "inside the painted region only" in w.statusBar().currentMessage()
    settle(qtbot, w)
    assert (tmp_path / "sweep.gif").is_file()
    assert "inside the painted region only" in w.statusBar().currentMessage()


def test_export_animation_offers_the_slider_the_edit_moved(window, qtbot, monkeypatch):
    """Walkthrough: it offered the first slider by name, not the one just moved."""
    from PySide6.QtWidgets import QInputDialog

    from editor import animation

    w = window
    w.new_from_model(2)
    settle(qtbot, w)
    w.set_slider("second", 1.5, commit=True)
    settle(qtbot, w)
    w.set_slider("first", -1.0, commit=True)  # the last one moved, not the last by name
    settle(qtbot, w)
    offered = {}

    def get_item(parent, title, label, items, current, editable):
        offered["item"] = items[current]
        return "", False

    monkeypatch.setattr(QInputDialog, "getItem", get_item)
    animation.export_animation_dialog(w)
    assert offered["item"] == "First"
