"""Point drags on real photos, carried back as the generator's repaint (how exports were made
before editing.motion) and as motion (the photo's own pixels moved as the drag moved the model's
picture), side by side on the same drags.

    python -m benchmarks.drag_photos [--faces 20] [--products 20]

- Face photos: the first `--faces` held-out CelebA faces made into photos as benchmarks.real_photos
  makes them (150-800 px faces, turned, off-centre), plus scikit-image's astronaut; found,
  aligned, inverted (the default hybrid) and the generator tuned to each, as the editor and
  `latent-edit` do by default. Two drags per face: each mouth corner 4 model px up and 1.5 out
  (where the aligned training faces' mouth corners lie, from the photo's five landmarks).
- Product photos: held-out Fashion-MNIST test images as tinted product photos (as
  benchmarks.real_photos), inverted; one drag each from a visible edge, 4-10 model px
  (benchmarks.drag.synthetic_drag), no mask.
Every drag runs once with the default DragConfig; both carry-backs use its result.

Measured on the exported photo, in the model's frame at 4 times its size (the photo resampled
through the mapping, so every photo counts alike):
- arrived: the photo's square around the handle (benchmarks.drag.patch_match's size) found, in the
  export, within 1.5 model px of the target: what the user asked for, on the photo;
- sharpness: the Laplacian's variance on the disk of 3 model px around the target in the export,
  over the same around the handle in the photo (1: as sharp as the photo; under 1: blurred);
- changed outside: the share of pixels farther than the drag's warp reach from its path that
  differ from the photo by more than 3 levels;
- ms: the carry-back at the photo's full size.
Writes benchmarks/results/drag_photos.{json,md} and drag_photos.png (crops: photo, repaint, motion).
"""
from __future__ import annotations

import argparse
import io
import statistics
import time

import cv2
import numpy as np
import torch
from PIL import Image, ImageDraw

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from benchmarks.drag import patch_match, synthetic_drag
from benchmarks.editing import fake_photo
from benchmarks.product_edits import TINTS
from benchmarks.real_photos import held_out_face_photos, jpeg_round_trip, tuned_to_faces
from editing.compositing import MASK_THRESHOLD
from editing.drag import DragConfig, DragPoint, run_drag
from editing.edits import edit_entry, recipe_edit
from editing.export import COMPOSITING, render_edit
from editing.motion import drag_motion
from inversion.framing import DomainSpec, to_model
from inversion.invert import Inverter
from training.data import load_fashion_mnist
from training.modelfile import load_model

UP = 4  # the measuring frame: the model's square at 4 times its size
WAYS = ("repaint", "motion")


