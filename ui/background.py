"""Library upkeep in the background: scan -> analyze -> embed, with a progress panel and Cancel."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from core.models import Progress
from ui.upkeep_process import child_main
from ui.widgets import plain_tip

MAX_SHOWN = 500  # ids sent per message: a screenful is ~40 rows (a 4k screen of covers a few hundred)
STAGE_WORDS = {"scan": "Reading files", "walk": "Looking for files", "analyze": "Listening and watching",
               "embed": "Understanding descriptions", "model": "Loading the model"}


class BackgroundWork(QObject):
    """Runs the upkeep pipeline in a child process (see upkeep_process), relays its progress on the GUI
    thread, queues folder additions that arrive meanwhile, and cancels on request. What the window
    shows goes to the child (`show_visible`; `visible_ids` is asked at each start), whose analysis
    takes those items next."""

    progress = Signal(object)  # Progress
    started = Signal()
    finished = Signal(dict)

    def __init__(self, library, ops=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.process = None
        self._queue = None
        self._cancel = None
        self._visible = None  # window -> child: the item ids on screen (a multiprocessing Queue)
        self.shown: list[int] = []  # the ids the window said it shows, newest
        self.sent = 0  # messages of shown ids sent to the running child
        self.visible_ids: Callable[[], Iterable[int]] | None = None  # asked for the ids on screen at a start
        self._queued: list[str] | None = None
        self._queued_any = False
        self._queued_stages: tuple[str, ...] = ()
        self.last_summary: dict[str, Any] | None = None
        self.stages: tuple[str, ...] = ()  # what the pass running (or the last one) was asked to do
        self.blocked: str | None = None  # why no upkeep may run (the library failed its integrity check)
        self._poll = QTimer(self, interval=50)
        self._poll.timeout.connect(self._drain)

    @property
    def running(self) -> bool:
        return self.process is not None

    def start(self, paths: list[str] | None = None,
              stages: tuple[str, ...] = ("scan", "analyze", "embed")) -> bool:
        if self.blocked:
            return False
        if self.process is not None:  # run again when the current pass ends
            self._queued = (self._queued or []) + list(paths or [])
            self._queued_any = True
            self._queued_stages = tuple(dict.fromkeys(self._queued_stages + tuple(stages)))
            return False
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # never fork a process that runs Qt threads
        self._queue, self._cancel, self._visible = ctx.Queue(), ctx.Event(), ctx.Queue()
        self.stages = tuple(stages)
        if self.visible_ids is not None:
            try:
                self.shown = [int(i) for i in self.visible_ids()][:MAX_SHOWN]
            except Exception:  # noqa: BLE001 - a view that cannot say what it shows only loses the hint
                pass
        self.sent = 0
        self.process = ctx.Process(target=child_main, name="encore-upkeep",
                                   args=(str(self.library.paths.data_dir), list(paths or []), tuple(stages),
                                         self._queue, self._cancel, self._visible, list(self.shown)))
        self.process.start()
        self._poll.start()
        self.started.emit()
        return True

    def show_visible(self, ids: Iterable[int]) -> None:
        """The items now on screen (in screen order): the running upkeep analyses them next, and the
        next one starts with them. Repeats of the same ids send nothing."""
        ids = [int(i) for i in ids][:MAX_SHOWN]
        if ids == self.shown:  # the running child has these already (sent, or given at its start)
            return
        self.shown = ids
        if self.process is not None and self._visible is not None:
            try:
                self._visible.put_nowait(ids)  # a feeder thread writes it: never blocks the window
                self.sent += 1
            except (ValueError, OSError):  # closed: the pass is ending
                pass

    def _close_visible(self) -> None:
        visible, self._visible = self._visible, None
        if visible is not None:
            try:
                visible.cancel_join_thread()  # never wait at exit on a child that stopped reading
                visible.close()
            except (ValueError, OSError):
                pass

    def cancel(self) -> None:
        self._queued, self._queued_any, self._queued_stages = None, False, ()
        if self._cancel is not None:
            self._cancel.set()

    def _drain(self) -> None:
        import queue as queue_module

        summary = None
        last_progress = None
        while True:
            try:
                kind, payload = self._queue.get_nowait()
            except queue_module.Empty:
                break
            except (EOFError, OSError):
                break
            if kind == "progress":
                last_progress = payload
            elif kind == "done":
                summary = payload
        if last_progress is not None:
            self.progress.emit(last_progress)  # only the newest: the bar never lags behind
        if summary is None and self.process is not None and not self.process.is_alive():
            try:
                kind, payload = self._queue.get(timeout=0.5)
                summary = payload if kind == "done" else None
            except Exception:  # noqa: BLE001 - the child died without a word
                summary = None
            if summary is None:
                summary = {"stages": {}, "skipped": [], "cancelled": False,
                           "errors": {"work": "The background worker stopped unexpectedly "
                                              f"(exit code {self.process.exitcode}). What it finished is kept."}}
        if summary is not None:
            self._done(summary)

    def _done(self, summary: dict[str, Any]) -> None:
        self._poll.stop()
        if self.process is not None:
            self.process.join(timeout=5)
        self.process = None
        self._close_visible()
        self.library.drop_data_caches()  # the child changed the database under our cached indexes
        self.last_summary = summary
        self.finished.emit(summary)
        if self._queued_any:
            paths, stages = self._queued, self._queued_stages
            self._queued, self._queued_any, self._queued_stages = None, False, ()
            self.start(paths, stages)

    def shutdown(self, timeout_s: float = 3.0) -> None:
        """Cancel and wait for the child (it stops at its next safe point); kill it if it does not
        (safe: every write is a transaction, and the stages are built to survive SIGKILL)."""
        self.cancel()
        self._poll.stop()
        proc, self.process = self.process, None
        if proc is not None:
            proc.join(timeout=timeout_s)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=2)
        self._close_visible()


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
        self.current.setTextFormat(Qt.TextFormat.PlainText)  # a file name is file data, never markup
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
        self.current.setToolTip(plain_tip(p.current))
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


def cancelled_text(summary: dict[str, Any], stages: tuple[str, ...] = ("scan", "analyze")) -> str:
    """What a cancelled upkeep pass kept, for the status bar: "Cancelled: scanned 120, analysed 14; the
    rest continues next time" (scanned: files read and stored, including the unchanged ones)."""
    done = summary.get("stages") or {}
    scan = done.get("scan") or {}
    analysis = done.get("analyze") or {}
    kept = []
    if "scan" in stages or scan:
        scanned = sum(int(scan.get(k) or 0) for k in ("added", "updated", "moved", "reencoded", "unchanged", "failed"))
        kept.append(f"scanned {scanned:,}")
    if "analyze" in stages or analysis:
        kept.append(f"analysed {int(analysis.get('analyzed') or 0):,}")
    embedded = (done.get("embed") or {}).get("embedded") if isinstance(done.get("embed"), dict) else None
    if embedded:
        kept.append(f"indexed {int(embedded):,}")
    text = "Cancelled: " + (", ".join(kept) + "; " if kept else "") + "the rest continues next time."
    errors = list((summary.get("errors") or {}).values())
    return " ".join([text] + [str(e) for e in errors])
