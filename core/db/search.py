"""Reads of the full-text index (`items_fts`, `items_fts_vocab`), and the one builder of FTS5 queries.

Free text never reaches FTS5 as syntax: every MATCH expression is built here from word tokens, each one
quoted, so a query like `NEAR(a b)`, `title: x*` or a lone `"` is searched as words (or not at all).

`items_trigram` (migration 0013, SQLite >= 3.34) is a trigram FTS5 index of the names and tags of the items
written in scripts without spaces between words (Chinese, Japanese, Korean, Thai...): unicode61 reads
"悲伤的音乐" as one token, so "悲伤" finds it only through substrings. Only those items are in it, so a
Western library pays nothing; 1-2 character substrings (below a trigram) are LIKE scans of that table.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence

from core.db.chunked import select_in

_TOKEN = re.compile(r"\w+", re.UNICODE)
# Scripts written without spaces between words (or, for Hangul, with particles glued on): Han, kana, Hangul,
# Thai, Lao, Myanmar, Khmer. Their text goes into items_trigram; their query runs are matched as substrings.
UNSEGMENTED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u2e80-\u2fdf\u3040-\u30ff\u3130-\u318f"
    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f]+")
TRIGRAM_COLUMNS = ("title", "artist", "album", "genre", "tags")
TRIGRAM_TAG_CHARS = 1_000  # names and short tags; long comments and lyrics stay in items_fts only
MAX_PREFIX_WORDS = 12  # a filter box query: more words than this narrow nothing further
FTS_COLUMNS = ("title", "artist", "album", "genre", "tags", "sidecar")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens as FTS5's unicode61 tokenizer sees them (roughly)."""
    return _TOKEN.findall((text or "").lower())


def phrase(text: str) -> str | None:
    """One FTS5 phrase for `text` (quoted, so no query syntax from the user ever reaches FTS5)."""
    words = tokens(text)
    return '"' + " ".join(words) + '"' if words else None


def match_any(terms: Iterable[str]) -> str | None:
    """`"a" OR "b c"`: any of the terms (each a phrase), or None when nothing is searchable."""
    phrases = list(dict.fromkeys(p for p in (phrase(t) for t in terms) if p))
    return " OR ".join(phrases) if phrases else None


def fts_query(text: str) -> str | None:
    """A filter-box query from free text: every word must match as a prefix (`"pap"* "boa"*`); None when
    the text has no word at all (the caller shows everything)."""
    words = tokens(text)[:MAX_PREFIX_WORDS]
    return " ".join(f'"{w}"*' for w in words) if words else None


def bm25(conn: sqlite3.Connection, match: str, limit: int, weights: Sequence[float]) -> dict[int, float]:
    """{item id: BM25 score (higher is better)} of the best `limit` rows matching the FTS5 expression `match`
    (built by `match_any` / `fts_query`); a query FTS5 rejects gives {} rather than an error."""
    columns = ", ".join(str(float(w)) for w in weights)  # floats formatted by us, never user text
    try:
        rows = conn.execute(f"SELECT rowid, bm25(items_fts, {columns}) AS s FROM items_fts WHERE items_fts MATCH ? "
                            "ORDER BY s LIMIT ?", (match, int(limit))).fetchall()
    except sqlite3.OperationalError:
        return {}
    return {int(r[0]): -float(r[1]) for r in rows}


def doc_frequency(conn: sqlite3.Connection, words: Sequence[str]) -> dict[str, int]:
    """Number of items containing each token (0 = the word is nowhere in the library)."""
    out = {w: 0 for w in words}
    try:
        for term, doc in select_in(conn, "SELECT term, doc FROM items_fts_vocab WHERE term IN ({marks})", list(out)):
            out[term] = int(doc)
    except sqlite3.OperationalError:  # a library from before items_fts_vocab
        pass
    return out


