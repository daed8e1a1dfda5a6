"""Exact term matching over `item_terms`, weighted by position, and term feedback from the best matches.

An item whose first genre is "rock" matches the query "rock" better than one that lists it fifteenth, and
neither BM25 over words nor cosine over the whole description sees that. Feedback (pseudo-relevance
feedback over tags): the terms that the best-matching items also carry ("chillout" -> "downtempo",
"ambient") find items that share the query's neighbourhood without carrying the query word itself.
"""

from __future__ import annotations

import math
import sqlite3

from core.db import terms as term_db


def position_weight(position: int) -> float:
    """1 for the first term, 0.63 for the second, 0.5 for the third ... (a DCG discount)."""
    return 1.0 / math.log2(position + 2)


def term_recall(conn: sqlite3.Connection, weighted: dict[str, float], cap: int,
                found: set[str] | None = None) -> dict[int, float]:
    """{item id: sum of weight x position weight over the rows read} for up to `cap` items per term,
    first-listed first (index on term, position). A lower bound of `term_scores` (an item may carry a term
    beyond that term's first `cap` items): cheap enough to rank every candidate, exact scores go to the head.
    Terms that some item carries are added to `found`."""
    out: dict[int, float] = {}
    for term, weight in weighted.items():
        rows = term_db.first_carriers(conn, term, cap)
        if rows is None:  # a library from before item_terms: no term evidence
            return {}
        for item_id, position in rows:
            out[item_id] = out.get(item_id, 0.0) + weight * position_weight(position)
        if rows and found is not None:
            found.add(term)
    return out


def term_scores(conn: sqlite3.Connection, item_ids: list[int], weighted: dict[str, float]
                ) -> tuple[dict[int, float], dict[int, list[str]]]:
    """({item id: sum over its terms in `weighted` of weight x position weight}, {item id: those terms})
    for the given candidates (their own rows are read, so the score is exact whatever recall found)."""
    scores: dict[int, float] = {}
    matched: dict[int, list[str]] = {}
    if not item_ids or not weighted:
        return scores, matched
    wanted = list(weighted)[:400]  # with a 500-id chunk, under SQLite's old 999-variable limit
    for item_id, position, term in term_db.terms_of(conn, item_ids, only=wanted):
        weight = weighted.get(term)
        if weight:
            scores[item_id] = scores.get(item_id, 0.0) + weight * position_weight(position)
            matched.setdefault(item_id, []).append(term)
    return scores, matched


def feedback_terms(conn: sqlite3.Connection, top: list[tuple[int, float]], exclude: set[str], n: int
                   ) -> list[tuple[str, float]]:
    """The `n` terms the best items share most (weighted by their score and the term's position), with
    weights that sum to 1 (so together they count like one query term); terms in `exclude` are left out."""
    if not top or n <= 0:
        return []
    score = dict(top)
    weight: dict[str, float] = {}
    for item_id, position, term in term_db.terms_of(conn, list(score)):
        if term not in exclude:
            weight[term] = weight.get(term, 0.0) + score[item_id] * position_weight(position)
    best = sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    total = sum(w for _, w in best)
    return [(t, w / total) for t, w in best] if total > 0 else []
