"""Editing quality and speed: measured-attribute sliders, class sliders, the stroke solver, and
the transfer of an edit back onto a full-size photo. One run, JSON + markdown table.

    .venv/bin/python -m benchmarks.editing [--n 500] [--solver-n 100]

Codes of the held-out test images come from the encoder. Vectors are computed from the training
images' codes with both methods (mean difference, classifier normal), and with the measured
attributes labelled within each class (as shipped) or across all classes, side by side.
- Measured sliders: for each slider value a in -3..+3, the measured change of the target attribute
  (correlation with a, pooled over images, and each image's own), the other measured attributes'
  (slope per slider unit, in units of each attribute's spread over the data: entanglement), and
  whether the evaluation classifier still sees the same class.
- Class sliders: share of images (not of the target class) that the evaluation classifier calls
  the target class at some strength up to 3.
- Solver: strokes copy an 8x8 region of another test image (one colour stroke per pixel); stroke
  error before and after, discriminator score, LPIPS outside the stroke against the unedited
  image, and milliseconds per stroke (median, p95) with K=1 and K=8 candidates.
- Transfer: test images enlarged to 280 px, on white, tinted, stand in for product photos; a
  slider edit is carried back; PSNR of the export against the photo outside the edit mask.
"""
from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from editing.export import render_edit
from editing.measure import MEASURED, measure
from editing.solver import SolverConfig, Stroke, build_constraints, solve, stroke_loss
from editing.vector_sets import fashion_vectors
from editing.vectors import apply_sliders, encode_all, model_vectors
from inversion.encoder import load_encoder
from inversion.framing import DomainSpec, to_model
from inversion.perceptual import LPIPS
from training.classifier import load_classifier
from training.data import load_fashion_mnist
from training.modelfile import DEFAULT_MODEL, load_model

VALUES = (-3, -2, -1, 0, 1, 2, 3)
TRANSFER_EDIT = {"brightness": 2.0}


@torch.no_grad()
def slider_study(G, z0, vectors, spreads, classifier) -> dict:
    """Correlation and entanglement of the measured sliders, for one set of vectors; also each
    image's own correlation (median over images) and the share of edits that keep the class."""
    x0 = G(z0)
    base, base_class = measure(x0), classifier(x0).argmax(1)
    out = {}
    for k in MEASURED:
        deltas = {j: [] for j in MEASURED}
        kept = []
        for a in VALUES:
            x = G(slid(z0, vectors, k, float(a))) if a else x0
            m = measure(x)
            for j in MEASURED:
                deltas[j].append((m[j] - base[j]).numpy())
            if a:
                kept.append((classifier(x).argmax(1) == base_class).float().mean().item())
        a_all = np.repeat(np.array(VALUES, float), len(z0))
        target = np.concatenate(deltas[k])
        corr = float(np.corrcoef(a_all, target)[0, 1])
        per_image = np.stack(deltas[k], 1)  # (N, values)
        moving = per_image.std(1) > 0
        own = [np.corrcoef(VALUES, row)[0, 1] for row in per_image[moving]]
        slopes = {j: float(np.polyfit(a_all, np.concatenate(deltas[j]), 1)[0]) / spreads[j]
                  for j in MEASURED}
        others = [abs(slopes[j]) for j in MEASURED if j != k]
        out[k] = {"correlation": corr, "per_image_correlation": float(np.median(own)) if own else 0.0,
                  "class_kept": float(np.mean(kept)), "slope_per_unit": slopes[k],
                  "other_slopes": {j: slopes[j] for j in MEASURED if j != k},
                  "entanglement": float(np.mean(others)) / max(abs(slopes[k]), 1e-12)}
    return out


def slid(z0: torch.Tensor, vectors, name: str, value: float) -> torch.Tensor:
    """Codes (N, D) moved by slider `name` at `value`, each on its own: a measured slider with
    per-class directions takes each code's class's (editing.vectors.apply_sliders, one code at a
    time; the benchmark broke when they came)."""
    return torch.stack([apply_sliders(z, vectors, {name: value}) for z in z0])


@torch.no_grad()
def class_study(G, z0, labels, vectors, classifier, names) -> dict:
    out = {}
    for c, name in enumerate(names):
        pool = z0[labels != c][:200]
        hit = torch.zeros(len(pool), dtype=torch.bool)
        for a in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0):
            pred = classifier(G(apply_sliders_batch(pool, vectors[name], a))).argmax(1)
            hit |= pred == c
        out[name] = float(hit.float().mean())
    return out


