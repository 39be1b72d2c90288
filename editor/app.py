"""`latent-editor [PHOTO] [--model NAME]`: the desktop editor."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="latent-editor", description=__doc__.split("\n\n")[0])
    p.add_argument("photo", nargs="?", help="photo to open")
    p.add_argument("--model", default=None, help="model name in assets/models/ or a folder")
    p.add_argument("--session", help="session file to open")
    a = p.parse_args(argv)
    from PySide6.QtWidgets import QApplication

    from editor.window import MainWindow
    from training.modelfile import DEFAULT_MODEL

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("latent-editor")
    window = MainWindow(a.model or DEFAULT_MODEL, ask_recovery=not (a.photo or a.session))
    window.show()
    if a.session:
        window.open_session(a.session)
    elif a.photo:
        window.open_photo(a.photo)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
