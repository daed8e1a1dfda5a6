"""Library upkeep (scan -> analyze -> embed) in a child process: no Qt here, and importing torch & co.
there can never hold the window's GIL (in a worker thread it froze the window for up to ~1 s)."""

from __future__ import annotations

import threading
from typing import Any

from core.errors import ModelError, plain_error
from core.models import CancelToken

STAGE_VERBS = {"scan": "read your folders", "analyze": "analyse your files", "embed": "index the descriptions"}
RESULT_KEYS = {"scan": "scan", "analyze": "analysis", "embed": "embedding"}  # Library.update's result keys


class EventCancelToken(CancelToken):
    """A CancelToken backed by a multiprocessing Event, so the window can cancel the child's work."""

    def __init__(self, event) -> None:
        super().__init__()
        self.event = event

    def cancel(self) -> None:
        self.event.set()

    @property
    def cancelled(self) -> bool:
        return self.event.is_set()


class LatestIds:
    """What the window shows now, as it last said: a daemon thread reads the window's messages (lists of
    item ids; the newest replaces the rest, None ends it), and calling the object returns the latest list,
    which is what Library.update's `first` asks before each file it hands to a worker."""

    def __init__(self, source=None, initial: list[int] | tuple[int, ...] = ()) -> None:
        self.ids: tuple[int, ...] = tuple(int(i) for i in initial)
        self.received = 0  # messages read (tests and diagnostics)
        self.changed = threading.Event()  # set at each message
        if source is not None:
            threading.Thread(target=self._read, args=(source,), name="encore-visible-ids", daemon=True).start()

    def _read(self, source) -> None:
        while True:
            try:
                ids = source.get()
            except (EOFError, OSError, ValueError):  # the window closed its end
                return
            if ids is None:
                return
            try:
                self.ids = tuple(int(i) for i in ids)  # one assignment: the reader never sees half a list
            except (TypeError, ValueError):
                continue
            self.received += 1
            self.changed.set()

    def __call__(self) -> tuple[int, ...]:
        return self.ids


def run_pipeline(library, paths: list[str] | None, stages: tuple[str, ...], progress=None,
                 cancel: CancelToken | None = None, first=()) -> dict[str, Any]:
    """Library.update (the one scan -> analyze -> embed pipeline) as the window's summary:
    {"stages": {stage: result}, "errors": {stage: plain words}, "cancelled": bool}. An error stops the
    stages after it; an embedding model that cannot load is reported and search works on words meanwhile.
    `first`: the ids to analyse before the rest (a LatestIds: what the window shows, while it runs)."""
    out = library.update(tuple(stages), paths=paths or None, progress=progress, cancel=cancel, report_errors=True,
                         first=first)
    summary: dict[str, Any] = {"stages": {}, "skipped": [], "errors": {}, "cancelled": bool(out.get("cancelled"))}
    for stage, key in RESULT_KEYS.items():
        result = out.get(key)
        if result is None:
            continue
        if stage == "embed" and isinstance(result, dict) and set(result) == {"error"}:
            summary["errors"][stage] = plain_error(ModelError(result["error"]), STAGE_VERBS[stage])
            continue
        summary["stages"][stage] = result
    for stage, exc in (out.get("errors") or {}).items():
        summary["errors"][stage] = plain_error(exc, STAGE_VERBS.get(stage, stage))
    return summary


def child_main(data_dir: str, paths: list[str], stages: tuple[str, ...], queue, cancel_event,
               visible=None, shown: list[int] | tuple[int, ...] = ()) -> None:
    """Entry point of the upkeep process: opens its own Library on the same data folder (SQLite WAL
    lets the window read and write meanwhile) and reports ("progress", Progress) / ("done", summary).
    `shown`: the item ids on screen when it started; `visible`: a queue on which the window sends the ids
    on screen whenever they change (those are analysed next)."""
    import os

    from core.library import Library

    try:
        os.nice(10)  # background work yields the CPU to the window (its worker processes inherit this)
    except OSError:
        pass
    try:
        library = Library(data_dir)
    except Exception as exc:  # noqa: BLE001
        queue.put(("done", {"stages": {}, "skipped": [], "cancelled": False,
                            "errors": {"open": plain_error(exc, "open your library")}}))
        return
    try:
        summary = run_pipeline(library, paths, stages, progress=lambda p: queue.put(("progress", p)),
                               cancel=EventCancelToken(cancel_event), first=LatestIds(visible, shown))
    except BaseException as exc:  # noqa: BLE001 - the window must always hear back
        summary = {"stages": {}, "skipped": [], "cancelled": False, "errors": {"work": plain_error(exc)}}
    finally:
        library.close()
    queue.put(("done", summary))
