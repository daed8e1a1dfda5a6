"""Content vectors for the recommender: text embeddings, audio (sonic) and visual feature vectors.

Loaded once into memory (a context component) and reloaded only when the stored rows change. Text
vectors come from the one loader, `core.db.embeddings.load_vectors` (the configured model, present
items), so the recommender and the search index see the same vectors. The audio vector is the one
`core.db.features.feature_vectors(conn, "audio")` defines: the measured features joined with the pretrained
tagger's embeddings (SONIC_WEIGHTS there), the space behind "more like this", Radio, cold-start picks and
"music that fits this video" (a video's soundtrack is tagged like music), and the one core.explain.truth
re-checks "sounds like" in. Each modality is optional: a library without analysis or embeddings simply
has fewer signals.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from core.context import StageContext
from core.db import embeddings
from core.db import features as feature_db
from core.db.items import items_by_ids
from core.embed.store import model_name
from core.recommend.scoring import whiten
from core.text import split_terms

RECHECK_S = 10.0


@dataclass
class Vectors:
    """One modality: item ids, their row index, and L2-normalised rows."""

    ids: np.ndarray
    M: np.ndarray
    row: dict[int, int] = field(default_factory=dict)

    def get(self, item_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(mask of ids that have a vector, their rows)."""
        idx = [self.row.get(i, -1) for i in item_ids]
        mask = np.array([i >= 0 for i in idx], bool)
        return mask, self.M[[i for i in idx if i >= 0]]


def _signature(conn: sqlite3.Connection, model: str) -> tuple:
    return (model, embeddings.signature(conn), feature_db.feature_signature(conn, "audio"),
            feature_db.feature_signature(conn, "video"))


def _feature_matrix(rows: list[tuple[int, bytes]]) -> tuple[np.ndarray, np.ndarray]:
    """(ids, float32 rows) of stored feature vectors, keeping only the most common length."""
    size = Counter(len(r[1]) for r in rows).most_common(1)[0][0]
    rows = [r for r in rows if len(r[1]) == size]
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    return ids, np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), size // 4).copy()


def _load(conn: sqlite3.Connection, model: str, text_whiten: float | None) -> dict[str, Vectors]:
    out: dict[str, Vectors] = {}
    text = embeddings.load_vectors(conn, model)
    if len(text.ids):  # whitened as the benchmark's validation chose (scoring.whiten)
        out["text"] = Vectors(ids=text.ids, M=whiten(text.matrix, text_whiten),
                              row={int(i): n for n, i in enumerate(text.ids)})
    for name in ("audio", "video"):
        rows = feature_db.feature_vectors(conn, name)
        if not rows:
            continue
        ids, M = _feature_matrix(rows)
        M -= M.mean(axis=0, keepdims=True)  # feature vectors: centred so cosine compares shape, not offset
        M /= np.maximum(np.linalg.norm(M, axis=1, keepdims=True), 1e-9)
        out[name] = Vectors(ids=ids, M=M, row={int(i): n for n, i in enumerate(ids)})
    return out


@dataclass
class _Loaded:
    """What `vectors` keeps between calls: the vectors, the table signature they match, when it was read."""

    sig: tuple | None = None
    vectors: dict[str, Vectors] = field(default_factory=dict)
    whiten: float | None = None
    checked: float = float("-inf")


def vectors(ctx: StageContext, text_whiten: float | None = None) -> dict[str, Vectors]:
    """The content vectors of the library, cached until the stored rows change. Text vectors are
    `scoring.whiten`ed with ridge `text_whiten` (None: only normalised)."""
    conn = ctx.store.reader()
    cached = ctx.component("recommend.content", _Loaded)
    if time.monotonic() - cached.checked < RECHECK_S and cached.whiten == text_whiten and cached.sig is not None:
        return cached.vectors
    model = model_name(ctx)
    sig = (_signature(conn, model), text_whiten)  # a table scan: done at most every RECHECK_S seconds
    if cached.sig != sig:
        cached.vectors = _load(conn, model, text_whiten)
        cached.whiten = text_whiten
        cached.sig = sig
    cached.checked = time.monotonic()
    return cached.vectors


def audio_facts(conn: sqlite3.Connection, ids: list[int]) -> dict[int, dict]:
    """Named audio features (tempo, key, ...) for reasons."""
    return feature_db.audio_features_for(conn, ids)


def descriptor_words(conn: sqlite3.Connection, ids: list[int]) -> dict[int, set[str]]:
    """Descriptor phrases and genre words of items (for `shared` in reasons)."""
    out: dict[int, set[str]] = {i: set() for i in ids}
    for item_id, phrases in feature_db.phrases_for(conn, ids).items():
        out[item_id].update(p.lower() for p in phrases)
    for item_id, row in items_by_ids(conn, ids).items():
        out[item_id].update(split_terms(row["genre"]))
    return out
