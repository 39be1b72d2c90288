"""A colour stroke on a face: where its edit lands, before compositing 26 (over the whole face
region, as a slider's) and now (within the stroke's reach, on the colours it covers:
editing.landing.face_region_lands). Walkthrough 55 painted a dark red stroke across the astronaut's
lips and the whole face came out darker and blotchy.

    python -m benchmarks.face_strokes [--n 8]

Photos as benchmarks.real_photos makes them: the first `--n` held-out faces of the face model's data
made into photos (face 150-800 px, turned up to 10 degrees) and scikit-image's astronaut, each
inverted and the generator tuned to it, as the editor opens a face photo. One stroke across the
mouth (from the nose base, half an eye-corner span down; two fifths of that span each way), dark red
(#801020), solved as `latent-edit edit --strokes` solves it; the export carried back both ways. Per
photo: *off the stroke*, the share of the face region's pixels beyond the stroke's reach that the
export changes by more than 6 levels; *on the stroke*, the export's mean distance to the paint
inside the stroke's band against the photo's (how far the stroke got); identity kept (dlib's
distance from the photo's face, re-found in the export, under 0.6). Writes
benchmarks/results/face_strokes.{json,md,png}.
"""
from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, stack_rows, write_results
from benchmarks.editing import tile
from benchmarks.real_photos import crop_face, face_region_in_photo, held_out_face_photos, tuned_to_faces
from editing.edit import edit_code, solver_config
from editing.export import render_edit
from editing.landing import BAND_SHARE
from editing.solver import Stroke, stroke_reach
from inversion.faces import SAME_PERSON, descriptors, find_faces, identity_distance
from inversion.framing import DomainSpec, to_model
from inversion.invert import Inverter
from training.modelfile import load_model
from training.pixels import to_uint8

PAINT = (128, 16, 32)  # the walkthrough's dark red
WAYS = ((25, "before (compositing 25)"), (26, "now (26)"))


def mouth_stroke(mapping) -> Stroke:
    """A dark red colour stroke across the mouth, in model pixels, from dlib's five landmarks."""
    pts = np.asarray(mapping.landmarks, np.float64)
    across = pts[0] - pts[2]
    span = float(np.linalg.norm(across))
    u = across / span
    v = np.array([-u[1], u[0]]) * (1 if (pts[4] - pts[:4].mean(0)) @ np.array([-u[1], u[0]]) > 0 else -1)
    centre = pts[4] + 0.5 * span * v
    ends = tuple(tuple(float(c) for c in centre + s * 0.4 * span * u) for s in (-1, 1))
    return Stroke("color", ends, 0.06 * span, tuple(c / 127.5 - 1 for c in PAINT))


def in_photo(small: np.ndarray, mapping, size: tuple[int, int]) -> np.ndarray:
    """An (R, R) model-grid array in the photo's pixels (`size`: width, height)."""
    return cv2.warpAffine(small.astype(np.float32), mapping.matrix, size,
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="celeba-64")
    p.add_argument("--n", type=int, default=8)
    a = p.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    model = load_model(a.model)
    spec = DomainSpec.for_model(model.config)
    photos = held_out_face_photos(model, spec, a.n)
    inv = Inverter.for_model(model)
    rows, strips = [], []
    for i, x, mapping, z0, drawing in tuned_to_faces(model, spec, inv, photos):
        photo = photos[i]
        h, w = photo.shape[:2]
        stroke = mouth_stroke(mapping)
        z_edit = edit_code(drawing, z0, {}, [stroke], solver_config(drawing)).z_edit
        band = in_photo(stroke_reach((stroke,), mapping.resolution, 3, 0.0), mapping, (w, h)) > 0.5
        reach = in_photo(stroke_reach((stroke,), mapping.resolution, 3, BAND_SHARE), mapping, (w, h)) > 0
        off = (face_region_in_photo(mapping, (w, h)) > 0.5) & ~reach
        paint = np.asarray(PAINT, np.float32)
        was = float(np.linalg.norm(photo[band].astype(np.float32) - paint, axis=1).mean())
        reference = descriptors(to_uint8(x), spec.face_box)
        row = {"photo": "astronaut" if i == a.n else f"held-out {i}", "paint_distance_photo": was}
        shown = [crop_face(photo, mapping)]
        for compositing, label in WAYS:
            out, _ = render_edit(drawing, photo, mapping, z0, z_edit, compositing=compositing,
                                 strokes=(stroke,))
            changed = np.abs(out.astype(np.int16) - photo).max(2) > 6
            row[f"off_{compositing}"] = float(changed[off].mean())
            row[f"paint_{compositing}"] = float(np.linalg.norm(out[band].astype(np.float32) - paint,
                                                               axis=1).mean())
            again = find_faces(out)  # the export's face found and aligned again, as benchmarks.real_photos
            if again:
                x2, _ = to_model(out, model.gan.resolution, 3, spec, found=again)
                distance = float(identity_distance(descriptors(to_uint8(x2), spec.face_box), reference)[0])
            row[f"kept_{compositing}"] = bool(distance < SAME_PERSON) if again else None
            shown.append(crop_face(out, mapping))
        rows.append(row)
        if len(strips) < 4:
            strips.append(tile(shown, axis=1, gap=4, fill=160))
        print(row, f"{time.perf_counter() - started:.0f} s", flush=True)
    Image.fromarray(stack_rows(strips, fill=160)).save(RESULTS / "face_strokes.png")
    summary = {"photo": "median / share kept"}
    for compositing, _ in WAYS:
        summary[f"off_{compositing}"] = float(np.median([r[f"off_{compositing}"] for r in rows]))
        summary[f"paint_{compositing}"] = float(np.median([r[f"paint_{compositing}"] for r in rows]))
        kept = [r[f"kept_{compositing}"] for r in rows if r[f"kept_{compositing}"] is not None]
        summary[f"kept_{compositing}"] = f"{sum(kept)}/{len(kept)}"
    summary["paint_distance_photo"] = float(np.median([r["paint_distance_photo"] for r in rows]))
    rows.append(summary)
    took = time.perf_counter() - started
    columns = [("photo", "photo"), ("off_25", "off the stroke, before"), ("off_26", "off the stroke, now"),
               ("paint_distance_photo", "paint distance: photo"), ("paint_25", "before"),
               ("paint_26", "now"), ("kept_25", "same person, before"), ("kept_26", "now")]
    m = machine()
    md = (f"# A colour stroke on a face: where it lands\n\nModel {model.model_id}. `python -m "
          f"benchmarks.face_strokes --n {a.n}` ({took:.0f} s). A dark red stroke across the mouth of each "
          f"tuned face photo, solved as `latent-edit edit --strokes` solves it, carried back over the face "
          f"region (compositing 25) and within the stroke's reach on the colours it covers (26). *Off the "
          f"stroke*: share of the face region's pixels beyond the stroke's reach changed by more than 6 "
          f"levels. *Paint distance*: mean RGB distance to the paint inside the stroke's band (the photo's, "
          f"then the exports'). *Same person*: dlib's distance to the photo's face under 0.6.\n\n"
          + markdown_table(rows, columns)
          + "\n\n![each face: the photo, before (25), now (26)](face_strokes.png)\n\n" + footer(m))
    write_results("face_strokes", {"rows": rows, "n": a.n, "seconds": took, "machine": m}, md)


if __name__ == "__main__":
    main()
