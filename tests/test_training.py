"""The training loop: a short run writes its outputs; resume equals an uninterrupted run."""
import json

import torch

from training.augment import diff_augment
from training.checkpoint import read_checkpoint
from training.loop import TrainConfig, Trainer
from training.networks import Discriminator, GANConfig, Generator

TINY = GANConfig(resolution=32, channels=1, latent_dim=16, width=8)


def tiny_config(**kw) -> TrainConfig:
    base = dict(gan=TINY, data="synthetic", steps=20, batch_size=16, sample_every=10,
                checkpoint_every=10, seed=3)
    return TrainConfig(**{**base, **kw})


def test_networks_shapes_for_every_resolution():
    for res in (32, 64, 128):
        cfg = GANConfig(resolution=res, channels=3, latent_dim=8, width=4)
        x = Generator(cfg)(torch.randn(2, 8))
        assert x.shape == (2, 3, res, res) and x.abs().max() <= 1
        d = Discriminator(cfg)
        assert d(x).shape == (2,) and d.features(x).shape == (2, d.feature_dim)


def test_spectral_norm_bounds_the_discriminator_layers():
    d = Discriminator(GANConfig(width=8, spectral_norm=True)).train()
    for _ in range(20):  # power iterations converge
        d(torch.randn(2, 1, 32, 32))
    w = d.head.weight
    assert torch.linalg.matrix_norm(w, ord=2).item() < 1.05


def test_twenty_steps_write_checkpoint_grid_and_curve(tmp_path, tiny_set):
    t = Trainer(tiny_config(), tiny_set, tmp_path / "run")
    steps = list(t.steps())
    assert [s.step for s in steps] == list(range(1, 21))
    assert all(torch.isfinite(torch.tensor([s.d_loss, s.g_loss])).all() for s in steps)
    for name in ("checkpoint.safetensors", "samples.png", "losses.png", "run.json",
                 "samples/step_0000020.png"):
        assert (tmp_path / "run" / name).is_file(), name
    _, meta = read_checkpoint(tmp_path / "run" / "checkpoint.safetensors")
    assert meta["step"] == 20 and meta["train_config"]["loss"] == "hinge"
    assert json.loads((tmp_path / "run" / "run.json").read_text())["config"]["steps"] == 20


def test_resume_matches_uninterrupted_run(tmp_path, tiny_set):
    for loss in ("hinge", "wgan-gp"):
        full = Trainer(tiny_config(loss=loss, augment=("translation", "cutout", "color")),
                       tiny_set, tmp_path / f"full-{loss}")
        for _ in full.steps():
            pass
        first = Trainer(tiny_config(loss=loss, steps=10, augment=("translation", "cutout", "color")),
                        tiny_set, tmp_path / f"split-{loss}")
        for _ in first.steps():
            pass
        second = Trainer(tiny_config(loss=loss, augment=("translation", "cutout", "color")),
                         tiny_set, tmp_path / f"split-{loss}", resume=True)
        assert second.step == 10
        for _ in second.steps():
            pass
        for name in ("generator", "discriminator", "generator_ema"):
            a, b = full.modules[name].state_dict(), second.modules[name].state_dict()
            for k in a:
                assert torch.equal(a[k], b[k]), f"{loss} {name}.{k} differs after resume"


def test_wgan_clips_the_critic(tmp_path, tiny_set):
    t = Trainer(tiny_config(loss="wgan", steps=2, gan=GANConfig(latent_dim=16, width=8,
                                                               spectral_norm=False)),
                tiny_set, tmp_path / "run")
    for _ in t.steps():
        pass
    assert max(p.abs().max().item() for p in t.D.parameters()) <= 0.01 + 1e-7


def test_diff_augment_keeps_shape_and_gradients():
    x = torch.rand(4, 3, 32, 32, requires_grad=True)
    g = torch.Generator().manual_seed(0)
    y = diff_augment(x, ("translation", "cutout", "color"), g)
    assert y.shape == x.shape
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    # cutout zeroes a square of half the side: about a quarter of the pixels.
    z = diff_augment(torch.ones(8, 1, 32, 32), ("cutout",), g)
    assert (z == 0).float().mean().item() == 0.25
