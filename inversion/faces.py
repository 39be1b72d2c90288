"""Faces in photos: find them, align them as the face model's training data, and tell who they are.

Uses dlib (package `dlib-bin`): its HOG face detector, its 5-point landmark model and its 128-d
face-recognition ResNet, both from the package `face-recognition-models` (the 68-point model there
is never used: its training data forbids commercial use). Alignment is the similarity transform
(rotation, uniform scale, shift) that carries a face's five landmarks closest, in least squares,
onto the mean landmarks of the training images (`measure_template`), which the face model stores
in its config.json as "domain": {"kind": "face", "landmarks": ..., "face_box": ...}.

Identity is the Euclidean distance between 128-d descriptors; dlib's own rule is that two faces
with distance under 0.6 are the same person. The descriptor is not differentiable, so the solver
and the inversion use it to rank candidates (`IdentityRanker`), not as a gradient term.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from inversion.geometry import affine_scale, square_region
from training.errors import UserError
from training.pixels import to_uint8

SAME_PERSON = 0.6  # dlib's threshold on descriptor distance
DETECT_MAX_SIDE = 1600  # photos are searched first at most this large (fast; most faces are found)
DETECT_FULL_SIDE = 4000  # then at twice that, and so on up to their own size, at most this large
DETECT_MIN_SIDE = 400  # smaller photos are upsampled once by the detector
HOG_WINDOW = 80  # pixels: the smallest face dlib's HOG detector finds without upsampling
HOG_MIN_SCORE = 0.2  # weaker HOG detections are dropped: on two astronauts the suits scored 0.04
# to 0.12, the faces above 1
CNN_MAX_SIDE = 1000  # the CNN detector (the fallback) searches photos at most this large


class FaceError(UserError):
    """No face (or not the asked-for face) in a photo; the message says what to do."""


def _model_file(name: str) -> str:
    spec = importlib.util.find_spec("face_recognition_models")  # not imported: it needs pkg_resources
    if spec is None or not spec.submodule_search_locations:
        raise FaceError("the face models are not installed: pip install face-recognition-models")
    path = Path(spec.submodule_search_locations[0]) / "models" / name
    if not path.is_file():
        raise FaceError(f"face model file {path} is missing; reinstall face-recognition-models")
    return str(path)


@lru_cache(maxsize=1)
def _detector():
    import dlib

    return dlib.get_frontal_face_detector()


@lru_cache(maxsize=1)
def _cnn_detector():
    import dlib

    return dlib.cnn_face_detection_model_v1(_model_file("mmod_human_face_detector.dat"))


@lru_cache(maxsize=1)
def _predictor():
    import dlib

    return dlib.shape_predictor(_model_file("shape_predictor_5_face_landmarks.dat"))


@lru_cache(maxsize=1)
def _recogniser():
    import dlib

    return dlib.face_recognition_model_v1(_model_file("dlib_face_recognition_resnet_model_v1.dat"))


@dataclass(frozen=True)
class Face:
    """A face found in a photo, in photo pixels."""

    box: tuple[float, float, float, float]  # detector rectangle (x0, y0, x1, y1)
    points: np.ndarray  # (5, 2) dlib's five landmarks: eye corners (4) and the base of the nose
    score: float  # detector confidence
    detector: str = "hog"  # which of dlib's detectors found it: "hog" or "cnn" (the fallback)

    def contains(self, x: float, y: float) -> bool:
        x0, y0, x1, y1 = self.box
        return x0 <= x <= x1 and y0 <= y <= y1


def _rect(box):
    import dlib

    return dlib.rectangle(*(int(round(v)) for v in box))


def _landmarks(rgb: np.ndarray, box) -> np.ndarray:
    shape = _predictor()(rgb, _rect(box))
    return np.array([[p.x, p.y] for p in shape.parts()], np.float64)


def _shrunk(pixels: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """The photo at most `max_side` pixels on its longer side, and the scale it was shrunk by."""
    h, w = pixels.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    img = pixels if scale == 1.0 else cv2.resize(
        pixels, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img), scale


def detection_sides(width: int, height: int) -> list[int]:
    """The longer sides a photo is searched at by the HOG detector, in turn until a face is found:
    at most DETECT_MAX_SIDE first, then twice as large, up to the photo's own size (capped at
    DETECT_FULL_SIDE), so a small face in a large photo is still seen at the size it needs."""
    full = min(max(width, height), DETECT_FULL_SIDE)
    sides = [min(full, DETECT_MAX_SIDE)]
    while sides[-1] < full:
        sides.append(min(full, 2 * sides[-1]))
    return sides


def smallest_face(width: int, height: int) -> int:
    """About the smallest face (photo pixels across) find_faces finds in a width x height photo."""
    side = detection_sides(width, height)[-1]
    window = HOG_WINDOW / 2 if side < DETECT_MIN_SIDE else HOG_WINDOW  # upsampled once
    return int(round(window * max(width, height) / side))


def find_faces(pixels: np.ndarray) -> list[Face]:
    """Faces in an (H, W, 3) uint8 RGB photo, largest first (may be empty).

    dlib's HOG detector looks first (fast, frontal faces), at the sizes `detection_sides` gives
    until one finds a face, keeping detections scoring at least HOG_MIN_SCORE; when it finds none,
    its CNN detector (MMOD, slower, also faces turned to about 45 degrees, tilted or looking down)
    looks again. Each Face says which one found it."""
    h, w = pixels.shape[:2]
    for side in detection_sides(w, h):
        img, scale = _shrunk(pixels, side)
        upsample = 1 if max(img.shape[:2]) < DETECT_MIN_SIDE else 0
        rects, scores, _ = _detector().run(img, upsample, 0.0)
        found = [((r.left(), r.top(), r.right(), r.bottom()), float(s))
                 for r, s in zip(rects, scores) if s >= HOG_MIN_SCORE]
        if found:
            break
    detector = "hog"
    if not found:
        img, scale = _shrunk(pixels, CNN_MAX_SIDE)
        upsample = 1 if max(img.shape[:2]) < DETECT_MIN_SIDE else 0
        found = [((d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom()), float(d.confidence))
                 for d in _cnn_detector()(img, upsample)]
        detector = "cnn"
    faces = [Face(tuple(v / scale for v in box), _landmarks(img, box) / scale, score, detector)
             for box, score in found]
    return sorted(faces, key=lambda f: -(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))


def warp_to_model(pixels: np.ndarray, m: np.ndarray, resolution: int) -> np.ndarray:
    """The model-resolution square that `m` (photo -> model pixels) cuts out of the photo, (R, R, 3)
    float64. Large faces are blurred first in proportion to the shrink (no aliasing), and only the
    face's neighbourhood is touched, so a 24-megapixel photo costs what its face costs."""
    shrink = 1.0 / affine_scale(m)
    h, w = pixels.shape[:2]
    found = square_region(m, resolution, (w, h), int(np.ceil(3 * shrink)) + 2)
    if found is None:
        raise FaceError("the face lies outside the photo")
    (x0, y0, x1, y1), shifted = found
    region = pixels[y0:y1, x0:x1].astype(np.float32)
    if shrink > 1.5:
        region = cv2.GaussianBlur(region, (0, 0), 0.45 * shrink)
    out = cv2.warpAffine(region, shifted, (resolution, resolution), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
    return out.astype(np.float64).reshape(resolution, resolution, -1)


def measure_template(images: np.ndarray, upscale: int = 4) -> dict:
    """Mean landmarks and detector box of aligned training faces (N, R, R, 3) uint8, in model pixels.

    The images are enlarged `upscale` times and padded by half their side (the detector needs some
    context around a tightly cropped face). Returns {"landmarks": 5 x [x, y], "face_box": [x0, y0,
    x1, y1], "found": share of images with a face}.
    """
    r = images.shape[1]
    pad = r * upscale // 2
    points, boxes = [], []
    for img in images:
        big = cv2.resize(img, (r * upscale, r * upscale), interpolation=cv2.INTER_CUBIC)
        big = np.ascontiguousarray(cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_REFLECT))
        rects = _detector()(big, 0)
        if len(rects) != 1:
            continue
        rc = rects[0]
        box = np.array([rc.left(), rc.top(), rc.right(), rc.bottom()], np.float64)
        pts = _landmarks(big, box)
        points.append((pts - pad) / upscale)
        boxes.append((box - pad) / upscale)
    if not points:
        raise FaceError("no face found in any of the training images: is this a face data set?")
    return {"landmarks": np.median(np.stack(points), 0).round(3).tolist(),
            "face_box": np.median(np.stack(boxes), 0).round(3).tolist(),
            "found": len(points) / len(images)}


