"""The face model on held-out CelebA faces (009001.jpg-010000.jpg, never trained on), in one run.

    .venv/bin/python -m benchmarks.faces [--n 200] [--baseline-n 50] [--identity-n 100]

- inversion: the default hybrid against optimisation only (500 steps, the StyleGAN2-projector
  recipe): median LPIPS, PSNR, identity distance (dlib's 128-d descriptor; under 0.6 = same
  person) and seconds per image (one image at a time);
- sliders: for each attribute, plain and conditional (Male and Young projected out) vectors:
  the share of faces whose attribute flips by a simple attribute classifier (trained here on the
  training split, its accuracy reported) at strength at most 3, pushing each face away from the
  attribute it has; identity distance at strength 3; the other attributes' change (entanglement)
  at strength 3;
- import: test faces enlarged, turned by -10/0/+10 degrees and set into photos of three sizes: the
  face found, its alignment error, and after an edit the photo against the original outside the
  face's aligned square (PSNR; identical means the pixels are equal).
Writes benchmarks/results/faces.{json,md} and faces-{samples,sliders,import}.png.
"""
from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from benchmarks.common import RESULTS, footer, machine, markdown_table, write_results
from editing.compositing import paste_back
from editing.face_paste import edge_fade
from editing.vector_sets import FACE_ATTRIBUTES, FACE_KEEP, conditional_name
from editing.vectors import apply_sliders, model_vectors
from inversion import faces as FA
from inversion import geometry
from inversion.framing import DomainSpec, NoFaceError, to_model
from inversion.invert import BASELINE_CONFIG, DEFAULT_CONFIG, Inverter
from inversion.quality import psnr
from training.classifier import (CLASSIFIERS_DIR, Classifier, ClassifierConfig, ClassifierTrainConfig,
                                 at_classifier_side, attribute_accuracy, load_classifier, save_classifier,
                                 train_attribute_classifier)
from training.data import ImageSet, model_data
from training.images import grid_image, save_png
from training.modelfile import load_model
from training.pixels import to_uint8

FACE_MODEL = "celeba-64"
CLASSIFIER = CLASSIFIERS_DIR / "celeba-64-attributes"
# A second attribute classifier, another seed and width (attribute_classifier(train, test, JUDGE,
# 32, 1), in session 26 by the same training with a scratch script: 8 epochs, 4.9 minutes, test
# accuracy 0.82-0.97 per attribute, in its config.json): a judge that no part of the editor or of
# the vectors' making reads
JUDGE = CLASSIFIERS_DIR / "celeba-64-attributes-judge"
STRENGTHS = (1.0, 2.0, 3.0)


def halve(images: ImageSet) -> ImageSet:
    """The attribute classifier sees faces at 32 px (2x2 means): cheap, and enough for these."""
    x = images.images.permute(0, 3, 1, 2).float()
    small = F.avg_pool2d(x, 2).round().byte().permute(0, 2, 3, 1).contiguous()
    return ImageSet(images=small, name=images.name + "/32px", attributes=images.attributes,
                    attribute_names=images.attribute_names)


def attribute_classifier(train: ImageSet, test: ImageSet, path=CLASSIFIER, width: int = 24,
                         seed: int = 0) -> tuple[Classifier, list[float]]:
    """The shipped attribute classifier (or, with JUDGE, width 32 and seed 1, the judge), trained
    first if it is missing; (net, test accuracies)."""
    columns = [train.attribute_names.index(n) for n in FACE_ATTRIBUTES]
    small_test = halve(test)
    if path.is_dir():
        net, _ = load_classifier(path)
    else:
        net = Classifier(ClassifierConfig(resolution=32, channels=3, n_classes=len(columns), width=width))
        cfg = ClassifierTrainConfig(epochs=8, seed=seed)
        t0 = time.perf_counter()
        for e in train_attribute_classifier(net, halve(train), small_test, columns, cfg):
            print(f"  attribute classifier epoch {e.epoch}: loss {e.train_loss:.3f}, "
                  f"test accuracy {e.test_accuracy:.3f}", flush=True)
        minutes = round((time.perf_counter() - t0) / 60, 1)
        accuracy = attribute_accuracy(net.eval(), small_test, columns).tolist()
        save_classifier(path, net.eval(), {
            "data": train.describe(), "inputs": "faces averaged 2x2 to 32 px", "attributes":
            list(FACE_ATTRIBUTES), "epochs": cfg.epochs, "seed": seed, "minutes": minutes,
            "test_accuracy": [round(a, 4) for a in accuracy]})
    net.eval()
    return net, attribute_accuracy(net, small_test, columns).tolist()


