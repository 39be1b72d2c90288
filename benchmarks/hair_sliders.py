"""Hair sliders on real photos: carried back inside the face region (compositing 8) against on the
photo's hair too (compositing 9, editing.face_paste.hair_reach), side by side on the same edits.

    python -m benchmarks.hair_sliders [--n 10] [--sliders Blond_Hair,Black_Hair] [--name hair_sliders]

The first --n held-out faces made into photos as benchmarks.real_photos makes them, and
scikit-image's astronaut; each found, inverted by the default hybrid and tuned (as the editor and
`latent-edit` open a face photo). Blond hair and Black hair at strength 2, each signed away from
what the attribute classifier (benchmarks.faces) sees in the photo, carried back both ways at full
size; the export's face found and aligned again. Per way: the share whose attribute flips on the
export, whose identity is kept (dlib distance to the photo's face under 0.6), the mean change (photo
levels) inside the face region and on the ring the grown ellipse adds around it (where the hair is),
and milliseconds per carry-back. Writes benchmarks/results/NAME.{json,md} and a strip picture
(photo, then each edit the old way and the new way) of four faces and the astronaut. --sliders
carries other sliders back on the hair too, to see what that would do to them (the editor does it
for hair colour sliders only: editing.export.moves_hair).
"""
from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from benchmarks.faces import CLASSIFIER, probabilities
from benchmarks.real_photos import FACE_MODEL, crop_face, held_out_face_photos, tuned_to_faces
from editing.edit import edit_code
from editing.export import render_edit
from editing.face_paste import HAIR_GROWTH, face_region
from editing.vector_sets import FACE_ATTRIBUTES
from inversion.faces import SAME_PERSON, descriptors, find_faces, identity_distance
from inversion.framing import DomainSpec, to_model
from inversion.invert import Inverter
from inversion.perceptual import LPIPS
from training.classifier import load_classifier
from training.modelfile import load_model
from training.pixels import to_uint8

SLIDERS = ("Blond_Hair", "Black_Hair")
STRENGTH = 2.0
WAYS = (("face region (before)", 8, False), ("and the hair (now)", 9, True))  # (name, compositing, hair)


