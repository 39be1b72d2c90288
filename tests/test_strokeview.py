"""View > Show strokes: the current state's strokes outlined over the picture (editor.strokeview)."""
import numpy as np
from PySide6.QtCore import QPointF, Qt

from tests.conftest import make_editable_model, open_window
from tests.test_editor import canvas_pixels, settle, white_stroke_across


def test_s_outlines_the_strokes_of_the_state_shown_and_undo_takes_them_away(qtbot, tmp_path, photo):
    w = open_window(qtbot, tmp_path, str(make_editable_model(tmp_path / "tiny")))
    assert w.open_photo(photo)
    settle(qtbot, w)
    y, x0, x1 = white_stroke_across(qtbot, w, 5)
    settle(qtbot, w)
    plain = canvas_pixels(w)
    assert w.strokes_view.drawn == 0  # off by default: the result alone

    qtbot.keyClick(w, Qt.Key.Key_S)
    settle(qtbot, w)
    assert w.strokes_view.shown and w.strokes_view.drawn == 1
    outlined = canvas_pixels(w)
    changed = np.abs(outlined.astype(int) - plain).max(axis=2) > 40
    band = changed[:, x0:x1]
    rows = np.flatnonzero(band.any(axis=1))
    assert rows.size and rows.min() < y < rows.max()  # the band's edges above and below the stroke
    assert not changed[:, :max(0, x0 - 40)].any()  # nothing drawn far from it
    assert w.settings.value("view/show_strokes", type=bool)

    w.set_view_mode("split")  # the Before side (left of the middle) shows none
    settle(qtbot, w)
    with_outlines = canvas_pixels(w)
    w.strokes_view.shown = False
    split = np.abs(with_outlines.astype(int) - canvas_pixels(w)).max(axis=2) > 40
    w.strokes_view.shown = True
    rect = w.canvas.image_rect()
    middle = int(rect.x() + rect.width() * w.canvas.split)
    assert split[:, middle + 3:x1].any() and not split[y - 30:y + 30, x0:middle - 3].any()
    w.set_view_mode("after")

    w.undo()
    settle(qtbot, w)
    assert w.strokes_view.drawn == 0  # the state before the stroke has none
    w.redo()
    settle(qtbot, w)
    assert w.strokes_view.drawn == 1
    qtbot.keyClick(w, Qt.Key.Key_S)
    settle(qtbot, w)
    assert not w.strokes_view.shown and w.strokes_view.drawn == 0
    w.close()


def test_the_outlines_leave_out_what_a_later_eraser_took_away(qtbot, tmp_path):
    """As the solver erases (editing.solver.build_constraints): an eraser across the middle of a
    stroke leaves two pieces outlined, one over all of it leaves nothing, one painted before it
    takes nothing away; each state's outlines are made once."""
    from editing.solver import Stroke

    w = open_window(qtbot, tmp_path, str(make_editable_model(tmp_path / "tiny")))
    view = w.strokes_view
    line = Stroke("color", ((4.0, 16.0), (28.0, 16.0)), 2.0)
    across = Stroke("erase", ((16.0, 8.0), (16.0, 24.0)), 3.0)
    over = Stroke("erase", ((2.0, 16.0), (30.0, 16.0)), 4.0)
    (kind, cut), = view.bands((line, across))
    assert kind == "color" and len(cut.toSubpathPolygons()) == 2
    assert not cut.contains(QPointF(16.0, 16.0)) and cut.contains(QPointF(8.0, 16.0))
    assert view.bands((line, over)) == []
    (_, whole), = view.bands((across, line))
    assert whole.contains(QPointF(16.0, 16.0))
    strokes = (line, across)
    assert view.bands(strokes) is view.bands(strokes)
    w.close()
