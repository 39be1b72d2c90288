"""`latent-editor [PHOTO] [--model NAME]`: the desktop editor."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def setup_logging(folder: Path) -> None:
    """Log to stderr and to latent-editor.log beside the autosave: where a bug's traceback goes."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(folder / "latent-editor.log", encoding="utf-8"))
    except OSError:
        pass  # a read-only home: stderr only
    logging.basicConfig(level=logging.INFO, handlers=handlers,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="latent-editor", description=__doc__.split("\n\n")[0])
    p.add_argument("photo", nargs="?", help="photo to open")
    p.add_argument("--model", default=None, help="model name in assets/models/ or a folder")
    p.add_argument("--session", help="session file to open")
    a = p.parse_args(argv)
    from PySide6.QtWidgets import QApplication

    from editor.files import default_autosave
    from editor.window import MainWindow

    setup_logging(default_autosave().parent)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("latent-editor")
    window = MainWindow(a.model, ask_recovery=False)  # None: the model last used (or the default)
    window.show()
    window.open_at_start(a.photo, a.session)  # a crashed edit's recovery offered first
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
