"""The ops layer delivers result, error, progress and token signals on the GUI thread, and cancels."""

from __future__ import annotations

import threading
import time

from core.models import Progress
from ui.ops import Ops


def test_result_and_progress_arrive_on_gui_thread(qtbot):
    ops = Ops()
    gui = threading.get_ident()
    seen: dict = {"progress": [], "threads": set()}

    def work(n, progress=None, cancel=None):
        assert threading.get_ident() != gui  # really off the GUI thread
        for i in range(n):
            progress(Progress("scan", i + 1, n, f"file{i}"))
        return n * 2

    def on_progress(p):
        seen["progress"].append(p.done)
        seen["threads"].add(threading.get_ident())

    with qtbot.waitSignal(ops.job_finished, timeout=5000):
        job = ops.run("t", work, progress=True, cancel=True, n=5, on_progress=on_progress,
                      on_result=lambda v: seen.setdefault("result", (v, threading.get_ident())))
    assert seen["result"] == (10, gui)
    assert seen["progress"] == [1, 2, 3, 4, 5]
    assert seen["threads"] == {gui}
    assert job.done and job.value == 10


def test_error_is_delivered_not_raised(qtbot):
    ops = Ops()
    errors = []

    def boom():
        raise FileNotFoundError("folder not found: /nowhere")

    with qtbot.waitSignal(ops.job_finished, timeout=5000):
        ops.run("t", boom, on_error=errors.append)
    assert isinstance(errors[0], FileNotFoundError)


def test_cancel_stops_the_core_call(qtbot):
    ops = Ops()
    results = []

    def long_work(progress=None, cancel=None):
        for i in range(500):
            if cancel.cancelled:
                return ("stopped", i)
            progress(Progress("scan", i, 500))
            time.sleep(0.01)
        return ("finished", 500)

    steps = []
    job = ops.run("t", long_work, progress=True, cancel=True, on_result=results.append,
                  on_progress=lambda p: steps.append(p.done))
    qtbot.waitUntil(lambda: len(steps) >= 3, timeout=5000)  # the work is under way, on its worker
    assert not results
    job.cancel()
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    # It stopped at its next safe point, long before the 500 steps (about 5 s) it would otherwise take.
    assert results[0][0] == "stopped" and 3 <= results[0][1] < 500


def test_tokens_stream_in_order(qtbot):
    ops = Ops()
    tokens = []

    def speak(on_token=None):
        for t in ["Because ", "you ", "played ", "Dawn."]:
            on_token(t)
        return "done"

    with qtbot.waitSignal(ops.job_finished, timeout=5000):
        ops.run("t", speak, tokens=True, on_token=tokens.append)
    assert "".join(tokens) == "Because you played Dawn."


def test_a_finished_library_write_reports_what_changed_and_a_read_reports_nothing(qtbot, library):
    from core.models import PlayEvent
    from tests.ui.bulk import insert_items

    insert_items(library, 2)
    ops = Ops()
    changed = []
    ops.changed.connect(changed.append)
    with qtbot.waitSignal(ops.job_finished, timeout=5000):
        ops.run("read", library.history)
    assert changed == []  # reading changes nothing: no screen redraws
    with qtbot.waitSignal(ops.job_finished, timeout=5000):
        ops.run("play", library.record_play, event=PlayEvent(item_id=2, started_at=time.time(), seconds=30.0))
    assert len(changed) == 1 and changed[0].plays and not changed[0].ratings
    assert changed[0].item_ids == {2}
    with qtbot.waitSignal(ops.job_finished, timeout=5000):
        ops.run("like", library.rate, ref=1, value="like")
    assert changed[1].ratings and not changed[1].plays and changed[1].item_ids == {1}
    assert [e.item_id for e in library.history()] == [2]
