"""A drag carried back onto a photo as motion (editing.motion): the photo's own pixels moved, on
screen, in exports, recipes, sessions and animations."""
import json
import math

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from editing.edits import MAX_EDITS, refers_to
from editing.export import ExportError, check_recipe, rebuild_from_recipe
from editing.motion import (
    CORE,
    MASK_FADE,
    MASK_OUTSIDE,
    REACH,
    UNFOLDED,
    Motion,
    drag_motion,
)
from editing.region import as_recorded
from editing.warp import Warp, WarpError
from editor.dragtool import model_to_display
from editor.render import frame_args, as_model_sees_it
from editor.session_check import check_session
from editor.state import SessionError
from inversion.framing import DomainMapping
from tests.conftest import make_editable_model, open_window
from tests.test_dragtool import photo_pixels
from tests.test_editor import settle


def box_mapping(size: int = 128, resolution: int = 32) -> DomainMapping:
    """A photo `size` px square framed whole by a model of `resolution` px (4 photo px a model px)."""
    return DomainMapping(photo_size=(size, size), box=(0.0, 0.0, float(size), float(size)),
                         resolution=resolution, content=resolution, grey=False, invert=False,
                         background=(60.0, 60.0, 60.0), black_point=0.0, whole_image=True)


def spot_photo(size: int = 128, at=(40, 64)) -> np.ndarray:
    """A grey photo with a bright 9x9 square centred at `at` (x, y photo pixels) and a ramp beside it."""
    pixels = np.full((size, size, 3), 60, np.uint8)
    x, y = at
    pixels[y - 4:y + 5, x - 4:x + 5] = 240
    pixels[:, 110:] = np.linspace(0, 255, size, dtype=np.uint8)[:, None, None]  # far from the move
    return pixels


def moving(handle, end, radius: float, core: float, mask=None) -> Motion:
    """One move from `handle` to `end` (model pixels) within `radius`, whole within `core`."""
    return Motion((Warp(handle, end, radius),), core, mask)


def centroid(pixels: np.ndarray) -> np.ndarray:
    bright = pixels[:, :100, 0].astype(float) > 150
    ys, xs = np.nonzero(bright)
    return np.array([xs.mean(), ys.mean()])


def test_a_motion_moves_the_photos_pixels_along_the_drag_and_leaves_the_rest_bit_for_bit():
    mapping = box_mapping()
    photo = spot_photo()
    # model pixel (10, 16) is photo pixel (40, 64); the drag leaves it at (15, 16): 20 photo px right
    motion = moving((10.0, 16.0), (15.0, 16.0), radius=8.0, core=3.0)
    moved = motion.move(photo, mapping)
    assert moved is not photo and moved.dtype == np.uint8 and moved.shape == photo.shape
    assert centroid(moved) == pytest.approx(centroid(photo) + [20.0, 0.0], abs=0.6)
    assert moved[:, :100].max() == 240, "the spot is carried whole (the core), not blurred away"
    # beyond the reach (8 model px = 32 photo px from the path) the photo's own bytes
    assert np.array_equal(moved[:, 110:], photo[:, 110:]) and np.array_equal(moved[:20], photo[:20])
    assert np.array_equal(moving((10.0, 16.0), (10.0, 16.0), 8.0, 3.0).move(photo, mapping), photo)


