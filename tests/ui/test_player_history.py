"""History records what happened, driven through the real window (issue 14): a broken file that shows
"Could not play" is no play, a double-click is one event, and 54 s then Next is a partial play.

The first two use the real QMediaPlayer (as test_player's real-playback test does, in CI too): Qt's
FFmpeg backend plays silently without an audio device, and its clock runs on even after a decoder error,
which is how a broken file once became "0:01 100%". The third drives positions through the player's
test hook (`on_position`) instead of waiting 54 s.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.media import write_audio
from tests.ui.conftest import wait_jobs


def _broken_wav(path: Path) -> Path:
    """A WAV whose header reads fine (it scans, with its length) but whose codec no decoder knows."""
    write_audio(path, 2.0, 440)
    data = bytearray(path.read_bytes())
    fmt = data.find(b"fmt ")
    data[fmt + 8:fmt + 10] = struct.pack("<H", 0x3F3F)
    path.write_bytes(bytes(data))
    return path


def _scan(qtbot, win, root: Path) -> None:
    with qtbot.waitSignal(win.work.finished, timeout=120_000):
        win.work.start([str(root)], stages=("scan",))
    win.sidebar.setCurrentRow(0)


def _double_click(qtbot, win, item_id: int) -> None:
    """Double-click the item's row in the music list (Qt also "activates" the row: two play requests)."""
    model, table = win.music.model, win.music.table
    qtbot.waitUntil(lambda: item_id in model.ids, timeout=10_000)
    row = model.ids.index(item_id)
    table.scrollTo(model.index(row, 0))
    rect = table.visualRect(model.index(row, 0))
    # as a user's double-click reaches the view: a click, then the double-click (QTest's mouseDClick alone
    # lacks the first press, and the view ignores it)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _events(win) -> list[tuple]:
    return [tuple(r) for r in win.library.store.query(
        "SELECT item_id, seconds, completed, skipped, outcome FROM play_events ORDER BY id")]


def _id(win, filename: str) -> int:
    return win.library.store.query("SELECT id FROM items WHERE filename = ?", (filename,))[0][0]


@pytest.mark.timeout(240)
def test_a_broken_file_that_could_not_play_is_no_play(qtbot, window, tmp_path):
    root = tmp_path / "media"
    _broken_wav(root / "broken.wav")
    write_audio(root / "fine.wav", 2.0, 330)
    _scan(qtbot, window, root)
    broken = _id(window, "broken.wav")
    window.player.start_media = True
    with qtbot.waitSignal(window.player.problem, timeout=30_000) as problem:
        _double_click(qtbot, window, broken)
    assert problem.args[0].startswith("Could not play")
    qtbot.wait(2500)  # Qt's clock runs on past the error; the file is 2 s long
    assert window.player.current is None  # a picked file that failed stops there (nothing else starts)
    window.player.stop()
    wait_jobs(qtbot, window)
    assert window.status_note.text().startswith("Could not play")
    assert _events(window) == [(broken, 0.0, 0.0, 0, "failed")]  # kept for the record, once
    assert window.library.history() == []
    window.sidebar.setCurrentRow(3)
    assert window.history.table.rowCount() == 0  # the History page shows no play
    assert window.library.last_played() is None  # For You cannot say "Because you played" it
    assert window.library.show(broken)["history"]["plays"] == 0


@pytest.mark.timeout(240)
def test_a_double_click_on_a_good_file_is_exactly_one_event(qtbot, window, tmp_path):
    root = tmp_path / "media"
    write_audio(root / "fine.wav", 1.5, 330)
    _scan(qtbot, window, root)
    fine = _id(window, "fine.wav")
    window.player.start_media = True
    with qtbot.waitSignal(window.player.now_playing, timeout=10_000):
        _double_click(qtbot, window, fine)
    qtbot.waitUntil(lambda: window.player.current is None, timeout=60_000)  # it plays to its end
    wait_jobs(qtbot, window)
    events = _events(window)
    assert len(events) == 1, events
    item, seconds, completed, skipped, outcome = events[0]
    assert (item, completed, skipped, outcome) == (fine, 1.0, 0, "played") and seconds > 0
    window.sidebar.setCurrentRow(3)
    assert window.history.table.rowCount() == 1
    assert window.history.table.item(0, 4).text() == "100%" and window.history.table.item(0, 5).text() == ""
    assert window.player.shutdown() is True


def test_54_seconds_then_next_is_a_partial_play_not_a_skip(qtbot, window, tmp_path):
    root = tmp_path / "media"
    quiet = np.zeros(8000 * 200, dtype=np.float32)  # a 3:20 track (silent, 8 kHz: small)
    write_audio(root / "a long song.wav", signal=quiet, sr=8000)
    write_audio(root / "b next song.wav", signal=quiet, sr=8000)
    _scan(qtbot, window, root)
    long_song, next_song = _id(window, "a long song.wav"), _id(window, "b next song.wav")
    _double_click(qtbot, window, long_song)
    qtbot.waitUntil(lambda: window.player.current is not None, timeout=10_000)
    assert window.player.current.item_id == long_song
    if window.player.queue.index(long_song) + 1 >= len(window.player.queue):
        window.player.enqueue([next_song])  # Next needs somewhere to go
    for tenth in range(0, 541):  # 54 s as QMediaPlayer reports it, every 100 ms
        window.player.on_position(tenth / 10)
    qtbot.mouseClick(window.player_bar.next_button, Qt.MouseButton.LeftButton)
    window.player.stop()
    wait_jobs(qtbot, window)
    events = _events(window)
    assert len(events) == 1, events  # the next song was left at once: nothing of it played
    item, seconds, completed, skipped, outcome = events[0]
    assert item == long_song and outcome == "played"
    assert skipped == 0  # 54 s is past the skip window (30 s or a fifth, whichever is shorter)
    assert seconds == pytest.approx(54.0, abs=0.2) and completed == pytest.approx(0.27, abs=0.005)
    window.sidebar.setCurrentRow(3)
    assert window.history.table.item(0, 4).text() == "27%" and window.history.table.item(0, 5).text() == ""
    shown = window.library.show(long_song)["history"]
    assert shown["plays"] == 1 and shown["skips"] == 0
