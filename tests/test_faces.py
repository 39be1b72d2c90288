"""Faces: alignment geometry, carry-back through a rotation, face finding, identity, face vectors,
principal directions."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from editing.compositing import paste_back
from inversion import faces as F
from inversion import geometry as G
from inversion.framing import DomainMapping, DomainSpec, NoFaceError, to_model
from tests.conftest import SHARED
from training.pixels import to_uint8

R = 64
TEMPLATE = np.array([[41.75, 33.25], [36.0, 33.5], [22.0, 33.25], [27.5, 33.5], [31.5, 44.25]])
FACE_SPEC = DomainSpec("face", 1.0, False, tuple(map(tuple, TEMPLATE)), (13.9, 22.3, 49.8, 56.8))
FACE_MODEL = "celeba-64"


def rotation(angle_deg: float, scale: float, shift) -> np.ndarray:
    """2x3 similarity: rotate by angle, scale, then shift."""
    a = np.deg2rad(angle_deg)
    m = np.zeros((2, 3))
    m[:, :2] = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    m[:, 2] = shift
    return m


def face_like(seed: int = 0) -> np.ndarray:
    """A smooth, face-sized colour pattern at model resolution: (R, R, 3) float in 0..255."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:R, 0:R] / R
    img = np.stack([128 + 60 * np.sin(2 * np.pi * (xx * rng.uniform(1, 2) + c))
                    * np.cos(2 * np.pi * yy * rng.uniform(1, 2)) for c in (0.0, 0.3, 0.6)], axis=2)
    for (x, y) in TEMPLATE[[0, 2, 4]]:  # dark blobs where the eyes and the nose are
        img -= 80 * np.exp(-((xx * R - x) ** 2 + (yy * R - y) ** 2) / 8.0)[..., None]
    return np.clip(img, 0, 255)


def test_similarity_recovers_a_known_transform():
    m = rotation(12.0, 3.5, (40.0, -7.0))
    src = np.random.default_rng(1).uniform(0, 100, (5, 2))
    got = G.similarity(src, G.apply_affine(m, src))
    np.testing.assert_allclose(got, m, atol=1e-9)
    np.testing.assert_allclose(G.apply_affine(G.invert_affine(m), G.apply_affine(m, src)), src,
                               atol=1e-9)


def test_alignment_round_trip_with_known_landmarks():
    """A face-like image placed in a photo with a known rotation and scale: its known landmarks
    give back the transform, the aligned crop equals the original, and an edit carried back changes
    the photo only inside the face's square, leaving every other pixel identical."""
    import cv2

    model_img = face_like()
    to_photo = rotation(-8.0, 6.0, (300.0, 140.0))  # model -> photo pixels
    photo = np.full((700, 900, 3), 90.0)
    warped = cv2.warpAffine(model_img.astype(np.float32), to_photo, (900, 700), flags=cv2.INTER_CUBIC,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=(-1, -1, -1))
    inside = warped[..., 0] >= 0
    photo[inside] = warped[inside]
    photo = np.rint(photo).astype(np.uint8)
    landmarks = G.apply_affine(to_photo, TEMPLATE)  # where the face's five points lie in the photo
    m = G.similarity(landmarks, TEMPLATE)
    np.testing.assert_allclose(m, G.invert_affine(to_photo), atol=1e-9)
    aligned = F.warp_to_model(photo, m, R)
    inner = (slice(4, R - 4), slice(4, R - 4))
    assert np.abs(aligned[inner] - model_img[inner]).mean() < 4.0  # blur + resampling only

    mapping = DomainMapping(photo_size=(900, 700), box=(0, 0, 1, 1), resolution=R, content=R,
                            grey=False, invert=False, background=(90.0, 90.0, 90.0), black_point=0.0,
                            whole_image=False, affine=tuple(m.reshape(-1)))
    before = torch.zeros(3, R, R)
    same, mask = paste_back(photo, mapping, before, before.clone())
    assert np.array_equal(same, photo) and not mask.any()
    after = before.clone()
    after[:, 28:36, 28:36] = 0.5  # brighten a patch in the middle of the face
    out, mask = paste_back(photo, mapping, before, after)
    centre = np.rint(G.apply_affine(to_photo, [[32.0, 32.0]])[0]).astype(int)
    assert out[centre[1], centre[0]].astype(int).sum() > photo[centre[1], centre[0]].astype(int).sum() + 60
    square = cv2.warpAffine(np.ones((R, R), np.float32), to_photo, (900, 700)) > 0
    assert np.array_equal(out[~square], photo[~square]) and not mask[~square].any()
    assert mapping.to_model_point(*landmarks[4]) == pytest.approx(tuple(TEMPLATE[4]), abs=1e-6)
    half = mapping.scaled(0.5)
    assert half.to_model_point(*(landmarks[4] / 2)) == pytest.approx(tuple(TEMPLATE[4]), abs=1e-6)
    assert DomainMapping.from_dict(mapping.to_dict()) == mapping


