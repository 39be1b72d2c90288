"""Pivotal tuning: a copy of the generator learns to draw the photo at the pivot, stays the original
generator around it, leaves the model's own weights alone, repeats exactly, and travels with the
code file into edits and recipes."""
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from inversion.perceptual import LPIPS
from inversion.tuning import TuneConfig, on_threads, tune, tuned_copy
from tests.conftest import make_editable_model
from training.modelfile import load_model


def test_tuning_draws_the_photo_at_the_pivot_and_the_locality_term_keeps_the_rest(tmp_path):
    model = load_model(make_editable_model(tmp_path / "tiny"))
    own = {k: v.clone() for k, v in model.generator.state_dict().items()}
    photo = torch.zeros(1, 1, 32, 32) - 1
    photo[..., 8:24, 10:22] = 0.8  # what the untrained generator cannot draw
    pivot = model.codes(1, seed=4)[0]
    lpips = LPIPS()
    cfg = TuneConfig(steps=30, lr=2e-3, w_locality=1.0, locality_every=2, tune_from=0)  # all layers
    runs = []
    for _ in range(2):
        g = tuned_copy(model)
        steps = list(tune(model, g, photo, pivot, lpips, cfg))
        runs.append((steps, g))
    steps, g = runs[0]
    assert steps[-1].loss < 0.6 * steps[0].loss
    assert all(torch.equal(v, own[k]) for k, v in model.generator.state_dict().items())
    assert all(torch.equal(a, b) for a, b in zip(g.state_dict().values(), runs[1][1].state_dict().values()))
    free = tuned_copy(model)  # the same tuning without the locality term
    list(tune(model, free, photo, pivot, lpips, TuneConfig(steps=30, lr=2e-3, w_locality=0.0, tune_from=0)))
    near = pivot + 3.0 * torch.randn(8, 16, generator=torch.Generator().manual_seed(9)) / 4
    with torch.no_grad():
        kept = (g(near) - model.generator(near)).abs().mean()
        drifted = (free(near) - model.generator(near)).abs().mean()
    assert kept < 0.7 * drifted


def test_tuning_from_a_map_size_leaves_the_coarser_layers_as_they_were(tmp_path):
    """TuneConfig.tune_from: the layers drawing maps smaller than it keep the model's weights (the
    sliders' changes of shape are made there); the finer ones learn the photo."""
    from inversion.tuning import layer_sides
    from training.errors import OptionError

    model = load_model(make_editable_model(tmp_path / "tiny"))
    sides = layer_sides(model, tuned_copy(model))
    # the linear projection takes the side of the first map it is reshaped into
    assert sides["project.0.weight"] == 4 and sides["blocks.0.weight"] == 8
    assert sides["blocks.6.weight"] == 32 and sorted(set(sides.values())) == [4, 8, 16, 32]
    photo = torch.zeros(1, 1, 32, 32) - 1
    photo[..., 8:24, 10:22] = 0.8
    pivot = model.codes(1, seed=4)[0]
    g = tuned_copy(model)
    steps = list(tune(model, g, photo, pivot, LPIPS(), TuneConfig(steps=20, lr=2e-3, tune_from=16)))
    assert steps[-1].loss < 0.8 * steps[0].loss
    own = model.generator.state_dict()
    for name, value in g.state_dict().items():
        if name in sides:  # parameters (batch-norm running statistics are not tuned)
            assert torch.equal(value, own[name]) == (sides[name] < 16), name
    with pytest.raises(OptionError, match="tuning from 64 px"):
        list(tune(model, tuned_copy(model), photo, pivot, None, TuneConfig(steps=1, tune_from=64)))



