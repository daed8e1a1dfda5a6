"""Measuring GUI-thread stalls: a QTimer that records the longest gap between its ticks."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer


class Heartbeat:
    """Ticks every `interval_ms`; `worst_ms` is the longest time the GUI thread did not get to run it."""

    def __init__(self, interval_ms: int = 10) -> None:
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.gaps: list[float] = []

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.last:
            self.gaps.append((now - self.last) * 1000)
        self.last = now

    def start(self) -> Heartbeat:
        self.last = 0.0
        self.gaps = []
        self.timer.start()
        return self

    def stop(self) -> None:
        self.timer.stop()

    @property
    def worst_ms(self) -> float:
        return max(self.gaps, default=0.0)
