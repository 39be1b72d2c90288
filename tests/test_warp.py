"""The warp brush (editing.warp): the warp itself, the solver towards it, the CLI and its recipe."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from editing.solver import SolverConfig
from editing.warp import Warp, solve_warps, warp_image
from tests.conftest import make_editable_model
from training.modelfile import load_model


def test_a_warp_carries_what_was_under_the_brush_to_the_end_and_leaves_the_rest():
    image = torch.full((1, 32, 32), -1.0)
    image[0, 10, 10] = 1.0  # a bright pixel at x=10, y=10
    image[0, 28, 2] = 0.5  # far away
    warped, k = warp_image(image, Warp((10.5, 10.5), (14.5, 10.5), radius=3.0))
    assert warped[0, 10].argmax().item() == 14 and warped[0, 10, 14] > 0.9
    assert warped[0, 28, 2] == 0.5 and k[28, 2] == 0 and k[10, 12] == 1



def test_a_warp_with_a_core_carries_the_square_around_the_handle_whole():
    """The drag's warp target (editing.drag.warped_start) carries the disk beside the path whole:
    a 5x5 square around the handle arrives undistorted at the end, which without the core it
    does not (the falloff squeezes its rim)."""
    g = torch.Generator().manual_seed(0)
    image = torch.rand((1, 32, 32), generator=g) * 2 - 1
    move = Warp((10.5, 12.5), (16.5, 12.5), radius=8.0)
    square = image[0, 10:15, 8:13]
    whole, k = warp_image(image, move, core=3.0)
    squeezed, _ = warp_image(image, move)
    assert torch.allclose(whole[0, 10:15, 14:19], square, atol=1e-5)
    assert (squeezed[0, 10:15, 14:19] - square).abs().max() > 0.1
    assert k[12, 13] == 1 and k[15, 16] == 1 and k[12, 28] == 0  # within 3 px of the path; beyond 8
    _, wide = warp_image(image, move, core=20.0)  # a core past the radius stops at the radius
    assert wide[12, 28] == 0 and wide[12, 20] == 1
    from editing.drag import DragConfig
    from editing.offset import DragError

    with pytest.raises(DragError, match="warp core"):
        DragConfig(warp_core=-1.0)
def test_the_solver_moves_towards_the_warped_image(tmp_path):
    model = load_model(make_editable_model(tmp_path / "tiny"))
    z = model.codes(1, seed=2)[0]
    warp = Warp((12.5, 25.5), (16.5, 25.5), radius=4.0)
    with torch.no_grad():
        start = model.decode(z[None])[0]
    target, k = warp_image(start, warp)
    steps = list(solve_warps(model, z, z, [warp], SolverConfig(steps=15, candidates=2)))
    error = lambda x: ((x - target) ** 2 * k).sum()  # noqa: E731
    assert error(steps[-1].images[0]) < error(start)


def test_edit_cli_warps_and_the_recipe_reproduces_the_export(tmp_path):
    from editing.cli import main

    model = make_editable_model(tmp_path / "tiny")
    img = np.full((160, 120, 3), 248, np.uint8)
    img[20:140, 30:90] = (60, 40, 30)
    Image.fromarray(img).save(tmp_path / "bag.png")
    out = tmp_path / "warped.png"
    assert main(["edit", str(tmp_path / "bag.png"), "--model", str(model), "--warp", "88,80->100,80",
                 "--warp-radius", "20", "--solver-steps", "5", "--out", str(out)]) == 0
    recipe = json.loads((tmp_path / "warped.png.recipe.json").read_text())
    assert len(recipe["warps"]) == 1 and recipe["solver"]["steps"] == 5
    assert len(recipe["moved"]["motion"]["moves"]) == 1, "the photo's pixels pushed, as the brush does"
    pushed = np.asarray(Image.open(out).convert("RGB"))
    assert pushed[80, 96].max() < 150 and img[80, 96].min() == 248, "the bag's edge went to x = 100"
    assert np.array_equal(pushed[:, :60], img[:, :60]), "beyond the brush's reach, the photo as it was"
    again = tmp_path / "again.png"
    assert main(["edit", "--recipe", str(tmp_path / "warped.png.recipe.json"), "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()
