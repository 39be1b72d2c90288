"""Point drag (editing.drag): its pieces, a drag on a tiny generator, the CLI and its recipe."""
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from editing.drag import DragConfig, DragError, DragPoint, drag, validate_points
from editing.drag_terms import disk_offsets, sample, track
from editing.drag_photo import parse_drag, to_model
from editing.offset import FeatureOffset, decode, feature_module
from tests.conftest import make_editable_model
from training.modelfile import load_model


@pytest.fixture
def model(tmp_path):
    return load_model(make_editable_model(tmp_path / "tiny"))


def test_sampling_reads_pixel_centres_and_tracking_finds_the_reference():
    f = torch.zeros(1, 2, 16, 16)
    f[0, 0, 7, 5] = 1.0  # a feature unlike all others at pixel (x=5, y=7)
    f[0, 1] = torch.arange(16.0)[None, :]  # channel 1 = x index
    # a 16 x 16 map under a 32 px image: model pixel centre (2x + 1, 2y + 1) is map pixel (x, y)
    got = sample(f, torch.tensor([[11.0, 15.0], [3.0, 3.0]]), 32)
    assert got[0].tolist() == pytest.approx([1.0, 5.0]) and got[1].tolist() == pytest.approx([0.0, 1.0])
    reference = sample(f, torch.tensor([[11.0, 15.0]]), 32)
    found = track(f, torch.tensor([[8.2, 13.9]]), reference, search=3, resolution=32)
    assert found[0].tolist() == [10.5, 14.5]  # the pixel centre nearest the feature's peak (11, 15)


def test_tracking_with_a_disk_of_features_is_not_fooled_by_a_look_alike_point():
    g = torch.Generator().manual_seed(0)
    start = torch.rand(1, 4, 32, 32, generator=g)  # a map the image's size: pixel i at i + 0.5
    now = torch.roll(start, 2, dims=3) + 0.05 * torch.rand(1, 4, 32, 32, generator=g)  # moved 2 px right
    now[0, :, 15, 11] = start[0, :, 15, 11]  # a look-alike of the handle's own features stayed behind
    handle = torch.tensor([[11.5, 15.5]])
    alone = track(now, handle, sample(start, handle, 32), search=2, resolution=32)
    around = disk_offsets(3.0)
    disk = track(now, handle, torch.stack([sample(start, h + around, 32) for h in handle]), search=2,
                 resolution=32, around=around)
    assert alone.tolist() == [[11.5, 15.5]], "the single point's features stay with the look-alike"
    assert disk.tolist() == [[13.5, 15.5]], "the disk's features follow what moved"


def test_drag_points_are_checked_and_parsed():
    with pytest.raises(DragError, match="no drag points"):
        validate_points([], 32)
    with pytest.raises(DragError, match="outside the 32x32"):
        validate_points([DragPoint((3, 3), (40, 3))], 32)
    assert parse_drag(" 12.5,8 -> 20,-1 ") == DragPoint((12.5, 8.0), (20.0, -1.0))
    with pytest.raises(DragError, match="x0,y0->x1,y1"):
        parse_drag("12,8 20,9")


def test_a_drag_on_a_tiny_generator_moves_the_tracked_point_towards_its_target(model):
    assert isinstance(feature_module(model.generator), torch.nn.ReLU)
    code = model.codes(1, seed=2)[0]
    point = DragPoint((12.5, 25.5), (17.5, 25.5))  # on the sample's strongest edge, 5 px right
    # On this untrained generator neither the optical flow nor a patch search sees the content
    # move much, at any rate tried; the single point's tracker declared arrivals all the same. The
    # disk tracker's handle comes closer (5 -> 2 px here) at a larger rate.
    cfg = DragConfig.code_only(steps=60, lr=0.2, template=0.0, depth=1)
    steps = list(drag(model, code, [point], None, cfg))
    first, last = steps[0], steps[-1]
    assert first.step == 0 and torch.equal(first.code, code) and first.distance == pytest.approx(5.0)
    assert last.done and all(not s.done for s in steps[:-1])
    assert last.distance < first.distance - 1.0, "the handle did not come closer to its target"
    assert not torch.equal(last.code, code)
    with torch.no_grad():
        assert torch.allclose(last.image, model.decode(last.code[None])[0])


