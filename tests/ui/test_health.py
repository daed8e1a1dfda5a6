"""The window opens before the full integrity check and tells the user when it fails."""

from __future__ import annotations

import threading
import time

from core.db import integrity
from tests.reliability.test_background_integrity import _damaged_library
from tests.reliability.test_database_protection import _library_with_history


def _open_window(qtbot, data_dir):
    from ui.app import create_window, open_library

    library, problem = open_library(str(data_dir))
    assert library is not None, problem
    win = create_window(library)
    win.player.start_media = False
    qtbot.addWidget(win)
    win.show()
    return win


def _close(win) -> None:
    win.shutdown()
    win.ops.wait(60_000)
    win.close()
    win.library.close()


def test_damaged_library_found_after_start_shows_a_banner_and_stops_writes(qtbot, data_dir):
    db, taken = _damaged_library(data_dir)
    damaged_bytes = db.read_bytes()
    win = _open_window(qtbot, data_dir)  # the cheap check passes: the window opens
    try:
        qtbot.waitUntil(lambda: win.health_banner.isVisible(), timeout=60_000)
        text = win.health_banner.label.text()
        assert "damaged" in text and "encore restore" in text and taken.name in text
        assert "not saving" in win.status_note.text()
        assert not win.add_button.isEnabled()
        assert win.work.start(["/somewhere"], stages=("scan",)) is False  # no upkeep process on it
        win.add_folders(["/somewhere"])
        assert not win.work.running
        errors: list[str] = []
        win.player.problem.connect(errors.append)
        win.player.like(1)  # a write from the UI: refused by the library, reported in plain words
        qtbot.waitUntil(lambda: bool(errors), timeout=30_000)
        assert "damaged" in errors[0]
    finally:
        _close(win)
    assert db.read_bytes() == damaged_bytes


def test_window_shows_while_the_check_still_runs(qtbot, data_dir, monkeypatch):
    """A healthy library's window does not wait for quick_check (held here until the window is up)."""
    _library_with_history(data_dir).close()
    release = threading.Event()
    real_check = integrity.check

    def held_check(*args, **kwargs):
        assert release.wait(60)
        return real_check(*args, **kwargs)

    monkeypatch.setattr(integrity, "check", held_check)
    started = time.monotonic()
    win = _open_window(qtbot, data_dir)
    try:
        assert win.isVisible() and not win.library.health.done  # shown before the verdict
        assert time.monotonic() - started < 30
        release.set()
        qtbot.waitUntil(lambda: win.library.health.done, timeout=60_000)
        qtbot.wait(3 * 200)  # a few banner polls
        assert not win.health_banner.isVisible() and win.add_button.isEnabled()
    finally:
        release.set()
        _close(win)
