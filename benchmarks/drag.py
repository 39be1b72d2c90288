"""Point drag (editing.drag) on the shipped models: does the dragged thing arrive, how fast, and
what else changes. One run, JSON + markdown table + a picture strip.

    python -m benchmarks.drag [--n 100] [--models fashion-mnist-32 celeba-64]

Per model, n synthetic drags of each of two kinds on the model's own samples (seeded), the handle
on a visible edge (drawn with probability rising with the Sobel edge strength, away from the
border), the target known:
- reachable: drags the generator can do. A nearby code is drawn, the optical flow from the sample
  to its image measured (OpenCV's Farneback, checked forwards and backwards), and the handle put
  where the flow moves a visible edge 4 to 10 px; the target is where the flow takes it;
- random: the handle moved 4 to 10 model pixels in a random direction, which the generator may
  have no way of doing.
The mask of what may move: the pixels within R/6 of the segment from handle to target. Measured:
- tracked: the drag's own tracked handle ends within 1.5 px of the target;
- patch: an independent check that does not trust the tracker: the 5x5 (32 px) or 7x7 (64 px)
  square around the handle in the start image, looked for (least squares) within 12 px of the
  handle in the result, is found within 1.5 px of the target;
- flow: a second independent check: the optical flow from the start image to the result (as the
  reachable drags are made) carries the handle within 1.5 px of the target;
- the patch check's own reach: the same check on the start image warped from handle to target (the
  warp term's aim, editing.drag.warped_start): a drag that made exactly that picture would pass
  this often, the rest lost to a square that slides along a straight edge or that the warp bends;
- both checks again with a 9x9 square (WIDE), which confirms the warp target most often of the
  squares 5 to 11 px tried on products, and all of it on faces (a 5x5 square on a product's
  straight edge matches all along it; results/drag.md);
- steps, seconds and milliseconds per step (one thread: torch.set_num_threads(1));
- LPIPS outside the mask: the result with the mask's inside taken from the start, against the start.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
import torch
from PIL import Image, ImageDraw

from benchmarks.common import RESULTS, machine, markdown_table, write_results
from editing.drag import DragConfig, DragPoint, drag, warped_start
from editing.solver import edge_map
from inversion.perceptual import LPIPS
from training.modelfile import MODELS_DIR, load_model
from training.pixels import to_uint8

MODELS = ("fashion-mnist-32", "celeba-64")
WITHIN = 1.5  # model pixels
WIDE = 4  # half side of the wider patch check's square (9x9): it confirms the warp target best
# (benchmarks/results/drag.md: squares 5 to 11 px on the same drags)
STRIP = 6  # drags per model and kind in the picture strip
KINDS = ("reachable", "random")  # drags the generator can do (from a nearby code's flow); any direction


def synthetic_drag(image: torch.Tensor, g: torch.Generator) -> tuple[DragPoint, torch.Tensor]:
    """A drag on image (C, R, R): handle on a visible edge, target 4-10 px away in the image;
    and the mask (R, R) of what may move (within R/6 of the segment)."""
    r = image.shape[-1]
    margin = r // 6
    e = edge_map(image[None])[0]
    inner = torch.zeros_like(e)
    inner[margin:r - margin, margin:r - margin] = 1
    weights = (e * inner) ** 2 + 1e-12 * inner
    while True:
        idx = int(torch.multinomial(weights.flatten(), 1, generator=g))
        hy, hx = divmod(idx, r)
        angle = float(torch.rand(1, generator=g)) * 2 * math.pi
        dist = 4 + 6 * float(torch.rand(1, generator=g))
        tx, ty = hx + 0.5 + dist * math.cos(angle), hy + 0.5 + dist * math.sin(angle)
        if margin / 2 <= tx <= r - margin / 2 and margin / 2 <= ty <= r - margin / 2:
            break
    point = DragPoint((hx + 0.5, hy + 0.5), (tx, ty))
    return point, segment_mask(point, r, r / 6)


def flow(a: torch.Tensor, b: torch.Tensor, up: int = 4) -> np.ndarray:
    """Dense optical flow (R, R, 2), model pixels, from image a to b (C, R, R) (OpenCV's Farneback
    on the grey images enlarged `up` times, read back at the model's pixel centres)."""
    import cv2

    def grey(x):
        g = to_uint8(x.mean(0, keepdim=True))[..., 0]
        return cv2.resize(g, None, fx=up, fy=up, interpolation=cv2.INTER_CUBIC)

    f = cv2.calcOpticalFlowFarneback(grey(a), grey(b), None, 0.5, 3, 15, 3, 5, 1.2, 0)
    r = a.shape[-1]
    return cv2.resize(f, (r, r), interpolation=cv2.INTER_AREA) / up


def reachable_drag(model, code: torch.Tensor, g: torch.Generator, tries: int = 30):
    """A drag the generator can do: a random code nearby (u moved by N(0, s^2) per dimension, s
    drawn from 0.3..0.8),
    the optical flow from the start image to its image, and a handle on a visible edge of the start
    whose flow is 4-10 px and consistent forwards and backwards; the target is the handle plus its
    flow. (point, mask) or None when no such handle turns up."""
    r = model.gan.resolution
    margin = r // 6
    mean, std = model.code_spread()
    with torch.no_grad():
        a = model.decode(code[None])[0]
    e = edge_map(a[None])[0].numpy()
    for _ in range(tries):
        scale = 0.3 + 0.5 * float(torch.rand(1, generator=g))
        other = code + std * torch.randn(code.shape, generator=g) * scale
        with torch.no_grad():
            b = model.decode(other[None])[0]
        fwd, back = flow(a, b), flow(b, a)
        mag = np.linalg.norm(fwd, axis=2)
        yy, xx = np.mgrid[0:r, 0:r]
        ex = np.clip(np.rint(xx + fwd[..., 0]).astype(int), 0, r - 1)
        ey = np.clip(np.rint(yy + fwd[..., 1]).astype(int), 0, r - 1)
        consistent = np.linalg.norm(fwd + back[ey, ex], axis=2) < 1.0
        ok = (mag >= 4) & (mag <= 10) & consistent & (e > 0.25 * e.max())
        ok[:margin], ok[-margin:], ok[:, :margin], ok[:, -margin:] = False, False, False, False
        tx, ty = xx + 0.5 + fwd[..., 0], yy + 0.5 + fwd[..., 1]
        ok &= (tx >= margin / 2) & (tx <= r - margin / 2) & (ty >= margin / 2) & (ty <= r - margin / 2)
        if ok.any():
            weights = torch.from_numpy((e * ok).astype(np.float32)).flatten() ** 2
            idx = int(torch.multinomial(weights, 1, generator=g))
            hy, hx = divmod(idx, r)
            point = DragPoint((hx + 0.5, hy + 0.5), (float(tx[hy, hx]), float(ty[hy, hx])))
            return point, segment_mask(point, r, r / 6)
    return None


def segment_mask(point: DragPoint, r: int, width: float) -> torch.Tensor:
    c = torch.arange(r, dtype=torch.float32) + 0.5
    py, px = torch.meshgrid(c, c, indexing="ij")
    a, b = torch.tensor(point.handle), torch.tensor(point.target)
    ab = b - a
    p = torch.stack([px, py], -1)
    t = (((p - a) * ab).sum(-1) / (ab @ ab).clamp_min(1e-9)).clamp(0, 1)
    return ((p - (a + t[..., None] * ab)).norm(dim=-1) <= width).float()


def patch_match(before: torch.Tensor, after: torch.Tensor, handle, reach: int = 12,
                half: int | None = None) -> tuple[float, float]:
    """Where the square of `before` around `handle` is in `after` (least squares over positions
    within `reach` px of the handle): its centre (x, y) in model pixels. The square's half side
    `half` defaults to a 5x5 square at 32 px, 7x7 at 64 px."""
    r = before.shape[-1]
    k = r // 32 + 1 if half is None else half
    hx, hy = int(handle[0]), int(handle[1])
    pad = k + reach
    b = torch.nn.functional.pad(before, (pad, pad, pad, pad), mode="replicate")
    a = torch.nn.functional.pad(after, (pad, pad, pad, pad), mode="replicate")
    patch = b[:, hy + pad - k:hy + pad + k + 1, hx + pad - k:hx + pad + k + 1]
    best, where = float("inf"), (hx + 0.5, hy + 0.5)
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            if dx * dx + dy * dy > reach * reach:
                continue
            y, x = hy + dy + pad, hx + dx + pad
            cost = float(((a[:, y - k:y + k + 1, x - k:x + k + 1] - patch) ** 2).sum())
            if cost < best:
                best, where = cost, (hx + dx + 0.5, hy + dy + 0.5)
    return where


def draw_pair(before: torch.Tensor, after: torch.Tensor, point: DragPoint, end, scale: int) -> Image.Image:
    """Start (handle red, target blue, arrow) beside the result (where the handle ended, red)."""
    def big(x):
        img = to_uint8(x)
        img = np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img
        return Image.fromarray(img).resize((img.shape[1] * scale, img.shape[0] * scale), Image.NEAREST)

    left, right = big(before), big(after)
    d = ImageDraw.Draw(left)
    hx, hy = point.handle[0] * scale, point.handle[1] * scale
    tx, ty = point.target[0] * scale, point.target[1] * scale
    d.line([(hx, hy), (tx, ty)], fill=(255, 255, 255), width=1)
    d.ellipse([hx - 3, hy - 3, hx + 3, hy + 3], fill=(255, 40, 40))
    d.ellipse([tx - 3, ty - 3, tx + 3, ty + 3], fill=(40, 120, 255))
    d = ImageDraw.Draw(right)
    d.ellipse([tx - 3, ty - 3, tx + 3, ty + 3], outline=(40, 120, 255), width=2)
    ex, ey = end[0] * scale, end[1] * scale
    d.ellipse([ex - 2, ey - 2, ex + 2, ey + 2], fill=(255, 40, 40))
    out = Image.new("RGB", (left.width * 2 + 4, left.height), (255, 255, 255))
    out.paste(left, (0, 0))
    out.paste(right, (left.width + 4, 0))
    return out


def run_model(name: str, n: int, cfg: DragConfig, lpips: LPIPS, kind: str, seed: int = 0):
    model = load_model(MODELS_DIR / name)
    r = model.gan.resolution
    codes = model.codes(4 * n, seed=seed + 100)
    g = torch.Generator().manual_seed(seed)
    rows, pictures = [], []
    for code in codes:
        if len(rows) == n:
            break
        with torch.no_grad():
            before = model.decode(code[None])[0]
        found = synthetic_drag(before, g) if kind == "random" else reachable_drag(model, code, g)
        if found is None:
            continue  # no handle with a 4-10 px flow on a visible edge: the next sample
        point, mask = found
        t0 = time.perf_counter()
        last = None
        for last in drag(model, code, [point], mask, cfg):
            pass
        seconds = time.perf_counter() - t0
        after = last.image
        found = patch_match(before, after, point.handle)
        aim = warped_start(before[None], [point], cfg.warp_radius * r, cfg.warp_core)[0][0]
        aimed = patch_match(before, aim, point.handle)
        found_wide = patch_match(before, after, point.handle, half=WIDE)
        aimed_wide = patch_match(before, aim, point.handle, half=WIDE)
        kept = after * (1 - mask) + before * mask
        with torch.no_grad():
            lp = float(lpips(kept[None], before[None])[0])
        tracked = math.dist(last.handles[0], point.target)
        moved = flow(before, after)[int(point.handle[1]), int(point.handle[0])]
        carried = (point.handle[0] + float(moved[0]), point.handle[1] + float(moved[1]))
        rows.append({"tracked": tracked, "patch": math.dist(found, point.target),
                     "flow": math.dist(carried, point.target), "aim": math.dist(aimed, point.target),
                     "patch_wide": math.dist(found_wide, point.target),
                     "aim_wide": math.dist(aimed_wide, point.target),
                     "moved": math.dist(point.handle, point.target), "steps": last.step,
                     "seconds": seconds, "lpips_outside": lp})
        if len(pictures) < STRIP:
            pictures.append(draw_pair(before, after, point, last.handles[0], 256 // r))
    return rows, pictures


def summary(name: str, kind: str, rows: list[dict]) -> dict:
    steps = sum(r["steps"] for r in rows)
    return {"model": name, "kind": kind, "drags": len(rows),
            "tracked": sum(r["tracked"] <= WITHIN for r in rows) / len(rows),
            "patch": sum(r["patch"] <= WITHIN for r in rows) / len(rows),
            "flow": sum(r["flow"] <= WITHIN for r in rows) / len(rows),
            "aim": sum(r["aim"] <= WITHIN for r in rows) / len(rows),
            "patch_wide": sum(r["patch_wide"] <= WITHIN for r in rows) / len(rows),
            "aim_wide": sum(r["aim_wide"] <= WITHIN for r in rows) / len(rows),
            "steps": statistics.median(r["steps"] for r in rows),
            "seconds": statistics.median(r["seconds"] for r in rows),
            "ms_step": 1000 * sum(r["seconds"] for r in rows) / max(1, steps),
            "lpips": statistics.mean(r["lpips_outside"] for r in rows),
            "moved": statistics.mean(r["moved"] for r in rows)}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--models", nargs="+", default=list(MODELS))
    p.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    p.add_argument("--steps", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--radius", type=float)
    p.add_argument("--search", type=int)
    p.add_argument("--hold", type=float)
    p.add_argument("--depth", type=int)
    p.add_argument("--track-radius", type=float)
    p.add_argument("--template", type=float)
    p.add_argument("--closeness", type=float)
    p.add_argument("--offset-depth", type=int)
    p.add_argument("--offset-lr", type=float)
    p.add_argument("--track-in", choices=("image", "features"))
    p.add_argument("--warp", type=float)
    p.add_argument("--warp-radius", type=float)
    p.add_argument("--warp-core", type=float)
    p.add_argument("--code-only", action="store_true",
                   help="the drag as before feature offsets (DragConfig.code_only), other options on top")
    p.add_argument("--no-write", action="store_true", help="print only (for trying settings)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    from training.options import replace_given

    cfg = replace_given(DragConfig.code_only() if a.code_only else DragConfig(), steps=a.steps,
                        lr=a.lr, radius=a.radius, search=a.search, hold=a.hold, depth=a.depth,
                        template=a.template, closeness=a.closeness, track_radius=a.track_radius,
                        offset_depth=a.offset_depth, offset_lr=a.offset_lr, track_in=a.track_in,
                        warp=a.warp, warp_radius=a.warp_radius, warp_core=a.warp_core)
    lpips = LPIPS()
    results, strips = [], []
    t0 = time.perf_counter()
    for name in a.models:
        for kind in a.kinds:
            rows, pictures = run_model(name, a.n, cfg, lpips, kind)
            results.append({"summary": summary(name, kind, rows), "drags": rows})
            strips.append(pictures)
    columns = [("model", "model"), ("kind", "drags made"), ("drags", "drags"), ("moved", "mean move (px)"),
               ("tracked", f"tracked within {WITHIN} px"), ("patch", f"patch found within {WITHIN} px"),
               ("flow", f"flow carries within {WITHIN} px"), ("aim", "patch check on the warp target"),
               ("patch_wide", f"9x9 patch found within {WITHIN} px"),
               ("aim_wide", "9x9 patch check on the warp target"),
               ("steps", "median steps"), ("seconds", "median s"), ("ms_step", "ms / step"),
               ("lpips", "LPIPS outside mask")]
    table = markdown_table([r["summary"] for r in results], columns)
    if a.no_write:
        print(cfg)
        print(table, flush=True)
        return
    md = (f"# Point drag on the shipped models\n\n`python -m benchmarks.drag --n {a.n}`, "
          f"{machine()['date']}, {machine()['cpu']}, one torch thread, "
          f"{time.perf_counter() - t0:.0f} s in all. Settings: {cfg.to_dict()}.\n\n"
          f"Each drag: a handle on a visible edge of a model sample, moved 4-10 model pixels, "
          f"*reachable* (where the optical flow to a nearby code's image takes it: a drag the "
          f"generator can do) or *random* (any direction); the mask lets the pixels within R/6 "
          f"of the segment move. Picture rows: reachable then random drags, per model; each start "
          f"(handle red, target blue) beside its result (blue ring: the target, red dot: where "
          f"the tracked handle ended). *tracked*: the drag's own "
          f"tracked handle ends within {WITHIN} px of the target; *patch*: the image square "
          f"around the handle is found (least squares, not the tracker) within {WITHIN} px of the "
          f"target in the result; *flow*: the optical flow from the start to the result carries "
          f"the handle within {WITHIN} px of the target; *patch check on the warp target*: the patch "
          f"check applied to what the drag's warp term aims at (the start warped from handle to "
          f"target): how often the check can confirm even that picture, for its square slides "
          f"along straight edges and the warp bends what lies beside the handle; *9x9*: the same two "
          f"checks with a 9x9 square, which takes in enough of the shape around an edge to pin "
          f"it down (at 32 px a 5x5 square on a straight edge matches all along it); LPIPS outside "
          f"the mask: result (mask's inside from the start) against the start.\n\n"
          f"{table}\n![drags](drag.png)\n")
    strip = Image.new("RGB", (max(sum(p.width + 8 for p in row) for row in strips),
                              sum(row[0].height + 8 for row in strips)), (255, 255, 255))
    y = 0
    for row in strips:
        x = 0
        for pic in row:
            strip.paste(pic, (x, y))
            x += pic.width + 8
        y += row[0].height + 8
    strip.save(RESULTS / "drag.png")
    write_results("drag", {"machine": machine(), "config": cfg.to_dict(), "models": results}, md)


if __name__ == "__main__":
    main()
