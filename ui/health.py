"""The library's integrity verdict in the window: a red banner when the background check fails."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel

POLL_MS = 200  # the check runs on a plain thread (core/ has no Qt); the window looks at its verdict
GO_AFTER_MS = 100  # let the first frame be drawn before the check competes for the CPU


class HealthBanner(QFrame):
    """Hidden while the library is healthy (or still being checked). When `library.health` reports a
    failure it shows what happened and what to do, and emits `failed(message, damaged)` once.

    Polling a threading.Event from a QTimer keeps the core Qt-free and needs no cross-thread signal
    that could outlive the window."""

    failed = Signal(str, bool)  # message, damaged (False: could not be checked, e.g. locked)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("healthBanner")
        self.setStyleSheet("#healthBanner { background: #b3261e; } "
                           "#healthBanner QLabel { color: white; font-weight: 600; padding: 8px 12px; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        self.hide()
        self.library = None
        self.message = ""
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._look)
        self._go = QTimer(self, singleShot=True, interval=GO_AFTER_MS)
        self._go.timeout.connect(self._release_check)

    def watch(self, library) -> None:
        """Follow `library.health` until its verdict is in; a held check starts once the event loop
        has drawn the window."""
        self.library = library
        self.message = ""
        self.hide()
        self._go.start()
        self._timer.start()
        self._look()

    def _release_check(self) -> None:
        health = getattr(self.library, "health", None)
        if health is not None:
            health.go()

    def stop(self) -> None:
        self._timer.stop()
        self._go.stop()

    def _look(self) -> None:
        health = getattr(self.library, "health", None)
        if health is None or not health.done:
            return
        self._timer.stop()
        if health.error is None:
            return
        if health.damaged:
            text = (f"Your library database is damaged: {health.error} Encore has stopped saving changes "
                    "so nothing more is written to it. Close Encore, then run `encore restore`.")
        else:
            detail = health.report.detail if health.report else str(health.error)
            text = (f"Encore could not check your library database ({detail}). It has stopped saving "
                    "changes to be safe. Restart Encore; if this persists, run `encore doctor`.")
        self.message = text
        self.label.setText(text)
        self.label.setToolTip(text)
        self.show()
        self.failed.emit(text, health.damaged)
