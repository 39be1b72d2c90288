"""A product's faint parts framed with it: Otsu's threshold alone against Otsu's grown by the faint
parts joined to what it finds (inversion.objects.FAINT_SHARE), in one run.

    python -m benchmarks.faint_parts [--n 1000] [--invert 40] [--shown 4]

A walkthrough shrank a bag (Area -2): the faint end of its strap lay outside the model's square,
out of any edit's reach, and stayed on the photo beside the smaller bag. The object's box was
what stands out from the background by Otsu's threshold, which a faint part does not reach.
Fashion-MNIST's items fill its frame faint parts and all. Photos: the first `--n` Fashion-MNIST test
images as tinted product photos (benchmarks.product_edits.TINTS in turn; each source pixel 10 photo
pixels). *Box off*: how far the box found lies from the item's own (the extent of its source pixels
above 0), on its worst side, in per cent of the item's longer side: median, 90th percentile, and
photos 5% and 10% or more off, and the same counts with a soft drop shadow SHADOW levels deep under
each item (drop_shadow: a review found shadows taken into the box before faint parts had to be
coloured). *Out of reach*: the item's pixels (12 levels or more off the
background) outside the model's square (the mapping's box widened to the model's whole frame): in
how many photos, and how many pixels in all. *Find*: ms per find_object, median, interleaved.
Then on the first `--invert` photos whose box moved by 2% of the side or more, each framed both
ways and coded by the app's hybrid inversion: median LPIPS and PSNR of the reconstruction against
the photo as each framing shows it to the model. The picture: the `--shown` photos whose box moved
most, their boxes (red: Otsu's, green: grown), and "area -2" exported from each framing's code.
Writes benchmarks/results/faint_parts.{json,md} and a picture.
"""
from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, stack_rows, write_results
from benchmarks.editing import fake_photo
from benchmarks.product_edits import TINTS, invert_photos
from editing.export import render_edit
from editing.vectors import apply_sliders, model_vectors
from inversion import objects
from inversion.framing import DomainSpec, to_model
from inversion.objects import find_object
from inversion.perceptual import LPIPS
from inversion.quality import psnr
from training.data import load_fashion_mnist
from training.modelfile import load_model

