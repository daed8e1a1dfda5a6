"""The incremental scan: walk -> diff against the database -> extract changed files -> batched commits."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from core.db import items as q
from core.db.connection import Store
from core.isolation import IsolatedPool, TaskFailure
from core.models import CancelToken, Progress
from core.scan.extract import EXTRACT_VERSION
from core.scan.formats import kind_of
from core.scan.relink import relink_reencoded
from core.scan.walk import FileEntry, WalkState, walk_media
from core.text import display_path

BATCH_ITEMS = 200
BATCH_SECONDS = 2.0


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

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["unreadable_dirs"] = [display_path(p) for p in self.unreadable_dirs]
        out["offline_roots"] = [display_path(p) for p in self.offline_roots]
        return out


class _Batch:
    """Writes queued by the scan, committed together every BATCH_ITEMS or BATCH_SECONDS."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ops: list[Callable] = []
        self.last = time.monotonic()

    def add(self, op: Callable) -> None:
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


def _root_is_offline(store: Store, root_id: int, root: str) -> bool:
    """A root that is unreachable, or empty while the library has items there, is treated as offline."""
    if not os.path.isdir(root):
        return True
    try:
        with os.scandir(root) as it:
            has_entries = any(True for _ in it)
    except OSError:
        return True
    if has_entries:
        return False
    known = store.conn.execute(
        "SELECT 1 FROM items WHERE root_id = ? AND status != 'missing' LIMIT 1", (root_id,)
    ).fetchone()
    return known is not None


def ensure_root(store: Store, path: str) -> int:
    """The id of a library root, adding it when new."""
    path = os.path.abspath(os.path.expanduser(path))
    row = store.conn.execute("SELECT id FROM roots WHERE path = ?", (q.to_db_path(path),)).fetchone()
    if row:
        return row["id"]
    with store.write() as conn:
        cur = conn.execute("INSERT INTO roots (path, added_at) VALUES (?, ?)", (q.to_db_path(path), time.time()))
        return cur.lastrowid