def test_photo_without_a_face_gives_the_message():
    yy, xx = np.mgrid[0:300, 0:400]
    photo = np.stack([xx % 256, yy % 256, (xx + yy) % 256], axis=2).astype(np.uint8)
    with pytest.raises(NoFaceError, match="no face found"):
        to_model(photo, R, 3, FACE_SPEC)


def _face_model():
    from training.modelfile import load_model, resolve_model

    try:
        resolve_model(FACE_MODEL)
    except Exception:
        pytest.skip("the face model is not in assets/models")
    return load_model(FACE_MODEL)


@pytest.mark.slow
def test_a_generated_face_is_found_and_aligned_in_a_rotated_photo():
    """The shipped face model's own sample, enlarged, turned by 10 degrees and set in a larger
    photo, is found, aligned back (close to the sample) and keeps its identity."""
    import cv2

    model = _face_model()
    spec = DomainSpec.for_model(model.config)
    faces_u8 = to_uint8(model.sample(4, seed=3))
    ref = F.descriptors(faces_u8, spec.face_box)
    found = 0
    for i in range(len(faces_u8)):
        to_photo = rotation(10.0, 4.0, (160.0, 90.0))
        photo = cv2.warpAffine(faces_u8[i], to_photo, (640, 480), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)
        try:
            x, mapping = to_model(photo, R, 3, spec)
        except NoFaceError:
            continue
        found += 1
        aligned = to_uint8(x)
        assert np.abs(aligned.astype(float) - faces_u8[i]).mean() < 20
        assert F.identity_distance(F.descriptors(aligned, spec.face_box)[0], ref[i]) < F.SAME_PERSON
        angle = np.degrees(np.arctan2(mapping.matrix[1, 0], mapping.matrix[0, 0]))
        assert angle == pytest.approx(-10.0, abs=4.0)
    assert found >= 3


@pytest.mark.slow
def test_identity_distance_tells_people_apart():
    if not (SHARED / "data" / "faces" / "celeba10k-64.zip").is_file():
        pytest.skip("needs ../shared/data/faces (CelebA subset; not shipped with the project)")
    from training.data import load_image_folder

    faces = load_image_folder(SHARED / "data" / "faces" / "celeba10k-64.zip", R, 3, split="test")
    imgs = faces.images[:6].numpy()
    d = F.descriptors(imgs, FACE_SPEC.face_box)
    mirrored = F.descriptors(np.ascontiguousarray(imgs[:, :, ::-1]), FACE_SPEC.face_box)
    same = F.identity_distance(d, mirrored)  # a face and its mirror image: the same person
    others = F.identity_distance(d, np.roll(d, 1, axis=0))  # six different people
    assert np.median(same) < F.SAME_PERSON < np.median(others)


def test_face_vectors_conditional_ones_leave_the_kept_attributes_alone():
    from editing.vector_sets import FACE_ATTRIBUTES, FACE_KEEP, conditional_name, face_vectors
    from editing.vectors import mean_difference

    g = torch.Generator().manual_seed(0)
    names = (*FACE_ATTRIBUTES, "Wavy_Hair")
    labels = torch.rand(2000, len(names), generator=g) < 0.4
    codes = torch.randn(2000, 16, generator=g) + labels[:, :10].float() @ torch.randn(10, 16, generator=g)
    vectors = face_vectors(codes, labels, names)
    assert len(vectors) == 2 * len(FACE_ATTRIBUTES)
    for n in FACE_ATTRIBUTES:
        cond = vectors[conditional_name(n, FACE_KEEP)].unit
        for k in FACE_KEEP:
            if k != n:
                kept = mean_difference(codes, labels[:, names.index(k)])
                assert abs(float(cond @ kept)) < 1e-4
        assert float(cond @ vectors[n].unit) > 0.5  # still the same attribute


