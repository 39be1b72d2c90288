"""Carry an edit back onto the full-size photo, export it, and write the recipe that reproduces it.

The exported image is the original photo with the model-domain change G(z_edit) - G(z0) applied
under a soft mask (editing.compositing.paste_back), at the photo's own size, written atomically as
PNG, JPEG (quality option) or WebP. Beside it, a recipe (JSON) holds the model's name, path and
generator hash, the photo's hash and size, the domain mapping, z0, the slider values, the strokes,
the solver settings, the edited code and the export's own hash; `latent-edit edit --recipe` rebuilds
the export from it bit for bit, after checking the recipe as a whole (check_recipe) and that the
model and the photo are the ones it was made with.
"""
from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from editing.compositing import MASK_THRESHOLD, paste_back
from editing.landing import COMPOSITING, face_reaches, face_region_lands, layered  # (COMPOSITING: here too)
from editing.layers import drawn_layers, layered_bands
from editing.offset import DragError, FeatureOffset, decode
from editing.solver import Stroke, StrokeError, validate
from editing.vectors import MAX_SLIDER
from editing.warp import Warp, WarpError
from inversion.framing import MAX_PHOTO_SIDE, DomainMapping, check_mapping, grey_pixels
from training.errors import UserError
from training.fileio import sha256_file, write_bytes_atomic, write_json_atomic
from training.modelfile import GANModel, inside_folder
from training.networks import MAX_LATENT_DIM
from training.validate import Fields, read_json

RECIPE_VERSION = 4  # the newest recipe this version reads; 4: a drag may move a part as a whole
# (editing.motion's `whole`); 3: an edit after a drag lands on the photo
# the drag moved (`moved`), the edits it rests on listed once (`edits`: editing.edits); 2: a region's
# recipe holds the edit the region was painted on (`region_under`), a tuned generator's file only
# the layers tuning changed (inversion.tuning.save_tuned); a recipe is written with the lowest
# version it needs
MAX_CODE = 1000.0  # |code value|: z ~ N(0, I) and w stay within tens; beyond is damage, not an edit
EXPORT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
GREY_MODES = {"L", "LA", "1", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}  # a grey photo's PIL modes


class ExportError(UserError):
    """The export cannot be written as asked."""


def export_format(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ExportError(f"cannot export {Path(path).name}: choose a .png, .jpg or .webp file name")
    return EXPORT_FORMATS[suffix]


def encode_image(pixels: np.ndarray, path: str | os.PathLike, quality: int = 92,
                 source: str | os.PathLike | None = None) -> bytes:
    """(H, W, 3) uint8 pixels as the file bytes of the format `path` names. With `source`, the photo
    they were edited from (compositing 21 on): where its file is grey and the pixels are too, they
    are written with one channel (but WebP, which Pillow writes as RGB), with its colour profile
    (ICC) where that profile is of the colour space written, and its resolution (dpi) where it has a
    sane one (a greyscale photo came back as RGB, a photo's profile and dpi were lost: a
    walkthrough)."""
    fmt = export_format(path)
    if not 1 <= quality <= 100:
        raise ExportError(f"quality must be between 1 and 100, not {quality}")
    options = {"PNG": {"optimize": False}, "JPEG": {"quality": quality, "subsampling": 0},
               "WEBP": {"quality": quality, "method": 4}}[fmt]
    image = Image.fromarray(pixels)
    mode, info = _source_header(source)
    if mode in GREY_MODES and fmt != "WEBP" and grey_pixels(pixels):
        image = Image.fromarray(np.ascontiguousarray(pixels[..., 0]), "L")
    kept = {}  # what the photo's header lends the export
    icc = info.get("icc_profile")
    if isinstance(icc, bytes) and icc[16:20] == (b"GRAY" if image.mode == "L" else b"RGB "):
        kept["icc_profile"] = icc  # (a CMYK photo's profile does not fit its RGB export)
    dpi = info.get("dpi")
    if fmt in ("PNG", "JPEG") and isinstance(dpi, tuple) and len(dpi) == 2 and all(
            isinstance(v, (int, float)) and np.isfinite(v) and 0 < v < 100_000 for v in dpi):
        kept["dpi"] = (float(dpi[0]), float(dpi[1]))  # (a TIFF's 0/0 resolution reads as NaN)
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt, **options, **kept)
    except (ValueError, OSError, TypeError):
        if not kept:
            raise
        buffer = io.BytesIO()  # what the header lent is not the edit's: written without it
        image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _source_header(source: str | os.PathLike | None) -> tuple[str, dict]:
    """(the PIL mode, the info) of the photo an export was edited from, read from its header; ("",
    {}) without one, or where it cannot be read now (what it would add is not the edit's)."""
    if source is None:
        return "", {}
    try:
        with Image.open(source) as img:
            return img.mode, dict(img.info)
    except (OSError, ValueError, SyntaxError):
        return "", {}


