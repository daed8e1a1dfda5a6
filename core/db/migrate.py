"""Numbered, append-only migrations, each recorded in schema_migrations once applied."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sqlite3
import time

from core.db import migrations as _migrations_pkg
from core.db.connection import DatabaseError


def available() -> list[tuple[int, str, object]]:
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


def applied(conn: sqlite3.Connection) -> set[int]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY, name TEXT, applied_at REAL)"
    )
    return {row[0] for row in conn.execute("SELECT number FROM schema_migrations")}


def pending(conn: sqlite3.Connection) -> list[tuple[int, str, object]]:
    done = applied(conn)
    return [m for m in available() if m[0] not in done]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every pending migration, each in its own transaction. Returns the names applied."""
    done = applied(conn)
    known = {n for n, _, _ in available()}
    newer = done - known
    if newer and max(newer) > max(known, default=0):
        raise DatabaseError(
            f"this library was written by a newer Encore (schema {max(newer)}); update Encore to open it"
        )
    names = []
    for number, name, module in available():
        if number in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            module.up(conn)
            conn.execute(
                "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                (number, name, time.time()),
            )
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
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
        done = {row[0] for row in conn.execute("SELECT number FROM schema_migrations")}
        return any(m[0] not in done for m in available())
    finally:
        conn.close()
