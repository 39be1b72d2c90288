"""The iterative encoder (inversion.restyle): starts as no correction, training makes its corrections
lower the reconstruction error, it ships in the model folder, the inverter's guess uses it, and a new
encoder retires it."""
import pytest
import torch
import torch.nn.functional as F

from inversion.encoder import Encoder, EncoderTrainConfig, save_encoder, train_encoder
from inversion.invert import Inverter
from inversion.perceptual import LPIPS
from inversion.restyle import (IterativeEncoder, RefinerTrainConfig, first_guess, load_refiner,
                               refine, save_refiner, train_refiner)
from tests.conftest import synthetic_images
from training.data import ImageSet
from training.modelfile import export_model, load_model
from training.networks import Discriminator, GANConfig, Generator

CFG = GANConfig(resolution=32, channels=1, latent_dim=16, width=8)


@pytest.fixture(scope="module")
def lpips():
    return LPIPS()


@pytest.fixture
def model_with_encoder(tmp_path, lpips):
    """A tiny model (PyTorch's default init, so G(z) varies with z) with a briefly trained encoder."""
    torch.manual_seed(0)
    out = export_model(tmp_path / "tiny", CFG, Generator(CFG).eval(), Discriminator(CFG).eval(),
                       {"data": {"name": "fashion-mnist/train"}})
    model = load_model(out)
    data = ImageSet(images=torch.from_numpy(synthetic_images(64)), name="synthetic")
    enc = Encoder.from_discriminator(CFG, model.discriminator)
    for _ in train_encoder(model, data, lpips, EncoderTrainConfig(steps=40, batch_size=32, lr=3e-3,
                                                                  real_fraction=0.0), enc):
        pass
    save_encoder(model, enc, {"steps": 40})
    return load_model(out), data


def held_out(model, n=64):
    with torch.no_grad():
        return model.decode(model.codes(n, seed=99))


def test_a_new_iterative_encoder_changes_nothing(model_with_encoder):
    model, _ = model_with_encoder
    enc = Encoder(CFG)
    net = IterativeEncoder.from_encoder(CFG, enc)
    x = held_out(model, 4)
    with torch.no_grad():
        codes = refine(model, net, x, enc(x), 3)
        assert len(codes) == 4
        for c in codes[1:]:
            assert torch.equal(c, codes[0])
        # the trunk reads the photo exactly as the encoder's does
        assert torch.allclose(net.trunk(torch.cat([x, torch.randn_like(x)], 1)), enc.trunk(x), atol=1e-5)


def test_training_makes_each_correction_help_and_it_ships_in_the_model_folder(model_with_encoder,
                                                                              lpips):
    model, data = model_with_encoder
    from inversion.encoder import load_encoder

    enc = load_encoder(model)
    x = held_out(model)

    def errors(net):
        with torch.no_grad():
            return [F.mse_loss(model.decode(c), x).item() for c in refine(model, net, x, enc(x), 3)]

    net = IterativeEncoder.from_encoder(CFG, enc)
    cfg = RefinerTrainConfig(steps=120, batch_size=32, lr=2e-3, iterations=3, real_fraction=0.0)
    steps = list(train_refiner(model, enc, data, lpips, cfg, net))
    assert sorted({s.iteration for s in steps}) == [0, 1, 2]  # every iteration trained
    err = errors(net)
    assert err[1] < 0.9 * err[0]  # the first correction helps on codes it never saw
    assert err[3] < err[0]

    save_refiner(model, net, {**cfg.to_dict()})
    reloaded = load_model(model.path)
    got, iterations = load_refiner(reloaded)
    assert iterations == 3
    inverter = Inverter.for_model(reloaded, lpips)
    with torch.no_grad():
        assert torch.equal(inverter.guess(x), refine(model, net.eval(), x, enc(x), 3)[-1])
        assert torch.equal(inverter.guess(x, iterations=0), enc(x))
        assert torch.equal(first_guess(reloaded, enc, None, x), enc(x))

    # a new encoder retires the iterative encoder trained on top of the old one
    save_encoder(reloaded, Encoder.from_discriminator(CFG, reloaded.discriminator), {"steps": 0})
    assert load_refiner(load_model(model.path)) is None


def test_the_cli_trains_it_on_top_of_the_encoder_and_refuses_without_one(model_with_encoder,
                                                                          tmp_path, capsys):
    from editing.cli import main

    model, _ = model_with_encoder
    assert main(["train-encoder", "--model", str(model.path), "--iterations", "2"]) == 2
    assert "--iterations goes with --iterative" in capsys.readouterr().err
    bare = export_model(tmp_path / "bare", CFG, model.generator, model.discriminator,
                        {"data": {"name": "fashion-mnist/train"}})
    assert main(["train-encoder", "--model", str(bare), "--iterative", "--steps", "1"]) != 0
    assert "has no encoder to refine" in capsys.readouterr().err


@pytest.mark.parametrize("iterations", ["four", 2.9, [1], 17, True])
def test_a_damaged_refiner_entry_is_one_message_before_anything_is_read(model_with_encoder, iterations):
    import json

    from training.modelfile import ModelFormatError

    model, _ = model_with_encoder
    save_refiner(model, IterativeEncoder(CFG), {"iterations": 3})
    path = model.path / "config.json"
    config = json.loads(path.read_text())
    config["refiner"]["iterations"] = iterations
    path.write_text(json.dumps(config))
    with pytest.raises(ModelFormatError, match="refiner.iterations"):
        load_model(model.path)
