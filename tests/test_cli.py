"""The `latent-gan` CLI end to end on a tiny image folder: train, resume, export, sample."""
import json
from pathlib import Path

import numpy as np
import torch
import pytest
from PIL import Image

from training.cli import main

TINY = ["--res", "32", "--channels", "1", "--latent", "16", "--width", "8", "--batch", "16",
        "--sample-every", "5", "--checkpoint-every", "5", "--quiet"]


@pytest.fixture
def trained_run(tmp_path, image_folder):
    run = tmp_path / "runs" / "tiny"
    assert main(["train", "--data", str(image_folder), "--steps", "5", "--out", str(run), *TINY]) == 0
    return run


def test_train_resume_export_sample(tmp_path, trained_run, capsys):
    assert main(["train", "--resume", str(trained_run), "--steps", "8", "--checkpoint-every", "2",
                 "--quiet"]) == 0
    from training.checkpoint import saved_step

    assert saved_step(trained_run) == 8 and saved_step(tmp_path) is None  # from the header alone
    run_info = json.loads((trained_run / "run.json").read_text())
    # 48 images; the last 10% of the sorted files (5) are the test split, never trained on
    assert run_info["config"]["steps"] == 8 and run_info["data"]["images"] == 43
    # A resumed run takes a new checkpoint interval (a long run checkpoints more often), the rest kept
    assert run_info["config"]["checkpoint_every"] == 2 and run_info["config"]["sample_every"] == 5
    model = tmp_path / "models" / "tiny"
    assert main(["export", str(trained_run), "--out", str(model)]) == 0
    cfg = json.loads((model / "config.json").read_text())
    assert cfg["training"]["steps"] == 8 and cfg["gan"]["width"] == 8
    assert cfg["training"]["test_fraction"] == 0.1  # where latent-edit finds the images again
    from training.data import DataError, model_data

    test = model_data(cfg, "test")
    assert len(test) == 5 and test.files[-1] == "part1/047.png"
    moved = tmp_path.parent / f"{tmp_path.name}-moved"  # the project moved, its data beside it
    tmp_path.rename(moved)
    try:
        assert not Path(cfg["training"]["data_source"]).exists()
        assert len(model_data(cfg, "test", model_folder=moved / "models" / "tiny")) == 5
        with pytest.raises(DataError, match="is not here"):
            model_data(cfg, "test")
    finally:
        moved.rename(tmp_path)
    assert main(["sample", "--model", str(model), "--n", "9", "--seed", "1",
                 "--out", str(tmp_path / "a.npy")]) == 0
    assert main(["sample", "--model", str(model), "--n", "9", "--seed", "1",
                 "--out", str(tmp_path / "b.npy")]) == 0
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert a.shape == (9, 32, 32) and a.dtype == np.uint8 and np.array_equal(a, b)
    assert main(["sample", "--model", str(model), "--n", "9", "--out", str(tmp_path / "g.png")]) == 0
    assert Image.open(tmp_path / "g.png").size == (3 * 34 + 2, 3 * 34 + 2)


def test_a_resume_may_lower_the_learning_rates_and_lengthen_the_average(trained_run, capsys):
    """A long run is often finished at a lower rate: the optimisers take the new rates (their
    saved states carry the old ones) and a later resume keeps them."""
    from training.checkpoint import latest_checkpoint
    from training.loop import Trainer, resumed_config

    assert main(["train", "--resume", str(trained_run), "--steps", "6", "--lr-g", "5e-5",
                 "--lr-d", "2.5e-5", "--ema", "0.9995", "--quiet"]) == 0
    saved = latest_checkpoint(trained_run)[2]["train_config"]
    assert (saved["lr_g"], saved["lr_d"], saved["ema_decay"]) == (5e-5, 2.5e-5, 0.9995)
    cfg = resumed_config(trained_run)
    from training.data import load_dataset

    data = load_dataset(cfg.data, cfg.gan.resolution, cfg.gan.channels, "train", None, None,
                        cfg.test_fraction)
    trainer = Trainer(cfg, data, trained_run, resume=True)
    assert trainer.step == 6
    assert {g["lr"] for g in trainer.opt_g.param_groups} == {5e-5}
    assert {g["lr"] for g in trainer.opt_d.param_groups} == {2.5e-5}
    # a run at its target trains no step: new rates are refused rather than recorded unused
    assert main(["train", "--resume", str(trained_run), "--lr-g", "1e-5", "--quiet"]) == 2
    assert "give --steps above 6" in capsys.readouterr().err
    assert latest_checkpoint(trained_run)[2]["train_config"]["lr_g"] == 5e-5


