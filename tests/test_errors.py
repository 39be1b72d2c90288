"""One error type for everything a user can mend; options refused before any work; files from a
newer version, damaged files, foreign files and paths out of a model folder refused clearly."""
import ast
import json
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from tests.conftest import REPO, TINY_GAN, make_editable_model
from training.errors import UserError, VersionError


def error_classes():
    """(path, class name, base names) of every class named ...Error in the packages."""
    for package in ("training", "inversion", "editing", "editor"):
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef) and node.name.endswith("Error"):
                    yield path.relative_to(REPO), node.name, [ast.unparse(b) for b in node.bases]


def test_every_error_class_derives_from_user_error():
    classes = list(error_classes())
    names = {name for _, name, _ in classes}
    assert {"PhotoError", "StrokeError", "ModelFormatError", "SessionError", "DataError"} <= names
    for path, name, bases in classes:
        if name == "UserError":
            continue
        assert any(b.split(".")[-1] in names for b in bases) and "Exception" not in bases, \
            f"{path}: {name}({', '.join(bases)}) does not derive from UserError"


def test_user_errors_are_one_line_and_bugs_keep_their_traceback(monkeypatch, tmp_path, capsys):
    import editing.cli as cli

    assert cli.main(["invert", str(tmp_path / "missing.png"), "--out", str(tmp_path / "c.npz")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1

    def broken(a):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "cmd_invert", broken)
    with pytest.raises(ZeroDivisionError):  # not swallowed into "error: ..."
        cli.main(["invert", "x.png", "--out", str(tmp_path / "c.npz")])


@pytest.fixture
def no_model_loading(monkeypatch):
    """Any attempt to load a model fails the test: options must be refused before that."""
    import editing.cli as edit_cli
    import training.cli as gan_cli

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded before the options were checked")

    monkeypatch.setattr(edit_cli, "load_model", refuse)
    monkeypatch.setattr(gan_cli, "load_model", refuse)


@pytest.mark.parametrize("args, message", [
    (["edit", "p.png", "--out", "o.png", "--quality", "0"], "--quality must be between 1 and 100"),
    (["edit", "p.png", "--out", "o.png", "--strokes", "s.json", "--candidates", "2", "--candidate", "2"],
     "--candidate must be between 0 and 1"),
    (["edit", "p.png", "--out", "o.png", "--attr", "smile"], "write NAME=VALUE"),
    (["edit", "p.png", "--out", "o.gif"], ".png, .jpg or .webp"),
    (["edit", "--out", "o.png"], "give a PHOTO"),
    (["invert", "p.png", "--out", "c.npz", "--steps", "0"], "--steps must be at least 1"),
    (["invert", "p.png", "--out", "c.npz", "--lpips-weight", "-1"], "--lpips-weight must be at least 0"),
    (["train-encoder", "--batch", "0"], "--batch must be at least 1"),
    (["vectors", "--directions", "0"], "--directions must be at least 1"),
])
def test_edit_options_are_checked_before_any_work(no_model_loading, tmp_path, monkeypatch, capsys,
                                                  args, message):
    from editing.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["train", "--out", "r", "--steps", "0"], "--steps must be at least 1"),
    (["train", "--out", "r", "--augment", "flip"], "unknown augmentation"),
    (["train", "--out", "r", "--ema", "1.5"], "--ema must be between 0.0 and 1.0"),
    (["sample", "--model", "m", "--n", "0", "--out", "g.png"], "--n must be at least 1"),
    (["eval", "--model", "m", "--n", "1"], "--n must be at least 2"),
])
def test_training_options_are_checked_before_any_work(no_model_loading, tmp_path, monkeypatch,
                                                      capsys, args, message):
    from training.cli import main

    monkeypatch.chdir(tmp_path)
    # --data-root points nowhere: a data error would mean the data was read before the check
    assert main([*args, "--data-root", str(tmp_path)] if args[0] == "train" else args) == 2
    err = capsys.readouterr().err
    assert message in err and "dataset-fashion-mnist" not in err


