"""The editor's Qt-free half: the document's history, sessions, export, strokes, display scaling and
what counts as a bug. No display and no pytest-qt here."""
import ast
import json
import logging
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

import editing.edit
from editing.edit import FACE_IDENTITY, solve_strokes, solver_config
from editing.solver import SolverConfig, Stroke
from editing.vectors import model_vectors
from editor import session
from editor.errors import bug_message, describe
from editor.render import Renderer
from editor.session_check import read_session
from editor.state import SESSION_VERSION, Document, SessionError
from editor.strokes import stroke_constraints
from inversion.framing import DomainMapping
from inversion.invert import photo_to_model
from inversion.photo import PhotoError, load_photo
from tests.conftest import REPO, make_editable_model
from training.errors import VersionError
from training.modelfile import load_model


def plain_document(seed: int = 0) -> Document:
    mapping = DomainMapping(photo_size=(64, 64), box=(0.0, 0.0, 64.0, 64.0), resolution=32, content=32,
                            grey=True, invert=False, background=(0.0, 0.0, 0.0), black_point=0.0,
                            whole_image=True)
    z0 = torch.randn(16, generator=torch.Generator().manual_seed(seed))
    return Document("tiny", "tiny@0", np.zeros((64, 64, 3), np.uint8), mapping, z0)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return load_model(make_editable_model(tmp_path_factory.mktemp("m") / "tiny"))


def photo_document(model, path) -> Document:
    photo = load_photo(path)
    _, mapping = photo_to_model(model, photo)
    z0 = torch.randn(model.gan.latent_dim, generator=torch.Generator().manual_seed(1))
    return Document(model.path, model.model_id, photo.pixels, mapping, z0, photo_path=photo.path)