def common_words(conn: sqlite3.Connection, min_docs: int, limit: int) -> list[tuple[str, int]]:
    """The `limit` words of the full-text index in most items (each in at least `min_docs`), most common first."""
    try:
        return [(str(t), int(d)) for t, d in conn.execute(
            "SELECT term, doc FROM items_fts_vocab WHERE doc >= ? ORDER BY doc DESC LIMIT ?", (min_docs, limit))]
    except sqlite3.OperationalError:
        return []


def searchable_texts(conn: sqlite3.Connection, item_ids: Sequence[int]) -> dict[int, str]:
    """{item id: its indexed text (title, names, album, genre, tags, sidecar) joined by spaces}."""
    sql = f"SELECT rowid, {', '.join(FTS_COLUMNS)} FROM items_fts WHERE rowid IN ({{marks}})"
    return {int(row[0]): " ".join(str(v or "") for v in tuple(row)[1:]) for row in select_in(conn, sql, item_ids)}


def has_kind(conn: sqlite3.Connection, kind: str) -> bool:
    """Whether the library holds at least one present item of `kind` ("audio" / "video")."""
    return conn.execute("SELECT 1 FROM items WHERE kind = ? AND status = 'ok' LIMIT 1", (kind,)).fetchone() is not None


def browse_ids(conn: sqlite3.Connection, kind: str | None, year_min: int | None, year_max: int | None,
               limit: int, genre: str | None = None, duration_min: float | None = None,
               duration_max: float | None = None) -> list[int]:
    """Ids of present items for a query without words ("music before 2000", or only filter chips), in shelf
    order (artist, album, track, title), optionally one kind, a year range, a genre word and a length range."""
    sql = "SELECT id FROM items WHERE status = 'ok'"
    params: list[object] = []
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    if year_min:
        sql += " AND year >= ?"
        params.append(year_min)
    if year_max:
        sql += " AND year <= ?"
        params.append(year_max)
    if genre:  # instr on lower(): no LIKE wildcards from the user's text
        sql += " AND instr(lower(coalesce(genre, '')), ?) > 0"
        params.append(genre.lower())
    if duration_min is not None:
        sql += " AND duration >= ?"
        params.append(float(duration_min))
    if duration_max is not None:
        sql += " AND duration <= ?"
        params.append(float(duration_max))
    sql += " ORDER BY artist, album, track_no, title LIMIT ?"
    return [int(r[0]) for r in conn.execute(sql, [*params, int(limit)])]


def genre_values(conn: sqlite3.Connection, limit: int) -> list[tuple[str, int]]:
    """The `limit` genre fields of present items that most items carry, as written, with their counts."""
    return [(str(g), int(n)) for g, n in conn.execute(
        "SELECT genre, count(*) AS n FROM items WHERE status = 'ok' AND coalesce(genre, '') != '' "
        "GROUP BY lower(genre) ORDER BY n DESC, genre LIMIT ?", (int(limit),))]


def vocabulary_words(conn: sqlite3.Connection, min_length: int) -> list[tuple[str, int]]:
    """Every word of the full-text index of at least `min_length` characters, with the number of items it is
    in (a full scan of the index: 0.4-1.2 s for 180,000 words in 200,000 items)."""
    try:
        return [(str(t), int(d)) for t, d in conn.execute(
            "SELECT term, doc FROM items_fts_vocab WHERE length(term) >= ?", (int(min_length),))]
    except sqlite3.OperationalError:  # a library from before items_fts_vocab
        return []