def scan(
    store: Store,
    covers_dir: str,
    roots: list[str] | None = None,
    workers: int = 0,
    timeout_s: float = 20.0,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
) -> ScanReport:
    """Scan the given roots (all known roots when None) and bring the database up to date."""
    started = time.monotonic()
    scan_started_at = time.time()
    cancel = cancel or CancelToken()
    report = ScanReport()
    root_ids = [ensure_root(store, r) for r in roots] if roots else [
        r["id"] for r in store.conn.execute("SELECT id FROM roots ORDER BY id")
    ]
    known_total = store.conn.execute("SELECT COUNT(*) FROM items WHERE status != 'missing'").fetchone()[0]
    batch = _Batch(store)
    inflight: dict[str, tuple[FileEntry, int | None, int]] = {}
    last_progress = [0.0]
    done = [0]

    def tell(current: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if progress and (force or now - last_progress[0] > 0.1):
            last_progress[0] = now
            total = max(known_total, report.seen)
            rate = done[0] / max(1e-6, now - started)
            eta = (total - done[0]) / rate if rate > 0 and total > done[0] else None
            progress(Progress("scan", done[0], total, display_path(current), eta))

    def tasks() -> Iterator[tuple[str, str]]:
        for root_id in root_ids:
            if cancel.cancelled:
                return
            root = q.from_db_path(store.conn.execute("SELECT path FROM roots WHERE id = ?", (root_id,)).fetchone()[0])
            if _root_is_offline(store, root_id, root):
                report.offline_roots.append(root)
                batch.add(lambda c, rid=root_id: c.execute(
                    "UPDATE roots SET last_status = 'offline', last_scan_at = ? WHERE id = ?", (time.time(), rid)))
                continue
            state = WalkState()
            visited: set[str] = set()
            for listing in walk_media(root, state):
                if cancel.cancelled:
                    return
                visited.add(listing.path)
                yield from _diff_folder(root_id, listing.path, listing.files)
            report.unreadable_dirs.extend(state.unreadable)
            if cancel.cancelled:
                return
            # Folders the library knows but the walk did not reach: their files vanished.
            skip = set(state.unreadable)
            dirs = store.conn.execute(
                "SELECT DISTINCT dir FROM items WHERE root_id = ? AND status != 'missing'", (root_id,)
            ).fetchall()
            for (dir_value,) in dirs:
                folder = q.from_db_path(dir_value)
                if folder in visited or any(folder == s or folder.startswith(s + os.sep) for s in skip):
                    continue
                gone = [(r[0], r[1]) for r in store.conn.execute(
                    "SELECT id, path FROM items WHERE dir = ? AND status != 'missing'", (dir_value,))]
                _mark_missing(gone)
            batch.add(lambda c, rid=root_id: c.execute(
                "UPDATE roots SET last_status = 'ok', last_scan_at = ? WHERE id = ?", (time.time(), rid)))

    def _mark_missing(gone: list[tuple[int, str | bytes]]) -> None:
        # The path check makes this a no-op for an item already re-linked to a new path (moved,
        # renamed or re-encoded) whose result was committed before this mark.
        if gone:
            now = time.time()
            batch.add(lambda c: c.executemany(
                "UPDATE items SET status = 'missing', missing_since = ?, updated_at = ? WHERE id = ? AND path = ?",
                [(now, now, i, path_value) for i, path_value in gone]))

    diff_cursor = store.conn.cursor()
    diff_cursor.row_factory = None  # plain tuples: the unchanged-rescan hot path

    def _diff_folder(root_id: int, folder: str, files: list[FileEntry]) -> Iterator[tuple[str, str]]:
        folder_value = q.to_db_path(folder)
        # The rescan hot path: when the folder's (name, size, mtime, inode) set equals what the library
        # holds (every row current or failed-and-unchanged, none missing), compare it in one set operation.
        current = diff_cursor.execute(
            "SELECT filename, size, mtime_ns, inode, status = 'missing' OR (status = 'ok' AND extract_version != ?) "
            "FROM items WHERE dir = ?", (EXTRACT_VERSION, folder_value)).fetchall()
        if len(current) == len(files) and not any(r[4] for r in current) and all(
                isinstance(r[0], str) for r in current) and {r[:4] for r in current} == {
                (e.name, e.size, e.mtime_ns, e.inode) for e in files}:
            report.seen += len(files)
            report.unchanged += len(files)
            done[0] += len(files)
            if files:
                tell(files[-1].path)
            return
        # (filename) -> (id, path, size, mtime_ns, inode, status, extract_version)
        known = {
            (r[2] if isinstance(r[2], str) else q.from_db_path(r[2])): r for r in diff_cursor.execute(
                "SELECT id, path, filename, size, mtime_ns, inode, status, extract_version FROM items WHERE dir = ?",
                (folder_value,)).fetchall()
        }
        names = set()
        for entry in files:
            report.seen += 1
            names.add(entry.name)
            row = known.get(entry.name)
            if row is not None and row[6] != "missing" and row[3] == entry.size \
                    and row[4] == entry.mtime_ns and row[5] == entry.inode \
                    and (row[6] == "failed" or row[7] == EXTRACT_VERSION):
                report.unchanged += 1
                done[0] += 1
                tell(entry.path)
                continue
            inflight[entry.path] = (entry, row[0] if row is not None else None, root_id)
            yield (entry.path, covers_dir)
        gone = [(r[0], r[1]) for name, r in known.items() if name not in names and r[6] != "missing"]
        _mark_missing(gone)

    def on_result(path: str, result: Any) -> None:
        entry, item_id, root_id = inflight.pop(path)
        done[0] += 1
        tell(path)
        if isinstance(result, TaskFailure):
            report.failed += 1
            batch.add(lambda c: _store_failure(c, entry, item_id, root_id, result.message))
        else:
            batch.add(lambda c: _store_result(c, entry, item_id, root_id, result, report))

    source = tasks()
    first = next(source, None)
    if first is not None:
        def all_tasks() -> Iterator[tuple[str, str]]:
            yield first
            yield from source

        pool = IsolatedPool("core.scan.extract:extract_file", workers=workers, timeout_s=timeout_s,
                            memory_limit_mb=2048, chunk_size=8)
        for (path, _), result in pool.run(all_tasks(), should_stop=lambda: cancel.cancelled):
            on_result(path, result)
    report.cancelled = cancel.cancelled
    batch.flush()
    # Re-encoded files (new bytes, same recording) take over their vanished predecessor's item.
    report.reencoded = relink_reencoded(store, scan_started_at)
    report.added -= report.reencoded
    report.missing = store.conn.execute(
        "SELECT COUNT(*) FROM items WHERE status = 'missing' AND missing_since >= ?", (scan_started_at,)
    ).fetchone()[0]
    report.items_total = store.conn.execute("SELECT COUNT(*) FROM items WHERE status != 'missing'").fetchone()[0]
    report.seconds = round(time.monotonic() - started, 3)
    tell(force=True)
    return report


def _store_failure(conn, entry: FileEntry, item_id: int | None, root_id: int, message: str) -> None:
    now = time.time()
    values = dict(size=entry.size, mtime_ns=entry.mtime_ns, inode=entry.inode, status="failed", updated_at=now)
    if item_id is None:
        folder, name = os.path.split(entry.path)
        cur = conn.execute(
            """INSERT INTO items (root_id, path, dir, filename, ext, kind, size, mtime_ns, inode, status,
               title, added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'failed', ?, ?, ?)""",
            (root_id, q.to_db_path(entry.path), q.to_db_path(folder), q.to_db_path(name),
             os.path.splitext(name)[1][1:].lower(),
             kind_of(name) or "audio", entry.size, entry.mtime_ns, entry.inode,
             display_path(os.path.splitext(name)[0]), now, now))
        item_id = cur.lastrowid
    else:
        conn.execute(
            "UPDATE items SET size=:size, mtime_ns=:mtime_ns, inode=:inode, status=:status, updated_at=:updated_at "
            f"WHERE id = {int(item_id)}", values)
    q.record_failure(conn, entry.path, "scan", message, entry.size, entry.mtime_ns, item_id)


def _store_result(conn, entry: FileEntry, item_id: int | None, root_id: int, result: dict, report: ScanReport) -> None:
    values = q.item_values(result)
    folder, name = os.path.split(entry.path)
    location = dict(root_id=root_id, path=q.to_db_path(entry.path), dir=q.to_db_path(folder), filename=q.to_db_path(name),
                    ext=os.path.splitext(name)[1][1:].lower())
    if item_id is None:
        item_id = _find_moved(conn, result)
        if item_id is not None:
            report.moved += 1
    else:
        report.updated += 1
    values.update(location)
    if item_id is None:
        values["added_at"] = values["updated_at"]
        cols = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        item_id = conn.execute(f"INSERT INTO items ({cols}) VALUES ({marks})", values).lastrowid
        report.added += 1
        q.write_extracted(conn, item_id, result, new=True)  # a new path: no old rows, no failure to clear
        return
    sets = ", ".join(f"{k} = :{k}" for k in values)
    conn.execute(f"UPDATE items SET {sets} WHERE id = {int(item_id)}", values)
    q.write_extracted(conn, item_id, result)
    q.clear_failure(conn, entry.path, "scan")


def _find_moved(conn, result: dict) -> int | None:
    """An existing item with the same size and content hash whose file is gone: this file is it, moved."""
    for row in conn.execute(
        "SELECT id, path, status FROM items WHERE size = ? AND content_hash = ? ORDER BY status = 'missing' DESC",
        (result["size"], result["content_hash"]),
    ):
        if row["status"] == "missing" or not os.path.exists(q.from_db_path(row["path"])):
            return row["id"]
    return None

