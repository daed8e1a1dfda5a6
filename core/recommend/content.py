"""Content vectors for the recommender: text embeddings, audio and visual feature vectors.

Loaded once into memory (a `library.component`) and reloaded only when the stored rows change.
Each modality is optional: a library without analysis or embeddings simply has fewer signals.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from core.db.chunked import select_in
from core.recommend.scoring import whiten

RECHECK_S = 10.0
MODALITIES = {
    "text": ("SELECT item_id, vector FROM embeddings WHERE model = ?", "similar_text"),
    "audio": ("SELECT item_id, vector FROM audio_features WHERE vector IS NOT NULL", "similar_sound"),
    "video": ("SELECT item_id, vector FROM video_features WHERE vector IS NOT NULL", "similar_look"),
}


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


def _signature(conn) -> tuple:
    sig = []
    for table in ("embeddings", "audio_features", "video_features"):
        col = "updated_at" if table == "embeddings" else "analyzed_at"
        sig.append(tuple(conn.execute(f"SELECT COUNT(*), MAX({col}) FROM {table}").fetchone()))
    return tuple(sig)


def _load(conn, text_whiten: float | None) -> dict[str, Vectors]:
    out: dict[str, Vectors] = {}
    model = conn.execute("SELECT model FROM embeddings GROUP BY model ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
    for name, (sql, _) in MODALITIES.items():
        if name == "text" and not model:
            continue
        rows = conn.execute(sql, (model[0],) if name == "text" else ()).fetchall()
        if not rows:
            continue
        dim = Counter(len(r[1]) for r in rows).most_common(1)[0][0]
        rows = [r for r in rows if len(r[1]) == dim]
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        M = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dim // 4).copy()
        if name == "text":  # whitened as the benchmark's validation chose (scoring.whiten)
            M = whiten(M, text_whiten)
        else:  # feature vectors: centre them so cosine compares shape, not offset
            M -= M.mean(axis=0, keepdims=True)
            M /= np.maximum(np.linalg.norm(M, axis=1, keepdims=True), 1e-9)
        out[name] = Vectors(ids=ids, M=M, row={int(i): n for n, i in enumerate(ids)})
    return out


def vectors(library, text_whiten: float | None = None) -> dict[str, Vectors]:
    """The content vectors of the library, cached until the stored rows change. Text vectors are
    `scoring.whiten`ed with ridge `text_whiten` (None: only normalised)."""
    conn = library.store.reader()
    cached = library.component("recommend.content", lambda: {"sig": None, "v": {}, "checked": 0.0})
    if time.monotonic() - cached["checked"] < RECHECK_S and cached.get("whiten") == text_whiten:
        return cached["v"]
    sig = (_signature(conn), text_whiten)  # a table scan: done at most every RECHECK_S seconds
    if cached["sig"] != sig:
        cached["v"] = _load(conn, text_whiten)
        cached["whiten"] = text_whiten
        cached["sig"] = sig
    cached["checked"] = time.monotonic()
    return cached["v"]


def audio_facts(conn, ids: list[int]) -> dict[int, dict]:
    """Named audio features (tempo, key, ...) for reasons."""
    out = {}
    for item_id, feats in select_in(conn, "SELECT item_id, features FROM audio_features WHERE item_id IN ({marks})",
                                    ids):
        try:
            out[item_id] = json.loads(feats)
        except ValueError:
            continue
    return out


def descriptor_words(conn, ids: list[int]) -> dict[int, set[str]]:
    """Descriptor phrases and genre words of items (for `shared` in reasons)."""
    out: dict[int, set[str]] = {i: set() for i in ids}
    for item_id, phrases in select_in(conn, "SELECT item_id, phrases FROM descriptors WHERE item_id IN ({marks})",
                                      ids):
        try:
            out[item_id].update(p.lower() for p in json.loads(phrases) if isinstance(p, str))
        except ValueError:
            continue
    for item_id, genre in select_in(conn, "SELECT id, genre FROM items WHERE id IN ({marks})", ids):
        out[item_id].update(g.strip().lower() for g in (genre or "").replace(";", ",").split(",") if g.strip())
    return out