def rings(mapping, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) bool photo pixels inside the face region (weight over a half), and on the ring the
    grown ellipse adds around it."""
    def on_photo(region: np.ndarray) -> np.ndarray:
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        return cv2.warpAffine(region, mapping.matrix, size, flags=flags) > 0.5

    r = mapping.resolution
    face = on_photo(face_region(mapping.landmarks, r))
    return face, on_photo(face_region(mapping.landmarks, r, grow=HAIR_GROWTH)) & ~face


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=10, help="held-out face photos (and the astronaut)")
    p.add_argument("--sliders", default=",".join(SLIDERS), help="sliders to carry back both ways, "
                   "comma-separated (any face slider: what landing on the hair would do to it)")
    p.add_argument("--name", default="hair_sliders", help="results file name")
    a = p.parse_args()
    sliders = tuple(a.sliders.split(","))
    torch.manual_seed(0)
    t_start = time.perf_counter()
    model = load_model(FACE_MODEL)
    spec = DomainSpec.for_model(model.config)
    net = load_classifier(CLASSIFIER)[0].eval()
    inv = Inverter.for_model(model, LPIPS())
    photos = held_out_face_photos(model, spec, a.n)
    rows, strips = [], []
    for i, x, mapping, z0, tuned in tuned_to_faces(model, spec, inv, photos):
        photo = photos[i]
        reference = descriptors(to_uint8(x), spec.face_box)
        p0 = probabilities(net, x)[0]
        face, ring = rings(mapping, (photo.shape[1], photo.shape[0]))
        strip = [crop_face(photo, mapping)]
        for name in sliders:
            k = FACE_ATTRIBUTES.index(name)
            has = bool(p0[k] > 0.5)
            value = -STRENGTH if has else STRENGTH
            z1 = edit_code(tuned, z0, {name: value}, []).z_edit
            for way, compositing, hair in WAYS:
                t = time.perf_counter()
                out = render_edit(tuned, photo, mapping, z0, z1, compositing=compositing, hair=hair)[0]
                ms = 1000 * (time.perf_counter() - t)
                change = np.abs(out.astype(np.int16) - photo).max(axis=2)
                row = {"photo": i, "slider": name, "value": value, "way": way, "ms": ms,
                       "face_change": float(change[face].mean()), "ring_change": float(change[ring].mean())}
                again = find_faces(out)
                if again:
                    x2, _ = to_model(out, model.gan.resolution, 3, spec, found=again)
                    dist = float(identity_distance(descriptors(to_uint8(x2), spec.face_box), reference)[0])
                    row.update(flipped=bool((probabilities(net, x2)[0, k] > 0.5) != has),
                               kept=dist < SAME_PERSON, identity=dist)
                rows.append(row)
                strip.append(crop_face(out, mapping))
        strips.append(np.concatenate(strip, 1))
        print(f"photo {i}: " + ", ".join(f"{r['slider']}{r['value']:+g} {r['way'][:4]} "
                                         f"{'flip' if r.get('flipped') else '-'}"
                                         for r in rows if r["photo"] == i), flush=True)
    table = []
    for name in sliders:
        for way, _, _ in WAYS:
            got = [r for r in rows if r["slider"] == name and r["way"] == way]
            found = [r for r in got if "flipped" in r]
            table.append({"slider": f"{name} +-{STRENGTH:g}", "way": way, "photos": len(got),
                          "found": f"{len(found)}/{len(got)}",
                          "flipped": sum(r["flipped"] for r in found) / max(1, len(got)),
                          "kept": sum(r["kept"] for r in found) / max(1, len(got)),
                          "face_change": statistics.median(r["face_change"] for r in got),
                          "ring_change": statistics.median(r["ring_change"] for r in got),
                          "ms": statistics.median(r["ms"] for r in got)})
    picture = np.concatenate(strips[:min(4, len(strips) - 1)] + strips[-1:], 0)
    Image.fromarray(picture).save(RESULTS / f"{a.name}.jpg", quality=90)
    m = machine()
    md = (f"# Hair sliders on real photos: the face region alone, and the photo's hair too\n\n"
          f"`python -m benchmarks.hair_sliders --n {a.n} --sliders {a.sliders} --name {a.name}` "
          f"({(time.perf_counter() - t_start) / 60:.1f} min). "
          f"Model {model.name}. The first {a.n} held-out faces made into photos (benchmarks.real_photos) and "
          f"scikit-image's astronaut, each inverted and tuned as the editor opens it; each hair slider at "
          f"strength {STRENGTH:g} away from what the attribute classifier sees in the photo, carried back "
          f"at full size both ways. Flipped: the classifier's verdict on the export's face, found and "
          f"aligned again; kept: dlib identity distance under {SAME_PERSON}; change: mean of each "
          f"pixel's largest channel change, in photo levels, inside the face region and on the ring "
          f"the grown ellipse ({HAIR_GROWTH:g} times) adds around it (medians over the photos); ms: one "
          f"carry-back at full size.\n\n"
          + markdown_table(table, [("slider", "slider"), ("way", "carried back on"),
                                   ("found", "face found again"), ("flipped", "flipped"),
                                   ("kept", "identity kept"),
                                   ("face_change", "change in the face region"),
                                   ("ring_change", "change on the ring around it"), ("ms", "ms")])
          + f"\n![strips]({a.name}.jpg)\n\nRows: four face photos and the astronaut. Columns: the photo's "
          f"face, then {', '.join(f'{s} face region, {s} and hair' for s in sliders)}.\n\n"
          f"{footer(m)}")
    write_results(a.name, {"machine": m, "n": a.n, "sliders": sliders, "rows": rows, "table": table}, md)


if __name__ == "__main__":
    main()
