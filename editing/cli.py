"""`latent-edit`: invert photos and train the encoder, without the GUI.

    latent-edit invert PHOTO --model NAME --out code.npz --preview recon.png [--tune | --no-tune]
    latent-edit train-encoder --model NAME --steps 3000
    latent-edit train-encoder --model NAME --iterative
    latent-edit edit PHOTO --model NAME --attr ankle_boot=+1.5 --strokes strokes.json --out edited.png
    latent-edit edit PHOTO --model NAME --drag "120,80->128,70" [--drag-mask mask.png] --out dragged.png
    latent-edit edit --recipe edited.png.recipe.json --out again.png
    latent-edit animate PHOTO --model NAME --attr smiling --out sweep.webp
    latent-edit animate PHOTO_A PHOTO_B --model NAME --out morph.gif
    latent-edit vectors --model NAME
    latent-edit face-setup --model NAME     (a colour model trained on aligned faces)

Thin: parse, build a config, call one function; the options are parsed and checked in
editing/cli_options.py; `edit` runs in editing/edit_command.py, the model-setup commands in
editing/model_setup.py.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from editing.cli_options import check_options, tune_cfg, wants_tuning
from inversion.framing import NoObjectError
from inversion.invert import (
    DEFAULT_CONFIG,
    METHODS,
    Inverter,
    photo_to_model,
    require_face_model,
    save_code,
)
from inversion.photo import load_photo
from inversion.tuning import TuneConfig
from training.images import grid_image, save_png
from training.modelfile import DEFAULT_MODEL, load_model
from training.options import replace_given, run_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latent-edit", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    i = sub.add_parser("invert", help="find the latent code of a photo")
    i.add_argument("photo")
    i.add_argument("--model", default=DEFAULT_MODEL, help="model name in assets/models/ or a folder")
    i.add_argument("--out", required=True, help="code file to write (.npz)")
    i.add_argument("--preview", help="PNG of G(z) in the model's domain")
    i.add_argument("--preview-scale", type=int, default=8, help="integer upscaling of the preview")
    i.add_argument("--method", default="hybrid", choices=METHODS)
    i.add_argument("--steps", type=int, help=f"optimisation steps (default {DEFAULT_CONFIG.steps})")
    i.add_argument("--starts", type=int, help=f"starts per image (default {DEFAULT_CONFIG.starts})")
    i.add_argument("--lpips-weight", type=float, help=f"default {DEFAULT_CONFIG.w_lpips}")
    i.add_argument("--prior-weight", type=float, help=f"default {DEFAULT_CONFIG.w_prior}")
    i.add_argument("--whole-image", action="store_true",
                   help="use the whole image instead of looking for an object")
    i.add_argument("--face", type=int, default=0,
                   help="face models: which face in the photo, 0 = the largest")
    i.add_argument("--identity", type=float, default=0.0, metavar="WEIGHT",
                   help="face models: then search nearby codes for the photo's identity "
                        "(dlib descriptor, weight e.g. 1)")
    i.add_argument("--identity-loss", type=float, metavar="WEIGHT",
                   help="face models: a differentiable identity term in the optimisation (dlib's "
                        "face-recognition network ported to torch; e.g. 0.5)")
    i.add_argument("--tune", action=argparse.BooleanOptionalAction, help="then tune a copy of the "
                   "generator to this photo (pivotal tuning); its weights are written beside the code "
                   "file as CODE.generator.safetensors. Default: on for face models, off for others")
    i.add_argument("--tune-steps", type=int, help=f"tuning steps (default {TuneConfig().steps})")
    i.add_argument("--tune-from", type=int, metavar="PX", help="tune only the generator's layers "
                   f"that draw maps of PX pixels or more (default {TuneConfig().tune_from}: the coarse "
                   f"layers, where sliders change shapes, stay the model's; 0: every layer)")
    i.add_argument("--quiet", action="store_true")
    e = sub.add_parser("train-encoder", help="train the model's encoder (generator frozen)")
    e.add_argument("--model", default=DEFAULT_MODEL)
    e.add_argument("--iterative", action="store_true",
                   help="train the iterative encoder (ReStyle) on top of the model's encoder: it "
                        "corrects the encoder's guess a few times from the reconstruction")
    e.add_argument("--iterations", type=int, help="--iterative: corrections (default 4)")
    e.add_argument("--steps", type=int, help="training steps (default 3000; 2000 with --iterative)")
    e.add_argument("--batch", type=int, help="batch size (default 64; 32 with --iterative)")
    e.add_argument("--data-root", help="folder with the Fashion-MNIST .gz files")
    e.add_argument("--data", help="image-folder models: their images (default: the path recorded "
                   "when the model was exported); the test split is never used")
    e.add_argument("--seed", type=int, default=0)
    d = sub.add_parser("edit", help="apply sliders and strokes to a photo; export it with a recipe")
    d.add_argument("photo", nargs="?", help="photo to edit (not needed with --recipe)")
    d.add_argument("--model", default=DEFAULT_MODEL)
    d.add_argument("--code", help="code file from `latent-edit invert` (default: invert now)")
    d.add_argument("--tune", action=argparse.BooleanOptionalAction, help="after inverting, tune a copy "
                   "of the generator to the photo (pivotal tuning; its weights are written beside "
                   "--out for the recipe); with --code, use the tuned generator the code file names "
                   "(--no-tune: the model's own). Default: on for face models, off for others")
    d.add_argument("--tune-steps", type=int, help=f"tuning steps (default {TuneConfig().steps})")
    d.add_argument("--tune-from", type=int, metavar="PX", help="tune only the generator's layers "
                   f"that draw maps of PX pixels or more (default {TuneConfig().tune_from}: the coarse "
                   f"layers, where sliders change shapes, stay the model's; 0: every layer)")
    d.add_argument("--attr", action="append", default=[], metavar="NAME=VALUE",
                   help="slider value, e.g. ankle_boot=+1.5: in units of the codes' spread; a product "
                   "model's size and brightness sliders in measured units (width=+2: two model "
                   "pixels wider, see README); brightness is the photo's (+ lighter; the recipe "
                   "keeps the model's value, reversed for a light background)")
    d.add_argument("--free-sliders", action="store_true",
                   help="product models: let size and brightness sliders, class sliders lowered and "
                   "class pairs go on where the item would turn into another kind of item (by default "
                   "they stop there); their values are then in units of the codes' spread, not measured")
    d.add_argument("--strokes", help="JSON strokes (see README)")
    d.add_argument("--candidate", type=int, default=0, help="solver candidate to use (0 = best)")
    d.add_argument("--candidates", type=int, help="solver candidates K")
    d.add_argument("--solver-steps", type=int)
    d.add_argument("--l1", type=float, help="weight of closeness to the original code")
    d.add_argument("--l2", type=float, help="weight of the discriminator's realism")
    d.add_argument("--identity", type=float, help="face models: weight of identity change when "
                   "ranking the solver's candidates")
    d.add_argument("--identity-loss", type=float, help="face models: weight of a differentiable "
                   "identity term in the solver's objective")
    d.add_argument("--hold", type=float, help="weight of keeping the picture as it is beyond the "
                   "strokes' reach (0: a stroke may change the whole picture)")
    d.add_argument("--drag", action="append", default=[], metavar="X0,Y0->X1,Y1",
                   help="point drag after sliders and strokes: move what is at the handle (photo "
                   "pixels) to the target; repeat for several points")
    d.add_argument("--drag-mask", help="image the photo's size: white where the drag may move "
                   "things (default: anywhere)")
    d.add_argument("--drag-steps", type=int, help="drag step limit")
    d.add_argument("--drag-reach", type=float, help="how far around each handle's path the photo "
                   "moves with it, photo pixels (default: three times the move; with --drag-whole "
                   "how far beyond the part what lies around it stretches, default twice the move)")
    d.add_argument("--drag-whole", action="store_true", help="move what --drag-mask paints as one "
                   "piece, what lies around it stretching (raise an eyebrow without the eye below)")
    d.add_argument("--drag-code-only", action="store_true",
                   help="drag by moving the code alone, as before feature offsets (rarely moves "
                   "the content itself: benchmarks/results/drag.md)")
    d.add_argument("--warp", action="append", default=[], metavar="X0,Y0->X1,Y1",
                   help="warp brush after strokes: drag the pixels at X0,Y0 to X1,Y1 (photo pixels), "
                   "then find the code that looks like it; repeat for several")
    d.add_argument("--warp-radius", type=float, help="warp brush radius in photo pixels (default: "
                   "4 model pixels)")
    d.add_argument("--region", help="image the photo's size: the sliders' change lands only where "
                   "it is white")
    d.add_argument("--whole-image", action="store_true")
    d.add_argument("--face", type=int, default=0,
                   help="face models: which face in the photo, 0 = the largest")
    d.add_argument("--recipe", help="rebuild an export from its recipe (bit for bit)")
    d.add_argument("--out", required=True, help="edited photo: .png, .jpg or .webp")
    d.add_argument("--quality", type=int, default=92, help="JPEG/WebP quality (1-100)")
    d.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    n = sub.add_parser("animate", help="a sweep along one slider, or a morph between two photos' "
                       "codes, carried back onto the photo: animated WebP, GIF or MP4")
    n.add_argument("photo")
    n.add_argument("photo2", nargs="?", help="morph from PHOTO's code to this photo's")
    n.add_argument("--model", default=DEFAULT_MODEL)
    n.add_argument("--attr", metavar="NAME", help="sweep this slider from --low to --high and back")
    n.add_argument("--low", type=float, default=-3.0, help="sweep start (default -3)")
    n.add_argument("--high", type=float, default=3.0, help="sweep end (default +3)")
    n.add_argument("--onto", choices=("first", "each"), default="first",
                   help="morph: carry every frame onto the first photo, or blend each photo's own")
    n.add_argument("--frames", type=int, default=24)
    n.add_argument("--fps", type=float, default=12.0)
    n.add_argument("--whole-image", action="store_true")
    n.add_argument("--face", type=int, default=0, help="face models: which face, 0 = the largest")
    n.add_argument("--out", required=True, help="animation: .webp, .gif or .mp4")
    n.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    f = sub.add_parser("face-setup", help="make a model a face model: measure where its training "
                       "faces' landmarks lie (photos are then aligned to match)")
    f.add_argument("--model", required=True)
    f.add_argument("--data", help="the model's images (default: the path recorded at export)")
    f.add_argument("--n", type=int, default=1000, help="training images to measure")
    v = sub.add_parser("vectors", help="recompute the model's attribute vectors")
    v.add_argument("--model", default=DEFAULT_MODEL)
    v.add_argument("--method", default="mean", choices=("mean", "classifier"))
    v.add_argument("--across-classes", action="store_true",
                   help="product models: label the measured attributes (brightness, area, height, "
                   "width) across all classes, not within each class (their sliders then tend to "
                   "change the class too)")
    v.add_argument("--data-root", help="folder with the Fashion-MNIST .gz files")
    v.add_argument("--data", help="image-folder models: their images (default: as recorded)")
    v.add_argument("--attributes", help="image-folder models: attribute table (default: as "
                   "recorded); without one, principal directions are computed")
    v.add_argument("--directions", type=int, default=10,
                   help="principal (GANSpace) directions for data without attributes")
    v.add_argument("--out", help="attribute file (default: the model folder's attributes.safetensors)")
    return parser


def cmd_animate(a: argparse.Namespace) -> int:
    from editing.animate import morph_frames, sweep_frames, write_animation
    from editing.vectors import check_slider_names, model_vectors

    model = load_model(a.model)
    vectors = model_vectors(model) if a.attr else {}
    check_slider_names(vectors, {a.attr: 1.0} if a.attr else {})  # before any inversion

    def invert(path: str):
        photo = load_photo(path)
        x, mapping = photo_to_model(model, photo, a.whole_image, a.face)
        z0 = Inverter.for_model(model).invert(x).z[0]
        if getattr(vectors, "hold", None) is not None:  # judged on the photo, as the editor's sweep
            vectors.hold.on_photo(z0, x)
        return photo.pixels, mapping, z0

    first = invert(a.photo)
    if a.attr:
        frames = list(sweep_frames(model, first[0], first[1], first[2], first[2], vectors, a.attr,
                                   a.frames, a.low, a.high))
    else:
        frames = list(morph_frames(model, first, invert(a.photo2), a.frames, a.onto))
    write_animation(frames, a.out, a.fps)
    print(f"wrote {a.out} ({len(frames)} frames, {frames[0].shape[1]}x{frames[0].shape[0]})")
    return 0


def cmd_invert(a: argparse.Namespace) -> int:
    from tqdm import tqdm

    model = load_model(a.model)
    if a.identity or a.identity_loss:
        require_face_model(model, "--identity" if a.identity else "--identity-loss")
    if wants_tuning(a, model):
        from inversion.tuning import check_tune_from

        check_tune_from(model, tune_cfg(a).tune_from)  # refused now rather than after the inversion
    photo = load_photo(a.photo)
    try:
        x, mapping = photo_to_model(model, photo, a.whole_image, a.face)
    except NoObjectError as err:
        print(f"error: {photo.path.name}: {err}. Run again with --whole-image to use the whole "
              f"image.", file=sys.stderr)
        return 2
    cfg = replace_given(DEFAULT_CONFIG, steps=a.steps, starts=a.starts, w_lpips=a.lpips_weight,
                        w_prior=a.prior_weight, w_identity=a.identity_loss)
    if mapping.found_by:
        print(f"{photo.path.name}: {mapping.found_by} (face {a.face})")
    inverter = Inverter.for_model(model)
    bar = tqdm(total=cfg.steps if a.method != "encoder" else 1, unit="step", disable=a.quiet,
               desc=f"{a.method} {photo.path.name}")
    last = None
    for last in inverter.run(x, a.method, cfg):
        bar.update(max(1, last.step) - bar.n)
        bar.set_postfix(loss=f"{last.loss[0].item():.4f}")
    bar.close()
    z, extra = last.z[0], {"method": a.method, "steps": last.step, "loss": last.loss[0].item()}
    preview = last.preview
    if a.identity:
        from inversion.invert import refine_identity

        z, change = refine_identity(inverter, x, z, a.identity)
        extra["identity_distance"] = change
        print(f"identity distance to the photo: {change['before']:.3f} -> {change['after']:.3f}")
        with torch.no_grad():
            preview = model.decode(z[None])
    if wants_tuning(a, model):
        from inversion.tuning import save_tuned, tune_to_photo

        cfg = tune_cfg(a, a.identity_loss)
        with tqdm(total=cfg.steps, unit="step", disable=a.quiet, desc=f"tune {photo.path.name}") as bar:
            generator, preview = tune_to_photo(model, inverter.lpips, x, z, cfg, lambda s: bar.update(1))
        tuned = Path(a.out).with_suffix(".generator.safetensors")
        extra["tuned_generator"] = {"file": tuned.name, "sha256": save_tuned(tuned, generator, model),
                                    "steps": cfg.steps, "tune_from": cfg.tune_from}
    save_code(a.out, z, mapping, model, photo.path.resolve(), extra)
    if a.preview:
        img = grid_image(preview, nrow=1, padding=0)
        r = model.gan.resolution * a.preview_scale
        from PIL import Image

        save_png(img.resize((r, r), Image.Resampling.LANCZOS), a.preview)
    print(f"{photo.path.name}: {a.method} inversion in {last.step} steps, loss "
          f"{last.loss[0].item():.4f}; code in {a.out}" + (f", preview in {a.preview}" if a.preview else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    from editing.edit_command import cmd_edit
    from editing.model_setup import cmd_face_setup, cmd_train_encoder, cmd_vectors

    return run_command(build_parser(), {"invert": cmd_invert, "train-encoder": cmd_train_encoder,
                                        "edit": cmd_edit, "vectors": cmd_vectors,
                                        "face-setup": cmd_face_setup, "animate": cmd_animate},
                       check_options, argv)


if __name__ == "__main__":
    sys.exit(main())
