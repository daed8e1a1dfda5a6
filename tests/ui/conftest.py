"""UI test fixtures: a main window over a fresh library, with Qt's test-mode settings paths."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _qt_test_paths(qapp):
    from ui.compat import protect_singletons

    protect_singletons()  # as ui.app.make_app does: PySide6 6.12.0 emit() drops a reference to True
    from PySide6.QtCore import QStandardPaths

    QStandardPaths.setTestModeEnabled(True)  # QSettings never touch the real ~/.config
    yield


@pytest.fixture
def window(qtbot, library):
    from ui.app import create_window

    win = create_window(library)
    # Tests drive play positions themselves and create no QMediaPlayer (faster, and no audio device is
    # needed); test_player's real-playback test and test_close use the real one.
    win.player.start_media = False
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()
    win.ops.wait(180_000)  # no worker of this test may outlive it (it would steal the next test's GIL)
    win.close()


@pytest.fixture
def media_root(tmp_path):
    from tests.media import make_library

    root = tmp_path / "media"
    files = make_library(root)
    return root, files


def wait_jobs(qtbot, win, timeout: int = 60_000) -> None:
    """Wait until the window's background jobs (ops) are all done."""
    qtbot.waitUntil(lambda: not win.ops.jobs, timeout=timeout)
