"""Hostile files and values through the command line and the editor, as a stranger's files reach them.

    .venv/bin/python -m benchmarks.hostile

Each input is made here (no files are shipped), then run as its own process (`latent-edit`,
`latent-gan`, or the editor offscreen); the table gives the exit status, the first line the user
sees, the process's peak memory (its maximum resident set, from the kernel) and the seconds it
took. Writes benchmarks/results/hostile.{json,md}.
"""
from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.common import machine, markdown_table, write_results

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "assets" / "models" / "fashion-mnist-32"

EDITOR_SESSION = """
import sys
from PySide6.QtCore import qInstallMessageHandler
from PySide6.QtWidgets import QApplication
from editor.window import MainWindow
qInstallMessageHandler(lambda *args: None)  # the offscreen platform's notes are not the outcome
app = QApplication([])
w = MainWindow(ask_recovery=False, autosave_path=__import__("pathlib").Path(sys.argv[2]))
w.show()
ok = w.open_session(sys.argv[1])
print(f"window up: {w.isVisible()}, document: {'none' if w.doc is None else 'open'}; "
      + ("opened" if ok else w.last_error))
sys.exit(0 if w.isVisible() else 1)
"""


def run_measured(args: list[str]) -> dict:
    """Run `python args...` in the repository: its exit status, the first error line (or its last
    line), its peak memory (wait4's maximum resident set) and seconds."""
    t0 = time.perf_counter()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen([sys.executable, *args], cwd=REPO, env=env, stdout=out, stderr=err,
                             text=True)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text_out, text_err = out.read(), err.read()
    def lines(text: str) -> list[str]:  # not splitlines: tqdm's progress bars end in \r
        return [line for line in text.split("\n") if line.strip() and "\r" not in line
                and "%|" not in line]
    errors, said = lines(text_err), lines(text_out)
    said = next((line for line in errors if line.startswith("error:")),  # the refusal, or a
                errors[0] if errors else said[-1] if said else "")  # warning, or the result
    return {"status": p.returncode, "said": said.strip()[:110],
            "peak_mb": round(usage.ru_maxrss / 1024), "seconds": round(time.perf_counter() - t0, 1),
            "traceback": "Traceback" in text_err}


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG claiming width x height with almost no data: a decompression bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b""))
                     + chunk(b"IEND", b""))
    return path


def edited(recipe: Path, change) -> Path:
    data = json.loads(recipe.read_text())
    change(data)
    out = recipe.with_name(f"t{len(list(recipe.parent.glob('t*.json')))}.recipe.json")
    out.write_text(json.dumps(data))
    return out


def model_with(folder: Path, name: str, change) -> Path:
    target = folder / name
    shutil.copytree(MODEL, target)
    config = json.loads((target / "config.json").read_text())
    change(config)
    (target / "config.json").write_text(json.dumps(config))
    return target


