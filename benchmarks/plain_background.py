"""Does a product edit leave the photo's plain background alone? The change carried back wherever
it passes the threshold (compositing 10) against the photo's background kept where the picture is
background before and after (compositing 11, editing.compositing.paste_back's `plain`).

    python -m benchmarks.plain_background [--n 30]

Photos: the first `--n` Fashion-MNIST test images as tinted product photos, inverted by the app's
hybrid (benchmarks.product_edits); each measured slider at -3 and +3 as the editor moves it
(calibrated and held), both carry-backs from the same codes. Measured on each export, away from
the item (photo pixels more than FAR px from any pixel of the item in the photo or in the export,
each read as the pixels more than ITEM levels off the background colour): what is left there is a
faint change of the background, which nothing asked for:
- *edits with a smudge*: the share of exports in which any such pixel changed by VISIBLE levels or
  more (resampling the photo along an outline's flow moves its background by a level or two);
- *pixels changed*: their mean number per export, and the largest change in levels;
- *item pixels changed*: the photo's item pixels (ITEM levels off the background or more) whose
  export differs from compositing 10's by ITEM_CHANGE levels or more: what the rule took from the
  item's own change (none, where it keeps to the background);
- *class kept*: the classifier names the export's class as the photo's (framed again);
- milliseconds per carry-back (median, the export's full size, one thread).
Writes benchmarks/results/plain_background.{json,md}.
"""
from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch

from benchmarks.common import footer, machine, markdown_table, write_results
from benchmarks.product_edits import SlidPhotos, slid_pictures
from editing.compositing import paste_back
from editing.measure import MEASURED
from training.modelfile import DEFAULT_MODEL, load_model

FAR = 20  # photo pixels from the item beyond which an edit of the item should change nothing
ITEM = 30  # levels off the background colour from which a photo pixel is the item's (a smudge
# stays under it, so that it does not hide itself)
VISIBLE = 4  # levels of change from which a smudge is counted
ITEM_CHANGE = 8  # levels by which an item pixel of the export differs from compositing 10's
WAYS = (("compositing 10", False), ("compositing 11 (now)", True))  # (label, plain)


def far_from_item(*pictures: np.ndarray, background, reach: int = FAR) -> np.ndarray:
    """(H, W) bool: the pixels more than `reach` px from the item in any of `pictures` (H, W, 3)."""
    item = np.zeros(pictures[0].shape[:2], np.uint8)
    for picture in pictures:
        item |= (np.abs(picture.astype(int) - np.asarray(background)).max(2) > ITEM).astype(np.uint8)
    return ~cv2.dilate(item, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)).astype(bool)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--n", type=int, default=30)
    a = p.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    started = time.perf_counter()
    model = load_model(a.model)
    ready = SlidPhotos.make(model, a.n)
    photos, mappings, xs, z0, vectors = ready.photos, ready.mappings, ready.xs, ready.z0, ready.vectors
    judges, seen, unedited = ready.judges, ready.seen, ready.unedited
    found = {label: {"smudged": [], "pixels": [], "worst": 0, "kept": [], "ms": [], "item": []}
             for label, _ in WAYS}
    for k in MEASURED:
        for value in (-3.0, 3.0):
            after = slid_pictures(model, vectors, z0, xs, k, value)
            exports = {label: [] for label, _ in WAYS}
            for i, (photo, m, b, x) in enumerate(zip(photos, mappings, unedited, after)):
                outs = {}
                for label, plain in (WAYS if i % 2 else WAYS[::-1]):  # each first as often: the
                    # first carry-back of a patch fills its caches (editing.patch_cache)
                    t = time.perf_counter()
                    outs[label] = paste_back(photo, m, b, x, plain=plain)[0]
                    found[label]["ms"].append(1000 * (time.perf_counter() - t))
                    exports[label].append(outs[label])
                first = outs[WAYS[0][0]]  # compositing 10's
                for label, out in outs.items():
                    f = found[label]
                    outside = far_from_item(photo, out, background=m.background)
                    change = np.abs(out.astype(int) - photo.astype(int)).max(2)[outside]
                    f["smudged"].append(bool((change >= VISIBLE).any()))
                    f["pixels"].append(int((change >= VISIBLE).sum()))
                    f["worst"] = max(f["worst"], int(change.max(initial=0)))
                    on_item = ~far_from_item(photo, background=m.background, reach=0)
                    f["item"].append(int((np.abs(out.astype(int) - first.astype(int)).max(2)[on_item]
                                          >= ITEM_CHANGE).sum()))
            for label, _ in WAYS:
                found[label]["kept"] += (judges.classes(exports[label])["classifier"] == seen).tolist()
        print(k, {label: float(np.mean(found[label]["smudged"])) for label, _ in WAYS}, flush=True)
    rows = [{"carry_back": label, "edits": len(f["smudged"]), "smudged": float(np.mean(f["smudged"])),
             "pixels": float(np.mean(f["pixels"])), "worst": f["worst"], "item": float(np.mean(f["item"])),
             "kept": float(np.mean(f["kept"])), "ms": float(np.median(f["ms"]))}
            for label, f in found.items()]
    columns = [("carry_back", "carry-back"), ("edits", "edits"), ("smudged", "edits with a smudge"),
               ("pixels", "pixels changed far from the item (mean)"), ("worst", "largest change, levels"),
               ("item", f"item pixels {ITEM_CHANGE}+ levels from compositing 10's (mean)"),
               ("kept", "class kept"), ("ms", "ms per carry-back")]
    m = machine()
    md = (f"# Product edits and the photo's plain background\n\n`python -m benchmarks.plain_background "
          f"--n {a.n}` ({time.perf_counter() - started:.0f} s). Model {model.model_id}; {a.n} held-out "
          f"Fashion-MNIST test images as tinted product photos, inverted by the hybrid; each measured "
          f"slider at -3 and +3 (calibrated and held), both carry-backs from the same codes. Far from "
          f"the item: photo pixels more than {FAR} px from any pixel more than {ITEM} levels off the "
          f"background, in the photo or the export; a smudge: a change of {VISIBLE} levels or more "
          f"there (see the module's docstring).\n\n"
          + markdown_table(rows, columns) + f"\n{footer(m)}")
    write_results("plain_background", {"machine": m, "model": model.model_id, "n": a.n, "far": FAR,
                                       "rows": rows}, md)
    print(md)


if __name__ == "__main__":
    main()
