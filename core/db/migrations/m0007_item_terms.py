"""Each item's ordered descriptive terms (genres, tags, analysis phrases) for exact term matching in search."""

from __future__ import annotations

import sqlite3

from core.db.terms import rebuild

STATEMENTS = [
    """CREATE TABLE IF NOT EXISTS item_terms (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        source INTEGER NOT NULL,     -- 0 the item's own tags, 1 analysis phrases
        position INTEGER NOT NULL,   -- 0 = listed first (the primary genre)
        term TEXT NOT NULL,          -- lower-cased, as core.db.terms.split_terms gives it
        PRIMARY KEY (item_id, source, position)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS item_terms_term ON item_terms(term, position)",
]


def up(conn: sqlite3.Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
    rebuild(conn)
