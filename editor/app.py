"""`latent-editor [PHOTO] [--model NAME]`: start the editor on a model.

The Qt window is not built yet (issue: "The editor"). Until it is, this command loads the model the
editor will use, proves it works by drawing a sample grid, and says where the editor will be.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from training.images import grid_image, save_png
from training.modelfile import DEFAULT_MODEL, ModelFormatError, load_model


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="latent-editor", description=__doc__.split("\n\n")[0])
    p.add_argument("photo", nargs="?", help="photo to open")
    p.add_argument("--model", default=DEFAULT_MODEL, help="model name in assets/models/ or a folder")
    p.add_argument("--out", default="out/samples.png", help="where to write the sample grid")
    a = p.parse_args(argv)
    try:
        model = load_model(a.model)
    except ModelFormatError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    save_png(grid_image(model.sample(64, seed=0), nrow=8), a.out)
    print(f"model {model.model_id}: {model.gan.resolution}x{model.gan.resolution}, "
          f"{'grey' if model.gan.channels == 1 else 'colour'}, latent size {model.gan.latent_dim}")
    print(f"wrote 64 samples (seed 0) to {Path(a.out).resolve()}")
    print("The editor window is not built yet; it will open here, in editor/, "
          "with `latent-editor [PHOTO] [--model NAME]`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