def apply_sliders_batch(z, v, a):
    return z + a * v.spread * v.unit


def copy_strokes(target: torch.Tensor, y: int, x: int, size: int = 8) -> list[Stroke]:
    """One colour stroke per pixel of target's (size x size) block at (y, x)."""
    return [Stroke("color", ((x + j + 0.5, y + i + 0.5),), 0.7, (float(target[0, y + i, x + j]),))
            for i in range(size) for j in range(size)]


def solver_study(model, z0, images, lpips, n: int) -> dict:
    G, D = model.generator, model.critic
    rows = {}
    for k in (1, 8):
        rng = np.random.default_rng(0)  # the same strokes for every K
        cfg = replace(SolverConfig(), candidates=k)
        err_before, err_after, d_before, d_after, outside, ms = [], [], [], [], [], []
        for i in range(n):
            j = (i + 1) % len(z0)
            y, x = rng.integers(8, 17, size=2)
            with torch.no_grad():
                current = G(z0[i:i + 1])[0]
            strokes = copy_strokes(images[j], int(y), int(x))
            t0 = time.perf_counter()
            c = build_constraints(strokes, current)
            last = None
            for last in solve(G, D, z0[i], c, cfg):
                pass
            ms.append(1000 * (time.perf_counter() - t0))
            with torch.no_grad():
                err_before.append(stroke_loss(current[None], c).item())
                err_after.append(last.stroke_error[0].item())
                d_before.append(D(current[None]).item())
                d_after.append(last.realism[0].item())
                keep = (c.color_mask == 0).float()  # outside the stroke
                edited = last.images[:1] * keep + current[None] * (1 - keep)
                outside.append(lpips(edited, current[None]).item())
        rows[k] = {"candidates": k, "strokes": n, "stroke_error_before": float(np.median(err_before)),
                   "stroke_error_after": float(np.median(err_after)),
                   "d_before": float(np.median(d_before)), "d_after": float(np.median(d_after)),
                   "lpips_outside": float(np.median(outside)),
                   "ms_median": statistics.median(ms), "ms_p95": float(np.quantile(ms, 0.95))}
    return rows


FAKE_PHOTO = (360, 320)  # fake_photo's size: rows, columns


def fake_photo(img28: np.ndarray, tint=(60, 90, 160), backdrop: np.ndarray | None = None) -> np.ndarray:
    """A Fashion-MNIST image as a 'product photo': 280 px, dark tinted object on white, margins;
    on `backdrop` (FAKE_PHOTO + (3,) float, levels) instead of white where given."""
    big = np.asarray(Image.fromarray(img28).resize((280, 280), Image.Resampling.BICUBIC), np.float64) / 255
    canvas = np.ones(FAKE_PHOTO + (3,)) * 250 if backdrop is None else backdrop.astype(np.float64)
    under = canvas[40:320, 20:300]
    canvas[40:320, 20:300] = under - big[..., None] * (under - np.array(tint))
    return np.clip(canvas, 0, 255).round().astype(np.uint8)


@torch.no_grad()
def transfer_study(model, encoder, test, vectors, n: int) -> tuple[dict, list]:
    spec = DomainSpec.for_model(model.config)
    values, pairs = [], []
    for i in range(n):
        photo = fake_photo(test.images[i, 2:30, 2:30, 0].numpy())
        x, mapping = to_model(photo, model.gan.resolution, model.gan.channels, spec)
        z0 = encoder(x)[0]
        z1 = apply_sliders(z0, vectors, TRANSFER_EDIT)
        out, mask = render_edit(model, photo, mapping, z0, z1)
        outside = mask < 1e-3
        diff = (out.astype(float) - photo)[outside]
        mse = (diff ** 2).mean() if diff.size else 0.0
        values.append(99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse))
        if len(pairs) < 3:
            pairs.append((photo, out))
    return {"photos": n, "psnr_outside_median": float(np.median(values)),
            "psnr_outside_min": float(np.min(values)),
            "note": "99 dB stands for identical (infinite PSNR)"}, pairs