def descriptors(images: np.ndarray, face_box, size: int = 256) -> np.ndarray:
    """128-d identity descriptors of aligned model-domain faces (N, R, R, 3) uint8 -> (N, 128).

    The faces sit where the training faces sit, so the detector is not run: the landmarks are
    found inside the template's face box, and dlib cuts its own 150 px chip from them.
    """
    r = images.shape[1]
    k = size / r
    box = [v * k for v in face_box]
    out = np.empty((len(images), 128), np.float64)
    for i, img in enumerate(images):
        big = np.ascontiguousarray(cv2.resize(img, (size, size), interpolation=cv2.INTER_CUBIC))
        shape = _predictor()(big, _rect(box))
        out[i] = np.asarray(_recogniser().compute_face_descriptor(big, shape))
    return out


def identity_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Euclidean distance of descriptors; under SAME_PERSON (0.6) is the same person."""
    return np.linalg.norm(np.asarray(a) - np.asarray(b), axis=-1)


class IdentityRanker:
    """Keeps the identity of a reference face: a penalty weight * max(0, distance - margin) for
    ranking candidate codes (solver candidates, inversion starts)."""

    def __init__(self, reference: np.ndarray, face_box, weight: float = 1.0, margin: float = 0.3):
        self.face_box = face_box
        self.reference = descriptors(reference[None] if reference.ndim == 3 else reference, face_box)[0]
        self.weight, self.margin = weight, margin

    def distances(self, images) -> np.ndarray:
        return identity_distance(descriptors(to_uint8(images), self.face_box), self.reference)

    def penalty(self, images) -> np.ndarray:
        return self.weight * np.maximum(0.0, self.distances(images) - self.margin)