def frame(pixels: np.ndarray, mapping) -> torch.Tensor:
    """The photo's model square at UP times the model's size, (3, UP R, UP R) in [0, 1]."""
    r = mapping.resolution * UP
    m = mapping.matrix * UP
    out = cv2.warpAffine(pixels, m, (r, r), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return torch.from_numpy(out).permute(2, 0, 1).float() / 255.0


def sharpness(image: torch.Tensor, centre, radius: float) -> float:
    """The variance of the grey image's Laplacian on the disk of `radius` (frame px) at `centre`."""
    grey = image.mean(0).numpy()
    lap = cv2.Laplacian(grey, cv2.CV_32F)
    ys, xs = np.mgrid[0:grey.shape[0], 0:grey.shape[1]]
    disk = (xs + 0.5 - centre[0]) ** 2 + (ys + 0.5 - centre[1]) ** 2 <= radius ** 2
    return float(lap[disk].var())


def far_from(point: DragPoint, side: int, reach: float) -> np.ndarray:
    """(side, side) bool: frame pixels farther than `reach` (frame px) from the drag's path."""
    a, b = np.array(point.handle) * UP, np.array(point.target) * UP
    ys, xs = np.mgrid[0:side, 0:side] + 0.5
    p = np.stack([xs, ys], -1)
    ab = b - a
    t = np.clip(((p - a) @ ab) / max(float(ab @ ab), 1e-9), 0, 1)
    return np.linalg.norm(p - (a + t[..., None] * ab), axis=-1) > reach


def measure(photo: np.ndarray, export: np.ndarray, mapping, point: DragPoint, reach: float) -> dict:
    before, after = frame(photo, mapping), frame(export, mapping)
    handle = tuple(c * UP for c in point.handle)
    target = tuple(c * UP for c in point.target)
    found = patch_match(before, after, handle, reach=int(12 * UP))
    arrived = float(np.hypot(found[0] - target[0], found[1] - target[1])) <= 1.5 * UP
    sharp = sharpness(after, target, 3 * UP) / max(sharpness(before, handle, 3 * UP), 1e-9)
    far = far_from(point, before.shape[-1], reach * UP)
    changed = ((after - before).abs().amax(0).numpy() * 255 > 3)[far].mean() if far.any() else 0.0
    return {"arrived": bool(arrived), "sharpness": sharp, "changed_outside": float(changed)}


def carry_backs(model, photo, mapping, z0, last, point: DragPoint, cfg: DragConfig) -> dict:
    """{way: (export pixels, ms)} for the drag's last step."""
    out = {}
    t = time.perf_counter()
    repaint = render_edit(model, photo, mapping, z0, last.code, MASK_THRESHOLD, offset=last.offset)[0]
    out["repaint"] = (repaint, 1000 * (time.perf_counter() - t))
    motion = drag_motion([point.handle], last.handles, model.gan.resolution)
    entry = {**edit_entry(last.code, offset=last.offset, moved=(0, motion, last.code)),
             "edits": [edit_entry(z0)]}
    t = time.perf_counter()
    out["motion"] = (recipe_edit(model, photo, mapping, z0, entry, MASK_THRESHOLD, COMPOSITING, False),
                     1000 * (time.perf_counter() - t))
    return out


def mouth_drags(mapping) -> list[DragPoint]:
    """Each mouth corner 4 model px up and 1.5 out, placed from the aligned face's landmarks."""
    (ro, _), (_, _), (lo, _), (_, _), (nx, ny) = mapping.landmarks
    span = abs(ro - lo)  # outer eye corners
    drags = []
    for side in (-1, 1):
        x, y = nx + side * 0.33 * span, ny + 0.17 * span
        drags.append(DragPoint((x, y), (x + side * 1.5, y - 4.0)))
    return drags


def crop_strip(photo, exports, mapping, point: DragPoint, size: int = 200) -> Image.Image:
    """The photo and each export around the drag, in the model's frame, the handle (red) and
    target (blue) marked on the photo."""
    tiles = []
    for i, img in enumerate([photo, *exports]):
        f = (frame(img, mapping).permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        cx, cy = (np.array(point.handle) + np.array(point.target)) / 2 * UP
        half = 12 * UP
        x0, y0 = (int(np.clip(c - half, 0, n - 2 * half)) for c, n in ((cx, f.shape[1]), (cy, f.shape[0])))
        tile = Image.fromarray(f[y0:y0 + 2 * half, x0:x0 + 2 * half]).resize((size, size), Image.LANCZOS)
        if i == 0:
            d, s = ImageDraw.Draw(tile), size / (2 * half)
            for (x, y), colour in ((point.handle, (255, 60, 60)), (point.target, (60, 140, 255))):
                px, py = (x * UP - x0) * s, (y * UP - y0) * s
                d.ellipse((px - 4, py - 4, px + 4, py + 4), outline=colour, width=2)
        tiles.append(tile)
    strip = Image.new("RGB", (len(tiles) * (size + 4), size), "white")
    for i, tile in enumerate(tiles):
        strip.paste(tile, (i * (size + 4), 0))
    return strip


def drag_cases(faces: int, products: int):
    """The benchmark's drags, one photo at a time: (domain, the model drawing it, photo, mapping,
    z0, DragPoint) for the mouth corners of the first `faces` held-out face photos and the
    astronaut (none when `faces` < 0), each tuned, then a synthetic drag on each of the first
    `products` held-out product photos (benchmarks.drag.synthetic_drag, seed 0). benchmarks.warp_photos
    warps the same points."""
    if faces >= 0:
        model = load_model("celeba-64")
        spec = DomainSpec.for_model(model.config)
        photos = held_out_face_photos(model, spec, faces)
        for i, x, mapping, z0, tuned in tuned_to_faces(model, spec, Inverter.for_model(model), photos):
            for point in mouth_drags(mapping):
                yield "faces", tuned, photos[i], mapping, z0, point
            print(f"face photo {i + 1} of {len(photos)}", flush=True)
    product = load_model("fashion-mnist-32")
    spec = DomainSpec.for_model(product.config)
    inv = Inverter.for_model(product)
    test = load_fashion_mnist("test", 32)
    g = torch.Generator().manual_seed(0)
    for i in range(products):
        item = test.images[i, 2:30, 2:30, 0].numpy()
        photo = jpeg_round_trip(fake_photo(item, TINTS[i % len(TINTS)]))
        x, mapping = to_model(photo, product.gan.resolution, product.gan.channels, spec)
        z0 = inv.invert(x).z[0]
        with torch.no_grad():
            point, _ = synthetic_drag(product.decode(z0[None])[0], g)
        yield "products", product, photo, mapping, z0, point


def run(a) -> tuple[list[dict], list[Image.Image]]:
    cfg = DragConfig()
    rows, strips = [], []
    for domain, model, photo, mapping, z0, point in drag_cases(a.faces, a.products):
        shown = len(strips) < (4 if domain == "faces" else 6)
        rows.append(one_drag(domain, model, photo, mapping, z0, point, cfg, strips, shown))
    return rows, strips


def one_drag(domain, model, photo, mapping, z0, point, cfg, strips, draw: bool) -> dict:
    last = run_drag(model, z0, [point], None, cfg)
    reach = cfg.warp_radius * model.gan.resolution
    exports = carry_backs(model, photo, mapping, z0, last, point, cfg)
    row = {"domain": domain, "steps": last.step, "tracked": last.distance <= 1.5}
    for way, (pixels, ms) in exports.items():
        row[way] = {**measure(photo, pixels, mapping, point, reach), "ms": ms}
    if draw:
        strips.append(crop_strip(photo, [exports[w][0] for w in WAYS], mapping, point))
    return row


def summary(rows: list[dict], unit: str = "drags") -> list[dict]:
    """Per domain and carry-back: the share arrived, median sharpness, changed outside and ms (and
    the share tracked, where the rows have it: a drag's)."""
    out = []
    for domain in ("faces", "products"):
        mine = [r for r in rows if r["domain"] == domain]
        if not mine:
            continue
        for way in WAYS:
            row = {"domain": domain, "carry-back": way, unit: len(mine)}
            if "tracked" in mine[0]:
                row["tracked"] = float(np.mean([r["tracked"] for r in mine]))
            out.append({**row, "arrived": float(np.mean([r[way]["arrived"] for r in mine])),
                        "sharpness": statistics.median(r[way]["sharpness"] for r in mine),
                        "changed_outside": statistics.median(r[way]["changed_outside"] for r in mine),
                        "ms": statistics.median(r[way]["ms"] for r in mine)})
    return out


def save_strips(strips: list[Image.Image], name: str) -> None:
    """The crop strips one under another, as benchmarks/results/NAME.png."""
    picture = Image.new("RGB", (strips[0].width, sum(s.height + 6 for s in strips)), "white")
    for i, s in enumerate(strips):
        picture.paste(s, (0, i * (s.height + 6)))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    (RESULTS / f"{name}.png").write_bytes(buffer.getvalue())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--faces", type=int, default=20, help="held-out face photos besides the astronaut")
    p.add_argument("--products", type=int, default=20, help="held-out product photos")
    a = p.parse_args()
    t0 = time.perf_counter()
    rows, strips = run(a)
    table = summary(rows)
    save_strips(strips, "drag_photos")
    m = machine()
    md = (f"# Point drags on real photos: the generator's repaint against motion\n\n"
          f"`python -m benchmarks.drag_photos --faces {a.faces} --products {a.products}` "
          f"({time.perf_counter() - t0:.0f} s). The same drags (the default DragConfig) carried back "
          f"two ways: `repaint`, the change G(drag) - G(z0) as exports were made before; `motion`, "
          f"the photo's pixels moved from each handle to where the drag left it (editing.motion, "
          f"the default now). Faces: the first {a.faces} held-out faces made into photos and the "
          f"astronaut, the generator tuned to each, each mouth corner dragged 4 px up; products: "
          f"{a.products} held-out product photos, one drag each from a visible edge. Arrived: the "
          f"photo's square at the handle found within 1.5 model px of the target in the export; "
          f"sharpness: the Laplacian's variance at the target in the export over that at the handle "
          f"in the photo (median); changed outside: pixels beyond the drag's reach changed by more "
          f"than 3 levels (median share); tracked: the drag's own tracker within 1.5 px.\n\n"
          + markdown_table(table, [("domain", "domain"), ("carry-back", "carry-back"), ("drags", "drags"),
                                   ("tracked", "tracked"), ("arrived", "arrived"),
                                   ("sharpness", "sharpness"), ("changed_outside", "changed outside"),
                                   ("ms", "ms (full size)")])
          + "\n![photo, repaint, motion](drag_photos.png)\n\nRows: faces (mouth corners), then "
          f"products; columns: the photo (handle red, target blue), repaint, motion.\n\n"
          f"{footer(m)}")
    write_results("drag_photos", {"machine": m, "summary": table, "rows": rows}, md)
    print(md)


if __name__ == "__main__":
    main()
