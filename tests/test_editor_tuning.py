"""Edit > Tune generator to photo (editor.tuning), driven for real offscreen with pytest-qt: the
tuning runs as a background job with progress and Cancel, the switch, the tuned generator drawing
every edit and export, and sessions that keep it beside them. A tiny model and a few steps of a
high learning rate keep it quick (the tuned picture still differs from the untuned one)."""
import json

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QSettings, Qt

from editing.export import read_recipe, rebuild_from_recipe, render_edit
from editor.jobs import JobStatus
from inversion.tuning import TuneConfig, tunes_by_default
from tests.conftest import make_editable_model, open_window
from tests.test_editor import canvas_pixels, settle
from training.errors import UserError
from training.fileio import sha256_file
from training.modelfile import load_model, resolve_model

QUICK = TuneConfig(steps=4, lr=1e-2, locality_every=2)


@pytest.fixture
def model_dir(tmp_path):
    return make_editable_model(tmp_path / "tiny")


def make_window(qtbot, tmp_path, model_dir, autosave="autosave.json"):
    return open_window(qtbot, tmp_path, str(model_dir), autosave, tune_config=QUICK)


@pytest.fixture
def window(qtbot, tmp_path, model_dir):
    w = make_window(qtbot, tmp_path, model_dir)
    yield w
    w.close()


def tuned_photo(qtbot, w, photo):
    """The photo opened with the switch on, inverted and tuned, a slider moved."""
    w.tuning.action.setChecked(True)
    assert w.open_photo(photo)
    settle(qtbot, w)
    assert w.doc.tuning is not None and w.doc.tuning.steps == w.tuning.cfg.steps
    w.set_slider("first", 2.0, commit=True)
    settle(qtbot, w)


def test_tuning_runs_in_the_background_with_progress_and_cancel_keeps_the_untuned_generator(
        window, qtbot, photo):
    w = window
    w.tuning.cfg = TuneConfig(steps=100_000)  # far longer than the test waits
    w.tuning.action.setChecked(True)
    assert w.open_photo(photo)
    status = w.statusBar().findChild(JobStatus)
    qtbot.waitUntil(lambda: w.tuning.busy_with is w.doc and status.progress.value() >= 3, timeout=30_000)
    assert status.isVisible() and status.progress.maximum() == 100_000
    assert ": tuning the generator to coat.png" in w.statusBar().currentMessage()
    assert not w.sliders_panel.isEnabled()  # edits wait for the tuned generator
    assert not w.menus.reset_action.isEnabled()  # Reset all's shortcut with them (a walkthrough)
    assert w.candidates_panel.meter.tuning  # the quality line judges no face meanwhile
    inverted = w.doc.z0.clone()
    qtbot.keyClick(w.canvas, Qt.Key.Key_Escape)  # as the Cancel button (walkthrough 49: it did nothing)
    settle(qtbot, w)
    assert not w.candidates_panel.meter.tuning
    assert w.statusBar().currentMessage().startswith("Tuning cancelled: the model draws the photo as trained")
    assert w.doc.tuning is None and w.drawing_model is w.model and w.renderer.model is w.model
    assert torch.equal(w.doc.z0, inverted) and w.sliders_panel.isEnabled() and not status.isVisible()
    assert "tuned" not in w.model_label.text()
    # the switch shows the photo untuned (it stayed ticked, and only off and on again tuned it: a
    # walkthrough); the setting stays on for the next photo; turned on, it tunes this one
    assert not w.tuning.enabled and "Edit > Tune generator to photo" in w.statusBar().currentMessage()
    assert w.settings.value("tune_generator/object", type=bool) is True
    w.set_slider("first", 1.0, commit=True)  # what the tuning said goes with the next edit
    settle(qtbot, w)
    assert "Tuning cancelled" not in w.statusBar().currentMessage()
    w.tuning.cfg = QUICK
    w.tuning.action.setChecked(True)
    settle(qtbot, w)
    assert w.doc.tuning is not None and w.drawing_model is w.doc.tuning.model
    w.tuning.cfg = TuneConfig(steps=100_000)
    assert w.open_photo(photo)  # the next photo: the switch as remembered, on
    qtbot.waitUntil(lambda: w.tuning.busy_with is w.doc, timeout=30_000)
    assert w.tuning.enabled
    box = next(iter(w.sliders.values()))._label  # a value box with nothing typed leaves Escape to
    box.setFocus()  # the window (a review: it took every Escape)
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    settle(qtbot, w)
    assert w.doc.tuning is None and "Tuning cancelled" in w.statusBar().currentMessage()


