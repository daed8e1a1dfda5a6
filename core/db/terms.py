"""Each item's descriptive terms in order (genres, styles, moods, tags, then analysis phrases): `item_terms`.

A tag list is not prose: "Rock; Pop" says rock first, and an artist whose first tag is "rock" is more rock
than one where it is the fifteenth. FTS5's BM25 sees neither the order nor where a term ends ("rock" also
hits "punk rock"), so search keeps the terms themselves, with their position, for exact term matching
(core.search.terms). Sources: 0 = the item's own tags (genre column, then style/mood/... tags), 1 = the
analysis phrases ("calm", "fast cuts"), each numbered from 0.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable

TERM_KEYS = ("genre", "style", "mood", "grouping", "keywords", "tags", "subgenre")
MAX_TERMS = 40  # per item and source: a tag dump of hundreds of words is not a description
SOURCE_TAGS, SOURCE_PHRASES = 0, 1
_SPLIT = re.compile(r"\s*[,;/|]\s*")


def split_terms(value: str) -> list[str]:
    """Tag values like "Rock; Pop / Indie" -> ["rock", "pop", "indie"]."""
    return [t.strip().lower() for t in _SPLIT.split(value or "") if 1 < len(t.strip()) <= 60]


def tag_terms(genre: str | None, tags: Iterable[tuple[str, str]] = ()) -> list[str]:
    """An item's own terms in order: its genre field first, then style/mood/... tag values; no repeats."""
    out = split_terms(genre or "")
    for key, value in tags:
        if key.lower() in TERM_KEYS and key.lower() != "genre":
            out.extend(split_terms(value))
    return list(dict.fromkeys(out))[:MAX_TERMS]


def phrase_terms(phrases: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(p.strip().lower() for p in phrases if isinstance(p, str) and 1 < len(p.strip()) <= 60))[
        :MAX_TERMS]


def write_terms(conn: sqlite3.Connection, item_id: int, source: int, terms: list[str]) -> None:
    """Replace one source of an item's terms (in the caller's transaction)."""
    conn.execute("DELETE FROM item_terms WHERE item_id = ? AND source = ?", (item_id, source))
    conn.executemany("INSERT INTO item_terms (item_id, source, position, term) VALUES (?, ?, ?, ?)",
                     [(item_id, source, i, t) for i, t in enumerate(terms)])


def rebuild(conn: sqlite3.Connection) -> int:
    """Fill `item_terms` from items, tags and descriptors (the migration, and libraries built by SQL)."""
    import json

    conn.execute("DELETE FROM item_terms")
    extra: dict[int, list[tuple[str, str]]] = {}
    marks = ",".join("?" * len(TERM_KEYS))
    for item_id, key, value in conn.execute(f"SELECT item_id, key, value FROM tags WHERE key IN ({marks})",
                                            TERM_KEYS):
        extra.setdefault(item_id, []).append((key, value))
    count = 0
    for item_id, genre in conn.execute("SELECT id, genre FROM items").fetchall():
        terms = tag_terms(genre, extra.get(item_id, ()))
        if terms:
            write_terms(conn, item_id, SOURCE_TAGS, terms)
            count += 1
    try:
        rows = conn.execute("SELECT item_id, phrases FROM descriptors").fetchall()
    except sqlite3.OperationalError:
        rows = []
    for item_id, phrases in rows:
        try:
            write_terms(conn, item_id, SOURCE_PHRASES, phrase_terms(json.loads(phrases)))
        except (TypeError, ValueError):
            continue
    return count