def test_tuned_weights_are_saved_as_the_layers_tuning_changed_and_load_back_exactly(tmp_path):
    """save_tuned writes only the tensors that differ from the model's generator (a fraction of the
    file), tied to that generator's hash; load_tuned rebuilds the whole tuned generator from them;
    a file tuned from another version of the model is refused, and a whole generator written by an
    earlier version still loads."""
    from inversion.tuning import load_tuned, save_tuned
    from training.modelfile import ModelFormatError, save_network

    model = load_model(make_editable_model(tmp_path / "tiny"))
    photo = torch.zeros(1, 1, 32, 32) - 1
    photo[..., 8:24, 10:22] = 0.8
    g = tuned_copy(model)
    list(tune(model, g, photo, model.codes(1, seed=4)[0], None,
              TuneConfig(steps=5, lr=2e-3, tune_from=16, w_lpips=0.0)))
    delta, whole = tmp_path / "delta.safetensors", tmp_path / "whole.safetensors"
    sha = save_tuned(delta, g, model)
    save_network(g, whole)
    assert delta.stat().st_size < 0.5 * whole.stat().st_size
    for path, digest in ((delta, sha), (whole, None)):
        loaded = load_tuned(model, path, digest).generator.state_dict()
        assert all(torch.equal(loaded[k], v) for k, v in g.state_dict().items()), path.name
    other = json.loads((model.path / "config.json").read_text())
    other["networks"]["generator"]["sha256"] = "0" * 64
    with pytest.raises(ModelFormatError, match="tuned from another version"):
        load_tuned(replace(model, config=other), delta, sha)
    with pytest.raises(ModelFormatError, match="does not match the SHA-256"):
        load_tuned(model, delta, "f" * 64)

def test_a_style_generators_layers_take_the_side_of_the_map_they_modulate(tmp_path):
    from inversion.tuning import layer_sides
    from training.architectures import build_discriminator, build_generator
    from training.modelfile import export_model
    from training.networks import GANConfig

    cfg = GANConfig(resolution=32, channels=1, latent_dim=16, width=8, generator="style")
    torch.manual_seed(0)
    folder = export_model(tmp_path / "style", cfg, build_generator(cfg), build_discriminator(cfg),
                          {"data": {"name": "fashion-mnist/train"}})
    model = load_model(folder)
    sides = layer_sides(model, tuned_copy(model))
    assert set(sides.values()) >= {4, 8, 16, 32}
    assert sides["synthesis_network.const"] == 4  # the learnt input, though its module draws 32 px
    # edits happen in w: the mapping network is not drawn through, so no tuning reaches it
    assert all(side == 0 for name, side in sides.items() if name.startswith("mapping"))