def test_an_inversion_stopped_leaves_the_photo_untuned_and_the_switch_says_so(window, qtbot, photo,
                                                                               monkeypatch):
    """Cancel during the inversion keeps the best code so far and tunes nothing: the switch shows
    it off (the setting stays on) and turning it on tunes the photo."""
    from dataclasses import replace

    from inversion.invert import DEFAULT_CONFIG

    w = window
    w.tuning.action.setChecked(True)
    slow = replace(DEFAULT_CONFIG, steps=100_000, patience=10**9)  # far longer than the test waits
    monkeypatch.setattr("editor.opening.DEFAULT_CONFIG", slow)
    assert w.open_photo(photo)
    status = w.statusBar().findChild(JobStatus)
    qtbot.waitUntil(lambda: status.progress.value() >= 3, timeout=30_000)
    w.cancel_job()
    settle(qtbot, w)
    assert "Stopped finding" in w.statusBar().currentMessage()
    assert "Edit > Tune generator to photo" in w.statusBar().currentMessage()
    assert w.doc.tuning is None and not w.tuning.enabled
    assert w.settings.value("tune_generator/object", type=bool) is True
    w.tuning.action.setChecked(True)
    settle(qtbot, w)
    assert w.doc.tuning is not None and w.drawing_model is w.doc.tuning.model


def test_the_switch_draws_with_either_generator_and_keeps_the_edits(window, qtbot, photo, tmp_path,
                                                                   model_dir, monkeypatch):
    w = window
    assert not w.tuning.enabled  # a product model: off unless turned on
    assert w.tuning.action.toolTip().startswith("Fine-tune a copy of the generator")
    tuned_photo(qtbot, w, photo)
    tuned, tuned_view = w.doc.tuning, canvas_pixels(w)
    assert "tuned to the photo" in w.model_label.text()
    for drawn_by in (w.renderer, w.strokes, w.drag_tool, w.warp_tool, w.candidates_panel.meter):
        assert drawn_by.model is tuned.model

    monkeypatch.setattr("editor.tuning.SAID_MS", 600)
    w.preview.rendered.connect(lambda *_: w.tool_status("test", "a note of the state drawn"))  # as the
    # face sliders' notes are said again with each generator's picture (walkthrough 55)
    w.tuning.action.setChecked(False)  # off: the model's own generator, the slider kept
    assert w.statusBar().currentMessage().startswith("Tuning off: the model draws the photo as trained")
    settle(qtbot, w)
    assert w.statusBar().currentMessage().startswith("Tuning off"), "the note waits for it"
    qtbot.waitUntil(lambda: w.statusBar().currentMessage() == "a note of the state drawn", timeout=3000)
    assert w.doc.current.slider_dict == {"first": 2.0} and w.renderer.model is w.model
    untuned_view = canvas_pixels(w)
    assert not np.array_equal(untuned_view, tuned_view)
    w.settings.sync()
    assert QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat).value(
        "tune_generator/object", type=bool) is False

    w.tuning.action.setChecked(True)  # on again: the same tuned generator, no second tuning
    settle(qtbot, w)
    assert w.doc.tuning is tuned and np.array_equal(canvas_pixels(w), tuned_view)

    w.settings.sync()
    again = make_window(qtbot, tmp_path, model_dir, "again.json")  # the switch is remembered
    assert again.tuning.enabled
    again.close()
    try:
        face = load_model(resolve_model("celeba-64"))
    except UserError:
        pytest.skip("the face model is not in assets/models")
    w.settings.remove("tune_generator/face")
    w.tuning.follow_model(face)
    assert tunes_by_default(face) and w.tuning.enabled  # faces: on unless turned off


def test_turning_tuning_on_tunes_the_open_photo_and_a_model_switch_tunes_again(window, qtbot, photo,
                                                                               tmp_path):
    w = window
    assert w.open_photo(photo)
    settle(qtbot, w)
    assert w.doc.tuning is None
    w.set_slider("second", -1.0, commit=True)
    settle(qtbot, w)
    w.tuning.action.setChecked(True)
    settle(qtbot, w)
    first = w.doc
    assert first.tuning is not None and first.current.slider_dict == {"second": -1.0}
    assert w.renderer.model is first.tuning.model

    assert w.switch_model(str(make_editable_model(tmp_path / "other")))
    settle(qtbot, w)
    assert w.doc is not first and w.doc.tuning is not None  # inverted again, then tuned again
    assert w.doc.tuning.model.name == "other" and w.renderer.model is w.doc.tuning.model
    w.undo()  # back to the first model's document, with its own tuned generator
    settle(qtbot, w)
    assert w.doc is first and w.renderer.model is first.tuning.model


