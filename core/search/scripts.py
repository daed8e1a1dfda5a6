"""Queries in other scripts: which letters the embedding model reads, and substring matches in CJK names.

The bundled embedding model (all-MiniLM-L6-v2) was trained on English: for "悲伤的音乐" its nearest vectors
are unrelated sound effects, so a query whose letters are mostly outside the Latin script gets no
"close in meaning" hits (a multilingual model, by its name, reads every script). Words in scripts without
spaces (Han, kana, Hangul, Thai...) are matched as substrings of titles, artists, albums, genres and tags
through `items_trigram`.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable

from core.db import search as fts

MULTILINGUAL_MARKS = ("multilingual", "labse", "bge-m3", "-m3", "xlm", "mling")
MIN_COVERAGE = 0.5  # share of a query run's character pairs an item's text must contain to count


def _is_latin(letter: str) -> bool:
    return unicodedata.name(letter, "").startswith("LATIN")


def latin_share(text: str) -> float:
    """The share of the letters of `text` that are Latin (1.0 when it has no letters)."""
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if _is_latin(c)) / len(letters) if letters else 1.0


def model_reads(text: str, model_name: str = "") -> bool:
    """Whether the embedding model can read `text`: an English model reads a query whose letters are at
    least half Latin; a multilingual model (by its name) reads anything."""
    if any(mark in (model_name or "").lower() for mark in MULTILINGUAL_MARKS):
        return True
    return latin_share(text) >= 0.5


def unread_notice(query: str) -> str:
    """What the faces say when the model does not read the query's language."""
    shown = query if len(query) <= 40 else query[:39] + "…"
    return (f"The search model reads English, not the language of “{shown}”: Encore matched it in titles, "
            "artists, albums and tags only, and shows nothing as “close in meaning”.")


def runs(words: Iterable[str]) -> list[str]:
    """The unsegmented-script runs of the query words ("悲伤的音乐", "ラジオ"), in order, once each."""
    return list(dict.fromkeys(r for w in words for r in fts.UNSEGMENTED.findall(w.lower())))


def _pairs(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} if len(text) > 1 else {text}


def _coverage(run: str, text: str) -> float:
    """1.0 when `text` contains the whole run, else the share of its character pairs that it contains."""
    if run in text:
        return 1.0
    pairs = _pairs(run)
    return sum(1 for p in pairs if p in text) / len(pairs)


def substring_scores(conn: sqlite3.Connection, words: list[str], limit: int) -> tuple[dict[int, float], set[str]]:
    """({item id: 0..1, how much of the query's unsegmented runs its names and tags contain}, the query tokens
    so matched). Recall: each run as a substring, and its trigrams (so "悲伤的歌" finds "悲伤的音乐")."""
    found_runs = runs(words)
    if not found_runs:
        return {}, set()
    probes = list(found_runs)
    for run in found_runs:
        if len(run) > 3:
            probes += [run[i:i + 3] for i in range(len(run) - 2)]
    texts = fts.substring_texts(conn, probes, limit)
    scores: dict[int, float] = {}
    matched: set[str] = set()
    for item_id, text in texts.items():
        text = text.lower()
        parts = [_coverage(run, text) for run in found_runs]
        score = sum(parts) / len(parts)
        if score >= MIN_COVERAGE:
            scores[item_id] = score
            matched.update(run for run, part in zip(found_runs, parts, strict=True) if part >= MIN_COVERAGE)
    tokens = {t for w in words for t in fts.tokens(w) if any(run in t for run in matched)}
    return scores, tokens


def matched_substrings(conn: sqlite3.Connection, item_ids: list[int], words: list[str]) -> dict[int, list[str]]:
    """Which unsegmented-script query runs each item's names and tags contain (for its reason line)."""
    found_runs = runs(words)
    if not found_runs or not item_ids:
        return {}
    out: dict[int, list[str]] = {}
    for item_id, text in fts.searchable_texts(conn, item_ids).items():
        hits = [run for run in found_runs if run in text.lower()]
        if hits:
            out[item_id] = hits
    return out