# ---------------------------------------------------------------------------- versions


def test_checkpoint_from_a_newer_version_or_damaged_is_refused(tmp_path):
    from training.checkpoint import CheckpointError, read_checkpoint

    newer = tmp_path / "newer.safetensors"
    save_file({"x": torch.zeros(1)}, str(newer), metadata={"checkpoint": json.dumps({"version": 99})})
    with pytest.raises(VersionError, match="newer version"):
        read_checkpoint(newer)
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        read_checkpoint(damaged)
    with pytest.raises(CheckpointError, match="no checkpoint"):
        read_checkpoint(tmp_path / "missing.safetensors")


def test_code_file_versions_are_written_and_checked(tmp_path):
    from inversion.invert import CODE_VERSION, load_code, save_code
    from training.modelfile import load_model

    model = load_model(make_editable_model(tmp_path / "tiny"))
    path = tmp_path / "code.npz"
    save_code(path, torch.zeros(16), None, model)
    z, meta = load_code(path)
    assert meta["version"] == 1 and meta["generator_sha256"] == model.generator_sha256
    meta["version"] = CODE_VERSION + 1
    np.savez(path, z=z.numpy(), meta=np.array(json.dumps(meta)))
    with pytest.raises(VersionError, match="newer version"):
        load_code(path)


def test_attribute_file_versions_are_written_and_checked(tmp_path):
    from editing.vectors import VECTORS_VERSION, load_vectors, make_vector, save_vectors

    codes = torch.randn(50, 4, generator=torch.Generator().manual_seed(0))
    path = tmp_path / "a.safetensors"
    save_vectors(path, {"first": make_vector("first", codes, codes[:, 0] > 0)}, {"source": "test"})
    vectors, info = load_vectors(path)
    assert set(vectors) == {"first"} and info == {"source": "test"}
    meta = {"version": VECTORS_VERSION + 1, "info": {}, "attributes": {"first": {"spread": 1.0}}}
    save_file({"first": torch.ones(4)}, str(path), metadata={"attributes": json.dumps(meta)})
    with pytest.raises(VersionError, match="newer version"):
        load_vectors(path)


# ---------------------------------------------------------------------------- foreign files


def test_recipe_and_code_file_from_another_generator_are_refused(tmp_path, capsys):
    from editing.cli import main
    from tests.test_editing import photo_file
    from training.modelfile import load_model

    photo = photo_file(tmp_path)
    model = load_model(make_editable_model(tmp_path / "a"))
    out = tmp_path / "edited.png"
    assert main(["edit", str(photo), "--model", str(model.path), "--out", str(out)]) == 0
    code = tmp_path / "code.npz"
    assert main(["invert", str(photo), "--model", str(model.path), "--out", str(code), "--steps", "1",
                 "--quiet"]) == 0
    recipe = json.loads((tmp_path / "edited.png.recipe.json").read_text())
    # the same folder now holds another generator: the recipe and the code no longer fit it
    from training.modelfile import export_model
    from training.networks import Discriminator, GANConfig, Generator

    torch.manual_seed(5)
    cfg = GANConfig(**TINY_GAN)
    export_model(model.path, cfg, Generator(cfg).eval(), Discriminator(cfg).eval(),
                 {"data": {"name": "fashion-mnist/train"}})
    assert recipe["model"]["path"] == str(model.path)
    capsys.readouterr()
    assert main(["edit", "--recipe", str(tmp_path / "edited.png.recipe.json"),
                 "--out", str(tmp_path / "again.png")]) == 2
    assert "another version" in capsys.readouterr().err
    assert main(["edit", str(photo), "--model", str(model.path), "--code", str(code),
                 "--out", str(tmp_path / "b.png")]) == 2
    assert "belongs to another model" in capsys.readouterr().err
    assert not (tmp_path / "again.png").exists() and not (tmp_path / "b.png").exists()