def save_image(pixels: np.ndarray, path: str | os.PathLike, quality: int = 92,
               source: str | os.PathLike | None = None) -> None:
    """Write (H, W, 3) uint8 pixels atomically; the format follows the file name (`source`:
    encode_image)."""
    write_bytes_atomic(path, encode_image(pixels, path, quality, source))


def export_with_recipe(pixels: np.ndarray, path: str | os.PathLike, quality: int, **recipe) -> None:
    """Write an export and its recipe, the recipe first and the image last, the recipe holding the
    image's SHA-256: a kill between the two leaves the old image with a recipe that says it is not
    that image's (never a new image beside an old recipe that claims it)."""
    data = encode_image(pixels, path, quality, recipe.get("photo"))
    write_recipe(recipe_path(path), quality=quality, image_sha256=hashlib.sha256(data).hexdigest(),
                 **recipe)
    write_bytes_atomic(path, data)


@torch.no_grad()
def render_edit(model: GANModel, pixels: np.ndarray, mapping: DomainMapping, z0: torch.Tensor,
                z_edit: torch.Tensor, threshold: float = MASK_THRESHOLD, compositing: int = COMPOSITING,
                in_place: bool = False, offset=None, strokes=(),
                base_offset=None, hair: bool = False, z_slid: torch.Tensor | None = None,
                layers: tuple = ()) -> tuple[np.ndarray, np.ndarray]:
    """(edited photo (H, W, 3) uint8, soft mask (H, W)) for the change from z0 (drawn with
    `base_offset`) to z_edit (drawn with `offset`, the drags' editing.offset.FeatureOffset, if any);
    an older `compositing` carries it back as exports were made then (see COMPOSITING); `in_place`
    edits `pixels` itself (one full-size copy of a large photo, not two); `strokes`, the edit's
    (model pixels): a face edit lands within their reach too, an unaligned photo's colour strokes'
    only there, on top of the edit of its sliders alone (`z_slid`: z0 moved by the edit's sliders,
    None when it moves none; object_reach), from compositing 17 on the first of them each landing
    the code that followed it (`layers`, codes; editing.layers.layered_bands); `hair`
    (moves_hair), on the photo's hair too."""
    before = decode(model, z0.reshape(1, -1), base_offset)[0]
    after = decode(model, z_edit.reshape(1, -1), offset)[0]
    reach, colour_reaches = face_reaches(strokes, mapping, before.shape[0], compositing, z_slid is not None)
    slid = layered(reach, mapping, z_slid)
    under = None if slid is None else decode(model, slid.reshape(1, -1), offset)[0]
    reach, lower = layered_bands(reach, layers if compositing >= 17 else (), z_edit)
    lower = drawn_layers(lower, lambda codes: decode(model, codes, offset))
    return paste_back(pixels, mapping, before, after, threshold, guided=compositing >= 2,
                      in_place=in_place, silhouette=compositing >= 3, rim=compositing >= 4, reach=reach,
                      faint=compositing >= 6, hair=hair and compositing >= 9, outline=compositing >= 10,
                      plain=compositing >= 11, colour_reaches=colour_reaches, coherent=compositing >= 13,
                      under=under, layers=lower, fade=compositing >= 19, clear=compositing >= 20,
                      soft=compositing >= 22, plate=compositing >= 24, apart=compositing >= 25,
                      face=face_region_lands(strokes, mapping, compositing, z_slid is not None))


def recipe_path(export_path: str | os.PathLike) -> Path:
    p = Path(export_path)
    return p.with_name(p.name + ".recipe.json")


def tuned_generator_path(export_path: str | os.PathLike) -> Path:
    """Where an export drawn by a generator tuned to the photo keeps its weights for the recipe:
    NAME.generator.safetensors beside NAME (the recipe names it with its SHA-256)."""
    p = Path(export_path)
    return p.with_name(p.name + ".generator.safetensors")


def _moves_whole(extra: dict) -> bool:
    """Whether a recipe's edit or an edit it rests on moves a part as a whole (a drag's motion)."""
    return any(((entry.get("moved") or {}).get("motion") or {}).get("whole")
               for entry in (extra, *(extra.get("edits") or ())))


