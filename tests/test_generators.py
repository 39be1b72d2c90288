"""The style generator, the projected discriminator and the vision-aided ensemble (DCGAN +
projected): shapes, frozen parts, per-part losses, truncation, determinism, the model format (strict
round trip, old configs), the encoder's trunk and resume."""
import json
from dataclasses import replace

import pytest
import torch
from safetensors.torch import load_file

from training.architectures import build_discriminator, build_generator
from training.loop import TrainConfig, Trainer
from training.modelfile import export_model, load_model
from training.losses import d_hinge, d_nonsaturating, g_wasserstein, per_part
from training.networks import ADDED_FIELDS, GANConfig
from training.projected import ProjectedDiscriminator, VisionAidedDiscriminator
from training.style import StyleGenerator

STYLE = GANConfig(resolution=32, channels=1, latent_dim=16, width=8, generator="style",
                  discriminator="projected")


def tiny_config(**kw) -> TrainConfig:
    base = dict(gan=STYLE, data="synthetic", steps=6, batch_size=8, sample_every=3,
                checkpoint_every=3, seed=3, augment=("translation", "cutout", "color"))
    return TrainConfig(**{**base, **kw})


def step_keeping_frozen(t) -> set[str]:
    """One training step of trainer `t`, checking that the discriminator's optimiser holds its
    parameters and no buffer, and that its frozen state (AlexNet, projections) is bit-identical
    after the step; the names of the parameters the step moved."""
    frozen = {k: v.clone() for k, v in t.D.frozen_state().items()}
    before = {k: v.clone() for k, v in t.D.named_parameters()}
    optimised = {id(p) for g in t.opt_d.param_groups for p in g["params"]}
    assert optimised == {id(p) for p in t.D.parameters()}
    assert not optimised & {id(b) for b in t.D.buffers()}
    t.train_step()
    for k, v in t.D.frozen_state().items():
        assert torch.equal(v, frozen[k]), f"{k} changed in training"
    return {k for k, v in t.D.named_parameters() if not torch.equal(v, before[k])}


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
    assert len(t.D.frozen_state()) == 10 + 4 + 3  # AlexNet weights and biases, channel and scale projections
    assert step_keeping_frozen(t), "no trained weight moved"


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


@pytest.mark.parametrize("gan", [STYLE, GANConfig(**{**STYLE.to_dict(), "generator": "dcgan",
                                                      "discriminator": "dcgan+projected"})])
def test_resume_matches_uninterrupted_run_for_the_new_networks(tmp_path, tiny_set, gan):
    full = Trainer(tiny_config(gan=gan), tiny_set, tmp_path / "full")
    for _ in full.steps():
        pass
    first = Trainer(tiny_config(gan=gan, steps=3), tiny_set, tmp_path / "split")
    for _ in first.steps():
        pass
    second = Trainer(tiny_config(gan=gan), tiny_set, tmp_path / "split", resume=True)
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


ENSEMBLE = GANConfig(resolution=32, channels=1, latent_dim=16, width=8, discriminator="dcgan+projected")


@pytest.mark.parametrize("res,channels", [(32, 1), (64, 3)])
def test_vision_aided_discriminator_holds_both_and_answers_per_part(res, channels):
    torch.manual_seed(0)
    cfg = GANConfig(resolution=res, channels=channels, width=4, discriminator="dcgan+projected")
    d = build_discriminator(cfg)
    assert isinstance(d, VisionAidedDiscriminator) and d.parts == ("dcgan", "projected")
    x = (torch.rand(3, channels, res, res) * 2 - 1).requires_grad_(True)
    with torch.no_grad():  # eval: spectral norm's power iteration stands still between calls
        d.eval()
        parts = d(x, parts=True)
        assert parts.shape == (3, 2) and d(x).shape == (3,)
        assert torch.equal(parts[:, 0], d.dcgan(x)) and torch.equal(parts[:, 1], d.projected(x))
        assert torch.allclose(d(x), parts.sum(1))  # downstream realism: the sum of both judges
        assert d.features(x).shape == (3, d.dcgan.feature_dim) and d.trunk is d.dcgan.trunk
        d.train()
    # Each part's own loss reaches every trainable weight of both parts, and the image. (Not the
    # hinge: at initialisation its gradient on the last biases is exactly zero, -1 + 1.)
    per_part(d_nonsaturating, (1.0, 1.0), d(x, parts=True), d(x.flip(0), parts=True)).backward()
    assert x.grad.abs().sum() > 0
    for name, p in d.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    # One copy of each weight (the trunk is a property, not a second registration); no AlexNet.
    keys = set(d.state_dict())
    assert not any(k.startswith(("trunk.", "projected.backbone")) for k in keys)
    assert {"dcgan.head.parametrizations.weight.original", "projected.ccm0"} <= keys


