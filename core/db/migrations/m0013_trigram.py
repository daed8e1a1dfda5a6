"""items_trigram: a trigram FTS5 index of the names and tags of items in scripts without word spaces (CJK...).

FTS5's unicode61 tokenizer reads "悲伤的音乐" as one token, so a search for "悲伤" found nothing. This index
(tokenize='trigram', SQLite 3.34 and later) holds title, artist, album, genre and tags of the items whose text
has such letters, filled here from items_fts and kept in step wherever items_fts is written
(core.db.search.write_trigram_row). On an older SQLite nothing is created and search does without it.
"""

from __future__ import annotations

import sqlite3

from core.db.search import fill_trigram, trigram_supported

STATEMENTS = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS items_trigram USING fts5(
        title, artist, album, genre, tags,
        tokenize = 'trigram'
    )""",
]


def up(conn: sqlite3.Connection) -> None:
    if not trigram_supported():
        return
    for statement in STATEMENTS:
        conn.execute(statement)
    fill_trigram(conn)
