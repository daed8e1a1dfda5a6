"""Opening the library database: WAL, busy timeout, one writer lock per process."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import DatabaseError  # noqa: F401 - re-exported: callers catch it from here


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
    process; readers open their own WAL connections and never block the writer.
    """

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
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.rollback()
                raise
            else:
                self._conn.commit()

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
