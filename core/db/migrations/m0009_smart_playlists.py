"""playlists.rules: the JSON rule set of a smart playlist (NULL for a playlist of stored items)."""

from __future__ import annotations

import sqlite3


def up(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE playlists ADD COLUMN rules TEXT")
    # "Which playlists hold this item" (duplicate checks on add) reads by item as well as by playlist.
    conn.execute("CREATE INDEX IF NOT EXISTS playlist_items_item ON playlist_items(item_id, playlist_id)")
