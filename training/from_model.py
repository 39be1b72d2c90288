"""`latent-gan train --from-model MODEL`: a new run that goes on training an exported model, checked
against the model's recipe before any data loads, and seeded with its networks, step and time."""
from __future__ import annotations

from typing import TYPE_CHECKING

from training.errors import OptionError
from training.modelfile import load_model

if TYPE_CHECKING:
    from training.loop import TrainConfig
    from training.networks import GANConfig


def check_from_model(cfg: "TrainConfig", model_name: str):
    """The exported model a new run starts from (--from-model), if the run's options build its
    network and train it by its recorded recipe (loss, augmentation) to beyond its step;
    OptionError naming what differs otherwise, before any data is loaded."""
    model = load_model(model_name)
    added = adds_projected(model.gan, cfg.gan)
    if model.gan != cfg.gan and not added:
        raise OptionError(f"--from-model: {model.name} is {model.gan}, but the options build "
                          f"{cfg.gan}; give its recipe's options (e.g. --res, --width; a model "
                          f"trained with --discriminator dcgan may go on with dcgan+projected)")
    recipe = model.config.get("training", {})
    checked = [("--loss", "loss", cfg.loss)] + ([] if added else [("--augment", "augment", list(cfg.augment))])
    for option, key, given in checked:  # a projected discriminator added augments as it needs
        if key in recipe and recipe[key] != given:
            shown = ",".join(recipe[key]) if isinstance(recipe[key], list) else recipe[key]
            raise OptionError(f"--from-model: {model.name} was trained with {option} "
                              f"'{shown}'; give it again (the options give {given!r})")
    step = int(recipe.get("steps", 0))
    if step >= cfg.steps:
        raise OptionError(f"--from-model: {model.name} has trained {step} steps already; give "
                          f"--steps above {step}")
    return model


def adds_projected(had: "GANConfig", builds: "GANConfig") -> bool:
    """Whether a run building `builds` may go on training a model of `had` by adding a projected
    discriminator beside its DCGAN one (--discriminator dcgan+projected on a dcgan model): the
    Vision-aided GAN's own use (Kumari et al. 2022 fine-tune trained generators that way). The
    model's discriminator becomes the DCGAN part; the projected part starts untrained."""
    from dataclasses import replace

    return (had.discriminator == "dcgan" and builds.discriminator == "dcgan+projected"
            and replace(had, discriminator=builds.discriminator, feature_size=builds.feature_size)
            == builds)


def start_from_model(trainer, model) -> None:
    """Put an exported model (check_from_model) into a new run (training.loop.Trainer) and
    checkpoint it: its generator (the EMA weights it was exported with) as G and G_ema, its
    discriminator (the DCGAN part where the run adds a projected one: adds_projected), its step
    and training time; the optimisers' moments start from zero."""
    weights = model.generator.state_dict()
    trainer.G.load_state_dict(weights)
    trainer.G_ema.load_state_dict(weights)
    added = adds_projected(model.gan, trainer.cfg.gan)
    (trainer.D.dcgan if added else trainer.D).load_state_dict(model.discriminator.state_dict())
    recipe = model.config.get("training", {})
    trainer.step = int(recipe.get("steps", 0))
    trainer.seconds = 60.0 * float(recipe.get("minutes", 0.0))
    trainer.started_from = {"model": model.name, "path": str(model.path.resolve()),
                            "step": trainer.step,
                            "generator_sha256": model.config["networks"]["generator"]["sha256"]}
    if added:
        trainer.started_from["discriminator_added"] = "projected"
    trainer.out.mkdir(parents=True, exist_ok=True)
    trainer.save()
