"""Each item's descriptive terms in order (genres, styles, moods, tags, then analysis phrases): `item_terms`.

A tag list is not prose: "Rock; Pop" says rock first, and an artist whose first tag is "rock" is more rock
than one where it is the fifteenth. FTS5's BM25 sees neither the order nor where a term ends ("rock" also
hits "punk rock"), so search keeps the terms themselves, with their position, for exact term matching
(core.search.terms). Sources: 0 = the item's own tags (genre column, then style/mood/... tags), 1 = the
analysis phrases ("calm", "fast cuts"), each numbered from 0.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from core.db.chunked import select_in
from core.db.features import phrases_for
from core.text import split_terms

TERM_KEYS = ("genre", "style", "mood", "grouping", "keywords", "tags", "subgenre")
MAX_TERMS = 40  # per item and source: a tag dump of hundreds of words is not a description
SOURCE_TAGS, SOURCE_PHRASES = 0, 1
__all__ = ["split_terms"]  # the one tag splitter lives in core.text; re-exported for term readers


def tag_terms(genre: str | None, tags: Iterable[tuple[str, str]] = ()) -> list[str]:
    """An item's own terms in order: its genre field first, then style/mood/... tag values; no repeats."""
    out = split_terms(genre or "")
    for key, value in tags:
        if key.lower() in TERM_KEYS and key.lower() != "genre":
            out.extend(split_terms(value))
    return list(dict.fromkeys(out))[:MAX_TERMS]


def phrase_terms(phrases: Iterable[str]) -> list[str]:
    """Analysis phrases as terms: lower-cased, in order, no repeats, at most MAX_TERMS."""
    return list(dict.fromkeys(p.strip().lower() for p in phrases if isinstance(p, str) and 1 < len(p.strip()) <= 60))[
        :MAX_TERMS]


def write_terms(conn: sqlite3.Connection, item_id: int, source: int, terms: list[str]) -> None:
    """Replace one source of an item's terms (in the caller's transaction)."""
    conn.execute("DELETE FROM item_terms WHERE item_id = ? AND source = ?", (item_id, source))
    conn.executemany("INSERT INTO item_terms (item_id, source, position, term) VALUES (?, ?, ?, ?)",
                     [(item_id, source, i, t) for i, t in enumerate(terms)])


def rebuild(conn: sqlite3.Connection) -> int:
    """Fill `item_terms` from items, tags and descriptors (the migration, and libraries built by SQL)."""
    conn.execute("DELETE FROM item_terms")
    extra: dict[int, list[tuple[str, str]]] = {}
    marks = ",".join("?" * len(TERM_KEYS))
    for item_id, key, value in conn.execute(f"SELECT item_id, key, value FROM tags WHERE key IN ({marks})",
                                            TERM_KEYS):
        extra.setdefault(item_id, []).append((key, value))
    count = 0
    items = conn.execute("SELECT id, genre FROM items").fetchall()
    for item_id, genre in items:
        terms = tag_terms(genre, extra.get(item_id, ()))
        if terms:
            write_terms(conn, item_id, SOURCE_TAGS, terms)
            count += 1
    for item_id, phrases in phrases_for(conn, [r[0] for r in items]).items():
        if phrases:
            write_terms(conn, item_id, SOURCE_PHRASES, phrase_terms(phrases))
    return count


def item_frequencies(conn: sqlite3.Connection) -> dict[str, int]:
    """{term: number of present items carrying it} over every term in the library."""
    return {term: int(n) for term, n in conn.execute(
        "SELECT t.term, COUNT(DISTINCT t.item_id) FROM item_terms t JOIN items i ON i.id = t.item_id "
        "WHERE i.status = 'ok' GROUP BY t.term")}


def first_carriers(conn: sqlite3.Connection, term: str, cap: int) -> list[tuple[int, int]] | None:
    """Up to `cap` (item id, position) rows of the items carrying `term`, first-listed first (the index on
    term, position); None in a library from before item_terms."""
    try:
        return [(int(i), int(p)) for i, p in conn.execute(
            "SELECT item_id, position FROM item_terms WHERE term = ? ORDER BY position LIMIT ?", (term, int(cap)))]
    except sqlite3.OperationalError:
        return None


def terms_of(conn: sqlite3.Connection, item_ids: Sequence[int], only: Sequence[str] | None = None
             ) -> list[tuple[int, int, str]]:
    """(item id, position, term) rows of the items' terms, optionally only the terms in `only` ([] in a
    library from before item_terms)."""
    sql = "SELECT item_id, position, term FROM item_terms WHERE item_id IN ({marks})"
    after: list[str] = []
    if only is not None:
        # `+term` keeps the planner on the item_id primary key rather than walking every item that carries a
        # common term; the filter runs in SQLite so only the wanted terms come back to Python.
        after = list(only)
        sql += f" AND +term IN ({','.join('?' * len(after))})"
    try:
        return [(int(i), int(p), t) for i, p, t in select_in(conn, sql, item_ids, after=after)]
    except sqlite3.OperationalError:
        return []
