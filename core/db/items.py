"""Typed reads and writes of items, tags, sidecars, failures and the FTS index."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable
from typing import Any, NamedTuple

from core.db.chunked import select_in
from core.db.search import copy_trigram_row, write_trigram_row
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
    copy_trigram_row(conn, item_id)  # CJK names and tags, as substrings


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


def _inserted_id(cursor: sqlite3.Cursor) -> int:
    """The rowid an INSERT just made (sqlite3 types it Optional; after an INSERT it is always set)."""
    if cursor.lastrowid is None:
        raise RuntimeError("INSERT made no row")
    return cursor.lastrowid


# ----- roots -------------------------------------------------------------------------------------
def list_roots(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every library root (id, path, added_at, last_scan_at, last_status), by path."""
    return conn.execute("SELECT * FROM roots ORDER BY path").fetchall()


def root_ids(conn: sqlite3.Connection) -> list[int]:
    """The ids of every library root, oldest first."""
    return [row[0] for row in conn.execute("SELECT id FROM roots ORDER BY id").fetchall()]


def root_id_of(conn: sqlite3.Connection, path: str) -> int | None:
    """The id of the root at file-system `path` (already absolute), or None."""
    row = conn.execute("SELECT id FROM roots WHERE path = ?", (to_db_path(path),)).fetchone()
    return None if row is None else row[0]


def root_path(conn: sqlite3.Connection, root_id: int) -> str:
    """The file-system path of a root."""
    return from_db_path(conn.execute("SELECT path FROM roots WHERE id = ?", (root_id,)).fetchone()[0])


def insert_root(conn: sqlite3.Connection, path: str, added_at: float) -> int:
    """Add a root at file-system `path`; returns its id."""
    return _inserted_id(conn.execute("INSERT INTO roots (path, added_at) VALUES (?, ?)", (to_db_path(path), added_at)))


def set_root_status(conn: sqlite3.Connection, root_id: int, status: str, scanned_at: float) -> None:
    """Record how the last scan of a root went ('ok' or 'offline') and when."""
    conn.execute("UPDATE roots SET last_status = ?, last_scan_at = ? WHERE id = ?", (status, scanned_at, root_id))


def delete_root(conn: sqlite3.Connection, path: str) -> None:
    """Forget the root at `path`: its present items become missing, every item lets go of it (none deleted)."""
    root_id = root_id_of(conn, path)
    if root_id is not None:
        conn.execute("UPDATE items SET status = 'missing', root_id = NULL WHERE root_id = ? "
                     "AND status != 'missing'", (root_id,))
        conn.execute("UPDATE items SET root_id = NULL WHERE root_id = ?", (root_id,))
        conn.execute("DELETE FROM roots WHERE id = ?", (root_id,))


def root_has_present_items(conn: sqlite3.Connection, root_id: int) -> bool:
    """Whether any item under this root is not missing."""
    return conn.execute("SELECT 1 FROM items WHERE root_id = ? AND status != 'missing' LIMIT 1",
                        (root_id,)).fetchone() is not None


# ----- the scan's view of items --------------------------------------------------------------------
class FileFacts(NamedTuple):
    """What the library holds about one file of a folder: the rescan hot path compares these."""

    filename: str | bytes
    size: int
    mtime_ns: int
    inode: int
    needs_work: bool  # missing, or extracted by an older extractor


class KnownFile(NamedTuple):
    """An item of a folder as the scan diff reads it."""

    id: int
    path: str | bytes
    filename: str | bytes
    size: int
    mtime_ns: int
    inode: int
    status: str
    extract_version: int | None


