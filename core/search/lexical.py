"""Lexical matching: safe FTS5 MATCH expressions, field-weighted BM25, and term document frequencies."""

from __future__ import annotations

import re
import sqlite3

# bm25() column weights for items_fts (title, artist, album, genre, tags, sidecar): genre/style words are the
# strongest descriptive evidence, then names; free sidecar text (subtitles, lyrics) is weak. Chosen on the
# dev halves of bench/search_eval.py (title 4 -> 2, genre 2.5 -> 4 raised both dev NDCGs).
FIELD_WEIGHTS = (2.0, 3.0, 2.0, 4.0, 1.5, 0.5)
_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Lower-case word tokens as FTS5's unicode61 tokenizer sees them (roughly)."""
    return _TOKEN.findall((text or "").lower())


def phrase(text: str) -> str | None:
    """One FTS5 phrase for `text` (quoted, so no query syntax from the user ever reaches FTS5)."""
    words = tokens(text)
    return '"' + " ".join(words) + '"' if words else None


def match_expression(terms: list[str]) -> str | None:
    """`"a" OR "b c"`: any of the terms (each a phrase), or None when nothing is searchable."""
    phrases = list(dict.fromkeys(p for p in (phrase(t) for t in terms) if p))
    return " OR ".join(phrases) if phrases else None


def bm25(conn: sqlite3.Connection, terms: list[str], limit: int,
         weights: tuple[float, ...] = FIELD_WEIGHTS) -> dict[int, float]:
    """{item id: BM25 score (higher is better)} of the best `limit` rows matching any of `terms`."""
    expr = match_expression(terms)
    if not expr:
        return {}
    marks = ", ".join(str(float(w)) for w in weights)
    try:
        rows = conn.execute(f"SELECT rowid, bm25(items_fts, {marks}) AS s FROM items_fts WHERE items_fts MATCH ? "
                            "ORDER BY s LIMIT ?", (expr, int(limit))).fetchall()
    except sqlite3.OperationalError:  # e.g. a token FTS5 rejects: no lexical evidence, never an error
        return {}
    return {int(r[0]): -float(r[1]) for r in rows}


def doc_frequency(conn: sqlite3.Connection, words: list[str]) -> dict[str, int]:
    """Number of items containing each token (0 = the word is nowhere in the library)."""
    out = {w: 0 for w in words}
    if not words:
        return out
    try:
        marks = ",".join("?" * len(words))
        for term, doc in conn.execute(f"SELECT term, doc FROM items_fts_vocab WHERE term IN ({marks})", words):
            out[term] = int(doc)
    except sqlite3.OperationalError:
        pass
    return out


def total_docs(conn: sqlite3.Connection) -> int:
    try:
        row = conn.execute("SELECT COUNT(*) FROM items_fts").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0])


def matched_words(conn: sqlite3.Connection, item_ids: list[int], words: list[str]) -> dict[int, list[str]]:
    """Which of `words` (or multi-word terms) occur in each item's searchable text."""
    out: dict[int, list[str]] = {}
    if not item_ids or not words:
        return out
    marks = ",".join("?" * len(item_ids))
    rows = conn.execute(f"SELECT rowid, title, artist, album, genre, tags, sidecar FROM items_fts "
                        f"WHERE rowid IN ({marks})", item_ids).fetchall()
    for row in rows:
        text = " " + " ".join(tokens(" ".join(str(v or "") for v in tuple(row)[1:]))) + " "
        found = [w for w in words if tokens(w) and f" {' '.join(tokens(w))} " in text]
        if found:
            out[int(row[0])] = list(dict.fromkeys(found))
    return out
