"""Explanation cache: one row per (item, reasons hash, model + prompt version)."""

from __future__ import annotations

import sqlite3


def up(conn: sqlite3.Connection) -> None:
    conn.execute("""CREATE TABLE explanations (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        reasons_hash TEXT NOT NULL,
        model TEXT NOT NULL,
        text TEXT NOT NULL,
        source TEXT NOT NULL,          -- llm | template (the LLM answer was rejected)
        problems TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        PRIMARY KEY (item_id, reasons_hash, model)
    )""")