def test_a_new_run_goes_on_training_an_exported_model(tmp_path, trained_run, image_folder, capsys):
    """Shipped models keep no checkpoint: --from-model starts a run from one, at its step, with its
    generator as G and G_ema and its discriminator."""
    from training.checkpoint import latest_checkpoint, module_state
    from training.modelfile import load_model

    model = tmp_path / "models" / "tiny"
    assert main(["export", str(trained_run), "--out", str(model)]) == 0
    exported = load_model(model)
    more = tmp_path / "runs" / "more"
    base = ["train", "--data", str(image_folder), "--from-model", str(model), "--out", str(more), *TINY]
    for extra, says in ((["--steps", "7", "--width", "16"], "the options build"),  # another network
                        (["--steps", "5"], "give --steps above 5"),  # nothing left to train
                        ([], "give --steps"),
                        (["--steps", "7", "--resume", str(trained_run)], "give one of them"),
                        (["--steps", "7", "--loss", "lsgan"], "trained with --loss 'hinge'")):
        assert main([*base, *extra]) == 2
        assert says in capsys.readouterr().err
    assert not more.exists()

    from training.loop import Trainer

    saved = []
    original_save = Trainer.save

    def spy(self):  # the first checkpoint: what the run starts from
        if not saved:
            saved.append({k: v.detach().clone() for k, v in
                          {**{f"generator.{n}": t for n, t in self.G.state_dict().items()},
                           **{f"generator_ema.{n}": t for n, t in self.G_ema.state_dict().items()},
                           **{f"discriminator.{n}": t for n, t in self.D.state_dict().items()}}.items()})
            saved.append(self.step)
        original_save(self)

    Trainer.save = spy
    try:
        assert main([*base, "--steps", "7", "--lr-g", "1e-4"]) == 0
    finally:
        Trainer.save = original_save
    start, start_step = saved
    assert start_step == 5
    own = exported.generator.state_dict()
    for part in ("generator", "generator_ema"):
        got = module_state(start, part)
        assert all(torch.equal(got[k], v) for k, v in own.items())
    d = module_state(start, "discriminator")
    assert all(torch.equal(d[k], v) for k, v in exported.discriminator.state_dict().items())
    _, tensors, meta = latest_checkpoint(more)
    assert meta["step"] == 7 and meta["train_config"]["lr_g"] == 1e-4  # two steps on from 5
    after = module_state(tensors, "generator")
    assert not all(torch.equal(after[k], v) for k, v in own.items())  # and they trained
    source = exported.config["networks"]["generator"]["sha256"]
    assert meta["started_from"] == {"model": "tiny", "path": str(model.resolve()), "step": 5,
                                    "generator_sha256": source}
    assert main(["train", "--resume", str(more), "--steps", "8"]) == 0  # kept through a resume
    assert main(["export", str(more), "--out", str(tmp_path / "models" / "more")]) == 0
    assert load_model(tmp_path / "models" / "more").config["training"]["started_from"]["step"] == 5


