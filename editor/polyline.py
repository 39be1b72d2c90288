"""Polylines the editor's tools draw (a stroke, a drag's path) cut to the model's square. Split from
editor.render."""
from __future__ import annotations

import numpy as np


def length(run: list[tuple[float, float]]) -> float:
    """A polyline's length."""
    return float(sum(np.hypot(b[0] - a[0], b[1] - a[1]) for a, b in zip(run, run[1:])))


def clip_to_square(points: list[tuple[float, float]], side: float) -> list[list[tuple[float, float]]]:
    """The runs of a polyline that lie inside the square [0, side]^2, each cut where the line
    crosses the square's edge (Liang-Barsky per segment); a single point is kept if inside."""
    def inside(q):
        return 0.0 <= q[0] <= side and 0.0 <= q[1] <= side

    if len(points) == 1:
        return [list(points)] if inside(points[0]) else []
    runs: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for a, b in zip(points, points[1:]):
        dx, dy = b[0] - a[0], b[1] - a[1]
        t0, t1 = 0.0, 1.0
        for p, q in ((-dx, a[0]), (dx, side - a[0]), (-dy, a[1]), (dy, side - a[1])):
            if p == 0:
                if q < 0:
                    t0, t1 = 1.0, 0.0  # parallel to this edge and outside it
            elif p < 0:
                t0 = max(t0, q / p)
            else:
                t1 = min(t1, q / p)
        if t0 > t1:  # the segment misses the square
            if current:
                runs.append(current)
                current = []
            continue
        start = (a[0] + t0 * dx, a[1] + t0 * dy)
        end = (a[0] + t1 * dx, a[1] + t1 * dy)
        if not current or t0 > 0.0:
            if current:
                runs.append(current)
            current = [start]
        current.append(end)
        if t1 < 1.0:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs
