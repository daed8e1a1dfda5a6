"""The one worker layer: run a core call off the GUI thread, deliver result/error/progress by signal,
and tell every screen what a finished Library operation changed (one `changed` signal)."""

from __future__ import annotations

import gc
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from core.library import Library
from core.models import CancelToken, Changes, Progress


class _Signals(QObject):
    """Signals of one job; emitted from the worker thread, delivered queued on the GUI thread."""

    progress = Signal(object)
    token = Signal(str)
    result = Signal(object)
    error = Signal(object)
    finished = Signal()


class Job(QObject):
    """A handle on one background call: connect to its signals, or cancel it."""

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.cancel_token = CancelToken()
        self.signals = _Signals()
        self.done = False
        self.value: Any = None
        self.exception: BaseException | None = None
        self.started_at = time.monotonic()
        self.changes = Changes()  # what the call changes in the library (reported once it finished)
        self.signals.finished.connect(self._mark_done)

    def cancel(self) -> None:
        """Ask the core function to stop at its next safe point."""
        self.cancel_token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.cancel_token.cancelled

    def _mark_done(self) -> None:
        self.done = True


class _Runner(QRunnable):
    def __init__(self, job: Job, fn: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        super().__init__()
        self.job = job
        self.fn = fn
        self.kwargs = kwargs
        self.setAutoDelete(True)

    @Slot()
    def run(self) -> None:  # worker thread
        signals = self.job.signals
        try:
            value = self.fn(**self.kwargs)
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI as a signal
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.job.exception = exc
            try:
                signals.error.emit(exc)
            except RuntimeError:  # the receiver is gone (window closed)
                pass
        else:
            self.job.value = value
            try:
                signals.result.emit(value)
            except RuntimeError:
                pass
        finally:
            try:
                signals.finished.emit()
            except RuntimeError:
                pass


class Ops(QObject):
    """Runs core calls in a QThreadPool and keeps track of the jobs in flight.

    `changed(Changes)` is the one "library changed" signal of the app: it fires after a Library
    operation that writes has finished (what it changed comes from `Library.changes_by`), and for
    changes made elsewhere (the upkeep process, the settings dialog) through `report`. Screens
    connect to it and redraw when a field they show changed."""

    job_started = Signal(object)
    job_finished = Signal(object)
    changed = Signal(object)  # Changes

    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self.jobs: list[Job] = []

    def run(self, name: str, fn: Callable[..., Any], /, *, progress: bool = False, cancel: bool = False,
            tokens: bool = False, on_result: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None,
            on_progress: Callable[[Progress], None] | None = None,
            on_token: Callable[[str], None] | None = None, **kwargs: Any) -> Job:
        """Call `fn(**kwargs)` in a worker. With `progress`/`cancel`/`tokens` the call also gets
        `progress=`, `cancel=` and `on_token=` keyword arguments wired to the job's signals.
        When `fn` is a method of a Library, `changed` reports what it changed once it finished."""
        job = Job(name, self)
        library = getattr(fn, "__self__", None)
        if isinstance(library, Library):
            job.changes = library.changes_by(fn, **kwargs)
        if on_result:
            job.signals.result.connect(on_result)
        if on_error:
            job.signals.error.connect(on_error)
        if on_progress:
            job.signals.progress.connect(on_progress)
        if on_token:
            job.signals.token.connect(on_token)
        if progress:
            kwargs["progress"] = job.signals.progress.emit
        if cancel:
            kwargs["cancel"] = job.cancel_token
        if tokens:
            kwargs["on_token"] = job.signals.token.emit
        job.signals.finished.connect(lambda: self._finished(job))
        self.jobs.append(job)
        self.job_started.emit(job)
        self.pool.start(_Runner(job, fn, kwargs))
        return job

    def _finished(self, job: Job) -> None:
        if job in self.jobs:
            self.jobs.remove(job)
        settle_heap()
        self.report(job.changes)  # also after an error: a failed write may have done part of its work
        self.job_finished.emit(job)

    def report(self, changes: Changes) -> None:
        """Tell the screens that the library changed (nothing happens for an empty Changes)."""
        if changes.any():
            self.changed.emit(changes)

    def cancel_all(self) -> None:
        for job in list(self.jobs):
            job.cancel()

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Block until every worker is done (used at shutdown and in tests)."""
        return self.pool.waitForDone(timeout_ms)


_modules_at_freeze = 0


def settle_heap() -> None:
    """After a job loaded big libraries (torch, transformers...), move their objects out of the garbage
    collector's way: otherwise every full collection walks ~400k objects and freezes the window ~0.5 s."""
    global _modules_at_freeze
    if len(sys.modules) > _modules_at_freeze + 20:
        _modules_at_freeze = len(sys.modules)
        gc.freeze()
