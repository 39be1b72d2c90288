"""Affine geometry between photo pixels and model pixels: the similarity transform that aligns
landmarks (Umeyama 1991), applying and inverting 2x3 matrices, and the photo region a model square
covers. Used by face alignment (inversion.faces), framing (inversion.framing) and carry-back
(editing.compositing).
"""
from __future__ import annotations

import cv2
import numpy as np


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
