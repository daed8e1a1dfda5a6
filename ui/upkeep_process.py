"""Library upkeep (scan -> analyze -> embed) in a child process: no Qt here, and importing torch & co.
there can never hold the window's GIL (in a worker thread it froze the window for up to ~1 s)."""

from __future__ import annotations

from typing import Any

from core.models import CancelToken, Progress
from ui.errors import plain_error, stage_missing

STAGE_VERBS = {"scan": "read your folders", "analyze": "analyse your files", "embed": "index the descriptions"}


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


def run_pipeline(library, paths: list[str] | None, stages: tuple[str, ...], progress=None,
                 cancel: CancelToken | None = None) -> dict[str, Any]:
    """Run the stages in order. A stage not built yet is skipped; an error stops the rest."""
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


def child_main(data_dir: str, paths: list[str], stages: tuple[str, ...], queue, cancel_event) -> None:
    """Entry point of the upkeep process: opens its own Library on the same data folder (SQLite WAL
    lets the window read and write meanwhile) and reports ("progress", Progress) / ("done", summary)."""
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
                               cancel=EventCancelToken(cancel_event))
    except BaseException as exc:  # noqa: BLE001 - the window must always hear back
        summary = {"stages": {}, "skipped": [], "cancelled": False, "errors": {"work": plain_error(exc)}}
    finally:
        library.close()
    queue.put(("done", summary))
