"""What a model folder's config.json may hold, checked as a whole before anything reads it
(check_config), and the format it names: split by job from training.modelfile, which reads the
folder (read_config) and loads it."""
from __future__ import annotations

from training.errors import UserError
from training.validate import Fields

FORMAT = "latent-editor-model"
FORMAT_VERSION = 1


class ModelFormatError(UserError):
    """The model file is missing, refused or does not match its config."""


def check_config(config, where: str) -> dict:
    """config.json checked as a whole: every field this program reads has its type and a sane
    range, so a tampered file is one message, never a traceback or a huge allocation."""
    f = Fields(where, ModelFormatError)
    f.dict(config, "the config")
    if config.get("format") != FORMAT:
        raise ModelFormatError(f"{where} is not a {FORMAT} config")
    version = config.get("format_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        f.fail("format_version", "a whole number", version)
    if version > FORMAT_VERSION:
        raise ModelFormatError(f"{where} was written by a newer version of this program "
                               f"(format {version}); please update")
    for key in ("name", "architecture"):
        if key in config:
            f.string(config[key], key, max_length=200)
    for key in ("data", "training", "encoder", "refiner", "domain"):
        if config.get(key) is not None:
            f.dict(config[key], key)
    held = (config.get("encoder") or {}).get("held_out")  # editing.model_setup.held_out_fit
    if held is not None:
        f.dict(held, "encoder.held_out")
        f.number(held.get("lpips_p95", 0.0), "encoder.held_out.lpips_p95", 0.0, 10.0)
        f.number(held.get("lpips_median", 0.0), "encoder.held_out.lpips_median", 0.0, 10.0)
        f.integer(held.get("n", 0), "encoder.held_out.n", 0, 1_000_000)
    refiner = config.get("refiner") or {}  # the iterative encoder (inversion.restyle)
    f.integer(refiner.get("iterations", 4), "refiner.iterations", 0, 16)
    f.string(refiner.get("latent_space", "z"), "refiner.latent_space", ("z", "w"))
    f.string(refiner.get("encoder_sha256", ""), "refiner.encoder_sha256", max_length=64)
    f.string(config.get("latent_space", "z"), "latent_space", ("z", "w"))
    networks = f.dict(f.key(config, "networks"), "networks")
    for name, entry in networks.items():
        f.dict(entry, f"networks.{name}")
        f.string(f.key(entry, "file", f"networks.{name}"), f"networks.{name}.file", max_length=255)
        sha = f.key(entry, "sha256", f"networks.{name}")
        if not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)):
            f.fail(f"networks.{name}.sha256", "a SHA-256 (64 hex digits)", sha)
    domain = config.get("domain") or {}
    f.string(domain.get("kind", "centre-crop"), "domain.kind", ("object", "centre-crop", "face"))
    f.number(domain.get("content_fraction", 1.0), "domain.content_fraction", 0.05, 1.0)
    f.boolean(domain.get("light_on_dark", False), "domain.light_on_dark")
    landmarks = f.list(domain.get("landmarks", []), "domain.landmarks", 5)
    for i, point in enumerate(landmarks):
        f.numbers(point, f"domain.landmarks[{i}]", 2, -1024, 1024)
    box = f.numbers(domain.get("face_box", []), "domain.face_box", max_length=4, low=-1024, high=1024)
    if domain.get("kind") == "face" and (len(landmarks) != 5 or len(box) != 4):
        f.fail("domain", "a face domain with five landmarks and a face box", domain)
    return config