def test_export_after_tuning_is_drawn_by_the_tuned_generator(window, qtbot, photo, tmp_path,
                                                             monkeypatch):
    w = window
    tuned_photo(qtbot, w, photo)
    doc, z = w.doc, w.doc.code(w.vectors)
    assert w.export_to(tmp_path / "tuned.png")
    told = w.statusBar().currentMessage()  # the user hears of the weights written beside the image
    assert told.startswith("Exported tuned.png + recipe + tuned generator (") and " MB" in told
    assert len(told.removesuffix(", gone too far as shown")) < 80  # (the tiny model's edit is)
    assert "tuned.png.generator.safetensors" in w.statusBar().toolTip()
    exported = np.asarray(Image.open(tmp_path / "tuned.png"))
    by_tuned = render_edit(doc.tuning.model, doc.pixels, doc.mapping, doc.z0, z)[0]
    by_own = render_edit(w.model, doc.pixels, doc.mapping, doc.z0, z)[0]
    assert np.array_equal(exported, by_tuned) and not np.array_equal(exported, by_own)
    recipe = read_recipe(tmp_path / "tuned.png.recipe.json")
    weights = tmp_path / "tuned.png.generator.safetensors"
    assert recipe["tuned_generator"] == {"path": str(weights.resolve()), "sha256": sha256_file(weights)}
    rebuild_from_recipe(recipe, tmp_path / "again.png")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "again.png")), exported)

    import editor.animation

    drawn_by, sweep = [], editor.animation.sweep_frames
    monkeypatch.setattr(editor.animation, "sweep_frames",
                        lambda model, *a, **k: drawn_by.append(model) or sweep(model, *a, **k))
    assert editor.animation.export_sweep(w, "first", tmp_path / "sweep.gif", frames=2)
    settle(qtbot, w)
    assert drawn_by == [doc.tuning.model] and (tmp_path / "sweep.gif").is_file()

    w.tuning.action.setChecked(False)
    settle(qtbot, w)
    assert w.export_to(tmp_path / "own.png")
    assert "generator" not in w.statusBar().currentMessage()
    assert np.array_equal(np.asarray(Image.open(tmp_path / "own.png")), by_own)
    assert "tuned_generator" not in json.loads((tmp_path / "own.png.recipe.json").read_text())


def test_a_session_keeps_its_tuned_generator_and_reopens_bit_for_bit(window, qtbot, photo, tmp_path):
    w = window
    tuned_photo(qtbot, w, photo)
    shown = canvas_pixels(w)
    weights = {k: v.clone() for k, v in w.doc.tuning.model.generator.state_dict().items()}
    path = tmp_path / "coat.session.json"
    assert w.save_session(path)
    entry = json.loads(path.read_text())["tuned_generator"]
    assert entry["file"] == "coat.session.generator.safetensors"
    assert entry["sha256"] == sha256_file(tmp_path / entry["file"]) and entry["steps"] == QUICK.steps
    assert entry["tune_from"] == QUICK.tune_from  # which layers were tuned, recorded
    autosaved = json.loads((tmp_path / "autosave.json").read_text())["tuned_generator"]
    assert (tmp_path / autosaved["file"]).is_file()

    w.new_from_model(3)
    settle(qtbot, w)
    started = []
    w.jobs.started.connect(started.append)
    assert w.open_session(path)
    settle(qtbot, w)
    assert started == [] and w.last_error == ""  # read from the file, not tuned again
    loaded = w.doc.tuning.model.generator.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in weights.items())
    assert np.array_equal(canvas_pixels(w), shown) and w.doc.current.slider_dict == {"first": 2.0}
    assert w.doc.tuning.tune_from == QUICK.tune_from

    w.close()
    assert not (tmp_path / "autosave.json").exists() and not (tmp_path / autosaved["file"]).exists()