def _plain_rows(conn: sqlite3.Connection, sql: str, params: tuple) -> list[tuple]:
    """Rows as plain tuples (no sqlite3.Row): cheaper on the unchanged-rescan hot path."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, params).fetchall()


def folder_facts(conn: sqlite3.Connection, dir_value: str | bytes, extract_version: int) -> list[FileFacts]:
    """(name, size, mtime, inode, needs work) of every item stored in the folder `dir_value`."""
    return list(map(FileFacts._make, _plain_rows(
        conn, "SELECT filename, size, mtime_ns, inode, "
              "status = 'missing' OR (status = 'ok' AND extract_version != ?) FROM items WHERE dir = ?",
        (extract_version, dir_value))))


def folder_items(conn: sqlite3.Connection, dir_value: str | bytes) -> list[KnownFile]:
    """Every item stored in the folder `dir_value`, missing ones included."""
    return list(map(KnownFile._make, _plain_rows(
        conn, "SELECT id, path, filename, size, mtime_ns, inode, status, extract_version FROM items WHERE dir = ?",
        (dir_value,))))


def present_dirs(conn: sqlite3.Connection, root_id: int) -> list[str | bytes]:
    """The stored folder values that hold at least one present (not missing) item of a root."""
    return [row[0] for row in conn.execute(
        "SELECT DISTINCT dir FROM items WHERE root_id = ? AND status != 'missing'", (root_id,)).fetchall()]


def present_items_in_dir(conn: sqlite3.Connection, dir_value: str | bytes) -> list[tuple[int, str | bytes]]:
    """(id, stored path) of every present item in the folder `dir_value`."""
    return [(row[0], row[1]) for row in conn.execute(
        "SELECT id, path FROM items WHERE dir = ? AND status != 'missing'", (dir_value,)).fetchall()]


def mark_missing(conn: sqlite3.Connection, gone: Iterable[tuple[int, str | bytes]], at: float) -> None:
    """Mark items (id, stored path) missing; an item whose path changed since (re-linked) is left alone."""
    conn.executemany(
        "UPDATE items SET status = 'missing', missing_since = ?, updated_at = ? WHERE id = ? AND path = ?",
        [(at, at, item_id, path_value) for item_id, path_value in gone])


def count_present_items(conn: sqlite3.Connection) -> int:
    """How many items are not missing."""
    return conn.execute("SELECT COUNT(*) FROM items WHERE status != 'missing'").fetchone()[0]


def count_missing_since(conn: sqlite3.Connection, since: float) -> int:
    """How many items went missing at or after `since`."""
    return conn.execute("SELECT COUNT(*) FROM items WHERE status = 'missing' AND missing_since >= ?",
                        (since,)).fetchone()[0]


def items_with_content(conn: sqlite3.Connection, size: int, content_hash: str) -> list[sqlite3.Row]:
    """(id, path, status) of items with this size and content hash, missing ones first."""
    return conn.execute(
        "SELECT id, path, status FROM items WHERE size = ? AND content_hash = ? ORDER BY status = 'missing' DESC",
        (size, content_hash)).fetchall()


def insert_item(conn: sqlite3.Connection, values: dict[str, Any]) -> int:
    """Insert an items row from column values (keys are column names chosen by code); returns its id."""
    cols = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    return _inserted_id(conn.execute(f"INSERT INTO items ({cols}) VALUES ({marks})", values))


def update_item(conn: sqlite3.Connection, item_id: int, values: dict[str, Any]) -> None:
    """Set the given columns of one items row (keys are column names chosen by code)."""
    sets = ", ".join(f"{k} = :{k}" for k in values)
    conn.execute(f"UPDATE items SET {sets} WHERE id = :_item_id", {**values, "_item_id": int(item_id)})


# ----- re-linking a re-encoded file onto its vanished item ------------------------------------------
_RELINK_COLUMNS = "id, kind, title, artist, album, track_no, dir, duration"


def missing_titled_items(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """(id, kind, title, artist, album, track_no, dir, duration) of missing items that have a title."""
    return conn.execute(f"SELECT {_RELINK_COLUMNS} FROM items WHERE status = 'missing' AND title != ''").fetchall()


def titled_items_added_since(conn: sqlite3.Connection, since: float) -> list[sqlite3.Row]:
    """The same columns for present, titled items added at or after `since`."""
    return conn.execute(f"SELECT {_RELINK_COLUMNS} FROM items WHERE status = 'ok' AND added_at >= ? AND title != ''",
                        (since,)).fetchall()


def item_references(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(table, column) of every foreign key that points at items."""
    refs = []
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for fk in conn.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
            if fk["table"] == "items":
                refs.append((table, fk["from"]))
    return refs


def repoint_keeping_old(conn: sqlite3.Connection, table: str, column: str, old_id: int, new_id: int) -> None:
    """Move `table`'s rows of item `new_id` onto `old_id`; where `old_id` already has the row, the old one wins."""
    conn.execute(f'UPDATE OR IGNORE "{table}" SET "{column}" = ? WHERE "{column}" = ?', (old_id, new_id))
    conn.execute(f'DELETE FROM "{table}" WHERE "{column}" = ?', (new_id,))


