"""How much of a face slider's change is a change of light, and what holding the light would do.

    python -m benchmarks.face_light [--n 7] [--codes 9000]

The face model's attribute vectors are mean differences of encoder codes (editing.vector_sets):
whatever else differs between the faces that have an attribute and those that do not comes with it.
Here: the light. On the astronaut and the first `--n` held-out faces placed in photos, inverted and
tuned as the editor does (benchmarks.real_photos), each slider at -2 and +2: the mean of the tuned
generator's change over the face region (the *tone*, photo levels; negative: darker), over the
photos signed and each photo's without its sign, against the mean size of the change. Then the same
with the light held: a light direction made as the vectors are (the mean difference of the
`--codes` training faces' encoder codes, split at the median brightness of the aligned face's
middle), projected out of each vector, and the flips at strength 2 of benchmarks.slider_strength
(on the tuned generator's picture and on the photo with the change in the face region) with both.
Picture: Male at +2 and -2 carried back onto four photos, as shipped and with the light held.
Writes benchmarks/results/face_light.{json,md,png}.
"""
from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from benchmarks.real_photos import tuned_to_faces
from benchmarks.slider_strength import WHERE, face_setup, flips
from editing.compositing import MASK_THRESHOLD, change_in_levels, paste_back
from editing.face_paste import face_region
from editing.vectors import AttributeVector, apply_sliders, mean_difference, model_vectors
from inversion.encoder import load_encoder
from training.data import model_data

SLIDERS = ("Smiling", "Male", "Young", "Bangs")
READ = ("tuned", "region")  # of benchmarks.slider_strength.WHERE


