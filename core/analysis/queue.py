"""The analysis queue: analyse every item whose analysis is missing or stale, in isolated workers.

Resumable by construction: results are committed in small batches and the work list is whatever
is still stale, so a killed run picks up where it stopped. A file that fails (cannot be decoded,
crashes or hangs the decoder, runs out of memory) becomes a recorded failure, and is not retried
until the file changes or the analyser version does.

Order: first what needs no decoding (a new CLASS_VERSION or DESCRIPTOR_VERSION: classes and phrases
redone from the stored JSON for the whole library, in committed batches), then the items to decode:
the ones the caller names first (what is on screen), then the most played, then the newest; items whose
features are current but whose tags are missing or of another tagger version (core.analysis.tags) are
decoded again for the tagger only, after the rest. When the library's tagged music has changed enough,
the tag reference is recomputed and the tagged items' phrases are redone from the stored JSON.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from core.analysis import AUDIO_VERSION, VIDEO_VERSION
from core.analysis.store import refresh_stored, write_descriptors, write_result
from core.analysis.tags import TAGS_VERSION, refresh_reference
from core.db import features as db
from core.db import items as q
from core.isolation import IsolatedPool, TaskFailure
from core.models import CancelToken, Progress

if TYPE_CHECKING:
    from core.context import StageContext

MEMORY_LIMIT_MB = 3072
BATCH_SIZE = 16
BATCH_SECONDS = 2.0
VERSION_MARK = f"[analyser a{AUDIO_VERSION}/v{VIDEO_VERSION}]"
QUEUE_AHEAD = 0  # files waiting at each worker besides its current one: 0, so a scroll takes effect at once
MAX_FIRST = 2000  # ids of `first` looked at per pull (a screenful is ~40; a hint never costs a scan of 200k)
First = Callable[[], Iterable[int]] | Iterable[int]
"""Ids to analyse before the rest: fixed, or a callable asked again before each file (what is on screen now)."""


def write_tags(conn: Any, item_id: int, result: dict[str, Any]) -> int:
    """Store a worker result's tags (inside the caller's transaction; before write_result, whose descriptors
    read them); a tags-only result also re-describes the item from its stored features. Returns 1 when
    probabilities were stored, else 0."""
    tags = result.get("tags")
    if tags is not None:
        db.write_audio_tags(conn, item_id, tags["version"], tags.get("mtt"), tags.get("msd"), tags.get("embedding"),
                            tags.get("mtt_embedding"), tags.get("patches", 0), tags.get("note"), time.time())
    elif result.get("audio") is None and not result.get("tags_only"):
        db.delete_audio_tags(conn, item_id)  # no decodable audio any more: no tags either
    if result.get("tags_only"):
        audio, video = db.stored_features(conn, item_id)
        write_descriptors(conn, item_id, audio, video, db.item_classes_for(conn, [item_id]).get(item_id))
    return int(tags is not None and tags.get("mtt") is not None)


def worker_env(ctx: StageContext) -> dict[str, str]:
    """Environment of analysis workers: persistent numba cache, one BLAS/OpenMP thread each."""
    env = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                  "NUMBA_NUM_THREADS", "OPENCV_FOR_THREADS_NUM")}
    env["NUMBA_CACHE_DIR"] = str(ctx.paths.numba_cache)
    return env


def worker_count(ctx: StageContext) -> int:
    """Analysis workers to run: the configured scan_workers, else up to 4 (one per core)."""
    configured = int(getattr(ctx.settings, "scan_workers", 0) or 0)
    return max(1, configured or min(4, os.cpu_count() or 1))


def tagging_available() -> bool:
    """Whether the tagger's weights are installed (the `musicnn` package; found without importing it)."""
    import importlib.util

    return importlib.util.find_spec("musicnn") is not None


def pending_items(ctx: StageContext, retry_failed: bool = False,
                  first: First = ()) -> tuple[list[dict[str, Any]], int]:
    """Items to analyse now, in order (the ids in `first`, e.g. the visible ones; then the most played; then
    the most recently added; then the items that need only their tags), and how many stale ones were
    skipped as known failures of this version."""
    conn = ctx.store.reader()
    failed = {q.from_db_path(r["path"]): r for r in db.analysis_failures(conn)}
    tagging = tagging_available()
    cache = str(ctx.paths.cache / "models")
    todo, skipped = [], 0
    pending = db.pending_analysis(conn, AUDIO_VERSION, VIDEO_VERSION)
    analysed = {r["id"] for r in pending}
    retag = [r for r in db.stale_tag_items(conn, TAGS_VERSION) if r["id"] not in analysed] if tagging else []
    stored = db.audio_features_for(conn, [r["id"] for r in retag])
    for r in [*pending, *retag]:
        path = q.from_db_path(r["path"])
        f = failed.get(path)
        if not retry_failed and f is not None and f["size"] == r["size"] and f["mtime_ns"] == r["mtime_ns"] \
                and f["error"].startswith(VERSION_MARK):
            skipped += 1
            continue
        task = {"id": r["id"], "path": path, "kind": r["kind"], "duration": r["duration"],
                "size": r["size"], "mtime_ns": r["mtime_ns"], "tags": tagging, "model_cache": cache,
                "keyframe_dir": os.path.join(str(ctx.paths.keyframes), str(r["id"]))}
        if r["id"] not in analysed:
            task.update(tags_only=True, features=stored.get(r["id"]))
        todo.append(task)
    rank = {item_id: n for n, item_id in enumerate(dict.fromkeys(read_first(first)))}
    if rank:
        todo.sort(key=lambda t: rank.get(t["id"], len(rank)))  # stable: the rest keep the SQL order
    return todo, skipped


