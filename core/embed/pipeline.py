"""Embedding stage: embed every ok item whose description text or model changed; batched, cancellable."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from core.embed import store
from core.embed.description import describe, text_hash
from core.models import CancelToken, Progress

BATCH = 256


def pending_texts(library, model: str) -> tuple[dict[int, str], dict[int, str], int]:
    """(texts to embed by id, their hashes, number unchanged) for the current model."""
    conn = library.store.reader()
    rows = conn.execute("SELECT * FROM items WHERE status = 'ok' ORDER BY id").fetchall()
    known = {r["item_id"]: r["text_hash"] for r in conn.execute(
        "SELECT item_id, text_hash FROM embeddings WHERE model = ?", (model,))}
    texts = describe(conn, rows)
    todo: dict[int, str] = {}
    hashes: dict[int, str] = {}
    for item_id, text in texts.items():
        h = text_hash(text)
        if known.get(item_id) != h:
            todo[item_id] = text
            hashes[item_id] = h
    return todo, hashes, len(texts) - len(todo)


def embed_pending(library, progress: Callable[[Progress], None] | None = None,
                  cancel: CancelToken | None = None) -> dict[str, Any]:
    """Embed new/changed items with the current model. Raises ModelError for an unusable model folder."""
    started = time.perf_counter()
    enc = store.encoder(library)
    model = enc.name
    dim = enc.dim  # loads the model now: a bad folder fails before any work is done
    todo, hashes, unchanged = pending_texts(library, model)
    ids = list(todo)
    index = store.loaded_index(library, model)
    kinds = {}
    if index is not None and ids:
        kinds = {r["id"]: r["kind"] for r in library.store.query(
            f"SELECT id, kind FROM items WHERE id IN ({','.join(map(str, ids))})")}
    done = 0
    encode_s = 0.0
    cancelled = False
    for start in range(0, len(ids), BATCH):
        if cancel is not None and cancel.cancelled:
            cancelled = True
            break
        chunk = ids[start:start + BATCH]
        t0 = time.perf_counter()
        vectors = enc.encode([todo[i] for i in chunk])
        encode_s += time.perf_counter() - t0
        now = time.time()
        with library.store.write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO embeddings (item_id, model, dim, text_hash, vector, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(i, model, dim, hashes[i], np.ascontiguousarray(v, np.float32).tobytes(), now)
                 for i, v in zip(chunk, vectors, strict=True)])
        if index is not None:
            index.add(chunk, vectors, [store.KIND_CODES.get(kinds.get(i, ""), 0) for i in chunk])
        done += len(chunk)
        if progress:
            elapsed = time.perf_counter() - started
            eta = elapsed / done * (len(ids) - done) if done else None
            progress(Progress("embed", done, len(ids), str(chunk[-1]), eta))
    if index is not None:  # items that went missing since the index was built
        ok = {r[0] for r in library.store.query("SELECT id FROM items WHERE status = 'ok'")}
        index.remove([i for i in index.ids.tolist() if i not in ok])
    seconds = time.perf_counter() - started
    return {"embedded": done, "unchanged": unchanged, "pending": len(ids) - done, "model": model, "dim": dim,
            "device": enc.device, "seconds": round(seconds, 3), "encode_seconds": round(encode_s, 3),
            "items_per_s": round(done / seconds, 1) if done and seconds else 0.0, "cancelled": cancelled}
