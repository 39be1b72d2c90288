"""A drag that moves a painted part as a whole (editing.motion's `whole`): the part carried rigidly,
what lies around it stretching, what lies beyond the photo's own pixels; in the window (Move whole),
sessions, recipes and the CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from editing.export import check_recipe, rebuild_from_recipe
from editing.motion import CORE, WHOLE_FAR, WHOLE_GRID, WHOLE_REACH, Motion, drag_motion
from editing.region import shifted
from editing.warp import WarpError
from editor.render import model_to_display
from tests.test_drag import model, photo_file  # noqa: F401 (a fixture)
from tests.test_editor import settle
from tests.test_motion import box_mapping, start_drag, window  # noqa: F401 (a fixture)


def band_mask(rows=(12, 16), cols=(6, 26)) -> torch.Tensor:
    """A brow-like band painted across a 32 px model square."""
    mask = torch.zeros(32, 32)
    mask[rows[0]:rows[1], cols[0]:cols[1]] = 1.0
    return mask


def brow_photo() -> np.ndarray:
    """128 px grey photo (4 photo px a model px): a dark brow over model rows 12-16 and a dark eye
    over rows 20-22, both across columns 10-22, on a faint ramp (so that any motion shows)."""
    pixels = np.tile(np.linspace(90, 170, 128, dtype=np.uint8)[:, None, None], (1, 128, 3))
    pixels[48:64, 40:88] = 30  # the brow
    pixels[80:88, 40:88] = 10  # the eye
    return pixels


def test_a_part_moved_whole_keeps_its_shape_and_what_lies_beyond_stays():
    mapping, photo = box_mapping(), brow_photo()
    motion = drag_motion([(16.0, 14.0)], [(16.0, 12.0)], 32, band_mask(cols=(8, 22)), whole=True)
    assert motion.whole and motion.moves[0].radius == pytest.approx(WHOLE_REACH * 2.0 + CORE)
    moved = motion.move(photo, mapping)
    # the brow rises 2 model px (8 photo px), its height the same: carried, not squeezed
    rows = np.flatnonzero((moved[:, 64, 0] == 30))
    assert rows[0] == 40 and rows[-1] == 55, "the brow moved up 8 photo px, whole"
    # the eye, more than the reach below where the brow landed, keeps the photo's own pixels
    assert np.array_equal(moved[76:, :], photo[76:, :])
    # beyond the reach (5 model px) to the side and above, nothing moved
    assert np.array_equal(moved[:20], photo[:20]) and np.array_equal(moved[:, 112:], photo[:, 112:])
    # between the brow and the eye the skin stretches without folding: sources rise steadily
    ys = torch.linspace(8.0, 26.0, 145, dtype=torch.float64)
    for x in (8.0, 16.0, 24.0, 27.0):
        _, sy = motion.sources(torch.full_like(ys, x), ys)
        assert (torch.diff(sy) > 0).all(), "the picture folds over itself"


def test_a_brush_motion_would_have_taken_the_eye_along():
    """Why `whole` exists: the same move as a brush moves the eye below, and a mask that holds it
    squeezes the brow."""
    mapping, photo = box_mapping(), brow_photo()
    brush = drag_motion([(16.0, 14.0)], [(16.0, 12.0)], 32).move(photo, mapping)
    assert not np.array_equal(brush[76:, :], photo[76:, :])
    held = drag_motion([(16.0, 14.0)], [(16.0, 12.0)], 32, band_mask()).move(photo, mapping)
    assert np.count_nonzero(held[:, 64, 0] == 30) < 16, "held by its own mask, the brow is squeezed"


def test_whole_needs_a_mask_and_survives_its_file():
    with pytest.raises(WarpError, match="mask"):
        drag_motion([(16.0, 14.0)], [(16.0, 12.0)], 32, whole=True)
    motion = drag_motion([(16.0, 14.0), (20.0, 14.0)], [(16.0, 11.0), (20.0, 13.0)], 32, band_mask(),
                         reach=1.0, whole=True)
    assert motion.shift.tolist() == [0.0, -2.0] and motion.moves[0].radius == WHOLE_REACH * 2.0 + CORE
    again = Motion.from_dict(json.loads(json.dumps(motion.to_dict())))
    assert again.whole and np.array_equal(again.move(brow_photo(), box_mapping()),
                                          motion.move(brow_photo(), box_mapping()))
    assert "whole" not in drag_motion([(16.0, 14.0)], [(16.0, 12.0)], 32, band_mask()).to_dict()
    good = motion.to_dict()
    unmasked = {k: v for k, v in good.items() if k != "mask"}
    for bad in ({**good, "whole": "yes"}, {**good, "whole": 1}, unmasked):
        with pytest.raises(WarpError, match="whole"):
            Motion.from_dict(bad)


def test_a_part_at_the_squares_edge_moves_past_it():
    mapping = box_mapping()
    photo = brow_photo()
    photo[0:8, 40:88] = 30  # a dark band along the top edge, model rows 0-2
    mask = band_mask(rows=(0, 2))
    moved = drag_motion([(16.0, 1.0)], [(16.0, 4.0)], 32, mask, whole=True).move(photo, mapping)
    assert np.count_nonzero(moved[:, 64, 0] == 30) >= 8 + 16, "brow and top band both whole"
    assert (moved[12:20, 64, 0] == 30).all(), "the band moved down 3 model px, whole"


def test_move_whole_in_the_window_sessions_and_recipes(window, qtbot, photo, tmp_path):  # noqa: F811
    w = window
    assert w.open_photo(photo)
    settle(qtbot, w)
    tool, toggled = w.drag_tool, []
    tool.status.connect(toggled.append)
    tool.whole_button.setChecked(True)
    assert "moves as one piece" in toggled[-1], "the status says what Move whole does"
    said = start_drag(w, (14.5, 16.5), (14.5, 13.5))
    assert "paint it first" in said[-1] and not tool.running and w.doc.current.moved is None
    band = band_mask(rows=(14, 19), cols=(8, 22))
    tool.mask = band
    tool.handles, tool.targets = [], []
    said = start_drag(w, (24.5, 25.5), (24.5, 22.5))  # a handle beside the part: it would not move
    assert "Put each handle on the painted part" in said[-1] and w.doc.current.moved is None
    tool.handles, tool.targets = [], []
    start_drag(w, (14.5, 16.5), (14.5, 13.5))
    settle(qtbot, w)
    state = w.doc.current
    assert state.moved is not None and state.moved.motion.whole and state.label == "move part (1 point)"
    assert tool.records[id(state)][1]["whole"] is True
    dy = state.moved.motion.shift[1]  # the mask went with the part, whole; undo brings it back
    rows = torch.arange(32.0)[:, None]
    centre = lambda m: float((m * rows).sum() / m.sum())  # noqa: E731
    assert abs(dy) > 0.5 and tool.mask.sum() == band.sum()  # (the tiny generator's drag ends anywhere)
    assert centre(tool.mask) - centre(band) == pytest.approx(dy, abs=0.5), "the mask went the part's way"
    moved_mask = tool.mask.clone()
    tool.click(*model_to_display(w.renderer, 20.5, 20.5))  # a point placed since: the mask still follows
    w.undo()
    assert torch.equal(tool.mask, band)
    w.redo()
    assert torch.equal(tool.mask, moved_mask)
    out = tmp_path / "whole.png"
    assert w.export_to(out)
    recipe = json.loads((tmp_path / "whole.png.recipe.json").read_text())
    assert recipe["version"] == 4 and recipe["moved"]["motion"]["whole"] is True
    again = tmp_path / "again.png"
    rebuild_from_recipe(check_recipe(recipe), again)
    assert again.read_bytes() == out.read_bytes(), "the recipe rebuilds the part's move bit for bit"
    session = tmp_path / "whole.session.json"
    assert w.save_session(session)
    assert json.loads(session.read_text())["version"] == 10  # an older editor would move it as a brush
    assert w.open_session(session)
    settle(qtbot, w)
    assert w.doc.current.moved.motion.whole
    reopened = tmp_path / "reopened.png"
    assert w.export_to(reopened)
    assert reopened.read_bytes() == out.read_bytes(), "the session brings the part's move back exactly"


def test_a_reach_past_two_widths_is_cut_and_said(window, qtbot, photo):  # noqa: F811
    w = window
    assert w.open_photo(photo)
    settle(qtbot, w)
    tool = w.drag_tool
    tool.whole_button.setChecked(True)
    tool.mask = band_mask(rows=(14, 19), cols=(8, 22))
    tool.reach.setValue(5000)  # photo px: far past two of the model's 32 px sides
    said = start_drag(w, (14.5, 16.5), (14.5, 13.5))
    settle(qtbot, w)
    radius = w.doc.current.moved.motion.moves[0].radius
    assert radius == pytest.approx(WHOLE_FAR * 32)
    assert f"Reach cut to {radius / w.doc.mapping.scale:.0f} px" in said[-1]


def test_a_part_moved_whole_again_and_again_keeps_its_size():
    """Chained moves (the mask follows the part): a soft copy wore a brow's band away (a review)."""
    mask = band_mask(rows=(12, 14), cols=(8, 22))
    for _ in range(4):
        mask = shifted(mask, 0.5, -0.5)
    assert mask.sum() == band_mask(rows=(12, 14), cols=(8, 22)).sum()
    assert set(mask.unique().tolist()) == {0, 1}
    assert torch.equal(shifted(band_mask(rows=(12, 14), cols=(8, 22)), 1.6, -2.4),
                       band_mask(rows=(10, 12), cols=(10, 24))), "right 2, up 2: the part's way"
    assert shifted(band_mask(), 40.0, 0.0).sum() == 0, "moved off the square: nothing left"


