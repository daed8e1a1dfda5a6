"""Exact top-k vector search over an in-memory, L2-normalised float32 matrix with incremental add/remove.

At 200,000 x 384 one query is a single matrix-vector product (~77 MFLOP, a few ms on one core) plus an
argpartition; `bench/search_scale.py` measures it, and exact search keeps recall at 1.0 (see BENCHMARKS).
"""

from __future__ import annotations

import threading

import numpy as np


class VectorIndex:
    """Rows of unit vectors keyed by item id, with a small per-row kind code for cheap filtering."""

    def __init__(self, dim: int | None = None) -> None:
        self.dim = dim
        self._matrix = np.zeros((0, dim or 0), np.float32)
        self._ids = np.zeros(0, np.int64)
        self._kinds = np.zeros(0, np.int8)
        self._n = 0
        self._row: dict[int, int] = {}
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return self._n

    def __contains__(self, item_id: int) -> bool:
        return int(item_id) in self._row

    @property
    def ids(self) -> np.ndarray:
        return self._ids[:self._n]

    @property
    def matrix(self) -> np.ndarray:
        return self._matrix[:self._n]

    @property
    def nbytes(self) -> int:
        """Memory held by the index arrays (capacity included) plus the id map, roughly."""
        return int(self._matrix.nbytes + self._ids.nbytes + self._kinds.nbytes + len(self._row) * 100)

    def _grow(self, needed: int) -> None:
        capacity = self._matrix.shape[0]
        if needed <= capacity:
            return
        new_cap = max(needed, int(capacity * 1.5) + 1024)
        matrix = np.zeros((new_cap, self.dim or 0), np.float32)
        matrix[:self._n] = self._matrix[:self._n]
        ids = np.zeros(new_cap, np.int64)
        ids[:self._n] = self._ids[:self._n]
        kinds = np.zeros(new_cap, np.int8)
        kinds[:self._n] = self._kinds[:self._n]
        self._matrix, self._ids, self._kinds = matrix, ids, kinds

    def add(self, ids, vectors: np.ndarray, kinds=None) -> None:
        """Insert or replace vectors (normalised here, so callers may pass raw ones)."""
        vectors = np.asarray(vectors, np.float32)
        if vectors.ndim != 2 or len(vectors) != len(ids):
            raise ValueError("add() needs one vector per id")
        if len(ids) == 0:
            return
        with self._lock:
            if self._n == 0:  # an empty index takes the dimension of its first vectors
                self.dim = int(vectors.shape[1])
                if self._matrix.shape[1] != self.dim:
                    self._matrix = np.zeros((0, self.dim), np.float32)
            if vectors.shape[1] != self.dim:
                raise ValueError(f"vector dim {vectors.shape[1]} does not match the index ({self.dim})")
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.maximum(norms, 1e-12)
            kinds = np.zeros(len(ids), np.int8) if kinds is None else np.asarray(kinds, np.int8)
            self._grow(self._n + len(ids))
            for item_id, vec, kind in zip(ids, vectors, kinds, strict=True):
                item_id = int(item_id)
                row = self._row.get(item_id)
                if row is None:
                    row = self._n
                    self._n += 1
                    self._row[item_id] = row
                    self._ids[row] = item_id
                self._matrix[row] = vec
                self._kinds[row] = kind

    def remove(self, ids) -> None:
        """Drop vectors; the last row moves into the hole so the matrix stays dense."""
        with self._lock:
            for item_id in ids:
                row = self._row.pop(int(item_id), None)
                if row is None:
                    continue
                last = self._n - 1
                if row != last:
                    moved = int(self._ids[last])
                    self._matrix[row] = self._matrix[last]
                    self._ids[row] = moved
                    self._kinds[row] = self._kinds[last]
                    self._row[moved] = row
                self._n -= 1

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of the (normalised) query with every row, aligned with `ids`."""
        with self._lock:
            if self._n == 0:
                return np.zeros(0, np.float32)
            return self._matrix[:self._n] @ np.asarray(query, np.float32).reshape(-1)

    def top_k(self, scores: np.ndarray, k: int, kind: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the k best rows of a `scores()` result, best first; optionally one kind only."""
        if len(scores) == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if kind is not None:
            scores = np.where(self._kinds[:len(scores)] == kind, scores, -np.inf)
        k = min(k, len(scores))
        part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        order = part[np.argsort(-scores[part], kind="stable")]
        order = order[np.isfinite(scores[order])]
        return self._ids[order].copy(), scores[order].astype(np.float32)

    def search(self, query: np.ndarray, k: int, kind: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k: (ids, cosine similarities), best first."""
        return self.top_k(self.scores(query), k, kind)

    def lookup(self, scores: np.ndarray, ids) -> dict[int, float]:
        """Similarity of specific items from a `scores()` result (absent items are left out)."""
        out = {}
        for item_id in ids:
            row = self._row.get(int(item_id))
            if row is not None and row < len(scores):
                out[int(item_id)] = float(scores[row])
        return out

    def vectors(self, ids) -> tuple[list[int], np.ndarray]:
        """(the ids that have a vector, their rows) for specific items, in the order given."""
        with self._lock:
            found = [int(i) for i in ids if int(i) in self._row]
            rows = [self._row[i] for i in found]
            return found, self._matrix[rows] if rows else np.zeros((0, self._matrix.shape[1]), np.float32)