def test_per_part_is_a_sum_of_losses_not_a_loss_of_the_sum():
    real = torch.tensor([[2.0, -1.0]])  # (B=1, K=2): the DCGAN part sure, the projected one fooled
    fake = torch.tensor([[-2.0, -2.0]])
    assert per_part(d_hinge, (1.0, 1.0), real, fake).item() == 2.0  # relu(1 - 2) + relu(1 + 1)
    assert d_hinge(real.sum(1), fake.sum(1)).item() == 0.0  # what a hinge of the sum would give
    assert per_part(d_hinge, (1.0, 0.5), real, fake).item() == 1.0
    single = torch.tensor([[0.3], [-0.7]])
    assert torch.equal(per_part(g_wasserstein, (1.0,), single), g_wasserstein(single[:, 0]))


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_vision_aided_training_step_trains_each_part_by_its_weight_and_keeps_alexnet_frozen(
        tmp_path, tiny_set, weight):
    # nonsaturating: the hinge's first-step gradient on the last biases is exactly zero (-1 + 1)
    t = Trainer(tiny_config(gan=ENSEMBLE, projected_weight=weight, loss="nonsaturating"), tiny_set,
                tmp_path / "run")
    assert t.part_weights == (1.0, weight)
    frozen = t.D.frozen_state()
    assert len(frozen) == 10 + 4 + 3 and all(k.startswith("projected.") for k in frozen)
    before = {k for k, _ in t.D.named_parameters()}
    moved = step_keeping_frozen(t)
    assert {k for k in before if k.startswith("dcgan.")} <= moved
    projected = {k for k in before if k.startswith("projected.")}
    # A zero weight gives the projected heads zero gradients (Adam then leaves them as they are).
    assert (projected <= moved) if weight else not (projected & moved)


def test_vision_aided_model_exports_and_loads_strictly(tmp_path):
    torch.manual_seed(0)
    G, D = build_generator(ENSEMBLE).eval(), build_discriminator(ENSEMBLE).eval()
    out = export_model(tmp_path / "va", ENSEMBLE, G, D, {"data": {"name": "synthetic"}})
    stored = load_file(str(out / "discriminator.safetensors"))
    assert set(stored) == set(D.state_dict()) and not any("backbone" in k for k in stored)
    m = load_model(out)
    assert m.gan.discriminator == "dcgan+projected" and isinstance(m.discriminator, VisionAidedDiscriminator)
    x = G(torch.randn(2, 16)).detach()
    with torch.no_grad():
        assert torch.equal(m.discriminator(x, parts=True), D(x, parts=True))
        assert torch.equal(m.discriminator(x), D(x)) and m.discriminator(x).shape == (2,)
        assert torch.equal(m.discriminator.features(x), D.features(x))
    # Strict: a head missing from either part is refused, not silently left at its initial value.
    for key in ("dcgan.head.bias", "projected.logit.0.bias"):
        state = dict(stored)
        state.pop(key)
        with pytest.raises(RuntimeError, match="Missing key"):
            build_discriminator(ENSEMBLE).load_state_dict(state, strict=True)


