"""Typed reads and writes of items, tags, sidecars, failures and the FTS index."""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

from core.db.chunked import select_in
from core.db.terms import SOURCE_TAGS, tag_terms, write_terms
from core.models import MediaItem
from core.text import display_path

ITEM_COLUMNS = (
    "title", "artist", "album", "album_artist", "genre", "year", "track_no", "disc_no", "composer",
    "duration", "bitrate", "sample_rate", "channels", "width", "height", "fps", "codec",
)
FTS_SIDECAR_CHARS = 20_000
DESCRIPTOR_MARK = "\u2063 "  # invisible separator: stripped from all user text by core.text.clean_text


def to_db_path(path: str) -> str | bytes:
    """Paths that are valid UTF-8 are stored as TEXT; others (raw bytes names) as a BLOB, losslessly."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path)


def from_db_path(value: str | bytes) -> str:
    """The file-system path of a stored path value."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


def media_item(row: sqlite3.Row) -> MediaItem:
    """A MediaItem from an items row."""
    return MediaItem(
        id=row["id"],
        path=display_path(from_db_path(row["path"])),
        kind=row["kind"],
        status=row["status"],
        title=row["title"],
        artist=row["artist"],
        album=row["album"],
        genre=row["genre"],
        year=row["year"],
        duration=row["duration"],
        cover_path=row["cover_path"],
    )


def get_item(conn: sqlite3.Connection, ref: int | str) -> sqlite3.Row | None:
    """An items row by id or by file path."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return conn.execute("SELECT * FROM items WHERE id = ?", (int(ref),)).fetchone()
    path = os.path.abspath(os.path.expanduser(ref))
    return conn.execute("SELECT * FROM items WHERE path = ?", (to_db_path(path),)).fetchone()


def items_by_ids(conn: sqlite3.Connection, ids: list[int]) -> dict[int, sqlite3.Row]:
    """Rows for many ids at once (chunked to stay under SQLite's variable limit)."""
    return {row["id"]: row for row in select_in(conn, "SELECT * FROM items WHERE id IN ({marks})", ids)}


def write_extracted(conn: sqlite3.Connection, item_id: int, result: dict[str, Any], new: bool = False) -> None:
    """Replace an item's tags, sidecars and FTS row with a fresh extraction result (`new`: nothing to replace)."""
    if not new:
        conn.execute("DELETE FROM tags WHERE item_id = ?", (item_id,))
        conn.execute("DELETE FROM sidecars WHERE item_id = ?", (item_id,))
        conn.execute("DELETE FROM items_fts WHERE rowid = ?", (item_id,))
    rows = [(item_id, k, v) for k, v in result["tags"].items()]
    rows += [(item_id, k, v) for k, v in result["extra"].items()]
    conn.executemany("INSERT INTO tags (item_id, key, value) VALUES (?, ?, ?)", rows)
    conn.executemany(
        "INSERT INTO sidecars (item_id, kind, path, text) VALUES (?, ?, ?, ?)",
        [(item_id, kind, to_db_path(path), text) for kind, path, text in result["sidecars"]],
    )
    fields = result["fields"]
    tag_text = " ".join(
        v for k, v in list(result["tags"].items()) + list(result["extra"].items())
        if k not in ("title", "artist", "album", "genre", "lyrics") and not k.startswith("musicbrainz")
        and len(v) < 2000
    )
    tag_text = tag_text[:FTS_SIDECAR_CHARS]
    sidecar_text = " ".join(text for _, _, text in result["sidecars"])
    lyrics = result["tags"].get("lyrics", "")
    if not new:  # keep the analysis phrases searchable until the item is analysed again
        row = conn.execute("SELECT description FROM descriptors WHERE item_id = ?", (item_id,)).fetchone()
        if row and row[0]:
            tag_text += DESCRIPTOR_MARK + row[0]
    write_terms(conn, item_id, SOURCE_TAGS,
                tag_terms(fields["genre"], list(result["tags"].items()) + list(result["extra"].items())))
    conn.execute(
        "INSERT INTO items_fts (rowid, title, artist, album, genre, tags, sidecar) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (item_id, fields["title"], " ".join(filter(None, [fields["artist"], fields["album_artist"]])),
         fields["album"], fields["genre"], tag_text,
         (lyrics + " " + sidecar_text)[:FTS_SIDECAR_CHARS]),
    )


