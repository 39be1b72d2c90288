"""Property tests (Hypothesis) of recipe, session and model-config parsing: a file made of random
JSON, or a good file with random parts replaced or removed, gives a clear UserError or a correct
result, never another exception, and never grows the process's peak memory by 1.5 GB.

Derandomized (the same examples on every run) and without an example database, like every other
test here; each property runs a few dozen examples through the real loaders."""
from __future__ import annotations

import json
import resource
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from training.errors import UserError  # noqa: E402
from training.modelfile import DEFAULT_MODEL, MODELS_DIR, load_model  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MEMORY_BOUND = 1.5e9  # bytes the peak may grow by over a property's examples

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20)

plausible = st.floats(-3, 3) | st.integers(0, 3)  # values a good file could hold, so some pass


def paths(value, prefix=()):
    """Every (path of keys) into a JSON value, the value itself first."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, prefix + (i,))


@st.composite
def mutated(draw, good):
    """`good` (a JSON value) with 1-3 of its parts replaced by random JSON or removed."""
    doc = json.loads(json.dumps(good))
    for _ in range(draw(st.integers(1, 3))):
        where = list(paths(doc))
        path = where[draw(st.integers(0, len(where) - 1))]
        if not path:
            doc = draw(json_values)
            continue
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        if draw(st.booleans()):
            parent[path[-1]] = draw(json_values | plausible)
        elif isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
    return doc


def hostile(good):
    return st.one_of(json_values, mutated(good))


def peak_bytes() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0  # Linux: KiB


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """The product model, a photo, an export's recipe and a session, written once."""
    from PIL import Image

    from editing.cli import main as edit_main
    from editor.session import new_document
    from editor.state import Snapshot
    from inversion.invert import photo_to_model, save_code
    from inversion.photo import load_photo

    folder = tmp_path_factory.mktemp("properties")
    img = np.full((120, 90, 3), 246, np.uint8)
    img[15:105, 25:65] = (70, 50, 40)
    Image.fromarray(img).save(folder / "coat.png")
    model = load_model(DEFAULT_MODEL)
    _, mapping = photo_to_model(model, load_photo(folder / "coat.png"))
    save_code(folder / "coat.npz", model.codes(1, seed=3)[0], mapping, model, folder / "coat.png")
    assert edit_main(["edit", str(folder / "coat.png"), "--code", str(folder / "coat.npz"),
                      "--attr", "area=1", "--out", str(folder / "edited.png")]) == 0
    doc = new_document(model, seed=5)
    doc.push(Snapshot("slider area", doc.z0.clone(), (("area", 1.0),)))
    doc.save(folder / "session.json")
    shutil.copytree(MODELS_DIR / DEFAULT_MODEL, folder / "model")
    return folder, model


def write(path: Path, value) -> Path:
    path.write_text(json.dumps(value))  # NaN and Infinity written as JSON never allows them
    return path


def test_recipe_parsing_and_rebuilding_give_a_user_error_or_the_export(workspace):
    from editing.export import read_recipe, rebuild_from_recipe

    folder, _ = workspace
    good = json.loads((folder / "edited.png.recipe.json").read_text())
    start = peak_bytes()

    @SETTINGS
    @given(hostile(good))
    def check(doc):
        out = folder / "rebuilt.png"
        out.unlink(missing_ok=True)
        try:
            rebuild_from_recipe(read_recipe(write(folder / "r.recipe.json", doc)), out)
        except UserError as e:
            assert str(e) and "\n" not in str(e)
            return
        from PIL import Image

        assert Image.open(out).size == (90, 120)

    check()
    assert peak_bytes() - start < MEMORY_BOUND


def test_session_parsing_gives_a_user_error_or_a_usable_document(workspace):
    from editing.vectors import model_vectors
    from editor.session import document_from_session
    from editor.session_check import read_session

    folder, model = workspace
    vectors = model_vectors(model)
    good = json.loads((folder / "session.json").read_text())
    start = peak_bytes()

    @SETTINGS
    @given(hostile(good))
    def check(doc):
        try:
            document = document_from_session(read_session(write(folder / "s.json", doc)), model,
                                             vectors)
        except UserError as e:
            assert str(e) and "\n" not in str(e)
            return
        assert 0 <= document.index < len(document.history)
        assert torch.isfinite(document.current.code(vectors)).all()

    check()
    assert peak_bytes() - start < MEMORY_BOUND


def test_model_config_parsing_gives_a_user_error_or_a_working_model(workspace):
    folder, _ = workspace
    good = json.loads((folder / "model" / "config.json").read_text())
    start = peak_bytes()

    @SETTINGS
    @given(hostile(good))
    def check(doc):
        write(folder / "model" / "config.json", doc)
        try:
            model = load_model(folder / "model")
        except UserError as e:
            assert str(e)
            return
        with torch.no_grad():
            image = model.decode(model.codes(1))
        assert image.shape[-1] == model.gan.resolution and torch.isfinite(image).all()

    check()
    assert peak_bytes() - start < MEMORY_BOUND
