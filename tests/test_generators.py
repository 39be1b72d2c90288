"""The style generator and the projected discriminator: shapes, frozen parts, truncation,
determinism, the model format (strict round trip, old configs) and resume."""
import json

import pytest
import torch
from safetensors.torch import load_file

from training.architectures import build_discriminator, build_generator
from training.loop import TrainConfig, Trainer
from training.modelfile import export_model, load_model
from training.networks import ADDED_FIELDS, GANConfig
from training.projected import ProjectedDiscriminator
from training.style import StyleGenerator

STYLE = GANConfig(resolution=32, channels=1, latent_dim=16, width=8, generator="style",
                  discriminator="projected")


def tiny_config(**kw) -> TrainConfig:
    base = dict(gan=STYLE, data="synthetic", steps=6, batch_size=8, sample_every=3,
                checkpoint_every=3, seed=3, augment=("translation", "cutout", "color"))
    return TrainConfig(**{**base, **kw})


@pytest.mark.parametrize("res,channels", [(32, 1), (64, 3)])
def test_projected_discriminator_shapes_and_gradients(res, channels):
    torch.manual_seed(0)
    d = ProjectedDiscriminator(GANConfig(resolution=res, channels=channels, width=4,
                                         discriminator="projected"))
    x = (torch.rand(2, channels, res, res) * 2 - 1).requires_grad_(True)
    logits, feats = d(x), d.features(x)
    assert logits.shape == (2,) and feats.shape == (2, d.feature_dim)
    logits.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0  # the generator learns through AlexNet
    assert all(p.grad is not None for p in d.parameters())
    # Frozen parts are buffers, never parameters; AlexNet stays out of the state dict.
    names = {n for n, _ in d.named_parameters()}
    assert not any(n.startswith(("backbone", "ccm", "csm")) for n in names)
    assert not any(k.startswith("backbone") for k in d.state_dict())
    assert {"ccm0", "csm0"} <= set(d.state_dict())


def test_projected_feature_network_stays_frozen_through_a_train_step(tmp_path, tiny_set):
    t = Trainer(tiny_config(gan=GANConfig(**{**STYLE.to_dict(), "generator": "dcgan"})),
                tiny_set, tmp_path / "run")
    frozen = {k: v.clone() for k, v in t.D.frozen_state().items()}
    heads = {k: v.clone() for k, v in t.D.named_parameters()}
    assert len(frozen) == 10 + 4 + 3  # AlexNet weights and biases, channel and scale projections
    optimised = {id(p) for g in t.opt_d.param_groups for p in g["params"]}
    assert optimised == {id(p) for p in t.D.parameters()}
    assert not optimised & {id(b) for b in t.D.buffers()}
    t.train_step()
    for k, v in t.D.frozen_state().items():
        assert torch.equal(v, frozen[k]), f"{k} changed in training"
    assert any(not torch.equal(v, heads[k]) for k, v in t.D.named_parameters())


def test_style_generator_mapping_truncation_and_determinism():
    torch.manual_seed(0)
    G = StyleGenerator(STYLE)
    with torch.no_grad():
        G.mapping.w_avg.normal_()  # as if trained
    G.eval()
    z = torch.randn(3, 16)
    w = G.mapping(z)
    assert w.shape == (3, 16)
    assert G(z).shape == (3, 1, 32, 32) and G(z).abs().max() <= 1
    assert torch.equal(G(z), G(z))  # eval: fixed noise, same z -> same image
    assert torch.equal(G(z), G.synthesis(w))
    z2 = torch.randn(3, 16)
    at_mean = G.synthesis(G.w_avg.expand(3, -1))
    assert torch.allclose(G(z, truncation=0), at_mean, atol=1e-6)
    assert torch.allclose(G(z2, truncation=0), at_mean, atol=1e-6)
    assert not torch.allclose(G(z, truncation=0.5), at_mean)
    assert torch.equal(G(z, noise_mode="none"), G(z, noise_mode="none"))


def test_style_training_tracks_w_avg_and_the_ema_copy_gets_it(tmp_path, tiny_set):
    t = Trainer(tiny_config(gan=GANConfig(**{**STYLE.to_dict(), "discriminator": "dcgan"})),
                tiny_set, tmp_path / "run")
    assert t.G.w_avg.abs().sum() == 0
    t.train_step()
    assert t.G.w_avg.abs().sum() > 0
    assert torch.equal(t.G_ema.w_avg, t.G.w_avg)


