"""One "library changed" signal redraws the screens: a play shows up on the open History page, a like
on the detail pane, a removed folder empties the list, and each screen redraws only for what it shows."""

from __future__ import annotations

from tests.ui.conftest import wait_jobs


def _scan(qtbot, win, root) -> None:
    with qtbot.waitSignal(win.work.finished, timeout=120_000):
        win.work.start([str(root)], stages=("scan",))
    win.sidebar.setCurrentRow(0)  # the user opens Music
    qtbot.waitUntil(lambda: win.music.model.rowCount() == 4 and not win.music.model.loading, timeout=10_000)


def _listen(win, item_id: int) -> None:
    """Play one item to its end, as QMediaPlayer would report it."""
    win.play([item_id], 0)
    for ms in range(0, 1500, 100):
        win.player.on_position(ms / 1000)
    win.player.finish_current(ended=True)


def test_a_play_and_a_like_redraw_the_history_page_and_the_detail_pane(qtbot, window, media_root):
    root, _ = media_root
    _scan(qtbot, window, root)
    changed = []
    window.ops.changed.connect(changed.append)
    first, second = window.music.model.ids[:2]

    window.sidebar.setCurrentRow(3)  # History, still empty
    assert window.pages.currentWidget() is window.history
    assert window.history.table.rowCount() == 0
    redraws = window.history.redraws

    _listen(window, first)
    qtbot.waitUntil(lambda: window.history.table.rowCount() == 1, timeout=10_000)  # nobody pressed refresh
    wait_jobs(qtbot, window)
    assert window.history.table.item(0, 1).text() == window.library.item(first).title
    assert window.history.table.item(0, 4).text() == "100%"
    plays = [c for c in changed if c.plays]
    assert len(plays) == 1 and plays[0].item_ids == {first}
    assert window.history.redraws == redraws + 1

    _listen(window, second)
    qtbot.waitUntil(lambda: window.history.table.rowCount() == 2, timeout=10_000)
    assert window.history.table.item(0, 1).text() == window.library.item(second).title  # newest first

    # A like from the list: the detail pane of that item shows it; History (no likes on it) stays as is.
    window.select_item(second)
    wait_jobs(qtbot, window)
    assert window.detail.like_button.text().startswith("♡")
    assert "played 1×" in window.detail.facts.text()
    redraws = window.history.redraws
    window.music.like_requested.emit(second)
    qtbot.waitUntil(lambda: window.detail.like_button.text().startswith("♥"), timeout=10_000)
    wait_jobs(qtbot, window)
    assert changed[-1].ratings and changed[-1].item_ids == {second}
    assert window.history.redraws == redraws

    # Another play of the shown item: its play count on the detail pane follows.
    _listen(window, second)
    qtbot.waitUntil(lambda: "played 2×" in window.detail.facts.text(), timeout=10_000)
    assert window.detail.like_button.text().startswith("♥")
    wait_jobs(qtbot, window)


def test_removing_a_folder_in_settings_empties_the_list_and_the_counts(qtbot, window, media_root):
    root, _ = media_root
    _scan(qtbot, window, root)
    qtbot.waitUntil(lambda: "Music   4" in window.sidebar.item(0).text(), timeout=10_000)
    changed = []
    window.ops.changed.connect(changed.append)

    dialog = window.open_settings()
    dialog.folders.setCurrentRow(0)
    dialog._remove_folder()
    dialog.accept()
    qtbot.waitUntil(lambda: window.music.model.rowCount() == 0, timeout=10_000)
    assert window.music.stack.currentWidget() is window.music.empty  # "No music yet", not stale rows
    assert window.sidebar.item(0).text() == "Music"
    assert any(c.items for c in changed)
    assert window.library.roots() == []
    wait_jobs(qtbot, window)