@torch.no_grad()
def probabilities(net: Classifier, x: torch.Tensor) -> torch.Tensor:
    """(N, A) attribute probabilities of model images (N, 3, 64, 64) in [-1, 1]."""
    small = at_classifier_side(x, net.cfg.resolution)
    return torch.cat([torch.sigmoid(net(b)) for b in small.split(250)])


def timed_invert(inv: Inverter, x: torch.Tensor, method: str, cfg, n_time: int):
    """Codes and previews for all of x (batches of 50), and seconds per image on n_time single images."""
    z, prev = [], []
    for b in x.split(50):
        r = inv.invert(b, method, cfg)
        z.append(r.z)
        prev.append(r.preview)
    seconds = []
    for j in range(n_time):
        t0 = time.perf_counter()
        inv.invert(x[j:j + 1], method, cfg)
        seconds.append(time.perf_counter() - t0)
    return torch.cat(z), torch.cat(prev), statistics.median(seconds)


def inversion_section(inv: Inverter, x: torch.Tensor, spec: DomainSpec, baseline_n: int,
                      identity_n: int) -> tuple[list[dict], torch.Tensor]:
    rows, codes = [], None
    targets = FA.descriptors(to_uint8(x[:identity_n]), spec.face_box)
    for name, method, cfg, n in (("hybrid default", "hybrid", DEFAULT_CONFIG, len(x)),
                                 ("encoder", "encoder", DEFAULT_CONFIG, len(x)),
                                 ("optimize 500 (baseline)", "optimize", BASELINE_CONFIG, baseline_n)):
        z, prev, sec = timed_invert(inv, x[:n], method, cfg, 1 if method == "optimize" else 5)
        with torch.no_grad():
            lp = inv.lpips(prev, x[:n]).numpy()
        m = min(n, identity_n)
        ident = FA.identity_distance(FA.descriptors(to_uint8(prev[:m]), spec.face_box), targets[:m])
        rows.append({"method": name, "images": n, "lpips": float(np.median(lp)),
                     "psnr": float(psnr(prev, x[:n]).median()), "identity": float(np.median(ident)),
                     "same_person": float(np.mean(ident < FA.SAME_PERSON)), "seconds": sec})
        if method == "hybrid":
            codes = z
        print(f"  {name}: {rows[-1]}", flush=True)
    return rows, codes


