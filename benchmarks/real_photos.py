"""Photos made from held-out faces: a face enlarged to a given size, turned, off-centre, on a
background from a real photo, saved as JPEG and read back (the face-finding tests use them too).
"""
from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from benchmarks.faces import place_face

BACKGROUNDS = ("coffee", "rocket", "motorcycle")  # scikit-image's photos without people in them
JPEG_QUALITY = 85


def background(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A plausible photo background (H, W, 3) uint8 for a (width, height) photo: one of
    scikit-image's photos without people, flipped at random, blurred a little (out of focus),
    enlarged to cover the photo and cut at a random place."""
    import skimage.data

    name = BACKGROUNDS[rng.integers(len(BACKGROUNDS))]
    img = skimage.data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(skimage.data, name)()
    if rng.random() < 0.5:
        img = img[:, ::-1]
    img = cv2.GaussianBlur(np.ascontiguousarray(img), (0, 0), 1.5)
    w, h = size
    k = max(w / img.shape[1], h / img.shape[0]) * rng.uniform(1.0, 1.3)
    big = cv2.resize(img, (int(np.ceil(img.shape[1] * k)), int(np.ceil(img.shape[0] * k))),
                     interpolation=cv2.INTER_LINEAR)
    x0 = rng.integers(big.shape[1] - w + 1)
    y0 = rng.integers(big.shape[0] - h + 1)
    return np.ascontiguousarray(big[y0:y0 + h, x0:x0 + w])


def jpeg_round_trip(pixels: np.ndarray, quality: int = JPEG_QUALITY) -> np.ndarray:
    """The pixels as a camera would leave them: saved as JPEG and read back."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def face_photo(face: np.ndarray, face_box, face_px: float, angle: float,
               photo_size: tuple[int, int], rng: np.random.Generator, offset: float = 0.35,
               quality: int | None = JPEG_QUALITY) -> tuple[np.ndarray, np.ndarray]:
    """An aligned face (R, R, 3) uint8 made into a photo: enlarged so that its face box (the
    detector's box in model pixels, `face_box`; cheek to cheek, brows to chin) is `face_px`
    photo pixels across, turned by `angle` degrees, off-centre, on a `background`, then saved
    as JPEG and read back (`quality` None: not). Returns (photo (H, W, 3) uint8, 2x3 model ->
    photo transform). Deterministic for the state of `rng`."""
    crop_px = face_px * face.shape[0] / (face_box[2] - face_box[0])
    photo, m = place_face(face, photo_size, crop_px, angle, rng, background(photo_size, rng), offset)
    return (jpeg_round_trip(photo, quality) if quality else photo), m
