"""A drag carried back onto a photo as motion (editing.motion): the photo's own pixels moved, on
screen, in exports, recipes, sessions and animations."""
import json

import numpy as np
import pytest
import torch

from editing.export import ExportError, check_recipe, rebuild_from_recipe
from editing.motion import CORE, MASK_FADE, REACH, Motion, drag_motion
from editing.region import as_recorded
from editing.warp import Warp, WarpError
from editor.dragtool import model_to_display
from editor.render import frame_args, moved_as_model_sees_it
from editor.state import SessionError, check_session
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


def test_moves_compose_one_after_another_and_a_mask_holds_what_it_leaves_out():
    mapping = box_mapping()
    photo = spot_photo()
    there_and_back = Motion((Warp((10.0, 16.0), (15.0, 16.0), 8.0), Warp((15.0, 16.0), (10.0, 21.0), 8.0)),
                            3.0)
    assert centroid(there_and_back.move(photo, mapping)) == pytest.approx(centroid(photo) + [0.0, 20.0],
                                                                          abs=0.8)
    mask = torch.zeros(32, 32)
    mask[:, 16:] = 1.0  # only the right half may move: the spot (x 9-11 model px) is held
    holding = moving((10.0, 16.0), (15.0, 16.0), 8.0, 3.0, mask)
    held, beyond = holding.move(photo, mapping), int(4 * (16 - holding.fade / 2))  # photo px
    assert holding.fade == MASK_FADE * 5.0 and np.array_equal(held[:, :beyond], photo[:, :beyond])
    assert not np.array_equal(held, photo)
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
    motion = drag_motion([(10.0, 10.0), (20.0, 20.0), (5.0, 5.0)], [(13.0, 14.0), (20.0, 20.5), (5.0, 25.0)],
                         64)
    assert [w.radius for w in motion.moves] == pytest.approx([REACH * 5.0 + CORE, 6.4, 32.0])
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


def drag_once(qtbot, w, handle, target) -> None:
    tool = w.drag_tool
    tool.set_active(True)
    tool.click(*model_to_display(w.renderer, *handle))
    tool.click(*model_to_display(w.renderer, *target))
    tool.handles[-1], tool.targets[-1] = handle, target  # exact, as tests/test_dragtool.py does
    tool.run()
    settle(qtbot, w)
    tool.clear()


def test_a_drag_lands_as_motion_later_edits_on_it_and_all_of_it_rebuilds(window, qtbot, photo, tmp_path):
    from editing.drag import DragConfig

    w = window
    assert w.open_photo(photo)
    settle(qtbot, w)
    w.drag_tool.cfg = DragConfig(steps=40, lr=0.2, template=0.0, depth=1)
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
    meter, seen = w.candidates_panel.meter, moved_as_model_sees_it(w.renderer, w.doc, w.vectors)
    assert seen.shape == w.doc.target.shape
    drawn = meter.measure_code(w.doc.code(w.vectors), state.offset).summary()
    moved = meter.measure(seen)[0].summary()
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
    assert recipe["version"] == 3
    assert recipe["moved"]["start"]["moved"]["start"]["z_edit"] == w.doc.z0.tolist()
    assert recipe["moved"]["start"]["moved"]["motion"] == state.moved.motion.to_dict()
    assert recipe["region_under"]["moved"] == recipe["moved"]  # outside the region: the moved photo
    again = tmp_path / "again.png"
    rebuild_from_recipe(check_recipe(recipe), again)
    assert again.read_bytes() == out.read_bytes(), "the recipe rebuilds the moved export bit for bit"

    session = tmp_path / "moved.session.json"
    shown = photo_pixels(w)
    assert w.save_session(session)
    data = json.loads(session.read_text())
    assert data["version"] == 9 and data["history"][-1]["moved"]["start"] == 2 == data["index"] - 3
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
                           {"label": "drag", "z_base": [0.0] * 4, "sliders": {}, "strokes": [],
                            "moved": {"start": 0, "motion": motion, "end": [0.0] * 4}}], "index": 1}
    check_session(json.loads(json.dumps(session)))
    for where, bad in (("start", 1), ("end", [0.0] * 3), ("motion", {"moves": []})):
        broken = json.loads(json.dumps(session))
        broken["history"][1]["moved"][where] = bad
        with pytest.raises(SessionError, match="moved"):
            check_session(broken)
    recipe = {"format": "latent-editor-recipe", "version": 3, "model": {"name": "m"},
              "photo": {"path": "p.png", "sha256": "0" * 64}, "mapping": box_mapping().to_dict(),
              "z0": [0.0] * 4, "z_edit": [0.0] * 4, "export": {"quality": 92, "mask_threshold": 2.0},
              "moved": {"start": {"z_edit": [0.0] * 4}, "motion": motion, "end": [0.0] * 4}}
    check_recipe(json.loads(json.dumps(recipe)))
    for where, bad in (("start", {"z_edit": [0.0]}), ("end", "x"), ("motion", {"moves": [{}]})):
        broken = json.loads(json.dumps(recipe))
        broken["moved"][where] = bad
        with pytest.raises(ExportError, match="moved"):
            check_recipe(broken)
    deep = json.loads(json.dumps(recipe))
    entry = deep
    for _ in range(70):  # edits inside edits beyond MAX_NESTING
        entry["moved"] = {"start": {"z_edit": [0.0] * 4}, "motion": motion, "end": [0.0] * 4}
        entry = entry["moved"]["start"]
    with pytest.raises(ExportError, match="one inside another"):
        check_recipe(deep)


def test_undo_and_redo_take_a_drags_points_along_and_it_reports_photo_pixels(window, qtbot, photo):
    from editing.drag import DragConfig

    w = window
    assert w.open_photo(photo)
    settle(qtbot, w)
    tool = w.drag_tool
    tool.cfg = DragConfig(steps=40, lr=0.2, template=0.0, depth=1)
    said = []
    tool.status.connect(said.append)
    tool.set_active(True)
    tool.click(*model_to_display(w.renderer, 14.5, 16.5))
    tool.click(*model_to_display(w.renderer, 18.5, 16.5))
    tool.handles[-1], tool.targets[-1] = (14.5, 16.5), (18.5, 16.5)
    tool.run()
    settle(qtbot, w)
    record = tool.records[id(w.doc.current)][1]
    ended = [tuple(h) for h in record["handles"]]
    assert tool.handles == ended != [(14.5, 16.5)]
    # the distance in the photo's pixels (a model pixel is 1 / mapping.scale of them)
    assert said[-1].endswith(f"{record['distance'] / w.doc.mapping.scale:.0f} px to go")
    w.undo()
    assert tool.handles == [(14.5, 16.5)] and tool.targets == [(18.5, 16.5)], "back where they were placed"
    w.redo()
    assert tool.handles == ended
    tool.clear()
    tool.click(*model_to_display(w.renderer, 5.5, 5.5))  # the user's own point now
    placed = list(tool.handles)
    w.undo()
    assert tool.handles == placed, "points placed since stay as they are"