def write_recipe(path: str | os.PathLike, *, model: GANModel, photo: Path, mapping: DomainMapping,
                 z0: torch.Tensor, z_edit: torch.Tensor, sliders: dict[str, float],
                 strokes: list, solver: dict | None, quality: int, threshold: float,
                 extra: dict | None = None, image_sha256: str | None = None) -> None:
    recipe = {
        "format": "latent-editor-recipe",
        "version": 4 if _moves_whole(extra or {}) else  # an older reader would move it as a brush
        3 if (extra or {}).get("edits") else  # edits resting on others (editing.edits)
        2 if any((extra or {}).get(k) for k in ("region_under", "tuned_generator")) else 1,
        "model": {"id": model.model_id, "name": model.name, "path": str(Path(model.path).resolve()),
                  "generator_sha256": model.generator_sha256},
        "photo": {"path": str(Path(photo).resolve()), "sha256": sha256_file(photo),
                  "size": list(mapping.photo_size)},
        "mapping": mapping.to_dict(), "z0": z0.reshape(-1).tolist(), "sliders": sliders,
        "strokes": [s.to_dict() if hasattr(s, "to_dict") else s for s in strokes],
        "solver": solver, "z_edit": z_edit.reshape(-1).tolist(),
        "export": {"quality": quality, "mask_threshold": threshold, "compositing": COMPOSITING,
                   "image_sha256": image_sha256},
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
    """A recipe's JSON, checked as a whole (check_recipe); ExportError naming the field if not."""
    what = f"recipe {Path(path).name}"
    return check_recipe(read_json(path, what, ExportError), what)


def _sha256(f: Fields, value, where: str) -> str:
    if not (isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)):
        f.fail(where, "a SHA-256 (64 hex digits)", value)
    return value


def check_recipe(recipe, what: str = "the recipe") -> dict:
    """The recipe, every field this program reads checked: types, lengths, finite numbers in sane
    ranges, the crop box on the photo; ExportError naming the field otherwise."""
    f = Fields(what, ExportError)
    f.dict(recipe, "the recipe")
    if recipe.get("format") != "latent-editor-recipe":
        raise ExportError(f"{what} is not a recipe written by this editor")
    version = f.integer(recipe.get("version", 1), "version", 1)
    if version > RECIPE_VERSION:
        raise ExportError(f"{what} comes from a newer version of this editor")
    model = f.dict(f.key(recipe, "model"), "model")
    for key in ("path", "name", "id"):
        if model.get(key) is not None:
            f.string(model[key], f"model.{key}")
    if model.get("path") is None and model.get("name") is None:
        f.fail("model", "a model's name or path", model)
    if model.get("generator_sha256") is not None:
        _sha256(f, model["generator_sha256"], "model.generator_sha256")
    photo = f.dict(f.key(recipe, "photo"), "photo")
    f.string(f.key(photo, "path", "photo"), "photo.path")
    _sha256(f, f.key(photo, "sha256", "photo"), "photo.sha256")
    mapping = check_mapping(f, f.key(recipe, "mapping"))
    if "size" in photo:
        size = f.numbers(photo["size"], "photo.size", 2, 1, MAX_PHOTO_SIDE)
        if tuple(size) != mapping.photo_size:
            f.fail("photo.size", f"the mapping's photo size {mapping.photo_size}", size)
    z0 = f.numbers(f.key(recipe, "z0"), "z0", low=-MAX_CODE, high=MAX_CODE, max_length=MAX_LATENT_DIM)
    if not z0:
        f.fail("z0", "a code (a list of numbers)", z0)
    f.numbers(f.key(recipe, "z_edit"), "z_edit", len(z0), -MAX_CODE, MAX_CODE)
    sliders = f.dict(recipe.get("sliders", {}), "sliders")
    for name, value in sliders.items():
        f.number(value, f"sliders.{name}", -MAX_SLIDER, MAX_SLIDER)
    for i, stroke in enumerate(f.list(recipe.get("strokes", []), "strokes", 10_000)):
        f.dict(stroke, f"strokes[{i}]")
    if recipe.get("solver") is not None:
        f.dict(recipe["solver"], "solver")
    export = f.dict(f.key(recipe, "export"), "export")
    f.integer(f.key(export, "quality", "export"), "export.quality", 1, 100)
    f.number(f.key(export, "mask_threshold", "export"), "export.mask_threshold", 0.5, 255)
    f.integer(export.get("compositing", 1), "export.compositing", 1, COMPOSITING)
    if export.get("image_sha256") is not None:
        _sha256(f, export["image_sha256"], "export.image_sha256")
    from editing.edits import check_edits

    check_edits(f, recipe, len(z0), mapping.resolution)
    tuned = recipe.get("tuned_generator")
    if tuned is not None:
        f.dict(tuned, "tuned_generator")
        f.string(f.key(tuned, "path", "tuned_generator"), "tuned_generator.path")
        _sha256(f, f.key(tuned, "sha256", "tuned_generator"), "tuned_generator.sha256")
    return recipe


def read_offset(entry: dict | None, model: GANModel) -> FeatureOffset | None:
    """A recipe's drag offset for `model`, or None; ExportError if it is damaged."""
    if entry is None:
        return None
    try:
        return FeatureOffset.from_dict(entry, model)
    except DragError as e:
        raise ExportError(f"the recipe is damaged: {e}") from None