def test_style_model_exports_and_loads_strictly_in_w(tmp_path):
    torch.manual_seed(0)
    G, D = build_generator(STYLE).eval(), build_discriminator(STYLE).eval()
    with torch.no_grad():
        G.mapping.w_avg.normal_()
    out = export_model(tmp_path / "style", STYLE, G, D, {"data": {"name": "synthetic"}})
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["latent_space"] == "w" and cfg["architecture"] == "style"
    assert cfg["gan"]["generator"] == "style" and cfg["gan"]["discriminator"] == "projected"
    assert torch.equal(load_file(str(out / "generator.safetensors"))["mapping.w_avg"], G.w_avg)
    assert not any(k.startswith("backbone") for k in load_file(str(out / "discriminator.safetensors")))
    m = load_model(out)
    assert m.latent_space == "w" and isinstance(m.generator, StyleGenerator)
    z = torch.randn(2, 16)
    with torch.no_grad():
        assert torch.equal(m.generator(z), G(z))
        assert torch.equal(m.generator.w_avg, G.w_avg)
        assert torch.equal(m.discriminator(G(z)), D(G(z)))
        assert torch.equal(m.discriminator.features(G(z)), D.features(G(z)))
    # Strict: a w_avg missing from the weights is refused, not silently zeroed.
    state = load_file(str(out / "generator.safetensors"))
    state.pop("mapping.w_avg")
    G2 = build_generator(STYLE)
    with pytest.raises(RuntimeError, match="w_avg"):
        G2.load_state_dict(state, strict=True)


def test_an_old_z_model_config_without_the_new_fields_loads_as_before(tmp_path):
    old = GANConfig(resolution=32, channels=1, latent_dim=16, width=8)
    torch.manual_seed(0)
    G, D = build_generator(old).eval(), build_discriminator(old).eval()
    out = export_model(tmp_path / "old", old, G, D, {"data": {"name": "synthetic"}})
    cfg = json.loads((out / "config.json").read_text())
    for k in ADDED_FIELDS:
        del cfg["gan"][k]
    del cfg["latent_space"]
    (out / "config.json").write_text(json.dumps(cfg))
    m = load_model(out)
    assert m.gan == old and m.latent_space == "z"
    z = torch.randn(2, 16)
    with torch.no_grad():
        assert torch.equal(m.generator(z), G(z))


def test_resume_matches_uninterrupted_run_for_the_new_networks(tmp_path, tiny_set):
    full = Trainer(tiny_config(), tiny_set, tmp_path / "full")
    for _ in full.steps():
        pass
    first = Trainer(tiny_config(steps=3), tiny_set, tmp_path / "split")
    for _ in first.steps():
        pass
    second = Trainer(tiny_config(), tiny_set, tmp_path / "split", resume=True)
    assert second.step == 3
    for _ in second.steps():
        pass
    for name in ("generator", "discriminator", "generator_ema"):
        a, b = full.modules[name].state_dict(), second.modules[name].state_dict()
        assert a.keys() == b.keys()
        for k in a:
            assert torch.equal(a[k], b[k]), f"{name}.{k} differs after resume"


def test_cli_projected_turns_diffaugment_on_unless_told(tmp_path):
    from training.cli import build_parser, train_config_from_args

    def config(*extra):
        return train_config_from_args(build_parser().parse_args(["train", "--out", str(tmp_path),
                                                                 *extra]))
    assert config().augment == () and config().gan.discriminator == "dcgan"
    cfg = config("--discriminator", "projected", "--generator", "style")
    assert cfg.augment == ("translation", "cutout", "color") and cfg.gan.generator == "style"
    assert config("--discriminator", "projected", "--augment", "").augment == ()


def test_an_encoder_can_start_from_a_projected_discriminator():
    from inversion.encoder import Encoder

    cfg = GANConfig(resolution=32, channels=1, latent_dim=16, width=4, discriminator="projected")
    enc = Encoder.from_discriminator(cfg, build_discriminator(cfg))  # nothing to copy: a fresh trunk
    assert enc(torch.zeros(2, 1, 32, 32)).shape == (2, 16)


def test_a_loaded_model_decodes_codes_in_its_own_space(tmp_path):
    torch.manual_seed(0)
    for cfg in (STYLE, GANConfig(resolution=32, channels=1, latent_dim=16, width=8)):
        G, D = build_generator(cfg).eval(), build_discriminator(cfg).eval()
        m = load_model(export_model(tmp_path / cfg.generator, cfg, G, D, {"data": {}}))
        codes = m.codes(3, seed=1)
        assert codes.shape == (3, 16) and m.mean_code().shape == (16,)
        with torch.no_grad():
            assert torch.equal(m.decode(codes), m.sample(3, seed=1))  # codes of seed 1 = samples
