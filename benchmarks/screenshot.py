"""A screenshot of the real editor window with a photo open and an edit applied.

    xvfb-run -s "-screen 0 1400x900x24" .venv/bin/python -m benchmarks.screenshot [--photo P]

Opens the photo, waits for the inversion, moves a slider, paints a stroke, and grabs the
window into benchmarks/results/editor_screenshot.png.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.common import RESULTS


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--photo")
    p.add_argument("--slider", default="sneaker=1.5")
    p.add_argument("--out", default=str(RESULTS / "editor_screenshot.png"))
    a = p.parse_args()
    from PySide6.QtCore import QPoint, QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from benchmarks.editor_latency import make_photo
    from editor.window import MainWindow

    app = QApplication([])
    tmp = Path(tempfile.mkdtemp())
    photo = a.photo or str(make_photo(tmp))
    w = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat),
                   autosave_path=tmp / "autosave.json", ask_recovery=False)
    w.resize(1360, 860)
    w.move(20, 20)
    w.show()

    def settle():
        for _ in range(20):
            app.processEvents()
            time.sleep(0.02)
        while not w.idle:
            app.processEvents()
            time.sleep(0.01)
        for _ in range(20):
            app.processEvents()
            time.sleep(0.02)

    settle()
    w.open_photo(photo)
    settle()
    name, value = a.slider.split("=")
    w.set_slider(name, float(value), commit=True)
    settle()
    w.set_brush("color")
    w.set_brush_colour((255, 255, 255))
    r = w.canvas.image_rect()
    y = int(r.y() + r.height() * 0.62)
    x0, x1 = int(r.x() + r.width() * 0.4), int(r.x() + r.width() * 0.6)
    QTest.mousePress(w.canvas, Qt.MouseButton.LeftButton, pos=QPoint(x0, y))
    for x in range(x0, x1, 6):
        QTest.mouseMove(w.canvas, QPoint(x, y))
    QTest.mouseRelease(w.canvas, Qt.MouseButton.LeftButton, pos=QPoint(x1, y))
    settle()
    w.set_view_mode("split")
    settle()
    w.grab().save(a.out)  # the window as X draws it, without the (empty) desktop around it
    print(f"wrote {a.out}")
    w.save_session(tmp / "end.session.json")  # saved: closing does not ask
    w.close()


if __name__ == "__main__":
    main()
