"""Region-limited sliders (editing.region): the code keeps the rest, the carry-back masks to the
region, and the recipe rebuilds the export."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from editing.region import limit_to_region
from editing.vectors import apply_sliders, model_vectors
from tests.conftest import make_editable_model
from training.modelfile import load_model


@pytest.fixture
def model(tmp_path):
    return load_model(make_editable_model(tmp_path / "tiny"))


def test_the_solved_code_keeps_the_image_outside_the_region(model):
    z0 = model.codes(1, seed=3)[0]
    slid = apply_sliders(z0, model_vectors(model), {"first": 3.0})
    region = torch.zeros(32, 32)
    region[:, :16] = 1
    z = limit_to_region(model, z0, slid, region)
    with torch.no_grad():
        before, after_slider, limited = model.decode(torch.stack([z0, slid, z]))
    outside = region == 0
    assert (limited - before)[:, outside].abs().mean() < (after_slider - before)[:, outside].abs().mean()


def test_edit_cli_lands_the_slider_only_in_the_region_and_the_recipe_rebuilds_it(model, tmp_path, capsys):
    from editing.cli import main

    img = np.full((160, 120, 3), 248, np.uint8)
    img[20:140, 30:90] = (60, 40, 30)
    Image.fromarray(img).save(tmp_path / "bag.png")
    region = np.zeros((160, 120), np.uint8)
    region[:80] = 255  # the top half
    Image.fromarray(region).save(tmp_path / "top.png")
    out = tmp_path / "top-edit.png"
    assert main(["edit", str(tmp_path / "bag.png"), "--model", str(model.path), "--attr", "first=3",
                 "--region", str(tmp_path / "top.png"), "--out", str(out)]) == 0
    edited = np.asarray(Image.open(out), int)
    assert np.array_equal(edited[100:], img[100:]), "the change landed outside the region"
    assert np.abs(edited[:80] - img[:80]).sum() > 0, "the slider changed nothing inside the region"
    recipe = json.loads((tmp_path / "top-edit.png.recipe.json").read_text())
    assert np.asarray(recipe["region"]).shape == (32, 32)
    again = tmp_path / "again.png"
    assert main(["edit", "--recipe", str(tmp_path / "top-edit.png.recipe.json"), "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()
    from editing.export import ExportError, read_recipe

    for damaged, where in (([[2.0] * 32] * 32, r"region\[0\]\[0\]"), ([[1.0] * 16] * 16, "region")):
        (tmp_path / "damaged.json").write_text(json.dumps({**recipe, "region": damaged}))
        with pytest.raises(ExportError, match=where):
            read_recipe(tmp_path / "damaged.json")
    assert main(["edit", str(tmp_path / "bag.png"), "--model", str(model.path),
                 "--region", str(tmp_path / "top.png"), "--out", str(tmp_path / "b.png")]) == 2
    assert "give at least one --attr" in capsys.readouterr().err
