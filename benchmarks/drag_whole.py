"""Raising an eyebrow on real photos: a drag's motion as a brush, held by a mask, or moving the
painted brow as a whole (editing.motion's `whole`), side by side on the same faces.

    python -m benchmarks.drag_whole [--faces 20] [--moves 1.5 3]

The photos: the first `--faces` held-out CelebA faces made into photos as benchmarks.real_photos
makes them, plus scikit-image's astronaut; found and aligned as the editor does (no inversion: what
is measured is how the photo's own pixels move). On each, both brows raised by each move (model
px, straight up), the drag taken as arrived (its tracking's end at the target); the brow placed
from the five landmarks (a quarter of the outer eye corners' span above each eye's centre, where
the aligned training faces' brows lie) and its mask painted as five disks along it. Three ways:
- brush: the default motion (reach three times the move), no mask;
- held: the same, with the brow's mask holding the rest (the motion fades out inside its edge);
- whole: the brow's mask moved as one piece, what lies around it stretching (twice the move).
Measured in the model's frame at 4 times its size (benchmarks.drag_photos.frame):
- brow arrived: the brow's square (benchmarks.drag.patch_match) found within 1.5 model px of its
  target in the export;
- eye moved: how far the motion moves the eye's centre (model px; 0 is right; its square is no
  measure, for the lid above it stretches);
- eye stretched: the most the motion stretches the eye's disk (EYE model px around its centre) up
  and down (1: as it was; 2: twice as tall there);
- brow kept: the brow's square found at its target matches the photo's brow (1 - mean absolute
  difference over the square, 0..1 levels; a squeezed brow scores lower).
Writes benchmarks/results/drag_whole.{json,md} and drag_whole.png (the astronaut's brow: the
photo, brush, held, whole, for each move).
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from benchmarks.drag import patch_match
from benchmarks.drag_photos import UP, crop_strip, frame
from benchmarks.real_photos import held_out_face_photos
from editing.drag import DragPoint
from editing.motion import drag_motion
from editing.region import paint_disk
from inversion.faces import find_faces
from inversion.framing import DomainSpec, to_model
from training.modelfile import load_model

WAYS = ("brush", "held", "whole")
EYE = 2.0  # model px: the eye's disk around its centre (the aligned faces' eyes are about 3 px tall)


def brows(mapping) -> list[tuple[tuple[float, float], tuple[float, float], float]]:
    """(brow centre, eye centre, the brow's half length) per eye, model px, from the landmarks."""
    (ro, ri), (lo, li) = (mapping.landmarks[0], mapping.landmarks[1]), (mapping.landmarks[2],
                                                                        mapping.landmarks[3])
    span = float(np.hypot(ro[0] - lo[0], ro[1] - lo[1]))
    out = []
    for outer, inner in ((ro, ri), (lo, li)):
        eye = ((outer[0] + inner[0]) / 2, (outer[1] + inner[1]) / 2)
        out.append(((eye[0], eye[1] - 0.25 * span), eye, 0.15 * span))
    return out


def brow_mask(resolution: int, centre, half: float) -> torch.Tensor:
    mask = None
    for dx in np.linspace(-half, half, 5):
        mask = paint_disk(mask, resolution, centre[0] + dx, centre[1], 1.6)
    return mask


def measure(photo, export, mapping, point: DragPoint, eye, motion) -> dict:
    before, after = frame(photo, mapping), frame(export, mapping)
    handle, target = (tuple(c * UP for c in p) for p in (point.handle, point.target))
    found = patch_match(before, after, handle, reach=6 * UP)
    arrived = float(np.hypot(found[0] - target[0], found[1] - target[1])) <= 1.5 * UP
    k = UP * 2  # the brow's square at its target against the photo's at the handle
    tx, ty, hx, hy = (int(round(c)) for c in (*target, *handle))
    kept = 1 - float((after[:, ty - k:ty + k, tx - k:tx + k] - before[:, hy - k:hy + k, hx - k:hx + k])
                     .abs().mean())
    ex, ey = (torch.tensor([c], dtype=torch.float64) for c in eye)
    sx, sy = motion.sources(ex, ey)  # where the eye's centre now reads from
    return {"arrived": arrived, "eye_moved": float(torch.hypot(sx - ex, sy - ey)), "kept": kept,
            "eye_stretch": stretch(motion, eye)}


def stretch(motion, eye, radius: float = EYE) -> float:
    """The most the motion stretches the eye (its disk of `radius` model px) up and down: the
    largest ratio of a short vertical step's length after the motion to its length before (1: as
    it was; 2: twice as tall there)."""
    h = 0.05
    ys, xs = torch.meshgrid(torch.linspace(-radius, radius, 41, dtype=torch.float64),
                            torch.linspace(-radius, radius, 41, dtype=torch.float64), indexing="ij")
    inside = xs ** 2 + ys ** 2 <= radius ** 2
    qx, qy = xs[inside] + eye[0], ys[inside] + eye[1]
    _, above = motion.sources(qx, qy - h)
    _, below = motion.sources(qx, qy + h)
    if (below - above <= 0).any():
        return float("inf")  # folded: a step read backwards
    return float((2 * h / (below - above)).max())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--faces", type=int, default=20)
    p.add_argument("--moves", type=float, nargs="+", default=[1.5, 3.0])
    a = p.parse_args()
    t0 = time.perf_counter()
    model = load_model("celeba-64")
    spec = DomainSpec.for_model(model.config)
    r = model.gan.resolution
    photos = held_out_face_photos(model, spec, a.faces)
    rows, strips = [], []
    for i, photo in enumerate(photos):
        found = find_faces(photo)
        if not found:
            continue
        _, mapping = to_model(photo, r, 3, spec, found=found)
        for move in a.moves:
            for side, (brow, eye, half) in enumerate(brows(mapping)):
                point = DragPoint(brow, (brow[0], brow[1] - move))
                mask = brow_mask(r, brow, half)
                motions = {"brush": drag_motion([brow], [point.target], r),
                           "held": drag_motion([brow], [point.target], r, mask),
                           "whole": drag_motion([brow], [point.target], r, mask, whole=True)}
                exports = {}
                for way, motion in motions.items():
                    start = time.perf_counter()
                    exports[way] = motion.move(photo, mapping)
                    ms = 1000 * (time.perf_counter() - start)
                    rows.append({"photo": i, "move": move, "side": side, "way": way, "ms": ms,
                                 **measure(photo, exports[way], mapping, point, eye, motion)})
                if i == len(photos) - 1 and side == 0:  # the astronaut's right brow
                    strips.append(crop_strip(photo, [exports[w] for w in WAYS], mapping, point))
        print(f"photo {i + 1} of {len(photos)}", flush=True)
    table = []
    for move in a.moves:
        for way in WAYS:
            sel = [row for row in rows if row["move"] == move and row["way"] == way]
            table.append({"move": move, "way": way, "brows": len(sel),
                          "arrived": sum(row["arrived"] for row in sel) / len(sel),
                          "eye": statistics.median(row["eye_moved"] for row in sel),
                          "eye_max": max(row["eye_moved"] for row in sel),
                          "stretch": max(row["eye_stretch"] for row in sel),
                          "kept": statistics.median(row["kept"] for row in sel),
                          "ms": statistics.median(row["ms"] for row in sel)})
    picture = Image.new("RGB", (strips[0].width, sum(s.height + 4 for s in strips)), "white")
    for k, s in enumerate(strips):
        picture.paste(s, (0, k * (s.height + 4)))
    picture.save(RESULTS / "drag_whole.png")
    m = machine()
    md = (f"# Raising an eyebrow: brush, held by a mask, moved whole\n\n`python -m benchmarks.drag_whole "
          f"--faces {a.faces} --moves {' '.join(f'{v:g}' for v in a.moves)}` "
          f"({time.perf_counter() - t0:.0f} s): both brows of {len(photos) - 1} held-out faces made "
          f"into photos and the astronaut, raised by each move (model px); see the module's "
          f"docstring for the measures. Eye moved: model px, median and largest; brow kept: 1 - the "
          f"mean absolute difference between the brow's square at its target and the photo's.\n\n"
          + markdown_table(table, [("move", "move (model px)"), ("way", "way"), ("brows", "brows"),
                                   ("arrived", "brow arrived"), ("eye", "eye moved (median)"),
                                   ("eye_max", "eye moved (largest)"),
                                   ("stretch", "eye stretched (largest)"), ("kept", "brow kept"),
                                   ("ms", "ms at full size")])
          + "\n![the astronaut's right brow raised: photo (handle red, target blue), brush, held, "
            "whole; one row per move](drag_whole.png)\n\n"
          + f"{footer(m)}")
    write_results("drag_whole", {"machine": m, "summary": table, "rows": rows}, md)


if __name__ == "__main__":
    main()
