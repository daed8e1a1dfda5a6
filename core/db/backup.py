"""Automatic, rotating backups of the library database (SQLite backup API) and restoring them.

Backups are taken before migrations and once a day when the library changed. Restoring never
deletes or overwrites anything: the current file is moved aside under a name nothing has, then the
backup is copied in; it refuses while the library is open, and a healthy, newer file needs `force`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import datetime
from pathlib import Path

from core.db.connection import PENDING_SUFFIX, DatabaseError, storage_error
from core.db.files import PREFIX, SUFFIX, list_backups, move_aside  # noqa: F401 - list_backups: callers read it here

KEEP_BACKUPS = 7
DAILY_SECONDS = 24 * 3600
STATE_FILE = "backups.json"


def fingerprint(conn: sqlite3.Connection) -> str:
    """A cheap summary that changes whenever user data changes (row counts, newest rowids and times)."""
    parts = []
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' "
        "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts_%' ORDER BY name")]
    for table in tables:
        try:
            count, top = conn.execute(f'SELECT COUNT(*), MAX(rowid) FROM "{table}"').fetchone()
        except sqlite3.Error:  # WITHOUT ROWID tables
            count, top = conn.execute(f'SELECT COUNT(*), 0 FROM "{table}"').fetchone()
        parts.append(f"{table}:{count}:{top}")
    for sql in ("SELECT MAX(updated_at) FROM items", "SELECT MAX(rated_at) FROM ratings",
                "SELECT MAX(updated_at) FROM resume_positions"):
        try:
            parts.append(str(conn.execute(sql).fetchone()[0]))
        except sqlite3.Error:
            parts.append("-")
    return "|".join(parts)


def take_backup(conn: sqlite3.Connection, backups_dir: Path | str, reason: str = "manual",
                keep: int = KEEP_BACKUPS) -> Path:
    """Copy the live database (a consistent snapshot, even while others read) to a new backup file.

    The copy is written to a temporary name that carries this process's id, checked with `quick_check`,
    then renamed, so a crash never leaves a half backup that looks whole; any failure (a full disk, a
    damaged copy) removes the temporary file before raising, and a copy whose writer was killed is
    removed by the next open (`remove_stale_temps`). Old backups beyond `keep` are removed.
    """
    folder = Path(backups_dir)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    dest = folder / f"{PREFIX}{stamp}-{reason}{SUFFIX}"
    tmp = folder / f".{dest.name}.{os.getpid()}{TMP_SUFFIX}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(folder)
        target = sqlite3.connect(str(tmp))
        try:
            conn.backup(target)
            # A backup is never written again: in rollback-journal mode, reading it (restore's checks)
            # leaves no -wal/-shm beside it (WAL mode made SQLite create both on every read).
            target.execute("PRAGMA journal_mode=DELETE")
            ok = target.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            target.close()
        if not ok:
            raise DatabaseError("the backup copy failed its integrity check; the database may be damaged")
        os.replace(tmp, dest)
    except BaseException as exc:
        _unlink_quietly(tmp)
        _unlink_quietly(tmp.with_name(tmp.name + "-journal"))
        fault = storage_error(exc, folder, "no backup was taken, nothing was lost")
        if fault is not None:
            raise fault from exc
        raise
    try:
        _save_state(folder, {"last_backup_at": time.time(), "fingerprint": fingerprint(conn), "last": dest.name})
    except OSError as exc:  # the backup is whole; only the note of when it was taken is missing
        _unlink_quietly(folder / f".{STATE_FILE}.tmp")
        fault = storage_error(exc, folder, "the backup was taken, only the note of when is missing")
        if fault is not None:
            raise fault from exc
        raise
    for old in list_backups(folder)[keep:]:
        for side in ("", "-wal", "-shm"):  # -wal/-shm: left by reads of backups taken before DELETE mode
            _unlink_quietly(old.with_name(old.name + side))
    return dest


TMP_SUFFIX = ".tmp"
STALE_UNKNOWN_S = 3600  # a temporary copy without a writer pid (older Encore) is left this long
STALE_ALIVE_S = 24 * 3600  # ... and one whose pid is alive (maybe reused by another program) this long


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: alive
    return True


def remove_stale_temps(backups_dir: Path | str) -> list[Path]:
    """Remove the temporary copies a killed backup left (`.library-...sqlite3.PID.tmp`): at once when
    process PID is gone, else after a day; names without a pid (older Encore) after an hour. Returns
    what was removed. A copy being written by a live process, this one included, is left alone."""
    folder = Path(backups_dir)
    removed: list[Path] = []
    try:
        stale = list(folder.glob(f".{PREFIX}*{TMP_SUFFIX}"))
    except OSError:
        return removed
    now = time.time()
    for path in stale:
        pid_text = path.name[: -len(TMP_SUFFIX)].rsplit(".", 1)[-1]
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue
        if pid_text.isdigit():
            pid = int(pid_text)
            gone = pid != os.getpid() and not _pid_alive(pid)
            if not gone and not (pid != os.getpid() and age > STALE_ALIVE_S):
                continue
        elif age <= STALE_UNKNOWN_S:
            continue
        for side in ("", "-journal"):
            _unlink_quietly(path.with_name(path.name + side))
        removed.append(path)
    return removed


def _load_state(folder: Path) -> dict:
    try:
        return json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_state(folder: Path, state: dict) -> None:
    tmp = folder / f".{STATE_FILE}.tmp"
    try:
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, folder / STATE_FILE)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def _has_user_data(conn: sqlite3.Connection) -> bool:
    try:
        return conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def _has_content(conn: sqlite3.Connection) -> bool:
    """Whether there is anything worth a backup: items or listening history."""
    for table in ("items", "play_events"):
        try:
            if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]:
                return True
        except sqlite3.Error:
            continue
    return False


def before_migrations(conn: sqlite3.Connection, backups_dir: Path | str) -> Path | None:
    """Back up an existing library before pending migrations change it (a new, empty one needs none)."""
    from core.db.migrate import pending

    if not _has_user_data(conn):
        return None
    todo = pending(conn)
    if not todo:
        return None
    return take_backup(conn, backups_dir, reason=f"before-migration-{todo[0][0]:04d}")


def daily_if_changed(conn: sqlite3.Connection, backups_dir: Path | str, now: float | None = None) -> Path | None:
    """Take the daily backup when the last one is a day old and the library changed since."""
    folder = Path(backups_dir)
    now = time.time() if now is None else now
    if not _has_user_data(conn) or not _has_content(conn):
        return None
    state = _load_state(folder)
    last_at = float(state.get("last_backup_at") or 0)
    if list_backups(folder) and now - last_at < DAILY_SECONDS:
        return None
    if list_backups(folder) and state.get("fingerprint") == fingerprint(conn):
        return None
    return take_backup(conn, folder, reason="daily")


def daily_at(db_path: Path | str, backups_dir: Path | str) -> Path | None:
    """`daily_if_changed` with its own connection (Library runs it on its health-check thread, after
    the integrity check passed, so opening a big library is not slowed by the copy and a damaged
    file is never backed up). A crash mid-copy leaves only a temporary file."""
    conn = sqlite3.connect(str(db_path), timeout=30)
    try:
        return daily_if_changed(conn, backups_dir)
    finally:
        conn.close()


def restore(db_path: Path | str, backups_dir: Path | str, source: Path | str | None = None,
            force: bool = False) -> dict:
    """Put a backup in place of the library database. Nothing is deleted, nothing is overwritten.

    `source` defaults to the newest backup that passes `integrity_check` (and is an Encore library).
    Refused (DatabaseError) while the library is open in any Encore process: restore takes the library
    lock exclusively, without waiting. Refused (UserError) unless `force` when the current database
    passes its check and changed after the backup was taken (restoring would lose that).
    The current file (and its -wal/-shm) is renamed to `<name>.damaged-<time>` when it is damaged or
    empty, `<name>.replaced-<time>` when it was healthy; a name already taken gets `-2`, `-3`...
    """
    from core.db.lock import LibraryLock, open_elsewhere_message

    db_path = Path(db_path)
    lock = LibraryLock(db_path)
    if not lock.try_exclusive():
        raise DatabaseError(open_elsewhere_message(lock.holders()))
    try:
        return _restore_locked(db_path, Path(backups_dir), source, force)
    finally:
        lock.release()


def _restore_locked(db_path: Path, backups_dir: Path, source: Path | str | None, force: bool) -> dict:
    from core.db.integrity import check, empty_file
    from core.errors import UserError

    # Every connection here is read-only: the file being set aside (and its -wal) is kept as it was.
    candidates = [Path(source)] if source else list_backups(backups_dir)
    if not candidates:
        raise DatabaseError(f"there is no backup in {backups_dir} to restore")
    chosen = None
    rejected = []
    for candidate in candidates:
        report = check(candidate, full=True)
        if report.exists and report.ok and _is_library(candidate):
            chosen = candidate
            break
        why = report.detail if not (report.exists and report.ok) else "not an Encore library (empty or no schema)"
        rejected.append(f"{candidate.name}: {why}")
    if chosen is None:
        raise DatabaseError("no usable backup: " + "; ".join(rejected))

    previous, newer = None, False
    if db_path.exists():
        changed_at = max(os.stat(p).st_mtime for p in (db_path, db_path.with_name(db_path.name + "-wal"))
                         if p.exists())
        current = empty_file(db_path, backups_dir) or check(db_path, readonly=True)
        if current.damaged or db_path.stat().st_size == 0:
            previous = "damaged"
        elif not current.ok and not force:
            raise DatabaseError(f"cannot check the current library database {db_path}: {current.detail}. "
                                "Close the program holding it and try again (or restore with --force)")
        else:
            previous = "replaced"
            newer = changed_at > chosen.stat().st_mtime and not _same_content(db_path, chosen)
            if newer and not force:
                raise UserError(
                    f"the library database {db_path} is healthy and changed after the backup {chosen.name} was "
                    f"taken ({_when(changed_at)}, backup {_when(chosen.stat().st_mtime)}): restoring would "
                    "lose what changed since. To replace it anyway, run `encore restore --force` (the current "
                    f"file is kept as {db_path.name}.replaced-TIME, not deleted)")
    # The copy is made first, beside the database: when it fails (a full disk), nothing has moved yet.
    tmp = db_path.with_name(f".{db_path.name}.restoring")
    tmp.unlink(missing_ok=True)  # left by a restore that crashed mid-copy
    try:
        src = sqlite3.connect(f"file:{chosen}?mode=ro", uri=True)
        dst = sqlite3.connect(str(tmp))
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
    except BaseException as exc:
        _unlink_quietly(tmp)
        _unlink_quietly(tmp.with_name(tmp.name + "-journal"))
        fault = storage_error(exc, db_path.parent, "nothing was restored and nothing was lost")
        if fault is not None:
            raise fault from exc
        raise
    kept = move_aside(db_path, previous or "damaged", sides=_SIDES)  # None: there was nothing
    os.replace(tmp, db_path)  # db_path was moved aside above: this replaces nothing
    kept_db = str(kept) if kept and previous else None
    out = {"restored_from": str(chosen), "kept_as": kept_db, "previous": previous,
           "damaged_kept_as": kept_db if previous == "damaged" else None, "skipped_backups": rejected}
    if newer:
        out["warning"] = (f"the database replaced was healthy and newer than the backup; it is kept as {kept_db}")
    return out


_SIDES = ("-wal", "-shm", "-journal", PENDING_SUFFIX)  # moved aside with the database they belong to


def _is_library(path: Path) -> bool:
    """Whether a file holds an Encore library (a 0-byte or foreign SQLite file passes integrity_check)."""
    from core.db.integrity import readonly_uri

    try:
        conn = sqlite3.connect(readonly_uri(path), uri=True)
        try:
            return conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] > 0
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _same_content(a: Path, b: Path) -> bool:
    """Whether two library files hold the same data, as far as the backup fingerprint can tell."""
    from core.db.integrity import readonly_uri

    prints = []
    for path in (a, b):
        try:
            conn = sqlite3.connect(readonly_uri(path), uri=True, timeout=30)
            try:
                prints.append(fingerprint(conn))
            finally:
                conn.close()
        except sqlite3.Error:
            return False
    return prints[0] == prints[1]


def _when(t: float) -> str:
    return datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S")