def slider_section(model, vectors, net, z: torch.Tensor, spec: DomainSpec, identity_n: int
                   ) -> list[dict]:
    G = model.generator
    with torch.no_grad():
        base_images = G(z)
    p0 = probabilities(net, base_images)
    base_ids = FA.descriptors(to_uint8(base_images[:identity_n]), spec.face_box)
    keep = [FACE_ATTRIBUTES.index(k) for k in FACE_KEEP]
    rows = []
    for a, name in enumerate(FACE_ATTRIBUTES):
        has = p0[:, a] > 0.5
        sign = torch.where(has, -1.0, 1.0)  # push each face away from what it has
        for variant, key in (("plain", name), ("conditional", conditional_name(name, FACE_KEEP))):
            v = vectors[key]
            flipped = torch.zeros(len(z), dtype=torch.bool)
            for s in STRENGTHS:
                zs = z + (sign * s * v.spread)[:, None] * v.unit
                with torch.no_grad():
                    images = G(zs)
                p = probabilities(net, images)
                flipped |= (p[:, a] > 0.5) != has
            change = (p - p0).abs()  # at the last (strongest) strength
            others = [b for b in range(len(FACE_ATTRIBUTES)) if b != a]
            kept = [b for b in keep if b != a]
            ident = FA.identity_distance(FA.descriptors(to_uint8(images[:identity_n]),
                                                        spec.face_box), base_ids)
            rows.append({"attribute": name, "vector": variant, "flip_share": float(flipped.float().mean()),
                         "target_change": float(change[:, a].mean()),
                         "others_change": float(change[:, others].mean()),
                         "male_young_change": float(change[:, kept].mean()) if kept else float("nan"),
                         "identity": float(np.median(ident)),
                         "same_person": float(np.mean(ident < FA.SAME_PERSON))})
        print(f"  {name}: plain flips {rows[-2]['flip_share']:.2f}, conditional {rows[-1]['flip_share']:.2f}",
              flush=True)
    return rows


