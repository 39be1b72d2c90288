"""Carry-back without halos: the guided enlargement follows the photo's edges, and a face edit lands
inside the grown landmark hull only, never on the aligned square's edges."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from editing.compositing import guided_upsample, paste_back
from editing.export import COMPOSITING
from editing.face_paste import edge_fade, face_region
from inversion.framing import DomainMapping
from training.pixels import LUMA

R = 64
TEMPLATE = ((41.75, 33.25), (36.0, 33.5), (22.0, 33.25), (27.5, 33.5), (31.5, 44.25))


def test_guided_upsampling_keeps_a_change_on_its_side_of_the_photos_edge():
    """A photo with a sharp edge that falls inside one coarse pixel; a change that belongs to the
    bright side. Enlarged plainly it spills onto the dark side; guided by the photo it stays."""
    k = 8  # photo pixels per coarse pixel
    patch = np.full((10 * k, 10 * k, 3), 40, np.uint8)
    patch[:, 43:] = 220  # the edge at x = 43, inside coarse column 5 (photo pixels 40..47)
    coarse = np.zeros((10, 10, 1), np.float32)
    coarse[:, 6:] = 30.0
    coarse[:, 5] = 30.0 * 5 / 8  # the straddling coarse pixel: bright for 5 of its 8 photo pixels
    to_coarse = np.array([[1 / k, 0, 0.5 / k - 0.5], [0, 1 / k, 0.5 / k - 0.5]])

    def enlarge(arr, flag):
        return cv2.resize(arr, (10 * k, 10 * k), interpolation=flag).reshape(10 * k, 10 * k, -1)

    guided = guided_upsample(coarse, patch, to_coarse, enlarge)[..., 0]
    plain = cv2.resize(coarse, (10 * k, 10 * k), interpolation=cv2.INTER_CUBIC)
    dark, bright = (slice(16, 64), slice(24, 43)), (slice(16, 64), slice(43, 64))
    assert np.abs(guided[dark]).mean() < 0.5 * np.abs(plain[dark]).mean()
    assert guided[bright].mean() > 25 and guided[bright].mean() > plain[bright].mean() - 1
    # no edge in the photo: the change keeps its own sharpness (a new shadow, a longer sleeve)
    flat = guided_upsample(coarse, np.full_like(patch, 128), to_coarse, enlarge)[..., 0]
    row, plain_row = flat[40], plain[40]

    def width(r):  # pixels from 10% to 90% of the step
        return int(np.argmax(r > 27) - np.argmax(r > 3))

    assert width(row) <= width(plain_row) + 1


def test_face_region_covers_the_face_and_never_the_squares_edges():
    region = face_region(TEMPLATE, R)
    assert region[44, 31] == 1.0 and region[33, 22] == 1.0 and region[52, 32] == 1.0  # nose, eye, mouth
    assert region[0, :].max() == 0 and region[:, 0].max() == 0 and region[:, -1].max() == 0
    assert region[2, 2] == 0 and region[2, -3] == 0  # the square's upper corners
    assert 0.25 < region.mean() < 0.6


def aligned_face_mapping(landmarks=TEMPLATE) -> tuple[DomainMapping, np.ndarray]:
    """A face square placed at 4x in a 400x360 photo, turned 10 degrees."""
    a = np.deg2rad(10.0)
    to_photo = np.array([[4 * np.cos(a), -4 * np.sin(a), 70.0], [4 * np.sin(a), 4 * np.cos(a), 40.0]])
    m = np.vstack([to_photo, [0, 0, 1]])
    to_model = np.linalg.inv(m)[:2]
    mapping = DomainMapping(photo_size=(400, 360), box=(0, 0, 1, 1), resolution=R, content=R, grey=False,
                            invert=False, background=(128.0, 128.0, 128.0), black_point=0.0,
                            whole_image=False, affine=tuple(to_model.reshape(-1)), landmarks=landmarks)
    return mapping, to_photo


def test_a_face_edit_changes_only_pixels_inside_the_grown_hull():
    mapping, to_photo = aligned_face_mapping()
    rng = np.random.default_rng(0)
    photo = rng.integers(40, 200, (360, 400, 3)).astype(np.uint8)
    before = torch.zeros(3, R, R)
    after = torch.full((3, R, R), 0.4)  # a change everywhere in the square
    out, mask = paste_back(photo, mapping, before, after)
    # where the face region (in photo pixels) is 0, the photo is untouched, bit for bit
    region = cv2.warpAffine(face_region(TEMPLATE, R) * edge_fade(R), to_photo, (400, 360),
                            flags=cv2.INTER_LINEAR)
    outside = region == 0
    assert np.array_equal(out[outside], photo[outside])
    assert (mask[outside] == 0).all() and mask.max() > 0.99
    # the square's corner (inside the square, outside the face) is untouched: no faint box
    corner = np.rint(to_photo @ [3.0, 3.0, 1.0]).astype(int)
    assert np.array_equal(out[corner[1], corner[0]], photo[corner[1], corner[0]])
    # an old session's mapping (no landmarks) still fades out over the whole square
    old, _ = paste_back(photo, aligned_face_mapping(())[0], before, after)
    assert not np.array_equal(old[corner[1], corner[0]], photo[corner[1], corner[0]])


def test_a_colour_model_s_edit_of_a_grey_photo_stays_grey_and_so_does_its_export(tmp_path):
    """A walkthrough opened a greyscale portrait with the face model: Smiling +2 put a pink cast by
    the mouth, Eyeglasses +2 a teal face, and the export came out as RGB with tinted pixels. A grey
    photo (to_model: mapping.grey_photo) now takes each changed pixel's luminance on every channel,
    its export is written grey; a mapping from before (no grey_photo) lands the colour as it did."""
    import io
    from dataclasses import replace

    from PIL import Image

    from editing.export import encode_image
    from inversion.framing import DomainSpec, grey_pixels, to_model

    mapping, _ = aligned_face_mapping()
    rng = np.random.default_rng(0)
    grey = np.repeat(rng.integers(40, 200, (360, 400, 1)).astype(np.uint8), 3, axis=2)
    before = torch.zeros(3, R, R)
    after = torch.stack([torch.full((R, R), v) for v in (0.3, -0.1, 0.1)])  # pinker everywhere
    tinted, _ = paste_back(grey, mapping, before, after)
    kept, mask = paste_back(grey, replace(mapping, grey_photo=True), before, after)
    assert not grey_pixels(tinted) and grey_pixels(kept)
    changed = mask > 0.5
    assert np.abs(luma(kept)[changed] - luma(tinted)[changed]).max() <= 1.0  # the same luminance
    assert np.array_equal(kept[mask == 0], grey[mask == 0])
    on_photo = np.repeat(np.linspace(0, 255, 64 * 80, dtype=np.uint8).reshape(64, 80, 1), 3, axis=2)
    assert to_model(on_photo, 32, 1, DomainSpec("object", 0.875, True), whole_image=True)[1].grey_photo
    on_photo[5, 7, 2] += 1  # one pixel off grey: a colour photo
    assert not to_model(on_photo, 32, 1, DomainSpec("object", 0.875, True), whole_image=True)[1].grey_photo
    older = {k: v for k, v in mapping.to_dict().items() if k != "grey_photo"}  # a file made before
    assert DomainMapping.from_dict(older) == mapping
    source = tmp_path / "portrait.png"
    Image.fromarray(grey[..., 0], "L").save(source, dpi=(240, 240))
    for suffix in (".png", ".jpg"):
        written = Image.open(io.BytesIO(encode_image(kept, "out" + suffix, 95, source)))
        assert written.mode == "L" and written.info["dpi"] == pytest.approx((240, 240), abs=0.01), suffix
    assert Image.open(io.BytesIO(encode_image(kept, "out.png", 95))).mode == "RGB"


def test_an_export_keeps_its_photo_s_colour_profile():
    """The astronaut's ICC profile and dpi were lost in its export (a walkthrough): colour-managed
    viewers then showed other colours than the photo's."""
    import io
    from pathlib import Path

    import skimage
    from PIL import Image

    from editing.export import encode_image

    source = Path(skimage.__file__).parent / "data" / "astronaut.png"
    pixels = np.asarray(Image.open(source).convert("RGB"))
    profile = Image.open(source).info["icc_profile"]
    for suffix in (".png", ".jpg", ".webp"):
        written = Image.open(io.BytesIO(encode_image(pixels, "out" + suffix, 95, source)))
        assert written.mode == "RGB" and written.info.get("icc_profile") == profile, suffix
    assert "icc_profile" not in Image.open(io.BytesIO(encode_image(pixels, "out.png", 95))).info


def test_an_export_takes_only_what_fits_it_from_its_photo_s_header(tmp_path):
    """A profile of another colour space than the one written is left out (a CMYK photo's on its RGB
    export, an RGB profile on grey pixels); WebP stays RGB; a resolution that reads as NaN (a
    TIFF's 0/0) is left out rather than failing the export (a review)."""
    import io
    from pathlib import Path

    import skimage
    from PIL import Image, TiffImagePlugin

    from editing.export import encode_image

    rgb_profile = Image.open(Path(skimage.__file__).parent / "data" / "astronaut.png").info["icc_profile"]
    cmyk_profile = rgb_profile[:16] + b"CMYK" + rgb_profile[20:]  # its header says CMYK
    cmyk = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (40, 30), (10, 200, 30, 0)).save(cmyk, icc_profile=cmyk_profile)
    grey_with_rgb = tmp_path / "grey.png"
    Image.new("L", (40, 30), 90).save(grey_with_rgb, icc_profile=rgb_profile)
    zero = tmp_path / "zero.tif"
    Image.new("RGB", (40, 30), (90, 80, 70)).save(zero, tiffinfo={
        282: TiffImagePlugin.IFDRational(0, 0), 283: TiffImagePlugin.IFDRational(0, 0), 296: 2})
    colour, grey = np.full((30, 40, 3), (200, 30, 60), np.uint8), np.full((30, 40, 3), 90, np.uint8)

    def written(pixels, suffix, source):
        return Image.open(io.BytesIO(encode_image(pixels, "out" + suffix, 95, source)))

    for suffix in (".png", ".jpg", ".webp"):
        assert "icc_profile" not in written(colour, suffix, cmyk).info, suffix
        out = written(grey, suffix, grey_with_rgb)  # WebP: RGB, which the RGB profile fits
        assert out.mode == ("RGB" if suffix == ".webp" else "L"), suffix
        assert ("icc_profile" in out.info) == (suffix == ".webp"), suffix
        assert "dpi" not in written(colour, suffix, zero).info or suffix == ".webp", suffix


def test_a_face_edit_lands_within_its_strokes_reach_beside_the_face():
    """A stroke on the hair above the face region: its change lands there (and only within its
    reach), where without the strokes the face region keeps the photo."""
    from editing.solver import Stroke, stroke_reach

    mapping, to_photo = aligned_face_mapping()
    rng = np.random.default_rng(0)
    photo = rng.integers(40, 200, (360, 400, 3)).astype(np.uint8)
    before, after = torch.zeros(3, R, R), torch.full((3, R, R), 0.4)
    hair = Stroke("color", ((24.0, 8.0), (40.0, 8.0)), 2.0, (1.0, 1.0, 1.0))
    reach = stroke_reach((hair,), R, 3)
    assert face_region(TEMPLATE, R)[8, 32] == 0 and reach[8, 32] == 1.0 and reach[30, 32] == 0
    plain, _ = paste_back(photo, mapping, before, after)
    with_stroke, _ = paste_back(photo, mapping, before, after, reach=reach)
    on_hair = np.rint(to_photo @ [32.0, 8.0, 1.0]).astype(int)
    assert np.array_equal(plain[on_hair[1], on_hair[0]], photo[on_hair[1], on_hair[0]])
    assert (with_stroke[on_hair[1], on_hair[0]].astype(int) - photo[on_hair[1], on_hair[0]] > 40).all()
    corner = np.rint(to_photo @ [3.0, 60.0, 1.0]).astype(int)  # far from both: the photo's own
    assert np.array_equal(with_stroke[corner[1], corner[0]], photo[corner[1], corner[0]])
    # an erased stroke reaches nowhere
    assert not stroke_reach((hair, Stroke("erase", hair.points, 4.0)), R, 3).any()


