"""Starting the Qt application: data folder, theme, icon, the main window (heavy stages load later)."""

from __future__ import annotations

import os
import sys


def parse_args(argv: list[str]) -> str | None:
    """The --data-dir value, if given."""
    if len(argv) >= 2 and argv[0] == "--data-dir":
        return argv[1]
    return None


def make_app():
    from PySide6.QtWidgets import QApplication

    from ui.compat import protect_singletons

    protect_singletons()  # PySide6 6.12.0: Signal.emit() from Python drops a reference to True
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Encore")
    app.setOrganizationName("Encore")
    app.setDesktopFileName("encore")
    return app


def open_library(data_dir: str | None, integrity: str = "background"):
    """The Library, or (None, plain-words message) when it cannot be opened.

    The window opens after a cheap header/schema check; the full integrity check runs on a background
    thread (writes wait for it) and the window's health banner reports a failure."""
    from core.errors import plain_error
    from core.library import Library

    if data_dir is None and not os.environ.get("ENCORE_DATA_DIR"):
        from ui.settings_dialog import data_dir_preference

        data_dir = data_dir_preference() or None
    try:
        return Library(data_dir, integrity=integrity), None
    except Exception as exc:  # noqa: BLE001 - shown to the user in plain words
        return None, plain_error(exc, "open your library")


UPGRADE_AFTER_MS = 1500  # a stale analysis starts upgrading this long after the window shows
# The search's model loads in the background this long after the window shows (or sooner, when the search box
# takes the focus): importing sentence-transformers and the model costs ~8-11 s on 2 cores, which the first
# search would otherwise wait for.
PREPARE_SEARCH_AFTER_MS = 4000


def create_window(library):
    """A themed main window for `library` (not shown)."""
    from ui.main_window import MainWindow
    from ui.theme import app_icon, apply_theme, follow_system

    app = make_app()
    apply_theme(app, library.settings.theme)
    app.setWindowIcon(app_icon())
    follow_system(app, lambda: library.settings.theme)
    return MainWindow(library)


def run_app(argv: list[str]) -> int:
    app = make_app()
    library, problem = open_library(parse_args(argv))
    if library is None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, "Encore cannot open your library", problem)
        return 1
    window = create_window(library)
    window.show()
    from PySide6.QtCore import QTimer

    QTimer.singleShot(UPGRADE_AFTER_MS, window.upgrade_if_due)  # once the window is up and its rows are shown
    QTimer.singleShot(PREPARE_SEARCH_AFTER_MS, window.prepare_search)
    code = 1
    try:
        code = app.exec()
        return code
    finally:
        window.shutdown()
        library.close()
        if not getattr(window, "player_released", True):
            # Qt's media backend did not wind down within its time limit. Everything is saved and the
            # library is closed, so leave now rather than hang in its destructor at interpreter exit.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