def indexed_item_count(conn: sqlite3.Connection) -> int:
    """Items in the full-text index (one row each in its docsize table: ~1 ms at 200,000 items). Counting
    the vocabulary itself is a scan of the whole index (~0.4 s there), so this stands for its size."""
    try:
        return int(conn.execute("SELECT count(*) FROM items_fts_docsize").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def data_version(conn: sqlite3.Connection) -> int:
    """SQLite's counter of commits made by other connections (free: no read of the file)."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def has_unsegmented(text: str | None) -> bool:
    """Whether `text` has letters of a script written without spaces between words."""
    return text is not None and UNSEGMENTED.search(text) is not None


def trigram_supported() -> bool:
    """Whether this SQLite has FTS5's trigram tokenizer (3.34 and later)."""
    return sqlite3.sqlite_version_info >= (3, 34, 0)


def write_trigram_row(conn: sqlite3.Connection, item_id: int, values: Sequence[str | None] | None) -> None:
    """Keep `items_trigram` in step with `items_fts`: replace the item's row with `values` (title, artist, album,
    genre, tags), stored only when they hold unsegmented-script text; None removes the row."""
    try:
        conn.execute("DELETE FROM items_trigram WHERE rowid = ?", (item_id,))
    except sqlite3.OperationalError:  # no trigram index (SQLite before 3.34, or before migration 0013)
        return
    if values is None:
        return
    row = [str(v or "") for v in values]
    row[4] = row[4][:TRIGRAM_TAG_CHARS]
    if any(has_unsegmented(v) for v in row):
        conn.execute("INSERT INTO items_trigram (rowid, title, artist, album, genre, tags) VALUES (?, ?, ?, ?, ?, ?)",
                     (item_id, *row))


def copy_trigram_row(conn: sqlite3.Connection, item_id: int) -> None:
    """Rewrite the item's `items_trigram` row from its `items_fts` row (tags without the analysis phrases)."""
    row = conn.execute("SELECT title, artist, album, genre, tags FROM items_fts WHERE rowid = ?", (item_id,)).fetchone()
    if row is not None:
        row = list(tuple(row))
        row[4] = (row[4] or "").split("\u2063")[0]  # core.db.items.DESCRIPTOR_MARK: phrases follow it
    write_trigram_row(conn, item_id, row)


def fill_trigram(conn: sqlite3.Connection) -> int:
    """(Re)build `items_trigram` from `items_fts`; returns the number of items it holds."""
    conn.execute("DELETE FROM items_trigram")
    n = 0
    for rowid, *values in conn.execute("SELECT rowid, title, artist, album, genre, tags FROM items_fts").fetchall():
        if any(has_unsegmented(v) for v in values):
            values[4] = (values[4] or "").split("\u2063")[0]
            write_trigram_row(conn, int(rowid), values)
            n += 1
    return n


def substring_texts(conn: sqlite3.Connection, runs: Sequence[str], limit: int) -> dict[int, str]:
    """{item id: its names and tags} of up to `limit` items whose title, artist, album, genre or tags contain any
    of `runs` (unsegmented-script strings) as a substring: a trigram MATCH for 3+ characters, LIKE below."""
    columns = ", ".join(TRIGRAM_COLUMNS)
    queries: list[tuple[str, list[object]]] = []
    long_runs = list(dict.fromkeys(r for r in runs if len(r) >= 3))
    if long_runs:  # each run a quoted trigram phrase: a substring match (no FTS5 syntax from the query)
        queries.append((f"SELECT rowid, {columns} FROM items_trigram WHERE items_trigram MATCH ? ORDER BY rank LIMIT ?",
                        [" OR ".join('"' + r.replace('"', '""') + '"' for r in long_runs)]))
    for run in dict.fromkeys(r for r in runs if 0 < len(r) < 3):
        like = "%" + run.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in TRIGRAM_COLUMNS)
        queries.append((f"SELECT rowid, {columns} FROM items_trigram WHERE {where} LIMIT ?", [like] * len(TRIGRAM_COLUMNS)))
    out: dict[int, str] = {}
    for sql, params in queries:
        try:
            rows = conn.execute(sql, [*params, int(limit)]).fetchall()
        except sqlite3.OperationalError:  # no trigram index
            return {}
        out.update((int(r[0]), " ".join(str(v or "") for v in tuple(r)[1:])) for r in rows)
    return out
