"""Pivotal tuning: a copy of the generator learns to draw the photo at the pivot, stays the original
generator around it, leaves the model's own weights alone, repeats exactly, and travels with the
code file into edits and recipes."""
import json

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
    cfg = TuneConfig(steps=30, lr=2e-3, w_locality=1.0, locality_every=2)
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
    list(tune(model, free, photo, pivot, lpips, TuneConfig(steps=30, lr=2e-3, w_locality=0.0)))
    near = pivot + 3.0 * torch.randn(8, 16, generator=torch.Generator().manual_seed(9)) / 4
    with torch.no_grad():
        kept = (g(near) - model.generator(near)).abs().mean()
        drifted = (free(near) - model.generator(near)).abs().mean()
    assert kept < 0.7 * drifted


def test_tuned_weights_travel_with_the_code_into_edits_and_recipes(tmp_path, capsys):
    from editing.cli import main
    from tests.test_editing import photo_file

    model = make_editable_model(tmp_path / "tiny")
    photo = photo_file(tmp_path)
    code = tmp_path / "bag.npz"
    assert main(["invert", str(photo), "--model", str(model), "--out", str(code), "--steps", "3",
                 "--tune", "--tune-steps", "5", "--quiet"]) == 0
    assert (tmp_path / "bag.generator.safetensors").is_file()
    for name, extra in (("plain.png", []), ("tuned.png", ["--code", str(code)])):
        assert main(["edit", str(photo), "--model", str(model), "--attr", "first=2", "--out",
                     str(tmp_path / name), *extra]) == 0
    recipe = json.loads((tmp_path / "tuned.png.recipe.json").read_text())
    assert recipe["tuned_generator"]["path"].endswith("bag.generator.safetensors")
    assert main(["edit", "--recipe", str(tmp_path / "tuned.png.recipe.json"), "--out",
                 str(tmp_path / "again.png")]) == 0
    tuned, again = (np.asarray(Image.open(tmp_path / n)) for n in ("tuned.png", "again.png"))
    assert np.array_equal(tuned, again)
    assert not (tmp_path / "plain.png.generator.safetensors").exists()  # products: off by default

    assert main(["edit", str(photo), "--model", str(model), "--code", str(code), "--no-tune", "--attr",
                 "first=2", "--out", str(tmp_path / "own.png")]) == 0  # the code's tuning left out
    own = np.asarray(Image.open(tmp_path / "own.png"))
    assert json.loads((tmp_path / "own.png.recipe.json").read_text())["tuned_generator"] is None
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