def test_principal_directions_move_the_first_activations_most():
    from editing.vector_sets import principal_directions
    from training.networks import GANConfig, Generator

    torch.manual_seed(0)
    G = Generator(GANConfig(resolution=32, channels=1, latent_dim=16, width=8)).eval()
    dirs = principal_directions(G, 16, k=3, n=800)
    assert list(dirs) == ["Direction 1", "Direction 2", "Direction 3"]
    z = torch.randn(200, 16)
    with torch.no_grad():
        base = G.project(z).flatten(1)

        def moved(u):
            return float((G.project(z + 2 * u).flatten(1) - base).norm(dim=1).mean())

        randoms = [moved(torch.nn.functional.normalize(torch.randn(16), dim=0)) for _ in range(20)]
        first = moved(dirs["Direction 1"].unit)
    assert first > np.median(randoms)
    assert dirs["Direction 1"].meta["explained_variance"] >= dirs["Direction 2"].meta["explained_variance"]


@pytest.mark.slow
def test_identity_options_refine_inversion_and_rank_candidates(tmp_path):
    from editing.edit import edit_code, identity_penalty
    from editing.solver import SolverConfig, Stroke, StrokeError, build_constraints, objective_terms
    from inversion.invert import Inverter, refine_identity
    from tests.conftest import make_editable_model
    from training.modelfile import load_model

    model = _face_model()
    inv = Inverter.for_model(model)
    x = model.sample(1, seed=11)
    z0 = inv.invert(x, "encoder").z[0]
    # With identity weighted far above reconstruction, the search may only bring the face closer
    # to the photo's identity; the distance it reports is the one its code's face has.
    z, change = refine_identity(inv, x, z0, weight=1000.0, rounds=2, population=4)
    assert change["after"] <= change["before"] + 1e-3
    spec = DomainSpec.for_model(model.config)
    with torch.no_grad():
        reached = F.identity_distance(F.descriptors(to_uint8(model.generator(z[None])), spec.face_box),
                                      F.descriptors(to_uint8(x), spec.face_box))[0]
    assert reached == pytest.approx(change["after"], abs=1e-6)
    # The solver's candidates are ranked with the identity penalty in their objective.
    stroke = Stroke("color", ((32.0, 40.0), (36.0, 40.0)), 3.0, (0.8, 0.2, 0.2))
    cfg = SolverConfig(steps=3, candidates=3, identity=1.0)
    result = edit_code(model, z0, {}, [stroke], cfg)
    last = result.solver
    penalty = identity_penalty(model, z0, cfg.identity)(last.images)
    with torch.no_grad():
        constraints = build_constraints([stroke], model.generator(z0[None])[0])
        _, plain, _, _ = objective_terms(model.generator, model.discriminator, last.z, z0[None],
                                         constraints, cfg)
    np.testing.assert_allclose(last.objective.numpy(), plain.numpy() + penalty, rtol=1e-5, atol=1e-5)
    assert (np.diff(last.objective.numpy()) >= 0).all()
    tiny = load_model(make_editable_model(tmp_path / "tiny"))
    with pytest.raises(StrokeError, match="needs a face model"):
        edit_code(tiny, torch.zeros(tiny.gan.latent_dim), {}, [Stroke("color", ((5.0, 5.0),), 2.0, (0.5,))],
                  SolverConfig(steps=1, identity=1.0))


