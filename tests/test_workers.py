"""LatestWorker: a new request cancels the running one and replaces the waiting one."""
import threading
import time

from editor.workers import LatestWorker


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