def test_tuned_weights_travel_with_the_code_into_edits_and_recipes(tmp_path, capsys):
    from editing.cli import main
    from tests.test_editing import photo_file

    model = make_editable_model(tmp_path / "tiny")
    photo = photo_file(tmp_path)
    code = tmp_path / "bag.npz"
    for command in (["invert", str(photo), "--out", str(tmp_path / "no.npz")],
                    ["edit", str(photo), "--attr", "first=2", "--out", str(tmp_path / "no.png")]):
        assert main([*command, "--model", str(model), "--tune", "--tune-from", "64"]) == 2
        assert "tuning from 64 px" in capsys.readouterr().err  # before any inversion
    assert not list(tmp_path.glob("no.*"))
    assert main(["invert", str(photo), "--model", str(model), "--out", str(code), "--steps", "3",
                 "--tune", "--tune-steps", "5", "--tune-from", "8", "--quiet"]) == 0
    assert (tmp_path / "bag.generator.safetensors").is_file()
    from inversion.invert import load_code

    tuned_entry = load_code(code)[1]["tuned_generator"]
    assert (tuned_entry["steps"], tuned_entry["tune_from"]) == (5, 8)
    assert load_code(code)[1]["version"] == 2  # its tuned layers alone: older versions refuse it
    for name, extra in (("plain.png", []), ("tuned.png", ["--code", str(code)])):
        assert main(["edit", str(photo), "--model", str(model), "--attr", "first=2", "--out",
                     str(tmp_path / name), *extra]) == 0
    recipe = json.loads((tmp_path / "tuned.png.recipe.json").read_text())
    assert recipe["tuned_generator"]["path"].endswith("bag.generator.safetensors") and recipe["version"] == 2
    assert main(["edit", "--recipe", str(tmp_path / "tuned.png.recipe.json"), "--out",
                 str(tmp_path / "again.png")]) == 0
    tuned, again = (np.asarray(Image.open(tmp_path / n)) for n in ("tuned.png", "again.png"))
    assert np.array_equal(tuned, again)
    assert not (tmp_path / "plain.png.generator.safetensors").exists()  # products: off by default

    assert main(["edit", str(photo), "--model", str(model), "--code", str(code), "--no-tune", "--attr",
                 "first=2", "--out", str(tmp_path / "own.png")]) == 0  # the code's tuning left out
    own = np.asarray(Image.open(tmp_path / "own.png"))
    assert json.loads((tmp_path / "own.png.recipe.json").read_text())["tuned_generator"] is None
    assert json.loads((tmp_path / "own.png.recipe.json").read_text())["version"] == 1
    assert not np.array_equal(own, tuned)
    assert main(["edit", str(photo), "--model", str(model), "--tune", "--tune-steps", "3", "--attr",
                 "first=2", "--out", str(tmp_path / "now.png")]) == 0  # inverted and tuned now
    assert (tmp_path / "now.png.generator.safetensors").is_file()
    assert main(["edit", "--recipe", str(tmp_path / "now.png.recipe.json"), "--out",
                 str(tmp_path / "now-again.png")]) == 0
    assert np.array_equal(*(np.asarray(Image.open(tmp_path / n)) for n in ("now.png", "now-again.png")))
    untuned_code = tmp_path / "plain.npz"
    assert main(["invert", str(photo), "--model", str(model), "--out", str(untuned_code), "--steps",
                 "3", "--quiet"]) == 0
    assert not (tmp_path / "plain.generator.safetensors").exists()
    assert main(["edit", str(photo), "--model", str(model), "--code", str(untuned_code), "--tune",
                 "--out", str(tmp_path / "y.png")]) == 2
    assert "plain.npz has no tuned generator" in capsys.readouterr().err
    for option in ("--tune-steps", "--tune-from"):  # the code file's tuning is used as it was made
        assert main(["edit", str(photo), "--model", str(model), "--code", str(code), option, "8",
                     "--out", str(tmp_path / "y.png")]) == 2
        assert "apply when the photo is inverted now" in capsys.readouterr().err
    assert not (tmp_path / "y.png").exists()

    (tmp_path / "bag.generator.safetensors").write_bytes(b"damaged")
    assert main(["edit", str(photo), "--model", str(model), "--code", str(code), "--out",
                 str(tmp_path / "x.png")]) == 2
    assert "does not match" in capsys.readouterr().err


def test_face_models_tune_by_default_and_no_tune_turns_it_off(tmp_path):
    from editing.cli import build_parser, wants_tuning
    from training.errors import UserError
    from training.modelfile import resolve_model

    try:
        face = load_model(resolve_model("celeba-64"))
    except UserError:
        pytest.skip("the face model is not in assets/models")
    product = load_model(make_editable_model(tmp_path / "tiny"))
    parse = build_parser().parse_args
    for command in (["invert", "p.png", "--out", "c.npz"], ["edit", "p.png", "--out", "e.png"]):
        assert wants_tuning(parse(command), face) and not wants_tuning(parse(command), product)
        assert not wants_tuning(parse(command + ["--no-tune"]), face)
        assert wants_tuning(parse(command + ["--tune"]), product)


def test_tuning_sets_its_thread_count_and_gives_it_back_when_stopped():
    before, seen = torch.get_num_threads(), []

    def steps():
        while True:
            seen.append(torch.get_num_threads())
            yield len(seen)

    running = on_threads(steps(), before + 1)
    assert [next(running), next(running)] == [1, 2] and seen == [before + 1] * 2
    running.close()  # as the editor's worker stops a cancelled job
    assert torch.get_num_threads() == before
