"""The quality the editor shows: LPIPS against the photo, identity for faces, realism and its rank
among the model's own samples. No Qt."""
import pytest
import torch

from editor.quality import Quality, QualityMeter
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
    assert same.summary().startswith("unchanged from the photo · more realistic than")
    # the photo's own rank beside it (an untouched product photo read "more realistic than 5% of
    # samples" and nothing said the photo itself scores so: a walkthrough), in words first
    # (walkthrough 53: "more realistic than 0% of samples" alarmed)
    photo_rank = meter.photo().realism_rank
    share = f"{100 * other.realism_rank:.0f}% of the pictures the model draws"
    assert other.summary().endswith("more realistic than " + share)
    assert "the photo" not in other.summary().split(" · ")[-1]
    how = "as" if abs(other.realism_rank - photo_rank) < 0.05 else \
        "more" if other.realism_rank > photo_rank else "less"
    said = meter.said(other).split(" · ")[-1]
    assert said.startswith(f"{how} realistic than the photo (ranked above {share}")
    assert meter.said(other).startswith(f"close to the photo ({other.lpips:.3f})" if other.lpips < 0.05 else
                                        "changed from the photo" if other.lpips < 0.15 else "much changed")
    from editor.quality import closeness, realism_words

    assert closeness(0.001) == "unchanged from the photo"
    assert closeness(0.2) == "much changed from the photo (0.200)"
    assert closeness(float("nan")) == "much changed from the photo (nan)"  # (a review: it raised)
    assert realism_words(0.05, 0.18) == ("less realistic than the photo (ranked above 5% of the pictures "
                                         "the model draws; the photo: 18%)")
    assert realism_words(0.2, 0.18).startswith("as realistic as the photo (")
    assert realism_words(0.5, None) == "more realistic than 50% of the pictures the model draws"
    no_photo = QualityMeter(model, LPIPS(), None)
    without_photo = no_photo.measure_code(z0[0])
    assert without_photo.lpips is None and "LPIPS" not in without_photo.summary()
    assert no_photo.said(without_photo) == without_photo.summary()  # no photo to compare with


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
    assert same.identity < 0.1 and "the same person (face distance 0.0" in same.summary()
    far = Quality(0.0, 0.5, lpips=0.1, identity=0.7)  # while a tuning runs: the distance, no verdict
    assert "another person" in far.summary() and "another person" not in far.summary(tuning=True)
    assert "face distance 0.70 before the tuning to the photo" in far.summary(tuning=True)
    assert "the same under 0.6" in same.summary()  # what the number is, and which way is good
    assert meter.too_far(far, landed=True) == ["identity"]  # judged against the photo's face...
    meter.tuning = True
    assert "identity" not in meter.too_far(far, landed=True)  # ...but not while a tuning runs
    meter.tuning = False
    assert other.identity > same.identity + 0.2
    # a whole image given to the face model (no face found): no identity, which read "same
    # person" on a dress (walkthrough)
    whole = QualityMeter(model, LPIPS(), target, aligned=False).measure_code(z[0])
    assert whole.identity is None and "person" not in whole.summary()


