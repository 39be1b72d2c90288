"""The remaining commands on tiny inputs: `latent-edit vectors`, `train-encoder`, `face-setup`,
`latent-gan eval` and `train-classifier`. Each writes what it says, and what it writes loads."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from tests.conftest import make_editable_model
from tests.test_data import fake_fmnist  # noqa: F401 (a fixture)
from training.modelfile import ATTRIBUTES_FILE, load_model


@pytest.fixture
def tiny_model(tmp_path):
    """A tiny model with an encoder, trained (as its config says) on an image folder."""
    folder = make_editable_model(tmp_path / "tiny")
    config = json.loads((folder / "config.json").read_text())
    config["data"]["name"] = "images"
    (folder / "config.json").write_text(json.dumps(config))
    return load_model(folder)


@pytest.fixture
def attribute_table(tmp_path, image_folder):
    """A CSV with two attributes for the 48 images of `image_folder`."""
    files = sorted(p.name for p in image_folder.rglob("*.png"))
    path = tmp_path / "attributes.csv"
    path.write_text("file,Tall,Left\n" + "".join(f"{f},{i % 2},{int(i < 24)}\n"
                                                  for i, f in enumerate(files)))
    return path


def test_vectors_from_an_attribute_table_and_principal_directions(tiny_model, image_folder,
                                                                   attribute_table, tmp_path):
    from editing.cli import main
    from editing.vectors import load_vectors

    out = tmp_path / "table.safetensors"
    assert main(["vectors", "--model", str(tiny_model.path), "--data", str(image_folder),
                 "--attributes", str(attribute_table), "--out", str(out)]) == 0
    vectors, info = load_vectors(out)
    assert set(vectors) == {"Tall", "Left"} and info["codes"] == "encoder"
    assert all(v.vector.shape == (16,) and v.spread > 0 for v in vectors.values())
    # without images at hand: GANSpace directions from the generator alone, into the model folder
    assert main(["vectors", "--model", str(tiny_model.path), "--data", str(image_folder),
                 "--directions", "3"]) == 0
    vectors, info = load_vectors(tiny_model.path / ATTRIBUTES_FILE)
    assert list(vectors) == ["Direction 1", "Direction 2", "Direction 3"]
    assert info["method"] == "ganspace"


def test_train_encoder_lowers_its_loss_and_is_saved(tiny_model, image_folder, capsys, monkeypatch):
    """...and records how closely the app's inversion then draws the held-out images, which the
    editor's "draws this photo poorly" reads (a walkthrough opened a bag with a model of faces)."""
    from editing import model_setup
    from editing.cli import main
    from inversion.encoder import load_encoder
    from inversion.invert import POOR_FIT_MARGIN, poor_fit_limit

    monkeypatch.setattr(model_setup, "FIT_MIN", 2)  # the folder holds 5 held-out images
    before = load_encoder(tiny_model).state_dict()
    assert main(["train-encoder", "--model", str(tiny_model.path), "--data", str(image_folder),
                 "--steps", "3", "--batch", "4"]) == 0
    reloaded = load_model(tiny_model.path)
    after = load_encoder(reloaded).state_dict()
    assert reloaded.config["encoder"]["steps"] == 3
    assert any(not torch.equal(before[k], after[k]) for k in before)  # it trained
    held = reloaded.config["encoder"]["held_out"]
    assert held["n"] == 5 and 0 < held["lpips_median"] <= held["lpips_p95"]
    assert poor_fit_limit(reloaded) == round(POOR_FIT_MARGIN * held["lpips_p95"], 3)
    assert "held-out images drawn at LPIPS" in capsys.readouterr().out


@pytest.mark.slow
def test_face_setup_measures_the_landmarks_of_the_training_faces(tmp_path):
    from editing.cli import main
    from inversion.framing import DomainSpec
    from training.modelfile import MODELS_DIR, resolve_model

    try:
        source = resolve_model("celeba-64")
    except Exception:
        pytest.skip("the face model is not in assets/models")
    face_model = load_model(source)
    folder = tmp_path / "faces"  # the face model's own samples stand in for its training faces
    folder.mkdir()
    from training.pixels import to_uint8

    for i, img in enumerate(to_uint8(face_model.sample(8, seed=2))):
        Image.fromarray(img).save(folder / f"{i:03d}.png")
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in source.iterdir():
        if f.is_file():
            (copy / f.name).write_bytes(f.read_bytes())
    config = json.loads((copy / "config.json").read_text())
    del config["domain"]
    for key in ("attributes_source", "attributes_source_relative"):
        config["training"].pop(key, None)  # the samples have no attribute table
    (copy / "config.json").write_text(json.dumps(config))
    assert DomainSpec.for_model(load_model(copy).config).kind == "centre-crop"
    assert main(["face-setup", "--model", str(copy), "--data", str(folder), "--n", "8"]) == 0
    spec = DomainSpec.for_model(load_model(copy).config)
    shipped = DomainSpec.for_model(face_model.config)
    assert spec.kind == "face" and len(spec.landmarks) == 5
    # the samples' landmarks lie where the training faces' do, within a couple of pixels
    assert np.abs(np.array(spec.landmarks) - np.array(shipped.landmarks)).max() < 3
    assert MODELS_DIR not in copy.parents


def test_eval_on_an_image_folder_writes_its_report(tiny_model, image_folder, tmp_path, capsys):
    from training.cli import main

    out = tmp_path / "report"
    assert main(["eval", "--model", str(tiny_model.path), "--data", str(image_folder), "--n", "20",
                 "--out", str(out)]) == 0
    numbers = json.loads((out / "eval.json").read_text())
    assert numbers["n"] == 20 and numbers["features"] == "AlexNetFeatures"
    assert numbers["frechet"]["generated_vs_test"] > 0
    assert "Frechet distance" in capsys.readouterr().out


def test_train_classifier_on_fashion_mnist_files(fake_fmnist, tmp_path, capsys):  # noqa: F811
    from training.classifier import load_classifier
    from training.cli import main

    out = tmp_path / "classifier"
    assert main(["train-classifier", "--data-root", str(fake_fmnist), "--epochs", "1",
                 "--out", str(out)]) == 0
    net, info = load_classifier(out)
    assert 0.0 <= info["test_accuracy"] <= 1.0 and info["training"]["epochs"] == 1
    with torch.no_grad():
        assert net(torch.zeros(2, 1, 32, 32)).shape == (2, 10)
    assert "epoch 1/1" in capsys.readouterr().out
