"""Evaluate a trained GAN: sample quality, diversity, mode dropping and memorisation.

Features and class probabilities come from the domain classifier (training.classifier), which
stands in for the Inception network. Every distance is printed beside its floor: the same measure
between two sets of real images (a training subset vs the test set), since no generator can be
expected to beat the data against itself.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from training.classifier import Classifier, predict
from training.data import ImageSet
from training.fileio import write_bytes_atomic, write_json_atomic
from training.images import grid_image, save_png
from training.metrics import (class_shares, frechet_distance, inception_score, kernel_distance,
                              memorisation, precision_recall, total_variation)
from training.modelfile import GANModel
from training.pixels import to_uint8


@torch.no_grad()
def _run(source: nn.Module, data: ImageSet, head: bool, batch: int = 500):
    """(logits or None, features) of every image of `data`."""
    if head:
        logits, feats = predict(source, data, batch)
        return logits, feats.numpy()
    source.eval()
    return None, torch.cat([source(data.batch(slice(i, i + batch)))
                            for i in range(0, len(data), batch)]).numpy()


def evaluate(model: GANModel, source: nn.Module, train: ImageSet, test: ImageSet,
             n: int = 10_000, seed: int = 0, knn: int = 3) -> tuple[dict, dict]:
    """(numbers, arrays for plots) comparing n samples with the test set, beside the real floor.

    `source` is the domain classifier (features and class probabilities) or, for data without a
    classifier, a feature extractor such as training.features.AlexNetFeatures (no class measures).
    """
    t0 = time.perf_counter()
    fake_x = model.sample(n, seed)  # (n, C, R, R)
    fake = ImageSet(images=torch.from_numpy(to_uint8(fake_x)), name="generated")
    sample_seconds = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    real_idx = torch.as_tensor(rng.choice(len(train), min(n, len(train)), replace=False))
    real = ImageSet(images=train.images[real_idx], name="train subset")
    head = isinstance(source, Classifier)
    (fake_logits, fake_f), (real_logits, real_f), (test_logits, test_f) = (
        _run(source, s, head) for s in (fake, real, test))
    kid_fake, kid_real = kernel_distance(fake_f, test_f), kernel_distance(real_f, test_f)
    pr_fake, pr_real = precision_recall(test_f, fake_f, knn), precision_recall(test_f, real_f, knn)
    mem = memorisation(fake.images.float().numpy(), train.images.float().numpy(),
                       test.images.float().numpy())
    fd_fake, fd_real = frechet_distance(fake_f, test_f), frechet_distance(real_f, test_f)
    numbers = {
        "model": model.model_id, "n": n, "seed": seed, "test_images": len(test),
        "features": "domain classifier" if head else type(source).__name__,
        "frechet": {"generated_vs_test": fd_fake, "real_vs_test": fd_real,
                    "ratio_to_floor": fd_fake / max(fd_real, 1e-12)},
        "kid": {"generated_vs_test": kid_fake[0], "generated_vs_test_se": kid_fake[1],
                "real_vs_test": kid_real[0], "real_vs_test_se": kid_real[1]},
        "precision_recall": {"k": knn, "generated": {"precision": pr_fake[0], "recall": pr_fake[1]},
                             "real": {"precision": pr_real[0], "recall": pr_real[1]}},
        "memorisation": {key: v for key, v in mem.items()
                         if key not in ("gen_distances", "nearest_train")},
    }
    arrays = {"fake": fake_x, "train": train, "mem": mem}
    if head and test.labels is not None:
        k = source.cfg.n_classes
        fake_p, real_p = fake_logits.softmax(1).numpy(), real_logits.softmax(1).numpy()
        data_shares = class_shares(test.labels.numpy(), k)
        gen_shares = class_shares(fake_p.argmax(1), k)
        is_fake, is_real = inception_score(fake_p), inception_score(real_p)
        numbers["inception_score"] = {"generated": is_fake[0], "generated_std": is_fake[1],
                                      "real": is_real[0], "real_std": is_real[1], "max": float(k)}
        numbers["classes"] = {"names": list(test.class_names), "generated_shares": gen_shares.tolist(),
                              "data_shares": data_shares.tolist(),
                              "total_variation": total_variation(gen_shares, data_shares),
                              "min_share": float(gen_shares.min()), "max_share": float(gen_shares.max())}
        numbers["classifier_test_accuracy"] = float((test_logits.argmax(1) == test.labels).float().mean())
    numbers["seconds"] = {"sampling": sample_seconds, "total": time.perf_counter() - t0}
    return numbers, arrays


def closest_pairs_image(fake_x: torch.Tensor, train: ImageSet, mem: dict, pairs: int = 16):
    """Generated samples (top row of each pair) above their nearest training image, closest first."""
    order = np.argsort(mem["gen_distances"])[:pairs]
    gen = fake_x[torch.as_tensor(order)]
    nearest = train.batch(torch.as_tensor(mem["nearest_train"][order]))
    return grid_image(torch.cat([gen, nearest]), nrow=pairs)


def save_class_histogram(numbers: dict, path: str | os.PathLike) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = numbers["classes"]
    x = np.arange(len(c["names"]))
    fig, ax = plt.subplots(figsize=(8, 3.5), dpi=100)
    ax.bar(x - 0.2, c["data_shares"], 0.4, label="test data")
    ax.bar(x + 0.2, c["generated_shares"], 0.4, label="generated")
    ax.axhspan(0.06, 0.14, color="green", alpha=0.08, label="6%-14%")
    ax.set_xticks(x, c["names"], rotation=30, ha="right")
    ax.set_ylabel("share of images")
    ax.set_title(f"classes of {numbers['n']} samples of {numbers['model']} "
                 f"(TV distance {c['total_variation']:.3f})")
    ax.legend()
    fig.tight_layout()
    from training.fileio import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def report_markdown(numbers: dict, command: str) -> str:
    f, k, pr, m = (numbers[key] for key in ("frechet", "kid", "precision_recall", "memorisation"))
    space = (f"the Fashion-MNIST domain classifier (test accuracy "
             f"{numbers['classifier_test_accuracy']:.4f})" if "classes" in numbers
             else f"{numbers['features']} (ImageNet AlexNet; see training/features.py)")
    lines = [
        f"# Evaluation of {numbers['model']}", "",
        f"{numbers['n']} samples (seed {numbers['seed']}) against the {numbers['test_images']} test "
        f"images, in the feature space of {space}. Reproduce: `{command}`", "",
        "| measure | generated vs test | real (train subset) vs test: the floor | ratio |",
        "|---|---|---|---|",
        f"| Frechet distance | {f['generated_vs_test']:.3f} | {f['real_vs_test']:.3f} | "
        f"{f['ratio_to_floor']:.1f}x |",
        f"| KID (x1000) | {1000 * k['generated_vs_test']:.3f} ± {1000 * k['generated_vs_test_se']:.3f} | "
        f"{1000 * k['real_vs_test']:.3f} ± {1000 * k['real_vs_test_se']:.3f} | |",
    ]
    if "inception_score" in numbers:
        i = numbers["inception_score"]
        lines.append(f"| Inception-Score analogue (max {i['max']:.0f}) | {i['generated']:.2f} ± "
                     f"{i['generated_std']:.2f} | {i['real']:.2f} ± {i['real_std']:.2f} | |")
    lines += [
        f"| precision (k={pr['k']}) | {pr['generated']['precision']:.3f} | "
        f"{pr['real']['precision']:.3f} | |",
        f"| recall (k={pr['k']}) | {pr['generated']['recall']:.3f} | {pr['real']['recall']:.3f} | |", ""]
    if "classes" in numbers:
        c = numbers["classes"]
        lines += [
            "## Classes (mode dropping)", "",
            "| class | " + " | ".join(c["names"]) + " |", "|---|" + "---|" * len(c["names"]),
            "| generated | " + " | ".join(f"{100 * s:.1f}%" for s in c["generated_shares"]) + " |",
            "| test data | " + " | ".join(f"{100 * s:.1f}%" for s in c["data_shares"]) + " |", "",
            f"Total variation distance from the data's shares: {c['total_variation']:.3f}; smallest "
            f"class {100 * c['min_share']:.1f}%, largest {100 * c['max_share']:.1f}%.", "",
            "![class histogram](class_histogram.png)", ""]
    lines += [
        "## Memorisation", "",
        f"Share of samples closer (pixel L2) to a training image than 99% of test images are: "
        f"**{100 * m['share']:.2f}%** (a generator making new images scores about "
        f"{100 * m['expected_share_for_new_images']:.0f}%). Median nearest-training distance: "
        f"samples {m['median_gen_distance']:.0f}, test images {m['median_test_distance']:.0f}.", "",
        "Closest pairs (top: sample, bottom: its nearest training image):", "",
        "![closest pairs](closest_pairs.png)", "", "![samples](samples.png)", "",
    ]
    return "\n".join(lines)


def write_report(out: str | os.PathLike, numbers: dict, arrays: dict, command: str) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "eval.json", numbers)
    if "classes" in numbers:
        save_class_histogram(numbers, out / "class_histogram.png")
    save_png(closest_pairs_image(arrays["fake"], arrays["train"], arrays["mem"]),
             out / "closest_pairs.png")
    save_png(grid_image(arrays["fake"][:64], nrow=8), out / "samples.png")
    write_bytes_atomic(out / "report.md", report_markdown(numbers, command).encode("utf-8"))
    return out