def test_moves_apply_together_and_a_mask_holds_what_it_leaves_out():
    mapping = box_mapping()
    photo = spot_photo()
    # two handles side by side, both dragged 4 model px down: the spot between them moves 4, not 8
    # (one after the other, the second carried again what the first had brought: a review)
    pair = Motion((Warp((9.5, 16.0), (9.5, 20.0), 12.0), Warp((10.5, 16.0), (10.5, 20.0), 12.0)), 1.0)
    assert centroid(pair.move(photo, mapping)) == pytest.approx(centroid(photo) + [0.0, 16.0], abs=0.8)
    apart = Motion((Warp((10.0, 16.0), (10.0, 20.0), 6.0), Warp((25.0, 16.0), (21.0, 16.0), 6.0)), 1.0)
    assert centroid(apart.move(photo, mapping)) == pytest.approx(centroid(photo) + [0.0, 16.0], abs=0.8)
    mask = torch.zeros(32, 32)
    mask[:, 16:] = 1.0  # only the right half may move: the spot (x 9-11 model px) is held
    holding = moving((10.0, 16.0), (15.0, 16.0), 8.0, 3.0, mask)
    held, beyond = holding.move(photo, mapping), int(4 * (16 - MASK_OUTSIDE * holding.fade))  # photo
    assert holding.fade == MASK_FADE * 5.0 and np.array_equal(held[:, :beyond], photo[:, :beyond])
    inside = spot_photo(at=(88, 64))  # a spot inside the mask moves
    moved = moving((22.0, 16.0), (25.0, 16.0), 8.0, 3.0, mask).move(inside, mapping)
    assert not np.array_equal(moved, inside)
    # across the mask's edge the motion fades in: no step there (a walkthrough's masked drag tore
    # the lips into one), and no fold (each point moved less than the next one's distance)
    m = moving((24.0, 16.0), (24.0, 20.0), 12.0, 3.0, mask)
    assert m.fade == pytest.approx(MASK_FADE * 4.0)
    box = torch.zeros(32, 32)
    box[12:24, 16:] = 1.0  # a move along y inside a mask that ends across y: no fold there
    ys = torch.linspace(4.0, 31.0, 217, dtype=torch.float64)
    for x in (17.0, 20.0, 23.0):
        _, sy = drag_motion([(20.0, 16.0)], [(20.0, 19.0)], 32, box).sources(torch.full_like(ys, x), ys)
        assert (torch.diff(sy) > 0).all(), "the picture folds over itself"
    xs = torch.linspace(4.0, 26.0, 177, dtype=torch.float64)
    _, sy = m.sources(xs, torch.full_like(xs, 16.0))
    shift = (16.0 - sy).numpy()  # how far down each point along the row is moved
    rise = xs[np.argmax(shift > 0.9 * shift.max())] - xs[np.argmax(shift > 0)]
    assert shift[0] == 0.0 and shift.max() > 3.5 and rise > 0.5 * m.fade


def test_a_drags_motion_reaches_thrice_its_length_within_a_tenth_and_a_half_of_the_side():
    motion = drag_motion([(10.0, 10.0), (20.0, 20.0), (5.0, 5.0), (5.0, 5.0)],
                         [(13.0, 14.0), (20.0, 20.5), (5.0, 17.0), (5.0, 30.0)], 64)
    # a long move reaches more than half the side rather than fold the picture over itself
    expected = [REACH * 5.0 + CORE, 6.4, 32.0, UNFOLDED * 25 + CORE]
    assert [w.radius for w in motion.moves] == pytest.approx(expected)
    set_by_user = drag_motion([(10.0, 10.0), (5.0, 5.0)], [(13.0, 14.0), (5.0, 30.0)], 64, reach=12.0)
    assert [w.radius for w in set_by_user.moves] == pytest.approx([12.0, UNFOLDED * 25 + CORE])
    assert motion.core == CORE and motion.mask is None


def test_a_motion_survives_its_file_and_a_damaged_one_is_refused():
    mask = torch.rand(32, 32)
    motion = drag_motion([(10.0, 16.0)], [(15.0, 16.5)], 32, mask)
    again = Motion.from_dict(json.loads(json.dumps(motion.to_dict())))
    assert again.moves == motion.moves and again.core == CORE and torch.equal(again.mask, motion.mask)
    photo, mapping = spot_photo(), box_mapping()
    assert np.array_equal(again.move(photo, mapping), motion.move(photo, mapping))
    good = motion.to_dict()
    for bad in ({}, {"moves": []}, {"moves": [{"start": [1, 2]}]}, {**good, "core": float("nan")},
                {**good, "core": "3"}, {**good, "mask": [[2.0]]}, {"moves": [good["moves"][0]] * 65},
                {**good, "moves": [{**good["moves"][0], "radius": -1}]}):
        with pytest.raises(WarpError):
            Motion.from_dict(bad)