def set_fts_descriptors(conn: sqlite3.Connection, item_id: int, phrases: list[str]) -> None:
    """Make an item's analysis phrases ("calm", "fast cuts") lexically searchable in its FTS `tags` column.

    They follow DESCRIPTOR_MARK, a character clean_text removes from every tag, so user text can never
    contain it and a re-analysis replaces only the phrases.
    """
    row = conn.execute("SELECT title, artist, album, genre, tags, sidecar FROM items_fts WHERE rowid = ?",
                       (item_id,)).fetchone()
    if row is None:
        return
    values = list(tuple(row))
    values[4] = (values[4] or "").split(DESCRIPTOR_MARK)[0] + (DESCRIPTOR_MARK + ", ".join(phrases) if phrases else "")
    conn.execute("DELETE FROM items_fts WHERE rowid = ?", (item_id,))
    conn.execute("INSERT INTO items_fts (rowid, title, artist, album, genre, tags, sidecar) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (item_id, *values))


def item_values(result: dict[str, Any]) -> dict[str, Any]:
    """Column values of an items row from an extraction result."""
    values = {k: result["fields"].get(k) for k in ITEM_COLUMNS if k in result["fields"]}
    for key in ("duration", "bitrate", "sample_rate", "channels", "width", "height", "fps", "codec"):
        values[key] = result["facts"].get(key)
    values.update(
        kind=result["kind"],
        size=result["size"],
        mtime_ns=result["mtime_ns"],
        inode=result["inode"],
        content_hash=result["content_hash"],
        cover_path=result["cover_path"],
        extract_version=result["extract_version"],
        status="ok",
        missing_since=None,
        updated_at=time.time(),
    )
    for key in ("title", "artist", "album", "album_artist", "genre", "composer"):
        values[key] = values.get(key) or ""
    return values


def record_failure(conn: sqlite3.Connection, path: str, stage: str, error: str,
                   size: int | None, mtime_ns: int | None, item_id: int | None) -> None:
    """Insert or bump a failure row (attempts counts how often this file failed this stage)."""
    now = time.time()
    conn.execute(
        """INSERT INTO failures (path, stage, error, attempts, size, mtime_ns, item_id, first_at, last_at)
           VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)
           ON CONFLICT(path, stage) DO UPDATE SET error = excluded.error, attempts = attempts + 1,
             size = excluded.size, mtime_ns = excluded.mtime_ns, item_id = excluded.item_id,
             last_at = excluded.last_at""",
        (to_db_path(path), stage, error[:1000], size, mtime_ns, item_id, now, now),
    )


def clear_failure(conn: sqlite3.Connection, path: str, stage: str) -> None:
    conn.execute("DELETE FROM failures WHERE path = ? AND stage = ?", (to_db_path(path), stage))


# ----- readers for the recommender (appended by the recommend stage) ------------------------------
def present_item_keys(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """(id, path, artist, album_artist, title, duration) of every item not missing (history import matching)."""
    return conn.execute("SELECT id, path, artist, album_artist, title, duration FROM items "
                        "WHERE status != 'missing'").fetchall()


def newest_items(conn: sqlite3.Connection, kind: str | None, limit: int) -> list[sqlite3.Row]:
    """The `limit` most recently added playable items (of one kind when given), newest first."""
    sql = "SELECT * FROM items WHERE status = 'ok'" + (" AND kind = ?" if kind else "") + " ORDER BY added_at DESC LIMIT ?"
    return conn.execute(sql, ((kind,) if kind else ()) + (limit,)).fetchall()
