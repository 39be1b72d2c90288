"""Measures of a generator's samples against real images, as pure functions of arrays.

- Frechet distance between Gaussians fitted to features (Heusel et al. 2017, arXiv:1706.08500):
  ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)).
- Kernel distance, KID (Binkowski et al. 2018, arXiv:1801.01401): unbiased MMD^2 with the kernel
  k(x, y) = (x.y / d + 1)^3, averaged over subsets, with its standard error.
- Inception Score analogue (Salimans et al. 2016): exp(E_x KL(p(y|x) || p(y))).
- Precision and recall of the generated manifold (Kynkaanniemi et al. 2019, arXiv:1904.06991):
  k-nearest-neighbour balls around each real (resp. generated) feature.
- Memorisation: distance of each sample to its nearest training image, against the same distance
  for held-out test images.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy import linalg


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to feature sets a (N, F) and b (M, F)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # Tr (S_a S_b)^(1/2) = Tr (S_a^(1/2) S_b S_a^(1/2))^(1/2), the latter symmetric: use eigh.
    w, v = linalg.eigh(cov_a)
    root_a = (v * np.sqrt(w.clip(0))) @ v.T
    tr_covmean = np.sqrt(linalg.eigvalsh(root_a @ cov_b @ root_a).clip(0)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * tr_covmean)


def kernel_distance(a: np.ndarray, b: np.ndarray, subsets: int = 50, subset_size: int = 1000,
                    seed: int = 0) -> tuple[float, float]:
    """KID: (mean, standard error) of the unbiased MMD^2 over random subsets of a and b."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d = a.shape[1]
    m = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx, kyy, kxy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3
        values.append((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
                      + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.mean())
    values = np.asarray(values)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else 0.0)


def inception_score(probs: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """(mean, std) over splits of exp(E KL(p(y|x) || p(y))) for class probabilities (N, K)."""
    probs = np.asarray(probs, np.float64)
    scores = []
    for part in np.array_split(probs, splits):
        py = part.mean(0, keepdims=True)
        kl = (part * (np.log(part + 1e-12) - np.log(py + 1e-12))).sum(1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def class_shares(labels: np.ndarray, n_classes: int) -> np.ndarray:
    return np.bincount(np.asarray(labels), minlength=n_classes) / max(1, len(labels))


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    return float(0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum())


def _pairwise_sq(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return ((a * a).sum(1, keepdim=True) - 2 * a @ b.T + (b * b).sum(1)[None]).clamp_min(0)


def nearest_distances(query: np.ndarray, ref: np.ndarray, k: int = 1, exclude_self: bool = False,
                      chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Distance to and index of the k-th nearest row of `ref` for each row of `query`.

    `exclude_self` skips the zero distance of a row to itself (query is ref).
    """
    q = torch.as_tensor(np.asarray(query, np.float32)).flatten(1)
    r = torch.as_tensor(np.asarray(ref, np.float32)).flatten(1)
    kk = k + 1 if exclude_self else k
    dist, idx = [], []
    for i in range(0, len(q), chunk):
        d2, j = _pairwise_sq(q[i:i + chunk], r).topk(kk, dim=1, largest=False)
        dist.append(d2[:, -1].sqrt())
        idx.append(j[:, -1])
    return torch.cat(dist).numpy(), torch.cat(idx).numpy()


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall: share of fake inside the real manifold and vice versa.

    A set's manifold is the union of balls around its points with radius the distance to their k-th
    nearest neighbour in the same set.
    """
    real_r, _ = nearest_distances(real, real, k, exclude_self=True)
    fake_r, _ = nearest_distances(fake, fake, k, exclude_self=True)

    def coverage(points, centres, radii, chunk=2048):
        p, c = torch.as_tensor(points, dtype=torch.float32), torch.as_tensor(centres, dtype=torch.float32)
        rr = torch.as_tensor(radii, dtype=torch.float32) ** 2
        inside = [(_pairwise_sq(p[i:i + chunk], c) <= rr[None]).any(1) for i in range(0, len(p), chunk)]
        return torch.cat(inside).float().mean().item()

    return coverage(fake, real, real_r), coverage(real, fake, fake_r)


def memorisation(gen: np.ndarray, train: np.ndarray, test: np.ndarray,
                 quantile: float = 0.01) -> dict:
    """Share of generated images closer to a training image than all but `quantile` of test images.

    A test image is never a copy of a training image, so the test images' nearest-train distances
    say how close an honest new image comes; a sample closer than their `quantile` quantile looks
    copied. Returns the share, the threshold, and per-sample distances and nearest indices.
    """
    d_test, _ = nearest_distances(test, train)
    d_gen, idx = nearest_distances(gen, train)
    threshold = float(np.quantile(d_test, quantile))
    return {"share": float((d_gen < threshold).mean()), "threshold": threshold,
            "expected_share_for_new_images": quantile,
            "median_gen_distance": float(np.median(d_gen)),
            "median_test_distance": float(np.median(d_test)),
            "gen_distances": d_gen, "nearest_train": idx}
