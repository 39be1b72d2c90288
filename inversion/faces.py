"""Faces in photos: find them, align them as the face model's training data, and tell who they are.

Uses dlib (package `dlib-bin`): its HOG face detector, its 5-point landmark model and its 128-d
face-recognition ResNet, both from the package `face-recognition-models` (the 68-point model there
is never used: its training data forbids commercial use). Alignment is the similarity transform
(rotation, uniform scale, shift) that carries a face's five landmarks closest, in least squares,
onto the mean landmarks of the training images (`measure_template`), which the face model stores
in its config.json as "domain": {"kind": "face", "landmarks": ..., "face_box": ...}.

Finding: `search_plan` lists the looks `find_faces` takes until one finds a face: the HOG detector
on the photo shrunk, then ever larger up to twice its size (so a 40 px face fills the detector's
80 px window), in overlapping tiles where large; copies turned by 25 degrees both ways where they
are small enough; then the CNN (MMOD) detector, slower, which also takes faces turned to the side
or looking down. A face as large as the photo is found by the first looks (with a border).

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

from inversion.geometry import affine_scale, apply_affine, invert_affine, square_region
from training.errors import UserError
from training.pixels import to_uint8

SAME_PERSON = 0.6  # dlib's threshold on descriptor distance
FACE_MIN = 40  # pixels across (the detector's box, cheek to cheek): the smallest face looked for
HOG_WINDOW = 80  # pixels: the smallest face dlib's HOG detector finds in the image it is given
HOG_MIN_SCORE = 0.2  # weaker HOG detections are dropped: on two astronauts the suits scored 0.04
# to 0.12, the faces above 1
FIRST_PIXELS = 2_000_000  # the first look sees the photo at most this large (fast; most faces)
FIRST_PAD = 0.2  # ... then with a border of this share of its shorter side: a face filling the
# photo then fits the detector's window (found 17 of 20 faces as tall as the photo, not 13). Not
# at once: the border shifts the detector's scales, and the astronaut's suit then scored 0.23
TILE = 3000  # pixels: a look at a larger image searches it in tiles (memory stays bounded)
TILE_OVERLAP = 300  # pixels the tiles share: a face the previous, coarser look was too small to
# see is at most about 220 pixels across here (2.7 windows), and lies whole in one tile
TURNS = (-25.0, 25.0)  # degrees: copies turned this way are searched when the upright one has no
# face; dlib's HOG detector itself takes faces tilted up to about 35 degrees, less often
TURN_PIXELS = 4_000_000  # ... at the looks where a turned copy is at most this large
TILT_AGAIN = 5.0  # degrees: the landmarks of a face tilted more are found again on it turned
# upright (dlib's predictor starts from an upright face: on ten held-out faces tilted 45 degrees
# the alignment's angle was up to 9 degrees off the same face's upright; turned upright, about 1)
CNN_PIXELS = 750_000  # the CNN detector (the fallback, slow) searches the photo at most this large
CNN_MIN_SIDE = 400  # ... and a smaller photo enlarged twice


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
    turn: float = 0.0  # degrees (counter-clockwise as shown) the photo's copy was turned when the
    # face was found on it; 0: on the photo as it is

    def contains(self, x: float, y: float) -> bool:
        x0, y0, x1, y1 = self.box
        return x0 <= x <= x1 and y0 <= y <= y1


@dataclass(frozen=True)
class Look:
    """One search for faces: the photo scaled by `scale` (2: enlarged twice), turned by `turn`
    degrees, searched by one of dlib's detectors ("hog" or "cnn"); `pad`: with a border."""

    detector: str
    scale: float
    turn: float = 0.0
    pad: bool = False


def _rect(box):
    import dlib

    return dlib.rectangle(*(int(round(v)) for v in box))


def _landmarks(rgb: np.ndarray, box) -> np.ndarray:
    shape = _predictor()(rgb, _rect(box))
    return np.array([[p.x, p.y] for p in shape.parts()], np.float64)


