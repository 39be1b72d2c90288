"""The evaluation end to end on tiny networks, and the domain classifier on fixture images."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from tests.conftest import FIXTURES, synthetic_images
from training.classifier import Classifier, ClassifierConfig, CLASSIFIERS_DIR, load_classifier
from training.data import FASHION_MNIST_CLASSES, ImageSet
from training.evaluate import evaluate, write_report
from training.features import AlexNetFeatures
from training.metrics import inception_score
from training.pixels import from_uint8, to_uint8
from training.modelfile import export_model, load_model
from training.networks import Discriminator, GANConfig, Generator

CFG = GANConfig(resolution=32, channels=1, latent_dim=16, width=8)


@pytest.fixture
def tiny(tmp_path):
    torch.manual_seed(0)
    out = export_model(tmp_path / "tiny", CFG, Generator(CFG).eval(), Discriminator(CFG).eval(),
                       {"data": {"name": "synthetic"}})
    images = torch.from_numpy(synthetic_images(300))
    labels = torch.arange(300) % 10
    train = ImageSet(images=images[:200], name="t", labels=labels[:200],
                     class_names=FASHION_MNIST_CLASSES)
    test = ImageSet(images=images[200:], name="s", labels=labels[200:],
                    class_names=FASHION_MNIST_CLASSES)
    return load_model(out), train, test


def test_evaluate_with_a_classifier_writes_every_part_of_the_report(tiny, tmp_path):
    model, train, test = tiny
    classifier = Classifier(ClassifierConfig()).eval()
    numbers, arrays = evaluate(model, classifier, train, test, n=100)
    assert numbers["frechet"]["generated_vs_test"] > numbers["frechet"]["real_vs_test"]
    assert len(numbers["classes"]["generated_shares"]) == 10
    # the score is the classifier's on these very samples (and the shares its predicted classes)
    with torch.no_grad():
        samples = from_uint8(to_uint8(model.sample(100, seed=0)))  # as stored: 8-bit images
        probs = classifier(samples).softmax(1).numpy()
    assert numbers["inception_score"]["generated"] == pytest.approx(inception_score(probs)[0], rel=1e-4)
    assert numbers["classes"]["generated_shares"] == pytest.approx(
        np.bincount(probs.argmax(1), minlength=10) / 100)
    out = write_report(tmp_path / "report", numbers, arrays, "latent-gan eval ...")
    for name in ("eval.json", "report.md", "class_histogram.png", "closest_pairs.png", "samples.png"):
        assert (out / name).is_file(), name
    assert json.loads((out / "eval.json").read_text())["n"] == 100


def test_evaluate_without_labels_uses_alexnet_features(tiny, tmp_path):
    model, train, test = tiny
    numbers, arrays = evaluate(model, AlexNetFeatures(), train, test, n=60)
    assert "classes" not in numbers and numbers["features"] == "AlexNetFeatures"
    assert numbers["frechet"]["ratio_to_floor"] > 1
    out = write_report(tmp_path / "r", numbers, arrays, "cmd")
    assert "AlexNet" in (out / "report.md").read_text()


def test_shipped_classifier_classifies_the_fixture_images():
    if not (CLASSIFIERS_DIR / "fashion-mnist").is_dir():
        pytest.fail("the shipped classifier is missing from assets/classifiers/fashion-mnist")
    net, config = load_classifier()
    assert config["test_accuracy"] >= 0.92
    files = sorted((FIXTURES / "fashion-mnist").glob("*.png"))
    x = torch.stack([torch.from_numpy(np.pad(np.asarray(Image.open(f)), 2)) for f in files])
    x = x[:, None].float() / 127.5 - 1
    with torch.no_grad():
        pred = net(x).argmax(1).tolist()
    truth = [FASHION_MNIST_CLASSES.index(f.stem.split("_", 1)[1]) for f in files]
    correct = sum(p == t for p, t in zip(pred, truth))
    assert correct >= 27, f"{correct}/30 fixture images classified correctly"


def test_classifier_training_learns_classes_and_attributes(tiny_set):
    """Both trainers on synthetic rectangles: label = wide rectangle; accuracy well above chance."""
    from training.classifier import (Classifier, ClassifierConfig, ClassifierTrainConfig,
                                     train_attribute_classifier, train_classifier)

    x = tiny_set.images[..., 0] > 0
    wide = (x.any(1).sum(1) > x.any(2).sum(1))
    tiny_set.labels = wide.long()
    tiny_set.attributes = torch.stack([wide, ~wide], 1)
    cfg = ClassifierTrainConfig(epochs=6, batch_size=16, lr=5e-3)
    net = Classifier(ClassifierConfig(n_classes=2, width=8, feature_dim=16))
    classes = list(train_classifier(net, tiny_set, tiny_set, cfg))
    net = Classifier(ClassifierConfig(n_classes=2, width=8, feature_dim=16))
    attrs = list(train_attribute_classifier(net, tiny_set, tiny_set, [0, 1], cfg))
    assert len(classes) == len(attrs) == 6
    assert classes[-1].test_accuracy > 0.75 and attrs[-1].test_accuracy > 0.75


def test_every_shipped_classifier_loads():
    """The loader checks a config as a whole (training.model_config.check_config); a classifier saved
    with its data described as a bare string was refused by it."""
    folders = [f for f in CLASSIFIERS_DIR.iterdir() if (f / "config.json").is_file()]
    assert folders
    for folder in folders:
        net, config = load_classifier(folder)
        assert config["architecture"] == "classifier" and isinstance(config.get("data", {}), dict)
