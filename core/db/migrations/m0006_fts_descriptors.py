"""Make analysis phrases of already-analysed items lexically searchable (they join the FTS `tags` column)."""

from __future__ import annotations

import json
import sqlite3

from core.db.items import set_fts_descriptors


def up(conn: sqlite3.Connection) -> None:
    for item_id, phrases in conn.execute("SELECT item_id, phrases FROM descriptors").fetchall():
        try:
            set_fts_descriptors(conn, item_id, json.loads(phrases))
        except (TypeError, ValueError):
            continue
