"""Animations (editing.animate): sweep values, the writers, `latent-edit animate`."""
import cv2
import numpy as np
import pytest
from PIL import Image

from editing.animate import AnimationError, sweep_values, write_animation
from tests.conftest import make_editable_model


def test_a_sweep_starts_at_zero_reaches_both_ends_and_loops():
    values = sweep_values(24)
    assert values[0] == 0 and max(values) == pytest.approx(3) and min(values) == pytest.approx(-3)
    assert abs(values[-1] - values[0]) < 1.0, "the last frame leads back to the first"
    with pytest.raises(AnimationError, match="at least 2 frames"):
        sweep_values(1)


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".mp4"])
def test_animations_are_written_with_every_frame(tmp_path, suffix):
    frames = [np.full((24, 32, 3), 40 * i, np.uint8) for i in range(5)]
    out = tmp_path / f"a{suffix}"
    write_animation(frames, out, fps=10)
    if suffix == ".mp4":
        video, n = cv2.VideoCapture(str(out)), 0
        while video.read()[0]:
            n += 1
        assert n == 5
    else:
        with Image.open(out) as img:
            assert img.n_frames == 5 and img.size == (32, 24)
    with pytest.raises(AnimationError, match=".webp, .gif or .mp4"):
        write_animation(frames, tmp_path / "a.png")


def two_photos(tmp_path):
    paths = []
    for i, colour in enumerate(((60, 40, 30), (200, 200, 210))):
        img = np.full((160, 120, 3), 248 if i == 0 else 20, np.uint8)
        img[20 + 10 * i:140, 30:90 - 10 * i] = colour
        Image.fromarray(img).save(tmp_path / f"p{i}.png")
        paths.append(str(tmp_path / f"p{i}.png"))
    return paths


def test_animate_cli_sweeps_and_morphs_onto_the_photo(tmp_path, capsys):
    from editing.cli import main

    model = str(make_editable_model(tmp_path / "tiny"))
    a, b = two_photos(tmp_path)
    sweep = tmp_path / "sweep.webp"
    assert main(["animate", a, "--model", model, "--attr", "first", "--frames", "8",
                 "--out", str(sweep)]) == 0
    with Image.open(sweep) as img:
        assert img.n_frames == 8 and img.size == (120, 160)
        img.seek(0)
        first = np.asarray(img.convert("RGB"), int)
        img.seek(2)
        assert np.abs(np.asarray(img.convert("RGB"), int) - first).sum() > 0, "the sweep did not move"
    morph = tmp_path / "morph.gif"
    assert main(["animate", a, b, "--model", model, "--onto", "each", "--frames", "4",
                 "--out", str(morph)]) == 0
    with Image.open(morph) as img:
        assert img.n_frames == 4
    assert main(["animate", a, "--model", model, "--out", str(tmp_path / "x.gif")]) == 2
    assert "either --attr NAME" in capsys.readouterr().err
    assert main(["animate", a, "--model", model, "--attr", "smile", "--out", str(tmp_path / "x.gif")]) == 2
    assert "unknown attribute smile" in capsys.readouterr().err
    assert not (tmp_path / "x.gif").exists()


def test_a_sweep_with_a_region_changes_the_photo_only_inside_it(tmp_path):
    """With a painted region the sweep's frames keep the photo as it is outside it, as the screen
    and the export do (editing.region)."""
    from editing.animate import sweep_frames
    from editing.region import region_to_photo
    from editing.vectors import model_vectors
    from inversion.framing import DomainSpec, to_model
    from training.modelfile import load_model

    model = load_model(make_editable_model(tmp_path / "tiny"))
    photo = np.asarray(Image.open(two_photos(tmp_path)[0]).convert("RGB"))
    x, mapping = to_model(photo, model.gan.resolution, model.gan.channels, DomainSpec.for_model(model.config))
    z0 = model.codes(1, 0)[0]
    r = model.gan.resolution
    region = np.zeros((r, r), np.float32)
    region[: r // 2] = 1.0  # the top half
    outside = region_to_photo(region, mapping) == 0
    vectors = model_vectors(model)
    whole = list(sweep_frames(model, photo, mapping, z0, z0, vectors, "first", 4))
    held = list(sweep_frames(model, photo, mapping, z0, z0, vectors, "first", 4, region=region))
    assert any((f[outside] != photo[outside]).any() for f in whole)  # without it, outside changes
    assert all(np.array_equal(f[outside], photo[outside]) for f in held)
    assert any((f[~outside] != photo[~outside]).any() for f in held)
    # the region painted on an earlier edit: that edit stays outside it (the editor's Snapshot.under)
    earlier = whole[1]
    kept = list(sweep_frames(model, photo, mapping, z0, z0, vectors, "first", 4, region=region,
                             outside=earlier))
    assert all(np.array_equal(f[outside], earlier[outside]) for f in kept)
    assert not np.array_equal(earlier[outside], photo[outside])