def corpus(d: Path) -> list[tuple[str, list[str]]]:
    """(input described, the command's arguments) for every hostile input, made in folder d."""
    from skimage import data as skimage_data

    edit = ["-m", "editing.cli", "edit", "--overwrite"]  # every case may write the same --out
    invert = ["-m", "editing.cli", "invert"]
    coat = np.full((240, 180, 3), 246, np.uint8)
    coat[30:210, 50:130] = (70, 50, 40)
    Image.fromarray(coat).save(d / "coat.png")
    other = np.full((240, 180, 3), 246, np.uint8)
    other[60:200, 20:150] = (40, 60, 90)  # another object, the same size of photo
    Image.fromarray(other).save(d / "other.png")
    subprocess.run([sys.executable, *invert, str(d / "coat.png"), "--out", str(d / "coat.npz"),
                    "--quiet"], cwd=REPO, check=True, capture_output=True)
    subprocess.run([sys.executable, *edit, str(d / "coat.png"), "--code", str(d / "coat.npz"),
                    "--attr", "area=1.5", "--out", str(d / "edited.png")], cwd=REPO, check=True,
                   capture_output=True)
    recipe = d / "edited.png.recipe.json"
    shutil.copy(d / "coat.png", d / "changed.png")
    changed = edited(recipe, lambda r: r["photo"].__setitem__("path", str(d / "changed.png")))
    img = coat.copy()
    img[0, 0] = 0
    Image.fromarray(img).save(d / "changed.png")
    typed = edited(recipe, lambda r: r["model"].__setitem__(  # typed in another folder than this
        "path", "my-projects/latent-editor/assets/models/fashion-mnist-32"))
    (d / "deep.recipe.json").write_text("[" * 200_000 + "]" * 200_000)
    (d / "file.txt").write_text("a file")
    (d / "folder.png").mkdir()
    models = {name: model_with(d, name, change) for name, change in {
        "latent-128.5": lambda c: c["gan"].__setitem__("latent_dim", 128.5),
        "width-1e9": lambda c: c["gan"].__setitem__("width", 10**9),
        "latent-2e5": lambda c: c["gan"].__setitem__("latent_dim", 200_000),
        "sha-null": lambda c: c["networks"]["generator"].__setitem__("sha256", None),
        "etc-passwd": lambda c: c["networks"]["generator"].__setitem__("file", "/etc/passwd"),
        "dot-dot": lambda c: c["networks"]["generator"].__setitem__(
            "file", "../latent-128.5/generator.safetensors"),
    }.items()}
    session = d / "session.json"
    subprocess.run([sys.executable, "-c", "from training.modelfile import load_model\n"
                    "from editor.session import new_document\n"
                    f"new_document(load_model('fashion-mnist-32'), 3).save({str(session)!r})"],
                   cwd=REPO, check=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    damaged = json.loads(session.read_text())
    damaged["index"] = 7
    damaged["history"][0]["sliders"] = {"nosuch": float("nan")}
    (d / "damaged.json").write_text(json.dumps(damaged))
    wrong_length = json.loads(session.read_text())
    wrong_length["z0"] = wrong_length["z0"][:5]
    (d / "short.json").write_text(json.dumps(wrong_length))
    png_header_only(d / "bomb-30000.png", 30000, 30000)
    png_header_only(d / "108mp.png", 12000, 9000)
    big = np.full((7000, 7000, 3), 246, np.uint8)
    big[1000:6000, 2000:5000] = (70, 50, 40)
    big[1000:6000, 2000:5000] += np.random.default_rng(0).integers(0, 20, (5000, 3000, 3), np.uint8)
    Image.fromarray(big).save(d / "49mp.jpg", quality=90)
    Image.new("RGB", (7000, 7000), (128, 128, 128)).save(d / "plain-7000.png")
    astronaut = skimage_data.astronaut()
    Image.fromarray(np.concatenate([astronaut, astronaut[:, ::-1]], axis=1)).save(d / "two.png")
    canvas = np.full((2000, 3000, 3), 180, np.uint8)
    canvas[100:612, 200:712] = astronaut
    Image.fromarray(canvas).save(d / "astronaut-3000.png")
    stale = d / ".again.png.k1ll3d.tmp.png"
    stale.write_bytes(b"partial")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    run_dir = d / "run"
    folder = d / "images"
    folder.mkdir()
    for i in range(24):
        Image.fromarray(np.full((32, 32), 40 + 8 * i, np.uint8)).save(folder / f"{i}.png")
    subprocess.run([sys.executable, "-m", "training.cli", "train", "--data", str(folder), "--steps",
                    "4", "--out", str(run_dir), "--res", "32", "--channels", "1", "--latent", "16",
                    "--width", "8", "--batch", "8", "--checkpoint-every", "2", "--sample-every",
                    "100", "--quiet"], cwd=REPO, check=True, capture_output=True)
    checkpoint = run_dir / "checkpoint.safetensors"
    checkpoint.write_bytes(checkpoint.read_bytes()[:-500])
    out = str(d / "x.png")
    return [
        ("edit --attr brightness=nan", [*edit, str(d / "coat.png"), "--attr", "brightness=nan", "--out", out]),
        ("edit --attr brightness=1e308", [*edit, str(d / "coat.png"), "--attr", "brightness=1e308", "--out", out]),
        ("recipe: z_edit holds NaN", [*edit, "--recipe", str(edited(recipe, lambda r: r["z_edit"].__setitem__(0, float("nan")))), "--out", out]),
        ("recipe: mask threshold 0", [*edit, "--recipe", str(edited(recipe, lambda r: r["export"].__setitem__("mask_threshold", 0))), "--out", out]),
        ("recipe: the photo changed since", [*edit, "--recipe", str(changed), "--out", out]),
        ("edit --code from another photo", [*edit, str(d / "other.png"), "--code", str(d / "coat.npz"), "--out", out]),
        ("recipe: model path as typed, run elsewhere", [*edit, "--recipe", str(typed), "--out", str(d / "typed.png")]),
        ("recipe: z0 missing", [*edit, "--recipe", str(edited(recipe, lambda r: r.pop("z0"))), "--out", out]),
        ("recipe: quality \"92\"", [*edit, "--recipe", str(edited(recipe, lambda r: r["export"].__setitem__("quality", "92"))), "--out", out]),
        ("recipe: z0 too short", [*edit, "--recipe", str(edited(recipe, lambda r: (r.__setitem__("z0", [0.1]), r.__setitem__("z_edit", [0.1])))), "--out", out]),
        ("recipe: nested 200,000 deep", [*edit, "--recipe", str(d / "deep.recipe.json"), "--out", out]),
        ("recipe: box [0, 0, 30000, 30000]", [*edit, "--recipe", str(edited(recipe, lambda r: r["mapping"].__setitem__("box", [0, 0, 30000, 30000]))), "--out", out]),
        ("recipe: box up to 1e6", [*edit, "--recipe", str(edited(recipe, lambda r: r["mapping"].__setitem__("box", [0, 0, 1e6, 1e6]))), "--out", out]),
        ("recipe: inverted box", [*edit, "--recipe", str(edited(recipe, lambda r: r["mapping"].__setitem__("box", [180, 210, 0, 30]))), "--out", out]),
        *[(f"model config: {name}", [*invert, str(d / "coat.png"), "--model", str(path), "--out", str(d / "c.npz")])
          for name, path in models.items()],
        ("--out existing_file/x.png", [*edit, str(d / "coat.png"), "--out", str(d / "file.txt" / "x.png")]),
        ("--out an existing folder --overwrite", [*edit, str(d / "coat.png"), "--out", str(d / "folder.png"), "--overwrite"]),
        ("--out in a missing folder", [*edit, str(d / "coat.png"), "--out", str(d / "missing" / "x.png")]),
        ("invert --preview-scale 0", [*invert, str(d / "coat.png"), "--out", str(d / "c.npz"), "--preview-scale", "0"]),
        ("invert --starts 0", [*invert, str(d / "coat.png"), "--out", str(d / "c.npz"), "--starts", "0"]),
        ("face model --attr nosuch=1", [*edit, str(d / "two.png"), "--model", "celeba-64", "--attr", "nosuch=1", "--out", out]),
        ("editor: damaged session (NaN slider, index 7)", ["-c", EDITOR_SESSION, str(d / "damaged.json"), str(d / "autosave.json")]),
        ("editor: session with a 5-number code", ["-c", EDITOR_SESSION, str(d / "short.json"), str(d / "autosave.json")]),
        ("train --resume, latest checkpoint truncated", ["-m", "training.cli", "train", "--resume", str(run_dir), "--steps", "6", "--quiet"]),
        ("export, both checkpoints damaged", ["-c", f"import pathlib,sys; [pathlib.Path({str(run_dir)!r}, n).write_bytes(b'x') for n in ('checkpoint.safetensors', 'checkpoint.previous.safetensors')]; from training.cli import main; sys.exit(main(['export', {str(run_dir)!r}, '--out', {str(d / 'm')!r}]))"]),
        ("108-megapixel PNG", [*invert, str(d / "108mp.png"), "--out", str(d / "c.npz")]),
        ("30000x30000 PNG bomb", [*invert, str(d / "bomb-30000.png"), "--out", str(d / "c.npz")]),
        ("7000x7000 plain image", [*edit, str(d / "plain-7000.png"), "--attr", "area=1", "--out", out]),
        ("49 MP photo, edit + export", [*edit, str(d / "49mp.jpg"), "--attr", "area=1", "--out", str(d / "49mp-edited.jpg")]),
        ("two astronauts, --face 2", [*invert, str(d / "two.png"), "--model", "celeba-64", "--face", "2", "--out", str(d / "c.npz")]),
        ("87 px face in a 3000x2000 photo", [*invert, str(d / "astronaut-3000.png"), "--model", "celeba-64", "--method", "encoder", "--out", str(d / "c.npz")]),
        ("export beside a killed write's temp file", [*edit, "--recipe", str(recipe), "--out", str(d / "again.png")]),
    ]


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for name, args in corpus(d):
            r = run_measured(args)
            if name.startswith("export beside"):
                r["said"] += f" (temp file left: {(d / '.again.png.k1ll3d.tmp.png').exists()})"
            rows.append({"input": name, **r})
            print(f"{name}: {r['status']} {r['said']} ({r['peak_mb']} MB, {r['seconds']} s)", flush=True)
    markdown = (f"# Hostile inputs ({machine()['date']}, {machine()['cpu']}, {machine()['cores']} cores)\n\n"
                "Each input in its own process; peak memory is the process's maximum resident set "
                "(about 0.84 GB of it is the process with torch, OpenCV and dlib imported; torch "
                "alone is 0.65 GB). Exit status 2 is a refusal with its message, 0 a result.\n\n"
                + markdown_table(rows, [("input", "input"), ("status", "exit"), ("said", "outcome"),
                                        ("peak_mb", "peak MB"), ("seconds", "s")]))
    assert not any(r["traceback"] for r in rows), "a traceback where a message belongs"
    write_results("hostile", {"machine": machine(), "rows": rows}, markdown)


if __name__ == "__main__":
    main()