def read_first(first: First) -> list[int]:
    """The ids `first` names now (a callable is asked; one that fails names none), at most MAX_FIRST."""
    try:
        ids = first() if callable(first) else first
        return [int(i) for i in itertools.islice(ids, MAX_FIRST)]
    except Exception:  # noqa: BLE001 - a broken hint never stops the analysis
        return []


class PriorityTasks(Iterator[dict[str, Any]]):
    """The work list as an iterator whose order can change while it runs: before each pull it asks
    `first` (e.g. the ids on screen now, as the window last said) and hands out the first of those still
    waiting; when none is, the next task of the base order (most played, then newest, ...). Each task is
    handed out once. IsolatedPool pulls a task only when a worker has room for it, so a newly named item
    waits for at most the tasks already queued at the workers (`queue_ahead`), not for the whole list."""

    def __init__(self, todo: list[dict[str, Any]], first: First = ()) -> None:
        self.todo = todo
        self.first = first
        self.waiting = {t["id"]: t for t in todo}
        self.position = 0  # into todo: everything before it was handed out
        self.promoted = 0  # tasks handed out ahead of the base order because `first` named them

    def __iter__(self) -> PriorityTasks:
        return self

    def __next__(self) -> dict[str, Any]:
        if not self.waiting:
            raise StopIteration
        while self.todo[self.position]["id"] not in self.waiting:  # skip what `first` took earlier
            self.position += 1
        for item_id in read_first(self.first):
            task = self.waiting.pop(item_id, None)
            if task is not None:
                self.promoted += task is not self.todo[self.position]
                return task
        task = self.todo[self.position]
        del self.waiting[task["id"]]
        self.position += 1
        return task


def analyze_pending(ctx: StageContext, progress: Callable[[Progress], None] | None = None,
                    cancel: CancelToken | None = None, retry_failed: bool = False,
                    first: First = ()) -> dict[str, Any]:
    """Analyse every stale item; returns counts {"analyzed", "failed", "skipped", "described", "classified",
    "seconds", ...}. Classes and descriptors of a new version come first, from the stored features
    (progress stage "describe"); then the decoding (stage "analyze"), `first` ids before the rest; a
    callable `first` is asked again before each file, so what comes on screen during a long run goes next.

    Files that failed before (same size, mtime and analyser version) are skipped unless `retry_failed`.
    """
    started = time.monotonic()
    cancel = cancel or CancelToken()
    with ctx.store.write() as conn:
        refresh_reference(conn, time.time())
    refreshed = refresh_stored(ctx, progress)
    todo, skipped = pending_items(ctx, retry_failed, first)
    report: dict[str, Any] = {"analyzed": 0, "failed": 0, "skipped": skipped, "described": refreshed["described"],
                              "classified": refreshed["classified"], "pending": len(todo), "cancelled": False,
                              "tagged": 0, "promoted": 0, "seconds": 0.0, "worker_seconds": 0.0}
    batch: list[tuple[dict[str, Any], Any]] = []
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal last_flush
        if not batch:
            return
        with ctx.store.write() as conn:
            for task, result in batch:
                if isinstance(result, TaskFailure) or not isinstance(result, dict):
                    message = result.message if isinstance(result, TaskFailure) else str(result)
                    q.record_failure(conn, task["path"], "analyze", f"{VERSION_MARK} {message}",
                                     task["size"], task["mtime_ns"], task["id"])
                    report["failed"] += 1
                else:
                    report["tagged"] += write_tags(conn, task["id"], result)
                    if not result.get("tags_only"):
                        write_result(conn, task["id"], result)
                    q.clear_failure(conn, task["path"], "analyze")
                    report["analyzed"] += 1
                    report["worker_seconds"] += result.get("seconds", 0.0)
        batch.clear()
        last_flush = time.monotonic()

    def report_progress(done: int, current: str) -> None:
        if progress is None:
            return
        elapsed = time.monotonic() - started
        eta = elapsed / done * (len(todo) - done) if done else None
        progress(Progress("analyze", done, len(todo), current, eta))

    if todo:
        pool = IsolatedPool("core.analysis.worker:analyze_item", workers=min(worker_count(ctx), len(todo)),
                            timeout_s=float(ctx.settings.analysis_timeout_s),
                            memory_limit_mb=MEMORY_LIMIT_MB, chunk_size=1, env=worker_env(ctx),
                            queue_ahead=QUEUE_AHEAD)
        report_progress(0, "")
        done = 0
        tasks = PriorityTasks(todo, first)
        for task, result in pool.run(tasks, should_stop=lambda: cancel.cancelled):
            batch.append((task, result))
            done += 1
            report_progress(done, task["path"])
            if len(batch) >= BATCH_SIZE or time.monotonic() - last_flush >= BATCH_SECONDS:
                flush()
        flush()
        report["cancelled"] = cancel.cancelled
        report["promoted"] = tasks.promoted
    if report["tagged"] and not cancel.cancelled:
        with ctx.store.write() as conn:
            changed = refresh_reference(conn, time.time())
        if changed:  # the library's spread of the tags moved: the tagged items' phrases are redone
            report["described"] += refresh_stored(ctx, progress)["described"]
    report["seconds"] = round(time.monotonic() - started, 3)
    report["worker_seconds"] = round(report["worker_seconds"], 3)
    report["pending"] = len(todo) - report["analyzed"] - report["failed"]
    return report
