"""Opening the library database: WAL, busy timeout, one writer lock per process, a checkpoint per write."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import DatabaseError  # noqa: F401 - re-exported: callers catch it from here

# Written beside the database when a checkpoint after a write could not copy every committed frame
# into the main file (a reader held an older snapshot): until a later checkpoint completes, those
# changes live only in the -wal, so a lost -wal would lose them (core.db.integrity.lost_writes reads it).
PENDING_SUFFIX = "-wal-pending"


def pending_path(db_path: Path | str) -> Path:
    """The marker file that says committed changes are still only in the -wal."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + PENDING_SUFFIX)


def connect(path: Path | str, readonly: bool = False) -> sqlite3.Connection:
    """A connection in WAL mode with sane pragmas; `readonly` opens it for reading only."""
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=30)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class Store:
    """The database of one library: a writer connection guarded by a lock, and reader connections.

    Every write goes through `write()` (a transaction under the lock) so there is one writer per
    process; readers open their own WAL connections and never block the writer. After each write that
    changed rows, a PASSIVE checkpoint copies the write-ahead log into the main file, so a -wal deleted
    or cut short after a crash cannot lose an acknowledged play, like or playlist (cost measured in
    docs/RELIABILITY.md: 11-34 ms per play on a loaded ext4 VM, two fsyncs).
    """

    checkpoint_after_write = True  # tests switch it off to reproduce changes that live only in the -wal

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn = connect(self.path)
        self._db = None
        self.lock = threading.RLock()
        self._local = threading.local()
        # Called before every write: waits for the start-up integrity verdict and raises when the file
        # failed it (see core.db.integrity.HealthCheck), so a damaged database is never written to.
        self.write_gate: Callable[[], None] | None = None

    @property
    def db(self):
        """A sqlite_utils view of the writer connection (imported on first use: it pulls in numpy)."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self._conn)
        return self._db

    @property
    def conn(self) -> sqlite3.Connection:
        """The writer connection (also fine for reads on the thread that owns the Store)."""
        return self._conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: commits on success, rolls back on error."""
        if self.write_gate is not None:
            self.write_gate()
        with self.lock:
            before = self._conn.total_changes
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.rollback()
                raise
            else:
                self._conn.commit()
                if self.checkpoint_after_write and self._conn.total_changes != before:
                    self.checkpoint()

    def checkpoint(self) -> bool:
        """Copy committed frames from the -wal into the main file without waiting for readers; True when
        all of them are in. When some are not, the -wal-pending marker records how long the -wal must
        be (so a lost -wal is reported, never silent); a complete checkpoint removes it."""
        try:
            busy, frames, done = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            return False  # the write is committed; a failed checkpoint must never undo that
        marker = pending_path(self.path)
        if frames < 0:  # not in WAL mode (or another checkpoint is running): nothing to say
            return False
        if busy or done < frames:
            try:
                page = self._conn.execute("PRAGMA page_size").fetchone()[0]
                state = {"frames": frames, "wal_bytes": 32 + frames * (page + 24), "at": time.time(),
                         "db_mtime_ns": os.stat(self.path).st_mtime_ns}
                tmp = marker.with_name(marker.name + ".tmp")
                tmp.write_text(json.dumps(state), encoding="utf-8")
                os.replace(tmp, marker)
            except (OSError, sqlite3.Error):
                pass
            return False
        try:
            marker.unlink(missing_ok=True)
        except OSError:
            pass
        return True

    def reader(self) -> sqlite3.Connection:
        """A per-thread read connection (WAL lets it read while the writer commits)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
        return conn

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """Run a read query on this thread's reader connection."""
        return self.reader().execute(sql, params).fetchall()

    def close(self) -> None:
        try:
            self._conn.close()
        finally:
            conn = getattr(self._local, "conn", None)
            if conn is not None:
                conn.close()
            # The last connection's close checkpoints everything and deletes the -wal: nothing pending.
            wal = self.path.with_name(self.path.name + "-wal")
            marker = pending_path(self.path)
            try:
                if marker.exists() and not wal.exists():
                    marker.unlink(missing_ok=True)
            except OSError:
                pass
