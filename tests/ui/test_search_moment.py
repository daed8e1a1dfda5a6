"""A search hit with a moment in the window: the row says where and shows that keyframe, the detail pane
shows it, and playing the hit starts the video there (issue 13 item 6)."""

from __future__ import annotations

import pytest

from tests.search.moment_media import moment_library
from tests.ui.conftest import wait_jobs


def _search(qtbot, window, text):
    window.search_box.setText(text)
    window.search(text)
    wait_jobs(qtbot, window)
    view = window.search_view
    return view, {h.item.title: row for row, h in enumerate(view.hits)}


def test_a_hit_with_a_moment_shows_it_and_plays_from_there(qtbot, window, library, tmp_path):
    ids = moment_library(library, tmp_path / "media")
    view, rows = _search(qtbot, window, "close-up of a face")
    harbour, interview = rows["Harbour Walk"], rows["Interview"]
    entry = view.results.item(harbour)
    assert entry.text().splitlines()[1].endswith("at 0:12 · close-up of a face")
    assert not entry.icon().isNull()  # the keyframe it points to
    assert "at 0:" not in view.results.item(interview).text()

    view.results.setCurrentRow(harbour)
    wait_jobs(qtbot, window)
    detail = window.detail
    assert detail.item_id == ids["Harbour Walk"] and detail.moment_label.isVisible()
    assert detail.moment_label.text() == "At 0:12 · close-up of a face"
    assert detail.play_button.text() == "▶ Play from 0:12"
    marked = [detail.keyframes.itemAt(i).widget() for i in range(detail.keyframes.count())]
    assert [w.objectName() for w in marked].count("momentKeyframe") == 1

    view.results.itemActivated.emit(entry)  # a double-click / Enter on the row
    player = window.player
    assert player.current.item_id == ids["Harbour Walk"] and player._pending_seek == 12.0
    assert player.current.resumed  # started mid-way: leaving it soon is not a skip
    player.stop()
    wait_jobs(qtbot, window)

    view.results.setCurrentRow(interview)  # a face all along: no moment, Play starts at the start
    wait_jobs(qtbot, window)
    assert detail.moment_label.isHidden() and detail.play_button.text() == "▶ Play"
    detail.play_button.click()
    assert player.current.item_id == ids["Interview"] and player._pending_seek is None
    player.stop()
    wait_jobs(qtbot, window)


@pytest.mark.timeout(240)
def test_the_real_player_starts_at_the_moment(qtbot, window, library, tmp_path):
    ids = moment_library(library, tmp_path / "media")
    view, rows = _search(qtbot, window, "blue")
    assert view.hits[rows["Harbour Walk"]].moment.ms == 18_000
    window.player.start_media = True
    seen: list[float] = []
    window.player.position.connect(lambda s, _d: seen.append(s))
    view.results.setCurrentRow(rows["Harbour Walk"])
    wait_jobs(qtbot, window)
    window.detail.play_button.click()  # "▶ Play from 0:18"
    assert window.player.current.item_id == ids["Harbour Walk"]
    qtbot.waitUntil(lambda: any(s >= 18.0 for s in seen), timeout=20_000)
    assert min(s for s in seen if s > 0.5) >= 17.5  # it started there, it did not play up to it
    window.player.stop()
    wait_jobs(qtbot, window)
    assert window.player.shutdown() is True


def test_the_right_click_menu_plays_from_the_moment(qtbot, window, library, tmp_path):
    """Right-click a hit with a moment: "Play from 0:12" is offered beside "Play" and starts there; a hit
    without one offers only "Play"."""
    from PySide6.QtCore import QPoint, QTimer
    from PySide6.QtWidgets import QApplication, QMenu

    ids = moment_library(library, tmp_path / "media")
    view, rows = _search(qtbot, window, "close-up of a face")
    seen: dict[str, list[str]] = {}

    def right_click(row: int, choose: str | None) -> None:
        def pick() -> None:
            menu = QApplication.activePopupWidget()
            if not isinstance(menu, QMenu):
                QTimer.singleShot(20, pick)
                return
            seen[str(row)] = [a.text() for a in menu.actions() if a.text()]
            action = next((a for a in menu.actions() if a.text() == choose), None)
            menu.close()
            if action is not None:
                action.trigger()

        QTimer.singleShot(50, pick)
        rect = view.results.visualItemRect(view.results.item(row))
        view.results.customContextMenuRequested.emit(QPoint(rect.center()))
        qtbot.waitUntil(lambda: str(row) in seen, timeout=5_000)

    right_click(rows["Harbour Walk"], "Play from 0:12")
    assert seen[str(rows["Harbour Walk"])][:3] == ["Play", "Play from 0:12", "Add to queue"]
    player = window.player
    assert player.current.item_id == ids["Harbour Walk"] and player._pending_seek == 12.0
    player.stop()
    wait_jobs(qtbot, window)
    right_click(rows["Interview"], None)
    assert not any(t.startswith("Play from") for t in seen[str(rows["Interview"])])
