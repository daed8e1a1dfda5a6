"""What the window shows goes to the background upkeep first (issue 13, item 7): the ids on screen go
along when the upkeep starts, and every scroll (debounced) sends the new ones to the running child."""

from __future__ import annotations

import time

import pytest
from PySide6.QtWidgets import QAbstractItemView

from core.models import Progress
from tests.analysis import signals
from tests.ui.bulk import insert_items


def echo_child(data_dir, paths, stages, queue, cancel_event, visible=None, shown=()) -> None:
    """Stands in for upkeep_process.child_main (no analysis): reads the window's ids with the real
    LatestIds reader and reports each list it holds as a progress event, until cancelled."""
    from ui.upkeep_process import LatestIds

    latest = LatestIds(visible, shown)
    queue.put(("progress", Progress("analyze", 0, 0, ",".join(map(str, latest())))))
    heard = 0
    while not cancel_event.is_set():
        latest.changed.wait(0.05)
        latest.changed.clear()
        if latest.received != heard:
            heard = latest.received
            queue.put(("progress", Progress("analyze", heard, 0, ",".join(map(str, latest())))))
    queue.put(("done", {"stages": {}, "skipped": [], "errors": {}, "cancelled": True}))


def on_screen(table) -> list[int]:
    """The Music table's rows that meet its viewport, from each row's own position (not visible_rows)."""
    height = table.viewport().height()
    model = table.model()
    return [model.ids[r] for r in range(model.rowCount())
            if table.rowViewportPosition(r) < height and table.rowViewportPosition(r) + table.rowHeight(r) > 0]


@pytest.fixture
def music(qtbot, window, library):
    insert_items(library, 300)
    window.sidebar.setCurrentRow(0)
    window.music.model.reload()
    qtbot.waitUntil(lambda: window.music.model.rowCount() == 300, timeout=20_000)
    window.resize(1000, 600)
    qtbot.wait(50)
    return window


def test_scrolling_the_music_list_sends_the_rows_on_screen_to_the_upkeep(qtbot, music, monkeypatch):
    import ui.background

    window, table = music, music.music.table
    monkeypatch.setattr(ui.background, "child_main", echo_child)
    heard: list[list[int]] = []
    window.work.progress.connect(lambda p: heard.append([int(i) for i in p.current.split(",") if i]))
    first_screen = on_screen(table)
    assert 10 < len(first_screen) < 60 and first_screen[0] == window.music.model.ids[0]
    assert window.work.start(stages=("analyze",))
    qtbot.waitUntil(lambda: len(heard) >= 1, timeout=30_000)
    assert heard[0] == first_screen  # what was on screen went along at the start

    model = window.music.model
    for row in (60, 120, 200):  # three quick scrolls: only where it stops is sent
        table.scrollTo(model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        qtbot.wait(30)
    sent_at = time.monotonic()
    qtbot.waitUntil(lambda: len(heard) >= 2, timeout=10_000)
    waited = time.monotonic() - sent_at
    assert heard[1] == on_screen(table) and heard[1][0] == model.ids[200]
    assert 0.25 <= waited < 5.0  # debounced (~300 ms), then at once
    qtbot.wait(600)
    assert len(heard) == 2 and window.work.sent == 1  # one message for the three scrolls; none after

    window.search_box.setText("zzz")  # another page (search results): its rows are sent too
    window.search("zzz")
    qtbot.waitUntil(lambda: len(heard) >= 3, timeout=10_000)
    assert heard[2] == []  # nothing found: nothing is on screen

    with qtbot.waitSignal(window.work.finished, timeout=20_000):
        window.work.cancel()


def test_the_real_upkeep_analyses_the_rows_on_screen_first(qtbot, window, library, tmp_path):
    """The real child (its own Library, real analysis workers): the Music list scrolled to its middle
    before the upkeep starts; those tracks are analysed before the rest."""
    from core.analysis.queue import pending_items

    root = tmp_path / "media"
    for i in range(10):
        signals.write_wav(root / f"t{i:02d}.wav", signals.click_track(80 + 10 * i, 3.0))
    library.scan([str(root)])
    library.save_settings(scan_workers=1)  # the child reads them: one worker, results in pull order
    window.sidebar.setCurrentRow(0)
    window.music.model.reload()
    qtbot.waitUntil(lambda: window.music.model.rowCount() == 10, timeout=20_000)
    table = window.music.table
    window.resize(900, 420)
    table.setFixedHeight(table.horizontalHeader().height() + 3 * 26 + 4)  # about three rows on screen
    qtbot.wait(50)
    table.scrollTo(window.music.model.index(5, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
    qtbot.wait(50)
    shown = on_screen(table)
    base = [t["id"] for t in pending_items(library)[0]]  # the order without the window's word
    assert 2 <= len(shown) <= 5 and set(shown) != set(base[:len(shown)])
    with qtbot.waitSignal(window.work.finished, timeout=240_000) as done:
        assert window.work.start(stages=("analyze",))
    assert done.args[0]["stages"]["analyze"]["analyzed"] == 10
    order = [r["item_id"] for r in library.store.query(
        "SELECT item_id FROM audio_features ORDER BY analyzed_at, rowid")]
    assert sorted(order[:len(shown)]) == sorted(shown)  # the rows on screen came first


def test_a_stale_library_is_upgraded_in_the_background_at_start(qtbot, window, library, tmp_path):
    """What the app does once its window is up (ui.app.run_app -> upgrade_if_due): a library left stale (here
    three tracks scanned, never analysed; a new analyser version reads the same) is brought up to date by the
    real upkeep child, with no folder added and no click; a current library starts nothing."""
    root = tmp_path / "media"
    for i in range(3):
        signals.write_wav(root / f"u{i}.wav", signals.click_track(90 + 20 * i, 3.0))
    library.scan([str(root)])
    window.upgrade_if_due()
    qtbot.waitUntil(lambda: window.work.running, timeout=20_000)
    assert window.work.stages == window.UPGRADE_STAGES
    qtbot.waitUntil(lambda: not window.work.running, timeout=240_000)
    assert library.analysis_due() == [] and library.stats()["analyzed"] == 3
    window.upgrade_if_due()  # nothing stale: no second pass
    qtbot.wait(1500)
    assert not window.work.running


def test_history_playlists_and_for_you_name_their_rows_on_screen(qtbot, music):
    """Every page that lists items tells the upkeep what it shows: History's rows, an open playlist's rows,
    For You's cards (the upkeep analyses them first)."""
    from core.models import PlayEvent
    from ui.window_actions import FOR_YOU, HISTORY, PLAYLISTS

    window, library = music, music.library
    ids = window.music.model.ids[:40]
    now = time.time()
    for n, item_id in enumerate(ids[:25]):
        library.record_play(PlayEvent(item_id=item_id, started_at=now - 3600 + 60 * n, seconds=50.0, completed=1.0))
    window.sidebar.setCurrentRow(HISTORY)
    qtbot.waitUntil(lambda: window.history.table.rowCount() == 25, timeout=10_000)
    shown = window.visible_ids()
    assert shown and set(shown) <= set(ids[:25]) and shown[0] == ids[24]  # newest play first
    playlist = library.create_playlist("Evening", ids[10:40])
    window.sidebar.setCurrentRow(PLAYLISTS)
    window.playlists.open_playlist(playlist)
    qtbot.waitUntil(lambda: window.playlists.model.ids == ids[10:40] and not window.playlists.model.loading,
                    timeout=10_000)
    shown = window.visible_ids()
    assert shown and shown == ids[10:10 + len(shown)]
    window.sidebar.setCurrentRow(FOR_YOU)
    qtbot.waitUntil(lambda: window.for_you.loads >= 1 and bool(window.for_you.on_screen_ids()), timeout=30_000)
    assert window.visible_ids() == window.for_you.on_screen_ids()
