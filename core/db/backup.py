"""Automatic, rotating backups of the library database (SQLite backup API) and restoring them.

Backups are taken before migrations and once a day when the library changed. Restoring never
deletes anything: the current (possibly damaged) file is moved aside, then the backup is copied in.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import datetime
from pathlib import Path

from core.db.connection import DatabaseError

KEEP_BACKUPS = 7
DAILY_SECONDS = 24 * 3600
PREFIX = "library-"
SUFFIX = ".sqlite3"
STATE_FILE = "backups.json"


def list_backups(backups_dir: Path | str) -> list[Path]:
    """Backup files, newest first."""
    folder = Path(backups_dir)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX)]
    return sorted(found, key=lambda p: p.name, reverse=True)


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

    The copy is written to a temporary name, checked with `quick_check`, then renamed, so a crash
    never leaves a half backup that looks whole. Old backups beyond `keep` are removed.
    """
    folder = Path(backups_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    dest = folder / f"{PREFIX}{stamp}-{reason}{SUFFIX}"
    tmp = folder / f".{dest.name}.tmp"
    for stale in folder.glob(f".{PREFIX}*.tmp"):  # left by a crash mid-copy
        if time.time() - stale.stat().st_mtime > 3600:
            stale.unlink(missing_ok=True)
    target = sqlite3.connect(str(tmp))
    try:
        conn.backup(target)
        ok = target.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        target.close()
    if not ok:
        tmp.unlink(missing_ok=True)
        raise DatabaseError("the backup copy failed its integrity check; the database may be damaged")
    os.replace(tmp, dest)
    _save_state(folder, {"last_backup_at": time.time(), "fingerprint": fingerprint(conn), "last": dest.name})
    for old in list_backups(folder)[keep:]:
        old.unlink(missing_ok=True)
    return dest


def _load_state(folder: Path) -> dict:
    try:
        return json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_state(folder: Path, state: dict) -> None:
    tmp = folder / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, folder / STATE_FILE)


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


def restore(db_path: Path | str, backups_dir: Path | str, source: Path | str | None = None) -> dict:
    """Put a backup in place of the library database. Nothing is deleted.

    `source` defaults to the newest backup that passes `integrity_check`. The current database
    file (and its -wal/-shm) is renamed to `<name>.damaged-<time>` first. Call with no connection
    to the database open.
    """
    from core.db.integrity import check

    db_path = Path(db_path)
    candidates = [Path(source)] if source else list_backups(backups_dir)
    if not candidates:
        raise DatabaseError(f"there is no backup in {backups_dir} to restore")
    chosen = None
    rejected = []
    for candidate in candidates:
        report = check(candidate, full=True)
        if report.exists and report.ok:
            chosen = candidate
            break
        rejected.append(f"{candidate.name}: {report.detail}")
    if chosen is None:
        raise DatabaseError("no usable backup: " + "; ".join(rejected))
    kept = None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    if db_path.exists():
        kept = db_path.with_name(f"{db_path.name}.damaged-{stamp}")
        os.replace(db_path, kept)
    for side in ("-wal", "-shm", "-journal"):
        extra = db_path.with_name(db_path.name + side)
        if extra.exists():
            os.replace(extra, db_path.with_name(f"{db_path.name}.damaged-{stamp}{side}"))
    tmp = db_path.with_name(f".{db_path.name}.restoring")
    src = sqlite3.connect(f"file:{chosen}?mode=ro", uri=True)
    dst = sqlite3.connect(str(tmp))
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    os.replace(tmp, db_path)
    return {"restored_from": str(chosen), "damaged_kept_as": str(kept) if kept else None,
            "skipped_backups": rejected}
