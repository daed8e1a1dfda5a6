"""Stored embeddings: the encoder and in-memory vector index of a library, and `stats`/`show` hooks."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.embed.encoder import TextEncoder
from core.embed.index import VectorIndex

KIND_CODES = {"audio": 1, "video": 2}


def encoder(library) -> TextEncoder:
    """The library's text encoder for its current model/device settings (built once, loads lazily)."""
    model = library.settings.embedding_model or ""
    device = library.settings.device or "auto"
    return library.component(f"encoder:{model}:{device}", lambda: TextEncoder(model or None, device=device))


def _build_index(library, model: str) -> VectorIndex:
    index = VectorIndex()
    rows = library.store.query(
        "SELECT e.item_id, e.dim, e.vector, i.kind FROM embeddings e JOIN items i ON i.id = e.item_id "
        "WHERE e.model = ? AND i.status = 'ok'", (model,))
    if rows:
        dim = rows[0]["dim"]
        rows = [r for r in rows if r["dim"] == dim]
        ids = np.fromiter((r["item_id"] for r in rows), np.int64, len(rows))
        kinds = np.fromiter((KIND_CODES.get(r["kind"], 0) for r in rows), np.int8, len(rows))
        matrix = np.frombuffer(b"".join(r["vector"] for r in rows), np.float32).reshape(len(rows), dim)
        index.add(ids, matrix, kinds)
    return index


def vector_index(library, model: str | None = None) -> VectorIndex:
    """The in-memory index of the current model's vectors (built from the database on first use)."""
    model = model or encoder(library).name
    return library.component(f"index:{model}", lambda: _build_index(library, model))


def loaded_index(library, model: str) -> VectorIndex | None:
    """The index if it is already in memory (the pipeline updates it in place), else None."""
    return library.peek_component(f"index:{model}")


def stats(library) -> dict[str, Any]:
    """`embedded`: items with a vector from the current model."""
    model = encoder(library).name
    n = library.store.query(
        "SELECT COUNT(*) FROM embeddings e JOIN items i ON i.id = e.item_id WHERE e.model = ? AND i.status = 'ok'",
        (model,))[0][0]
    return {"embedded": n, "embedding_model": model}
