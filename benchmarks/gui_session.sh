#!/usr/bin/env bash
# A scripted session with the real editor in a real X server (Xvfb), driven with the mouse and the
# keyboard through xdotool as a person would: open a product photo (Ctrl+O, the file dialog), move a
# slider, pick a colour and paint a stroke, undo it, choose the face model (refused: the photo has no
# face), open a portrait (the unsaved edit is asked about: Discard), switch to the face model (the
# portrait is inverted again), move a slider, split view, export (Ctrl+E), quit (Ctrl+Q).
# A screenshot of the screen after each step goes to OUT (default: a new temporary folder, printed
# at the end); the script fails if a step's window does not come, or the export or the quit fail.
#
#   apt-get install xvfb xdotool imagemagick
#   bash benchmarks/gui_session.sh [OUT]
#
# The README's pictures are four of them at 60%, 256 colours:
#   convert OUT/NAME.png -resize 60% -colors 256 PNG8:benchmarks/results/gui_session_NAME.png
#
# Positions are for the 1400x900 screen below and today's layout (the side panel on the right);
# the steps wait by time (the models run on the CPU), so a loaded machine may need SLOW=2.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${GUI_SESSION_IN_X:-}" ]; then
  for tool in xvfb-run xdotool import; do
    command -v "$tool" >/dev/null || { echo "gui_session: needs $tool (apt-get install xvfb xdotool imagemagick)" >&2; exit 1; }
  done
  GUI_SESSION_IN_X=1 exec xvfb-run -a -s "-screen 0 1400x900x24" bash "$0" "$@"
fi

PY=${PYTHON:-.venv/bin/python}
SLOW=${SLOW:-1}
TOP=${TOP:-28}  # the Drag tool's toolbar above the canvas moves the window's contents down
WORK=$(mktemp -d)
OUT=$(realpath -m "${1:-$WORK/screenshots}")
mkdir -p "$OUT"
export HOME="$WORK/home" XDG_STATE_HOME="$WORK/home/state" XDG_CONFIG_HOME="$WORK/home/config"
mkdir -p "$HOME"

wait_s() { sleep "$(awk -v s="$1" -v k="$SLOW" 'BEGIN { print s * k }')"; }
shot() { import -window root "$OUT/$1.png"; echo "gui_session: $1"; }
click() { xdotool mousemove "$1" "$2" click 1; sleep 0.3; }
drag() {  # drag X0 Y0 X1 Y1 [button]: press, move in 12 steps, release
  local b=${5:-1}
  xdotool mousemove "$1" "$2" mousedown "$b"
  for k in $(seq 1 12); do
    xdotool mousemove "$(( $1 + ($3 - $1) * k / 12 ))" "$(( $2 + ($4 - $2) * k / 12 ))"; sleep 0.03
  done
  xdotool mouseup "$b"; sleep 0.3
}
dialog() { timeout 20 xdotool search --sync --name "$1" | head -1; }
type_path() { xdotool type --delay 5 "$1"; xdotool key Return; }

# The photos: a dress from Fashion-MNIST's test set made into a product photo, and a portrait.
"$PY" - "$WORK" <<'PY'
import shutil, sys
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.editing import fake_photo
from training.data import load_fashion_mnist

work = Path(sys.argv[1])
test = load_fashion_mnist("test", 32)
i = int(np.flatnonzero(test.labels.numpy() == test.class_names.index("dress"))[0])
Image.fromarray(fake_photo(test.images[i, 2:30, 2:30, 0].numpy())).save(work / "dress.png")
import skimage
shutil.copy(Path(skimage.__file__).parent / "data" / "astronaut.png", work / "astronaut.png")
PY

"$PY" -m editor.app > "$WORK/editor.log" 2>&1 &
APP=$!
WIN=$(timeout 60 xdotool search --sync --name "latent-editor" | head -1)
xdotool windowmove "$WIN" 0 0 windowsize "$WIN" 1400 900
wait_s 2
shot 01-start

