"""Two CPU processes under torchrun (gloo) train a few steps and end with identical weights (also
with the vision-aided discriminator, whose `parts=True` keyword passes through DDP's forward)."""
import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
@pytest.mark.parametrize("discriminator", ["dcgan", "dcgan+projected"])
def test_torchrun_two_processes_agree(tmp_path, image_folder, discriminator):
    run = tmp_path / "ddp"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "training.cli", "train", "--data", str(image_folder), "--res", "32",
           "--channels", "1", "--latent", "16", "--width", "8", "--batch", "16", "--steps", "4",
           "--sample-every", "2", "--checkpoint-every", "2", "--device", "cpu", "--quiet",
           "--discriminator", discriminator,
           "--out", str(run)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads((run / "run.json").read_text())
    assert info["world_size"] == 2
    sums = info["rank_checksums"]
    assert len(sums) == 2 and sums[0] == sums[1]
    assert (run / "checkpoint.safetensors").is_file()