def test_edit_cli_moves_a_part_whole_and_refuses_whole_without_a_mask(model, tmp_path, capsys):  # noqa: F811
    from editing.cli import main

    photo = photo_file(tmp_path)
    out = tmp_path / "a.png"
    assert main(["edit", str(photo), "--model", str(model.path), "--drag", "60,80->60,70",
                 "--drag-whole", "--out", str(out)]) == 2
    assert "--drag-whole moves the part --drag-mask paints" in capsys.readouterr().err
    mask = np.zeros((160, 120), np.uint8)
    mask[60:100, 30:90] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    assert main(["edit", str(photo), "--model", str(model.path), "--drag", "60,30->60,20",
                 "--drag-mask", str(tmp_path / "mask.png"), "--drag-whole", "--out", str(out)]) == 2
    assert "is not on the part --drag-mask paints" in capsys.readouterr().err and not out.exists()
    assert main(["edit", str(photo), "--model", str(model.path), "--drag", "60,80->60,70",
                 "--drag-mask", str(tmp_path / "mask.png"), "--drag-whole", "--drag-steps", "8",
                 "--out", str(out)]) == 0
    recipe = json.loads((tmp_path / "a.png.recipe.json").read_text())
    assert recipe["version"] == 4 and recipe["moved"]["motion"]["whole"] is True
    again = tmp_path / "again.png"
    assert main(["edit", "--recipe", str(tmp_path / "a.png.recipe.json"), "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_a_files_huge_reach_keeps_the_grid_small_and_a_huge_move_or_tiny_reach_is_refused():
    """A stranger's recipe may say a radius or a move of 10,000 model px, or a radius of 0.01: the
    part's grid stays at most WHOLE_GRID cells a side (memory, time), and a move past the side or a
    reach that would fold the picture is refused (a review measured a tear and a seam)."""
    good = drag_motion([(16.0, 14.0)], [(16.0, 12.0)], 32, band_mask(), whole=True).to_dict()
    huge = Motion.from_dict({**good, "moves": [{"start": [16, 14], "end": [16, 12], "radius": 10_000}]})
    assert huge.carried.shape[-1] <= WHOLE_GRID and huge.falloff == 2 * 32
    moved = huge.move(brow_photo(), box_mapping())
    assert (moved[:, 64, 0] == 30).sum() == 16, "the brow moved whole still"
    for moves in ([{"start": [16, 14], "end": [9_000, -9_000], "radius": 10_000}],
                  [{"start": [16, 14], "end": [16, 4], "radius": 0.01}]):
        with pytest.raises(WarpError, match="malformed drag motion"):
            Motion.from_dict({**good, "moves": moves})
    with pytest.raises(WarpError, match="at most the model's side"):
        drag_motion([(16.0, 14.0)], [(16.0, 50.0)], 32, band_mask(), whole=True)
