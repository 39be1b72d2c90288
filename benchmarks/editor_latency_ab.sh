#!/usr/bin/env bash
# The editor latency benchmark on an earlier commit and on the working tree, alternately, RUNS
# times each (default 3), with today's benchmark script and benchmarks.common on both sides (so
# both are measured the same way); writes benchmarks/results/editor_latency_ab.{md,json} with every run's figures and
# the medians. The working tree's own editor_latency.{md,json} are left as its last run wrote
# them. Run it with nothing else on the cores.
#
#   bash benchmarks/editor_latency_ab.sh REF [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
REF=${1:?usage: benchmarks/editor_latency_ab.sh REF [RUNS]}
RUNS=${2:-3}
PY=${PYTHON:-$PWD/.venv/bin/python}
HERE=$PWD
TMP=$(mktemp -d)
OTHER=$TMP/tree OUT=$TMP/runs
mkdir "$OUT"
git worktree add -q --detach "$OTHER" "$REF"
trap 'git -C "$HERE" worktree remove --force "$OTHER"; rm -rf "$TMP"' EXIT
cp benchmarks/editor_latency.py benchmarks/common.py "$OTHER/benchmarks/"  # common: its footer
for i in $(seq "$RUNS"); do
  for side in ref now; do
    tree=$HERE; [ "$side" = ref ] && tree=$OTHER
    (cd "$tree" && QT_QPA_PLATFORM=offscreen PYTHONPATH="$tree" "$PY" -m benchmarks.editor_latency >/dev/null)
    cp "$tree/benchmarks/results/editor_latency.json" "$OUT/$side-$i.json"
    echo "run $i, $side: done" >&2
  done
done
"$PY" - "$OUT" "$REF" "$RUNS" <<'PY'
import json, statistics, subprocess, sys
from pathlib import Path
from benchmarks.common import machine, markdown_table, write_results
out, ref, runs = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ref_commit = subprocess.run(["git", "rev-parse", "--short", ref], capture_output=True, text=True).stdout.strip()
rows = []
ref_label = ref if ref_commit.startswith(ref) or ref.startswith(ref_commit) else f"{ref} ({ref_commit})"
for side, label in (("ref", ref_label), ("now", "working tree")):
    for i in range(1, runs + 1):
        d = json.loads((out / f"{side}-{i}.json").read_text())
        row = {"code": label, "run": i}
        for r in d["slider_moves"]:
            key = "loop" if r["waiting"] == "event loop" else "spin"
            row[f"{key}_p50"], row[f"{key}_p95"] = r["p50_ms"], r["p95_ms"]
        row.update(stroke=d["stroke_p50_ms"], first=d["first_frame_s"], ready=d.get("ready_s", float("nan")))
        rows.append(row)
keys = ("loop_p50", "loop_p95", "spin_p50", "spin_p95", "stroke", "first", "ready")
medians = {side: {k: statistics.median(r[k] for r in rows if r["code"] == label) for k in keys}
           for side, label in (("ref", rows[0]["code"]), ("now", "working tree"))}
summary = [{"code": c, **medians[s]} for s, c in (("ref", rows[0]["code"]), ("now", "working tree"))]
summary.append({"code": "working tree / ref", **{k: medians["now"][k] / medians["ref"][k] for k in keys}})
cols = [("code", "code"), ("loop_p50", "slider p50 ms (event loop)"), ("loop_p95", "p95 ms"),
        ("spin_p50", "slider p50 ms (spinning)"), ("spin_p95", "p95 ms"),
        ("stroke", "stroke p50 ms"), ("first", "first frame s"), ("ready", "open→inverted s")]
m = machine()
md = (f"# Editor latency: {ref} against the working tree\n\n`bash benchmarks/editor_latency_ab.sh {ref} "
      f"{runs}`: `benchmarks.editor_latency` (today's script on both sides), alternately, {runs} runs "
      f"each; medians over the runs, then every run.\n\n" + markdown_table(summary, cols)
      + "\n" + markdown_table(rows, [cols[0], ("run", "run")] + cols[1:])
      + f"\n{m['cpu']}, {m['cores']} cores, torch {m['torch']}, {m['date']}, commit {m['commit']}\n")
write_results("editor_latency_ab", {"machine": m, "ref": ref, "ref_commit": ref_commit, "runs": rows,
                                    "medians": medians}, md)
print(md)
PY
