"""items_albums: the Albums and Artists pages group the music by album artist (else artist) and album.

A covering index in that order (case ignored, as the pages group) lets SQLite group 200k tracks by
reading the index in order, with no sort and no table lookups: ~200 ms of CPU instead of ~570 ms for
200k tracks (the Artists list: ~140 ms instead of ~400 ms), measured on a machine where
sum(range(10**7)) takes 155 ms. The grouping key comes first, not kind and status: an index that starts
with (kind, status) like items_kind is taken by the planner for every `kind = ? AND status = 'ok'` query,
and reading the table in album order instead of rowid order made the list sorts 3x slower. The album
queries name this index (INDEXED BY). The expression must stay exactly `core.db.items.ARTIST_KEY`
(SQLite matches indexed expressions by their text); tests/ui/test_browse.py checks the plan.
"""

from __future__ import annotations

import sqlite3

STATEMENTS = [
    "DROP INDEX IF EXISTS items_albums",  # the first draft of this migration led with (kind, status)
    "CREATE INDEX items_albums ON items("
    "(CASE WHEN album_artist != '' THEN album_artist ELSE artist END) COLLATE NOCASE, album COLLATE NOCASE, "
    "kind, status, album_artist, artist, year, disc_no, track_no, duration, cover_path)",
]


def up(conn: sqlite3.Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
