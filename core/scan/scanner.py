"""The incremental scan: walk -> diff against the database -> extract changed files -> batched commits."""

from __future__ import annotations

import functools
import itertools
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from core.db import items as q
from core.db.connection import Store
from core.isolation import IsolatedPool, TaskFailure
from core.models import CancelToken, Progress
from core.scan import retry
from core.scan.extract import EXTRACT_VERSION
from core.scan.formats import kind_of
from core.scan.guard import check_readable, inside, outside_message
from core.scan.relink import relink_reencoded
from core.scan.tags import MAX_EXTRA_TAGS, MAX_TAGS_READ
from core.scan.walk import MAX_DEPTH, DirListing, FileEntry, WalkState, walk_media
from core.text import display_path

BATCH_ITEMS = 200
BATCH_SECONDS = 2.0
PROGRESS_EVERY_S = 0.1

Task = tuple[str, str, tuple[str, ...]]  # (file path, covers folder, real roots): what an extract worker receives


@dataclass
class ScanReport:
    """What a scan did (the `scan --json` output)."""

    seen: int = 0
    added: int = 0
    updated: int = 0
    moved: int = 0
    reencoded: int = 0
    unchanged: int = 0
    missing: int = 0
    failed: int = 0
    offline_roots: list[str] = field(default_factory=list)
    unreadable_dirs: list[str] = field(default_factory=list)
    items_total: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    retried: int = 0  # failed files tried again (a cause that may have passed, or asked for)
    skipped: int = 0  # files not read on purpose: links outside the library folders, FIFOs, devices
    too_deep: int = 0  # folders deeper than MAX_DEPTH levels, not entered
    too_deep_dirs: list[str] = field(default_factory=list)  # the first of them
    tags_truncated: int = 0  # files with more tags than are kept (the rest left out)

    def notes(self) -> list[str]:
        """Plain sentences about what the scan retried or left out (empty when nothing was)."""
        notes = []
        if self.retried:
            notes.append(f"Tried again {_files(self.retried)} that had failed before.")
        if self.skipped:
            notes.append(f"Did not read {_files(self.skipped)} on purpose (links outside your library folders, "
                         "pipes, devices): see `encore failures`.")
        if self.too_deep:
            first = display_path(self.too_deep_dirs[0]) if self.too_deep_dirs else ""
            notes.append(f"Skipped {self.too_deep} folder{'s' if self.too_deep != 1 else ''} more than {MAX_DEPTH} "
                         f"levels deep" + (f", the first: {first}" if first else "") + ".")
        if self.tags_truncated:
            notes.append(f"{_files(self.tags_truncated).capitalize()} had more tags than Encore keeps "
                         f"({MAX_TAGS_READ} read, {MAX_EXTRA_TAGS} non-standard ones stored): the rest were left out.")
        return notes

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (paths shown as the user would type them), with its notes."""
        out = asdict(self)
        out["unreadable_dirs"] = [display_path(p) for p in self.unreadable_dirs]
        out["offline_roots"] = [display_path(p) for p in self.offline_roots]
        out["too_deep_dirs"] = [display_path(p) for p in self.too_deep_dirs]
        out["notes"] = self.notes()
        return out


def _files(n: int) -> str:
    return f"{n} file{'s' if n != 1 else ''}"


class _Batch:
    """Writes queued by the scan, committed together every BATCH_ITEMS or BATCH_SECONDS."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ops: list[Callable[[sqlite3.Connection], None]] = []
        self.last = time.monotonic()

    def add(self, op: Callable[[sqlite3.Connection], None]) -> None:
        self.ops.append(op)
        if len(self.ops) >= BATCH_ITEMS or time.monotonic() - self.last > BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.ops:
            with self.store.write() as conn:
                for op in self.ops:
                    op(conn)
            self.ops = []
        self.last = time.monotonic()


class _Pending(NamedTuple):
    """A file sent to an extract worker, and where its result goes."""

    entry: FileEntry
    item_id: int | None  # None: a path the library has never seen
    root_id: int