def place_face(face: np.ndarray, photo_size: tuple[int, int], face_px: float, angle: float,
               rng: np.random.Generator, background: np.ndarray | None = None,
               offset: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """A face (R, R, 3) enlarged to face_px (the whole aligned square), turned by `angle` degrees,
    its centre up to `offset` of the free space off the photo's centre, faded into `background`
    ((H, W, 3) uint8; by default a plain-ish gradient). Returns (photo uint8, 2x3 model -> photo
    transform). Only the face's part of the photo is computed: a 12-megapixel photo costs what
    its face costs."""
    w, h = photo_size
    r = face.shape[0]
    k = face_px / r
    a = np.deg2rad(angle)
    rot = k * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    centre = np.array([w / 2, h / 2]) + rng.uniform(-offset, offset, 2) * np.maximum(
        0, [w - face_px, h - face_px])
    m = np.zeros((2, 3))
    m[:, :2] = rot
    m[:, 2] = centre - rot @ [r / 2, r / 2]
    if background is None:
        yy, xx = np.mgrid[0:h, 0:w] / max(w, h)
        colour = rng.uniform(60, 200, 3)
        background = colour + 40 * (xx[..., None] - 0.5) + 30 * (yy[..., None] - 0.5)
    photo = np.clip(np.rint(background), 0, 255).astype(np.uint8)
    found = geometry.square_region(geometry.invert_affine(m), r, (w, h))
    if found is None:
        return photo, m
    (x0, y0, x1, y1), shifted = found  # shifted: region pixels -> model pixels
    size = (x1 - x0, y1 - y0)
    back = cv2.WARP_INVERSE_MAP
    warped = cv2.warpAffine(face.astype(np.float32), shifted, size, flags=cv2.INTER_CUBIC | back)
    alpha = cv2.warpAffine(edge_fade(r, 6.0), shifted, size, flags=cv2.INTER_LINEAR | back)[..., None]
    blend = background[y0:y1, x0:x1] * (1 - alpha) + warped * alpha
    photo[y0:y1, x0:x1] = np.clip(np.rint(blend), 0, 255).astype(np.uint8)
    return photo, m


def import_section(model, inv: Inverter, vectors, test: ImageSet, spec: DomainSpec, n_faces: int
                   ) -> tuple[list[dict], np.ndarray | None]:
    rng = np.random.default_rng(0)
    rows, picture = [], None
    template = np.array(spec.landmarks)
    for size, face_px in (((480, 360), 150), ((1280, 960), 360), ((3000, 2000), 800)):
        for angle in (-10.0, 0.0, 10.0):
            found, errors, psnrs, identical, seconds = 0, [], [], 0, []
            for i in range(n_faces):
                face = test.images[i].numpy()
                photo, to_photo = place_face(face, size, face_px, angle, rng)
                t0 = time.perf_counter()
                try:
                    x, mapping = to_model(photo, model.gan.resolution, 3, spec)
                except NoFaceError:
                    continue
                seconds.append(time.perf_counter() - t0)
                found += 1
                landmarks = geometry.apply_affine(to_photo, template)
                back = np.array([mapping.to_model_point(*p) for p in landmarks])
                errors.append(float(np.linalg.norm(back - template, axis=1).mean()))
                z0 = inv.invert(x, "encoder").z[0]  # the carry-back, not the inversion, is measured
                z1 = apply_sliders(z0, vectors, {"Smiling": 2.0, "Eyeglasses": 1.5})
                with torch.no_grad():
                    before, after = model.generator(torch.stack([z0, z1]))
                edited, _ = paste_back(photo, mapping, before, after)
                square = cv2.warpAffine(np.ones((64, 64), np.float32),
                                        geometry.invert_affine(mapping.matrix), size) > 0
                outside = ~cv2.dilate(square.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
                diff = edited[outside].astype(np.float64) - photo[outside]
                mse = float((diff ** 2).mean())
                identical += int(mse == 0.0)
                psnrs.append(99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse))
                if picture is None and size == (1280, 960) and angle == 10.0:
                    picture = np.concatenate([photo, edited], axis=1)
            rows.append({"photo": f"{size[0]}x{size[1]}", "face_px": face_px, "angle": angle,
                         "found": f"{found}/{n_faces}",
                         "alignment_error_px": float(np.median(errors)) if errors else float("nan"),
                         "seconds_to_find": float(np.median(seconds)) if seconds else float("nan"),
                         "psnr_outside": float(np.min(psnrs)) if psnrs else float("nan"),
                         "identical_outside": f"{identical}/{found}"})
            print(f"  import {rows[-1]}", flush=True)
    return rows, picture


def slider_strip(model, vectors, z: torch.Tensor) -> np.ndarray:
    """One face; a row per attribute, columns -3..+3 (conditional vectors)."""
    rows = []
    for name in FACE_ATTRIBUTES:
        v = vectors[conditional_name(name, FACE_KEEP)]
        codes = torch.stack([z + s * v.spread * v.unit for s in np.linspace(-3, 3, 7)])
        with torch.no_grad():
            rows.append(model.generator(codes))
    return grid_image(torch.cat(rows), nrow=7, padding=1)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=FACE_MODEL)
    p.add_argument("--n", type=int, default=150, help="test faces for inversion and sliders")
    p.add_argument("--baseline-n", type=int, default=20, help="test faces for the 500-step baseline")
    p.add_argument("--identity-n", type=int, default=100, help="faces whose identity is measured")
    p.add_argument("--import-faces", type=int, default=4, help="faces per photo size and angle")
    p.add_argument("--name", default="faces", help="results/NAME.md, .json and NAME-*.png")
    a = p.parse_args()
    torch.manual_seed(0)
    t_start = time.perf_counter()
    model = load_model(a.model)
    spec = DomainSpec.for_model(model.config)
    vectors = model_vectors(model)
    train, test = (model_data(model.config, s, model_folder=model.path) for s in ("train", "test"))
    net, accuracies = attribute_classifier(train, test)
    print(f"attribute classifier test accuracy {np.mean(accuracies):.3f}", flush=True)
    inv = Inverter.for_model(model)
    x = test.batch(slice(0, a.n))
    inv_rows, codes = inversion_section(inv, x, spec, a.baseline_n, a.identity_n)
    slider_rows = slider_section(model, vectors, net, codes, spec, a.identity_n)
    import_rows, picture = import_section(model, inv, vectors, test, spec, a.import_faces)

    save_png(grid_image(model.sample(64, seed=0), nrow=8), RESULTS / f"{a.name}-samples.png")
    save_png(slider_strip(model, vectors, codes[1]), RESULTS / f"{a.name}-sliders.png")
    if picture is not None:
        from PIL import Image

        img = Image.fromarray(picture)
        save_png(img.resize((img.width // 2, img.height // 2), Image.Resampling.LANCZOS),
                 RESULTS / f"{a.name}-import.png")
    m = machine()
    acc_rows = [{"attribute": n, "accuracy": acc,
                 "positives": float(test.attributes[:, test.attribute_names.index(n)].float().mean())}
                for n, acc in zip(FACE_ATTRIBUTES, accuracies)]
    summary = {}
    for variant in ("plain", "conditional"):
        rs = [r for r in slider_rows if r["vector"] == variant]
        summary[variant] = {k: float(np.nanmean([r[k] for r in rs])) for k in
                            ("flip_share", "others_change", "male_young_change", "identity")}
    md = (f"# Face model on held-out CelebA faces\n\nModel {model.model_id}; test split "
          f"009001.jpg-010000.jpg (never trained on). "
          f"`python -m benchmarks.faces --model {a.model} --n {a.n} --baseline-n {a.baseline_n} --identity-n "
          f"{a.identity_n} --import-faces {a.import_faces} --name {a.name}` "
          f"({(time.perf_counter() - t_start) / 60:.0f} min). "
          f"Identity: dlib's 128-d descriptor distance (under {FA.SAME_PERSON} = the same person by "
          f"dlib's rule), medians.\n\n## Inversion ({a.n} faces; baseline on the first {a.baseline_n})\n\n"
          + markdown_table(inv_rows, [("method", "method"), ("images", "faces"), ("lpips", "LPIPS"),
                                      ("psnr", "PSNR dB"), ("identity", "identity distance"),
                                      ("same_person", "same person"), ("seconds", "s/face")])
          + "\n## Attribute classifier (trained on the training split, 32 px), test accuracy\n\n"
          + markdown_table(acc_rows, [("attribute", "attribute"), ("accuracy", "accuracy"),
                                      ("positives", "share positive")])
          + f"\n## Sliders ({a.n} inverted test faces, each pushed away from the attribute it has; "
            f"strength at most 3; changes are classifier probabilities at strength 3)\n\n"
          + markdown_table(slider_rows, [("attribute", "attribute"), ("vector", "vector"),
                                         ("flip_share", "flipped"), ("target_change", "|d target|"),
                                         ("others_change", "|d others| (entanglement)"),
                                         ("male_young_change", "|d Male, Young|"),
                                         ("identity", "identity distance"),
                                         ("same_person", "same person")])
          + "\nMeans over the attributes: " + "; ".join(
              f"{v}: flipped {s['flip_share']:.2f}, others {s['others_change']:.3f}, Male/Young "
              f"{s['male_young_change']:.3f}, identity {s['identity']:.3f}" for v, s in summary.items())
          + "\n\n## Import (test faces enlarged, turned, set into photos; edited with Smiling +2, "
            "Eyeglasses +1.5)\n\n"
          + markdown_table(import_rows, [("photo", "photo"), ("face_px", "face px"), ("angle", "angle"),
                                         ("found", "found"),
                                         ("alignment_error_px", "alignment error (model px)"),
                                         ("seconds_to_find", "s to find + align"),
                                         ("psnr_outside", "min PSNR outside face (dB; 99 = identical)"),
                                         ("identical_outside", "identical outside")])
          + f"\n![samples]({a.name}-samples.png) ![sliders]({a.name}-sliders.png)\n\n"
            f"![import]({a.name}-import.png)\n\n"
          f"{footer(m)}")
    write_results(a.name, {"machine": m, "model": model.model_id, "args": vars(a),
                            "inversion": inv_rows, "classifier_accuracy": acc_rows,
                            "sliders": slider_rows, "slider_summary": summary, "import": import_rows}, md)


if __name__ == "__main__":
    main()