def test_one_plain_warning_when_an_edit_has_gone_too_far(tmp_path):
    from editor.quality import FAR_LPIPS, UNREALISTIC, Quality

    model = load_model(make_editable_model(tmp_path / "tiny"))
    z0 = model.codes(1, seed=3)[0]
    with torch.no_grad():
        target = model.decode(z0[None])
    meter = QualityMeter(model, LPIPS(), target, start=z0)
    assert meter.start.lpips == pytest.approx(0.0, abs=1e-6)
    assert meter.warning(meter.start) is None  # the unedited picture never warns
    fine = Quality(realism=0.0, realism_rank=0.5, lpips=FAR_LPIPS / 2)
    assert meter.warning(fine) is None
    assert "far from the photo" in meter.warning(Quality(0.0, 0.5, lpips=FAR_LPIPS + 0.01))
    assert "less realistic" in meter.warning(Quality(0.0, UNREALISTIC / 2, lpips=0.0))
    # Judged against the reconstruction: a photo it never reproduced well does not warn unedited.
    meter.start = Quality(0.0, UNREALISTIC / 2, lpips=0.3)
    assert meter.warning(Quality(0.0, UNREALISTIC / 4, lpips=0.3 + FAR_LPIPS / 2)) is None
    # A refined inversion: the meter judges against the new reconstruction once told.
    again = QualityMeter(model, LPIPS(), target, start=model.codes(1, seed=9)[0])
    assert again.start.lpips > 0.001
    again.rebase(z0)
    assert again.start.lpips == pytest.approx(0.0, abs=1e-6)
    face = QualityMeter(model, LPIPS(), target, start=z0)
    face.start = Quality(0.0, 0.5, lpips=0.0, identity=0.3)
    assert "no longer the photo's person" in face.warning(Quality(0.0, 0.5, lpips=0.1, identity=0.7))
    face.start = Quality(0.0, 0.5, lpips=0.0, identity=0.7)  # never the same person: no such warning
    assert face.warning(Quality(0.0, 0.5, lpips=0.1, identity=0.8)) is None
    # A hair colour changes much of a face by design: its identity judges it, not LPIPS (walkthrough).
    face.start = Quality(0.0, 0.5, lpips=0.0, identity=0.3)
    blond = Quality(0.0, 0.5, lpips=FAR_LPIPS + 0.1, identity=0.35)
    assert face.too_far(blond) == ["lpips"] and face.too_far(blond, hair=True) == []
    assert face.warning(blond, hair=True) is None
    assert face.too_far(Quality(0.0, 0.5, lpips=FAR_LPIPS + 0.1, identity=0.7), hair=True) == ["identity"]
    face.start = Quality(0.0, 0.5, lpips=0.0, identity=0.7)  # never the person: LPIPS judges it
    assert face.too_far(blond, hair=True) == ["lpips"]
    # where no identity is measured (a product, a whole image), LPIPS judges every edit
    assert again.too_far(Quality(0.0, 0.5, lpips=FAR_LPIPS + 0.01), hair=True) == ["lpips"]
    # but not what lands of colour strokes kept within their bands: what the user painted (a black
    # stroke that came out black read "Gone too far"); realism still judges it
    stripe = Quality(0.0, 0.5, lpips=FAR_LPIPS + 0.05)
    assert again.too_far(stripe, landed=True) == ["lpips"]
    assert again.too_far(stripe, landed=True, painted=True) == []
    assert again.too_far(Quality(0.0, UNREALISTIC / 2, lpips=FAR_LPIPS + 0.05), landed=True,
                         painted=True) == ["realism"]
    assert again.warning(stripe, painted=True) is not None  # the generator's picture: judged as before
    # nor an edit that asks for another kind of item (walkthrough 53: "Gone too far" at every class
    # value on a dress); realism still judges it
    assert again.too_far(stripe, kind=True) == [] and again.warning(stripe, kind=True) is None
    assert again.too_far(Quality(0.0, UNREALISTIC / 2, lpips=FAR_LPIPS + 0.05), kind=True) == ["realism"]


def test_a_class_slider_raised_or_a_class_pair_moved_asks_for_another_kind():
    """editing.slider_notes.asks_kind, from the shipped product model's sliders' kinds (judged_by's
    `kind`): a class slider raised or a class pair moved either way, KIND_FROM or more, toward a kind
    other than the item's own; not a class slider lowered (it holds the kind), one moved a hair, one
    toward the kind the item is (a review: Dress +3 on a dress, Coat +0.01 beside large measured
    edits, escaped the LPIPS rule), a measured slider, a name the model does not have, no vectors."""
    from types import SimpleNamespace

    from editing.slider_notes import asks_kind
    from editing.vectors import model_vectors
    from editor.render import judged_by
    from editor.session import new_document
    from training.modelfile import DEFAULT_MODEL

    model = load_model(DEFAULT_MODEL)
    vectors = model_vectors(model)
    z0 = new_document(model, 1).z0  # a dress
    assert vectors.hold.read_class(z0, z0)[0] == "dress"
    assert asks_kind(vectors, {"coat": 1.0}, z0) and asks_kind(vectors, {"sneaker->ankle_boot": -0.5}, z0)
    assert asks_kind(vectors, (("width", 1.0), ("bag", 2.0)), z0)  # a snapshot's items
    assert asks_kind(vectors, {"shirt->dress": -1.0}, z0)  # toward a shirt
    for values in ({"coat": -1.0}, {"coat": 0.0}, {"coat": 0.01, "width": -3.0}, {"dress": 3.0},
                   {"shirt->dress": 2.0}, {"brightness": -3.0}, {"Coat": 1.0}, {}):
        assert not asks_kind(vectors, values, z0), values
    assert asks_kind(vectors, {"dress": 3.0})  # no code to read the kind of: toward any kind
    assert not asks_kind(None, {"coat": 1.0}, z0)
    state, box = SimpleNamespace(reach_strokes=(), slider_dict={"bag": 2.0}, moved=None), unit_box()
    assert judged_by(state, box, vectors, z0)["kind"] and not judged_by(state, box)["kind"]

