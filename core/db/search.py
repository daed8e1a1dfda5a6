"""Reads of the full-text index (`items_fts`, `items_fts_vocab`), and the one builder of FTS5 queries.

Free text never reaches FTS5 as syntax: every MATCH expression is built here from word tokens, each one
quoted, so a query like `NEAR(a b)`, `title: x*` or a lone `"` is searched as words (or not at all).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence

from core.db.chunked import select_in

_TOKEN = re.compile(r"\w+", re.UNICODE)
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
               limit: int) -> list[int]:
    """Ids of present items for a query without words ("music before 2000"), in shelf order (artist,
    album, track, title), optionally one kind and a year range."""
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
    sql += " ORDER BY artist, album, track_no, title LIMIT ?"
    return [int(r[0]) for r in conn.execute(sql, [*params, int(limit)])]