def test_the_switch_off_keeps_the_tuning_in_a_saved_session(window, qtbot, photo, tmp_path):
    """Turned off to compare, the tuning is still the document's: a session saved then keeps it, and
    reopened with the switch on it draws tuned at once, not tuned again (it dropped it: a review)."""
    w = window
    tuned_photo(qtbot, w, photo)
    tuned_view = canvas_pixels(w)
    w.tuning.action.setChecked(False)
    settle(qtbot, w)
    assert not np.array_equal(canvas_pixels(w), tuned_view)  # the model's own generator draws it
    path = tmp_path / "coat.session.json"
    assert w.save_session(path)
    assert (tmp_path / json.loads(path.read_text())["tuned_generator"]["file"]).is_file()

    w.tuning.action.setChecked(True)
    started = []
    w.jobs.started.connect(started.append)
    assert w.open_session(path)
    settle(qtbot, w)
    assert started == [] and w.last_error == ""
    assert np.array_equal(canvas_pixels(w), tuned_view)


def test_an_altered_or_missing_weights_file_is_a_message_and_never_a_crash(window, qtbot, photo,
                                                                          tmp_path):
    w = window
    tuned_photo(qtbot, w, photo)
    path = tmp_path / "coat.session.json"
    assert w.save_session(path)
    weights = tmp_path / "coat.session.generator.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1  # one bit of one weight
    weights.write_bytes(bytes(data))

    assert w.open_session(path)  # the switch on: tuned again
    assert "does not match the SHA-256" in w.last_error and "Tuning the generator" in w.last_error
    settle(qtbot, w)
    assert w.doc.tuning is not None and w.doc.current.slider_dict == {"first": 2.0}

    weights.unlink()
    w.tuning.action.setChecked(False)
    assert w.open_session(path)  # the switch off: the model's own generator
    settle(qtbot, w)
    assert "is missing" in w.last_error and "as trained, untuned" in w.last_error
    assert w.doc.tuning is None and w.renderer.model is w.model
    assert w.doc.current.slider_dict == {"first": 2.0}


def test_a_photo_whose_tuning_stopped_keeps_its_switch_off_through_a_model_switch_and_back(
        window, qtbot, photo, tmp_path, monkeypatch):
    """The switch shows off for the photo whose tuning was cancelled, also after a model switch and
    its undo (the setting on brought it back ticked over the untuned photo: a review); a tuning that
    fails leaves it off too."""
    w = window
    w.tuning.cfg = TuneConfig(steps=100_000)
    w.tuning.action.setChecked(True)
    assert w.open_photo(photo)
    qtbot.waitUntil(lambda: w.tuning.busy_with is w.doc, timeout=30_000)
    w.cancel_job()
    settle(qtbot, w)
    first = w.doc
    assert first.tuning is None and not w.tuning.enabled
    w.tuning.cfg = QUICK
    assert w.switch_model(str(make_editable_model(tmp_path / "other")))  # the setting on: tuned
    settle(qtbot, w)
    assert w.doc is not first and w.doc.tuning is not None and w.tuning.enabled
    w.undo()
    settle(qtbot, w)
    assert w.doc is first and first.tuning is None and not w.tuning.enabled
    assert w.settings.value("tune_generator/object", type=bool) is True

    w.confirm_discard = lambda *a: True

    def broken(*args, **kwargs):
        raise RuntimeError("a tuning that fails")
        yield  # (a generator, as tune is)

    monkeypatch.setattr("editor.tuning.tune", broken)
    assert w.open_photo(photo)  # inverted, then the tuning fails
    settle(qtbot, w)
    qtbot.waitUntil(lambda: not w.tuning.enabled, timeout=10_000)
    assert w.doc.tuning is None and w.doc.tuning_stopped
    assert not w.candidates_panel.meter.tuning  # the quality line judges again (a review)


def test_a_poor_fit_is_kept_in_the_quality_line_past_the_tuning(window, qtbot, photo, monkeypatch):
    """The status bar's poor-fit line gave way at once to the tuning's messages (a review): the
    quality line keeps it, once the inversion is done."""
    monkeypatch.setattr("inversion.invert.POOR_FIT", -1.0)  # every photo drawn poorly
    w = window
    w.tuning.action.setChecked(True)
    assert w.open_photo(photo)
    settle(qtbot, w)
    assert w.doc.tuning is not None and w.statusBar().currentMessage().startswith("Generator tuned")
    assert "draws this photo poorly" in w.candidates_panel.quality.text()
