"""Hostile files and values (issue 17): every bad input is one line of message, nothing is silently
wrong, nothing is allocated without bound. Each hostile file is made here, from the shipped product
model and the conftest photo; the CLI is run in-process (`main([...])`), the editor offscreen."""
from __future__ import annotations

import json
import os
import shutil
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from benchmarks.hostile import png_header_only
from editing.cli import main as edit_main
from inversion.invert import photo_to_model, save_code
from inversion.photo import load_photo
from training.modelfile import DEFAULT_MODEL, MODELS_DIR, ModelFormatError, load_model


def one_line_error(capsys, *words: str) -> str:
    """The command's stderr: a single "error: ..." line holding `words`, no traceback."""
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


@pytest.fixture(scope="module")
def product_model():
    return load_model(DEFAULT_MODEL)


@pytest.fixture
def code_file(tmp_path, photo, product_model):
    """A code file for the coat photo (a typical code, no inversion: fast)."""
    _, mapping = photo_to_model(product_model, load_photo(photo))
    path = tmp_path / "coat.npz"
    save_code(path, product_model.codes(1, seed=3)[0], mapping, product_model, photo.resolve())
    return path


@pytest.fixture
def export(tmp_path, photo, code_file, capsys):
    """An export of the coat photo with the 'area' slider, and its recipe beside it."""
    out = tmp_path / "edited.png"
    assert edit_main(["edit", str(photo), "--code", str(code_file), "--attr", "area=1.5",
                      "--out", str(out)]) == 0
    capsys.readouterr()
    return out


class Whole:
    """What a `tamper` change returns to replace the whole file's JSON."""

    def __init__(self, value):
        self.value = value