def repoint_replacing_old(conn: sqlite3.Connection, table: str, column: str, old_id: int, new_id: int) -> None:
    """Drop `table`'s rows of item `old_id` and move those of `new_id` onto it."""
    conn.execute(f'DELETE FROM "{table}" WHERE "{column}" = ?', (old_id,))
    conn.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE "{column}" = ?', (old_id, new_id))


def take_over_item(conn: sqlite3.Connection, old_id: int, new_id: int) -> None:
    """Give item `old_id` the file facts, failures and FTS row of `new_id`, then delete the `new_id` row."""
    new = conn.execute("SELECT * FROM items WHERE id = ?", (new_id,)).fetchone()
    conn.execute("UPDATE failures SET item_id = ? WHERE item_id = ?", (old_id, new_id))
    conn.execute("DELETE FROM items_fts WHERE rowid = ?", (old_id,))
    conn.execute("INSERT INTO items_fts (rowid, title, artist, album, genre, tags, sidecar) "
                 "SELECT ?, title, artist, album, genre, tags, sidecar FROM items_fts WHERE rowid = ?",
                 (old_id, new_id))
    conn.execute("DELETE FROM items_fts WHERE rowid = ?", (new_id,))
    copy_trigram_row(conn, old_id)
    write_trigram_row(conn, new_id, None)
    conn.execute("DELETE FROM items WHERE id = ?", (new_id,))
    columns = [k for k in new.keys() if k not in ("id", "added_at")]
    sets = ", ".join(f'"{k}" = ?' for k in columns)
    conn.execute(f"UPDATE items SET {sets} WHERE id = ?", [new[k] for k in columns] + [old_id])


def record_failure(conn: sqlite3.Connection, path: str, stage: str, error: str,
                   size: int | None, mtime_ns: int | None, item_id: int | None) -> None:
    """Insert or bump a failure row (attempts counts how often these very bytes failed this stage:
    a file that changed (size or mtime) starts again at 1)."""
    now = time.time()
    conn.execute(
        """INSERT INTO failures (path, stage, error, attempts, size, mtime_ns, item_id, first_at, last_at)
           VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)
           ON CONFLICT(path, stage) DO UPDATE SET error = excluded.error,
             attempts = CASE WHEN size IS excluded.size AND mtime_ns IS excluded.mtime_ns
                             THEN attempts + 1 ELSE 1 END,
             first_at = CASE WHEN size IS excluded.size AND mtime_ns IS excluded.mtime_ns
                             THEN first_at ELSE excluded.first_at END,
             size = excluded.size, mtime_ns = excluded.mtime_ns, item_id = excluded.item_id,
             last_at = excluded.last_at""",
        (to_db_path(path), stage, error[:1000], size, mtime_ns, item_id, now, now),
    )


def clear_failure(conn: sqlite3.Connection, path: str, stage: str) -> None:
    """Forget this file's failure at this stage (it went through)."""
    conn.execute("DELETE FROM failures WHERE path = ? AND stage = ?", (to_db_path(path), stage))


# ----- the scan's retries and the files it did not read (stage 'skipped') ----------------------------
SKIPPED_STAGE = "skipped"  # failures rows of files not read on purpose: links out of the roots, FIFOs


class ScanFailure(NamedTuple):
    """A failed item's scan failure, as the retry rules read it."""

    path: str | bytes
    dir: str | bytes
    error: str
    attempts: int
    last_at: float


def scan_failures(conn: sqlite3.Connection) -> list[ScanFailure]:
    """The scan failures of items that are failed now, with their folder, attempts and last try."""
    return list(map(ScanFailure._make, _plain_rows(
        conn, "SELECT f.path, i.dir, f.error, f.attempts, f.last_at FROM failures f "
              "JOIN items i ON i.path = f.path WHERE f.stage = 'scan' AND i.status = 'failed'", ())))


def record_skip(conn: sqlite3.Connection, path: str, reason: str, item_id: int | None) -> None:
    """Record (or refresh) a file the scan did not read and why; attempts stays 1."""
    now = time.time()
    conn.execute(
        """INSERT INTO failures (path, stage, error, attempts, item_id, first_at, last_at)
           VALUES (?, ?, ?, 1, ?, ?, ?)
           ON CONFLICT(path, stage) DO UPDATE SET error = excluded.error, item_id = excluded.item_id,
             last_at = excluded.last_at""",
        (to_db_path(path), SKIPPED_STAGE, reason[:1000], item_id, now, now))


