"""Does the brightness slider keep the item's shape? Brightness holding the area and detail still
(sessions before version 11) against holding the width and height still too (now).

    python -m benchmarks.brightness_hold [--n 50]

Photos: the first `--n` Fashion-MNIST test images as tinted product photos (benchmarks.editing
.fake_photo, the tints of benchmarks.product_edits), coded by the encoder; brightness at -2 and +2
as the editor moves it (calibrated, steered, the class judged on the photo: editing.keep). For
each edit, in the generator's picture: the object's pixels (editing.measure.OBJECT_LEVEL) against
the unedited picture's (IoU) and how many of them came or went, the brightness reached (its
change, in the direction asked, levels of 0..1), and whether the classifier still names the class
it named for the photo. Writes benchmarks/results/brightness_hold.{json,md}.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from benchmarks.common import footer, machine, markdown_table, write_results
from benchmarks.product_edits import tinted_photos
from editing.keep_versions import shape_free
from editing.measure import OBJECT_LEVEL, measure
from editing.vectors import apply_sliders, model_vectors
from inversion.encoder import load_encoder
from training.classifier import load_classifier
from training.modelfile import DEFAULT_MODEL, load_model

VALUES = (-2.0, 2.0)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--n", type=int, default=50)
    a = p.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    model = load_model(a.model)
    xs = torch.cat(tinted_photos(model, a.n)[2])
    classifier = load_classifier()[0]
    with torch.no_grad():
        z0 = load_encoder(model)(xs)
        seen = classifier(xs).argmax(1)
        unedited = model.decode(z0)
    was = unedited.mean(1) > OBJECT_LEVEL
    level = measure(unedited)["brightness"]
    now = model_vectors(model)
    ways = (("area and detail held (before)", shape_free(now)), ("width and height held too (now)", now))
    rows = []
    for label, sliders in ways:
        iou, moved, gain, kept = [], [], [], []
        for i, (z, x) in enumerate(zip(z0, xs)):
            sliders.hold.on_photo(z, x[None])  # as the editor does when the photo opens
            for value in VALUES:
                with torch.no_grad():
                    image = model.decode(apply_sliders(z, sliders, {"brightness": value})[None])
                    kept.append(bool(classifier((x + image[0] - unedited[i]).clamp(-1, 1)[None]).argmax(1)
                                     == seen[i]))
                now_in = image.mean(1)[0] > OBJECT_LEVEL
                iou.append(float((now_in & was[i]).sum() / (now_in | was[i]).sum().clamp_min(1)))
                moved.append(int((now_in ^ was[i]).sum()))
                gain.append(float((measure(image)["brightness"][0] - level[i]) * np.sign(value)))
        rows.append({"hold": label, "edits": len(iou), "iou_median": float(np.median(iou)),
                     "iou_mean": float(np.mean(iou)), "moved_mean": float(np.mean(moved)),
                     "gain_median": float(np.median(gain)), "kept": float(np.mean(kept))})
        print(rows[-1], flush=True)
    m = machine()
    md = (f"# Does the brightness slider keep the item's shape?\n\n"
          f"`python -m benchmarks.brightness_hold --n {a.n}` ({time.perf_counter() - started:.0f} s). "
          f"Model {model.model_id}; {a.n} held-out Fashion-MNIST test images as tinted product photos, "
          f"coded by the encoder; brightness at {' and '.join(f'{v:+g}' for v in VALUES)} as the editor "
          f"moves it. In the generator's picture: the object's pixels against the unedited picture's "
          f"(IoU; pixels that came or went), the brightness reached (levels of 0..1, in the direction "
          f"asked), the class the classifier names on the photo with the change added.\n\n"
          + markdown_table(rows, [("hold", "brightness holds"), ("edits", "edits"),
                                  ("iou_median", "silhouette IoU (median)"), ("iou_mean", "IoU (mean)"),
                                  ("moved_mean", "pixels that came or went (mean)"),
                                  ("gain_median", "brightness reached (median)"), ("kept", "class kept")])
          + f"\n{footer(m)}")
    write_results("brightness_hold", {"machine": m, "model": model.model_id, "n": a.n, "rows": rows}, md)


if __name__ == "__main__":
    main()