def test_the_candidates_panel_puts_the_warning_first(tmp_path, qtbot, monkeypatch):
    from editor.panels import CandidatesPanel

    model = load_model(make_editable_model(tmp_path / "tiny"))
    z = model.codes(2, seed=3)
    with torch.no_grad():
        target = model.decode(z[:1])
    panel = CandidatesPanel()
    qtbot.addWidget(panel)
    meter = QualityMeter(model, LPIPS(), target, start=z[0])
    panel.set_meter(meter)
    panel.show_quality(z[0])
    assert panel.quality.text().startswith("Now: unchanged from the photo")
    panel.show_quality(z[1], unedited=True)  # the photo as opened, a face's reconstruction measured
    assert panel.quality.text().startswith("The model's picture of the photo, which edits start from: ")
    panel.show_quality(z[0], shown=target, unedited=True)  # what lands measured: the photo itself
    assert panel.quality.text().startswith("Now: unchanged")
    panel.set_meter(QualityMeter(model, LPIPS(), None, start=z[0]))  # a model sample: no photo
    panel.show_quality(z[0], unedited=True)
    assert panel.quality.text().startswith("Now: ")
    panel.set_meter(meter)
    import editor.quality

    monkeypatch.setattr(editor.quality, "FAR_LPIPS", meter.measure_code(z[1]).lpips / 2)  # z[1] is far
    panel.show_quality(z[1])
    assert "Gone too far" in panel.quality.text() and "Ctrl+Z" in panel.quality.text()
    # the tooltip is rich text, which Qt wraps (plain, it ran 1,500 px past the window's sides)
    assert panel.quality.toolTip().startswith("<p>")


def test_a_chosen_candidate_is_shown_untinted(tmp_path, qtbot):
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QIcon

    from editor.panels import CANDIDATE_SIDE, CandidatesPanel

    model = load_model(make_editable_model(tmp_path / "tiny"))
    z = model.codes(2, seed=3)
    with torch.no_grad():
        images = model.decode(z)
    panel = CandidatesPanel()
    qtbot.addWidget(panel)
    panel.show_candidates(z, images)
    icon, side = panel.gallery.item(0).icon(), QSize(CANDIDATE_SIDE, CANDIDATE_SIDE)
    normal = icon.pixmap(side, QIcon.Mode.Normal).toImage()
    assert icon.pixmap(side, QIcon.Mode.Selected).toImage() == normal, "the selection tints the picture"


def test_realism_ranks_come_from_the_models_own_generator_even_when_it_draws_tuned(tmp_path):
    """A session reopened measured its tuned generator first and ranked the same picture 77% where
    the photo's first opening said 74% (walkthrough): the ranks were whichever came first's."""
    import copy

    import editor.quality
    from editor.quality import typical_realism
    from inversion.tuning import tuned_model

    model = load_model(make_editable_model(tmp_path / "tiny"))
    generator = copy.deepcopy(model.generator)
    with torch.no_grad():
        for p in generator.parameters():
            p.add_(0.05 * torch.randn_like(p))
    editor.quality._TYPICAL.clear()
    tuned_first = typical_realism(tuned_model(model, generator))
    editor.quality._TYPICAL.clear()
    assert (typical_realism(model) == tuned_first).all()