@pytest.fixture
def window(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path, str(make_editable_model(tmp_path / "tiny")))
    yield w
    w.close()


def start_drag(w, handle, target) -> list[str]:
    """Click a handle and its target with the Drag tool and Run (not waiting): what the tool says."""
    from editing.drag import DragConfig

    tool, said = w.drag_tool, []
    tool.cfg = DragConfig(steps=40, lr=0.2, template=0.0, depth=1)  # as tests/test_dragtool.py
    tool.status.connect(said.append)
    tool.set_active(True)
    tool.click(*model_to_display(w.renderer, *handle))
    tool.click(*model_to_display(w.renderer, *target))
    tool.handles[-1], tool.targets[-1] = handle, target  # exact, as tests/test_dragtool.py does
    tool.run()
    return said


def drag_once(qtbot, w, handle, target) -> None:
    start_drag(w, handle, target)
    settle(qtbot, w)
    w.drag_tool.clear()


def test_a_drag_lands_as_motion_later_edits_on_it_and_all_of_it_rebuilds(window, qtbot, photo, tmp_path):
    w = window
    assert w.open_photo(photo)
    settle(qtbot, w)
    opened = photo_pixels(w)
    drag_once(qtbot, w, (14.5, 16.5), (18.5, 16.5))
    state = w.doc.current
    assert state.moved is not None and state.moved.start is w.doc.history[0]
    motion = state.moved.motion  # from the handle to where the drag's tracking left it
    ended = w.drag_tool.records[id(state)][1]["handles"][0]
    assert motion.moves[0].start == (14.5, 16.5) and list(motion.moves[0].end) == ended != [14.5, 16.5]
    # the screen is the opened frame moved by the drag: the generator's repaint does not reach it
    shown = photo_pixels(w)
    frame = w.renderer.render(*frame_args(w.doc.history[0], w.vectors, w.doc.z0))[0]
    assert np.array_equal(w.renderer.render(*frame_args(state, w.vectors, w.doc.z0))[0],
                          motion.move(frame, w.renderer.display_mapping))
    assert not np.array_equal(shown, opened), "the drag moved nothing on the canvas"
    # the quality shown is the moved photo's, not the generator's picture, which no longer shows
    meter, seen = w.candidates_panel.meter, as_model_sees_it(w.renderer, w.doc, w.vectors)
    assert seen.shape == w.doc.target.shape
    drawn = meter.said(meter.measure_code(w.doc.code(w.vectors), state.offset))
    moved = meter.said(meter.measure(seen)[0])
    assert moved in w.candidates_panel.quality.text() and drawn != moved

    w.set_slider("first", 2.0)  # a slider after the drag changes the moved photo
    w.commit_sliders()
    settle(qtbot, w)
    drag_once(qtbot, w, (20.5, 12.5), (20.5, 8.5))  # a second drag goes on from the first's
    assert w.doc.current.moved.start.moved is state.moved
    region = torch.zeros(32, 32)
    region[4:20, 4:28] = 1.0  # a region after the drags: the moved photo stays outside it
    w.doc.push(w.doc.with_region(as_recorded(region), "paint region"))
    w.set_slider("second", -2.0)
    w.commit_sliders()
    settle(qtbot, w)
    assert w.doc.current.region is not None and w.doc.current.under.moved is w.doc.current.moved
    out = tmp_path / "moved.png"
    assert w.export_to(out)
    recipe = json.loads((tmp_path / "moved.png.recipe.json").read_text())
    edits = recipe["edits"]  # each state it rests on once, after the ones it rests on
    first = edits[edits[recipe["moved"]["start"]]["moved"]["start"]]
    assert recipe["version"] == 3 and first["z_edit"] == w.doc.z0.tolist() and "moved" not in first
    assert edits[recipe["moved"]["start"]]["moved"]["motion"] == state.moved.motion.to_dict()
    assert edits[recipe["region_under"]]["moved"] == recipe["moved"]  # outside the region: moved too
    assert len(edits) == 3 and all(i < j for j, e in enumerate(edits) for i in refers_to(e))
    again = tmp_path / "again.png"
    rebuild_from_recipe(check_recipe(recipe), again)
    assert again.read_bytes() == out.read_bytes(), "the recipe rebuilds the moved export bit for bit"

    session = tmp_path / "moved.session.json"
    shown = photo_pixels(w)
    assert w.save_session(session)
    data = json.loads(session.read_text())
    moved = data["moves"][data["history"][-1]["moved"]]
    assert data["version"] == 9 and moved["start"] == 2 == data["index"] - 3  # no part moved whole
    assert len(data["moves"]) == 2, "each drag's motion once, however many states share it"
    assert w.open_session(session)
    settle(qtbot, w)
    assert np.array_equal(photo_pixels(w), shown), "the session brings the motion back"
    for _ in range(5):
        w.undo()
    settle(qtbot, w)
    assert np.array_equal(photo_pixels(w), opened), "undo takes the motion away exactly"


