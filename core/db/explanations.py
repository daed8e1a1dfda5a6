"""Typed reads and writes of the explanation cache (table `explanations`, migration 0005)."""

from __future__ import annotations

import json
import sqlite3
import time


def cached(conn: sqlite3.Connection, item_id: int, reasons_hash: str, model: str) -> sqlite3.Row | None:
    """The cached (text, source) of an item's explanation for this evidence hash and model, or None."""
    return conn.execute("SELECT text, source FROM explanations WHERE item_id = ? AND reasons_hash = ? AND model = ?",
                        (item_id, reasons_hash, model)).fetchone()


def store(conn: sqlite3.Connection, item_id: int, reasons_hash: str, model: str, text: str, source: str,
          problems: list[str]) -> None:
    """Remember an explanation (source 'llm' or 'template') and the checker's first problems."""
    conn.execute("INSERT OR REPLACE INTO explanations (item_id, reasons_hash, model, text, source, problems, "
                 "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (item_id, reasons_hash, model, text, source, json.dumps(problems[:5]), time.time()))
