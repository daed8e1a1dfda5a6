"""Playlists through the real window: made from the Music list's menu, filled by a drop on the sidebar,
reordered by a drop inside the list, trimmed with Delete; a smart playlist from a search that stays live;
export and an import report that names what did not match; 10,000 entries that scroll smoothly."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QMenu

from tests.ui.conftest import wait_jobs
from ui.item_drag import ids_mime

PLAYLISTS_ROW = 4


def _scan(qtbot, win, root) -> None:
    with qtbot.waitSignal(win.work.finished, timeout=120_000):
        win.work.start([str(root)], stages=("scan",))
    win.sidebar.setCurrentRow(0)
    qtbot.waitUntil(lambda: win.music.model.rowCount() == 4 and not win.music.model.loading, timeout=10_000)


def _choose_in_menu(path: list[str]) -> None:
    """When a context menu pops up, follow `path` ("Add to playlist", "New playlist…") and trigger it."""
    def pick() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, pick)
            return
        for text in path:
            action = next((a for a in menu.actions() if a.text() == text), None)
            assert action is not None, f"no “{text}” in {[a.text() for a in menu.actions()]}"
            if action.menu() is not None:
                menu = action.menu()
            else:
                action.trigger()
        top = QApplication.activePopupWidget()
        while top is not None:
            top.close()
            top = QApplication.activePopupWidget()

    QTimer.singleShot(50, pick)


def _drop(widget, pos: QPoint, mime) -> None:
    """A drag that enters `widget` at `pos` and drops there (what a mouse drag from another list does)."""
    target = widget.viewport() if hasattr(widget, "viewport") else widget
    for kind in (QDragEnterEvent, QDragMoveEvent):
        QApplication.sendEvent(target, kind(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                            Qt.KeyboardModifier.NoModifier))
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)


def test_a_playlist_made_by_hand_from_the_music_list(qtbot, window, media_root):
    root, _ = media_root
    _scan(qtbot, window, root)
    page = window.playlists
    assert not page.sidebar_list.isVisible()  # no playlists yet: nothing under the sections
    music = window.music
    window.playlist_actions.ask_name = lambda suggested: "Evening mix"
    table = music.table
    table.selectRow(0)
    table.selectionModel().select(music.model.index(2, 0), table.selectionModel().SelectionFlag.Select
                                  | table.selectionModel().SelectionFlag.Rows)
    chosen = music.selected_ids()
    assert len(chosen) == 2
    _choose_in_menu(["Add to playlist", "New playlist…"])
    music._menu(table, table.visualRect(music.model.index(0, 0)).center())
    wait_jobs(qtbot, window)
    qtbot.waitUntil(lambda: page.sidebar_list.count() == 1, timeout=10_000)
    assert page.sidebar_list.item(0).text() == "Evening mix" and page.sidebar_list.isVisible()
    pid = window.library.playlists()[0].id
    assert window.library.playlist_item_ids(pid) == chosen

    # Drop two more (one already there) on the playlist in the sidebar: asked, "skip" adds only the new one.
    asked = []
    window.playlist_actions.ask_duplicates = lambda name, already, adding: asked.append((name, already, adding)) \
        or "skip"
    third = [i for i in music.model.ids if i not in chosen][0]
    item_rect = page.sidebar_list.visualItemRect(page.sidebar_list.item(0))
    _drop(page.sidebar_list, item_rect.center(), ids_mime([chosen[0], third]))
    wait_jobs(qtbot, window)
    assert asked == [("Evening mix", 1, 2)]
    assert window.library.playlist_item_ids(pid) == chosen + [third]

    # Open it from the sidebar: the page shows its three entries.
    page.sidebar_list.itemClicked.emit(page.sidebar_list.item(0))
    assert window.pages.currentWidget() is page
    qtbot.waitUntil(lambda: page.model.ids == chosen + [third] and not page.model.loading, timeout=10_000)
    assert page.title.full_text() == "Evening mix" and page.info.text().startswith("3 items")

    # Reorder by drag: the last row dropped above the first (Qt's drop path: mimeData -> dropMimeData).
    model = page.model
    mime = model.mimeData([model.index(2, 0)])
    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex()) is False  # Qt removes nothing
    assert model.ids == [third] + chosen  # shown at once
    wait_jobs(qtbot, window)
    assert window.library.playlist_item_ids(pid) == [third] + chosen
    assert page.selected_rows() == [0]  # the moved row stays selected

    # Delete removes the selected entry, from the list on screen and from the library.
    page.tracks.setFocus()
    page.tracks.selectRow(1)
    qtbot.keyClick(page.tracks, Qt.Key.Key_Delete)
    assert model.ids == [third, chosen[1]]
    wait_jobs(qtbot, window)
    assert window.library.playlist_item_ids(pid) == [third, chosen[1]]
    qtbot.waitUntil(lambda: not model.loading, timeout=10_000)
    assert model.ids == [third, chosen[1]]  # re-read after the write: the same

    # A drag that starts in the Music list carries the item ids (mouse press, then a move past the threshold).
    started = []
    drag = next(d for d in page.drags if d.widget is music.table.viewport())
    drag.start = lambda ids: started.append(ids)
    at = music.table.visualRect(music.model.index(1, 0)).center()
    viewport = music.table.viewport()
    QApplication.sendEvent(viewport, QMouseEvent(QEvent.Type.MouseButtonPress, QPointF(at), QPointF(at),
                                                 Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton,
                                                 Qt.KeyboardModifier.NoModifier))
    far = QPointF(at + QPoint(0, 40))
    QApplication.sendEvent(viewport, QMouseEvent(QEvent.Type.MouseMove, far, far, Qt.MouseButton.NoButton,
                                                 Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    assert started == [[music.model.ids[1]]]

    # Rename and delete from the page (the dialogs answered by the test).
    page.ask_text = lambda title, label, text: "Late mix"
    page.rename(pid)
    wait_jobs(qtbot, window)
    qtbot.waitUntil(lambda: page.sidebar_list.count() == 1 and page.sidebar_list.item(0).text() == "Late mix",
                    timeout=10_000)
    page.confirm = lambda question: "Late mix" in question
    page.delete(pid)
    wait_jobs(qtbot, window)
    qtbot.waitUntil(lambda: page.lists.count() == 0, timeout=10_000)
    assert page.stack.currentIndex() == 0 and window.library.playlists() == []
    assert not page.sidebar_list.isVisible()


def test_a_smart_playlist_from_a_search_is_editable_and_stays_live(qtbot, window, media_root):
    root, _ = media_root
    _scan(qtbot, window, root)
    page = window.playlists
    lib = window.library
    window.search_box.setText("songs by aurora band")
    page.search_action.trigger()  # the search box's "make a smart playlist from this search"
    dialog = page.smart_dialog
    assert [row.rule() for row in dialog.rows] == [{"field": "kind", "op": "is", "value": "audio"},
                                                   {"field": "artist", "op": "contains", "value": "aurora band"}]
    wait_jobs(qtbot, window)
    qtbot.waitUntil(lambda: dialog.preview.text().startswith("2 items match now"), timeout=10_000)
    # The rules are editable: drop the artist rule, ask for songs played at least once.
    dialog.rows[1].minus.click()
    row = dialog.add_row()
    row.field.setCurrentIndex(row.field.findData("play_count"))
    row.op.setCurrentIndex(row.op.findData("at_least"))
    row.number.setValue(1)
    dialog.name_edit.setText("Played songs")
    dialog.update_preview()
    wait_jobs(qtbot, window)
    qtbot.waitUntil(lambda: dialog.preview.text().startswith("0 items match now"), timeout=10_000)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    wait_jobs(qtbot, window)
    smart = next(p for p in lib.playlists() if p.name == "Played songs")
    assert smart.rules["rules"] == [{"field": "kind", "op": "is", "value": "audio"},
                                    {"field": "play_count", "op": "at_least", "value": 1}]
    window.sidebar.setCurrentRow(PLAYLISTS_ROW)
    qtbot.waitUntil(lambda: page.title.full_text() == "Played songs" and not page.model.loading, timeout=10_000)
    assert page.track_stack.currentWidget() is page.no_matches
    assert "played at least 1 time" in page.summary.full_text() and page.edit_button.isVisible()

    # A play elsewhere: the open smart playlist takes it in without anyone pressing anything.
    song = window.music.model.ids[0]
    window.play([song], 0)
    for ms in range(0, 1500, 100):
        window.player.on_position(ms / 1000)
    window.player.finish_current(ended=True)
    qtbot.waitUntil(lambda: page.model.ids == [song], timeout=10_000)
    assert page.track_stack.currentWidget() is page.tracks
    # Its entries cannot be removed by hand: they follow the rules.
    page.tracks.selectRow(0)
    qtbot.keyClick(page.tracks, Qt.Key.Key_Delete)
    assert page.model.ids == [song] and lib.playlist_item_ids(smart.id) == [song]


def test_export_and_an_import_report_that_names_what_did_not_match(qtbot, window, media_root, tmp_path):
    root, files = media_root
    _scan(qtbot, window, root)
    lib = window.library
    page = window.playlists
    ids = window.music.model.ids[:2]
    pid = lib.create_playlist("To export", ids)
    window.ops.report(lib.changes_by("create_playlist"))
    window.sidebar.setCurrentRow(PLAYLISTS_ROW)
    qtbot.waitUntil(lambda: page.model.ids == ids, timeout=10_000)
    target = tmp_path / "out" / "export"
    target.parent.mkdir()
    page.ask_save_path = lambda name: str(target)
    page.export(relative=True)
    wait_jobs(qtbot, window)
    text = (tmp_path / "out" / "export.m3u8").read_text(encoding="utf-8").splitlines()
    assert text[0] == "#EXTM3U" and len(text) == 5 and not text[2].startswith("/")
    assert "Exported “To export”: 2 entries" in window.status_note.text()

    m3u = tmp_path / "mine.m3u8"
    m3u.write_text(f"#EXTM3U\n{files['wav']}\n/nowhere/lost song.mp3\n", encoding="utf-8")
    page.ask_open_path = lambda: str(m3u)
    page.import_file()
    wait_jobs(qtbot, window)
    qtbot.waitUntil(lambda: page.report.isVisible(), timeout=10_000)
    assert "Imported mine.m3u8: 1 matched, 1 not in your library:" in page.report.text()
    assert "not found in your library: /nowhere/lost song.mp3 (no file with that path or title)" in \
        page.report.text()
    qtbot.waitUntil(lambda: page.title.full_text() == "mine" and page.model.ids == [lib.item(str(files["wav"])).id],
                    timeout=10_000)
    assert pid in [p.id for p in lib.playlists()]


def test_ten_thousand_entries_scroll_and_reorder_without_long_frames(qtbot, window):
    from tests.ui.bulk import insert_items

    lib = window.library
    insert_items(lib, 10_000)
    ids = lib.item_ids(sort="title")
    pid = lib.create_playlist("Big", ids)
    window.ops.report(lib.changes_by("create_playlist"))
    window.resize(1280, 800)
    window.sidebar.setCurrentRow(PLAYLISTS_ROW)
    page = window.playlists
    qtbot.waitUntil(lambda: len(page.model.ids) == 10_000 and not page.model.loading, timeout=30_000)
    frames = scroll_and_drag(page, steps=60)
    wait_jobs(qtbot, window)
    assert lib.playlist_item_ids(pid)[-100:] == ids[:100]  # the drag moved the first 100 to the end
    # 50 ms is the bar of the issue; the shared test machine is noisy, so the test allows some slack and
    # docs/BENCHMARKS.md records the measured figures (bench: this function on a quiet run).
    assert sorted(frames["scroll_ms"])[len(frames["scroll_ms"]) // 2] < 50, frames
    assert frames["drag_ms"] < 150, frames


def scroll_and_drag(page, steps: int = 60) -> dict[str, list[float] | float]:
    """Paint the tracks view at `steps` scroll positions across the whole list (each paint timed: one frame),
    then drag the first 100 rows to the end (the GUI work of the drop, timed)."""
    view = page.tracks
    bar = view.verticalScrollBar()
    times = []
    for n in range(steps):
        t0 = time.perf_counter()
        bar.setValue(int(bar.maximum() * n / max(steps - 1, 1)))
        view.viewport().repaint()
        times.append((time.perf_counter() - t0) * 1000)
    model = page.model
    bar.setValue(0)
    view.viewport().repaint()
    t0 = time.perf_counter()
    mime = model.mimeData([model.index(r, 0) for r in range(100)])
    model.dropMimeData(mime, Qt.DropAction.MoveAction, len(model.ids), 0, QModelIndex())
    view.viewport().repaint()
    drag = (time.perf_counter() - t0) * 1000
    return {"scroll_ms": times, "drag_ms": drag}