def test_a_damaged_motion_is_refused_in_sessions_and_recipes():
    motion = moving((10.0, 16.0), (15.0, 16.0), 8.0, 3.0).to_dict()
    session = {"format": "latent-editor-session", "version": 9, "model": {"path": "m"},
               "photo": {"path": None}, "mapping": box_mapping().to_dict(), "z0": [0.0] * 4,
               "history": [{"label": "opened", "z_base": [0.0] * 4, "sliders": {}, "strokes": []},
                           {"label": "drag", "z_base": [0.0] * 4, "sliders": {}, "strokes": [], "moved": 0}],
               "moves": [{"start": 0, "motion": motion, "end": [0.0] * 4}], "index": 1}
    check_session(json.loads(json.dumps(session)))
    for where, bad in (("start", 1), ("end", [0.0] * 3), ("motion", {"moves": []}),
                       ("motion", {**motion, "mask": [[0.5] * 16] * 16})):  # not the model's 32 px
        broken = json.loads(json.dumps(session))
        broken["moves"][0][where] = bad
        with pytest.raises(SessionError, match="move"):
            check_session(broken)
    broken = json.loads(json.dumps(session))
    broken["history"][1]["moved"] = 1
    with pytest.raises(SessionError, match="moved"):
        check_session(broken)
    recipe = {"format": "latent-editor-recipe", "version": 3, "model": {"name": "m"},
              "photo": {"path": "p.png", "sha256": "0" * 64}, "mapping": box_mapping().to_dict(),
              "z0": [0.0] * 4, "z_edit": [0.0] * 4, "export": {"quality": 92, "mask_threshold": 2.0},
              "edits": [{"z_edit": [0.0] * 4}], "moved": {"start": 0, "motion": motion, "end": [0.0] * 4}}
    check_recipe(json.loads(json.dumps(recipe)))
    for where, bad in (("start", 1), ("end", "x"), ("motion", {"moves": [{}]})):
        broken = json.loads(json.dumps(recipe))
        broken["moved"][where] = bad
        with pytest.raises(ExportError, match="moved"):
            check_recipe(broken)
    forward = json.loads(json.dumps(recipe))  # an edit resting on itself, or on a later one
    forward["edits"][0]["moved"] = recipe["moved"]
    with pytest.raises(ExportError, match="edits\\[0\\].moved.start"):
        check_recipe(forward)
    many = json.loads(json.dumps(recipe))
    many["edits"] = [{"z_edit": [0.0] * 4}] * (MAX_EDITS + 1)
    with pytest.raises(ExportError, match="edits"):
        check_recipe(many)