def test_shipped_face_model_finds_its_training_data_wherever_the_project_lies():
    if not (SHARED / "data" / "faces" / "celeba10k-64.zip").is_file():
        pytest.skip("needs ../shared/data/faces (CelebA subset; not shipped with the project)")
    from training.data import find_recorded
    from training.modelfile import read_config, resolve_model

    folder = resolve_model("celeba-64")
    training = dict(read_config(folder)["training"])
    training["data_source"] = training["attributes_source"] = "/nowhere"  # a clone elsewhere
    for key, name in (("data_source", "celeba10k-64.zip"), ("attributes_source", "celeba10k-attributes.csv")):
        found = find_recorded(training, key, folder)
        assert found is not None and Path(found).resolve() == (SHARED / "data" / "faces" / name).resolve()


@pytest.mark.slow
def test_a_face_the_upright_hog_look_misses_is_found_turned_and_by_the_cnn_detector():
    """A face turned 65 degrees in the photo: dlib's HOG detector misses it upright; a copy of the
    photo turned 25 degrees shows it to the HOG detector, and the CNN detector (the last look)
    finds it as it is. The alignment turns it back upright, the same person."""
    import cv2

    model = _face_model()
    spec = DomainSpec.for_model(model.config)
    face = to_uint8(model.sample(1, seed=3))[0]
    to_photo = rotation(65.0, 4.0, (0.0, 0.0))
    to_photo[:, 2] = np.array([320.0, 240.0]) - to_photo[:, :2] @ [32.0, 32.0]
    photo = cv2.warpAffine(face, to_photo, (640, 480), flags=cv2.INTER_CUBIC,
                           borderMode=cv2.BORDER_REPLICATE)
    assert len(F._detector()(photo, 0)) == 0  # the frontal HOG detector alone finds nothing
    found = F.find_faces(photo)
    assert len(found) == 1 and found[0].detector == "hog" and found[0].turn == 25.0
    cnn = F.search(photo, F.search_plan(640, 480)[-1])
    assert len(cnn) == 1 and cnn[0].detector == "cnn" and found[0].contains(*cnn[0].points[4])
    ref = F.descriptors(face[None], spec.face_box)
    for faces in (found, cnn):
        x, mapping = to_model(photo, R, 3, spec, found=faces)
        angle = np.degrees(np.arctan2(mapping.matrix[1, 0], mapping.matrix[0, 0]))
        assert angle == pytest.approx(-65.0, abs=5.0)
        assert F.identity_distance(F.descriptors(to_uint8(x), spec.face_box)[0], ref[0]) < F.SAME_PERSON


def test_the_search_plan_reaches_40_px_faces_in_bounded_tiles():
    """Whatever the photo's size (up to the 50-megapixel bound), the finest look enlarges a 40 px
    face to the HOG detector's window; the first look is small (fast); turned copies are only
    searched where they are small; large looks are cut into tiles that cover the image and share
    enough for a face the coarser looks could not see."""
    for w, h in ((200, 150), (640, 480), (4000, 3000), (8660, 5773), (50_000, 1000)):
        plan = F.search_plan(w, h)
        hog = [look for look in plan if look.detector == "hog"]
        assert max(look.scale for look in hog) * F.FACE_MIN == F.HOG_WINDOW
        assert hog[1].pad and hog[0].scale ** 2 * w * h <= F.FIRST_PIXELS * 1.0001
        assert plan[-1].detector == "cnn" and plan[-1].scale ** 2 * w * h <= 4 * F.CNN_PIXELS
        assert all(look.scale ** 2 * w * h <= 1.1 * F.TURN_PIXELS for look in hog if look.turn)
        assert F.smallest_face(w, h) == F.FACE_MIN
    for length in (1000, 3000, 3001, 8000, 17_321):
        spans = F._spans(length, 3000, 300)
        assert spans[0][0] == 0 and spans[-1][1] == length
        assert all(b - a <= 3001 for a, b in spans)
        assert all(a1 <= b0 - 300 for (_, b0), (a1, _) in zip(spans, spans[1:]))


def _held_out_faces(n: int) -> np.ndarray:
    """The first n faces of the face data's test split (never trained on), (n, R, R, 3) uint8."""
    zipped = SHARED / "data" / "faces" / "celeba10k-64.zip"
    if not zipped.is_file():
        pytest.skip("needs ../shared/data/faces (CelebA subset; not shipped with the project)")
    pytest.importorskip("skimage.data")  # the photos' backgrounds
    from training.data import load_image_folder

    names = {f"{9001 + i:06d}.jpg" for i in range(n)}
    return load_image_folder(zipped, R, 3, names=names, split="test").images.numpy()