@pytest.mark.parametrize("file", ["../generator.safetensors", "/tmp/generator.safetensors", "..",
                                  "sub/generator.safetensors", "..\\generator.safetensors"])
def test_a_model_folder_cannot_point_out_of_itself(tmp_path, file):
    from training.modelfile import ModelFormatError, load_model, write_model_folder

    folder = make_editable_model(tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    (tmp_path / "generator.safetensors").write_bytes((folder / "generator.safetensors").read_bytes())
    config["networks"]["generator"]["file"] = file
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFormatError, match="must lie in its own folder"):
        load_model(folder)
    # and exporting another generator over it never removes a file outside the folder
    outside = tmp_path / "keep.safetensors"
    outside.write_bytes(b"the user's file")
    config["networks"]["generator"]["file"] = "generator.safetensors"
    config["networks"]["encoder"]["file"] = "../keep.safetensors"
    (folder / "config.json").write_text(json.dumps(config))
    write_model_folder(folder, {"generator": torch.nn.Linear(2, 2)}, {"gan": config["gan"]})
    assert outside.read_bytes() == b"the user's file"


class Exploit:
    """Unpickling this writes a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_lpips_converter_reads_numpy_arrays_and_refuses_any_other_pickle(tmp_path):
    from inversion.convert_lpips import read_checkpoint

    good = tmp_path / "alexnet.ckpt"
    good.write_bytes(pickle.dumps({"conv": {"kernel": np.ones((3, 3, 1, 2), np.float32)}}))
    assert read_checkpoint(good)["conv"]["kernel"].shape == (3, 3, 1, 2)
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.ckpt"
    evil.write_bytes(pickle.dumps({"conv": Exploit(marker)}))
    with pytest.raises(pickle.UnpicklingError, match="refused to load"):
        read_checkpoint(evil)
    assert not marker.exists()


def test_user_error_is_the_base_the_guis_and_clis_catch():
    from editing.solver import StrokeError
    from inversion.photo import PhotoError
    from training.errors import OptionError

    assert issubclass(StrokeError, UserError) and issubclass(PhotoError, UserError)
    assert issubclass(OptionError, ValueError) and issubclass(VersionError, UserError)


def test_edit_refuses_unknown_sliders_bad_strokes_and_identity_before_inverting(tmp_path, monkeypatch,
                                                                                  capsys):
    import editing.cli as cli
    from tests.test_editing import photo_file

    model = make_editable_model(tmp_path / "tiny")
    photo = photo_file(tmp_path)

    def no_inversion(*args, **kwargs):
        raise AssertionError("the photo was inverted before the options were checked")

    monkeypatch.setattr(cli.Inverter, "for_model", no_inversion)
    bad = tmp_path / "strokes.json"
    bad.write_text('{"space": "photo", "strokes": [{"kind": "glitter", "points": [[1, 2]]}]}')
    for extra, message in ((["--attr", "smile=1"], "unknown attribute smile"),
                           (["--strokes", str(bad)], "glitter"),
                           (["--strokes", str(bad).replace("strokes", "none")], "cannot read strokes"),
                           (["--identity", "1", "--strokes", str(tmp_path / "none.json")],
                            "needs a face model")):
        assert cli.main(["edit", str(photo), "--model", str(model), "--out",
                         str(tmp_path / "o.png"), *extra]) == 2
        assert message in capsys.readouterr().err
    assert cli.main(["invert", str(photo), "--model", str(model), "--out", str(tmp_path / "c.npz"),
                     "--identity", "1"]) == 2
    assert "--identity needs a face model" in capsys.readouterr().err


def test_file_system_errors_are_messages_not_tracebacks(tmp_path, capsys):
    from training.cli import main

    model = make_editable_model(tmp_path / "tiny")
    (tmp_path / "grid.png").mkdir()  # the output path is a folder
    assert main(["sample", "--model", str(model), "--n", "4", "--out", str(tmp_path / "grid.png")]) == 2
    assert "error: " in capsys.readouterr().err
