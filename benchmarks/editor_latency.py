"""Editor latency through the real window (offscreen Qt): slider moves, strokes, start-up.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m benchmarks.editor_latency [--moves 300]

- Launch: from creating the QApplication to the first painted frame of a photo's encoder guess;
  open: from opening the photo to its inversion done (and a face's tuning), the window idle.
- Sliders: `--moves` slider changes through the real QSlider, each waited for until its frame is
  painted (the worker renders G(z) and carries it back onto the photo at display size); latency
  p50/p95 and frames per second (1 / mean latency). Twice, the same moves: the GUI thread waiting
  in Qt's event loop as the app's does, then polling it without a pause (as measured before); the
  held sliders' first walks (editor.preview's warm-up) are waited for before either.
- Strokes: a colour stroke painted with the mouse, to the candidates in the gallery (default
  solver, K=4), p50/p95 over several strokes.
Writes benchmarks/results/editor_latency.{json,md}.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--moves", type=int, default=300)
    p.add_argument("--strokes", type=int, default=10)
    p.add_argument("--photo", default=None, help="photo to open (default: a test image as a photo)")
    p.add_argument("--model", default=None, help="model to edit with (default: the editor's own, the "
                   "product model); `--model celeba-64 --photo astronaut` times a tuned face")
    p.add_argument("--name", default="editor_latency", help="results' name in benchmarks/results/")
    a = p.parse_args()
    t_launch = time.perf_counter()
    from PySide6.QtCore import QEventLoop, QPoint, QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from benchmarks.common import footer, machine, markdown_table, write_results
    from editor.window import MainWindow

    app = QApplication.instance() or QApplication([])
    tmp = Path(tempfile.mkdtemp())
    photo = a.photo or str(make_photo(tmp))
    if photo == "astronaut":  # scikit-image's portrait
        import skimage.data
        from PIL import Image

        Image.fromarray(skimage.data.astronaut()).save(tmp / "astronaut.png")
        photo = str(tmp / "astronaut.png")
    settings = QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(*([a.model] if a.model else []), settings=settings,
                   autosave_path=tmp / "autosave.json", ask_recovery=False)
    w.show()
    t_open = time.perf_counter()
    w.open_photo(photo)
    while w.canvas._after is None:
        app.processEvents()
    app.processEvents()
    first_frame = time.perf_counter() - t_launch

    def wait_idle():
        while not w.idle:
            app.processEvents()
            time.sleep(0.0005)
        app.processEvents()

    wait_idle()
    ready = time.perf_counter() - t_open  # the inversion done (and a face's tuning)
    names = list(w.sliders)

    def slider_moves(spin: bool) -> tuple[np.ndarray, float]:
        """The moves' latencies (ms) and their wall seconds. Waiting for a frame, the GUI thread
        sleeps in Qt's event loop as the app's does (`spin` False), or polls it without a pause,
        as this benchmark did until 2026-12-01 (it then holds Python's lock most of the time and
        slows the render worker's Python parts)."""
        rng = np.random.default_rng(0)
        w.frame_times.clear()
        t0 = time.perf_counter()
        for i in range(a.moves):
            name = names[i % len(names)]
            w.sliders[name].setValue(int(rng.integers(-300, 301)) / 100)
            while w._slider_t0 is not None:  # until that move's frame is painted
                if spin:
                    app.processEvents()
                else:  # sleeps until an event (the worker's reports come on a 2 ms timer)
                    app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
            if i % 50 == 49:
                w.commit_sliders()
        wall = time.perf_counter() - t0
        lat = np.array(w.frame_times) * 1000
        wait_idle()
        w.reset_all_sliders()
        wait_idle()
        return lat, wall

    # The held sliders' walks (half a second each, made once per photo on a thread of their own)
    # done before either pass: else the first pass alone waits for them and the two differ by that.
    warm = getattr(w.preview, "_warm_thread", None)
    if warm is not None:
        warm.join()
    moves = {"event loop": slider_moves(spin=False), "spinning": slider_moves(spin=True)}
    stroke_ms = []
    w.set_brush("color")
    for k in range(a.strokes):
        r = w.canvas.image_rect()
        y = int(r.y() + r.height() * (0.3 + 0.4 * k / max(1, a.strokes - 1)))
        x0, x1 = int(r.x() + r.width() * 0.3), int(r.x() + r.width() * 0.7)
        t = time.perf_counter()
        QTest.mousePress(w.canvas, Qt.MouseButton.LeftButton, pos=QPoint(x0, y))
        for x in range(x0, x1, 8):
            QTest.mouseMove(w.canvas, QPoint(x, y))
        QTest.mouseRelease(w.canvas, Qt.MouseButton.LeftButton, pos=QPoint(x1, y))
        wait_idle()
        stroke_ms.append(1000 * (time.perf_counter() - t))
        w.undo()
        wait_idle()
    m = machine()
    rows = [{"waiting": mode, "moves": len(lat), "p50_ms": float(np.median(lat)),
             "p95_ms": float(np.quantile(lat, 0.95)), "fps": 1000 / float(lat.mean()),
             "throughput_fps": a.moves / wall} for mode, (lat, wall) in moves.items()]
    row = {**rows[0], "stroke_p50_ms": statistics.median(stroke_ms),
           "stroke_p95_ms": float(np.quantile(stroke_ms, 0.95)), "first_frame_s": first_frame,
           "ready_s": ready}
    h, wd = w.doc.pixels.shape[:2]
    command = f"python -m benchmarks.editor_latency --moves {a.moves}" + "".join(
        f" --{k} {v}" for k, v in (("model", a.model), ("photo", a.photo)) if v) + (
        f" --name {a.name}" if a.name != "editor_latency" else "")
    tuned = " (a face, its generator tuned to the photo)" if w.doc.tuning else ""
    md = (f"# Editor latency (real window, offscreen Qt)\n\nModel {w.model.model_id}, photo "
          f"{wd}x{h}{tuned}. `QT_QPA_PLATFORM=offscreen {command}`. Slider moves twice, the same "
          "moves: the GUI thread waiting for each frame in Qt's event loop, as the app's does, then "
          "polling it without a pause, as this benchmark did before 2026-12-01.\n\n"
          + markdown_table(rows, [("waiting", "GUI thread waiting"), ("moves", "slider moves"),
                                  ("p50_ms", "slider→frame p50 ms"), ("p95_ms", "p95 ms"),
                                  ("fps", "frames/s (1/mean)")])
          + "\n" + markdown_table([row], [("stroke_p50_ms", "stroke→candidates p50 ms"),
                                          ("stroke_p95_ms", "p95 ms"),
                                          ("first_frame_s", "launch→first frame s"),
                                          ("ready_s", "open→inverted s")])
          + f"\n{footer(m)}")
    write_results(a.name, {"machine": m, **row, "slider_moves": rows}, md)
    w.save_session(tmp / "end.session.json")  # saved: closing does not ask
    w.close()


def make_photo(folder: Path) -> Path:
    """A Fashion-MNIST test image as a 'product photo' (see benchmarks.editing.fake_photo)."""
    from PIL import Image

    from benchmarks.editing import fake_photo
    from training.data import load_fashion_mnist

    test = load_fashion_mnist("test", 32)
    Image.fromarray(fake_photo(test.images[0, 2:30, 2:30, 0].numpy())).save(folder / "photo.png")
    return folder / "photo.png"


if __name__ == "__main__":
    main()