def test_qt_free_modules_do_not_import_qt():
    for name in ("state", "session", "render", "errors", "polyline"):
        tree = ast.parse((REPO / "editor" / f"{name}.py").read_text(encoding="utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        qt_free = {"editor.state", "editor.render", "editor.errors", "editor.polyline"}
        assert not {m for m in modules if m.startswith(("PySide6", "editor.")) and m not in qt_free}, \
            f"editor/{name}.py imports Qt"


def test_undo_redo_jump_and_what_the_listeners_hear():
    doc = plain_document()
    heard = []
    doc.subscribe(lambda d: heard.append((d.index, d.current.label)))
    a = doc.with_sliders({"first": 1.0}, "slider first +1.00")
    doc.push(a)
    doc.push(doc.with_sliders({"first": 1.0, "second": -2.0}, "slider second -2.00"))
    assert [s.label for s in doc.history] == ["open", "slider first +1.00", "slider second -2.00"]
    assert doc.undo() is a and doc.can_redo and doc.can_undo
    assert doc.redo().slider_dict == {"first": 1.0, "second": -2.0} and not doc.can_redo
    doc.redo()  # nothing to redo: no change, nobody told
    doc.jump(0)
    assert doc.current.label == "open" and not doc.can_undo
    doc.push(doc.with_sliders({"second": 0.5}, "slider second +0.50"))  # drops what was undone
    assert [s.label for s in doc.history] == ["open", "slider second +0.50"] and doc.index == 1
    assert heard == [(1, "slider first +1.00"), (2, "slider second -2.00"), (1, "slider first +1.00"),
                     (2, "slider second -2.00"), (0, "open"), (1, "slider second +0.50")]


def test_rebase_restarts_the_history_from_the_new_code():
    doc = plain_document()
    doc.push(doc.with_sliders({"first": 1.0}, "slider"))
    heard = []
    doc.subscribe(lambda d: heard.append(d.index))
    z = torch.ones(16)
    doc.rebase(z)
    z[0] = 5  # the document keeps its own copy
    assert torch.equal(doc.z0, torch.ones(16)) and torch.equal(doc.current.z_base, torch.ones(16))
    assert len(doc.history) == 1 and doc.index == 0 and heard == [0]


def test_candidate_keeps_the_sliders_and_lands_exactly(model):
    doc = plain_document()
    vectors = model_vectors(model)
    doc.push(doc.with_sliders({"first": 1.5}, "slider"))
    z = torch.randn(16)
    snap = doc.with_candidate(z, (), vectors, "candidate 1")
    assert snap.slider_dict == {"first": 1.5}
    assert torch.allclose(snap.code(vectors), z, atol=1e-5)


def test_replace_takes_the_current_states_place_and_drops_what_was_undone():
    doc = plain_document()
    heard = []
    doc.subscribe(lambda d: heard.append(d.index))
    doc.push(doc.with_sliders({"first": 1.0}, "stroke"))
    doc.push(doc.with_sliders({"first": 2.0}, "later"))
    doc.undo()
    other = doc.with_sliders({"first": 1.5}, "stroke (candidate 2)")
    doc.replace(other)
    assert [s.label for s in doc.history] == [doc.history[0].label, "stroke (candidate 2)"]
    assert doc.current is other and doc.index == 1 and not doc.can_redo and heard[-1] == 1


def test_session_round_trip_and_refusals(model, photo, tmp_path):
    doc = photo_document(model, photo)
    doc.push(doc.with_sliders({"second": -1.5}, "slider second -1.50"))
    doc.push(doc.with_sliders({}, "reset all sliders"))
    doc.undo()
    doc.save(tmp_path / "s.session.json")
    again = session.document_from_session(read_session(tmp_path / "s.session.json"), model)
    assert [s.label for s in again.history] == [s.label for s in doc.history] and again.index == 1
    assert again.current.slider_dict == {"second": -1.5} and again.photo_sha256 == doc.photo_sha256
    assert np.array_equal(again.pixels, doc.pixels) and torch.equal(again.z0, doc.z0)
    assert again.mapping == doc.mapping

    data = read_session(tmp_path / "s.session.json")
    data["model"]["id"] = "tiny@000000000000"
    with pytest.raises(SessionError, match="another version"):
        session.document_from_session(data, model)
    Image.fromarray(np.zeros((240, 180, 3), np.uint8)).save(photo)  # the photo changed since
    with pytest.raises(SessionError, match="has changed"):
        session.document_from_session(read_session(tmp_path / "s.session.json"), model)
    photo.unlink()
    with pytest.raises(PhotoError, match="coat.png"):
        session.document_from_session(read_session(tmp_path / "s.session.json"), model)
    (tmp_path / "bad.json").write_text("{\"format\": \"something else\"}")
    with pytest.raises(SessionError, match="not a session"):
        read_session(tmp_path / "bad.json")


@pytest.mark.parametrize("damage, error, message", [
    (lambda d: d.update(version=SESSION_VERSION + 1), VersionError, "newer version"),
    (lambda d: d.pop("z0"), SessionError, "damaged"),
    (lambda d: d.update(index=7), SessionError, "damaged"),
    (lambda d: d.update(photo="photo.png"), SessionError, "damaged"),
    (lambda d: d["history"][0].pop("z_base"), SessionError, "damaged"),
    (lambda d: d.update(tuned_generator={"file": "../g.safetensors", "sha256": "0" * 64}), SessionError,
     "tuned_generator.file"),
    (lambda d: d.update(tuned_generator={"file": "g.safetensors", "sha256": "zz"}), SessionError,
     "tuned_generator.sha256"),
    (lambda d: d.update(regions=[[[0.0, 2.0], [0.0, 1.0]]]), SessionError, r"regions\[0\]\[0\]"),
    (lambda d: d.update(regions=[[[0.0, 1.0]]]), SessionError, r"regions\[0\]\[0\]"),
    (lambda d: d["history"][0].update(region=0), SessionError, r"history\[0\].region"),
])
def test_a_newer_or_damaged_session_is_refused_with_a_message(tmp_path, damage, error, message):
    doc = plain_document()
    doc.save(tmp_path / "s.json")
    data = json.loads((tmp_path / "s.json").read_text())
    damage(data)
    (tmp_path / "s.json").write_text(json.dumps(data))
    with pytest.raises(error, match=message):
        read_session(tmp_path / "s.json")
    (tmp_path / "cut.json").write_text((tmp_path / "s.json").read_text()[:40])  # a crash mid-copy
    with pytest.raises(SessionError, match="cannot open session cut.json"):
        read_session(tmp_path / "cut.json")


def test_a_sample_session_rebuilds_its_pixels(model, tmp_path):
    doc = session.new_document(model, 7)
    doc.save(tmp_path / "s.json")
    again = session.document_from_session(read_session(tmp_path / "s.json"), model)
    assert again.seed == 7 and again.photo_path is None and np.array_equal(again.pixels, doc.pixels)


def test_export_writes_the_photo_size_and_the_recipe(model, photo, tmp_path):
    doc = photo_document(model, photo)
    vectors = model_vectors(model)
    doc.push(doc.with_sliders({"first": 2.5}, "slider"))
    out = tmp_path / "coat-edited.png"
    assert session.export_document(doc, model, vectors, out) == [out, tmp_path / "coat-edited.png.recipe.json"]
    edited = np.asarray(Image.open(out))
    assert edited.shape == (240, 180, 3) and not np.array_equal(edited, doc.pixels)
    recipe = json.loads((tmp_path / "coat-edited.png.recipe.json").read_text())
    assert recipe["sliders"] == {"first": 2.5} and recipe["export"]["mask_threshold"] == 6.0
    doc.undo()
    session.export_document(doc, model, vectors, out)  # no edit: the photo comes back as it was
    assert np.array_equal(np.asarray(Image.open(out)), doc.pixels)
    with pytest.raises(Exception, match=r"\.png, \.jpg or \.webp"):
        session.export_document(doc, model, vectors, tmp_path / "coat.gif")
    assert not (tmp_path / "coat.gif").exists()


def test_a_tuned_generator_is_written_beside_the_session_once_and_read_back_hash_checked(
        model, photo, tmp_path):
    from editor.state import Tuning
    from inversion.tuning import tuned_copy, tuned_model

    doc = photo_document(model, photo)
    generator = tuned_copy(model)
    with torch.no_grad():
        generator.blocks[-2].weight.mul_(1.5)  # as a tuning would: another generator, same architecture
    path = tmp_path / "s.session.json"
    session.save_session(doc, tmp_path / "plain.json")  # none to write: no weights, no record
    assert "tuned_generator" not in read_session(tmp_path / "plain.json")
    assert not session.session_weights_path(tmp_path / "plain.json").exists()
    doc.tuning = Tuning(tuned_model(model, generator), 7)
    session.save_session(doc, path)
    weights = tmp_path / "s.session.generator.safetensors"
    written = weights.stat().st_mtime_ns
    session.save_session(doc, path)  # an autosave after the next edit: not written again
    assert weights.stat().st_mtime_ns == written

    data = read_session(path)
    tuning, warning = session.load_tuning(data, path, model)
    assert warning == "" and tuning.steps == 7
    assert all(torch.equal(a, b) for a, b in zip(tuning.model.generator.state_dict().values(),
                                                 generator.state_dict().values()))
    z = doc.z0[None]
    assert torch.equal(tuning.model.decode(z), doc.tuning.model.decode(z))
    assert not torch.equal(tuning.model.decode(z), model.decode(z))
    weights.write_bytes(weights.read_bytes()[:-8] + bytes(8))
    assert session.load_tuning(data, path, model) == (None, "s.session.generator.safetensors (the "
                                                      "generator tuned to the photo) does not match the "
                                                      "SHA-256 recorded with it: it was altered or damaged")
    weights.unlink()
    assert "is missing" in session.load_tuning(data, path, model)[1]
    doc.save(tmp_path / "old.json")  # a session from before tuning: nothing to read
    assert session.load_tuning(read_session(tmp_path / "old.json"), tmp_path / "old.json", model) == (None, "")


def test_big_photos_are_shown_scaled_and_points_map_back(model, tmp_path):
    img = np.full((2000, 3000, 3), 240, np.uint8)
    img[300:1700, 1000:2000] = 40
    Image.fromarray(img).save(tmp_path / "big.png")
    doc = photo_document(model, tmp_path / "big.png")
    r = Renderer(model, doc.pixels, doc.mapping, doc.z0)
    assert r.display_pixels.shape == (683, 1024, 3) and r.factor == pytest.approx(1024 / 3000)
    assert r.display(doc.z0).shape == (683, 1024, 3)
    for x, y in [(0, 0), (512, 341.5), (1000, 600)]:
        want = doc.mapping.to_model_point(x * 3000 / 1024, y * 3000 / 1024)
        assert r.display_point_to_model(x, y) == pytest.approx(want)
    assert r.model_radius(10) == pytest.approx(10 * 3000 / 1024 * doc.mapping.scale)
    small = Renderer(model, doc.pixels[:800, :1024], doc.mapping, doc.z0)
    assert small.factor == 1.0 and small.display_pixels.shape == (800, 1024, 3)


def test_strokes_solve_through_the_shared_pieces_with_identity_for_faces(model, monkeypatch):
    doc = plain_document()
    vectors = model_vectors(model)
    stroke = Stroke("color", ((8.0, 16.0), (24.0, 16.0)), 3.0, (1.0,), 1.0)
    strokes, z, constraints, _ = stroke_constraints(model, doc, vectors, stroke)
    assert strokes == (stroke,) and not constraints.empty
    cfg = solver_config(model)
    assert cfg.identity == 0.0  # not a face model
    steps = list(solve_strokes(model, doc.z0, z, constraints, replace(cfg, steps=3, candidates=2)))
    assert len(steps) == 3 and steps[-1].z.shape == (2, 16)

    face = replace(model, config={**model.config, "domain": {"kind": "face"}})
    assert solver_config(face).identity == FACE_IDENTITY > 0
    plain, asked = steps[-1], []

    def penalty(m, z_ref, weight):  # as if the best candidate had changed the person
        asked.append((m, z_ref, weight))
        return lambda images: torch.tensor([1000.0 * torch.equal(x, plain.images[0]) for x in images])

    monkeypatch.setattr(editing.edit, "identity_penalty", penalty)
    ranked = list(solve_strokes(face, doc.z0, z, constraints, SolverConfig(
        steps=3, candidates=2, identity=1.0, hold=cfg.hold)))[-1]
    assert asked == [(face, doc.z0, 1.0)]
    assert torch.equal(ranked.z[0], plain.z[1]) and torch.equal(ranked.z[1], plain.z[0])


def test_user_errors_are_shown_and_bugs_are_logged(caplog):
    assert describe(SessionError("s.json is damaged")) == "s.json is damaged"
    assert describe(FileNotFoundError(2, "No such file", "x.png")).endswith("'x.png'")
    try:
        {}["missing"]
    except KeyError as e:
        bug = e
    with caplog.at_level(logging.ERROR):
        message = describe(bug)
    assert message == bug_message(bug) and message.startswith("Something went wrong (a bug)")
    assert "details are in the log" in message
    assert caplog.records and caplog.records[0].exc_info[0] is KeyError  # with its traceback


def test_a_stroke_is_cut_where_it_leaves_the_model_square():
    from editor.polyline import clip_to_square

    assert clip_to_square([(1, 1), (5, 5)], 10) == [[(1.0, 1.0), (5.0, 5.0)]]
    assert clip_to_square([(-5, 5), (5, 5), (15, 5)], 10) == [[(0.0, 5.0), (5.0, 5.0), (10.0, 5.0)]]
    out_and_back = clip_to_square([(5, 5), (15, 5), (15, 8), (5, 8)], 10)
    assert out_and_back == [[(5.0, 5.0), (10.0, 5.0)], [(10.0, 8.0), (5.0, 8.0)]]
    assert clip_to_square([(20, 20), (30, 30)], 10) == [] and clip_to_square([(3, 3)], 10) == [[(3, 3)]]


def test_a_state_moving_a_hair_slider_renders_and_records_its_edit_on_the_hair():
    """The screen, the candidates' views and the export carry a hair slider's edit back onto the
    photo's hair (editing.face_paste.hair_reach): the frame's arguments and the recipe's entry say
    so for the state, and for the state a region was painted on."""
    from editing.vectors import AttributeVector
    from editor.render import frame_args, outside_of
    from editor.session import edit_record
    from editor.state import Snapshot

    vectors = {"Blond_Hair": AttributeVector("Blond_Hair", torch.ones(4), 1.0),
               "Male": AttributeVector("Male", -torch.ones(4), 1.0)}
    z0 = torch.zeros(4)
    blond = Snapshot("slider Blond hair +2", z0, (("Blond_Hair", 2.0),))
    male = Snapshot("slider Male +2", z0, (("Male", 2.0),))
    assert frame_args(blond, vectors, z0)[6] is True and frame_args(male, vectors, z0)[6] is False
    assert edit_record(blond, vectors, z0)["hair"] is True and "hair" not in edit_record(male, vectors, z0)
    region = Snapshot("region", z0, (("Male", 2.0),), region=torch.ones(8, 8), under=blond)
    assert outside_of(region, vectors, z0).hair is True  # what it keeps outside: the blond state
    assert edit_record(region, vectors, z0)["edits"][0]["hair"] is True
