"""A whole edit without the GUI: sliders, then strokes through the solver, then the export.

The same functions drive the `latent-edit edit` command and the editor's workers.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

import torch

from editing.class_terms import class_penalty, class_term, with_change
from editing.offset import FeatureOffset, drawing
from editing.solver import (Constraints, SolverConfig, SolverStep, Stroke, StrokeError,
                            build_constraints, hold_outside, solve, validate)
from editing.vectors import apply_sliders, check_slider_names, model_vectors
from inversion.framing import DomainMapping, DomainSpec
from inversion.invert import face_identity_term, require_face_model
from training.classifier import model_classifier
from training.modelfile import GANModel

FACE_IDENTITY = 1.0  # face models: weight of identity change when ranking stroke candidates
FACE_HOLD = 8.0  # weight of keeping the picture as it is beyond a stroke's reach, face models; without
# it a white stroke on the hair turned a tuned face into a white ghost. On 7 mild and 7 strong strokes
# on real faces (benchmarks/results/strokes.md): the change beyond the reach 52 -> 7.3 levels (strong
# 63 -> 7.6), the colour reached 0.97 -> 0.69 of the way (strong 1.0 -> 0.84), the same person 14% ->
# 100% of the strokes (hold 4: 71%; 16: 0.59 of the way)
OBJECT_HOLD = 4.0  # the same for other models: on 8 mild and 8 strong strokes on products, 38 -> 7.2
# levels beyond the reach (strong 20 -> 4.9), 0.97 -> 0.73 of the way (hold 8: 0.55); without it a
# stroke often turned the item into another item
BAND_HOLD = 1.0  # the same for colour strokes on a photo the model sees unaligned, whose change lands
# only within the brush's width (editing.landing.lands_in_bands): the hold then keeps only the model's
# picture beyond it, and a walkthrough saw a black stroke across trousers go 14% of the way. On 16
# products, a white and a black stroke 12 px wide across each (benchmarks.product_stroke_reach), the
# item under the stroke went 0.44 and 0.27 of the way to the colour at hold 4, 0.53 and 0.69 at 1, the
# class kept for all; hold 0.5 went further and the stripe spilled past the item's edges
CLASS_LOSS = 0.3  # product models: weight of the class-keeping term in the stroke solver; on 16
# photos the best candidate kept the class for 88% against 19% without it, while weights 1 and 3
# kept no more and left 49-60% of the stroke's error (benchmarks/product_edits.py on 500)


@dataclass
class EditResult:
    z_slid: torch.Tensor  # (D,) z0 moved by the sliders
    z_edit: torch.Tensor  # (D,) the chosen result
    solver: SolverStep | None  # the solver's last step, if there were strokes


def read_strokes(path: str | os.PathLike, mapping: DomainMapping | None = None) -> list[Stroke]:
    """Strokes from JSON: a list of strokes in model pixels, or {"space": "photo"|"model",
    "strokes": [...]}; photo-space points, radii and colours ("colour": [R, G, B] or "#rrggbb",
    the photo's colours) are mapped into the model through `mapping`, polarity and levels included
    (without one, photo-space strokes are only checked and come back as they are)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise StrokeError(f"cannot read strokes from {Path(path).name}: {e}") from e
    space, items = ("model", data) if isinstance(data, list) else (data.get("space", "model"),
                                                                   data.get("strokes"))
    if not isinstance(items, list):
        raise StrokeError(f"{Path(path).name}: expected a list of strokes")
    if not items:
        raise StrokeError(f"no strokes in {Path(path).name}: paint at least one, or leave out --strokes")
    if space not in ("model", "photo"):
        raise StrokeError(f"{Path(path).name}: space must be 'model' or 'photo', not {space!r}")
    strokes = [Stroke.from_dict(d) for d in items]
    colours = [photo_colour(d) if isinstance(d, dict) and "colour" in d else None for d in items]
    if any(c is not None for c in colours) and space != "photo":
        raise StrokeError(f"{Path(path).name}: a stroke's \"colour\" is a photo colour; give "
                          f"\"space\": \"photo\" (model-space strokes take \"value\", model levels)")
    if space == "photo" and mapping is not None:
        scale = mapping.scale
        strokes = [replace(s, points=tuple(mapping.to_model_point(x, y) for x, y in s.points),
                           radius=s.radius * scale,
                           value=s.value if c is None else mapping.model_colour(c))
                   for s, c in zip(strokes, colours)]
    return strokes


def photo_colour(d: dict) -> tuple[float, float, float]:
    """A photo-space stroke's "colour": [R, G, B] in 0..255, or "#rrggbb"."""
    c = d["colour"]
    try:
        if isinstance(c, str) and len(c) == 7 and c.startswith("#"):
            rgb = tuple(float(int(c[i:i + 2], 16)) for i in (1, 3, 5))
        else:
            rgb = tuple(float(v) for v in c)
    except (TypeError, ValueError):
        rgb = ()
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise StrokeError(f"stroke colour {c!r}: give [R, G, B] in 0..255 or \"#rrggbb\"")
    return rgb


def identity_penalty(model: GANModel, z_ref: torch.Tensor, weight: float):
    """images (K, 3, R, R) -> (K,) weight * identity change from G(z_ref), beyond a margin (face
    models only; for ranking solver candidates)."""
    from inversion.faces import IdentityRanker  # dlib loads on first use only
    from training.pixels import to_uint8

    spec = require_face_model(model, "the identity term", StrokeError)
    with torch.no_grad():
        reference = to_uint8(model.decode(z_ref.reshape(1, -1)))[0]
    return IdentityRanker(reference, spec.face_box, weight).penalty


def check_edit(model: GANModel, sliders: dict[str, float], strokes_file: str | None,
               cfg: SolverConfig) -> None:
    """Refuse sliders this model has no vectors for, a stroke file that cannot be used, and an
    identity weight on a model without faces, before any work (an inversion may come first)."""
    check_slider_names(model_vectors(model) if sliders else {}, sliders)
    if strokes_file:
        if cfg.identity or cfg.identity_loss:
            require_face_model(model, "the identity term", StrokeError)
        validate(read_strokes(strokes_file), None, model.gan.channels)


def solver_config(model: GANModel, banded: bool = False) -> SolverConfig:
    """The default solver settings for a model: face models rank candidates by identity change;
    models whose classes a classifier knows keep the item's class (editing.keep); every model keeps
    the picture beyond the strokes' reach (SolverConfig.hold), less where the strokes' change lands
    only within their bands (`banded`: editing.landing.lands_in_bands; BAND_HOLD)."""
    if DomainSpec.for_model(model.config).kind == "face":
        return SolverConfig(identity=FACE_IDENTITY, hold=FACE_HOLD)
    return SolverConfig(class_loss=CLASS_LOSS if model_classifier(model) is not None else 0.0,
                        hold=BAND_HOLD if banded else OBJECT_HOLD)


def solve_strokes(model: GANModel, z_ref: torch.Tensor, z: torch.Tensor, constraints: Constraints,
                  cfg: SolverConfig, offset: FeatureOffset | None = None,
                  photo: torch.Tensor | None = None) -> Iterator[SolverStep]:
    """The solver's steps from code z (D,), candidates ranked by the objective and, when
    `cfg.identity` is set, by identity change from G(z_ref); otherwise candidates that changed the
    class of G(z) rank last, and `cfg.class_loss` holds that class (product models, editing.keep).
    With an earlier drag's `offset`, the codes are drawn with it (the picture the user painted on).
    With `photo` (1, C, R, R), the photo z_ref was inverted from as the model sees it, the class is
    read on the photo with each candidate's change from G(z_ref) added, as the export shows it
    (editing.class_terms.with_change), so a stroke keeps what the photo shows. The CLI and the editor
    both run this."""
    # Faces keep the person of G(z_ref); products keep the class of the picture the stroke is
    # painted on, G(z), or given the photo, of the photo with G(z)'s change (what the export of the
    # current state shows; a class slider may have changed it on purpose).
    draw = drawing(model, offset)
    constraints = hold_outside(constraints, cfg.hold, cfg.hold_margin * constraints.color_mask.shape[-1])
    judged = None
    if photo is not None:
        with torch.no_grad():
            judged = with_change(photo.detach().reshape(1, *photo.shape[-3:]), model.decode(z_ref.reshape(1, -1)))
    penalty = (identity_penalty(model, z_ref, cfg.identity) if cfg.identity
               else class_penalty(model, z, draw=draw, judged=judged))
    std = model.code_spread()[1] if model.latent_space == "w" else None
    identity = identity_term(model, z_ref) if cfg.identity_loss else None
    classes = class_term(model, z, draw, judged) if cfg.class_loss else None
    yield from solve(draw, model.critic, z, constraints, cfg, penalty, std, identity, classes)


def identity_term(model: GANModel, z_ref: torch.Tensor):
    """images (K, 3, R, R) -> (K,) differentiable identity distances to G(z_ref) (face models)."""
    with torch.no_grad():
        face = model.decode(z_ref.reshape(1, -1))
    term = face_identity_term(model, face, error=StrokeError)  # reference (1, 128) broadcasts over K
    return term


def edit_code(model: GANModel, z0: torch.Tensor, sliders: dict[str, float],
              strokes: list[Stroke], cfg: SolverConfig | None = None,
              candidate: int = 0, keep_class: bool = True, vectors: dict | None = None,
              photo: torch.Tensor | None = None) -> EditResult:
    """Apply sliders to z0, then solve the strokes (if any) and pick candidate `candidate`;
    `cfg` defaults to the model's (solver_config); `keep_class=False` lets measured sliders change
    what kind of item it is (editing.keep); `vectors`, the model's sliders when the caller holds
    them already (their walks are kept: not made twice); `photo`, the photo z0 was inverted from
    as the model sees it: strokes keep the class it shows (solve_strokes)."""
    cfg = cfg or solver_config(model)
    if sliders and vectors is None:
        vectors = model_vectors(model, keep_class)
    z = apply_sliders(z0.reshape(-1), vectors if sliders else {}, sliders)
    if not strokes:
        return EditResult(z, z, None)
    with torch.no_grad():
        current = model.decode(z[None])[0]
    constraints = build_constraints(strokes, current)
    if not constraints.paints:  # preserving or erased strokes alone: nothing asked, the code stays
        return EditResult(z, z, None)
    last = None
    for last in solve_strokes(model, z0.reshape(-1), z, constraints, cfg, photo=photo):
        pass
    if not 0 <= candidate < len(last.z):
        raise StrokeError(f"candidate {candidate} does not exist; the solver made {len(last.z)}")
    return EditResult(z, last.z[candidate].clone(), last)
