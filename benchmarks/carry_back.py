"""Carry-back on a real portrait (scikit-image's `astronaut`, 512x512, public domain) with the face
model: the photo, then slider edits carried back over the whole aligned square (how mappings
without landmarks, e.g. older sessions, are still pasted), inside the grown landmark hull (now),
and inside the hull with the generator tuned to the photo first (pivotal tuning, its defaults), all
enlarged guided by the photo's edges. Writes benchmarks/results/carry_back_astronaut.jpg (the face
region, enlarged) and prints how many photo pixels each way changes, and the reconstruction's
LPIPS and identity distance (dlib) to the photo's face without and with tuning, with the seconds.

    python -m benchmarks.carry_back
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import torch
from PIL import Image

from benchmarks.common import RESULTS
from editing.export import render_edit
from editing.vectors import apply_sliders, model_vectors
from inversion.faces import descriptors, identity_distance
from inversion.framing import DomainSpec
from inversion.invert import Inverter, photo_to_model
from inversion.photo import Photo
from inversion.tuning import TuneConfig, tune, tuned_copy, tuned_model
from training.modelfile import load_model
from training.pixels import to_uint8

EDITS = ({"Male": 2.5}, {"Smiling": 2.0})
CROP = (slice(20, 240), slice(110, 300))  # rows, columns of the face in the 512x512 photo


def main() -> None:
    import skimage.data

    pixels = skimage.data.astronaut()
    model = load_model("celeba-64")
    photo = Photo(pixels=pixels, path=None, source_mode="RGB", source_format="PNG")
    x, mapping = photo_to_model(model, photo)
    inverter = Inverter.for_model(model)
    t0 = time.perf_counter()
    z0 = inverter.invert(x).z[0]
    seconds_invert = time.perf_counter() - t0
    generator = tuned_copy(model)
    t0 = time.perf_counter()
    for _ in tune(model, generator, x, z0, inverter.lpips, TuneConfig()):
        pass
    seconds_tune = time.perf_counter() - t0
    tuned = tuned_model(model, generator)
    spec = DomainSpec.for_model(model.config)
    reference = descriptors(to_uint8(x), spec.face_box)
    for name, m, seconds in (("hybrid inversion", model, seconds_invert),
                             ("+ tuning", tuned, seconds_invert + seconds_tune)):
        with torch.no_grad():
            image = m.decode(z0[None])
        distance = identity_distance(descriptors(to_uint8(image), spec.face_box), reference)[0]
        print(f"{name}: LPIPS {inverter.lpips(image, x).item():.3f}, identity distance "
              f"{distance:.3f}, {seconds:.1f} s")
    vectors = model_vectors(model)
    rows = []
    for edit in EDITS:
        z1 = apply_sliders(z0, vectors, edit)
        square, _ = render_edit(model, pixels, replace(mapping, landmarks=()), z0, z1)
        hull, _ = render_edit(model, pixels, mapping, z0, z1)
        with_tuning, _ = render_edit(tuned, pixels, mapping, z0, z1)
        print(f"{edit}: photo pixels changed, whole square {(square != pixels).any(2).sum()}, "
              f"face hull {(hull != pixels).any(2).sum()}")
        rows.append(np.concatenate([img[CROP] for img in (pixels, square, hull, with_tuning)], 1))
    strip = Image.fromarray(np.concatenate(rows, 0))
    strip = strip.resize((strip.width * 4 // 3, strip.height * 4 // 3), Image.Resampling.LANCZOS)
    strip.save(RESULTS / "carry_back_astronaut.jpg", quality=90)
    print(f"wrote {RESULTS / 'carry_back_astronaut.jpg'}: rows {', '.join(map(str, EDITS))}; "
          f"columns photo, whole square, face hull, face hull after tuning")


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