def test_undo_and_redo_take_a_drags_points_along_and_it_reports_photo_pixels(window, qtbot, photo):
    w = window
    assert w.open_photo(photo)
    settle(qtbot, w)
    w.drag_tool.reach.setValue(60)  # photo pixels around the path (the box crop: 4 a model pixel)
    tool, said = w.drag_tool, start_drag(w, (14.5, 16.5), (18.5, 16.5))
    settle(qtbot, w)
    move = w.doc.current.moved.motion.moves[0]
    assert move.radius == pytest.approx(max(60 * w.doc.mapping.scale,
                                            UNFOLDED * math.dist(move.start, move.end) + CORE))
    record = tool.records[id(w.doc.current)][1]
    ended = [tuple(h) for h in record["handles"]]
    assert tool.handles == ended != [(14.5, 16.5)]
    # the distance in the photo's pixels (a model pixel is 1 / mapping.scale of them), the
    # markers' (it said "39 px to go" of markers 4 px apart: the drag's confirmation's distance)
    markers = float(np.hypot(18.5 - ended[0][0], 16.5 - ended[0][1]))
    said_during = [m for m in said if m.startswith("Dragging")]
    assert said_during and all(m.endswith(" px to go") for m in said_during)
    if record["distance"] <= tool.cfg.tolerance:
        assert said[-1] == f"Drag reached: {record['steps']} steps"
    else:
        assert f"{record['steps']} steps, {markers / w.doc.mapping.scale:.0f} px to go" in said[-1]
    w.undo()
    assert tool.handles == [(14.5, 16.5)] and tool.targets == [(18.5, 16.5)], "back where they were placed"
    w.redo()
    assert tool.handles == ended
    tool.clear()
    tool.click(*model_to_display(w.renderer, 5.5, 5.5))  # the user's own point now
    placed = list(tool.handles)
    w.undo()
    assert tool.handles == placed, "points placed since stay as they are"


def test_tiles_change_nothing_a_wide_photo_moves_and_the_motion_goes_past_the_models_square(monkeypatch):
    import editing.motion

    photo, mapping = spot_photo(), box_mapping()
    motion = moving((10.0, 16.0), (13.0, 19.0), 8.0, 1.0)
    whole = motion.move(photo, mapping)
    monkeypatch.setattr(editing.motion, "TILE", 7)
    assert np.array_equal(motion.move(photo, mapping), whole), "tiles must not show"
    monkeypatch.undo()
    # OpenCV's remap takes at most 32767 px a side: only the window a tile reads goes to it
    wide = np.zeros((64, 33_000, 3), np.uint8)
    wide[20:40, 32_920:32_940] = 255
    far = DomainMapping(photo_size=(33_000, 64), box=(32_900.0, 0.0, 32_964.0, 64.0), resolution=32,
                        content=32, grey=False, invert=False, background=(0.0, 0.0, 0.0), black_point=0.0,
                        whole_image=True)
    assert (moving((15.0, 15.0), (15.0, 19.0), 8.0, 1.0).move(wide, far) != wide).any()
    # a drag near the square's edge: the photo beyond the square moves on smoothly (it was cut
    # at the square's edge, a 10 px step in the photo: a review)
    framed = DomainMapping(photo_size=(256, 256), box=(64.0, 64.0, 192.0, 192.0), resolution=32, content=32,
                           grey=False, invert=False, background=(60.0, 60.0, 60.0), black_point=0.0,
                           whole_image=False)
    edge = moving((16.0, 29.0), (16.0, 26.0), 6.0, 1.0)
    ys = torch.arange(180.0, 215.0, dtype=torch.float64) + 0.5  # photo rows across the square's edge
    q = ys * 0.25 - 16.0  # model pixels
    shift = (q - edge.sources(torch.full_like(q, 16.0), q)[1]).abs()
    assert (torch.diff(shift).abs() < 0.3).all() and shift[0] > 0.5 and shift[-1] == 0
    assert edge.photo_box(framed)[3] > 192 + 8, "the box ends where the reach does, not at the square"