def tile(images: list[np.ndarray], axis: int, gap: int = 8, fill: int = 255) -> np.ndarray:
    """Equal-sized (H, W, 3) images side by side (axis 1) or stacked (axis 0), gaps of `fill` (white)
    between."""
    shape = list(images[0].shape)
    shape[axis] = gap
    between = np.full(shape, fill, np.uint8)
    return np.concatenate([part for im in images for part in (im, between)][:-1], axis)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--solver-n", type=int, default=100)
    p.add_argument("--transfer-n", type=int, default=50)
    a = p.parse_args()
    model = load_model(a.model)
    encoder = load_encoder(model)
    G = model.generator
    train, test = load_fashion_mnist("train", 32), load_fashion_mnist("test", 32)
    train_codes = encode_all(encoder, train)
    with torch.no_grad():
        z0 = encoder(test.batch(slice(0, a.n)))
        spreads = {}
        for k, v in measure(train.batch(slice(0, 10000))).items():
            spreads[k] = float(v.std())
    classifier, _ = load_classifier()
    results, slider_rows, class_rows = {}, [], []
    for method in ("mean", "classifier"):
        for within in (True, False):
            name = f"{method}, {'within class' if within else 'across classes'}"
            vectors = fashion_vectors(train_codes, train, method, within_class=within)
            s = slider_study(G, z0, vectors, spreads, classifier)
            results[name] = {"sliders": s}
            for k, r in s.items():
                slider_rows.append({"method": name, "attribute": k, **{x: r[x] for x in (
                    "correlation", "per_image_correlation", "class_kept", "slope_per_unit",
                    "entanglement")},
                    **{f"d_{j}": r["other_slopes"].get(j, float("nan")) for j in MEASURED}})
        # Class vectors do not depend on how the measured attributes are labelled.
        c = class_study(G, z0, test.labels[:a.n], vectors, classifier, test.class_names)
        results[method] = {"classes": c}
        class_rows.append({"method": method, **c, "mean": float(np.mean(list(c.values())))})
    shipped = model_vectors(model)  # the model folder's attributes.safetensors
    solver = solver_study(model, z0, test.batch(slice(0, a.n)), LPIPS(), a.solver_n)
    transfer, pairs = transfer_study(model, encoder, test, shipped, a.transfer_n)
    before, after = (tile([p[i] for p in pairs], axis=1) for i in (0, 1))
    Image.fromarray(tile([before, after], axis=0)).save(RESULTS / "editing_before_after.png")
    m = machine()
    names = list(test.class_names)
    md = (f"# Editing on held-out Fashion-MNIST test images\n\nModel {model.model_id}. "
          f"`python -m benchmarks.editing --n {a.n} --solver-n {a.solver_n}`\n\n"
          f"## Measured-attribute sliders ({a.n} images, values -3..+3)\n\nSlope: change of the "
          f"attribute per slider unit in units of its spread over the training images; d_X: the "
          f"same for the other attributes; entanglement: mean |other slope| / |own slope|; correlation: "
          f"pooled over all images and values (the target); per-image correlation: median over "
          f"images of each image's own correlation; class kept: share of edits (values != 0) after "
          f"which the evaluation classifier still names the unedited image's class.\n\n"
          + markdown_table(slider_rows, [("method", "vectors"), ("attribute", "slider"),
                                         ("correlation", "correlation"),
                                         ("per_image_correlation", "per-image correlation"),
                                         ("class_kept", "class kept"), ("slope_per_unit", "slope"),
                                         *[(f"d_{j}", f"d_{j}") for j in MEASURED],
                                         ("entanglement", "entanglement")])
          + "\n## Class sliders: share that becomes the target class at strength <= 3\n\n"
          + markdown_table(class_rows, [("method", "method"), *[(n, n) for n in names],
                                        ("mean", "mean")])
          + f"\n## Solver ({a.solver_n} strokes copying an 8x8 region of another test image)\n\n"
          + markdown_table(list(solver.values()), [
              ("candidates", "K"), ("stroke_error_before", "stroke error before"),
              ("stroke_error_after", "after"), ("d_before", "D before"), ("d_after", "D after"),
              ("lpips_outside", "LPIPS outside stroke"), ("ms_median", "ms median"),
              ("ms_p95", "ms p95")])
          + f"\n## Transfer to the full-size photo ({transfer['photos']} photos, sliders "
            f"{', '.join(f'{k}={v:+g}' for k, v in TRANSFER_EDIT.items())}; shipped vectors)\n\n"
            f"PSNR outside the edit mask: median {transfer['psnr_outside_median']:.1f} dB, "
            f"minimum {transfer['psnr_outside_min']:.1f} dB ({transfer['note']}).\n\n"
            f"![before and after](editing_before_after.png)\n\n"
            f"{footer(m)}")
    write_results("editing", {"machine": m, "model": model.model_id, "n": a.n, **results,
                              "solver": solver, "transfer": transfer}, md)


if __name__ == "__main__":
    main()
