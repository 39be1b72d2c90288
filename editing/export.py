"""Carry an edit back onto the full-size photo, export it, and write the recipe that reproduces it.

The exported image is the original photo with the model-domain change G(z_edit) - G(z0) applied
under a soft mask (editing.compositing.paste_back), at the photo's own size, written atomically as
PNG, JPEG (quality option) or WebP. Beside it, a recipe (JSON) holds the model's id and hash, the
photo's hash, the domain mapping, z0, the slider values, the strokes, the solver settings and the
edited code; `latent-edit edit --recipe` rebuilds the export from it bit for bit.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from editing.compositing import MASK_THRESHOLD, paste_back
from inversion.framing import DomainMapping
from training.errors import UserError
from training.fileio import atomic_path, sha256_file, write_json_atomic
from training.modelfile import GANModel

RECIPE_VERSION = 1
COMPOSITING = 2  # 2: guided enlargement, faces inside their landmark hull; recipes without it: 1
EXPORT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


class ExportError(UserError):
    """The export cannot be written as asked."""


def export_format(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ExportError(f"cannot export {Path(path).name}: choose a .png, .jpg or .webp file name")
    return EXPORT_FORMATS[suffix]


def save_image(pixels: np.ndarray, path: str | os.PathLike, quality: int = 92) -> None:
    """Write (H, W, 3) uint8 pixels atomically; the format follows the file name."""
    fmt = export_format(path)
    if not 1 <= quality <= 100:
        raise ExportError(f"quality must be between 1 and 100, not {quality}")
    options = {"PNG": {"optimize": False}, "JPEG": {"quality": quality, "subsampling": 0},
               "WEBP": {"quality": quality, "method": 4}}[fmt]
    with atomic_path(Path(path)) as tmp:
        Image.fromarray(pixels).save(tmp, format=fmt, **options)


@torch.no_grad()
def render_edit(model: GANModel, pixels: np.ndarray, mapping: DomainMapping, z0: torch.Tensor,
                z_edit: torch.Tensor, threshold: float = MASK_THRESHOLD, guided: bool = True
                ) -> tuple[np.ndarray, np.ndarray]:
    """(edited photo (H, W, 3) uint8, soft mask (H, W)) for the change from z0 to z_edit;
    `guided=False` carries it back as exports were made before guided enlargement."""
    before, after = model.decode(z0.reshape(1, -1))[0], model.decode(z_edit.reshape(1, -1))[0]
    return paste_back(pixels, mapping, before, after, threshold, guided)


def recipe_path(export_path: str | os.PathLike) -> Path:
    p = Path(export_path)
    return p.with_name(p.name + ".recipe.json")


def write_recipe(path: str | os.PathLike, *, model: GANModel, photo: Path, mapping: DomainMapping,
                 z0: torch.Tensor, z_edit: torch.Tensor, sliders: dict[str, float],
                 strokes: list, solver: dict | None, quality: int, threshold: float,
                 extra: dict | None = None) -> None:
    recipe = {
        "format": "latent-editor-recipe", "version": RECIPE_VERSION,
        "model": {"id": model.model_id, "name": model.name, "path": str(model.path),
                  "generator_sha256": model.generator_sha256},
        "photo": {"path": str(Path(photo).resolve()), "sha256": sha256_file(photo)},
        "mapping": mapping.to_dict(), "z0": z0.reshape(-1).tolist(), "sliders": sliders,
        "strokes": [s.to_dict() if hasattr(s, "to_dict") else s for s in strokes],
        "solver": solver, "z_edit": z_edit.reshape(-1).tolist(),
        "export": {"quality": quality, "mask_threshold": threshold, "compositing": COMPOSITING},
        **(extra or {}),
    }
    write_json_atomic(path, recipe)


def add_to_recipe(path: str | os.PathLike, entries: dict) -> None:
    """Add entries (what an edit did, for the record) to a written recipe; the export it rebuilds
    does not change."""
    recipe = read_recipe(path)
    recipe.update(entries)
    write_json_atomic(path, recipe)


def read_recipe(path: str | os.PathLike) -> dict:
    try:
        recipe = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ExportError(f"cannot read recipe {Path(path).name}: {e}") from e
    if recipe.get("format") != "latent-editor-recipe":
        raise ExportError(f"{Path(path).name} is not a recipe written by this editor")
    if recipe.get("version", 0) > RECIPE_VERSION:
        raise ExportError(f"{Path(path).name} comes from a newer version of this editor")
    return recipe


def rebuild_from_recipe(recipe: dict, out: str | os.PathLike) -> None:
    """Write the export a recipe describes, bit for bit: the same model (refused if its generator
    changed), the photo's tuned generator when the edit used one, the same carry-back."""
    from inversion.framing import DomainMapping
    from inversion.invert import InversionError
    from inversion.photo import load_photo
    from training.modelfile import load_model

    model = load_model(recipe["model"]["path"])
    if model.generator_sha256 != recipe["model"].get("generator_sha256"):
        raise InversionError(f"the recipe was made with another version of {model.name}")
    if recipe.get("tuned_generator"):
        from inversion.tuning import load_tuned

        model = load_tuned(model, recipe["tuned_generator"]["path"], recipe["tuned_generator"]["sha256"])
    photo = load_photo(recipe["photo"]["path"])
    mapping = DomainMapping.from_dict(recipe["mapping"])
    pixels, _ = render_edit(model, photo.pixels, mapping,
                            torch.tensor(recipe["z0"]), torch.tensor(recipe["z_edit"]),
                            recipe["export"]["mask_threshold"],
                            guided=recipe["export"].get("compositing", 1) >= 2)
    if recipe.get("region"):  # a region-limited slider (editing.region)
        from editing.region import confine

        pixels = confine(photo.pixels, pixels, np.asarray(recipe["region"], np.float32), mapping)
    save_image(pixels, out, recipe["export"]["quality"])
