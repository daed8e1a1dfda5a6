"""Hybrid ranking: field-weighted BM25 + vocabulary expansion + semantic cosine, fused at score level.

Scores are normalised per query (BM25 by its best hit, cosine between the k-th and the best candidate)
and mixed with query-dependent weights: lexical evidence counts in proportion to how many of the query
words exist in the library at all, so a query in words the library never uses ("1960s" vs "60s") leans
on the semantic and expansion signals instead of on an empty or accidental lexical match.
Both the product (`engine.search`) and the benchmark (`bench/search_eval.py`) call `rank()`.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from core.embed.index import VectorIndex
from core.search import lexical as lx
from core.search import scripts
from core.search import terms as tm
from core.search.intent import Intent, opposed_words
from core.search.vocabulary import Vocabulary


@dataclass(frozen=True)
class RankParams:
    """Fusion settings. The defaults were chosen on the dev (even sha1) half of the MovieLens and Last.fm
    queries only, maximising the smaller of the two hybrid/best-single ratios (bench/search_eval.py)."""

    lexical: float = 1.0
    semantic: float = 1.0
    expansion: float = 1.0
    coverage_power: float = 1.0     # lexical weight x (share of query words found in the library) ** power
    expansion_terms: int = 5
    expansion_min_sim: float = 0.45
    candidates: int = 200
    expansion_hits: int = 200       # best BM25 matches taken per expansion term
    # A word in more items than this is not looked up with BM25: its cost grows with the items it is in
    # (measured at 200k items: 25-60 ms per such word) and it hardly narrows a top-20; the semantic side
    # still sees it. Far above any term of the benchmark corpora (largest: 4,361 items).
    max_term_items: int = 10_000
    field_weights: tuple[float, ...] = lx.FIELD_WEIGHTS
    term: float = 3.0               # exact matches of the query / its nearest library terms, by position
    term_sim_power: float = 4.0     # a near term counts similarity ** power (0.8 -> 0.41): the query's own term leads
    term_cap: int = 100             # items recalled per term (first-listed first); candidates are scored exactly
    feedback: float = 2.0           # terms shared by the best term matches (pseudo-relevance feedback)
    feedback_items: int = 20
    feedback_terms: int = 10
    feedback_recall: int = 100      # items recalled per feedback term (0: feedback only re-scores the candidates)
    semantic_feedback: float = 0.3  # closeness to the centroid of the first-pass best items (Rocchio, candidates only)
    semantic_feedback_items: int = 10


@dataclass
class SearchContext:
    """What ranking needs: a connection with `items_fts`, the vector index, an encoder, the vocabulary."""

    conn: sqlite3.Connection
    index: VectorIndex | None
    encode_query: Callable[[str], np.ndarray] | None
    vocabulary: Vocabulary | None = None
    params: RankParams = field(default_factory=RankParams)


@dataclass
class Scored:
    """One ranked item and the parts of its score."""

    item_id: int
    score: float
    lexical: float = 0.0
    semantic: float | None = None
    expansion: float = 0.0
    expansion_terms: tuple[str, ...] = ()


def semantic_query_text(intent: Intent) -> str:
    """The query as the encoder should read it (history phrases dropped, kind/mood words kept)."""
    return intent.query if not (intent.unplayed or intent.favourites or intent.not_played_days) else (
        " ".join(filter(None, [intent.free_text, intent.kind or ""])) or intent.query)


def rank(ctx: SearchContext, intent: Intent, limit: int, kind_code: int | None = None,
         query_vec: np.ndarray | None = None) -> list[Scored]:
    """The best `limit` items for `intent`, scored and with their score parts."""
    p = ctx.params
    words = intent.words
    cand = max(p.candidates, limit)
    pending = None
    if query_vec is None and ctx.encode_query is not None and (p.semantic > 0 or p.expansion > 0 or p.term > 0):
        # Encode on the side while SQLite does the lexical work: both release the GIL, so on 2 cores the
        # query's encoding (~25 ms) overlaps FTS5 instead of adding to it.
        pending = _encoding_thread().submit(ctx.encode_query, semantic_query_text(intent))
    toks = list(dict.fromkeys(t for w in words for t in lx.tokens(w)))
    df = lx.doc_frequency(ctx.conn, toks)
    usable = [w for w in words if any(df.get(t, 0) <= p.max_term_items for t in lx.tokens(w))]
    lex = lx.bm25(ctx.conn, usable, cand, p.field_weights) if p.lexical > 0 else {}
    # CJK and other unspaced scripts: substrings of names and tags ("悲伤" in "悲伤的音乐"), scored 0..1
    sub, sub_found = scripts.substring_scores(ctx.conn, words, cand) if p.lexical > 0 else ({}, set())
    trust = 0.0
    if toks and (lex or sub):
        trust = (sum(1 for t in toks if df.get(t, 0) > 0 or t in sub_found) / len(toks)) ** p.coverage_power

    if pending is not None:
        query_vec = pending.result()

    near: list[tuple[str, float]] = []
    if query_vec is not None and ctx.vocabulary is not None and (p.expansion > 0 or p.term > 0) and len(ctx.vocabulary):
        near = ctx.vocabulary.nearest(query_vec, p.expansion_terms + 4, p.expansion_min_sim)
        opposed = opposed_words(intent)  # "calm" is never found through "upbeat, energetic"
        near = [(t, s) for t, s in near if not opposed & set(lx.tokens(t))]
    carried: set[str] = set()  # near terms that items carry as terms: matched exactly below, not by BM25
    weighted, recalled = _query_terms(ctx, intent, near, carried) if p.term > 0 else ({}, {})
    exp, exp_terms = _expansion(ctx, near, carried, max(cand, p.expansion_hits)) if p.expansion > 0 else ({}, {})

    sem: dict[int, float] = {}
    lo = hi = 0.0
    if query_vec is not None and ctx.index is not None and len(ctx.index) and p.semantic > 0:
        scores = ctx.index.scores(query_vec)
        ids, sims = ctx.index.top_k(scores, cand, kind_code)
        if len(sims):
            hi, lo = float(sims[0]), float(sims[-1])
            sem = dict(zip(ids.tolist(), sims.tolist(), strict=True))
            extra = [i for i in set(lex) | set(exp) | set(recalled) | set(sub) if i not in sem]
            sem.update(ctx.index.lookup(scores, extra))

    lex_top = max(lex.values()) if lex else 1.0
    span = max(hi - lo, 1e-6)
    out = []
    for item_id in set(lex) | set(exp) | set(sem) | set(recalled) | set(sub):
        s = sem.get(item_id)
        s_norm = min(max((s - lo) / span, 0.0), 1.0) if s is not None else 0.0
        l_norm = max(lex.get(item_id, 0.0) / lex_top, sub.get(item_id, 0.0))
        e = exp.get(item_id, 0.0)
        out.append(Scored(item_id, p.semantic * s_norm + p.lexical * trust * l_norm + p.expansion * e, l_norm, s, e,
                          tuple(exp_terms.get(item_id, ()))))
    if weighted:
        # Every candidate gets its recalled term score (a lower bound); the head then gets the exact one:
        # only the head can reach the results, and reading each candidate's terms costs ~6 us an item.
        for x in out:
            x.score += p.term * recalled.get(x.item_id, 0.0)
        out.sort(key=lambda x: (-x.score, x.item_id))
        head = out[:cand + limit]
        term, term_names = tm.term_scores(ctx.conn, [x.item_id for x in head], weighted)
        for x in head:
            if x.item_id in term:
                x.score += p.term * (term[x.item_id] - recalled.get(x.item_id, 0.0))
                x.expansion_terms = tuple(dict.fromkeys(x.expansion_terms + tuple(term_names[x.item_id])))
    out.sort(key=lambda x: (-x.score, x.item_id))
    if p.semantic_feedback > 0 and ctx.index is not None and len(out) > p.semantic_feedback_items:
        head = out[:max(cand, limit)]  # a re-ranker of the head: only it can reach the results
        _semantic_feedback(ctx.index, head, p.semantic_feedback, p.semantic_feedback_items)
        out = head
    return out[:limit]


def _expansion(ctx: SearchContext, near: list[tuple[str, float]], carried: set[str], hits_per_term: int
               ) -> tuple[dict[int, float], dict[int, list[str]]]:
    """BM25 of the nearest library words and terms (those not matched exactly as item terms), summed by
    similarity: ({item id: evidence}, {item id: the related terms it matched})."""
    p = ctx.params
    exp: dict[int, float] = {}
    exp_terms: dict[int, list[str]] = {}
    used = 0  # the query itself counts when it is one of the library's terms ("classic rock" as a phrase)
    term_df = lx.doc_frequency(ctx.conn, list({t for term, _ in near for t in lx.tokens(term)}))
    for term, sim in near:
        if term in carried or any(term_df.get(t, 0) > p.max_term_items for t in lx.tokens(term)):
            continue
        hits = lx.bm25(ctx.conn, [term], hits_per_term, p.field_weights)
        if not hits:
            continue
        top = max(hits.values())
        for item_id, s in hits.items():  # summed: an item matching several related terms is a better bet
            exp[item_id] = exp.get(item_id, 0.0) + sim * s / top
            exp_terms.setdefault(item_id, []).append(term)
        used += 1
        if used >= p.expansion_terms:
            break
    return exp, exp_terms


@lru_cache(maxsize=1)
def _encoding_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="encore-query-encode")


def _query_terms(ctx: SearchContext, intent: Intent, near: list[tuple[str, float]], carried: set[str]
                 ) -> tuple[dict[str, float], dict[int, float]]:
    """({library term: weight}, {recalled item id: its recalled term score}): the query's own term (weight 1), its
    nearest library terms (similarity ** power) and the terms its best matches share (feedback)."""
    p = ctx.params
    own = intent.free_text.strip().lower()  # as core.db.terms stores terms: "hip-hop", "80s", "female vocalists"
    weighted: dict[str, float] = {own: 1.0} if own else {}
    for term, sim in near[:p.expansion_terms]:
        weighted.setdefault(term, sim ** p.term_sim_power)
    weighted = _specific(ctx, weighted)
    recall = tm.term_recall(ctx.conn, weighted, p.term_cap, carried)
    if recall and p.feedback > 0:
        top = sorted(recall.items(), key=lambda kv: (-kv[1], kv[0]))[:p.feedback_items]
        extra = tm.feedback_terms(ctx.conn, top, set(weighted), p.feedback_terms)
        confidence = min(top[0][1], 1.0) if top else 0.0  # feedback is as good as the first pass it came from
        more_terms = _specific(ctx, {term: p.feedback * confidence * w for term, w in extra})
        weighted.update(more_terms)
        if p.feedback_recall:
            for item_id, v in tm.term_recall(ctx.conn, more_terms, p.feedback_recall).items():
                recall[item_id] = recall.get(item_id, 0.0) + v
    return weighted, recall


def _specific(ctx: SearchContext, weighted: dict[str, float]) -> dict[str, float]:
    """Weights x how specific each term is in this library (idf / log N): a genre that 40 % of the items
    carry ("comedy" in a film library) says little; a tag on 0.1 % of them says a lot."""
    vocab, n = ctx.vocabulary, len(ctx.index) if ctx.index is not None else 0
    if vocab is None or n < 2:
        return weighted
    out = {}
    for term, w in weighted.items():
        df = vocab.document_frequency(term)
        if df >= n:
            continue  # on every item: no evidence at all
        out[term] = w * (math.log(n / df) / math.log(n) if df else 1.0)  # not in the vocabulary: treat as rare
    return out


def _semantic_feedback(index: VectorIndex, out: list[Scored], weight: float, n_items: int) -> None:
    """Re-rank the candidates by closeness to the centroid of the first-pass best items, in place."""
    _, top = index.vectors([x.item_id for x in out[:n_items]])
    if not len(top):
        return
    centroid = top.mean(axis=0)
    found, rows = index.vectors([x.item_id for x in out])
    sims = rows @ centroid
    lo, hi = float(sims.min()), float(sims.max())
    near = dict(zip(found, ((sims - lo) / max(hi - lo, 1e-6)).tolist(), strict=True))
    for x in out:
        x.score += weight * near.get(x.item_id, 0.0)
    out.sort(key=lambda x: (-x.score, x.item_id))