def test_a_picture_that_lands_on_the_photo_is_judged_against_the_photo_itself(tmp_path, monkeypatch):
    """What lands (a stroke's stripe on a product, a dragged photo: editor.render.as_model_sees_it)
    is compared with the photo itself, whose LPIPS is 0, not with the reconstruction, whose own
    LPIPS would let it move that much further before "Gone too far"."""
    import editor.quality

    model = load_model(make_editable_model(tmp_path / "tiny"))
    z = model.codes(3, seed=3)
    with torch.no_grad():
        target = model.decode(z[:1])
    meter = QualityMeter(model, LPIPS(), target, start=z[1])  # a reconstruction some way off
    own = meter.start.lpips
    assert own > 0.01 and meter.photo().lpips == pytest.approx(0.0, abs=1e-6)
    q = meter.measure_code(z[2])
    assert q.lpips > own / 2
    monkeypatch.setattr(editor.quality, "FAR_LPIPS", q.lpips - own / 2)
    assert "lpips" not in meter.too_far(q)  # within FAR of the reconstruction's own
    assert "lpips" in meter.too_far(q, landed=True)  # but further than FAR from the photo


def unit_box():
    """A 300 px product photo framed whole for a 32 px grey model."""
    from inversion.framing import DomainMapping

    return DomainMapping(photo_size=(300, 300), box=(0.0, 0.0, 300.0, 300.0), resolution=32, content=28,
                         grey=True, invert=True, background=(250.0, 250.0, 250.0), black_point=0.0,
                         whole_image=False)


def test_only_colour_strokes_within_their_bands_escape_the_lpips_rule():
    """What lands of a product's colour strokes kept within their bands is what the user painted
    (QualityMeter.too_far's `painted`); a slider moved, a drag, or a warp's band among the strokes
    lands wherever it changed, and the LPIPS rule judges the state again (a review)."""
    from types import SimpleNamespace

    from editing.solver import Stroke
    from editor.render import judged_by

    box = unit_box()
    colour = Stroke("color", ((4.0, 16.0), (28.0, 16.0)), 1.0, (1.0,))
    warp_band = Stroke("sketch", ((16.0, 4.0), (16.0, 28.0)), 1.0)

    def state(strokes=(colour,), sliders=None, moved=None):
        return SimpleNamespace(reach_strokes=strokes, slider_dict=sliders or {}, moved=moved)

    assert judged_by(state(), box) == {"hair": False, "painted": True, "kind": False}
    assert not judged_by(state(sliders={"brightness": 0.5}), box)["painted"]
    assert judged_by(state(sliders={"brightness": 0.0}), box)["painted"]
    assert not judged_by(state(moved=object()), box)["painted"]
    assert not judged_by(state(strokes=(colour, warp_band)), box)["painted"]
    assert not judged_by(state(strokes=()), box)["painted"]


def test_a_photo_an_object_model_draws_poorly_is_said_to_be_so(tmp_path):
    """A walkthrough edited a cup and a cat with the product model into grey boots and square rims,
    and nothing said that it knows clothes, shoes and bags only: past POOR_FIT the editor says, after
    the inversion, that the model draws the photo poorly (benchmarks/results/poor_fit.md)."""
    from dataclasses import replace

    from editor.quality import Quality
    from inversion.invert import POOR_FIT

    model = load_model(make_editable_model(tmp_path / "tiny"))
    z0 = model.codes(1, seed=3)[0]
    with torch.no_grad():
        target = model.decode(z0[None])
    meter = QualityMeter(model, LPIPS(), target, start=z0)
    assert meter.spec.kind == "object" and meter.poor_fit() is None  # its own picture: 0 from it
    meter.start = Quality(0.0, 0.5, lpips=POOR_FIT + 0.02)
    assert meter.poor_fit() == f"{model.name} draws this photo poorly, so edits may look broken"  # no
    # numbers (walkthrough 54), nothing after them (56: the line ran past a 1200 px window)
    assert meter.poor_fit(short=True) == (f"{model.name} draws this photo poorly ({POOR_FIT + 0.02:.3f} from "
                                          f"its own picture, where its training images lie under {POOR_FIT:g}"
                                          f"): edits may look broken")  # the quality line's numbers
    meter.start = Quality(0.0, 0.5, lpips=POOR_FIT + 0.0004)  # just past: said as past, not "0.070 ...
    assert f"({POOR_FIT + 0.0004:.4f} from " in meter.poor_fit(short=True)  # under 0.07" (walkthrough 48)
    assert meter.poor_fit() == (f"{model.name} draws this photo a little less well than its training "
                                f"images, so some edits may look broken")  # not "poorly" (walk 49)
    assert "a little less well" in meter.poor_fit(short=True)
    meter.start = Quality(0.0, 0.5, lpips=POOR_FIT - 0.01)
    assert meter.poor_fit() is None
    meter.start = Quality(0.0, 0.5, lpips=0.3)
    meter.spec = replace(meter.spec, kind="face")  # a face: the quality line says whether it is the person
    assert meter.poor_fit() is None
    assert QualityMeter(model, LPIPS(), None, start=z0).poor_fit() is None  # a model sample: no photo
    # A model of the user's own photos (a centre crop): judged by what its encoder recorded of its
    # held-out images (editing.model_setup.held_out_fit), and not at all without that record.
    meter.spec = replace(meter.spec, kind="centre-crop")
    assert meter.poor_fit() is None
    model.config["encoder"] = {**model.config.get("encoder", {}), "held_out": {"n": 64, "lpips_p95": 0.124}}
    assert meter.poor_fit() is not None and "under 0.149" in meter.poor_fit(short=True)  # 1.2 times 0.124
    q = Quality(0.0, 0.97, lpips=0.0)  # the photo itself, which the discriminator likes
    assert "realistic" not in meter.said(q) and meter.said(q).startswith("unchanged from the photo")
    meter.start = Quality(0.0, 0.5, lpips=0.14)
    assert meter.poor_fit() is None and "ranked above 97%" in meter.said(q)


