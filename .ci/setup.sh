#!/usr/bin/env bash
# Set up the project: a virtual environment in .venv with the project installed (editable, with
# test tools), the Qt system libraries if they are missing, and with --data the Debian package
# dataset-fashion-mnist. Quick when already done: the install is skipped while pyproject.toml is
# unchanged. Usage: bash .ci/setup.sh [--data]
set -euo pipefail
cd "$(dirname "$0")/.."

want_data=0
for arg in "$@"; do
  case "$arg" in
    --data) want_data=1 ;;
    *) echo "setup: unknown option $arg (known: --data)" >&2; exit 2 ;;
  esac
done

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else return 1; fi
}
apt_install() {  # quiet; refreshes the package lists once if the first try fails
  command -v apt-get >/dev/null 2>&1 || return 1
  as_root apt-get install -y -q "$@" >/dev/null 2>&1 \
    || { as_root apt-get update -q >/dev/null 2>&1 && as_root apt-get install -y -q "$@" >/dev/null 2>&1; }
}

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "setup: Python 3.10 or newer is needed as '$PY' (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv 2>/dev/null || { rm -rf .venv; apt_install python3-venv && "$PY" -m venv .venv; } \
    || { echo "setup: cannot create a virtual environment; install python3-venv" >&2; exit 1; }
fi

stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing the project and its dependencies into .venv (a few minutes the first time)"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

if ! .venv/bin/python -c 'from PySide6 import QtGui' >/dev/null 2>&1; then
  echo "setup: installing the system libraries Qt needs"
  apt_install libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 \
    || echo "setup: could not install Qt's system libraries; the editor window may not start" >&2
fi

# A real window needs Qt's xcb platform plugin, whose libraries `from PySide6 import QtGui` does not
# load: ask ldd which of them are missing, and install the Debian packages that hold them.
xcb_missing() {
  local plugin
  plugin=$(.venv/bin/python -c 'import PySide6, pathlib; print(next(pathlib.Path(PySide6.__file__).parent.glob("Qt/plugins/platforms/libqxcb.so")))' 2>/dev/null) || return 1
  ldd "$plugin" 2>/dev/null | awk '/not found/ {print $1}' | sort -u
}
if command -v ldd >/dev/null 2>&1 && [ -n "$(xcb_missing)" ]; then
  echo "setup: installing the X libraries Qt's xcb plugin needs: $(xcb_missing | tr '\n' ' ')"
  apt_install libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-cursor0 \
    libxcb-shape0 libxcb-randr0 libxcb-xfixes0 libxcb-xkb1 libxcb-sync1 libxcb-shm0 libxcb-render0 \
    libxcb-xinerama0 libxcb-xinput0 libxkbcommon-x11-0 libx11-xcb1 libsm6 libice6 || true
  if [ -n "$(xcb_missing)" ]; then
    echo "setup: still missing for Qt's xcb plugin: $(xcb_missing | tr '\n' ' ')" \
         "(the editor needs them for a window; tests run without)" >&2
  fi
fi

if [ "$want_data" = 1 ] && [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  echo "setup: installing Fashion-MNIST (Debian package dataset-fashion-mnist)"
  apt_install dataset-fashion-mnist \
    || echo "setup: could not install dataset-fashion-mnist; tests that need it will be skipped" >&2
fi
exit 0