def set_item_skips(conn: sqlite3.Connection, item_id: int, skipped: Iterable[tuple[str, str]]) -> None:
    """Replace the skipped sidecars and covers recorded for an item by (path, reason) pairs."""
    conn.execute("DELETE FROM failures WHERE stage = ? AND item_id = ?", (SKIPPED_STAGE, item_id))
    for path, reason in skipped:
        record_skip(conn, path, reason, item_id)


def skip_owner_ids(conn: sqlite3.Connection) -> list[int]:
    """Ids of the items that have skipped sidecars or covers on record."""
    return [r[0] for r in conn.execute("SELECT DISTINCT item_id FROM failures WHERE stage = ? "
                                       "AND item_id IS NOT NULL", (SKIPPED_STAGE,))]


def item_skips(conn: sqlite3.Connection) -> list[tuple[int, str | bytes, str]]:
    """(item id, stored path, reason) of every skipped sidecar or cover on record."""
    return _plain_rows(conn, "SELECT item_id, path, error FROM failures WHERE stage = ? AND item_id IS NOT NULL",
                       (SKIPPED_STAGE,))


def extract_again(conn: sqlite3.Connection, item_ids: Iterable[int]) -> None:
    """Have the next scan extract these items again although their files did not change."""
    conn.executemany("UPDATE items SET extract_version = 0 WHERE id = ?", [(int(i),) for i in item_ids])


def skipped_media_paths(conn: sqlite3.Connection) -> list[str]:
    """File-system paths of the media files recorded as skipped (not read, no item)."""
    return [from_db_path(r[0]) for r in conn.execute(
        "SELECT path FROM failures WHERE stage = ? AND item_id IS NULL", (SKIPPED_STAGE,))]


def forget_skips(conn: sqlite3.Connection, paths: Iterable[str]) -> None:
    """Drop the 'skipped' records of these file-system paths (the files are gone or readable now)."""
    conn.executemany("DELETE FROM failures WHERE stage = ? AND path = ?",
                     [(SKIPPED_STAGE, to_db_path(p)) for p in paths])


def sidecar_rows(conn: sqlite3.Connection) -> list[tuple[int, str | bytes]]:
    """(item id, stored path) of every stored sidecar."""
    return _plain_rows(conn, "SELECT item_id, path FROM sidecars", ())


def drop_sidecar(conn: sqlite3.Connection, item_id: int, path_value: str | bytes) -> None:
    """Delete one stored sidecar, blank the item's searchable sidecar text and have the scan extract
    the item again (which writes the text of the sidecars it may read)."""
    conn.execute("DELETE FROM sidecars WHERE item_id = ? AND path = ?", (item_id, path_value))
    extract_again(conn, [item_id])
    row = conn.execute("SELECT title, artist, album, genre, tags FROM items_fts WHERE rowid = ?",
                       (item_id,)).fetchone()
    if row is not None:
        conn.execute("DELETE FROM items_fts WHERE rowid = ?", (item_id,))
        conn.execute("INSERT INTO items_fts (rowid, title, artist, album, genre, tags, sidecar) "
                     "VALUES (?, ?, ?, ?, ?, ?, '')", (item_id, *tuple(row)))