def test_a_hundred_and_fifty_drags_render_on_screen_as_exported_without_recursion(tmp_path):
    from editing.compositing import MASK_THRESHOLD
    from editing.edits import recipe_edit
    from editing.export import COMPOSITING
    from editor.render import Renderer
    from editor.session import edit_record
    from editor.state import Moved, Snapshot
    from training.modelfile import load_model

    model = load_model(make_editable_model(tmp_path / "tiny"))
    r = model.gan.resolution
    mapping = box_mapping(size=4 * r, resolution=r)
    photo = spot_photo(size=4 * r)
    z0 = model.codes(1, seed=1)[0]
    states = [Snapshot("opened", z0)]
    for i in range(150):  # each drag a little further along, the code nudged so each one shows
        step = moving((8.0 + i % 5, 16.0), (8.5 + i % 5, 16.0), 4.0, 1.0)
        code = z0 + 0.001 * (i + 1)
        states.append(Snapshot(f"drag {i}", code, moved=Moved(states[-1], step, code)))
    shown = Renderer(model, photo, mapping, z0).render(*frame_args(states[-1], {}, z0))[0]
    record = edit_record(states[-1], {}, z0)
    assert len(record["edits"]) == 150 and record["moved"]["start"] == 149
    exported = recipe_edit(model, photo, mapping, z0, record, MASK_THRESHOLD, COMPOSITING, in_place=False)
    assert np.array_equal(shown, exported) and not np.array_equal(shown, photo)


def test_a_drag_is_not_kept_when_the_picture_changed_while_it_ran(window, qtbot, photo):
    w = window
    assert w.open_photo(photo)
    settle(qtbot, w)
    w.set_slider("first", 1.0)
    w.commit_sliders()
    settle(qtbot, w)
    said = start_drag(w, (14.5, 16.5), (18.5, 16.5))
    w.undo()  # while it runs: the state it started on is no longer shown
    settle(qtbot, w)
    assert len(w.doc.history) == 2 and w.doc.index == 0, "the drag was pushed onto another state"
    assert "not kept" in said[-1]


def test_a_recipe_lists_each_state_it_rests_on_once(tmp_path):
    """Drag, paint a region, drag, clear it, fourteen times: each state the edit rests on is listed
    once (written as nested copies, the record doubled every round: 104 MB after 14, a review)."""
    from dataclasses import replace

    from editor.session import edit_record
    from editor.state import Moved, Snapshot

    z0, region = torch.zeros(4), torch.ones(32, 32)
    step = moving((8.0, 16.0), (9.0, 16.0), 4.0, 1.0)
    now = Snapshot("opened", z0)
    for _ in range(14):
        dragged = replace(now, moved=Moved(now, step, z0))
        painted = replace(dragged, region=region, under=dragged)
        again = replace(painted, moved=Moved(painted, step, z0))
        now = replace(again, region=None, under=None)
    record = edit_record(now, {}, z0)
    assert len(record["edits"]) <= 3 * 14 + 1 and len(json.dumps(record)) < 2_000_000
    assert all(i < j for j, e in enumerate(record["edits"]) for i in refers_to(e))


def test_a_reach_too_small_for_the_move_is_raised_and_said_and_enter_gives_the_keys_back(window, qtbot,
                                                                                         photo):
    w = window
    assert w.open_photo(photo)
    settle(qtbot, w)
    tool = w.drag_tool
    w.show()
    tool.reach.setFocus()
    tool.reach.lineEdit().selectAll()  # as a click and a drag across the box do
    qtbot.keyClicks(tool.reach.lineEdit(), "4")
    qtbot.keyClick(tool.reach.lineEdit(), Qt.Key.Key_Return)
    assert tool.reach.value() == 4 and tool.reach.text() == "Reach: 4 px"
    assert w.canvas.hasFocus() or QApplication.focusWidget() is w.canvas, "Ctrl+Z and M go to the picture"
    said = start_drag(w, (14.5, 16.5), (18.5, 16.5))  # 4 model px: 16 photo px, folds under ~26
    settle(qtbot, w)
    move = w.doc.current.moved.motion.moves[0]
    assert move.radius > 4 * w.doc.mapping.scale
    assert f"Reach raised to {move.radius / w.doc.mapping.scale:.0f} px" in said[-1]
