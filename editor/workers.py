"""Background workers that keep only the latest request (napari/superqt style, in plain Qt).

A job is a function returning an iterator of steps (inversion, solver) or a single value. The
worker runs it on its own thread. Submitting a new job cancels the running one between steps and
replaces any job still waiting, so a dragged slider never builds a queue; results of superseded
jobs are dropped (each carries its job id; editor.jobs.JobRunner and editor.preview.Preview
ignore ids that are not the latest).

The worker thread never touches Qt: it appends its reports to a queue, and a QTimer in the GUI
thread drains it every few milliseconds and emits the signals there, so every Qt call happens on
the GUI thread (emitting from plain Python threads is where PySide6 has had its threading bugs).

The editor computes with torch on one thread in each of its threads (`one_torch_thread`: the GUI
thread when the window is made, each worker at its start): with two per thread, the GUI thread,
the render worker and the jobs worker asked for more threads than this 2-core machine has, and
from a thread other than the main one two threads were slower than one (the product's hybrid
inversion 1.55 s against 0.87 s, session 25's scratch measure in commit 9bbcf8a). With the
changes beside it (LPIPS built without torchvision, torch._dynamo imported early), the slider
frames' p95 went from 16.6 to 13.4 ms and a stroke's candidates from 680 to 469 ms
(benchmarks/results/editor_latency_ab.md, against cc9cb59).

A job that raises is reported (`failed` with its message, `error` with the exception) and the
worker goes on; an exception that is not the user's (editor.errors) is logged with its traceback.
"""
from __future__ import annotations

import importlib
import sys
import threading
from collections import deque
from typing import Any, Callable, Iterator

import torch
from PySide6.QtCore import QObject, QTimer, Signal

from editor.errors import is_user_error, log_bug


Job = Callable[[], Any]  # returns a value, or an iterator whose last item is the result
TORCH_THREADS = 1  # torch's threads in each of the editor's threads (see the module's docstring)


def one_torch_thread() -> None:
    """Let torch compute on TORCH_THREADS threads in the calling thread. The setting is the
    thread's own (OpenMP's); a thread that has not computed yet starts from the last value any
    thread set, so each of the editor's threads sets its own rather than rely on that."""
    torch.set_num_threads(TORCH_THREADS)


def import_early(module: str = "torch._dynamo") -> threading.Thread | None:
    """Import `module` on a thread of its own now, unless it is imported already. The first
    optimiser torch makes imports torch._dynamo (and sympy with it): about a second, which the
    first photo's inversion (or the first stroke) would otherwise spend on its own (the product's
    first inversion in the window took 2.2 s, the next 1.0 s: session 25's scratch measure, in
    commit 57b4a24's message). Imported meanwhile, it is ready when the user has chosen a photo."""
    if module in sys.modules:
        return None

    def load() -> None:
        try:
            importlib.import_module(module)
        except Exception as e:  # noqa: BLE001 - it will be imported where it is used, and fail there
            log_bug(e, f"importing {module} early")
    thread = threading.Thread(target=load, name=f"import {module}", daemon=True)
    thread.start()
    return thread


class LatestWorker(QObject):
    step = Signal(int, object)  # job id, step
    done = Signal(int, object)  # job id, result (last step)
    failed = Signal(int, str)  # job id, message
    error = Signal(int, object)  # job id, the exception (emitted right after `failed`)
    cancelled = Signal(int)

    POLL_MS = 1  # how often the GUI thread collects reports while a job runs (a frame waits half
    # of it on average: 2 ms took 1 ms of a slider frame's 12 at the median)

    def __init__(self, name: str):
        super().__init__()
        self._reports: deque[tuple[str, int, Any]] = deque()  # (kind, job id, payload)
        self._timer = QTimer(self)
        self._timer.setInterval(self.POLL_MS)
        self._timer.timeout.connect(self._deliver)
        self._cond = threading.Condition()
        self._pending: tuple[int, Job] | None = None
        self._cancel = threading.Event()
        self._next_id = 0
        self._stop = False
        self._busy = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        """A job is waiting or running, or its reports have not been delivered yet."""
        with self._cond:
            return self._busy or self._pending is not None or bool(self._reports)

    def _deliver(self) -> None:
        """GUI thread: emit what the worker reported since the last call."""
        while self._reports:
            kind, job_id, payload = self._reports.popleft()
            if kind == "step":
                self.step.emit(job_id, payload)
            elif kind == "done":
                self.done.emit(job_id, payload)
            elif kind == "failed":
                self.failed.emit(job_id, str(payload) or type(payload).__name__)
                self.error.emit(job_id, payload)
            else:
                self.cancelled.emit(job_id)
        with self._cond:
            idle = not self._busy and self._pending is None
        if idle and not self._reports:
            self._timer.stop()

    def submit(self, job: Job) -> int:
        """Queue `job` in place of any waiting one and cancel the running one; return its id."""
        with self._cond:
            self._next_id += 1
            self._pending = (self._next_id, job)
            self._cancel.set()
            self._cond.notify()
            job_id = self._next_id
        if not self._timer.isActive():
            self._timer.start()
        return job_id

    def cancel(self) -> None:
        """Cancel the running job between steps, or the waiting one before it starts: either is
        reported cancelled (a waiting one was dropped unsaid: a Cancel at once after opening a
        photo left "Inverting…" and editing off for good)."""
        with self._cond:
            if self._pending is not None:
                self._reports.append(("cancelled", self._pending[0], None))
            self._pending = None
            self._cancel.set()
        if not self._timer.isActive():
            self._timer.start()

    def shutdown(self) -> None:
        with self._cond:
            self._stop = True
            self._pending = None
            self._cancel.set()
            self._cond.notify()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        one_torch_thread()
        while True:
            with self._cond:
                while self._pending is None and not self._stop:
                    self._busy = False
                    self._cond.wait()
                if self._stop:
                    return
                job_id, job = self._pending
                self._pending = None
                self._cancel.clear()
                self._busy = True
            self._run(job_id, job)

    def _run(self, job_id: int, job: Job) -> None:
        try:
            result = job()
            if isinstance(result, Iterator):
                last = None
                for last in result:
                    if self._cancel.is_set():
                        result.close()
                        self._reports.append(("cancelled", job_id, None))
                        return
                    self._reports.append(("step", job_id, last))
                result = last
            if self._cancel.is_set() and self._pending is not None:
                self._reports.append(("cancelled", job_id, None))
                return
            self._reports.append(("done", job_id, result))
        except Exception as e:  # noqa: BLE001 - last resort: report any failure of a job, keep running
            if not is_user_error(e):
                log_bug(e, f"job {job_id} of the {self._thread.name} worker")
            self._reports.append(("failed", job_id, e))