def test_from_compositing_7_a_face_edit_lands_beside_the_face_only_near_its_strokes_bands():
    """Compositing 7: outside the face region a face edit lands within a pixel or two of what the
    strokes paint (the generator's change around a hair stroke no longer fogs the background
    above the head); recipes of compositing 5 and 6 keep the wider reach they were exported with."""
    from editing.landing import strokes_reach
    from editing.solver import Stroke

    mapping, to_photo = aligned_face_mapping()
    rng = np.random.default_rng(1)
    photo = rng.integers(40, 200, (360, 400, 3)).astype(np.uint8)
    before, after = torch.zeros(3, R, R), torch.full((3, R, R), 0.4)
    hair = Stroke("color", ((24.0, 10.0), (40.0, 10.0)), 2.0, (1.0, 1.0, 1.0))
    wide, band = strokes_reach([hair], mapping, 3, 6), strokes_reach([hair], mapping, 3, 7)
    assert face_region(TEMPLATE, R)[4, 32] == 0 and wide[4, 32] == 1.0 and band[4, 32] == 0
    assert band[10, 32] == 1.0 and band[8, 32] == 1.0  # on the band
    for reach, lands_above in ((wide, True), (band, False)):
        out, _ = paste_back(photo, mapping, before, after, reach=reach)
        on, above = (np.rint(to_photo @ [32.0, y, 1.0]).astype(int) for y in (10.0, 4.0))
        assert (out[on[1], on[0]].astype(int) - photo[on[1], on[0]] > 40).all()
        assert np.array_equal(out[above[1], above[0]], photo[above[1], above[0]]) != lands_above

    class Flat:  # a "generator": code 0 draws black, any other code a lighter grey everywhere
        @staticmethod
        def decode(z):
            return torch.full((len(z), 3, R, R), 0.4) * (z.abs().sum(1) > 0).float()[:, None, None, None]

    from editing.export import render_edit
    from editing.landing import REACH_SHARE
    from editing.solver import stroke_reach

    z0, z1 = torch.zeros(4), torch.ones(4)
    for version, share in ((6, REACH_SHARE), (7, None)):  # a recipe of compositing 6 rebuilds as exported
        rebuilt, _ = render_edit(Flat, photo, mapping, z0, z1, compositing=version, strokes=(hair,))
        reach = stroke_reach((hair,), R, 3, share) if share else band
        before, after = Flat.decode(z0[None])[0], Flat.decode(z1[None])[0]
        exported, _ = paste_back(photo, mapping, before, after, reach=reach)
        assert np.array_equal(rebuilt, exported)


def test_a_recipe_from_before_guided_enlargement_rebuilds_as_it_was_exported(tmp_path):
    import json

    from editing.cli import main
    from editing.export import render_edit
    from inversion.framing import DomainMapping
    from inversion.photo import load_photo
    from tests.conftest import make_editable_model
    from tests.test_editing import photo_file
    from training.modelfile import load_model

    from pathlib import Path

    import skimage
    from PIL import Image

    model = load_model(make_editable_model(tmp_path / "tiny"))
    photo = photo_file(tmp_path)
    profile = Image.open(Path(skimage.__file__).parent / "data" / "astronaut.png").info["icc_profile"]
    Image.open(photo).save(photo, icc_profile=profile)  # exports from compositing 21 on keep it
    out = tmp_path / "new.png"
    assert main(["edit", str(photo), "--model", str(model.path), "--attr", "first=2", "--out", str(out)]) == 0
    assert Image.open(out).info["icc_profile"] == profile
    recipe = json.loads((tmp_path / "new.png.recipe.json").read_text())
    assert recipe["export"]["compositing"] == COMPOSITING
    del recipe["export"]["compositing"]  # as recipes were written before
    (tmp_path / "old.recipe.json").write_text(json.dumps(recipe))
    assert main(["edit", "--recipe", str(tmp_path / "old.recipe.json"), "--out", str(tmp_path / "old.png")]) == 0
    assert "icc_profile" not in Image.open(tmp_path / "old.png").info  # as it was exported then
    old = np.asarray(Image.open(tmp_path / "old.png"))
    expected, _ = render_edit(model, load_photo(photo).pixels, DomainMapping.from_dict(recipe["mapping"]),
                              torch.tensor(recipe["z0"]), torch.tensor(recipe["z_edit"]), compositing=1)
    assert np.array_equal(old, expected)
    assert not np.array_equal(old, np.asarray(Image.open(out)))


def dress_photo(background: int, colour: tuple[int, int, int]):
    """(photo 300x300 with a 100x200 dress in `colour` on a plain `background` level, the dress as
    the 32 px product model sees it (C, R, R), the mapping)."""
    from inversion.framing import DomainSpec, to_model

    photo = np.full((300, 300, 3), background, np.uint8)
    photo[50:250, 100:200] = colour
    x, mapping = to_model(photo, 32, 1, DomainSpec(kind="object", content_fraction=28 / 32,
                                                      light_on_dark=True))
    return photo, x[0], mapping


def test_where_an_object_leaves_its_photo_s_soft_edge_goes_too():
    """A walkthrough made a shirt a T-shirt: where the long sleeve went, a thin grey line with one
    hard edge stayed, the photo's soft edge of the sleeve reaching past the model's picture of it.
    Since compositing 20 the photo is cleared two model pixels beyond where the object left, not
    one (`clear`), except within a model pixel of the object as it is now; an export of compositing
    19 as it was."""
    from editing.export import render_edit

    photo, before, mapping = dress_photo(250, (150, 120, 200))  # a model pixel: 7 photo pixels
    photo[50:250, 200:211] = (215, 205, 235)  # a soft edge 1.5 model pixels past the model's dress
    after = before.clone()
    after[:, :, 16:] = -1.0  # the dress's right half goes (its left half, photo x 100-150, stays)
    rows, right = slice(80, 220), slice(160, 240)
    for clear, remnant in ((False, 500), (True, 0)):
        out, _ = paste_back(photo, mapping, before, after, clear=clear, soft=False, plate=False)  # 20's, 19's
        off = np.abs(out[rows, right].astype(int) - 250).max(-1)
        assert ((off > 12).sum() > remnant) if not clear else (off > 12).sum() == 0, clear
        assert np.array_equal(out[:, 100:140], photo[:, 100:140])  # the half that stays
        drawn = three_codes(before, after, after)
        exported = render_edit(drawn, photo, mapping, torch.zeros(4), torch.ones(4),
                               compositing=20 if clear else 19)[0]
        assert np.array_equal(exported, out)
    rim, part = before.clone(), before.clone()  # a soft rim at model column 23, kept; the upper right goes
    rim[:, 3:29, 23] = -0.8
    part[:, 3:29, 23] = -0.8
    part[:, 3:16, 16:] = -1.0
    out, _ = paste_back(photo, mapping, rim, part)
    x0, y0 = mapping.to_model_point(0, 0)
    at = (int((17.5 - y0) / mapping.scale), int((23.5 - x0) / mapping.scale))  # the rim two rows below
    assert np.abs(out[at].astype(int) - photo[at]).max() <= 3  # (cleared two model pixels out
    # everywhere, it went 18 levels toward the background)


def test_a_shrinking_object_leaves_background_not_a_ghost():
    """A lavender dress on white whose right half the edit removes and which grows on the left:
    the removed half becomes the photo's white exactly (the grey change alone would leave a pink
    remnant), the new part is painted in the dress's tint, and the pixels away from both stay."""
    photo, before, mapping = dress_photo(250, (200, 180, 230))
    after = before.clone()
    after[:, :, 16:] = -1.0  # the model's background: the object's right half is gone
    after[:, 8:24, 6:10] = before[:, 16, 14]  # and it grows a little on the left
    old, _ = paste_back(photo, mapping, before, after, silhouette=False)
    new, mask = paste_back(photo, mapping, before, after)
    right = (slice(70, 230), slice(165, 195))
    assert np.abs(old[right].astype(int) - 250).max() > 8  # the tinted remnant the old way left
    assert np.abs(new[right].astype(int) - 250).max() <= 2
    x0, _ = mapping.to_model_point(0, 0)
    left_px = int((7.5 - x0) / mapping.scale)  # a photo column inside the grown part
    grown = new[120:180, left_px].astype(float).mean(0)
    assert grown[2] > grown[1] + 20  # lavender's blue over green, not grey
    assert np.array_equal(new[:, :40], photo[:, :40]) and np.array_equal(new[:30], photo[:30])


def test_where_an_object_leaves_the_photo_s_backdrop_shows_with_its_light_and_grain():
    """Walkthrough 48 made a dress shorter: where the straps were, a smooth rectangle lighter than
    the backdrop beside it, without its grain (the background's one colour, measured at the frame's
    edge). Since compositing 24 the clean plate is painted there (editing.plate): the backdrop's
    light filled in from around the dress, its grain borrowed from beside it; compositing 23's
    exports rebuild as they were."""
    from editing.export import render_edit
    from inversion.framing import DomainSpec, to_model

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:300, :300]
    light = (248 - 30 * ((yy - 150) ** 2 + (xx - 150) ** 2) / 150 ** 2)[..., None]  # lit in the middle
    photo = np.clip(light + rng.normal(0, 4, (300, 300, 3)), 0, 255)
    photo[50:250, 100:200] = (150, 40, 60)
    photo = photo.round().astype(np.uint8)
    spec = DomainSpec(kind="object", content_fraction=28 / 32, light_on_dark=True)
    x, mapping = to_model(photo, 32, 1, spec)
    before = x[0]
    after = before.clone()
    after[:, :, 16:] = -1.0  # the dress's right half goes
    left, beside = (slice(80, 220), slice(165, 195)), (slice(80, 220), slice(215, 245))

    def grain(pixels):
        return float((pixels.astype(float) - cv2.GaussianBlur(pixels, (0, 0), 1.5)).std())

    flat, _ = paste_back(photo, mapping, before, after, plate=False)
    plate, _ = paste_back(photo, mapping, before, after)
    backdrop = photo[beside]
    assert grain(flat[left]) < 1 and grain(plate[left]) > 0.5 * grain(backdrop)
    local = light[left].mean()  # the backdrop's light there
    assert abs(plate[left].mean() - local) < 3 and abs(flat[left].mean() - local) > 5
    assert np.array_equal(plate[:, :140], photo[:, :140])  # the half that stays
    drawn = three_codes(before, after, after)
    for compositing, expected in ((23, flat), (24, plate)):
        exported = render_edit(drawn, photo, mapping, torch.zeros(4), torch.ones(4), compositing=compositing)
        assert np.array_equal(exported[0], expected), compositing


def test_a_speck_the_generator_draws_apart_from_the_item_is_not_carried_back():
    """Walkthrough 55: Area +2.11 on a red dress drew a dark dot beside it, one model pixel, and the
    carry-back painted it on the backdrop as a red blob. Since compositing 25 a speck (new object of
    SPECK_PIXELS model pixels or fewer touching neither the item as it was nor a larger part of it)
    is taken back to the picture before the edit (editing.silhouette.without_specks); the item's own
    growth stays, and compositing 24's exports rebuild as they were."""
    from editing.export import render_edit
    from editing.silhouette import SPECK_PIXELS, object_presence, specks, without_specks
    from inversion.framing import DomainSpec, to_model

    photo = np.full((300, 300, 3), 240, np.uint8)
    photo[60:240, 110:190] = (150, 40, 60)
    spec = DomainSpec(kind="object", content_fraction=28 / 32, light_on_dark=True)
    x, mapping = to_model(photo, 32, 1, spec)
    before = x[0]
    after = before.clone()
    after[:, 8, 26] = 0.9  # a dot well apart from the dress
    after[:, 10:20, 20] = 0.9  # the dress grown a column on its right: its own growth
    background = np.array(mapping.model_colour(mapping.background), np.float64)
    was, now = object_presence(before, background), object_presence(after, background)
    speck = specks(was, now)
    assert speck[8, 26] == 1 and speck[10:20, 20].max() == 0 and speck.sum() <= 9
    big = after.clone()
    big[:, 3:6, 26:28] = 0.9  # six pixels apart: larger than a speck
    assert specks(was, object_presence(big, background))[3:6, 26:28].max() == 0 < SPECK_PIXELS < 6
    near = after.clone()  # a review: a faint part of the item (a sandal's heel, a bag's handle) moved
    near[:, 8, 22:26] = before[:, 8, 22:26] * 0.6 + 0.4 * 0.9  # a faint bridge to the dot: no speck
    assert specks(was, object_presence(near, background))[8, 26] == 0
    parts = before.clone()
    parts[:, 3, 5] = 0.9  # the item as it was is of separate parts (a sandal's straps): none is a speck
    assert not specks(object_presence(parts, background), now).any()
    assert without_specks(mapping, before, before) is before  # none: the picture itself
    kept = without_specks(mapping, before, after)
    assert torch.equal(kept[:, 8, 26], before[:, 8, 26])
    assert torch.equal(kept[:, 10:20, 20], after[:, 10:20, 20])
    old, _ = paste_back(photo, mapping, before, after, apart=False)
    new, _ = paste_back(photo, mapping, before, after)
    x0, y0, x1, _ = mapping.box
    step = (x1 - x0) / mapping.content
    dot = np.s_[int(y0 + 6 * step):int(y0 + 7 * step), int(x0 + 24 * step):int(x0 + 25 * step)]  # (8, 26)
    assert np.abs(old[dot].astype(int) - photo[dot]).max() > 40  # before: a blob on the backdrop
    assert np.array_equal(new[dot], photo[dot])  # now: the backdrop
    assert (np.abs(new.astype(int) - photo).max(2) > 20).sum() > 100  # the dress's own change lands
    drawn = three_codes(before, after, after)
    for compositing, expected in ((24, old), (25, new)):
        exported = render_edit(drawn, photo, mapping, torch.zeros(4), torch.ones(4), compositing=compositing)
        assert np.array_equal(exported[0], expected), compositing


