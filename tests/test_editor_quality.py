"""The quality the editor shows: LPIPS against the photo, identity for faces, realism and its rank
among the model's own samples. No Qt."""
import pytest
import torch

from editor.quality import QualityMeter
from inversion.perceptual import LPIPS
from tests.conftest import make_editable_model
from training.modelfile import load_model


def test_the_photo_itself_scores_zero_lpips_and_an_edit_scores_more(tmp_path):
    model = load_model(make_editable_model(tmp_path / "tiny"))
    z0 = model.codes(2, seed=3)
    with torch.no_grad():
        target = model.decode(z0[:1])
    meter = QualityMeter(model, LPIPS(), target)
    same, other = meter.measure_code(z0[0]), meter.measure_code(z0[1])
    assert same.lpips == pytest.approx(0.0, abs=1e-6) and other.lpips > 0.01
    assert same.identity is None  # not a face model
    with torch.no_grad():
        assert same.realism == pytest.approx(float(model.discriminator(target)[0]), abs=1e-5)
        samples = model.discriminator(model.sample(256, seed=0))
    assert same.realism_rank == pytest.approx(float((samples < same.realism).float().mean()), abs=1 / 256)
    assert "LPIPS 0.000" in same.summary() and "realism" in same.summary()
    without_photo = QualityMeter(model, LPIPS(), None).measure_code(z0[0])
    assert without_photo.lpips is None and "LPIPS" not in without_photo.summary()


@pytest.mark.slow
def test_a_face_model_reports_identity_to_the_photos_face():
    from training.errors import UserError

    try:
        model = load_model("celeba-64")
    except UserError:
        pytest.skip("the face model is not in assets/models")
    z = model.codes(2, seed=4)
    with torch.no_grad():
        target = model.decode(z[:1])
    meter = QualityMeter(model, LPIPS(), target)
    same, other = meter.measure_code(z[0]), meter.measure_code(z[1])
    assert same.identity < 0.1 and "same person" in same.summary()
    assert other.identity > same.identity + 0.2