def _upright_landmarks(rgb: np.ndarray, box) -> np.ndarray:
    """(5, 2) landmarks of the face in `box`; for a face tilted over TILT_AGAIN degrees, found
    again on its neighbourhood turned upright about the box's centre, and turned back."""
    points = _landmarks(rgb, box)
    eyes = points[0] - points[2]  # outer corner to outer corner, left to right in an upright face
    tilt = float(np.degrees(np.arctan2(eyes[1], eyes[0])))
    if abs(tilt) <= TILT_AGAIN:
        return points
    x0, y0, x1, y1 = box
    half = max(x1 - x0, y1 - y0)  # the turned neighbourhood: twice the box across
    m = cv2.getRotationMatrix2D((half, half), tilt, 1.0)  # neighbourhood -> turned upright
    m[:, 2] -= m[:, :2] @ [(x0 + x1) / 2 - half, (y0 + y1) / 2 - half]  # from the photo's pixels
    turned = cv2.warpAffine(rgb, m, (2 * half, 2 * half), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    w, h = x1 - x0, y1 - y0
    again = _landmarks(turned, (half - w / 2, half - h / 2, half + w / 2, half + h / 2))
    return apply_affine(invert_affine(m), again)


def search_plan(width: int, height: int) -> list[Look]:
    """The looks find_faces takes at a width x height photo, in turn, until one finds a face.

    dlib's HOG detector, upright: first the photo at most FIRST_PIXELS large (then with a
    border, for a face filling the photo), then twice as large and so on, and last enlarged until
    a FACE_MIN face fills the detector's HOG_WINDOW; after each look whose turned copy is at most
    TURN_PIXELS, the copies turned by TURNS. Then dlib's CNN detector on the photo at most
    CNN_PIXELS large, for faces turned to the side, tilted further or looking down. The cost
    follows the finest look: a 40 px face in a 12-megapixel photo is looked for in a
    48-megapixel copy (in tiles)."""
    finest = HOG_WINDOW / FACE_MIN
    scales = [min(1.0, float(np.sqrt(FIRST_PIXELS / (width * height))))]
    while 2 * scales[-1] < finest / 1.5:  # one look between would cost nearly what the finest does
        scales.append(2 * scales[-1])
    if scales[-1] < finest:
        scales.append(finest)
    turn = np.deg2rad(max(abs(t) for t in TURNS))
    plan = []
    for i, scale in enumerate(scales):
        plan += [Look("hog", scale), Look("hog", scale, pad=True)] if i == 0 else [Look("hog", scale)]
        w, h = width * scale, height * scale
        turned_pixels = (w * np.cos(turn) + h * np.sin(turn)) * (w * np.sin(turn) + h * np.cos(turn))
        if turned_pixels <= TURN_PIXELS:
            plan += [Look("hog", scale, t) for t in TURNS]
    cnn = min(1.0, float(np.sqrt(CNN_PIXELS / (width * height))))
    if max(width, height) * cnn < CNN_MIN_SIDE:
        cnn *= 2
    return plan + [Look("cnn", cnn)]


def smallest_face(width: int, height: int) -> int:
    """About the smallest face (photo pixels across) find_faces finds in a width x height photo."""
    return int(round(HOG_WINDOW / max(look.scale for look in search_plan(width, height))))


def _spans(length: int, tile: float, overlap: float) -> list[tuple[int, int]]:
    """[start, end) pixel spans of at most about `tile` covering `length`, sharing `overlap`."""
    if length <= tile:
        return [(0, length)]
    n = int(np.ceil((length - overlap) / (tile - overlap)))
    size = (length + (n - 1) * overlap) / n
    starts = [round(i * (size - overlap)) for i in range(n)]
    return [(a, min(length, round(a + size))) for a in starts[:-1]] + [(starts[-1], length)]


def _searched_images(pixels: np.ndarray, look: Look):
    """(image, 2x3 photo -> image transform) for each tile of a look (one, unless it is large)."""
    h, w = pixels.shape[:2]
    tile, overlap = TILE / look.scale, TILE_OVERLAP / look.scale
    for y0, y1 in _spans(h, tile, overlap):
        for x0, x1 in _spans(w, tile, overlap):
            size = (max(1, round((x1 - x0) * look.scale)), max(1, round((y1 - y0) * look.scale)))
            crop = pixels[y0:y1, x0:x1]
            img = crop if size == (x1 - x0, y1 - y0) else cv2.resize(
                crop, size, interpolation=cv2.INTER_AREA if look.scale < 1 else cv2.INTER_LINEAR)
            m = np.array([[size[0] / (x1 - x0), 0, 0], [0, size[1] / (y1 - y0), 0]])
            m[:, 2] = -m[:, :2] @ [x0, y0]
            if look.pad:
                b = round(FIRST_PAD * min(size))
                img = cv2.copyMakeBorder(img, b, b, b, b, cv2.BORDER_REPLICATE)
                m[:, 2] += b
            if look.turn:
                ih, iw = img.shape[:2]
                r = cv2.getRotationMatrix2D((iw / 2, ih / 2), look.turn, 1.0)
                c, s = abs(r[0, 0]), abs(r[0, 1])
                out = (int(np.ceil(iw * c + ih * s)), int(np.ceil(iw * s + ih * c)))
                r[:, 2] += [out[0] / 2 - iw / 2, out[1] / 2 - ih / 2]
                img = cv2.warpAffine(img, r, out, flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REPLICATE)
                m = r[:, :2] @ m  # photo -> turned image: the turn after the scaling
                m[:, 2] += r[:, 2]
            yield np.ascontiguousarray(img), m


def _overlap(a, b) -> float:
    """Intersection over union of two boxes (x0, y0, x1, y1)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def search(pixels: np.ndarray, look: Look) -> list[Face]:
    """The faces one look finds (a face that two tiles both hold, once)."""
    found = []
    for img, m in _searched_images(pixels, look):
        if look.detector == "hog":
            rects, scores, _ = _detector().run(img, 0, 0.0)
            hits = [((r.left(), r.top(), r.right(), r.bottom()), float(s))
                    for r, s in zip(rects, scores) if s >= HOG_MIN_SCORE]
        else:
            hits = [((d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom()),
                     float(d.confidence)) for d in _cnn_detector()(img, 0)]
        back = invert_affine(m)
        for (x0, y0, x1, y1), score in hits:
            corners = apply_affine(back, [[x0, y0], [x1, y0], [x0, y1], [x1, y1]])
            box = (*corners.min(0).tolist(), *corners.max(0).tolist())
            points = apply_affine(back, _upright_landmarks(img, (x0, y0, x1, y1)))
            found.append(Face(tuple(float(v) for v in box), points, score, look.detector, look.turn))
    kept: list[Face] = []
    for face in sorted(found, key=lambda f: -f.score):
        if all(_overlap(face.box, k.box) < 0.3 for k in kept):
            kept.append(face)
    return kept


def find_faces(pixels: np.ndarray, looks: int | None = None) -> list[Face]:
    """Faces in an (H, W, 3) uint8 RGB photo, largest first (may be empty): those of the first
    look of `search_plan` that finds any (HOG upright at growing sizes, turned copies, then the
    CNN), or of its first `looks` only. Each Face says which detector found it and how far the
    photo was turned."""
    h, w = pixels.shape[:2]
    for look in search_plan(w, h)[:looks]:
        faces = search(pixels, look)
        if faces:
            return sorted(faces, key=lambda f: -(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))
    return []


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