def test_a_clean_plate_worked_out_by_parts_is_its_whole_and_stays_within_the_backdrop(monkeypatch):
    """The clean plate of a large photo is worked out a band at a time where it is asked for (a
    review): a part is the same as the whole's, an export in place the same as one on a copy; the
    light filled in stays within the backdrop's own (a quadratic fitted to a thin strip beside an
    item that fills the frame put a slab 64 levels too dark under it); nothing off the backdrop,
    no plate (the background's colour, as before)."""
    import editing.plate as plate_module
    from editing.plate import Plate, clean_plate
    from inversion.framing import DomainSpec, to_model

    rng = np.random.default_rng(1)
    photo = np.clip(240 + rng.normal(0, 4, (300, 300, 3)), 0, 255).round().astype(np.uint8)
    photo[50:250, 100:200] = (150, 40, 60)
    whole = Plate(photo, np.full(3, 240, np.float32)).over(slice(0, 300), slice(0, 300))
    part = Plate(photo, np.full(3, 240, np.float32)).over(slice(37, 181), slice(90, 230))
    assert np.array_equal(part[37:181, 90:230], whole[37:181, 90:230])
    assert np.array_equal(whole.cropped((slice(37, 181), slice(90, 230)))[0:144, 0:140], part.pixels)
    monkeypatch.setattr(plate_module, "CACHED_PIXELS", 100)  # as a large photo's: by parts
    spec = DomainSpec(kind="object", content_fraction=28 / 32, light_on_dark=True)
    x, mapping = to_model(photo, 32, 1, spec)
    after = x[0].clone()
    after[:, :, 16:] = -1.0
    copied, _ = paste_back(photo, mapping, x[0], after)
    in_place = photo.copy()
    paste_back(in_place, mapping, x[0], after, in_place=True)
    assert np.array_equal(in_place, copied) and not np.array_equal(copied, photo)
    strip = np.clip(230 + rng.normal(0, 3, (300, 300, 3)), 0, 255).round().astype(np.uint8)
    strip[:, 20:300] = (150, 40, 60)  # the item fills the frame but a 20 px strip on the left
    strip[:100, :20] += 15  # lit unevenly along it
    filled = Plate(strip, np.full(3, 230, np.float32)).over(slice(0, 300), slice(0, 300))
    backdrop = strip[:, :8].astype(float)
    under = filled[0:300, 60:300].astype(float)
    assert backdrop.min() - 3 <= under.mean() <= backdrop.max() + 3
    faint = np.full((300, 300, 3), 240, np.uint8)
    faint[50:250, 100:200] = 235  # under APART off the backdrop
    assert clean_plate(faint, np.full(3, 240, np.float32)).over(slice(0, 300), slice(0, 300)) is None


def test_faint_wisps_beside_an_object_keep_the_photo_s_background():
    """A dark red dress on a light background; the edit adds faint wisps beside its shoulders (a
    fifth of the dress's contrast: the generator's, not a new part) and a solid part below. The
    wisps used to be painted as a faint dress in its tint, pink "ghost sleeves"; now the photo keeps
    its background there, while the solid part is still painted."""
    photo, before, mapping = dress_photo(235, (120, 40, 60))
    after = before.clone()
    contrast = float(before[0, 16, 16]) + 1.0  # the dress over the background level (-1)
    after[:, 6:10, 4:7] = -1.0 + 0.2 * contrast  # faint wisps left of the shoulders (the dress: x 9-23)
    after[:, 26:29, 12:20] = before[:, 16, 16]  # a solid new part below the hem
    old, _ = paste_back(photo, mapping, before, after, faint=False)
    new, _ = paste_back(photo, mapping, before, after)
    x0, y0 = mapping.to_model_point(0, 0)
    wisp = (slice(int((7 - y0) / mapping.scale), int((9 - y0) / mapping.scale)),
            slice(int((4.5 - x0) / mapping.scale), int((6.5 - x0) / mapping.scale)))
    assert np.abs(old[wisp].astype(int) - 235).max() > 8  # the pink wisp the old way painted
    assert np.abs(new[wisp].astype(int) - 235).max() <= 2
    part = (int((27.5 - y0) / mapping.scale), int((16 - x0) / mapping.scale))
    assert new[part][0] > new[part][1] + 30  # the solid part is there, in the dress's red


