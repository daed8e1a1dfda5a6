"""The library's own tag vocabulary (genres, styles, moods, analysis phrases), embedded for query expansion.

A query word that no item carries ("1960s", "chill") is mapped to the nearest terms the library does use
("60s", "chillout") by cosine similarity of their embeddings; the lexical stage then searches for those.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable

import numpy as np

from core.context import StageContext
from core.db import embeddings
from core.db import search as fts
from core.db import terms as term_db
from core.search.intent import STOPWORDS

MAX_TERMS = 20_000
MAX_WORDS = 10_000
MIN_WORD_DF = 2


def library_terms(conn: sqlite3.Connection) -> Counter:
    """Document frequency of every genre/tag/descriptor term in the library."""
    df: Counter = Counter(term_db.item_frequencies(conn))
    # The library's own words (titles, names, tag text): "zombies" finds titles that say "zombie".
    for term, doc in fts.common_words(conn, MIN_WORD_DF, MAX_WORDS):
        if term not in df and len(term) >= 3 and term.isalpha() and term not in STOPWORDS:
            df[term] = doc
    return df


class Vocabulary:
    """Terms, their document frequencies and unit vectors."""

    def __init__(self, terms: list[str], df: np.ndarray, vectors: np.ndarray) -> None:
        self.terms = terms
        self.df = df
        self.vectors = vectors
        self._index = {t: i for i, t in enumerate(terms)}

    def __len__(self) -> int:
        return len(self.terms)

    def document_frequency(self, term: str) -> int:
        """Items carrying `term` (0 when it is not one of the library's terms)."""
        i = self._index.get(term)
        return int(self.df[i]) if i is not None else 0

    def nearest(self, query_vec: np.ndarray, k: int, min_sim: float) -> list[tuple[str, float]]:
        """Up to k vocabulary terms with cosine >= min_sim to the query, best first."""
        if not self.terms or k <= 0:
            return []
        sims = self.vectors @ query_vec
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        return [(self.terms[i], float(sims[i])) for i in top if sims[i] >= min_sim]

    @classmethod
    def build(cls, df: Counter, encode: Callable[[list[str]], np.ndarray], cached: dict[str, np.ndarray] | None = None,
              max_terms: int = MAX_TERMS) -> Vocabulary:
        """Embed the most frequent terms (re-using `cached` vectors by term)."""
        terms = [t for t, _ in df.most_common(max_terms)]
        cached = cached or {}
        todo = [t for t in terms if t not in cached]
        new = dict(zip(todo, encode(todo), strict=True)) if todo else {}
        if not terms:
            return cls([], np.zeros(0, np.int64), np.zeros((0, 1), np.float32))
        vectors = np.stack([cached[t] if t in cached else new[t] for t in terms]).astype(np.float32)
        return cls(terms, np.array([df[t] for t in terms], np.int64), vectors)


def load_vocabulary(ctx: StageContext, encoder) -> Vocabulary:
    """The library's vocabulary for the current model; term vectors are cached in `vocab_embeddings`."""
    model = encoder.name
    conn = ctx.store.reader()
    df = library_terms(conn)
    cached = embeddings.vocab_vectors(conn, model)
    vocab = Vocabulary.build(df, encoder.encode, cached)
    new = [(t, vocab.vectors[i]) for i, t in enumerate(vocab.terms) if t not in cached]
    if new:
        try:
            with ctx.store.write() as w:
                embeddings.write_vocab_vectors(w, model, new)
        except sqlite3.OperationalError:  # a read-only or pre-0003 library: the cache is only a cache
            pass
    return vocab