def test_an_encoder_starts_from_the_vision_aided_discriminators_dcgan_trunk():
    from inversion.encoder import Encoder

    torch.manual_seed(0)
    D = build_discriminator(ENSEMBLE).eval()
    enc = Encoder.from_discriminator(ENSEMBLE, D)
    x = torch.rand(2, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        assert enc(x).shape == (2, 16)
        assert torch.allclose(enc.trunk(x), D.features(x), atol=1e-5)  # the copied trunk
        assert not torch.allclose(enc.trunk(x), torch.zeros(1))


def test_cli_vision_aided_turns_diffaugment_on_and_takes_the_weight(tmp_path):
    from training.cli import build_parser, train_config_from_args

    args = build_parser().parse_args(["train", "--out", str(tmp_path), "--discriminator",
                                      "dcgan+projected", "--projected-weight", "0.5"])
    cfg = train_config_from_args(args)
    assert cfg.gan.discriminator == "dcgan+projected" and cfg.projected_weight == 0.5
    assert cfg.augment == ("translation", "cutout", "color")


def test_long_run_keeps_the_best_export_and_never_loses_the_previous_one(tmp_path):
    """benchmarks.long_run --watch: a better export replaces the kept one, which goes only once the
    new one is in place; one left aside by a stop between the two moves comes back first."""
    from benchmarks.long_run import keep_best

    best = tmp_path / "run-best-model"
    for step in (300, 600):
        out = tmp_path / f"tmp{step}" / best.name
        out.mkdir(parents=True)
        (out / "config.json").write_text(json.dumps({"step": step}))
        keep_best(out, best)
        assert json.loads((best / "config.json").read_text()) == {"step": step}
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-best-model", "tmp300", "tmp600"]
    best.rename(tmp_path / "run-best-model.previous")  # stopped between keep_best's two moves
    out = tmp_path / "tmp900" / best.name
    out.mkdir(parents=True)
    (out / "config.json").write_text(json.dumps({"step": 900}))
    keep_best(out, best)
    assert json.loads((best / "config.json").read_text()) == {"step": 900}
    assert not (tmp_path / "run-best-model.previous").exists()


@pytest.mark.parametrize("kind", ["dcgan", "projected", "dcgan+projected"])
def test_the_critic_scores_as_the_discriminator_bit_for_bit_and_leaves_it_as_trained(tmp_path, kind):
    """GANModel.critic folds the spectral normalisations into plain weights (a third faster):
    the same logits and input gradients, and the discriminator keeps its normalised layers."""
    from torch.nn.utils import parametrize

    gan = GANConfig(resolution=32, channels=1, latent_dim=16, width=8, discriminator=kind)
    torch.manual_seed(0)
    G, D = build_generator(gan).eval(), build_discriminator(gan).eval()
    for _ in range(3):  # power iterations in training mode: u and v are not the initial ones
        D.train()(torch.randn(4, 1, 32, 32))
    m = load_model(export_model(tmp_path / kind, gan, G, D.eval(), {"data": {"name": "synthetic"}}))
    critic = m.critic
    assert critic is m.critic  # folded once
    assert not any(parametrize.is_parametrized(mod) for mod in critic.modules())
    assert any(parametrize.is_parametrized(mod) for mod in m.discriminator.modules())
    x = G(torch.randn(3, 16)).detach().requires_grad_(True)
    y = x.detach().clone().requires_grad_(True)
    assert torch.equal(critic(x), m.discriminator(y))
    critic(x).sum().backward()
    m.discriminator(y).sum().backward()
    assert torch.equal(x.grad, y.grad)
    assert not any(p.requires_grad for p in critic.parameters())
    unnormalised = load_model(export_model(tmp_path / "plain", replace(gan, spectral_norm=False), G,
                                           build_discriminator(replace(gan, spectral_norm=False)).eval(),
                                           {"data": {"name": "synthetic"}}))
    assert unnormalised.critic is unnormalised.discriminator  # nothing to fold


def test_a_student_learns_its_teachers_pictures_resumes_exactly_and_exports_its_teacher(tmp_path, tiny_set):
    """--teacher (knowledge distillation): G also imitates a trained generator code for code; the
    run records the teacher's place and generator, goes on exactly, and refuses another teacher."""
    import shutil

    from training.cli import main as gan_main
    from training.errors import OptionError
    from training.loop import load_teacher, resumed_config, with_teacher

    gan = GANConfig(resolution=32, channels=1, latent_dim=16, width=8)
    torch.manual_seed(1)
    wide = replace(gan, width=16)
    teacher = export_model(tmp_path / "teacher", wide, build_generator(wide).eval(),
                           build_discriminator(wide).eval(), {"data": {"name": "synthetic"}})
    base = TrainConfig(gan=gan, data="synthetic", batch_size=8, sample_every=50, checkpoint_every=20,
                       seed=3, loss="lsgan", steps=40)
    taught_cfg = with_teacher(base, str(teacher))
    assert taught_cfg.teacher == str(teacher.resolve()) and len(taught_cfg.teacher_sha256) == 64
    z = torch.randn(32, 16, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        taught = load_teacher(taught_cfg, torch.device("cpu"))(z)
    gaps = {}
    for name, cfg in (("alone", base), ("taught", taught_cfg)):
        t = Trainer(cfg, tiny_set, tmp_path / name)
        for _ in t.steps():
            pass
        with torch.no_grad():
            gaps[name] = float((t.G.eval()(z) - taught).abs().mean())
    assert gaps["taught"] < 0.5 * gaps["alone"], gaps
    # Resumed from the run's own config, with the teacher moved meanwhile: the same as uninterrupted.
    split = Trainer(replace(taught_cfg, steps=20), tiny_set, tmp_path / "split")
    for _ in split.steps():
        pass
    shutil.move(teacher, tmp_path / "moved")
    with pytest.raises(OptionError, match="give its new place with --teacher"):
        Trainer(resumed_config(tmp_path / "split", steps=40), tiny_set, tmp_path / "split", resume=True)
    again = Trainer(resumed_config(tmp_path / "split", steps=40, teacher=str(tmp_path / "moved")),
                    tiny_set, tmp_path / "split", resume=True)
    for _ in again.steps():
        pass
    full = Trainer(replace(taught_cfg, teacher=str(tmp_path / "moved")), tiny_set, tmp_path / "full")
    for _ in full.steps():
        pass
    for k, v in full.G.state_dict().items():
        assert torch.equal(v, again.G.state_dict()[k]), k
    assert gan_main(["export", str(tmp_path / "full"), "--out", str(tmp_path / "student")]) == 0
    recipe = json.loads((tmp_path / "student" / "config.json").read_text())["training"]
    assert recipe["teacher_sha256"] == taught_cfg.teacher_sha256 and recipe["teacher_weight"] == 10.0
    other = export_model(tmp_path / "other", wide, build_generator(wide).eval(),
                         build_discriminator(wide).eval(), {"data": {"name": "synthetic"}})
    with pytest.raises(OptionError, match="not the one this run was taught by"):
        resumed_config(tmp_path / "split", teacher=str(other))
    with pytest.raises(OptionError, match="--teacher"):  # another kind of code
        load_teacher(replace(taught_cfg, teacher=str(other), teacher_sha256=None,
                             gan=replace(gan, latent_dim=8)), torch.device("cpu"))


def test_a_tuned_model_shares_its_models_critic(tmp_path):
    from inversion.tuning import tuned_model

    gan = GANConfig(resolution=32, channels=1, latent_dim=16, width=8)
    torch.manual_seed(0)
    m = load_model(export_model(tmp_path / "m", gan, build_generator(gan).eval(),
                                build_discriminator(gan).eval(), {"data": {"name": "synthetic"}}))
    critic = m.critic
    tuned = tuned_model(m, build_generator(gan))
    assert tuned.critic is critic and tuned.generator is not m.generator
    assert tuned.discriminator is m.discriminator
