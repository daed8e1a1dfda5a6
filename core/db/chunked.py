"""`SELECT ... WHERE column IN (...)` for any number of ids, in chunks under SQLite's variable limit."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

CHUNK = 500  # well under SQLITE_MAX_VARIABLE_NUMBER (999 in old builds)


def select_in(conn: sqlite3.Connection, sql: str, ids: Sequence[Any], chunk: int = CHUNK,
              after: Sequence[Any] = ()) -> Iterator[Any]:
    """Rows of `sql` for all `ids`; `sql` holds one `{marks}` where the IN list goes, e.g.
    "SELECT * FROM items WHERE id IN ({marks})". Ids are bound as parameters, never formatted in;
    `after` are bound after them (for placeholders that follow the IN list)."""
    ids = list(ids)
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        yield from conn.execute(sql.format(marks=",".join("?" * len(part))), [*part, *after])
