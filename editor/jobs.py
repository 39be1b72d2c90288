"""Long jobs (inversion, the stroke solver) with progress and Cancel, each carrying its own callbacks.

A `Job` says what to run on the worker thread and what to do, on the GUI thread, with each step, with
the result, and when it is cancelled. `JobRunner` runs one job at a time on a `LatestWorker`:
running a new job cancels the old one, whose reports (and callbacks) are then dropped. The runner
tells the window when to show and hide its progress bar, and what to say when a job fails.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QSizePolicy, QWidget

from editor.errors import describe
from editor.workers import LatestWorker


@dataclass(frozen=True)
class Job:
    work: Callable[[], Any]  # worker thread: returns a value, or an iterator whose last item is the result
    total: int  # steps, for the progress bar
    on_done: Callable[[Any], None]  # GUI thread: the result (the last step)
    on_step: Callable[[Any], None] | None = None  # GUI thread: each step as it arrives
    on_cancel: Callable[[Any], None] | None = None  # GUI thread, after Cancel: the last step seen
    # (or None); a job replaced by another job, or abandoned, calls nothing


class JobRunner(QObject):
    started = Signal(int)  # total steps: show the progress bar
    progressed = Signal(int)  # steps done
    finished = Signal()  # done, cancelled, failed or abandoned: hide the progress bar
    failed = Signal(str)  # what to tell the user (a bug is already logged with its traceback)

    def __init__(self, name: str = "jobs"):
        super().__init__()
        self.worker = LatestWorker(name)
        self.worker.step.connect(self._on_step)
        self.worker.done.connect(self._on_done)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.error.connect(self._on_error)
        self._job: Job | None = None  # the job whose reports count
        self._id = 0
        self._last_step = None

    @property
    def busy(self) -> bool:
        return self.worker.busy

    @property
    def current(self) -> Job | None:
        """The job whose reports count (the last one run), until it is abandoned."""
        return self._job

    def run(self, job: Job) -> None:
        """Start `job` in place of the running one (whose callbacks will not be called)."""
        self._job, self._last_step = job, None
        self._id = self.worker.submit(job.work)
        self.started.emit(job.total)

    def cancel(self) -> None:
        """The user's Cancel: stop between steps, then call the job's `on_cancel`."""
        if self._job is not None and self.worker.busy:
            self.worker.cancel()

    def abandon(self) -> None:
        """Stop the running job and forget it: none of its callbacks will be called."""
        if self._job is not None:
            self._job = None
            self.worker.cancel()
            self.finished.emit()

    def shutdown(self) -> None:
        self._job = None
        self.worker.shutdown()

    def _current(self, job_id: int) -> Job | None:
        return self._job if job_id == self._id else None

    def _on_step(self, job_id: int, step) -> None:
        job = self._current(job_id)
        if job is None:
            return
        self._last_step = step
        self.progressed.emit(int(getattr(step, "step", 0)))
        if job.on_step is not None:
            job.on_step(step)

    def _end(self, job_id: int) -> Job | None:
        job = self._current(job_id)
        if job is not None:
            self._job = None
            self.finished.emit()
        return job

    def _on_done(self, job_id: int, result) -> None:
        job = self._end(job_id)
        if job is not None:
            job.on_done(result)

    def _on_cancelled(self, job_id: int) -> None:
        job = self._end(job_id)
        if job is not None and job.on_cancel is not None:
            job.on_cancel(self._last_step)

    def _on_error(self, job_id: int, error: BaseException) -> None:
        if self._end(job_id) is not None:
            self.failed.emit(describe(error, logged=True))


class JobStatus(QWidget):
    """A progress bar and a Cancel button, shown while a runner's job runs."""

    def __init__(self, runner: JobRunner, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(200)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.cancel_button.clicked.connect(runner.cancel)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        runner.started.connect(self._start)
        runner.progressed.connect(self.progress.setValue)
        runner.finished.connect(self.hide)
        self.hide()

    def _start(self, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.show()
