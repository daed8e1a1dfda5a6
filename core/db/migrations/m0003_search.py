"""Search support: an FTS5 vocabulary view (document frequency per term) and cached embeddings of tag terms."""

from __future__ import annotations

import sqlite3

STATEMENTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS items_fts_vocab USING fts5vocab(items_fts, 'row')",
    """CREATE TABLE IF NOT EXISTS vocab_embeddings (
        model TEXT NOT NULL,
        term TEXT NOT NULL,
        vector BLOB NOT NULL,        -- float32, L2-normalised
        PRIMARY KEY (model, term)
    )""",
]


def up(conn: sqlite3.Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