def test_a_face_slider_moved_far_that_left_its_attribute_says_so(tmp_path):
    """Walkthrough 49: Eyeglasses +2.67 added no glasses and nothing said so. A face slider moved 2
    or further toward its attribute (or away from it) whose picture the shipped attribute classifier
    still reads as it read the reconstruction says so; other models have no reader."""
    from editor.attribute_notes import AttributeReader, attribute_notes
    from training.modelfile import DEFAULT_MODEL, resolve_model

    before = {"Eyeglasses": 0.05, "Smiling": 0.9, "Male": 0.2}
    now = {"Eyeglasses": 0.16, "Smiling": 0.88, "Male": 0.7}
    assert attribute_notes({"Eyeglasses": 2.67}, before, now) == [
        "Eyeglasses +2.67: the attribute classifier still reads no eyeglasses here (16%)"]
    assert attribute_notes({"Smiling (keep Male, Young)": -2.0}, before, now) == [
        "Smiling (keep male, young) -2.00: the attribute classifier still reads smiling here (88%)"]
    assert attribute_notes({"Eyeglasses": 1.9, "Smiling": 2.0, "Male": 2.0}, before, now) == []  # short
    # of 2; already smiling; reads male now
    assert attribute_notes({"Direction 1": 3.0}, before, now) == []  # no attribute of the classifier
    assert AttributeReader.for_model(load_model(resolve_model(DEFAULT_MODEL))) is None  # products
    try:
        face = load_model(resolve_model("celeba-64"))
    except Exception:
        pytest.skip("the face model is not in assets/models")
    reader = AttributeReader.for_model(face)
    assert reader is not None and "Eyeglasses" in reader.names
    read = reader.read(face.sample(1, seed=3))
    assert set(read) == set(reader.names) and all(0.0 <= p <= 1.0 for p in read.values())


def test_a_document_as_opened_is_never_gone_too_far(qtbot, tmp_path):
    """Walkthrough 52: New from model, seed 86671 (a poor sample of the shipped product model), said
    "Gone too far: less realistic than 98% of the model's own pictures (undo: Ctrl+Z)" before any edit,
    with nothing to undo: its frame, measured as the model sees it, scored under the sample's own
    realism. A model sample's document is judged against the sample as the canvas shows it, as the
    model sees it, as a photo's is against the photo: unedited it never says an edit went too far,
    and a small edit of it does not either."""
    from tests.conftest import open_window
    from tests.test_editor import settle

    w = open_window(qtbot, tmp_path, "fashion-mnist-32")
    w.new_from_model(86671)
    settle(qtbot, w)
    qtbot.waitUntil(lambda: "Now:" in w.candidates_panel.quality.text(), timeout=10_000)
    said = w.candidates_panel.quality.text()
    assert "Gone too far" not in said and w.candidates_panel.warning is None
    assert "more realistic than 0% of the pictures the model draws" in said  # it does score that low
    w.set_slider("brightness", 0.1, commit=True)
    settle(qtbot, w)
    qtbot.wait(500)  # (its frame, then the quality judged on it)
    assert w.candidates_panel.warning is None
