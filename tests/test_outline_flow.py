"""Where an edit moves a product's outline, the carry-back moves the photo's own pixels with it
(editing.outline_flow, compositing 10)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from editing.compositing import paste_back
from editing.outline_flow import UP, move_patch, outline_flow
from tests.test_compositing import dress_photo


def striped_dress() -> tuple[np.ndarray, torch.Tensor, object]:
    """A dress printed with stripes two photo pixels wide (finer than the model sees: about 0.3
    model px each), on a light background; (photo, the dress as the model sees it, the mapping)."""
    photo, before, mapping = dress_photo(240, (60, 90, 160))
    photo[50:250, 100:200:4] = (20, 30, 90)
    photo[50:250, 101:200:4] = (20, 30, 90)
    from inversion.framing import DomainSpec, framed

    spec = DomainSpec(kind="object", content_fraction=28 / 32, light_on_dark=True)
    return photo, framed(photo, mapping, spec)[0], mapping


def widened(before: torch.Tensor, by: int = 2) -> torch.Tensor:
    """The model picture with everything right of its middle column moved `by` model px right."""
    after = before.clone()
    after[:, :, 16 + by:] = before[:, :, 16:before.shape[-1] - by]
    after[:, :, 16:16 + by] = before[:, :, 14:16]
    return after


def photo_columns(mapping, x0: float, x1: float) -> slice:
    """The photo's columns between model x0 and x1."""
    left, _ = mapping.to_model_point(0, 0)
    return slice(int(round((x0 - left) / mapping.scale)), int(round((x1 - left) / mapping.scale)))


def test_a_widened_dress_wears_the_photo_s_own_print_where_it_grew():
    """Widened by 2 model px on the right: carried back as a change, the new strip was the
    generator's flat rendering in the dress's tint (the print, finer than the model sees, missing);
    moved with the outline, it carries the photo's stripes, and the dress's old right edge
    leaves no seam of background inside it."""
    photo, before, mapping = striped_dress()
    after = widened(before)
    assert outline_flow(before, after) is not None
    old, _ = paste_back(photo, mapping, before, after, outline=False)
    new, mask = paste_back(photo, mapping, before, after)
    right = mapping.to_model_point(200, 0)[0]  # the dress's right edge, model px
    strip = (slice(80, 220), photo_columns(mapping, right + 0.5, right + 1.5))  # inside the grown part
    printed, plain = (img[strip].astype(float).std(1).mean() for img in (new, old))  # along each row
    assert printed > 3 * plain and printed > 15, (printed, plain)
    off_background = np.abs(new[strip].astype(int) - 240).max(axis=2)
    assert off_background.mean() > 100 and off_background.min() > 40  # the dress, not the background
    # Pixels away from the dress are the photo's, bit for bit; every pixel that changed is in the mask.
    assert np.array_equal(new[:, :60], photo[:, :60]) and np.array_equal(new[:30], photo[:30])
    assert mask[np.any(new != photo, axis=2)].min() > 0


def test_a_brightness_change_moves_nothing_and_lands_as_before():
    """A lighter dress in the same place: no flow (nothing moved), the carry-back bit for bit as
    the change alone."""
    photo, before, mapping = striped_dress()
    after = before.clone()
    inside = before > -0.9
    after[inside] = (before[inside] + 0.3).clamp(max=1.0)
    assert outline_flow(before, after) is None
    moved, _ = paste_back(photo, mapping, before, after)
    plain, _ = paste_back(photo, mapping, before, after, outline=False)
    assert np.array_equal(moved, plain)


def test_a_flow_that_moves_nothing_leaves_the_crop_as_it_was():
    photo, _, mapping = striped_dress()
    flow = np.zeros((32 * UP, 32 * UP, 2), np.float32)
    box = (40, 30, 260, 270)
    moved = np.zeros((240, 220), np.float32)
    same = move_patch(photo, mapping.matrix, flow, box, moved)
    assert np.array_equal(same, photo[30:270, 40:260]) and not moved.any()
    flow[..., 0] = -8 * mapping.scale * UP  # each point reads 8 photo px to its left: it moves right
    where = np.zeros((240, 220), np.float32)
    moved = move_patch(photo, mapping.matrix, flow, box, where)
    assert (where == 1).all()
    assert np.abs(moved[100:200, 120:200].astype(int) - photo[130:230, 152:232].astype(int)).max() <= 1


def test_a_widened_product_exports_and_rebuilds_from_its_recipe_bit_for_bit(tmp_path):
    """"width +3" on a Fashion-MNIST dress with the shipped model: the recipe says compositing 10 or
    later, the export differs from the change carried back alone, and the recipe rebuilds it exactly (the
    flow is the same every time)."""
    import json

    from PIL import Image

    from benchmarks.editing import fake_photo
    from editing.cli import main
    from editing.export import render_edit
    from inversion.framing import DomainMapping
    from training.modelfile import DEFAULT_MODEL, load_model

    dress = Path(__file__).parent / "fixtures" / "fashion-mnist" / "00013_dress.png"
    img = np.asarray(Image.open(dress).convert("L"))
    photo = tmp_path / "dress.png"
    Image.fromarray(fake_photo(img, (110, 70, 40))).save(photo)
    out, again = tmp_path / "wide.png", tmp_path / "again.png"
    assert main(["edit", str(photo), "--attr", "width=+3", "--out", str(out)]) == 0
    recipe = json.loads((tmp_path / "wide.png.recipe.json").read_text())
    assert recipe["export"]["compositing"] >= 10
    assert main(["edit", "--recipe", str(tmp_path / "wide.png.recipe.json"), "--out", str(again)]) == 0
    assert np.array_equal(np.asarray(Image.open(out)), np.asarray(Image.open(again)))
    model = load_model(DEFAULT_MODEL)
    pixels = np.asarray(Image.open(photo).convert("RGB"))
    mapping = DomainMapping.from_dict(recipe["mapping"])
    z0, z1 = torch.tensor(recipe["z0"]), torch.tensor(recipe["z_edit"])
    assert outline_flow(model.decode(z0[None])[0], model.decode(z1[None])[0]) is not None
    older, _ = render_edit(model, pixels, mapping, z0, z1, compositing=9)
    assert not np.array_equal(older, np.asarray(Image.open(out)))
