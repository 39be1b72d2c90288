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

SAME_PERSON = 0.6  # dlib's threshold on descriptor distance
DETECT_MAX_SIDE = 1600  # photos are searched at most this large (faster; faces stay findable)
DETECT_MIN_SIDE = 400  # smaller photos are upsampled once by the detector


class FaceError(Exception):
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

    def contains(self, x: float, y: float) -> bool:
        x0, y0, x1, y1 = self.box
        return x0 <= x <= x1 and y0 <= y <= y1


def _rect(box):
    import dlib

    return dlib.rectangle(*(int(round(v)) for v in box))


def _landmarks(rgb: np.ndarray, box) -> np.ndarray:
    shape = _predictor()(rgb, _rect(box))
    return np.array([[p.x, p.y] for p in shape.parts()], np.float64)


def find_faces(pixels: np.ndarray) -> list[Face]:
    """Faces in an (H, W, 3) uint8 RGB photo, largest first (may be empty)."""
    h, w = pixels.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
    img = pixels if scale == 1.0 else cv2.resize(
        pixels, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    img = np.ascontiguousarray(img)
    upsample = 1 if max(img.shape[:2]) < DETECT_MIN_SIDE else 0
    rects, scores, _ = _detector().run(img, upsample, 0.0)
    faces = []
    for r, s in zip(rects, scores):
        box = (r.left(), r.top(), r.right(), r.bottom())
        points = _landmarks(img, box) / scale
        faces.append(Face(tuple(v / scale for v in box), points, float(s)))
    return sorted(faces, key=lambda f: -(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 matrix of the similarity transform carrying points src (N, 2) closest onto dst (N, 2)
    in least squares (Umeyama 1991), without reflection."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    ms, md = src.mean(0), dst.mean(0)
    s0, d0 = src - ms, dst - md
    cov = d0.T @ s0 / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rot = u @ sign @ vt
    scale = np.trace(np.diag(sig) @ sign) / max((s0 ** 2).sum() / len(src), 1e-12)
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = md - scale * rot @ ms
    return m


def apply_affine(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.asarray(points, np.float64) @ m[:, :2].T + m[:, 2]


def invert_affine(m: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(np.asarray(m, np.float64))


def affine_scale(m: np.ndarray) -> float:
    """Destination pixels per source pixel of a similarity transform."""
    return float(np.sqrt(abs(np.linalg.det(np.asarray(m)[:, :2]))))


def square_bounds(m: np.ndarray, resolution: int) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) in photo pixels bounding the model square [0, R]^2, m: photo -> model."""
    r = resolution
    corners = apply_affine(invert_affine(m), [[0, 0], [r, 0], [0, r], [r, r]])
    return (float(corners[:, 0].min()), float(corners[:, 1].min()),
            float(corners[:, 0].max()), float(corners[:, 1].max()))


def square_region(m: np.ndarray, resolution: int, photo_size: tuple[int, int], margin: int = 0
                  ) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
    """The photo's pixel region (x0, y0, x1, y1) around the model square (grown by `margin`,
    clipped to the photo), and `m` re-based to that region's origin; None if it is off the photo."""
    w, h = photo_size
    bx0, by0, bx1, by1 = square_bounds(m, resolution)
    x0, y0 = max(0, int(np.floor(bx0)) - margin), max(0, int(np.floor(by0)) - margin)
    x1, y1 = min(w, int(np.ceil(bx1)) + 1 + margin), min(h, int(np.ceil(by1)) + 1 + margin)
    if x1 <= x0 or y1 <= y0:
        return None
    shifted = np.asarray(m, np.float64).copy()
    shifted[:, 2] += shifted[:, :2] @ [x0, y0]
    return (x0, y0, x1, y1), shifted


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


def to_uint8(x) -> np.ndarray:
    """Model images (N, 3, R, R) in [-1, 1] (tensor) -> (N, R, R, 3) uint8."""
    return ((x.detach().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()


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
