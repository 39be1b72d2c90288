"""Keeping what it is: measured sliders held where the item would change class (editing.keep)."""
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from editing.keep import ClassHold, SliderSet, held_sliders
from editing.slider_notes import HELD_WHY, goes_to, why_held
from editing.steer import Calibration
from editing.vectors import AttributeVector, apply_sliders, model_vectors
from tests.conftest import make_editable_model
from training.modelfile import DEFAULT_MODEL, load_model

FIXTURES = Path(__file__).parent / "fixtures" / "fashion-mnist"


def step_classifier(x: torch.Tensor) -> torch.Tensor:
    """Class 1 once the first coordinate reaches 1.1, class 0 below."""
    return torch.stack([1.1 - x[:, 0], x[:, 0] - 1.1], 1)


def test_a_measured_slider_stops_at_the_last_value_that_keeps_the_class():
    e = torch.eye(4)
    vectors = {"width": AttributeVector("width", e[0], 1.0, {"kind": "measured"}),
               "coat": AttributeVector("coat", e[0], 1.0, {"kind": "class"})}
    hold = ClassHold(lambda z: z, step_classifier, vectors)
    sliders = SliderSet(vectors, hold)
    z0 = torch.zeros(4)
    assert hold.limits(z0, "width") == (-math.inf, 1.0)  # 1.25 would be class 1; down never changes
    assert hold.clamp(z0, {"width": 2.5, "coat": 2.5}) == {"width": 1.0, "coat": 2.5}
    assert apply_sliders(z0, sliders, {"width": 2.5})[0].item() == 1.0
    assert apply_sliders(z0, sliders, {"coat": 2.5})[0].item() == 2.5  # class sliders change class
    assert apply_sliders(z0, sliders, {"width": -2.0})[0].item() == -2.0  # within the limits: as asked
    assert apply_sliders(z0, vectors, {"width": 2.5})[0].item() == 2.5  # a plain dict holds nothing
    assert held_sliders(sliders, z0, {"width": 2.5, "coat": 1.0}) == {"width": 1.0}
    assert hold.limits(torch.full((4,), 2.0), "width") == (-0.75, math.inf)  # class 1 down to 1.25
    assert hold.limits(torch.tensor([1.2, 0, 0, 0]), "width") == (0.0, math.inf)  # at the edge already
    assert hold.clamp(z0, {"width": -5.0}) == {"width": -5.0}  # beyond +-3 but never changing class


def test_held_sliders_moving_together_are_scaled_back_together():
    # Each slider alone keeps class 0 up to +1 (x0 + x1 reaches 1.1 only together).
    e = torch.eye(4)
    vectors = {"a": AttributeVector("a", e[0], 1.0, {"kind": "measured"}),
               "b": AttributeVector("b", e[1], 1.0, {"kind": "measured"})}

    def together(x):
        s = x[:, 0] + x[:, 1]
        return torch.stack([1.1 - s, s - 1.1], 1)

    hold = ClassHold(lambda z: z, together, vectors)
    z0 = torch.zeros(4)
    assert hold.limits(z0, "a") == (-math.inf, 1.0)
    out = hold.clamp(z0, {"a": 1.0, "b": 1.0})  # together 2.0: scaled to the largest eighth under 1.1
    assert out == {"a": 0.5, "b": 0.5}
    z = apply_sliders(z0, SliderSet(vectors, hold), {"a": 1.0, "b": 1.0})
    assert together(z[None]).argmax(1).item() == 0


def test_the_start_of_held_sliders_moving_together_is_read_once_per_code():
    """Every combination of held sliders from one code is judged against that code's own reading,
    read once (a slider frame's check then costs one image, not two), and the shares are as before."""
    e = torch.eye(4)
    vectors = {"a": AttributeVector("a", e[0], 1.0, {"kind": "measured"}),
               "b": AttributeVector("b", e[1], 1.0, {"kind": "measured"})}
    batches = []

    def together(x):
        batches.append(x.clone())
        s = x[:, 0] + x[:, 1]
        return torch.stack([1.1 - s, s - 1.1], 1)

    hold = ClassHold(lambda z: z, together, vectors)
    z0 = torch.zeros(4)
    hold.walk(z0, "a"), hold.walk(z0, "b")
    batches.clear()
    assert hold.clamp(z0, {"a": 1.0, "b": 1.0}) == {"a": 0.5, "b": 0.5}
    assert hold.clamp(z0, {"a": 0.5, "b": 0.25}) == {"a": 0.5, "b": 0.25}
    assert hold.clamp(z0, {"a": 0.75, "b": 0.75}) == {"a": 0.46875, "b": 0.46875}  # 5/8 of the way
    alone = [b for b in batches if len(b) == 1 and torch.equal(b[0], z0)]
    assert len(alone) == 1  # z0 read once, for the first combination
    assert not any(len(b) > 1 and torch.equal(b[0], z0) for b in batches)  # never again beside others
    other = torch.full((4,), -1.0)
    hold.walk(other, "a"), hold.walk(other, "b")
    hold.clamp(other, {"a": 1.0, "b": 1.0})
    assert sum(len(b) == 1 and torch.equal(b[0], other) for b in batches) == 1  # another code: its own


def test_models_without_classes_are_not_held(tmp_path):
    model = load_model(make_editable_model(tmp_path / "tiny"))
    vectors = model_vectors(model)
    assert isinstance(vectors, SliderSet) and vectors.hold is None


