"""Training data sets, held in memory as uint8 tensors.

- Fashion-MNIST (Xiao et al. 2017, arXiv:1708.07747) from its four standard idx `.gz` files.
- Any folder (searched recursively) or `.zip` of JPEG/PNG/WebP images, with an optional attribute
  table: CelebA's `list_attr_celeba.txt` layout or a CSV `filename,attr1,attr2,...`.

Images are resized (shorter side) and centre-cropped to the model resolution, and converted to grey
or colour. `ImageSet.batch()` turns uint8 (N, H, W, C) rows into float (B, C, H, W) in [-1, 1].
"""
from __future__ import annotations

import csv
import gzip
import io
import os
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from training.errors import OptionError, UserError
from training.pixels import from_uint8

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat",
                         "sandal", "shirt", "sneaker", "bag", "ankle_boot")
FASHION_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
HOW_TO_GET_FASHION_MNIST = (
    "Install it with `sudo apt-get install dataset-fashion-mnist` (Debian), or download the four "
    "files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and "
    "t10k-labels-idx1-ubyte.gz from github.com/zalandoresearch/fashion-mnist into one folder and "
    "pass that folder with --data-root."
)


class DataError(UserError):
    """The data set is missing or malformed; the message says what was expected and how to fix it."""


@dataclass
class ImageSet:
    """Images (N, H, W, C) uint8 with optional labels and attributes."""

    images: torch.Tensor  # (N, H, W, C) uint8
    name: str
    labels: torch.Tensor | None = None  # (N,) int64 class index
    class_names: tuple[str, ...] = ()
    attributes: torch.Tensor | None = None  # (N, A) bool
    attribute_names: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # source file of each image, for image folders
    skipped: list[str] = field(default_factory=list)  # "file: reason" of each unreadable file

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def channels(self) -> int:
        return self.images.shape[3]

    @property
    def resolution(self) -> int:
        return self.images.shape[1]

    def batch(self, index: torch.Tensor | slice, device: torch.device | str = "cpu") -> torch.Tensor:
        """Rows `index` as float (B, C, H, W) in [-1, 1]."""
        return from_uint8(self.images[index].to(device))

    def describe(self) -> dict:
        return {"name": self.name, "images": len(self), "resolution": self.resolution,
                "channels": self.channels, "classes": list(self.class_names),
                "attributes": list(self.attribute_names), "skipped": len(self.skipped)}


# ---------------------------------------------------------------------------- Fashion-MNIST


def _read_idx(path: Path, magic: int) -> np.ndarray:
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"cannot read {path}: {e}. {HOW_TO_GET_FASHION_MNIST}") from e
    if len(raw) < 8 or struct.unpack(">I", raw[:4])[0] != magic:
        raise DataError(f"{path} is not an idx file (expected magic number {magic}). "
                        f"{HOW_TO_GET_FASHION_MNIST}")
    ndim = magic & 0xFF
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DataError(f"{path} is truncated: header says {shape}, found {data.size} values. "
                        f"{HOW_TO_GET_FASHION_MNIST}")
    return data.reshape(shape)


def find_fashion_mnist(root: str | os.PathLike | None = None) -> Path:
    """The folder holding the four Fashion-MNIST files: `root` if given, else the Debian path."""
    folder = Path(root) if root else FASHION_MNIST_DIR
    missing = [n for pair in FASHION_MNIST_FILES.values() for n in pair if not (folder / n).is_file()]
    if missing:
        raise DataError(f"Fashion-MNIST not found in {folder} (missing {', '.join(missing)}). "
                        f"{HOW_TO_GET_FASHION_MNIST}")
    return folder


def load_fashion_mnist(split: str = "train", resolution: int = 32,
                       root: str | os.PathLike | None = None) -> ImageSet:
    """Fashion-MNIST, grey, light items on black; 28x28 zero-padded to 32, or resized for 64/128."""
    folder = find_fashion_mnist(root)
    image_file, label_file = FASHION_MNIST_FILES[split]
    images = _read_idx(folder / image_file, 2051)
    labels = _read_idx(folder / label_file, 2049)
    if len(images) != len(labels):
        raise DataError(f"{folder}: {len(images)} images but {len(labels)} labels")
    x = torch.from_numpy(images.copy())  # (N, 28, 28)
    pad = (32 - 28) // 2
    x = torch.nn.functional.pad(x, (pad, pad, pad, pad))  # (N, 32, 32)
    if resolution != 32:
        x = torch.nn.functional.interpolate(x[:, None].float(), size=resolution, mode="bilinear",
                                            align_corners=False)[:, 0].round().clamp(0, 255)
        x = x.to(torch.uint8)
    return ImageSet(images=x[..., None].contiguous(), name=f"fashion-mnist/{split}",
                    labels=torch.from_numpy(labels.astype(np.int64)),
                    class_names=FASHION_MNIST_CLASSES)


