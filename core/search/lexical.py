"""Lexical matching: field-weighted BM25 over the full-text index, term document frequencies, matched words.

The FTS5 expressions themselves are built in one place, `core.db.search`, from word tokens only.
"""

from __future__ import annotations

import sqlite3

from core.db import search as fts
from core.db.search import tokens

__all__ = ["FIELD_WEIGHTS", "bm25", "doc_frequency", "matched_words", "tokens"]

# bm25() column weights for items_fts (title, artist, album, genre, tags, sidecar): genre/style words are the
# strongest descriptive evidence, then names; free sidecar text (subtitles, lyrics) is weak. Chosen on the
# dev halves of bench/search_eval.py (title 4 -> 2, genre 2.5 -> 4 raised both dev NDCGs).
FIELD_WEIGHTS = (2.0, 3.0, 2.0, 4.0, 1.5, 0.5)


def bm25(conn: sqlite3.Connection, terms: list[str], limit: int,
         weights: tuple[float, ...] = FIELD_WEIGHTS) -> dict[int, float]:
    """{item id: BM25 score (higher is better)} of the best `limit` rows matching any of `terms`."""
    expr = fts.match_any(terms)
    return fts.bm25(conn, expr, limit, weights) if expr else {}


def doc_frequency(conn: sqlite3.Connection, words: list[str]) -> dict[str, int]:
    """Number of items containing each token (0 = the word is nowhere in the library)."""
    return fts.doc_frequency(conn, words)


def matched_words(conn: sqlite3.Connection, item_ids: list[int], words: list[str]) -> dict[int, list[str]]:
    """Which of `words` (or multi-word terms) occur in each item's searchable text."""
    out: dict[int, list[str]] = {}
    if not item_ids or not words:
        return out
    for item_id, text in fts.searchable_texts(conn, item_ids).items():
        padded = " " + " ".join(tokens(text)) + " "
        found = [w for w in words if tokens(w) and f" {' '.join(tokens(w))} " in padded]
        if found:
            out[item_id] = list(dict.fromkeys(found))
    return out