def test_a_widened_dress_has_no_grey_line_where_its_old_soft_edge_was(tmp_path):
    """Two Fashion-MNIST dresses as lavender photos, "width +3" with the shipped model: inside the
    exported dress (its tinted region, closed and eroded by 3 px) no pixel is grey. Before the
    grown-in region was grown by a model pixel, the photo's soft rim took only the change of level
    and showed as light grey lines along the old edges (397 and 126 such pixels)."""
    from PIL import Image

    from benchmarks.editing import fake_photo
    from editing.cli import main

    grey = 0
    for name in ("00013_dress.png", "00029_dress.png"):
        img = np.asarray(Image.open(Path(__file__).parent / "fixtures" / "fashion-mnist" / name).convert("L"))
        photo = tmp_path / name
        Image.fromarray(fake_photo(img, (150, 120, 200))).save(photo)
        out = tmp_path / f"wide-{name}"
        assert main(["edit", str(photo), "--attr", "width=+3", "--out", str(out)]) == 0
        a = np.asarray(Image.open(out).convert("RGB")).astype(int)
        chroma = a[..., 2] - a[..., 1]  # lavender: blue well over green; grey: equal
        dress = cv2.morphologyEx((chroma > 30).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
        inside = cv2.erode(dress, np.ones((7, 7), np.uint8)).astype(bool)
        assert inside.sum() > 15000  # the dress is there
        grey += int(((chroma < 25) & inside).sum())
    assert grey < 60, grey


def test_the_photo_s_plain_background_stays_where_the_picture_is_background_before_and_after():
    """A walkthrough saw faint grey smudges in the white background beside jeans at Height -3: the
    generator's background noise (up to 12 levels, over the change threshold) carried back. Since
    compositing 11 (`plain`) the photo's background stays wherever the picture is background
    before and after, and the dress's own change still lands; before it, as exported then."""
    photo, before, mapping = dress_photo(235, (120, 40, 60))
    noisy = before.clone()
    noisy[:, 2:6, 1:5] = -1.0 + 0.08  # background noise in a corner, far from the dress (x 9-23)
    after = noisy.clone()
    after[:, 2:6, 1:5] = -1.0 - 0.08  # the edit's noise there: 0.16 levels, 10 photo levels
    after[:, 12:20, 12:20] = before[:, 16, 16] * 0.5  # and the dress changes in its middle
    old, _ = paste_back(photo, mapping, noisy, after, plain=False, soft=False)  # (compositing 10's)
    new, _ = paste_back(photo, mapping, noisy, after)
    x0, y0 = mapping.to_model_point(0, 0)
    corner = (slice(0, int((7 - y0) / mapping.scale)), slice(0, int((6 - x0) / mapping.scale)))
    assert np.abs(old[corner].astype(int) - 235).max() > 4  # the smudge the old way carried
    assert np.array_equal(new[corner], photo[corner])
    middle = (int((16 - y0) / mapping.scale), int((16 - x0) / mapping.scale))
    assert np.abs(new[middle].astype(int) - photo[middle]).max() > 20  # the dress's change lands
    faint, rim = noisy.clone(), after.clone()  # a faint rim beside the dress (x 9-23), under
    faint[:, 4:28, 8], rim[:, 4:28, 8] = -1.0 + 0.13, -1.0 + 0.01  # PLAIN_BELOW, fading: it lands
    edge = (slice(int((8 - y0) / mapping.scale), int((24 - y0) / mapping.scale)),
            int((8.5 - x0) / mapping.scale))
    kept, carried = (paste_back(photo, mapping, faint, rim, plain=plain, soft=False)[0]  # (22 keeps the
                     for plain in (True, False))  # photo's background from going lighter than it is)
    assert np.array_equal(kept[edge], carried[edge]) and not np.array_equal(kept[edge], photo[edge])
    # A recipe of compositing 10 is carried back as then, 11 and later with the background kept.
    assert flags_taken("plain", (10, 11), photo, mapping, noisy, after) == [False, True]


def flags_taken(flag: str, compositings: tuple, photo, mapping, before, after) -> list:
    """The value of paste_back's `flag` that editing.export.render_edit passes for each of
    `compositings` (a recipe of that version rebuilt), its model drawing `before` and `after`."""
    from types import SimpleNamespace

    from editing import export

    taken = []
    model = SimpleNamespace(decode=lambda z: (before if float(z[0, 0]) == 0 else after)[None])
    for compositing in compositings:
        with pytest.MonkeyPatch.context() as m:
            m.setattr(export, "paste_back", lambda *a, **k: taken.append(k[flag]) or (photo, None))
            export.render_edit(model, photo, mapping, torch.zeros(4), torch.ones(4), compositing=compositing)
    return taken


def test_what_a_patch_decides_is_kept_per_patch_but_never_for_another_picture_in_its_memory():
    """The guide and a grey model's object tint are computed once per photo patch (the editor's
    frames reuse them); the same memory holding another picture gets its own."""
    from collections import OrderedDict

    from editing.patch_cache import per_patch
    from editing.silhouette import object_colour
    from training.pixels import LUMA

    def object_tint(patch, background):
        colour = object_colour(patch, background)
        return colour - LUMA @ colour

    cache, calls = OrderedDict(), []
    patch = np.zeros((40, 40, 3), np.uint8)
    patch[10:30, 10:30] = (200, 120, 60)  # an orange object on black
    background = np.zeros(3, np.float32)

    def tint():
        calls.append(1)
        return object_tint(patch, background)

    first = per_patch(cache, patch, background.tobytes(), tint)
    again = per_patch(cache, patch, background.tobytes(), tint)
    assert len(calls) == 1 and again is first
    assert first[0] > 0 > first[2]  # more red than its grey, less blue
    patch[10:30, 10:30] = (60, 120, 200)  # the same memory, a blue object now
    other = per_patch(cache, patch, background.tobytes(), tint)
    assert len(calls) == 2 and other[2] > 0 > other[0]


def test_a_moved_silhouettes_fill_blends_as_the_whole_band_formula_does():
    """apply_change blends the fill only inside its box and in place: the pixels are exactly what
    the formula over the whole patch gives (float32, as every caller passes)."""
    from editing.compositing import apply_change
    from editing.silhouette import Fill

    rng = np.random.default_rng(3)
    h, w = 60, 50
    patch = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    change = rng.normal(0, 20, (h, w, 1)).astype(np.float32)
    mask = np.clip(rng.normal(0.5, 0.5, (h, w)), 0, 1).astype(np.float32)
    left, grew = np.zeros((h, w), np.uint8), np.zeros((h, w), np.uint8)
    left[10:20, 5:30] = rng.integers(0, 256, (10, 25))
    grew[30:45, 20:48] = rng.integers(0, 256, (15, 28))
    fill = Fill(left, grew, np.array([230, 225, 220], np.float32),
                rng.integers(0, 256, (h, w, 1), dtype=np.uint8), np.array([9.5, -2.25, -7.0], np.float32))
    out = patch.copy()
    apply_change(out, patch, change, mask, fill)
    total = change * mask[..., None] + patch
    lf, gr = left[..., None] / np.float32(255), grew[..., None] / np.float32(255)
    total = total * (1 - lf) + fill.background * lf
    total = total * (1 - gr) + (fill.rendered + fill.tint) * gr
    assert np.array_equal(out, np.clip(np.rint(total), 0, 255).astype(np.uint8))
    assert fill.moved() == (slice(10, 45), slice(5, 48))
    colour = rng.normal(0, 30, (h, w, 3)).astype(np.float32)  # a colour model's change, no fill
    out = patch.copy()
    apply_change(out, patch, colour, mask)
    assert np.array_equal(out, np.clip(np.rint(colour * mask[..., None] + patch), 0, 255).astype(np.uint8))


def test_a_grey_model_s_change_toward_the_background_fades_the_tint_as_a_dye_would():
    """Compositing 19: a lavender boot lightened where a sneaker's white sole came kept its tint whole,
    a lilac haze (a walkthrough). A change toward the photo's background now moves the colour toward
    the background's as far as it moves the luminance; away from it, it is added as before. A grown
    part takes the tint in proportion to its level (none at the background's)."""
    from editing.compositing import apply_change
    from editing.silhouette import Fill
    from training.pixels import LUMA

    patch = np.full((4, 4, 3), (180, 160, 220), np.uint8)  # lavender on a white background
    dye, mask = np.full(3, 245, np.float32), np.ones((4, 4), np.float32)

    def luminance(x):
        return x.astype(np.float32) @ LUMA.astype(np.float32)

    def chroma(x):
        return float(np.ptp(x.astype(int), axis=2).mean())

    for step in (20.0, -20.0):
        change = np.full((4, 4, 1), step, np.float32)
        added, dyed = patch.copy(), patch.copy()
        apply_change(added, patch, change, mask)
        apply_change(dyed, patch, change, mask, dye=(dye, luminance(patch)))
        assert np.abs(luminance(dyed) - luminance(added)).max() <= 1.0  # the same brightness
        if step > 0:  # toward the white: the share of its way from it left, the tint as much
            gap = 245 - float(luminance(patch)[0, 0])
            assert chroma(added) == chroma(patch)
            assert chroma(dyed) == pytest.approx(chroma(patch) * (gap - step) / gap, abs=1)
        else:
            assert np.array_equal(dyed, added)
    grown = Fill(np.zeros((1, 3), np.uint8), np.full((1, 3), 255, np.uint8), dye,
                 np.array([[[245], [208], [120]]], np.uint8), np.array([10.0, -10.0, 40.0], np.float32),
                 (245.0, 171.0))
    assert grown.tint_share(grown.rendered)[0] == pytest.approx([0.0, 0.5, 1.0], abs=0.01)
    assert Fill(*(grown.left, grown.grew, dye, grown.rendered, grown.tint)).tint_share(grown.rendered) == 1.0


def test_from_compositing_22_a_light_item_s_tint_fades_toward_its_background_without_a_step():
    """Compositing 19's dye applied only to pixels FADE_APART (20) levels or more from the background's
    luminance: a pink item 19 levels darker than its light background, lightened 25 levels toward it,
    kept its whole tint and went past the background's brightness; one 20 levels darker lost all of
    it. Since compositing 22 the change toward the background moves the luminance no further than
    the background's and fades the tint by the levels moved (past the background too) out of the
    way or PAINT_SOFT, whichever is more (editing.toward.soft_move): no step, the pink fades near the
    background, and a change of a few levels (the generator's noise) takes little of it."""
    from editing.compositing import apply_change
    from editing.toward import PAINT_SOFT
    from training.pixels import LUMA

    def luminance(x):
        return x.astype(np.float32) @ LUMA.astype(np.float32)

    background = np.full(3, 200, np.float32)  # light grey (no channel clips in what follows)
    pink = np.array([20.0, -10.0, -3.0], np.float32)  # a tint of about no luminance
    gaps = np.arange(4.0, 41.0)  # the pixels' luminance below the background's
    patch = np.clip(np.rint(200 - gaps[None, :, None] + pink - LUMA @ pink), 0, 255).astype(np.uint8)
    change = np.full(patch.shape[:2] + (1,), 25.0, np.float32)  # lighter: toward the background
    mask = np.ones(patch.shape[:2], np.float32)
    out = {}
    for soft in (False, True):
        out[soft] = patch.copy()
        apply_change(out[soft], patch, change, mask, dye=(background, luminance(patch)), soft=soft)
    noise = patch.copy()
    apply_change(noise, patch, change / 8, mask, dye=(background, luminance(patch)), soft=True)
    tint = {k: np.ptp(v.astype(float), axis=2)[0] for k, v in out.items()}
    was = np.ptp(patch.astype(float), axis=2)[0]
    gap = 200 - luminance(patch)[0]
    kept = gap < 20  # compositing 19's step: the tint whole below it, lost at 25 levels of way or less above
    assert np.all(tint[False][kept] == was[kept]) and np.all(tint[False][(gap >= 20) & (gap <= 25)] <= 1)
    assert np.all(luminance(out[False])[0][kept] > 200.5)  # past the background's brightness
    assert np.all(luminance(out[True])[0] <= 200.5)  # no further than the background
    expected = was * (1 - np.minimum(25.0 / np.maximum(gap, PAINT_SOFT), 1))
    assert np.abs(tint[True] - expected).max() <= 2.0
    assert np.all(np.ptp(noise.astype(float), axis=2)[0] >= was * 0.85)  # 3 levels: a tenth at most
    assert np.abs(np.diff(tint[True])).max() <= 2.0  # no step (19's: the whole tint at once)
    assert np.abs(np.diff(tint[False])).max() >= 25.0
    # Past a light background, which the model cannot draw (its black), no pixel goes further than it
    # was: 19 lightened the backdrop's own pixels beside a shrunk bag into white blobs (a walkthrough).
    backdrop = np.array([[[200, 200, 200], [202, 202, 202], [190, 190, 190]]], np.uint8)
    lighter = np.full((1, 3, 1), 6.0, np.float32)
    for beyond, expected in ((0, [206, 208, 196]), (1, [200, 202, 196])):
        got = backdrop.copy()
        apply_change(got, backdrop, lighter, np.ones((1, 3), np.float32),
                     dye=(background, luminance(backdrop)), soft=True, beyond=beyond)
        assert got[0, :, 0].tolist() == expected, beyond
    # A print lighter than the backdrop is no dye on it: darkened, it goes as far as the change says
    # (a first version stopped it at the backdrop: a seam of background in a widened striped dress).
    printed = np.array([[[215, 215, 215]]], np.uint8)
    got = printed.copy()
    apply_change(got, printed, np.full((1, 1, 1), -40.0, np.float32), np.ones((1, 1), np.float32),
                 dye=(background, luminance(printed)), soft=True, beyond=1)
    assert got[0, 0, 0] == 175
    from editing.toward import beyond_background
    from inversion.framing import DomainSpec, to_model

    light, dark = np.full((40, 40, 3), 245, np.uint8), np.full((40, 40, 3), 10, np.uint8)
    light[10:30, 10:30], dark[10:30, 10:30] = 40, 220
    spec = DomainSpec("object", 0.875, True)
    assert beyond_background(to_model(light, 32, 1, spec)[1]) == 1
    assert beyond_background(to_model(dark, 32, 1, spec)[1]) == -1
    assert beyond_background(to_model(light, 32, 1, DomainSpec("object", 0.875, False))[1]) == 0


def test_from_compositing_8_a_face_edit_lands_where_its_warps_moved_things():
    """A warp on the hair beside the face: its change was cut away by the face region, so only the
    code's side effect on the face showed (walkthrough). From compositing 8 a recipe's warps widen
    where the edit lands as strokes do; a compositing 7 recipe rebuilds as it was exported."""
    from types import SimpleNamespace

    from editing.edits import recipe_edit
    from editing.export import MASK_THRESHOLD
    from editing.warp import Warp

    class Flat:  # a "generator": code 0 draws black, any other code a lighter grey everywhere
        gan = SimpleNamespace(channels=3)

        @staticmethod
        def decode(z):
            return torch.full((len(z), 3, R, R), 0.4) * (z.abs().sum(1) > 0).float()[:, None, None, None]

    mapping, to_photo = aligned_face_mapping()
    photo = np.random.default_rng(2).integers(40, 200, (360, 400, 3)).astype(np.uint8)
    warp = Warp((24.0, 8.0), (40.0, 8.0), 3.0)
    entry = {"z_edit": [1.0] * 4, "strokes": [], "warps": [warp.to_dict()]}
    on = np.rint(to_photo @ [32.0, 8.0, 1.0]).astype(int)
    assert face_region(TEMPLATE, R)[8, 32] == 0
    for compositing, lands in ((7, False), (8, True)):
        out = recipe_edit(Flat, photo, mapping, torch.zeros(4), entry, MASK_THRESHOLD, compositing, False)
        assert (out[on[1], on[0]].astype(int) - photo[on[1], on[0]] > 40).all() == lands, compositing


def test_beside_the_face_a_colour_stroke_lands_on_what_it_covers_inside_the_face_not_on_the_wall():
    """Compositing 12: a colour stroke across the fringe that runs past the hair onto the wall at
    both ends lands on the hair beside the face region (the colour it covers inside the region)
    and not on the wall (a black stroke across the astronaut's hair left hard-edged dark blocks on
    the wall at its ends); a sketch stroke, and a warp's band (which moves the hair onto the
    wall), keep their whole reach; so do recipes before compositing 12."""
    from editing.landing import face_reaches
    from editing.solver import Stroke
    from editing.warp import Warp, reach_strokes

    mapping, to_photo = aligned_face_mapping()
    yy, xx = np.mgrid[0:R, 0:R]
    colours = np.full((R, R, 3), (150, 160, 175), np.uint8)  # a blue-grey wall
    colours[(yy < 24) & (xx >= 10) & (xx < 54)] = (130, 90, 70)  # brown hair across the top
    colours[(yy >= 24) & (xx >= 14) & (xx < 50)] = (220, 170, 140)  # skin
    photo = cv2.warpAffine(colours, to_photo, (400, 360), flags=cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_REPLICATE)
    line = ((2.0, 14.0), (62.0, 14.0))
    colour, sketch = Stroke("color", line, 2.0, (-1.0, -1.0, -1.0)), Stroke("sketch", line, 2.0)
    region = face_region(TEMPLATE, R)
    assert region[14, 32] > 0.5 and region[14, 16] == 0 and region[14, 4] == 0
    before, after = torch.zeros(3, R, R), torch.full((3, R, R), -0.4)  # 51 levels darker

    def darkened(strokes, compositing=COMPOSITING, y=14.0):
        reach, colour_reaches = face_reaches(strokes, mapping, 3, compositing)
        out, _ = paste_back(photo, mapping, before, after, reach=reach, colour_reaches=colour_reaches)
        return [int((photo[p[1], p[0]].astype(int) - out[p[1], p[0]]).min())
                for p in (np.rint(to_photo @ [x, y, 1.0]).astype(int) for x in (4, 16, 32, 48, 60))]

    wall_left, hair_left, middle, hair_right, wall_right = darkened([colour])
    assert min(hair_left, middle, hair_right) > 40  # the hair, inside the face region and beside it
    assert max(wall_left, wall_right) <= 2  # the wall at the stroke's ends
    assert min(darkened([colour], 11)) > 40  # as compositing 11 carried it back
    assert min(darkened([sketch])) > 40  # a sketch keeps its band
    assert darkened([colour, Stroke("erase", line, 4.0)])[1] == 0  # erased: lands nowhere beside the face
    # a warp's band moves the hair onto the wall: it keeps its reach
    assert min(darkened(reach_strokes((), [Warp(line[0], line[1], 2.0)]))) > 40
    # each colour stroke by its own colours: a stroke wholly on the wall, beside the face region,
    # keeps its reach (nothing inside tells what it paints) beside one that covers the fringe
    on_wall = Stroke("color", ((2.0, 50.0), (8.0, 50.0)), 2.0, (-1.0, -1.0, -1.0))
    assert region[50, 4] == 0 and darkened([on_wall], y=50.0)[0] > 40
    assert darkened([colour, on_wall], y=50.0)[0] > 40 and max(darkened([colour, on_wall])[::4]) <= 2


def hair_scene() -> tuple[np.ndarray, np.ndarray]:
    """A face square in model pixels: brown hair across the top (the fringe inside the face region)
    and down the sides, skin in the middle and on the neck beside the face, a blue-grey wall below
    the hair at the sides; and a hair slider's change: the hair darkened, and the wall and the neck
    beside it too (the generator's hair is wider than the photo's: a halo), the skin below the
    brows nearly as much (as Blond hair greys a face), the forehead a little."""
    yy, xx = np.mgrid[0:R, 0:R]
    hair = (yy < 20) | (((xx < 14) | (xx > 50)) & (yy < 40))
    neck = (xx < 14) & (yy >= 42) & (yy < 48)
    wall = ~hair & ~neck & ((xx < 14) | (xx > 50))
    colours = np.full((R, R, 3), (220, 170, 140), np.uint8)  # skin
    colours[hair], colours[wall] = (100, 60, 30), (150, 160, 175)
    change = np.full((R, R), -0.25, np.float32)  # 32 levels: the skin's below the brows
    change[(yy >= 20) & (yy < 26)] = -0.05  # 6 levels: the forehead's
    change[hair | wall | neck] = -0.4
    return colours, change


def test_a_hair_slider_lands_on_the_photo_s_hair_beside_the_face_and_not_on_the_wall():
    """A walkthrough's Blond hair +2 made a streak across the fringe, the rest of the hair as it was:
    the face region ends at the fringe. With `hair` the change lands on the hair beside the face
    too, kept to the hair's colours (the wall beside it, which the change also darkened, keeps the
    photo's), and nowhere beyond the grown ellipse."""
    from editing.face_paste import HAIR_GROWTH, hair_reach

    mapping, to_photo = aligned_face_mapping()
    colours, change = hair_scene()
    photo = cv2.warpAffine(colours, to_photo, (400, 360), flags=cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_REPLICATE)
    before = torch.zeros(3, R, R)
    after = torch.from_numpy(change)[None].expand(3, R, R).clone()
    plain, _ = paste_back(photo, mapping, before, after)
    on_hair, _ = paste_back(photo, mapping, before, after, hair=True)

    def at(image, x, y):
        px = np.rint(to_photo @ [x, y, 1.0]).astype(int)
        return image[px[1], px[0]].astype(int)

    assert face_region(TEMPLATE, R)[30, 8] == 0 and face_region(TEMPLATE, R)[50, 10] == 0
    assert (at(plain, 8, 30) == at(photo, 8, 30)).all(), "before: the hair beside the face kept"
    assert (at(photo, 8, 30) - at(on_hair, 8, 30) > 15).all(), "now: the hair beside the face darkened"
    assert np.abs(at(photo, 10, 50) - at(on_hair, 10, 50)).max() <= 2, "the wall beside it: no halo"
    assert np.abs(at(photo, 8, 45) - at(on_hair, 8, 45)).max() <= 2, "the neck beside it: skin, not hair"
    assert (at(photo, 32, 16) - at(plain, 32, 16) >= 30).all()  # the fringe, both ways
    grown = face_region(TEMPLATE, R, grow=HAIR_GROWTH)
    beyond = cv2.warpAffine(grown, to_photo, (400, 360), flags=cv2.INTER_LINEAR) == 0
    assert np.array_equal(on_hair[beyond], photo[beyond])
    # a change too faint inside the face to tell the hair's colour by: the face region alone
    faint = torch.full((3, R, R), -0.04)
    levels = (faint - before).permute(1, 2, 0).numpy() * 127.5
    assert hair_reach(photo, mapping.matrix, TEMPLATE, R, levels) is None
    assert np.array_equal(paste_back(photo, mapping, before, faint, hair=True)[0],
                          paste_back(photo, mapping, before, faint)[0])


def test_hair_sliders_are_told_by_name_and_an_entry_records_it():
    from editing.edits import edit_entry
    from editing.landing import moves_hair

    assert moves_hair({"Blond_Hair": 2.0}) and moves_hair((("Black_Hair", -1.0), ("Male", 1.0)))
    assert moves_hair({"Blond_Hair (keep Male, Young)": 1.0})  # a variant of one
    assert not moves_hair({"Blond_Hair": 0.0, "Male": 2.0}) and not moves_hair({})
    assert not moves_hair({"Wavy_Hair": 2.0, "Receding_Hairline": 2.0})  # shapes, not colours
    code = torch.zeros(4)
    assert edit_entry(code, hair=True)["hair"] is True and "hair" not in edit_entry(code)


def test_a_hair_slider_on_the_astronaut_darkens_her_hair_beside_the_face_and_rebuilds_exactly(tmp_path):
    """The shipped face model on a real portrait, through `latent-edit`: Black hair +2 lands on the
    hair beside the face (it landed on the fringe alone before compositing 9), its recipe says so
    and rebuilds the export bit for bit; nothing beyond the grown ellipse changes."""
    import json

    import pytest

    from editing.cli import main
    from editing.face_paste import HAIR_GROWTH
    from inversion.framing import check_mapping
    from training.errors import UserError
    from training.modelfile import resolve_model
    from training.validate import Fields

    skimage_data = pytest.importorskip("skimage.data")
    try:
        resolve_model("celeba-64")
    except UserError:
        pytest.skip("the face model is not in assets/models")
    from PIL import Image

    photo = tmp_path / "astronaut.png"
    Image.fromarray(skimage_data.astronaut()).save(photo)
    code, out = tmp_path / "a.npz", tmp_path / "dark.png"
    assert main(["invert", str(photo), "--model", "celeba-64", "--out", str(code), "--steps", "10",
                 "--no-tune", "--quiet"]) == 0
    assert main(["edit", str(photo), "--model", "celeba-64", "--code", str(code), "--attr",
                 "Black_Hair=2", "--out", str(out)]) == 0
    recipe = json.loads((tmp_path / "dark.png.recipe.json").read_text())
    assert recipe["hair"] is True and recipe["export"]["compositing"] >= 9
    assert main(["edit", "--recipe", str(tmp_path / "dark.png.recipe.json"), "--out",
                 str(tmp_path / "again.png")]) == 0
    pixels, again = (np.asarray(Image.open(p)).astype(int) for p in (out, tmp_path / "again.png"))
    assert np.array_equal(pixels, again)

    recipe["export"]["compositing"] = 8  # the same edit carried back as before hair_reach
    (tmp_path / "old.json").write_text(json.dumps(recipe))
    assert main(["edit", "--recipe", str(tmp_path / "old.json"), "--out", str(tmp_path / "old.png")]) == 0
    before = np.asarray(Image.open(tmp_path / "old.png")).astype(int)
    original = np.asarray(Image.open(photo).convert("RGB")).astype(int)
    mapping = check_mapping(Fields("the recipe", ValueError), recipe["mapping"])
    size = (original.shape[1], original.shape[0])

    def on_photo(region):
        return cv2.warpAffine(region, mapping.matrix, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)

    face = on_photo(face_region(mapping.landmarks, R)) > 0.5
    grown = on_photo(face_region(mapping.landmarks, R, grow=HAIR_GROWTH))
    ring = (grown > 0.5) & ~face
    change = np.abs(pixels - original).max(axis=2)
    old = np.abs(before - original).max(axis=2)
    assert change[ring].mean() > 3 * old[ring].mean()
    assert np.array_equal(pixels[grown == 0], original[grown == 0])


def test_a_sweep_and_the_stroke_candidates_carry_a_hair_slider_back_on_the_hair(monkeypatch):
    """The animation's frames and the candidates' views land where the screen and the export do:
    on the hair, for a hair colour slider (swept, or among the state's own); an object's strokes
    on the edit of the sliders alone, the swept one with the state's (editing.landing.object_reach)."""
    import editing.animate
    from editor.state import Snapshot
    from editor.strokes import with_views

    seen = []
    monkeypatch.setattr(editing.animate, "render_edit",
                        lambda *args, **kw: (seen.append((kw["hair"], kw["z_slid"]))
                                             or (np.zeros((2, 2, 3), np.uint8),)))
    monkeypatch.setattr(editing.animate, "apply_sliders",
                        lambda z, vectors, values, ref=None: z + sum(values.values()))
    vectors = {"Black_Hair": None, "Male": None}
    for name, hair, expected in (("Black_Hair", False, True), ("Male", False, False), ("Male", True, True)):
        seen.clear()
        list(editing.animate.sweep_frames(None, None, None, torch.zeros(4), torch.zeros(4), vectors, name, 3,
                                          hair=hair))
        assert seen and all(h is expected for h, _ in seen)
        assert [s is None for _, s in seen].count(True) == 1  # the frame at 0 only (the state itself)
        assert all(s is None or float(s[0]) != 0 for _, s in seen)  # z0 moved by the swept slider
        seen.clear()
        list(editing.animate.sweep_frames(None, None, None, torch.zeros(4), torch.zeros(4), vectors, name, 3,
                                          hair=hair, z_slid=torch.full((4,), 5.0)))
        swept = sorted(5.0 + v for v in editing.animate.sweep_values(3))  # the state's own, swept
        assert sorted(float(s[0]) for _, s in seen) == pytest.approx(swept)

    class Renderer:
        def render(self, z, region, offset, strokes, outside, ground, hair, z_slid, layers):
            return (hair, z_slid), z

        def crop_to_square(self, frame):
            return frame

        lands_apart = False

    step = type("Step", (), {"z": [torch.zeros(4)] * 2})()
    slid = torch.ones(4)
    for sliders, expected in (((("Blond_Hair", 1.0),), True), ((("Male", 1.0),), False)):
        state = Snapshot("stroke", torch.zeros(4), sliders)
        views = list(with_views(iter([step]), Renderer(), state, (), z_slid=slid))[-1][1]
        assert views == [(expected, slid)] * 2


def test_a_state_s_sliders_alone_are_its_code_less_its_strokes(monkeypatch):
    """editor.render.slid_code: the code a state's sliders alone reach from z0, whatever base its
    strokes gave it; after a drag, from the drag's end, less the sliders it started with."""
    import editor.state
    from editor.render import slid_code
    from editor.state import Moved, Snapshot

    along = torch.tensor([1.0, 0.0, 0.0, 0.0])  # the slider's offset per unit
    monkeypatch.setattr(editor.state, "apply_sliders",
                        lambda z, vectors, values, ref=None: z + along * sum(values.values()))
    z0 = torch.zeros(4)
    stroked = Snapshot("stroke", torch.tensor([0.0, 3.0, 0.0, 0.0]), (("a", 2.0),))
    assert torch.equal(slid_code(stroked, {}, z0), torch.tensor([2.0, 0.0, 0.0, 0.0]))
    assert slid_code(Snapshot("stroke", torch.ones(4)), {}, z0) is None  # no slider moved
    start = Snapshot("slid", z0, (("a", 1.0),))
    end = torch.tensor([1.0, 0.0, 5.0, 0.0])  # the drag's end, with the start's slider
    after = Snapshot("slid", end - along, (("a", 3.0),), moved=Moved(start, None, end))
    assert torch.equal(slid_code(after, {}, z0), torch.tensor([3.0, 0.0, 5.0, 0.0]))
    back = Snapshot("back", end - along, (), moved=Moved(start, None, end))  # set back to 0 after it
    assert torch.equal(slid_code(back, {}, z0), torch.tensor([0.0, 0.0, 5.0, 0.0]))
    plain = Snapshot("dragged", end, (), moved=Moved(Snapshot("opened", z0), None, end))
    assert slid_code(plain, {}, z0) is None  # no slider before or after the drag


def test_a_face_s_colour_strokes_alone_land_where_they_are_painted_not_over_the_face():
    """Walkthrough 55 painted a dark red stroke across the astronaut's lips: the lips hardly
    changed and the whole face came out darker and blotchy (the generator's change of the whole face,
    carried back over the face region). Since compositing 26 an aligned face's edit of colour
    strokes alone lands within their reach, on the colours they cover (editing.landing.
    face_region_lands); with a slider moved, or a sketch among the strokes, over the face region as
    before; compositing 25's exports rebuild as they were; the preview lands it as the export does."""
    from dataclasses import replace
    from types import SimpleNamespace

    from editing.export import render_edit
    from editing.landing import face_region_lands
    from editing.solver import Stroke
    from editor.render import Renderer

    class Flat:  # a "generator": code 0 draws mid-grey, any other code darker everywhere
        gan = SimpleNamespace(channels=3)

        @staticmethod
        def decode(z):
            return torch.full((len(z), 3, R, R), -0.4) * (z.abs().sum(1) > 0).float()[:, None, None, None]

    mapping, to_photo = aligned_face_mapping()
    photo = np.full((360, 400, 3), (220, 170, 140), np.uint8)  # skin all over
    lips = Stroke("color", ((26.0, 50.0), (38.0, 50.0)), 1.5, (0.2, -0.8, -0.7))
    z0, z1 = torch.zeros(4), torch.ones(4)

    def darker(out, x, y):
        p = np.rint(to_photo @ [x, y, 1.0]).astype(int)
        return int((photo[p[1], p[0]].astype(int) - out[p[1], p[0]]).min())

    assert face_region(TEMPLATE, R)[36, 24] == 1  # a cheek, well inside the face region
    old, _ = render_edit(Flat, photo, mapping, z0, z1, strokes=(lips,), compositing=25)
    new, _ = render_edit(Flat, photo, mapping, z0, z1, strokes=(lips,))
    assert darker(old, 32, 50) > 40 and darker(old, 24, 36) > 40  # before: the lips and the cheek
    assert darker(new, 32, 50) > 40 and darker(new, 24, 36) == 0  # now: the lips alone
    shown, _ = Renderer(Flat, photo, mapping, z0).render(z1, strokes=(lips,))
    assert np.array_equal(shown, new)
    slid, _ = render_edit(Flat, photo, mapping, z0, z1, strokes=(lips,), z_slid=z1)  # a slider too
    assert darker(slid, 24, 36) > 40
    sketch = Stroke("sketch", ((26.0, 50.0), (38.0, 50.0)), 1.5)
    assert face_region_lands((lips, sketch), mapping) and face_region_lands((sketch,), mapping)
    assert not face_region_lands((lips, Stroke("erase", ((26.0, 50.0), (30.0, 50.0)), 2.0)), mapping)
    assert face_region_lands((lips,), mapping, compositing=25) and face_region_lands((lips,), mapping,
                                                                                    sliders_moved=True)
    assert face_region_lands((lips,), replace(mapping, affine=()))  # not a face: paste_back's own rules


def test_the_editor_s_preview_carries_a_face_s_colour_stroke_back_as_the_export_does():
    """The preview (editor.render.Renderer) splits the strokes' reach as the export does
    (editing.export.face_reaches): a colour stroke past the hair leaves the wall alone on screen
    too, pixel for pixel the export's."""
    from editing.export import render_edit
    from editing.solver import Stroke
    from editor.render import Renderer

    class Flat:  # a "generator": code 0 draws mid-grey, any other code darker everywhere
        @staticmethod
        def decode(z):
            return torch.full((len(z), 3, R, R), -0.4) * (z.abs().sum(1) > 0).float()[:, None, None, None]

    mapping, to_photo = aligned_face_mapping()
    yy, xx = np.mgrid[0:R, 0:R]
    colours = np.full((R, R, 3), (150, 160, 175), np.uint8)  # a blue-grey wall
    colours[(yy < 24) & (xx >= 10) & (xx < 54)] = (130, 90, 70)  # brown hair across the top
    photo = cv2.warpAffine(colours, to_photo, (400, 360), flags=cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_REPLICATE)
    stroke = Stroke("color", ((2.0, 14.0), (62.0, 14.0)), 2.0, (-1.0, -1.0, -1.0))
    z0, z1 = torch.zeros(4), torch.ones(4)
    exported, _ = render_edit(Flat, photo, mapping, z0, z1, strokes=(stroke,))
    shown, _ = Renderer(Flat, photo, mapping, z0).render(z1, strokes=(stroke,))
    assert np.array_equal(shown, exported)
    wall = np.rint(to_photo @ [4.0, 14.0, 1.0]).astype(int)
    assert np.array_equal(shown[wall[1], wall[0]], photo[wall[1], wall[0]])


def test_a_faint_change_of_one_sign_over_an_area_is_carried_back_and_faint_flicker_is_not():
    """Held "brightness +0.58" lightened a plain coat by 3.5 photo levels, all under the change
    threshold (6), and the export changed only the coat's edges. Since compositing 13 (`coherent`)
    such a change of one sign over an area lands; a faint flicker of either sign from pixel to
    pixel, as strong, still does not; nor does the faint change where the model sees the whole
    image; older recipes carry it back as then."""
    photo, before, mapping = dress_photo(235, (120, 40, 60))  # the dress: model x 9-23, y 3-29
    level = mapping.gain / 127.5  # one photo level in the model's units
    after = before.clone()
    after[:, 6:14, 11:21] += 3.5 * level * (-1 if mapping.invert else 1)  # the upper dress lighter
    flicker = torch.ones(6, 10)
    flicker[::2, ::2] = flicker[1::2, 1::2] = -1  # a checkerboard of +-4 levels on the lower dress
    after[:, 18:24, 11:21] += 4.0 * level * flicker
    old, _ = paste_back(photo, mapping, before, after, coherent=False)
    new, _ = paste_back(photo, mapping, before, after)
    x0, y0 = mapping.to_model_point(0, 0)
    box = lambda y, x: (slice(int((y[0] - y0) / mapping.scale), int((y[1] - y0) / mapping.scale)),  # noqa: E731
                        slice(int((x[0] - x0) / mapping.scale), int((x[1] - x0) / mapping.scale)))
    upper, lower = box((8, 12), (13, 19)), box((19, 23), (13, 19))
    assert np.array_equal(old[upper], photo[upper])  # under the threshold: nothing landed
    lighter = new[upper].astype(float).mean((0, 1)) - photo[upper].astype(float).mean((0, 1))
    assert LUMA @ lighter > 2.0 and (lighter > 1.0).all(), lighter  # most of the 3.5 levels, every channel
    # lighter (toward the light background: red the least, as a dye fades, compositing 19)
    assert np.abs(new[lower].astype(int) - photo[lower]).max() <= 1  # the flicker stays away
    from dataclasses import replace

    whole = replace(mapping, whole_image=True)
    assert np.array_equal(paste_back(photo, whole, before, after, silhouette=False)[0][upper], photo[upper])
    assert flags_taken("coherent", (12, 13), photo, mapping, before, after) == [False, True]


def luma(pixels: np.ndarray) -> np.ndarray:
    """The luminance of (..., 3) uint8 pixels, float."""
    from training.pixels import LUMA

    return pixels.astype(np.float64) @ LUMA


def three_codes(before: torch.Tensor, lighter: torch.Tensor, after: torch.Tensor):
    """A "generator" of three pictures: code 0 draws `before` (the dress as it was), codes summing to 2
    `lighter` (the sliders' edit), any other `after` (the whole edit)."""
    class Drawn:
        @staticmethod
        def decode(z):
            return torch.stack([before if float(c.abs().sum()) == 0 else lighter if float(c.sum()) == 2
                                else after for c in z])

    return Drawn


def test_an_unaligned_photo_s_colour_strokes_land_within_their_bands():
    """A white stroke across brown trousers, which the model cannot draw, paled a whole leg from hip
    to hem (a walkthrough). Since compositing 14 an edit made by colour strokes on a photo the model
    sees unaligned lands within the strokes' bands (editing.export.object_reach), and the photo
    stays as it was elsewhere, bit for bit; the preview's path (face_reaches) gives the same reach;
    with a sketch among the strokes, or in an older recipe, the whole change lands as before."""
    from editing.landing import face_reaches, object_reach
    from editing.solver import Stroke

    photo, before, mapping = dress_photo(235, (120, 40, 60))  # the dress: model x 9-23, y 3-29
    after = before.clone()
    after[:, 3:29, 9:24] -= 0.3  # the generator's change: the whole dress, not only the stroke's row
    stroke = Stroke("color", ((9.0, 16.0), (23.0, 16.0)), radius=0.6, value=(-1.0,))
    reach = object_reach((stroke,), mapping, 1, 15)  # model pixels (from 16 on, the brush's width:
    # test_a_brush_lands_within_its_own_width_on_the_photo)
    assert reach is not None and reach[16, 16] == 1 and reach[8, 16] == 0
    assert face_reaches((stroke,), mapping, 1, 15)[0] is reach  # the editor's preview takes the same
    whole, _ = paste_back(photo, mapping, before, after, fade=False, plate=False)  # 15's, as recipes below
    new, mask = paste_back(photo, mapping, before, after, reach=reach, fade=False, plate=False)
    x0, y0 = mapping.to_model_point(0, 0)
    at = lambda y, x: (int((y - y0) / mapping.scale), int((x - x0) / mapping.scale))  # noqa: E731
    assert np.array_equal(new[: at(13, 0)[0]], photo[: at(13, 0)[0]])  # above the band: the photo
    assert np.array_equal(new[at(19.5, 0)[0]:], photo[at(19.5, 0)[0]:])  # and below it
    assert np.abs(whole[at(8, 16)].astype(int) - photo[at(8, 16)]).max() > 20  # the whole change there
    assert np.array_equal(new[at(16, 16)], whole[at(16, 16)])  # under the stroke: all of it
    assert mask[at(8, 16)] == 0 and mask[at(16, 16)] > 0.9
    in_place = photo.copy()
    assert np.array_equal(paste_back(in_place, mapping, before, after, reach=reach, in_place=True, fade=False,
                                     plate=False)[0], new)
    assert np.array_equal(in_place, new)
    sketch = Stroke("sketch", ((9.0, 10.0), (9.0, 20.0)), radius=0.6)
    assert object_reach((stroke, sketch), mapping, 1) is None  # an outline moved: the whole change
    assert object_reach((stroke,), mapping, 1, compositing=13) is None  # as exported then
    assert object_reach((stroke,), mapping, 1, 14, sliders_moved=True) is None  # 14: the whole item
    assert object_reach((stroke,), mapping, 1, 15, sliders_moved=True) is reach  # 15: on the sliders' edit
    from editing.export import render_edit

    lighter = before.clone()
    lighter[:, 3:29, 9:24] += 0.2  # the sliders' change: the whole dress lighter

    Drawn = three_codes(before, lighter, after)
    z0, z1, z_slid = torch.zeros(4), torch.ones(4), torch.full((4,), 0.5)
    slid, _ = paste_back(photo, mapping, before, lighter, fade=False, plate=False)  # the sliders' edit alone
    assert np.abs(slid[at(8, 16)].astype(int) - photo[at(8, 16)]).max() > 5
    for code, compositing, expected in ((None, 15, new), (z_slid, 14, whole), (z_slid, 15, None)):
        exported, _ = render_edit(Drawn, photo, mapping, z0, z1, compositing=compositing, strokes=(stroke,),
                                  z_slid=code)
        if expected is not None:
            assert np.array_equal(exported, expected)
    top, bottom = at(13, 0)[0], at(19.5, 0)[0]  # beyond the band: the sliders' edit, bit for bit
    assert np.array_equal(exported[:top], slid[:top]) and np.array_equal(exported[bottom:], slid[bottom:])
    assert np.array_equal(exported[at(16, 16)], whole[at(16, 16)])  # under the stroke: all of it


def test_a_brush_lands_within_its_own_width_on_the_photo():
    """A 12 px brush across trousers landed as a blocky band 48 px tall: a model pixel around what it
    painted, then the falloff, each model pixel 10 photo pixels (a walkthrough). Since compositing
    16 an object's colour strokes land within each brush's own width, drawn at the photo's
    resolution (editing.landing.BrushBand): whole within its radius of the line less BRUSH_EDGE of
    it, nothing past the radius and BRUSH_EDGE, the sliders' edit or the photo beyond, bit for bit;
    an eraser takes away what it passes over; the preview draws what the export does; a file of
    strokes past BAND_WORK falls back to compositing 15's band."""
    from editing import brush_band as bands
    from editing.export import render_edit
    from editing.landing import BRUSH_EDGE, BrushBand, object_reach, on_photo
    from editing.solver import Stroke
    from editor.render import Renderer

    photo, before, mapping = dress_photo(235, (120, 40, 60))  # the dress: model x 9-23, y 3-29
    after, lighter = before.clone(), before.clone()
    after[:, 3:29, 9:24] -= 0.3  # the generator's change: the whole dress
    lighter[:, 3:29, 9:24] += 0.2  # the sliders' change: the whole dress lighter
    stroke = Stroke("color", ((9.0, 16.0), (23.0, 16.0)), radius=0.6, value=(-1.0,))
    band = object_reach((stroke,), mapping, 1)
    assert isinstance(band, BrushBand)
    radius = 0.6 / mapping.scale  # photo pixels
    x0, y0 = mapping.to_model_point(0, 0)
    line_y = (16.0 - y0) / mapping.scale  # the stroke's line on the photo
    top, left, weights = on_photo(band, mapping)
    rows = np.flatnonzero(weights[:, weights.shape[1] // 2] > 0) + top + 0.5  # pixel centres
    outer = radius * (1 + BRUSH_EDGE)
    assert np.abs(rows - line_y).max() <= outer + 0.5  # nothing past the fade
    assert np.abs(rows - line_y).min() < 1 and len(rows) <= 2 * outer + 2
    model_band = on_photo(object_reach((stroke,), mapping, 1, 15), mapping)[2]
    assert model_band.shape[0] > 2 * len(rows)  # compositing 15: more than twice as tall
    whole, _ = paste_back(photo, mapping, before, after)
    new, mask = paste_back(photo, mapping, before, after, reach=band)
    inside = np.abs(np.arange(300) + 0.5 - line_y) <= radius * (1 - BRUSH_EDGE) - 0.5
    beyond = np.abs(np.arange(300) + 0.5 - line_y) > outer + 0.5
    centre = slice(120, 180)  # the dress's middle columns
    assert np.abs(luma(new) - luma(whole))[inside, centre].max() <= 1  # within the radius: all of it
    # (its colour toward the paint's: test_a_grey_model_s_stroke_moves_the_colour_toward_its_paint)
    assert np.array_equal(new[beyond], photo[beyond]) and not mask[beyond].any()
    assert np.abs(whole[beyond, centre].astype(int) - photo[beyond, centre]).max() > 20

    Drawn = three_codes(before, lighter, after)
    z0, z1, z_slid = torch.zeros(4), torch.ones(4), torch.full((4,), 0.5)
    slid, _ = paste_back(photo, mapping, before, lighter)  # the sliders' edit alone
    exported, _ = render_edit(Drawn, photo, mapping, z0, z1, strokes=(stroke,), z_slid=z_slid)
    shown, _ = Renderer(Drawn, photo, mapping, z0).render(z1, strokes=(stroke,), z_slid=z_slid)
    assert np.array_equal(shown, exported)  # the preview as the export
    assert np.array_equal(exported[beyond], slid[beyond])  # beyond the brush: the sliders' edit
    assert np.abs(luma(exported) - luma(whole))[inside, centre].max() <= 1
    eraser = Stroke("erase", ((16.0, 12.0), (16.0, 20.0)), radius=1.0)  # across the middle of the line
    erased = on_photo(object_reach((stroke, eraser), mapping, 1), mapping)
    cx = int((16.0 - x0) / mapping.scale) - erased[1]
    assert erased[2][:, cx].max() == 0 and erased[2].max() == 1  # its middle gone, its ends kept
    below = 9 * mapping.scale  # an eraser's line 9 photo px below the stripe's (outside its box),
    # its brush reaching 7.5 px: it takes the stripe's lower edge (it once measured nothing there)
    edge = Stroke("erase", ((9.0, 16.0 + below), (23.0, 16.0 + below)), 6 * mapping.scale)
    t, lf, kept = on_photo(object_reach((stroke, edge), mapping, 1), mapping)
    row, col = int(line_y + 4) - t, int((16.0 - x0) / mapping.scale) - lf
    assert weights[int(line_y + 4) - top, col + lf - left] > 0 and kept[row, col] == 0
    assert kept[int(line_y - 2) - t, col] == 1  # above the line: untouched
    along = Stroke("erase", stroke.points, stroke.radius)  # drawn over it with the same brush: all of
    # it goes (a softer eraser left thin lines along its edges: a walkthrough)
    assert on_photo(object_reach((stroke, along), mapping, 1), mapping)[2].max() == 0
    bands.forget_bands()
    old, bands.BAND_WORK = bands.BAND_WORK, 0.01
    try:  # a stranger's file of more strokes than that: the model's band
        assert np.array_equal(on_photo(band, mapping)[2], model_band)
    finally:
        bands.BAND_WORK = old
        bands.forget_bands()


def test_each_stroke_lands_the_code_that_followed_it():
    """A white stroke below a black stripe on a pullover lightened the whole item and broke the stripe
    into grey segments (a walkthrough): each stroke landed the latest code. Since compositing 17 the
    first strokes each land the code that followed them (`layers`: editing.layers.layered_bands), the
    strokes after them the edit's own, later ones on top; an eraser after them takes theirs away too."""
    from editing.export import render_edit
    from editing.landing import BrushBand, object_reach
    from editing.layers import layered_bands
    from editing.solver import Stroke
    from editor.render import Renderer

    photo, before, mapping = dress_photo(235, (120, 40, 60))  # the dress: model x 9-23, y 3-29
    dark, light = before.clone(), before.clone()
    dark[:, 3:29, 9:24] += 0.5  # the first stroke's code: the whole dress darker (the model sees it inverted)
    light[:, 3:29, 9:24] -= 0.4  # the second's: the whole dress lighter, the first stripe too
    Drawn = three_codes(before, dark, light)
    z0, z1, z2 = torch.zeros(4), torch.full((4,), 0.5), torch.ones(4)  # before, dark, light
    first = Stroke("color", ((9.0, 9.0), (23.0, 9.0)), radius=0.6, value=(1.0,))
    second = Stroke("color", ((9.0, 22.0), (23.0, 22.0)), radius=0.6, value=(-1.0,))
    once = render_edit(Drawn, photo, mapping, z0, z1, strokes=(first,))[0]
    flat = render_edit(Drawn, photo, mapping, z0, z2, strokes=(first, second))[0]  # compositing 16's way
    out = render_edit(Drawn, photo, mapping, z0, z2, strokes=(first, second), layers=(z1,))[0]
    y1, y2 = (int(mapping.to_model_point(0, 0)[1] * -1 / mapping.scale + y / mapping.scale) for y in (9, 22))
    rows1, rows2 = slice(y1 - 12, y1 + 12), slice(y2 - 12, y2 + 12)  # each stripe and well past it
    assert np.abs(once[rows1].astype(int) - photo[rows1]).max() > 40  # the first stripe, darker
    assert np.array_equal(out[rows1], once[rows1])  # kept as it came out, bit for bit
    assert np.abs(flat[rows1].astype(int) - once[rows1]).max() > 40  # it was lightened before
    assert np.array_equal(out[rows2], flat[rows2])  # the second lands its own code
    rest = np.ones(300, bool)
    rest[rows1], rest[rows2] = False, False
    assert np.array_equal(out[rest], photo[rest])  # beyond both: the photo
    older = render_edit(Drawn, photo, mapping, z0, z2, strokes=(first, second), compositing=16)[0]
    assert np.array_equal(render_edit(Drawn, photo, mapping, z0, z2, strokes=(first, second), layers=(z1,),
                                      compositing=16)[0], older)  # as an older recipe was made
    shown = Renderer(Drawn, photo, mapping, z0).render(z2, strokes=(first, second), layers=(z1,))[0]
    assert np.array_equal(shown, out)  # the preview as the export
    band = object_reach((first, second), mapping, 1)  # with the sliders' edit under it, in place too (a
    top_band, lower = layered_bands(band, (z1,), z2)  # rebuilt recipe's layers were carried back from the
    layers = tuple((b, dark) for b, _ in lower)  # sliders' edit, written into the photo)
    slid = before.clone()
    slid[:, 3:29, 9:24] += 0.15
    apart = paste_back(photo, mapping, before, light, reach=top_band, under=slid, layers=layers)[0]
    assert np.array_equal(paste_back(photo.copy(), mapping, before, light, reach=top_band, under=slid,
                                     layers=layers, in_place=True)[0], apart)
    eraser = Stroke("erase", first.points, first.radius)  # over the first stripe, after both
    erased = render_edit(Drawn, photo, mapping, z0, z2, strokes=(first, second, eraser), layers=(z1,))[0]
    assert np.array_equal(erased[rows1], photo[rows1]) and np.array_equal(erased[rows2], flat[rows2])

    band = object_reach((first, eraser, second), mapping, 1)
    top, lower = layered_bands(band, (z1, z1), z2)  # the eraser painted on the first's state
    assert top.strokes == (second,) and len(lower) == 1
    assert lower[0][0].strokes == (first, eraser) and lower[0][1] is z1
    top, lower = layered_bands(band, (z1, z2, z2), z2)  # a stroke's layer of the code itself: one
    assert top.strokes == (eraser, second) and lower[0][0].strokes == (first, eraser)
    top, lower = layered_bands(band, (z1, z1, z1), z2)  # every stroke under an older code
    assert top.strokes == () and top.on_photo(mapping) is None and len(lower) == 1
    assert layered_bands(band, (), z2) == (band, ()) and layered_bands(None, (z1,), z2) == (None, ())
    assert isinstance(top, BrushBand)


def test_a_carry_back_asked_for_within_a_window_is_the_whole_one_there_bit_for_bit():
    """A layered edit carries each stroke's code back only within its band's box (`window`): a slider
    frame with 16 codes carried 16 whole patches back. Within the window the photo is the whole
    carry-back's, bit for bit, its silhouette's fill, guided or not, moved outline or not; the mask
    whole; beyond the window the photo itself (unless the outline moved, which moves the crop)."""
    photo, before, mapping = dress_photo(235, (120, 40, 60))
    photo[100:140, 120:180] = (200, 90, 110)  # an edge inside the dress for the guide to follow
    after = before.clone()
    after[:, :, 18:] = -1.0  # the right part goes
    after[:, 8:24, 6:10] = before[:, 16, 14]  # a new part on the left
    after[:, 10:14, 9:18] += 0.4  # and a darker stripe
    windows = [(90, 80, 140, 260), (0, 0, 300, 300), (280, 0, 400, 350), (-20, -20, 40, 500), (0, 0, 0, 0)]
    for flags in ({}, {"guided": False}, {"outline": False}, {"silhouette": False}):
        whole, whole_mask = paste_back(photo, mapping, before, after, **flags)
        assert np.abs(whole.astype(int) - photo).max() > 40
        for top, left, bottom, right in windows:
            part, mask = paste_back(photo, mapping, before, after, window=(top, left, bottom, right), **flags)
            inside = np.zeros(photo.shape[:2], bool)
            inside[max(0, top):max(0, bottom), max(0, left):max(0, right)] = True
            assert np.array_equal(part[inside], whole[inside]), (flags, top, left)
            if flags.get("outline") is False:  # (a moved outline moves the whole crop's pixels)
                assert np.array_equal(part[~inside], photo[~inside])
            assert np.array_equal(mask, whole_mask)


def test_a_later_stroke_lands_over_an_earlier_stripe_where_they_cross():
    """A mid grey stroke across an earlier white stripe: the toward rule judged which way its colour
    lay from z0's picture (darker than the grey), the stripe beneath was lighter, and the white stayed
    on top where they cross (a review). Since compositing 18 it is judged on the photo beneath."""
    from editing.export import render_edit
    from editing.solver import Stroke

    photo, before, mapping = dress_photo(235, (120, 40, 60))  # the dress: model x 9-23, y 3-29
    light, grey = before.clone(), before.clone()
    light[:, 3:29, 9:24] = -0.6  # the first stroke's code: the dress far lighter (the model sees it inverted)
    grey[:, 3:29, 9:24] = 0.0  # the second's: mid grey
    Drawn = three_codes(before, light, grey)
    z0, z1, z2 = torch.zeros(4), torch.full((4,), 0.5), torch.ones(4)
    first = Stroke("color", ((9.0, 16.0), (23.0, 16.0)), radius=1.0, value=(-1.0,))  # white on the photo
    second = Stroke("color", ((16.0, 5.0), (16.0, 27.0)), radius=1.0, value=(0.0,))  # grey, across it
    x0, y0 = mapping.to_model_point(0, 0)
    cx, cy, off = (int((v - o) / mapping.scale) for v, o in ((16.5, x0), (16.5, y0), (8.5, y0)))
    shown = {c: render_edit(Drawn, photo, mapping, z0, z2, strokes=(first, second), layers=(z1,),
                            compositing=c)[0] for c in (17, 18)}
    one = render_edit(Drawn, photo, mapping, z0, z1, strokes=(first,))[0]
    assert luma(one[cy, cx]) > 180 and luma(photo[cy, cx]) < 70  # the white stripe on the dark dress
    assert luma(shown[17][cy, cx]) > 180  # 17: the white stayed on top
    assert abs(luma(shown[18][cy, cx]) - luma(shown[18][off, cx])) < 3  # 18: the grey, as beside it
    assert 100 < luma(shown[18][off, cx]) < 140


def test_a_stroke_leaves_what_already_has_its_colour():
    """A white stroke run past trousers onto their white background darkened it where the generator
    drew grey there (a benchmark: 3.8% of the band moved 8 levels or more the wrong way): a pixel
    already at the paint's level gave no way to judge, and the edit landed whole. Since compositing 18
    a stroke lands by how much nearer its paint it brings a pixel; past the paint counts as reaching it."""
    from editing.export import render_edit
    from editing.solver import Stroke

    photo, before, mapping = dress_photo(235, (120, 40, 60))  # the dress: model x 9-23, y 3-29
    paint = mapping.model_colour((235, 235, 235))  # the background's own level
    stroke = Stroke("color", ((2.0, 16.0), (23.0, 16.0)), radius=0.6, value=paint)  # from beside the dress
    after = before.clone()
    after[:, 14:19, 4:9] += 0.9  # the background beside the dress: darker on the photo (inverted)
    after[:, 14:19, 9:24] = paint[0]  # the dress: the paint's level
    Drawn = three_codes(before, after, after)
    out = {c: render_edit(Drawn, photo, mapping, torch.zeros(4), torch.ones(4), strokes=(stroke,),
                          compositing=c)[0] for c in (17, 18)}
    x0, y0 = mapping.to_model_point(0, 0)
    row, beside, dress = int((16.5 - y0) / mapping.scale), slice(60, 95), slice(120, 180)
    assert np.abs(out[17][row, beside].astype(int) - 235).max() > 20  # darkened where it was white
    assert np.abs(luma(out[18][row, beside]) - 235).max() <= 3  # left as it was (TOWARD_SLACK's levels)
    assert np.abs(out[18][row, dress].astype(int) - 235).max() <= 3  # the dress painted the background's grey


def test_how_far_a_stroke_got_is_read_on_what_lands():
    """BrushBand.reached: the share of the way to the paint that the photo's pixels under a brush
    went, those already near it left out; past it counts as there, the wrong way as nothing."""
    from editing.landing import object_reach
    from editing.solver import Stroke

    photo, before, mapping = dress_photo(235, (120, 40, 60))  # the dress: model x 9-23, y 3-29
    white = Stroke("color", ((12.0, 16.0), (20.0, 16.0)), radius=1.5, value=mapping.model_colour((255,) * 3))
    band = object_reach((white,), mapping, 1)
    top, left, weight = band.on_photo(mapping)
    box = np.s_[top:top + weight.shape[0], left:left + weight.shape[1]]
    paint = band._paint_here(mapping, top, left, weight.shape)[0][..., None]  # the photo's white
    assert band.reached(mapping, photo, photo) == 0.0
    for share, expected in ((0.5, 0.5), (1.4, 1.0), (-0.5, 0.0)):
        out = photo.copy()
        moved = photo[box].astype(np.float32) + share * (paint - photo[box])
        out[box] = np.clip(np.rint(moved), 0, 255).astype(np.uint8)
        assert band.reached(mapping, photo, out) == pytest.approx(expected, abs=0.02), share
    on_white = Stroke("color", ((1.0, 1.0), (6.0, 1.0)), radius=1.0, value=white.value)  # over the background
    assert object_reach((on_white,), mapping, 1).reached(mapping, photo, photo) is None  # nowhere to go


def test_layers_count_runs_of_one_code():
    """An edit's layers hold one code for each of its first strokes; a run of one code counts once,
    whether the codes are tensors (the editor's) or lists (a recipe's, compared in float32 as read)."""
    from editing.layers import layer_count, with_layer

    a, b = torch.zeros(3), torch.ones(3)
    assert with_layer((a,), 3, b) == (a, b, b) and with_layer((), 0, b) == ()
    assert layer_count((a, a, b, a)) == 3 and layer_count(()) == 0
    assert layer_count([[1.0, 2.0], [1.0, 2.0], [2.0, 2.0], [1.0, 2.0]]) == 3
    assert layer_count([[0.1], [np.float32(0.1).item()]]) == 1  # the same float32


def test_a_brush_moves_what_it_paints_only_toward_its_colour():
    """Where the generator moved an item's edge under a black stroke, the stripe's end came out
    lighter than the photo: a white notch (a walkthrough). Since compositing 16 a brush's edit lands
    only where it moves the photo toward the stroke's colour (editing.landing.BrushBand.toward)."""
    from editing.landing import object_reach
    from editing.solver import Stroke

    photo, before, mapping = dress_photo(235, (120, 40, 60))  # the dress: model x 9-23, y 3-29
    stroke = Stroke("color", ((9.0, 16.0), (23.0, 16.0)), radius=0.6, value=(1.0,))  # lighter in the
    # model: darker on this light-background photo (the model sees it inverted)
    after = before.clone()
    after[:, 14:19, 9:24] += 0.4  # toward the stroke's colour ...
    after[:, 14:19, 9:12] -= 0.8  # ... but at its left end, the other way
    band = object_reach((stroke,), mapping, 1)
    whole, _ = paste_back(photo, mapping, before, after)
    new, mask = paste_back(photo, mapping, before, after, reach=band)
    x0, y0 = mapping.to_model_point(0, 0)
    row = int((16.5 - y0) / mapping.scale)
    left, middle = int((10 - x0) / mapping.scale), int((18 - x0) / mapping.scale)
    assert whole[row, left].mean() > photo[row, left].mean() + 20  # the whole change: lighter there
    assert np.array_equal(new[row, left], photo[row, left]) and mask[row, left] == 0  # not landed
    assert new[row, middle].mean() < photo[row, middle].mean() - 20  # darker, as painted
    assert abs(luma(new[row, middle]) - luma(whole[row, middle])) <= 1


def test_a_grey_model_s_stroke_moves_the_colour_toward_its_paint():
    """A white stroke on a navy pullover came out pale blue, on brown trousers tan (walkthroughs): a
    grey model knows only luminance, and its change was added to every channel alike, the item's tint
    kept whole. Since compositing 18 a stroke moves each pixel's colour toward its paint (a grey
    level) as far as it moves its luminance (BrushBand.painted): the luminance is as before, the
    tint fades in proportion, and where the model reaches the paint's level the pixel is that grey."""
    from editing.export import render_edit
    from editing.landing import BRUSH_EDGE
    from editing.solver import Stroke

    photo, before, mapping = dress_photo(235, (120, 40, 60))  # the dress: model x 9-23, y 3-29
    paint = mapping.model_colour((200, 200, 200))  # a light grey, on this inverted photo
    stroke = Stroke("color", ((9.0, 16.0), (23.0, 16.0)), radius=0.6, value=paint)
    after = before.clone()
    after[:, 3:29, 9:24] = paint[0]  # the whole dress at the paint's level
    Drawn = three_codes(before, after, after)
    z0, z1 = torch.zeros(4), torch.ones(4)
    now = render_edit(Drawn, photo, mapping, z0, z1, strokes=(stroke,))[0]
    then = render_edit(Drawn, photo, mapping, z0, z1, strokes=(stroke,), compositing=17)[0]
    x0, y0 = mapping.to_model_point(0, 0)
    row, centre = int((16.5 - y0) / mapping.scale), slice(120, 180)
    assert np.abs(then[row, centre].astype(int) - photo[row, centre]).max() > 100  # much lighter ...
    assert np.ptp(then[row, centre].astype(int), axis=-1).min() > 60  # ... its tint whole: pink
    line = (16.0 - y0) / mapping.scale  # the stroke's line on the photo
    whole = np.abs(np.arange(300) + 0.5 - line) <= 0.6 / mapping.scale * (1 - BRUSH_EDGE) - 0.5
    assert whole.sum() >= 5 and np.abs(now[whole, centre].astype(int) - 200).max() <= 3  # the paint's
    # grey across the brush (rows at the band's edge once kept the tint whole: a pink seam, a review)
    assert np.abs(luma(now) - luma(then))[row, centre].max() <= 1.5  # the luminance as before (where
    # the old way clipped a channel, its luminance fell short: (255, 188, 208) for (200, 200, 200))
    assert np.array_equal(now[row - 20:row + 20, :80], photo[row - 20:row + 20, :80])  # beside the dress
    half = before.clone()
    half[:, 3:29, 9:24] = (before[:, 3:29, 9:24] + paint[0]) / 2  # half way: half the tint left
    mid = render_edit(three_codes(before, half, half), photo, mapping, z0, z1, strokes=(stroke,))[0]
    spread = np.ptp(mid[row, centre].astype(int), axis=-1)
    assert 0.35 * 80 < spread.mean() < 0.65 * 80  # the dress's spread of channels is 80
    eraser = Stroke("erase", stroke.points, 1.0)
    erased = render_edit(Drawn, photo, mapping, z0, z1, strokes=(stroke, eraser))[0]
    assert np.array_equal(erased, photo)  # erased: nothing lands, painted or not


def test_a_grey_near_an_item_s_own_level_fades_its_tint_only_as_far_as_it_moves():
    """A walkthrough painted Level 125 over a brown bag of about that level and got hard-edged grey
    patches: compositing 18 took the share of a way of a few levels, all of it for a move of a few,
    and the whole tint with it, and left the edit as carried back where the way was under
    PAINT_NEAR. Since compositing 20 the tint fades by the levels moved out of PAINT_SOFT at least:
    nearer paints take less of the tint, with no step between them."""
    from editing.export import render_edit
    from editing.toward import PAINT_SOFT
    from editing.solver import Stroke

    photo, before, mapping = dress_photo(235, (120, 40, 60))  # the dress: model x 9-23, y 3-29
    level = luma(photo[150:151, 150])[0]  # the dress's luminance, about 66
    x0, y0 = mapping.to_model_point(0, 0)
    row, centre = int((16.5 - y0) / mapping.scale), slice(130, 170)
    z0, z1 = torch.zeros(4), torch.ones(4)
    spreads = {}
    for compositing in (18, 20):
        for off in (3.0, 5.0, 8.0, 12.0, 20.0, 40.0, -5.0, -12.0, -40.0):  # lighter paints, then darker
            paint = mapping.model_colour((level + off,) * 3)
            stroke = Stroke("color", ((9.0, 16.0), (23.0, 16.0)), radius=0.6, value=paint)
            after = before.clone()
            after[:, 3:29, 9:24] = paint[0]  # the model reaches the paint's level
            out = render_edit(three_codes(before, after, after), photo, mapping, z0, z1, strokes=(stroke,),
                              compositing=compositing)[0][row, centre]
            spreads[compositing, off] = np.ptp(out.astype(int), axis=-1).mean()
            if compositing == 20:
                assert np.abs(luma(out) - (level + off)).max() <= 3, off  # the luminance painted
                moved = abs(float(luma(out).mean() - level))  # (the model's levels are the photo's within 2)
                faded = 80 * (1 - moved / max(abs(off), PAINT_SOFT))
                assert spreads[20, off] == pytest.approx(faded, abs=2), off
    assert spreads[18, 3.0] > 75 and spreads[18, 5.0] < 2  # 18: whole tint at 3 levels, none at 5
    pairs = ((3, 5), (5, 8), (8, 12), (12, 20), (20, 40))
    slopes = [(spreads[20, a] - spreads[20, b]) / (b - a) for a, b in pairs]
    assert all(0 < s <= 6 for s in slopes), slopes  # 20: fading steadily, no step (18: 40 levels of tint
    # a level of paint between 3 and 5; 20, 80 / PAINT_SOFT a level the luminance moves, which the
    # model's levels round)


def test_a_white_stroke_across_trousers_changes_the_photo_only_along_it_and_rebuilds_exactly(tmp_path, capsys):
    """The shipped product model, a white stroke across Fashion-MNIST trousers made a product photo:
    the export changes the photo only along the stroke's band (rows well above and below it are
    the photo's, bit for bit) and rebuilds from its recipe exactly; with a slider moved too, the
    stroke lands on the slider's edit: beyond its band the export is the slider's alone, bit for
    bit (its recipe keeps the code the slider reached: z_slid)."""
    from PIL import Image

    from benchmarks.editing import fake_photo
    from editing.cli import main

    img = np.asarray(Image.open(Path(__file__).parent / "fixtures" / "fashion-mnist" / "00002_trouser.png")
                     .convert("L"))
    photo = fake_photo(img, (150, 100, 60))
    Image.fromarray(photo).save(tmp_path / "trousers.png")
    ys, xs = np.nonzero(np.abs(photo.astype(int) - 250).max(2) >= 30)
    y = int((ys.min() + ys.max()) // 2)
    stroke = {"kind": "color", "points": [[int(xs.min()), y], [int(xs.max()), y]], "radius": 6,
              "colour": [255, 255, 255]}
    (tmp_path / "white.json").write_text(json.dumps({"space": "photo", "strokes": [stroke]}))
    out = tmp_path / "striped.png"
    assert main(["edit", str(tmp_path / "trousers.png"), "--strokes", str(tmp_path / "white.json"),
                 "--out", str(out)]) == 0
    striped = np.asarray(Image.open(out).convert("RGB"))
    changed = np.nonzero((striped != photo).any(2))[0]
    assert changed.size > 500 and y - 40 < changed.min() and changed.max() < y + 40, (y, changed.min(),
                                                                                      changed.max())
    assert main(["edit", "--recipe", str(tmp_path / "striped.png.recipe.json"), "--out",
                 str(tmp_path / "again.png")]) == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "again.png").convert("RGB")), striped)
    both = tmp_path / "both.png"
    assert main(["edit", str(tmp_path / "trousers.png"), "--strokes", str(tmp_path / "white.json"),
                 "--attr", "brightness=+1", "--out", str(both)]) == 0
    recipe = json.loads((tmp_path / "both.png.recipe.json").read_text())
    assert len(recipe["z_slid"]) == len(recipe["z0"])
    both_pixels = np.asarray(Image.open(both).convert("RGB"))
    rows = np.nonzero((both_pixels != photo).any(2))[0]
    assert rows.min() < y - 60 and rows.max() > y + 60  # brightness: the whole item
    alone = tmp_path / "alone.png"
    assert main(["edit", str(tmp_path / "trousers.png"), "--attr", "brightness=+1", "--out", str(alone)]) == 0
    alone_pixels = np.asarray(Image.open(alone).convert("RGB"))
    far = np.abs(np.arange(photo.shape[0]) - y) > 40
    assert np.array_equal(both_pixels[far], alone_pixels[far])  # beyond the stroke: the slider's alone
    near = slice(y - 3, y + 4)
    assert np.abs(both_pixels[near].astype(int) - alone_pixels[near]).max() > 40  # and the stroke on it
    assert main(["edit", "--recipe", str(tmp_path / "both.png.recipe.json"), "--out",
                 str(tmp_path / "both-again.png")]) == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "both-again.png").convert("RGB")), both_pixels)
    (tmp_path / "short.json").write_text(json.dumps({**recipe, "z_slid": [0.0]}))
    assert main(["edit", "--recipe", str(tmp_path / "short.json"), "--out", str(tmp_path / "x.png")]) == 2
    assert "z_slid" in capsys.readouterr().err  # a damaged recipe is refused, naming the field
    del recipe["z_slid"]  # a recipe written by hand: its sliders say they moved, and it lands whole
    (tmp_path / "hand.json").write_text(json.dumps(recipe))
    assert main(["edit", "--recipe", str(tmp_path / "hand.json"), "--out", str(tmp_path / "hand.png")]) == 0
    hand = np.asarray(Image.open(tmp_path / "hand.png").convert("RGB"))
    assert np.abs(hand[far].astype(int) - alone_pixels[far]).max() > 8  # the stroke's change there too


