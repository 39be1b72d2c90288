"""The photo loader: every format and mode a user's file may have, and every way a file is bad."""
import io

import numpy as np
import pytest
from PIL import Image

from inversion.photo import PhotoError, load_photo


def gradient(w=40, h=30):
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // w, y * 255 // h, np.full_like(x, 128)], -1).astype(np.uint8)


@pytest.mark.parametrize("fmt, suffix", [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp"),
                                         ("BMP", "bmp"), ("TIFF", "tif")])
def test_common_formats_load_as_rgb(tmp_path, fmt, suffix):
    path = tmp_path / f"photo.{suffix}"
    Image.fromarray(gradient()).save(path, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    p = load_photo(path)
    assert p.pixels.shape == (30, 40, 3) and p.pixels.dtype == np.uint8
    assert np.abs(p.pixels.astype(int) - gradient()).mean() < 4


def test_exif_orientation_is_applied(tmp_path):
    img = Image.fromarray(gradient(40, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    img.save(tmp_path / "rot.jpg", exif=exif.tobytes(), quality=95)
    p = load_photo(tmp_path / "rot.jpg")
    assert p.size == (30, 40)


def test_palette_grey_cmyk_and_16_bit(tmp_path):
    Image.fromarray(gradient()).quantize(16).save(tmp_path / "p.png")
    assert load_photo(tmp_path / "p.png").source_mode == "P"
    Image.fromarray(gradient()[..., 0]).save(tmp_path / "l.png")
    grey = load_photo(tmp_path / "l.png").pixels
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 0] == gradient()[..., 0]).all()
    Image.fromarray(gradient()).convert("CMYK").save(tmp_path / "c.tif")
    cmyk = load_photo(tmp_path / "c.tif")
    assert cmyk.source_mode == "CMYK" and np.abs(cmyk.pixels.astype(int) - gradient()).mean() < 3
    deep = (np.arange(40 * 30).reshape(30, 40) * 54).astype(np.uint16)  # up to 64746
    Image.fromarray(deep).save(tmp_path / "d.png")
    p16 = load_photo(tmp_path / "d.png")
    assert p16.pixels[..., 0].max() >= 250 and p16.pixels[0, 0, 0] == 0


def test_alpha_is_composited_on_white(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:5, :, 3] = 255  # top half opaque red, bottom transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    px = load_photo(tmp_path / "a.png").pixels
    assert px[0, 0].tolist() == [255, 0, 0] and px[9, 9].tolist() == [255, 255, 255]


def test_animation_takes_the_first_frame(tmp_path):
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    frames[0].save(tmp_path / "anim.webp", save_all=True, append_images=frames[1:], lossless=True)
    for name in ("anim.gif", "anim.webp"):
        px = load_photo(tmp_path / name).pixels
        assert px[4, 4, 0] > 200 and px[4, 4, 2] < 50, name


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_bytes(b""), "empty"),
    (lambda p: p.write_text("just some notes"), "not an image"),
    (lambda p: p.write_bytes(_jpeg_bytes()[:400]), "truncated"),
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50), "cannot read|not an image"),
])
def test_bad_files_give_a_clear_error_naming_the_file(tmp_path, make, reason):
    path = tmp_path / "bad.jpg"
    make(path)
    with pytest.raises(PhotoError, match=reason) as err:
        load_photo(path)
    assert "bad.jpg" in str(err.value)


def _jpeg_bytes():
    buf = io.BytesIO()
    Image.fromarray(gradient(200, 200)).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(PhotoError, match="not found"):
        load_photo(tmp_path / "nope.png")
    with pytest.raises(PhotoError, match="folder"):
        load_photo(tmp_path)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    Image.new("1", (10_000, 6_000)).save(tmp_path / "bomb.png")  # 60 MP, a few kB on disk
    assert (tmp_path / "bomb.png").stat().st_size < 100_000
    with pytest.raises(PhotoError, match="megapixels"):
        load_photo(tmp_path / "bomb.png")
    with pytest.raises(PhotoError, match="megapixels"):
        load_photo(_small_png(tmp_path), max_pixels=100)


def _small_png(tmp_path):
    Image.fromarray(gradient()).save(tmp_path / "small.png")
    return tmp_path / "small.png"
