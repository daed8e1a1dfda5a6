"""Stored text embeddings (`embeddings`) and vocabulary term vectors (`vocab_embeddings`).

`load_vectors` is the one loader of content vectors: the vectors of ONE model (the configured one, named
by the caller) of items that are present (status ok), in one dimension. The search index and the
recommender both read through it, so both see the same items.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np


class StoredVectors(NamedTuple):
    """Item ids, their float32 vectors (one row each, as stored) and their kinds ("audio" / "video")."""

    ids: np.ndarray
    matrix: np.ndarray
    kinds: list[str]


def load_vectors(conn: sqlite3.Connection, model: str, kind: str | None = None) -> StoredVectors:
    """The stored vectors of `model` for present items (optionally of one kind), ordered by item id.

    Rows of another length than the most common one (a half-finished model switch under the same name)
    are left out, so the matrix is always rectangular."""
    sql = ("SELECT e.item_id, e.dim, e.vector, i.kind FROM embeddings e JOIN items i ON i.id = e.item_id "
           "WHERE e.model = ? AND i.status = 'ok'")
    params: list[object] = [model]
    if kind:
        sql += " AND i.kind = ?"
        params.append(kind)
    rows = conn.execute(sql + " ORDER BY e.item_id", params).fetchall()
    if not rows:
        return StoredVectors(np.zeros(0, np.int64), np.zeros((0, 0), np.float32), [])
    dim = Counter(int(r[1]) for r in rows).most_common(1)[0][0]
    rows = [r for r in rows if int(r[1]) == dim and len(r[2]) == 4 * dim]
    ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    matrix = np.frombuffer(b"".join(r[2] for r in rows), np.float32).reshape(len(rows), dim).copy()
    return StoredVectors(ids, matrix, [r[3] for r in rows])


def text_hashes(conn: sqlite3.Connection, model: str) -> dict[int, str]:
    """{item id: hash of the description text its stored `model` vector was made from}."""
    return {int(r[0]): r[1] for r in conn.execute("SELECT item_id, text_hash FROM embeddings WHERE model = ?",
                                                  (model,))}


def write_vectors(conn: sqlite3.Connection, model: str, rows: Iterable[tuple[int, str, np.ndarray]],
                  updated_at: float) -> None:
    """Insert or replace (item id, text hash, vector) rows of `model` (in the caller's transaction)."""
    conn.executemany(
        "INSERT OR REPLACE INTO embeddings (item_id, model, dim, text_hash, vector, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(int(item_id), model, int(np.asarray(v).shape[-1]), text_hash,
          np.ascontiguousarray(v, np.float32).tobytes(), updated_at) for item_id, text_hash, v in rows])


def count_vectors(conn: sqlite3.Connection, model: str) -> int:
    """Present items with a `model` vector."""
    return int(conn.execute("SELECT COUNT(*) FROM embeddings e JOIN items i ON i.id = e.item_id "
                            "WHERE e.model = ? AND i.status = 'ok'", (model,)).fetchone()[0])


def signature(conn: sqlite3.Connection) -> tuple[int, float | None]:
    """(rows, latest write time) of the embeddings table: changes whenever a vector is written or removed."""
    count, latest = conn.execute("SELECT COUNT(*), MAX(updated_at) FROM embeddings").fetchone()
    return int(count), latest


def vocab_vectors(conn: sqlite3.Connection, model: str) -> dict[str, np.ndarray]:
    """{term: its cached `model` vector} from `vocab_embeddings` ({} in a library from before the table)."""
    try:
        return {term: np.frombuffer(blob, np.float32) for term, blob in conn.execute(
            "SELECT term, vector FROM vocab_embeddings WHERE model = ?", (model,))}
    except sqlite3.OperationalError:
        return {}


def write_vocab_vectors(conn: sqlite3.Connection, model: str, vectors: Iterable[tuple[str, np.ndarray]]) -> None:
    """Insert or replace (term, vector) rows of `model` in `vocab_embeddings` (in the caller's transaction)."""
    conn.executemany("INSERT OR REPLACE INTO vocab_embeddings (model, term, vector) VALUES (?, ?, ?)",
                     [(model, term, np.ascontiguousarray(v, np.float32).tobytes()) for term, v in vectors])


def vocab_vectors_for(conn: sqlite3.Connection, model: str, terms: Iterable[str]) -> dict[str, np.ndarray]:
    """{term: its cached `model` vector} of those `terms` that `vocab_embeddings` holds (a few phrases,
    without reading the whole vocabulary)."""
    from core.db.chunked import select_in

    wanted = list(dict.fromkeys(terms))
    if not wanted:
        return {}
    try:
        return {term: np.frombuffer(blob, np.float32) for term, blob in select_in(
            conn, "SELECT term, vector FROM vocab_embeddings WHERE term IN ({marks}) AND model = ?", wanted,
            after=(model,))}
    except sqlite3.OperationalError:
        return {}