def _root_is_offline(conn: sqlite3.Connection, root_id: int, root: str) -> bool:
    """A root that is unreachable, or empty while the library has items there, is treated as offline."""
    if not os.path.isdir(root):
        return True
    try:
        with os.scandir(root) as it:
            has_entries = any(True for _ in it)
    except OSError:
        return True
    return not has_entries and q.root_has_present_items(conn, root_id)


def _is_current(row: q.KnownFile, entry: FileEntry) -> bool:
    """The stored item still describes this file: same stat facts, and extracted by this extractor
    (or failed on these very bytes, which are retried when they change or by core.scan.retry's rules)."""
    return (row.status != "missing" and (row.size, row.mtime_ns, row.inode) == (entry.size, entry.mtime_ns, entry.inode)
            and (row.status == "failed" or row.extract_version == EXTRACT_VERSION))


def _folder_unchanged(stored: list[q.FileFacts], files: list[FileEntry]) -> bool:
    """The rescan hot path: the folder's (name, size, mtime, inode) set equals what the library holds,
    every row current or failed-and-unchanged, none missing, so one set comparison settles it."""
    if len(stored) != len(files) or any(r.needs_work or not isinstance(r.filename, str) for r in stored):
        return False
    return {(r.filename, r.size, r.mtime_ns, r.inode) for r in stored} == {
        (e.name, e.size, e.mtime_ns, e.inode) for e in files}


def _location(root_id: int, path: str) -> dict[str, Any]:
    """The items columns that say where a file is."""
    folder, name = os.path.split(path)
    return dict(root_id=root_id, path=q.to_db_path(path), dir=q.to_db_path(folder), filename=q.to_db_path(name),
                ext=os.path.splitext(name)[1][1:].lower())


def ensure_root(store: Store, path: str) -> int:
    """The id of a library root, adding it when new."""
    path = os.path.abspath(os.path.expanduser(path))
    root_id = q.root_id_of(store.conn, path)
    if root_id is not None:
        return root_id
    with store.write() as conn:
        return q.insert_root(conn, path, time.time())


