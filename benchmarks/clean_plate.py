"""Where a product edit takes the object away, does the photo's backdrop show as it would?

    python -m benchmarks.clean_plate [--n 30] [--value 2]

Walkthrough 48 made a dress shorter and saw a smooth rectangle, lighter than the backdrop beside it
and without its grain, where the straps had been: compositing 23 paints the background's one
colour there. Compositing 24 paints the photo's clean plate (editing.plate). Photos: the first `--n`
Fashion-MNIST test items as tinted product photos (benchmarks.editing.fake_photo's items) on a
backdrop as photographed: lit in the middle and LIGHT_FALL levels darker in the corners (not as a
quadratic, which the plate fits), lighter to the right by SIDE_LIGHT, with
grain (GRAIN levels, slightly smoothed), saved as JPEG; inverted by the app's hybrid; Area, Height
and Width at -`--value` as the editor moves them (calibrated and held), both carry-backs from the
same codes. Where the object left (the photo's item pixels that compositing 23 paints the
background's colour), against the backdrop the photo was made on (known here): the *light's
error*, the mean there less the backdrop's, in levels; the *grain*, the standard deviation of what
a 1.5 px Gaussian smooths away there over the backdrop's own there (1: as grainy); edits whose
light's error is VISIBLE levels or more; milliseconds per carry-back (median, one thread), and
for the same carry-back again at once, as the editor's next frame of a photo finds what depends on
the photo alone kept (editing.patch_cache; the clean plate among it). Picture:
four of the exports, each photo then 23 then 24, around where the item left, enlarged. Writes
benchmarks/results/clean_plate.{json,md,png}.
"""
from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, stack_rows, write_results
from benchmarks.editing import FAKE_PHOTO, fake_photo, tile
from benchmarks.product_edits import TINTS, invert_photos, slid_pictures
from benchmarks.real_photos import jpeg_round_trip
from editing.compositing import paste_back
from editing.vectors import model_vectors
from inversion.framing import DomainSpec, to_model
from training.data import load_fashion_mnist
from training.modelfile import DEFAULT_MODEL, load_model

SLIDERS = ("area", "height", "width")
LIGHT_FALL = 24  # levels the backdrop darkens from its middle to its corners (as the radius cubed)
SIDE_LIGHT = 8  # levels it lightens from its left edge to its right
GRAIN = 3.0  # levels of the backdrop's grain
VISIBLE = 4  # levels of the light's error from which a patch shows
LEFT_MIN = 60  # photo pixels the object must leave for an edit to count
WAYS = (("compositing 23", False), ("compositing 24 (now)", True))
TILE = 240  # px: the picture's rows
GREY = 128  # between the picture's photos


def backdrop(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) float64: a light backdrop, lit in the middle, with grain."""
    h, w = shape
    yy, xx = np.mgrid[:h, :w]
    r2 = ((yy - h / 2) / (h / 2)) ** 2 + ((xx - w / 2) / (w / 2)) ** 2
    light = 250.0 - LIGHT_FALL * (r2 / 2) ** 1.5 + SIDE_LIGHT * (xx / w - 0.5)  # (not the quadratic
    # editing.plate fits: a lamp's fall-off is not one)
    grain = cv2.GaussianBlur(rng.normal(0, GRAIN / 0.6, (h, w, 3)), (0, 0), 0.7)  # about GRAIN after
    return light[..., None] + grain


def photos(n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(`n` product photos on a photographed backdrop, JPEG; the backdrops alone, uint8): each item
    as benchmarks.editing.fake_photo makes it, in its tint, over its own backdrop."""
    test, rng = load_fashion_mnist("test", 32), np.random.default_rng(0)
    shots, plates = [], []
    for i in range(n):
        ground = backdrop(FAKE_PHOTO, rng)
        shot = fake_photo(test.images[i, 2:30, 2:30, 0].numpy(), TINTS[i % len(TINTS)], ground)
        shots.append(jpeg_round_trip(shot))
        plates.append(np.clip(ground, 0, 255).round().astype(np.uint8))
    return shots, plates


