"""A style generator's model is edited in w end to end: the encoder predicts w, optimisation and
the solver move w (in units of its spread), attribute vectors are made and checked in w, and
sessions and recipes round-trip w codes. An old z model keeps working as before (the other tests)."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from editing.edit import solve_strokes
from editing.solver import SolverConfig, Stroke, build_constraints, stroke_loss
from editing.vectors import AttributeVectorError, make_vector, model_vectors, save_vectors
from inversion.encoder import EncoderTrainConfig, load_encoder, save_encoder, train_encoder
from inversion.invert import Inverter
from inversion.optimize import InvertConfig
from training.data import ImageSet
from training.modelfile import ATTRIBUTES_FILE, export_model, load_model
from training.networks import Discriminator, GANConfig
from training.pixels import to_uint8
from training.style import StyleGenerator

STYLE = GANConfig(resolution=32, channels=1, latent_dim=16, width=8, generator="style")


@pytest.fixture
def style_model(tmp_path):
    torch.manual_seed(0)
    G, D = StyleGenerator(STYLE).eval(), Discriminator(STYLE).eval()
    out = export_model(tmp_path / "style", STYLE, G, D, {"data": {"name": "fashion-mnist/train"}})
    return load_model(out)


def test_codes_decode_and_spread_are_those_of_w(style_model):
    m = style_model
    assert m.latent_space == "w" and m.config["latent_space"] == "w"
    w = m.codes(4, seed=1)
    with torch.no_grad():
        assert torch.equal(w, m.generator.mapping(torch.randn(4, 16, generator=torch.Generator().manual_seed(1))))
        assert torch.allclose(m.decode(w), m.generator.synthesis(w))
    mean, std = m.code_spread()
    assert mean.shape == std.shape == (16,) and (std > 0).all()
    assert m.code_spread()[1] is std  # estimated once


def test_encoder_optimisation_and_solver_work_in_w(style_model, tmp_path):
    m = style_model
    images = torch.from_numpy(to_uint8(m.sample(16, seed=4)))
    data = ImageSet(images=images, name="samples")
    from inversion.encoder import Encoder

    enc = Encoder.from_discriminator(m.gan, m.discriminator)
    steps = list(train_encoder(m, data, None, EncoderTrainConfig(steps=4, batch_size=4, real_fraction=0.0),
                               enc))
    assert all(np.isfinite(s.loss) for s in steps) and {s.kind for s in steps} == {"pairs"}
    save_encoder(m, enc, {"steps": 4})
    m = load_model(m.path)
    assert m.config["encoder"]["latent_space"] == "w" and load_encoder(m) is not None

    w_true = m.codes(1, seed=5)
    with torch.no_grad():
        target = m.decode(w_true)
    inv = Inverter(m, None, load_encoder(m))
    run = list(inv.run(target, "hybrid", InvertConfig(steps=25, starts=2, w_lpips=0.0)))
    first, last = run[0], run[-1]
    assert last.z.shape == (1, 16) and last.loss[0] < first.loss[0]
    with torch.no_grad():
        assert torch.allclose(m.decode(last.z), last.preview, atol=1e-5)

    with torch.no_grad():
        current = m.decode(w_true)[0]
    stroke = Stroke("color", ((8.0, 16.0), (24.0, 16.0)), 3.0, (0.9,))
    constraints = build_constraints([stroke], current)
    steps = list(solve_strokes(m, w_true[0], w_true[0], constraints, SolverConfig(steps=12, candidates=2)))
    before = stroke_loss(current[None], constraints).item()
    assert steps[-1].stroke_error[0].item() < before
    # the start noise and closeness are in units of w's spread: candidate 2 starts near w0
    assert torch.norm((steps[0].z[1] - w_true[0]) / m.code_spread()[1]) < 10


def test_vectors_sessions_and_recipes_round_trip_w(style_model, tmp_path):
    from editing.cli import main
    from editor import session
    from editor.session_check import read_session

    m = style_model
    codes = m.codes(300, seed=2)
    vector = make_vector("first", codes, codes[:, 0] > codes[:, 0].median())
    save_vectors(m.path / ATTRIBUTES_FILE, {"first": vector}, {"latent_space": "w"})
    assert set(model_vectors(m)) == {"first"}
    save_vectors(m.path / ATTRIBUTES_FILE, {"first": vector}, {})  # an older file: made in z
    with pytest.raises(AttributeVectorError, match="directions in z"):
        model_vectors(m)
    save_vectors(m.path / ATTRIBUTES_FILE, {"first": vector}, {"latent_space": "w"})

    doc = session.new_document(m, 3)
    assert torch.equal(doc.z0, m.codes(1, 3)[0])
    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((90, 60, 3), 240, np.uint8)).save(photo)
    from inversion.invert import photo_to_model
    from inversion.photo import load_photo

    x, mapping = photo_to_model(m, load_photo(photo), whole_image=True)
    doc = session.Document(m.path, m.model_id, load_photo(photo).pixels, mapping, m.codes(1, 9)[0],
                           photo_path=photo)
    doc.push(doc.with_sliders({"first": 1.5}, "slider first"))
    doc.save(tmp_path / "s.json")
    again = session.document_from_session(read_session(tmp_path / "s.json"), m)
    vectors = model_vectors(m)
    assert torch.equal(again.z0, doc.z0) and torch.equal(again.current.code(vectors), doc.current.code(vectors))
    session.export_document(again, m, vectors, tmp_path / "out.png")
    recipe = json.loads((tmp_path / "out.png.recipe.json").read_text())
    assert len(recipe["z_edit"]) == 16
    assert main(["edit", "--recipe", str(tmp_path / "out.png.recipe.json"), "--out",
                 str(tmp_path / "again.png")]) == 0
    assert (tmp_path / "again.png").read_bytes() == (tmp_path / "out.png").read_bytes()
