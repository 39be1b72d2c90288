"""The real-photos benchmark's parts: the photos it makes, and one method row."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from inversion import geometry as G

FACE_BOX = (13.9, 22.3, 49.8, 56.8)


def _face(seed: int = 0) -> np.ndarray:
    """A face-sized colour pattern (64, 64, 3) uint8 (the photo-making does not care what it is)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:64, 0:64] / 64
    img = np.stack([128 + 80 * np.sin(2 * np.pi * (xx * rng.uniform(1, 2) + c)) * np.cos(2 * np.pi * yy)
                    for c in (0.0, 0.3, 0.6)], axis=2)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_face_photos_have_the_asked_size_turn_and_jpeg_and_repeat_for_a_seed():
    pytest.importorskip("skimage.data")  # the backgrounds
    from benchmarks.real_photos import face_photo

    face = _face()
    photo, m = face_photo(face, FACE_BOX, 200, 10.0, (900, 600), np.random.default_rng(3))
    assert photo.shape == (600, 900, 3) and photo.dtype == np.uint8
    assert G.affine_scale(m) * (FACE_BOX[2] - FACE_BOX[0]) == pytest.approx(200)
    assert np.degrees(np.arctan2(m[1, 0], m[0, 0])) == pytest.approx(10.0)
    centre = G.apply_affine(m, [[32.0, 32.0]])[0]
    assert 0 < centre[0] < 900 and 0 < centre[1] < 600
    again, _ = face_photo(face, FACE_BOX, 200, 10.0, (900, 600), np.random.default_rng(3))
    assert np.array_equal(photo, again)  # deterministic for a seed
    raw, _ = face_photo(face, FACE_BOX, 200, 10.0, (900, 600), np.random.default_rng(3), quality=None)
    diff = np.abs(raw.astype(int) - photo)
    assert diff.any() and diff.mean() < 3  # JPEG: close, not equal
    # The face lies where the transform says: the photo there is the face, the rest background.
    inside = G.apply_affine(m, [[20.0, 40.0]])[0].round().astype(int)
    assert np.abs(raw[inside[1], inside[0]].astype(int) - face[40, 20]).max() < 20
    other, _ = face_photo(face, FACE_BOX, 200, 10.0, (900, 600), np.random.default_rng(4))
    assert not np.array_equal(photo, other)


def test_one_method_row_on_a_product_photo():
    """Two methods sharing a code: the code is found once and counted for both; tuning (a few
    steps) brings the reconstruction closer to the photo; the table takes medians per method."""
    from benchmarks.editing import fake_photo
    from benchmarks.real_photos import Method, encoder_code, jpeg_round_trip, method_table, reconstruct
    from inversion.framing import DomainSpec, to_model
    from inversion.invert import Inverter
    from inversion.tuning import TuneConfig
    from training.modelfile import load_model, resolve_model

    try:
        resolve_model("fashion-mnist-32")
    except Exception:
        pytest.skip("the product model is not in assets/models")
    model = load_model("fashion-mnist-32")
    inv = Inverter.for_model(model)
    img = np.zeros((28, 28), np.uint8)
    img[4:24, 8:20] = 200  # a plain item
    photo = jpeg_round_trip(fake_photo(img))
    x, _ = to_model(photo, model.gan.resolution, model.gan.channels, DomainSpec.for_model(model.config))
    methods = (Method("encoder", encoder_code), Method("encoder + tuning", encoder_code, tune=True),
               Method("slow", encoder_code, slow=True))
    got = reconstruct(methods, inv, x, slow=False, tune_cfg=TuneConfig(steps=5))
    assert set(got) == {"encoder", "encoder + tuning"}
    plain, tuned = got["encoder"], got["encoder + tuning"]
    assert torch.equal(plain.z, tuned.z) and plain.generator is None and tuned.generator is not None
    assert tuned.wall > plain.wall > 0 and tuned.cpu >= plain.cpu > 0
    assert ((tuned.image - x) ** 2).mean() < ((plain.image - x) ** 2).mean()
    rows = [{name: {"lpips": float(i), "wall": r.wall, "cpu": r.cpu} for name, r in got.items()}
            for i in range(3)]
    table = method_table(rows, methods, ("lpips",))
    assert [t["method"] for t in table] == ["encoder", "encoder + tuning"]
    assert table[0]["lpips"] == 1.0 and table[0]["photos"] == 3