# ---------------------------------------------------------------------------- image folders


def fit_square(img: Image.Image, resolution: int) -> Image.Image:
    """Resize the shorter side to `resolution` and centre-crop to a square."""
    w, h = img.size
    scale = resolution / min(w, h)
    nw, nh = max(resolution, round(w * scale)), max(resolution, round(h * scale))
    img = img.resize((nw, nh), Image.Resampling.LANCZOS)
    left, top = (nw - resolution) // 2, (nh - resolution) // 2
    return img.crop((left, top, left + resolution, top + resolution))


def read_attribute_table(path: str | os.PathLike) -> tuple[dict[str, list[bool]], tuple[str, ...]]:
    """{file name: [attr values]} and the attribute names, from a CSV or CelebA's txt layout.

    CSV: header `filename,attr1,...`, values 1/0 (or 1/-1). CelebA txt: first line the image
    count, second the attribute names, then `name v1 v2 ...` with values 1/-1.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read attribute table {path}: {e}") from e
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise DataError(f"attribute table {path} is empty")
    if lines[0].strip().isdigit():  # CelebA list_attr_celeba.txt
        names = tuple(lines[1].split())
        rows = [ln.split() for ln in lines[2:]]
    else:
        reader = list(csv.reader(lines))
        names, rows = tuple(c.strip() for c in reader[0][1:]), reader[1:]
    table: dict[str, list[bool]] = {}
    for i, row in enumerate(rows):
        if len(row) != len(names) + 1:
            raise DataError(f"attribute table {path}, row {i + 1}: expected a file name and "
                            f"{len(names)} values, found {len(row)} fields")
        try:
            table[Path(row[0].strip()).name] = [int(v) > 0 for v in row[1:]]
        except ValueError as e:
            raise DataError(f"attribute table {path}, row {i + 1}: values must be 1, 0 or -1") from e
    return table, names


def _image_sources(path: Path):
    """Yield (name, opener) for each image file under a folder or inside a zip, in sorted order."""
    if path.is_file() and path.suffix.lower() == ".zip":
        try:
            zf = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as e:
            raise DataError(f"cannot open {path} as a zip file: {e}") from e
        names = sorted(n for n in zf.namelist() if n.lower().endswith(IMAGE_SUFFIXES))
        for n in names:
            yield n, (lambda n=n: io.BytesIO(zf.read(n)))
    elif path.is_dir():
        for p in sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
            yield str(p.relative_to(path)), (lambda p=p: p)
    else:
        raise DataError(f"{path} is neither a folder of images nor a .zip of images. "
                        f"Pass a folder holding JPEG/PNG/WebP files (searched recursively).")


def split_range(n: int, split: str | None, test_fraction: float) -> range:
    """Indices of `split` among n sorted images: "test" is the last `test_fraction`, "train" the rest."""
    if split is None:
        return range(n)
    if split not in ("train", "test"):
        raise OptionError(f'split must be "train", "test" or None, not {split!r}')
    if not 0.0 <= test_fraction < 1.0:
        raise OptionError(f"test_fraction must be in [0, 1), not {test_fraction}")
    cut = n - int(round(n * test_fraction))
    return range(cut) if split == "train" else range(cut, n)


def load_image_folder(path: str | os.PathLike, resolution: int, channels: int,
                      attributes: str | os.PathLike | None = None,
                      names: set[str] | None = None, split: str | None = None,
                      test_fraction: float = 0.1) -> ImageSet:
    """All images under `path` (folder or zip), fitted to `resolution`; unreadable files skipped.

    `names`, if given, keeps only images whose base file name is in it. `split` "train" or "test"
    keeps the images before or in the last `test_fraction` of the sorted file names (for the
    CelebA subset with 0.1: 009001.jpg to 010000.jpg are the test split).
    """
    path = Path(path)
    mode = "L" if channels == 1 else "RGB"
    arrays, files, skipped = [], [], []
    sources = list(_image_sources(path))
    for i in split_range(len(sources), split, test_fraction):
        name, opener = sources[i]
        if names is not None and Path(name).name not in names:
            continue
        try:
            with Image.open(opener()) as img:
                img.load()
                arrays.append(np.asarray(fit_square(img.convert(mode), resolution)))
            files.append(name)
        except (OSError, UnidentifiedImageError, ValueError, zipfile.BadZipFile) as e:
            skipped.append(f"{name}: {e}")
    if not arrays:
        raise DataError(f"no readable images (JPEG, PNG or WebP) found in {path}"
                        + (f"; {len(skipped)} files could not be read" if skipped else ""))
    x = torch.from_numpy(np.stack(arrays))
    if x.ndim == 3:
        x = x[..., None]
    result = ImageSet(images=x.contiguous(), name=path.name + (f"/{split}" if split else ""),
                      files=tuple(files), skipped=skipped)
    if attributes is not None:
        table, attr_names = read_attribute_table(attributes)
        missing = [f for f in files if Path(f).name not in table]
        if missing:
            raise DataError(f"attribute table {attributes} has no row for {len(missing)} images, "
                            f"e.g. {missing[0]}")
        result.attributes = torch.tensor([table[Path(f).name] for f in files], dtype=torch.bool)
        result.attribute_names = attr_names
    return result


def load_dataset(data: str, resolution: int, channels: int, split: str = "train",
                 root: str | None = None, attributes: str | None = None,
                 test_fraction: float = 0.1) -> ImageSet:
    """`data` is "fashion-mnist" (with optional `root` folder) or a folder / zip of images.

    For an image folder the last `test_fraction` of the sorted images is the test split.
    """
    if data == "fashion-mnist":
        if channels != 1:
            raise DataError("Fashion-MNIST is grey: use --channels 1")
        return load_fashion_mnist(split, resolution, root)
    return load_image_folder(data, resolution, channels, attributes, split=split,
                             test_fraction=test_fraction)


def recorded_paths(key: str, path: str | os.PathLike, model_folder: str | os.PathLike) -> dict[str, str]:
    """How an export records where its training data lies: KEY, the absolute path, and
    KEY_relative, the path from the model folder, so that the data is found again when the model
    folder and the data move together (a clone of the project with its data beside it)."""
    absolute = Path(path).resolve()
    try:
        relative = os.path.relpath(absolute, Path(model_folder).resolve()).replace(os.sep, "/")
    except ValueError:  # Windows: another drive, no relative path
        return {key: str(absolute)}
    return {key: str(absolute), f"{key}_relative": relative}


def find_recorded(training: dict, key: str, model_folder: str | os.PathLike | None) -> str | None:
    """The first existing one of the paths recorded_paths wrote (None if neither exists)."""
    candidates = [training.get(key)]
    if model_folder is not None and training.get(f"{key}_relative"):
        candidates.append(str(Path(model_folder) / training[f"{key}_relative"]))
    return next((c for c in candidates if c and Path(c).exists()), None)


def trained_on_fashion_mnist(config: dict) -> bool:
    """Whether a model (its config.json) was trained on Fashion-MNIST rather than an image folder."""
    return config.get("data", {}).get("name", "").startswith("fashion-mnist")


def model_data(config: dict, split: str = "train", data: str | None = None,
               attributes: str | None = None, root: str | None = None,
               model_folder: str | os.PathLike | None = None) -> ImageSet:
    """The `split` of the images a model (its config.json) was trained on.

    Fashion-MNIST models read Debian's copy (or `root`); image-folder models read `data` (and
    `attributes`), by default the paths recorded at export (absolute, or relative to `model_folder`),
    with the recorded test fraction.
    """
    gan = config["gan"]
    if trained_on_fashion_mnist(config):
        return load_fashion_mnist(split, gan["resolution"], root)
    training = config.get("training", {})
    data = data or find_recorded(training, "data_source", model_folder)
    if not data or not Path(data).exists():
        where = data or training.get("data_source")
        name = config.get("data", {}).get("name", "")
        raise DataError(f"the model was trained on {name or 'unknown images'}: give them with "
                        f"--data FOLDER_OR_ZIP" + (f" ({where} is not here)" if where else ""))
    attributes = attributes or find_recorded(training, "attributes_source", model_folder)
    if attributes and not Path(attributes).exists():
        attributes = None
    return load_image_folder(data, gan["resolution"], gan["channels"], attributes, split=split,
                             test_fraction=training.get("test_fraction", 0.1))