WAYS = {"Otsu": 1.0, "grown": objects.FAINT_SHARE}  # FAINT_SHARE 1: nothing fainter joins (as before)
OFF = 12  # photo levels off the background that make an item's pixel
SHADOW = 60  # levels a drop shadow darkens the backdrop at its middle (drop_shadow)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--invert", type=int, default=40)
    p.add_argument("--shown", type=int, default=4)
    a = p.parse_args()
    t0 = time.perf_counter()
    torch.set_num_threads(2)
    model = load_model("fashion-mnist-32")
    spec = DomainSpec.for_model(model.config)
    test = load_fashion_mnist("test", 32)
    photos, truths = [], []
    for i in range(a.n):
        source = test.images[i, 2:30, 2:30, 0].numpy()
        photos.append(fake_photo(source, TINTS[i % len(TINTS)]))
        ys, xs = np.nonzero(source > 0)  # fake_photo: 10 photo pixels a source pixel, at (20, 40)
        truths.append(np.array([20 + xs.min() * 10, 40 + ys.min() * 10, 20 + (xs.max() + 1) * 10,
                                40 + (ys.max() + 1) * 10]))
    shadowed = {way: [] for way in WAYS}  # the box found with a drop shadow under the item
    for photo, truth in zip(photos, truths):
        for way, share in WAYS.items():
            objects.FAINT_SHARE = share
            shadowed[way].append(np.array(find_object(drop_shadow(photo, truth))))
    found = {way: [] for way in WAYS}
    mappings = {way: [] for way in WAYS}
    xs_ = {way: [] for way in WAYS}
    ms = {way: [] for way in WAYS}
    for photo in photos:
        for way, share in WAYS.items():
            objects.FAINT_SHARE = share
            t = time.perf_counter()
            found[way].append(np.array(find_object(photo)))
            ms[way].append(1000 * (time.perf_counter() - t))
            x, mapping = to_model(photo, model.gan.resolution, model.gan.channels, spec)
            mappings[way].append(mapping)
            xs_[way].append(x)
    objects.FAINT_SHARE = WAYS["grown"]
    rows = []
    for way in WAYS:
        off = np.array([np.abs(f - t).max() / max(t[2] - t[0], t[3] - t[1]) * 100
                        for f, t in zip(found[way], truths)])
        outside = [out_of_reach(photo, m) for photo, m in zip(photos, mappings[way])]
        shadow_off = np.array([np.abs(f - t).max() / max(t[2] - t[0], t[3] - t[1]) * 100
                               for f, t in zip(shadowed[way], truths)])
        rows.append({"framing": way, "off_median": float(np.median(off)),
                     "shadow5": int((shadow_off >= 5).sum()), "shadow10": int((shadow_off >= 10).sum()),
                     "off_p90": float(np.percentile(off, 90)),
                     "off5": int((off >= 5).sum()), "off10": int((off >= 10).sum()),
                     "reach_photos": int(sum(o > 0 for o in outside)), "reach_pixels": int(sum(outside)),
                     "ms": float(np.median(ms[way]))})
        print(rows[-1], flush=True)
    moved = [i for i in range(a.n) if np.abs(found["grown"][i] - found["Otsu"][i]).max()
             >= 0.02 * max(truths[i][2] - truths[i][0], truths[i][3] - truths[i][1])]
    coded = moved[:a.invert]
    quality, codes, lpips = {}, {}, LPIPS()
    for way in WAYS:
        xs = [xs_[way][i] for i in coded]
        codes[way] = invert_photos(model, xs)
        with torch.no_grad():
            recon = model.decode(codes[way])
            target = torch.cat(xs)
            quality[way] = {"lpips": float(np.median(lpips(recon, target).numpy())),
                            "psnr": float(np.median(psnr(recon, target).numpy()))}
        print(way, quality[way], flush=True)
    for row in rows:
        row |= quality[row["framing"]]
    shown = sorted(coded, key=lambda i: -np.abs(found["grown"][i] - found["Otsu"][i]).max())[:a.shown]
    vectors = model_vectors(model)
    strips = []
    for i in shown:
        row = [boxes(photos[i], found["Otsu"][i], found["grown"][i])]
        for way in WAYS:
            k = coded.index(i)
            z0, m, x = codes[way][k], mappings[way][i], xs_[way][i]
            vectors.hold.on_photo(z0, x)
            row.append(render_edit(model, photos[i], m, z0, apply_sliders(z0, vectors, {"area": -2.0}))[0])
        strips.append(np.concatenate(row, 1))
    Image.fromarray(stack_rows(strips)).save(RESULTS / "faint_parts.png")
    m = machine()
    md = (f"# A product's faint parts framed with it\n\n`python -m benchmarks.faint_parts --n {a.n} --invert "
          f"{a.invert} --shown {a.shown}` ({time.perf_counter() - t0:.0f} s). Model {model.model_id}; the "
          f"first {a.n} Fashion-MNIST test images as tinted product photos (360x320, each source pixel 10 "
          f"photo pixels). *Otsu*: the object's box as what stands out from the background by Otsu's "
          f"threshold (as before); *grown*: with the faint parts joined to it that stand out by "
          f"{WAYS['grown']:.2f} of that threshold in a colour of their own, as a shadow has not "
          f"(inversion.objects.FAINT_SHARE, FAINT_COLOUR). *Box off*: the box's "
          f"worst side from the item's own (its source pixels above 0), per cent of the item's longer "
          f"side; *with a shadow*: the same photos with a soft drop shadow {SHADOW} levels deep under each "
          f"item. *Out of reach*: the item's pixels ({OFF} levels or more off the background) outside the "
          f"model's whole frame, where no edit reaches. *Find*: ms per find_object (median, interleaved). "
          f"LPIPS, PSNR: the app's hybrid inversion on the first {len(coded)} of the {len(moved)} photos "
          f"whose box moved by 2% of the side or more, framed each way, against the photo as that framing "
          f"shows it to the model (medians).\n\n"
          + markdown_table(rows, [("framing", "framing"), ("off_median", "box off, median %"),
                                  ("off_p90", "box off, p90 %"), ("off5", "photos 5% off or more"),
                                  ("off10", "photos 10% off or more"),
                                  ("reach_photos", "photos with pixels out of reach"),
                                  ("reach_pixels", "pixels out of reach, all photos"),
                                  ("shadow5", "with a shadow: 5% off or more"),
                                  ("shadow10", "with a shadow: 10% off or more"), ("ms", "find ms"),
                                  ("lpips", "LPIPS (moved)"), ("psnr", "PSNR dB (moved)")])
          + "\n\n![each photo with its boxes (red: Otsu's, green: grown); area -2 framed by Otsu's box; "
          "area -2 framed by the grown one](faint_parts.png)\n\nRows: the photos whose box moved most. "
          "Columns: the photo with both boxes (red: Otsu's, green: grown); area -2 (the model's sign) from "
          "the Otsu framing's code; the same from the grown framing's.\n\n" + footer(m))
    write_results("faint_parts", {"machine": m, "model": model.model_id, "n": a.n, "rows": rows,
                                  "moved": len(moved), "coded": len(coded)}, md)


def drop_shadow(photo: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """The photo with a soft drop shadow under its item, as a lamp above leaves on a white
    backdrop: an ellipse the item's width across at its foot, SHADOW levels deep at its middle,
    blurred; the item itself on top."""
    x0, y0, x1, y1 = (int(v) for v in truth)
    shade = np.zeros(photo.shape[:2], np.float32)
    cv2.ellipse(shade, ((x0 + x1) // 2, y1 - 4), (max(1, (x1 - x0) // 2), 14), 0, 0, 360, 1.0, -1)
    shade = cv2.GaussianBlur(shade, (0, 0), 8)
    shade *= SHADOW / max(float(shade.max()), 1e-6)
    item = np.abs(photo.astype(np.float32) - 250).max(2) >= 2  # fake_photo's background is 250
    out = np.clip(photo.astype(np.float32) - shade[..., None], 0, 255).astype(np.uint8)
    out[item] = photo[item]
    return out


def out_of_reach(photo: np.ndarray, mapping) -> int:
    """The photo's item pixels (OFF levels or more off its background) outside the model's whole
    frame (the mapping's box, the object's square, widened to resolution / content of it)."""
    off = np.abs(photo.astype(np.float32) - np.asarray(mapping.background, np.float32)).max(2) >= OFF
    x0, y0, x1, y1 = mapping.box
    grow = (x1 - x0) * (mapping.resolution / mapping.content - 1) / 2
    inside = np.zeros_like(off)
    top, left = max(0, int(y0 - grow)), max(0, int(x0 - grow))
    inside[top:int(np.ceil(y1 + grow)), left:int(np.ceil(x1 + grow))] = True
    return int((off & ~inside).sum())


def boxes(photo: np.ndarray, otsu: np.ndarray, grown: np.ndarray) -> np.ndarray:
    """The photo with Otsu's box in red and the grown one in green."""
    out = photo.copy()
    for (x0, y0, x1, y1), colour in ((otsu, (220, 0, 0)), (grown, (0, 170, 0))):
        cv2.rectangle(out, (int(x0), int(y0)), (int(x1) - 1, int(y1) - 1), colour, 2)
    return out


if __name__ == "__main__":
    main()