def test_a_projected_discriminator_joins_an_exported_dcgan_model(tmp_path, trained_run, image_folder,
                                                                 capsys):
    """Vision-aided fine-tuning: --discriminator dcgan+projected on a model trained with the DCGAN
    discriminator alone keeps that one as the DCGAN part (the projected part starts untrained);
    any other change of network is still refused."""
    from training.checkpoint import PREVIOUS_NAME, latest_checkpoint, module_state, read_checkpoint
    from training.modelfile import load_model

    model = tmp_path / "models" / "tiny"
    assert main(["export", str(trained_run), "--out", str(model)]) == 0
    own = load_model(model).discriminator.state_dict()
    base = ["train", "--data", str(image_folder), "--from-model", str(model), "--steps", "6", *TINY]
    assert main([*base, "--discriminator", "projected", "--out", str(tmp_path / "runs" / "p")]) == 2
    assert "may go on with dcgan+projected" in capsys.readouterr().err  # the DCGAN one would be lost
    more = tmp_path / "runs" / "more"
    assert main([*base, "--discriminator", "dcgan+projected", "--out", str(more)]) == 0
    _, tensors, meta = latest_checkpoint(more)
    assert meta["step"] == 6 and meta["started_from"]["discriminator_added"] == "projected"
    d = module_state(tensors, "discriminator")
    assert any(k.startswith("projected.") for k in d)
    assert any(not torch.equal(d[f"dcgan.{k}"], v) for k, v in own.items())  # trained one step on
    start, _ = read_checkpoint(more / PREVIOUS_NAME)  # the run's first checkpoint, at the model's step
    first = module_state(start, "discriminator")
    assert all(torch.equal(first[f"dcgan.{k}"], v) for k, v in own.items()), "the model's own, exactly"
    assert load_model(model).gan.discriminator == "dcgan"  # the model itself untouched


def test_new_run_refuses_to_overwrite_an_existing_one(trained_run, image_folder, capsys):
    assert main(["train", "--data", str(image_folder), "--steps", "5", "--out", str(trained_run),
                 *TINY]) == 2
    assert "--resume" in capsys.readouterr().err
    from training.checkpoint import CHECKPOINT_NAME, PREVIOUS_NAME

    (trained_run / CHECKPOINT_NAME).rename(trained_run / PREVIOUS_NAME)  # the latest lost
    assert main(["train", "--data", str(image_folder), "--steps", "5", "--out", str(trained_run),
                 *TINY]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["train", "--resume", str(trained_run), "--steps", "6", "--quiet"]) == 0  # from it


def test_errors_are_one_clear_line(tmp_path, capsys):
    assert main(["train", "--data", "fashion-mnist", "--data-root", str(tmp_path), "--out",
                 str(tmp_path / "r"), "--quiet"]) == 2
    assert "apt-get install dataset-fashion-mnist" in capsys.readouterr().err
    evil = tmp_path / "model.pkl"
    evil.write_bytes(b"\x80\x04K\x01.")
    assert main(["sample", "--model", str(evil), "--out", str(tmp_path / "x.png")]) == 2
    assert "refused" in capsys.readouterr().err


def test_sigterm_stops_a_training_between_steps_with_its_checkpoint_saved(tmp_path, image_folder):
    """A run started in the background by a script ignores Ctrl-C; `kill PID` (SIGTERM) used to end
    it where it stood, losing the steps since its last checkpoint (session 23). Now it finishes the
    step it is in, saves and says so."""
    import signal
    import subprocess
    import sys
    import time

    from training.checkpoint import saved_step

    run = tmp_path / "runs" / "long"
    args = ["train", "--data", str(image_folder), "--steps", "100000", "--out", str(run), *TINY,
            "--checkpoint-every", "100000", "--sample-every", "1"]
    child = subprocess.Popen([sys.executable, "-c", f"import sys; from training.cli import main; "
                              f"sys.exit(main({args!r}))"], stderr=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parent.parent)
    try:
        deadline = time.monotonic() + 120
        while not (run / "samples" / "step_0000002.png").is_file() and time.monotonic() < deadline:
            time.sleep(0.2)  # two steps done: training is under way
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == 143, err
    assert "interrupted at step" in err and "checkpoint saved" in err
    step = saved_step(run)
    assert step is not None and step >= 2, "no checkpoint was due before step 100000: this one is the stop's"
    assert (run / "samples" / f"step_{step:07d}.png").is_file(), "the saved step is a whole step"