class Scanner:
    """One scan: walk each root, diff each folder against the library, extract what changed, commit in batches."""

    def __init__(self, store: Store, covers_dir: str, progress: Callable[[Progress], None] | None = None,
                 cancel: CancelToken | None = None, retry_failed: bool = False) -> None:
        self.store = store
        self.conn = store.conn
        self.covers_dir = covers_dir
        self.progress = progress
        self.cancel = cancel or CancelToken()
        self.report = ScanReport()
        self.started = time.monotonic()
        self.started_at = time.time()
        self.known_total = q.count_present_items(self.conn)
        self.batch = _Batch(store)
        self.inflight: dict[str, _Pending] = {}
        self.done = 0  # files settled (unchanged, extracted or failed): the progress count
        self._last_progress = 0.0
        # Every root the user added: a file whose real path lies in none of them is never read.
        self.real_roots = tuple(os.path.realpath(q.from_db_path(r["path"])) for r in q.list_roots(self.conn))
        self.skip_owners = set(q.skip_owner_ids(self.conn))  # items with skipped sidecars on record
        self.retry_paths, self.retry_dirs = self._failures_to_retry(retry_failed)

    def run(self, root_ids: list[int], workers: int = 0, timeout_s: float = 20.0) -> ScanReport:
        """Scan the roots and return the report; a cancelled scan keeps what it committed."""
        self._forget_sidecars_outside()
        self._recheck_skipped_sidecars()
        self._extract(self._tasks(root_ids), workers, timeout_s)
        self.report.cancelled = self.cancel.cancelled
        self.batch.flush()
        self._finish()
        return self.report

    # ----- walking and diffing -----------------------------------------------------------------
    def _tasks(self, root_ids: list[int]) -> Iterator[Task]:
        """The files of every root that need extracting, yielded while the walk goes on."""
        for root_id in root_ids:
            if self.cancel.cancelled:
                return
            yield from self._scan_root(root_id)

    def _scan_root(self, root_id: int) -> Iterator[Task]:
        root = q.root_path(self.conn, root_id)
        if _root_is_offline(self.conn, root_id, root):
            self.report.offline_roots.append(root)
            self.batch.add(lambda c: q.set_root_status(c, root_id, "offline", time.time()))
            return
        state = WalkState()
        visited: set[str] = set()
        skipped: set[str] = set()
        for listing in walk_media(root, state):
            if self.cancel.cancelled:
                return
            visited.add(listing.path)
            yield from self._diff_folder(root_id, listing.path, self._readable(listing, skipped))
        self.report.unreadable_dirs.extend(state.unreadable)
        self.report.too_deep += state.too_deep
        self.report.too_deep_dirs.extend(state.too_deep_dirs[:max(0, 20 - len(self.report.too_deep_dirs))])
        if self.cancel.cancelled:
            return
        self._mark_unvisited_missing(root_id, visited, state.unreadable)
        self._forget_stale_skips(root, skipped)
        self.batch.add(lambda c: q.set_root_status(c, root_id, "ok", time.time()))

    def _readable(self, listing: DirListing, skipped: set[str]) -> list[FileEntry]:
        """The folder's media files the scan may read: those whose real path lies in a library folder.
        The others are recorded as skipped (with where they lead), never read, and count as gone."""
        real_folder = listing.real_path or os.path.realpath(listing.path)
        folder_inside = inside(real_folder, self.real_roots)
        if folder_inside and all(entry.target is None for entry in listing.files):
            return listing.files
        files = []
        for entry in listing.files:
            real = entry.target or os.path.join(real_folder, entry.name)
            if (folder_inside and entry.target is None) or inside(real, self.real_roots):
                files.append(entry)
                continue
            self.report.skipped += 1
            skipped.add(entry.path)
            reason = outside_message(real)
            self.batch.add(functools.partial(q.record_skip, path=entry.path, reason=reason, item_id=None))
        return files

    def _forget_stale_skips(self, root: str, skipped: set[str]) -> None:
        """Skipped media files under this root that the walk no longer skips (gone, or readable now)."""
        prefix = root.rstrip(os.sep) + os.sep
        stale = [p for p in q.skipped_media_paths(self.conn) if p.startswith(prefix) and p not in skipped]
        if stale:
            self.batch.add(lambda c: q.forget_skips(c, stale))

    def _forget_sidecars_outside(self) -> None:
        """Stored sidecars that are links resolving outside every library folder (read by an Encore that
        followed them): dropped at once, their items extracted again by this scan."""
        gone = []
        for item_id, path_value in q.sidecar_rows(self.conn):
            path = q.from_db_path(path_value)
            if os.path.islink(path) and not inside(os.path.realpath(path), self.real_roots):
                gone.append((item_id, path_value))
        if gone:
            with self.store.write() as conn:
                for item_id, path_value in gone:
                    q.drop_sidecar(conn, item_id, path_value)

    def _recheck_skipped_sidecars(self) -> None:
        """Items whose skipped sidecar may be read now (its link leads into a folder since added, a FIFO
        became a file) are extracted again; records of sidecars that are gone are dropped."""
        again, gone = set(), []
        for item_id, path_value, reason in q.item_skips(self.conn):
            path = q.from_db_path(path_value)
            if not os.path.lexists(path):
                gone.append(path)
            elif "larger than" not in reason and check_readable(path, self.real_roots) is None:
                again.add(item_id)
        if again or gone:
            with self.store.write() as conn:
                q.extract_again(conn, again)
                q.forget_skips(conn, gone)

    def _failures_to_retry(self, retry_all: bool) -> tuple[set[str | bytes], set[str | bytes]]:
        """(stored paths, stored folders) of the failed files to try again although unchanged: every one
        when asked (`retry_all`), else those whose cause may have passed and whose backoff is over."""
        now = time.time()
        due = [f for f in q.scan_failures(self.conn)
               if retry_all or retry.due(f.error, f.attempts, f.last_at, now)]
        return {f.path for f in due}, {f.dir for f in due}

    def _diff_folder(self, root_id: int, folder: str, files: list[FileEntry]) -> Iterator[Task]:
        """Count the folder's unchanged files, queue the changed or new ones (and failed ones due for a
        retry), mark the vanished ones missing."""
        folder_value = q.to_db_path(folder)
        if folder_value not in self.retry_dirs and _folder_unchanged(
                q.folder_facts(self.conn, folder_value, EXTRACT_VERSION), files):
            self.report.seen += len(files)
            self._settled(len(files), files[-1].path if files else "", unchanged=True)
            return
        known = {q.from_db_path(row.filename): row for row in q.folder_items(self.conn, folder_value)}
        for entry in files:
            self.report.seen += 1
            row = known.get(entry.name)
            if row is not None and _is_current(row, entry):
                if row.status != "failed" or row.path not in self.retry_paths:
                    self._settled(1, entry.path, unchanged=True)
                    continue
                self.report.retried += 1
            self.inflight[entry.path] = _Pending(entry, row.id if row is not None else None, root_id)
            yield (entry.path, self.covers_dir, self.real_roots)
        names = {entry.name for entry in files}
        self._mark_missing([(row.id, row.path) for name, row in known.items()
                            if name not in names and row.status != "missing"])

    def _mark_unvisited_missing(self, root_id: int, visited: set[str], unreadable: list[str]) -> None:
        """Folders the library knows but the walk did not reach (and could read): their files vanished."""
        for dir_value in q.present_dirs(self.conn, root_id):
            folder = q.from_db_path(dir_value)
            if folder in visited or any(folder == s or folder.startswith(s + os.sep) for s in unreadable):
                continue
            self._mark_missing(q.present_items_in_dir(self.conn, dir_value))

    def _mark_missing(self, gone: list[tuple[int, str | bytes]]) -> None:
        # q.mark_missing checks the path, so this is a no-op for an item already re-linked to a new
        # path (moved, renamed or re-encoded) whose result was committed before this mark.
        if gone:
            now = time.time()
            self.batch.add(lambda c: q.mark_missing(c, gone, now))

    # ----- extracting and storing ----------------------------------------------------------------
    def _extract(self, tasks: Iterator[Task], workers: int, timeout_s: float) -> None:
        """Run the changed files through killable extract workers (none are started when nothing changed)."""
        first = next(tasks, None)
        if first is None:
            return
        pool = IsolatedPool("core.scan.extract:extract_file", workers=workers, timeout_s=timeout_s,
                            memory_limit_mb=2048, chunk_size=8)
        for task, result in pool.run(itertools.chain([first], tasks), should_stop=lambda: self.cancel.cancelled):
            self._on_result(task[0], result)

    def _on_result(self, path: str, result: dict[str, Any] | TaskFailure) -> None:
        pending = self.inflight.pop(path)
        self._settled(1, path)
        if isinstance(result, TaskFailure):
            self.report.failed += 1
            message = result.message
            self.batch.add(lambda c: self._store_failure(c, pending, message))
        else:
            self.batch.add(lambda c: self._store_result(c, pending, result))

    def _store_failure(self, conn: sqlite3.Connection, pending: _Pending, message: str) -> None:
        """A file that failed to extract: its item (new or existing) is marked failed and the error recorded."""
        entry, now = pending.entry, time.time()
        facts = dict(size=entry.size, mtime_ns=entry.mtime_ns, inode=entry.inode, status="failed", updated_at=now)
        item_id = pending.item_id
        if item_id is None:
            name = os.path.basename(entry.path)
            item_id = q.insert_item(conn, {**_location(pending.root_id, entry.path), "kind": kind_of(name) or "audio",
                                           **facts, "title": display_path(os.path.splitext(name)[0]), "added_at": now})
        else:
            q.update_item(conn, item_id, facts)
        q.record_failure(conn, entry.path, "scan", message, entry.size, entry.mtime_ns, item_id)

    def _store_result(self, conn: sqlite3.Connection, pending: _Pending, result: dict[str, Any]) -> None:
        """An extracted file: update its item, re-link a moved file's item, or add a new item."""
        skipped = result.get("skipped") or []
        self.report.skipped += len(skipped)
        if result.get("tags_dropped"):
            self.report.tags_truncated += 1
        values = q.item_values(result)
        item_id = pending.item_id
        if item_id is None:
            item_id = _find_moved(conn, result)
            if item_id is not None:
                self.report.moved += 1
        else:
            self.report.updated += 1
        values.update(_location(pending.root_id, pending.entry.path))
        if item_id is None:
            item_id = q.insert_item(conn, {**values, "added_at": values["updated_at"]})
            self.report.added += 1
            q.write_extracted(conn, item_id, result, new=True)  # a new path: no old rows, no failure to clear
            if skipped:
                q.set_item_skips(conn, item_id, skipped)
                self.skip_owners.add(item_id)
            return
        q.update_item(conn, item_id, values)
        q.write_extracted(conn, item_id, result)
        q.clear_failure(conn, pending.entry.path, "scan")
        if skipped or item_id in self.skip_owners:
            q.set_item_skips(conn, item_id, skipped)
            self.skip_owners.add(item_id)

    # ----- reporting -------------------------------------------------------------------------------
    def _finish(self) -> None:
        """Re-link re-encoded files, then count what the library holds now."""
        # Re-encoded files (new bytes, same recording) take over their vanished predecessor's item.
        self.report.reencoded = relink_reencoded(self.store, self.started_at)
        self.report.added -= self.report.reencoded
        self.report.missing = q.count_missing_since(self.conn, self.started_at)
        self.report.items_total = q.count_present_items(self.conn)
        self.report.seconds = round(time.monotonic() - self.started, 3)
        self._tell(force=True)

    def _settled(self, count: int, path: str, unchanged: bool = False) -> None:
        """`count` more files are done (unchanged ones also counted as such); tell the progress callback."""
        self.done += count
        if unchanged:
            self.report.unchanged += count
        if path:
            self._tell(path)

    def _tell(self, current: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if self.progress is None or (not force and now - self._last_progress <= PROGRESS_EVERY_S):
            return
        self._last_progress = now
        total = max(self.known_total, self.report.seen)
        rate = self.done / max(1e-6, now - self.started)
        eta = (total - self.done) / rate if rate > 0 and total > self.done else None
        self.progress(Progress("scan", self.done, total, display_path(current), eta))


def _find_moved(conn: sqlite3.Connection, result: dict[str, Any]) -> int | None:
    """An existing item with the same size and content hash whose file is gone: this file is it, moved."""
    for row in q.items_with_content(conn, result["size"], result["content_hash"]):
        if row["status"] == "missing" or not os.path.exists(q.from_db_path(row["path"])):
            return row["id"]
    return None


def scan(
    store: Store,
    covers_dir: str,
    roots: list[str] | None = None,
    workers: int = 0,
    timeout_s: float = 20.0,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
    retry_failed: bool = False,
) -> ScanReport:
    """Scan the given roots (all known roots when None) and bring the database up to date.

    Failed files are tried again when they changed, when their cause may have passed (core.scan.retry:
    bounded, with backoff) and, with `retry_failed`, all of them, now."""
    root_ids = [ensure_root(store, r) for r in roots] if roots else q.root_ids(store.conn)
    scanner = Scanner(store, covers_dir, progress=progress, cancel=cancel, retry_failed=retry_failed)
    return scanner.run(root_ids, workers=workers, timeout_s=timeout_s)
