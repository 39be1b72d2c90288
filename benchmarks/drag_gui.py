"""The Drag tool's live preview through the real window (offscreen Qt): how many frames a second
reach the canvas while a drag runs.

    QT_QPA_PLATFORM=offscreen python -m benchmarks.drag_gui [--steps 80] [--drags 3]

Per shipped model: a sample ("new from model", shown at 8x), one handle near the centre and a
target 6 px to its right; the drag runs `--steps` steps (never stopping early) on the job runner
while the preview worker renders the steps it can (each carried back onto the display image);
steps per second and painted frames per second over the whole drag. Writes
benchmarks/results/drag_gui.{json,md}.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

MODELS = ("fashion-mnist-32", "celeba-64")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=80)
    p.add_argument("--drags", type=int, default=3)
    a = p.parse_args()
    import torch
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from benchmarks.common import machine, markdown_table, write_results
    from editing.drag import DragConfig
    from editor.dragtool import model_to_display
    from editor.window import MainWindow

    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication([])
    tmp = Path(tempfile.mkdtemp())
    rows = []
    for name in MODELS:
        w = MainWindow(name, settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat),
                       autosave_path=tmp / "autosave.json", ask_recovery=False)
        w.confirm_discard = lambda doing: True  # the drags are thrown away: never ask Save/Discard
        w.show()
        painted = []
        w.preview.rendered.connect(lambda *_: painted.append(time.perf_counter()))
        steps_s, frames_s = [], []
        for seed in range(a.drags):
            w.new_from_model(seed)
            while not w.idle:
                app.processEvents()
            r = w.model.gan.resolution
            tool = w.drag_tool
            tool.cfg = DragConfig(steps=a.steps, tolerance=-1.0)  # never arrives: all steps run
            tool.set_active(True)
            tool.clear()
            c = r / 2 + 0.5
            tool.click(*model_to_display(w.renderer, c, c))
            tool.click(*model_to_display(w.renderer, c + 6, c))
            painted.clear()
            t0 = time.perf_counter()
            tool.run()
            while tool.running or not w.idle:
                app.processEvents()
                time.sleep(0.0005)
            seconds = time.perf_counter() - t0
            steps_s.append(a.steps / seconds)
            frames_s.append(len(painted) / seconds)
        rows.append({"model": name, "steps_per_s": statistics.median(steps_s),
                     "frames_per_s": statistics.median(frames_s), "drags": a.drags, "steps": a.steps})
        w.close()
    table = markdown_table(rows, [("model", "model"), ("drags", "drags"), ("steps", "steps each"),
                                  ("steps_per_s", "drag steps / s"),
                                  ("frames_per_s", "preview frames painted / s")])
    m = machine()
    md = (f"# Drag tool: live preview while dragging\n\n`python -m benchmarks.drag_gui --steps {a.steps} "
          f"--drags {a.drags}`, {m['date']}, {m['cpu']}, offscreen Qt, one torch thread per worker. "
          f"A model sample shown at 8x; medians over the drags.\n\n{table}")
    write_results("drag_gui", {"machine": m, "rows": rows}, md)


if __name__ == "__main__":
    main()
