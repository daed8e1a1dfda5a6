"""Health checks of the library database: a damaged file is reported, never written to.

Two ways to open: `ensure_healthy` runs `PRAGMA quick_check` before returning (the CLI, the upkeep
process); `open_check` reads only the header, the schema and the migrations table (milliseconds) and
`HealthCheck.start` runs the full quick_check on a background thread right after (the desktop app),
while writes wait for its verdict (`HealthCheck.require_ok`, installed as the Store's write gate).
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.errors import DamagedDatabaseError, DatabaseError  # noqa: F401 - re-exported for callers


@dataclass(frozen=True)
class HealthReport:
    """The result of checking one database file."""

    path: str
    ok: bool
    exists: bool
    detail: str  # "ok" or what SQLite found wrong
    seconds: float
    damaged: bool = False  # False when the check could not run (locked, no permission): not damage


_DAMAGE_WORDS = ("malformed", "not a database", "corrupt", "disk image", "encrypted")


def _says_damaged(message: str) -> bool:
    """Whether an SQLite error message means the file is damaged (not merely locked or unreadable)."""
    return any(w in message.lower() for w in _DAMAGE_WORDS)


def check(path: Path | str, full: bool = False, busy_timeout_s: float = 30.0,
          on_connect: Callable[[sqlite3.Connection | None], None] | None = None,
          readonly: bool = False) -> HealthReport:
    """Run `PRAGMA quick_check` (or `integrity_check` when `full`) on a database file.

    Opens a plain connection with no pragmas that write, so checking never changes the file
    (beyond SQLite's own recovery of a committed write-ahead log, which is the normal open path: the
    last connection's close copies the -wal into the file and deletes it). `readonly` opens it for
    reading only: the file and its -wal stay byte for byte as they were (restore checks the file it
    is about to set aside this way). `on_connect` is told the connection (and None when it closes),
    so another thread can interrupt it.
    """
    path = Path(path)
    started = time.monotonic()
    if not path.exists():
        return HealthReport(str(path), True, False, "no database yet", 0.0)
    try:
        conn = (sqlite3.connect(readonly_uri(path), uri=True, timeout=busy_timeout_s) if readonly else
                sqlite3.connect(str(path), timeout=busy_timeout_s))
    except sqlite3.Error as exc:
        return HealthReport(str(path), False, True, f"cannot open: {exc}", time.monotonic() - started,
                            damaged=_says_damaged(str(exc)))
    if on_connect is not None:
        on_connect(conn)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        pragma = "integrity_check" if full else "quick_check"
        rows = [r[0] for r in conn.execute(f"PRAGMA {pragma}(20)").fetchall()]
        ok = rows == ["ok"]
        detail = "ok" if ok else "; ".join(str(r) for r in rows)[:1000]
        damaged = not ok
    except sqlite3.Error as exc:  # "file is not a database", "database disk image is malformed", locked
        ok, detail = False, str(exc)
        damaged = _says_damaged(detail)
        if detail == "interrupted":
            detail = "the check was stopped because Encore is closing"
    finally:
        if on_connect is not None:
            on_connect(None)
        conn.close()
    return HealthReport(str(path), ok, True, detail, round(time.monotonic() - started, 3), damaged)


def readonly_uri(path: Path | str) -> str:
    """A `file:` URI that opens a database for reading only (any character in the path is safe)."""
    return Path(os.path.abspath(path)).as_uri() + "?mode=ro"


def schema_and_failures(path: Path | str) -> tuple[int, list[tuple[str, str]]]:
    """The highest migration applied to a library file and its failures as (stage, error) (0, [] when
    unreadable), read with a read-only connection (`encore doctor`)."""
    try:
        conn = sqlite3.connect(readonly_uri(path), uri=True)
    except sqlite3.Error:
        return 0, []
    try:
        done = [r[0] for r in conn.execute("SELECT number FROM schema_migrations")]
        failed = [(str(r[0]), str(r[1] or "")) for r in conn.execute("SELECT stage, error FROM failures")]
        return max(done, default=0), failed
    except sqlite3.Error:
        return 0, []
    finally:
        conn.close()


def damaged_message(report: HealthReport, backups: list[Path]) -> str:
    """What happened and what the user can do, in plain words."""
    lines = [
        f"the library database {report.path} is damaged ({report.detail}).",
        "Encore has not changed it and will not write to it.",
    ]
    if backups:
        lines.append(f"Restore the newest automatic backup ({backups[0].name}) with `encore restore` "
                     "(or `encore doctor --restore`); the damaged file is kept beside it, not deleted.")
    else:
        lines.append("There is no automatic backup to restore. Keep a copy of the file; you can try "
                     "`sqlite3 library.sqlite3 .recover` or rescan into a new data folder.")
    return " ".join(lines)


def ensure_healthy(db_path: Path | str, backups_dir: Path | str, busy_timeout_s: float = 30.0) -> HealthReport:
    """Raise DamagedDatabaseError (with what to do) unless the database passes `quick_check`."""
    return raise_for(check(db_path, busy_timeout_s=busy_timeout_s), backups_dir)


SQLITE_MAGIC = b"SQLite format 3\x00"


def open_check(path: Path | str, busy_timeout_s: float = 30.0) -> HealthReport:
    """The cheap part of the check, done synchronously at open: the file starts with SQLite's header,
    the schema parses (every `sqlite_master` page is read) and the migrations table is readable.

    It catches a file that is not a database, a truncated one (SQLite compares the header's page
    count with the file) and a damaged schema; damage inside table pages is left to `check`.
    """
    path = Path(path)
    started = time.monotonic()
    if not path.exists():
        return HealthReport(str(path), True, False, "no database yet", 0.0)
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        return HealthReport(str(path), False, True, f"cannot read: {exc}", time.monotonic() - started)
    if head and not head.startswith(SQLITE_MAGIC):
        return HealthReport(str(path), False, True, "file is not a database", time.monotonic() - started,
                            damaged=True)
    try:
        conn = sqlite3.connect(str(path), timeout=busy_timeout_s)
    except sqlite3.Error as exc:
        return HealthReport(str(path), False, True, f"cannot open: {exc}", time.monotonic() - started,
                            damaged=_says_damaged(str(exc)))
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        conn.execute("PRAGMA schema_version").fetchone()
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "schema_migrations" in names:
            conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()
        ok, detail, damaged = True, "ok (header and schema)", False
    except sqlite3.Error as exc:
        ok, detail = False, str(exc)
        damaged = _says_damaged(detail)
    finally:
        conn.close()
    return HealthReport(str(path), ok, True, detail, round(time.monotonic() - started, 3), damaged)


def raise_for(report: HealthReport, backups_dir: Path | str) -> HealthReport:
    """Return a passing report; raise DamagedDatabaseError (with what to do) or, when the check could
    not run (locked, no permission), a DatabaseError that does not call the file damaged."""
    if report.ok:
        return report
    if not report.damaged:
        from core.db.connection import disk_full_message, says_disk_full

        folder = Path(report.path).parent
        if says_disk_full(report.detail, folder):  # SQLite cannot even make its -shm: not a lock, not damage
            raise DatabaseError(disk_full_message(folder))
        raise DatabaseError(f"cannot check the library database {report.path}: {report.detail}. "
                            "Is another program holding it, or is the folder read-only?")
    from core.db.files import list_backups

    raise DamagedDatabaseError(damaged_message(report, list_backups(Path(backups_dir))))


class HealthCheck:
    """The integrity verdict on one library database, taken now or on a background thread.

    Until the verdict is in, `require_ok` (the Store's write gate) makes writers wait; after a failed
    check it raises, so a damaged database is never written to. `then` (the daily backup) runs on the
    same thread only after a passing check, so a damaged file is never copied over a good backup.
    """

    def __init__(self, db_path: Path | str, backups_dir: Path | str, busy_timeout_s: float = 30.0) -> None:
        self.db_path = Path(db_path)
        self.backups_dir = Path(backups_dir)
        self.busy_timeout_s = busy_timeout_s
        self.report: HealthReport | None = None
        self.error: DatabaseError | None = None  # DamagedDatabaseError when the file is damaged
        self.background = False
        self.thread: threading.Thread | None = None
        self._done = threading.Event()
        self._go = threading.Event()
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._cancelled = False

    # ----- the verdict ------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def damaged(self) -> bool:
        return isinstance(self.error, DamagedDatabaseError)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the verdict; True when it is in."""
        return self._done.wait(timeout)

    def require_ok(self) -> None:
        """Wait for the verdict; raise its error when the database failed (or could not be) checked."""
        self._done.wait()
        if self.error is not None:
            raise self.error

    # ----- running it -------------------------------------------------------------------------
    def run_now(self) -> HealthReport:
        """quick_check on this thread; raises like `ensure_healthy`."""
        report = check(self.db_path, busy_timeout_s=self.busy_timeout_s)
        self._settle(report)
        if self.error is not None:
            raise self.error
        return report

    def start(self, then: Callable[[], object] | None = None, full_check: bool = True,
              hold_s: float = 0.0) -> threading.Thread:
        """Run quick_check (when `full_check`; else keep the verdict already recorded) and then `then`,
        on a daemon thread with its own connection, at low CPU priority (nice 10: it must not slow the
        window). With `hold_s` the thread first waits until `go()` or `hold_s` seconds, so the app can
        draw its first frame before the check competes for the CPU."""
        self.background = full_check

        def work() -> None:
            if hold_s > 0:
                self._go.wait(hold_s)
            try:  # Linux: a thread id is a valid target; this lowers only this thread's priority
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
            except (AttributeError, OSError):
                pass
            if full_check and self._cancelled:  # closed before the check began
                self._settle(HealthReport(str(self.db_path), False, True, "not checked: closing", 0.0))
            elif full_check:
                try:
                    self._settle(check(self.db_path, busy_timeout_s=self.busy_timeout_s, on_connect=self._register))
                except BaseException as exc:  # noqa: BLE001 - never leave writers waiting forever
                    self._settle(HealthReport(str(self.db_path), False, True, f"check failed: {exc}", 0.0))
            if then is not None and self.error is None and not self._cancelled:
                try:
                    then()
                except Exception:  # noqa: BLE001 - a failed daily backup must never disturb the app
                    pass

        self.thread = threading.Thread(target=work, name="encore-health-check", daemon=True)
        self.thread.start()
        return self.thread

    def go(self) -> None:
        """Start a held check now (the window is on screen)."""
        self._go.set()

    def cancel(self) -> None:
        """Interrupt a check still running (the library is closing): the verdict becomes 'not checked',
        which refuses writes, and the daily backup is skipped."""
        self._go.set()
        with self._lock:
            self._cancelled = True
            if self._conn is not None:
                self._conn.interrupt()

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def _register(self, conn: sqlite3.Connection | None) -> None:
        with self._lock:
            self._conn = conn
            if conn is not None and self._cancelled:
                conn.interrupt()

    def _settle(self, report: HealthReport) -> None:
        self.report = report
        try:
            raise_for(report, self.backups_dir)
        except DamagedDatabaseError as exc:
            self.error = exc
        except DatabaseError as exc:
            self.error = DatabaseError("the library is closing; nothing more is saved") if self._cancelled else exc
        self._done.set()


# ----- an empty file where a library was (issue 16, case 3) ------------------------------------------
def empty_file(path: Path | str, backups_dir: Path | str) -> HealthReport | None:
    """A damaged report when the database file is empty (0 bytes) while backups (or a -wal) show that
    a library was there; None otherwise. A 0-byte file with neither (a crash while a brand-new library
    was being created) is a new library, as before."""
    from core.db.files import list_backups

    path = Path(path)
    try:
        if path.stat().st_size != 0:
            return None
    except OSError:
        return None
    backups = list_backups(Path(backups_dir))
    wal = path.with_name(path.name + "-wal")
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    if not backups and not wal_bytes:
        return None
    held = (f"{len(backups)} backup{'s' if len(backups) != 1 else ''} hold a library" if backups else
            f"its -wal holds {wal_bytes} bytes")
    return HealthReport(str(path), False, True, f"the file is empty (0 bytes) while {held}", 0.0, damaged=True)


# ----- a lost or cut-short write-ahead log (issue 16, case 4) ----------------------------------------
SHM_HEADER = struct.Struct("=IIIBBHIIIIIIII")  # SQLite's WalIndexHdr (native byte order), twice, then nBackfill


def lost_writes(path: Path | str) -> str | None:
    """Why committed changes are missing from the database because its -wal was deleted or cut short
    (or replaced), or None. Reads only files: run it before anything connects (SQLite's first
    connection resets the -shm, the evidence) and only while no other process has the library open.

    Two witnesses: the -shm left by a process that did not close (a crash) says how many frames were
    committed and how many of them are already in the main file; the -wal-pending marker (written by
    the Store when a checkpoint could not copy everything) says how long the -wal must be, for when
    the -shm is gone too."""
    from core.db.connection import pending_path

    path = Path(path)
    wal = path.with_name(path.name + "-wal")
    shm = path.with_name(path.name + "-shm")
    try:
        wal_bytes = wal.stat().st_size if wal.exists() else None
        with open(shm, "rb") as fh:
            raw = fh.read(SHM_HEADER.size * 2 + 4)
    except OSError:
        raw = b""
    if len(raw) == SHM_HEADER.size * 2 + 4 and raw[:48] == raw[48:96]:
        (version, _, _, is_init, _, page, frames, _, _, _, _, _, _, _) = SHM_HEADER.unpack(raw[:48])
        backfilled = struct.unpack("=I", raw[96:100])[0]
        page = 65536 if page == 1 else page
        if version == 3007000 and is_init and page and frames > backfilled:
            unsaved = frames - backfilled
            need = 32 + frames * (page + 24)
            if wal_bytes is None:
                return _lost(path, "is missing", unsaved)
            if wal_bytes < need:
                return _lost(path, f"was cut short ({wal_bytes} of at least {need} bytes)", unsaved)
            try:
                with open(wal, "rb") as fh:
                    salts = fh.read(24)[16:24]
            except OSError:
                salts = b""
            if salts != raw[32:40]:
                return _lost(path, "is not the one the library was writing (it was replaced)", unsaved)
            return None
    marker = pending_path(path)
    try:
        state = json.loads(marker.read_text(encoding="utf-8"))
        need, mtime_ns = int(state["wal_bytes"]), int(state["db_mtime_ns"])
        db_mtime_ns = path.stat().st_mtime_ns
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if db_mtime_ns > mtime_ns:
        return None  # a checkpoint wrote into the main file since the marker: the changes are in it
    if wal_bytes is None:
        return _lost(path, "is missing", None)
    if wal_bytes < need:
        return _lost(path, f"was cut short ({wal_bytes} of at least {need} bytes)", None)
    return None


def _lost(path: Path, what: str, pages: int | None) -> str:
    size = f" ({pages} database pages)" if pages else ""
    return (f"the write-ahead log {path.name}-wal beside {path} {what}: the last changes Encore saved "
            f"before it stopped{size}, such as plays, likes or playlists, are not in {path.name} and are "
            f"lost unless that file comes back. If you have it, put it back as {path}-wal before opening "
            "the library again")


def refuse_lost_writes(path: Path | str) -> None:
    """At open, when no other process has the library: raise DatabaseError once when `lost_writes`
    finds changes missing. The witnesses (-shm, -wal-pending) are moved aside first, so the next open
    goes on with what the main file holds (a -wal put back later is still read: SQLite rebuilds the
    -shm from it)."""
    from core.db.files import move_aside

    path = Path(path)
    problem = lost_writes(path)
    if problem is None:
        return
    from core.db.connection import pending_path

    for witness in (path.with_name(path.name + "-shm"), pending_path(path)):
        if witness.exists():
            try:
                move_aside(witness, "lost")
            except OSError:
                pass
    raise DatabaseError(problem + "; opening it again goes on without them (the main file is intact).")
