"""Map a user's photo into a model's domain: find the object or face and frame it as the training
images are framed.

A Fashion-MNIST model knows grey items, light on black, scaled so the longer side fills 28 of 32
pixels. A photo is a colour object on a (usually light) plain background at any size. `to_model`
finds the object (inversion.objects: what stands out from the border colour), crops a square
around it, converts to grey, flips polarity when the photo's background is light, stretches
levels so the background is black, and centres it the way the training data is centred.
The `DomainMapping` it returns records all of that, so that editing.compositing can carry a change
made in the model's domain back onto the photo at its own resolution.

Face models ("kind": "face") are framed by alignment instead: the chosen face's five landmarks are
carried onto the training data's mean landmarks by a similarity transform (inversion.geometry),
kept in the mapping as `affine`.

The model's domain is written into its config.json at export (training.modelfile); `DomainSpec`
reads it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import cv2
import numpy as np
import torch

from inversion.geometry import similarity, square_bounds
from inversion.objects import NoObjectError, border_colour, find_object
from training.modelfile import data_domain
from training.networks import RESOLUTIONS
from training.pixels import LUMA, from_uint8
from training.validate import Fields


class NoFaceError(NoObjectError):
    """A face model was given a photo without a (findable) face."""


@dataclass(frozen=True)
class DomainSpec:
    """How a model's training images are framed; stored in the model's config.json as "domain"."""

    kind: str = "centre-crop"  # "object" (object on a plain background) or "centre-crop"
    content_fraction: float = 1.0  # share of the side the object's longer side fills (28/32 for FMNIST)
    light_on_dark: bool = False  # training objects are light on a black background
    landmarks: tuple = ()  # "face": the training faces' mean 5 landmarks, model pixels
    face_box: tuple = ()  # "face": the training faces' mean detector box (x0, y0, x1, y1)

    @classmethod
    def for_model(cls, config: dict) -> "DomainSpec":
        """The domain config.json records; a config exported before it recorded one gets the domain
        that export writes now for its training data (training.modelfile.data_domain)."""
        d = dict(config.get("domain") or data_domain(config.get("data", {})))
        for key in ("landmarks", "face_box"):
            d[key] = tuple(tuple(v) if isinstance(v, list) else v for v in d.get(key, ()))
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass(frozen=True, kw_only=True)
class DomainMapping:
    """Everything needed to go from photo pixels to model pixels and back."""

    photo_size: tuple[int, int]  # (width, height) of the photo
    box: tuple[float, float, float, float]  # square crop (x0, y0, x1, y1) in photo pixels; may overhang
    resolution: int  # model image side
    content: int  # model pixels the crop is resized to (centred in the model image)
    grey: bool  # the model is grey: the photo's luminance is used
    invert: bool  # light background in the photo -> black in the model
    background: tuple[float, float, float]  # the photo's background colour (RGB 0..255)
    black_point: float  # photo level (after polarity) that maps to model black
    whole_image: bool  # no object detection: the whole (centre-cropped) image
    affine: tuple = ()  # face models: 2x3 similarity photo -> model pixels, row-major; () = box crop
    face: int = 0  # face models: which of the photo's faces (largest first)
    detector: str = ""  # face models: which of dlib's detectors found it, "hog" or "cnn"
    landmarks: tuple = ()  # face models: the training faces' five landmarks, model pixels
    grey_photo: bool = False  # the photo is grey (each pixel's channels equal): an edit lands grey (a
    # colour model's change tinted a greyscale portrait: a walkthrough); False in files made before

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "DomainMapping":
        d = dict(d)
        for key in ("photo_size", "box", "background", "affine"):
            d[key] = tuple(d.get(key, ()))
        d["landmarks"] = tuple(tuple(p) for p in d.get("landmarks", ()))
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    @property
    def matrix(self) -> np.ndarray:
        """2x3 photo -> model pixel transform (for the box crop too)."""
        if self.affine:
            return np.array(self.affine, np.float64).reshape(2, 3)
        x0, y0, x1, _ = self.box
        k = self.content / (x1 - x0)
        off = (self.resolution - self.content) / 2
        return np.array([[k, 0.0, off - x0 * k], [0.0, k, off - y0 * k]])

    @property
    def scale(self) -> float:
        """Model pixels per photo pixel."""
        m = self.matrix
        return float(np.sqrt(abs(np.linalg.det(m[:, :2]))))

    def to_model_point(self, x: float, y: float) -> tuple[float, float]:
        m = self.matrix
        return float(m[0, 0] * x + m[0, 1] * y + m[0, 2]), float(m[1, 0] * x + m[1, 1] * y + m[1, 2])

    def scaled(self, factor: float) -> "DomainMapping":
        """The same mapping for the photo resized by `factor` (the editor's display copy)."""
        w, h = self.photo_size
        affine = self.affine
        if affine:
            m = self.matrix.copy()
            m[:, :2] /= factor
            affine = tuple(float(v) for v in m.reshape(-1))
        return replace(self, photo_size=(int(round(w * factor)), int(round(h * factor))),
                       box=tuple(float(round(v * factor)) for v in self.box), affine=affine)

    @property
    def found_by(self) -> str:
        """"face found by dlib's CNN detector" for a face (what the user is told), "" otherwise."""
        return f"face found by dlib's {self.detector.upper()} detector" if self.detector else ""

    @property
    def gain(self) -> float:
        """Model levels per photo level (after polarity), from the levels stretch."""
        return 255.0 / max(1.0, 255.0 - self.black_point)

    def model_colour(self, rgb) -> tuple[float, ...]:
        """A photo colour (R, G, B in 0..255) as the model sees it, in levels [-1, 1]: through the
        same grey conversion, polarity flip and levels stretch as the photo's pixels (one value
        for a grey model, three for a colour one). A white brush on a dark-on-light product photo
        is black in the model, as the photo's white background is."""
        c = np.asarray(rgb, np.float64).reshape(3)
        if self.grey:
            c = np.array([LUMA @ c])
        if self.invert:
            c = 255.0 - c
        c = (c - self.black_point) * self.gain
        return tuple(float(v) for v in from_uint8(c[None, None]).flatten())


CROP_SHRINK_SIDE = 2048  # larger crops are shrunk in 8-bit before the float resize (memory)
MAX_PHOTO_SIDE = 50_000_000  # pixels; with MAX_PHOTO_PIXELS no photo inversion.photo opens is refused
MAX_PHOTO_PIXELS = 100_000_000  # twice inversion.photo's MAX_PIXELS


def check_mapping(f: Fields, value, where: str = "mapping") -> DomainMapping:
    """A DomainMapping from a file's JSON, every field checked (types, finite numbers, ranges): the
    crop box lies on the photo, is not inverted and is no larger than the photo (a face's aligned
    square may overhang more); an affine is invertible at a sane scale. `f` names the file."""
    d = f.dict(value, where)
    size = f.list(f.key(d, "photo_size", where), f"{where}.photo_size", 2)
    if len(size) != 2:
        f.fail(f"{where}.photo_size", "(width, height)", size)
    w, h = (f.integer(v, f"{where}.photo_size[{i}]", 1, MAX_PHOTO_SIDE) for i, v in enumerate(size))
    if w * h > MAX_PHOTO_PIXELS:
        f.fail(f"{where}.photo_size", f"at most {MAX_PHOTO_PIXELS // 10**6} megapixels", size)
    resolution = f.integer(f.key(d, "resolution", where), f"{where}.resolution")
    if resolution not in RESOLUTIONS:
        f.fail(f"{where}.resolution", f"one of {RESOLUTIONS}", resolution)
    affine = tuple(f.numbers(d.get("affine", []), f"{where}.affine", max_length=6))
    if affine and len(affine) != 6:
        f.fail(f"{where}.affine", "empty or six numbers", affine)
    x0, y0, x1, y1 = f.numbers(f.key(d, "box", where), f"{where}.box", 4)
    side = max(w, h)
    limit = 8 * side + 4 * resolution if affine else side + 2  # a box crop is at most the photo
    if not (x1 > x0 and y1 > y0 and abs((x1 - x0) - (y1 - y0)) <= 1):
        f.fail(f"{where}.box", "a square (x0, y0, x1, y1) with x0 < x1 and y0 < y1", [x0, y0, x1, y1])
    if x1 - x0 > limit or not (x0 < w and y0 < h and x1 > 0 and y1 > 0):
        f.fail(f"{where}.box", f"a square on the {w}x{h} photo, at most {limit} pixels across",
               [x0, y0, x1, y1])
    if affine:
        det = affine[0] * affine[4] - affine[1] * affine[3]
        scale = abs(det) ** 0.5  # model pixels per photo pixel
        if not resolution / limit <= scale <= 100:
            f.fail(f"{where}.affine", "an invertible photo-to-model transform", affine)
    landmarks = f.list(d.get("landmarks", []), f"{where}.landmarks", 5)
    points = tuple(tuple(f.numbers(p, f"{where}.landmarks[{i}]", 2, -4 * resolution, 4 * resolution))
                   for i, p in enumerate(landmarks))
    if points and len(points) != 5:
        f.fail(f"{where}.landmarks", "empty or five points", landmarks)
    return DomainMapping(
        photo_size=(w, h), box=(x0, y0, x1, y1), resolution=resolution,
        content=f.integer(f.key(d, "content", where), f"{where}.content", 1, resolution),
        grey=f.boolean(f.key(d, "grey", where), f"{where}.grey"),
        invert=f.boolean(f.key(d, "invert", where), f"{where}.invert"),
        background=tuple(f.numbers(f.key(d, "background", where), f"{where}.background", 3, 0, 255)),
        black_point=f.number(f.key(d, "black_point", where), f"{where}.black_point", 0, 255),
        whole_image=f.boolean(f.key(d, "whole_image", where), f"{where}.whole_image"),
        affine=affine, face=f.integer(d.get("face", 0), f"{where}.face", 0, 10_000),
        detector=f.string(d.get("detector", ""), f"{where}.detector", ("", "hog", "cnn")),
        landmarks=points, grey_photo=f.boolean(d.get("grey_photo", False), f"{where}.grey_photo"))


def _crop_square(pixels: np.ndarray, box, fill, size: int) -> np.ndarray:
    """Crop box (x0, y0, x1, y1) from pixels, filling what overhangs the photo with `fill`, resized
    to (size, size, 3) float64 (area averaging). A crop far larger than `size` is first shrunk in
    8-bit to 16 * size, so a 49-megapixel photo never becomes a float copy of its own size."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    h, w = pixels.shape[:2]
    sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if max(y1 - y0, x1 - x0) > max(CROP_SHRINK_SIDE, 16 * size):
        out8 = np.empty((y1 - y0, x1 - x0, 3), np.uint8)
        out8[:] = np.round(fill).astype(np.uint8)
        if sx1 > sx0 and sy1 > sy0:
            out8[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = pixels[sy0:sy1, sx0:sx1]
        mid = 16 * size
        out = cv2.resize(out8, (mid, mid), interpolation=cv2.INTER_AREA).astype(np.float64)
    else:
        out = np.empty((y1 - y0, x1 - x0, 3), np.float64)
        out[:] = fill
        if sx1 > sx0 and sy1 > sy0:
            out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = pixels[sy0:sy1, sx0:sx1]
    return cv2.resize(out, (size, size), interpolation=cv2.INTER_AREA)


def face_to_model(pixels: np.ndarray, resolution: int, spec: DomainSpec, face: int = 0,
                  found: list | None = None) -> tuple[torch.Tensor, DomainMapping]:
    """The `face`-th largest face of a photo, aligned as the training faces: (1, 3, R, R), mapping.
    `found`: the photo's faces if the caller has looked for them already (inversion.faces)."""
    from inversion.faces import find_faces, smallest_face, warp_to_model

    found = find_faces(pixels) if found is None else found
    if not found:
        raise NoFaceError(f"no face found: the face model needs a photo with a face looking roughly "
                          f"at the camera, at least about "
                          f"{smallest_face(pixels.shape[1], pixels.shape[0])} pixels across")
    if not 0 <= face < len(found):
        raise NoFaceError(f"there are {len(found)} faces in the photo; choose one from 0 to "
                          f"{len(found) - 1} (0 is the largest)")
    m = similarity(found[face].points, np.array(spec.landmarks, np.float64))
    h, w = pixels.shape[:2]
    bg, _ = border_colour(pixels)
    box = square_bounds(m, resolution)
    mapping = DomainMapping(photo_size=(w, h), box=box, resolution=resolution, content=resolution,
                            grey=False, invert=False, background=tuple(float(v) for v in bg),
                            black_point=0.0, whole_image=False,
                            affine=tuple(float(v) for v in m.reshape(-1)), face=face,
                            detector=found[face].detector,
                            landmarks=tuple(tuple(float(c) for c in p) for p in spec.landmarks))
    small = warp_to_model(pixels, m, resolution)
    x = from_uint8(small)[None]
    return x, mapping


def to_model(pixels: np.ndarray, resolution: int, channels: int, spec: DomainSpec,
             whole_image: bool = False, face: int = 0, found: list | None = None
             ) -> tuple[torch.Tensor, DomainMapping]:
    """Photo (H, W, 3) uint8 -> model image (1, C, R, R) in [-1, 1] and the mapping back.

    For a face model, `face` picks one of the photo's faces (0 = the largest); `found` passes
    them in when they have been looked for already.
    """
    if spec.kind == "face" and not whole_image:
        x, mapping = face_to_model(pixels, resolution, spec, face, found)
        return x, replace(mapping, grey_photo=grey_pixels(pixels))
    h, w = pixels.shape[:2]
    bg, _ = border_colour(pixels)
    if spec.kind == "object" and not whole_image:
        x0, y0, x1, y1 = find_object(pixels)
        side = max(x1 - x0, y1 - y0)  # resized to content_fraction of the model image
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    else:  # centre-crop models see a centre square; "object" models get all of the image
        side = min(w, h) if spec.kind != "object" else max(w, h)
        cx, cy = w / 2, h / 2
    side = max(side, 2.0)
    box = (cx - side / 2, cy - side / 2, cx - side / 2 + round(side), cy - side / 2 + round(side))
    box = tuple(float(round(v)) for v in box)
    grey = channels == 1
    bg_level = float(LUMA @ bg) if grey else float(bg.mean())
    invert = spec.light_on_dark and bg_level > 127.5
    black = (255.0 - bg_level if invert else bg_level) if spec.light_on_dark else 0.0
    black = min(black, 200.0)  # a mid-grey background still leaves room for the object
    boxed = spec.kind == "object" and not whole_image
    content = int(round(resolution * spec.content_fraction)) if spec.kind == "object" else resolution
    mapping = DomainMapping(photo_size=(w, h), box=box, resolution=resolution, content=content,
                            grey=grey, invert=invert, background=tuple(float(v) for v in bg),
                            black_point=black, whole_image=not boxed, grey_photo=grey_pixels(pixels))
    return framed(pixels, mapping, spec), mapping


def grey_pixels(pixels: np.ndarray) -> bool:
    """Whether every pixel of an (H, W, 3) uint8 photo has its three channels equal (a greyscale
    photo, read as RGB): a sparse sample first (a colour photo is told at once), then in bands."""
    def grey(part: np.ndarray) -> bool:
        return bool(np.array_equal(part[..., 0], part[..., 1]) and np.array_equal(part[..., 1], part[..., 2]))

    if not grey(pixels[::17, ::17]):
        return False
    band = max(1, (1 << 22) // max(1, 3 * pixels.shape[1]))  # about 4 MB at a time
    return all(grey(pixels[y:y + band]) for y in range(0, pixels.shape[0], band))


def framed(pixels: np.ndarray, mapping: DomainMapping, spec: DomainSpec) -> torch.Tensor:
    """Photo pixels (H, W, 3) uint8 as the model sees them through a mapping found before
    (`to_model`), (1, C, R, R) in [-1, 1]: an aligned face cut through its affine; else its box
    crop with the mapping's grey, polarity and levels, the training data's background around it."""
    if mapping.affine:
        from inversion.faces import warp_to_model

        return from_uint8(warp_to_model(pixels, mapping.matrix, mapping.resolution))[None]
    bg, resolution, content = np.asarray(mapping.background, np.float64), mapping.resolution, mapping.content
    small = _crop_square(pixels, mapping.box, bg, content)  # (content, content, 3) float
    if mapping.grey:
        small = (small @ LUMA)[..., None]
    if mapping.invert:
        small = 255.0 - small
    small = (small - mapping.black_point) * mapping.gain
    # Around the content: the training data's background, black for light-on-dark data.
    fill = 0.0 if spec.light_on_dark else ((bg @ LUMA) if mapping.grey else bg)
    canvas = np.empty((resolution, resolution, small.shape[2]))
    canvas[:] = fill
    off = (resolution - content) // 2
    canvas[off:off + content, off:off + content] = small
    return from_uint8(canvas)[None]
