"""What is on screen is analysed next (issue 13, item 7): during a long re-analysis the window names the
items it shows, and those go before the rest of the queue, even when they came on screen mid-run."""

from __future__ import annotations

import pytest

from core.analysis import queue as analysis_queue
from tests.analysis import signals


@pytest.fixture
def fresh(library, tmp_path):
    """Eight short real tracks, scanned, none analysed yet."""
    root = tmp_path / "media"
    paths = [signals.write_wav(root / f"t{i}.wav", signals.click_track(80 + 12 * i, 4.0)) for i in range(8)]
    library.scan([str(root)])
    library.settings.scan_workers = 1  # one worker: results come back in the order the tasks were pulled
    base = [t["id"] for t in analysis_queue.pending_items(library)[0]]  # most played, then newest
    assert sorted(base) == sorted(library.item_row(str(p))["id"] for p in paths)
    return library, base


@pytest.fixture
def stale(fresh, monkeypatch):
    """The same tracks analysed once, then made stale by a new audio analyser version."""
    library, base = fresh
    assert library.analyze()["analyzed"] == 8
    monkeypatch.setattr(analysis_queue, "AUDIO_VERSION", 2)
    monkeypatch.setattr(analysis_queue, "VERSION_MARK", "[analyser a2/v2]")
    assert [t["id"] for t in analysis_queue.pending_items(library)[0]] == base
    return library, base


def analysed_order(library, seen) -> list[int]:
    return [library.item_row(p.current)["id"] for p in seen if p.stage == "analyze" and p.current]


def test_items_that_come_on_screen_mid_run_are_analysed_next(stale):
    library, base = stale
    shown: list[int] = []
    seen = []

    def progress(p) -> None:
        seen.append(p)
        if p.stage == "analyze" and p.done == 2:  # the user scrolls to the last two of the queue
            shown[:] = [base[7], base[6]]

    report = library.update(("analyze",), progress=progress, first=lambda: shown)
    order = analysed_order(library, seen)
    assert order[:2] == base[:2]  # before the scroll: the usual order
    assert order[2:4] == [base[7], base[6]]  # at once after it, in the order they are shown
    assert order[4:] == base[2:6]
    assert report["analysis"]["analyzed"] == 8 and report["analysis"]["promoted"] == 2
    assert sorted(order) == sorted(base)  # all of it was redone, each file once


def test_a_fixed_list_goes_first_and_names_that_are_not_waiting_change_nothing(fresh, monkeypatch):
    library, base = fresh
    monkeypatch.setattr(analysis_queue, "tagging_available", lambda: False)  # the order is the point here
    seen = []
    report = library.analyze(progress=seen.append, first=[999_999, base[5], base[5], base[3]])
    assert analysed_order(library, seen) == [base[5], base[3], base[0], base[1], base[2], base[4], base[6], base[7]]
    assert report["analyzed"] == 8


def test_a_hint_that_fails_never_stops_the_analysis(fresh, monkeypatch):
    library, base = fresh
    monkeypatch.setattr(analysis_queue, "tagging_available", lambda: False)
    seen = []

    def broken() -> list[int]:
        raise RuntimeError("the window went away")

    report = library.analyze(progress=seen.append, first=broken)
    assert report["analyzed"] == 8
    assert analysed_order(library, seen) == base


def test_the_priority_source_hands_out_each_task_once():
    todo = [{"id": i} for i in range(6)]
    shown = [4]
    tasks = analysis_queue.PriorityTasks(todo, lambda: shown)
    got = [next(tasks)["id"], next(tasks)["id"]]  # 4 (named), then the base order from the start
    shown[:] = [0, 5, 4]  # 0 and 4 were handed out already: only 5 is still waiting
    got += [t["id"] for t in tasks]
    assert got == [4, 0, 5, 1, 2, 3]
    assert tasks.promoted == 2
