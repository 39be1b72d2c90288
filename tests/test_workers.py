"""LatestWorker: a new request cancels the running one and replaces the waiting one. JobRunner:
each job calls its own callbacks; replaced and abandoned jobs call none."""
import logging
import threading
import time
from types import SimpleNamespace

import torch

from editor.jobs import Job, JobRunner
from editor.workers import TORCH_THREADS, LatestWorker
from inversion.photo import PhotoError


def test_only_the_latest_request_runs_to_the_end(qtbot):
    w = LatestWorker("test")
    gate = threading.Event()
    done, cancelled = [], []
    w.done.connect(lambda i, r: done.append((i, r)))
    w.cancelled.connect(lambda i: cancelled.append(i))

    def slow(tag):
        def job():
            for k in range(100):
                gate.wait(1)
                time.sleep(0.002)
                yield (tag, k)
        return job

    first = w.submit(slow("a"))
    qtbot.wait(20)
    w.submit(slow("b"))  # waiting, replaced by c before it starts
    last = w.submit(lambda: "c")
    gate.set()
    qtbot.waitUntil(lambda: not w.busy and bool(done), timeout=5000)
    qtbot.wait(50)
    assert done == [(last, "c")]
    assert first in cancelled
    w.shutdown()


def test_a_worker_computes_on_one_thread(qtbot):
    # torch's two threads, from a thread other than the main one, nearly doubled an inversion's time
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    w = LatestWorker("test")
    done = []
    w.done.connect(lambda i, r: done.append(r))
    w.submit(torch.get_num_threads)
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    w.shutdown()
    torch.set_num_threads(before)
    assert done == [TORCH_THREADS] and TORCH_THREADS == 1


def test_failures_are_reported_and_the_worker_goes_on(qtbot):
    w = LatestWorker("test")
    failed, done = [], []
    w.failed.connect(lambda i, m: failed.append(m))
    w.done.connect(lambda i, r: done.append(r))

    def boom():
        raise ValueError("not an image file: notes.txt")

    w.submit(boom)
    qtbot.waitUntil(lambda: bool(failed), timeout=5000)
    w.submit(lambda: 42)
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    assert failed == ["not an image file: notes.txt"] and done == [42]
    w.shutdown()


def test_a_bug_in_a_job_is_logged_with_its_traceback(qtbot, caplog):
    w = LatestWorker("test")
    errors = []
    w.error.connect(lambda i, e: errors.append(e))

    def bug():
        return {}["missing"]

    with caplog.at_level(logging.ERROR):
        w.submit(bug)
        qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], KeyError)
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)
    w.shutdown()


def steps(n, gate=None, tag=""):
    def job():
        for k in range(1, n + 1):
            if gate is not None:
                gate.wait(1)
            time.sleep(0.002)
            yield SimpleNamespace(step=k, tag=tag)
    return job


def test_each_job_calls_its_own_callbacks(qtbot):
    runner = JobRunner("test")
    seen, progress, finished = [], [], []
    runner.progressed.connect(progress.append)
    runner.finished.connect(lambda: finished.append(True))
    runner.run(Job(steps(3, tag="a"), 3, on_done=lambda s: seen.append(("a done", s.step)),
                   on_step=lambda s: seen.append(("a step", s.step))))
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    runner.run(Job(lambda: 42, 1, on_done=lambda r: seen.append(("b done", r))))
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    assert seen == [("a step", 1), ("a step", 2), ("a step", 3), ("a done", 3), ("b done", 42)]
    assert progress == [1, 2, 3] and finished == [True, True]
    runner.shutdown()


def test_cancel_a_replaced_job_and_a_failing_one(qtbot):
    runner = JobRunner("test")
    gate = threading.Event()
    seen, failed, progress = [], [], []
    runner.failed.connect(failed.append)
    runner.progressed.connect(progress.append)
    runner.run(Job(steps(100, gate, "old"), 100, on_done=lambda s: seen.append("old done"),
                   on_cancel=lambda s: seen.append("old cancelled")))
    runner.run(Job(steps(100, gate, "new"), 100, on_done=lambda s: seen.append("new done"),
                   on_cancel=lambda s: seen.append(("new cancelled", s and s.step))))
    qtbot.wait(30)
    gate.set()
    qtbot.waitUntil(lambda: bool(progress), timeout=5000)
    runner.cancel()  # the user's Cancel: the new job hears it, with the last step it delivered
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    qtbot.wait(20)
    assert len(seen) == 1 and seen[0][0] == "new cancelled" and 1 <= seen[0][1] < 100

    runner.run(Job(steps(100, gate), 100, on_done=lambda s: seen.append("abandoned done"),
                   on_cancel=lambda s: seen.append("abandoned cancelled")))
    runner.abandon()  # a new document: the old job's callbacks must not touch it
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)

    def boom():
        raise PhotoError("notes.txt: not an image file")

    runner.run(Job(boom, 1, on_done=lambda r: seen.append("boom done")))
    qtbot.waitUntil(lambda: bool(failed), timeout=5000)
    assert failed == ["notes.txt: not an image file"] and len(seen) == 1
    runner.run(Job(lambda: {}["missing"], 1, on_done=lambda r: None))
    qtbot.waitUntil(lambda: len(failed) == 2, timeout=5000)
    assert failed[1].startswith("Something went wrong (a bug): KeyError")
    runner.shutdown()


def test_a_module_imported_early_is_imported_on_a_thread_of_its_own_once(tmp_path, monkeypatch, caplog):
    import sys

    from editor.workers import import_early

    source = "import threading\nBY = threading.current_thread().name\n"
    (tmp_path / "early_module_for_test.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    thread = import_early("early_module_for_test")
    thread.join(timeout=10)
    assert sys.modules["early_module_for_test"].BY == thread.name != threading.current_thread().name
    assert import_early("early_module_for_test") is None  # imported already: nothing to do
    with caplog.at_level(logging.ERROR):
        import_early("no_such_module_for_test").join(timeout=10)  # logged, nothing raised
    assert "no_such_module_for_test" in caplog.text
    del sys.modules["early_module_for_test"]


def test_a_job_cancelled_before_it_starts_says_so(qtbot):
    """Cancel at once after opening a photo (its inversion still waiting for the worker) dropped the
    job unsaid: no callback ran, the status bar kept "Inverting…" and editing stayed off."""
    runner = JobRunner("test")
    gate = threading.Event()
    seen, finished = [], []
    runner.finished.connect(lambda: finished.append(True))
    runner.run(Job(steps(100, gate, "busy"), 100, on_done=lambda s: seen.append("busy done")))
    qtbot.wait(30)  # running, held inside its first step by the gate
    runner.run(Job(steps(3, tag="waiting"), 3, on_done=lambda s: seen.append("waiting done"),
                   on_cancel=lambda s: seen.append(("waiting cancelled", s))))
    runner.cancel()  # the second job has not started
    gate.set()
    qtbot.waitUntil(lambda: not runner.busy and bool(seen), timeout=5000)
    qtbot.wait(20)
    assert seen == [("waiting cancelled", None)] and finished == [True]
    runner.shutdown()
