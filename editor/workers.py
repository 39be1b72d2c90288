"""Background workers that keep only the latest request (napari/superqt style, in plain Qt).

A job is a function returning an iterator of steps (inversion, solver) or a single value. The
worker runs it on its own thread and reports each step and the result through Qt signals, which
reach the GUI thread queued. Submitting a new job cancels the running one between steps and
replaces any job still waiting, so a dragged slider never builds a queue; results of superseded
jobs are dropped (each carries its job id; the window ignores ids that are not the latest).
"""
from __future__ import annotations

import threading
import traceback
from typing import Any, Callable, Iterator

from PySide6.QtCore import QObject, Signal

Job = Callable[[], Any]  # returns a value, or an iterator whose last item is the result


class LatestWorker(QObject):
    step = Signal(int, object)  # job id, step
    done = Signal(int, object)  # job id, result (last step)
    failed = Signal(int, str)  # job id, message
    cancelled = Signal(int)

    def __init__(self, name: str):
        super().__init__()
        self._cond = threading.Condition()
        self._pending: tuple[int, Job] | None = None
        self._running_id = 0
        self._cancel = threading.Event()
        self._next_id = 0
        self._stop = False
        self._busy = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._busy or self._pending is not None

    def submit(self, job: Job) -> int:
        """Queue `job` in place of any waiting one and cancel the running one; return its id."""
        with self._cond:
            self._next_id += 1
            self._pending = (self._next_id, job)
            self._cancel.set()
            self._cond.notify()
            return self._next_id

    def cancel(self) -> None:
        with self._cond:
            self._pending = None
            self._cancel.set()

    def shutdown(self) -> None:
        with self._cond:
            self._stop = True
            self._pending = None
            self._cancel.set()
            self._cond.notify()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
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
                        self.cancelled.emit(job_id)
                        return
                    self.step.emit(job_id, last)
                result = last
            if self._cancel.is_set() and self._pending is not None:
                self.cancelled.emit(job_id)
                return
            self.done.emit(job_id, result)
        except Exception as e:  # noqa: BLE001 - report any failure of a job to the user, keep running
            traceback.print_exc()
            self.failed.emit(job_id, str(e) or type(e).__name__)
