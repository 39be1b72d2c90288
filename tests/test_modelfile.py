"""The model format: export/load round trip, hash check, and refusal of pickled files."""
import json
import pickle

import pytest
import torch

from training.modelfile import ModelFormatError, export_model, load_model, write_model_folder
from training.networks import Discriminator, GANConfig, Generator

CFG = GANConfig(resolution=32, channels=1, latent_dim=16, width=8)


@pytest.fixture
def model_dir(tmp_path):
    torch.manual_seed(0)
    G, D = Generator(CFG).eval(), Discriminator(CFG).eval()
    out = export_model(tmp_path / "tiny", CFG, G, D, {"data": {"name": "synthetic"}})
    return out, G, D


def test_round_trip_gives_identical_outputs(model_dir):
    out, G, D = model_dir
    m = load_model(out)
    z = torch.randn(3, 16)
    with torch.no_grad():
        assert torch.equal(m.generator(z), G(z))
        x = G(z)
        assert torch.equal(m.discriminator(x), D(x))
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["gan"] == CFG.to_dict() and cfg["format_version"] == 1
    assert len(cfg["networks"]["generator"]["sha256"]) == 64
    assert m.model_id.startswith("tiny@")


def test_sampling_is_deterministic_for_a_seed(model_dir):
    m = load_model(model_dir[0])
    assert torch.equal(m.sample(5, seed=7), m.sample(5, seed=7))
    assert not torch.equal(m.sample(5, seed=7), m.sample(5, seed=8))


def test_tampered_weights_are_refused(model_dir):
    out = model_dir[0]
    data = bytearray((out / "generator.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (out / "generator.safetensors").write_bytes(bytes(data))
    with pytest.raises(ModelFormatError, match="SHA-256"):
        load_model(out)


def test_wrong_architecture_is_refused_strictly(model_dir):
    out = model_dir[0]
    cfg = json.loads((out / "config.json").read_text())
    cfg["gan"]["width"] = 16
    (out / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFormatError, match="does not fit the architecture"):
        load_model(out)


def test_a_new_generator_removes_the_encoder_and_vectors_fitted_to_the_old_one(model_dir, caplog):
    out, G, D = model_dir
    config = json.loads((out / "config.json").read_text())
    write_model_folder(out, {"encoder": torch.nn.Linear(4, 16)}, config)
    (out / "attributes.safetensors").write_bytes(b"vectors of the old latent space")
    export_model(out, CFG, G, D, {"data": {"name": "synthetic"}})  # same generator: both kept
    assert "encoder" in load_model(out).config["networks"]
    assert (out / "attributes.safetensors").is_file()
    torch.manual_seed(1)
    export_model(out, CFG, Generator(CFG).eval(), D, {"data": {"name": "synthetic"}})
    m = load_model(out)
    assert set(m.config["networks"]) == {"generator", "discriminator"}
    assert not (out / "encoder.safetensors").exists() and not (out / "attributes.safetensors").exists()
    assert "encoder.safetensors, attributes.safetensors" in caplog.text and "train-encoder" in caplog.text


class Exploit:
    """Unpickling this writes a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("suffix", [".pt", ".pkl", ".pth", ".ckpt"])
def test_malicious_pickle_is_refused_and_never_executed(tmp_path, suffix):
    marker = tmp_path / "pwned"
    evil = tmp_path / f"model{suffix}"
    evil.write_bytes(pickle.dumps(Exploit(marker)))
    with pytest.raises(ModelFormatError, match="pickled"):
        load_model(evil)
    assert not marker.exists()


def test_config_pointing_at_a_pickle_is_refused(model_dir, tmp_path):
    out = model_dir[0]
    marker = tmp_path / "pwned"
    (out / "generator.pt").write_bytes(pickle.dumps(Exploit(marker)))
    cfg = json.loads((out / "config.json").read_text())
    cfg["networks"]["generator"]["file"] = "generator.pt"
    (out / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFormatError, match="pickled"):
        load_model(out)
    assert not marker.exists()


def test_missing_or_foreign_folders_give_clear_errors(tmp_path):
    with pytest.raises(ModelFormatError, match="not found"):
        load_model(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFormatError, match="config.json is missing"):
        load_model(tmp_path / "empty")


def test_a_command_names_a_shipped_model_by_name_and_a_users_folder_by_its_path(tmp_path, model_dir):
    """The hints ("train one with `latent-edit train-encoder --model ...`") named a user's own model
    folder by its name, which finds no shipped model (a walkthrough with a model of a photo folder)."""
    from inversion.invert import InversionError, Inverter

    assert load_model("fashion-mnist-32").command_name == "fashion-mnist-32"
    spaced = tmp_path / "my models" / "bare"
    spaced.parent.mkdir()
    model_dir[0].rename(spaced)
    model = load_model(spaced)
    assert model.command_name == f"'{spaced}'"  # quoted for a shell: the path has a space
    with pytest.raises(InversionError, match=f"--model '{spaced}'"):
        Inverter.for_model(model).invert(torch.zeros(1, model.gan.channels, model.gan.resolution,
                                                     model.gan.resolution))


@pytest.mark.parametrize("held", [[0.1], {"lpips_p95": True}, {"lpips_p95": -1.0}, {"n": "64"}])
def test_a_tampered_held_out_record_is_refused_with_a_message(model_dir, held):
    """The poor-fit note reads encoder.held_out (editing.model_setup.held_out_fit): a list there
    was a traceback after the inversion, true a limit of 1.2 that never warned (a review)."""
    folder = model_dir[0]
    config = json.loads((folder / "config.json").read_text())
    config["encoder"] = {"held_out": held}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFormatError, match="encoder.held_out"):
        load_model(folder)