def _found_where_placed(found: list, to_photo: np.ndarray, face_px: float) -> bool:
    """One face found, its five landmarks where the placed face's are (within a tenth of its size)."""
    expected = G.apply_affine(to_photo, TEMPLATE)
    return len(found) == 1 and np.linalg.norm(found[0].points - expected, axis=1).mean() < 0.1 * face_px


@pytest.mark.slow
def test_a_40_px_face_in_a_4000x3000_photo_is_found():
    from benchmarks.real_photos import face_photo

    face = _held_out_faces(1)[0]
    photo, to_photo = face_photo(face, FACE_SPEC.face_box, 40, 0.0, (4000, 3000),
                                 np.random.default_rng(0))
    found = F.find_faces(photo)
    assert _found_where_placed(found, to_photo, 40) and found[0].detector == "hog"
    assert 30 < found[0].box[2] - found[0].box[0] < 55


def test_a_face_filling_a_4000x3000_photo_is_found():
    """The face's box (cheek to cheek, brows to chin) as tall as the photo: its forehead and hair
    are cut off by the photo's edges."""
    from benchmarks.real_photos import face_photo

    face = _held_out_faces(1)[0]
    photo, to_photo = face_photo(face, FACE_SPEC.face_box, 3000, 0.0, (4000, 3000),
                                 np.random.default_rng(0))
    found = F.find_faces(photo)
    assert _found_where_placed(found, to_photo, 3000)
    assert 2000 < found[0].box[2] - found[0].box[0] < 3600


@pytest.mark.slow
def test_tilted_faces_are_found_and_turned_back_upright():
    """Held-out faces turned 30 and -50 degrees in a photo: found (the -50 one on a copy of the
    photo turned back 25 degrees) and aligned as the same face upright is, turned back by the angle
    it was turned."""
    from benchmarks.real_photos import face_photo

    def alignment_turn(face, angle):
        photo, to_photo = face_photo(face, FACE_SPEC.face_box, 200, angle, (1600, 1200),
                                     np.random.default_rng(1))
        found = F.find_faces(photo)
        assert _found_where_placed(found, to_photo, 200), angle
        _, mapping = to_model(photo, R, 3, FACE_SPEC, found=found)
        return np.degrees(np.arctan2(mapping.matrix[1, 0], mapping.matrix[0, 0])), found[0]

    for face, angle in zip(_held_out_faces(2), (30.0, -50.0)):
        upright, _ = alignment_turn(face, 0.0)
        turn, found = alignment_turn(face, angle)
        assert turn - upright == pytest.approx(-angle, abs=2.0)
        assert found.turn == (0.0 if angle == 30.0 else -25.0)


@pytest.mark.slow
def test_a_face_looking_down_is_found():
    """A held-out face foreshortened as a face looking down shows itself (60% of its height, its
    top wider): the HOG looks miss it, the CNN detector finds it where it is."""
    from benchmarks.real_photos import face_photo, looking_down

    face = looking_down(_held_out_faces(1)[0])
    photo, to_photo = face_photo(face, FACE_SPEC.face_box, 200, 0.0, (800, 600),
                                 np.random.default_rng(2))
    found = F.find_faces(photo)
    assert len(found) == 1 and found[0].detector == "cnn"
    expected = G.apply_affine(to_photo, TEMPLATE)  # where the landmarks were before the squash
    assert np.linalg.norm(found[0].points - expected, axis=1).mean() < 0.3 * 200


def test_a_photo_without_a_face_says_so():
    """A real photo (scikit-image's coffee cup, JPEG) without a face: every look finds nothing,
    and the message says what the face model needs."""
    skimage_data = pytest.importorskip("skimage.data")
    from benchmarks.real_photos import jpeg_round_trip

    photo = jpeg_round_trip(skimage_data.coffee())
    assert F.find_faces(photo) == []
    with pytest.raises(NoFaceError, match="no face found.*at least about 40 pixels across"):
        to_model(photo, R, 3, FACE_SPEC)