def test_the_default_drag_moves_the_content_with_a_feature_offset_and_keeps_the_code(model):
    from benchmarks.drag import patch_match

    code = model.codes(1, seed=2)[0]
    point = DragPoint((12.5, 25.5), (17.5, 25.5))
    last = list(drag(model, code, [point], None, DragConfig(steps=60)))[-1]
    with torch.no_grad():
        start = model.decode(code[None])[0]
        assert torch.equal(last.image, decode(model, code[None], last.offset)[0])
    assert torch.equal(last.code, code), "the code is held: the offset moves things"
    assert last.offset.depth == 2 and last.offset.values.shape == (16, 8, 8)
    assert last.offset.values[:, :2].abs().max() == 0, "the offset stays within the warp's reach"
    found = patch_match(start, last.image, point.handle)  # not the tracker: the pixels themselves
    assert abs(found[0] - point.target[0]) <= 1.5 and found[1] == point.handle[1]
    again = FeatureOffset.from_dict(json.loads(json.dumps(last.offset.to_dict())), model)
    assert torch.equal(again.values, last.offset.values), "the offset's record is exact"
    with pytest.raises(DragError, match="does not fit"):
        FeatureOffset.from_dict(FeatureOffset(1, last.offset.values).to_dict(), model)


def test_the_mask_holds_what_lies_outside_it(model):
    code = model.codes(1, seed=1)[0]
    point = DragPoint((12.5, 14.5), (17.5, 14.5))
    mask = torch.zeros(32, 32)
    mask[8:22, 8:24] = 1
    free = list(drag(model, code, [point], None, DragConfig.code_only(steps=15)))[-1]
    held = list(drag(model, code, [point], mask, DragConfig.code_only(steps=15, hold=20.0)))[-1]
    with torch.no_grad():
        start = model.decode(code[None])[0]
    outside = (1 - mask).bool()
    change = lambda step: (step.image - start)[:, outside].abs().mean()  # noqa: E731
    assert change(held) < change(free)
    small = torch.zeros(32, 32)
    small[12:18, 10:20] = 1
    confined = list(drag(model, code, [point], small, DragConfig(steps=15)))[-1]  # the offset's drag
    assert not torch.equal(confined.image, start)
    # the offset lies on the 8x8 cells the mask touches and their neighbours (map rows 2-5): two
    # 4x4 transposed convolutions later that reaches image rows 5-26, and nothing beyond
    for rows in (slice(0, 5), slice(27, 32)):
        assert torch.equal(confined.image[:, rows], start[:, rows]), "changed far outside the mask"


def photo_file(tmp_path):
    img = np.full((160, 120, 3), 248, np.uint8)
    img[20:140, 30:90] = (60, 40, 30)
    Image.fromarray(img).save(tmp_path / "bag.png")
    return tmp_path / "bag.png"


