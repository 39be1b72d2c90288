"""Shared test helpers: tiny networks, synthetic images, paths to shared data."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def synthetic_images(n: int = 128, res: int = 32, channels: int = 1, seed: int = 0) -> np.ndarray:
    """Bright rectangles of random size and place on black, like products on a plain background."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n, res, res, channels), dtype=np.uint8)
    for i in range(n):
        h, w = rng.integers(res // 4, res - 4, size=2)
        y, x = rng.integers(2, res - h - 1), rng.integers(2, res - w - 1)
        out[i, y:y + h, x:x + w] = rng.integers(120, 256, size=channels)
    return out


@pytest.fixture
def tiny_set():
    from training.data import ImageSet

    return ImageSet(images=torch.from_numpy(synthetic_images()), name="synthetic")


@pytest.fixture
def image_folder(tmp_path):
    """A folder of 48 PNG files (nested) built from synthetic images."""
    from PIL import Image

    folder = tmp_path / "images"
    for i, arr in enumerate(synthetic_images(48, 40, 3)):
        sub = folder / f"part{i % 2}"
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(arr).save(sub / f"{i:03d}.png")
    return folder


@pytest.fixture
def photo(tmp_path):
    """A dark coat on a light plain background, 180x240, as a PNG file."""
    from PIL import Image

    img = np.full((240, 180, 3), 246, np.uint8)
    img[30:210, 50:130] = (70, 50, 40)
    Image.fromarray(img).save(tmp_path / "coat.png")
    return tmp_path / "coat.png"


TINY_GAN = dict(resolution=32, channels=1, latent_dim=16, width=8)


def make_editable_model(folder: Path) -> Path:
    """A tiny untrained model folder with an encoder and two attribute vectors ("first",
    "second"), whose images respond to z (an untrained G barely varies otherwise)."""
    from editing.vectors import make_vector, save_vectors
    from inversion.encoder import Encoder, save_encoder
    from training.modelfile import ATTRIBUTES_FILE, export_model, load_model
    from training.networks import Discriminator, GANConfig, Generator

    cfg = GANConfig(**TINY_GAN)
    torch.manual_seed(0)
    G = Generator(cfg).eval()
    with torch.no_grad():
        G.blocks[-2].weight *= 30
    out = export_model(folder, cfg, G, Discriminator(cfg).eval(),
                       {"data": {"name": "fashion-mnist/train"}})
    m = load_model(out)
    save_encoder(m, Encoder.from_discriminator(cfg, m.discriminator), {"steps": 0})
    codes = torch.randn(300, cfg.latent_dim, generator=torch.Generator().manual_seed(0))
    save_vectors(out / ATTRIBUTES_FILE, {
        "first": make_vector("first", codes, codes[:, 0] > 0),
        "second": make_vector("second", codes, codes[:, 1] > 0)}, {"source": "test"})
    return out


def open_window(qtbot, tmp_path: Path, model: str | None = None, autosave: str = "autosave.json",
                **kwargs):
    """The editor's main window, shown, with its settings and autosave in tmp_path and no
    recovery question (None: the model last used in these settings, else the default); pytest-qt
    closes it after the test."""
    from PySide6.QtCore import QSettings

    from editor.window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(*([model] if model else []), settings=settings, autosave_path=tmp_path / autosave,
                   ask_recovery=False, **kwargs)
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture(autouse=True)
def questions(monkeypatch):
    """Every question the editor asks, in every test (no modal box may block a test): answered Discard, or the
    answer a test puts in `questions.answer`; the questions' titles go to `questions.asked`, their
    texts to `questions.texts`."""
    from PySide6.QtWidgets import QMessageBox

    class Questions:
        answer = QMessageBox.StandardButton.Discard
        asked: list[str] = []

    q = Questions()
    q.asked, q.texts = [], []

    def ask(parent, title, text="", *a, **k):
        q.asked.append(title)
        q.texts.append(text)
        return q.answer

    monkeypatch.setattr(QMessageBox, "question", ask)
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "exec", lambda dialog: 0)  # a file dialog: cancelled (a test that
    for static in ("getOpenFileName", "getSaveFileName"):  # wants a name chosen patches it again)
        monkeypatch.setattr(QFileDialog, static, lambda *a, **k: ("", ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: "")
    return q