def test_the_shipped_product_model_keeps_a_sample_s_class_at_width_plus_three():
    from training.classifier import CLASSIFIERS_DIR, load_classifier

    model = load_model(DEFAULT_MODEL)
    held, free = model_vectors(model), model_vectors(model, keep_class=False)
    assert held.hold is not None and set(held.hold.names) == {"brightness", "area", "height", "width"}
    assert free.hold is None
    classifier, _ = load_classifier()
    z = torch.randn(40, model.gan.latent_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = classifier(model.decode(z)).argmax(1)
        free_after = classifier(model.decode(torch.stack([apply_sliders(c, free, {"width": 3.0}) for c in z]))).argmax(1)
        held_after = classifier(model.decode(torch.stack([apply_sliders(c, held, {"width": 3.0}) for c in z]))).argmax(1)
    assert (free_after != before).sum() >= 3  # unheld, width +3 turns some samples into other items
    assert torch.equal(held_after, before)
    # The second classifier, which the editor never sees, agrees far more often with the hold.
    judge, _ = load_classifier(CLASSIFIERS_DIR / "fashion-mnist-judge")
    with torch.no_grad():
        seen = judge(model.decode(z)).argmax(1)
        free_kept = (judge(model.decode(torch.stack([apply_sliders(c, free, {"width": 3.0}) for c in z]))
                           ).argmax(1) == seen).float().mean()
        held_kept = (judge(model.decode(torch.stack([apply_sliders(c, held, {"width": 3.0}) for c in z]))
                           ).argmax(1) == seen).float().mean()
    # 0.82 against 0.70 with the first LSGAN model; 0.925 against 0.825 with the distilled one, whose
    # width direction alone changes fewer items' class
    assert held_kept >= free_kept + 0.05


def test_strokes_on_a_product_model_are_solved_with_the_class_kept():
    from dataclasses import replace

    from editing.edit import CLASS_LOSS, solver_config
    from editing.class_terms import class_penalty, class_term
    from editing.solver import Stroke, build_constraints, objective_terms

    model = load_model(DEFAULT_MODEL)
    cfg = solver_config(model)
    assert cfg.class_loss == CLASS_LOSS > 0 and cfg.identity == 0
    z = torch.randn(3, model.gan.latent_dim, generator=torch.Generator().manual_seed(1))
    term, penalty = class_term(model, z[0]), class_penalty(model, z[0])
    with torch.no_grad():
        x = model.decode(z)
    c = build_constraints([Stroke("color", ((16.0, 16.0),), 2.0, (1.0,))], x[0])
    _, with_term, _, _ = objective_terms(model.decode, model.discriminator, z, z[:1], c, cfg, classes=term)
    _, without, _, _ = objective_terms(model.decode, model.discriminator, z, z[:1], c, replace(cfg, class_loss=0.0),
                                       classes=term)
    assert torch.allclose(with_term - without, cfg.class_loss * term(x), atol=1e-5)
    assert term(x[:1]).item() < 1.0  # the item itself is its own class
    assert penalty(x[:1]).item() == 0.0
    zr = torch.zeros(1, 1, requires_grad=True)  # the term passes gradients back to the code
    term(model.decode(z[1:2] + zr)).sum().backward()
    assert zr.grad is not None


def test_models_without_classes_solve_strokes_as_before(tmp_path):
    from editing.edit import solver_config

    assert solver_config(load_model(make_editable_model(tmp_path / "tiny"))).class_loss == 0.0


def test_a_chosen_candidate_is_applied_exactly_under_held_per_class_sliders():
    """The sliders' offset comes from the document's z0 alone, so a state made to show code z
    (a stroke's candidate) shows exactly z, whatever class its base would have."""
    from editor.session import new_document

    model = load_model(DEFAULT_MODEL)
    vectors = model_vectors(model)
    doc = new_document(model, 3)
    doc.push(doc.with_sliders({"width": 3.0, "brightness": -2.0}, "sliders"))
    g = torch.Generator().manual_seed(0)
    for _ in range(6):
        z = doc.code(vectors) + torch.randn(doc.z0.shape, generator=g)  # far enough to change class
        snap = doc.with_candidate(z, (), vectors, "candidate")
        doc.push(snap)
        assert torch.allclose(doc.code(vectors), z, atol=1e-5)


def toy_measure(x: torch.Tensor) -> dict[str, torch.Tensor]:
    """'width' grows twice as fast as the first coordinate up to 1, then stays: an item that
    cannot get wider than 2 units; 'typical_width' is what the calibration reads."""
    width = 2 * x[:, 0].clamp(max=1.0)
    return {"width": width * 0, "typical_width": width}


def test_a_calibrated_slider_moves_by_the_measured_amount_and_holds_where_the_item_cannot_go():
    from editing.steer import Walk

    e = torch.eye(4)
    vectors = {"width": AttributeVector("width", e[0], 1.0, {"kind": "measured"}),
               "coat": AttributeVector("coat", e[0], 1.0, {"kind": "class"})}
    hold = ClassHold(lambda z: z, step_classifier, vectors,
                     Calibration(toy_measure, {"width": 1.0}, {"width": "typical_width"}))
    sliders, z0 = SliderSet(vectors, hold), torch.zeros(4)
    assert hold.calibrated("width") and not hold.calibrated("coat")
    # One unit of width is half a spread here: +1 lands at 0.5, +1.5 at 0.75.
    assert apply_sliders(z0, sliders, {"width": 1.0})[0].item() == 0.5
    assert abs(apply_sliders(z0, sliders, {"width": 1.5})[0].item() - 0.75) < 1e-6
    assert apply_sliders(z0, sliders, {"width": -1.0})[0].item() == -0.5  # down: as far as asked
    # +3 would need 1.5 spreads: the item stops growing at 1 (2 units), before the class changes
    # at 1.1; it holds where the largest change was first reached, and says so.
    assert apply_sliders(z0, sliders, {"width": 3.0})[0].item() == 1.0
    assert held_sliders(sliders, z0, {"width": 3.0, "coat": 1.0}) == {"width": 2.0}
    assert held_sliders(sliders, z0, {"width": 1.5}) == {}
    assert why_held(sliders, z0, "width", 3.0) == HELD_WHY["class"]  # the class changes past 1.1
    # With a class that never changes, the reason is the item itself: it grows no further.
    never = ClassHold(lambda z: z, lambda x: torch.zeros(len(x), 2), vectors,
                      Calibration(toy_measure, {"width": 1.0}, {"width": "typical_width"}))
    assert held_sliders(SliderSet(vectors, never), z0, {"width": 3.0}) == {"width": 2.0}
    assert why_held(SliderSet(vectors, never), z0, "width", 3.0) == HELD_WHY["reach"]
    assert apply_sliders(z0, sliders, {"coat": 2.5})[0].item() == 2.5  # class sliders: not calibrated
    walk = hold.walk(z0, "width")
    assert isinstance(walk, Walk) and walk.limit(0) == 1.0 and walk.limit(1) == math.inf
    # A slider's value never goes back to a smaller distance when it grows (no jumps).
    distances = [apply_sliders(z0, sliders, {"width": a})[0].item() for a in (0.25, 0.5, 1, 2, 2.5, 3)]
    assert distances == sorted(distances)


def test_a_steered_slider_follows_the_item_s_own_gradient_and_holds_the_rest_still():
    # The class's direction (x0) does not widen this item; x1 does, but it also brightens it, which
    # x2 undoes: the steered path widens it with its brightness held, where the straight line cannot.
    e = torch.eye(4)
    vectors = {"width": AttributeVector("width", e[0], 1.0, {"kind": "measured"})}

    def exact(x):
        return {"typical_width": 2 * x[:, 1]}

    def soft(x):
        return {"width": 2 * x[:, 1], "brightness": x[:, 1] + x[:, 2]}

    steered = ClassHold(lambda z: z, step_classifier, vectors,
                        Calibration(exact, {"width": 1.0}, {"width": "typical_width"}, soft,
                                    {"width": ("brightness",)}))
    straight = ClassHold(lambda z: z, step_classifier, vectors,
                         Calibration(exact, {"width": 1.0}, {"width": "typical_width"}))
    z0 = torch.zeros(4)
    z = apply_sliders(z0, SliderSet(vectors, steered), {"width": 2.0})
    # Each step goes 0.25 along (e1 - e2)/sqrt(2): +2 units (x1 = 1) after 4 sqrt(2) steps.
    assert torch.allclose(z, torch.tensor([0.0, 1.0, -1.0, 0.0]), atol=1e-5), z
    assert held_sliders(SliderSet(vectors, steered), z0, {"width": 2.0}) == {}
    assert torch.allclose(apply_sliders(z0, SliderSet(vectors, steered), {"width": -1.0}),
                          torch.tensor([0.0, -0.5, 0.5, 0.0]), atol=1e-5)
    # Along the class's direction the item never widens and turns class 1 past 1.1: held at 0.
    assert held_sliders(SliderSet(vectors, straight), z0, {"width": 2.0}) == {"width": 0.0}
    assert why_held(SliderSet(vectors, straight), z0, "width", 2.0) == HELD_WHY["class"]


def test_the_shipped_product_model_s_width_slider_widens_every_item_by_the_measured_amount():
    from editing.keep_versions import uncalibrated
    from editing.measure import UNITS, measure

    model = load_model(DEFAULT_MODEL)
    sliders = model_vectors(model)
    before = uncalibrated(sliders)
    assert sliders.hold.calibrated("width") and before is not None and not before.hold.calibrated("width")
    z = torch.randn(32, model.gan.latent_dim, generator=torch.Generator().manual_seed(3))

    def changes(vectors) -> torch.Tensor:  # (32,) typical width change at +1, in model pixels
        with torch.no_grad():
            edited = torch.stack([apply_sliders(c, vectors, {"width": 1.0}) for c in z])
            return (measure(model.decode(edited))["typical_width"] - measure(model.decode(z))["typical_width"]) * 32

    reached = torch.tensor([not held_sliders(sliders, c, {"width": 1.0}) for c in z])
    # Many of these 32 are held (10 reach +1 when written; the others are near another class, of a
    # width their class's direction does not change within 3 spreads, or pinned by the frame).
    assert reached.sum() >= 4, reached
    calibrated = changes(sliders)
    # About one pixel each (the walk is read every quarter spread, linear between: 0.88-1.30 px
    # when written).
    assert (calibrated[reached] >= 0.75 * UNITS["width"] * 32).all() and (calibrated[reached] <= 2).all()
    # Uncalibrated, the same value widens one sample by nothing and another by several pixels.
    assert changes(before)[reached].std() > calibrated[reached].std()


def test_a_session_saved_before_calibration_or_steering_opens_showing_what_it_showed():
    """Session version 1 stored slider values in spread units, versions 2 to 4 calibrated along a
    straight line; opened now, every state shows the code it showed then, with its sliders where
    they were."""
    from editing.keep_versions import uncalibrated, unsteered
    from editor.session import document_from_session, new_document

    model = load_model(DEFAULT_MODEL)
    vectors = model_vectors(model)
    doc = new_document(model, 3)
    doc.push(doc.with_sliders({"width": 2.0, "brightness": -1.0}, "sliders"))
    data = doc.to_dict()
    then = doc.current.code(uncalibrated(vectors), doc.z0)  # what the editor showed before
    assert not torch.allclose(doc.code(vectors), then, atol=1e-3)  # the values mean another code now
    old = document_from_session({**data, "version": 1}, model, vectors)
    assert torch.allclose(old.code(vectors), then, atol=1e-5)
    assert old.current.sliders == doc.current.sliders and len(old.history) == len(doc.history)
    assert torch.equal(old.history[0].z_base, doc.history[0].z_base)  # no sliders: untouched
    assert torch.allclose(document_from_session(data, model, vectors).code(vectors), doc.code(vectors))
    # Versions 2 to 4 moved them calibrated along the class's straight direction.
    straight = doc.current.code(unsteered(vectors), doc.z0)
    assert not torch.allclose(doc.code(vectors), straight, atol=1e-3)
    for version in (2, 3, 4):
        old = document_from_session({**data, "version": version}, model, vectors)
        assert torch.allclose(old.code(vectors), straight, atol=1e-5)
        assert old.current.sliders == doc.current.sliders


def test_a_straight_walk_interpolates_and_a_steered_one_takes_the_nearer_reading_across_a_jump():

    from editing.steer import Walk

    steps, kept = np.array([0.25, 0.5]), np.ones((2, 2), bool)
    gain = np.array([[0.3, 1.2], [0.0, 0.0]])
    # Straight (sessions of versions 2 to 4 must show what they showed): linear between readings.
    t, reached = Walk(steps, kept, gain).to_steps(0.5)
    assert abs(t - (0.25 + 0.2 / 0.9 * 0.25)) < 1e-12 and reached == 0.5
    # Steered, read finely: 0.3 -> 1.2 is a jump of the measure, not a slope; 0.5 is nearer 0.3,
    # and the slider reaches the 0.3 that reading shows; 1.0 is nearer 1.2.
    steered = Walk(steps, kept, gain, np.zeros((2, 2, 3), np.float32))
    assert steered.to_steps(0.5) == (0.25, 0.3)
    assert steered.to_steps(1.0) == (0.5, 1.2)

    class Hold:  # why_held reads the walk from the hold
        def walk(self, z0, name):
            return steered

    assert why_held(SliderSet({}, Hold()), torch.zeros(3), "width", 0.5) == HELD_WHY["step"]
    assert why_held(SliderSet({}, Hold()), torch.zeros(3), "width", 2.0) == HELD_WHY["reach"]
    # Said as it is: short of the value asked for, or past it to the nearer reading of a jump.
    from editing.slider_notes import HELD_WHY_SHORT

    assert HELD_WHY_SHORT.keys() == HELD_WHY.keys()
    assert all(len(HELD_WHY_SHORT[k]) < len(HELD_WHY[k]) for k in HELD_WHY)
    assert goes_to(0.5, 0.3) == "goes only to" and goes_to(1.0, 1.2) == "lands at"
    assert goes_to(-3.0, -3.14) == "lands at" and goes_to(-2.0, -0.93) == "goes only to"


def test_a_walk_asked_for_by_two_threads_at_once_is_made_once():
    import threading
    import time

    vectors = {"width": AttributeVector("width", torch.eye(4)[0], 1.0, {"kind": "measured"})}
    hold = ClassHold(lambda z: z, step_classifier, vectors)
    made, walk = [], hold._walk

    def slow_walk(z0, name, judged):
        made.append(name)
        time.sleep(0.2)
        if len(made) == 1:
            raise RuntimeError("the first walk fails")
        return walk(z0, name, judged)

    hold._walk = slow_walk
    results, errors = [], []

    def ask():
        try:
            results.append(hold.walk(torch.zeros(4), "width"))
        except RuntimeError as e:
            errors.append(e)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and len(errors) == 2  # the second waited for the first, and got its error
    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 2 and len(results) == 3 and results[0] is results[1] is results[2]


def test_the_soft_measure_reads_a_box_as_the_measure_does():
    from editing.measure import measure, soft_measure

    x = torch.full((1, 1, 32, 32), -1.0)
    x[..., 8:24, 12:20] = 0.8  # 16 rows by 8 columns
    exact, soft = measure(x), soft_measure(x)
    for name, read in (("width", "typical_width"), ("height", "typical_height"), ("area", "area")):
        assert abs(soft[name].item() - exact[read].item()) < 0.01, name
    assert soft_measure(torch.full((1, 1, 32, 32), -1.0))["area"].item() == 0.0  # black is no object


def test_a_size_slider_that_only_reshapes_its_item_is_found_and_said_to():
    """Fashion-MNIST draws trousers from the frame's top to its bottom: Height -2 reaches its value
    in the typical extent by reshaping them, the box as tall as before. reshaped_only finds such
    sliders (and whether the item spans the frame): not those whose box moves their way, nor those
    that changed nothing or reach less than RESHAPE_FROM."""
    from types import SimpleNamespace

    from editing.measure import reshaped_only, reshaped_words

    def item(rows: tuple[int, int], cols: tuple[int, int]) -> torch.Tensor:
        x = torch.full((1, 32, 32), -1.0)
        x[:, rows[0]:rows[1], cols[0]:cols[1]] = 0.8
        return x

    tall, widened_waist = item((2, 30), (11, 21)), item((2, 30), (11, 21))
    widened_waist[:, 2:5, 7:11] = 0.8  # short columns beside: a lower typical height, the same box
    short, shorter, short_waist = item((10, 20), (4, 28)), item((12, 20), (4, 28)), item((10, 20), (4, 28))
    short_waist[:, 10:12, 2:4] = 0.8
    pictures = [tall, widened_waist, short, shorter, short_waist]
    drawn = SimpleNamespace(decode=lambda z: torch.stack([pictures[int(c[0])] for c in z]))
    vectors = SimpleNamespace(hold=drawn)

    def code(i: int) -> torch.Tensor:  # the code of picture i
        return torch.tensor([float(i)])

    content = 28 / 32
    assert reshaped_only(vectors, code(0), code(1), {"height": -2.0}, content) == {"height": True}
    assert reshaped_only(vectors, code(2), code(4), {"height": -2.0}, content) == {"height": False}
    assert reshaped_only(vectors, code(0), code(1), {"height": -0.5}, content) == {}  # reaches too little
    assert reshaped_only(vectors, code(2), code(3), {"height": -2.0}, content) == {}  # 2 px shorter
    unchanged = reshaped_only(vectors, code(2), code(2), {"height": 2.0, "width": -1.0}, content)
    assert unchanged == {}
    assert reshaped_only(SimpleNamespace(), code(0), code(1), {"height": -2.0}, content) == {}  # no hold
    assert reshaped_words("height", True) == ("it reshapes the item but keeps its overall height (the model "
                                               "draws such items as tall as anything it draws)")
    assert reshaped_words("width", False, short=True) == "reshaped, overall width kept"


def test_the_cli_says_when_trousers_are_reshaped_instead_of_made_shorter(tmp_path, capsys):
    """The shipped model at Height -2 on Fashion-MNIST trousers: said, with the frame as the reason."""
    from benchmarks.editing import fake_photo
    from editing.cli import main

    said = []
    for name in ("00002_trouser.png", "00003_trouser.png", "00005_trouser.png"):
        img = np.asarray(Image.open(FIXTURES / name).convert("L"))
        Image.fromarray(fake_photo(img, (150, 120, 200))).save(tmp_path / name)
        assert main(["edit", str(tmp_path / name), "--attr", "height=-2", "--out", str(tmp_path / "out.png"),
                     "--overwrite"]) == 0
        said.append(capsys.readouterr().out)
    words = (": it reshapes the item but keeps its overall height (the model draws such items as tall as "
             "anything it draws)")
    reshaped = [s for s in said if s.startswith("height -2.00") and words in s]
    assert len(reshaped) >= 2, said


def test_the_hold_judges_the_photo_with_the_change_added_and_a_version_5_session_opens_as_it_showed(tmp_path):
    """A photo whose code the classifier reads as another class than the photo: the hold judges
    each step on the photo with the edit's change added (what the export carries back), so the
    item keeps what the photo shows; a session of version 5 (judged on the generator's picture)
    opens showing the codes it showed."""
    from editing.keep_versions import off_photos
    from editor.session import document_from_session, take_photo
    from editor.state import Document
    from training.classifier import model_classifier

    model = load_model(DEFAULT_MODEL)
    classifier = model_classifier(model)
    photo, x, mapping, seen, z0 = shirt_and_a_code_of_another_class(model, tmp_path)

    straight = ClassHold(model.decode, classifier, dict(model_vectors(model)), Calibration.shipped(steer=False))
    plain = straight.walk(z0, "width")
    straight.on_photo(z0, x)
    judged = straight.walk(z0, "width")
    unit, spread = straight._vectors["width"].direction(z0)
    with torch.no_grad():
        start = model.decode(z0[None])
        moved = model.decode(z0 + torch.tensor(judged.steps, dtype=torch.float32)[:, None] * spread * unit)
        read = classifier((x + moved - start).clamp(-1, 1)).argmax(1).numpy()
    assert (judged.kept[0] == (read == seen)).all(), "kept where the photo with the change reads as the photo"
    assert not np.array_equal(plain.kept, judged.kept), "the generator's picture alone says otherwise"

    vectors = model_vectors(model)
    doc = Document(model.path, model.model_id, photo.pixels, mapping, z0, photo_path=photo.path, target=x)
    take_photo(vectors, doc.z0, doc.target)
    doc.push(doc.with_sliders({"width": 2.0, "brightness": -1.0}, "sliders"))
    data = doc.to_dict()
    before = doc.current.code(off_photos(vectors), doc.z0)  # what version 5 showed
    assert not torch.allclose(doc.code(vectors), before, atol=1e-3)
    fresh = model_vectors(model)  # a new hold, as when the editor starts again
    old = document_from_session({**data, "version": 5}, model, fresh)
    assert torch.allclose(old.code(fresh), before, atol=1e-5) and old.current.sliders == doc.current.sliders
    assert torch.allclose(document_from_session(data, model, model_vectors(model)).code(fresh), doc.code(vectors),
                          atol=1e-5)


def test_a_photo_opened_in_the_editor_is_judged_from_its_final_code_and_its_session_reopens_as_shown(
        qtbot, tmp_path):
    """The inversion replaces the document's first code when it ends: the photo is registered for
    the final one, so the sliders shown are the ones a saved session brings back."""
    from PIL import Image

    from benchmarks.editing import fake_photo
    from tests.conftest import open_window

    shirt = np.asarray(Image.open(Path(__file__).parent / "fixtures" / "fashion-mnist" / "00004_shirt.png").convert("L"))
    Image.fromarray(fake_photo(shirt, (150, 120, 200))).save(tmp_path / "shirt.png")
    w = open_window(qtbot, tmp_path)
    assert w.open_photo(tmp_path / "shirt.png")
    qtbot.waitUntil(lambda: w.idle, timeout=60_000)
    assert w.vectors.hold._judged(w.doc.z0)[1] != b"", "the final code judges on the photo"
    w.set_slider("width", 2.0, commit=True)
    qtbot.waitUntil(lambda: w.idle, timeout=60_000)
    shown = w.doc.code(w.vectors)
    assert w.save_session(tmp_path / "shirt.session.json")
    again = open_window(qtbot, tmp_path, autosave="again.json")  # its own sliders and hold
    assert again.open_session(tmp_path / "shirt.session.json")
    qtbot.waitUntil(lambda: again.idle, timeout=60_000)
    assert torch.allclose(again.doc.code(again.vectors), shown, atol=1e-5)


def shirt_and_a_code_of_another_class(model, folder: Path):
    """(the photo of a lavender shirt, as the model sees it, its mapping, the class the model's
    classifier sees in it, a sample code that classifier reads as another class)."""
    from PIL import Image

    from benchmarks.editing import fake_photo
    from inversion.invert import photo_to_model
    from inversion.photo import load_photo
    from training.classifier import model_classifier

    classifier = model_classifier(model)
    shirt = np.asarray(Image.open(Path(__file__).parent / "fixtures" / "fashion-mnist" / "00004_shirt.png").convert("L"))
    Image.fromarray(fake_photo(shirt, (150, 120, 200))).save(folder / "shirt.png")
    photo = load_photo(folder / "shirt.png")
    x, mapping = photo_to_model(model, photo)
    codes = model.codes(16, seed=5)
    with torch.no_grad():
        seen = classifier(x).argmax(1).item()
        z0 = codes[int((classifier(model.decode(codes)).argmax(1) != seen).nonzero()[0])]
    return photo, x, mapping, seen, z0


def test_a_stroke_s_class_term_and_ranking_read_the_photo_with_the_change_added(tmp_path):
    """Given the photo, the stroke solver's class reference is what the photo shows, and each
    candidate is read as its export would show it: the unedited picture reads as the photo itself."""
    from editing.class_terms import class_penalty, class_term, with_change
    from training.classifier import model_classifier

    model = load_model(DEFAULT_MODEL)
    classifier = model_classifier(model)
    _, x, _, seen, z0 = shirt_and_a_code_of_another_class(model, tmp_path)
    with torch.no_grad():
        start = model.decode(z0[None])
        judged = with_change(x, start)
        on_photo, on_picture = class_term(model, z0, judged=judged), class_term(model, z0)
        expected = torch.nn.functional.cross_entropy(classifier(x), torch.tensor([seen]))
        assert torch.allclose(on_photo(start), expected, atol=1e-5)
        assert not torch.allclose(on_picture(start), expected, atol=1e-3)
        assert class_penalty(model, z0, judged=judged)(start).item() == 0
        far = model.decode(model.codes(8, seed=11))  # candidates far from z0: some read as other classes
        reads = classifier(judged(far)).argmax(1) != seen
        assert torch.equal(class_penalty(model, z0, judged=judged)(far) > 0, reads)


def test_a_class_slider_lowered_stops_before_the_item_changes_kind_and_raised_does_not():
    """Session version 14. Lowered, a class slider took a sneaker anywhere: Sandal -2 drew a shirt
    and nothing said so (a walkthrough). It is held as a measured slider is; raised, it still changes
    the class, as it is meant to; a hold made for older sessions (lowered=False) holds it nowhere."""
    e = torch.eye(4)
    vectors = {"coat": AttributeVector("coat", e[0], 1.0, {"kind": "class"})}
    hold = ClassHold(lambda z: z, step_classifier, vectors)
    sliders = SliderSet(vectors, hold)
    z0 = torch.full((4,), 2.0)  # class 1, down to 1.25
    assert hold.clamp(z0, {"coat": -2.0}) == {"coat": -0.75}
    assert apply_sliders(z0, sliders, {"coat": -2.0})[0].item() == 1.25
    assert apply_sliders(z0, sliders, {"coat": 2.0})[0].item() == 4.0  # raised: as asked
    vectors["bag"] = AttributeVector("bag", e[1], 1.0, {"kind": "class"})  # with one raised: not held
    assert hold.clamp(z0, {"coat": -2.0, "bag": 1.0}) == {"coat": -2.0, "bag": 1.0}

    def unsure(x):  # class 0 while the first coordinate tops 1, sure of it (p >= 0.5) from 1.75 up
        return torch.stack([x[:, 0], torch.ones_like(x[:, 0]), torch.ones_like(x[:, 0])], 1)

    both = {"coat": AttributeVector("coat", e[0], 1.0, {"kind": "class"}),
            "width": AttributeVector("width", e[0], 1.0, {"kind": "measured"})}
    sure = ClassHold(lambda z: z, unsure, both)
    z1 = torch.tensor([3.0, 0, 0, 0])  # lowered, a class slider stops where the classifier stays sure
    assert sure.limits(z1, "coat")[0] == -1.25 and sure.limits(z1, "width")[0] == -2.0
    assert held_sliders(sliders, z0, {"coat": -2.0}) == {"coat": -0.75}
    assert why_held(sliders, z0, "coat", -2.0) == HELD_WHY["class"]
    older = SliderSet(vectors, ClassHold(lambda z: z, step_classifier, vectors, lowered=False))
    assert apply_sliders(z0, older, {"coat": -2.0})[0].item() == 0.0
    assert held_sliders(older, z0, {"coat": -2.0}) == {}


def test_a_version_13_session_with_a_class_slider_lowered_opens_as_it_looked():
    """The shipped product model's sample of seed 1 with its own kind's slider at -2: held since 14,
    a session of version 13 shows the code it showed (the class slider not held, in the unit it
    had before 16), one of 16 its own."""
    from dataclasses import replace

    from editing.keep_versions import unheld_lowered, units_before_16
    from editor.session import document_from_session, new_document

    model = load_model(DEFAULT_MODEL)
    vectors = model_vectors(model)
    doc = new_document(model, 1)
    name = vectors.hold.read_class(doc.z0, doc.z0)[0]  # its own kind, lowered
    doc.push(replace(doc.with_sliders({name: -2.0}, "lowered"), layers=(doc.z0 + 0.1,)))  # a stroke's
    data = doc.to_dict()
    assert data["version"] == 16  # (a class slider's unit changed in 16)
    unheld = unheld_lowered(units_before_16(vectors))
    then = doc.current.code(unheld, doc.z0)
    assert not torch.allclose(doc.code(vectors), then, atol=1e-3)  # held now
    old = document_from_session({**data, "version": 13}, model, vectors)
    assert torch.allclose(old.code(vectors), then, atol=1e-5) and old.current.sliders == doc.current.sliders
    layer = old.current.layer_codes(vectors, old.z0)[0]  # its stroke lands the code it landed then
    assert torch.allclose(layer, doc.current.layer_codes(unheld, doc.z0)[0], atol=1e-5)
    assert torch.equal(document_from_session(data, model, vectors).code(vectors), doc.code(vectors))


def test_a_steered_value_lands_between_the_readings_around_it_and_older_walks_as_they_did():
    """Session version 12. A steered walk's value came from the largest change before it, where
    the measure had dipped or stayed flat in between: "Width +1" on a walk reading 0, 0, -0.25, then
    1.4 landed inside the dip and narrowed the item (the distilled product model's samples). It now
    lands between the two readings around it (across a jump, the nearer); older walks as before."""
    from editing.steer import Walk

    steps, kept, path = np.arange(1, 6) * 0.0625, np.ones((2, 5), bool), np.zeros((2, 5, 3), np.float32)
    for gain, now, then in (([0.0, 0.0, -0.25, 1.4, 1.5], (0.25, 1.4), 1 / 1.4 * 0.25),  # a dip
                            ([0.2, 0.2, 1.2, 1.3, 1.4], (0.1875, 1.2), 0.0625 + 0.8 * 0.125),  # flat
                            ([0.1, 0.3, 0.45, 0.7, 0.9], (0.1875 + 0.15 / 0.25 * 0.0625, 0.6), None)):
        gains = np.array([gain, [0.0] * 5])
        want = now[1] if then is None else 1.0  # a slope: the same both ways
        assert Walk(steps, kept, gains, path).to_steps(want) == pytest.approx(now)
        t, reached = Walk(steps, kept, gains, path, neighbours=False).to_steps(want)
        assert t == pytest.approx(now[0] if then is None else then) and reached == want


def test_a_version_11_session_opens_with_its_sliders_landing_where_they_landed():
    """The shipped product model's sample 4, whose width walk dips: "Width +1" lands elsewhere since
    session version 12; a session of version 11 shows the code it showed, one of version 12 its own."""
    from editing.keep_versions import landed_before_12
    from editor.session import document_from_session, new_document

    model = load_model(DEFAULT_MODEL)
    vectors = model_vectors(model)
    doc = new_document(model, 4)
    doc.push(doc.with_sliders({"width": 1.0}, "width"))
    data = doc.to_dict()
    assert data["version"] == 12
    then = doc.current.code(landed_before_12(vectors), doc.z0)
    assert not torch.allclose(doc.code(vectors), then, atol=1e-3)
    old = document_from_session({**data, "version": 11}, model, vectors)
    assert torch.allclose(old.code(vectors), then, atol=1e-5) and old.current.sliders == doc.current.sliders
    assert torch.equal(document_from_session(data, model, vectors).code(vectors), doc.code(vectors))


def test_a_class_slider_that_makes_a_third_kind_of_item_says_so():
    """A walkthrough moved "Shirt -> dress" to +2 and the shirt became trousers, with no word. A
    class slider moved up, or a class pair moved either way, that makes the item read as neither
    its kind nor the slider's (nor, for a pair, its other one) says what the model draws: a pair
    where it is not held (sessions before version 15: pairs=False; held since, see below)."""
    from editing.slider_notes import kind_notes, note_line, slider_notes

    e = torch.eye(4)

    def three(x):  # class a below 1.1, b to 2.1, c beyond (the first coordinate)
        return torch.stack([1.1 - x[:, 0], 0.5 - (x[:, 0] - 1.6).abs(), x[:, 0] - 2.1], 1)

    vectors = {"a->b": AttributeVector("a->b", e[0], 1.0, {"kind": "pair", "from": "a", "to": "b"}),
               "b": AttributeVector("b", e[0], 1.0, {"kind": "class"})}
    hold = ClassHold(lambda z: z, three, vectors, class_names=["a", "b", "c"], pairs=False)
    sliders, z0 = SliderSet(vectors, hold), torch.zeros(4)
    assert hold.read_class(z0, z0 + 2.5 * e[0]) == ("a", "c")

    def notes(values):
        code = apply_sliders(z0, sliders, values)
        return [note_line(n, n.name, values[n.name]) for n in kind_notes(sliders, z0, values, lambda: code)]

    assert notes({"a->b": 1.5}) == [] and notes({"b": 1.5}) == []  # a b: as asked
    assert notes({"a->b": 2.5}) == ["a->b +2.50: the model draws a c here, not a b"]
    assert notes({"b": 2.5}) == ["b +2.50: the model draws a c here, not a b"]
    assert notes({"b": -2.5}) == [] and notes({"a->b": -2.5}) == []  # away from b: still an a
    assert notes({"a->b": 0.3}) == []  # under KIND_FROM: not looked at
    # moved far and still the kind it was (walkthrough 48: "Ankle boot" +2 left a sneaker, unsaid)
    slow = {"b": AttributeVector("b", e[0], 0.4, {"kind": "class"}),
            "a->b": AttributeVector("a->b", e[0], 0.4, {"kind": "pair", "from": "a", "to": "b"})}
    sliders = SliderSet(slow, ClassHold(lambda z: z, three, slow, class_names=["a", "b", "c"], pairs=False))
    assert notes({"b": 1.5}) == []  # under STILL_FROM: on its way
    assert notes({"b": 2.5}) == ["b +2.50: the model does not draw a b here"]  # an a, unsure: unnamed
    sure = SliderSet(slow, ClassHold(lambda z: z, lambda x: 5 * three(x), slow, class_names=["a", "b", "c"],
                                     pairs=False))
    sliders = sure
    assert notes({"b": 2.5}) == ["b +2.50: the model still draws an a here, not a b"]
    assert notes({"a->b": 2.0}) == ["a->b +2.00: the model still draws an a here, not a b"]
    assert notes({"a->b": -2.5}) == []  # toward a, which it is
    sliders = SliderSet(vectors, hold)
    said = slider_notes(sliders, z0, {"a->b": 2.5}, 28 / 32, lambda: (z0, z0 + 2.5 * e[0]))
    assert [n.why for n in said] == ["the model draws a c here, not a b"]  # the status bar's notes
    assert ClassHold(lambda z: z, three, vectors).read_class(z0, z0) is None  # no names: no note
    shipped = load_model(DEFAULT_MODEL)
    assert model_vectors(shipped).hold.class_names == shipped.config["data"]["classes"]  # for_model's


def test_a_kind_note_names_only_what_both_readings_see():
    """Walkthroughs 53-54: "Bag +2: the model still draws a dress here" over a picture of a T-shirt
    (the classifier read the photo with the edit's change added as a dress, at 0.63). A kind note
    is not said where the model's own picture reads as the slider's kind, and names the kind drawn
    only where that picture reads as it too and the classifier is sure (NAMED_FROM)."""
    from editing.slider_notes import NAMED_FROM, kind_notes

    e, z0 = torch.eye(4), torch.zeros(4)

    def decode(z):  # a "picture" of four pixels, in the classifier's [-1, 1]
        return (z.reshape(-1, 4) / 4).reshape(-1, 1, 1, 4)

    def sharp(x):  # three_kinds of the code the picture was drawn from, sure of each
        return 5 * three_kinds(4 * x.reshape(len(x), -1))

    vectors = {"b": AttributeVector("b", e[0], 1.0, {"kind": "class"})}
    hold = ClassHold(decode, sharp, vectors, class_names=["a", "b", "c"])
    sliders = SliderSet(vectors, hold)
    hold.on_photo(z0, decode(z0 + e[0]))  # the photo reads one unit further along than its picture

    def said(value):
        return [n.why for n in kind_notes(sliders, z0, {"b": value}, lambda: value * e[0])]

    read = hold.read_kind(z0, 1.5 * e[0])
    assert (read.was, read.now, read.drawn) == ("a", "c", "b") and read.sure > NAMED_FROM
    assert said(1.5) == []  # the model's own picture is a b: no note (before: "draws a c here")
    assert hold.read_class(z0, 1.5 * e[0]) == ("a", "c")  # what the held sliders judge by, as before
    assert said(2.5) == ["the model draws a c here, not a b"]  # both see a c
    unsure = ClassHold(decode, lambda x: sharp(x) / 20, vectors, class_names=["a", "b", "c"])
    unsure.on_photo(z0, decode(z0 + e[0]))
    sliders = SliderSet(vectors, unsure)
    assert unsure.read_kind(z0, 2.5 * e[0]).sure < NAMED_FROM
    assert said(2.5) == ["the model does not draw a b here"]


def three_kinds(x: torch.Tensor) -> torch.Tensor:
    """Class a while the first coordinate is below 1.1, b to 2.1, c beyond."""
    return torch.stack([1.1 - x[:, 0], 0.5 - (x[:, 0] - 1.6).abs(), x[:, 0] - 2.1], 1)


def test_a_class_pair_stops_before_the_item_reads_as_a_third_kind():
    """Session version 15. Walkthroughs saw "Shirt -> dress" +2 draw trousers and "Sneaker -> ankle
    boot" +1 a T-shirt. A pair is held both ways where the item would read as neither of its kinds
    (nor its own), and says why; a class slider raised is not held; a hold made for older sessions
    (pairs=False), or one whose classifier has no class names, holds no pair."""
    from editing.slider_notes import note_line, pair_words, slider_notes

    e, z0 = torch.eye(4), torch.zeros(4)
    vectors = {"a->b": AttributeVector("a->b", e[0], 1.0, {"kind": "pair", "from": "a", "to": "b"}),
               "b": AttributeVector("b", e[0], 1.0, {"kind": "class"})}
    hold = ClassHold(lambda z: z, three_kinds, vectors, class_names=["a", "b", "c"])
    sliders = SliderSet(vectors, hold)
    assert hold.limits(z0, "a->b") == (-math.inf, 2.0)  # b up to 2.1, walked in quarters
    assert hold.clamp(z0, {"a->b": 2.5}) == {"a->b": 2.0}
    assert apply_sliders(z0, sliders, {"a->b": 2.5})[0].item() == 2.0
    assert apply_sliders(z0, sliders, {"a->b": -2.5})[0].item() == -2.5  # toward a, which it is
    assert apply_sliders(z0, sliders, {"b": 2.5})[0].item() == 2.5  # a class raised: as asked
    assert held_sliders(sliders, z0, {"a->b": 2.5}) == {"a->b": 2.0}
    said = slider_notes(sliders, z0, {"a->b": 2.5}, 28 / 32, lambda: (z0, z0 + 2.0 * e[0]))
    assert [note_line(n, n.name, 2.5) for n in said] == [
        "a->b +2.50 goes only to +2.00: further, the model would draw neither an a nor a b (try the B "
        "slider instead)"]  # the class slider toward the kind it was moved toward (walkthrough 53)
    soon = ClassHold(lambda z: z, lambda x: torch.stack([0.3 - x[:, 0], x[:, 0] - 9, x[:, 0] - 0.3], 1),
                     vectors, class_names=["a", "b", "c"])  # a c from 0.3 on, never a b
    said = slider_notes(SliderSet(vectors, soon), z0, {"a->b": 2.5}, 28 / 32,
                        lambda: (z0, z0 + 0.25 * e[0]))  # held at 0.25, still an a: said once, as held
    assert [note_line(n, n.name, 2.5) for n in said] == [
        "a->b +2.50 goes only to +0.25: further, the model would draw neither an a nor a b (try the B "
        "slider instead)"]
    assert pair_words({"from": "a", "to": "b"}).endswith("nor a b")  # no class slider toward it: no hint
    said = slider_notes(sliders, z0, {"a->b": 2.5}, 28 / 32, lambda: (z0, z0 + 2.0 * e[0]), cli=True)
    assert said[0].why.endswith("(try --attr b=VALUE instead)")  # latent-edit edit's way (a review)
    b_item = torch.tensor([1.6, 0, 0, 0])  # a b already: no hint to the B slider (a review)
    said = slider_notes(sliders, b_item, {"a->b": 2.5}, 28 / 32, lambda: (b_item, b_item + 0.25 * e[0]))
    assert said and said[0].why.endswith("neither an a nor a b")
    def by_sum(x):  # three_kinds of the first two coordinates' sum
        return three_kinds(x[:, :1] + x[:, 1:2])

    both = {"a->b": vectors["a->b"], "tone": AttributeVector("tone", e[1], 1.0, {"kind": "measured"})}
    held = SliderSet(both, ClassHold(lambda z: z, by_sum, both, class_names=["a", "b", "c"]))
    values = {"a->b": 2.5, "tone": 1.0}  # each held on its own, a c together: said (a review)
    code = apply_sliders(z0, held, values)
    said = slider_notes(held, z0, values, 28 / 32, lambda: (z0, code))
    assert note_line(said[-1], "a->b", 2.5) == "a->b +2.50: the model draws a c here, not a b"

    def four(x):  # a, b, c to 3.1, d beyond
        return torch.stack([1.1 - x[:, 0], 0.5 - (x[:, 0] - 1.6).abs(), 0.5 - (x[:, 0] - 2.6).abs(),
                            x[:, 0] - 3.1], 1)

    third = SliderSet(vectors, ClassHold(lambda z: z, four, vectors, class_names=["a", "b", "c", "d"]))
    start = torch.tensor([2.5, 0, 0, 0])  # a c to begin with: held before a d, in plain words
    said = slider_notes(third, start, {"a->b": 2.0}, 28 / 32, lambda: (start, start + 0.5 * e[0]))
    assert [n.why for n in said] == [HELD_WHY["class"]]
    c = torch.tensor([2.5, 0, 0, 0])  # a c: may go back through b to a, not past a
    assert hold.limits(c, "a->b")[0] == -math.inf
    for older in (ClassHold(lambda z: z, three_kinds, vectors, class_names=["a", "b", "c"], pairs=False),
                  ClassHold(lambda z: z, three_kinds, vectors)):
        assert not older.pairs
        assert apply_sliders(z0, SliderSet(vectors, older), {"a->b": 2.5})[0].item() == 2.5


def test_a_version_14_session_with_a_class_pair_moved_opens_as_it_looked():
    """The shipped product model's sample of seed 1, a dress, with "Sneaker -> ankle boot" at +2:
    not held, a shirt; held since 15. A session of version 14 shows the code it showed, one of 15
    its own."""
    from editing.keep_versions import unheld_pairs
    from editor.session import document_from_session, new_document

    model = load_model(DEFAULT_MODEL)
    vectors = model_vectors(model)
    doc = new_document(model, 1)
    doc.push(doc.with_sliders({"sneaker->ankle_boot": 2.0}, "pair"))
    data = doc.to_dict()
    assert data["version"] == 15
    unheld = unheld_pairs(vectors)
    then = doc.current.code(unheld, doc.z0)
    assert vectors.hold.read_class(doc.z0, then) == ("dress", "shirt")  # a third kind, not held
    assert vectors.hold.read_class(doc.z0, doc.code(vectors))[1] == "dress"  # held: still a dress
    old = document_from_session({**data, "version": 14}, model, vectors)
    assert torch.allclose(old.code(vectors), then, atol=1e-5) and old.current.sliders == doc.current.sliders
    assert torch.equal(document_from_session(data, model, vectors).code(vectors), doc.code(vectors))
    doc.push(doc.with_sliders({"sneaker->ankle_boot": 0.0}, "back"))
    assert doc.to_dict()["version"] == 15  # a pair moved anywhere in the history
    doc.held_pairs = frozenset()  # told that its model holds no pair (the editor tells it): as before
    assert doc.to_dict()["version"] < 15


def test_class_sliders_move_in_units_of_the_model_s_own_codes_and_older_sessions_as_they_did():
    """Session version 16. The shipped product model's class sliders were in units of the encoder's
    codes' spread (0.71-0.82), three quarters of the spread of the codes the editor moves: "Coat +3"
    stopped short of a coat. Now one unit is the spread of the model's own codes along the slider
    (1.0 for a model edited in z). A session of version 15 with a class slider moved shows the code it
    showed; one of 16 its own; a session is written as 16 only when such a slider moved."""
    from editing.keep_versions import units_before_16
    from editor.session import document_from_session, new_document

    model = load_model(DEFAULT_MODEL)
    vectors = model_vectors(model)
    own = model.codes(2000, seed=1)
    for name in ("coat", "sneaker", "bag"):
        v = vectors[name]
        assert 0.95 < v.spread < 1.05 and v.spread == pytest.approx(float((own @ v.unit).std()), rel=0.05)
        assert v.meta["inverted_spread"] < 0.85 * v.spread
    assert all("inverted_spread" not in vectors[n].meta for n in ("width", "shirt->dress"))
    before = units_before_16(vectors)
    assert before["coat"].spread == vectors["coat"].meta["inverted_spread"]
    assert before["width"] is vectors["width"]
    assert before.hold.pairs == vectors.hold.pairs and before.hold.lowered == vectors.hold.lowered

    doc = new_document(model, 1)
    doc.push(doc.with_sliders({"coat": 2.0}, "coat"))
    data = doc.to_dict()
    assert data["version"] == 16
    then = doc.current.code(before, doc.z0)
    assert torch.allclose(then - doc.z0, (doc.code(vectors) - doc.z0) * before["coat"].spread
                          / vectors["coat"].spread, atol=1e-5)  # the same direction, less far
    old = document_from_session({**data, "version": 15}, model, vectors)
    assert torch.allclose(old.code(vectors), then, atol=1e-5) and old.current.sliders == doc.current.sliders
    assert torch.equal(document_from_session(data, model, vectors).code(vectors), doc.code(vectors))
    doc.own_units = frozenset()  # told that its model has no such slider: written as before
    assert doc.to_dict()["version"] < 16
    doc.own_units = frozenset({"coat"})
    plain = new_document(model, 1)
    plain.own_units = frozenset({"coat"})
    plain.push(plain.with_sliders({"sneaker->ankle_boot": 1.0}, "pair"))
    assert plain.to_dict()["version"] == 15
