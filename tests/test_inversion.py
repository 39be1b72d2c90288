"""Inversion: optimisation lowers the loss, can stop mid-way, the encoder starts as D's trunk."""
import numpy as np
import pytest
import torch
from PIL import Image

from inversion.encoder import (Encoder, EncoderTrainConfig, encoder_losses, load_encoder,
                               save_encoder, train_encoder)
from inversion.invert import Inverter, load_code
from inversion.optimize import InvertConfig, optimize, starting_codes
from inversion.perceptual import LPIPS
from tests.conftest import synthetic_images
from training.data import ImageSet
from training.modelfile import export_model, load_model
from training.networks import Discriminator, GANConfig, Generator

CFG = GANConfig(resolution=32, channels=1, latent_dim=16, width=8)


@pytest.fixture(scope="module")
def lpips():
    return LPIPS()


@pytest.fixture
def tiny_model(tmp_path):
    torch.manual_seed(0)
    G, D = Generator(CFG), Discriminator(CFG)  # PyTorch's default init: G(z) varies with z
    out = export_model(tmp_path / "tiny", CFG, G.eval(), D.eval(),
                       {"data": {"name": "fashion-mnist/train"}})
    return load_model(out)


def test_twenty_steps_lower_the_loss(tiny_model, lpips):
    G = tiny_model.generator
    target = G(torch.randn(2, 16, generator=torch.Generator().manual_seed(5))).detach()
    cfg = InvertConfig(steps=20, starts=3, patience=100)
    steps = list(optimize(G, target, starting_codes(torch.zeros(2, 16), cfg), lpips, cfg))
    assert len(steps) == 20 and steps[-1].done
    assert (steps[-1].loss < 0.7 * steps[0].loss).all()
    assert (np.diff([s.loss.sum().item() for s in steps]) <= 1e-7).all()  # best-so-far never rises


def test_stopping_midway_leaves_a_usable_best_so_far_code(tiny_model, lpips):
    G = tiny_model.generator
    target = G(torch.randn(1, 16)).detach()
    cfg = InvertConfig(steps=200, starts=2)
    run = optimize(G, target, starting_codes(torch.zeros(1, 16), cfg), lpips, cfg)
    for step in run:
        if step.step == 7:
            break
    run.close()
    assert step.z.shape == (1, 16) and torch.isfinite(step.z).all()
    with torch.no_grad():
        assert torch.allclose(G(step.z), step.preview, atol=1e-5)  # preview shows that code
    assert not step.done


def test_masked_optimisation_ignores_unknown_pixels(tiny_model):
    G = tiny_model.generator
    target = G(torch.randn(1, 16)).detach()
    mask = torch.ones_like(target)
    mask[..., 16:] = 0
    scrambled = target.clone()
    scrambled[..., 16:] = 1.0  # garbage where the mask says unknown
    cfg = InvertConfig(steps=15, starts=1, patience=100, w_lpips=0)
    a = list(optimize(G, target, starting_codes(torch.zeros(1, 16), cfg), None, cfg, mask))[-1]
    b = list(optimize(G, scrambled, starting_codes(torch.zeros(1, 16), cfg), None, cfg, mask))[-1]
    assert torch.allclose(a.z, b.z)


def test_encoder_starts_as_the_discriminator_trunk(tiny_model):
    enc = Encoder.from_discriminator(CFG, tiny_model.discriminator)
    x = torch.rand(3, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(enc.trunk(x), tiny_model.discriminator.features(x), atol=1e-5)
        assert enc(x).shape == (3, 16)


def test_encoder_training_lowers_its_loss_and_ships_in_the_model_folder(tiny_model, lpips):
    data = ImageSet(images=torch.from_numpy(synthetic_images(64)), name="synthetic")
    enc = Encoder.from_discriminator(CFG, tiny_model.discriminator)
    cfg = EncoderTrainConfig(steps=150, batch_size=32, lr=3e-3, real_fraction=0.0)
    z = torch.randn(256, 16, generator=torch.Generator().manual_seed(1))

    def held_out_loss():
        with torch.no_grad():
            return encoder_losses(enc.eval(), tiny_model.generator, lpips, cfg, None, z).item()

    before = held_out_loss()
    for _ in train_encoder(tiny_model, data, lpips, cfg, enc):
        pass
    assert held_out_loss() < 0.7 * before
    save_encoder(tiny_model, enc, {"steps": 60})
    reloaded = load_model(tiny_model.path)
    enc2 = load_encoder(reloaded)
    x = torch.rand(2, 1, 32, 32)
    with torch.no_grad():
        assert torch.equal(enc2(x), enc.eval()(x))
    assert reloaded.config["encoder"]["steps"] == 60
    assert torch.equal(reloaded.generator.project[0].weight, tiny_model.generator.project[0].weight)


def test_invert_cli_writes_code_and_preview(tiny_model, tmp_path, capsys):
    from editing.cli import main

    enc = Encoder.from_discriminator(CFG, tiny_model.discriminator)
    save_encoder(tiny_model, enc, {"steps": 0})
    img = np.full((120, 90, 3), 250, np.uint8)
    img[20:100, 30:60] = 30
    Image.fromarray(img).save(tmp_path / "shirt.png")
    code, preview = tmp_path / "shirt.npz", tmp_path / "recon.png"
    assert main(["invert", str(tmp_path / "shirt.png"), "--model", str(tiny_model.path),
                 "--out", str(code), "--preview", str(preview), "--steps", "5", "--quiet"]) == 0
    z, meta = load_code(code)
    assert z.shape == (16,) and meta["model_id"] == tiny_model.model_id
    assert meta["mapping"]["photo_size"] == [90, 120]
    assert Image.open(preview).size == (256, 256)
    Image.fromarray(np.full((50, 50, 3), 128, np.uint8)).save(tmp_path / "blank.png")
    assert main(["invert", str(tmp_path / "blank.png"), "--model", str(tiny_model.path),
                 "--out", str(code), "--quiet"]) == 2
    assert "--whole-image" in capsys.readouterr().err
    (tmp_path / "notes.png").write_text("hello")
    assert main(["invert", str(tmp_path / "notes.png"), "--model", str(tiny_model.path),
                 "--out", str(code), "--quiet"]) == 2
    assert "notes.png: not an image" in capsys.readouterr().err


def test_inverter_without_encoder_says_how_to_get_one(tiny_model):
    from inversion.invert import InversionError

    inv = Inverter(tiny_model, None, None)
    with pytest.raises(InversionError, match="train-encoder"):
        inv.invert(torch.zeros(1, 1, 32, 32), "hybrid")
