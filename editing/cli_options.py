"""`latent-edit`'s options, parsed and checked before any model is loaded or photo inverted
(editing/cli.py builds the parser and runs the commands)."""
from __future__ import annotations

import argparse
from pathlib import Path

from editing.export import export_format, recipe_path
from editing.solver import SolverConfig
from editing.vectors import AttributeVectorError, check_slider_values
from inversion.tuning import TuneConfig
from training.errors import OptionError
from training.fileio import check_output
from training.options import check_range, replace_given


def parse_sliders(items: list[str]) -> dict[str, float]:
    sliders = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            sliders[name.strip()] = float(value)
        except ValueError:
            raise OptionError(f"--attr {item!r}: write NAME=VALUE, e.g. ankle_boot=+1.5") from None
        if not sep:
            raise OptionError(f"--attr {item!r}: write NAME=VALUE, e.g. ankle_boot=+1.5")
    try:
        check_slider_values(sliders)  # nan, inf, 1e308: refused, never a black export
    except AttributeVectorError as e:
        raise OptionError(f"--attr: {e}") from None
    return sliders


def solver_options(a: argparse.Namespace, base: SolverConfig = SolverConfig()) -> SolverConfig:
    """`base` (the model's defaults, editing.edit.solver_config) with the options given."""
    return replace_given(base, candidates=a.candidates, steps=a.solver_steps, l1=a.l1, l2=a.l2,
                         identity=a.identity, identity_loss=a.identity_loss, hold=a.hold)


def check_drag_warp_region(a: argparse.Namespace) -> None:
    """`edit`'s --drag, --warp and --region options, refused before any work."""
    from editing.drag_photo import parse_drag

    for item in a.drag:
        parse_drag(item)
    check_range("--drag-steps", a.drag_steps, 1)
    check_range("--drag-reach", a.drag_reach, 0.5)
    for item in a.warp:
        parse_drag(item, "--warp")
    check_range("--warp-radius", a.warp_radius, 0.5)
    if a.warp_radius and not a.warp:
        raise OptionError("--warp-radius needs at least one --warp")
    if (a.drag_mask or a.drag_steps or a.drag_code_only or a.drag_reach or a.drag_whole) and not a.drag:
        raise OptionError("--drag-mask, --drag-steps, --drag-reach, --drag-whole and --drag-code-only "
                          "need at least one --drag")
    if a.drag_whole and not a.drag_mask:
        raise OptionError("--drag-whole moves the part --drag-mask paints: give --drag-mask")
    if a.region and not a.attr:
        raise OptionError("--region limits the sliders' change: give at least one --attr")
    if a.region and a.strokes:
        raise OptionError("--region limits sliders, not strokes: paint a preserve stroke instead")


def check_options(a: argparse.Namespace) -> None:
    """Refuse bad options before any model is loaded or photo inverted."""
    if a.command == "edit":
        export_format(a.out)
        check_output(a.out, a.overwrite, "--out")  # before any work: the folder is there, writable
        if not a.recipe:
            check_output(recipe_path(a.out), True, "--out's recipe")
        if not a.recipe and not a.photo:
            raise OptionError("give a PHOTO to edit, or --recipe")
        check_range("--quality", a.quality, 1, 100)
        check_range("--candidates", a.candidates, 1)
        check_range("--solver-steps", a.solver_steps, 1)
        for option, value in (("--l1", a.l1), ("--l2", a.l2), ("--identity", a.identity),
                              ("--identity-loss", a.identity_loss), ("--hold", a.hold)):
            check_range(option, value, 0.0)
        check_range("--candidate", a.candidate, 0, solver_options(a).candidates - 1 if a.strokes else None)
        check_range("--face", a.face, 0)
        check_range("--tune-steps", a.tune_steps, 1)
        check_range("--tune-from", a.tune_from, 0)
        parse_sliders(a.attr)
        check_drag_warp_region(a)
    elif a.command == "animate":
        from editing.animate import animation_format

        animation_format(a.out)
        if Path(a.out).exists() and not a.overwrite:
            raise OptionError(f"{a.out} exists; pass --overwrite to replace it")
        if bool(a.attr) == bool(a.photo2):
            raise OptionError("give either --attr NAME (a sweep) or a second photo (a morph)")
        check_range("--frames", a.frames, 2, 1000)
        check_range("--fps", a.fps, 0.1, 100)
        check_range("--face", a.face, 0)
    elif a.command == "invert":
        check_output(a.out, True, "--out")
        if a.preview:
            check_output(a.preview, True, "--preview")
        check_range("--steps", a.steps, 1)
        check_range("--starts", a.starts, 1)
        check_range("--preview-scale", a.preview_scale, 1, 64)
        check_range("--tune-steps", a.tune_steps, 1)
        check_range("--tune-from", a.tune_from, 0)
        for option, value in (("--lpips-weight", a.lpips_weight), ("--prior-weight", a.prior_weight),
                              ("--identity", a.identity), ("--identity-loss", a.identity_loss)):
            check_range(option, value, 0.0)
        check_range("--face", a.face, 0)
    elif a.command == "train-encoder":
        check_range("--steps", a.steps, 1)
        check_range("--batch", a.batch, 1)
        check_range("--iterations", a.iterations, 1, 16)
        if a.iterations is not None and not a.iterative:
            raise OptionError("--iterations goes with --iterative")
    elif a.command == "face-setup":
        check_range("--n", a.n, 1)
    elif a.command == "vectors":
        check_range("--directions", a.directions, 1)


def wants_tuning(a: argparse.Namespace, model) -> bool:
    """--tune or --no-tune; neither: on for face models (inversion.tuning.tunes_by_default)."""
    from inversion.tuning import tunes_by_default

    return a.tune if a.tune is not None else tunes_by_default(model)


def tune_cfg(a: argparse.Namespace, identity: float | None = None) -> TuneConfig:
    """Tuning settings: the defaults (inversion.tuning.TuneConfig) with --tune-steps, --tune-from
    and, from `invert --identity-loss`, the weight of the differentiable identity term (face models)."""
    return replace_given(TuneConfig(), steps=a.tune_steps, tune_from=a.tune_from, w_identity=identity)
