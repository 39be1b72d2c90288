"""Where a product slider moves the object's outline: the change carried back alone (compositing 9)
against the photo's own pixels moved with the outline first (compositing 10, editing.outline_flow).

    python -m benchmarks.outline_flow [--n 50]

Photos: the first `--n` Fashion-MNIST test images as tinted product photos (benchmarks.editing
.fake_photo, the tints of benchmarks.product_edits), inverted by the app's hybrid; each measured
slider at -3, -1.5, +1.5, +3 as the editor moves it (calibrated, held to the class: editing.keep),
both carry-backs from the same codes. Each export is seen as the model sees it, through the
photo's own mapping (inversion.framing.framed), and compared with the generator's picture of the
edit, what the slider asked for:
- *outline IoU*: the object's pixels (editing.measure.OBJECT_LEVEL) in the export against those in
  the generator's picture; the unedited photo against the reconstruction beside it (the most an
  export can agree when the photo and its reconstruction differ);
- *extent error*: how far the export's change of the measured attribute (typical width or height
  in model pixels, area in model pixels, brightness in levels of 255) lies from the generator's;
- *class kept*: the classifier names the export's class (framed again, as the app opens a photo)
  as the photo's;
- *flow used*: the share of edits the outline flow carried (a brightness slider moves nothing: the
  control), and milliseconds per carry-back (median, the export's full size, one thread).
Writes benchmarks/results/outline_flow.{json,md} and outline_flow.png (width +3 and area +3 on six
photos: the photo, then before and now for each).
"""
from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from benchmarks.editing import tile
from benchmarks.product_edits import SlidPhotos, slid_pictures
from editing.compositing import paste_back
from editing.measure import CALIBRATED_BY, OBJECT_LEVEL, measure
from editing.outline_flow import outline_flow
from inversion.framing import DomainSpec, framed
from training.modelfile import DEFAULT_MODEL, load_model

SLIDERS = ("width", "height", "area", "brightness")
VALUES = (-3.0, -1.5, 1.5, 3.0)
SCALE = {"width": 32.0, "height": 32.0, "area": 32.0 * 32.0, "brightness": 255.0}  # to model px, levels
WAYS = (("before", False), ("now", True))  # (label, outline flow)


def objects(x: torch.Tensor) -> np.ndarray:
    """(B, R, R) bool: the object's pixels of model pictures (B, C, R, R), as editing.measure sees them."""
    return (x.float().mean(1) > OBJECT_LEVEL).numpy()


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def read(x: torch.Tensor, k: str) -> np.ndarray:
    """The measured attribute `k` of pictures (B, C, R, R) in model px (or levels)."""
    return measure(x)[CALIBRATED_BY.get(k, k)].numpy() * SCALE[k]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--n", type=int, default=50)
    a = p.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)  # the milliseconds are one thread's (the editor's OpenCV takes both cores)
    started = time.perf_counter()
    model = load_model(a.model)
    spec = DomainSpec.for_model(model.config)
    ready = SlidPhotos.make(model, a.n)
    photos, mappings, xs, z0, vectors = ready.photos, ready.mappings, ready.xs, ready.z0, ready.vectors
    judges, seen, unedited = ready.judges, ready.seen, ready.unedited
    photo_model = torch.cat([framed(p, m, spec) for p, m in zip(photos, mappings)])
    recon_iou = [iou(o, g) for o, g in zip(objects(photo_model), objects(unedited))]
    rows, strips = [], {}
    for k in SLIDERS:
        found = {label: {"iou": [], "error": [], "kept": [], "ms": []} for label, _ in WAYS}
        flowed = []
        for value in VALUES:
            after = slid_pictures(model, vectors, z0, xs, k, value)
            asked = read(after, k) - read(unedited, k)
            flowed += [outline_flow(b, x) is not None for b, x in zip(unedited, after)]
            for label, outline in WAYS:
                exports = []
                for photo, m, b, x in zip(photos, mappings, unedited, after):
                    t = time.perf_counter()
                    exports.append(paste_back(photo, m, b, x, outline=outline)[0])
                    found[label]["ms"].append(1000 * (time.perf_counter() - t))
                seen_export = torch.cat([framed(e, m, spec) for e, m in zip(exports, mappings)])
                got = read(seen_export, k) - read(photo_model, k)
                found[label]["error"] += np.abs(got - asked).tolist()
                found[label]["iou"] += [iou(o, g) for o, g in zip(objects(seen_export), objects(after))]
                found[label]["kept"] += (judges.classes(exports)["classifier"] == seen).tolist()
                if value == 3.0 and k in ("width", "area"):
                    strips[(k, label)] = exports[:6]
        for label, _ in WAYS:
            f = found[label]
            rows.append({"slider": k, "carry_back": label, "edits": len(f["iou"]),
                         "flow_used": float(np.mean(flowed)) if label == "now" else 0.0,
                         "iou": float(np.median(f["iou"])), "iou_mean": float(np.mean(f["iou"])),
                         "error": float(np.median(f["error"])), "kept": float(np.mean(f["kept"])),
                         "ms": float(np.median(f["ms"]))})
        print(rows[-2], rows[-1], flush=True)
    columns = [("slider", "slider"), ("carry_back", "carry-back"), ("edits", "edits"),
               ("flow_used", "flow used"), ("iou", "outline IoU (median)"),
               ("iou_mean", "outline IoU (mean)"),
               ("error", "extent error (median)"), ("kept", "class kept"), ("ms", "ms per carry-back")]
    picture = tile([tile(photos[:6], 1)] + [tile(strips[(k, label)], 1) for k in ("width", "area")
                                            for label, _ in WAYS], 0)
    Image.fromarray(picture).save(RESULTS / "outline_flow.png")
    m = machine()
    elapsed = time.perf_counter() - started
    md = (f"# Product sliders that move the outline: the photo's pixels moved with it\n\n"
          f"`python -m benchmarks.outline_flow --n {a.n}` ({elapsed:.0f} s). Model {model.model_id}; "
          f"{a.n} held-out Fashion-MNIST test images as tinted product photos, inverted by the hybrid; "
          f"each slider at {', '.join(f'{v:+g}' for v in VALUES)} (calibrated and held, as the editor "
          f"moves them). *Before*: the change carried back alone (compositing 9); *now*: the photo's "
          f"own pixels moved along the outline's flow first (compositing 10). Measured on the export "
          f"as the model sees it through the photo's mapping, against the generator's picture of the "
          f"edit: the object's pixels (IoU; the unedited photo against its reconstruction: median "
          f"{np.median(recon_iou):.3g}, mean {np.mean(recon_iou):.3g}), the change of the measured "
          f"attribute (model px; area in model px, brightness in levels), the class the classifier "
          f"names for the export framed again; milliseconds per full-size carry-back (one thread).\n\n"
          + markdown_table(rows, columns)
          + "\n![width +3 and area +3: the photos; width before, now; area before, now](outline_flow.png)\n\n"
          f"{footer(m)}")
    write_results("outline_flow", {"machine": m, "model": model.model_id, "n": a.n,
                                   "recon_iou": {"median": float(np.median(recon_iou)),
                                                 "mean": float(np.mean(recon_iou))},
                                   "rows": rows}, md)


if __name__ == "__main__":
    main()