# ----- readers for the recommender (appended by the recommend stage) ------------------------------
def present_item_keys(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """(id, path, artist, album_artist, title, duration) of every item not missing (history import matching)."""
    return conn.execute("SELECT id, path, artist, album_artist, title, duration FROM items "
                        "WHERE status != 'missing'").fetchall()


def newest_items(conn: sqlite3.Connection, kind: str | None, limit: int) -> list[sqlite3.Row]:
    """The `limit` most recently added playable items (of one kind when given), newest first."""
    sql = "SELECT * FROM items WHERE status = 'ok'" + (" AND kind = ?" if kind else "") + " ORDER BY added_at DESC LIMIT ?"
    return conn.execute(sql, ((kind,) if kind else ()) + (limit,)).fetchall()


# ----- readers for the embedding stage (appended by the embed/search stage) ------------------------
def present_items(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every present (status ok) items row, by id."""
    return conn.execute("SELECT * FROM items WHERE status = 'ok' ORDER BY id").fetchall()


def present_ids(conn: sqlite3.Connection) -> list[int]:
    """The ids of every present (status ok) item, by id."""
    return [int(r[0]) for r in conn.execute("SELECT id FROM items WHERE status = 'ok' ORDER BY id")]


def tags_for(conn: sqlite3.Connection, ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """{item id: its (key, value) tags as stored}; items without tags are absent."""
    out: dict[int, list[tuple[str, str]]] = {}
    for item_id, key, value in select_in(conn, "SELECT item_id, key, value FROM tags WHERE item_id IN ({marks})",
                                         ids):
        out.setdefault(item_id, []).append((key, value))
    return out


def sidecar_texts_for(conn: sqlite3.Connection, ids: list[int]) -> dict[int, list[str]]:
    """{item id: the texts of its sidecars (subtitles, lyrics, nfo), covers left out}; items without are absent."""
    out: dict[int, list[str]] = {}
    for item_id, text in select_in(conn, "SELECT item_id, text FROM sidecars WHERE item_id IN ({marks}) "
                                         "AND kind != 'cover'", ids):
        out.setdefault(item_id, []).append(text)
    return out


# ----- the app's library lists: sorted, filtered ids and their rows, page by page -------------------
# Whose album a track is on: the album artist, else the track artist (a compilation stays together).
ARTIST_KEY = "(CASE WHEN album_artist != '' THEN album_artist ELSE artist END)"
# (sort expression, "has no value" expression) of each list column key (the app sorts 200k rows in SQL,
# never in Python). Items without the value come after those with it, in either direction: sorting by
# artist must not open with a hundred untagged sound effects.
LIST_SORTS: dict[str, tuple[str, str | None]] = {
    "title": ("title COLLATE NOCASE", "title = ''"),
    "artist": (f"{ARTIST_KEY} COLLATE NOCASE", f"{ARTIST_KEY} = ''"),
    "album": ("album COLLATE NOCASE", "album = ''"),
    "genre": ("genre COLLATE NOCASE", "genre = ''"),
    "year": ("year", "IFNULL(year, 0) = 0"),
    "duration": ("duration", "IFNULL(duration, 0) = 0"),
    "height": ("height", "IFNULL(height, 0) = 0"),
    "added_at": ("added_at", None),
}
# Within one artist: albums by year, then title, each in disc and track order; tracks on no album last.
_TRACK_ORDER = "track_no IS NULL, IFNULL(disc_no, 1), track_no"  # numbered tracks first, disc by disc
_ALBUM_ORDER = f"year IS NULL, year, album = '', album COLLATE NOCASE, {_TRACK_ORDER}, title COLLATE NOCASE, id"
_ARTIST_ORDER = f"{ARTIST_KEY} = '', {ARTIST_KEY} COLLATE NOCASE, {_ALBUM_ORDER}"
_TIEBREAKS = {"title": "id", "artist": _ALBUM_ORDER,
              "album": f"{ARTIST_KEY} = '', {ARTIST_KEY} COLLATE NOCASE, {_TRACK_ORDER}, id"}
LIST_COLUMNS = ("id", "path", "kind", "title", "artist", "album", "album_artist", "genre", "year", "disc_no",
                "track_no", "duration", "width", "height", "added_at", "cover_path")


def listed_ids(conn: sqlite3.Connection, kind: str | None, match: str | None, sort: str,
               descending: bool = False) -> list[int]:
    """Ids of the present items (of one kind), those matching the FTS5 expression `match` when given,
    sorted by the list column `sort` (a LIST_SORTS key): items without a value last, ties in album order
    (artist, year, album, disc, track)."""
    if sort not in LIST_SORTS:
        raise ValueError(f"cannot sort the list by {sort!r}; choose from {', '.join(LIST_SORTS)}")
    where, params = ["status = 'ok'"], []
    if kind:
        where.append("kind = ?")
        params.append(kind)
    if match:
        where.append("id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
        params.append(match)
    value, empty = LIST_SORTS[sort]
    order = (f"{empty}, " if empty else "") + f"{value} {'DESC' if descending else 'ASC'}, "
    sql = (f"SELECT id FROM items WHERE {' AND '.join(where)} "
           f"ORDER BY {order}{_TIEBREAKS.get(sort, _ARTIST_ORDER)}")
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: 200k ids without a Row object each
    return [r[0] for r in cursor.execute(sql, params)]


def listed_rows(conn: sqlite3.Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """{id: the list columns of the item} (path as a plain str, poster_path from its video analysis)."""
    columns = ", ".join(f"items.{c}" for c in LIST_COLUMNS)
    sql = (f"SELECT {columns}, vf.poster_path FROM items LEFT JOIN video_features vf ON vf.item_id = items.id "
           "WHERE items.id IN ({marks})")
    out = {}
    for row in select_in(conn, sql, ids):
        values = dict(zip(row.keys(), tuple(row), strict=True))
        values["path"] = from_db_path(values["path"])
        out[values["id"]] = values
    return out


def recent_items(conn: sqlite3.Connection, limit: int) -> list[MediaItem]:
    """The `limit` present items added last, newest first."""
    return [media_item(r) for r in conn.execute(
        "SELECT * FROM items WHERE status = 'ok' ORDER BY added_at DESC, id DESC LIMIT ?", (int(limit),))]


def kind_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many present items of each kind the library holds ({"audio": n, "video": m}; absent kinds 0)."""
    out = {"audio": 0, "video": 0}
    for kind, n in conn.execute("SELECT kind, COUNT(*) FROM items WHERE status = 'ok' GROUP BY kind"):
        out[kind] = int(n)
    return out


def failure_count(conn: sqlite3.Connection) -> int:
    """How many files could not be read or analysed (one row per file and step)."""
    return int(conn.execute("SELECT COUNT(*) FROM failures").fetchone()[0])


# ----- what `Library.stats`, `show`, `failures` and `items` read ------------------------------------
def status_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Items present, per kind, missing and failed; roots and play events (`encore stats`)."""
    one = lambda sql: int(conn.execute(sql).fetchone()[0])  # noqa: E731
    return {
        "items": one("SELECT COUNT(*) FROM items WHERE status != 'missing'"),
        "audio": one("SELECT COUNT(*) FROM items WHERE status = 'ok' AND kind = 'audio'"),
        "video": one("SELECT COUNT(*) FROM items WHERE status = 'ok' AND kind = 'video'"),
        "missing": one("SELECT COUNT(*) FROM items WHERE status = 'missing'"),
        "failed": one("SELECT COUNT(*) FROM items WHERE status = 'failed'"),
        "roots": one("SELECT COUNT(*) FROM roots"),
        "play_events": one("SELECT COUNT(*) FROM play_events WHERE outcome = 'played'"),
    }


def item_details(conn: sqlite3.Connection, item_id: int, sidecar_chars: int = 2000) -> dict[str, Any]:
    """An item's tags ({key: value}), sidecars (kind, path, text cut to `sidecar_chars`) and failures."""
    tags = {t["key"]: t["value"] for t in conn.execute("SELECT key, value FROM tags WHERE item_id = ?", (item_id,))}
    sidecars = [{"kind": s["kind"], "path": from_db_path(s["path"]), "text": (s["text"] or "")[:sidecar_chars]}
                for s in conn.execute("SELECT kind, path, text FROM sidecars WHERE item_id = ?", (item_id,))]
    failures = [dict(f) for f in conn.execute(
        "SELECT stage, error, attempts FROM failures WHERE item_id = ?", (item_id,))]
    return {"tags": tags, "sidecars": sidecars, "failures": failures}


def all_failures(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every recorded failure, newest first: path, stage, error, attempts, item_id."""
    return [{"path": from_db_path(r["path"]), "stage": r["stage"], "error": r["error"],
             "attempts": r["attempts"], "item_id": r["item_id"]}
            for r in conn.execute("SELECT * FROM failures ORDER BY last_at DESC")]


def items_page(conn: sqlite3.Connection, kind: str | None, status: str, limit: int, offset: int) -> list[MediaItem]:
    """A page of items of one status (and kind), in album order."""
    sql = "SELECT * FROM items WHERE status = ?"
    params: list[Any] = [status]
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    sql += " ORDER BY artist, album, disc_no, track_no, title, id LIMIT ? OFFSET ?"
    return [media_item(r) for r in conn.execute(sql, (*params, int(limit), int(offset)))]



# ----- albums and artists (the Albums and Artists pages) --------------------------------------------
class AlbumRow(NamedTuple):
    """One album: the present music tracks that share an album artist (else artist) and an album title."""

    artist: str | None  # '' = no artist tag; None = any artist (the one "Unknown album" of the whole library)
    album: str  # '' = the tracks on no album
    year: int | None  # of its first track
    tracks: int
    duration: float  # seconds, all tracks together
    cover_path: str | None  # of its first track that has a cover
    first_id: int  # that track (its cover is the album's)


class ArtistRow(NamedTuple):
    """One album artist (else artist) of the present music, with what it holds."""

    artist: str  # '' = the tracks with no artist tag
    albums: int  # named albums (tracks on no album are not one)
    tracks: int
    duration: float
    cover_path: str | None  # of its first track that has a cover


_MUSIC = "status = 'ok' AND kind = 'audio'"
_ID_BITS = 34
# A group's first track as one number, for MIN(): tracks with a cover first, then numbered ones, by disc,
# track, id. With exactly one min() in a query SQLite takes the bare columns (cover_path, year) from that
# very row.
_FIRST_TRACK = (f"(((IFNULL(cover_path, '') = '') << 60) + ((track_no IS NULL) << 59) "
                f"+ ((IFNULL(disc_no, 1) & 1023) << 49) + ((IFNULL(track_no, 0) & 32767) << {_ID_BITS}) + id)")


def albums(conn: sqlite3.Connection, artist: str | None = None) -> list[AlbumRow]:
    """The albums of the present music (of one album artist when given, its case ignored), by artist,
    year and title; albums of no known artist after those, and tracks on no album last (one "Unknown
    album" for the whole library when no artist is given). The grouping reads only the items_albums
    index (migration 0011), in its order, with no sort of the tracks: 200k tracks in 32k albums take
    ~200 ms of CPU against ~570 ms without the index, on a machine where sum(range(10**7)) takes 155 ms."""
    where = _MUSIC
    params: tuple[str, ...] = ()
    if artist is not None:
        where += f" AND {ARTIST_KEY} = ? COLLATE NOCASE"
        params = (artist,)
    sql = (f"SELECT {ARTIST_KEY} AS a, album, year, COUNT(*), TOTAL(duration), cover_path, "
           f"MIN({_FIRST_TRACK}) & {(1 << _ID_BITS) - 1} FROM items INDEXED BY items_albums WHERE {where} "
           "GROUP BY a COLLATE NOCASE, album COLLATE NOCASE "
           "ORDER BY album = '', a = '', a COLLATE NOCASE, year IS NULL, year, album COLLATE NOCASE")
    rows = list(map(AlbumRow._make, _plain_rows(conn, sql, params)))
    if artist is None:  # the tracks on no album of every artist: one group (they are last already)
        loose = [r for r in rows if r.album == ""]
        if loose:
            first = min(loose, key=lambda r: (not r.cover_path, r.first_id))
            rows[len(rows) - len(loose):] = [AlbumRow(None, "", first.year, sum(r.tracks for r in loose),
                                                      sum(r.duration for r in loose), first.cover_path,
                                                      first.first_id)]
    return rows


def album_track_ids(conn: sqlite3.Connection, artist: str | None, album: str) -> list[int]:
    """The present music tracks of one album (AlbumRow.artist and .album; case ignored) in disc and track
    order (tracks without numbers after those with, by title)."""
    sql = f"SELECT id FROM items WHERE {_MUSIC} AND album = ? COLLATE NOCASE"
    params: list[Any] = [album]
    if artist is not None:
        sql += f" AND {ARTIST_KEY} = ? COLLATE NOCASE"
        params.append(artist)
    sql += f" ORDER BY {_TRACK_ORDER}, {ARTIST_KEY} COLLATE NOCASE, title COLLATE NOCASE, id"
    return [r[0] for r in _plain_rows(conn, sql, tuple(params))]


def artists(conn: sqlite3.Connection) -> list[ArtistRow]:
    """Every album artist (else artist) of the present music by name, case ignored; no artist last."""
    sql = (f"SELECT {ARTIST_KEY} AS a, COUNT(DISTINCT CASE WHEN album != '' THEN LOWER(album) END), COUNT(*), "
           f"TOTAL(duration), cover_path, MIN({_FIRST_TRACK}) FROM items INDEXED BY items_albums WHERE {_MUSIC} "
           "GROUP BY a COLLATE NOCASE ORDER BY a = '', a COLLATE NOCASE")
    return [ArtistRow(a, int(n_albums), int(n), float(d or 0.0), cover or None)
            for a, n_albums, n, d, cover, _first in _plain_rows(conn, sql, ())]
