"""The Warp brush on real photos: the warp carried back as the generator's repaint (before) and as
motion (the photo's own pixels pushed along, editing.motion.brush_motion: now), side by side on the
same warps, measured as benchmarks.drag_photos measures drags.

    python -m benchmarks.warp_photos [--faces 6] [--products 20] [--radius 4]

Faces: the first `--faces` held-out faces made into photos (benchmarks.real_photos) and the
astronaut, the generator tuned to each, each mouth corner warped 4 model px up and 1.5 out;
products: held-out product photos, one warp each from a visible edge (benchmarks.drag's
synthetic drag), 4-10 model px. Brush radius `--radius` model px. Each warp is solved once (the
editor's solver settings, its best candidate); both carry-backs use that code. Arrived, sharpness
and changed outside as benchmarks.drag_photos has them (changed outside: beyond the motion's reach).
Writes benchmarks/results/warp_photos.{json,md,png}.
"""
from __future__ import annotations

import argparse
import time

import torch
from PIL import Image

from benchmarks.common import footer, machine, markdown_table, write_results
from benchmarks.drag_photos import crop_strip, drag_cases, measure, save_strips, summary
from editing.compositing import MASK_THRESHOLD
from editing.edit import solver_config
from editing.edits import edit_entry, recipe_edit
from editing.export import COMPOSITING, render_edit
from editing.motion import brush_motion
from editing.warp import Warp, reach_strokes, warp_code

WAYS = ("repaint", "motion")


def one_warp(domain, model, photo, mapping, z0, point, radius, strips, draw: bool) -> dict:
    warp = Warp(point.handle, point.target, radius)
    z = warp_code(model, z0, z0, [warp], solver_config(model))
    motion = brush_motion([warp])
    exports = {}
    t = time.perf_counter()
    exports["repaint"] = (render_edit(model, photo, mapping, z0, z, MASK_THRESHOLD,
                                      strokes=reach_strokes((), [warp]))[0], time.perf_counter() - t)
    entry = {**edit_entry(z, warps=[warp], moved=(0, motion, z)), "edits": [edit_entry(z0)]}
    t = time.perf_counter()
    exports["motion"] = (recipe_edit(model, photo, mapping, z0, entry, MASK_THRESHOLD, COMPOSITING, False),
                         time.perf_counter() - t)
    row = {"domain": domain}
    for way, (pixels, s) in exports.items():
        row[way] = {**measure(photo, pixels, mapping, point, motion.moves[0].radius), "ms": 1000 * s}
    if draw:
        strips.append(crop_strip(photo, [exports[w][0] for w in WAYS], mapping, point))
    return row


def run(a) -> tuple[list[dict], list[Image.Image]]:
    rows, strips = [], []
    for domain, model, photo, mapping, z0, point in drag_cases(a.faces, a.products):  # the drags' points
        shown = len(strips) < (4 if domain == "faces" else 8)
        rows.append(one_warp(domain, model, photo, mapping, z0, point, a.radius, strips, shown))
    return rows, strips


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--faces", type=int, default=6, help="held-out face photos besides the astronaut")
    p.add_argument("--products", type=int, default=20, help="held-out product photos")
    p.add_argument("--radius", type=float, default=4.0, help="the brush's radius, model px")
    a = p.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    rows, strips = run(a)
    table = summary(rows, "warps")
    save_strips(strips, "warp_photos")
    m = machine()
    md = (f"# The Warp brush on real photos: the generator's repaint against motion\n\n"
          f"`python -m benchmarks.warp_photos --faces {a.faces} --products {a.products} --radius "
          f"{a.radius:g}` ({time.perf_counter() - t0:.0f} s, one torch thread). The same warps (the "
          f"editor's solver, its best candidate) carried back two ways: `repaint`, the change "
          f"G(warped code) - G(z0) as the brush landed before; `motion`, the photo's own pixels "
          f"pushed along (editing.motion.brush_motion, now). Faces: the first {a.faces} held-out faces "
          f"made into photos and the astronaut, the generator tuned to each, each mouth corner warped "
          f"4 px up; products: {a.products} held-out product photos, one warp each from a visible "
          f"edge. Arrived: the photo's square at the press found within 1.5 model px of the release "
          f"in the export; sharpness: the Laplacian's variance there over that at the press in the "
          f"photo (median); changed outside: pixels beyond the motion's reach changed by more than 3 "
          f"levels (median share).\n\n"
          + markdown_table(table, [("domain", "domain"), ("carry-back", "carry-back"), ("warps", "warps"),
                                   ("arrived", "arrived"), ("sharpness", "sharpness"),
                                   ("changed_outside", "changed outside"), ("ms", "ms (full size)")])
          + "\n![photo, repaint, motion](warp_photos.png)\n\nRows: faces (mouth corners), then "
          f"products; columns: the photo (press red, release blue), repaint, motion.\n\n"
          f"{footer(m)}")
    write_results("warp_photos", {"machine": m, "summary": table, "rows": rows}, md)


if __name__ == "__main__":
    main()
