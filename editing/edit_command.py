"""`latent-edit edit`: a photo's edit from the command line (sliders, strokes, region, warps, drags),
exported at the photo's size with its recipe, or an export rebuilt from its recipe. editing/cli.py
builds the parser and checks the options (editing/cli_options.py) before this runs.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from editing.cli_options import parse_sliders, solver_options, tune_cfg, wants_tuning
from editing.compositing import MASK_THRESHOLD
from inversion.framing import NoObjectError
from inversion.invert import Inverter, photo_to_model
from inversion.photo import load_photo
from training.errors import OptionError
from training.modelfile import load_model
from training.options import replace_given


def cmd_edit(a: argparse.Namespace) -> int:
    from dataclasses import asdict

    from editing.drag import DragConfig
    from editing.drag_photo import check_on_part, drag_photo, parse_drag, read_mask
    from editing.edit import check_edit, edit_code, read_strokes, solver_config
    from editing.edits import edit_entry, recipe_edit
    from editing.export import (
        COMPOSITING,
        export_with_recipe,
        read_recipe,
        rebuild_from_recipe,
        recipe_path,
        render_edit,
        tuned_generator_path,
    )
    from editing.landing import lands_in_bands, moves_hair, moves_sliders
    from editing.motion import brush_motion, drag_motion
    from editing.region import confine, limit_to_region, region_record
    from editing.vectors import model_sliders
    from editing.warp import photo_warp, reach_strokes, warp_code
    from inversion.invert import check_code, load_code
    from inversion.tuning import check_tune_from, save_tuned, tune_to_photo, tuned_model
    from training.modelfile import network_path

    if a.recipe:
        rebuild_from_recipe(read_recipe(a.recipe), a.out)
        print(f"rebuilt {a.out} from {a.recipe}")
        return 0
    if a.code and (a.tune_steps is not None or a.tune_from is not None):
        raise OptionError("--tune-steps and --tune-from apply when the photo is inverted now; with "
                          "--code the code file's own tuned generator is used as it was tuned (invert "
                          "again with `latent-edit invert --tune` to tune differently)")
    model = load_model(a.model)
    if wants_tuning(a, model):
        check_tune_from(model, tune_cfg(a).tune_from)  # refused now rather than after the inversion
    tuned = None  # the photo's tuned generator weights, when the code file has them
    sliders = parse_sliders(a.attr)
    cfg = solver_options(a, solver_config(model))
    check_edit(model, sliders, a.strokes, cfg)  # refused now rather than after the inversion
    photo = load_photo(a.photo)
    x = None  # the photo as the model sees it (object models: sliders and strokes judge on it)
    if a.code:
        z0, meta = load_code(a.code)
        mapping = check_code(z0, meta, model, photo, Path(a.code).name)
        if not mapping.affine:
            x = photo_to_model(model, photo, mapping.whole_image, mapping.face)[0]
        if meta.get("tuned_generator") and a.tune is not False:  # the code's own, unless --no-tune
            from inversion.tuning import load_tuned

            entry = meta["tuned_generator"]
            tuned_path = network_path(Path(a.code).parent.resolve(), entry.get("file"), "tuned generator")
            model = load_tuned(model, tuned_path, entry["sha256"])
            tuned = {"path": str(tuned_path), "sha256": entry["sha256"]}
        elif a.tune:
            raise OptionError(f"--tune: {Path(a.code).name} has no tuned generator; invert the photo "
                              f"with --tune, or leave out --code")
    else:
        try:
            x, mapping = photo_to_model(model, photo, a.whole_image, a.face)
        except NoObjectError as err:
            print(f"error: {photo.path.name}: {err}. Run again with --whole-image.", file=sys.stderr)
            return 2
        inverter = Inverter.for_model(model)
        z0 = inverter.invert(x).z[0]
        if wants_tuning(a, model):
            cfg_tune = tune_cfg(a)
            generator, _ = tune_to_photo(model, inverter.lpips, x, z0, cfg_tune)
            weights = tuned_generator_path(a.out)
            tuned = {"path": str(weights.resolve()), "sha256": save_tuned(weights, generator, model)}
            model = tuned_model(model, generator)
            print(f"tuned the generator to {photo.path.name} in {cfg_tune.steps} steps: {weights.name}")
    judged_on = None if mapping.affine else x  # object models read the class on the photo; faces keep the person
    sliders = model_sliders(sliders, mapping)  # brightness is the photo's, as in the editor
    strokes = read_strokes(a.strokes, mapping) if a.strokes else []
    drag_mask = read_mask(a.drag_mask, mapping) if a.drag_mask else None  # refused before the work
    if a.drag_whole:  # a handle off the part would not move, and neither would the part
        check_on_part([parse_drag(d) for d in a.drag], mapping, drag_mask)
    region = torch.tensor(region_record(read_mask(a.region, mapping, "region"))) if a.region else None
    vectors = None
    if sliders and not a.free_sliders:
        from editing.vectors import model_vectors

        vectors = model_vectors(model)
        if getattr(vectors, "hold", None) is not None:
            vectors.hold.on_photo(z0, judged_on)
    warps = [photo_warp(parse_drag(w, "--warp"), mapping, a.warp_radius) for w in a.warp]
    banded = lands_in_bands(reach_strokes(strokes, warps), mapping)  # held less, as the editor holds them
    stroke_cfg = solver_options(a, solver_config(model, banded))
    result = edit_code(model, z0, sliders, strokes, stroke_cfg, a.candidate, keep_class=not a.free_sliders,
                       vectors=vectors, photo=judged_on)
    if vectors is not None:
        say_held(model, vectors, z0, result.z_slid, sliders, mapping)
    z_edit, dragged, offset = result.z_edit, None, None
    if region is not None:
        z_edit = limit_to_region(model, z0, z_edit, region)
    hair = moves_hair(sliders)  # a face's edit lands on the photo's hair too
    slid = result.z_slid if moves_sliders(sliders) else None  # an object's strokes land on its edit
    edits, moved = [], None  # after a warp or drag: the edit it started on, how it moved the photo
    if warps:  # the photo's pixels pushed along, as the Warp brush pushes them
        edits.append(edit_entry(z_edit, strokes, None, (), region, hair=hair, z_slid=slid))
        z_edit = warp_code(model, z0, z_edit, warps, cfg, a.candidate, judged_on)
        moved = (0, brush_motion(warps), z_edit)
        slid = None if slid is None else z_edit  # measured from the warp's end, which has the sliders
    if a.drag:
        base = DragConfig.code_only() if a.drag_code_only else DragConfig()
        edits.append(edit_entry(z_edit, strokes, None, warps, region, None, moved, hair, slid))
        z_edit, offset, dragged = drag_photo(model, z_edit, [parse_drag(d) for d in a.drag], mapping,
                                             drag_mask, replace_given(base, steps=a.drag_steps),
                                             a.drag_mask)
        reach = a.drag_reach * mapping.scale if a.drag_reach else None  # model pixels
        dragged["whole"] = a.drag_whole
        moved = (len(edits) - 1, drag_motion([p["handle"] for p in dragged["model_points"]],
                                             dragged["handles"], model.gan.resolution, drag_mask, reach,
                                             a.drag_whole), z_edit)
        slid = None if slid is None else z_edit  # measured from the drag's end, as after a warp
        print(f"drag: {len(a.drag)} point(s), {dragged['steps']} steps, the farthest handle "
              f"{dragged['distance']:.1f} model px from its target")
    (width, height), path = photo.size, photo.path
    own = edit_entry(z_edit, strokes, offset, warps, region, None, moved, hair, slid)  # as its recipe has it
    if moved is not None:  # on the photo the warps or drag moved (inside the region, if there is one)
        pixels = recipe_edit(model, photo.pixels, mapping, z0, {**own, "edits": edits}, MASK_THRESHOLD,
                             COMPOSITING, in_place=False)
        changed = 100 * np.count_nonzero((pixels != photo.pixels).any(axis=2)) / (width * height)
        del photo
    else:
        # In place (one full-size copy of a large photo) unless a region needs the original after.
        pixels, mask = render_edit(model, photo.pixels, mapping, z0, z_edit, MASK_THRESHOLD,
                                   in_place=region is None, offset=offset,
                                   strokes=reach_strokes(strokes, warps), hair=hair,  # where they warped too
                                   z_slid=slid)
        if region is not None:
            pixels = confine(photo.pixels, pixels, region.numpy(), mapping)
        changed = 100 * np.count_nonzero(mask) / mask.size
        del photo, mask  # one full-size copy (the edited pixels) while encoding a large photo
    export_with_recipe(pixels, a.out, a.quality, model=model, photo=path, mapping=mapping,
                       z0=z0, z_edit=z_edit, sliders=sliders, strokes=strokes,
                       solver=asdict(stroke_cfg if strokes else cfg) if strokes or warps else None,
                       threshold=MASK_THRESHOLD,
                       extra={"candidate": a.candidate, "tuned_generator": tuned, "drag": dragged,
                              "region": region_record(region) if region is not None else None,
                              "warps": [w.to_dict() for w in warps] or None,
                              "feature_offset": own["feature_offset"], "moved": own.get("moved"),
                              **({"hair": True} if hair else {}),
                              **({"z_slid": own["z_slid"]} if "z_slid" in own else {}),
                              "edits": edits or None})
    print(f"wrote {a.out} ({width}x{height}, {changed:.1f}% of pixels changed) and "
          f"{recipe_path(a.out).name}")
    return 0


def say_held(model, vectors, z0: torch.Tensor, z_slid: torch.Tensor, sliders: dict[str, float],
             mapping) -> None:
    """Print what the sliders say where they do not do what `sliders` (the model's values) ask
    (editing.slider_notes), as the editor's status bar says it, in the photo's terms."""
    from editing.slider_notes import note_line, slider_notes
    from editing.vectors import model_sliders
    from inversion.framing import DomainSpec

    content = DomainSpec.for_model(model.config).content_fraction
    for note in slider_notes(vectors, z0, sliders, content, lambda: (z0, z_slid), cli=True):
        sign = model_sliders({note.name: 1.0}, mapping)[note.name]  # brightness: the photo's
        print(note_line(note, note.name, sliders[note.name], sign)
              + ("" if note.reached is None else " (--free-sliders lets it go on)"))