click 1060 $(( 200 + TOP ))                      # the window takes the keyboard (no window manager here)
xdotool key ctrl+o
dialog "Open a photo" >/dev/null
type_path "$WORK/dress.png"
wait_s 15                           # framing, the encoder's guess, the inversion
shot 02-opened

drag 1181 $(( 339 + TOP )) 1251 $(( 339 + TOP ))              # the Area slider's handle, from 0 to about +1.5
wait_s 2
shot 03-slider

click 46 $(( 132 + TOP ))                        # Colour…: the colour dialog
dialog "Brush colour" >/dev/null
wait_s 1
shot 04-colour-dialog
click 479 250                       # a dark red among the basic colours
click 817 589                       # OK
drag 480 $(( 459 + TOP )) 663 $(( 459 + TOP ))                # paint across the dress
shot 05-stroke-solving              # the stroke in its colour while the solver runs
wait_s 8
shot 06-stroke-done

xdotool key ctrl+z                  # undo the stroke
wait_s 2
shot 07-undone

click 1230 $(( 39 + TOP ))                       # the model box: choose the face model
sleep 1; click 1108 $(( 17 + TOP ))                 # (a popup ignores a click that comes too soon)
wait_s 20                           # its answer (after the face detectors ran): no face in a dress photo; the dress stays
shot 08-face-model-refused
xdotool key Return                  # close the message
wait_s 1

click 1060 $(( 200 + TOP ))
xdotool key ctrl+o                  # another photo: the edit is not saved, so the editor asks
dialog "Unsaved edits" >/dev/null
wait_s 1
shot 09-unsaved-question
click 763 436                       # Discard
dialog "Open a photo" >/dev/null
type_path "$WORK/astronaut.png"     # opened with the product model first: it finds no product
dialog "No object found" >/dev/null
wait_s 1
click 782 436                       # Yes: the whole image
wait_s 15
shot 10-portrait-product-model

click 1230 $(( 39 + TOP ))                       # the face model: the portrait is framed on its face and inverted
sleep 1; click 1108 $(( 17 + TOP ))
wait_s 40
shot 11-portrait-face-model

drag 1181 $(( 286 + TOP )) 1265 $(( 286 + TOP ))              # the first face slider (Smiling) to about +1.8
wait_s 3
click 1060 $(( 200 + TOP ))
xdotool key ctrl+backslash          # split view: before on the left, after on the right
wait_s 1
drag 553 $(( 500 + TOP )) 500 $(( 500 + TOP ))                # move the split line onto the middle of the face
for k in 1 2 3; do xdotool mousemove 500 $(( 204 + TOP )) click 4; sleep 0.3; done   # wheel: zoom in on the face
wait_s 1
shot 12-face-zoomed-slider-split

click 1060 $(( 200 + TOP ))
xdotool key ctrl+backslash ctrl+0   # back to the edit, fitted
xdotool key ctrl+z ctrl+z           # undo the slider, then the model switch: the product model is back
wait_s 4
shot 13-model-switch-undone
xdotool key ctrl+shift+z ctrl+shift+z   # and redo both
wait_s 4

xdotool key ctrl+e                  # export
dialog "Export" >/dev/null
xdotool key ctrl+a
type_path "$WORK/astronaut-edited.png"
wait_s 5
shot 14-exported

click 1060 $(( 200 + TOP ))
xdotool key ctrl+q                  # quit: the edit is exported, so nothing is asked
for _ in $(seq 1 20); do kill -0 "$APP" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$APP" 2>/dev/null; then
  shot 15-still-running; kill "$APP"; echo "gui_session: the editor did not quit" >&2; exit 1
fi
test -s "$WORK/astronaut-edited.png" && test -s "$WORK/astronaut-edited.png.recipe.json"
echo "gui_session: done; exported $WORK/astronaut-edited.png and its recipe; screenshots in $OUT"
