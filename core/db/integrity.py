"""Start-up health check of the library database: a damaged file is reported, never written to."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from core.db.connection import DatabaseError


class DamagedDatabaseError(DatabaseError):
    """The database file failed its integrity check; Encore will not write to it."""


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


def check(path: Path | str, full: bool = False, busy_timeout_s: float = 30.0) -> HealthReport:
    """Run `PRAGMA quick_check` (or `integrity_check` when `full`) on a database file.

    Opens a plain connection with no pragmas that write, so checking never changes the file
    (beyond SQLite's own recovery of a committed write-ahead log, which is the normal open path).
    """
    path = Path(path)
    started = time.monotonic()
    if not path.exists():
        return HealthReport(str(path), True, False, "no database yet", 0.0)
    try:
        conn = sqlite3.connect(str(path), timeout=busy_timeout_s)
    except sqlite3.Error as exc:
        return HealthReport(str(path), False, True, f"cannot open: {exc}", time.monotonic() - started,
                            damaged=any(w in str(exc).lower() for w in _DAMAGE_WORDS))
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        pragma = "integrity_check" if full else "quick_check"
        rows = [r[0] for r in conn.execute(f"PRAGMA {pragma}(20)").fetchall()]
        ok = rows == ["ok"]
        detail = "ok" if ok else "; ".join(str(r) for r in rows)[:1000]
        damaged = not ok
    except sqlite3.Error as exc:  # "file is not a database", "database disk image is malformed", locked
        ok, detail = False, str(exc)
        damaged = any(w in detail.lower() for w in _DAMAGE_WORDS)
    finally:
        conn.close()
    return HealthReport(str(path), ok, True, detail, round(time.monotonic() - started, 3), damaged)


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
    report = check(db_path, busy_timeout_s=busy_timeout_s)
    if not report.ok and not report.damaged:
        raise DatabaseError(f"cannot check the library database {report.path}: {report.detail}. "
                            "Is another program holding it, or is the folder read-only?")
    if not report.ok:
        from core.db.backup import list_backups

        raise DamagedDatabaseError(damaged_message(report, list_backups(Path(backups_dir))))
    return report
