"""Atomic file writes: write to a temporary file in the same folder, then rename over the target.

A crash mid-write leaves the previous version intact (os.replace is atomic on POSIX and Windows).
A kill leaves the hidden temporary file behind; the next write of the same file removes such
leftovers once they are STALE_SECONDS old (a younger one may be another process's write in flight).
`check_output` refuses an output path that cannot be written before any work is done for it.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from training.errors import UserError

STALE_SECONDS = 60.0  # a temporary file untouched this long belongs to a write that was killed


class OutputError(UserError):
    """An output path that cannot be written: its folder is missing, a file, or read-only."""


def check_output(path: str | os.PathLike, overwrite: bool = True, option: str = "") -> Path:
    """Refuse, before any work, an output file that cannot be written: its folder missing or a
    file, the path a folder, the folder read-only, or (without `overwrite`) the file there already."""
    path = Path(path)
    name = f"{option} {path}" if option else str(path)
    parent = path.parent
    if path.is_dir():
        raise OutputError(f"{name} is a folder; give a file name inside it")
    if not parent.exists():
        raise OutputError(f"cannot write {name}: the folder {parent} does not exist")
    if not parent.is_dir():
        raise OutputError(f"cannot write {name}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {name}: the folder {parent} is not writable")
    if path.exists() and not overwrite:
        raise OutputError(f"{name} exists; pass --overwrite to replace it")
    return path


def remove_stale_temporaries(path: Path) -> None:
    """Remove temporary files a killed write of `path` left beside it (see atomic_path)."""
    now = time.time()
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp{glob.escape(path.suffix)}"):
        try:
            if now - tmp.stat().st_mtime > STALE_SECONDS:
                tmp.unlink()
        except OSError:
            pass  # gone already, or not ours to remove


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp (and some writers) make 0600: use the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_json_atomic(path: str | os.PathLike, obj) -> None:
    write_bytes_atomic(path, (json.dumps(obj, indent=2) + "\n").encode("utf-8"))


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB pieces."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