def grain_of(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float32) - cv2.GaussianBlur(pixels, (0, 0), 1.5).astype(np.float32)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--n", type=int, default=30)
    p.add_argument("--value", type=float, default=2.0)
    a = p.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    started = time.perf_counter()
    model = load_model(a.model)
    spec = DomainSpec.for_model(model.config)
    shots, plates = photos(a.n)
    framed = [to_model(shot, model.gan.resolution, model.gan.channels, spec) for shot in shots]
    xs, mappings = [x for x, _ in framed], [m for _, m in framed]
    z0 = invert_photos(model, xs)
    vectors = model_vectors(model)
    with torch.no_grad():
        unedited = model.decode(z0)
    found = {label: {"error": [], "grain": [], "ms": [], "again": []} for label, _ in WAYS}
    tiles = []
    for name in SLIDERS:
        after = slid_pictures(model, vectors, z0, xs, name, -a.value)
        for i, (shot, plate, m, b, x) in enumerate(zip(shots, plates, mappings, unedited, after)):
            outs = {}
            for label, clean in (WAYS if i % 2 else WAYS[::-1]):  # each first as often (patch caches)
                t = time.perf_counter()
                outs[label] = paste_back(shot, m, b, x, plate=clean)[0]
                found[label]["ms"].append(1000 * (time.perf_counter() - t))
                t = time.perf_counter()  # again, as the editor's next frame of the photo: its caches kept
                paste_back(shot, m, b, x, plate=clean)
                found[label]["again"].append(1000 * (time.perf_counter() - t))
            flat = outs[WAYS[0][0]]
            item = np.abs(shot.astype(int) - plate.astype(int)).max(2) > 40
            left = item & (np.abs(flat.astype(int) - np.round(m.background).astype(int)).max(2) == 0)
            if left.sum() < LEFT_MIN:
                continue
            truth = grain_of(plate)[left].std()
            for label, out in outs.items():
                found[label]["error"].append(float(out[left].mean() - plate[left].mean()))
                found[label]["grain"].append(float(grain_of(out)[left].std() / max(truth, 1e-6)))
            if len(tiles) < 4 and left.sum() > 400:  # around where it left
                ys, xs_ = np.nonzero(left)
                box = np.s_[max(0, ys.min() - 30):ys.max() + 30, max(0, xs_.min() - 30):xs_.max() + 30]
                tiles.append([shot[box]] + [outs[label][box] for label, _ in WAYS])
        print(name, {label: len(f["error"]) for label, f in found.items()}, flush=True)
    rows = [{"carry_back": label, "edits": len(f["error"]),
             "error": float(np.median(np.abs(f["error"]))), "signed": float(np.median(f["error"])),
             "visible": float(np.mean(np.abs(f["error"]) >= VISIBLE)),
             "grain": float(np.median(f["grain"])),
             "ms": float(np.median(f["ms"])), "again": float(np.median(f["again"]))}
            for label, f in found.items()]
    strips = []
    for shots_ in tiles:  # each photo, 23, 24 side by side, TILE px tall, on grey (white backdrops)
        size = (max(1, round(shots_[0].shape[1] * TILE / shots_[0].shape[0])), TILE)
        strip = tile([cv2.resize(im, size, interpolation=cv2.INTER_NEAREST) for im in shots_], 1, 6, GREY)
        strips.append(np.pad(strip, ((0, 6), (0, 0), (0, 0)), constant_values=GREY))
    Image.fromarray(stack_rows(strips, GREY)).save(RESULTS / "clean_plate.png")
    m = machine()
    md = (f"# Where a product edit takes the object away\n\n`python -m benchmarks.clean_plate --n {a.n} "
          f"--value {a.value:g}` ({time.perf_counter() - started:.0f} s). Model {model.model_id}; {a.n} "
          f"held-out items as product photos on a backdrop lit in the middle ({LIGHT_FALL} levels "
          f"darker in the corners, as the radius cubed; {SIDE_LIGHT} lighter to the right) with "
          f"{GRAIN:g} levels of grain, JPEG; {', '.join(SLIDERS)} at "
          f"-{a.value:g}; edits that take {LEFT_MIN} photo pixels or more of the item away. Where the "
          f"item left, against the backdrop the photo was made on: the light's error (levels; "
          f"median of its size, and signed), edits whose error is {VISIBLE} levels or more, the grain "
          f"there over the backdrop's (see the module's docstring).\n\n"
          + markdown_table(rows, [("carry_back", "carry-back"), ("edits", "edits"),
                                  ("error", "light's error, levels"), ("signed", "signed"),
                                  ("visible", f"edits {VISIBLE}+ levels off"),
                                  ("grain", "grain vs backdrop's"), ("ms", "ms per carry-back"),
                                  ("again", "ms, the photo's next")])
          + "\n![each photo, then compositing 23, then 24](clean_plate.png)\n\n" + footer(m))
    write_results("clean_plate", {"machine": m, "model": model.model_id, "n": a.n, "value": a.value,
                                  "rows": rows}, md)


if __name__ == "__main__":
    main()
