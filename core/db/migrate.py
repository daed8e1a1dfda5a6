"""Numbered, append-only migrations, each recorded in schema_migrations once applied; foreign files refused."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sqlite3
import time
from pathlib import Path
from types import ModuleType

from core.db import migrations as _migrations_pkg
from core.db.connection import DatabaseError


def available() -> list[tuple[int, str, ModuleType]]:
    """(number, name, module) of every migration module `mNNNN_name.py`, in order."""
    found = []
    for info in pkgutil.iter_modules(_migrations_pkg.__path__):
        if not info.name.startswith("m") or "_" not in info.name:
            continue
        number = int(info.name[1:5])
        module = importlib.import_module(f"core.db.migrations.{info.name}")
        found.append((number, info.name, module))
    found.sort(key=lambda t: t[0])
    numbers = [n for n, _, _ in found]
    if len(numbers) != len(set(numbers)):
        raise RuntimeError(f"two migrations share a number: {numbers}")
    return found


# Written into the header of every new library (`PRAGMA application_id`: "Enco"), so a file is known as
# Encore's without guessing from its tables. Libraries made before it have 0 there; they are recognised
# by their schema_migrations table and get the id at their next open.
APPLICATION_ID = 0x456E636F


def applied(conn: sqlite3.Connection) -> set[int]:
    """The numbers of the migrations recorded in schema_migrations (none when the table is missing)."""
    try:
        return {row[0] for row in conn.execute("SELECT number FROM schema_migrations")}
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return set()
        raise


def pending(conn: sqlite3.Connection) -> list[tuple[int, str, ModuleType]]:
    done = applied(conn)
    return [m for m in available() if m[0] not in done]


def foreign_reason(conn: sqlite3.Connection) -> str | None:
    """Why this database is not an Encore library (it belongs to another program), or None when it is
    one, or is empty (a new library). Reads only."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id == APPLICATION_ID:
        return None
    if app_id:
        return f"its header names another program (application id {app_id:#x})"
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    if not tables or tables == ["schema_migrations"]:
        return None  # new, or a new library whose first migration never committed
    if "schema_migrations" in tables:
        first = available()[0]
        try:
            row = conn.execute("SELECT name FROM schema_migrations WHERE number = ?", (first[0],)).fetchone()
        except sqlite3.Error:  # another program's schema_migrations (Rails, Alembic... have other columns)
            row = None
        if row is not None and row[0] == first[1]:
            return None  # an Encore library from before the application id
    shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
    return f"it holds another program's tables ({shown})"


def foreign_message(path: str | os.PathLike, why: str) -> str:
    """What Encore says about a database file that is not its own."""
    path = os.fspath(path)
    return (f"{path} is not an Encore library: {why}. Encore has not changed it and will not add its tables "
            f"to it. Move that file out of {os.path.dirname(path) or '.'}, or choose another folder with --data-dir")


def refuse_foreign(db_path: str | os.PathLike) -> None:
    """Raise DatabaseError when the database file at `db_path` is another program's (read-only look, before
    the first read-write connection: that one would already switch the file to WAL)."""
    if not os.path.exists(db_path) or os.path.getsize(db_path) == 0:
        return
    try:
        conn = sqlite3.connect(f"{Path(os.path.abspath(db_path)).as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return  # unreadable: the integrity check says why
    try:
        why = foreign_reason(conn)
    except sqlite3.Error:
        return
    finally:
        conn.close()
    if why:
        raise DatabaseError(foreign_message(db_path, why))


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every pending migration in one transaction; returns the names applied.

    When a first read finds work, the transaction is taken (BEGIN IMMEDIATE: the write lock, waiting
    for the busy timeout) and what is applied is read again inside it: two processes opening a new
    library at once no longer both run migration 1 (the second failed with `table roots already
    exists`); the second finds it done. A database that belongs to another program is refused,
    unchanged. The library's application id is written with the first migration (or, for a library
    made before it had one, at its next open).
    """
    if not _work_to_do(conn):
        return []  # the common open: a read, never a wait for the write lock
    conn.execute("BEGIN IMMEDIATE")
    try:
        names = _migrate_locked(conn)
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return names


def _work_to_do(conn: sqlite3.Connection) -> bool:
    """Whether migrate() has anything to write (raises for a foreign or newer database); reads only."""
    _refuse(conn)
    if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        return True
    done = applied(conn)
    _refuse_newer(done)
    return any(n not in done for n, _, _ in available())


def _refuse(conn: sqlite3.Connection) -> None:
    why = foreign_reason(conn)
    if why:
        path = conn.execute("PRAGMA database_list").fetchone()[2]
        raise DatabaseError(foreign_message(path, why))


def _refuse_newer(done: set[int]) -> None:
    known = {n for n, _, _ in available()}
    newer = done - known
    if newer and max(newer) > max(known, default=0):
        raise DatabaseError(
            f"this library was written by a newer Encore (schema {max(newer)}); update Encore to open it"
        )


def _migrate_locked(conn: sqlite3.Connection) -> list[str]:
    _refuse(conn)  # again, inside the transaction: what was read before may have changed
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY, name TEXT, applied_at REAL)"
    )
    done = applied(conn)
    _refuse_newer(done)
    if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    names = []
    for number, name, module in available():
        if number in done:
            continue
        module.up(conn)
        conn.execute(
            "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
            (number, name, time.time()),
        )
        conn.execute(f"PRAGMA user_version = {number}")
        names.append(name)
    return names


def migrations_pending(db_path: str | os.PathLike) -> bool:
    """Whether opening this database will run migrations (read with a plain, read-only connection)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "schema_migrations" not in names:
            return True
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            return True  # the id is written at this open: a write, so the file is checked in full first
        done = {row[0] for row in conn.execute("SELECT number FROM schema_migrations")}
        return any(m[0] not in done for m in available())
    finally:
        conn.close()
