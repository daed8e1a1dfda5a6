"""Library upkeep in the background: scan -> analyze -> embed, with a progress panel and Cancel."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from core.models import CancelToken, Progress
from ui.errors import plain_error
from ui.ops import Job, Ops, stage_missing

STAGE_VERBS = {"scan": "read your folders", "analyze": "analyse your files", "embed": "index the descriptions"}
STAGE_WORDS = {"scan": "Reading files", "walk": "Looking for files", "analyze": "Listening and watching",
               "embed": "Understanding descriptions", "model": "Loading the model"}


def run_pipeline(library, paths: list[str] | None, stages: tuple[str, ...], progress=None,
                 cancel: CancelToken | None = None) -> dict[str, Any]:
    """Run the stages in order (worker thread). A stage not built yet is skipped; an error stops the rest."""
    summary: dict[str, Any] = {"stages": {}, "skipped": [], "errors": {}}
    for stage in stages:
        if cancel is not None and cancel.cancelled:
            break
        if progress:
            progress(Progress(stage, 0, 0, "starting…"))
        try:
            if stage == "scan":
                result = library.scan(paths or None, progress=progress, cancel=cancel)
                result = result.to_dict() if hasattr(result, "to_dict") else result
            else:
                result = getattr(library, stage)(progress=progress, cancel=cancel)
        except Exception as exc:  # noqa: BLE001 - reported in plain words, the app carries on
            if stage_missing(exc):
                summary["skipped"].append(stage)
                continue
            summary["errors"][stage] = plain_error(exc, STAGE_VERBS.get(stage, stage))
            break
        summary["stages"][stage] = result
    summary["cancelled"] = bool(cancel and cancel.cancelled)
    return summary


class BackgroundWork(QObject):
    """Starts the upkeep pipeline, queues folder additions that arrive meanwhile, reports progress."""

    progress = Signal(object)  # Progress
    started = Signal()
    finished = Signal(dict)

    def __init__(self, library, ops: Ops, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.ops = ops
        self.job: Job | None = None
        self._queued: list[str] | None = None
        self._queued_any = False
        self.last_summary: dict[str, Any] | None = None

    @property
    def running(self) -> bool:
        return self.job is not None

    def start(self, paths: list[str] | None = None,
              stages: tuple[str, ...] = ("scan", "analyze", "embed")) -> Job | None:
        if self.job is not None:  # run again when the current pass ends
            self._queued = (self._queued or []) + list(paths or [])
            self._queued_any = True
            return None
        self.job = self.ops.run("upkeep", run_pipeline, progress=True, cancel=True, library=self.library,
                                paths=list(paths or []), stages=stages, on_progress=self.progress.emit,
                                on_result=self._done, on_error=self._failed)
        self.started.emit()
        return self.job

    def cancel(self) -> None:
        self._queued, self._queued_any = None, False
        if self.job is not None:
            self.job.cancel()

    def _failed(self, exc: BaseException) -> None:
        self._done({"stages": {}, "skipped": [], "errors": {"work": plain_error(exc)}, "cancelled": False})

    def _done(self, summary: dict[str, Any]) -> None:
        self.job = None
        self.last_summary = summary
        self.finished.emit(summary)
        if self._queued_any:
            paths, self._queued, self._queued_any = self._queued, None, False
            self.start(paths)


class ProgressPanel(QWidget):
    """Status-bar panel: what is happening, which file, a bar, the time left, and Cancel."""

    def __init__(self, work: BackgroundWork, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.work = work
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        self.label = QLabel()
        self.label.setObjectName("progressLabel")
        self.current = QLabel()
        self.current.setObjectName("progressFile")
        self.current.setMinimumWidth(120)
        self.current.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.bar = QProgressBar()
        self.bar.setFixedWidth(180)
        self.bar.setTextVisible(True)
        self.eta = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the current file; what is done so far is kept")
        self.cancel_button.clicked.connect(self._cancel)
        for w in (self.label, self.current):
            layout.addWidget(w)
        layout.addStretch(1)
        for w in (self.bar, self.eta, self.cancel_button):
            layout.addWidget(w)
        work.progress.connect(self.show_progress)
        work.started.connect(self._started)
        work.finished.connect(lambda _s: self.hide())
        self.last: Progress | None = None
        self._t0 = time.monotonic()
        self.hide()

    def _started(self) -> None:
        self._t0 = time.monotonic()
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.label.setText("Starting…")
        self.current.clear()
        self.bar.setRange(0, 0)
        self.eta.clear()
        self.show()

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Stopping…")
        self.work.cancel()

    def show_progress(self, p: Progress) -> None:
        self.last = p
        self.show()
        self.label.setText(STAGE_WORDS.get(p.stage, p.stage.capitalize()))
        name = p.current.rsplit("/", 1)[-1] if p.current else ""
        metrics = self.current.fontMetrics()
        self.current.setText(metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, 320))
        self.current.setToolTip(p.current)
        if p.total > 0:
            self.bar.setRange(0, p.total)
            self.bar.setValue(min(p.done, p.total))
            self.bar.setFormat(f"{p.done:,} / {p.total:,}")
        else:
            self.bar.setRange(0, 0)
        self.eta.setText(eta_text(p.eta_s))


def eta_text(eta_s: float | None) -> str:
    """'about 3 min left' style wording."""
    if eta_s is None or eta_s < 0:
        return ""
    if eta_s < 60:
        return f"{max(1, int(eta_s))} s left"
    if eta_s < 3600:
        return f"about {int(round(eta_s / 60))} min left"
    return f"about {eta_s / 3600:.1f} h left"