def tamper(path: Path, change) -> Path:
    """Change a JSON file in place: `change(data)` edits data, or returns Whole(new data)."""
    data = json.loads(path.read_text())
    changed = change(data)
    path.write_text(json.dumps(changed.value if isinstance(changed, Whole) else data))
    return path


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a command starts its work (loads a model, inverts): options come first."""
    import editing.cli

    def work(*args, **kwargs):
        raise AssertionError("the work started before the options were refused")

    for name in ("load_model", "load_photo", "photo_to_model"):
        monkeypatch.setattr(editing.cli, name, work)


# ------------------------------------------------------------------ 1. silently wrong values

@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "21"])
def test_non_finite_or_huge_slider_values_are_refused_at_the_option_check(value, tmp_path, photo,
                                                                          no_work, capsys):
    out = tmp_path / "x.png"
    assert edit_main(["edit", str(photo), "--attr", f"brightness={value}", "--out", str(out)]) == 2
    one_line_error(capsys, "--attr", "brightness", "between -20 and +20")
    assert not out.exists()


def test_sliders_refuse_non_finite_values_in_the_library_too(product_model):
    from editing.vectors import AttributeVectorError, apply_sliders, model_vectors

    z = product_model.codes(1)[0]
    with pytest.raises(AttributeVectorError, match="finite|between"):
        apply_sliders(z, model_vectors(product_model), {"area": float("nan")})


@pytest.mark.parametrize("change, words", [
    (lambda r: r["z0"].__setitem__(3, float("nan")), "cannot open"),  # NaN is not JSON
    (lambda r: r["z_edit"].__setitem__(0, 1e30), "z_edit[0]"),
    (lambda r: r["export"].__setitem__("mask_threshold", 0), "mask_threshold"),
    (lambda r: r["sliders"].__setitem__("area", 1e308), "sliders.area"),
    (lambda r: r.__setitem__("hair", "yes"), "hair"),
])
def test_recipes_with_nan_huge_values_or_zero_threshold_are_refused(change, words, export, tmp_path,
                                                                      capsys):
    tamper(Path(f"{export}.recipe.json"), change)
    out = tmp_path / "again.png"
    assert edit_main(["edit", "--recipe", f"{export}.recipe.json", "--out", str(out)]) == 2
    one_line_error(capsys, words)
    assert not out.exists()


# ------------------------------------------------------------------ 2. the photo is checked

def test_a_recipe_rebuilds_bit_for_bit_and_refuses_a_changed_photo(export, photo, tmp_path, capsys):
    recipe = Path(f"{export}.recipe.json")
    assert json.loads(recipe.read_text())["photo"]["size"] == [180, 240]
    again = tmp_path / "again.png"
    assert edit_main(["edit", "--recipe", str(recipe), "--out", str(again)]) == 0
    assert again.read_bytes() == export.read_bytes()
    img = np.asarray(Image.open(photo)).copy()
    img[0, 0] = 0  # one pixel changed after the export
    Image.fromarray(img).save(photo)
    assert edit_main(["edit", "--recipe", str(recipe), "--out", str(tmp_path / "b.png")]) == 2
    one_line_error(capsys, "has changed since the export")


def test_a_recipe_refuses_a_photo_of_another_size(export, photo, tmp_path, capsys):
    from training.fileio import sha256_file

    Image.new("RGB", (200, 100), (240, 240, 240)).save(photo)  # even with a matching hash
    tamper(Path(f"{export}.recipe.json"), lambda r: r["photo"].__setitem__("sha256", sha256_file(photo)))
    assert edit_main(["edit", "--recipe", f"{export}.recipe.json", "--out", str(tmp_path / "b.png")]) == 2
    one_line_error(capsys, "is 200x100", "180x240")


# ------------------------------------------------------------------ 3. a code file's photo

def test_a_code_file_from_another_photo_is_refused(code_file, tmp_path, capsys):
    other = tmp_path / "other.png"
    Image.new("RGB", (180, 240), (30, 30, 30)).save(other)
    assert edit_main(["edit", str(other), "--code", str(code_file), "--out", str(tmp_path / "x.png")]) == 2
    one_line_error(capsys, "inverted from another photo (coat.png)")


def test_an_older_code_file_without_a_photo_hash_is_checked_by_size(code_file, tmp_path, capsys):
    with np.load(code_file) as f:
        z, meta = f["z"], json.loads(str(f["meta"]))
    del meta["photo_sha256"]
    np.savez(code_file, z=z, meta=np.array(json.dumps(meta)))
    other = tmp_path / "other.png"
    Image.new("RGB", (300, 200), (30, 30, 30)).save(other)
    assert edit_main(["edit", str(other), "--code", str(code_file), "--out", str(tmp_path / "x.png")]) == 2
    one_line_error(capsys, "180x240 photo", "300x200")


@pytest.mark.parametrize("z", [np.array([np.nan] * 128, np.float32), np.zeros(3, np.float32),
                               np.array(["x"])])
def test_a_damaged_code_is_refused(code_file, photo, z, tmp_path, capsys):
    with np.load(code_file) as f:
        meta = str(f["meta"])
    np.savez(code_file, z=z, meta=np.array(meta))
    assert edit_main(["edit", str(photo), "--code", str(code_file), "--out", str(tmp_path / "x.png")]) == 2
    one_line_error(capsys, "coat.npz")


# ------------------------------------------------------------------ 4. the model by name and hash

def test_a_recipe_finds_its_model_by_name_from_another_folder(export, tmp_path, monkeypatch, capsys):
    recipe = tamper(Path(f"{export}.recipe.json"),
                    lambda r: r["model"].__setitem__("path", "assets/models/fashion-mnist-32"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the path as typed no longer leads anywhere
    assert edit_main(["edit", "--recipe", str(recipe), "--out", "a.png"]) == 0
    assert (elsewhere / "a.png").read_bytes() == export.read_bytes()
    tamper(recipe, lambda r: r["model"].__setitem__("generator_sha256", "0" * 64))
    assert edit_main(["edit", "--recipe", str(recipe), "--out", "b.png"]) == 2
    one_line_error(capsys, "another version of fashion-mnist-32")


def test_an_older_recipe_with_only_a_path_still_rebuilds(export, tmp_path):
    def old_style(r):
        r["model"] = {"path": str(MODELS_DIR / DEFAULT_MODEL)}
        del r["photo"]["size"], r["export"]["image_sha256"]
    recipe = tamper(Path(f"{export}.recipe.json"), old_style)
    assert edit_main(["edit", "--recipe", str(recipe), "--out", str(tmp_path / "a.png")]) == 0
    assert (tmp_path / "a.png").read_bytes() == export.read_bytes()


# ------------------------------------------------------------------ 5. tampered recipes

@pytest.mark.parametrize("change, words", [
    (lambda r: r.pop("z0"), "z0 is missing"),
    (lambda r: r["export"].__setitem__("quality", "92"), "export.quality must be a whole number"),
    (lambda r: r.__setitem__("z0", "0.1 0.2"), "z0 must be a list"),
    (lambda r: [r.__setitem__(k, [0.1, 0.2]) for k in ("z0", "z_edit", "z_slid")],  # another model's
     "codes are 2 long, but fashion-mnist-32 takes codes of 128"),
    (lambda r: Whole([r]), "must be a JSON object"),
    (lambda r: r["mapping"].__setitem__("box", [0, 0, 30000, 30000]), "mapping.box"),
    (lambda r: r["mapping"].__setitem__("box", [0, 0, 1e6, 1e6]), "mapping.box"),
    (lambda r: r["mapping"].__setitem__("box", [180, 210, 0, 30]), "x0 < x1"),
    (lambda r: r["mapping"].__setitem__("resolution", 33), "mapping.resolution"),
    (lambda r: r.__setitem__("solver", json.loads("[" * 40 + "]" * 40)), "nests deeper"),
    (lambda r: r["model"].__setitem__("path", 5), "model.path"),
    (lambda r: r.__setitem__("warps", [{"start": [1, 2], "end": [3, 4], "radius": -1}]), "warps[0]"),
    (lambda r: r.__setitem__("warps", 5), "warps must be a list"),
])
def test_a_tampered_recipe_is_one_line_of_message(change, words, export, tmp_path, capsys):
    tamper(Path(f"{export}.recipe.json"), change)
    out = tmp_path / "again.png"
    assert edit_main(["edit", "--recipe", f"{export}.recipe.json", "--out", str(out)]) == 2
    one_line_error(capsys, words)
    assert not out.exists()


def test_a_recipe_nested_beyond_the_parser_is_one_line(tmp_path, capsys):
    recipe = tmp_path / "deep.recipe.json"
    recipe.write_text("[" * 200_000 + "]" * 200_000)  # RecursionError inside json
    assert edit_main(["edit", "--recipe", str(recipe), "--out", str(tmp_path / "x.png")]) == 2
    one_line_error(capsys, "deep.recipe.json")


# ------------------------------------------------------------------ 6, 7. model configs

@pytest.fixture
def model_copy(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(MODELS_DIR / DEFAULT_MODEL, folder)
    return folder


def _set(path: str, value):
    keys = path.split(".")

    def change(config):
        d = config
        for k in keys[:-1]:
            d = d[k]
        if value is KeyError:
            del d[keys[-1]]
        else:
            d[keys[-1]] = value
    return change


@pytest.mark.parametrize("change, words", [
    (_set("networks.generator.sha256", KeyError), "sha256 is missing"),
    (_set("networks.generator.sha256", None), "SHA-256"),
    (_set("gan.latent_dim", 128.5), "latent_dim must be a whole number"),
    (_set("format_version", "1"), "format_version"),
    (_set("networks", "x"), "networks must be a JSON object"),
    (_set("networks.generator.file", 5), "file must be a text"),
    (lambda c: Whole([c]), "must be a JSON object"),
    (_set("gan.latent_dim", 10**9), "latent_dim must be between 1 and 1024"),
    (_set("gan.width", 10**9), "width must be between 1 and 512"),
    (_set("gan.latent_dim", 200_000), "latent_dim must be between"),
    (lambda c: c["gan"].update(width=512, resolution=64), "channels at 4x4"),
    (_set("gan.resolution", "32"), "resolution must be a whole number, not '32'"),
    (_set("domain", "x"), "domain must be a JSON object"),
    (_set("domain", {"kind": "face", "landmarks": [[1, 2]] * 9}), "domain.landmarks"),
])
def test_a_tampered_model_config_is_refused_before_any_allocation(change, words, model_copy, photo,
                                                                   tmp_path, capsys):
    tamper(model_copy / "config.json", change)
    tracemalloc.start()
    with pytest.raises(ModelFormatError, match=words.replace("(", r"\(")):
        load_model(model_copy)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50e6  # refused before a network (or a 3.8 GB one) is built
    assert edit_main(["invert", str(photo), "--model", str(model_copy), "--out",
                      str(tmp_path / "c.npz")]) == 2
    one_line_error(capsys, "config.json")


@pytest.mark.parametrize("file", ["../good/generator.safetensors", "/etc/passwd",
                                  "link.safetensors"])
def test_weight_files_out_of_the_folder_are_refused_before_they_are_read(file, model_copy, tmp_path,
                                                                         monkeypatch):
    import training.modelfile

    good = tmp_path / "good"
    shutil.copytree(model_copy, good)  # the same weights: their hash matches
    (model_copy / "link.safetensors").symlink_to(good / "generator.safetensors")
    tamper(model_copy / "config.json", _set("networks.generator.file", file))
    hashed = []
    real = training.modelfile.sha256_file
    monkeypatch.setattr(training.modelfile, "sha256_file", lambda p: hashed.append(Path(p)) or real(p))
    with pytest.raises(ModelFormatError, match="must lie in its own folder"):
        load_model(model_copy)
    assert hashed == []  # nothing outside the folder was read or hashed


# ------------------------------------------------------------------ 8, 9. outputs and arguments

@pytest.mark.parametrize("args, words", [
    (["edit", "{photo}", "--out", "{file}/x.png"], "is a file, not a folder"),
    (["edit", "{photo}", "--out", "{folder}", "--overwrite"], "is a folder"),
    (["edit", "{photo}", "--out", "{tmp}/missing/x.png"], "does not exist"),
    (["edit", "{photo}", "--out", "{tmp}/x.png", "--overwrite", "--quality", "0"], "--quality"),
    (["invert", "{photo}", "--out", "{file}/c.npz"], "is a file, not a folder"),
    (["invert", "{photo}", "--out", "{tmp}/c.npz", "--preview", "{tmp}/missing/p.png"],
     "does not exist"),
    (["invert", "{photo}", "--out", "{tmp}/c.npz", "--preview-scale", "0"], "--preview-scale"),
    (["invert", "{photo}", "--out", "{tmp}/c.npz", "--steps", "-1"], "--steps"),
    (["invert", "{photo}", "--out", "{tmp}/c.npz", "--starts", "0"], "--starts"),
])
def test_outputs_and_arguments_are_checked_before_any_work(args, words, tmp_path, photo, no_work,
                                                           capsys):
    (tmp_path / "file.txt").write_text("not a folder")
    (tmp_path / "folder.png").mkdir()
    names = {"photo": str(photo), "file": str(tmp_path / "file.txt"),
             "folder": str(tmp_path / "folder.png"), "tmp": str(tmp_path)}
    assert edit_main([a.format(**names) for a in args]) == 2
    one_line_error(capsys, words)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_output_folder_is_refused_before_any_work(tmp_path, photo, no_work, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert edit_main(["edit", str(photo), "--out", str(locked / "x.png")]) == 2
        one_line_error(capsys, "not writable")
    finally:
        locked.chmod(0o700)


def test_an_unknown_attribute_on_a_face_model_is_refused_before_the_inversion(tmp_path, photo,
                                                                              monkeypatch, capsys):
    import editing.edit_command

    def work(*args, **kwargs):
        raise AssertionError("inverted before refusing the attribute")

    monkeypatch.setattr(editing.edit_command, "photo_to_model", work)
    monkeypatch.setattr(editing.edit_command, "load_photo", work)
    assert edit_main(["edit", str(photo), "--model", "celeba-64", "--attr", "nosuch=1",
                      "--out", str(tmp_path / "x.png")]) == 2
    one_line_error(capsys, "unknown attribute nosuch")


# ------------------------------------------------------------------ 10. sessions

def _plain_session(tmp_path, model) -> Path:
    from editor.session import new_document
    from editor.state import Snapshot

    doc = new_document(model, seed=7)
    doc.push(Snapshot("slider area", doc.z0.clone(), (("area", 1.5),)))
    doc.save(tmp_path / "s.json")
    return tmp_path / "s.json"


@pytest.mark.parametrize("change, words", [
    (_set("index", 99), "index must be between 0 and 1"),
    (_set("index", float("inf")), "cannot open"),  # OverflowError before
    (lambda d: d["history"][1].__setitem__("sliders", {"area": 1e300}), "sliders.area"),
    (lambda d: d["history"][1].__setitem__("z_base", [0.0] * 5), "history[1].z_base"),
    (lambda d: d["history"][1].__setitem__("strokes", [{"kind": "color", "points": "x"}]),
     "malformed stroke"),
    (lambda d: d["history"][1].__setitem__("strokes", ["x"]), "malformed stroke"),
    (_set("z0", 5), "z0 must be a list"),
    (_set("seed", 1.5), "seed"),
    (lambda d: d["mapping"].__setitem__("box", [0, 0, 1e9, 1e9]), "mapping.box"),
    (lambda d: d["history"].clear(), "history"),
    (lambda d: d["history"][1].__setitem__("warps", [{"start": [1, 2], "end": [3, "x"], "radius": 4}]),
     "malformed warp"),
    (lambda d: d["history"][1].__setitem__("warps", [{"start": [1, 2], "end": [3, 4], "radius": 1e300}]),
     "malformed warp"),
    (lambda d: d["history"][1].__setitem__("warps", 5), "warps must be a list"),
    (lambda d: d.__setitem__("offers", [{"codes": [], "states": []}]),
     "offers.0..codes must be at least one"),
    (lambda d: d.__setitem__("offers", [{"codes": [[0.0] * 5], "states": []}]), r"offers.0..codes.0."),
    (lambda d: d.__setitem__("offers", [{"codes": [d["z0"]], "states": [[5, 0]]}]),
     r"offers.0..states.0..0. must be between 1 and 1"),
    (lambda d: d.__setitem__("offers", [{"codes": [d["z0"]], "states": [[1, 1]]}]),
     r"offers.0..states.0..1. must be between 0 and 0"),
    (lambda d: d.__setitem__("offers", [{"codes": [d["z0"]], "states": [[1, 0]]}] * 2),
     "a state no other candidate made"),
    (lambda d: d.__setitem__("offers", [{"codes": [d["z0"]], "states": [1]}]),
     "a history state, a candidate"),
    (lambda d: d.__setitem__("offers", [{"codes": [d["z0"]] * 17, "states": [[1, 0]]}]), "at most 16"),
    (lambda d: d.__setitem__("offers", [{"codes": [d["z0"]], "states": []}]), "at least one state"),
    (lambda d: d.__setitem__("offers", [{"codes": [d["z0"]], "states": [[0, 0]]}]),  # the photo as opened:
     r"offers.0..states.0..0. must be between 1 and 1"),  # a click there replaced the whole history
])
def test_a_damaged_session_is_refused_whole(change, words, tmp_path, product_model):
    from editor.session_check import read_session
    from editor.state import SessionError

    path = tamper(_plain_session(tmp_path, product_model), change)
    with pytest.raises(SessionError, match=words.replace("[", r"\[").replace("]", r"\]")):
        read_session(path)


@pytest.mark.parametrize("change, words", [
    (lambda d: d["history"][1].__setitem__("sliders", {"nosuch": 1.0}), "unknown attribute nosuch"),
    (lambda d: (d.__setitem__("z0", [0.0] * 5),
                [s.__setitem__("z_base", [0.0] * 5) for s in d["history"]]), "do not fit"),
])
def test_a_session_that_does_not_fit_the_model_is_refused_whole(change, words, tmp_path, product_model):
    from editing.vectors import model_vectors
    from editor.session import document_from_session
    from editor.session_check import read_session
    from editor.state import SessionError

    path = tamper(_plain_session(tmp_path, product_model), change)
    with pytest.raises(SessionError, match=words):
        document_from_session(read_session(path), product_model, model_vectors(product_model))


@pytest.fixture
def window(qtbot, tmp_path):
    from tests.conftest import open_window

    w = open_window(qtbot, tmp_path, DEFAULT_MODEL)
    yield w
    w.close()


def _damaged_session(tmp_path, model) -> Path:
    return tamper(_plain_session(tmp_path, model), lambda d: d["history"][1].__setitem__(
        "sliders", {"nosuch": 1.0}))


def test_the_editor_refuses_a_damaged_session_and_keeps_its_document(window, qtbot, tmp_path,
                                                                     product_model):
    damaged = _damaged_session(tmp_path, product_model)
    window.new_from_model(3)
    qtbot.waitUntil(lambda: window.idle, timeout=30_000)
    doc, history = window.doc, list(window.doc.history)
    assert not window.open_session(damaged)
    assert "unknown attribute nosuch" in window.last_error
    assert window.isVisible() and window.doc is doc and window.doc.history == history


def test_the_editor_opens_empty_when_its_session_or_crash_recovery_is_damaged(
        window, qtbot, tmp_path, product_model, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    damaged = _damaged_session(tmp_path, product_model)
    assert not window.open_session(damaged)  # `latent-editor --session s.json` at start
    assert window.doc is None and window.isVisible() and "nosuch" in window.last_error
    window.last_error = ""
    shutil.copy(damaged, window.autosave_path)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    window.offer_recovery()
    assert window.doc is None and window.isVisible() and "damaged" in window.last_error


def test_the_editor_refuses_a_bad_export_path_and_keeps_its_document(window, qtbot, tmp_path):
    window.new_from_model(3)
    qtbot.waitUntil(lambda: window.idle, timeout=30_000)
    doc, index = window.doc, window.doc.index
    (tmp_path / "file.txt").write_text("x")
    assert not window.export_to(tmp_path / "file.txt" / "x.png")
    assert "is a file, not a folder" in window.last_error
    (tmp_path / "folder.png").mkdir()
    assert not window.export_to(tmp_path / "folder.png")
    assert "is a folder" in window.last_error
    assert window.doc is doc and window.doc.index == index and window.isVisible()


# ------------------------------------------------------------------ 11. checkpoints

def test_a_damaged_checkpoint_is_named_and_the_previous_one_resumed(tmp_path, caplog):
    from training.checkpoint import (
        CHECKPOINT_NAME,
        PREVIOUS_NAME,
        CheckpointError,
        latest_checkpoint,
        save_checkpoint,
    )

    net = torch.nn.Linear(4, 4)
    for step in (5, 10):
        save_checkpoint(tmp_path / CHECKPOINT_NAME, {"g": net}, {}, {"step": step})
    assert (tmp_path / PREVIOUS_NAME).is_file()
    latest = tmp_path / CHECKPOINT_NAME
    latest.write_bytes(latest.read_bytes()[:100])  # truncated (a full disk, a copy cut short)
    path, _, meta = latest_checkpoint(tmp_path)
    assert path.name == PREVIOUS_NAME and meta["step"] == 5
    assert CHECKPOINT_NAME in caplog.text and "damaged" in caplog.text
    good = (tmp_path / PREVIOUS_NAME).read_bytes()
    save_checkpoint(tmp_path / CHECKPOINT_NAME, {"g": net}, {}, {"step": 15})  # resumed, saved again
    assert (tmp_path / PREVIOUS_NAME).read_bytes() == good  # the damaged one was not kept as previous
    (tmp_path / PREVIOUS_NAME).write_bytes(b"")
    latest.write_bytes(b"")
    with pytest.raises(CheckpointError, match=f"{CHECKPOINT_NAME} is damaged"):
        latest_checkpoint(tmp_path)


def test_train_resume_and_export_survive_a_truncated_checkpoint(tmp_path, image_folder, capsys):
    from training.checkpoint import CHECKPOINT_NAME
    from training.cli import main as gan_main

    run = tmp_path / "run"
    tiny = ["--res", "32", "--channels", "1", "--latent", "16", "--width", "8", "--batch", "8",
            "--sample-every", "100", "--checkpoint-every", "2", "--quiet"]
    assert gan_main(["train", "--data", str(image_folder), "--steps", "4", "--out", str(run), *tiny]) == 0
    latest = run / CHECKPOINT_NAME
    latest.write_bytes(latest.read_bytes()[:-500])
    assert gan_main(["export", str(run), "--out", str(tmp_path / "model")]) == 0
    assert "step 2" in capsys.readouterr().out  # exported from the previous checkpoint
    assert gan_main(["train", "--resume", str(run), "--steps", "6", "--quiet"]) == 0
    for name in ("checkpoint.safetensors", "checkpoint.previous.safetensors"):
        (run / name).write_bytes(b"\0" * 10)
    assert gan_main(["export", str(run), "--out", str(tmp_path / "model2")]) == 2
    one_line_error(capsys, "checkpoint.safetensors is damaged")


# ------------------------------------------------------------------ 12. large photos

@pytest.mark.parametrize("width, height, words", [
    (12000, 9000, "12000x9000 is 108 megapixels, more than the 50 allowed"),
    (30000, 30000, "900 megapixels, more than the 50 allowed"),
])
def test_too_many_megapixels_is_the_apps_own_message(width, height, words, tmp_path, no_work, capsys):
    from inversion.photo import PhotoError

    big = png_header_only(tmp_path / "big.png", width, height)
    with pytest.raises(PhotoError, match=words):
        load_photo(big)


def test_a_huge_plain_image_is_refused_quickly_and_in_bounded_memory():
    from inversion.objects import NoObjectError, find_object

    plain = np.full((7000, 7000, 3), 128, np.uint8)
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(NoObjectError):
        find_object(plain)
    seconds, peak = time.perf_counter() - t0, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 5 and peak < 100e6  # was 20 s and 3 GB


def test_carrying_an_edit_back_onto_a_large_photo_stays_near_its_size(product_model):
    from editing.export import render_edit
    from inversion.framing import DomainSpec, to_model

    photo = np.full((4000, 4000, 3), 240, np.uint8)
    photo[500:3500, 1200:2800] = (70, 50, 40)
    tracemalloc.start()
    _, mapping = to_model(photo, 32, 1, DomainSpec.for_model(product_model.config))
    z = product_model.codes(2, seed=1)
    out, mask = render_edit(product_model, photo, mapping, z[0], z[1], in_place=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert out is photo and mask.any()
    # the photo is 48 MB; its crop is 3000x3000: a float copy of the photo's channels alone is 190 MB
    assert peak < 260e6, f"{peak / 1e6:.0f} MB"


# ------------------------------------------------------------------ 13. faces

def test_weak_detections_are_dropped_and_small_faces_in_large_photos_found():
    skimage_data = pytest.importorskip("skimage.data")
    from inversion.faces import find_faces

    astronaut = skimage_data.astronaut()
    two = find_faces(np.concatenate([astronaut, astronaut[:, ::-1]], axis=1))
    assert len(two) == 2 and min(f.score for f in two) > 1.0  # the suits (0.04-0.12) are dropped
    large = np.full((2000, 3000, 3), 180, np.uint8)
    large[100:612, 200:712] = astronaut  # its face is about 87 px across
    faces = find_faces(large)
    assert len(faces) == 1 and 370 < faces[0].box[0] < 390 and faces[0].detector == "hog"


# ------------------------------------------------------------------ 14. leftovers after a kill

def test_stale_temporary_files_are_removed_by_the_next_write(tmp_path):
    from training.fileio import STALE_SECONDS, write_bytes_atomic

    target = tmp_path / "edited.png"
    stale = tmp_path / ".edited.png.k1ll3d.tmp.png"
    fresh = tmp_path / ".edited.png.wr1t1n.tmp.png"  # another write in flight
    other = tmp_path / ".other.png.k1ll3d.tmp.png"
    for f in (stale, fresh, other):
        f.write_bytes(b"partial")
    old = time.time() - STALE_SECONDS - 5
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    write_bytes_atomic(target, b"image")
    assert not stale.exists() and fresh.exists() and other.exists() and target.read_bytes() == b"image"


def test_the_recipe_is_written_first_and_names_its_image(export, photo, code_file, monkeypatch):
    import editing.export
    from training.fileio import sha256_file

    recipe = Path(f"{export}.recipe.json")
    assert json.loads(recipe.read_text())["export"]["image_sha256"] == sha256_file(export)
    old_image = export.read_bytes()

    def killed(path, data):
        raise KeyboardInterrupt  # killed between the recipe and the image

    monkeypatch.setattr(editing.export, "write_bytes_atomic", killed)
    with pytest.raises(KeyboardInterrupt):
        edit_main(["edit", str(photo), "--code", str(code_file), "--attr", "area=-1",
                   "--out", str(export), "--overwrite"])
    assert export.read_bytes() == old_image  # the old image, with a recipe that says it is not its own
    assert json.loads(recipe.read_text())["export"]["image_sha256"] != sha256_file(export)