@pytest.mark.parametrize("code_only", [False, True])
def test_edit_cli_drags_and_the_recipe_reproduces_the_export(model, tmp_path, capsys, code_only):
    from editing.cli import main
    from inversion.framing import DomainMapping

    photo = photo_file(tmp_path)
    out = tmp_path / "dragged.png"
    mask = np.zeros((160, 120), np.uint8)
    mask[10:150, 20:100] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    assert main(["edit", str(photo), "--model", str(model.path), "--drag", "60,80->75,80",
                 "--drag-mask", str(tmp_path / "mask.png"), "--drag-steps", "8",
                 "--out", str(out)] + ["--drag-code-only", "--drag-reach", "40"] * code_only) == 0
    assert "drag: 1 point(s)" in capsys.readouterr().out
    recipe = json.loads((tmp_path / "dragged.png.recipe.json").read_text())
    d = recipe["drag"]
    assert d["points"] == [{"handle": [60.0, 80.0], "target": [75.0, 80.0]}]
    mapping = DomainMapping.from_dict(recipe["mapping"])
    assert d["model_points"] == [p.to_dict() for p in to_model([parse_drag("60,80->75,80")], mapping)]
    assert d["mask"]["path"].endswith("mask.png") and d["config"]["steps"] == 8
    reach = [w["radius"] for w in recipe["moved"]["motion"]["moves"]]  # the photo moved (editing.motion)
    if code_only:
        assert recipe["z_edit"] != d["start_code"] and recipe["feature_offset"] is None
        assert reach[0] >= 40 * mapping.scale - 1e-6, "--drag-reach sets how far the photo moves"
    else:  # the code is held; the drag is in the offset, which the recipe keeps
        assert recipe["z_edit"] == d["start_code"] and recipe["feature_offset"]["depth"] == 2
    again = tmp_path / "again.png"
    assert main(["edit", "--recipe", str(tmp_path / "dragged.png.recipe.json"), "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()
    if not code_only:  # a damaged offset is refused with the field named, before any work
        from editing.export import ExportError, check_recipe

        recipe["feature_offset"]["float32_base64"] = "not base64!"
        with pytest.raises(ExportError, match="feature_offset"):
            check_recipe(recipe)


def test_edit_cli_refuses_bad_drags_before_any_work(model, tmp_path, capsys):
    from editing.cli import main

    photo = photo_file(tmp_path)
    assert main(["edit", str(photo), "--model", str(model.path), "--drag", "60,80 75,80",
                 "--out", str(tmp_path / "a.png")]) == 2
    assert "x0,y0->x1,y1" in capsys.readouterr().err
    assert main(["edit", str(photo), "--model", str(model.path), "--drag-steps", "5",
                 "--out", str(tmp_path / "a.png")]) == 2
    assert "need at least one --drag" in capsys.readouterr().err
    assert main(["edit", str(photo), "--model", str(model.path), "--drag", "60,80->75,80", "--drag-reach",
                 "0", "--out", str(tmp_path / "a.png")]) == 2
    assert "--drag-reach must be at least" in capsys.readouterr().err
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "small.png")
    assert main(["edit", str(photo), "--model", str(model.path), "--drag", "60,80->75,80",
                 "--drag-mask", str(tmp_path / "small.png"), "--out", str(tmp_path / "a.png")]) == 2
    assert "is 10x10, but the photo is 120x160" in capsys.readouterr().err
    assert not (tmp_path / "a.png").exists()


@pytest.mark.parametrize("generator", ["dcgan", "style"])
def test_the_feature_map_is_at_half_the_resolution_or_coarser(generator):
    from training.architectures import build_generator
    from training.networks import GANConfig

    G = build_generator(GANConfig(resolution=32, channels=1, latent_dim=16, width=8,
                                  generator=generator)).eval()
    for depth, side in ((1, 16), (2, 8)):
        seen = []
        hook = feature_module(G, depth).register_forward_hook(lambda m, i, o: seen.append(o.shape))
        with torch.no_grad():
            G(torch.zeros(1, 16))
        hook.remove()
        assert seen[-1][-2:] == (side, side)
    with pytest.raises(DragError, match="no feature map"):
        feature_module(G, 6)


def test_strokes_warps_and_region_solves_after_a_drag_are_solved_on_the_dragged_picture(model):
    """Their candidates are drawn with the drag's offset (the picture the user painted on), not
    the code's plain picture, which the drag had changed."""
    from editing.edit import solve_strokes, solver_config
    from editing.region import region_steps
    from editing.solver import Stroke, build_constraints
    from editing.warp import Warp, solve_warps

    code = model.codes(1, seed=2)[0]
    dragged = list(drag(model, code, [DragPoint((12.5, 25.5), (17.5, 25.5))], None, DragConfig(steps=30)))[-1]
    offset, cfg = dragged.offset, replace(solver_config(model), steps=2, candidates=2)
    with torch.no_grad():
        shown = decode(model, code[None], offset)[0]
    stroke = Stroke("color", ((14.0, 20.0), (14.0, 30.0)), 2.0, (1.0,))
    region = torch.zeros(32, 32)
    region[8:24, 8:24] = 1
    runs = {"stroke": solve_strokes(model, code, code, build_constraints([stroke], shown), cfg, offset),
            "warp": solve_warps(model, code, code, [Warp((12.0, 25.0), (16.0, 25.0))], cfg, offset),
            "region": region_steps(model, code, model.codes(1, seed=3)[0], region, cfg, offset)}
    for name, steps in runs.items():
        last = list(steps)[-1]
        with torch.no_grad():
            with_offset, plain = decode(model, last.z, offset), model.decode(last.z)
        assert torch.allclose(last.images, with_offset, atol=1e-5), name
        assert not torch.allclose(last.images, plain, atol=1e-3), f"{name}: drawn without the drag"
