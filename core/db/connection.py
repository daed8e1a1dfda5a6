"""Opening the library database: WAL, busy timeout, one writer lock per process, a checkpoint per write;
a full disk and a database file deleted under Encore said in plain words."""

from __future__ import annotations

import errno
import json
import os
import shutil
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


# An SQLite "disk I/O error" while the disk has less than this free is a full disk (SQLite reports
# growing its -shm or -wal into no space as an I/O error, not as SQLITE_FULL).
LOW_SPACE_BYTES = 1024 * 1024


def free_bytes(folder: Path | str) -> int | None:
    """Free space on the disk holding `folder` (its nearest existing parent), None when unknown."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def says_disk_full(message: str, folder: Path | str) -> bool:
    """Whether an SQLite error message means the disk holding `folder` has no room."""
    text = message.lower()
    if "disk is full" in text or "no space left" in text:
        return True
    if "disk i/o error" in text:
        free = free_bytes(folder)
        return free is not None and free < LOW_SPACE_BYTES
    return False


def is_disk_full(exc: BaseException, folder: Path | str) -> bool:
    """Whether `exc` (an SQLite error or an OSError) means the disk holding `folder` has no room
    (ENOSPC, a quota, or a file-size limit: each leaves no room for the write)."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC))
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == getattr(sqlite3, "SQLITE_FULL", 13) or \
            says_disk_full(str(exc), folder)
    return False


def disk_full_message(folder: Path | str, outcome: str = "nothing was lost") -> str:
    """What Encore says when the disk is full (a failed write is rolled back: what was saved stays)."""
    return f"the disk holding {folder} is full: free some space; {outcome}"


def storage_error(exc: BaseException, folder: Path | str, outcome: str = "nothing was lost") -> DatabaseError | None:
    """A DatabaseError in plain words when `exc` is a storage fault (a full disk, or an I/O error SQLite
    could not say more about), else None. `outcome` says what happened to the user's data."""
    if is_disk_full(exc, folder):
        return DatabaseError(disk_full_message(folder, outcome))
    io_error = (isinstance(exc, sqlite3.OperationalError) and "disk i/o error" in str(exc).lower()) or \
        (isinstance(exc, OSError) and exc.errno == errno.EIO)
    if io_error:
        return DatabaseError(f"the disk holding {folder} reported an error ({exc}): it may be full or failing. "
                             f"Free some space or check the disk; {outcome}")
    return None


def file_identity(path: Path | str) -> tuple[int, int] | None:
    """(device, inode) of a file, None when it is not there."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def vanished_message(db_path: Path | str, doing: str) -> str:
    """What Encore says when the database it is writing was deleted (or replaced) under it."""
    db_path = Path(db_path)
    if not db_path.parent.exists():
        return (f"the data folder {db_path.parent} was deleted while Encore was working ({doing}); "
                "nothing was saved after it was deleted")
    return (f"the library database {db_path} was deleted or replaced while Encore was working ({doing}); "
            "nothing was saved after that")


def _holds_nothing(db_path: Path) -> bool:
    """Whether a database file holds no table: at most its first page (every table needs a root page of
    its own) and no -wal content. Reads only the file sizes and the header (no connection: on a full disk
    SQLite may not even open it)."""
    wal = db_path.with_name(db_path.name + "-wal")
    try:
        size = db_path.stat().st_size
        if wal.exists() and wal.stat().st_size > 0:
            return False
        if size == 0:
            return True
        with open(db_path, "rb") as fh:
            head = fh.read(100)
    except OSError:
        return False
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        return False
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    return size <= page


def remove_new_empty(db_path: Path | str) -> None:
    """After an open that created the database file failed (a full disk...), remove what it left: a
    file with no table in it (0 bytes, or the header the switch to WAL wrote) and its -wal/-shm, only
    while no other process has the library open."""
    from core.db.lock import LibraryLock

    db_path = Path(db_path)
    lock = LibraryLock(db_path)
    if not lock.try_exclusive():
        return
    try:
        if not _holds_nothing(db_path):
            return
        for side in ("", "-wal", "-shm", PENDING_SUFFIX):
            try:
                db_path.with_name(db_path.name + side).unlink(missing_ok=True)
            except OSError:
                pass
    finally:
        lock.release()


WAL_SWITCH_WAIT_S = 30.0


def _journal_mode_wal(conn: sqlite3.Connection) -> None:
    """PRAGMA journal_mode = WAL, waiting for another process that holds the file. Switching a new database to
    WAL takes an exclusive lock, and where waiting could deadlock SQLite answers "database is locked" at once
    instead of calling its busy handler (sqlite3_busy_handler's documentation): seen once in CI with two
    `encore scan` starting on one new data folder (tests/reliability/test_writers.py)."""
    deadline, delay = time.monotonic() + WAL_SWITCH_WAIT_S, 0.01
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(0.25, delay * 2)


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
        _journal_mode_wal(conn)
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
        # The file this connection writes: when the path later names another file or none (the data folder
        # was deleted), writes go to a deleted file and are lost; `vanished()` says so.
        self.identity = file_identity(self.path)
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
            if self.vanished():  # a write would go into a deleted file: lost without a word
                raise DatabaseError(vanished_message(self.path, "saving"))
            before = self._conn.total_changes
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                full = storage_error(exc, self.path.parent)
                if full is not None:
                    raise full from exc
                raise
            try:
                yield self._conn
                self._conn.commit()
            except BaseException as exc:
                try:
                    self._conn.rollback()
                except sqlite3.Error:
                    pass
                # SQLITE_FULL: the transaction is rolled back, what was committed before stays.
                full = storage_error(exc, self.path.parent)
                if full is not None:
                    raise full from exc
                raise
            if self.checkpoint_after_write and self._conn.total_changes != before:
                self.checkpoint()

    def vanished(self) -> bool:
        """Whether the database file was deleted (or replaced) since this Store opened it."""
        return self.identity is not None and file_identity(self.path) != self.identity

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
            if self.vanished():  # connecting would make a new, empty library (and data folder) there
                raise DatabaseError(vanished_message(self.path, "reading"))
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
