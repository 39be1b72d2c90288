"""Where a face slider's flip is lost on real photos: the strength, the tuning, or the carry-back.

    python -m benchmarks.slider_strength [--n 10] [--strengths 1 2 3 4 6]

Issue 14 asks that a slider edit of strength 2 flips the attribute classifier's verdict
(benchmarks.faces) on at least 70% of held-out face photos for Smiling, Male, Young and Bangs;
benchmarks/real_photos.py measures it on the exported photos. This one says where it is lost.
The photos are made as real_photos makes them (the first `--n` held-out CelebA faces placed in
larger photos, and scikit-image's astronaut), found and aligned, inverted (the default hybrid)
and the generator tuned to each (the default TuneConfig). Each slider is pushed away from what the
classifier reads on the photo's face, at each strength; the share of photos whose verdict flips,
read at the model's size on:
- base G: the edited code's image by the generator as shipped (starting from the reconstruction,
  which is often nearer the classifier's boundary than the photo: a smiling reconstruction of a
  face that does not smile);
- tuned G: the same code by the generator tuned to the photo (starting from the photo itself);
- photo + change: the aligned photo face with the tuned generator's change added everywhere;
- photo + change in the face region: added only where the carry-back adds it (the face region,
  the change threshold and the square's edge fade of editing.compositing), as an export does.
And on that last picture, whether the person stays the photo's (dlib's descriptor within 0.6 of
the aligned photo face's, at the model's size): what a stronger slider would cost. The face
region's picture is read by a judge too (benchmarks.faces.JUDGE): a second attribute classifier,
another seed and width, that nothing in the editor reads.
Writes benchmarks/results/slider_strength.{json,md}.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from benchmarks.common import footer, machine, markdown_table, write_results
from benchmarks.faces import CLASSIFIER, JUDGE, probabilities
from benchmarks.generator_tuning import FLIPPED
from benchmarks.real_photos import held_out_face_photos, tuned_to_faces
from editing.compositing import change_in_levels
from editing.face_paste import HAIR_GROWTH, face_change_mask, face_region, hair_reach
from editing.vector_sets import FACE_ATTRIBUTES
from editing.vectors import apply_sliders, model_vectors
from inversion.faces import SAME_PERSON, descriptors, identity_distance
from inversion.framing import DomainSpec
from inversion.invert import Inverter
from training.classifier import load_classifier
from training.modelfile import load_model
from training.pixels import to_uint8

WHERE = (("base", "base G"), ("tuned", "tuned G"), ("photo", "photo + change"),
         ("region", "photo + change in the face region"),
         ("grown", f"... in the face region grown {HAIR_GROWTH:g} times"),
         ("hair", "... in the face region and a hair slider's reach"))
REGION = [key for key, _ in WHERE].index("region")  # as an export shows it


def face_setup(n: int) -> tuple:
    """(face model, its DomainSpec, its Inverter, the attribute classifier, the first `n` held-out
    face photos and the astronaut): what the face slider benchmarks start from."""
    model = load_model("celeba-64")
    spec = DomainSpec.for_model(model.config)
    return (model, spec, Inverter.for_model(model), load_classifier(CLASSIFIER)[0].eval(),
            held_out_face_photos(model, spec, n))


@torch.no_grad()
def flips(model, tuned, net, x: torch.Tensor, mapping, z0: torch.Tensor, vectors, strengths,
          kept: dict | None = None, face_box=None) -> dict:
    """{attribute: (len(WHERE), len(strengths)) bool}: whether the verdict flips, per place read;
    `kept`, if given, gets {attribute: (len(strengths),) bool}: the person kept in the face region
    (dlib's descriptors, the template's `face_box`)."""
    tuned0 = tuned.decode(z0[None])
    seen = probabilities(net, x)[0]
    reference = None if kept is None else descriptors(to_uint8(x[0])[None], face_box)
    out = {}
    for name in FLIPPED:
        column = FACE_ATTRIBUTES.index(name)
        has = bool(seen[column] > 0.5)
        codes = torch.stack([apply_sliders(z0, vectors, {name: -s if has else s}) for s in strengths])
        base, drawn = model.decode(codes), tuned.decode(codes)
        change = drawn - tuned0
        masks = torch.stack([torch.from_numpy(face_change_mask(change_in_levels(tuned0[0], d), mapping))
                             for d in drawn])[:, None]  # as the carry-back paints it
        r = x.shape[-1]
        grown = face_region(mapping.landmarks, r, grow=HAIR_GROWTH)
        masks_grown = torch.stack([torch.from_numpy(face_change_mask(change_in_levels(tuned0[0], d),
                                                                     mapping, reach=grown))
                                   for d in drawn])[:, None]
        photo = to_uint8(x[0])
        same = np.array([[1.0, 0, 0], [0, 1.0, 0]])

        def with_hair(d):
            delta = change_in_levels(tuned0[0], d)
            return torch.from_numpy(face_change_mask(delta, mapping, reach=hair_reach(
                photo, same, mapping.landmarks, r, delta)))
        masks_hair = torch.stack([with_hair(d) for d in drawn])[:, None]
        images = torch.cat([base, drawn, (x + change).clamp(-1, 1),
                            (x + change * masks).clamp(-1, 1), (x + change * masks_grown).clamp(-1, 1),
                            (x + change * masks_hair).clamp(-1, 1)])
        p = probabilities(net, images)[:, column].reshape(len(WHERE), len(strengths))
        out[name] = ((p > 0.5) != has).numpy()
        if kept is not None:
            region = images[REGION * len(strengths):(REGION + 1) * len(strengths)]  # the region's pictures
            exported = descriptors(np.stack([to_uint8(im) for im in region]), face_box)
            kept[name] = identity_distance(exported, reference) < SAME_PERSON
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=10, help="held-out face photos besides the astronaut")
    p.add_argument("--strengths", type=float, nargs="+", default=[1, 2, 3, 4, 6])
    a = p.parse_args()
    t0 = time.perf_counter()
    model, spec, inv, net, photos = face_setup(a.n)
    judge = load_classifier(JUDGE)[0].eval()
    vectors = model_vectors(model)
    tally, kept_tally = {name: [] for name in FLIPPED}, {name: [] for name in FLIPPED}
    judged = {name: [] for name in FLIPPED}
    for i, x, mapping, z0, tuned in tuned_to_faces(model, spec, inv, photos):
        kept = {}
        for name, flipped in flips(model, tuned, net, x, mapping, z0, vectors, a.strengths, kept,
                                   spec.face_box).items():
            tally[name].append(flipped)
            kept_tally[name].append(kept[name])
        for name, flipped in flips(model, tuned, judge, x, mapping, z0, vectors, a.strengths).items():
            judged[name].append(flipped[REGION])  # the face region's picture, as an export shows it
        print(f"photo {i + 1} of {len(photos)}", flush=True)
    rows = []
    for name in FLIPPED:
        share = np.mean(tally[name], axis=0)  # (WHERE, strengths)
        for k, (key, label) in enumerate(WHERE):
            rows.append({"slider": name, "read on": label,
                         **{f"s{s:g}": float(share[k, j]) for j, s in enumerate(a.strengths)}})
        judge_share = np.mean(judged[name], axis=0)
        rows.append({"slider": name, "read on": f"{WHERE[REGION][1]}, by the judge",
                     **{f"s{s:g}": float(judge_share[j]) for j, s in enumerate(a.strengths)}})
        same = np.mean(kept_tally[name], axis=0)
        rows.append({"slider": name, "read on": "person kept (face region)",
                     **{f"s{s:g}": float(same[j]) for j, s in enumerate(a.strengths)}})
    m = machine()
    photos_used = len(tally[FLIPPED[0]])
    md = (f"# Face sliders on real photos: where the flip is lost\n\n`python -m "
          f"benchmarks.slider_strength --n {a.n} --strengths {' '.join(f'{s:g}' for s in a.strengths)}` "
          f"({time.perf_counter() - t0:.0f} s), {photos_used} photos (the first {a.n} held-out faces "
          f"placed as benchmarks.real_photos places them, and the astronaut), model {model.model_id}. "
          f"Share of photos whose attribute verdict flips, the slider pushed away from what the "
          f"photo shows, at each strength (see the module's docstring for the four places read); "
          f"*person kept*: the share whose face in the region's picture is still the photo's person "
          f"by dlib (within 0.6, at the model's size); *by the judge*: the face region's picture read "
          f"by a second attribute classifier (another seed and width, {JUDGE.name}), which nothing "
          f"in the editor reads.\n\n"
          + markdown_table(rows, [("slider", "slider"), ("read on", "read on"),
                                  *[(f"s{s:g}", f"strength {s:g}") for s in a.strengths]])
          + f"\n{footer(m)}")
    write_results("slider_strength", {"machine": m, "strengths": a.strengths, "rows": rows}, md)
    print(md)


if __name__ == "__main__":
    main()