def test_a_colour_model_s_stroke_lands_where_it_brings_the_colour_nearer_its_paint():
    """Walkthrough 47 painted dark red across dark hair with a colour model of its own photos: the
    orange the model drew there is lighter than the red, so on the hair's lighter strands it moved the
    luminance away from the paint's, and compositing 16-22 left those strands as they were: grey,
    jagged patches in the band. From compositing 23 a colour model's stroke also lands where the
    pixel's colour comes nearer its paint's; a black stroke's lighter edge still does not land."""
    from editing.landing import BrushBand
    from editing.solver import Stroke
    from inversion.framing import DomainSpec, to_model

    mapping = to_model(np.full((64, 64, 3), 128, np.uint8), 32, 3, DomainSpec())[1]  # the whole image
    red = tuple(float(v) for v in mapping.model_colour((170, 0, 0)))
    stroke = Stroke("color", ((4.0, 16.0), (28.0, 16.0)), radius=3.0, value=red)
    top, left, weight = BrushBand((stroke,), 32, 3, paint=True, soft=True, colour=True).on_photo(mapping)
    h, w = weight.shape
    strand = np.full((h, w, 3), 75, np.uint8)  # a light strand of hair: lighter than the red
    orange = np.broadcast_to(np.array([200, 90, 40], np.uint8), (h, w, 3))  # what the model drew
    middle = np.s_[h // 2, w // 2]
    then = BrushBand((stroke,), 32, 3, paint=True, soft=True).toward(mapping, None, orange, strand, top, left)
    now = BrushBand((stroke,), 32, 3, paint=True, soft=True, colour=True).toward(
        mapping, None, orange, strand, top, left)
    assert then[middle] == 0 and now[middle] == 1  # 22: left as the strand was; 23: the orange lands
    black = tuple(float(v) for v in mapping.model_colour((0, 0, 0)))
    dark = Stroke("color", stroke.points, radius=3.0, value=black)
    lighter = np.full((h, w, 3), 120, np.uint8)  # the model lightened the edge under a black stroke
    assert BrushBand((dark,), 32, 3, paint=True, soft=True, colour=True).toward(
        mapping, None, lighter, strand, top, left)[middle] == 0