@torch.no_grad()
def light_direction(model, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(unit light direction (D,), the codes it was made from (n, D)): the first n training faces
    encoded, split at the median brightness of the aligned face's middle (its central half)."""
    data = model_data(model.config, "train", model_folder=model.path)
    encoder = load_encoder(model)
    images = data.images[:n]
    codes, light = [], []
    for i in range(0, len(images), 250):
        x = images[i:i + 250].permute(0, 3, 1, 2).float() / 127.5 - 1
        codes.append(encoder(x))
        r = x.shape[-1]
        light.append(x[:, :, r // 4:3 * r // 4, r // 4:3 * r // 4].mean((1, 2, 3)))
    codes, light = torch.cat(codes), torch.cat(light)
    d = mean_difference(codes, light > light.median())
    return d / d.norm(), codes


def light_held(vectors: dict, light: torch.Tensor, codes: torch.Tensor) -> dict:
    """The SLIDERS' vectors with the light direction projected out, each one's spread measured
    again on `codes` (a slider unit stays the codes' spread along its direction)."""
    out = {}
    for name in SLIDERS:
        v = vectors[name].vector
        w = v - (v @ light) * light
        out[name] = AttributeVector(name, w, float((codes @ (w / w.norm())).std()), dict(vectors[name].meta))
    return out


@torch.no_grad()
def tone(tuned, z0: torch.Tensor, vectors: dict, region: np.ndarray) -> dict:
    """{(slider, value): (tone, size)}: the mean of the change over the face region, in photo levels
    (the channels' mean), and the mean of its size."""
    before = tuned.decode(z0[None])[0]
    out = {}
    for name in SLIDERS:
        for value in (-2.0, 2.0):
            after = tuned.decode(apply_sliders(z0, vectors, {name: value})[None])[0]
            d = change_in_levels(before, after)[region].mean(axis=1)
            out[name, value] = (float(d.mean()), float(np.abs(d).mean()))
    return out


@torch.no_grad()
def male_tiles(photo: np.ndarray, mapping, tuned, z0: torch.Tensor, both: tuple[dict, dict],
               side: int = 200) -> np.ndarray:
    """A row: the photo around the face, then Male +2 and -2 as shipped and light held."""
    to_photo = cv2.invertAffineTransform(np.asarray(mapping.matrix, np.float64))
    r = mapping.resolution
    corners = np.array([[0, 0], [r, 0], [0, r], [r, r]], np.float64) @ to_photo[:, :2].T + to_photo[:, 2]
    h, w = photo.shape[:2]
    x0, y0 = np.maximum(corners.min(0), 0).astype(int)
    x1, y1 = np.minimum(corners.max(0), (w, h)).astype(int)
    before = tuned.decode(z0[None])[0]
    tiles = [photo[y0:y1, x0:x1]]
    for value in (2.0, -2.0):
        for vectors in both:
            after = tuned.decode(apply_sliders(z0, vectors, {"Male": value})[None])[0]
            out, _ = paste_back(photo, mapping, before, after, MASK_THRESHOLD)
            tiles.append(out[y0:y1, x0:x1])
    return np.concatenate([cv2.resize(t, (side, side), interpolation=cv2.INTER_AREA) for t in tiles], 1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=7, help="held-out face photos besides the astronaut")
    p.add_argument("--codes", type=int, default=9000, help="training faces the light direction is made from")
    a = p.parse_args()
    t0 = time.perf_counter()
    model, spec, inv, net, photos = face_setup(a.n)
    shipped = model_vectors(model)
    light, codes = light_direction(model, a.codes)
    held = light_held(shipped, light, codes)
    tones = {"shipped": [], "light held": []}
    flipped = {"shipped": {n: [] for n in SLIDERS}, "light held": {n: [] for n in SLIDERS}}
    rows_img = []
    columns = [k for k, _ in WHERE]
    for i, x, mapping, z0, tuned in tuned_to_faces(model, spec, inv, photos):
        region = face_region(mapping.landmarks, mapping.resolution) > 0.5
        for key, vectors in (("shipped", shipped), ("light held", held)):
            tones[key].append(tone(tuned, z0, vectors, region))
            for name, f in flips(model, tuned, net, x, mapping, z0, vectors, [2.0]).items():
                if name in SLIDERS:
                    flipped[key][name].append([bool(f[columns.index(c), 0]) for c in READ])
        if i in (0, 1, 2) or i == len(photos) - 1:  # three held-out faces and the astronaut
            rows_img.append(male_tiles(photos[i], mapping, tuned, z0, (shipped, held)))
        print(f"photo {i + 1} of {len(photos)}", flush=True)
    rows = []
    for name in SLIDERS:
        cos = float(shipped[name].vector @ light / shipped[name].vector.norm())
        for key in ("shipped", "light held"):
            row = {"slider": name, "vectors": key, "cos": cos if key == "shipped" else 0.0}
            for value in (-2.0, 2.0):
                t = np.array([d[name, value] for d in tones[key]])
                row[f"tone{value:+g}"] = float(np.mean(t[:, 0]))  # over the photos, signed
                row[f"abs{value:+g}"] = float(np.mean(np.abs(t[:, 0])))  # each photo's, its size
                row[f"size{value:+g}"] = float(np.mean(t[:, 1]))
            share = np.mean(flipped[key][name], axis=0)
            row.update(flip_tuned=float(share[0]), flip_region=float(share[1]))
            rows.append(row)
    Image.fromarray(np.concatenate(rows_img, 0)).save(RESULTS / "face_light.png")
    m = machine()
    photos_used = len(tones["shipped"])
    md = (f"# Face sliders: how much of their change is light\n\n`python -m benchmarks.face_light "
          f"--n {a.n} --codes {a.codes}` ({time.perf_counter() - t0:.0f} s), {photos_used} photos (the first "
          f"{a.n} held-out faces placed as benchmarks.real_photos places them, and the astronaut), "
          f"each inverted and tuned, model {model.model_id}. *Tone*: the mean of the tuned generator's"
          f" change over the face region in photo levels (negative: darker), at -2 and +2, averaged "
          f"over the photos; *its size*: each photo's tone without its sign, averaged (a tone that is "
          f"darker on some photos and lighter on others averages out in the first, not here); "
          f"*change*: the mean size of the change there. *Light held*: the light direction ({a.codes} "
          f"training faces' encoder codes split at the median brightness of the face's middle) "
          f"projected out of the vector; *cos*: the shipped vector's cosine with it. *Flipped at 2*: "
          f"the share of photos whose attribute verdict flips at strength 2 "
          f"(benchmarks.slider_strength), on the tuned generator's picture and on the photo with the "
          f"change in the face region.\n\n"
          + markdown_table(rows, [("slider", "slider"), ("vectors", "vectors"), ("cos", "cos"),
                                  ("tone-2", "tone at -2"), ("abs-2", "its size"),
                                  ("size-2", "change at -2"), ("tone+2", "tone at +2"),
                                  ("abs+2", "its size"), ("size+2", "change at +2"),
                                  ("flip_tuned", "flipped at 2, tuned G"),
                                  ("flip_region", "flipped at 2, face region")])
          + "\n![Male at +2 and -2, shipped and light held](face_light.png)\n\nRows: three held-out "
          "faces and the astronaut. Columns: the photo around the face; Male +2 as shipped, with the "
          "light held; Male -2 as shipped, with the light held; carried back at full size.\n\n"
          + footer(m))
    write_results("face_light", {"machine": m, "rows": rows}, md)
    print(md)


if __name__ == "__main__":
    main()