def read_strokes(entry: dict, mapping: DomainMapping, model: GANModel) -> tuple:
    """A recipe's strokes (or those of the edit under its region), checked; ExportError if damaged."""
    try:
        strokes = tuple(Stroke.from_dict(d) for d in entry.get("strokes", []))
        if strokes:
            validate(list(strokes), mapping.resolution, model.gan.channels)
    except StrokeError as e:
        raise ExportError(f"the recipe is damaged: {e}") from None
    return strokes


def read_warps(entry: dict) -> tuple:
    """A recipe's warps (or those of the edit under its region), as check_recipe checked them."""
    return tuple(Warp.from_dict(w) for w in entry.get("warps") or [])


def check_warps(f: Fields, warps, where: str) -> None:
    """A recipe's warps (editing.warp.Warp.to_dict), or None."""
    for i, warp in enumerate(f.list(warps or [], where, 10_000)):
        try:
            Warp.from_dict(f.dict(warp, f"{where}[{i}]"))
        except WarpError as e:
            f.fail(f"{where}[{i}]", "a warp (start, end, radius)", str(e))


def check_offset(f: Fields, offset, where: str) -> None:
    """A drag offset as a recipe holds it (editing.drag), or None."""
    if offset is not None:
        f.dict(offset, where)
        try:
            FeatureOffset.from_dict(offset)
        except DragError as e:
            f.fail(where, "a drag offset (depth, shape, float32_base64)", str(e))


def find_recipe_model(entry: dict) -> GANModel:
    """The model a recipe names, found by its path as recorded and then by its name among the
    shipped models, whichever holds the recorded generator (recipes without a hash: the path)."""
    from training.modelfile import MODELS_DIR, load_model, read_config

    wanted = entry.get("generator_sha256")
    places = [Path(entry["path"])] if entry.get("path") else []
    if entry.get("name") and inside_folder(entry["name"]):
        places.append(MODELS_DIR / entry["name"])
    for place in places:
        if not (place / "config.json").is_file():
            continue
        if wanted is None or read_config(place)["networks"].get("generator", {}).get("sha256") == wanted:
            return load_model(place)
    name = entry.get("name") or Path(entry["path"]).name
    if any((p / "config.json").is_file() for p in places):
        raise ExportError(f"the recipe was made with another version of {name} (generator "
                          f"{wanted[:12]}); the model folder now holds a different one")
    raise ExportError(f"the recipe's model {name} was found neither at {entry.get('path')} nor "
                      f"among the shipped models")


def rebuild_from_recipe(recipe: dict, out: str | os.PathLike) -> None:
    """Write the export a recipe (checked by read_recipe) describes, bit for bit: the same model
    (found by path or name, refused if its generator changed), the same photo (refused if its
    bytes or size changed), the photo's tuned generator when the edit used one, the same carry-back."""
    from inversion.photo import load_photo

    model = find_recipe_model(recipe["model"])
    if recipe["model"].get("generator_sha256") not in (None, model.generator_sha256):
        raise ExportError(f"the recipe was made with another version of {model.name}")
    if len(recipe["z0"]) != model.gan.latent_dim:
        raise ExportError(f"the recipe is damaged: its codes are {len(recipe['z0'])} long, but "
                          f"{model.name} takes codes of {model.gan.latent_dim}")
    if recipe.get("tuned_generator"):
        from inversion.tuning import load_tuned

        model = load_tuned(model, recipe["tuned_generator"]["path"], recipe["tuned_generator"]["sha256"])
    photo_path = Path(recipe["photo"]["path"])
    if not photo_path.is_file():
        raise ExportError(f"the recipe's photo {photo_path} is not there any more")
    if sha256_file(photo_path) != recipe["photo"]["sha256"]:
        raise ExportError(f"{photo_path.name} has changed since the export (its SHA-256 differs): "
                          f"the recipe would put the edit on another picture")
    photo = load_photo(photo_path)
    mapping = check_mapping(Fields("the recipe", ExportError), recipe["mapping"])
    if photo.size != mapping.photo_size:
        raise ExportError(f"{photo_path.name} is {photo.size[0]}x{photo.size[1]}, but the recipe was "
                          f"made on a {mapping.photo_size[0]}x{mapping.photo_size[1]} photo")
    from editing.edits import recipe_edit

    compositing = recipe["export"].get("compositing", 1)
    z0, threshold = torch.tensor(recipe["z0"]), recipe["export"]["mask_threshold"]
    pixels = recipe_edit(model, photo.pixels, mapping, z0, recipe, threshold, compositing, in_place=True)
    del photo  # its pixels are the export now: one full-size copy while encoding
    save_image(pixels, out, recipe["export"]["quality"], photo_path if compositing >= 21 else None)
